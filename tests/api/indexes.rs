//! The hot lookups are served by indexes: checked with `EXPLAIN QUERY PLAN` on SQLite and
//! `EXPLAIN` on PostgreSQL (sequential scans switched off, so that the tiny test tables
//! cannot hide a missing index behind a cheaper scan).
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};

use crate::helpers::spawn_app;

/// (what it serves, table, query). Ids are arbitrary: the plan does not depend on them.
const HOT: &[(&str, &str, &str)] = &[
    ("a payment's balances", "ledger_balances", "SELECT * FROM ledger_balances WHERE county_id = 1 AND account IN ('commit:7', 'paid:7')"),
    ("lines of an entry", "ledger_lines", "SELECT * FROM ledger_lines WHERE entry_id = 7"),
    ("a contract's commitments", "ledger_entries", "SELECT * FROM ledger_entries WHERE county_id = 1 AND contract_id = 7 AND kind = 'commitment'"),
    ("a department's entries of a year", "ledger_entries", "SELECT * FROM ledger_entries WHERE county_id = 1 AND department_id = 2 AND year = 2026"),
    ("payments of a contract", "disbursements", "SELECT * FROM disbursements WHERE county_id = 1 AND contract_id = 7"),
    ("payments of a milestone", "disbursements", "SELECT * FROM disbursements WHERE milestone_id = 7"),
    ("payments to confirm", "disbursements", "SELECT * FROM disbursements WHERE county_id = 1 AND status = 'paid'"),
    ("accepted deliverables of a contract", "deliverables", "SELECT * FROM deliverables WHERE county_id = 1 AND contract_id = 7 AND status = 'accepted'"),
    ("a department's contracts, a page", "contracts", "SELECT * FROM contracts WHERE county_id = 1 AND department_id = 2 AND id < 900 ORDER BY id DESC LIMIT 51"),
    ("a community's contracts, a page", "contracts", "SELECT * FROM contracts WHERE county_id = 1 AND community_id = 3 ORDER BY id DESC LIMIT 51"),
    ("contracts by status, a page", "contracts", "SELECT * FROM contracts WHERE county_id = 1 AND status = 'active' ORDER BY id DESC LIMIT 51"),
    ("contracts of an admission", "contracts", "SELECT * FROM contracts WHERE admission_id = 7"),
    ("versions of a page of contracts", "contract_versions", "SELECT * FROM contract_versions WHERE contract_id IN (7, 8, 9)"),
    ("clauses of a page of contracts", "contract_clauses", "SELECT * FROM contract_clauses WHERE contract_id IN (7, 8, 9)"),
    ("milestones of a contract version", "contract_milestones", "SELECT * FROM contract_milestones WHERE contract_id = 7 AND version = 1"),
    ("a department's applications, a page", "admissions", "SELECT * FROM admissions WHERE county_id = 1 AND department_id = 2 ORDER BY id DESC LIMIT 51"),
    ("applications by status", "admissions", "SELECT * FROM admissions WHERE county_id = 1 AND status = 'admitted'"),
    ("tasks in a community", "admission_targets", "SELECT * FROM admission_targets WHERE community_id = 3 AND status = 'entered'"),
    ("targets of applications", "admission_targets", "SELECT * FROM admission_targets WHERE admission_id IN (7, 8)"),
    ("history of applications", "admission_events", "SELECT * FROM admission_events WHERE admission_id IN (7, 8)"),
    ("items of an evaluation", "evaluation_items", "SELECT * FROM evaluation_items WHERE evaluation_id = 7"),
    ("objections to an evaluation", "objections", "SELECT * FROM objections WHERE evaluation_id = 7"),
    ("evaluations of a contract", "evaluations", "SELECT * FROM evaluations WHERE contract_id = 7"),
    ("changes of a list version", "list_changes", "SELECT * FROM list_changes WHERE version_id = 7 ORDER BY id DESC"),
    ("items of a list version", "list_items", "SELECT * FROM list_items WHERE version_id = 7 AND kind = 'duty'"),
    ("a replayed payment", "idempotency_keys", "SELECT * FROM idempotency_keys WHERE user_id = 7 AND key = 'k'"),
    ("the caller of a request", "sessions", "SELECT * FROM sessions WHERE token_hash = 'abc'"),
    ("reports of a community", "violation_reports", "SELECT * FROM violation_reports WHERE county_id = 1 AND community_id = 3 ORDER BY id DESC"),
    ("users of an organisation", "users", "SELECT * FROM users WHERE org_id = 3"),
    ("attachments of a deliverable", "attachments", "SELECT id FROM attachments WHERE deliverable_id = 7"),
    ("audit entries of a record", "audit_log", "SELECT * FROM audit_log WHERE county_id = 1 AND entity = 'contract' AND entity_id = 7"),
];

#[tokio::test]
async fn hot_lookups_use_an_index() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let mut missing = Vec::new();
    for (what, table, sql) in HOT {
        let plan: Vec<String> = match backend {
            DatabaseBackend::Postgres => {
                let txn = app.db.begin().await.unwrap();
                txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
                let rows = txn.query_all(Statement::from_string(backend, format!("EXPLAIN {sql}"))).await.unwrap();
                txn.rollback().await.unwrap();
                rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
            }
            _ => {
                let rows = app.db.query_all(Statement::from_string(backend, format!("EXPLAIN QUERY PLAN {sql}"))).await.unwrap();
                rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect()
            }
        };
        let text = plan.join(" | ");
        let scans = match backend {
            DatabaseBackend::Postgres => text.contains("Seq Scan"),
            // A scan, or a search on the county alone (every row of a county read).
            _ => plan.iter().any(|l| l.starts_with(&format!("SCAN {table}")) || l.ends_with("(county_id=?)")),
        };
        println!("plan: {what}: {text}");
        if scans {
            missing.push(format!("{what} ({table}): {text}"));
        }
    }
    assert!(missing.is_empty(), "hot lookups without an index:\n{}", missing.join("\n"));
}

//! Scale (issue 13): indexes for every lookup on a hot path, and per-account running
//! balances so that a payment's checks read a bounded number of rows however long the
//! ledger grows. `ledger_balances` is maintained in the same transaction as each journal
//! entry and checked against the lines by `verify-ledger`; here it is filled from the
//! lines already posted.
use sea_orm_migration::prelude::*;

use crate::columns::big;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerBalances {
    Table,
    CountyId,
    Account,
    BalanceFen,
}

/// (index name, table, columns). Names start `ix_`; each serves a query named beside it.
const INDEXES: &[(&str, &str, &[&str])] = &[
    // journal: lines of an entry (verify, audit), entries of a contract / department-year
    ("ix_ledger_lines_entry", "ledger_lines", &["entry_id"]),
    ("ix_ledger_entries_contract", "ledger_entries", &["county_id", "contract_id", "kind"]),
    ("ix_ledger_entries_department", "ledger_entries", &["county_id", "department_id", "year"]),
    // payments of a contract / of a milestone; payments to confirm
    ("ix_disbursements_contract", "disbursements", &["contract_id"]),
    ("ix_disbursements_milestone", "disbursements", &["milestone_id"]),
    ("ix_disbursements_county_status", "disbursements", &["county_id", "status"]),
    // deliverables of a contract by status (is the clause accepted?)
    ("ix_deliverables_contract", "deliverables", &["contract_id", "status"]),
    ("ix_attachments_deliverable", "attachments", &["deliverable_id"]),
    // contract lists by party and status
    ("ix_contracts_department", "contracts", &["county_id", "department_id", "id"]),
    ("ix_contracts_community", "contracts", &["county_id", "community_id", "id"]),
    ("ix_contracts_status", "contracts", &["county_id", "status", "id"]),
    // admission lists by department; targets by community and status
    ("ix_admissions_department", "admissions", &["county_id", "department_id", "id"]),
    ("ix_admission_targets_community", "admission_targets", &["community_id", "status"]),
    // evaluation items and objections of an evaluation
    ("ix_evaluation_items_evaluation", "evaluation_items", &["evaluation_id"]),
    ("ix_objections_evaluation", "objections", &["evaluation_id"]),
    // list changes by version; items of a version by kind
    ("ix_list_changes_version", "list_changes", &["version_id", "id"]),
    ("ix_list_items_version_kind", "list_items", &["version_id", "kind"]),
    // reports by community / department; notices of a county
    ("ix_violation_reports_community", "violation_reports", &["county_id", "community_id", "id"]),
    ("ix_violation_reports_department", "violation_reports", &["county_id", "department_id", "id"]),
    ("ix_notices_county", "notices", &["county_id", "id"]),
    // sessions and users of an organisation
    ("ix_sessions_user", "sessions", &["user_id"]),
    ("ix_users_org", "users", &["org_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut ix = Index::create().name(*name).table(Alias::new(*table)).to_owned();
            for c in *cols {
                ix.col(Alias::new(*c));
            }
            m.create_index(ix).await?;
        }
        m.create_table(
            Table::create()
                .table(LedgerBalances::Table)
                .col(big(LedgerBalances::CountyId))
                .col(ColumnDef::new(LedgerBalances::Account).string_len(64).not_null())
                .col(big(LedgerBalances::BalanceFen))
                .primary_key(Index::create().col(LedgerBalances::CountyId).col(LedgerBalances::Account))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO ledger_balances (county_id, account, balance_fen) \
                 SELECT county_id, account, SUM(debit_fen - credit_fen) FROM ledger_lines GROUP BY county_id, account",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LedgerBalances::Table).to_owned()).await?;
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(*name).table(Alias::new(*table)).to_owned()).await?;
        }
        Ok(())
    }
}

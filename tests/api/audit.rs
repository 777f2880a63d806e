//! Issue 12: the audit trail. Every change of state is recorded with who, what,
//! before/after, request id and address, in the same transaction; the hash chain shows
//! any entry edited, removed, inserted or reordered, through the API and the CLI.
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::{pay, sign_both};

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let me: Value = app.get("/api/v1/me", &app.token(username).await).await.json().await.unwrap();
    me["user"]["id"].as_i64().unwrap()
}

/// An active 3,000-yuan survey contract of 区市场监督管理局 with 幸福社区, and its advance.
pub async fn signed_survey(app: &TestApp) -> (Value, Value) {
    let a = admitted(app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let c = sign_both(app, &c["id"]).await;
    let advance = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"].is_null()).unwrap().clone();
    (c, advance)
}

async fn trail(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/audit?limit=500&{query}"), &app.token("ducha").await).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn verify(app: &TestApp) -> Value {
    verify_as(app, &app.token("admin").await).await
}

/// With a token taken beforehand: a login is itself an entry.
async fn verify_as(app: &TestApp, admin: &str) -> Value {
    let r = app.get("/api/v1/admin/audit/verify", admin).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn kinds(report: &Value) -> Vec<String> {
    report["breaches"].as_array().unwrap().iter().map(|b| b["kind"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn every_step_of_a_contract_names_its_actor_with_before_and_after() {
    let app = spawn_app().await;
    let (c, advance) = signed_survey(&app).await;
    assert_eq!(pay(&app, "audit-1", &c, &advance, "900.00").await.status(), StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/contracts/{}/amendments", c["id"]), &app.token("shijian").await,
        json!({"rationale_code": "SCOPE_CHANGE", "rationale": "商户减少", "amount": "2500.00"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let r = app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区换届，双方协商终止"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let (dept, community, finance) = (user_id(&app, "shijian").await, user_id(&app, "xingfu").await, user_id(&app, "caizheng").await);
    let entries = trail(&app, &format!("entity=contract&entity_id={}", c["id"])).await;
    let find = |action: &str| entries.iter().filter(|e| e["action"] == action).cloned().collect::<Vec<_>>();
    assert_eq!(find("contract.draft")[0]["actor_id"], dept);
    let signs = find("contract.sign");
    assert_eq!(signs.len(), 2, "one entry per signature");
    let signers: Vec<i64> = signs.iter().map(|e| e["actor_id"].as_i64().unwrap()).collect();
    assert!(signers.contains(&dept) && signers.contains(&community));
    let active = &find("contract.active")[0];
    assert_eq!(active["before"]["status"], "draft");
    assert_eq!(active["after"]["status"], "active");
    let amended = &find("contract.amend")[0];
    assert_eq!(amended["actor_id"], dept);
    assert_eq!((amended["before"]["amount"].as_str(), amended["after"]["amount"].as_str()), (Some("3000.00"), Some("2500.00")));
    assert_eq!(amended["after"]["rationale"], "商户减少");
    let ended = &find("contract.terminated")[0];
    assert_eq!(ended["actor_id"], dept, "termination records who ended it");
    assert_eq!(ended["before"]["status"], "active");
    assert_eq!(ended["after"]["termination_reason"], "社区换届，双方协商终止");
    for e in &entries {
        assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()), "request id on {e}");
        assert_eq!(e["client_addr"], "127.0.0.1");
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    }
    let payments = trail(&app, "entity=disbursement").await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["actor_id"], finance);
    assert_eq!(payments[0]["after"]["amount_fen"], 90000);
    // The money moved with it: commitment, payment and release, each by its actor.
    let ledger = trail(&app, "action=ledger").await;
    let actions: Vec<&str> = ledger.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["ledger.budget", "ledger.commitment", "ledger.disbursement", "ledger.release"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    // Taking a copy out is recorded too.
    let r = app.get(&format!("/api/v1/contracts/{}/pdf", c["id"]), &app.token("shijian").await).await;
    assert_eq!(r.status(), StatusCode::OK);
    let exports = trail(&app, "action=export").await;
    assert!(exports.iter().any(|e| e["action"] == "export.contract_pdf" && e["entity_id"] == c["id"] && e["actor_id"] == dept));
    assert_eq!(verify(&app).await["ok"], true);
}

/// What the deadline job does is on the trail too, under the county's system actor: an
/// emergency entry left unapproved past its deadline, and the contract that ends with it.
#[tokio::test]
async fn the_deadline_job_is_audited_under_the_system_actor() {
    let app = spawn_app().await;
    let a = crate::lifecycle::emergency(&app, "3000.00").await;
    let c = draft(&app, crate::lifecycle::emergency_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::admission::Entity::update_many()
        .col_expr(entity::admission::Column::ApprovalDeadline, sea_orm::sea_query::Expr::value(yesterday))
        .filter(entity::admission::Column::Id.eq(a))
        .exec(&app.db)
        .await
        .unwrap();
    zhunru::lifecycle::store::apply_deadlines(&app.db, chrono::Utc::now().date_naive()).await.unwrap();
    let expired = trail(&app, &format!("entity=admission&entity_id={a}&action=admission.expire")).await;
    assert_eq!(expired.len(), 1);
    let system = expired[0]["actor_id"].as_i64().expect("the system actor is named");
    assert_eq!(expired[0]["before"]["status"], "entered_pending_approval");
    assert_eq!(expired[0]["after"]["status"], "expired");
    assert!(expired[0]["request_id"].is_null(), "no request: the job");
    let ended = trail(&app, &format!("entity=contract&entity_id={}&action=contract.terminated", c["id"])).await;
    assert_eq!(ended[0]["actor_id"], system);
    assert_eq!(ended[0]["after"]["termination_code"], "EMERGENCY_OVERDUE");
    assert!(trail(&app, "action=user.create_system").await.iter().any(|e| e["entity_id"] == system));
    assert_eq!(verify(&app).await["ok"], true);
}

#[tokio::test]
async fn logins_roles_passwords_and_settings_are_audited_without_secrets() {
    let app = spawn_app().await;
    let bad = app.login_response("xingfu", "wrong-password").await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    app.token("xingfu").await;
    let admin = app.token("admin").await;
    let xingfu = user_id(&app, "xingfu").await;
    let r = app.patch(&format!("/api/v1/users/{xingfu}"), &admin, json!({"display_name": "幸福社区主任", "password": "a-new-password-123"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = app.put("/api/v1/county/settings", &admin, json!({"emergency_approval_days": 20})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let logins = trail(&app, &format!("entity_id={xingfu}&action=auth")).await;
    assert!(logins.iter().any(|e| e["action"] == "auth.login_failed" && e["after"]["reason"] == "wrong_password" && e["actor_id"].is_null()));
    let sessions = trail(&app, "action=auth.login").await;
    assert!(sessions.iter().any(|e| e["actor_id"] == xingfu), "a successful login names the user");
    let changed = trail(&app, &format!("entity=user&entity_id={xingfu}&action=user.update")).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["actor_id"], user_id(&app, "admin").await);
    assert_eq!(changed[0]["before"]["display_name"], "幸福社区书记");
    assert_eq!(changed[0]["after"]["display_name"], "幸福社区主任");
    assert_eq!(changed[0]["after"]["password_reset"], true);
    let text = serde_json::to_string(&changed).unwrap();
    assert!(!text.contains("argon2") && !text.contains("a-new-password-123") && !text.contains("password_hash"), "no secret in the trail");
    let settings = trail(&app, "action=settings").await;
    assert_eq!(settings[0]["before"]["emergency_approval_days"], 15);
    assert_eq!(settings[0]["after"]["emergency_approval_days"], 20);
}

#[tokio::test]
async fn a_refused_change_leaves_no_entry_and_racing_writers_keep_one_chain() {
    let app = spawn_app().await;
    // A refused payment changes nothing and records nothing.
    let (c, advance) = signed_survey(&app).await;
    let admin = app.token("admin").await;
    let before = verify_as(&app, &admin).await["entries"].as_u64().unwrap();
    let r = pay(&app, "too-much", &c, &advance, "5000.00").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let after = verify_as(&app, &admin).await["entries"].as_u64().unwrap();
    assert_eq!(after, before + 1, "only the finance user's login was recorded");
    assert!(trail(&app, "entity=disbursement").await.is_empty() && trail(&app, "action=ledger.disbursement").await.is_empty());

    // Twenty applications from two departments at once: one chain, no gap, no fork.
    let community = app.org_id("幸福社区").await;
    let (wj, sj) = (app.token("weijian").await, app.token("shijian").await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let token = if i % 2 == 0 { wj.clone() } else { sj.clone() };
        let client = app.api.clone();
        let url = app.url("/api/v1/admissions");
        tasks.push(tokio::spawn(async move {
            let body = json!({"title": format!("入户走访{i}"), "description": "走访", "basis": "文件", "work_plan": "按月",
                "target_community_ids": [community], "period_start": "2026-03-01", "period_end": "2026-06-30",
                "staffing": "网格员", "budget": "100.00"});
            client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let report = verify_as(&app, &admin).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(trail(&app, "action=admission.create").await.len(), 21, "the twenty and the first one");
    assert_eq!(report["heads"][0]["seq"], report["entries"], "one chain without gaps");
    println!("audit: 20 racing writers, chain of {} entries intact", report["entries"]);
}

#[tokio::test]
async fn the_trail_is_paged_filtered_and_closed_to_other_roles() {
    let app = spawn_app().await;
    let ducha = app.token("ducha").await;
    let first: Value = app.get("/api/v1/audit?limit=3", &ducha).await.json().await.unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app.get(&format!("/api/v1/audit?limit=3&cursor={cursor}"), &ducha).await.json().await.unwrap();
    let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert!(ids(&second).iter().all(|id| *id < *ids(&first).iter().min().unwrap()), "newest first, no overlap");
    for who in ["weijian", "xingfu", "caizheng", "minzheng", "lingdao"] {
        assert_error(app.get("/api/v1/audit", &app.token(who).await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        assert_error(app.get("/api/v1/admin/audit/verify", &app.token(who).await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
    assert_error(app.get("/api/v1/audit?cursor=abc", &ducha).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // Another county's reviewer is refused like this county's (other counties' admins and
    // supervisors see only their own trail: the authz matrix checks that).
    let (_, other) = app.second_county_reviewer().await;
    assert_error(app.get("/api/v1/audit", &other).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // The page shows the same, with the chain's state.
    let ducha_page = app.page_login("ducha").await;
    let page = ducha_page.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("county.load_demo") && !page.contains("审计链完整"), "audit page: entries; the check only on request");
    let page = ducha_page.get(app.url("/audit?check=1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("审计链完整"), "audit page: the chain check");
}

/// What someone with write access to the database could do, and what catches it.
#[tokio::test]
async fn verification_catches_edited_removed_inserted_and_reordered_entries() {
    // The table itself refuses to be changed.
    let app = trail_with_activity().await;
    assert!(app.db.execute_unprepared("UPDATE audit_log SET action = 'x' WHERE seq = 3").await.is_err(), "updates refused");
    assert!(app.db.execute_unprepared("DELETE FROM audit_log WHERE seq = 3").await.is_err(), "deletes refused");

    // Someone who can drop that guard: each kind of tampering on a fresh trail.
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("edited", &["UPDATE audit_log SET actor_id = actor_id + 1 WHERE seq = 5"], &["edited"]),
        ("removed in the middle", &["DELETE FROM audit_log WHERE seq = 4"], &["missing", "broken_link"]),
        ("removed at the end", &["DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"], &["head_mismatch"]),
        (
            "inserted",
            &["INSERT INTO audit_log (county_id, seq, at, actor_id, action, entity, entity_id, before, after, request_id, client_addr, hash, prev_hash)
               SELECT county_id, seq + 1, at, actor_id, 'contract.sign', entity, entity_id, before, after, request_id, client_addr, hash, hash
               FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"],
            &["edited", "head_mismatch"],
        ),
        ("reordered", &[], &["reordered"]),
    ];
    let mut caught = 0;
    for (name, statements, expected) in cases {
        let app = trail_with_activity().await;
        let admin = app.token("admin").await;
        let db = &app.db;
        unguard(db).await;
        for s in statements {
            db.execute_unprepared(s).await.unwrap();
        }
        if name == "reordered" {
            swap_ids(db, 3, 4).await;
        }
        let report = verify_as(&app, &admin).await;
        assert_eq!(report["ok"], false, "{name} not caught");
        let k = kinds(&report);
        for e in expected {
            assert!(k.iter().any(|x| x == e), "{name}: expected {e} in {k:?}");
        }
        // The CLI says the same and fails.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhunru")).arg("verify-audit").env("DATABASE_URL", &app.database_url).output().unwrap();
        assert!(!out.status.success(), "verify-audit exits non-zero on {name}");
        caught += 1;
    }
    let clean = trail_with_activity().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhunru")).arg("verify-audit").env("DATABASE_URL", &clean.database_url).output().unwrap();
    assert!(out.status.success(), "verify-audit passes an untouched trail: {}", String::from_utf8_lossy(&out.stdout));
    println!("audit: {caught} of 5 kinds of tampering caught by the API and the CLI; untouched trail passes");
}

async fn trail_with_activity() -> TestApp {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    assert_eq!(verify(&app).await["ok"], true);
    app
}

async fn unguard(db: &sea_orm::DatabaseConnection) {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("ALTER TABLE audit_log DISABLE TRIGGER USER").await.unwrap();
    } else {
        db.execute_unprepared("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete").await.unwrap();
    }
}

/// Gives the entries at `a` and `b` each other's ids (their order), contents untouched.
async fn swap_ids(db: &sea_orm::DatabaseConnection, a: i64, b: i64) {
    let rows = db
        .query_all(sea_orm::Statement::from_string(db.get_database_backend(), format!("SELECT id FROM audit_log WHERE seq IN ({a}, {b}) ORDER BY seq")))
        .await
        .unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get::<i64>("", "id").unwrap()).collect();
    db.execute_unprepared(&format!("UPDATE audit_log SET id = -id WHERE seq IN ({a}, {b})")).await.unwrap();
    db.execute_unprepared(&format!("UPDATE audit_log SET id = {} WHERE seq = {a}", ids[1])).await.unwrap();
    db.execute_unprepared(&format!("UPDATE audit_log SET id = {} WHERE seq = {b}", ids[0])).await.unwrap();
}

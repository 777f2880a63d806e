use reqwest::StatusCode;
use serde_json::{json, Value};
use zhunru::orgs::Username;

use crate::helpers::{assert_error, spawn_app, TestApp};

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let token = app.token(username).await;
    let me: Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
    me["user"]["id"].as_i64().unwrap()
}

/// A second county with its admin, to check that counties never see each other.
async fn other_county(app: &TestApp) -> (i64, String) {
    let hash = zhunru::platform::auth::hash_password("other-county-admin-pw");
    let (_, root, _) = zhunru::orgs::store::create_county(&app.db, "邻县", &Username::parse("linxian").unwrap(), &hash)
        .await
        .unwrap();
    let r = app.login_response("linxian", "other-county-admin-pw").await;
    let body: Value = r.json().await.unwrap();
    (root.id, body["token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_tree_of_the_demo_county() {
    let app = spawn_app().await;
    let token = app.token("xingfu").await;
    let orgs: Value = app.list("/api/v1/orgs", &token).await;
    let orgs = orgs.as_array().unwrap();
    assert_eq!(orgs.len(), 9);
    let by_name = |n: &str| orgs.iter().find(|o| o["name"] == n).unwrap().clone();
    let county = by_name("示范区");
    assert_eq!(county["kind"], "county");
    assert!(county["parent_id"].is_null());
    assert_eq!(by_name("区财政局")["parent_id"], county["id"]);
    assert_eq!(by_name("区民政局")["kind"], "civil_affairs");
    assert_eq!(by_name("区城乡社区建设领导小组")["kind"], "leading_group");
    let street = by_name("示范街道");
    assert_eq!(street["kind"], "street");
    assert_eq!(by_name("幸福社区")["parent_id"], street["id"]);
    assert_eq!(by_name("和谐社区")["kind"], "community");
}

#[tokio::test]
async fn a_community_sees_only_its_own_users() {
    let app = spawn_app().await;
    let xingfu = app.token("xingfu").await;
    let own = app.org_id("幸福社区").await;
    let other = app.org_id("和谐社区").await;
    let users: Value = app.list(&format!("/api/v1/orgs/{own}/users"), &xingfu).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["username"], "xingfu");
    assert!(users[0].get("password_hash").is_none());
    // Another community's users: as if they did not exist.
    assert_error(app.get(&format!("/api/v1/orgs/{other}/users"), &xingfu).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let hexie = user_id(&app, "hexie").await;
    let missing = app.get("/api/v1/users/999999", &xingfu).await;
    let hidden = app.get(&format!("/api/v1/users/{hexie}"), &xingfu).await;
    let missing = assert_error(missing, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let hidden = assert_error(hidden, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(missing, hidden, "no existence leak");
    // A department is no different.
    let weijian = app.token("weijian").await;
    assert_error(app.get(&format!("/api/v1/orgs/{own}/users"), &weijian).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn admin_and_supervisor_see_the_whole_county() {
    let app = spawn_app().await;
    let own = app.org_id("幸福社区").await;
    for who in ["admin", "ducha"] {
        let token = app.token(who).await;
        let users: Value = app.list(&format!("/api/v1/orgs/{own}/users"), &token).await;
        assert_eq!(users[0]["username"], "xingfu", "{who}");
    }
    let admin = app.token("admin").await;
    let all: Value = app.list("/api/v1/users", &admin).await;
    assert_eq!(all.as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn counties_never_see_each_other() {
    let app = spawn_app().await;
    let (other_root, other_admin) = other_county(&app).await;
    let orgs: Value = app.list("/api/v1/orgs", &other_admin).await;
    assert_eq!(orgs.as_array().unwrap().len(), 1, "only its own root");
    let users: Value = app.list("/api/v1/users", &other_admin).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    let xingfu_org = app.org_id("幸福社区").await;
    assert_error(app.get(&format!("/api/v1/orgs/{xingfu_org}"), &other_admin).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.get(&format!("/api/v1/orgs/{xingfu_org}/users"), &other_admin).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let xingfu = user_id(&app, "xingfu").await;
    let r = app.patch(&format!("/api/v1/users/{xingfu}"), &other_admin, json!({"active": false})).await;
    assert_error(r, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Nor can an admin place a user or an organisation in another county.
    let admin = app.token("admin").await;
    let r = app
        .post("/api/v1/users", &admin, json!({"org_id": other_root, "username": "sneaky", "display_name": "某人", "role": "admin", "password": "long-enough-pw"}))
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": other_root, "kind": "department", "name": "渗透局"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn only_the_admin_manages_organisations_and_users() {
    let app = spawn_app().await;
    let county = app.org_id("示范区").await;
    let finance = app.org_id("区财政局").await;
    for who in ["minzheng", "lingdao", "caizheng", "weijian", "xingfu", "ducha"] {
        let token = app.token(who).await;
        let r = app.post("/api/v1/orgs", &token, json!({"parent_id": county, "kind": "department", "name": "新局"})).await;
        assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        assert_error(app.get("/api/v1/users", &token).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
    // A department cannot make itself a finance user, nor open a finance account.
    let weijian = app.token("weijian").await;
    let me = user_id(&app, "weijian").await;
    let r = app.patch(&format!("/api/v1/users/{me}"), &weijian, json!({"role": "finance", "org_id": finance})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r = app
        .post("/api/v1/users", &weijian, json!({"org_id": finance, "username": "fake", "display_name": "假财政", "role": "finance", "password": "long-enough-pw"}))
        .await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let admin = app.token("admin").await;
    let users: Value = app.list("/api/v1/users", &admin).await;
    assert_eq!(users.as_array().unwrap().len(), 9, "nothing was created");
}

#[tokio::test]
async fn admin_builds_the_tree_by_its_rules() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let county = app.org_id("示范区").await;
    let street = app.org_id("示范街道").await;

    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": county, "kind": "department", "name": "区应急管理局"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let dept: Value = r.json().await.unwrap();
    assert_eq!(dept["kind_label"], "职能部门");

    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": street, "kind": "community", "name": "平安村"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // A community hangs under a street, not under the county.
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": county, "kind": "community", "name": "错位社区"})).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "parent_id");
    // A second county cannot be made through the API.
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": null, "kind": "county", "name": "新区"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // Unknown kind, empty name, duplicate name.
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": county, "kind": "bureau", "name": "某局"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": county, "kind": "department", "name": ""})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/orgs", &admin, json!({"parent_id": county, "kind": "department", "name": "区应急管理局"})).await;
    assert_error(r, StatusCode::CONFLICT, "ORG_NAME_TAKEN").await;

    let orgs: Value = app.list("/api/v1/orgs", &admin).await;
    assert_eq!(orgs.as_array().unwrap().len(), 11, "exactly the two good ones were added");
}

#[tokio::test]
async fn admin_opens_accounts_whose_role_fits_the_organisation() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let finance = app.org_id("区财政局").await;
    let community = app.org_id("和谐社区").await;
    let new_user = |org: i64, username: &str, role: &str, password: &str| {
        json!({"org_id": org, "username": username, "display_name": "新同事", "role": role, "password": password})
    };

    let r = app.post("/api/v1/users", &admin, new_user(finance, "caizheng2", "finance", "finance-password-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["role"], "finance");
    assert_eq!(app.login_response("caizheng2", "finance-password-1").await.status(), StatusCode::OK);

    // A finance role in a community, a bad username, a weak password, a taken username.
    let r = app.post("/api/v1/users", &admin, new_user(community, "fake-finance", "finance", "finance-password-1")).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "role");
    let r = app.post("/api/v1/users", &admin, new_user(community, "张三", "community", "finance-password-1")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/users", &admin, new_user(community, "hexie2", "community", "short")).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "password");
    let r = app.post("/api/v1/users", &admin, new_user(community, "hexie", "community", "finance-password-1")).await;
    assert_error(r, StatusCode::CONFLICT, "USERNAME_TAKEN").await;

    let users: Value = app.list("/api/v1/users", &admin).await;
    assert_eq!(users.as_array().unwrap().len(), 10, "only the good one was created");
}

#[tokio::test]
async fn admin_resets_a_password_and_cannot_lock_themself_out() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let me = user_id(&app, "admin").await;
    let r = app.patch(&format!("/api/v1/users/{me}"), &admin, json!({"active": false})).await;
    assert_error(r, StatusCode::CONFLICT, "CANNOT_CHANGE_SELF").await;
    let r = app.patch(&format!("/api/v1/users/{me}"), &admin, json!({"role": "supervisor"})).await;
    assert_error(r, StatusCode::CONFLICT, "CANNOT_CHANGE_SELF").await;

    let hexie = user_id(&app, "hexie").await;
    let old_token = app.token("hexie").await;
    let r = app.patch(&format!("/api/v1/users/{hexie}"), &admin, json!({"password": "reset-by-admin-1"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_error(app.get("/api/v1/me", &old_token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_eq!(app.login_response("hexie", "reset-by-admin-1").await.status(), StatusCode::OK);
    let r = app.patch(&format!("/api/v1/users/{hexie}"), &admin, json!({"nickname": "x"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn health_docs_and_unknown_paths() {
    let app = spawn_app().await;
    assert_eq!(app.api.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let doc: Value = app.api.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Every path API.md fixes is in the generated document.
    for path in [
        "/api/v1/auth/login", "/api/v1/orgs", "/api/v1/users/{id}", "/api/v1/orgs/{id}/users",
        "/api/v1/lists/{kind}", "/api/v1/public/{county_id}/lists/{kind}",
        "/api/v1/admissions/precheck", "/api/v1/admissions", "/api/v1/admissions/{id}", "/api/v1/admissions/{id}/submit",
        "/api/v1/admissions/{id}/review", "/api/v1/admissions/{id}/decide",
        "/api/v1/contract-templates", "/api/v1/contracts", "/api/v1/contracts/{id}", "/api/v1/contracts/{id}/sign", "/api/v1/contracts/{id}/pdf",
        "/api/v1/budgets/{department_id}/{year}", "/api/v1/contracts/{id}/deliverables", "/api/v1/deliverables/{id}/accept",
        "/api/v1/deliverables/{id}/reject", "/api/v1/disbursements", "/api/v1/disbursements/{id}/confirm", "/api/v1/contracts/{id}/funds",
        "/api/v1/contracts/{id}/evaluation-form", "/api/v1/contracts/{id}/evaluations",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
    // What openapi-spec-validator and client generators need (issue 26): one operationId
    // per operation, and a documented 401 on every operation behind the token.
    let mut ids = std::collections::HashMap::new();
    let mut undocumented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has an operationId")).to_string();
            if let Some(other) = ids.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id} of {method} {path} is also {other}'s");
            }
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) && op["responses"].get("401").is_none() {
                undocumented.push(format!("{method} {path}"));
            }
        }
    }
    assert!(undocumented.is_empty(), "secured operations without a 401: {undocumented:?}");
    assert!(ids.len() > 100, "{}", ids.len());
    let docs = app.api.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let token = app.token("admin").await;
    assert_error(app.get("/api/v1/no-such-thing", &token).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

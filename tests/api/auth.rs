use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, PASSWORD};
use zhunru::platform::config::Config;

#[tokio::test]
async fn every_demo_user_logs_in_with_role_and_organisation() {
    let app = spawn_app().await;
    let expected = [
        ("admin", "admin", "示范区"),
        ("minzheng", "reviewer", "区民政局"),
        ("lingdao", "approver", "区城乡社区建设领导小组"),
        ("caizheng", "finance", "区财政局"),
        ("weijian", "department", "区卫生健康局"),
        ("shijian", "department", "区市场监督管理局"),
        ("xingfu", "community", "幸福社区"),
        ("hexie", "community", "和谐社区"),
        ("ducha", "supervisor", "示范区"),
    ];
    for (username, role, org) in expected {
        let r = app.login_response(username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "{username}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["user"]["username"], username);
        assert_eq!(body["user"]["role"], role);
        let token = body["token"].as_str().unwrap();
        assert!(token.len() >= 32);
        let me: Value = app.get("/api/v1/me", token).await.json().await.unwrap();
        assert_eq!(me["org"]["name"], org, "{username}");
        assert_eq!(me["user"]["org_id"], body["user"]["org_id"]);
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = spawn_app().await;
    let a = assert_error(app.login_response("weijian", "wrong-password").await, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    let b = assert_error(app.login_response("nobody", "wrong-password").await, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    assert_eq!(a, b);
    assert_eq!(a["error"]["message"], "用户名或密码错误");
}

#[tokio::test]
async fn bad_login_input_is_a_validation_error() {
    let app = spawn_app().await;
    let body = assert_error(app.login_response("", "x").await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "username");
    assert_eq!(body["error"]["details"][0]["message"], "请填写用户名");

    let r = app
        .api
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.api.post(app.url("/api/v1/auth/login")).body("username=x").send().await.unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_a_while() {
    let app = spawn_app_with(Config { login_lock: std::time::Duration::from_secs(2), ..Config::default() }).await;
    for _ in 0..5 {
        assert_error(app.login_response("hexie", "wrong-password").await, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    }
    // Locked: even the right password is refused.
    assert_error(app.login_response("hexie", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED").await;
    // Other accounts are not affected.
    assert_eq!(app.login_response("xingfu", PASSWORD).await.status(), StatusCode::OK);
    // When the lock has run out, the right password works again.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(app.login_response("hexie", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn protected_routes_need_a_valid_token() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_error(app.get("/api/v1/me", "forged-token").await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    let r = app.api.get(app.url("/api/v1/orgs")).header("authorization", "Basic YWRtaW46eA==").send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    // Admin-only routes also answer 401 (not 403) to strangers.
    let r = app.api.post(app.url("/api/v1/users")).json(&json!({})).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let token = app.token("weijian").await;
    assert_eq!(app.get("/api/v1/me", &token).await.status(), StatusCode::OK);
    // Move every session's expiry into the past, as time would.
    entity::session::Entity::update_many()
        .col_expr(entity::session::Column::ExpiresAt, sea_orm::sea_query::Expr::value(Utc::now() - Duration::seconds(1)))
        .exec(&app.db)
        .await
        .unwrap();
    assert_error(app.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn login_reports_an_expiry_matching_the_configured_lifetime() {
    let config = zhunru::platform::config::Config {
        session_ttl: std::time::Duration::from_secs(600),
        ..Default::default()
    };
    let app = crate::helpers::spawn_app_with(config).await;
    let body: Value = app.login_response("weijian", PASSWORD).await.json().await.unwrap();
    let expires: chrono::DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - Utc::now();
    assert!(left > Duration::seconds(590) && left <= Duration::seconds(600), "{left}");
    let s = entity::session::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!((s.expires_at - expires).num_seconds().abs() <= 1);
}

#[tokio::test]
async fn logout_ends_the_token() {
    let app = spawn_app().await;
    let token = app.token("caizheng").await;
    let r = app.api.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_error(app.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_logins() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let token = app.token("shijian").await;
    let me: Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
    let id = me["user"]["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/v1/users/{id}"), &admin, json!({"active": false})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_error(app.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_error(app.login_response("shijian", PASSWORD).await, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    app.patch(&format!("/api/v1/users/{id}"), &admin, json!({"active": true})).await;
    assert_eq!(app.login_response("shijian", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_ones_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let here = app.token("xingfu").await;
    let elsewhere = app.token("xingfu").await;
    let r = app
        .api
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&here)
        .json(&json!({"current_password": "wrong", "new_password": "a-new-password-2026"}))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "current_password");
    let r = app
        .api
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&here)
        .json(&json!({"current_password": PASSWORD, "new_password": "short"}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app
        .api
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&here)
        .json(&json!({"current_password": PASSWORD, "new_password": "a-new-password-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &here).await.status(), StatusCode::OK);
    assert_error(app.get("/api/v1/me", &elsewhere).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_eq!(app.login_response("xingfu", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_response("xingfu", "a-new-password-2026").await.status(), StatusCode::OK);
}

/// Thirty wrong guesses at once: the count is taken before any password is checked, so
/// only five are checked at all.
#[tokio::test]
async fn parallel_guesses_are_counted_before_they_are_checked() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (client, url) = (app.api.clone(), app.url("/api/v1/auth/login"));
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"username": "hexie", "password": format!("guess-{i}")})).send().await.unwrap().status()
        }));
    }
    let mut checked = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 5, "exactly five guesses reached the password check");
    println!("login: 30 parallel guesses, {checked} checked, {} refused before checking", 30 - checked);
}

/// A locked unknown name answers exactly like a locked real one: a 429 says nothing about
/// which usernames exist. An address that fails too often is slowed down whatever names
/// it tries, without locking those accounts for anyone else, nor anyone behind it out
/// (issue 28: it used to lock every account from that address).
#[tokio::test]
async fn locks_do_not_reveal_usernames_and_an_address_is_throttled() {
    let app = spawn_app().await;
    for name in ["hexie", "no-such-user"] {
        for _ in 0..5 {
            assert_error(app.login_response(name, "wrong-password").await, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
        }
    }
    let real: Value = assert_error(app.login_response("hexie", "x").await, StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED").await;
    let fake: Value = assert_error(app.login_response("no-such-user", "x").await, StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED").await;
    assert_eq!(real, fake, "the same answer for a real and an invented name");
    // Ten more failures on other names: the address has now failed 20 times.
    for i in 0..10 {
        app.login_response(&format!("guess{i}"), "wrong-password").await;
    }
    assert_eq!(app.login_response("xingfu", PASSWORD).await.status(), StatusCode::OK, "paced, not locked out");
    // Still locked: the pairs that failed five times.
    assert_error(app.login_response("hexie", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED").await;
}

#[tokio::test]
async fn guessing_the_current_password_is_limited_too() {
    let app = spawn_app().await;
    let token = app.token("xingfu").await;
    for _ in 0..5 {
        let r = app.put("/api/v1/me/password", &token, json!({"current_password": "wrong-one", "new_password": "another-password-1"})).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    let r = app.put("/api/v1/me/password", &token, json!({"current_password": PASSWORD, "new_password": "another-password-1"})).await;
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED").await;
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app_with(Config { session_idle: std::time::Duration::from_secs(1), ..Config::default() }).await;
    let token = app.token("xingfu").await;
    assert_eq!(app.get("/api/v1/me", &token).await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_error(app.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

/// An office behind one address logging in at nine o'clock is not an attack: thirty right
/// passwords at once, some for the same account, all get in.
#[tokio::test]
async fn many_right_passwords_at_once_from_one_address_all_get_in() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (client, url) = (app.api.clone(), app.url("/api/v1/auth/login"));
        let user = ["xingfu", "hexie", "shijian"][i % 3];
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"username": user, "password": PASSWORD})).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
}

/// The hidden fields of the form with this id, in order.
fn hidden_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{form_id}\"")).expect("the form");
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| tag.find(&format!("{name}=\"")).map(|i| tag[i + name.len() + 2..].split('"').next().unwrap().to_string());
    form.split("<input").skip(1).filter(|t| t.contains("type=\"hidden\"")).filter_map(|t| Some((attr(t, "name")?, attr(t, "value")?))).map(|(k, v)| (unescape(&k), unescape(&v))).collect()
}

/// HTML character references back to characters, as a browser reads an attribute.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find(';') else { break };
        let entity = &rest[i + 1..i + end];
        let c = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[i + end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Issue 29: a form sent after the idle timeout is not lost. The login page keeps what was
/// typed; after login one button sends it, and it is saved once; nothing is saved before.
#[tokio::test]
async fn a_form_sent_after_the_idle_timeout_is_kept_through_the_login() {
    let app = spawn_app_with(Config { session_idle: std::time::Duration::from_secs(1), ..Config::default() }).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = app.csrf_token(&c, "/login").await;
    let r = c.post(app.url("/login")).form(&[("username", "xingfu"), ("password", PASSWORD), ("next", "/"), ("_csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c.get(app.url("/reports")).send().await.unwrap().text().await.unwrap();
    let form_token = crate::helpers::csrf_of(&page[page.find("id=\"report-form\"").unwrap()..]);
    let dept = app.org_id("区市场监督管理局").await.to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let task = "要求社区代收企业年报 & 统计“两类”商户";
    let app_ref = &app;
    let fields = [("department_id", dept.as_str()), ("task", task), ("assist_item_id", ""), ("occurred_on", "2026-11-30"), ("evidence", "微信通知截图"), ("_csrf", form_token.as_str())];
    let r = c.post(app.url("/reports/new")).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let login = r.text().await.unwrap();
    assert!(login.contains("登录已超时") && login.contains("id=\"login-submit\""), "the login page, saying why");
    let reports = |app: &'static str| {
        let app_ = app_ref;
        async move { app_.list("/api/v1/reports", &app_.token(app).await).await.as_array().unwrap().iter().filter(|r| r["task"] == task).count() }
    };
    assert_eq!(reports("xingfu").await, 0, "nothing saved without a session");

    // Logged in again from that page: the kept form, with a fresh token, one button away.
    let mut again = hidden_fields(&login, "login-form");
    again.extend([("username".to_string(), "xingfu".to_string()), ("password".to_string(), PASSWORD.to_string())]);
    let r = c.post(app.url("/login")).form(&again).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let resume = r.text().await.unwrap();
    assert!(resume.contains("action=\"/reports/new\"") && resume.contains("继续提交"), "{resume}");
    let kept = hidden_fields(&resume, "resume-form");
    assert!(kept.iter().any(|(k, v)| k == "task" && v == task) && kept.iter().any(|(k, v)| k == "evidence" && v == "微信通知截图"), "{kept:?}");
    let r = c.post(app.url("/reports/new")).form(&kept).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(reports("xingfu").await, 1, "saved once");
}

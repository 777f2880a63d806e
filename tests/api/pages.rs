use reqwest::{header, StatusCode};

use crate::helpers::{spawn_app, PASSWORD};

#[tokio::test]
async fn pages_send_strangers_to_the_login_page() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/login");
    let r = app.api.get(app.url("/admin/orgs")).send().await.unwrap();
    assert_eq!(r.headers()[header::LOCATION], "/login?next=/admin/orgs");
    // A bearer token is for the API, not for pages.
    let token = app.token("admin").await;
    let r = app.api.get(app.url("/")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = app.api.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("登录"));
}

/// Issue 29: a resident who reaches the login page finds the public pages from it, and the
/// county's public entry page leads to the lists, the admitted work, the notices and the open
/// data, each answering without an account.
#[tokio::test]
async fn a_stranger_finds_the_public_pages_from_the_login_page() {
    let app = spawn_app().await;
    let county = app.get("/api/v1/me", &app.token("xingfu").await).await.json::<serde_json::Value>().await.unwrap()["user"]["county_id"].as_i64().unwrap();
    let login = app.api.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(login.contains(&format!("<a href=\"/public/{county}\">示范区</a>")), "{login}");
    assert!(!login.contains("示范市</a>"), "a city has no public page of its own");
    let portal = app.api.get(app.url(&format!("/public/{county}"))).send().await.unwrap();
    assert_eq!(portal.status(), StatusCode::OK);
    let portal = portal.text().await.unwrap();
    for link in [format!("/public/{county}/lists"), format!("/public/{county}/admissions"), format!("/public/{county}/notices"), format!("/api/v1/public/{county}/ocds/releases")] {
        assert!(portal.contains(&format!("href=\"{link}\"")), "the portal links {link}");
        let r = app.api.get(app.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{link} opens without an account");
    }
    let lists = app.api.get(app.url(&format!("/public/{county}/lists"))).send().await.unwrap().text().await.unwrap();
    assert!(lists.contains(&format!("href=\"/public/{county}\"")) && lists.contains(&format!("href=\"/api/v1/public/{county}/ocds/releases\"")), "back to the portal and on to the open data");
}

#[tokio::test]
async fn login_form_sets_a_safe_cookie_and_wrong_passwords_say_so_in_chinese() {
    let app = spawn_app().await;
    let c = app.browser();
    let token = app.csrf_token(&c, "/login").await;
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "weijian"), ("password", "wrong-password"), ("next", "/"), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!r.headers().get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().starts_with("zhunru_session")));
    let html = r.text().await.unwrap();
    assert!(html.contains("用户名或密码错误"));
    assert!(html.contains("value=\"weijian\""), "the username stays filled in");

    let r = c
        .post(app.url("/login"))
        .form(&[("username", "weijian"), ("password", PASSWORD), ("next", "/password"), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/password");
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("zhunru_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "plain HTTP on localhost");

    // Behind a TLS-terminating proxy the cookie is Secure, and HSTS is sent.
    let c = app.browser();
    let token = app.csrf_token(&c, "/login").await;
    let r = c
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("username", "weijian"), ("password", PASSWORD), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert!(r.headers()[header::SET_COOKIE].to_str().unwrap().contains("Secure"));
    assert!(r.headers()[header::STRICT_TRANSPORT_SECURITY].to_str().unwrap().contains("max-age="));

    // A login cannot bounce the user to another site, however the address is disguised.
    let mut tried = 0;
    for next in ["//evil.example/x", "/\t/evil.example", "/\\evil.example", "/%09/evil.example", "https://evil.example", "/\n/evil.example", " //evil.example"] {
        let c = app.browser();
        let token = app.csrf_token(&c, "/login").await;
        let r = c
            .post(app.url("/login"))
            .form(&[("username", "weijian"), ("password", PASSWORD), ("next", next), ("_csrf", &token)])
            .send()
            .await
            .unwrap();
        let to = r.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert!(to == "/" || (to.starts_with('/') && !to[1..].starts_with(['/', '\\']) && to.chars().all(|c| c.is_ascii_graphic())), "{next:?} → {to:?}");
        tried += 1;
    }
    println!("pages: {tried} disguised off-site next addresses kept on the site");
}

/// Forged posts: from another site (Origin), or without the token a page of ours gave.
#[tokio::test]
async fn a_post_needs_the_pages_token() {
    let app = spawn_app().await;
    // No token at all, even with the right password: refused, no session.
    let r = app.browser().post(app.url("/login")).form(&[("username", "weijian"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("页面已过期或来源不明"));
    // Logged in, a form without the token changes nothing.
    let c = app.page_login("xingfu").await;
    // A client with no cookie at all (a form on another site, SameSite aside): refused.
    let jarless = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = jarless.post(app.url("/reports/new")).form(&[("task", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url("/reports/new"))
        .header("x-csrf-token", "0".repeat(64))
        .form(&[("department_id", "1"), ("task", "伪造的报告"), ("occurred_on", "2026-01-01"), ("evidence", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let reports: serde_json::Value = app.list("/api/v1/reports", &app.token("minzheng").await).await;
    assert!(reports.as_array().unwrap().is_empty(), "nothing was filed");
    // Every post form of a page carries the token.
    let html = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("method=\"post\"").count(), html.matches("name=\"_csrf\"").count());
}

#[tokio::test]
async fn pages_are_not_framed_cached_or_leaking_referrers() {
    let app = spawn_app().await;
    let c = app.page_login("caizheng").await;
    for path in ["/", "/funds", "/contracts"] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = r.headers();
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(h[header::REFERRER_POLICY], "same-origin");
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}: pages with money are not cached");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP");
    }
    let r = app.get("/api/v1/contracts", &app.token("caizheng").await).await;
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn each_role_has_its_home_page() {
    let app = spawn_app().await;
    let homes = [
        ("admin", "示范区 · 系统管理员工作台", "维护本区/县的组织架构"),
        ("minzheng", "区民政局 · 民政审核工作台", "维护三个清单"),
        ("lingdao", "区城乡社区建设领导小组 · 领导小组审批工作台", "审批或否决准入申请"),
        ("caizheng", "区财政局 · 财政工作台", "向社区拨付资金"),
        ("weijian", "区卫生健康局 · 职能部门工作台", "申请清单外事项准入"),
        ("shijian", "区市场监督管理局 · 职能部门工作台", "起草政府购买服务合同"),
        ("xingfu", "幸福社区 · 社区工作台", "拒绝未经准入的工作并报告"),
        ("hexie", "和谐社区 · 社区工作台", "确认资金到账"),
        ("ducha", "示范区 · 督查工作台", "擅自下沉"),
    ];
    for (who, title, duty) in homes {
        let c = app.page_login(who).await;
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{who}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'self'"));
        let html = r.text().await.unwrap();
        assert!(html.contains(title), "{who}: {title}");
        assert!(html.contains(duty), "{who}: {duty}");
        assert_eq!(html.contains("/admin/orgs"), who == "admin", "{who}: admin link only for admin");
        // Nothing is loaded from another host.
        assert!(!html.contains("http://") && !html.contains("https://"), "{who}: no external assets");
    }
}

#[tokio::test]
async fn the_admin_page_is_for_the_admin_only() {
    let app = spawn_app().await;
    let c = app.page_login("xingfu").await;
    let r = c.get(app.url("/admin/orgs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("无权"));
    let r = c
        .post(app.url("/admin/users"))
        .form(&[("org_id", "1"), ("username", "evil"), ("display_name", "x"), ("role", "admin"), ("password", "long-enough-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.login_response("evil", "long-enough-pw").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_admin_opens_an_account_from_the_page() {
    let app = spawn_app().await;
    let c = app.page_login("admin").await;
    let html = c.get(app.url("/admin/orgs")).send().await.unwrap().text().await.unwrap();
    for name in ["示范区", "区民政局", "示范街道", "幸福社区", "和谐社区"] {
        assert!(html.contains(name), "{name} in the tree");
    }
    let org = app.org_id("幸福社区").await.to_string();
    let form = |username: &'static str, role: &'static str| {
        vec![
            ("org_id", org.clone()),
            ("username", username.to_string()),
            ("display_name", "幸福社区主任".to_string()),
            ("role", role.to_string()),
            ("password", "xingfu-director-1".to_string()),
        ]
    };
    // Wrong role for a community: the page says why and nothing is created.
    let r = c.post(app.url("/admin/users")).form(&form("xingfu2", "finance")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("“财政”角色不能设在幸福社区"));
    assert_eq!(app.login_response("xingfu2", "xingfu-director-1").await.status(), StatusCode::UNAUTHORIZED);

    let r = c.post(app.url("/admin/users")).form(&form("xingfu2", "community")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/admin/orgs?done=user");
    let html = c.get(app.url("/admin/orgs?done=user")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("已开设账号") && html.contains("xingfu2"));
    assert_eq!(app.login_response("xingfu2", "xingfu-director-1").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_and_foreign_form_posts() {
    let app = spawn_app().await;
    let c = app.page_login("caizheng").await;
    // A form posted from another site is refused even with the cookie.
    let r = c.post(app.url("/logout")).header(header::ORIGIN, "http://evil.example").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), StatusCode::OK);

    let r = c.post(app.url("/logout")).header(header::ORIGIN, app.addr.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/login");
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn assets_come_from_the_binary() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(r.text().await.unwrap().contains("--red"));
    let r = app.api.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("页面不存在"));
}

/// Issue 29: the hints cite the seeds by their documents' titles, not by file number; a
/// clerk's own words are shown as written (see `screening::a_doubtful_finding_blocks…`).
#[tokio::test]
async fn hints_cite_the_documents_by_their_titles() {
    let app = spawn_app().await;
    for (user, page) in [("minzheng", "/disputes"), ("minzheng", "/screening"), ("xingfu", "/reports")] {
        let html = app.page_login(user).await.get(app.url(page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("《关于建立城乡社区工作事项准入备案制度的指导意见》"), "{page} names the document");
        assert!(!html.contains("001 §") && !html.contains("000 §"), "{page} shows no seed numbers");
    }
}

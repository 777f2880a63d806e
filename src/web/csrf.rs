//! Cross-site request forgery: every state-changing page request carries a token that a
//! page of ours put there, besides SameSite cookies and the Origin check.
//!
//! The token is derived from the session cookie (a hash of it under its own label), so
//! nothing is stored and it changes with every login; before login (the login form) it is
//! derived from a random pre-session cookie. Pages get it without any template knowing:
//! HTML answers have a hidden `_csrf` field added to each `<form method="post">`. A post
//! must carry it as that field or as the `X-CSRF-Token` header (script requests).
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sha2::{Digest, Sha256};

use crate::platform::auth::SESSION_COOKIE;
use crate::platform::error::AppError;
use crate::web::PageError;

pub const FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";
const PRE_SESSION_COOKIE: &str = "zhunru_csrf";
/// Forms post at most an attachment (5 MB) or a workbook; beyond this the route's own
/// limit answers anyway.
const MAX_FORM_BODY: usize = 12 * 1024 * 1024;
const MAX_PAGE: usize = 32 * 1024 * 1024;

/// The token of the pages of a session (a page sent with a new session's cookie, before
/// the browser has it, carries it itself).
pub fn session_token(session: &str) -> String {
    token_for(session)
}

fn token_for(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("zhunru-csrf|{secret}").as_bytes()))
}

/// A post's body carries the token as a urlencoded field or a multipart part.
fn body_carries(body: &[u8], token: &str) -> bool {
    let urlencoded = body.split(|b| *b == b'&').any(|pair| pair == format!("{FIELD}={token}").as_bytes());
    let part = format!("name=\"{FIELD}\"\r\n\r\n{token}\r\n");
    urlencoded || body.windows(part.len()).any(|w| w == part.as_bytes())
}

/// Why a urlencoded form body is refused for a hidden character (a bidi control, NUL …)
/// in any name or value: the pages' counterpart of the JSON check
/// (`platform::input::hidden_characters`).
fn hidden_characters(body: &[u8]) -> Option<&'static str> {
    form_urlencoded::parse(body).find_map(|(k, v)| crate::platform::input::hidden_characters(&k).or(crate::platform::input::hidden_characters(&v)))
}

fn refused() -> Response {
    PageError(AppError::new(StatusCode::FORBIDDEN, "CSRF_FAILED", "页面已过期或来源不明，请刷新页面后重试")).into_response()
}

pub async fn protect(req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let session = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    let pre = jar.get(PRE_SESSION_COOKIE).map(|c| c.value().to_string());
    let expected = session.as_deref().or(pre.as_deref()).map(token_for);
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);

    let req = if writes {
        let Some(expected) = expected.as_deref() else { return refused() };
        let by_header = req.headers().get(HEADER).is_some_and(|v| v.as_bytes() == expected.as_bytes());
        // Only urlencoded forms are read for text: a multipart body carries photos, whose
        // bytes may be anything.
        let urlencoded = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
        if by_header && !urlencoded {
            req
        } else {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_FORM_BODY).await else {
                return PageError(AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "提交的内容过大（附件不超过 5 MB）"))
                    .into_response();
            };
            if !by_header && !body_carries(&bytes, expected) {
                return refused();
            }
            if let Some(why) = urlencoded.then(|| hidden_characters(&bytes)).flatten() {
                let msg = format!("提交的{why}");
                return PageError(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", msg)).into_response();
            }
            Request::from_parts(parts, Body::from(bytes))
        }
    } else {
        req
    };

    let res = next.run(req).await;
    let is_html = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_html {
        return res;
    }
    // A page before login gets its pre-session secret now.
    let (token, new_cookie) = match expected {
        Some(t) => (t, None),
        None => {
            let secret = crate::platform::auth::random_key();
            (token_for(&secret), Some(secret))
        }
    };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let html = add_token(&String::from_utf8_lossy(&bytes), &token);
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(secret) = new_cookie {
        let c = Cookie::build((PRE_SESSION_COOKIE, secret)).path("/").http_only(true).same_site(SameSite::Strict).build();
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            parts.headers.append(header::SET_COOKIE, v);
        }
    }
    Response::from_parts(parts, Body::from(html))
}

/// Adds the hidden token field right after each `<form … method="post" …>` tag.
pub fn add_token(html: &str, token: &str) -> String {
    let field = format!(r#"<input type="hidden" name="{FIELD}" value="{token}">"#);
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(i) = rest.find("<form") {
        let Some(end) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + end + 1];
        out.push_str(&rest[..i + end + 1]);
        if tag.to_ascii_lowercase().contains("method=\"post\"") {
            out.push_str(&field);
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Refuses a query string with a hidden character (NUL, a bidi control …) in any name or
/// value, for the API and the pages alike: a search for `%00` would otherwise reach
/// PostgreSQL, which refuses NUL in text, as a 500.
pub async fn query_text(req: Request, next: Next) -> Response {
    let hidden = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find_map(|(k, v)| crate::platform::input::hidden_characters(&k).or(crate::platform::input::hidden_characters(&v)).map(|why| (k.into_owned(), why)))
    });
    match hidden {
        Some((field, why)) if req.uri().path().starts_with("/api/") => AppError::invalid(&field, why).into_response(),
        Some((_, why)) => PageError(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", format!("查询条件{why}"))).into_response(),
        None => next.run(req).await,
    }
}

/// Security headers on every answer: no framing (X-Frame-Options for the IE-mode browsers
/// still common on government intranets, beside CSP's frame-ancestors), no referrer sent
/// elsewhere, nothing with money or names kept in caches, HSTS when the request came over
/// TLS.
pub async fn headers(req: Request, next: Next) -> Response {
    let tls = req.headers().get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_post_forms_get_the_token() {
        let html = r#"<form method="get" action="/x"><input></form><form method="post" action="/y" id="f"><button></form>"#;
        let out = add_token(html, "abc");
        assert_eq!(out.matches("name=\"_csrf\"").count(), 1);
        assert!(out.contains(r#"id="f"><input type="hidden" name="_csrf" value="abc">"#));
    }

    #[test]
    fn forms_with_bidi_controls_are_caught_raw_or_encoded() {
        assert!(hidden_characters("title=社区\u{202E}法执管城".as_bytes()).is_some());
        assert!(hidden_characters(b"title=%e7%a4%be%E2%80%AE%e6%b3%95").is_some());
        assert!(hidden_characters(b"title=a%e2%81%a7b").is_some());
        assert!(hidden_characters(b"basis=%00").unwrap().contains("控制字符"));
        assert!(hidden_characters(b"plan=a%0D%0Ab%09c").is_none(), "line breaks and tabs are text");
        assert!(hidden_characters("title=社区环境卫生&x=%E2%80%94".as_bytes()).is_none());
    }

    #[test]
    fn the_token_must_be_a_whole_field() {
        let t = token_for("secret");
        assert!(body_carries(format!("a=1&_csrf={t}&b=2").as_bytes(), &t));
        assert!(!body_carries(format!("a=1&_csrf={t}x").as_bytes(), &t));
        assert!(!body_carries(format!("x_csrf={t}").as_bytes(), &t));
        let multipart = format!("--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{t}\r\n--b--");
        assert!(body_carries(multipart.as_bytes(), &t));
        assert_ne!(token_for("secret"), token_for("other"));
    }
}

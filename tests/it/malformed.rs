//! Bad input of every kind gets its 4xx and a problem+json body, never a 5xx
//! (API.md, "Conventions"). The harness itself fails any 5xx.

use crate::common::{s, Harness};
use lambda_http::http::Request as HttpRequest;
use lambda_http::Body;
use roster_api::Function;
use serde_json::json;

fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Body,
) -> lambda_http::Request {
    let mut b = HttpRequest::builder().method(method).uri(format!("https://api.roster.test{path}"));
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body).expect("request")
}

fn assert_problem(r: &crate::common::Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert_eq!(r.body["status"], status);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(!s(&r.body["title"]).is_empty());
}

#[tokio::test]
async fn bodies_that_are_not_the_right_json_are_400() {
    let h = Harness::new().await;
    let (_, token) = h.signup("d@clinic.example").await;
    let cases: Vec<(Function, &str, &str, Body, Option<&str>)> = vec![
        (Function::Auth, "POST", "/auth/signup", Body::from("{not json"), Some("application/json")),
        (Function::Auth, "POST", "/auth/signup", Body::from("[1,2]"), Some("application/json")),
        (Function::Auth, "POST", "/auth/signup", Body::from(""), Some("application/json")),
        (Function::Auth, "POST", "/auth/signup", Body::from(json!({"email": 7}).to_string()), Some("application/json")),
        (
            Function::Auth,
            "POST",
            "/auth/signup",
            Body::from(json!({"email": "a@b.co", "admin": true}).to_string()),
            Some("application/json"),
        ),
        (
            Function::Auth,
            "POST",
            "/auth/login",
            Body::from("email=a&password=b"),
            Some("application/x-www-form-urlencoded"),
        ),
        (Function::Auth, "POST", "/auth/login", Body::Binary(vec![0xff, 0xfe, 0x00]), Some("application/json")),
        (
            Function::Auth,
            "PATCH",
            "/me",
            Body::from(json!({"first_name": ["x"]}).to_string()),
            Some("application/json"),
        ),
        (
            Function::Directory,
            "POST",
            "/practices",
            Body::from(json!({"name": "X", "location": "Main"}).to_string()),
            Some("application/json"),
        ),
        (
            Function::Directory,
            "POST",
            "/practices",
            Body::from(json!({"name": "X", "location": {"name": "M", "floor": 2}}).to_string()),
            Some("application/json"),
        ),
    ];
    for (f, method, path, body, ct) in cases {
        let tok = (path != "/auth/signup" && path != "/auth/login").then_some(token.as_str());
        let r = h.raw(f, request(method, path, tok, ct, body)).await;
        assert_problem(&r, 400, "malformed_request");
    }
    // A body without a Content-Type is read as JSON.
    let r = h
        .raw(
            Function::Auth,
            request(
                "POST",
                "/auth/login",
                None,
                None,
                Body::from(json!({"email": "d@clinic.example", "password": "correct horse battery"}).to_string()),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn broken_field_rules_are_422_naming_each_field() {
    let h = Harness::new().await;
    let (_, token) = h.signup("d@clinic.example").await;
    let r = h
        .auth(
            "POST",
            "/auth/signup",
            None,
            Some(json!({"email": "nope", "password": "short", "first_name": "", "title": "x".repeat(51)})),
        )
        .await;
    assert_problem(&r, 422, "validation_failed");
    let fields: Vec<_> =
        r.body["errors"].as_array().map(|a| a.iter().map(|e| s(&e["field"])).collect()).unwrap_or_default();
    assert_eq!(fields, vec!["email", "password", "first_name", "last_name", "title"]);
    assert!(r.body["errors"].as_array().is_some_and(|a| a.iter().all(|e| !s(&e["message"]).is_empty())));

    let r = h
        .dir("POST", "/practices", Some(&token), Some(json!({"name": " ", "location": {"time_zone": "nowhere"}})))
        .await;
    assert_problem(&r, 422, "validation_failed");
    let fields: Vec<_> =
        r.body["errors"].as_array().map(|a| a.iter().map(|e| s(&e["field"])).collect()).unwrap_or_default();
    assert_eq!(fields, vec!["name", "location.name", "location.time_zone"]);

    let r = h.dir("POST", "/practices", Some(&token), Some(json!({}))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = h.auth("POST", "/auth/login", None, Some(json!({}))).await;
    assert_problem(&r, 422, "validation_failed");

    let pid = h.practice(&token, "Clinic").await;
    for q in ["limit=0", "limit=101", "limit=abc", "status=pending", "cursor=!!!", "cursor=TUVNQkVSI25vcGU"] {
        let r = h.dir("GET", &format!("/practices/{pid}/members?{q}"), Some(&token), None).await;
        assert_problem(&r, 422, "validation_failed");
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let h = Harness::new().await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(70 * 1024)}).to_string();
    let r =
        h.raw(Function::Auth, request("POST", "/auth/signup", None, Some("application/json"), Body::from(big))).await;
    assert_problem(&r, 413, "payload_too_large");
    // Exactly at the limit is read (and then judged on its fields).
    let pad = 64 * 1024 - json!({"email": "a@b.co", "first_name": ""}).to_string().len();
    let edge = json!({"email": "a@b.co", "first_name": "y".repeat(pad)}).to_string();
    assert_eq!(edge.len(), 64 * 1024);
    let r =
        h.raw(Function::Auth, request("POST", "/auth/signup", None, Some("application/json"), Body::from(edge))).await;
    assert_problem(&r, 422, "validation_failed");
}

#[tokio::test]
async fn missing_or_dead_sessions_are_401() {
    let h = Harness::new().await;
    for (f, method, path) in [
        (Function::Auth, "GET", "/me"),
        (Function::Auth, "PATCH", "/me"),
        (Function::Auth, "POST", "/me/password"),
        (Function::Auth, "POST", "/auth/logout"),
        (Function::Directory, "POST", "/practices"),
        (Function::Directory, "GET", "/permissions"),
        (Function::Directory, "GET", "/practices/not-an-id/members"),
    ] {
        for header in [None, Some("Bearer"), Some("Basic abc"), Some("Bearer x.y")] {
            let mut b = HttpRequest::builder().method(method).uri(format!("https://api.roster.test{path}"));
            if let Some(v) = header {
                b = b.header("authorization", v);
            }
            let r = h.raw(f, b.body(Body::Empty).expect("request")).await;
            assert_problem(&r, 401, "unauthenticated");
        }
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let h = Harness::new().await;
    let (_, token) = h.signup("d@clinic.example").await;
    let r = h.auth("GET", "/nope", Some(&token), None).await;
    assert_problem(&r, 404, "not_found");
    let r = h.auth("DELETE", "/me", Some(&token), None).await;
    assert_problem(&r, 405, "method_not_allowed");
    // A route of another function is not served here.
    let r = h.auth("GET", "/permissions", Some(&token), None).await;
    assert_problem(&r, 404, "not_found");
    let r = h.dir("GET", "/practices/../../me", Some(&token), None).await;
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
}

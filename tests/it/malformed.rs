//! Bad input of every kind gets its 4xx and a problem+json body, never a 5xx
//! (API.md, "Conventions"). The harness itself fails any 5xx.

use crate::common::{s, Harness, Reply};
use lambda_http::Body;
use roster_api::Function;
use serde_json::json;

/// A request with any body and Content-Type (or none), sent to the function
/// that serves the route.
async fn send(
    h: &Harness,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Body,
) -> Reply {
    let mut req = h.req(method, path).body(body);
    if let Some(t) = token {
        req = req.token(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.send().await
}

fn assert_problem(r: &Reply, status: u16, code: &str) {
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
    let cases: Vec<(&str, &str, Body, Option<&str>)> = vec![
        ("POST", "/auth/signup", Body::from("{not json"), Some("application/json")),
        ("POST", "/auth/signup", Body::from("[1,2]"), Some("application/json")),
        ("POST", "/auth/signup", Body::from(""), Some("application/json")),
        ("POST", "/auth/signup", Body::from(json!({"email": 7}).to_string()), Some("application/json")),
        (
            "POST",
            "/auth/signup",
            Body::from(json!({"email": "a@b.co", "admin": true}).to_string()),
            Some("application/json"),
        ),
        ("POST", "/auth/login", Body::from("email=a&password=b"), Some("application/x-www-form-urlencoded")),
        ("POST", "/auth/login", Body::Binary(vec![0xff, 0xfe, 0x00]), Some("application/json")),
        ("PATCH", "/me", Body::from(json!({"first_name": ["x"]}).to_string()), Some("application/json")),
        (
            "POST",
            "/practices",
            Body::from(json!({"name": "X", "location": "Main"}).to_string()),
            Some("application/json"),
        ),
        (
            "POST",
            "/practices",
            Body::from(json!({"name": "X", "location": {"name": "M", "floor": 2}}).to_string()),
            Some("application/json"),
        ),
    ];
    for (method, path, body, ct) in cases {
        let tok = (path != "/auth/signup" && path != "/auth/login").then_some(token.as_str());
        let r = send(&h, method, path, tok, ct, body).await;
        assert_problem(&r, 400, "malformed_request");
    }
    // A body without a Content-Type is read as JSON.
    let body = Body::from(json!({"email": "d@clinic.example", "password": "correct horse battery"}).to_string());
    let r = send(&h, "POST", "/auth/login", None, None, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// The invite and access-change bodies embed the access fields with serde's
// flatten, which cannot deny unknown fields itself: an unknown field there
// is a 400 all the same, and nothing is written.
#[tokio::test]
async fn unknown_fields_beside_the_access_fields_are_400() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("d@clinic.example", "Harbour").await;
    let (uid, _) = h.member(&pid, "m@clinic.example", "front_desk", roster_domain::model::MemberStatus::Active).await;
    let loc = s(&h.call("GET", &format!("/practices/{pid}/locations"), Some(&d), None).await.body["items"][0]["id"]);
    let invite = json!({"email": "n@clinic.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": loc, "bogus": 1});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(invite)).await;
    assert_problem(&r, 400, "malformed_request");
    assert!(s(&r.body["detail"]).contains("bogus"), "{}", r.body);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations"), Some(&d), None).await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.body);
    for body in [json!({"bogus": 1}), json!({"access_billing": false, "access": {"kind": "staff"}})] {
        let r = h.call("PATCH", &format!("/practices/{pid}/members/{uid}"), Some(&d), Some(body)).await;
        assert_problem(&r, 400, "malformed_request");
    }
    let m = h.call("GET", &format!("/practices/{pid}/members/{uid}"), Some(&d), None).await;
    assert_eq!((m.body["access_billing"].clone(), m.body["version"].clone()), (json!(true), json!(1)), "{}", m.body);
}

#[tokio::test]
async fn broken_field_rules_are_422_naming_each_field() {
    let h = Harness::new().await;
    let (_, token) = h.signup("d@clinic.example").await;
    let r = h
        .call(
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
        .call("POST", "/practices", Some(&token), Some(json!({"name": " ", "location": {"time_zone": "nowhere"}})))
        .await;
    assert_problem(&r, 422, "validation_failed");
    let fields: Vec<_> =
        r.body["errors"].as_array().map(|a| a.iter().map(|e| s(&e["field"])).collect()).unwrap_or_default();
    assert_eq!(fields, vec!["name", "location.name", "location.time_zone"]);

    let r = h.call("POST", "/practices", Some(&token), Some(json!({}))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = h.call("POST", "/auth/login", None, Some(json!({}))).await;
    assert_problem(&r, 422, "validation_failed");

    let pid = h.practice(&token, "Clinic").await;
    for q in ["limit=0", "limit=101", "limit=abc", "status=pending", "cursor=!!!", "cursor=TUVNQkVSI25vcGU"] {
        let r = h.call("GET", &format!("/practices/{pid}/members?{q}"), Some(&token), None).await;
        assert_problem(&r, 422, "validation_failed");
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let h = Harness::new().await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(70 * 1024)}).to_string();
    let r = send(&h, "POST", "/auth/signup", None, Some("application/json"), Body::from(big)).await;
    assert_problem(&r, 413, "payload_too_large");
    // Exactly at the limit is read (and then judged on its fields).
    let pad = 64 * 1024 - json!({"email": "a@b.co", "first_name": ""}).to_string().len();
    let edge = json!({"email": "a@b.co", "first_name": "y".repeat(pad)}).to_string();
    assert_eq!(edge.len(), 64 * 1024);
    let r = send(&h, "POST", "/auth/signup", None, Some("application/json"), Body::from(edge)).await;
    assert_problem(&r, 422, "validation_failed");
}

#[tokio::test]
async fn missing_or_dead_sessions_are_401() {
    let h = Harness::new().await;
    for (method, path) in [
        ("GET", "/me"),
        ("PATCH", "/me"),
        ("POST", "/me/password"),
        ("POST", "/auth/logout"),
        ("POST", "/practices"),
        ("GET", "/permissions"),
        ("GET", "/practices/not-an-id/members"),
    ] {
        for header in [None, Some("Bearer"), Some("Basic abc"), Some("Bearer x.y")] {
            let mut req = h.req(method, path);
            if let Some(v) = header {
                req = req.header("authorization", v);
            }
            let r = req.send().await;
            assert_problem(&r, 401, "unauthenticated");
        }
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let h = Harness::new().await;
    let (_, token) = h.signup("d@clinic.example").await;
    // Requests no route serves, each sent to a function by name: the route
    // table has nothing to pick.
    let r = h.req("GET", "/nope").token(&token).send_to_function(Function::Auth).await;
    assert_problem(&r, 404, "not_found");
    let r = h.req("DELETE", "/me").token(&token).send_to_function(Function::Auth).await;
    assert_problem(&r, 405, "method_not_allowed");
    // RFC 9110: a 405 says which methods the path does take.
    assert_eq!(r.headers.get("allow").and_then(|v| v.to_str().ok()), Some("GET, PATCH"));
    // A route of another function is not served here.
    let r = h.req("GET", "/permissions").token(&token).send_to_function(Function::Auth).await;
    assert_problem(&r, 404, "not_found");
    let r = h.req("GET", "/practices/../../me").token(&token).send_to_function(Function::Directory).await;
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
    // What the API's catch-all route hands the directory function: paths no
    // route has are 404, a wrong method on another function's path 405.
    let r = h.req("GET", "/no/such/thing").send_to_function(Function::Directory).await;
    assert_problem(&r, 404, "not_found");
    let r = h.req("PUT", "/auth/login").send_to_function(Function::Directory).await;
    assert_problem(&r, 405, "method_not_allowed");
    assert_eq!(r.headers.get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
}

/// Issue 14 item 9: API Gateway hands a body that is not UTF-8 over
/// base64-encoded (`isBase64Encoded`), so Roster reads the bytes and refuses
/// them as JSON: a 400 problem, never a 5xx. (`cargo lambda watch` refuses
/// such a body itself, before Roster runs; that 500 is the emulator's.)
#[tokio::test]
async fn a_base64_body_that_is_not_utf8_is_a_400_problem() {
    use base64::Engine as _;
    let h = Harness::new().await;
    for bytes in [&[0xff, 0xfe, b'{'][..], b"{\"email\": \"\xc3\x28\"}"] {
        let event = json!({
            "version": "2.0",
            "routeKey": "POST /auth/login",
            "rawPath": "/auth/login",
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {
                "http": {"method": "POST", "path": "/auth/login", "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1", "userAgent": "test"},
                "requestId": "base64-test", "routeKey": "POST /auth/login", "stage": "$default",
                "accountId": "1", "apiId": "a", "domainName": "api.roster.test", "domainPrefix": "api",
                "time": "30/Nov/2026:00:00:00 +0000", "timeEpoch": 0
            },
            "body": base64::engine::general_purpose::STANDARD.encode(bytes),
            "isBase64Encoded": true
        });
        let req = lambda_http::request::from_str(&event.to_string()).expect("an HTTP API event");
        let r = h.handle(Function::Auth, req).await;
        assert_problem(&r, 400, "malformed_request");
        assert_eq!(r.body["instance"], "urn:roster:request:base64-test");
    }
}

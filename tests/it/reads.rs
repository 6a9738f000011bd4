//! Issue 15 item 4: what a route costs in DynamoDB calls, through the real
//! handlers, so that a change adding a read fails here. Each call is a
//! round trip; the first of a signed-in request is the session's
//! BatchGetItem.

use crate::common::{route_of, s, Harness, Reply, DIRECTOR};
use aws_sdk_dynamodb::types::AttributeValue;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

/// The reply to one GET and the DynamoDB operations it made, in order.
async fn traced(h: &Harness, path: &str, token: Option<&str>) -> (Reply, Vec<String>) {
    traced_call(h, "GET", path, token, None).await
}

pub(crate) async fn traced_call(
    h: &Harness,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (Reply, Vec<String>) {
    let (function, _) = route_of(method, path).expect("a route");
    let usage = h.usage.as_ref().expect("a recording harness");
    let before = usage.of(function).calls.len();
    let reply = h.call(method, path, token, body).await;
    let ops = usage.of(function).calls[before..].iter().map(|c| c.operation.clone()).collect();
    (reply, ops)
}

/// A practice with a custom role, and a verified member holding it.
async fn member_with_custom_role(h: &Harness) -> (String, String, String, String) {
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&director, &pid, "Office manager", &["users.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    let role_id = s(&role.body["id"]);
    let (uid, token) = h.member(&pid, "mia@clinic.example", &role_id, MemberStatus::Active).await;
    h.verify("mia@clinic.example").await;
    (director, pid, uid, token)
}

// `GET /me`: the memberships and the pending invitations side by side,
// then one batch of the practices and custom roles they name.
#[tokio::test]
async fn me_reads_two_lists_then_one_batch() {
    let h = Harness::recording().await;
    let (_, pid, _, token) = member_with_custom_role(&h).await;
    let (_, other, other_pid) = h.director("boss@elsewhere.example", "Elsewhere").await;
    assert_eq!(h.invite(&other, &other_pid, "mia@clinic.example").await.status, 201);

    let (r, mut ops) = traced(&h, "/me", Some(&token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["pending_invitations"], 1);
    assert_eq!(r.body["memberships"][0]["practice_id"], pid.as_str());
    assert_eq!(r.body["memberships"][0]["practice_name"], "Harbour Clinic");
    assert_eq!(r.body["memberships"][0]["permissions"], json!(["users.view"]));
    // The two queries run at once, so either may be logged first.
    ops[1..3].sort();
    assert_eq!(ops, ["BatchGetItem", "Query", "Query", "BatchGetItem"]);
}

// One member: the membership and its user in one batch after the session.
#[tokio::test]
async fn one_member_is_one_read() {
    let h = Harness::recording().await;
    let (director, pid, uid, _) = member_with_custom_role(&h).await;
    h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;
    let sam = s(&h.call("GET", &format!("/practices/{pid}/members"), Some(&director), None).await.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|m| m["email"] == "sam@clinic.example"))
        .expect("sam listed")["user_id"]);

    let (r, ops) = traced(&h, &format!("/practices/{pid}/members/{sam}"), Some(&director)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["email"], "sam@clinic.example");
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem"]);

    // A custom role is one more read, for its permissions...
    let (r, ops) = traced(&h, &format!("/practices/{pid}/members/{uid}"), Some(&director)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["permissions"], json!(["users.view"]));
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem", "GetItem"]);
}

// ...but not when it is the caller's own: their permissions already read it.
#[tokio::test]
async fn oneself_with_a_custom_role_reads_the_role_once() {
    let h = Harness::recording().await;
    let (_, pid, uid, token) = member_with_custom_role(&h).await;
    let (r, ops) = traced(&h, &format!("/practices/{pid}/members/{uid}"), Some(&token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["permissions"], json!(["users.view"]));
    assert_eq!(ops, ["BatchGetItem", "GetItem"]);
}

// The public preview: the link's token item, then the invitation, its
// practice and the address's email claim in one batch.
#[tokio::test]
async fn the_preview_is_the_token_then_one_batch() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.signup("has.account@mail.example").await;
    for (email, exists) in [("new.person@mail.example", false), ("has.account@mail.example", true)] {
        assert_eq!(h.invite(&director, &pid, email).await.status, 201);
        let (r, ops) = traced(&h, &format!("/invitations/{}", h.invite_token_for(email)), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["practice_name"], "Harbour Clinic");
        assert_eq!(r.body["email"], email);
        assert_eq!(r.body["account_exists"], exists, "{email}");
        assert_eq!(ops, ["GetItem", "BatchGetItem"], "{email}");
    }
}

// A token item written before it carried the address still previews
// rightly, with one read more.
#[tokio::test]
async fn an_older_token_item_reads_the_claim_after() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.signup("has.account@mail.example").await;
    assert_eq!(h.invite(&director, &pid, "has.account@mail.example").await.status, 201);
    let token = h.last_invite_token();
    let key = [
        ("PK", AttributeValue::S(format!("INVTOKEN#{}", roster_domain::secrets::sha256_hex(&token)))),
        ("SK", AttributeValue::S("INVTOKEN".into())),
    ];
    h.client
        .update_item()
        .table_name(&h.table)
        .set_key(Some(key.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
        .update_expression("REMOVE email_norm")
        .condition_expression("attribute_exists(email_norm)")
        .send()
        .await
        .expect("the token item carried the address");

    let (r, ops) = traced(&h, &format!("/invitations/{token}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account_exists"], true);
    assert_eq!(ops, ["GetItem", "BatchGetItem", "GetItem"]);
}

/// The calls before the request's transaction. What follows it is the
/// delivery of its mail and events, which leaves the request (issue 15
/// item 3).
fn reads_before_the_transaction(ops: &[String]) -> Vec<String> {
    let at = ops.iter().position(|o| o == "TransactWriteItems").expect("a transaction");
    ops[..at].to_vec()
}

// Invite: one batch of what the request names (the slot, the email claim,
// the bounce mark, the named locations and custom role), then the one
// transaction; a listed location and a custom role read nothing more.
#[tokio::test]
async fn invite_reads_one_batch_then_commits() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = s(&h.create_role(&director, &pid, "Office manager", &["users.view"]).await.body["id"]);
    let loc = h.first_location(&director, &pid).await;
    let path = format!("/practices/{pid}/invitations");
    let bodies = [
        json!({"email": "a@mail.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc}),
        json!({"email": "b@mail.example", "kind": "staff", "role_id": role, "primary_location_id": loc,
            "location_access": [loc]}),
    ];
    for body in bodies {
        let (r, ops) = traced_call(&h, "POST", &path, Some(&director), Some(body.clone())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["role_id"], body["role_id"]);
        assert_eq!(reads_before_the_transaction(&ops), ["BatchGetItem", "BatchGetItem"], "{body}");
        // What the batch read of the primary location, the commit checks.
        let usage = h.usage.as_ref().expect("a recording harness");
        let calls = usage.of(roster_api::Function::Invite).calls;
        let tx = calls.iter().rev().find(|c| c.operation == "TransactWriteItems").expect("the commit");
        let checks: Vec<_> = tx
            .items
            .iter()
            .filter(|i| i.action == "ConditionCheckItem" && i.condition.as_deref() == Some("#active = :true"))
            .collect();
        assert_eq!(checks.len(), 1, "{tx:?}");
        assert_eq!(checks[0].partition, format!("PRACTICE#{pid}"));
    }
}

// With no role named, the practice's settings come in the same batch; only
// a custom default role, unknown until they came, is one read more.
#[tokio::test]
async fn invite_with_a_default_role_reads_the_settings_in_the_batch() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&director, &pid).await;
    let path = format!("/practices/{pid}/invitations");
    let body = |email: &str| json!({"email": email, "kind": "staff", "primary_location_id": loc});
    let (r, ops) = traced_call(&h, "POST", &path, Some(&director), Some(body("a@mail.example"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role_id"], "front_desk");
    assert_eq!(reads_before_the_transaction(&ops), ["BatchGetItem", "BatchGetItem"]);

    let role = s(&h.create_role(&director, &pid, "Office manager", &["users.view"]).await.body["id"]);
    let saved = h
        .req("PUT", &format!("/practices/{pid}/settings"))
        .token(&director)
        .if_match(1)
        .json(json!({"default_roles": {"practitioner": "clinician", "staff": role}, "onboarding_mails": true}))
        .send()
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let (r, ops) = traced_call(&h, "POST", &path, Some(&director), Some(body("b@mail.example"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role_id"], role.as_str());
    assert_eq!(reads_before_the_transaction(&ops), ["BatchGetItem", "BatchGetItem", "GetItem"]);
}

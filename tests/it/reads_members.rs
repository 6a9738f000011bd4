//! Issue 15 item 4 for the routes that change a member, leave a practice or
//! grant support access: after the session's BatchGetItem, one read and one
//! transaction, pinned call by call through the real handlers (as
//! `reads.rs` does for the read routes), so a change adding a call fails
//! here. A custom role the member already holds is known only from the
//! membership: one batch more.

use crate::common::{route_of, s, Harness, Reply, DIRECTOR};
use roster_adapters::dynamo::call_log::Call;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

/// The reply to one request and the DynamoDB calls it made, in order.
async fn traced(h: &Harness, method: &str, path: &str, token: &str, body: Option<Value>) -> (Reply, Vec<Call>) {
    let (function, _) = route_of(method, path).expect("a route");
    let usage = h.usage.as_ref().expect("a recording harness");
    let before = usage.of(function).calls.len();
    let reply = h.call(method, path, Some(token), body).await;
    (reply, usage.of(function).calls[before..].to_vec())
}

/// The operations of `calls`; those from `parallel` on, `n` of them, were
/// made at once, so are sorted (either may be logged first).
fn ops(calls: &[Call], parallel: usize, n: usize) -> Vec<String> {
    let mut ops: Vec<String> = calls.iter().map(|c| c.operation.clone()).collect();
    ops[parallel..parallel + n].sort();
    ops
}

const ONE_READ: [&str; 3] = ["BatchGetItem", "BatchGetItem", "TransactWriteItems"];
const READ_AND_ROLE: [&str; 4] = ["BatchGetItem", "BatchGetItem", "BatchGetItem", "TransactWriteItems"];

/// A practice with a custom role; returns (director's session, practice, role).
async fn practice_with_role(h: &Harness) -> (String, String, String) {
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&director, &pid, "Office manager", &["users.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    (director, pid, s(&role.body["id"]))
}

// Update access: the member, their user, the role and the locations the
// patch names, in one batch; a new primary location is checked active in
// the transaction, as invite's is.
#[tokio::test]
async fn update_access_reads_one_batch_then_commits() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    let (sam, _) = h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;
    let locations = format!("/practices/{pid}/locations");
    let annex = s(&h.call("POST", &locations, Some(&director), Some(json!({"name": "Annex"}))).await.body["id"]);
    let path = format!("/practices/{pid}/members/{sam}");
    for body in [
        json!({"role_id": "administrative"}),
        json!({"role_id": role, "primary_location_id": annex, "location_access": [annex]}),
    ] {
        let (r, calls) = traced(&h, "PATCH", &path, &director, Some(body.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["role_id"], body["role_id"]);
        assert_eq!(ops(&calls, 0, 0), ONE_READ, "{body}");
    }
    assert_eq!(h.get_member(&director, &pid, &sam).await["primary_location_id"], annex.as_str());
    let usage = h.usage.as_ref().expect("a recording harness");
    let tx = usage
        .of(roster_api::Function::UpdateAccess)
        .calls
        .into_iter()
        .rev()
        .find(|c| c.operation == "TransactWriteItems");
    let tx = tx.expect("the commit");
    let checks = tx.items.iter().filter(|i| i.condition.as_deref() == Some("#active = :true")).count();
    assert_eq!(checks, 1, "{tx:?}");

    // Now that Sam holds the custom role, it is read after the membership.
    let (r, calls) = traced(&h, "PATCH", &path, &director, Some(json!({"access_billing": false}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["permissions"], json!(["users.view"]));
    assert_eq!(ops(&calls, 0, 0), READ_AND_ROLE);
}

// Details: one batch; renaming the person also asks which practices know
// them, in another partition, beside it.
#[tokio::test]
async fn details_read_one_batch_and_the_memberships_for_a_rename() {
    let h = Harness::recording().await;
    let (director, pid, _) = practice_with_role(&h).await;
    let (sam, _) = h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;
    let path = format!("/practices/{pid}/members/{sam}/details");
    let (r, calls) = traced(&h, "PATCH", &path, &director, Some(json!({"display_name": "Sammy"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ops(&calls, 0, 0), ONE_READ);
    let (r, calls) = traced(&h, "PATCH", &path, &director, Some(json!({"first_name": "Samuel"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.get_member(&director, &pid, &sam).await["first_name"], "Samuel");
    assert_eq!(ops(&calls, 1, 2), ["BatchGetItem", "BatchGetItem", "Query", "TransactWriteItems"]);
}

// Deactivate and reactivate: one batch each, and one more for a custom
// role the member holds.
#[tokio::test]
async fn deactivate_and_reactivate_read_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    let (sam, _) = h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;
    let (mia, _) = h.member(&pid, "mia@clinic.example", &role, MemberStatus::Active).await;
    for (uid, expected) in [(&sam, &ONE_READ[..]), (&mia, &READ_AND_ROLE[..])] {
        for (action, status) in [("deactivate", "deactivated"), ("reactivate", "active")] {
            let path = format!("/practices/{pid}/members/{uid}/{action}");
            let (r, calls) = traced(&h, "POST", &path, &director, Some(json!({}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["status"], status);
            assert_eq!(ops(&calls, 0, 0), expected, "{action} {uid}");
        }
    }
}

// Bulk reactivation: every member named in one batch, their custom roles
// in one more, and one transaction for all (the practice's counters and
// each role's holders written once, with the sum).
#[tokio::test]
async fn bulk_reactivation_reads_once_and_commits_once() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    let mut ids = Vec::new();
    for (i, role_id) in ["front_desk", "front_desk", &role, &role].iter().enumerate() {
        let (uid, _) = h.member(&pid, &format!("m{i}@clinic.example"), role_id, MemberStatus::Deactivated).await;
        ids.push(uid);
    }
    let seats = h.stored_practice(&pid).await.seats.staff;
    let unknown = uuid::Uuid::new_v4().to_string();
    let mut named = ids.clone();
    named.push(unknown.clone());
    let path = format!("/practices/{pid}/members/reactivate");
    let (r, calls) = traced(&h, "POST", &path, &director, Some(json!({"user_ids": named}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let statuses: Vec<(String, u64)> = r.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| (s(&x["user_id"]), x["status"].as_u64().unwrap_or(0)))
        .collect();
    let expected: Vec<(String, u64)> = ids.iter().map(|u| (u.clone(), 200)).chain([(unknown, 404)]).collect();
    assert_eq!(statuses, expected);
    assert_eq!(ops(&calls, 0, 0), READ_AND_ROLE);
    for uid in &ids {
        assert_eq!(h.get_member(&director, &pid, uid).await["status"], "active");
    }
    assert_eq!(h.stored_practice(&pid).await.seats.staff, seats + 4);
    let stored = h.app.store.role(pid.parse().expect("pid"), &role).await.expect("read role");
    assert_eq!(stored.expect("the custom role").holders, 2);
}

// A run that cannot commit (here: one member named twice, in two spellings,
// which one transaction may not write twice) is redone member by member,
// each answered as it would be alone.
#[tokio::test]
async fn a_bulk_run_that_fails_is_redone_one_by_one() {
    let h = Harness::recording().await;
    let (director, pid, _) = practice_with_role(&h).await;
    let (sam, _) = h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    let seats = h.stored_practice(&pid).await.seats.staff;
    let path = format!("/practices/{pid}/members/reactivate");
    let body = json!({"user_ids": [sam, sam.to_uppercase()]});
    let (r, calls) = traced(&h, "POST", &path, &director, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.body["results"].as_array().expect("results");
    assert!(results.iter().all(|x| x["status"] == 200 && x["member"]["status"] == "active"), "{}", r.body);
    assert_eq!(h.stored_practice(&pid).await.seats.staff, seats + 1, "reactivated once");
    let transactions = calls.iter().filter(|c| c.operation == "TransactWriteItems").count();
    assert_eq!(transactions, 2, "the failed run, then the first alone; the second found it active");
}

// Unlock and a temporary password: the member in one batch, beside the
// user's memberships (the lock's copies, and who else knows them); a
// temporary password then asks whether the address is invited anywhere.
#[tokio::test]
async fn unlock_and_temporary_password_read_the_member_and_memberships_at_once() {
    let h = Harness::recording().await;
    let (director, pid, _) = practice_with_role(&h).await;
    let (sam, _) = h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;
    for _ in 0..5 {
        h.login_with("sam@clinic.example", "not the password at all").await;
    }
    let path = format!("/practices/{pid}/members/{sam}/unlock");
    let (r, calls) = traced(&h, "POST", &path, &director, Some(json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["locked"], false);
    assert_eq!(ops(&calls, 1, 2), ["BatchGetItem", "BatchGetItem", "Query", "TransactWriteItems"]);

    let path = format!("/practices/{pid}/members/{sam}/temporary-password");
    let body = json!({"temporary_password": "a temporary passphrase"});
    let (r, calls) = traced(&h, "POST", &path, &director, Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.login_with("sam@clinic.example", "a temporary passphrase").await.status, 200);
    assert_eq!(ops(&calls, 1, 2), ["BatchGetItem", "BatchGetItem", "Query", "Query", "TransactWriteItems"]);
}

// Leaving: the session's batch holds the caller's membership, so only the
// transaction follows. Granting and revoking support access read the grant
// (the one read) before theirs.
#[tokio::test]
async fn leave_and_support_access_only_commit() {
    let h = Harness::recording().await;
    let (director, pid, _) = practice_with_role(&h).await;
    let (_, leo) = h.member(&pid, "leo@clinic.example", "front_desk", MemberStatus::Active).await;
    let support = format!("/practices/{pid}/support-access");
    let (r, calls) = traced(&h, "PUT", &support, &director, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], true);
    assert_eq!(ops(&calls, 0, 0), ["BatchGetItem", "GetItem", "TransactWriteItems"]);
    let (r, calls) = traced(&h, "DELETE", &support, &director, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.call("GET", &support, Some(&director), None).await.body["active"], false);
    assert_eq!(ops(&calls, 0, 0), ["BatchGetItem", "GetItem", "TransactWriteItems"]);
    let (r, calls) = traced(&h, "POST", &format!("/practices/{pid}/leave"), &leo, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(ops(&calls, 0, 0), ["BatchGetItem", "TransactWriteItems"]);
}

//! Issue 15 item 4 for the list routes: a page is one Query, and what the
//! page alone names (its users, its addresses' bounce marks, its practices)
//! one batch after it. Pinned call by call through the real handlers, as
//! `reads.rs` does for the other read routes; docs/design.md ("Reads per
//! route") says why each needs the second read.

use crate::common::{s, Harness, DIRECTOR};
use crate::reads::traced_call;
use roster_domain::model::MemberStatus;

/// The operations of one GET; those from `parallel` on, `n` of them, were
/// made at once, so are sorted (either may be logged first).
async fn get(h: &Harness, path: &str, token: &str, parallel: usize, n: usize) -> (crate::common::Reply, Vec<String>) {
    let (reply, mut ops) = traced_call(h, "GET", path, Some(token), None).await;
    if ops.len() >= parallel + n {
        ops[parallel..parallel + n].sort();
    }
    (reply, ops)
}

// The members list: the page and the practice's custom roles at once, then
// the page's users in one batch (their names and lock live on the user).
#[tokio::test]
async fn the_members_list_is_a_page_then_its_users() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.member(&pid, "sam@clinic.example", "front_desk", MemberStatus::Active).await;

    let (r, ops) = get(&h, &format!("/practices/{pid}/members"), &director, 1, 2).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let emails: Vec<_> =
        r.body["items"].as_array().map(|a| a.iter().map(|m| s(&m["email"])).collect()).unwrap_or_default();
    assert!(emails.contains(&"sam@clinic.example".to_string()), "{emails:?}");
    assert_eq!(ops, ["BatchGetItem", "Query", "Query", "BatchGetItem"]);
}

// A practice's invitations: the page, then the bounce marks of the pending
// ones' addresses in one batch; a page with none pending reads no marks.
#[tokio::test]
async fn the_invitations_list_reads_marks_only_for_pending_ones() {
    let h = Harness::recording().await;
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    assert_eq!(h.invite(&director, &pid, "new@clinic.example").await.status, 201);

    let (r, ops) = get(&h, &format!("/practices/{pid}/invitations"), &director, 0, 0).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"][0]["email"], "new@clinic.example");
    assert_eq!(ops, ["BatchGetItem", "Query", "BatchGetItem"]);

    let (r, ops) = get(&h, &format!("/practices/{pid}/invitations?status=revoked"), &director, 0, 0).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(0), "{}", r.body);
    assert_eq!(ops, ["BatchGetItem", "Query"]);
}

// One's own invitations: the address's list on GSI1, then at once the
// practices it names (for their names) and the address's bounce mark.
#[tokio::test]
async fn my_invitations_are_the_list_then_one_round_trip() {
    let h = Harness::recording().await;
    // A director's address is verified (`Harness::practice`), and only a
    // verified address lists its invitations.
    let (_, mia_token, _) = h.director("mia@elsewhere.example", "Mia's Own").await;
    let (_, other, other_pid) = h.director("boss@elsewhere.example", "Elsewhere").await;
    assert_eq!(h.invite(&other, &other_pid, "mia@elsewhere.example").await.status, 201);

    let (r, ops) = get(&h, "/me/invitations", &mia_token, 2, 2).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"][0]["practice_name"], "Elsewhere");
    assert_eq!(ops, ["BatchGetItem", "Query", "BatchGetItem", "GetItem"]);
}

// One's sessions: every one is in the user's partition, one Query.
#[tokio::test]
async fn my_sessions_are_one_query() {
    let h = Harness::recording().await;
    let (_, director, _) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (r, ops) = get(&h, "/me/sessions", &director, 0, 0).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["items"].as_array().is_some_and(|a| !a.is_empty()), "{}", r.body);
    assert_eq!(ops, ["BatchGetItem", "Query"]);
}

//! Emergency access (R50) lends its set for the action, never for handing
//! it on: what a member grants, sets or hands over under it is measured
//! against what they hold in their own right (R36), and a use only counts
//! while the member still holds `emergency_access.use` and the policy is on.

use crate::common::{s, Harness, Reply, DIRECTOR, PASSWORD};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

const REASON: &str = "Patient collapsed in room 2; need the on-call list";

async fn put_policy(h: &Harness, d: &str, pid: &str, emergency: Value) -> Reply {
    let body = json!({ "emergency_access": emergency });
    h.call("PUT", &format!("/practices/{pid}/security-policy"), Some(d), Some(body)).await
}

/// The policy on with `keys` for 30 minutes, and a clinician granted
/// `emergency_access.use` who has opened a use: (user id, session).
async fn clinician_under(h: &Harness, d: &str, pid: &str, keys: &[&str]) -> (String, String) {
    let r = put_policy(h, d, pid, json!({"enabled": true, "permissions": keys, "max_minutes": 30})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (uid, token) = h.member(pid, "clinician@clinic.example", "clinician", MemberStatus::Active).await;
    let r = h.patch_member(d, pid, &uid, None, json!({"overrides": {"grant": ["emergency_access.use"]}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = json!({"reason": REASON});
    let r = h.call("POST", &format!("/practices/{pid}/emergency-access"), Some(&token), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (uid, token)
}

// R36 under R50: with users.manage lent, the clinician may act on members
// but not hand a lent key to a colleague, nor put one into a role, nor
// grant the vendor's support access; and `emergency_access.use` is never
// in the set.
#[tokio::test]
async fn a_lent_key_allows_the_action_but_is_never_granted_onward() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = put_policy(&h, &d, &pid, json!({"enabled": true, "permissions": ["emergency_access.use"]})).await;
    assert_eq!((r.status, r.field()), (422, "emergency_access.permissions".into()), "{}", r.body);

    let keys = ["users.view", "users.manage", "practice.settings", "support_access.manage"];
    let (_, c) = clinician_under(&h, &d, &pid, &keys).await;
    let (desk, _) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(h.call("GET", &format!("/practices/{pid}/members"), Some(&c), None).await.status, 200, "the action");
    let r = h.patch_member(&c, &pid, &desk, None, json!({"overrides": {"grant": ["users.view"]}})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "onward: {}", r.body);
    let r = h.create_role(&c, &pid, "Lent", &["users.view"]).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "into a role: {}", r.body);
    let r = h.call("PUT", &format!("/practices/{pid}/support-access"), Some(&c), None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "to the vendor: {}", r.body);
    let stored = h.get_member(&d, &pid, &desk).await;
    assert_eq!(stored["overrides"]["grant"], json!([]), "{stored}");
}

// R26 under R50: a temporary password hands over the account, so it is
// measured against what the setter holds in their own right: a clinician
// with users.manage lent cannot lock out a manager and take the account.
#[tokio::test]
async fn a_lent_key_never_unlocks_with_a_temporary_password() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&d, &pid, "Office manager", &["users.manage", "users.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    let (_, c) = clinician_under(&h, &d, &pid, &["users.view", "users.manage"]).await;
    let boss = "manager@clinic.example";
    let (muid, _) = h.member(&pid, boss, &s(&role.body["id"]), MemberStatus::Active).await;
    for _ in 0..5 {
        h.login_with(boss, "not the password at all").await;
    }
    assert_eq!(h.login_with(boss, PASSWORD).await.status, 423, "locked");

    let taken = "a password the clinician knows";
    let body = json!({"temporary_password": taken});
    let r = h.call("POST", &format!("/practices/{pid}/members/{muid}/unlock"), Some(&c), Some(body)).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with(boss, taken).await.status, 423, "still locked, not taken");
}

// R50: a use lends its set only while the member holds
// `emergency_access.use` and the policy is on, checked on every request;
// giving the key back brings the still-open use back, and it stays the one.
#[tokio::test]
async fn a_use_stops_lending_when_the_key_or_the_policy_goes() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician_under(&h, &d, &pid, &["users.view"]).await;
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 200, "during");

    let r = h.patch_member(&d, &pid, &cuid, None, json!({"overrides": {"grant": []}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "key revoked");
    let r = h.patch_member(&d, &pid, &cuid, None, json!({"overrides": {"grant": ["emergency_access.use"]}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 200, "key back, still open");
    let body = json!({"reason": REASON});
    let r = h.call("POST", &format!("/practices/{pid}/emergency-access"), Some(&c), Some(body)).await;
    assert_eq!((r.status, r.code()), (409, "emergency_access_open".into()), "{}", r.body);

    let r = put_policy(&h, &d, &pid, json!({"enabled": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "policy off");
}

// R36 for the policy: a member who is no director cannot lengthen the use
// while it is off either, for a director's later `{"enabled": true}` keeps
// the duration as stored and would switch it on unseen. Shortening is open.
#[tokio::test]
async fn a_non_director_cannot_lengthen_the_use_while_it_is_off() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    assert_eq!(put_policy(&h, &d, &pid, json!({"max_minutes": 30})).await.status, 200);
    let role = h.create_role(&d, &pid, "Office", &["practice.settings", "users.view"]).await;
    let (_, office) = h.member(&pid, "office@clinic.example", &s(&role.body["id"]), MemberStatus::Active).await;

    let r = put_policy(&h, &office, &pid, json!({"max_minutes": 240})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(put_policy(&h, &office, &pid, json!({"max_minutes": 20})).await.status, 200, "shorter");
    assert_eq!(put_policy(&h, &d, &pid, json!({"enabled": true})).await.status, 200);
    let stored = h.stored_practice(&pid).await.security_policy.emergency_access;
    assert_eq!((stored.enabled, stored.max_minutes), (true, 20));
}

// R50, "every request made under it is audited": a refused one too (403,
// 404), and a read's record carries its query, in name order.
#[tokio::test]
async fn a_refused_request_under_emergency_access_is_audited_with_its_query() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician_under(&h, &d, &pid, &["users.view"]).await;
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &format!("{members}?status=active&q=ok"), Some(&c), None).await.status, 200);
    let r = h.patch_member(&c, &pid, &cuid, None, json!({"first_name": "Mallory"})).await;
    let patched = (r.status, r.code());
    let nobody = format!("{members}/{}", uuid::Uuid::now_v7());
    let missing = h.call("GET", &nobody, Some(&c), None).await;
    assert_eq!(missing.status, 404, "{}", missing.body);

    let log = h.audit_log(&d, &pid).await;
    let read = crate::common::with_action(&log, "emergency.read");
    assert_eq!(s(&read[0]["after"]["path"]), format!("{members}?q=ok&status=active"), "{read:?}");
    let refused = crate::common::with_action(&log, "emergency.refused");
    assert_eq!(refused.len(), 2, "{refused:?}");
    let seen: Vec<(String, u64, String)> = refused
        .iter()
        .map(|e| (s(&e["after"]["path"]), e["after"]["status"].as_u64().unwrap_or(0), s(&e["after"]["code"])))
        .collect();
    assert!(seen.contains(&(format!("{members}/{cuid}"), u64::from(patched.0), patched.1)), "{seen:?}");
    assert!(seen.contains(&(nobody, 404, "not_found".into())), "{seen:?}");
    assert!(refused.iter().all(|e| e["actor"]["emergency_access_id"].is_string()));
}

// R50's review is someone else's: a member who opened a use and became a
// director since is refused theirs (403 forbidden); another director may.
#[tokio::test]
async fn a_director_never_reviews_their_own_use() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician_under(&h, &d, &pid, &["users.view"]).await;
    let listed = h.call("GET", &format!("/practices/{pid}/emergency-access"), Some(&c), None).await;
    let id = s(&listed.body["items"][0]["id"]);
    let r = h.call("DELETE", &format!("/practices/{pid}/emergency-access/{id}"), Some(&c), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.patch_member(&d, &pid, &cuid, None, json!({"role_id": "director"})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let path = format!("/practices/{pid}/emergency-access/{id}/review");
    let own = h.call("POST", &path, Some(&c), Some(json!({"note": "All fine, I promise"}))).await;
    assert_eq!((own.status, own.code()), (403, "forbidden".into()), "{}", own.body);
    let other = h.call("POST", &path, Some(&d), Some(json!({"note": "Justified"}))).await;
    assert_eq!(other.status, 200, "{}", other.body);
}

// R1 before R50: the set is added to what R1 left, so a member without
// billing access gets no billing key from it, and one with it does.
#[tokio::test]
async fn the_set_brings_no_billing_key_without_billing_access() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician_under(&h, &d, &pid, &["users.view", "billing.payments"]).await;
    let own = format!("/practices/{pid}/members/{cuid}");
    let keys = |r: &Reply| -> Vec<String> { r.body["permissions"].as_array().into_iter().flatten().map(s).collect() };
    let r = h.call("GET", &own, Some(&c), None).await;
    assert!(keys(&r).contains(&"billing.payments".to_string()), "with billing access: {}", r.body);
    let r = h.patch_member(&d, &pid, &cuid, None, json!({"access_billing": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = h.call("GET", &own, Some(&c), None).await;
    let mine = keys(&r);
    assert!(mine.contains(&"users.view".to_string()) && !mine.iter().any(|k| k.starts_with("billing.")), "{mine:?}");
}

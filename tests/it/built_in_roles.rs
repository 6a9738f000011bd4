//! R23 (Decoda: "toggle access for specific modules" on a predefined role):
//! a practice adjusts a built-in role's permissions for itself, its holders
//! see the change on their next request, and a reset restores the
//! catalogue's set. R36 holds: nobody adds a key they lack.

use crate::common::*;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

fn keys(v: &Value) -> Vec<String> {
    v["permissions"].as_array().into_iter().flatten().map(s).collect()
}

async fn role(h: &Harness, token: &str, pid: &str, id: &str) -> Value {
    let r = h.call("GET", &format!("/practices/{pid}/roles"), Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    items(&r.body).into_iter().find(|r| r["id"] == id).unwrap_or(Value::Null)
}

/// The caller's own permissions in `pid`, as `GET /me` shows them.
async fn own_keys(h: &Harness, token: &str, pid: &str) -> Vec<String> {
    let me = h.call("GET", "/me", Some(token), None).await;
    let m = me.body["memberships"].as_array().into_iter().flatten().find(|m| m["practice_id"] == pid).cloned();
    keys(&m.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_practice_adjusts_a_built_in_and_resets_it() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, other_d, other) = h.director("other@clinic.example", "Quay Clinic").await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let catalogue = role(&h, &d, &pid, "front_desk").await;
    assert_eq!((catalogue["customized"].clone(), catalogue["version"].clone()), (json!(false), Value::Null));
    let before = keys(&catalogue);
    assert_eq!(own_keys(&h, &desk, &pid).await, before);
    let dropped = before[0].clone();
    let mut adjusted: Vec<String> = before[1..].to_vec();
    adjusted.push("clinical.charts".into());
    adjusted.sort();

    let path = format!("/practices/{pid}/roles/front_desk");
    let r = h.req("PATCH", &path).token(&d).if_match(0).json(json!({"permissions": adjusted})).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["customized"].clone(), r.body["version"].clone()), (json!(true), json!(1)));
    assert_eq!(r.headers.get("etag").and_then(|v| v.to_str().ok()), Some("\"1\""));
    assert_eq!(keys(&r.body), adjusted);
    // The holder's next request, and this practice only.
    let now = own_keys(&h, &desk, &pid).await;
    assert!(now.contains(&"clinical.charts".to_string()) && !now.contains(&dropped), "{now:?}");
    assert_eq!(keys(&role(&h, &other_d, &other, "front_desk").await), before);

    let stale = h.req("PATCH", &path).token(&d).if_match(0).json(json!({"permissions": before})).send().await;
    assert_eq!(stale.status, 412);
    let renamed = h.call("PATCH", &path, Some(&d), Some(json!({"name": "Reception"}))).await;
    assert_eq!((renamed.status, renamed.field()), (422, "name".to_string()));

    let r = h.call("POST", &format!("{path}/reset"), Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["customized"].clone(), keys(&r.body)), (json!(false), before.clone()));
    assert_eq!(own_keys(&h, &desk, &pid).await, before);
    assert!(h.events_of("RoleUpdated").iter().any(|e| e["detail"]["role_id"] == "front_desk"));
    assert_eq!(h.events_of("RoleReset").len(), 1);
    for (rid, status) in [("director", 403), (uuid::Uuid::now_v7().to_string().as_str(), 404)] {
        let r = h.call("POST", &format!("/practices/{pid}/roles/{rid}/reset"), Some(&d), None).await;
        assert_eq!(r.status, status, "{rid}: {}", r.body);
    }
}

// Two built-ins of one practice changed at once: both stand (they share
// one version on the practice, so the second reads again and retries).
#[tokio::test]
async fn two_built_ins_changed_at_once_both_stand() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let body = json!({"permissions": ["calendar.view"]});
    let (desk, clinician) = (format!("/practices/{pid}/roles/front_desk"), format!("/practices/{pid}/roles/clinician"));
    let (a, b) = tokio::join!(
        h.call("PATCH", &desk, Some(&d), Some(body.clone())),
        h.call("PATCH", &clinician, Some(&d), Some(body.clone())),
    );
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.body, b.body);
    for rid in ["front_desk", "clinician"] {
        assert_eq!(keys(&role(&h, &d, &pid, rid).await), ["calendar.view"], "{rid}");
    }
}

// R36: a manager who holds practice.settings but not every key cannot add
// a key they lack to a built-in, which every holder would then have.
#[tokio::test]
async fn nobody_adds_to_a_built_in_a_key_they_lack() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let settings = s(&h.create_role(&d, &pid, "Office", &["practice.settings", "calendar.view"]).await.body["id"]);
    let (_, m) = h.member(&pid, "office@clinic.example", &settings, MemberStatus::Active).await;
    let path = format!("/practices/{pid}/roles/front_desk");
    let r = h.call("PATCH", &path, Some(&m), Some(json!({"permissions": ["billing.refunds"]}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".to_string()), "{}", r.body);
    assert_eq!(role(&h, &d, &pid, "front_desk").await["customized"], false);
    // Nor does a non-director change the role they hold themselves: that is
    // their own access (a key held by an override would outlive it).
    let own = format!("/practices/{pid}/roles/{settings}");
    let r = h.call("PATCH", &own, Some(&m), Some(json!({"permissions": ["practice.settings"]}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".to_string()), "{}", r.body);
}

// R18: a built-in's version never repeats, not even after a reset, so an
// If-Match from before the reset never matches a later change.
#[tokio::test]
async fn a_built_in_version_never_repeats() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let path = format!("/practices/{pid}/roles/front_desk");
    let r = h.call("PATCH", &path, Some(&d), Some(json!({"permissions": ["calendar.view"]}))).await;
    assert_eq!(r.body["version"], 1, "{}", r.body);
    assert_eq!(h.call("POST", &format!("{path}/reset"), Some(&d), None).await.status, 200);
    let r = h.req("PATCH", &path).token(&d).if_match(0).json(json!({"permissions": ["inbox"]})).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let now = r.body["version"].as_u64().unwrap_or_default();
    assert!(now > 1, "{now}");
    let stale = h.req("PATCH", &path).token(&d).if_match(1).json(json!({"permissions": []})).send().await;
    assert_eq!(stale.status, 412);
}

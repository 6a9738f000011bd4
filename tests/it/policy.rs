//! The practice security policy (R48): read by every member, changed with
//! practice.settings under a version of its own; a required second factor
//! holding every member at once, directors included; the idle limit per
//! practice with the test clock; a session's use recorded at most once a
//! minute.

use crate::common::{s, with_action, Harness, Reply, DIRECTOR, PASSWORD};
use crate::security::{enable_totp, fresh_code};
use chrono::Duration;
use roster_domain::clock::Clock;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

fn path(pid: &str) -> String {
    format!("/practices/{pid}/security-policy")
}

async fn put(h: &Harness, token: &str, pid: &str, if_match: Option<u64>, body: Value) -> Reply {
    let mut req = h.req("PUT", &path(pid)).token(token).json(body);
    if let Some(v) = if_match {
        req = req.if_match(v);
    }
    req.send().await
}

async fn get_practice(h: &Harness, token: &str, pid: &str) -> Reply {
    h.call("GET", &format!("/practices/{pid}"), Some(token), None).await
}

// R48, R50, R18, R32, R33: the defaults until saved; a save with the version
// read makes the next, a stale one is 412; a rename of the practice keeps
// the policy; audited, with its event.
#[tokio::test]
async fn policy_defaults_then_change_under_its_own_version() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let defaults = json!({"require_mfa": false, "session_idle_minutes": 60,
        "emergency_access": {"enabled": false, "permissions": [], "max_minutes": 240}, "version": 0});
    for token in [&d, &desk] {
        let r = h.call("GET", &path(&pid), Some(token), None).await;
        assert_eq!((r.status, &r.body), (200, &defaults));
        assert_eq!(r.headers["etag"], "\"0\"");
    }

    let body = json!({"session_idle_minutes": 30,
        "emergency_access": {"enabled": true, "permissions": ["users.view", "audit.view"], "max_minutes": 120}});
    let saved = put(&h, &d, &pid, Some(0), body.clone()).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let want = json!({"require_mfa": false, "session_idle_minutes": 30,
        "emergency_access": {"enabled": true, "permissions": ["audit.view", "users.view"], "max_minutes": 120},
        "version": 1});
    assert_eq!(saved.body, want);
    assert_eq!(put(&h, &d, &pid, Some(0), json!({})).await.status, 412);

    let renamed = h.call("PATCH", &format!("/practices/{pid}"), Some(&d), Some(json!({"name": "Harbour"}))).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(h.call("GET", &path(&pid), Some(&desk), None).await.body, want);

    let log = h.audit_log(&d, &pid).await;
    let changed = with_action(&log, "practice.security_policy_updated");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["before"]["session_idle_minutes"], 60);
    assert_eq!(changed[0]["after"]["session_idle_minutes"], 30);
    let events = h.events_of("PracticePolicyChanged");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"]["version"], 1, "{}", events[0]);
    assert_eq!(events[0]["detail"]["emergency_access"]["max_minutes"], 120, "{}", events[0]);

    // Saving what is saved changes nothing: no second audit entry.
    assert_eq!(put(&h, &d, &pid, None, body).await.body["version"], 1);
    assert_eq!(with_action(&h.audit_log(&d, &pid).await, "practice.security_policy_updated").len(), 1);
}

// R48, R50: each limit at and past its edge, and the permission set's keys.
#[tokio::test]
async fn a_policy_out_of_bounds_is_422_naming_the_field() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    for (body, field) in [
        (json!({"session_idle_minutes": 4}), "session_idle_minutes"),
        (json!({"session_idle_minutes": 1441}), "session_idle_minutes"),
        (json!({"emergency_access": {"max_minutes": 481}}), "emergency_access.max_minutes"),
        (json!({"emergency_access": {"max_minutes": 0}}), "emergency_access.max_minutes"),
        (json!({"emergency_access": {"permissions": ["no.such_key"]}}), "emergency_access.permissions"),
        (
            json!({"emergency_access": {"permissions": ["clinical.assigned_clients_only"]}}),
            "emergency_access.permissions",
        ),
    ] {
        let r = put(&h, &d, &pid, None, body.clone()).await;
        assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed".into(), field.into()), "{body}");
    }
    assert_eq!(put(&h, &d, &pid, None, json!({"require_mfa": "yes"})).await.status, 400);
    let edges = json!({"session_idle_minutes": 1440, "emergency_access": {"max_minutes": 480}});
    assert_eq!(put(&h, &d, &pid, None, edges).await.status, 200);
    assert_eq!(h.stored_practice(&pid).await.security_policy.session_idle_minutes, 1440);
}

// R36: a member with practice.settings who is no director cannot put into
// the emergency set a key they lack, nor turn a required factor off.
#[tokio::test]
async fn a_non_director_grants_no_more_than_they_hold() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&d, &pid, "Office", &["practice.settings", "users.view"]).await;
    let (_, office) = h.member(&pid, "office@clinic.example", &s(&role.body["id"]), MemberStatus::Active).await;
    h.verify("office@clinic.example").await;

    let lacks = put(&h, &office, &pid, None, json!({"emergency_access": {"permissions": ["audit.view"]}})).await;
    assert_eq!((lacks.status, lacks.code()), (403, "forbidden".into()), "{}", lacks.body);
    let holds = put(&h, &office, &pid, None, json!({"emergency_access": {"permissions": ["users.view"]}})).await;
    assert_eq!(holds.status, 200, "{}", holds.body);

    // Keys a director put there stay when the member saves around them.
    let both = json!({"emergency_access": {"permissions": ["users.view", "audit.view"]}, "require_mfa": true});
    assert_eq!(put(&h, &d, &pid, None, both).await.status, 200);
    enable_totp(&h, &office).await;
    let keep = json!({"emergency_access": {"permissions": ["audit.view"]}, "require_mfa": true,
        "session_idle_minutes": 30});
    assert_eq!(put(&h, &office, &pid, None, keep).await.status, 200);
    // Left out, the factor stays required; turned off by name, refused.
    let kept = put(&h, &office, &pid, None, json!({"emergency_access": {"permissions": ["audit.view"]}})).await;
    assert_eq!((kept.status, &kept.body["require_mfa"]), (200, &json!(true)), "{}", kept.body);
    let off = json!({"emergency_access": {"permissions": ["audit.view"]}, "require_mfa": false});
    let off = put(&h, &office, &pid, None, off).await;
    assert_eq!((off.status, off.code()), (403, "forbidden".into()), "{}", off.body);
    assert!(h.stored_practice(&pid).await.security_policy.require_mfa);

    // Nor may they loosen what protects everyone: a longer idle limit, or
    // emergency access switched on (a director's set, across all locations).
    let base = json!({"emergency_access": {"permissions": ["audit.view"]}, "require_mfa": true,
        "session_idle_minutes": 30});
    assert_eq!(put(&h, &office, &pid, None, base.clone()).await.status, 200);
    for change in [json!({"session_idle_minutes": 31}), json!({"emergency_access": {"enabled": true}})] {
        let mut body = base.clone();
        json_merge(&mut body, &change);
        let r = put(&h, &office, &pid, None, body).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{change}: {}", r.body);
    }
    let stored = h.stored_practice(&pid).await.security_policy;
    assert_eq!((stored.session_idle_minutes, stored.emergency_access.enabled), (30, false));
}

/// `change`'s fields over `body`'s, one level into objects.
fn json_merge(body: &mut serde_json::Value, change: &serde_json::Value) {
    for (k, v) in change.as_object().into_iter().flatten() {
        match (body.get_mut(k), v) {
            (Some(serde_json::Value::Object(into)), serde_json::Value::Object(from)) => {
                into.extend(from.clone());
            }
            _ => body[k] = v.clone(),
        }
    }
}

// R48, R28: require_mfa holds every member without a second factor at
// their next request in this practice, the director who set it included;
// they can still enroll, and other practices are not affected.
#[tokio::test]
async fn require_mfa_turns_the_next_request_enroll_only_in_this_practice() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    h.verify("desk@clinic.example").await;
    let own = h.practice(&desk, "Desk's own practice").await;
    for token in [&d, &desk] {
        assert_eq!(get_practice(&h, token, &pid).await.status, 200);
    }

    let on = put(&h, &d, &pid, None, json!({"require_mfa": true})).await;
    assert_eq!(on.status, 200, "{}", on.body);
    for token in [&d, &desk] {
        let r = get_practice(&h, token, &pid).await;
        assert_eq!((r.status, r.code()), (403, "mfa_required".into()), "{}", r.body);
        assert_eq!(h.call("GET", "/me", Some(token), None).await.status, 200);
    }
    // Elsewhere the same session is whole.
    assert_eq!(get_practice(&h, &desk, &own).await.status, 200);

    // Enrolling is open, and lets the member back in.
    let secret = enable_totp(&h, &desk).await;
    assert_eq!(get_practice(&h, &desk, &pid).await.status, 200);
    // R40: nor can the factor come off while the practice requires it.
    let off = json!({"current_password": PASSWORD, "code": fresh_code(&h, &secret)});
    let r = h.call("DELETE", "/me/mfa/totp", Some(&desk), Some(off)).await;
    assert_eq!((r.status, r.code()), (409, "mfa_required".into()), "{}", r.body);
    enable_totp(&h, &d).await;
    assert_eq!(get_practice(&h, &d, &pid).await.status, 200);
    // A stranger learns nothing of the policy: still R2's 404.
    let (_, stranger) = h.signup("stranger@else.example").await;
    assert_eq!(get_practice(&h, &stranger, &pid).await.status, 404);
}

// R48: a session unused longer than a practice's limit is 401 session_idle
// there, and stays so even once used elsewhere; a practice with a longer
// limit keeps it until that limit passes too.
#[tokio::test]
async fn an_idle_session_is_refused_where_the_limit_passed() {
    let h = Harness::new().await;
    let (_, d, strict) = h.director(DIRECTOR, "Strict Clinic").await;
    let relaxed = h.practice(&d, "Relaxed Clinic").await;
    let fresh = h.login(DIRECTOR).await;
    assert_eq!(put(&h, &fresh, &strict, None, json!({"session_idle_minutes": 5})).await.status, 200);

    h.clock.advance(Duration::minutes(4));
    assert_eq!(get_practice(&h, &d, &strict).await.status, 200);
    h.clock.advance(Duration::minutes(4));
    assert_eq!(get_practice(&h, &d, &strict).await.status, 200, "4 minutes unused: within 5");

    h.clock.advance(Duration::minutes(6));
    let idle = get_practice(&h, &d, &strict).await;
    assert_eq!((idle.status, idle.code()), (401, "session_idle".into()), "{}", idle.body);
    assert_eq!(get_practice(&h, &d, &relaxed).await.status, 200, "6 minutes unused: within 60");
    let still = get_practice(&h, &d, &strict).await;
    assert_eq!(still.code(), "session_idle", "used elsewhere since, but idle past 5 minutes once");
    // A fresh sign-in is let in.
    assert_eq!(get_practice(&h, &h.login(DIRECTOR).await, &strict).await.status, 200);

    h.clock.advance(Duration::minutes(61));
    assert_eq!(get_practice(&h, &d, &relaxed).await.code(), "session_idle");
    // Outside any practice no limit holds (the session's 12 hours do).
    assert_eq!(h.call("GET", "/me", Some(&d), None).await.status, 200);
}

// R48: a session's use is recorded at most once a minute, whatever the
// number of requests: one conditional write, and none within the minute.
#[tokio::test]
async fn a_sessions_use_is_written_at_most_once_a_minute() {
    let mut h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let calls = h.count_store_calls();
    let touches = |calls: &[String]| calls.iter().filter(|c| *c == "touch_session").count();

    for _ in 0..3 {
        assert_eq!(get_practice(&h, &d, &pid).await.status, 200);
    }
    assert_eq!(touches(&calls.take()), 0, "created under a minute ago");

    h.clock.advance(Duration::seconds(61));
    for _ in 0..3 {
        assert_eq!(get_practice(&h, &d, &pid).await.status, 200);
    }
    assert_eq!(touches(&calls.take()), 1);
    h.clock.advance(Duration::seconds(30));
    assert_eq!(get_practice(&h, &d, &pid).await.status, 200);
    assert_eq!(touches(&calls.take()), 0, "recorded 30 seconds ago");
    h.clock.advance(Duration::seconds(31));
    assert_eq!(get_practice(&h, &d, &pid).await.status, 200);
    assert_eq!(touches(&calls.take()), 1);

    let listed = h.call("GET", "/me/sessions", Some(&d), None).await;
    let mine = &listed.body["items"][0];
    let used = chrono::DateTime::parse_from_rfc3339(&s(&mine["last_used_at"])).expect("time");
    assert_eq!(used.timestamp(), h.clock.now().timestamp(), "{mine}");
}

// R36, R50: the emergency set applies across all locations when used, so a
// member with practice.settings who reaches only some locations adds no key
// to it, not even one they hold; taking keys out stays open to them, and
// once they reach every location they add what they hold.
#[tokio::test]
async fn only_a_member_reaching_every_location_adds_to_the_emergency_set() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&d, &pid, "Office", &["practice.settings", "users.view", "audit.view"]).await;
    let (uid, office) = h.member(&pid, "office@clinic.example", &s(&role.body["id"]), MemberStatus::Active).await;
    let loc = h.first_location(&d, &pid).await;
    let r = h.patch_member(&d, &pid, &uid, None, json!({"primary_location_id": loc, "location_access": [loc]})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let one = json!({"emergency_access": {"permissions": ["users.view"]}});
    let two = json!({"emergency_access": {"permissions": ["audit.view", "users.view"]}});
    let r = put(&h, &office, &pid, None, one.clone()).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert!(h.stored_practice(&pid).await.security_policy.emergency_access.permissions.is_empty());
    assert_eq!(put(&h, &d, &pid, None, two.clone()).await.status, 200);
    let r = put(&h, &office, &pid, None, one).await;
    assert_eq!(r.status, 200, "taking a key out: {}", r.body);
    let r = put(&h, &office, &pid, None, two.clone()).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "putting it back: {}", r.body);

    let r = h.patch_member(&d, &pid, &uid, None, json!({"location_access": "all"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = put(&h, &office, &pid, None, two).await;
    assert_eq!(r.status, 200, "every location: {}", r.body);
    let stored = h.stored_practice(&pid).await.security_policy.emergency_access.permissions;
    assert_eq!(stored.into_iter().collect::<Vec<_>>(), ["audit.view", "users.view"]);
}

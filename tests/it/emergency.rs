//! Emergency access (R50) through the real handlers and the sweep, with the
//! test clock: the policy and permission gates, the set added across all
//! locations while open (403 before, 200 during, 403 after), every request
//! under it audited as emergency, the directors' mail, the events, one open
//! at a time, and the sweep ending what ran out.

use crate::common::{s, with_action, Harness, Reply, DIRECTOR};
use chrono::{DateTime, Duration, Utc};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

const REASON: &str = "Patient collapsed in room 2; need the on-call list";

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&s(v)).unwrap_or_else(|e| panic!("RFC 3339 time {v}: {e}")).with_timezone(&Utc)
}

async fn open(h: &Harness, token: &str, pid: &str, reason: &str) -> Reply {
    h.call("POST", &format!("/practices/{pid}/emergency-access"), Some(token), Some(json!({"reason": reason}))).await
}

async fn close(h: &Harness, token: &str, pid: &str, id: &str) -> Reply {
    h.call("DELETE", &format!("/practices/{pid}/emergency-access/{id}"), Some(token), None).await
}

/// The policy on, adding `users.view` for `max_minutes`.
async fn enable(h: &Harness, d: &str, pid: &str, max_minutes: u32) {
    let body =
        json!({"emergency_access": {"enabled": true, "permissions": ["users.view"], "max_minutes": max_minutes}});
    let r = h.call("PUT", &format!("/practices/{pid}/security-policy"), Some(d), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A clinician (no `users.view`) granted `emergency_access.use` by the
/// director: (user id, session).
async fn clinician(h: &Harness, d: &str, pid: &str) -> (String, String) {
    let (uid, token) = h.member(pid, "clinician@clinic.example", "clinician", MemberStatus::Active).await;
    let body = json!({"overrides": {"grant": ["emergency_access.use"]}});
    let r = h.call("PATCH", &format!("/practices/{pid}/members/{uid}"), Some(d), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (uid, token)
}

#[tokio::test]
async fn emergency_access_widens_until_it_ends_audited_mailed_and_swept() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician(&h, &d, &pid).await;
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "before");

    let r = open(&h, &c, &pid, REASON).await;
    assert_eq!((r.status, r.code()), (403, "emergency_access_disabled".into()), "{}", r.body);
    enable(&h, &d, &pid, 30).await;
    let r = open(&h, &c, &pid, "  too short  ").await;
    assert_eq!((r.status, r.field()), (422, "reason".into()), "{}", r.body);
    let r = open(&h, &d, &pid, REASON).await;
    assert_eq!((r.status, r.code()), (409, "director_holds_all".into()), "{}", r.body);

    let opened = open(&h, &c, &pid, &format!("  {REASON}  ")).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let a = &opened.body;
    let id = s(&a["id"]);
    assert_eq!((s(&a["user_id"]), s(&a["reason"])), (cuid.clone(), REASON.to_string()));
    assert_eq!(time(&a["ends_at"]) - time(&a["opened_at"]), Duration::minutes(30));
    assert_eq!((&a["ended_at"], &a["review"]), (&Value::Null, &Value::Null));
    let r = open(&h, &c, &pid, REASON).await;
    assert_eq!((r.status, r.code()), (409, "emergency_access_open".into()), "{}", r.body);

    // During: the set applies, and the read is audited as emergency.
    let listed = h.call("GET", &members, Some(&c), None).await;
    assert_eq!(listed.status, 200, "during: {}", listed.body);
    let log = h.audit_log(&d, &pid).await;
    let read = with_action(&log, "emergency.read");
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(
        (s(&read[0]["actor"]["user_id"]), s(&read[0]["actor"]["emergency_access_id"])),
        (cuid.clone(), id.clone())
    );
    assert_eq!(s(&read[0]["after"]["path"]), members);
    let opened_log = with_action(&log, "emergency_access.opened");
    assert_eq!(opened_log.len(), 1);
    assert_eq!(s(&opened_log[0]["target"]["id"]), id);
    // The director's own reads are not emergency ones.
    assert!(log
        .iter()
        .filter(|e| e["action"] != "emergency.read")
        .all(|e| e["actor"].get("emergency_access_id").is_none()));

    let mails = h.mails_to(DIRECTOR, "emergency_access_opened");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(s(&mails[0]["text"]).contains(REASON), "{}", mails[0]);
    let events = h.events_of("EmergencyAccessOpened");
    assert_eq!(events.len(), 1);
    assert_eq!((s(&events[0]["detail"]["id"]), s(&events[0]["detail"]["user_id"])), (id.clone(), cuid.clone()));

    // Past ends_at: refused at once, before any sweep.
    h.clock.advance(Duration::minutes(30));
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "after");
    let swept = h.sweep_at(h.app.now()).await;
    assert_eq!(swept.emergency_access_ended, 1, "{swept:?}");
    assert_eq!(h.sweep_at(h.app.now()).await.emergency_access_ended, 0, "once");
    let ended = h.events_of("EmergencyAccessEnded");
    assert_eq!((ended.len(), &ended[0]["detail"]["ended_by"]), (1, &Value::Null));
    assert_eq!(time(&ended[0]["detail"]["ended_at"]), time(&a["ends_at"]));
    let log = h.audit_log(&d, &pid).await;
    assert_eq!(with_action(&log, "emergency_access.ended")[0]["actor"]["user_id"], Value::Null);
}

// R50: one that ran out is replaced by the next; the member ends it, the
// end is audited under it, and ending it again is no error.
#[tokio::test]
async fn emergency_access_reopens_after_it_runs_out_and_the_member_ends_it() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician(&h, &d, &pid).await;
    enable(&h, &d, &pid, 5).await;
    assert_eq!(open(&h, &c, &pid, REASON).await.status, 201);
    h.clock.advance(Duration::minutes(6));
    // Not swept yet: the run-out pointer is replaced at its version.
    let again = open(&h, &c, &pid, REASON).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let id = s(&again.body["id"]);
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 200);

    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(close(&h, &desk, &pid, &id).await.status, 403, "someone else's");
    assert_eq!(close(&h, &c, &pid, &id).await.status, 204);
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "ended");
    assert_eq!(close(&h, &c, &pid, &id).await.status, 204, "again");
    let ended = h.events_of("EmergencyAccessEnded");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(s(&ended[0]["detail"]["ended_by"]), cuid);
    let log = h.audit_log(&d, &pid).await;
    let end = with_action(&log, "emergency_access.ended");
    assert_eq!(s(&end[0]["actor"]["emergency_access_id"]), id, "ended under it");
    // The first one is stamped by the sweep; this one is ended already.
    assert_eq!(h.sweep_at(h.app.now()).await.emergency_access_ended, 1);
}

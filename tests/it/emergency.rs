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
    clinician_at(h, d, pid, "clinician@clinic.example").await
}

async fn clinician_at(h: &Harness, d: &str, pid: &str, email: &str) -> (String, String) {
    let (uid, token) = h.member(pid, email, "clinician", MemberStatus::Active).await;
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
    // The director's own reads are not emergency ones; the second open,
    // refused under it, is.
    let refused = with_action(&log, "emergency.refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        (refused[0]["after"]["status"].as_u64(), s(&refused[0]["after"]["code"])),
        (Some(409), "emergency_access_open".into())
    );
    assert!(log
        .iter()
        .filter(|e| e["action"] != "emergency.read" && e["action"] != "emergency.refused")
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
    // What the sweep function returns carries every count API.md names.
    let summary = serde_json::to_value(swept).expect("summary");
    for key in [
        "invitations_expired",
        "support_grants_expired",
        "outbox_delivered",
        "outbox_failed",
        "outbox_dead",
        "onboarding_sent",
        "emergency_access_ended",
    ] {
        assert!(summary[key].is_u64(), "{key}: {summary}");
    }
    assert_eq!(summary["emergency_access_ended"], 1);
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

async fn list(h: &Harness, token: &str, pid: &str, status: &str) -> Reply {
    h.call("GET", &format!("/practices/{pid}/emergency-access?status={status}"), Some(token), None).await
}

/// The ids of a list's one page, in its order.
async fn listed(h: &Harness, token: &str, pid: &str, status: &str) -> Vec<String> {
    let r = list(h, token, pid, status).await;
    assert_eq!(r.status, 200, "{status}: {}", r.body);
    r.body["items"].as_array().expect("items").iter().map(|a| s(&a["id"])).collect()
}

async fn review(h: &Harness, token: &str, pid: &str, id: &str, note: &str) -> Reply {
    let path = format!("/practices/{pid}/emergency-access/{id}/review");
    h.call("POST", &path, Some(token), Some(json!({"note": note}))).await
}

// R50 as issue 16 tries it by hand: a clinician who reaches one location
// opens emergency access and reads the members list (403 before, 200
// during); the directors are mailed; the director lists it among the open
// and unreviewed uses, a member sees only their own; once it is closed the
// director reviews it, once, and it leaves the queue; the review is
// audited and sent as an event; what was done under it carries its id in
// the audit export, as NDJSON and as CSV.
#[tokio::test]
async fn a_clinician_at_one_location_opens_and_a_director_lists_and_reviews() {
    let h = Harness::new().await;
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (cuid, c) = clinician(&h, &d, &pid).await;
    let (_, other) = clinician_at(&h, &d, &pid, "other@clinic.example").await;
    let loc = h.first_location(&d, &pid).await;
    let annex = h.call("POST", &format!("/practices/{pid}/locations"), Some(&d), Some(json!({"name": "Annex"}))).await;
    assert_eq!(annex.status, 201, "{}", annex.body);
    let r = h.patch_member(&d, &pid, &cuid, None, json!({"primary_location_id": loc, "location_access": [loc]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    enable(&h, &d, &pid, 30).await;
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "before");

    let opened = open(&h, &c, &pid, REASON).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = s(&opened.body["id"]);
    h.clock.advance(Duration::seconds(1));
    let theirs = open(&h, &other, &pid, REASON).await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    let other_id = s(&theirs.body["id"]);
    let during = h.call("GET", &members, Some(&c), None).await;
    assert_eq!(during.status, 200, "during, across all locations: {}", during.body);
    assert_eq!(h.mails_to(DIRECTOR, "emergency_access_opened").len(), 2);

    // The director sees both, newest first; each member only their own.
    assert_eq!(listed(&h, &d, &pid, "open").await, [other_id.as_str(), id.as_str()]);
    assert_eq!(listed(&h, &d, &pid, "unreviewed").await, [other_id.as_str(), id.as_str()]);
    let default = h.call("GET", &format!("/practices/{pid}/emergency-access"), Some(&d), None).await;
    assert_eq!(default.body["items"], list(&h, &d, &pid, "unreviewed").await.body["items"], "the default");
    for status in ["open", "unreviewed", "all"] {
        assert_eq!(listed(&h, &c, &pid, status).await, [id.as_str()], "{status}");
    }
    let bad = list(&h, &d, &pid, "closed").await;
    assert_eq!((bad.status, bad.field()), (422, "status".into()), "{}", bad.body);
    let shown = &list(&h, &d, &pid, "open").await.body["items"][1];
    assert_eq!((s(&shown["user_id"]), s(&shown["reason"])), (cuid.clone(), REASON.to_string()));
    assert_eq!((&shown["ended_at"], &shown["review"]), (&Value::Null, &Value::Null));

    // A review waits for the end, and is a director's.
    let r = review(&h, &d, &pid, &id, "Checked the chart access").await;
    assert_eq!((r.status, r.code()), (409, "emergency_access_open".into()), "{}", r.body);
    let r = review(&h, &c, &pid, &id, "Looks fine to me").await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(close(&h, &c, &pid, &id).await.status, 204);
    assert_eq!(h.call("GET", &members, Some(&c), None).await.status, 403, "after");
    assert_eq!(listed(&h, &d, &pid, "open").await, [other_id.as_str()]);
    assert_eq!(listed(&h, &d, &pid, "unreviewed").await, [other_id.as_str(), id.as_str()], "open part first");

    let r = review(&h, &d, &pid, &id, "   ").await;
    assert_eq!((r.status, r.field()), (422, "note".into()), "{}", r.body);
    let r = review(&h, &d, &pid, &id, &"x".repeat(2001)).await;
    assert_eq!((r.status, r.field()), (422, "note".into()), "too long");
    let reviewed = review(&h, &d, &pid, &id, "  Justified: patient collapsed, chart needed  ").await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    let note = &reviewed.body["review"];
    assert_eq!((s(&note["by"]), s(&note["note"])), (duid.clone(), "Justified: patient collapsed, chart needed".into()));
    assert!(!reviewed.body["ended_at"].is_null());
    let again = review(&h, &d, &pid, &id, "Second thoughts").await;
    assert_eq!((again.status, again.code()), (409, "already_reviewed".into()), "{}", again.body);
    assert_eq!(listed(&h, &d, &pid, "unreviewed").await, [other_id.as_str()]);
    assert_eq!(listed(&h, &d, &pid, "all").await, [other_id.as_str(), id.as_str()]);
    assert_eq!(list(&h, &c, &pid, "all").await.body["items"][0]["review"], reviewed.body["review"]);

    let events = h.events_of("EmergencyAccessReviewed");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((s(&events[0]["detail"]["id"]), s(&events[0]["detail"]["reviewed_by"])), (id.clone(), duid.clone()));
    let log = h.audit_log(&d, &pid).await;
    let audited = with_action(&log, "emergency_access.reviewed");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["after"]["review"], reviewed.body["review"]);

    // The export: the read made under it names it, in both formats.
    h.clock.advance(Duration::seconds(1));
    let export = format!("/practices/{pid}/audit/export?format=");
    let ndjson = h.call("GET", &format!("{export}ndjson"), Some(&d), None).await;
    assert_eq!(ndjson.status, 200);
    let lines: Vec<Value> = s(&ndjson.body).lines().map(|l| serde_json::from_str(l).expect("an NDJSON line")).collect();
    let read = lines.iter().find(|e| e["action"] == "emergency.read").expect("the read under it");
    assert_eq!(s(&read["actor"]["emergency_access_id"]), id);
    let csv = h.call("GET", &format!("{export}csv"), Some(&d), None).await;
    let text = s(&csv.body);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (action, under) = (column("action"), column("actor_emergency_access_id"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
    let read = rows.iter().find(|r| &r[action] == "emergency.read").expect("the read under it");
    assert_eq!(&read[under], id);
    assert!(rows.iter().filter(|r| &r[action] == "practice.created").all(|r| r[under].is_empty()));
}

// R50: a use that ran out shows as ended before the sweep has been by: out
// of the open ones, in the queue with its `ends_at` as `ended_at`; its
// review ends it as the sweep would have, so the sweep finds nothing.
#[tokio::test]
async fn a_use_that_ran_out_is_ended_at_read_time_and_by_its_review() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, c) = clinician(&h, &d, &pid).await;
    enable(&h, &d, &pid, 5).await;
    let opened = open(&h, &c, &pid, REASON).await;
    let id = s(&opened.body["id"]);
    h.clock.advance(Duration::minutes(5));

    assert!(listed(&h, &d, &pid, "open").await.is_empty(), "ran out");
    let queue = list(&h, &d, &pid, "unreviewed").await;
    assert_eq!(queue.body["items"][0]["ended_at"], opened.body["ends_at"], "{}", queue.body);
    let r = review(&h, &d, &pid, &id, "Ran its course; justified").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ended_at"], opened.body["ends_at"]);
    let ended = h.events_of("EmergencyAccessEnded");
    assert_eq!((ended.len(), &ended[0]["detail"]["ended_by"]), (1, &Value::Null), "{ended:?}");
    assert_eq!(h.sweep_at(h.app.now()).await.emergency_access_ended, 0, "ended already");
    assert!(listed(&h, &d, &pid, "unreviewed").await.is_empty());
}

// Issue 15 item 4's budget: a list is one Query after the session, a
// review one GetItem and one transaction.
#[tokio::test]
async fn a_list_is_one_query_and_a_review_one_read_and_one_transaction() {
    let h = Harness::recording().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, c) = clinician(&h, &d, &pid).await;
    enable(&h, &d, &pid, 30).await;
    let id = s(&open(&h, &c, &pid, REASON).await.body["id"]);
    assert_eq!(close(&h, &c, &pid, &id).await.status, 204);
    for status in ["open", "unreviewed", "all"] {
        let path = format!("/practices/{pid}/emergency-access?status={status}");
        for token in [&d, &c] {
            let (r, ops) = crate::reads::traced_call(&h, "GET", &path, Some(token), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(ops, ["BatchGetItem", "Query"], "{status}");
        }
    }
    let path = format!("/practices/{pid}/emergency-access/{id}/review");
    let body = json!({"note": "Justified"});
    let (r, ops) = crate::reads::traced_call(&h, "POST", &path, Some(&d), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ops, ["BatchGetItem", "GetItem", "TransactWriteItems"]);
}

// R50: each open mails every director, so one member opens at most
// EMERGENCY_OPENS_PER_DAY in a day, ended or not: the next is 429 and mails
// nobody; once the first is a day old one more opens. A director ending
// the member's access keeps the count too.
#[tokio::test]
async fn a_member_opens_at_most_five_a_day() {
    use roster_domain::model::EMERGENCY_OPENS_PER_DAY;
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, c) = clinician(&h, &d, &pid).await;
    enable(&h, &d, &pid, 30).await;
    for i in 0..EMERGENCY_OPENS_PER_DAY {
        let r = open(&h, &c, &pid, REASON).await;
        assert_eq!(r.status, 201, "open {i}: {}", r.body);
        // Alternately ended by the member and by a director.
        let by = if i % 2 == 0 { &c } else { &d };
        assert_eq!(close(&h, by, &pid, &s(&r.body["id"])).await.status, 204);
        h.clock.advance(Duration::minutes(10));
    }
    let refused = open(&h, &c, &pid, REASON).await;
    assert_eq!((refused.status, s(&refused.body["code"])), (429, "rate_limited".into()), "{}", refused.body);
    assert_eq!(h.mails_to(DIRECTOR, "emergency_access_opened").len(), EMERGENCY_OPENS_PER_DAY);
    assert_eq!(h.events_of("EmergencyAccessOpened").len(), EMERGENCY_OPENS_PER_DAY);
    assert_eq!(h.call("GET", &format!("/practices/{pid}/members"), Some(&c), None).await.status, 403);

    // A minute before the first is a day old, still refused; then one more.
    h.clock.advance(Duration::hours(24) - Duration::minutes(51));
    let c = h.login("clinician@clinic.example").await;
    assert_eq!(open(&h, &c, &pid, REASON).await.status, 429);
    h.clock.advance(Duration::minutes(1));
    assert_eq!(open(&h, &c, &pid, REASON).await.status, 201);
}

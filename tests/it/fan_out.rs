//! R37: no operation fails because a user is in many practices or a
//! practice has many directors. The change commits at once and alone; its
//! copies, audits and mails follow it, complete, exactly once, and a copy
//! not made yet never lets anyone in.

use crate::common::*;
use roster_domain::ids::UserId;
use roster_domain::model::{Kind, MemberStatus, Membership, OutboxItem, OutboxPayload, Task};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;

/// Beyond what one DynamoDB transaction holds, whatever else rides in it.
const MANY: usize = 150;
const LOCUM: &str = "locum@clinic.example";

async fn memberships(h: &Harness, uid: &str) -> Vec<Membership> {
    let uid: UserId = uid.parse().expect("uid");
    h.app.store.memberships_of_user(uid).await.expect("memberships")
}

async fn audit_count(h: &Harness, pid: &str, action: &str) -> usize {
    let log = h.partition(&format!("AUDIT#PRACTICE#{pid}")).await;
    log.iter().filter(|i| i.get("action").and_then(|a| a.as_s().ok()).is_some_and(|a| a == action)).count()
}

async fn lock_out(h: &Harness, email: &str) {
    for _ in 0..4 {
        assert_eq!(h.login_with(email, "not the password").await.status, 401);
    }
    let r = h.login_with(email, "not the password").await;
    assert_eq!(r.status, 423, "{}", r.body);
}

/// The ids of the members `token` finds in `pid` with `query`.
async fn found(h: &Harness, token: &str, pid: &str, query: &str) -> Vec<String> {
    let r = h.call("GET", &format!("/practices/{pid}/members?{query}"), Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    items(&r.body).iter().map(|m| s(&m["user_id"])).collect()
}

// A locum in 150 practices renames themself, is locked by five wrong
// passwords (anyone who knows the address can do that), is unlocked by one
// practice's administrator, is locked again and resets: every answer is the
// change's, and every membership's copy and every practice's audit follows.
#[tokio::test]
async fn a_user_in_150_practices_renames_is_locked_unlocked_and_resets() {
    let h = Harness::new().await;
    let (_, admin, clinic) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, token) = h.signup(LOCUM).await;
    h.add_member(&clinic, &uid, "front_desk", MemberStatus::Active).await;
    let mut own = Vec::new();
    for i in 1..MANY {
        own.push(h.practice(&token, &format!("Practice {i:03}")).await);
    }
    let last = own.last().expect("own practices").clone();
    assert_eq!(memberships(&h, &uid).await.len(), MANY);

    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"last_name": "Okafor"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(memberships(&h, &uid).await.iter().all(|m| m.search.contains("okafor")));
    assert_eq!(found(&h, &admin, &clinic, "q=okafor").await, vec![uid.clone()]);

    lock_out(&h, LOCUM).await;
    assert_eq!(h.call("GET", "/me", Some(&token), None).await.status, 401, "a lock ends every session");
    assert!(memberships(&h, &uid).await.iter().all(|m| m.locked));
    assert_eq!(found(&h, &admin, &clinic, "status=locked").await, vec![uid.clone()]);
    assert_eq!(audit_count(&h, &clinic, "user.locked").await, 1);
    assert_eq!(audit_count(&h, &last, "user.locked").await, 1);
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty(), "the fan-out ran");

    let r = h.call("POST", &format!("/practices/{clinic}/members/{uid}/unlock"), Some(&admin), Some(json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(memberships(&h, &uid).await.iter().all(|m| !m.locked));
    assert_eq!(audit_count(&h, &clinic, "user.unlocked").await, 1);
    assert_eq!(h.events_of("UserUnlocked").len(), 1);

    lock_out(&h, LOCUM).await;
    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": LOCUM}))).await;
    assert_eq!(r.status, 202);
    let mail = h.mails_to(LOCUM, "password_reset").pop().expect("reset mail");
    let body = json!({"token": link_token(&mail, "/reset-password/"), "new_password": "a brand new passphrase"});
    let r = h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(memberships(&h, &uid).await.iter().all(|m| !m.locked));
    assert_eq!(audit_count(&h, &last, "user.unlocked").await, 1, "the reset's unlock is audited everywhere");
    assert_eq!(audit_count(&h, &clinic, "user.unlocked").await, 2);
    assert_eq!(h.login_with(LOCUM, "a brand new passphrase").await.status, 200);
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
}

// A grant in a practice with 150 directors: one outbox item for the grant,
// and every director mailed once.
#[tokio::test]
async fn a_support_grant_mails_150_directors() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    for i in 1..MANY {
        let user = h.put_user(&format!("director{i:03}@clinic.example")).await;
        h.put_member(&pid, &user, Kind::Staff, "director", MemberStatus::Active).await;
    }
    assert_eq!(h.stored_practice(&pid).await.directors, MANY as i64);

    let r = h.call("PUT", &format!("/practices/{pid}/support-access"), Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // What did not fit in the time after the commit goes with the sweep.
    h.sweep_at(h.app.now() + chrono::Duration::minutes(2)).await;
    let mailed: std::collections::BTreeSet<String> =
        h.mails().iter().filter(|m| m["template"] == "support_access_granted").map(|m| s(&m["to"])).collect();
    assert_eq!(mailed.len(), MANY);
    assert_eq!(h.mails().iter().filter(|m| m["template"] == "support_access_granted").count(), MANY, "once each");
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
}

/// A membership of `user` in a practice of its own, through the store.
async fn member_of_new_practice(h: &Harness, token: &str, i: usize) -> String {
    h.practice(token, &format!("Practice {i:03}")).await
}

// A change whose fan-out never ran (the function died after the commit):
// the user's own record already says what counts, and the sweep finishes
// the copies and audits; a second run adds nothing.
#[tokio::test]
async fn the_sweep_finishes_a_fan_out_and_a_second_run_adds_nothing() {
    let h = Harness::new().await;
    let (uid, token) = h.signup(LOCUM).await;
    let mut practices = Vec::new();
    for i in 0..3 {
        practices.push(member_of_new_practice(&h, &token, i).await);
    }
    // The lock as committed alone: the user is locked, no copy says so.
    let id: UserId = uid.parse().expect("uid");
    let mut user = h.app.store.user(id).await.expect("read").expect("user");
    let before = user.version;
    user.locked = true;
    user.version += 1;
    user.session_epoch += 1;
    let audit = roster_domain::model::PracticeAudit {
        at: h.app.now(),
        actor: roster_domain::model::Actor::system(),
        action: "user.locked".into(),
        target: roster_domain::model::Target::new("user", id),
        before: json!({"locked": false}),
        after: json!({"locked": true}),
    };
    // Written past its grace period: the stream lost it, so it is the sweep's.
    let task = OutboxItem::new(
        roster_domain::ids::EventId::new(),
        h.app.now() - chrono::Duration::minutes(5),
        OutboxPayload::Task(Task::CopyUser { user_id: id, audit: Some(audit) }),
    );
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(user), expected_version: before })
        .push(Write::Create(Record::Outbox(task.clone())));
    h.app.store.transact(tx).await.expect("commit the lock alone");

    assert!(memberships(&h, &uid).await.iter().all(|m| !m.locked), "half done");
    assert_eq!(h.login_with(LOCUM, PASSWORD).await.status, 423, "the user's record decides, not a copy");
    assert_eq!(h.call("GET", "/me", Some(&token), None).await.status, 401);

    let swept = h.sweep_at(h.app.now() + chrono::Duration::minutes(2)).await;
    assert_eq!(swept.outbox_delivered, 1, "{swept:?}");
    assert!(memberships(&h, &uid).await.iter().all(|m| m.locked));
    for pid in &practices {
        assert_eq!(audit_count(&h, pid, "user.locked").await, 1);
    }

    // Run again, as after a lost delete: the same events, rewritten.
    h.app
        .store
        .transact({
            let mut tx = Tx::new();
            tx.push(Write::Put(Record::Outbox(task)));
            tx
        })
        .await
        .expect("the task again");
    let swept = h.sweep_at(h.app.now() + chrono::Duration::minutes(4)).await;
    assert_eq!(swept.outbox_delivered, 1, "{swept:?}");
    for pid in &practices {
        assert_eq!(audit_count(&h, pid, "user.locked").await, 1, "no second event");
    }
}

// A copy made after the change never overwrites a later change's own.
#[tokio::test]
async fn a_late_copy_never_overwrites_a_newer_one() {
    let h = Harness::new().await;
    let (uid, token) = h.signup(LOCUM).await;
    let pid = member_of_new_practice(&h, &token, 1).await;
    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"last_name": "Okafor"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let m = memberships(&h, &uid).await.remove(0);
    assert!(m.search.contains("okafor"));

    let stale = Write::MirrorUser {
        practice_id: pid.parse().expect("pid"),
        user_id: uid.parse().expect("uid"),
        search: Some("ana silva".into()),
        locked: false,
        user_version: m.user_version - 1,
        only_if_newer: true,
    };
    let mut tx = Tx::new();
    tx.push(stale);
    assert!(h.app.store.transact(tx).await.is_err(), "an older copy is refused");
    assert!(memberships(&h, &uid).await[0].search.contains("okafor"));
}

//! Unlock and temporary passwords (R26).

use super::*;
use crate::common::{items, s, with_action, Harness, PASSWORD, SUPPORT_AGENT};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

// R26, R32, R33: a member with users.manage (not a director) in ANOTHER
// practice of the user unlocks them; the user signs in again; every practice
// sees the lock gone. Unlocking again is 200 and changes nothing.
#[tokio::test]
async fn a_manager_of_another_practice_of_the_user_unlocks_them() {
    let h = Harness::new().await;
    let (_, d1, a) = h.director("d1@clinic.example", "Harbour Clinic").await;
    let (_, d2, b) = h.director("d2@clinic.example", "Hill Practice").await;
    let (uid, _) = h.member(&a, "locum@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &uid, "front_desk", MemberStatus::Active).await;
    let rid = manager_role(&h, &d2, &b).await;
    let (_, manager) = h.member(&b, "manager@clinic.example", &rid, MemberStatus::Active).await;

    lock(&h, "locum@clinic.example").await;
    assert_eq!(h.get_member(&d1, &a, &uid).await["locked"], true);

    let r = unlock(&h, &manager, &b, &uid, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((s(&r.body["user_id"]), r.body["locked"].clone()), (uid.clone(), json!(false)));
    let ok = h.login_with("locum@clinic.example", PASSWORD).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    assert_eq!(h.get_member(&d1, &a, &uid).await["locked"], false);
    assert_eq!(h.get_member(&d2, &b, &uid).await["locked"], false);
    let locked = h.call("GET", &format!("/practices/{a}/members?status=locked"), Some(&d1), None).await;
    assert_eq!(items(&locked.body), Vec::<Value>::new());

    let unlocked = h.events_of("UserUnlocked");
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert_eq!(
        (s(&unlocked[0]["detail"]["user_id"]), s(&unlocked[0]["detail"]["practice_id"])),
        (uid.clone(), b.clone())
    );
    let entries = with_action(&h.audit_log(&d2, &b).await, "user.unlocked");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(s(&entries[0]["target"]["id"]), uid);
    assert!(with_action(&h.audit_log(&d1, &a).await, "user.unlocked").is_empty(), "audited where it was done");

    let again = unlock(&h, &manager, &b, &uid, None).await;
    assert_eq!((again.status, again.body["locked"].clone()), (200, json!(false)), "{}", again.body);
    assert_eq!(h.events_of("UserUnlocked").len(), 1, "no change, no event");
}

// R26, R31, R2: who may not unlock: a clinician (403), a non-member (404), a
// support agent with an active grant (403 support_read_only, also on the
// temporary password); a user who is not a member of the practice is 404;
// a deactivated membership is 409. None of them unlocks anything.
#[tokio::test]
async fn who_may_not_unlock() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "locked@clinic.example", "front_desk", MemberStatus::Active).await;
    let (_, clinician) = h.member(&a, "clin@clinic.example", "clinician", MemberStatus::Active).await;
    let (_, outsider, _) = h.director("out@clinic.example", "Elsewhere").await;
    let (stranger, _) = h.signup("stranger@clinic.example").await;
    let (gone, _) = h.member(&a, "gone@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    let (_, agent) = h.signup(SUPPORT_AGENT).await;
    h.verify(SUPPORT_AGENT).await;
    let grant = h.call("PUT", &format!("/practices/{a}/support-access"), Some(&d), None).await;
    assert_eq!((grant.status, grant.body["active"].clone()), (200, json!(true)), "{}", grant.body);
    // The agent does get in (so the 403 below is the read-only rule).
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&agent), None).await.status, 200);

    for email in ["locked@clinic.example", "stranger@clinic.example", "gone@clinic.example"] {
        lock(&h, email).await;
    }

    let r = unlock(&h, &clinician, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = unlock(&h, &outsider, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);
    let r = unlock(&h, &agent, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = unlock(&h, &agent, &a, &uid, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = temporary_password(&h, &agent, &a, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = unlock(&h, &d, &a, &stranger, None).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "not a member of this practice: {}", r.body);
    let r = unlock(&h, &d, &a, &gone, None).await;
    assert_eq!((r.status, r.code()), (409, "member_deactivated".into()), "{}", r.body);

    for email in ["locked@clinic.example", "stranger@clinic.example", "gone@clinic.example"] {
        assert_eq!(h.login_with(email, PASSWORD).await.status, 423, "{email} is still locked");
    }
    assert_eq!(h.login_with("locked@clinic.example", TEMP).await.status, 423, "no temporary password was set");
    assert!(h.events_of("UserUnlocked").is_empty());
    assert!(with_action(&h.audit_log(&d, &a).await, "user.unlocked").is_empty());
    assert_eq!(h.get_member(&d, &a, &uid).await["locked"], true);

    // The director can.
    let r = unlock(&h, &d, &a, &uid, None).await;
    assert_eq!((r.status, r.body["locked"].clone()), (200, json!(false)), "{}", r.body);
    assert_eq!(h.login_with("locked@clinic.example", PASSWORD).await.status, 200);
}

// R26, R24, R13: unlock with a temporary password (password rules apply);
// the user signs in with it and must change it before anything else.
#[tokio::test]
async fn unlock_with_a_temporary_password_then_the_change_is_required() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    lock(&h, "u@clinic.example").await;

    for weak in ["short", &"x".repeat(129)] {
        let r = unlock(&h, &d, &a, &uid, Some(json!({"temporary_password": weak}))).await;
        assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "{}", r.body);
    }
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 423, "a refused unlock changes nothing");

    let r = unlock(&h, &d, &a, &uid, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.body["locked"].clone()), (200, json!(false)), "{}", r.body);
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 401, "the old password is gone");
    let login = h.login_with("u@clinic.example", TEMP).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let t = s(&login.body["session"]["token"]);
    let user = h.me(&t).await;
    assert_eq!((user["must_change_password"].clone(), user["locked"].clone()), (json!(true), json!(false)));

    let blocked = h.call("GET", &format!("/practices/{a}"), Some(&t), None).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));
    let blocked = h.call("PATCH", "/me", Some(&t), Some(json!({"first_name": "X"}))).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));
    let blocked =
        h.call("POST", "/practices", Some(&t), Some(json!({"name": "Mine", "location": {"name": "Here"}}))).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));

    let changed =
        h.call("POST", "/me/password", Some(&t), Some(json!({"current_password": TEMP, "new_password": NEW}))).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
    assert_eq!(h.me(&t).await["must_change_password"], false);
    assert_eq!(h.login_with("u@clinic.example", NEW).await.status, 200);
    assert_eq!(with_action(&h.audit_log(&d, &a).await, "user.unlocked").len(), 1);
}

// R26, R29: setting a temporary password ends every session of the user;
// the user signs in with it and must change it. Password rules, permission
// and membership apply.
#[tokio::test]
async fn a_temporary_password_ends_every_session() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, first) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    let second = h.login("u@clinic.example").await;
    let (_, clinician) = h.member(&a, "clin@clinic.example", "clinician", MemberStatus::Active).await;
    let (stranger, _) = h.signup("stranger@clinic.example").await;

    let r = temporary_password(&h, &d, &a, &uid, "short").await;
    assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "{}", r.body);
    let r =
        h.call("POST", &format!("/practices/{a}/members/{uid}/temporary-password"), Some(&d), Some(json!({}))).await;
    assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "the password is required: {}", r.body);
    let r = temporary_password(&h, &clinician, &a, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = temporary_password(&h, &d, &a, &stranger, TEMP).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(h.call("GET", "/me", Some(&first), None).await.status, 200, "refusals change nothing");

    let r = temporary_password(&h, &d, &a, &uid, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);
    for token in [&first, &second] {
        let r = h.call("GET", "/me", Some(token), None).await;
        assert_eq!((r.status, r.code()), (401, "unauthenticated".into()));
    }
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 401);
    let t = s(&h.login_with("u@clinic.example", TEMP).await.body["session"]["token"]);
    assert_eq!(h.me(&t).await["must_change_password"], true);
    let r = h.call("GET", &format!("/practices/{a}"), Some(&t), None).await;
    assert_eq!((r.status, r.code()), (403, "password_change_required".into()));

    let entries = with_action(&h.audit_log(&d, &a).await, "user.temporary_password_set");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(s(&entries[0]["target"]["id"]), uid);
}

// R26: no temporary password (either route) for a user shared with another
// practice, nor for a director unless the caller is one.
#[tokio::test]
async fn temporary_passwords_refused_for_shared_users_and_for_directors() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (_, _, b) = h.director("other@clinic.example", "Hill Practice").await;
    let (shared, shared_session) = h.member(&a, "shared@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &shared, "front_desk", MemberStatus::Active).await;
    let (d2, _) = h.member(&a, "d2@clinic.example", "director", MemberStatus::Active).await;
    let rid = manager_role(&h, &d, &a).await;
    let (_, manager) = h.member(&a, "manager@clinic.example", &rid, MemberStatus::Active).await;

    // Shared with another practice.
    let r = temporary_password(&h, &d, &a, &shared, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.call("GET", "/me", Some(&shared_session), None).await.status, 200, "sessions kept");
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 200, "password kept");
    lock(&h, "shared@clinic.example").await;
    let r = unlock(&h, &d, &a, &shared, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 423, "the refused unlock did nothing");
    let r = unlock(&h, &d, &a, &shared, None).await;
    assert_eq!(r.status, 200, "a plain unlock is fine: {}", r.body);
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 200);

    // A director, by a non-director with users.manage.
    let r = temporary_password(&h, &manager, &a, &d2, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", PASSWORD).await.status, 200);
    lock(&h, "d2@clinic.example").await;
    let r = unlock(&h, &manager, &a, &d2, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", PASSWORD).await.status, 423);
    // A director may.
    let r = unlock(&h, &d, &a, &d2, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", TEMP).await.status, 200);
    assert!(with_action(&h.audit_log(&d, &a).await, "user.temporary_password_set")
        .iter()
        .all(|e| s(&e["target"]["id"]) != shared));
}

// R26, R31: a temporary password hands its setter the account, so it is
// refused for an account with anything beyond this practice or beyond the
// setter: a deactivated membership elsewhere, a pending invitation, a
// permission the setter lacks, or a support agent's address (even when the
// account would be new, R13).
#[tokio::test]
async fn temporary_passwords_refused_for_accounts_worth_more_than_the_setter() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (_, db, b) = h.director("other@clinic.example", "Hill Practice").await;
    let rid = manager_role(&h, &d, &a).await;
    let (_, manager) = h.member(&a, "manager@clinic.example", &rid, MemberStatus::Active).await;
    let (former, _) = h.member(&a, "former@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &former, "front_desk", MemberStatus::Deactivated).await;
    let (invited, _) = h.member(&a, "invited@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(h.invite(&db, &b, "invited@clinic.example").await.status, 201);
    let (peer, _) = h.member(&a, "peer@clinic.example", &rid, MemberStatus::Active).await;
    let (desk, _) = h.member(&a, "desk@clinic.example", "front_desk", MemberStatus::Active).await;

    for (who, uid) in [("deactivated elsewhere", &former), ("invited elsewhere", &invited)] {
        let r = temporary_password(&h, &d, &a, uid, TEMP).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{who}: {}", r.body);
    }
    // The manager lacks the front desk's patients, inbox, billing.payments...
    let r = temporary_password(&h, &manager, &a, &desk, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("desk@clinic.example", PASSWORD).await.status, 200, "password kept");
    // ...but holds all a fellow manager holds; and the director may do both.
    let r = temporary_password(&h, &manager, &a, &peer, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = temporary_password(&h, &d, &a, &desk, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);

    let lid = h.first_location(&d, &b).await;
    let r = h
        .call(
            "POST",
            &format!("/practices/{b}/invitations"),
            Some(&db),
            Some(json!({"email": "Agent@Support.test", "kind": "staff", "role_id": "front_desk",
                "primary_location_id": lid, "first_name": "Sam", "last_name": "Agent", "temporary_password": TEMP})),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "R13 for an agent's address: {}", r.body);
    let (agent, _) = h.member(&a, SUPPORT_AGENT, "front_desk", MemberStatus::Active).await;
    let r = temporary_password(&h, &d, &a, &agent, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "agent: {}", r.body);
}

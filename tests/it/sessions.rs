//! Sessions a user sees and ends (R49), and strong passwords on every route
//! that sets one (R48).

use crate::common::{items, s, Harness, Reply, DIRECTOR, PASSWORD};
use chrono::Duration;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

async fn login_as(h: &Harness, email: &str, agent: &str) -> String {
    let r = h
        .req("POST", "/auth/login")
        .header("user-agent", agent)
        .json(json!({"email": email, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s(&r.body["session"]["token"])
}

async fn sessions(h: &Harness, token: &str) -> Vec<Value> {
    let r = h.call("GET", "/me/sessions", Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["next_cursor"], Value::Null);
    items(&r.body)
}

fn id_of(list: &[Value], agent: &str) -> String {
    s(&list.iter().find(|x| x["user_agent"] == agent).unwrap_or_else(|| panic!("{agent} in {list:?}"))["id"])
}

// R49: the list names each live session by an id that is no credential,
// with its user agent (cut to 256 characters) and which one is asking;
// ending one ends it, ending the others leaves only the caller's.
#[tokio::test]
async fn a_user_lists_and_ends_their_sessions() {
    let h = Harness::new().await;
    h.signup(DIRECTOR).await;
    let a = login_as(&h, DIRECTOR, "Agent A").await;
    let b = login_as(&h, DIRECTOR, "Agent B").await;
    let long = format!("Agent C {}", "x".repeat(400));
    let c = login_as(&h, DIRECTOR, &format!("{long}\t")).await;

    let list = sessions(&h, &a).await;
    assert_eq!(list.len(), 4, "the sign-up's session too: {list:?}");
    let current: Vec<_> = list.iter().filter(|x| x["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Agent A");
    let cut = list.iter().find(|x| s(&x["user_agent"]).starts_with("Agent C")).expect("C");
    assert_eq!(s(&cut["user_agent"]).chars().count(), 256);
    for x in &list {
        let keys: Vec<&String> = x.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["created_at", "current", "id", "last_used_at", "user_agent"], "{x}");
        for token in [&a, &b, &c] {
            assert!(!token.contains(&s(&x["id"])) && !s(&x["id"]).contains(token.as_str()), "{x}");
        }
    }

    let gone = h.call("DELETE", &format!("/me/sessions/{}", id_of(&list, "Agent B")), Some(&a), None).await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert_eq!(h.call("GET", "/me", Some(&b), None).await.status, 401);
    assert_eq!(sessions(&h, &a).await.len(), 3);
    let again = h.call("DELETE", &format!("/me/sessions/{}", id_of(&list, "Agent B")), Some(&a), None).await;
    assert_eq!(again.status, 404);

    let others = h.call("DELETE", "/me/sessions", Some(&a), None).await;
    assert_eq!(others.status, 204, "{}", others.body);
    assert_eq!(h.call("GET", "/me", Some(&c), None).await.status, 401);
    assert_eq!(h.call("GET", "/me", Some(&a), None).await.status, 200);
    let left = sessions(&h, &a).await;
    assert_eq!((left.len(), &left[0]["current"]), (1, &json!(true)));
}

// R49, R2: another user's session id is 404 to me, and the session lives on.
#[tokio::test]
async fn another_users_session_is_not_found() {
    let h = Harness::new().await;
    h.signup(DIRECTOR).await;
    let (_, other) = h.signup("other@else.example").await;
    let mine = login_as(&h, DIRECTOR, "Mine").await;
    let id = id_of(&sessions(&h, &mine).await, "Mine");
    let r = h.call("DELETE", &format!("/me/sessions/{id}"), Some(&other), None).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()));
    assert!(sessions(&h, &other).await.iter().all(|x| s(&x["id"]) != id));
    assert_eq!(h.call("DELETE", "/me/sessions", Some(&other), None).await.status, 204);
    assert_eq!(h.call("GET", "/me", Some(&mine), None).await.status, 200);
    assert_eq!(h.call("DELETE", "/me/sessions/not-an-id", Some(&other), None).await.status, 404);
}

// R49, R35: an expired session is not listed though its item is still
// there (TTL lags), nor one a password change ended.
#[tokio::test]
async fn ended_and_expired_sessions_are_not_listed() {
    let h = Harness::new().await;
    h.signup(DIRECTOR).await;
    let old = login_as(&h, DIRECTOR, "Old").await;
    h.clock.advance(Duration::hours(11));
    let new = login_as(&h, DIRECTOR, "New").await;
    h.clock.advance(Duration::hours(2));
    let list = sessions(&h, &new).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["user_agent"], "New");
    assert_eq!(h.call("GET", "/me", Some(&old), None).await.status, 401);
    let uid = s(&h.me(&new).await["id"]);
    let stored = h.partition(&format!("USER#{uid}")).await;
    let kept =
        stored.iter().filter(|i| i.get("SK").and_then(|v| v.as_s().ok()).is_some_and(|k| k.starts_with("SESSION#")));
    assert!(kept.count() >= 3, "the expired items are still stored (TTL lags)");
}

async fn refused(r: Reply, field: &str) {
    assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed".into(), field.into()), "{}", r.body);
    let message = s(&r.body["errors"][0]["message"]);
    assert!(message.starts_with("is too easy to guess") && message.len() > 25, "the estimator's hint: {message}");
}

// R48: every route that sets a password refuses a weak one with 422 naming
// its field and the estimator's hint; the person's own words count
// against it.
#[tokio::test]
async fn weak_passwords_are_refused_on_every_route() {
    let h = Harness::new().await;
    let weak = "password1234";
    let signup = json!({"email": "new@clinic.example", "password": weak, "first_name": "Ana", "last_name": "Silva"});
    refused(h.call("POST", "/auth/signup", None, Some(signup)).await, "password").await;
    // Strong alone, but it is the address itself.
    let own = json!({"email": "anasilva@harbour.example", "password": "anasilva@harbour.example",
        "first_name": "Ana", "last_name": "Silva"});
    refused(h.call("POST", "/auth/signup", None, Some(own)).await, "password").await;

    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let change = json!({"current_password": PASSWORD, "new_password": weak});
    refused(h.call("POST", "/me/password", Some(&d), Some(change)).await, "new_password").await;

    assert_eq!(h.call("POST", "/auth/password-reset", None, Some(json!({"email": DIRECTOR}))).await.status, 202);
    let mail = h.mails_to(DIRECTOR, "password_reset").pop().expect("reset mail");
    let token = crate::common::link_token(&mail, "/reset-password/");
    let confirm = json!({"token": token, "new_password": weak});
    refused(h.call("POST", "/auth/password-reset/confirm", None, Some(confirm)).await, "new_password").await;
    // The owner's words are judged once the token names them.
    let confirm = json!({"token": token, "new_password": "director@clinic.example"});
    refused(h.call("POST", "/auth/password-reset/confirm", None, Some(confirm)).await, "new_password").await;

    h.invite(&d, &pid, "invitee@clinic.example").await;
    let link = h.last_invite_token();
    let r = h.register(&link, "Ines", "Costa", weak).await;
    refused(r, "password").await;

    let lid = h.first_location(&d, &pid).await;
    let invite = json!({"email": "temp@clinic.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": lid, "first_name": "Tomas", "last_name": "Reis", "temporary_password": weak});
    refused(
        h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(invite)).await,
        "temporary_password",
    )
    .await;

    let (uid, _) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let temp = json!({"temporary_password": weak});
    let path = format!("/practices/{pid}/members/{uid}/temporary-password");
    refused(h.call("POST", &path, Some(&d), Some(temp)).await, "temporary_password").await;
    let unlock = format!("/practices/{pid}/members/{uid}/unlock");
    refused(h.call("POST", &unlock, Some(&d), Some(json!({"temporary_password": weak}))).await, "temporary_password")
        .await;
    // Strong alone, but it is the member's own address, known once read.
    let named = json!({"temporary_password": "desk@clinic.example"});
    refused(h.call("POST", &path, Some(&d), Some(named)).await, "temporary_password").await;

    // And a strong one passes everywhere it was refused.
    let ok = json!({"current_password": PASSWORD, "new_password": "correct horse battery 42"});
    assert_eq!(h.call("POST", "/me/password", Some(&d), Some(ok)).await.status, 204);
}

// Strength is judged only once it is known who asks and that they may: a
// reset's bad token is 410 whatever the password (neither the estimator
// nor Argon2id runs for it), and a temporary password the caller may not
// set (R36) is 403 before it is judged weak.
#[tokio::test]
async fn strength_is_judged_after_who_asks() {
    let h = Harness::new().await;
    let weak = "password1234";
    let bogus = json!({"token": "not-a-reset-token", "new_password": weak});
    let r = h.call("POST", "/auth/password-reset/confirm", None, Some(bogus)).await;
    assert_eq!((r.status, r.code()), (410, "token_gone".into()), "{}", r.body);

    let (director, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    // A wrong current password is what the change answers, not the new one.
    let change = json!({"current_password": "not the password", "new_password": weak});
    let r = h.call("POST", "/me/password", Some(&d), Some(change)).await;
    assert_eq!((r.field(), r.body["errors"].as_array().map(Vec::len)), ("current_password".into(), Some(1)));
    let role = s(&h.create_role(&d, &pid, "Manager", &["users.manage", "users.view"]).await.body["id"]);
    let (_, m) = h.member(&pid, "m@clinic.example", &role, MemberStatus::Active).await;
    h.verify("m@clinic.example").await;
    let path = format!("/practices/{pid}/members/{director}/temporary-password");
    let r = h.call("POST", &path, Some(&m), Some(json!({"temporary_password": weak}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let lid = h.first_location(&d, &pid).await;
    let invite = json!({"email": "boss@clinic.example", "kind": "staff", "role_id": "director",
        "primary_location_id": lid, "first_name": "Rui", "last_name": "Lopes", "temporary_password": weak});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&m), Some(invite)).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
}

// R49: a user agent is shown in the list as plain text: a right-to-left
// override, zero-width and other invisible characters are left out (the
// rest kept, letters past ASCII included), so no session reads as another
// device.
#[tokio::test]
async fn a_user_agent_is_kept_as_plain_text() {
    let h = Harness::new().await;
    h.signup(DIRECTOR).await;
    let token = login_as(&h, DIRECTOR, "Firefox on Zoë's \u{202E}kooBcaM\u{202C} lap\u{200B}top\u{2028}").await;
    let list = sessions(&h, &token).await;
    let mine = list.iter().find(|x| x["current"] == true).expect("current");
    assert_eq!(mine["user_agent"], "Firefox on Zoë's kooBcaM laptop", "{mine}");
}

// R49: however many sessions a user has (someone signing in again and
// again with the password), a request reads one page of them: the list
// shows that many, and "end the others" ends that many within its time, in
// transactions of 99; a second call ends the rest. The caller's own goes on.
#[tokio::test]
async fn ending_the_others_is_bounded_however_many_there_are() {
    use roster_domain::ids::UserId;
    use roster_domain::ports::{Record, Tx, Write};
    use roster_domain::service::session::{new_session, SESSIONS_READ};
    let mut h = Harness::new().await;
    let (uid, _) = h.signup(DIRECTOR).await;
    let mine = login_as(&h, DIRECTOR, "Mine").await;
    let theirs = login_as(&h, DIRECTOR, "Theirs").await;
    let user_id: UserId = uid.parse().expect("user id");
    let user = h.app.store.user(user_id).await.expect("read").expect("user");
    let extra = SESSIONS_READ + 50;
    for chunk in 0..extra.div_ceil(100) {
        let mut tx = Tx::new();
        for _ in 0..100.min(extra - chunk * 100) {
            tx.push(Write::Put(Record::Session(new_session(&user, h.app.now(), Some("Script")).0)));
        }
        h.app.store.transact(tx).await.expect("sessions stored");
    }
    let listed = h.call("GET", "/me/sessions", Some(&mine), None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(items(&listed.body).len(), SESSIONS_READ, "one page");

    let calls = h.count_store_calls();
    let r = h.call("DELETE", "/me/sessions", Some(&mine), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let made = calls.take();
    let writes = made.iter().filter(|c| c.starts_with("transact")).count();
    assert!(writes <= SESSIONS_READ.div_ceil(99), "{made:?}");
    assert_eq!(made.iter().filter(|c| *c == "sessions_of_user").count(), 1, "{made:?}");
    assert_eq!(h.call("DELETE", "/me/sessions", Some(&mine), None).await.status, 204, "the rest");

    assert_eq!(h.call("GET", "/me", Some(&theirs), None).await.status, 401);
    assert_eq!(h.call("GET", "/me", Some(&mine), None).await.status, 200);
    let left = sessions(&h, &mine).await;
    assert_eq!((left.len(), &left[0]["user_agent"], &left[0]["current"]), (1, &json!("Mine"), &json!(true)));
}

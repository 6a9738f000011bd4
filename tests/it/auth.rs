//! The `auth` function through its real handler, against DynamoDB Local.

use crate::common::{link_token, s, Harness, PASSWORD};
use chrono::Duration;
use serde_json::json;

fn signup_body(email: &str) -> serde_json::Value {
    json!({"email": email, "password": "correct horse battery", "first_name": "Ana", "last_name": "Silva", "title": "Dr"})
}

// R3, R24, R29: sign-up creates the user, a session that works, a hashed
// password and hashed session, and sends the verification mail.
#[tokio::test]
async fn signup_creates_user_session_and_verification_mail() {
    let h = Harness::new().await;
    let r = h.call("POST", "/auth/signup", None, Some(signup_body("  Ana.Silva@Clinic.Example "))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let user = &r.body["user"];
    assert_eq!(user["email"], "Ana.Silva@Clinic.Example");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["title"], "Dr");
    assert_eq!(user["locked"], false);
    assert!(user.get("password_hash").is_none());
    let token = s(&r.body["session"]["token"]);
    assert!(token.len() > 60);

    let me = h.call("GET", "/me", Some(&token), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["id"], user["id"]);
    assert_eq!(me.body["memberships"], json!([]));
    assert_eq!(me.body["pending_invitations"], 0);

    // Stored state: Argon2id hash, session kept only as a hash with a TTL.
    let items = h.partition(&format!("USER#{}", s(&user["id"]))).await;
    let profile = items.iter().find(|i| i["SK"].as_s().ok().map(String::as_str) == Some("PROFILE")).expect("profile");
    assert!(profile["password_hash"].as_s().expect("hash").starts_with("$argon2id$"));
    let session = items.iter().find(|i| i["SK"].as_s().is_ok_and(|s| s.starts_with("SESSION#"))).expect("session");
    assert!(!format!("{session:?}").contains(token.split('.').nth(1).unwrap_or("x")));
    assert!(session.contains_key("ttl"));

    let mails = h.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], "Ana.Silva@Clinic.Example");
    assert_eq!(mails[0]["template"], "verify_email");
    assert!(s(&mails[0]["html"]).contains("https://app.roster.test/verify-email/"));
    assert!(h.events().iter().any(|e| e["detail_type"] == "UserSignedUp"));
}

// R3, R4: one email, one user, whatever the case and spacing.
#[tokio::test]
async fn duplicate_email_is_409_email_taken() {
    let h = Harness::new().await;
    h.signup("maria@clinic.example").await;
    for variant in ["maria@clinic.example", " MARIA@Clinic.Example"] {
        let r = h.call("POST", "/auth/signup", None, Some(signup_body(variant))).await;
        assert_eq!(r.status, 409, "{variant}");
        assert_eq!(r.body["code"], "email_taken");
    }
}

// R3: concurrent sign-ups of one email leave exactly one user.
#[tokio::test]
async fn concurrent_signups_of_one_email_create_one_user() {
    let h = Harness::new().await;
    let tries = (0..8).map(|_| h.call("POST", "/auth/signup", None, Some(signup_body("race@clinic.example"))));
    let results = futures::future::join_all(tries).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let taken = results.iter().filter(|r| r.status == 409 && r.body["code"] == "email_taken").count();
    assert_eq!((created, taken), (1, 7));
}

// R24: right password signs in; a wrong password and an unknown email get
// the same 401 with the same body.
#[tokio::test]
async fn login_right_and_wrong() {
    let h = Harness::new().await;
    h.signup("lee@clinic.example").await;
    let ok = h.login_with(" LEE@clinic.example", "correct horse battery").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let token = s(&ok.body["session"]["token"]);
    assert_eq!(h.call("GET", "/me", Some(&token), None).await.status, 200);

    let wrong = h.login_with("lee@clinic.example", "wrong password!").await;
    let unknown = h.login_with("nobody@clinic.example", "wrong password!").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["code"], "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(unknown.status, 401);
}

// R24: nor does the work tell them apart. A wrong password for a known
// email and any password for an unknown one make the same store calls in
// the same order, each a round trip to DynamoDB, so neither takes longer by
// a round trip; and both answer the same 401.
#[tokio::test]
async fn an_unknown_email_does_the_same_store_work_as_a_wrong_password() {
    let mut h = Harness::new().await;
    h.signup("lee@clinic.example").await;
    let calls = h.count_store_calls();

    let wrong = h.login_with("lee@clinic.example", "wrong password!").await;
    let known = calls.take();
    let unknown = h.login_with("nobody@clinic.example", "wrong password!").await;
    let nobody = calls.take();

    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials".into()), "{}", wrong.body);
    assert_eq!((unknown.status, unknown.body), (wrong.status, wrong.body));
    assert!(known.iter().any(|c| c.starts_with("count_attempt")), "a wrong password is counted: {known:?}");
    assert_eq!(nobody, known, "unknown email, then known email with a wrong password");
    // The stand-in counted for an unknown email is no account's: the known
    // one's streak holds its own failure alone, so four more lock it.
    for _ in 0..3 {
        assert_eq!(h.login_with("nobody@clinic.example", "wrong password!").await.status, 401);
        assert_eq!(h.login_with("lee@clinic.example", "wrong password!").await.status, 401);
    }
    assert_eq!(h.login_with("lee@clinic.example", "wrong password!").await.status, 423);
    assert_eq!(h.login_with("nobody@clinic.example", "wrong password!").await.status, 401);
}

// R29, R35: a session past its 12 hours is refused on read, though its item
// is still in the table (TTL deletion lags).
#[tokio::test]
async fn session_expiry_is_checked_on_read() {
    let h = Harness::new().await;
    let (uid, token) = h.signup("exp@clinic.example").await;
    h.clock.advance(Duration::hours(12) - Duration::seconds(1));
    assert_eq!(h.call("GET", "/me", Some(&token), None).await.status, 200);
    h.clock.advance(Duration::seconds(2));
    let r = h.call("GET", "/me", Some(&token), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "unauthenticated");
    let still_stored = h
        .partition(&format!("USER#{uid}"))
        .await
        .iter()
        .any(|i| i["SK"].as_s().is_ok_and(|s| s.starts_with("SESSION#")));
    assert!(still_stored, "the test must show the read-time check, not TTL");
}

// R29: sign-out ends the session at once.
#[tokio::test]
async fn logout_ends_the_session() {
    let h = Harness::new().await;
    let (_, token) = h.signup("out@clinic.example").await;
    assert_eq!(h.call("POST", "/auth/logout", Some(&token), None).await.status, 204);
    assert_eq!(h.call("GET", "/me", Some(&token), None).await.status, 401);
    assert_eq!(h.call("POST", "/auth/logout", Some(&token), None).await.status, 401);
}

// A session token is bound to its user: tampering with either part fails.
#[tokio::test]
async fn forged_tokens_are_401() {
    let h = Harness::new().await;
    let (_, token) = h.signup("forge@clinic.example").await;
    let (other, _) = h.signup("other@clinic.example").await;
    let secret = token.split_once('.').map(|x| x.1).unwrap_or_default();
    for bad in [format!("{other}.{secret}"), format!("{token}x"), "garbage".into(), String::new()] {
        let r = h.call("GET", "/me", Some(&bad), None).await;
        assert_eq!(r.status, 401, "{bad}");
    }
    assert_eq!(h.call("GET", "/me", None, None).await.status, 401);
}

// Email verification: the mailed link works once.
#[tokio::test]
async fn verify_email_from_the_mailed_link() {
    let h = Harness::new().await;
    let (_, token) = h.signup("verify@clinic.example").await;
    let link = link_token(&h.mails()[0], "/verify-email/");
    let r = h.call("POST", "/auth/verify-email", None, Some(json!({"token": link}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let me = h.call("GET", "/me", Some(&token), None).await;
    assert_eq!(me.body["user"]["email_verified"], true);
    let again = h.call("POST", "/auth/verify-email", None, Some(json!({"token": link}))).await;
    assert_eq!(again.status, 410);
    let unknown = h.call("POST", "/auth/verify-email", None, Some(json!({"token": "nope"}))).await;
    assert_eq!(unknown.status, 410);
}

// R35: the verification link dies after its lifetime, checked on read.
#[tokio::test]
async fn verify_email_link_expires() {
    let h = Harness::new().await;
    h.signup("late@clinic.example").await;
    let link = link_token(&h.mails()[0], "/verify-email/");
    h.clock.advance(Duration::hours(49));
    let r = h.call("POST", "/auth/verify-email", None, Some(json!({"token": link}))).await;
    assert_eq!(r.status, 410);
}

#[tokio::test]
async fn patch_me_updates_names_and_clears_title() {
    let h = Harness::new().await;
    let (uid, token) = h.signup("patch@clinic.example").await;
    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"first_name": " Joana ", "title": null}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["first_name"], "Joana");
    assert_eq!(r.body["last_name"], "Silva");
    assert_eq!(r.body["title"], serde_json::Value::Null);
    let me = h.call("GET", "/me", Some(&token), None).await;
    assert_eq!(me.body["user"]["first_name"], "Joana");
    let bad =
        h.call("PATCH", "/me", Some(&token), Some(json!({"first_name": "  ", "last_name": "x".repeat(101)}))).await;
    assert_eq!(bad.status, 422);
    let fields: Vec<_> =
        bad.body["errors"].as_array().map(|a| a.iter().map(|e| s(&e["field"])).collect()).unwrap_or_default();
    assert_eq!(fields, vec!["first_name", "last_name"]);
    // R32: the change is audited with before and after.
    let audit = h.partition(&format!("AUDIT#USER#{uid}")).await;
    assert!(audit.iter().any(|i| i["action"].as_s().is_ok_and(|a| a == "user.profile_updated")));
}

// R29: a password change ends every other session, keeps the caller's.
#[tokio::test]
async fn password_change_ends_other_sessions() {
    let h = Harness::new().await;
    let (_, first) = h.signup("pw@clinic.example").await;
    let second = s(&h.login_with("pw@clinic.example", "correct horse battery").await.body["session"]["token"]);
    let wrong = h
        .call(
            "POST",
            "/me/password",
            Some(&first),
            Some(json!({"current_password": "not it at all", "new_password": "a brand new secret"})),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    let short = h
        .call(
            "POST",
            "/me/password",
            Some(&first),
            Some(json!({"current_password": "correct horse battery", "new_password": "short"})),
        )
        .await;
    assert_eq!(short.status, 422);
    let ok = h
        .call(
            "POST",
            "/me/password",
            Some(&first),
            Some(json!({"current_password": "correct horse battery", "new_password": "a brand new secret"})),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(h.call("GET", "/me", Some(&first), None).await.status, 200);
    assert_eq!(h.call("GET", "/me", Some(&second), None).await.status, 401);
    let old = h.login_with("pw@clinic.example", "correct horse battery").await;
    assert_eq!(old.status, 401);
    let new = h.login_with("pw@clinic.example", "a brand new secret").await;
    assert_eq!(new.status, 200);
}

// R4: an address that folds into another under Unicode rules is no address
// (the Kelvin sign would have squatted the real kate@), list and display-name
// forms and invisible characters are refused, and an IDN domain is one
// account in either of its forms.
#[tokio::test]
async fn emails_are_normalised_by_ascii_rules_on_the_idna_domain() {
    let h = Harness::new().await;
    let (kate, _) = h.signup("kate@clinic.example").await;
    for squatter in [
        "\u{212A}ate@clinic.example",
        "Evil<kate@clinic.example>",
        "kate@clinic.example,evil@x.test",
        "ka\u{200b}te@clinic.example",
        "kate\u{202e}@clinic.example",
        "\"kate\"@clinic.example",
    ] {
        let body = json!({"email": squatter, "password": PASSWORD, "first_name": "E", "last_name": "Vil"});
        let r = h.call("POST", "/auth/signup", None, Some(body)).await;
        assert_eq!((r.status, r.field()), (422, "email".into()), "{squatter:?}: {}", r.body);
    }
    // The real owner still signs in, as herself.
    let r = h.login_with("KATE@clinic.example", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = h.me(&s(&r.body["session"]["token"])).await;
    assert_eq!(s(&me["id"]), kate);

    let (idn, _) = h.signup("idn@b\u{fc}cher.test").await;
    let body = json!({"email": "IDN@xn--bcher-kva.test", "password": PASSWORD, "first_name": "A", "last_name": "B"});
    let r = h.call("POST", "/auth/signup", None, Some(body)).await;
    assert_eq!((r.status, r.code()), (409, "email_taken".into()), "{}", r.body);
    let r = h.login_with("idn@xn--bcher-kva.test", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s(&h.me(&s(&r.body["session"]["token"])).await["id"]), idn);
}

// Names may not hide characters or reverse their own text (issue 11).
#[tokio::test]
async fn names_with_invisible_or_bidirectional_characters_are_422() {
    let h = Harness::new().await;
    let (_, token) = h.signup("ana@clinic.example").await;
    for (field, value) in [("first_name", "Ana\u{202e}avliS"), ("last_name", "Sil\u{200b}va"), ("title", "\u{2066}Dr")]
    {
        let r = h.call("PATCH", "/me", Some(&token), Some(json!({ field: value }))).await;
        assert_eq!((r.status, r.field()), (422, field.to_string()), "{}", r.body);
    }
    assert_eq!(h.me(&token).await["first_name"], "Ana");
    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"last_name": "Silva-Sørensen"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// Names may not pass for others with lookalike letters (issue 11 item 9):
// a Latin word with a Cyrillic or Greek letter in it is 422 naming the
// field, and nothing changes. Names written in one script, Latin with its
// accents, or Latin beside CJK, are names.
#[tokio::test]
async fn names_mixing_lookalike_scripts_are_422() {
    let h = Harness::new().await;
    let (_, token) = h.signup("ana@clinic.example").await;
    for (field, value) in [
        // Cyrillic А, Cyrillic а, Greek ο, Armenian օ.
        ("first_name", "\u{410}dmin"),
        ("last_name", "P\u{430}ypal"),
        ("title", "Pr\u{3bf}f"),
        ("last_name", "G\u{585}\u{585}gle"),
    ] {
        let r = h.call("PATCH", "/me", Some(&token), Some(json!({ field: value }))).await;
        assert_eq!((r.status, r.field()), (422, field.to_string()), "{value}: {}", r.body);
    }
    let me = h.me(&token).await;
    assert_eq!(
        (me["first_name"].clone(), me["last_name"].clone(), me["title"].clone()),
        (json!("Ana"), json!("Silva"), json!(null))
    );

    for (first, last) in [
        ("José", "O'Brien"),
        ("Zoë", "Nguyễn"),
        ("Łukasz", "Smith-Jones"),
        ("Иван", "Петров"),
        ("Νίκος", "Παπαδόπουλος"),
        ("王芳", "山田 太郎"),
        ("محمد", "עברי"),
        ("प्रिया", "D’Angelo"),
    ] {
        let r = h.call("PATCH", "/me", Some(&token), Some(json!({"first_name": first, "last_name": last}))).await;
        assert_eq!(r.status, 200, "{first} {last}: {}", r.body);
        let me = h.me(&token).await;
        assert_eq!((s(&me["first_name"]), s(&me["last_name"])), (first.to_string(), last.to_string()));
    }
    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"title": "Dr 王"}))).await;
    assert_eq!(r.status, 200, "Latin beside Han: {}", r.body);

    // Styled letters (a Japanese input method's fullwidth, mathematical
    // bold) are stored as the letters they dress up; words in two scripts
    // are a name.
    let styled = json!({"first_name": "\u{ff34}\u{ff41}\u{ff52}\u{ff4f}", "last_name": "\u{1d40f}etrov Иванов"});
    let r = h.call("PATCH", "/me", Some(&token), Some(styled)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = h.me(&token).await;
    assert_eq!((s(&me["first_name"]), s(&me["last_name"])), ("Taro".to_string(), "Petrov Иванов".to_string()));
}

// Issue 14 (the fuzzer): a name cannot be cleared; `null` is 422 naming it,
// as the document types it a string, and nothing changes.
#[tokio::test]
async fn a_null_name_is_422() {
    let h = Harness::new().await;
    let (_, token) = h.signup("ana@clinic.example").await;
    for field in ["first_name", "last_name"] {
        let r = h.call("PATCH", "/me", Some(&token), Some(json!({ field: null }))).await;
        assert_eq!((r.status, r.field()), (422, field.to_string()), "{}", r.body);
    }
    assert_eq!(h.me(&token).await["last_name"], "Silva");
    let r = h.call("PATCH", "/me", Some(&token), Some(json!({"title": null}))).await;
    assert_eq!(r.status, 200, "a title may be cleared: {}", r.body);
}

//! Sessions and challenges end with a lock or a change (R29, issue 11).

use super::*;
use crate::common::{Harness, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn a_lock_ends_every_session_of_the_user() {
    let h = Harness::new().await;
    let (_, before) = h.signup("locked@clinic.example").await;
    assert_eq!(h.call("GET", "/me", Some(&before), None).await.status, 200);
    lock(&h, "locked@clinic.example").await;
    let r = h.call("GET", "/me", Some(&before), None).await;
    assert_eq!((r.status, r.code()), (401, "unauthenticated".into()), "{}", r.body);
    let r = h.call("PATCH", "/me", Some(&before), Some(json!({"first_name": "Still"}))).await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test]
async fn an_mfa_token_dies_with_a_password_change() {
    let h = Harness::new().await;
    let (_, token) = h.signup("two@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("two@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let pending = mfa_token(&h, "two@clinic.example", PASSWORD).await;
    let body = json!({"current_password": PASSWORD, "new_password": NEW});
    assert_eq!(h.call("POST", "/me/password", Some(&token), Some(body)).await.status, 204);
    let r = login_mfa(&h, &pending, &fresh_code(&h, &secret)).await;
    assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "{}", r.body);
    // A challenge issued after the change still works.
    let fresh = mfa_token(&h, "two@clinic.example", NEW).await;
    let r = login_mfa(&h, &fresh, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn nobody_unlocks_or_resets_themselves_as_an_administrator() {
    let h = Harness::new().await;
    let (uid, d, pid) = h.director("d@clinic.example", "Harbour").await;
    let r = unlock(&h, &d, &pid, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = temporary_password(&h, &d, &pid, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.me(&d).await["must_change_password"], false);
}

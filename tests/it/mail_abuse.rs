//! Mail abuse (R41): anyone may ask for a password reset for any address, so
//! the mails one account receives are limited, without the answer telling.

use crate::common::{link_token, Harness};
use chrono::Duration;
use serde_json::json;

const VICTIM: &str = "victim@clinic.example";
const OTHER: &str = "other@clinic.example";

impl Harness {
    /// `POST /auth/password-reset` for `email`, which must answer 202.
    async fn ask_reset(&self, email: &str) {
        let r = self.call("POST", "/auth/password-reset", None, Some(json!({"email": email}))).await;
        assert_eq!(r.status, 202, "{email}: {}", r.body);
    }

    /// How many reset mails `email` has received.
    fn resets_to(&self, email: &str) -> usize {
        self.mails_to(email, "password_reset").len()
    }
}

// R41: ten requests for one account at once send exactly three mails, each
// with its own link, and say nothing of it (all 202).
// Another account is not held back by them. The limit is an hour wide and
// refused requests do not extend it, so an attacker asking all the time
// cannot keep the owner from resetting for longer than that.
#[tokio::test]
async fn three_reset_mails_an_hour_however_many_are_asked_for() {
    let h = Harness::new().await;
    let (victim, _) = h.signup(VICTIM).await;
    h.signup(OTHER).await;

    futures::future::join_all((0..10).map(|_| h.ask_reset(VICTIM))).await;
    assert_eq!(h.resets_to(VICTIM), 3, "ten asked, three sent");
    let mut links: Vec<String> =
        h.mails_to(VICTIM, "password_reset").iter().map(|m| link_token(m, "/reset-password/")).collect();
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 3, "each mail its own link");
    let audit = h.partition(&format!("AUDIT#USER#{victim}")).await;
    let requested = audit.iter().filter(|i| i["action"].as_s().is_ok_and(|a| a == "user.password_reset_requested"));
    assert_eq!(requested.count(), 3, "only the mails sent are recorded as requested");

    h.ask_reset(OTHER).await;
    assert_eq!(h.resets_to(OTHER), 1, "another account is not limited by the first one's requests");

    // Still within the hour of the first three: nothing more.
    h.clock.advance(Duration::minutes(59));
    h.ask_reset(VICTIM).await;
    assert_eq!(h.resets_to(VICTIM), 3);

    // An hour after them, three more, and again no fourth.
    h.clock.advance(Duration::minutes(2));
    for _ in 0..4 {
        h.ask_reset(VICTIM).await;
    }
    assert_eq!(h.resets_to(VICTIM), 6, "the limit is an hour wide, and refusals did not extend it");
    let newest = h.mails_to(VICTIM, "password_reset").pop().expect("a reset mail");
    let r = h
        .call(
            "POST",
            "/auth/password-reset/confirm",
            None,
            Some(json!({"token": link_token(&newest, "/reset-password/"), "new_password": "a brand new secret"})),
        )
        .await;
    assert_eq!(r.status, 204, "the owner resets with the latest mail: {}", r.body);
    assert_eq!(h.login_with(VICTIM, "a brand new secret").await.status, 200);
}

// Three resets asked for by someone else, then the account locked by five
// wrong passwords: the lock killed those three links, so they count no
// more, and the owner's own request still brings a link that works.
#[tokio::test]
async fn a_lock_after_three_resets_still_leaves_the_owner_a_link() {
    let h = Harness::new().await;
    h.signup(VICTIM).await;
    for _ in 0..3 {
        h.ask_reset(VICTIM).await;
    }
    for _ in 0..5 {
        h.login_with(VICTIM, "not the password").await;
    }
    assert_eq!(h.login_with(VICTIM, crate::common::PASSWORD).await.status, 423);
    h.ask_reset(VICTIM).await;
    let mails = h.mails_to(VICTIM, "password_reset");
    assert_eq!(mails.len(), 4, "a fourth mail after the lock");
    for dead in &mails[..3] {
        let body = json!({"token": link_token(dead, "/reset-password/"), "new_password": "a brand new passphrase"});
        assert_eq!(h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await.status, 410);
    }
    let body = json!({"token": link_token(&mails[3], "/reset-password/"), "new_password": "a brand new passphrase"});
    assert_eq!(h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await.status, 204);
    assert_eq!(h.login_with(VICTIM, "a brand new passphrase").await.status, 200);
}

//! R38: no secret in any log line. The flows that carry secrets (sign-up,
//! verification, invitation links, registration, accepting, password reset,
//! the second factor, temporary passwords) run with the functions' own log
//! subscriber writing to a buffer, and nothing they were given or gave out
//! may appear in it.

use crate::common::PASSWORD;
use crate::common::{link_token, s, Harness};
use chrono::Duration;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Every line the subscriber writes, kept.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0.lock().map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default()
    }
}

fn totp_now(h: &Harness, secret: &str) -> String {
    use roster_domain::clock::Clock;
    h.clock.advance(Duration::seconds(31));
    let key = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().expect("base32 secret");
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, key).generate(h.clock.now().timestamp() as u64)
}

#[tokio::test]
async fn no_token_password_or_secret_reaches_the_logs() {
    let logs = Captured::default();
    // The test runtime runs on this one thread, so a thread-local default
    // sees every request's log lines.
    let _guard = tracing::subscriber::set_default(roster_api::log_subscriber("info", logs.clone()));
    let h = Harness::new().await;
    let mut secrets: Vec<(&str, String)> = vec![("password", PASSWORD.to_string())];

    // Sign-up and the verification link.
    let (_, director, pid) = h.director("d@clinic.example", "Harbour").await;
    secrets.push(("session", director.clone()));
    // (The harness verified the director's email from this link.)
    let verify = link_token(&h.mails_to("d@clinic.example", "verify_email")[0], "/verify-email/");
    secrets.push(("verification token", verify.clone()));

    // An invitation link: preview, register.
    assert_eq!(h.invite(&director, &pid, "new@clinic.example").await.status, 201);
    let link = h.invite_token_for("new@clinic.example");
    secrets.push(("invitation token", link.clone()));
    assert_eq!(h.call("GET", &format!("/invitations/{link}"), None, None).await.status, 200);
    let joined_password = "a fresh joiner's password";
    secrets.push(("registration password", joined_password.to_string()));
    let r = h.register(&link, "Nia", "Reyes", joined_password).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let joiner = s(&r.body["session"]["token"]);
    secrets.push(("registered session", joiner.clone()));

    // An invitation accepted by its link by an existing account.
    let (_, existing) = h.signup("old@clinic.example").await;
    assert_eq!(h.invite(&director, &pid, "old@clinic.example").await.status, 201);
    let link = h.invite_token_for("old@clinic.example");
    secrets.push(("second invitation token", link.clone()));
    let r = h.call("POST", &format!("/invitations/{link}/accept"), Some(&existing), None).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A password reset.
    assert_eq!(
        h.call("POST", "/auth/password-reset", None, Some(json!({"email": "old@clinic.example"}))).await.status,
        202
    );
    let reset = link_token(&h.mails_to("old@clinic.example", "password_reset")[0], "/reset-password/");
    secrets.push(("reset token", reset.clone()));
    let reset_password = "the password after a reset";
    secrets.push(("reset password", reset_password.to_string()));
    let body = json!({"token": reset, "new_password": reset_password});
    assert_eq!(h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await.status, 204);

    // The second factor: its secret, the mfa_token, the session it gives.
    let r = h.call("POST", "/me/mfa/totp", Some(&joiner), None).await;
    let secret = s(&r.body["secret"]);
    secrets.push(("TOTP secret", secret.clone()));
    let r = h.call("POST", "/me/mfa/totp/confirm", Some(&joiner), Some(json!({"code": totp_now(&h, &secret)}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.login_with("new@clinic.example", joined_password).await;
    let mfa = s(&r.body["mfa_token"]);
    secrets.push(("mfa_token", mfa.clone()));
    let r =
        h.call("POST", "/auth/login/mfa", None, Some(json!({"mfa_token": mfa, "code": totp_now(&h, &secret)}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    secrets.push(("second-factor session", s(&r.body["session"]["token"])));

    // A temporary password, and a wrong password.
    let temporary = "a temporary pass 42";
    secrets.push(("temporary password", temporary.to_string()));
    let loc = h.first_location(&director, &pid).await;
    let body = json!({"email": "temp@clinic.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": loc, "first_name": "Tem", "last_name": "Porary", "temporary_password": temporary});
    assert_eq!(h.call("POST", &format!("/practices/{pid}/invitations"), Some(&director), Some(body)).await.status, 201);
    let wrong = "not the password at all";
    secrets.push(("wrong password", wrong.to_string()));
    assert_eq!(h.login_with("d@clinic.example", wrong).await.status, 401);

    let text = logs.text();
    // The requests were logged, by route, so the search below searched something.
    assert!(text.contains("\"route\":\"/invitations/{token}/register\""), "{text}");
    assert!(text.contains("\"route\":\"/auth/password-reset/confirm\""), "{text}");
    for (what, secret) in &secrets {
        assert!(!secret.is_empty(), "{what} was captured");
        assert!(!text.contains(secret.as_str()), "the {what} appears in the logs");
    }
}

// Issue 14: a support ticket that quotes a problem's `instance` leads to the
// request's log line, which carries API Gateway's request id.
#[tokio::test]
async fn a_problem_names_its_request_and_the_log_line_carries_it() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(roster_api::log_subscriber("info", logs.clone()));
    let h = Harness::new().await;
    let r = h.req("GET", "/me").request_id("JRI1cjcoIAMEMjw=").send().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["instance"], "urn:roster:request:JRI1cjcoIAMEMjw=");
    let text = logs.text();
    let line = text.lines().find(|l| l.contains("\"route\":\"/me\"")).unwrap_or_default();
    assert!(line.contains("\"request_id\":\"JRI1cjcoIAMEMjw=\""), "{text}");
}

// Issue 14, in R38's spirit: the bounce path names an address by a hash in
// its log lines, never in clear, whether it marks, withholds or ignores.
#[tokio::test]
async fn the_bounce_path_logs_no_address() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(roster_api::log_subscriber("info", logs.clone()));
    let h = Harness::new().await;
    let (_, token, pid) = h.director("dana@harbour.example", "Harbour").await;
    let bouncing = "bounce.kim@clinic.example";
    let r = h.invite(&token, &pid, bouncing).await;
    let resend = format!("/practices/{pid}/invitations/{}/resend", s(&r.body["id"]));
    assert_eq!(h.call("POST", &resend, Some(&token), None).await.status, 200);
    let stranger = "stranger@elsewhere.example";
    let event = json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {"bounce": {
        "bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": stranger}]}}});
    roster_api::mail_events::handle(&h.app, &event).await.expect("handled");

    let text = logs.text();
    for line in ["address marked undeliverable", "mail withheld", "does not know"] {
        assert!(text.contains(line), "no {line:?} line in:\n{text}");
    }
    for address in [bouncing, "bounce.kim", stranger, "stranger@"] {
        assert!(!text.contains(address), "{address} in the logs:\n{text}");
    }
}

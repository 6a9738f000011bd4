//! Mail whose failures are seen (issue 14), end to end: the local `dir`
//! transport plays the receiving servers (an address starting `bounce`,
//! `complaint` or `transient` gets that feedback), and SES's events reach
//! the same domain service through the real `mail-events` handler.

use crate::common::{items, s, Harness};
use roster_api::mail_events;
use serde_json::{json, Value};

const BOUNCING: &str = "bounce.ana@clinic.example";

impl Harness {
    /// The stored undeliverable mark on `email_norm`, if any.
    async fn mark(&self, email_norm: &str) -> Option<(String, u32)> {
        let items = self.partition(&format!("EMAIL#{email_norm}")).await;
        let mark = items.into_iter().find(|i| i["SK"].as_s().is_ok_and(|sk| sk == "UNDELIVERABLE"))?;
        let reason = mark["reason"].as_s().expect("reason").clone();
        let skipped = mark["skipped"].as_n().expect("skipped").parse().expect("a count");
        Some((reason, skipped))
    }

    /// Every mail file written to `to`, whatever its template.
    fn all_mails_to(&self, to: &str) -> Vec<Value> {
        self.mails().into_iter().filter(|m| s(&m["to"]) == to).collect()
    }

    /// The practice's invitations list, by email.
    async fn delivery_of(&self, token: &str, pid: &str, email: &str) -> Value {
        let r = self.call("GET", &format!("/practices/{pid}/invitations"), Some(token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let found = items(&r.body).into_iter().find(|i| i["email"] == email).expect("the invitation is listed");
        found["delivery"].clone()
    }

    async fn feedback(&self, event: &Value) -> roster_domain::service::mail_feedback::FeedbackSummary {
        mail_events::handle(&self.app, event).await.expect("the handler records or drops, never fails here")
    }
}

/// An SES event as EventBridge delivers it (envelope and record as in
/// AWS's examples), trimmed to what the shapes need.
fn ses_event(detail_type: &str, detail: Value) -> Value {
    json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type,
        "source": "aws.ses", "account": "123456789012", "time": "2026-11-30T00:41:02Z", "region": "eu-west-1",
        "resources": [], "detail": detail})
}

pub(crate) fn bounce(bounce_type: &str, to: &str) -> Value {
    ses_event(
        "Email Bounced",
        json!({"eventType": "Bounce", "bounce": {"bounceType": bounce_type, "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-11-30T00:41:02.669Z", "feedbackId": "0100-example", "reportingMTA": "dsn; mta.example.com"},
            "mail": {"timestamp": "2026-11-30T00:40:02.012Z", "messageId": "EXAMPLE-1", "destination": [to]}}),
    )
}

fn complaint(to: &str) -> Value {
    ses_event(
        "Email Complaint Received",
        json!({"eventType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": to}],
            "timestamp": "2026-11-30T01:11:59.000Z", "feedbackId": "0100-example", "complaintFeedbackType": "abuse"},
            "mail": {"timestamp": "2026-11-30T01:00:00.000Z", "messageId": "EXAMPLE-2", "destination": [to]}}),
    )
}

// The whole path: the invitation mail leaves and bounces; the practice
// sees it bounced in the list and in the resend's answer; nothing more is
// sent (the resend and a second practice's invitation are withheld and
// counted); sign-up with the address works; the person's own request for
// a verification link lifts the mark and tries again.
#[tokio::test]
async fn a_bounced_invitation_shows_bounced_and_nothing_more_is_sent() {
    let h = Harness::new().await;
    let (_, token, pid) = h.director("dana@harbour.example", "Harbour").await;
    let r = h.invite(&token, &pid, BOUNCING).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["delivery"], "sent", "no bounce was known when it was created");
    let iid = s(&r.body["id"]);
    assert_eq!(h.all_mails_to(BOUNCING).len(), 1, "the mail left");
    assert_eq!(h.mark(BOUNCING).await, Some(("bounced".into(), 0)));
    assert_eq!(h.delivery_of(&token, &pid, BOUNCING).await, "bounced");

    // Another invitation of the practice is untouched.
    assert_eq!(h.invite(&token, &pid, "jo@harbour.example").await.status, 201);
    assert_eq!(h.delivery_of(&token, &pid, "jo@harbour.example").await, "sent");

    let resend = h.call("POST", &format!("/practices/{pid}/invitations/{iid}/resend"), Some(&token), None).await;
    assert_eq!(resend.status, 200, "{}", resend.body);
    assert_eq!(resend.body["delivery"], "bounced");
    assert_eq!(h.all_mails_to(BOUNCING).len(), 1, "the resend was withheld");
    assert_eq!(h.mark(BOUNCING).await, Some(("bounced".into(), 1)), "and counted");

    // A new invitation to the marked address: made, bounced at once, unsent.
    let (_, other, quay) = h.director("flo@quay.example", "Quay").await;
    let r = h.invite(&other, &quay, BOUNCING).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["delivery"], "bounced");
    assert_eq!(h.all_mails_to(BOUNCING).len(), 1);
    assert_eq!(h.mark(BOUNCING).await, Some(("bounced".into(), 2)));

    // Sign-up is not blocked; its verification mail is withheld.
    let (_, session) = h.signup(BOUNCING).await;
    assert_eq!(h.all_mails_to(BOUNCING).len(), 1);
    assert_eq!(h.mark(BOUNCING).await, Some(("bounced".into(), 3)));

    // The person asks for the link themselves: the mark is lifted and the
    // mail tried; this mailbox still bounces, so it is marked afresh.
    let r = h.call("POST", "/auth/verify-email/resend", Some(&session), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.mails_to(BOUNCING, "verify_email").len(), 1, "tried again");
    assert_eq!(h.mark(BOUNCING).await, Some(("bounced".into(), 0)), "marked again by the new bounce");

    // The admin's fix: revoke, and invite the right address.
    let r = h.call("DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(&token), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.delivery_of(&token, &pid, BOUNCING).await, "sent", "only a pending invitation shows a bounce");
    assert_eq!(h.invite(&token, &pid, "ana@clinic.example").await.body["delivery"], "sent");
    assert_eq!(h.mails_to("ana@clinic.example", "invitation_new_user").len(), 1);
}

// SES's events through the handler: a transient bounce marks nothing, a
// complaint marks, the same event again changes nothing, a bounce never
// softens a complaint, and no one's reset request lifts it.
#[tokio::test]
async fn ses_feedback_marks_only_what_it_should_and_twice_is_once() {
    let h = Harness::new().await;
    let kim = "kim@clinic.example";
    h.signup(kim).await;

    let summary = h.feedback(&bounce("Transient", kim)).await;
    assert_eq!((summary.marked, summary.ignored), (0, 1));
    assert_eq!(h.mark(kim).await, None, "a transient bounce marks nothing");

    let event = complaint("  KIM@Clinic.Example ");
    assert_eq!(h.feedback(&event).await.marked, 1);
    assert_eq!(h.mark(kim).await, Some(("complained".into(), 0)), "marked under the normalised email");
    assert_eq!(h.feedback(&event).await.marked, 1, "delivered again");
    assert_eq!(h.mark(kim).await, Some(("complained".into(), 0)), "and nothing changed");

    h.feedback(&bounce("Permanent", kim)).await;
    assert_eq!(h.mark(kim).await, Some(("complained".into(), 0)), "a bounce does not soften a complaint");

    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": kim}))).await;
    assert_eq!(r.status, 202);
    assert!(h.mails_to(kim, "password_reset").is_empty(), "a complaint is not lifted by a reset request");
    assert_eq!(h.mark(kim).await, Some(("complained".into(), 1)));
}

// A bounce for an address Roster does not know is ignored; one for a
// pending invitation's address marks it, and the practice sees it.
#[tokio::test]
async fn only_known_addresses_are_marked() {
    let h = Harness::new().await;
    let summary = h.feedback(&bounce("Permanent", "stranger@elsewhere.example")).await;
    assert_eq!((summary.marked, summary.ignored), (0, 1));
    assert_eq!(h.mark("stranger@elsewhere.example").await, None);

    let (_, token, pid) = h.director("dana@harbour.example", "Harbour").await;
    assert_eq!(h.invite(&token, &pid, "lee@clinic.example").await.status, 201);
    assert_eq!(h.delivery_of(&token, &pid, "lee@clinic.example").await, "sent");
    assert_eq!(h.feedback(&bounce("Permanent", "lee@clinic.example")).await.marked, 1);
    assert_eq!(h.delivery_of(&token, &pid, "lee@clinic.example").await, "bounced");
}

// A bounce lifted by a reset request: the person whose mailbox works again
// gets their reset mail.
#[tokio::test]
async fn a_reset_request_lifts_a_bounce_and_the_mail_goes() {
    let h = Harness::new().await;
    let ana = "ana@clinic.example";
    h.signup(ana).await;
    h.feedback(&bounce("Permanent", ana)).await;
    assert_eq!(h.mark(ana).await, Some(("bounced".into(), 0)));
    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": ana}))).await;
    assert_eq!(r.status, 202);
    assert_eq!(h.mails_to(ana, "password_reset").len(), 1, "the mail went");
    assert_eq!(h.mark(ana).await, None, "the mark is gone");
}

// Hostile or foreign events are dropped without error (Lambda would retry
// an error), and mark nothing.
#[tokio::test]
async fn malformed_events_are_dropped_not_failed() {
    let h = Harness::new().await;
    let kim = "kim@clinic.example";
    h.signup(kim).await;
    let mut forged = complaint(kim);
    forged["source"] = json!("roster");
    let many: Vec<Value> = (0..500).map(|i| json!({"emailAddress": format!("x{i}@a.example")})).collect();
    let hostile = [
        json!(null),
        json!({"detail-type": "Email Bounced"}),
        json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {"bounce": "Permanent"}}),
        forged,
        bounce("Permanent", "\u{0}kim@clinic.example"),
        bounce("Permanent", &format!("{}@clinic.example", "k".repeat(10_000))),
        ses_event("Email Bounced", json!({"bounce": {"bounceType": "Permanent", "bouncedRecipients": many}})),
    ];
    for event in &hostile {
        let summary = h.feedback(event).await;
        assert_eq!(summary.marked, 0, "{event}");
    }
    assert_eq!(h.mark(kim).await, None);
}

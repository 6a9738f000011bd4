//! The `mail-events` function's entry: SES's bounce and complaint events,
//! as EventBridge delivers them from the account's default bus, parsed into
//! the domain's `MailFeedback` and handed to `mail_feedback::record`.
//!
//! Only what marking needs is read: the detail-type, the bounce type and
//! the recipients' addresses. Anything else in the event is ignored, and
//! an event that is not SES feedback is acknowledged and dropped, since
//! retrying it would never make it one.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use roster_domain::model::{FeedbackKind, MailFeedback};
use roster_domain::ports::App;
use roster_domain::service::mail_feedback::{self, FeedbackSummary};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// The detail-types the template's rule lets through (EventBridge's SES
/// reference, "Amazon SES service events").
pub const BOUNCED: &str = "Email Bounced";
pub const COMPLAINED: &str = "Email Complaint Received";

#[derive(Deserialize)]
struct Envelope {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Detail,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// The feedback an EventBridge event carries, or why it carries none.
pub fn parse(event: &Value) -> Result<MailFeedback, &'static str> {
    let envelope = Envelope::deserialize(event).map_err(|_| "not an SES event of the expected shape")?;
    if envelope.source != "aws.ses" {
        return Err("not from SES");
    }
    let addresses = |recipients: Vec<Recipient>| recipients.into_iter().map(|r| r.email_address).collect();
    match (envelope.detail_type.as_str(), envelope.detail) {
        (BOUNCED, Detail { bounce: Some(b), .. }) => Ok(MailFeedback {
            // "Undetermined" is SES's "could not tell": not grounds to stop
            // mailing a person, so it counts as transient.
            kind: match b.bounce_type.as_str() {
                "Permanent" => FeedbackKind::PermanentBounce,
                _ => FeedbackKind::TransientBounce,
            },
            recipients: addresses(b.bounced_recipients),
        }),
        (COMPLAINED, Detail { complaint: Some(c), .. }) => {
            Ok(MailFeedback { kind: FeedbackKind::Complaint, recipients: addresses(c.complained_recipients) })
        }
        _ => Err("not a bounce or complaint"),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("recording mail feedback failed: {0}")]
pub struct FeedbackError(#[from] roster_domain::DomainError);

impl From<FeedbackError> for Diagnostic {
    fn from(e: FeedbackError) -> Self {
        Diagnostic { error_type: "FeedbackFailed".into(), error_message: e.to_string() }
    }
}

/// One event. A store failure is an error, so Lambda retries the event
/// (recording is idempotent); an event that is no feedback is not.
pub async fn handle(app: &App, event: &Value) -> Result<FeedbackSummary, FeedbackError> {
    match parse(event) {
        Ok(feedback) => {
            let summary = mail_feedback::record(app.store.as_ref(), &feedback, app.now()).await?;
            tracing::info!(kind = ?feedback.kind, marked = summary.marked, ignored = summary.ignored, "mail feedback");
            Ok(summary)
        }
        Err(why) => {
            tracing::warn!(why, "event dropped");
            Ok(FeedbackSummary::default())
        }
    }
}

pub async fn serve(app: App) -> Result<(), lambda_runtime::Error> {
    let app = Arc::new(app);
    let collector = crate::metrics::init();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = app.clone();
        async move {
            let result = handle(&app, &event.payload).await;
            crate::metrics::flush(collector, std::io::stdout().lock());
            result
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An "Email Bounced" event as EventBridge delivers it: the envelope
    /// around SES's event record (the record as in SES's "Examples of
    /// event data" pages).
    fn bounce(bounce_type: &str, to: &str) -> Value {
        json!({
            "version": "0",
            "id": "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
            "detail-type": "Email Bounced",
            "source": "aws.ses",
            "account": "123456789012",
            "time": "2026-11-30T00:41:02Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:ses:eu-west-1:123456789012:configuration-set/roster-mail"],
            "detail": {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": bounce_type,
                    "bounceSubType": "General",
                    "bouncedRecipients": [{
                        "emailAddress": to,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                    }],
                    "timestamp": "2026-11-30T00:41:02.669Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                    "reportingMTA": "dsn; mta.example.com"
                },
                "mail": {
                    "timestamp": "2026-11-30T00:40:02.012Z",
                    "source": "Roster <noreply@roster.example>",
                    "sendingAccountId": "123456789012",
                    "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
                    "destination": [to],
                    "headersTruncated": false,
                    "tags": {"ses:configuration-set": ["roster-mail"]}
                }
            }
        })
    }

    fn complaint(to: &str) -> Value {
        json!({
            "version": "0",
            "id": "2b3c4d5e-6f7a-8b9c-0d1e-2f3a4b5c6d7e",
            "detail-type": "Email Complaint Received",
            "source": "aws.ses",
            "account": "123456789012",
            "time": "2026-11-30T01:12:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {
                "eventType": "Complaint",
                "complaint": {
                    "complainedRecipients": [{"emailAddress": to}],
                    "timestamp": "2026-11-30T01:11:59.000Z",
                    "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                    "userAgent": "Mozilla/5.0",
                    "complaintFeedbackType": "abuse",
                    "arrivalDate": "2026-11-30T01:11:58.000Z"
                },
                "mail": {"timestamp": "2026-11-30T01:00:00.000Z", "messageId": "x", "destination": [to]}
            }
        })
    }

    #[test]
    fn real_bounce_and_complaint_events_parse_to_their_feedback() {
        let to = "ana@clinic.example".to_string();
        assert_eq!(
            parse(&bounce("Permanent", &to)),
            Ok(MailFeedback { kind: FeedbackKind::PermanentBounce, recipients: vec![to.clone()] })
        );
        for soft in ["Transient", "Undetermined", "Whatever SES adds next"] {
            assert_eq!(parse(&bounce(soft, &to)).map(|f| f.kind), Ok(FeedbackKind::TransientBounce), "{soft}");
        }
        assert_eq!(parse(&complaint(&to)), Ok(MailFeedback { kind: FeedbackKind::Complaint, recipients: vec![to] }));
    }

    #[test]
    fn anything_else_is_refused_with_a_reason_never_a_panic() {
        let mut not_ses = bounce("Permanent", "a@b.example");
        not_ses["source"] = json!("roster");
        let mut delivered = bounce("Permanent", "a@b.example");
        delivered["detail-type"] = json!("Email Delivered");
        let mut mismatched = complaint("a@b.example");
        mismatched["detail-type"] = json!("Email Bounced");
        let mut recipients_not_a_list = bounce("Permanent", "a@b.example");
        recipients_not_a_list["detail"]["bounce"]["bouncedRecipients"] = json!("a@b.example");
        let mut address_not_a_string = complaint("a@b.example");
        address_not_a_string["detail"]["complaint"]["complainedRecipients"] = json!([{"emailAddress": 42}]);
        let hostile = [
            json!(null),
            json!("Email Bounced"),
            json!([]),
            json!({}),
            json!({"source": "aws.ses", "detail-type": "Email Bounced"}),
            json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": null}),
            json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {}}),
            json!({"source": ["aws.ses"], "detail-type": "Email Bounced", "detail": {}}),
            not_ses,
            delivered,
            mismatched,
            recipients_not_a_list,
            address_not_a_string,
        ];
        for event in hostile {
            assert!(parse(&event).is_err(), "{event}");
        }
        // What is in the list is the service's to judge: it parses each
        // address and drops what is none.
        let odd = bounce("Permanent", "not an address\u{0}");
        assert_eq!(parse(&odd).map(|f| f.recipients.len()), Ok(1));
    }
}

//! Mail whose failures are seen (issue 14): a permanent bounce or a
//! complaint marks the address undeliverable, mail to a marked address is
//! withheld and counted, and the owner of an address lifts a bounce by
//! asking for mail themselves.
//!
//! The feedback arrives parsed (`MailFeedback`): the SES event is the
//! adapter's to read, and the local `dir` transport hands its make-believe
//! bounces to the same `record`.

use crate::clock::Time;
use crate::error::{DomainError, PortError};
use crate::metrics::{self, Count};
use crate::model::{FeedbackKind, Mail, MailFeedback, Undeliverable, UndeliverableReason};
use crate::ports::{App, Outbound, Store};
use crate::secrets::sha256_hex;
use crate::validate::parse_email;

/// The most recipients one report is read for: SES sends one mail to at
/// most 50, and Roster's mails have one each; a report naming more is not
/// SES's and is read no further.
pub const MAX_RECIPIENTS: usize = 50;

/// What became of one report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackSummary {
    /// Addresses marked (or marked already: a report delivered again).
    pub marked: usize,
    /// Recipients left alone: a transient bounce, no address, or an
    /// address Roster knows nothing of.
    pub ignored: usize,
}

/// An address as it may appear in a log line: a short hash of the
/// normalised email, enough to tie lines about one address together, never
/// the address (R38).
pub fn address_for_log(email_norm: &str) -> String {
    sha256_hex(email_norm).chars().take(16).collect()
}

/// Marks each recipient the report condemns. A transient bounce marks
/// nothing (the next mail may arrive); an address that is neither an
/// account's nor a pending invitation's is ignored, so feedback cannot be
/// used to plant marks. Idempotent: marking twice is marking once.
pub async fn record(store: &dyn Store, feedback: &MailFeedback, now: Time) -> Result<FeedbackSummary, DomainError> {
    let mut summary = FeedbackSummary::default();
    let reason = match feedback.kind {
        FeedbackKind::PermanentBounce => UndeliverableReason::Bounced,
        FeedbackKind::Complaint => UndeliverableReason::Complained,
        FeedbackKind::TransientBounce => {
            tracing::info!(recipients = feedback.recipients.len(), "transient bounce: nothing marked");
            summary.ignored = feedback.recipients.len();
            return Ok(summary);
        }
    };
    summary.ignored = feedback.recipients.len().saturating_sub(MAX_RECIPIENTS);
    for raw in feedback.recipients.iter().take(MAX_RECIPIENTS) {
        let Some((_, norm)) = parse_email(raw) else {
            summary.ignored += 1;
            continue;
        };
        let (claim, invitations) = futures::try_join!(store.email_claim(&norm), store.pending_invitations_for(&norm))?;
        if claim.is_none() && invitations.is_empty() {
            tracing::info!(address = %address_for_log(&norm), ?reason, "mail feedback for an address Roster does not know: ignored");
            summary.ignored += 1;
            continue;
        }
        store.mark_undeliverable(&norm, reason, now).await?;
        tracing::warn!(address = %address_for_log(&norm), ?reason, "address marked undeliverable");
        summary.marked += 1;
    }
    let marked = match reason {
        UndeliverableReason::Bounced => Count::MailBounces,
        UndeliverableReason::Complained => Count::MailComplaints,
    };
    metrics::count(marked, summary.marked);
    Ok(summary)
}

/// What became of one mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Withheld: the address is marked undeliverable.
    Skipped(UndeliverableReason),
}

/// Sends the mail unless its address is marked; a withheld mail is counted
/// on the mark. The one place every mail passes (the outbox delivers them
/// all), so the one place to count skips.
pub async fn send(app: &App, out: &Outbound, mail: &Mail) -> Result<MailOutcome, PortError> {
    if let Some((_, norm)) = parse_email(&mail.to) {
        if let Some(mark) = app.store.undeliverable(&norm).await? {
            app.store.count_skipped(&norm).await?;
            // The bounce metric (issue 14 item 4) goes here, beside the log.
            tracing::warn!(address = %address_for_log(&norm), template = %mail.template, reason = ?mark.reason,
                "mail withheld: the address is marked undeliverable");
            return Ok(MailOutcome::Skipped(mark.reason));
        }
    }
    out.mailer.send(mail).await?;
    Ok(MailOutcome::Sent)
}

/// The owner of an address asked for mail to it themselves (a verification
/// link again, a password reset): a bounce may have been a full or broken
/// mailbox since mended, so its mark is lifted and the mail tried again;
/// if it bounces again, it is marked again. A complaint stays: anyone can
/// ask for a reset mail to any account, and the person asked for no more.
///
/// `mark` is the address's mark as read with the request: no bounce read,
/// no delete tried. The delete is still conditional on the reason, since a
/// complaint may have replaced the bounce since.
pub async fn lift_bounce(app: &App, mark: Option<&Undeliverable>) -> Result<(), DomainError> {
    let Some(mark) = mark.filter(|m| m.reason == UndeliverableReason::Bounced) else { return Ok(()) };
    if app.store.clear_undeliverable(&mark.email_norm, UndeliverableReason::Bounced).await? {
        let address = address_for_log(&mark.email_norm);
        tracing::info!(address = %address, "bounce mark lifted by the address's owner asking for mail");
    }
    Ok(())
}

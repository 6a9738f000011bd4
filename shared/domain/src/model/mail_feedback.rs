//! What the mail provider reports back about mail Roster sent (issue 14):
//! bounces and complaints, and the mark an address gets when mail to it
//! cannot or must not be delivered.

use crate::clock::Time;
use serde::{Deserialize, Serialize};

/// The kinds of feedback Roster acts on. The provider's own wording (SES's
/// `bounceType`, its detail-types) is the adapter's to translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackKind {
    /// The receiving server refused the address for good.
    PermanentBounce,
    /// A full mailbox or a server that was down: the next mail may arrive.
    TransientBounce,
    /// The recipient reported the mail as spam.
    Complaint,
}

/// One report: what happened, to whom. The recipients are as the provider
/// wrote them; the service parses each and ignores what is no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFeedback {
    pub kind: FeedbackKind,
    pub recipients: Vec<String>,
}

/// Why an address is undeliverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndeliverableReason {
    Bounced,
    /// Stronger than a bounce: only an operator lifts it, since the person
    /// asked for no more mail.
    Complained,
}

/// An address mail is no longer sent to, keyed by the normalised email
/// (R4). `skipped` counts the mails withheld since it was marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undeliverable {
    pub email_norm: String,
    pub reason: UndeliverableReason,
    pub marked_at: Time,
    #[serde(default)]
    pub skipped: u32,
}

/// How mail to an invitation's address fared, as the practice sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailDelivery {
    /// Handed to the mail provider (or queued to be), with no bounce or
    /// complaint known for the address.
    Sent,
    /// The address bounced or complained: Roster sends it nothing more, and
    /// the practice should revoke and invite the right address.
    Bounced,
}

impl MailDelivery {
    /// What a practice sees for a pending invitation whose address carries
    /// `mark`; an invitation no longer pending was delivered or is moot.
    pub fn of(pending: bool, mark: Option<&Undeliverable>) -> Self {
        match (pending, mark) {
            (true, Some(_)) => MailDelivery::Bounced,
            _ => MailDelivery::Sent,
        }
    }
}

//! What every change leaves behind: its audit event (R32) and its outbox of
//! mail, domain events (R33) and fan-out tasks (R37), with who acted.

use super::user::User;
use crate::clock::Time;
use crate::ids::{EmergencyAccessId, EventId, PracticeId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitedBy {
    pub user_id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub support: bool,
    /// The emergency access (R50) the actor held when acting: set on every
    /// audit event written under it, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_access_id: Option<EmergencyAccessId>,
}

impl Actor {
    pub fn user(u: &User) -> Self {
        Self { user_id: Some(u.id), email: Some(u.email.clone()), support: false, emergency_access_id: None }
    }
    pub fn system() -> Self {
        Self { user_id: None, email: None, support: false, emergency_access_id: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl Target {
    pub fn new(kind: &str, id: impl ToString) -> Self {
        Self { kind: kind.to_string(), id: id.to_string() }
    }
}

/// Whose audit log an event belongs to: a practice's, or a user's own for
/// changes that concern no practice (sign-up, profile, password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum AuditScope {
    Practice(PracticeId),
    User(UserId),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: EventId,
    pub scope: AuditScope,
    pub at: Time,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    #[serde(default)]
    pub before: Value,
    #[serde(default)]
    pub after: Value,
}

/// A rendered email, ready for any transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub template: String,
}

/// A domain event for EventBridge (R33): source `roster`, the id doubles as
/// the consumers' de-duplication key.
/// Every kind of domain event Roster publishes (R33): the EventBridge
/// detail-type is the variant's name. docs/events.md documents each one, and
/// a test fails when one is missing there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    UserSignedUp,
    UserLocked,
    UserUnlocked,
    PracticeCreated,
    PracticeUpdated,
    PracticeSettingsChanged,
    PracticePolicyChanged,
    LocationCreated,
    LocationUpdated,
    RoleCreated,
    RoleUpdated,
    RoleReset,
    RoleDeleted,
    InvitationCreated,
    InvitationResent,
    InvitationAccepted,
    InvitationDeclined,
    InvitationRevoked,
    InvitationExpired,
    MemberCreated,
    MemberAccessChanged,
    MemberDetailsChanged,
    MemberDeactivated,
    MemberReactivated,
    SeatAdded,
    SeatRemoved,
    ModuleAdded,
    ModuleRemoved,
    SupportAccessGranted,
    SupportAccessRevoked,
    SupportAccessExpired,
    EmergencyAccessOpened,
    EmergencyAccessEnded,
    EmergencyAccessReviewed,
}

impl EventType {
    pub const ALL: [EventType; 34] = [
        Self::UserSignedUp,
        Self::UserLocked,
        Self::UserUnlocked,
        Self::PracticeCreated,
        Self::PracticeUpdated,
        Self::PracticeSettingsChanged,
        Self::PracticePolicyChanged,
        Self::LocationCreated,
        Self::LocationUpdated,
        Self::RoleCreated,
        Self::RoleUpdated,
        Self::RoleReset,
        Self::RoleDeleted,
        Self::InvitationCreated,
        Self::InvitationResent,
        Self::InvitationAccepted,
        Self::InvitationDeclined,
        Self::InvitationRevoked,
        Self::InvitationExpired,
        Self::MemberCreated,
        Self::MemberAccessChanged,
        Self::MemberDetailsChanged,
        Self::MemberDeactivated,
        Self::MemberReactivated,
        Self::SeatAdded,
        Self::SeatRemoved,
        Self::ModuleAdded,
        Self::ModuleRemoved,
        Self::SupportAccessGranted,
        Self::SupportAccessRevoked,
        Self::SupportAccessExpired,
        Self::EmergencyAccessOpened,
        Self::EmergencyAccessEnded,
        Self::EmergencyAccessReviewed,
    ];

    /// The EventBridge detail-type: the variant's name.
    pub fn detail_type(self) -> String {
        format!("{self:?}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: EventId,
    pub detail_type: String,
    pub at: Time,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum OutboxPayload {
    Mail(Mail),
    Event(DomainEvent),
    Task(Task),
}

/// What a committed change still has to do to more items than one
/// transaction holds (R37): written with the change, run right after it and,
/// until it has run, again by the sweep. Running one twice, or after a later
/// change, writes nothing wrong: each reads what is stored when it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Bring every membership's copy of the user (R22, R25) up to the user
    /// as stored and, with `audit`, record the change in each practice the
    /// user is active in.
    CopyUser { user_id: UserId, audit: Option<PracticeAudit> },
    /// Mail each active director of the practice, the template rendered
    /// with `data` (R30: one item per grant, however many directors).
    MailDirectors { practice_id: PracticeId, template: String, data: Value },
}

/// An audit event to be recorded in each of a user's practices: everything
/// but the log it goes in and its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PracticeAudit {
    pub at: Time,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub before: Value,
    pub after: Value,
}

impl PracticeAudit {
    /// The event in the log of `scope`, with the id given.
    pub fn event(&self, scope: AuditScope, id: EventId) -> AuditEvent {
        AuditEvent {
            id,
            scope,
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
}

/// Written in the transaction of the change, delivered from the table's
/// change stream, retried by the sweep with backoff until delivered or dead
/// (R33, R42). A delivered item stays until its TTL, out of the due index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: EventId,
    pub created_at: Time,
    pub payload: OutboxPayload,
    /// Delivery attempts so far, each counted before it is made
    /// (`outbox::attempted`): all failed, or one never recorded an outcome,
    /// while the item is undelivered.
    #[serde(default)]
    pub attempts: u32,
    /// When the sweep may try it next. Items written before R42 have none
    /// and are due from their creation, as they were then.
    #[serde(default)]
    pub next_attempt_at: Option<Time>,
    /// Set at the last allowed failure: the item is kept for an operator
    /// but never tried again.
    #[serde(default)]
    pub dead_at: Option<Time>,
    /// When it was delivered (or withheld from an undeliverable address):
    /// done with, left for the table's TTL to forget.
    #[serde(default)]
    pub delivered_at: Option<Time>,
}

/// A new item is not due for the sweep before this: the stream may still be
/// delivering it, and both sending would duplicate. Longer than the event
/// source mapping's `MaximumRecordAgeInSeconds` plus the delivery function's
/// timeout (tests/it/delivery.rs reads both from the template), so the sweep
/// only takes what the stream has given up on.
pub const OUTBOX_GRACE_SECONDS: i64 = 180;

/// How long a delivered item is kept (its TTL) before the table forgets it:
/// long enough to see what was sent when, short enough not to pile up.
pub const OUTBOX_KEPT_DAYS: i64 = 7;

impl OutboxItem {
    /// A new item, due for the sweep only after the grace period.
    pub fn new(id: EventId, at: Time, payload: OutboxPayload) -> Self {
        Self {
            id,
            created_at: at,
            payload,
            attempts: 0,
            next_attempt_at: Some(at + chrono::Duration::seconds(OUTBOX_GRACE_SECONDS)),
            dead_at: None,
            delivered_at: None,
        }
    }

    /// The item as recorded once delivered at `now`.
    pub fn delivered(&self, now: Time) -> Self {
        Self { delivered_at: Some(now), ..self.clone() }
    }

    /// Until when a delivered item is kept; an undelivered one is work
    /// still to do and a dead one is kept for an operator (R42).
    pub fn keep_until(&self) -> Option<Time> {
        self.delivered_at.map(|at| at + chrono::Duration::days(OUTBOX_KEPT_DAYS))
    }

    /// When the sweep may next try this item.
    pub fn due_at(&self) -> Time {
        self.next_attempt_at.unwrap_or(self.created_at)
    }
}

//! What one round trip to the store brings back, and the keys it is asked
//! with.

use crate::ids::{EventId, LocationId, PracticeId, UserId};
use crate::model::*;

/// What authenticating a request needs, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct AuthBundle {
    pub session: Option<Session>,
    pub user: Option<User>,
    pub practice: Option<Practice>,
    pub membership: Option<Membership>,
    pub support_grant: Option<SupportGrant>,
    /// The member's open emergency access, if any (R50): in the same batch,
    /// so effective permissions need no read of their own.
    pub emergency: Option<EmergencyPointer>,
}

/// What an invitation link's preview shows (R10), read together.
#[derive(Debug, Clone)]
pub struct LinkPreview {
    pub invitation: Invitation,
    pub practice: Option<Practice>,
    /// Whether the invited address has an account.
    pub account_exists: bool,
}

/// What a mail a user asks for themselves (a reset, a verification link
/// again) is judged by: the user, their record of such mails lately sent
/// (R41) and their address's mark (issue 14).
#[derive(Debug, Clone, Default)]
pub struct AskedMail {
    /// Only when asked for.
    pub user: Option<User>,
    pub sent: Option<SentMails>,
    pub mark: Option<Undeliverable>,
}

/// The keys of an [`AskedMail`].
#[derive(Debug, Clone, Copy)]
pub struct AskedMailKeys<'a> {
    pub user: UserId,
    /// Whether to read the user (not when the session already did).
    pub read_user: bool,
    pub purpose: TokenPurpose,
    pub email_norm: &'a str,
}

/// An invitation with what accepting it shows (R11, R23), read together.
#[derive(Debug, Clone, Default)]
pub struct AcceptBundle {
    pub invitation: Option<Invitation>,
    pub practice: Option<Practice>,
    /// The custom role asked for, if it exists.
    pub role: Option<Role>,
}

/// What an invitation is judged by before its transaction (R5, R6, R43),
/// read in one round trip: what the request names is read by key.
#[derive(Debug, Clone, Default)]
pub struct InviteBundle {
    pub slot: Option<EmailSlot>,
    pub claim: Option<EmailClaim>,
    pub undeliverable: Option<Undeliverable>,
    /// Only when asked for, and only once saved.
    pub settings: Option<PracticeSettings>,
    /// At least those of the named locations that exist.
    pub locations: Vec<Location>,
    /// The named custom role, if it exists.
    pub role: Option<Role>,
}

/// The keys of an [`InviteBundle`].
#[derive(Debug, Clone, Copy)]
pub struct InviteKeys<'a> {
    pub practice: PracticeId,
    pub email_norm: &'a str,
    pub locations: &'a [LocationId],
    pub custom_role: Option<&'a str>,
    pub settings: bool,
}

/// What a change to members is judged by, read in one round trip: each
/// named member's membership and user, and the custom roles and locations
/// the request names, by key.
#[derive(Debug, Clone, Default)]
pub struct MembersBundle {
    pub memberships: Vec<Membership>,
    pub users: Vec<User>,
    /// The named custom roles that exist.
    pub roles: Vec<Role>,
    /// At least those of the named locations that exist.
    pub locations: Vec<Location>,
}

/// The keys of a [`MembersBundle`].
#[derive(Debug, Clone, Copy)]
pub struct MemberKeys<'a> {
    pub practice: PracticeId,
    pub users: &'a [UserId],
    pub roles: &'a [&'a str],
    pub locations: &'a [LocationId],
}

/// What the store filters members by (R22).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    pub status: Option<MemberStatus>,
    /// Lower-cased part of a name or email, matched against `search`.
    pub contains: Option<String>,
    /// Only members whose user is locked (R22, R25).
    pub locked_only: bool,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque continuation for the next page, if any.
    pub next: Option<String>,
}

/// The instants an export covers: `from` included, `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditRange {
    pub from: Time,
    pub to: Time,
}

impl AuditRange {
    pub fn holds(&self, at: Time) -> bool {
        self.from <= at && at < self.to
    }
}

/// What one read of an audit range found.
#[derive(Debug, Clone, Default)]
pub struct AuditChunk {
    pub events: Vec<AuditEvent>,
    /// Where the next read resumes; `None` once the range is read to its end.
    pub resume: Option<EventId>,
}

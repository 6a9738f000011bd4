//! The records Roster keeps. Storage keys and the `ttl` attribute are the
//! adapter's business; these types carry only what the domain reasons about.

pub use crate::access::Access;
use crate::ids::{EventId, LocationId, PracticeId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub type Time = DateTime<Utc>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// As typed, for display (R4).
    pub email: String,
    /// Trimmed and lower-cased, for comparison (R4).
    pub email_norm: String,
    #[serde(default)]
    pub title: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub email_verified: bool,
    /// Set by the fifth failed sign-in in a row (R25). The streak itself is
    /// counted on an item of its own, so wrong guesses never race a profile
    /// change for this record's version.
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub must_change_password: bool,
    #[serde(default)]
    pub mfa_enabled: bool,
    /// The confirmed TOTP secret, base32 (R28).
    #[serde(default)]
    pub totp_secret: Option<String>,
    /// A secret handed out by enrollment and not yet confirmed with a code.
    #[serde(default)]
    pub totp_pending: Option<String>,
    /// Sessions stamped with an older epoch are dead (R29): bumping it ends
    /// every session of the user in the same write that changes the password.
    #[serde(default)]
    pub session_epoch: u64,
    pub created_at: Time,
    pub updated_at: Time,
    pub version: u64,
}

impl User {
    /// A new account: unverified, unlocked, no second factor, first version.
    pub fn new(
        email: String,
        email_norm: String,
        first_name: String,
        last_name: String,
        password_hash: String,
        now: Time,
    ) -> Self {
        Self {
            id: UserId::new(),
            email,
            email_norm,
            title: None,
            first_name,
            last_name,
            password_hash,
            email_verified: false,
            locked: false,
            must_change_password: false,
            mfa_enabled: false,
            totp_secret: None,
            totp_pending: None,
            session_epoch: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_string()
    }
}

/// Claims an email for exactly one user (R3): created with the user, in the
/// same transaction, under a condition that it does not exist yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailClaim {
    pub email_norm: String,
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    /// SHA-256 of the bearer token, hex; the token itself is never stored.
    pub token_hash: String,
    pub epoch: u64,
    pub created_at: Time,
    pub expires_at: Time,
    /// Issued to a user who must enroll a second factor first (R28): until
    /// the user has one, the session may do nothing but enroll.
    #[serde(default)]
    pub enroll_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
}

/// A single-use emailed token (verification, password reset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailToken {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    pub created_at: Time,
    pub expires_at: Time,
    /// The user's session epoch when issued: a password reset token dies
    /// with any later password change or reset (R27).
    #[serde(default)]
    pub epoch: Option<u64>,
}

/// The second step of a sign-in with TOTP (R28): single use, five minutes,
/// and a handful of wrong codes. The store counts the wrong codes on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaChallenge {
    /// SHA-256 of the `mfa_token`, hex.
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Time,
    pub expires_at: Time,
}

/// A director's consent for the vendor's support agents to read the
/// practice (R30). One per practice; granting again replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportGrant {
    pub practice_id: PracticeId,
    pub granted_by: InvitedBy,
    pub granted_at: Time,
    pub expires_at: Time,
    pub version: u64,
}

impl SupportGrant {
    /// Dead past its expiry whatever the sweep has done (R30, R35).
    pub fn active_at(&self, now: Time) -> bool {
        self.expires_at > now
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seats {
    pub practitioner: i64,
    pub staff: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    pub id: PracticeId,
    pub name: String,
    /// Counters change only through `Write::AdjustCounters`, never by a
    /// read-modify-write, so concurrent changes cannot lose an update.
    #[serde(default)]
    pub seats: Seats,
    #[serde(default)]
    pub directors: i64,
    #[serde(default)]
    pub active_locations: i64,
    pub created_at: Time,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: LocationId,
    pub practice_id: PracticeId,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    pub active: bool,
    pub created_at: Time,
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Practitioner,
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Deactivated,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub grant: Vec<String>,
    #[serde(default)]
    pub revoke: Vec<String>,
}

/// `"all"` or a list of location ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationAccess {
    All,
    Only(Vec<LocationId>),
}

impl Serialize for LocationAccess {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LocationAccess::All => s.serialize_str("all"),
            LocationAccess::Only(ids) => ids.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for LocationAccess {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Ids(Vec<LocationId>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "all" => Ok(LocationAccess::All),
            Raw::Word(_) => Err(serde::de::Error::custom("expected \"all\" or a list of location ids")),
            Raw::Ids(ids) => Ok(LocationAccess::Only(ids)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PractitionerProfile {
    #[serde(default)]
    pub profession: Option<String>,
    #[serde(default)]
    pub registration_number: Option<String>,
    #[serde(default)]
    pub npi: Option<String>,
    #[serde(default)]
    pub taxonomy_code: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub scheduling_step_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    #[serde(flatten)]
    pub access: Access,
    pub status: MemberStatus,
    pub joined_at: Time,
    #[serde(default)]
    pub deactivated_at: Option<Time>,
    pub version: u64,
    /// Lower-cased names and email of the member's user, for the members
    /// search (R22) to filter in the store. Only `Write::MirrorUser`
    /// changes it after creation, so an access change never overwrites it.
    #[serde(default)]
    pub search: String,
    /// The user's lock (R25), mirrored like `search` so that the members
    /// list filters on it in the store (R22).
    #[serde(default)]
    pub locked: bool,
    /// The user's email (it never changes), so that mail to a practice's
    /// directors needs no read of their users.
    #[serde(default)]
    pub email: String,
}

impl Membership {
    /// A new active membership of `user` holding `access`.
    pub fn new(practice_id: PracticeId, user: &User, access: Access, now: Time) -> Self {
        Self {
            practice_id,
            user_id: user.id,
            access,
            status: MemberStatus::Active,
            joined_at: now,
            deactivated_at: None,
            version: 1,
            search: Self::search_text(user),
            locked: user.locked,
            email: user.email.clone(),
        }
    }

    /// The only way an accepted invitation becomes a member (R10..R12): the
    /// membership holds exactly the access the invitation offered.
    pub fn from_invitation(inv: &Invitation, user: &User, now: Time) -> Self {
        Self::new(inv.practice_id, user, inv.access.clone(), now)
    }

    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }

    /// R1 for this membership, the one place every check and every view
    /// gets a member's permissions from.
    pub fn permissions(&self, custom: &[Role]) -> Vec<String> {
        self.access.permissions(self.is_active(), custom)
    }

    pub fn search_text(u: &User) -> String {
        format!("{} {}\n{}", u.first_name, u.last_name, u.email_norm).to_lowercase()
    }
}

/// A practice's own role (built-in roles live in code and are read-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub practice_id: PracticeId,
    pub name: String,
    pub permissions: Vec<String>,
    /// Active memberships plus pending invitations holding the role (R23).
    /// Changed only by `Write::AdjustRoleHolders`; deleting the role is
    /// conditioned on it being zero.
    #[serde(default)]
    pub holders: i64,
    pub created_at: Time,
    pub updated_at: Time,
    pub version: u64,
}

/// Claims a role name within a practice (R23: names are unique), created
/// and deleted in the same transaction as the role's name changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleName {
    pub practice_id: PracticeId,
    pub name_norm: String,
    pub role_id: String,
}

pub fn role_name_norm(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub support: bool,
}

impl Actor {
    pub fn user(u: &User) -> Self {
        Self { user_id: Some(u.id), email: Some(u.email.clone()), support: false }
    }
    pub fn system() -> Self {
        Self { user_id: None, email: None, support: false }
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
}

/// Written in the transaction of the change, delivered after commit, retried
/// by the sweep until delivered (R33).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: EventId,
    pub created_at: Time,
    pub payload: OutboxPayload,
    #[serde(default)]
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Declined,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "revoked" => Self::Revoked,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitedBy {
    pub user_id: UserId,
    pub name: String,
}

/// An offer of membership to an email address, carrying everything the
/// membership will hold (R5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: crate::ids::InvitationId,
    pub practice_id: PracticeId,
    pub email: String,
    pub email_norm: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(flatten)]
    pub access: Access,
    pub status: InvitationStatus,
    /// SHA-256 of the link's token (R7); the token itself is never stored.
    pub token_hash: String,
    pub invited_by: InvitedBy,
    pub created_at: Time,
    pub expires_at: Time,
    #[serde(default)]
    pub resend_count: u32,
    /// When each resend happened, for the hourly limit (R8).
    #[serde(default)]
    pub resent_at: Vec<Time>,
    #[serde(default)]
    pub accepted_at: Option<Time>,
    #[serde(default)]
    pub revoked_at: Option<Time>,
    #[serde(default)]
    pub declined_at: Option<Time>,
    pub version: u64,
}

impl Invitation {
    /// The status as of `now`: a pending invitation past its expiry is
    /// expired whatever the state of the sweep (R7, R35).
    pub fn status_at(&self, now: Time) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

/// The one place a (practice, email) pair is held: by a pending invitation
/// until it expires, or by a member (R6). Claiming it is the condition that
/// makes "no member, at most one pending invitation" race-free.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailSlot {
    pub practice_id: PracticeId,
    pub email_norm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<crate::ids::InvitationId>,
    /// Epoch milliseconds, compared numerically in the claim's condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

impl EmailSlot {
    pub fn invitation(i: &Invitation) -> Self {
        Self {
            practice_id: i.practice_id,
            email_norm: i.email_norm.clone(),
            invitation_id: Some(i.id),
            expires_ms: Some(i.expires_at.timestamp_millis()),
            user_id: None,
        }
    }
    pub fn member(practice_id: PracticeId, email_norm: &str, user_id: UserId) -> Self {
        Self {
            practice_id,
            email_norm: email_norm.to_string(),
            invitation_id: None,
            expires_ms: None,
            user_id: Some(user_id),
        }
    }
}

/// Finds an invitation from its link's token hash, with a strongly
/// consistent read (an index could lag behind a resend).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationToken {
    pub token_hash: String,
    pub practice_id: PracticeId,
    pub invitation_id: crate::ids::InvitationId,
    /// When the item may be cleaned up: the invitation's expiry plus 30 days.
    pub keep_until: Time,
}

//! The ports the use cases need. Adapters (DynamoDB, SES v2, EventBridge, and
//! the local directory stand-ins) implement them; the domain sees no AWS type.

use crate::clock::Clock;
use crate::error::{DomainError, PortError};
use crate::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, UserId};
use crate::model::*;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything Roster stores, one variant per kind of item.
// Records live only in a transaction of at most 100 writes; boxing the large
// variants would cost clarity and save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    User(User),
    EmailClaim(EmailClaim),
    Session(Session),
    Token(EmailToken),
    Practice(Practice),
    Location(Location),
    Membership(Membership),
    Audit(AuditEvent),
    Outbox(OutboxItem),
    Invitation(Invitation),
    Slot(EmailSlot),
    InvitationToken(InvitationToken),
    Role(Role),
    RoleName(RoleName),
    Challenge(MfaChallenge),
    SupportGrant(SupportGrant),
    SentMails(SentMails),
    PracticeSettings(PracticeSettings),
    OnboardingMail(OnboardingMail),
    BulkAnswer(BulkAnswer),
    EmergencyAccess(EmergencyAccess),
    EmergencyPointer(EmergencyPointer),
}

/// The identity of a stored item, for deletes and conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    User(UserId),
    EmailClaim(String),
    Session {
        user_id: UserId,
        token_hash: String,
    },
    Token(String),
    Practice(PracticeId),
    Location(PracticeId, LocationId),
    Membership(PracticeId, UserId),
    Outbox(EventId),
    Invitation(PracticeId, InvitationId),
    Slot(PracticeId, String),
    InvitationToken(String),
    Role(PracticeId, String),
    RoleName(PracticeId, String),
    Challenge(String),
    SupportGrant(PracticeId),
    PracticeSettings(PracticeId),
    OnboardingMail(PracticeId, UserId, OnboardingStep),
    /// A user's streak of failed sign-ins (R25), counted by
    /// `Store::count_attempt`.
    LoginFailures(UserId),
    /// R52: (practice, caller, hash of the Idempotency-Key, part).
    BulkAnswer(PracticeId, UserId, String, u32),
    EmergencyAccess(PracticeId, EmergencyAccessId),
    /// A member's open emergency access (R50).
    EmergencyPointer(PracticeId, UserId),
}

pub use crate::model::CounterDelta;

/// One write of a transaction. Each variant carries its own condition, so an
/// invariant is checked by the store inside the transaction that changes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Fails if an item with the same key exists.
    Create(Record),
    /// Unconditional.
    Put(Record),
    /// Fails unless the stored item exists with `version == expected` (R18).
    Replace { record: Record, expected_version: u64 },
    /// A `Replace` of a membership that also writes its copy of the user
    /// (the search text, the lock and their `user_version`, which `Replace`
    /// leaves to `MirrorUser`): for one change of both a user and their
    /// membership, since a transaction may write an item only once. Fails
    /// as `Replace` does.
    ReplaceMirrored { membership: Membership, expected_version: u64 },
    /// Unconditional.
    Delete(Key),
    /// Fails if the item is absent (single-use tokens).
    DeleteExisting(Key),
    /// Fails if the practice is missing or a floor would be broken.
    AdjustCounters { practice_id: PracticeId, delta: CounterDelta },
    /// Takes the (practice, email) slot. Fails unless the slot is free, held
    /// by an invitation that expired by `now`, or held by `holder`.
    PutSlot { slot: EmailSlot, holder: Option<InvitationId>, now: Time },
    /// Frees the slot. Fails unless `invitation` holds it.
    ReleaseSlot { practice_id: PracticeId, email_norm: String, invitation: InvitationId },
    /// Changes a custom role's holder count (R23). Fails if the role is gone,
    /// so nothing can take a role that a concurrent delete removed.
    AdjustRoleHolders { practice_id: PracticeId, role_id: String, delta: i64 },
    /// Deletes a custom role. Fails unless it exists at `expected_version`
    /// with no holders (R23); the version keeps a concurrent rename from
    /// leaving the name claims behind wrong.
    DeleteRole { practice_id: PracticeId, role_id: String, expected_version: u64 },
    /// Copies what the members list filters on from the user to one of their
    /// memberships: the lock (R25) and, unless `None`, the search text
    /// (R22), as of the user's `user_version`. Fails if the membership is
    /// gone and, with `only_if_newer`, if it holds a copy as new already: a
    /// copy made after the change (R37) never overwrites a later change's.
    MirrorUser {
        practice_id: PracticeId,
        user_id: UserId,
        search: Option<String>,
        locked: bool,
        user_version: u64,
        only_if_newer: bool,
    },
    /// Locks the user (R25) and moves their version and session epoch on, so
    /// the lock ends every session and pending challenge (R29). Fails if
    /// already locked, so of racing fifth failures exactly one locks.
    LockUser { user_id: UserId },
    /// Fails unless the item at `key` has counted at least `at_least`
    /// attempts: a streak broken by a success meanwhile locks nothing.
    CheckFailures { key: Key, at_least: u32 },
    /// Fails if the user is locked, so no sign-in completes once a lock has
    /// committed (R25). With a TOTP step, also records it as used and fails
    /// unless it is later than the last one used: a code works once (R28).
    ConfirmSignIn { user_id: UserId, totp_step: Option<u64> },
    /// Deletes a versioned item. Fails unless it exists at `expected_version`,
    /// so a sweep never ends a grant renewed since it was read.
    DeleteVersioned { key: Key, expected_version: u64 },
    /// Fails unless the membership exists, active, at `version`: the acting
    /// member still holds the access they were authorized with.
    CheckMember { practice_id: PracticeId, user_id: UserId, version: u64 },
    /// Fails unless the location exists and is active: what an invitation
    /// read of its primary location still holds when it commits.
    CheckLocation { practice_id: PracticeId, location_id: LocationId },
    /// Sets the practice's adjusted built-in roles (R23). Fails unless the
    /// practice exists with its sets at `expected_version` (0: never set).
    SetBuiltInRoles { practice_id: PracticeId, sets: BTreeMap<String, RoleSet>, expected_version: u64 },
    /// Sets the practice's security policy (R48). Fails unless the practice
    /// exists with its policy at `expected_version` (0: never saved).
    SetSecurityPolicy { practice_id: PracticeId, policy: SecurityPolicy, expected_version: u64 },
    /// Fails if the practice's settings turned onboarding mails off (R44);
    /// a practice that never saved settings has them on.
    CheckOnboardingMails { practice_id: PracticeId },
    /// Records one step of an outbox item's delivery, `item` as it is
    /// after it: an attempt counted before it is made, or its outcome.
    /// Fails unless the stored item is still undelivered at `attempts`
    /// attempts, as the delivery found it: a step someone else took first
    /// (a retried batch, the sweep) is never undone or repeated.
    RecordOutcome { item: OutboxItem, attempts: u32 },
}

impl Write {
    /// What a failure of this write's own condition means, when the use
    /// case attached no error of its own (`Tx::guarded`). Every kind says:
    /// a new kind of write does not compile until it does.
    pub fn conflict_error(&self) -> DomainError {
        match self {
            // An item with the key exists already.
            Write::Create(_) => DomainError::Conflict("already_exists"),
            // Unconditional, so never the write that failed; they share the
            // answer of an unguarded `Create`.
            Write::Put(_) | Write::Delete(_) => DomainError::Conflict("already_exists"),
            Write::Replace { .. } | Write::ReplaceMirrored { .. } => DomainError::PreconditionFailed,
            Write::DeleteExisting(_) => DomainError::NotFound,
            Write::AdjustCounters { .. } => DomainError::Conflict("counter_floor"),
            Write::PutSlot { .. } => DomainError::InvitationPending,
            Write::ReleaseSlot { .. } => DomainError::InvitationNotPending,
            Write::AdjustRoleHolders { .. } => DomainError::RoleRequired,
            Write::DeleteRole { .. } => DomainError::RoleInUse,
            Write::MirrorUser { .. } => DomainError::NotFound,
            Write::LockUser { .. } => DomainError::AccountLocked,
            Write::CheckFailures { .. } => DomainError::InvalidCredentials,
            Write::ConfirmSignIn { .. } => DomainError::AccountLocked,
            Write::DeleteVersioned { .. } => DomainError::PreconditionFailed,
            Write::CheckMember { .. } => DomainError::Forbidden,
            Write::CheckLocation { .. } => DomainError::field("primary_location_id", "is not an active location"),
            Write::SetBuiltInRoles { .. } | Write::SetSecurityPolicy { .. } => DomainError::PreconditionFailed,
            Write::CheckOnboardingMails { .. } => DomainError::Conflict("onboarding_off"),
            // Never answered to a request: the delivery takes it as done.
            Write::RecordOutcome { .. } => DomainError::PreconditionFailed,
        }
    }
}

/// The most writes one transaction may hold (DynamoDB's limit). A change
/// whose copies or mails would not fit leaves them to a `Task` (R37).
pub const MAX_WRITES: usize = 100;

/// Writes a change causes beyond its own items (copies onto every
/// membership, audits in every practice): in the change's transaction when
/// they fit, else left to `task` after it (R37).
#[derive(Debug)]
pub struct FanOut {
    pub writes: Vec<Write>,
    pub task: Task,
}

/// One transaction: writes with the domain error to raise when the write's
/// condition fails.
#[derive(Debug, Default)]
pub struct Tx {
    pub writes: Vec<(Write, Option<DomainError>)>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, w: Write) -> &mut Self {
        self.writes.push((w, None));
        self
    }
    pub fn guarded(&mut self, w: Write, on_conflict: DomainError) -> &mut Self {
        self.writes.push((w, Some(on_conflict)));
        self
    }
    pub fn len(&self) -> usize {
        self.writes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
    /// What it means that the condition of the write at `index` failed: the
    /// error the use case attached to it, else the write's own
    /// (`Write::conflict_error`). `None` if there is no such write. The store
    /// reports only which write failed; this is where the domain decides.
    pub fn into_conflict(mut self, index: usize) -> Option<DomainError> {
        if index >= self.writes.len() {
            return None;
        }
        let (write, on_conflict) = self.writes.swap_remove(index);
        Some(on_conflict.unwrap_or_else(|| write.conflict_error()))
    }
}

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

#[async_trait]
pub trait Store: Send + Sync {
    /// All or nothing. A failed condition returns [`PortError::Conflict`] with
    /// what [`Tx::into_conflict`] says that write's failure means.
    async fn transact(&self, tx: Tx) -> Result<(), PortError>;

    async fn user(&self, id: UserId) -> Result<Option<User>, PortError>;
    async fn email_claim(&self, email_norm: &str) -> Result<Option<EmailClaim>, PortError>;
    async fn token(&self, token_hash: &str) -> Result<Option<EmailToken>, PortError>;
    /// Session, user and (when a practice is named) practice and membership.
    async fn auth_bundle(
        &self,
        user_id: UserId,
        token_hash: &str,
        practice: Option<PracticeId>,
    ) -> Result<AuthBundle, PortError>;

    async fn practice(&self, id: PracticeId) -> Result<Option<Practice>, PortError>;
    async fn practices(&self, ids: &[PracticeId]) -> Result<Vec<Practice>, PortError>;
    async fn location(&self, practice: PracticeId, id: LocationId) -> Result<Option<Location>, PortError>;
    async fn locations(&self, practice: PracticeId) -> Result<Vec<Location>, PortError>;
    async fn membership(&self, practice: PracticeId, user: UserId) -> Result<Option<Membership>, PortError>;
    /// A membership and its user, in one round trip.
    async fn member_and_user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<(Option<Membership>, Option<User>), PortError>;
    async fn memberships_of_user(&self, user: UserId) -> Result<Vec<Membership>, PortError>;
    async fn members_bundle(&self, keys: MemberKeys<'_>) -> Result<MembersBundle, PortError>;
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, PortError>;
    /// Members of a practice in user-id order, up to `limit` of those that
    /// pass `filter`. The cursor resumes right after the last one returned.
    async fn members(
        &self,
        practice: PracticeId,
        filter: &MemberFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, PortError>;
    /// A practice's custom roles.
    async fn roles(&self, practice: PracticeId) -> Result<Vec<Role>, PortError>;
    async fn role(&self, practice: PracticeId, id: &str) -> Result<Option<Role>, PortError>;
    /// Practices and custom roles by key, in one round trip; absent ones
    /// are left out.
    async fn practices_and_roles(
        &self,
        practices: &[PracticeId],
        roles: &[(PracticeId, String)],
    ) -> Result<(Vec<Practice>, Vec<Role>), PortError>;
    /// A scope's audit events, newest first.
    async fn audit(&self, scope: AuditScope, limit: usize, cursor: Option<&str>)
        -> Result<Page<AuditEvent>, PortError>;
    /// One read of a practice's audit events with `at` in `[from, to)`,
    /// oldest first, resuming after the event `after`, at most `limit`
    /// read: a key range of the log, never the whole of it (R51).
    async fn audit_range(
        &self,
        practice: PracticeId,
        range: AuditRange,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<AuditChunk, PortError>;
    /// Undelivered, live outbox items, soonest due first, due or not.
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError>;
    /// Up to `limit` live outbox items due at or before `now`, soonest due
    /// first, resuming after `after` (an item as a previous call returned
    /// it): a key range on a sparse index, never a scan (R34, R42).
    async fn due_outbox(
        &self,
        now: Time,
        after: Option<&OutboxItem>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, PortError>;
    /// Dead outbox items, the earliest to die first, for an operator (R42).
    async fn dead_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError>;

    async fn slot(&self, practice: PracticeId, email_norm: &str) -> Result<Option<EmailSlot>, PortError>;
    async fn invite_bundle(&self, keys: InviteKeys<'_>) -> Result<InviteBundle, PortError>;
    async fn invitation(&self, practice: PracticeId, id: InvitationId) -> Result<Option<Invitation>, PortError>;
    /// The invitation, its practice and `custom_role`, in one round trip.
    async fn invitation_to_accept(
        &self,
        practice: PracticeId,
        id: InvitationId,
        custom_role: Option<&str>,
    ) -> Result<AcceptBundle, PortError>;
    /// The invitation a link's token names, if the token is still on file.
    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError>;
    /// As `invitation_by_token`, with what the link's preview shows beside.
    async fn link_preview(&self, token_hash: &str) -> Result<Option<LinkPreview>, PortError>;
    /// A practice's invitations in id (creation) order; with `contains`
    /// (lower-cased), only those whose names or email contain it (R47).
    async fn invitations(
        &self,
        practice: PracticeId,
        contains: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Invitation>, PortError>;
    /// Pending invitations to an email, across practices (R11).
    async fn pending_invitations_for(&self, email_norm: &str) -> Result<Vec<Invitation>, PortError>;
    /// Up to `limit` pending invitations whose expiry is at or before
    /// `now`, oldest first, resuming after `after` (one a previous call
    /// returned): through the sparse expiry index, never a scan (R34).
    async fn due_invitations(
        &self,
        now: Time,
        after: Option<&Invitation>,
        limit: usize,
    ) -> Result<Vec<Invitation>, PortError>;

    /// One more attempt on the counter at `key`, counted before the attempt
    /// is judged, in one atomic update (R25, R28): the new count, so of any
    /// number of concurrent attempts each learns its own place in the
    /// streak. The counter item is made on first use unless `must_exist`,
    /// in which case a missing item is `None`.
    async fn count_attempt(&self, key: Key, must_exist: bool) -> Result<Option<u32>, PortError>;
    /// Takes one counted attempt back (never below zero): a right password
    /// that still needs its second factor is no failure yet, nor is a right
    /// current password or code given by a signed-in user (R40).
    async fn forget_attempt(&self, key: Key) -> Result<(), PortError>;
    async fn challenge(&self, token_hash: &str) -> Result<Option<MfaChallenge>, PortError>;
    /// Records a use of `session` at `now` (R48): one conditional
    /// UpdateItem, applied only if its last use is still the one read, so
    /// of requests that read the same session one records. `false` when
    /// another did, or the session is gone.
    async fn touch_session(&self, session: &Session, now: Time, longest_idle_secs: i64) -> Result<bool, PortError>;
    /// Every session item of the user (R49), expired ones included: one
    /// Query of the user's partition.
    async fn sessions_of_user(&self, user: UserId) -> Result<Vec<Session>, PortError>;
    /// The record of mails of `purpose` lately sent to the user (R41), as
    /// stored: times past its window are the caller's to ignore.
    async fn sent_mails(&self, user: UserId, purpose: TokenPurpose) -> Result<Option<SentMails>, PortError>;
    /// What a mail a user asks for is judged by, in one round trip.
    async fn asked_mail(&self, keys: AskedMailKeys<'_>) -> Result<AskedMail, PortError>;
    async fn support_grant(&self, practice: PracticeId) -> Result<Option<SupportGrant>, PortError>;
    /// The parts `0..parts` of a bulk answer kept under a key (R52), those
    /// found, in one round trip.
    async fn bulk_answer(
        &self,
        practice: PracticeId,
        user: UserId,
        key_hash: &str,
        parts: u32,
    ) -> Result<Vec<BulkAnswer>, PortError>;
    /// A practice's settings as saved (R43); `None` until first saved.
    async fn practice_settings(&self, practice: PracticeId) -> Result<Option<PracticeSettings>, PortError>;
    /// A practice's settings as saved, and those of the custom roles named
    /// that exist, in one round trip.
    async fn settings_and_roles(
        &self,
        practice: PracticeId,
        roles: &[&str],
    ) -> Result<(Option<PracticeSettings>, Vec<Role>), PortError>;
    /// The saved settings of each practice named; those never saved are
    /// left out.
    async fn settings_of_practices(&self, ids: &[PracticeId]) -> Result<Vec<PracticeSettings>, PortError>;
    /// Memberships by (practice, user); absent ones are left out.
    async fn memberships_by_id(&self, ids: &[(PracticeId, UserId)]) -> Result<Vec<Membership>, PortError>;
    /// Up to `limit` onboarding mails due at or before `now`, soonest first,
    /// resuming after `after` (one a previous call returned): a key range
    /// on a sparse index, never a scan (R34, R44).
    async fn due_onboarding(
        &self,
        now: Time,
        after: Option<&OnboardingMail>,
        limit: usize,
    ) -> Result<Vec<OnboardingMail>, PortError>;
    /// Up to `limit` grants whose expiry is at or before `now`, oldest
    /// first, resuming after `after` (one a previous call returned):
    /// through the sparse expiry index, never a scan (R34).
    async fn due_support_grants(
        &self,
        now: Time,
        after: Option<&SupportGrant>,
        limit: usize,
    ) -> Result<Vec<SupportGrant>, PortError>;
    /// One emergency access of a practice (R50), by key.
    async fn emergency_access(
        &self,
        practice: PracticeId,
        id: EmergencyAccessId,
    ) -> Result<Option<EmergencyAccess>, PortError>;
    /// One page of a practice's emergency accesses (R50), newest first:
    /// `list` picks the key range (the review queue, its open part, or the
    /// whole history), never a scan; `user` keeps one member's. One Query,
    /// so with `user` a page may hold fewer than `limit` and still go on.
    async fn emergency_accesses(
        &self,
        practice: PracticeId,
        list: EmergencyList,
        user: Option<UserId>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<EmergencyAccess>, PortError>;
    /// Up to `limit` emergency accesses not yet ended whose `ends_at` is at
    /// or before `now`, soonest first, resuming after `after`: the sweep's
    /// sparse due list, never a scan (R50).
    async fn due_emergency_accesses(
        &self,
        now: Time,
        after: Option<&EmergencyAccess>,
        limit: usize,
    ) -> Result<Vec<EmergencyAccess>, PortError>;
    /// A practice's active directors, through their sparse index.
    async fn directors(&self, practice: PracticeId) -> Result<Vec<Membership>, PortError>;

    /// The mark on an address mail is no longer sent to (issue 14), if any.
    async fn undeliverable(&self, email_norm: &str) -> Result<Option<Undeliverable>, PortError>;
    /// The marks of the addresses named; unmarked ones are left out.
    async fn undeliverables(&self, emails_norm: &[String]) -> Result<Vec<Undeliverable>, PortError>;
    /// Marks the address in one atomic update: a complaint overrides a
    /// bounce, a bounce never a complaint, and marking again changes
    /// nothing else, so a report delivered twice is harmless.
    async fn mark_undeliverable(
        &self,
        email_norm: &str,
        reason: UndeliverableReason,
        at: Time,
    ) -> Result<(), PortError>;
    /// Counts one more mail withheld from a marked address; nothing if the
    /// mark was lifted meanwhile.
    async fn count_skipped(&self, email_norm: &str) -> Result<(), PortError>;
    /// Lifts the mark if, and only if, its reason is `reason`: whether it did.
    async fn clear_undeliverable(&self, email_norm: &str, reason: UndeliverableReason) -> Result<bool, PortError>;
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), PortError>;
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Fails as a whole if any entry was not accepted (a PutEvents partial
    /// failure is a failure, R33).
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PortError>;
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Base of every link in mail, without a trailing slash.
    pub app_base_url: String,
    /// Lower-cased emails of the vendor's support agents (R30).
    pub support_agents: Vec<String>,
    /// The version of the license terms an administrator accepts when a
    /// change adds a paid seat (R45), recorded with each consent.
    pub license_terms_version: String,
}

/// What `license_terms_version` is when `LICENSE_TERMS_VERSION` is unset:
/// only local runs leave it so (the SAM template requires it), and their
/// consents then say they were given to no published terms.
pub const LOCAL_LICENSE_TERMS_VERSION: &str = "local-dev";

impl Default for Config {
    fn default() -> Self {
        Self {
            app_base_url: "http://localhost:5173".into(),
            support_agents: Vec::new(),
            license_terms_version: LOCAL_LICENSE_TERMS_VERSION.into(),
        }
    }
}

/// The wiring every use case receives. It sends nothing itself: a change
/// writes its mail and events to the outbox, and only the functions that
/// deliver it (delivery and the sweep) hold an `Outbound`.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
}

/// Where outbox items go: the mail service and the event bus.
#[derive(Clone)]
pub struct Outbound {
    pub mailer: Arc<dyn Mailer>,
    pub events: Arc<dyn EventPublisher>,
}

impl App {
    pub fn now(&self) -> Time {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(user_id: UserId) -> Tx {
        let mut tx = Tx::new();
        tx.push(Write::Delete(Key::User(user_id)))
            .guarded(Write::LockUser { user_id }, DomainError::Conflict("mine"))
            .push(Write::LockUser { user_id });
        tx
    }

    #[test]
    fn a_failed_condition_means_the_attached_error_else_the_writes_own() {
        let u = UserId::new();
        assert!(matches!(tx(u).into_conflict(1), Some(DomainError::Conflict("mine"))));
        assert!(matches!(tx(u).into_conflict(2), Some(DomainError::AccountLocked)));
        assert!(matches!(tx(u).into_conflict(0), Some(DomainError::Conflict("already_exists"))));
        assert!(tx(u).into_conflict(3).is_none());
    }

    fn membership() -> Membership {
        let now = chrono::Utc::now();
        let user = User::new("a@b.example".into(), "a@b.example".into(), "A".into(), "B".into(), "!".into(), now);
        Membership::new(PracticeId::new(), &user, Access::new(Kind::Staff, "front_desk", LocationId::new()), now)
    }

    #[test]
    fn unguarded_writes_keep_their_meaning() {
        let (practice_id, user_id) = (PracticeId::new(), UserId::new());
        let slot = EmailSlot::member(practice_id, "a@b", user_id);
        let cases: Vec<(Write, &str)> = vec![
            (Write::Create(Record::Slot(slot.clone())), "Conflict(\"already_exists\")"),
            (Write::Replace { record: Record::Slot(slot.clone()), expected_version: 1 }, "PreconditionFailed"),
            (Write::ReplaceMirrored { membership: membership(), expected_version: 1 }, "PreconditionFailed"),
            (Write::PutSlot { slot, holder: None, now: chrono::Utc::now() }, "InvitationPending"),
            (Write::LockUser { user_id }, "AccountLocked"),
            (Write::DeleteExisting(Key::Token("t".into())), "NotFound"),
            (Write::AdjustCounters { practice_id, delta: CounterDelta::default() }, "Conflict(\"counter_floor\")"),
            (
                Write::ReleaseSlot { practice_id, email_norm: "a@b".into(), invitation: InvitationId::new() },
                "InvitationNotPending",
            ),
            (Write::AdjustRoleHolders { practice_id, role_id: "r".into(), delta: 1 }, "RoleRequired"),
            (Write::DeleteRole { practice_id, role_id: "r".into(), expected_version: 1 }, "RoleInUse"),
            (
                Write::MirrorUser {
                    practice_id,
                    user_id,
                    search: None,
                    locked: false,
                    user_version: 1,
                    only_if_newer: false,
                },
                "NotFound",
            ),
            (Write::CheckFailures { key: Key::LoginFailures(user_id), at_least: 4 }, "InvalidCredentials"),
            (Write::ConfirmSignIn { user_id, totp_step: None }, "AccountLocked"),
            (Write::DeleteVersioned { key: Key::SupportGrant(practice_id), expected_version: 1 }, "PreconditionFailed"),
            (Write::CheckMember { practice_id, user_id, version: 1 }, "Forbidden"),
            (
                Write::CheckLocation { practice_id, location_id: LocationId::new() },
                "Validation([FieldError { field: \"primary_location_id\", message: \"is not an active location\" }])",
            ),
            (Write::SetBuiltInRoles { practice_id, sets: BTreeMap::new(), expected_version: 0 }, "PreconditionFailed"),
            (Write::CheckOnboardingMails { practice_id }, "Conflict(\"onboarding_off\")"),
        ];
        for (write, meaning) in cases {
            assert_eq!(format!("{:?}", write.conflict_error()), meaning, "{write:?}");
        }
    }
}

//! The storage port: every read and write the use cases make.

use super::{reads::*, writes::*};
use crate::error::PortError;
use crate::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, UserId};
use crate::model::*;
use async_trait::async_trait;

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
    /// The user's session items (R49), expired and ended ones included, at
    /// most `limit` (one Query page of the user's partition, in key order).
    async fn sessions_of_user(&self, user: UserId, limit: usize) -> Result<Vec<Session>, PortError>;
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
    /// A member's emergency access pointer (R50), open or ended, by key.
    async fn emergency_pointer(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Option<EmergencyPointer>, PortError>;
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

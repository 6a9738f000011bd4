//! A `Store` that hands every call to the real one and writes down which it
//! was, for tests of how much work a request does: each call is one round
//! trip to DynamoDB (R24: sign-in must not tell an unknown email by it).

use async_trait::async_trait;
use roster_domain::error::PortError;
use roster_domain::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, UserId};
use roster_domain::model::*;
use roster_domain::ports::{
    AcceptBundle, AskedMail, AskedMailKeys, AuditChunk, AuditRange, AuthBundle, InviteBundle, InviteKeys, Key,
    LinkPreview, MemberFilter, MemberKeys, MembersBundle, Page, Store, Tx,
};
use std::sync::{Arc, Mutex};

/// Which transaction to fail, once, as DynamoDB failing would.
type Fault = Box<dyn Fn(&Tx) -> bool + Send + Sync>;

pub struct CountingStore {
    inner: Arc<dyn Store>,
    calls: Mutex<Vec<String>>,
    fault: Mutex<Option<Fault>>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, calls: Mutex::new(Vec::new()), fault: Mutex::new(None) }
    }

    /// The next transaction `which` picks fails with a backend error (what
    /// a crash or timeout of DynamoDB looks like to the caller), once.
    pub fn fail_once(&self, which: impl Fn(&Tx) -> bool + Send + Sync + 'static) {
        *self.fault.lock().expect("fault") = Some(Box::new(which));
    }

    /// The calls since the last `take`, in order, and forget them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().expect("calls"))
    }

    fn note(&self, call: impl Into<String>) {
        self.calls.lock().expect("calls").push(call.into());
    }
}

/// The kind of a key, without the ids that tell one item from another.
fn kind(key: &Key) -> String {
    let debug = format!("{key:?}");
    debug.split(['(', ' ', '{']).next().unwrap_or_default().to_string()
}

#[async_trait]
impl Store for CountingStore {
    async fn transact(&self, tx: Tx) -> Result<(), PortError> {
        self.note(format!("transact({} writes)", tx.len()));
        let hit = {
            let mut fault = self.fault.lock().expect("fault");
            let hit = fault.as_ref().is_some_and(|f| f(&tx));
            if hit {
                *fault = None;
            }
            hit
        };
        if hit {
            return Err(PortError::Backend("injected failure".into()));
        }
        self.inner.transact(tx).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>, PortError> {
        self.note("user");
        self.inner.user(id).await
    }
    async fn email_claim(&self, email_norm: &str) -> Result<Option<EmailClaim>, PortError> {
        self.note("email_claim");
        self.inner.email_claim(email_norm).await
    }
    async fn token(&self, token_hash: &str) -> Result<Option<EmailToken>, PortError> {
        self.note("token");
        self.inner.token(token_hash).await
    }
    async fn auth_bundle(
        &self,
        user_id: UserId,
        token_hash: &str,
        practice: Option<PracticeId>,
    ) -> Result<AuthBundle, PortError> {
        self.note("auth_bundle");
        self.inner.auth_bundle(user_id, token_hash, practice).await
    }
    async fn practice(&self, id: PracticeId) -> Result<Option<Practice>, PortError> {
        self.note("practice");
        self.inner.practice(id).await
    }
    async fn practices(&self, ids: &[PracticeId]) -> Result<Vec<Practice>, PortError> {
        self.note("practices");
        self.inner.practices(ids).await
    }
    async fn location(&self, practice: PracticeId, id: LocationId) -> Result<Option<Location>, PortError> {
        self.note("location");
        self.inner.location(practice, id).await
    }
    async fn locations(&self, practice: PracticeId) -> Result<Vec<Location>, PortError> {
        self.note("locations");
        self.inner.locations(practice).await
    }
    async fn membership(&self, practice: PracticeId, user: UserId) -> Result<Option<Membership>, PortError> {
        self.note("membership");
        self.inner.membership(practice, user).await
    }
    async fn member_and_user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<(Option<Membership>, Option<User>), PortError> {
        self.note("member_and_user");
        self.inner.member_and_user(practice, user).await
    }
    async fn memberships_of_user(&self, user: UserId) -> Result<Vec<Membership>, PortError> {
        self.note("memberships_of_user");
        self.inner.memberships_of_user(user).await
    }
    async fn members_bundle(&self, keys: MemberKeys<'_>) -> Result<MembersBundle, PortError> {
        self.note("members_bundle");
        self.inner.members_bundle(keys).await
    }
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, PortError> {
        self.note("users");
        self.inner.users(ids).await
    }
    async fn members(
        &self,
        practice: PracticeId,
        filter: &MemberFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, PortError> {
        self.note("members");
        self.inner.members(practice, filter, limit, cursor).await
    }
    async fn roles(&self, practice: PracticeId) -> Result<Vec<Role>, PortError> {
        self.note("roles");
        self.inner.roles(practice).await
    }
    async fn role(&self, practice: PracticeId, id: &str) -> Result<Option<Role>, PortError> {
        self.note("role");
        self.inner.role(practice, id).await
    }
    async fn practices_and_roles(
        &self,
        practices: &[PracticeId],
        roles: &[(PracticeId, String)],
    ) -> Result<(Vec<Practice>, Vec<Role>), PortError> {
        self.note("practices_and_roles");
        self.inner.practices_and_roles(practices, roles).await
    }
    async fn audit(
        &self,
        scope: AuditScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEvent>, PortError> {
        self.note("audit");
        self.inner.audit(scope, limit, cursor).await
    }
    async fn audit_range(
        &self,
        practice: PracticeId,
        range: AuditRange,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<AuditChunk, PortError> {
        self.note("audit_range");
        self.inner.audit_range(practice, range, after, limit).await
    }
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError> {
        self.note("pending_outbox");
        self.inner.pending_outbox(limit).await
    }
    async fn due_outbox(
        &self,
        now: Time,
        after: Option<&OutboxItem>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, PortError> {
        self.note("due_outbox");
        self.inner.due_outbox(now, after, limit).await
    }
    async fn dead_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError> {
        self.note("dead_outbox");
        self.inner.dead_outbox(limit).await
    }
    async fn slot(&self, practice: PracticeId, email_norm: &str) -> Result<Option<EmailSlot>, PortError> {
        self.note("slot");
        self.inner.slot(practice, email_norm).await
    }
    async fn invite_bundle(&self, keys: InviteKeys<'_>) -> Result<InviteBundle, PortError> {
        self.note("invite_bundle");
        self.inner.invite_bundle(keys).await
    }
    async fn invitation(&self, practice: PracticeId, id: InvitationId) -> Result<Option<Invitation>, PortError> {
        self.note("invitation");
        self.inner.invitation(practice, id).await
    }
    async fn invitation_to_accept(
        &self,
        practice: PracticeId,
        id: InvitationId,
        custom_role: Option<&str>,
    ) -> Result<AcceptBundle, PortError> {
        self.note("invitation_to_accept");
        self.inner.invitation_to_accept(practice, id, custom_role).await
    }
    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError> {
        self.note("invitation_by_token");
        self.inner.invitation_by_token(token_hash).await
    }
    async fn link_preview(&self, token_hash: &str) -> Result<Option<LinkPreview>, PortError> {
        self.note("link_preview");
        self.inner.link_preview(token_hash).await
    }
    async fn invitations(
        &self,
        practice: PracticeId,
        contains: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Invitation>, PortError> {
        self.note("invitations");
        self.inner.invitations(practice, contains, limit, cursor).await
    }
    async fn pending_invitations_for(&self, email_norm: &str) -> Result<Vec<Invitation>, PortError> {
        self.note("pending_invitations_for");
        self.inner.pending_invitations_for(email_norm).await
    }
    async fn due_invitations(
        &self,
        now: Time,
        after: Option<&Invitation>,
        limit: usize,
    ) -> Result<Vec<Invitation>, PortError> {
        self.note("due_invitations");
        self.inner.due_invitations(now, after, limit).await
    }
    async fn count_attempt(&self, key: Key, must_exist: bool) -> Result<Option<u32>, PortError> {
        self.note(format!("count_attempt({}, must_exist: {must_exist})", kind(&key)));
        self.inner.count_attempt(key, must_exist).await
    }
    async fn forget_attempt(&self, key: Key) -> Result<(), PortError> {
        self.note(format!("forget_attempt({})", kind(&key)));
        self.inner.forget_attempt(key).await
    }
    async fn challenge(&self, token_hash: &str) -> Result<Option<MfaChallenge>, PortError> {
        self.note("challenge");
        self.inner.challenge(token_hash).await
    }
    async fn touch_session(&self, session: &Session, now: Time, longest_idle_secs: i64) -> Result<bool, PortError> {
        self.note("touch_session");
        self.inner.touch_session(session, now, longest_idle_secs).await
    }
    async fn sessions_of_user(&self, user: UserId, limit: usize) -> Result<Vec<Session>, PortError> {
        self.note("sessions_of_user");
        self.inner.sessions_of_user(user, limit).await
    }
    async fn sent_mails(&self, user: UserId, purpose: TokenPurpose) -> Result<Option<SentMails>, PortError> {
        self.note("sent_mails");
        self.inner.sent_mails(user, purpose).await
    }
    async fn asked_mail(&self, keys: AskedMailKeys<'_>) -> Result<AskedMail, PortError> {
        self.note("asked_mail");
        self.inner.asked_mail(keys).await
    }
    async fn bulk_answer(
        &self,
        practice: PracticeId,
        user: UserId,
        key_hash: &str,
        parts: u32,
    ) -> Result<Vec<BulkAnswer>, PortError> {
        self.note("bulk_answer");
        self.inner.bulk_answer(practice, user, key_hash, parts).await
    }
    async fn support_grant(&self, practice: PracticeId) -> Result<Option<SupportGrant>, PortError> {
        self.note("support_grant");
        self.inner.support_grant(practice).await
    }
    async fn practice_settings(&self, practice: PracticeId) -> Result<Option<PracticeSettings>, PortError> {
        self.note("practice_settings");
        self.inner.practice_settings(practice).await
    }
    async fn settings_and_roles(
        &self,
        practice: PracticeId,
        roles: &[&str],
    ) -> Result<(Option<PracticeSettings>, Vec<Role>), PortError> {
        self.note("settings_and_roles");
        self.inner.settings_and_roles(practice, roles).await
    }
    async fn settings_of_practices(&self, ids: &[PracticeId]) -> Result<Vec<PracticeSettings>, PortError> {
        self.note("settings_of_practices");
        self.inner.settings_of_practices(ids).await
    }
    async fn memberships_by_id(&self, ids: &[(PracticeId, UserId)]) -> Result<Vec<Membership>, PortError> {
        self.note("memberships_by_id");
        self.inner.memberships_by_id(ids).await
    }
    async fn due_onboarding(
        &self,
        now: Time,
        after: Option<&OnboardingMail>,
        limit: usize,
    ) -> Result<Vec<OnboardingMail>, PortError> {
        self.note("due_onboarding");
        self.inner.due_onboarding(now, after, limit).await
    }
    async fn due_support_grants(
        &self,
        now: Time,
        after: Option<&SupportGrant>,
        limit: usize,
    ) -> Result<Vec<SupportGrant>, PortError> {
        self.note("due_support_grants");
        self.inner.due_support_grants(now, after, limit).await
    }
    async fn emergency_access(
        &self,
        practice: PracticeId,
        id: EmergencyAccessId,
    ) -> Result<Option<EmergencyAccess>, PortError> {
        self.note("emergency_access");
        self.inner.emergency_access(practice, id).await
    }
    async fn emergency_pointer(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Option<EmergencyPointer>, PortError> {
        self.note("emergency_pointer");
        self.inner.emergency_pointer(practice, user).await
    }
    async fn emergency_accesses(
        &self,
        practice: PracticeId,
        list: EmergencyList,
        user: Option<UserId>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<EmergencyAccess>, PortError> {
        self.note("emergency_accesses");
        self.inner.emergency_accesses(practice, list, user, limit, cursor).await
    }
    async fn due_emergency_accesses(
        &self,
        now: Time,
        after: Option<&EmergencyAccess>,
        limit: usize,
    ) -> Result<Vec<EmergencyAccess>, PortError> {
        self.note("due_emergency_accesses");
        self.inner.due_emergency_accesses(now, after, limit).await
    }
    async fn directors(&self, practice: PracticeId) -> Result<Vec<Membership>, PortError> {
        self.note("directors");
        self.inner.directors(practice).await
    }
    async fn undeliverable(&self, email_norm: &str) -> Result<Option<Undeliverable>, PortError> {
        self.note("undeliverable");
        self.inner.undeliverable(email_norm).await
    }
    async fn undeliverables(&self, emails_norm: &[String]) -> Result<Vec<Undeliverable>, PortError> {
        self.note("undeliverables");
        self.inner.undeliverables(emails_norm).await
    }
    async fn mark_undeliverable(
        &self,
        email_norm: &str,
        reason: UndeliverableReason,
        at: Time,
    ) -> Result<(), PortError> {
        self.note("mark_undeliverable");
        self.inner.mark_undeliverable(email_norm, reason, at).await
    }
    async fn count_skipped(&self, email_norm: &str) -> Result<(), PortError> {
        self.note("count_skipped");
        self.inner.count_skipped(email_norm).await
    }
    async fn clear_undeliverable(&self, email_norm: &str, reason: UndeliverableReason) -> Result<bool, PortError> {
        self.note("clear_undeliverable");
        self.inner.clear_undeliverable(email_norm, reason).await
    }
}

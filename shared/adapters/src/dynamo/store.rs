//! `Store` for DynamoDB: each method names the record kind and key it reads
//! and hands the work to the file of its concern.

use super::codec::{decode, decode_all, item_type, s, Item};
use super::entity::*;
use super::keys::{practice_pk, user_pk, DISPLAY_SEARCH};
use super::read::{Filter, QuerySpec};
use super::DynamoStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use roster_domain::error::PortError;
use roster_domain::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, UserId};
use roster_domain::model::*;
use roster_domain::ports::{
    AcceptBundle, AskedMail, AskedMailKeys, AuditChunk, AuditRange, AuthBundle, InviteBundle, InviteKeys, Key,
    LinkPreview, MemberFilter, MemberKeys, MembersBundle, Page, Store, Tx,
};

#[async_trait]
impl Store for DynamoStore {
    async fn transact(&self, tx: Tx) -> Result<(), PortError> {
        self.transact_writes(tx).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, PortError> {
        self.get::<User>(id).await
    }

    async fn email_claim(&self, email_norm: &str) -> Result<Option<EmailClaim>, PortError> {
        self.get::<EmailClaim>(email_norm).await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<EmailToken>, PortError> {
        self.get::<EmailToken>(token_hash).await
    }

    async fn auth_bundle(
        &self,
        user_id: UserId,
        token_hash: &str,
        practice: Option<PracticeId>,
    ) -> Result<AuthBundle, PortError> {
        let mut keys = vec![Session::primary_key((user_id, token_hash)), User::primary_key(user_id)];
        if let Some(p) = practice {
            keys.push(Practice::primary_key(p));
            keys.push(Membership::primary_key((p, user_id)));
            // For a support agent (R30); a GetItem in the same batch costs
            // no round trip.
            keys.push(SupportGrant::primary_key(p));
            keys.push(EmergencyPointer::primary_key((p, user_id)));
        }
        let mut items = self.batch_get(keys).await?;
        Ok(AuthBundle {
            session: take(&mut items)?,
            user: take(&mut items)?,
            practice: take(&mut items)?,
            membership: take(&mut items)?,
            support_grant: take(&mut items)?,
            emergency: take(&mut items)?,
        })
    }

    async fn practice(&self, id: PracticeId) -> Result<Option<Practice>, PortError> {
        self.get::<Practice>(id).await
    }

    async fn practices(&self, ids: &[PracticeId]) -> Result<Vec<Practice>, PortError> {
        self.batch_get_all(ids.iter().map(|p| Practice::primary_key(*p))).await
    }

    async fn location(&self, practice: PracticeId, id: LocationId) -> Result<Option<Location>, PortError> {
        self.get::<Location>((practice, id)).await
    }

    async fn locations(&self, practice: PracticeId) -> Result<Vec<Location>, PortError> {
        self.query_all(&QuerySpec::table(practice_pk(practice), LOCATION_PREFIX, true)).await
    }

    async fn membership(&self, practice: PracticeId, user: UserId) -> Result<Option<Membership>, PortError> {
        self.get::<Membership>((practice, user)).await
    }

    async fn member_and_user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<(Option<Membership>, Option<User>), PortError> {
        let mut items = self.batch_get([Membership::primary_key((practice, user)), User::primary_key(user)]).await?;
        Ok((take(&mut items)?, take(&mut items)?))
    }

    async fn memberships_of_user(&self, user: UserId) -> Result<Vec<Membership>, PortError> {
        self.query_all(&QuerySpec::gsi1(user_pk(user), MEMBER_PREFIX)).await
    }

    async fn members_bundle(&self, k: MemberKeys<'_>) -> Result<MembersBundle, PortError> {
        let people = k.users.iter().flat_map(|u| [Membership::primary_key((k.practice, *u)), User::primary_key(*u)]);
        let roles = k.roles.iter().map(|r| Role::primary_key((k.practice, r)));
        // Always by key, 100 a call: the request body's limit (`MAX_BODY`)
        // bounds a patch to about 1,700 ids, and so the functions that
        // change members need no Query of the table.
        let named = k.locations.iter().map(|l| Location::primary_key((k.practice, *l)));
        let mut items = self.batch_get(people.chain(roles).chain(named).collect::<Vec<_>>()).await?;
        Ok(MembersBundle {
            memberships: take_all(&mut items)?,
            users: take_all(&mut items)?,
            roles: take_all(&mut items)?,
            locations: take_all(&mut items)?,
        })
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, PortError> {
        self.batch_get_all(ids.iter().map(|u| User::primary_key(*u))).await
    }

    async fn members(
        &self,
        practice: PracticeId,
        filter: &MemberFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, PortError> {
        let mut q = QuerySpec::table(practice_pk(practice), MEMBER_PREFIX, true);
        q.filters = member_filters(filter);
        self.filtered(&q, limit, cursor).await
    }

    async fn roles(&self, practice: PracticeId) -> Result<Vec<Role>, PortError> {
        self.query_all(&QuerySpec::table(practice_pk(practice), ROLE_PREFIX, true)).await
    }

    async fn role(&self, practice: PracticeId, id: &str) -> Result<Option<Role>, PortError> {
        self.get::<Role>((practice, id)).await
    }

    async fn practices_and_roles(
        &self,
        practices: &[PracticeId],
        roles: &[(PracticeId, String)],
    ) -> Result<(Vec<Practice>, Vec<Role>), PortError> {
        let keys = practices.iter().map(|p| Practice::primary_key(*p));
        let items = self.batch_get(keys.chain(roles.iter().map(|(p, r)| Role::primary_key((*p, r))))).await?;
        let (practices, roles): (Vec<Item>, Vec<Item>) =
            items.into_iter().partition(|item| item_type(item) == Some(Practice::TYPE));
        Ok((decode_all(practices)?, decode_all(roles)?))
    }

    async fn audit(
        &self,
        scope: AuditScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEvent>, PortError> {
        self.paged(audit_pk(scope), EVENT_PREFIX, false, limit, cursor).await
    }

    async fn audit_range(
        &self,
        practice: PracticeId,
        range: AuditRange,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<AuditChunk, PortError> {
        self.audit_range_read(practice, range, after, limit).await
    }

    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError> {
        self.head(OUTBOX_INDEX, limit).await
    }

    async fn due_outbox(
        &self,
        now: Time,
        after: Option<&OutboxItem>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, PortError> {
        self.due(OUTBOX_INDEX, now, after, limit).await
    }

    async fn dead_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError> {
        self.head(OUTBOX_DEAD_INDEX, limit).await
    }

    async fn slot(&self, practice: PracticeId, email_norm: &str) -> Result<Option<EmailSlot>, PortError> {
        self.get::<EmailSlot>((practice, email_norm)).await
    }

    async fn invite_bundle(&self, k: InviteKeys<'_>) -> Result<InviteBundle, PortError> {
        let mut keys = vec![
            EmailSlot::primary_key((k.practice, k.email_norm)),
            EmailClaim::primary_key(k.email_norm),
            Undeliverable::primary_key(k.email_norm),
        ];
        if k.settings {
            keys.push(PracticeSettings::primary_key(k.practice));
        }
        keys.extend(k.custom_role.map(|r| Role::primary_key((k.practice, r))));
        // A request can list any number of locations; past one batch's room
        // the practice's own list is the cheaper read.
        let by_key = k.locations.len() < NAMED_LOCATIONS_BY_KEY;
        if by_key {
            keys.extend(k.locations.iter().map(|l| Location::primary_key((k.practice, *l))));
        }
        let mut items = self.batch_get(keys).await?;
        let mut locations = take_all(&mut items)?;
        if !by_key {
            locations = self.locations(k.practice).await?;
        }
        Ok(InviteBundle {
            slot: take(&mut items)?,
            claim: take(&mut items)?,
            undeliverable: take(&mut items)?,
            settings: take(&mut items)?,
            locations,
            role: take(&mut items)?,
        })
    }

    async fn invitation(&self, practice: PracticeId, id: InvitationId) -> Result<Option<Invitation>, PortError> {
        self.get::<Invitation>((practice, id)).await
    }

    async fn invitation_to_accept(
        &self,
        practice: PracticeId,
        id: InvitationId,
        custom_role: Option<&str>,
    ) -> Result<AcceptBundle, PortError> {
        let mut keys = vec![Invitation::primary_key((practice, id)), Practice::primary_key(practice)];
        keys.extend(custom_role.map(|r| Role::primary_key((practice, r))));
        let mut items = self.batch_get(keys).await?;
        Ok(AcceptBundle { invitation: take(&mut items)?, practice: take(&mut items)?, role: take(&mut items)? })
    }

    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError> {
        let Some(t) = self.get::<InvitationToken>(token_hash).await? else {
            return Ok(None);
        };
        let invitation = self.get::<Invitation>((t.practice_id, t.invitation_id)).await?;
        Ok(invitation.filter(|i| named_by(i, token_hash)))
    }

    async fn link_preview(&self, token_hash: &str) -> Result<Option<LinkPreview>, PortError> {
        let Some(t) = self.get::<InvitationToken>(token_hash).await? else {
            return Ok(None);
        };
        let mut keys =
            vec![Invitation::primary_key((t.practice_id, t.invitation_id)), Practice::primary_key(t.practice_id)];
        keys.extend(t.email_norm.as_deref().map(EmailClaim::primary_key));
        let mut items = self.batch_get(keys).await?;
        let Some(invitation) = take::<Invitation>(&mut items)?.filter(|i| named_by(i, token_hash)) else {
            return Ok(None);
        };
        let claim: Option<EmailClaim> = match t.email_norm {
            Some(_) => take(&mut items)?,
            // A token item older than its `email_norm`: one more read.
            None => self.get::<EmailClaim>(&invitation.email_norm).await?,
        };
        Ok(Some(LinkPreview { practice: take(&mut items)?, invitation, account_exists: claim.is_some() }))
    }

    async fn invitations(
        &self,
        practice: PracticeId,
        contains: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Invitation>, PortError> {
        let Some(needle) = contains.filter(|n| !n.is_empty()) else {
            return self.paged(practice_pk(practice), INVITE_PREFIX, true, limit, cursor).await;
        };
        let mut q = QuerySpec::table(practice_pk(practice), INVITE_PREFIX, true);
        q.filters = vec![Filter {
            expression: "contains(#display_search, :needle)",
            names: &[("#display_search", DISPLAY_SEARCH)],
            value: (":needle", s(needle)),
        }];
        self.filtered(&q, limit, cursor).await
    }

    async fn pending_invitations_for(&self, email_norm: &str) -> Result<Vec<Invitation>, PortError> {
        self.query_all(&QuerySpec::gsi1(invitee_pk(email_norm), INVITE_PREFIX)).await
    }

    async fn due_invitations(
        &self,
        now: Time,
        after: Option<&Invitation>,
        limit: usize,
    ) -> Result<Vec<Invitation>, PortError> {
        self.due(DUE_INVITATIONS, now, after, limit).await
    }

    async fn count_attempt(&self, key: Key, must_exist: bool) -> Result<Option<u32>, PortError> {
        self.count(&key, must_exist).await
    }

    async fn forget_attempt(&self, key: Key) -> Result<(), PortError> {
        self.forget(&key).await
    }

    async fn challenge(&self, token_hash: &str) -> Result<Option<MfaChallenge>, PortError> {
        self.get::<MfaChallenge>(token_hash).await
    }

    async fn touch_session(&self, session: &Session, now: Time, longest_idle_secs: i64) -> Result<bool, PortError> {
        self.touch(session, now, longest_idle_secs).await
    }

    async fn sessions_of_user(&self, user: UserId, limit: usize) -> Result<Vec<Session>, PortError> {
        self.sessions_of(user, limit).await
    }

    async fn sent_mails(&self, user: UserId, purpose: TokenPurpose) -> Result<Option<SentMails>, PortError> {
        self.get::<SentMails>((user, purpose)).await
    }

    async fn asked_mail(&self, k: AskedMailKeys<'_>) -> Result<AskedMail, PortError> {
        let mut keys = vec![SentMails::primary_key((k.user, k.purpose)), Undeliverable::primary_key(k.email_norm)];
        keys.extend(k.read_user.then(|| User::primary_key(k.user)));
        let mut items = self.batch_get(keys).await?;
        Ok(AskedMail { user: take(&mut items)?, sent: take(&mut items)?, mark: take(&mut items)? })
    }

    async fn support_grant(&self, practice: PracticeId) -> Result<Option<SupportGrant>, PortError> {
        self.get::<SupportGrant>(practice).await
    }

    async fn bulk_answer(
        &self,
        practice: PracticeId,
        user: UserId,
        key_hash: &str,
        parts: u32,
    ) -> Result<Vec<BulkAnswer>, PortError> {
        let keys = (0..parts).map(|part| BulkAnswer::primary_key((practice, user, key_hash, part)));
        let mut found: Vec<BulkAnswer> = self.batch_get_all(keys).await?;
        found.sort_by_key(|a| a.part);
        Ok(found)
    }

    async fn practice_settings(&self, practice: PracticeId) -> Result<Option<PracticeSettings>, PortError> {
        self.get::<PracticeSettings>(practice).await
    }

    async fn settings_and_roles(
        &self,
        practice: PracticeId,
        roles: &[&str],
    ) -> Result<(Option<PracticeSettings>, Vec<Role>), PortError> {
        let keys = roles.iter().map(|r| Role::primary_key((practice, *r)));
        let mut items = self.batch_get(std::iter::once(PracticeSettings::primary_key(practice)).chain(keys)).await?;
        let settings = take(&mut items)?;
        Ok((settings, decode_all(items)?))
    }

    async fn settings_of_practices(&self, ids: &[PracticeId]) -> Result<Vec<PracticeSettings>, PortError> {
        self.batch_get_all(ids.iter().map(|p| PracticeSettings::primary_key(*p))).await
    }

    async fn memberships_by_id(&self, ids: &[(PracticeId, UserId)]) -> Result<Vec<Membership>, PortError> {
        self.batch_get_all(ids.iter().map(|(p, u)| Membership::primary_key((*p, *u)))).await
    }

    async fn due_onboarding(
        &self,
        now: Time,
        after: Option<&OnboardingMail>,
        limit: usize,
    ) -> Result<Vec<OnboardingMail>, PortError> {
        self.due(DUE_ONBOARDING, now, after, limit).await
    }

    async fn due_support_grants(
        &self,
        now: Time,
        after: Option<&SupportGrant>,
        limit: usize,
    ) -> Result<Vec<SupportGrant>, PortError> {
        self.due(DUE_SUPPORT_GRANTS, now, after, limit).await
    }

    async fn emergency_access(
        &self,
        practice: PracticeId,
        id: EmergencyAccessId,
    ) -> Result<Option<EmergencyAccess>, PortError> {
        self.get::<EmergencyAccess>((practice, id)).await
    }

    async fn emergency_pointer(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Option<EmergencyPointer>, PortError> {
        self.get::<EmergencyPointer>((practice, user)).await
    }

    async fn emergency_accesses(
        &self,
        practice: PracticeId,
        list: EmergencyList,
        user: Option<UserId>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<EmergencyAccess>, PortError> {
        self.emergency_page(practice, list, user, limit, cursor).await
    }

    async fn due_emergency_accesses(
        &self,
        now: Time,
        after: Option<&EmergencyAccess>,
        limit: usize,
    ) -> Result<Vec<EmergencyAccess>, PortError> {
        self.due(DUE_EMERGENCY, now, after, limit).await
    }

    async fn directors(&self, practice: PracticeId) -> Result<Vec<Membership>, PortError> {
        self.query_all(&QuerySpec::gsi2(directors_pk(practice), "")).await
    }

    async fn undeliverable(&self, email_norm: &str) -> Result<Option<Undeliverable>, PortError> {
        self.get::<Undeliverable>(email_norm).await
    }

    async fn undeliverables(&self, emails_norm: &[String]) -> Result<Vec<Undeliverable>, PortError> {
        self.batch_get_all(emails_norm.iter().map(|e| Undeliverable::primary_key(e))).await
    }

    async fn mark_undeliverable(
        &self,
        email_norm: &str,
        reason: UndeliverableReason,
        at: Time,
    ) -> Result<(), PortError> {
        self.mark(email_norm, reason, at).await
    }

    async fn count_skipped(&self, email_norm: &str) -> Result<(), PortError> {
        self.skipped(email_norm).await
    }

    async fn clear_undeliverable(&self, email_norm: &str, reason: UndeliverableReason) -> Result<bool, PortError> {
        self.clear(email_norm, reason).await
    }
}

/// Named locations read by key, with the invite's other keys, in one
/// BatchGetItem (100 keys).
const NAMED_LOCATIONS_BY_KEY: usize = 90;

/// The record of kind `T` among `items`, taken out, if there is one.
fn take<T: Entity>(items: &mut Vec<Item>) -> Result<Option<T>, PortError> {
    match items.iter().position(|item| item_type(item) == Some(T::TYPE)) {
        Some(i) => decode(items.swap_remove(i)).map(Some),
        None => Ok(None),
    }
}

/// Every record of kind `T` among `items`, taken out.
fn take_all<T: Entity>(items: &mut Vec<Item>) -> Result<Vec<T>, PortError> {
    let (kind, rest): (Vec<Item>, Vec<Item>) = items.drain(..).partition(|item| item_type(item) == Some(T::TYPE));
    *items = rest;
    decode_all(kind)
}

/// Whether `token_hash` is the invitation's link now: a resend replaces the
/// token, and the old one names nothing any more.
fn named_by(invitation: &Invitation, token_hash: &str) -> bool {
    invitation.token_hash == token_hash
}

/// What the members list filters on in DynamoDB (R22): all must hold.
fn member_filters(filter: &MemberFilter) -> Vec<Filter> {
    let mut filters = Vec::new();
    if let Some(status) = filter.status {
        let word = match status {
            MemberStatus::Active => "active",
            MemberStatus::Deactivated => "deactivated",
        };
        filters.push(Filter {
            expression: "#status = :status",
            names: &[("#status", "status")],
            value: (":status", s(word)),
        });
    }
    if filter.locked_only {
        filters.push(Filter {
            expression: "#locked = :locked",
            names: &[("#locked", "locked")],
            value: (":locked", AttributeValue::Bool(true)),
        });
    }
    if let Some(needle) = filter.contains.as_deref().filter(|n| !n.is_empty()) {
        // The user's names and email, or the practice's name for them; a
        // membership never named by the practice has no `display_search`,
        // and `contains` on a missing attribute is simply false.
        filters.push(Filter {
            expression: "(contains(#search, :needle) OR contains(#display_search, :needle))",
            names: &[("#search", "search"), ("#display_search", DISPLAY_SEARCH)],
            value: (":needle", s(needle)),
        });
    }
    filters
}

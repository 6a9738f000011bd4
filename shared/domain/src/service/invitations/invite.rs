//! The practice's side of invitations (R5..R9, R13, R35): invite, resend,
//! revoke and list.

use super::{close, event_detail, invitation_mail, inviter_name, link_token, practice_audit, LISTED_AFTER_EXPIRY_DAYS};
use super::{RESENDS_PER_HOUR, VALID_DAYS};
use crate::access::AccessPatch;
use crate::error::DomainError;
use crate::ids::{InvitationId, PracticeId};
use crate::mail;
use crate::metrics::{self, Count};
use crate::model::*;
use crate::permissions::{stored_role_id, USERS_MANAGE, USERS_VIEW};
use crate::ports::{App, InviteBundle, InviteKeys, Key, Record, Tx, Write};
use crate::secrets;
use crate::service::context::MemberCtx;
use crate::service::onboarding;
use crate::service::roles::{take_role, unknown_role};
use crate::service::seats::{license_consent, module_events, seat_added, with_consent};
use crate::service::settings::saved_or_defaults;
use crate::service::support::is_agent_address;
use crate::service::verification::{verification_link, VERIFY_EMAIL_HOURS};
use crate::service::views::{InvitationView, ListView, MemberView};
use crate::service::writes::{audit_event, commit, outbox_event, outbox_mail, to_value};
use crate::validate::{ensure_strong, Errors, NoOtherFields, NAME_MAX, TITLE_MAX};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// `POST /practices/{pid}/invitations`: who is invited, and the access
/// offered (every field of [`AccessPatch`]).
#[derive(Debug, Default, Deserialize)]
pub struct InviteInput {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub temporary_password: Option<String>,
    /// R45: needed for a practitioner, whose seat (and module seats, R46)
    /// the practice pays for once the invitation is accepted, or at once
    /// with a temporary password.
    pub accept_license_terms: Option<bool>,
    #[serde(flatten)]
    pub access: AccessPatch,
    #[serde(flatten)]
    pub no_other_fields: NoOtherFields,
}

/// What an invitation made: an invitation, or with a temporary password
/// (R13) the member at once.
pub enum Invited {
    Invitation(Box<InvitationView>),
    /// R13: the temporary-password path created the user and membership.
    Member(Box<MemberView>),
}

/// The person a temporary password creates (R13), as the practice typed them.
struct NewPerson {
    email: String,
    email_norm: String,
    title: Option<String>,
    first_name: String,
    last_name: String,
    /// The temporary password, which the administrator hands over: it is
    /// never mailed.
    password: String,
}

/// An invitation judged by every rule and ready to commit: its one
/// transaction, what it answers, and the address it takes (R6).
pub struct Prepared {
    tx: Tx,
    invited: Invited,
    pub email_norm: String,
}

impl Prepared {
    /// What committing it answers, before it is committed (a dry run, R52).
    pub fn invited(&self) -> &Invited {
        &self.invited
    }

    /// The one transaction; the conditions in it stop what raced the reads.
    pub async fn commit(self, app: &App) -> Result<Invited, DomainError> {
        commit(app, self.tx).await?;
        if matches!(self.invited, Invited::Invitation(_)) {
            metrics::count(Count::InvitationsSent, 1);
        }
        Ok(self.invited)
    }
}

/// Who may invite at all (R5, R41), asked once however many are invited.
pub fn ensure_may_invite(ctx: &MemberCtx) -> Result<(), DomainError> {
    ctx.require(USERS_MANAGE)?;
    // R41: else anyone could sign up, make a practice and mail any address.
    ctx.caller.ensure_verified()
}

/// `POST /practices/{pid}/invitations` (users.manage, R5, R6, R13, R16, R17).
pub async fn invite(app: &App, ctx: &MemberCtx, input: InviteInput) -> Result<Invited, DomainError> {
    ensure_may_invite(ctx)?;
    prepare(app, ctx, input).await?.commit(app).await
}

/// Everything `invite` does but the commit, for a caller `ensure_may_invite`
/// admitted: one bulk row is exactly this (R52).
pub async fn prepare(app: &App, ctx: &MemberCtx, input: InviteInput) -> Result<Prepared, DomainError> {
    let pid = ctx.practice.id;
    let mut e = Errors::new();
    let (email, email_norm) = e.email("email", input.email.as_deref());
    let first_name = e.optional_name("first_name", input.first_name.as_deref(), NAME_MAX);
    let last_name = e.optional_name("last_name", input.last_name.as_deref(), NAME_MAX);
    let title = e.optional_name("title", input.title.as_deref(), TITLE_MAX);
    // One round trip: what the request names is read by key. R43: the
    // settings only when the invitation names no role; issue 14: the
    // address's bounce mark, shown at once.
    let names_no_role = input.access.role_id.is_none();
    let named_role = input.access.role_id.as_deref().and_then(stored_role_id);
    let read = app
        .store
        .invite_bundle(InviteKeys {
            practice: pid,
            email_norm: &email_norm,
            locations: &input.access.named_locations(),
            custom_role: named_role,
            settings: names_no_role,
        })
        .await?;
    let InviteBundle { slot, claim, undeliverable: mark, settings, locations, role } = read;
    let patch = match names_no_role {
        true => input.access.or_default_role(&saved_or_defaults(settings, pid).default_roles),
        false => input.access,
    };
    // A custom default role was not known before the settings came.
    let role = match patch.role_id.as_deref().and_then(stored_role_id) {
        Some(id) if role.as_ref().is_none_or(|r| r.id != id) => app.store.role(pid, id).await?,
        _ => role,
    };
    let roles = ctx.practice.roles_in_force(role.into_iter().collect());
    // R36 below (`ensure_may_grant`) judges the access with the default
    // role in it, as if the inviter had named it.
    let access = patch.apply(None, &mut e, &locations, &roles);
    let temporary = match &input.temporary_password {
        Some(_) if claim.is_some() => {
            e.add("temporary_password", "must be absent: an account exists for this email");
            None
        }
        // Whoever set it would hold a support agent's account (R31).
        Some(_) if is_agent_address(app, &email_norm) => return Err(DomainError::Forbidden),
        Some(p) => {
            let pw = e.password_length("temporary_password", Some(p));
            if first_name.is_none() {
                e.add("first_name", "is required with a temporary password");
            }
            if last_name.is_none() {
                e.add("last_name", "is required with a temporary password");
            }
            pw
        }
        None => None,
    };
    e.finish()?;
    let Some(access) = access else { return Err(DomainError::field("kind", "is required")) };
    ctx.ensure_may_grant(None, None, &access, &roles)?;
    // The estimator runs once R36 admitted the grant, never for a caller
    // who may not make it.
    if let Some(p) = &temporary {
        let words = [email.as_str(), first_name.as_deref().unwrap_or(""), last_name.as_deref().unwrap_or("")];
        ensure_strong("temporary_password", p, &words)?;
    }
    let now = app.now();
    let consent = license_consent(app, ctx, None, &access, input.accept_license_terms == Some(true), now)?;
    if let Some(conflict) = slot_conflict(app, ctx, slot.as_ref(), now).await? {
        return Err(conflict);
    }
    let invited_by = InvitedBy { user_id: ctx.caller.user.id, name: inviter_name(&ctx.caller.user) };
    match temporary {
        Some(password) => {
            let person = NewPerson {
                email,
                email_norm,
                title,
                first_name: first_name.unwrap_or_default(),
                last_name: last_name.unwrap_or_default(),
                password,
            };
            let join = Join { access, consent, invited_by };
            create_with_temporary_password(app, ctx, join, &roles, person, now)
        }
        None => {
            let token = secrets::random_secret();
            let inv = Invitation {
                id: InvitationId::new(),
                practice_id: pid,
                email,
                email_norm,
                title,
                first_name,
                last_name,
                access,
                status: InvitationStatus::Pending,
                token_hash: secrets::sha256_hex(&token),
                invited_by,
                created_at: now,
                expires_at: now + Duration::days(VALID_DAYS),
                resend_count: 0,
                resent_at: Vec::new(),
                accepted_at: None,
                revoked_at: None,
                declined_at: None,
                license_consent: consent,
                version: 1,
            };
            let view = InvitationView::new(&inv, now, mark.as_ref());
            let mail = invitation_mail(app, &inv, &token, &ctx.practice.name, claim.is_some())?;
            let mut tx = Tx::new();
            tx.guarded(
                Write::PutSlot { slot: EmailSlot::invitation(&inv), holder: None, now },
                DomainError::InvitationPending,
            )
            .push(Write::Create(link_token(&inv)))
            .push(Write::Create(practice_audit(
                &inv,
                now,
                ctx.actor(),
                "invitation.created",
                json!(null),
                with_consent(to_value(&view), inv.license_consent.as_ref()),
            )))
            .push(Write::Create(outbox_mail(now, mail)))
            .push(Write::Create(outbox_event(now, EventType::InvitationCreated, event_detail(&inv))))
            .guarded(ctx.still_authorized()?, DomainError::Forbidden)
            .push(primary_still_active(&inv.access, pid));
            take_role(&mut tx, pid, &inv.access.role_id, unknown_role());
            let email_norm = inv.email_norm.clone();
            tx.push(Write::Create(Record::Invitation(inv)));
            Ok(Prepared { tx, invited: Invited::Invitation(Box::new(view)), email_norm })
        }
    }
}

/// The primary location was read active; it must still be when the
/// invitation commits, else the same 422 as if it had been read inactive.
fn primary_still_active(access: &Access, practice_id: PracticeId) -> Write {
    Write::CheckLocation { practice_id, location_id: access.primary_location_id }
}

/// Why the (practice, email) slot is taken, for the right 409 (R6). The slot
/// write's own condition is what stops a race; this only names the cause.
async fn slot_conflict(
    app: &App,
    ctx: &MemberCtx,
    slot: Option<&EmailSlot>,
    now: Time,
) -> Result<Option<DomainError>, DomainError> {
    let Some(slot) = slot else { return Ok(None) };
    if let Some(uid) = slot.user_id {
        let m = app.store.membership(ctx.practice.id, uid).await?;
        return Ok(Some(match m.map(|m| m.status) {
            Some(MemberStatus::Deactivated) => DomainError::MemberDeactivated,
            _ => DomainError::AlreadyMember,
        }));
    }
    let live = slot.expires_ms.is_some_and(|ms| ms > now.timestamp_millis());
    Ok(live.then_some(DomainError::InvitationPending))
}

/// What a temporary password makes the new person hold, who offered it,
/// and the license consent that pays for its seat (R45).
struct Join {
    access: Access,
    consent: Option<LicenseConsent>,
    invited_by: InvitedBy,
}

/// R13: no account exists for the email, so the user and an active
/// membership are created at once; the user must change the password first.
fn create_with_temporary_password(
    app: &App,
    ctx: &MemberCtx,
    join: Join,
    roles: &[Role],
    person: NewPerson,
    now: Time,
) -> Result<Prepared, DomainError> {
    let Join { access, consent, invited_by } = join;
    let pid = ctx.practice.id;
    let email_norm = person.email_norm.clone();
    let user = User {
        title: person.title,
        must_change_password: true,
        ..User::new(
            person.email,
            person.email_norm,
            person.first_name,
            person.last_name,
            secrets::hash_password(&person.password)?,
            now,
        )
    };
    let membership = Membership::new(pid, &user, access, now);
    let view = MemberView::new(&membership, &user, roles);
    // The welcome mail proves nothing yet; its verification link does, once
    // followed (R13, R39). The temporary password never travels by mail.
    let (verify_token, verify_link) = verification_link(app, &user, now);
    let mail = mail::render(
        "welcome_temporary_password",
        &user.email,
        json!({"first_name": user.first_name, "inviter": invited_by.name, "practice_name": ctx.practice.name,
            "link": format!("{}/login", app.config.app_base_url), "verify_link": verify_link,
            "valid_hours": VERIFY_EMAIL_HOURS}),
    )?;
    let target = Target::new("user", user.id);
    let mut tx = Tx::new();
    tx.guarded(
        Write::Create(Record::EmailClaim(EmailClaim { email_norm: email_norm.clone(), user_id: user.id })),
        DomainError::EmailTaken,
    )
    .guarded(Write::Create(Record::User(user.clone())), DomainError::EmailTaken)
    .push(Write::Put(Record::Token(verify_token)))
    .guarded(
        Write::PutSlot { slot: EmailSlot::member(pid, &email_norm, user.id), holder: None, now },
        DomainError::InvitationPending,
    )
    .guarded(Write::Create(Record::Membership(membership.clone())), DomainError::AlreadyMember)
    .guarded(Write::AdjustCounters { practice_id: pid, delta: membership.access.joining() }, DomainError::NotFound);
    take_role(&mut tx, pid, &membership.access.role_id, unknown_role());
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden).push(primary_still_active(&membership.access, pid));
    // R44: the new member's onboarding series, with the join.
    onboarding::schedule(&mut tx, &membership);
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(pid),
        now,
        ctx.actor(),
        "member.created_with_temporary_password",
        target,
        json!(null),
        with_consent(to_value(&view), consent.as_ref()),
    )))
    .push(Write::Create(outbox_mail(now, mail)))
    .push(Write::Create(outbox_event(
        now,
        EventType::MemberCreated,
        json!({"practice_id": pid, "user_id": user.id, "kind": membership.access.kind}),
    )))
    .push(Write::Create(seat_added(now, pid, user.id, membership.access.kind, consent.as_ref())));
    module_events(&mut tx, now, pid, user.id, None, Some(&membership.access), consent.as_ref());
    Ok(Prepared { tx, invited: Invited::Member(Box::new(view)), email_norm })
}

async fn practice_invitation(app: &App, ctx: &MemberCtx, id: InvitationId) -> Result<Invitation, DomainError> {
    app.store.invitation(ctx.practice.id, id).await?.ok_or(DomainError::NotFound)
}

/// `POST /practices/{pid}/invitations/{iid}/resend` (R8): a new token, the
/// old link dead, seven days again, the mail again; three an hour at most.
pub async fn resend(app: &App, ctx: &MemberCtx, id: InvitationId) -> Result<InvitationView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    // R41: else anyone could sign up, make a practice and mail any address.
    ctx.caller.ensure_verified()?;
    let before = practice_invitation(app, ctx, id).await?;
    // One round trip for what the invitation names: its address's claim
    // (which mail) and bounce mark (the view), and its custom role (R36
    // below); the slot comes along unused, the port's price for one batch.
    let InviteBundle { claim, undeliverable: mark, role, .. } = app
        .store
        .invite_bundle(InviteKeys {
            practice: ctx.practice.id,
            email_norm: &before.email_norm,
            locations: &[],
            custom_role: stored_role_id(&before.access.role_id),
            settings: false,
        })
        .await?;
    // A resend issues the access anew, a fresh link and seven more days:
    // only who could have invited it may (R36).
    ctx.ensure_may_grant(None, None, &before.access, &ctx.practice.roles_in_force(role.into_iter().collect()))?;
    let now = app.now();
    if !matches!(before.status_at(now), InvitationStatus::Pending | InvitationStatus::Expired) {
        return Err(DomainError::InvitationNotPending);
    }
    let recent: Vec<Time> = before.resent_at.iter().copied().filter(|t| *t > now - Duration::hours(1)).collect();
    if recent.len() >= RESENDS_PER_HOUR {
        return Err(DomainError::RateLimited);
    }
    let account_exists = claim.is_some();
    let token = secrets::random_secret();
    let mut inv = before.clone();
    inv.status = InvitationStatus::Pending;
    inv.token_hash = secrets::sha256_hex(&token);
    inv.expires_at = now + Duration::days(VALID_DAYS);
    inv.resend_count += 1;
    inv.resent_at = recent;
    inv.resent_at.push(now);
    inv.version += 1;
    let view = InvitationView::new(&inv, now, mark.as_ref());
    let mail = invitation_mail(app, &inv, &token, &ctx.practice.name, account_exists)?;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Invitation(inv.clone()), expected_version: before.version },
        DomainError::InvitationNotPending,
    )
    // An expired invitation's slot may since have gone to another invitation.
    .guarded(
        Write::PutSlot { slot: EmailSlot::invitation(&inv), holder: Some(inv.id), now },
        DomainError::InvitationPending,
    )
    .push(Write::Delete(Key::InvitationToken(before.token_hash.clone())))
    .push(Write::Create(link_token(&inv)))
    .push(Write::Create(practice_audit(
        &inv,
        now,
        ctx.actor(),
        "invitation.resent",
        json!({"expires_at": before.expires_at, "status": before.status_at(now)}),
        json!({"expires_at": inv.expires_at, "status": inv.status}),
    )))
    .push(Write::Create(outbox_mail(now, mail)))
    .push(Write::Create(outbox_event(now, EventType::InvitationResent, event_detail(&inv))));
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    // The sweep released the role of an invitation it marked expired.
    if before.status == InvitationStatus::Expired {
        take_role(&mut tx, inv.practice_id, &inv.access.role_id, DomainError::RoleRequired);
    }
    commit(app, tx).await?;
    metrics::count(Count::InvitationsSent, 1);
    Ok(view)
}

/// `DELETE /practices/{pid}/invitations/{iid}` (R9): only a pending one; its
/// link answers 410 from now on.
pub async fn revoke(app: &App, ctx: &MemberCtx, id: InvitationId) -> Result<(), DomainError> {
    ctx.require(USERS_MANAGE)?;
    let before = practice_invitation(app, ctx, id).await?;
    let now = app.now();
    if before.status_at(now) != InvitationStatus::Pending {
        return Err(DomainError::InvitationNotPending);
    }
    let mut tx =
        close(&before, now, InvitationStatus::Revoked, ctx.actor(), "invitation.revoked", EventType::InvitationRevoked);
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    commit(app, tx).await
}

/// `GET /practices/{pid}/invitations?status=` (users.view). Status is the
/// status as of now (R7); expired ones are listed for 30 days (R35).
pub async fn list(
    app: &App,
    ctx: &MemberCtx,
    status: Option<&str>,
    q: Option<&str>,
    limit: usize,
    cursor: Option<String>,
) -> Result<ListView<InvitationView>, DomainError> {
    // R47: by part of a name or the email, as the members list searches.
    let contains = crate::validate::search_text(q)?;
    ctx.require(USERS_VIEW)?;
    let wanted = match status.unwrap_or("all") {
        "all" => None,
        s => Some(InvitationStatus::parse(s).ok_or_else(|| {
            DomainError::field("status", "must be one of pending, accepted, declined, revoked, expired, all")
        })?),
    };
    let now = app.now();
    let mut shown = Vec::new();
    let mut cursor = cursor;
    loop {
        let page =
            app.store.invitations(ctx.practice.id, contains.as_deref(), limit - shown.len(), cursor.as_deref()).await?;
        for inv in page.items {
            let st = inv.status_at(now);
            let listed =
                !(st == InvitationStatus::Expired && inv.expires_at + Duration::days(LISTED_AFTER_EXPIRY_DAYS) <= now);
            if listed && wanted.is_none_or(|w| w == st) {
                shown.push(inv);
            }
        }
        cursor = page.next;
        if shown.len() >= limit || cursor.is_none() {
            break;
        }
    }
    // Issue 14: only a pending invitation can show a bounce, so only their
    // addresses are looked up, in one batch.
    let pending: Vec<String> =
        shown.iter().filter(|i| i.status_at(now) == InvitationStatus::Pending).map(|i| i.email_norm.clone()).collect();
    let marks: HashMap<String, Undeliverable> = match pending.is_empty() {
        true => HashMap::new(),
        false => app.store.undeliverables(&pending).await?.into_iter().map(|m| (m.email_norm.clone(), m)).collect(),
    };
    let items = shown.iter().map(|i| InvitationView::new(i, now, marks.get(&i.email_norm))).collect();
    Ok(ListView { items, next_cursor: cursor })
}

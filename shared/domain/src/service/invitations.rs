//! Invitations end to end (R5..R13, R20, R32..R35): invite, resend, revoke,
//! list, preview, accept (by link or from one's own list), register, decline.

use super::roles::{release_role, take_role, unknown_role};
use super::views::{ListView, MemberView, SessionView, UserView};
use super::{audit_event, commit, outbox_event, outbox_mail, to_value, Caller, MemberCtx};
use crate::error::DomainError;
use crate::ids::{InvitationId, LocationId};
use crate::mail;
use crate::model::*;
use crate::permissions::{self, USERS_MANAGE, USERS_VIEW};
use crate::ports::{App, CounterDelta, Key, Record, Tx, Write};
use crate::secrets;
use crate::validate::{self, Errors};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// R7
pub const VALID_DAYS: i64 = 7;
/// R8
pub const RESENDS_PER_HOUR: usize = 3;
/// R35: expired invitations stay listable this long.
pub const LISTED_AFTER_EXPIRY_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub email: Option<String>,
    pub kind: Option<String>,
    pub role_id: Option<String>,
    pub primary_location_id: Option<String>,
    pub location_access: Option<LocationAccess>,
    pub access_billing: Option<bool>,
    pub show_on_calendar: Option<bool>,
    pub overrides: Option<Overrides>,
    pub mfa_required: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub practitioner: Option<PractitionerProfile>,
    pub temporary_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub password: Option<String>,
    pub accept_terms: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvitationView {
    pub id: InvitationId,
    pub practice_id: crate::ids::PracticeId,
    pub email: String,
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub kind: Kind,
    pub role_id: String,
    pub access_billing: bool,
    pub show_on_calendar: bool,
    pub primary_location_id: LocationId,
    pub location_access: LocationAccess,
    pub overrides: Overrides,
    pub mfa_required: bool,
    pub practitioner: Option<PractitionerProfile>,
    pub status: InvitationStatus,
    pub invited_by: InvitedBy,
    pub created_at: Time,
    pub expires_at: Time,
    pub resend_count: u32,
    pub accepted_at: Option<Time>,
    pub revoked_at: Option<Time>,
    pub declined_at: Option<Time>,
}

impl InvitationView {
    pub fn new(i: &Invitation, now: Time) -> Self {
        Self {
            id: i.id,
            practice_id: i.practice_id,
            email: i.email.clone(),
            title: i.title.clone(),
            first_name: i.first_name.clone(),
            last_name: i.last_name.clone(),
            kind: i.kind,
            role_id: i.role_id.clone(),
            access_billing: i.access_billing,
            show_on_calendar: i.show_on_calendar,
            primary_location_id: i.primary_location_id,
            location_access: i.location_access.clone(),
            overrides: i.overrides.clone(),
            mfa_required: i.mfa_required,
            practitioner: i.practitioner.clone(),
            status: i.status_at(now),
            invited_by: i.invited_by.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
            resend_count: i.resend_count,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
            declined_at: i.declined_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MyInvitationView {
    #[serde(flatten)]
    pub invitation: InvitationView,
    pub practice_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewView {
    pub practice_name: String,
    pub invited_by: InvitedBy,
    pub email: String,
    pub role_id: String,
    pub kind: Kind,
    pub expires_at: Time,
    pub account_exists: bool,
}

pub enum Invited {
    Invitation(Box<InvitationView>),
    /// R13: the temporary-password path created the user and membership.
    Member(Box<MemberView>),
}

pub struct Registered {
    pub user: UserView,
    pub member: MemberView,
    pub session: SessionView,
}

/// The access a membership (or an invitation) grants, checked against
/// R1, R16 and R17. Shared with access changes.
pub struct Access {
    pub kind: Kind,
    pub role_id: String,
    pub primary_location_id: LocationId,
    pub location_access: LocationAccess,
    pub access_billing: bool,
    pub show_on_calendar: bool,
    pub overrides: Overrides,
    pub practitioner: Option<PractitionerProfile>,
}

pub struct AccessInput<'a> {
    pub kind: Option<&'a str>,
    pub role_id: Option<&'a str>,
    pub primary_location_id: Option<&'a str>,
    pub location_access: Option<&'a LocationAccess>,
    pub access_billing: Option<bool>,
    pub show_on_calendar: Option<bool>,
    pub overrides: Option<&'a Overrides>,
    pub practitioner: Option<&'a PractitionerProfile>,
    /// A member's current primary location, accepted even if it has been
    /// deactivated since: only a new choice must be an active location.
    pub current_primary: Option<LocationId>,
}

fn sorted_unique(keys: &[String]) -> Vec<String> {
    let mut v: Vec<String> = keys.iter().map(|k| k.trim().to_string()).collect();
    v.sort();
    v.dedup();
    v
}

/// Check and complete an access description. `locations` are the practice's.
/// `roles` are the practice's custom roles.
pub fn check_access(e: &mut Errors, input: &AccessInput<'_>, locations: &[Location], roles: &[Role]) -> Option<Access> {
    let kind = match input.kind {
        Some("practitioner") => Some(Kind::Practitioner),
        Some("staff") => Some(Kind::Staff),
        Some(_) => {
            e.add("kind", "must be practitioner or staff");
            None
        }
        None => {
            e.add("kind", "is required");
            None
        }
    };
    let role_id = match input.role_id.map(str::trim) {
        None | Some("") => {
            e.add("role_id", "is required");
            None
        }
        Some(r) if super::role_permissions(r, roles).is_none() => {
            e.add("role_id", "is not a role of this practice");
            None
        }
        Some(r) => Some(r.to_string()),
    };
    let primary = match input.primary_location_id.map(str::parse::<LocationId>) {
        None => {
            e.add("primary_location_id", "is required");
            None
        }
        Some(Err(_)) => {
            e.add("primary_location_id", "is not a location of this practice");
            None
        }
        Some(Ok(id)) => match locations.iter().find(|l| l.id == id) {
            Some(l) if l.active || input.current_primary == Some(id) => Some(id),
            Some(_) => {
                e.add("primary_location_id", "is not an active location");
                None
            }
            None => {
                e.add("primary_location_id", "is not a location of this practice");
                None
            }
        },
    };
    // R17: only the practice's locations, always including the primary.
    let location_access = input.location_access.cloned().unwrap_or(LocationAccess::All);
    let location_access = match location_access {
        LocationAccess::All => LocationAccess::All,
        LocationAccess::Only(ids) => {
            let mut ids = ids;
            ids.sort();
            ids.dedup();
            if ids.iter().any(|id| !locations.iter().any(|l| l.id == *id)) {
                e.add("location_access", "lists a location that is not the practice's");
            }
            if let Some(p) = primary {
                if !ids.contains(&p) {
                    e.add("location_access", "must include the primary location");
                }
            }
            LocationAccess::Only(ids)
        }
    };
    let overrides = input.overrides.cloned().unwrap_or_default();
    let overrides = Overrides { grant: sorted_unique(&overrides.grant), revoke: sorted_unique(&overrides.revoke) };
    for (field, keys) in [("overrides.grant", &overrides.grant), ("overrides.revoke", &overrides.revoke)] {
        if let Some(bad) = keys.iter().find(|k| !permissions::is_known(k)) {
            e.add(field, &format!("{bad} is not a permission"));
        }
    }
    if role_id.as_deref() == Some(permissions::DIRECTOR)
        && (!overrides.grant.is_empty() || !overrides.revoke.is_empty())
    {
        e.add("overrides", "a director takes no overrides");
    }
    // R16: practitioner-only fields.
    let show_on_calendar = input.show_on_calendar.unwrap_or(kind == Some(Kind::Practitioner));
    if kind == Some(Kind::Staff) {
        if show_on_calendar {
            e.add("show_on_calendar", "applies to practitioners only");
        }
        if input.practitioner.is_some() {
            e.add("practitioner", "applies to practitioners only");
        }
    }
    if let Some(p) = input.practitioner {
        validate::practitioner_profile(e, "practitioner.", p);
    }
    Some(Access {
        kind: kind?,
        role_id: role_id?,
        primary_location_id: primary?,
        location_access,
        access_billing: input.access_billing.unwrap_or(true),
        show_on_calendar,
        overrides,
        practitioner: input.practitioner.cloned(),
    })
}

impl Access {
    /// The active membership of `user` this access describes.
    pub fn membership(
        &self,
        practice_id: crate::ids::PracticeId,
        user: &User,
        mfa_required: bool,
        now: Time,
    ) -> Membership {
        Membership {
            overrides: self.overrides.clone(),
            access_billing: self.access_billing,
            show_on_calendar: self.show_on_calendar,
            location_access: self.location_access.clone(),
            mfa_required,
            practitioner: self.practitioner.clone(),
            ..Membership::new(practice_id, user, self.kind, &self.role_id, self.primary_location_id, now)
        }
    }
}

/// The counter change of one member joining (`n = 1`) or leaving (`-1`):
/// their seat (R20) and, for a director, the director count (R15).
pub fn joining(kind: Kind, role_id: &str, n: i64) -> CounterDelta {
    let mut d = match kind {
        Kind::Practitioner => CounterDelta { practitioner_seats: n, ..Default::default() },
        Kind::Staff => CounterDelta { staff_seats: n, ..Default::default() },
    };
    if role_id == permissions::DIRECTOR {
        d.directors = n;
    }
    d
}

fn inviter_name(u: &User) -> String {
    let n = u.display_name();
    if n.is_empty() {
        u.email.clone()
    } else {
        n
    }
}

fn link(app: &App, token: &str) -> String {
    format!("{}/invite/{}", app.config.app_base_url, token)
}

fn invitation_mail(
    app: &App,
    inv: &Invitation,
    token: &str,
    practice_name: &str,
    account_exists: bool,
) -> Result<Mail, DomainError> {
    let template = if account_exists { "invitation_existing_user" } else { "invitation_new_user" };
    mail::render(
        template,
        &inv.email,
        json!({
            "first_name": inv.first_name,
            "inviter": inv.invited_by.name,
            "practice_name": practice_name,
            "link": link(app, token),
            "expires_at": inv.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    )
}

fn practice_audit(
    inv: &Invitation,
    now: Time,
    actor: Actor,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Record {
    audit_event(
        AuditScope::Practice(inv.practice_id),
        now,
        actor,
        action,
        Target::new("invitation", inv.id),
        before,
        after,
    )
}

fn event_detail(inv: &Invitation) -> serde_json::Value {
    json!({"practice_id": inv.practice_id, "invitation_id": inv.id, "email": inv.email, "kind": inv.kind, "role_id": inv.role_id})
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

/// `POST /practices/{pid}/invitations` (users.manage, R5, R6, R13, R16, R17).
pub async fn invite(app: &App, ctx: &MemberCtx, input: InviteInput) -> Result<Invited, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let pid = ctx.practice.id;
    let mut e = Errors::new();
    let (email, email_norm) = e.email("email", input.email.as_deref());
    let first_name = e.optional_text("first_name", input.first_name.as_deref(), 100);
    let last_name = e.optional_text("last_name", input.last_name.as_deref(), 100);
    let title = e.optional_text("title", input.title.as_deref(), 50);
    let (locations, roles, slot, claim) = futures::try_join!(
        async { app.store.locations(pid).await.map_err(DomainError::from) },
        async { app.store.roles(pid).await.map_err(DomainError::from) },
        async { app.store.slot(pid, &email_norm).await.map_err(DomainError::from) },
        async { app.store.email_claim(&email_norm).await.map_err(DomainError::from) },
    )?;
    let access = check_access(
        &mut e,
        &AccessInput {
            kind: input.kind.as_deref(),
            role_id: input.role_id.as_deref(),
            primary_location_id: input.primary_location_id.as_deref(),
            location_access: input.location_access.as_ref(),
            access_billing: input.access_billing,
            show_on_calendar: input.show_on_calendar,
            overrides: input.overrides.as_ref(),
            practitioner: input.practitioner.as_ref(),
            current_primary: None,
        },
        &locations,
        &roles,
    );
    let temporary = match &input.temporary_password {
        Some(_) if claim.is_some() => {
            e.add("temporary_password", "must be absent: an account exists for this email");
            None
        }
        // Whoever set it would hold a support agent's account (R31).
        Some(_) if super::support::is_agent_address(app, &email_norm) => return Err(DomainError::Forbidden),
        Some(p) => {
            let pw = e.password("temporary_password", Some(p));
            if first_name.is_none() {
                e.add("first_name", "is required with a temporary password");
            }
            if last_name.is_none() {
                e.add("last_name", "is required with a temporary password");
            }
            Some(pw)
        }
        None => None,
    };
    e.finish()?;
    let Some(access) = access else { return Err(DomainError::field("kind", "is required")) };
    let granted = super::permissions_of(&access.membership(pid, &ctx.caller.user, false, app.now()), &roles);
    ctx.ensure_may_grant(&access.role_id, &[], &granted)?;
    let now = app.now();
    if let Some(conflict) = slot_conflict(app, ctx, slot.as_ref(), now).await? {
        return Err(conflict);
    }
    let invited_by = InvitedBy { user_id: ctx.caller.user.id, name: inviter_name(&ctx.caller.user) };
    match temporary {
        Some(password) => {
            let mfa_required = input.mfa_required.unwrap_or(false);
            create_with_temporary_password(
                app,
                ctx,
                access,
                &roles,
                mfa_required,
                email,
                email_norm,
                title,
                first_name,
                last_name,
                password,
                invited_by,
                now,
            )
            .await
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
                kind: access.kind,
                role_id: access.role_id,
                access_billing: access.access_billing,
                show_on_calendar: access.show_on_calendar,
                primary_location_id: access.primary_location_id,
                location_access: access.location_access,
                overrides: access.overrides,
                mfa_required: input.mfa_required.unwrap_or(false),
                practitioner: access.practitioner,
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
                version: 1,
            };
            let view = InvitationView::new(&inv, now);
            let mail = invitation_mail(app, &inv, &token, &ctx.practice.name, claim.is_some())?;
            let mut tx = Tx::new();
            tx.guarded(
                Write::PutSlot { slot: EmailSlot::invitation(&inv), holder: None, now },
                DomainError::InvitationPending,
            )
            .push(Write::Create(Record::InvitationToken(InvitationToken {
                token_hash: inv.token_hash.clone(),
                practice_id: pid,
                invitation_id: inv.id,
                keep_until: inv.expires_at + Duration::days(LISTED_AFTER_EXPIRY_DAYS),
            })))
            .push(Write::Create(practice_audit(
                &inv,
                now,
                ctx.actor(),
                "invitation.created",
                json!(null),
                to_value(&view),
            )))
            .push(Write::Create(outbox_mail(now, mail)))
            .push(Write::Create(outbox_event(now, "InvitationCreated", event_detail(&inv))))
            .guarded(ctx.still_authorized()?, DomainError::Forbidden);
            take_role(&mut tx, pid, &inv.role_id, unknown_role());
            tx.push(Write::Create(Record::Invitation(inv)));
            commit(app, tx).await?;
            Ok(Invited::Invitation(Box::new(view)))
        }
    }
}

/// R13: no account exists for the email, so the user and an active
/// membership are created at once; the user must change the password first.
#[allow(clippy::too_many_arguments)]
async fn create_with_temporary_password(
    app: &App,
    ctx: &MemberCtx,
    access: Access,
    roles: &[Role],
    mfa_required: bool,
    email: String,
    email_norm: String,
    title: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    password: String,
    invited_by: InvitedBy,
    now: Time,
) -> Result<Invited, DomainError> {
    let pid = ctx.practice.id;
    let user = User {
        title,
        must_change_password: true,
        ..User::new(
            email,
            email_norm.clone(),
            first_name.unwrap_or_default(),
            last_name.unwrap_or_default(),
            secrets::hash_password(&password)?,
            now,
        )
    };
    let membership = access.membership(pid, &user, mfa_required, now);
    let view = MemberView::new(&membership, &user, roles);
    let mail = mail::render(
        "welcome_temporary_password",
        &user.email,
        json!({"first_name": user.first_name, "inviter": invited_by.name, "practice_name": ctx.practice.name,
            "link": format!("{}/login", app.config.app_base_url)}),
    )?;
    let target = Target::new("user", user.id);
    let mut tx = Tx::new();
    tx.guarded(
        Write::Create(Record::EmailClaim(EmailClaim { email_norm: email_norm.clone(), user_id: user.id })),
        DomainError::EmailTaken,
    )
    .guarded(Write::Create(Record::User(user.clone())), DomainError::EmailTaken)
    .guarded(
        Write::PutSlot { slot: EmailSlot::member(pid, &email_norm, user.id), holder: None, now },
        DomainError::InvitationPending,
    )
    .guarded(Write::Create(Record::Membership(membership.clone())), DomainError::AlreadyMember)
    .guarded(
        Write::AdjustCounters { practice_id: pid, delta: joining(membership.kind, &membership.role_id, 1) },
        DomainError::NotFound,
    );
    take_role(&mut tx, pid, &membership.role_id, unknown_role());
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(pid),
        now,
        ctx.actor(),
        "member.created_with_temporary_password",
        target,
        json!(null),
        to_value(&view),
    )))
    .push(Write::Create(outbox_mail(now, mail)))
    .push(Write::Create(outbox_event(
        now,
        "MemberCreated",
        json!({"practice_id": pid, "user_id": user.id, "kind": membership.kind}),
    )))
    .push(Write::Create(outbox_event(
        now,
        "SeatAdded",
        json!({"practice_id": pid, "user_id": user.id, "kind": membership.kind}),
    )));
    commit(app, tx).await?;
    Ok(Invited::Member(Box::new(view)))
}

async fn practice_invitation(app: &App, ctx: &MemberCtx, id: InvitationId) -> Result<Invitation, DomainError> {
    app.store.invitation(ctx.practice.id, id).await?.ok_or(DomainError::NotFound)
}

/// `POST /practices/{pid}/invitations/{iid}/resend` (R8): a new token, the
/// old link dead, seven days again, the mail again; three an hour at most.
pub async fn resend(app: &App, ctx: &MemberCtx, id: InvitationId) -> Result<InvitationView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let before = practice_invitation(app, ctx, id).await?;
    let now = app.now();
    if !matches!(before.status_at(now), InvitationStatus::Pending | InvitationStatus::Expired) {
        return Err(DomainError::InvitationNotPending);
    }
    let recent: Vec<Time> = before.resent_at.iter().copied().filter(|t| *t > now - Duration::hours(1)).collect();
    if recent.len() >= RESENDS_PER_HOUR {
        return Err(DomainError::RateLimited);
    }
    let account_exists = app.store.email_claim(&before.email_norm).await?.is_some();
    let token = secrets::random_secret();
    let mut inv = before.clone();
    inv.status = InvitationStatus::Pending;
    inv.token_hash = secrets::sha256_hex(&token);
    inv.expires_at = now + Duration::days(VALID_DAYS);
    inv.resend_count += 1;
    inv.resent_at = recent;
    inv.resent_at.push(now);
    inv.version += 1;
    let view = InvitationView::new(&inv, now);
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
    .push(Write::Create(Record::InvitationToken(InvitationToken {
        token_hash: inv.token_hash.clone(),
        practice_id: inv.practice_id,
        invitation_id: inv.id,
        keep_until: inv.expires_at + Duration::days(LISTED_AFTER_EXPIRY_DAYS),
    })))
    .push(Write::Create(practice_audit(
        &inv,
        now,
        ctx.actor(),
        "invitation.resent",
        json!({"expires_at": before.expires_at, "status": before.status_at(now)}),
        json!({"expires_at": inv.expires_at, "status": inv.status}),
    )))
    .push(Write::Create(outbox_mail(now, mail)))
    .push(Write::Create(outbox_event(now, "InvitationResent", event_detail(&inv))));
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    // The sweep released the role of an invitation it marked expired.
    if before.status == InvitationStatus::Expired {
        take_role(&mut tx, inv.practice_id, &inv.role_id, DomainError::RoleRequired);
    }
    commit(app, tx).await?;
    Ok(view)
}

/// Close a pending invitation (revoked or declined): its version guards the
/// change and its slot is freed for a new invitation (R6, R9, R11).
fn close(before: &Invitation, now: Time, status: InvitationStatus, actor: Actor, action: &str, event: &str) -> Tx {
    let mut inv = before.clone();
    inv.status = status;
    match status {
        InvitationStatus::Revoked => inv.revoked_at = Some(now),
        InvitationStatus::Declined => inv.declined_at = Some(now),
        _ => {}
    }
    inv.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Invitation(inv.clone()), expected_version: before.version },
        DomainError::InvitationNotPending,
    )
    .guarded(
        Write::ReleaseSlot { practice_id: inv.practice_id, email_norm: inv.email_norm.clone(), invitation: inv.id },
        DomainError::InvitationNotPending,
    )
    .push(Write::Create(practice_audit(
        &inv,
        now,
        actor,
        action,
        json!({"status": "pending"}),
        json!({"status": inv.status}),
    )))
    .push(Write::Create(outbox_event(now, event, event_detail(&inv))));
    // A closed invitation no longer holds its role (R23).
    release_role(&mut tx, inv.practice_id, &inv.role_id);
    tx
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
    let mut tx = close(&before, now, InvitationStatus::Revoked, ctx.actor(), "invitation.revoked", "InvitationRevoked");
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    commit(app, tx).await
}

/// `GET /practices/{pid}/invitations?status=` (users.view). Status is the
/// status as of now (R7); expired ones are listed for 30 days (R35).
pub async fn list(
    app: &App,
    ctx: &MemberCtx,
    status: Option<&str>,
    limit: usize,
    cursor: Option<String>,
) -> Result<ListView<InvitationView>, DomainError> {
    ctx.require(USERS_VIEW)?;
    let wanted = match status.unwrap_or("all") {
        "all" => None,
        s => Some(InvitationStatus::parse(s).ok_or_else(|| {
            DomainError::field("status", "must be one of pending, accepted, declined, revoked, expired, all")
        })?),
    };
    let now = app.now();
    let mut items = Vec::new();
    let mut cursor = cursor;
    loop {
        let page = app.store.invitations(ctx.practice.id, limit - items.len(), cursor.as_deref()).await?;
        for inv in &page.items {
            let st = inv.status_at(now);
            let shown =
                !(st == InvitationStatus::Expired && inv.expires_at + Duration::days(LISTED_AFTER_EXPIRY_DAYS) <= now);
            if shown && wanted.is_none_or(|w| w == st) {
                items.push(InvitationView::new(inv, now));
            }
        }
        cursor = page.next;
        if items.len() >= limit || cursor.is_none() {
            break;
        }
    }
    Ok(ListView { items, next_cursor: cursor })
}

/// What a link may still do: pending and unexpired (R7, R9).
fn ensure_open(inv: &Invitation, now: Time) -> Result<(), DomainError> {
    match inv.status_at(now) {
        InvitationStatus::Pending => Ok(()),
        InvitationStatus::Expired => Err(DomainError::InvitationExpired),
        InvitationStatus::Revoked => Err(DomainError::InvitationRevoked),
        InvitationStatus::Accepted | InvitationStatus::Declined => Err(DomainError::InvitationNotPending),
    }
}

async fn by_token(app: &App, token: &str) -> Result<Invitation, DomainError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(DomainError::NotFound);
    }
    app.store.invitation_by_token(&secrets::sha256_hex(token)).await?.ok_or(DomainError::NotFound)
}

/// `GET /invitations/{token}`: what the invitee sees before deciding.
pub async fn preview(app: &App, token: &str) -> Result<PreviewView, DomainError> {
    let inv = by_token(app, token).await?;
    ensure_open(&inv, app.now())?;
    let practice = app.store.practice(inv.practice_id).await?.ok_or(DomainError::NotFound)?;
    let account_exists = app.store.email_claim(&inv.email_norm).await?.is_some();
    Ok(PreviewView {
        practice_name: practice.name,
        invited_by: inv.invited_by,
        email: inv.email,
        role_id: inv.role_id,
        kind: inv.kind,
        expires_at: inv.expires_at,
        account_exists,
    })
}

/// The writes that turn a pending invitation into an active membership,
/// exactly once (R12): the invitation's version and the slot's holder are
/// conditions, so of two racing accepts (or an accept and a revoke) one wins.
fn accept_writes(tx: &mut Tx, inv: &Invitation, user: &User, now: Time) -> Membership {
    let membership = Membership {
        overrides: inv.overrides.clone(),
        access_billing: inv.access_billing,
        show_on_calendar: inv.show_on_calendar,
        location_access: inv.location_access.clone(),
        mfa_required: inv.mfa_required,
        practitioner: inv.practitioner.clone(),
        ..Membership::new(inv.practice_id, user, inv.kind, &inv.role_id, inv.primary_location_id, now)
    };
    let mut accepted = inv.clone();
    accepted.status = InvitationStatus::Accepted;
    accepted.accepted_at = Some(now);
    accepted.version += 1;
    let actor = Actor::user(user);
    tx.guarded(
        Write::Replace { record: Record::Invitation(accepted.clone()), expected_version: inv.version },
        DomainError::InvitationNotPending,
    )
    .guarded(
        Write::PutSlot {
            slot: EmailSlot::member(inv.practice_id, &inv.email_norm, user.id),
            holder: Some(inv.id),
            now,
        },
        DomainError::InvitationNotPending,
    )
    .guarded(Write::Create(Record::Membership(membership.clone())), DomainError::AlreadyMember)
    .guarded(
        Write::AdjustCounters { practice_id: inv.practice_id, delta: joining(inv.kind, &inv.role_id, 1) },
        DomainError::NotFound,
    )
    .push(Write::Create(practice_audit(
        &accepted,
        now,
        actor.clone(),
        "invitation.accepted",
        json!({"status": "pending"}),
        json!({"status": "accepted"}),
    )))
    .push(Write::Create(audit_event(
        AuditScope::Practice(inv.practice_id),
        now,
        actor,
        "member.joined",
        Target::new("user", user.id),
        json!(null),
        json!({"role_id": membership.role_id, "kind": membership.kind, "invitation_id": inv.id}),
    )))
    .push(Write::Create(outbox_event(
        now,
        "InvitationAccepted",
        json!({"practice_id": inv.practice_id, "invitation_id": inv.id, "user_id": user.id}),
    )))
    .push(Write::Create(outbox_event(
        now,
        "SeatAdded",
        json!({"practice_id": inv.practice_id, "user_id": user.id, "kind": inv.kind}),
    )));
    membership
}

/// How the invitee proved they own the invited address.
enum Proof {
    /// They followed the mailed link: that proves the mailbox, so an
    /// unverified address becomes verified in the same transaction.
    Link,
    /// From their own list: only a verified address may act (see `verified`).
    VerifiedAccount,
}

async fn accept(app: &App, caller: &Caller, inv: Invitation, proof: Proof) -> Result<MemberView, DomainError> {
    let now = app.now();
    ensure_open(&inv, now)?;
    // R10: bound to the invited email; a mismatch leaves it pending.
    if caller.user.email_norm != inv.email_norm {
        return Err(DomainError::InvitationEmailMismatch);
    }
    let mut tx = Tx::new();
    let mut user = caller.user.clone();
    if matches!(proof, Proof::Link) && !user.email_verified {
        user.email_verified = true;
        user.updated_at = now;
        user.version += 1;
        // Concurrent accepts of the same link race here too; the losers lost
        // the invitation, which is what they are told.
        tx.guarded(
            Write::Replace { record: Record::User(user.clone()), expected_version: caller.user.version },
            DomainError::InvitationNotPending,
        );
    }
    let membership = accept_writes(&mut tx, &inv, &user, now);
    let custom = super::custom_role_of(app, inv.practice_id, &inv.role_id).await?;
    commit(app, tx).await?;
    Ok(MemberView::new(&membership, &user, &custom))
}

/// The invitations open to the caller from their own list (R11): pending
/// and unexpired, to their address. Anyone can sign up with any address, so
/// the list is empty until the address is verified: otherwise signing up as
/// a new hire's email would be enough to join their practice. `/me`'s count,
/// the list, and accept/decline by id all go through here.
pub async fn open_to(app: &App, caller: &Caller) -> Result<Vec<Invitation>, DomainError> {
    if !caller.user.email_verified {
        return Ok(Vec::new());
    }
    let now = app.now();
    Ok(app
        .store
        .pending_invitations_for(&caller.user.email_norm)
        .await?
        .into_iter()
        .filter(|i| i.status_at(now) == InvitationStatus::Pending)
        .collect())
}

/// `POST /invitations/{token}/accept`
pub async fn accept_by_token(app: &App, caller: &Caller, token: &str) -> Result<MemberView, DomainError> {
    let inv = by_token(app, token).await?;
    accept(app, caller, inv, Proof::Link).await
}

/// One of the caller's own invitations. The index (eventually consistent)
/// says which practice it is in; the decision is made on a consistent read.
async fn mine(app: &App, caller: &Caller, id: InvitationId) -> Result<Invitation, DomainError> {
    let listed = open_to(app, caller).await?.into_iter().find(|i| i.id == id).ok_or(DomainError::NotFound)?;
    app.store
        .invitation(listed.practice_id, id)
        .await?
        .filter(|i| i.email_norm == caller.user.email_norm)
        .ok_or(DomainError::NotFound)
}

/// `POST /me/invitations/{id}/accept` (R11)
pub async fn accept_mine(app: &App, caller: &Caller, id: InvitationId) -> Result<MemberView, DomainError> {
    let inv = mine(app, caller, id).await?;
    accept(app, caller, inv, Proof::VerifiedAccount).await
}

/// `POST /me/invitations/{id}/decline` (R11): stays visible to the practice
/// as declined.
pub async fn decline_mine(app: &App, caller: &Caller, id: InvitationId) -> Result<(), DomainError> {
    let before = mine(app, caller, id).await?;
    let now = app.now();
    ensure_open(&before, now)?;
    let tx = close(
        &before,
        now,
        InvitationStatus::Declined,
        Actor::user(&caller.user),
        "invitation.declined",
        "InvitationDeclined",
    );
    commit(app, tx).await
}

/// `GET /me/invitations`: pending and unexpired, with the practice's name.
pub async fn my_invitations(app: &App, caller: &Caller) -> Result<ListView<MyInvitationView>, DomainError> {
    let now = app.now();
    let open = open_to(app, caller).await?;
    let ids: Vec<_> = open.iter().map(|i| i.practice_id).collect();
    let names: HashMap<_, _> = app.store.practices(&ids).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let items = open
        .iter()
        .filter_map(|i| {
            names
                .get(&i.practice_id)
                .map(|n| MyInvitationView { invitation: InvitationView::new(i, now), practice_name: n.clone() })
        })
        .collect();
    Ok(ListView { items, next_cursor: None })
}

/// `POST /invitations/{token}/register` (R10): a new person creates their
/// account (email verified by the link), joins, and is signed in, in one
/// transaction.
pub async fn register(app: &App, token: &str, input: RegisterInput) -> Result<Registered, DomainError> {
    let mut e = Errors::new();
    let first_name = e.required_text("first_name", input.first_name.as_deref(), 100);
    let last_name = e.required_text("last_name", input.last_name.as_deref(), 100);
    let title = e.optional_text("title", input.title.as_deref(), 50);
    let password = e.password("password", input.password.as_deref());
    if input.accept_terms != Some(true) {
        e.add("accept_terms", "must be true");
    }
    let inv = by_token(app, token).await?;
    let now = app.now();
    ensure_open(&inv, now)?;
    e.finish()?;
    // The link proved the mailbox (R10).
    let user = User {
        title,
        email_verified: true,
        ..User::new(
            inv.email.clone(),
            inv.email_norm.clone(),
            first_name,
            last_name,
            secrets::hash_password(&password)?,
            now,
        )
    };
    let (mut session, session_view) = super::auth::new_session(&user, now);
    // R28: joining a practice that requires a second factor, the new
    // account may do nothing but enroll one first.
    session.enroll_only = inv.mfa_required;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Create(Record::EmailClaim(EmailClaim { email_norm: user.email_norm.clone(), user_id: user.id })),
        DomainError::EmailTaken,
    )
    .guarded(Write::Create(Record::User(user.clone())), DomainError::EmailTaken)
    .push(Write::Put(Record::Session(session)))
    .push(Write::Create(audit_event(
        AuditScope::User(user.id),
        now,
        Actor::user(&user),
        "user.registered_from_invitation",
        Target::new("user", user.id),
        json!(null),
        json!({"email": user.email, "invitation_id": inv.id, "practice_id": inv.practice_id}),
    )));
    let membership = accept_writes(&mut tx, &inv, &user, now);
    commit(app, tx).await?;
    let custom = super::custom_role_of(app, inv.practice_id, &inv.role_id).await?;
    Ok(Registered {
        user: UserView::from(&user),
        member: MemberView::new(&membership, &user, &custom),
        session: session_view,
    })
}

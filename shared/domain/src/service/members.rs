//! Changing a member: access (R14..R18), details, deactivation and
//! reactivation (R19..R21), leaving (R15). Each change is one transaction
//! whose conditions hold the version (R18), the director floor (R15), the
//! seat counts (R20) and the role holder counts (R23).

use super::invitations::{check_access, joining, AccessInput};
use super::roles::{release_role, take_role, unknown_role};
use super::views::MemberView;
use super::{audit_event, commit, outbox_event, permissions_of, MemberCtx};
use crate::error::DomainError;
use crate::ids::{PracticeId, UserId};
use crate::model::*;
use crate::permissions::{DIRECTOR, USERS_MANAGE};
use crate::ports::{App, CounterDelta, Record, Tx, Write};
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::{json, Value};

/// R21
pub const BULK_MAX: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccessInput {
    pub kind: Option<String>,
    pub role_id: Option<String>,
    pub access_billing: Option<bool>,
    pub show_on_calendar: Option<bool>,
    pub primary_location_id: Option<String>,
    pub location_access: Option<LocationAccess>,
    pub overrides: Option<Overrides>,
    pub mfa_required: Option<bool>,
    #[serde(default, deserialize_with = "super::auth::double_option")]
    pub practitioner: Option<Option<PractitionerProfile>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailsInput {
    #[serde(default, deserialize_with = "super::auth::double_option")]
    pub title: Option<Option<String>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactivateInput {
    pub role_id: Option<String>,
    pub accept_license_terms: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkReactivateInput {
    pub user_ids: Option<Vec<String>>,
    pub accept_license_terms: Option<bool>,
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Practitioner => "practitioner",
        Kind::Staff => "staff",
    }
}

fn plus(a: CounterDelta, b: CounterDelta) -> CounterDelta {
    CounterDelta {
        practitioner_seats: a.practitioner_seats + b.practitioner_seats,
        staff_seats: a.staff_seats + b.staff_seats,
        directors: a.directors + b.directors,
        active_locations: a.active_locations + b.active_locations,
    }
}

/// What a membership grants, as audited and published (before and after).
fn access_of(m: &Membership, custom: &[Role]) -> Value {
    json!({
        "kind": m.kind,
        "role_id": m.role_id,
        "permissions": permissions_of(m, custom),
        "overrides": m.overrides,
        "access_billing": m.access_billing,
        "show_on_calendar": m.show_on_calendar,
        "primary_location_id": m.primary_location_id,
        "location_access": m.location_access,
        "mfa_required": m.mfa_required,
        "practitioner": m.practitioner,
        "status": m.status,
    })
}

fn member_audit(ctx: &MemberCtx, now: Time, action: &str, uid: UserId, before: Value, after: Value) -> Record {
    audit_event(
        AuditScope::Practice(ctx.practice.id),
        now,
        ctx.actor(),
        action,
        Target::new("user", uid),
        before,
        after,
    )
}

fn seat_event(now: Time, name: &str, pid: PracticeId, uid: UserId, kind: Kind) -> Record {
    outbox_event(now, name, json!({"practice_id": pid, "user_id": uid, "kind": kind}))
}

/// The member being acted on, with their user. A member of no practice of
/// the caller's is simply not found (R2).
async fn target(app: &App, ctx: &MemberCtx, uid: UserId) -> Result<(Membership, User), DomainError> {
    let (m, u) = futures::try_join!(
        async { app.store.membership(ctx.practice.id, uid).await.map_err(DomainError::from) },
        async { app.store.user(uid).await.map_err(DomainError::from) },
    )?;
    match (m, u) {
        (Some(m), Some(u)) => Ok((m, u)),
        _ => Err(DomainError::NotFound),
    }
}

/// Only a director changes, deactivates or reactivates a director.
fn ensure_may_touch(ctx: &MemberCtx, m: &Membership) -> Result<(), DomainError> {
    if m.role_id == DIRECTOR && !ctx.is_director() {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

/// The acting member must still hold their access when the change commits;
/// acting on oneself is already conditioned on that same item's version.
fn authorized(tx: &mut Tx, ctx: &MemberCtx, uid: UserId) -> Result<(), DomainError> {
    if uid != ctx.caller.user.id {
        tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    }
    Ok(())
}

/// Run `op` again on a fresh read when a concurrent change made its read
/// stale, if the caller did not pin a version: without `If-Match` they asked
/// for the change on whatever is current, and a 412 would tell them nothing.
async fn on_fresh_reads<T, F, Fut>(retry: bool, mut op: F) -> Result<T, DomainError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, DomainError>>,
{
    let mut attempts = 0;
    loop {
        match op().await {
            Err(DomainError::PreconditionFailed) if retry && attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

/// `PATCH /practices/{pid}/members/{uid}` (users.manage, R14..R18). Fields
/// left out keep their value; turning a practitioner into staff drops the
/// practitioner-only fields unless the request sets them (then R16 applies).
pub async fn update_access(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: UpdateAccessInput,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    on_fresh_reads(if_match.is_none(), || update_access_once(app, ctx, uid, &input, if_match)).await
}

async fn update_access_once(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: &UpdateAccessInput,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let pid = ctx.practice.id;
    let ((before, user), locations, roles) = futures::try_join!(
        target(app, ctx, uid),
        async { app.store.locations(pid).await.map_err(DomainError::from) },
        async { app.store.roles(pid).await.map_err(DomainError::from) },
    )?;
    if before.status == MemberStatus::Deactivated {
        return Err(DomainError::MemberDeactivated);
    }
    ensure_may_touch(ctx, &before)?;
    let kind = input.kind.clone().unwrap_or_else(|| kind_word(before.kind).to_string());
    let to_staff = kind == "staff";
    let role_id = input.role_id.clone().unwrap_or_else(|| before.role_id.clone());
    let show_on_calendar = match input.show_on_calendar {
        Some(v) => v,
        None if to_staff => false,
        None if before.kind == Kind::Staff => true,
        None => before.show_on_calendar,
    };
    let practitioner = match &input.practitioner {
        Some(p) => p.clone(),
        None if to_staff => None,
        None => before.practitioner.clone(),
    };
    // A director takes no overrides: becoming one clears them unless the
    // request insists on some (then 422).
    let overrides = match &input.overrides {
        Some(o) => o.clone(),
        None if role_id == DIRECTOR => Overrides::default(),
        None => before.overrides.clone(),
    };
    let primary = input.primary_location_id.clone().unwrap_or_else(|| before.primary_location_id.to_string());
    let location_access = input.location_access.clone().unwrap_or_else(|| before.location_access.clone());
    let mut e = Errors::new();
    let access = check_access(
        &mut e,
        &AccessInput {
            kind: Some(&kind),
            role_id: Some(&role_id),
            primary_location_id: Some(&primary),
            location_access: Some(&location_access),
            access_billing: Some(input.access_billing.unwrap_or(before.access_billing)),
            show_on_calendar: Some(show_on_calendar),
            overrides: Some(&overrides),
            practitioner: practitioner.as_ref(),
            current_primary: Some(before.primary_location_id),
        },
        &locations,
        &roles,
    );
    e.finish()?;
    let Some(access) = access else { return Err(DomainError::field("kind", "is required")) };
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    let mut after = before.clone();
    after.kind = access.kind;
    after.role_id = access.role_id;
    after.overrides = access.overrides;
    after.access_billing = access.access_billing;
    after.show_on_calendar = access.show_on_calendar;
    after.primary_location_id = access.primary_location_id;
    after.location_access = access.location_access;
    after.practitioner = access.practitioner;
    after.mfa_required = input.mfa_required.unwrap_or(before.mfa_required);
    let (b, a) = (access_of(&before, &roles), access_of(&after, &roles));
    let perms_before = permissions_of(&before, &roles);
    let perms_after = permissions_of(&after, &roles);
    ctx.ensure_may_grant(&after.role_id, &perms_before, &perms_after)?;
    if b == a {
        return Ok(MemberView::new(&before, &user, &roles));
    }
    let now = app.now();
    after.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Membership(after.clone()), expected_version: expected },
        DomainError::PreconditionFailed,
    );
    let delta = plus(joining(before.kind, &before.role_id, -1), joining(after.kind, &after.role_id, 1));
    if delta != CounterDelta::default() {
        // A demotion lowers the director count; its floor is R15.
        tx.guarded(Write::AdjustCounters { practice_id: pid, delta }, DomainError::LastDirector);
    }
    if before.role_id != after.role_id {
        release_role(&mut tx, pid, &before.role_id);
        take_role(&mut tx, pid, &after.role_id, unknown_role());
    }
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(ctx, now, "member.access_changed", uid, b.clone(), a.clone()))).push(
        Write::Create(outbox_event(
            now,
            "MemberAccessChanged",
            json!({"practice_id": pid, "user_id": uid, "before": b, "after": a}),
        )),
    );
    if before.kind != after.kind {
        tx.push(Write::Create(seat_event(now, "SeatRemoved", pid, uid, before.kind))).push(Write::Create(seat_event(
            now,
            "SeatAdded",
            pid,
            uid,
            after.kind,
        )));
    }
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user, &roles))
}

/// The writes that keep every membership's copy of the user (names for the
/// search, the lock) in step with it (R22, R25), in the transaction that
/// changes the user.
pub fn mirror_writes(tx: &mut Tx, memberships: &[Membership], user: &User) {
    let search = Membership::search_text(user);
    for m in memberships {
        tx.push(Write::MirrorUser {
            practice_id: m.practice_id,
            user_id: m.user_id,
            search: search.clone(),
            locked: user.locked,
        });
    }
}

/// `PATCH /practices/{pid}/members/{uid}/details` (users.manage, R14): the
/// user's title and names, for a user who belongs to this practice only. A
/// user is one identity (R3); the user's version guards the write.
pub async fn update_details(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: DetailsInput,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let ((m, user), memberships) = futures::try_join!(target(app, ctx, uid), async {
        app.store.memberships_of_user(uid).await.map_err(DomainError::from)
    })?;
    if m.status == MemberStatus::Deactivated {
        return Err(DomainError::MemberDeactivated);
    }
    ensure_may_touch(ctx, &m)?;
    // One practice's administrators do not rename a person other practices
    // know too (R2); that person changes their own name through PATCH /me.
    if memberships.iter().any(|o| o.practice_id != ctx.practice.id) {
        return Err(DomainError::Forbidden);
    }
    let mut e = Errors::new();
    let mut updated = user.clone();
    if let Some(title) = &input.title {
        updated.title = e.optional_text("title", title.as_deref(), super::auth::TITLE_MAX);
    }
    if input.first_name.is_some() {
        updated.first_name = e.required_text("first_name", input.first_name.as_deref(), super::auth::NAME_MAX);
    }
    if input.last_name.is_some() {
        updated.last_name = e.required_text("last_name", input.last_name.as_deref(), super::auth::NAME_MAX);
    }
    e.finish()?;
    let custom = super::custom_role_of(app, ctx.practice.id, &m.role_id).await?;
    let names = |u: &User| json!({"title": u.title, "first_name": u.first_name, "last_name": u.last_name});
    if names(&updated) == names(&user) {
        return Ok(MemberView::new(&m, &user, &custom));
    }
    let now = app.now();
    updated.updated_at = now;
    updated.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::User(updated.clone()), expected_version: user.version },
        DomainError::PreconditionFailed,
    );
    mirror_writes(&mut tx, &memberships, &updated);
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(ctx, now, "member.details_changed", uid, names(&user), names(&updated)))).push(
        Write::Create(outbox_event(
            now,
            "MemberDetailsChanged",
            json!({"practice_id": ctx.practice.id, "user_id": uid, "after": names(&updated)}),
        )),
    );
    commit(app, tx).await?;
    Ok(MemberView::new(&m, &updated, &custom))
}

/// The writes of a deactivation (R19, R20, R15): status and time, the seat
/// and director count, the role's holder count, audit and events. The
/// membership keeps every other field as the snapshot reactivation restores.
fn deactivation(
    ctx: &MemberCtx,
    m: &Membership,
    now: Time,
    action: &str,
    reason: &str,
) -> Result<(Tx, Membership), DomainError> {
    let mut after = m.clone();
    after.status = MemberStatus::Deactivated;
    after.deactivated_at = Some(now);
    after.version += 1;
    let pid = m.practice_id;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Membership(after.clone()), expected_version: m.version },
        DomainError::PreconditionFailed,
    )
    .guarded(
        Write::AdjustCounters { practice_id: pid, delta: joining(m.kind, &m.role_id, -1) },
        DomainError::LastDirector,
    );
    release_role(&mut tx, pid, &m.role_id);
    authorized(&mut tx, ctx, m.user_id)?;
    tx.push(Write::Create(member_audit(
        ctx,
        now,
        action,
        m.user_id,
        json!({"status": "active"}),
        json!({"status": "deactivated", "reason": reason}),
    )))
    .push(Write::Create(outbox_event(
        now,
        "MemberDeactivated",
        json!({"practice_id": pid, "user_id": m.user_id, "kind": m.kind, "role_id": m.role_id, "reason": reason}),
    )))
    .push(Write::Create(seat_event(now, "SeatRemoved", pid, m.user_id, m.kind)));
    Ok((tx, after))
}

/// `POST /practices/{pid}/members/{uid}/deactivate` (users.manage). The
/// member's next request to this practice is refused (R19, R29): every
/// request reads the membership's status. Deactivating a deactivated member
/// changes nothing and answers the member.
pub async fn deactivate(app: &App, ctx: &MemberCtx, uid: UserId) -> Result<MemberView, DomainError> {
    on_fresh_reads(true, || deactivate_once(app, ctx, uid)).await
}

async fn deactivate_once(app: &App, ctx: &MemberCtx, uid: UserId) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let (m, user) = target(app, ctx, uid).await?;
    let custom = super::custom_role_of(app, ctx.practice.id, &m.role_id).await?;
    if m.status == MemberStatus::Deactivated {
        return Ok(MemberView::new(&m, &user, &custom));
    }
    ensure_may_touch(ctx, &m)?;
    let (tx, after) = deactivation(ctx, &m, app.now(), "member.deactivated", "deactivated")?;
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user, &custom))
}

/// `POST /practices/{pid}/leave`: the caller deactivates their own
/// membership; the last director cannot leave (R15).
pub async fn leave(app: &App, ctx: &MemberCtx) -> Result<(), DomainError> {
    let (tx, _) = deactivation(ctx, ctx.member()?, app.now(), "member.left", "left")?;
    commit(app, tx).await
}

/// One reactivation (R19, R20). Reactivating an active member changes
/// nothing and answers the member, so a retried request is harmless (and
/// both callers retry it on a fresh read).
async fn reactivate_one(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    role_id: Option<&str>,
    accept_license_terms: bool,
    roles: &[Role],
) -> Result<MemberView, DomainError> {
    let (m, user) = target(app, ctx, uid).await?;
    if m.status == MemberStatus::Active {
        return Ok(MemberView::new(&m, &user, roles));
    }
    ensure_may_touch(ctx, &m)?;
    let mut after = m.clone();
    match role_id.map(str::trim) {
        Some(r) => {
            if super::role_permissions(r, roles).is_none() {
                return Err(unknown_role());
            }
            after.role_id = r.to_string();
            if r == DIRECTOR {
                after.overrides = Overrides::default();
            }
            // A new role is a grant; restoring the snapshot a director set
            // is not.
            ctx.ensure_may_grant(
                r,
                &[],
                &permissions_of(&Membership { status: MemberStatus::Active, ..after.clone() }, roles),
            )?;
        }
        // R19: the snapshot's role is gone; the caller must name one.
        None if super::role_permissions(&m.role_id, roles).is_none() => return Err(DomainError::RoleRequired),
        None => {}
    }
    // R20: a practitioner seat is a billable licence.
    if m.kind == Kind::Practitioner && !accept_license_terms {
        return Err(DomainError::LicenseTermsRequired);
    }
    let now = app.now();
    after.status = MemberStatus::Active;
    after.deactivated_at = None;
    after.version += 1;
    let pid = ctx.practice.id;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Membership(after.clone()), expected_version: m.version },
        DomainError::PreconditionFailed,
    )
    .guarded(
        Write::AdjustCounters { practice_id: pid, delta: joining(after.kind, &after.role_id, 1) },
        DomainError::NotFound,
    );
    // A role deleted since the read above fails the holder count's condition.
    let gone = if role_id.is_some() { unknown_role() } else { DomainError::RoleRequired };
    take_role(&mut tx, pid, &after.role_id, gone);
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(
        ctx,
        now,
        "member.reactivated",
        uid,
        access_of(&m, roles),
        access_of(&after, roles),
    )))
    .push(Write::Create(outbox_event(
        now,
        "MemberReactivated",
        json!({"practice_id": pid, "user_id": uid, "kind": after.kind, "role_id": after.role_id}),
    )))
    .push(Write::Create(seat_event(now, "SeatAdded", pid, uid, after.kind)));
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user, roles))
}

/// `POST /practices/{pid}/members/{uid}/reactivate` (users.manage).
pub async fn reactivate(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: ReactivateInput,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let roles = app.store.roles(ctx.practice.id).await?;
    let (role_id, accept) = (input.role_id.as_deref(), input.accept_license_terms.unwrap_or(false));
    on_fresh_reads(true, || reactivate_one(app, ctx, uid, role_id, accept, &roles)).await
}

/// `POST /practices/{pid}/members/reactivate` (users.manage, R21): up to 100
/// ids, each its own transaction, each answered as it would be alone, in the
/// order given (a repeated id is answered once).
pub async fn bulk_reactivate(
    app: &App,
    ctx: &MemberCtx,
    input: BulkReactivateInput,
) -> Result<Vec<(String, Result<MemberView, DomainError>)>, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let ids = input.user_ids.unwrap_or_default();
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(DomainError::field("user_ids", "must list 1 to 100 user ids"));
    }
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let roles = app.store.roles(ctx.practice.id).await?;
    let accept = input.accept_license_terms.unwrap_or(false);
    // One after another: each touches the practice's counters, and
    // DynamoDB refuses overlapping transactions on one item; parallel
    // reactivations would mostly buy retries.
    let mut results = Vec::with_capacity(unique.len());
    for raw in unique {
        let outcome = match raw.parse::<UserId>() {
            Ok(uid) => on_fresh_reads(true, || reactivate_one(app, ctx, uid, None, accept, &roles)).await,
            Err(_) => Err(DomainError::NotFound),
        };
        results.push((raw, outcome));
    }
    Ok(results)
}

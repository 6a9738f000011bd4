//! Changing a member's access (R14..R18) and details (R14).

use super::{access_audit, authorized, ensure_may_touch, member_audit, on_fresh_reads, seat_event, target};
use crate::access::AccessPatch;
use crate::error::DomainError;
use crate::ids::UserId;
use crate::permissions::USERS_MANAGE;
use crate::ports::{App, CounterDelta, Record, Tx, Write};
use crate::service::account::{names_of, NamesPatch};
use crate::service::context::{custom_role_of, MemberCtx};
use crate::service::roles::{release_role, take_role, unknown_role};
use crate::service::user_copies::copy_user;
use crate::service::views::MemberView;
use crate::service::writes::{commit, commit_with, outbox_event};
use crate::validate::{Errors, NoOtherFields};
use serde::Deserialize;
use serde_json::json;

/// `PATCH /practices/{pid}/members/{uid}`: any fields of the access.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateAccessInput {
    #[serde(flatten)]
    pub access: AccessPatch,
    #[serde(flatten)]
    pub no_other_fields: NoOtherFields,
}

/// `PATCH /practices/{pid}/members/{uid}` (users.manage, R14..R18): the
/// change is [`AccessPatch::apply`] to the member's access.
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
    if !before.is_active() {
        return Err(DomainError::MemberDeactivated);
    }
    ensure_may_touch(ctx, &before)?;
    let mut e = Errors::new();
    let access = input.access.apply(Some(&before.access), &mut e, &locations, &roles);
    e.finish()?;
    let Some(access) = access else { return Err(DomainError::field("kind", "is required")) };
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    let mut after = before.clone();
    after.access = access;
    let (b, a) = (access_audit(&before, &roles), access_audit(&after, &roles));
    ctx.ensure_may_grant(Some(uid), Some(&before.access), &after.access, &roles)?;
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
    let delta = before.access.leaving() + after.access.joining();
    if delta != CounterDelta::default() {
        // A demotion lowers the director count; its floor is R15.
        tx.guarded(Write::AdjustCounters { practice_id: pid, delta }, DomainError::LastDirector);
    }
    if before.access.role_id != after.access.role_id {
        release_role(&mut tx, pid, &before.access.role_id);
        take_role(&mut tx, pid, &after.access.role_id, unknown_role());
    }
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(ctx, now, "member.access_changed", uid, b.clone(), a.clone()))).push(
        Write::Create(outbox_event(
            now,
            "MemberAccessChanged",
            json!({"practice_id": pid, "user_id": uid, "before": b, "after": a}),
        )),
    );
    if before.access.kind != after.access.kind {
        tx.push(Write::Create(seat_event(now, "SeatRemoved", pid, uid, before.access.kind)))
            .push(Write::Create(seat_event(now, "SeatAdded", pid, uid, after.access.kind)));
    }
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user, &roles))
}

/// `PATCH /practices/{pid}/members/{uid}/details` (users.manage, R14): the
/// user's title and names, for a user who belongs to this practice only. A
/// user is one identity (R3); the user's version guards the write.
pub async fn update_details(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: NamesPatch,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let ((m, user), memberships) = futures::try_join!(target(app, ctx, uid), async {
        app.store.memberships_of_user(uid).await.map_err(DomainError::from)
    })?;
    if !m.is_active() {
        return Err(DomainError::MemberDeactivated);
    }
    ensure_may_touch(ctx, &m)?;
    // One practice's administrators do not rename a person other practices
    // know too (R2); that person changes their own name through PATCH /me.
    if memberships.iter().any(|o| o.practice_id != ctx.practice.id) {
        return Err(DomainError::Forbidden);
    }
    let mut updated = input.apply(&user)?;
    let custom = custom_role_of(app, ctx.practice.id, &m.access.role_id).await?;
    if names_of(&updated) == names_of(&user) {
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
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(ctx, now, "member.details_changed", uid, names_of(&user), names_of(&updated))))
        .push(Write::Create(outbox_event(
            now,
            "MemberDetailsChanged",
            json!({"practice_id": ctx.practice.id, "user_id": uid, "after": names_of(&updated)}),
        )));
    commit_with(app, tx, [copy_user(&memberships, &updated, None)]).await?;
    Ok(MemberView::new(&m, &updated, &custom))
}

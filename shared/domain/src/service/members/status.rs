//! A member's status (R15, R19..R21): deactivation, which keeps the
//! membership as the snapshot reactivation restores, leaving, and
//! reactivation one at a time or in bulk.

use super::bulk::{chunked, merge};
use super::{access_audit, authorized, ensure_may_touch, held_roles, member_audit, on_fresh_reads, target, Acted};
use crate::access::AccessPatch;
use crate::error::DomainError;
use crate::ids::UserId;
use crate::model::*;
use crate::permissions::{role_permissions, USERS_MANAGE};
use crate::ports::{App, MemberKeys, MembersBundle, Record, Tx, Write};
use crate::service::context::MemberCtx;
use crate::service::roles::{release_role, take_role, unknown_role};
use crate::service::seats::{license_consent, module_events, seat_added, seat_removed, with_consent};
use crate::service::views::MemberView;
use crate::service::writes::{commit, outbox_event};
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::json;

/// R21
pub const BULK_MAX: usize = 100;

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

/// The writes of a deactivation (R19, R20, R15, R46): status and time, the
/// seat, module seat and director counts, the role's holder count, audit
/// and events. The membership keeps every other field (its modules too) as
/// the snapshot reactivation restores.
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
    .guarded(Write::AdjustCounters { practice_id: pid, delta: m.access.leaving() }, DomainError::LastDirector);
    release_role(&mut tx, pid, &m.access.role_id);
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
        EventType::MemberDeactivated,
        json!({"practice_id": pid, "user_id": m.user_id, "kind": m.access.kind, "role_id": m.access.role_id, "reason": reason}),
    )))
    .push(Write::Create(seat_removed(now, pid, m.user_id, m.access.kind)));
    module_events(&mut tx, now, pid, m.user_id, Some(&m.access), None, None);
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
    let Acted { member: m, user, roles: custom, .. } = target(app, ctx, uid, None, &[]).await?;
    if !m.is_active() {
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
) -> Result<MemberView, DomainError> {
    let Acted { member, user, roles, .. } = target(app, ctx, uid, role_id, &[]).await?;
    let (tx, view) = reactivation(app, ctx, &member, &user, role_id, accept_license_terms, &roles)?;
    if let Some(tx) = tx {
        commit(app, tx).await?;
    }
    Ok(view)
}

/// What reactivating `m` writes (nothing when it is active already) and
/// the member it answers with.
fn reactivation(
    app: &App,
    ctx: &MemberCtx,
    m: &Membership,
    user: &User,
    role_id: Option<&str>,
    accept_license_terms: bool,
    roles: &[Role],
) -> Result<(Option<Tx>, MemberView), DomainError> {
    let uid = m.user_id;
    if m.is_active() {
        return Ok((None, MemberView::new(m, user, roles)));
    }
    ensure_may_touch(ctx, m)?;
    let mut after = m.clone();
    match role_id.map(str::trim) {
        Some(r) => {
            if role_permissions(r, roles).is_none() {
                return Err(unknown_role());
            }
            // A new role is an access change like any other; the snapshot
            // names no location anew, so none need be read.
            let mut e = Errors::new();
            let patch = AccessPatch { role_id: Some(r.to_string()), ..AccessPatch::default() };
            let access = patch.apply(Some(&m.access), &mut e, &[], roles);
            e.finish()?;
            after.access = access.ok_or_else(unknown_role)?;
        }
        // R19: the snapshot's role is gone; the caller must name one.
        None if role_permissions(&m.access.role_id, roles).is_none() => return Err(DomainError::RoleRequired),
        None => {}
    }
    // R36: what comes back is granted anew, so the actor must hold it all,
    // whether a director set it or not.
    ctx.ensure_may_grant(Some(uid), None, &after.access, roles)?;
    let now = app.now();
    // R20, R45, R46: a practitioner seat and each module seat are billable
    // licences, taken anew.
    let consent = license_consent(app, ctx, None, &after.access, accept_license_terms, now)?;
    after.status = MemberStatus::Active;
    after.deactivated_at = None;
    after.version += 1;
    let pid = ctx.practice.id;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Membership(after.clone()), expected_version: m.version },
        DomainError::PreconditionFailed,
    )
    .guarded(Write::AdjustCounters { practice_id: pid, delta: after.access.joining() }, DomainError::NotFound);
    // A role deleted since the read above fails the holder count's condition.
    let gone = if role_id.is_some() { unknown_role() } else { DomainError::RoleRequired };
    take_role(&mut tx, pid, &after.access.role_id, gone);
    authorized(&mut tx, ctx, uid)?;
    tx.push(Write::Create(member_audit(
        ctx,
        now,
        "member.reactivated",
        uid,
        access_audit(m, roles),
        with_consent(access_audit(&after, roles), consent.as_ref()),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::MemberReactivated,
        json!({"practice_id": pid, "user_id": uid, "kind": after.access.kind, "role_id": after.access.role_id}),
    )))
    .push(Write::Create(seat_added(now, pid, uid, after.access.kind, consent.as_ref())));
    module_events(&mut tx, now, pid, uid, None, Some(&after.access), consent.as_ref());
    Ok((Some(tx), MemberView::new(&after, user, roles)))
}

/// `POST /practices/{pid}/members/{uid}/reactivate` (users.manage).
pub async fn reactivate(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: ReactivateInput,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let (role_id, accept) = (input.role_id.as_deref(), input.accept_license_terms.unwrap_or(false));
    on_fresh_reads(true, || reactivate_one(app, ctx, uid, role_id, accept)).await
}

/// `POST /practices/{pid}/members/reactivate` (users.manage, R21): up to 100
/// ids, each answered as it would be alone, in the order given (a repeated
/// id is answered once). The members are read in one batch and reactivated
/// in as few transactions as fit (`members/bulk.rs`).
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
    let accept = input.accept_license_terms.unwrap_or(false);
    // Every member named, with their user, in one read; their custom roles
    // in one more.
    let ids: Vec<UserId> = unique.iter().filter_map(|raw| raw.parse().ok()).collect();
    let keys = MemberKeys { practice: ctx.practice.id, users: &ids, roles: &[], locations: &[] };
    let MembersBundle { memberships, users, .. } = app.store.members_bundle(keys).await?;
    let roles = held_roles(app, ctx, Vec::new(), &memberships).await?;
    let mut answers: Vec<Option<Result<MemberView, DomainError>>> = Vec::with_capacity(unique.len());
    let mut changes = Vec::new();
    for (i, raw) in unique.iter().enumerate() {
        let read = raw.parse::<UserId>().ok().and_then(|uid| {
            let m = memberships.iter().find(|m| m.user_id == uid)?;
            Some((m, users.iter().find(|u| u.id == uid)?))
        });
        answers.push(match read.map(|(m, user)| (m.user_id, reactivation(app, ctx, m, user, None, accept, &roles))) {
            Some((uid, Ok((Some(tx), view)))) => {
                changes.push(((i, uid, view), tx));
                None
            }
            Some((_, Ok((None, view)))) => Some(Ok(view)),
            Some((_, Err(e))) => Some(Err(e)),
            None => Some(Err(DomainError::NotFound)),
        });
    }
    // One run after another: each touches the practice's counters, and
    // DynamoDB refuses overlapping transactions on one item.
    for run in chunked(changes) {
        let (done, txs): (Vec<_>, Vec<Tx>) = run.into_iter().unzip();
        match commit(app, merge(txs)).await {
            Ok(()) => done.into_iter().for_each(|(i, _, view)| answers[i] = Some(Ok(view))),
            // One of them changed meanwhile, or broke a condition: each is
            // done again alone, on a fresh read, and so answered as it
            // would be alone.
            Err(_) => {
                for (i, uid, _) in done {
                    answers[i] = Some(on_fresh_reads(true, || reactivate_one(app, ctx, uid, None, accept)).await);
                }
            }
        }
    }
    Ok(unique.into_iter().zip(answers).map(|(raw, a)| (raw, a.unwrap_or(Err(DomainError::NotFound)))).collect())
}

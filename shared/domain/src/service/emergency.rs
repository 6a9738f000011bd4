//! Emergency access (R50, break-the-glass): a member holding
//! `emergency_access.use` opens it with a reason when the practice's policy
//! enables it; until it ends, `member_ctx` adds the policy's set across all
//! locations and every audit event names it; every director is mailed.

use super::context::MemberCtx;
use super::writes::{audit_event, audit_read, commit, outbox_event, outbox_task, to_value};
use crate::error::DomainError;
use crate::ids::EmergencyAccessId;
use crate::model::*;
use crate::permissions::EMERGENCY_ACCESS_USE;
use crate::ports::{App, Record, Tx, Write};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `POST /practices/{pid}/emergency-access`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenInput {
    pub reason: Option<String>,
}

/// An emergency access as API.md shows it. One that ran out shows its
/// `ends_at` as `ended_at` before the sweep has stamped it (R35).
#[derive(Debug, Clone, Serialize)]
pub struct EmergencyView {
    pub id: EmergencyAccessId,
    pub user_id: crate::ids::UserId,
    pub reason: Reason,
    pub opened_at: Time,
    pub ends_at: Time,
    pub ended_at: Option<Time>,
    pub review: Option<Review>,
}

impl EmergencyView {
    pub fn of(a: &EmergencyAccess, now: Time) -> Self {
        Self {
            id: a.id,
            user_id: a.user_id,
            reason: a.reason.clone(),
            opened_at: a.opened_at,
            ends_at: a.ends_at,
            ended_at: (!a.open_at(now)).then(|| a.effective_end()),
            review: a.review.clone(),
        }
    }
}

/// Opens one for the caller. A director holds every key already and gets
/// `409 director_holds_all`; a second while one is open, `409
/// emergency_access_open` (the member's pointer, created or replaced at the
/// version read, is the condition in the one transaction).
pub async fn open(app: &App, ctx: &MemberCtx, input: OpenInput) -> Result<EmergencyView, DomainError> {
    let member = ctx.member()?;
    if ctx.is_director() {
        return Err(DIRECTOR_HOLDS_ALL);
    }
    ctx.require(EMERGENCY_ACCESS_USE)?;
    let policy = &ctx.practice.security_policy.emergency_access;
    if !policy.enabled {
        return Err(DomainError::EmergencyAccessDisabled);
    }
    let reason = Reason::parse(input.reason.as_deref())?;
    // Open by its time, even while it lends nothing (key or policy off):
    // its history item is ended by its close or the sweep, not replaced.
    let now = app.now();
    if ctx.emergency.as_ref().is_some_and(|e| e.open_at(now)) {
        return Err(ALREADY_OPEN);
    }
    // Counted in the pointer the transaction replaces at the version read,
    // so racing opens cannot both pass as the last one allowed.
    if ctx.emergency.as_ref().is_some_and(|e| !e.may_open_another(now)) {
        return Err(DomainError::RateLimited);
    }
    let pid = ctx.practice.id;
    let access = EmergencyAccess::open(
        pid,
        member.user_id,
        reason,
        now,
        policy.max_minutes,
        policy.permissions.iter().cloned().collect(),
    );
    let pointer = Record::EmergencyPointer(EmergencyPointer::of(&access, ctx.emergency.as_ref()));
    let lock = match &ctx.emergency {
        None => Write::Create(pointer),
        Some(run_out) => Write::Replace { record: pointer, expected_version: run_out.version },
    };
    let view = EmergencyView::of(&access, now);
    let ends_at = access.ends_at;
    let mut tx = Tx::new();
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden)
        .guarded(lock, ALREADY_OPEN)
        .push(Write::Create(audit_event(
            AuditScope::Practice(pid),
            now,
            ctx.actor(),
            "emergency_access.opened",
            Target::new("emergency_access", access.id),
            json!(null),
            json!({"view": to_value(&view), "permissions": access.permissions}),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::EmergencyAccessOpened,
            json!({"practice_id": pid, "id": access.id, "user_id": access.user_id, "ends_at": ends_at,
                "permissions": access.permissions}),
        )))
        // One task however many directors there are (R37).
        .push(Write::Create(outbox_task(
            now,
            Task::MailDirectors {
                practice_id: pid,
                template: "emergency_access_opened".into(),
                data: json!({
                    "practice_name": ctx.practice.name,
                    "member": ctx.caller.user.display_name(),
                    "reason": access.reason.as_str(),
                    "ends_at": ends_at.format("%Y-%m-%d %H:%M").to_string(),
                }),
            },
        )))
        .push(Write::Create(Record::EmergencyAccess(access)));
    commit(app, tx).await?;
    Ok(view)
}

/// R50: a read made under emergency access, in the practice's audit log
/// before the answer leaves. Writes need no such record: each is audited
/// already, and its actor names the access.
pub async fn record_read(app: &App, ctx: &MemberCtx, route: &str, path: &str) -> Result<(), DomainError> {
    let Some(id) = ctx.emergency_id() else { return Ok(()) };
    audit_read(app, ctx, "emergency.read", Target::new("emergency_access", id), route, path).await
}

/// R50: a request refused under emergency access (403, 404, 422...):
/// refused, it changed nothing, but the attempt is part of the trail.
pub async fn record_refused(
    app: &App,
    ctx: &MemberCtx,
    route: &str,
    path: &str,
    status: u16,
    code: &str,
) -> Result<(), DomainError> {
    let Some(id) = ctx.emergency_id() else { return Ok(()) };
    let mut tx = Tx::new();
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(ctx.practice.id),
        app.now(),
        ctx.actor(),
        "emergency.refused",
        Target::new("emergency_access", id),
        serde_json::Value::Null,
        json!({"route": route, "path": path, "status": status, "code": code}),
    )));
    commit(app, tx).await
}

/// `DELETE /practices/{pid}/emergency-access/{id}`: by its member or a
/// director. One already ended is no error (204 either way).
pub async fn close(app: &App, ctx: &MemberCtx, id: EmergencyAccessId) -> Result<(), DomainError> {
    let member = ctx.member()?;
    let access = app.store.emergency_access(ctx.practice.id, id).await?.ok_or(DomainError::NotFound)?;
    if access.user_id != member.user_id && !ctx.is_director() {
        return Err(DomainError::Forbidden);
    }
    let now = app.now();
    if !access.open_at(now) {
        return Ok(());
    }
    // Open now, so the pointer is this access's: no other opens while it
    // is open. The member's own came with the session; another's is read.
    let pointer = if access.user_id == member.user_id {
        ctx.emergency.clone()
    } else {
        app.store.emergency_pointer(access.practice_id, access.user_id).await?
    };
    let mut tx = Tx::new();
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    // Kept, ended, so the day's opens still count (R50). A pointer gone or
    // replaced names no open access: the history item is ended all the same.
    if let Some(pointer) = pointer.filter(|p| p.version == pointer_version(access.opened_at)) {
        tx.push(Write::Replace {
            record: Record::EmergencyPointer(pointer.ended(now)),
            expected_version: pointer.version,
        });
    }
    end(&mut tx, &access, now, now, ctx.actor(), Some(member.user_id));
    match commit(app, tx).await {
        // Closed or swept meanwhile: ended either way.
        Err(DomainError::PreconditionFailed) => Ok(()),
        other => other,
    }
}

/// The sweep's part: stamp one access that ran out with its `ends_at`.
/// Its pointer is left to its TTL: reads check `ends_at`, and a newer
/// access may have replaced it already. `false` when ended meanwhile.
pub async fn expire(app: &App, access: &EmergencyAccess) -> Result<bool, DomainError> {
    let mut tx = Tx::new();
    end(&mut tx, access, access.ends_at, app.now(), Actor::system(), None);
    match commit(app, tx).await {
        Ok(()) => Ok(true),
        Err(DomainError::PreconditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The writes that end `access` at `at`, recorded `now`: the history item
/// at the version read (so of a close and the sweep one ends it), its
/// audit and event.
fn end(tx: &mut Tx, access: &EmergencyAccess, at: Time, now: Time, actor: Actor, by: Option<crate::ids::UserId>) {
    let ended = EmergencyAccess { ended_at: Some(at), version: access.version + 1, ..access.clone() };
    record_end(tx, access, &ended, now, actor, by);
    tx.push(Write::Replace { record: Record::EmergencyAccess(ended), expected_version: access.version });
}

/// The audit and event of `access` becoming `ended`, for whoever writes
/// the ended record (which a review may write reviewed as well).
pub(super) fn record_end(
    tx: &mut Tx,
    access: &EmergencyAccess,
    ended: &EmergencyAccess,
    now: Time,
    actor: Actor,
    by: Option<crate::ids::UserId>,
) {
    let before = EmergencyView::of(access, access.opened_at);
    let after = EmergencyView::of(ended, now);
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(access.practice_id),
        now,
        actor,
        "emergency_access.ended",
        Target::new("emergency_access", access.id),
        to_value(&before),
        to_value(&after),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::EmergencyAccessEnded,
        json!({"practice_id": access.practice_id, "id": access.id, "user_id": access.user_id,
            "ended_at": ended.ended_at, "ended_by": by}),
    )));
}

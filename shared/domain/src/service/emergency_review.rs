//! Emergency access, the directors' side (R50): the list of uses (a
//! director's of every one, anyone else's of their own) and the review
//! each use gets, once, after it has ended.

use super::context::MemberCtx;
use super::emergency::{record_end, EmergencyView};
use super::views::ListView;
use super::writes::{audit_event, commit, outbox_event, to_value};
use crate::error::DomainError;
use crate::ids::EmergencyAccessId;
use crate::model::*;
use crate::ports::{App, Record, Tx, Write};
use serde::Deserialize;
use serde_json::json;

/// `GET /practices/{pid}/emergency-access?status=`: newest first. A
/// director sees every use of the practice; anyone else (a support agent
/// too) only their own. A use past `ends_at` shows as ended, and is no
/// longer among the open ones, whether or not the sweep has been by.
pub async fn list(
    app: &App,
    ctx: &MemberCtx,
    list: EmergencyList,
    limit: usize,
    cursor: Option<&str>,
) -> Result<ListView<EmergencyView>, DomainError> {
    let only = (!ctx.is_director()).then_some(ctx.caller.user.id);
    let page = app.store.emergency_accesses(ctx.practice.id, list, only, limit, cursor).await?;
    let now = app.now();
    let items = page
        .items
        .iter()
        .filter(|a| list != EmergencyList::Open || a.open_at(now))
        .map(|a| EmergencyView::of(a, now))
        .collect();
    Ok(ListView { items, next_cursor: page.next })
}

/// `POST /practices/{pid}/emergency-access/{id}/review`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub note: Option<String>,
}

/// A director's review of one use: once (`409 already_reviewed`, the
/// version read the condition), and only once it has ended (`409
/// emergency_access_open`), so the review covers all that was done under
/// it. One that ran out before the sweep came by is ended by the review's
/// transaction as the sweep would have (by time, no one's act). The use
/// leaves the review queue.
pub async fn review(
    app: &App,
    ctx: &MemberCtx,
    id: EmergencyAccessId,
    input: ReviewInput,
) -> Result<EmergencyView, DomainError> {
    ctx.member()?;
    if !ctx.is_director() {
        return Err(DomainError::Forbidden);
    }
    let now = app.now();
    let review = Review::new(ctx.caller.user.id, now, input.note.as_deref())?;
    // The version read is the condition. It moves at most twice, by an end
    // (the sweep's stamp, racing a review of one that ran out) and by a
    // review: so a second failure is a review, and a first is re-read.
    for attempt in 0..2 {
        let access = app.store.emergency_access(ctx.practice.id, id).await?.ok_or(DomainError::NotFound)?;
        // A member who opened it and became a director since does not sign
        // off on their own use: another director does.
        if access.user_id == ctx.caller.user.id {
            return Err(DomainError::Forbidden);
        }
        if access.review.is_some() {
            return Err(ALREADY_REVIEWED);
        }
        if access.open_at(now) {
            return Err(ALREADY_OPEN);
        }
        let (tx, view) = review_tx(ctx, &access, review.clone(), now)?;
        match commit(app, tx).await {
            Err(DomainError::PreconditionFailed) if attempt == 0 => continue,
            Err(DomainError::PreconditionFailed) => break,
            other => return other.map(|()| view),
        }
    }
    Err(ALREADY_REVIEWED)
}

fn review_tx(
    ctx: &MemberCtx,
    access: &EmergencyAccess,
    review: Review,
    now: Time,
) -> Result<(Tx, EmergencyView), DomainError> {
    let mut tx = Tx::new();
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    let mut reviewed = EmergencyAccess { review: Some(review), version: access.version + 1, ..access.clone() };
    if access.ended_at.is_none() {
        reviewed.ended_at = Some(access.ends_at);
        let ended = EmergencyAccess { review: None, ..reviewed.clone() };
        record_end(&mut tx, access, &ended, now, Actor::system(), None);
    }
    let before = EmergencyView::of(access, now);
    let view = EmergencyView::of(&reviewed, now);
    tx.guarded(
        Write::Replace { record: Record::EmergencyAccess(reviewed), expected_version: access.version },
        DomainError::PreconditionFailed,
    )
    .push(Write::Create(audit_event(
        AuditScope::Practice(access.practice_id),
        now,
        ctx.actor(),
        "emergency_access.reviewed",
        Target::new("emergency_access", access.id),
        to_value(&before),
        to_value(&view),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::EmergencyAccessReviewed,
        json!({"practice_id": access.practice_id, "id": access.id, "user_id": access.user_id,
            "reviewed_by": ctx.caller.user.id}),
    )));
    Ok((tx, view))
}

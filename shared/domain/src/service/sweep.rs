//! The expiry sweep (R34): run every 15 minutes by an EventBridge schedule.
//! It expires due invitations, ends due support grants (R30), sends due
//! onboarding mails (R44) and redelivers what the outbox stream could not
//! (R33, R42). Running it twice changes nothing more.
//!
//! Two times, kept apart. What is due is decided by `due_by`, the scheduled
//! event's `time` (R34), so a run retried after a timeout, or an event
//! delivered late, decides what its schedule meant. What the run writes is
//! stamped by the clock (`App::now`): an audit entry says when the change
//! was made, an outbox item when it was written (its grace period and TTL
//! count from that), an attempt's backoff from when it was made.

use super::invitations::LISTED_AFTER_EXPIRY_DAYS;
use super::roles::release_role;
use super::writes::{audit_event, commit, outbox_event};
use super::{emergency, onboarding, outbox, support};
use crate::error::DomainError;
use crate::model::*;
use crate::ports::{App, Outbound, Record, Tx, Write};
use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;

/// Items per index page; the sweep keeps paging until nothing is due.
const BATCH: usize = 100;
/// How long one run may take, counted from its start: the function's
/// timeout is 60 seconds, and a run cut off there is retried and overlaps
/// the next. No stage starts an item after it; what is left stays due and
/// goes first next time.
const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);
/// At most this much of it for onboarding mails, so the outbox keeps time.
const ONBOARDING_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub invitations_expired: usize,
    pub support_grants_expired: usize,
    pub outbox_delivered: usize,
    /// Deliveries that failed and will be retried after their backoff.
    pub outbox_failed: usize,
    /// Deliveries that failed for the last allowed time: the item is dead
    /// and not tried again (R42).
    pub outbox_dead: usize,
    /// Mails withheld from addresses marked undeliverable (issue 14).
    pub outbox_skipped: usize,
    /// Onboarding mails sent (R44); those dropped unsent (membership no
    /// longer active, onboarding off) are not counted.
    pub onboarding_sent: usize,
    /// Emergency accesses past `ends_at` stamped as ended (R50).
    pub emergency_access_ended: usize,
}

const STALE: DomainError = DomainError::Conflict("stale");
const SLOT_TAKEN: DomainError = DomainError::Conflict("slot_taken");

fn expire_tx(inv: &Invitation, now: Time, release_slot: bool) -> Tx {
    let mut expired = inv.clone();
    expired.status = InvitationStatus::Expired;
    expired.version += 1;
    let mut tx = Tx::new();
    tx.guarded(Write::Replace { record: Record::Invitation(expired), expected_version: inv.version }, STALE);
    if release_slot {
        tx.guarded(
            Write::ReleaseSlot { practice_id: inv.practice_id, email_norm: inv.email_norm.clone(), invitation: inv.id },
            SLOT_TAKEN,
        );
    }
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(inv.practice_id),
        now,
        Actor::system(),
        "invitation.expired",
        Target::new("invitation", inv.id),
        json!({"status": "pending", "expires_at": inv.expires_at}),
        json!({"status": "expired", "listed_until": inv.expires_at + Duration::days(LISTED_AFTER_EXPIRY_DAYS)}),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::InvitationExpired,
        json!({"practice_id": inv.practice_id, "invitation_id": inv.id, "email": inv.email}),
    )));
    // An expired invitation no longer holds its role (R23).
    release_role(&mut tx, inv.practice_id, &inv.access.role_id);
    tx
}

/// Expire one invitation, stamped by the clock. A stale read (someone
/// accepted, revoked or resent it meanwhile) is no error: it is simply no
/// longer due. If its slot went to a newer invitation after it expired, it
/// is expired without touching that.
async fn expire(app: &App, inv: &Invitation) -> Result<bool, DomainError> {
    let now = app.now();
    match commit(app, expire_tx(inv, now, true)).await {
        Ok(()) => Ok(true),
        Err(DomainError::Conflict("stale") | DomainError::PreconditionFailed) => Ok(false),
        Err(DomainError::Conflict("slot_taken")) => match commit(app, expire_tx(inv, now, false)).await {
            Ok(()) => Ok(true),
            Err(DomainError::Conflict("stale")) => Ok(false),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// One run over what is due by `due_by` (the module says why that is not
/// the clock): expiries, then onboarding mails, then the outbox. A stage
/// that fails is logged and the next still runs (a bad item among the
/// onboarding mails must not stop redelivery, R42); the run then answers
/// the first failure, so the function's errors show it.
pub async fn run(app: &App, out: &Outbound, due_by: Time) -> Result<Summary, DomainError> {
    let started = std::time::Instant::now();
    let left = || RUN_BUDGET.saturating_sub(started.elapsed());
    let mut summary = Summary::default();
    let mut failed: Option<DomainError> = None;
    let mut note = |stage: &str, outcome: Result<(), DomainError>| {
        if let Err(e) = outcome {
            tracing::error!(stage, error = %e, "sweep stage failed; the next stage runs, the rest stays due");
            failed.get_or_insert(e);
        }
    };
    note("invitations", expire_invitations(app, due_by, &mut summary).await);
    note("support grants", end_support_grants(app, due_by, &mut summary).await);
    note("emergency access", end_emergency_access(app, due_by, &mut summary).await);
    let onboarding = onboarding::send_due(app, due_by, left().min(ONBOARDING_BUDGET)).await;
    note("onboarding", onboarding.map(|sent| summary.onboarding_sent = sent));
    note("outbox", redeliver(app, out, due_by, left(), &mut summary).await);
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

/// Every invitation due to expire (R7, R34), page after page, each
/// resuming after the last item of the one before: an item that could not
/// be expired is not met twice in a run, and the index's lag behind the
/// expiries just made cannot show them again.
async fn expire_invitations(app: &App, due_by: Time, summary: &mut Summary) -> Result<(), DomainError> {
    let mut after: Option<Invitation> = None;
    loop {
        let due = app.store.due_invitations(due_by, after.as_ref(), BATCH).await?;
        for inv in due.iter().filter(|i| i.status == InvitationStatus::Pending && i.expires_at <= due_by) {
            // One item's failure must not stop the rest, nor the outbox below;
            // it stays due and the next run tries it again.
            match expire(app, inv).await {
                Ok(true) => summary.invitations_expired += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(invitation = %inv.id, error = %e, "could not expire; left for the next sweep"),
            }
        }
        if due.len() < BATCH {
            return Ok(());
        }
        after = due.last().cloned();
    }
}

/// Every support grant past its expiry (R30, R34), paged as invitations are.
async fn end_support_grants(app: &App, due_by: Time, summary: &mut Summary) -> Result<(), DomainError> {
    let mut after: Option<SupportGrant> = None;
    loop {
        let due = app.store.due_support_grants(due_by, after.as_ref(), BATCH).await?;
        for grant in due.iter().filter(|g| !g.active_at(due_by)) {
            match support::expire(app, grant).await {
                Ok(true) => summary.support_grants_expired += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(practice = %grant.practice_id, error = %e, "could not end support grant; left for the next sweep")
                }
            }
        }
        if due.len() < BATCH {
            return Ok(());
        }
        after = due.last().cloned();
    }
}

/// Every emergency access past `ends_at` not yet ended (R50), paged as
/// invitations are.
async fn end_emergency_access(app: &App, due_by: Time, summary: &mut Summary) -> Result<(), DomainError> {
    let mut after: Option<EmergencyAccess> = None;
    loop {
        let due = app.store.due_emergency_accesses(due_by, after.as_ref(), BATCH).await?;
        for access in due.iter().filter(|a| a.ended_at.is_none() && !a.open_at(due_by)) {
            match emergency::expire(app, access).await {
                Ok(true) => summary.emergency_access_ended += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(access = %access.id, error = %e, "could not end emergency access; left for the next sweep")
                }
            }
        }
        if due.len() < BATCH {
            return Ok(());
        }
        after = due.last().cloned();
    }
}

/// Deliver every due outbox item, soonest due first, page after page (R42):
/// what the stream failed to send (due after its backoff) or never got to
/// (due after the grace period, `OUTBOX_GRACE_SECONDS`).
/// Each page resumes after the last item of the one before, so a head of
/// items the mail service always refuses cannot hold back newer ones. An
/// item tried in this run is not tried again in it: its next attempt is
/// due a backoff after the clock, which a `due_by` ahead of the clock (a
/// hand-dated event) could still reach on a later page.
async fn redeliver(
    app: &App,
    out: &Outbound,
    due_by: Time,
    budget: std::time::Duration,
    summary: &mut Summary,
) -> Result<(), DomainError> {
    let started = std::time::Instant::now();
    let mut after: Option<OutboxItem> = None;
    let mut tried = HashSet::new();
    loop {
        let due = app.store.due_outbox(due_by, after.as_ref(), BATCH).await?;
        let more = due.len() >= BATCH;
        after = due.last().cloned();
        let due = due.into_iter().filter(|i| tried.insert(i.id)).collect();
        let delivered = outbox::deliver_all(app, out, due, budget.saturating_sub(started.elapsed())).await;
        summary.outbox_delivered += delivered.delivered;
        summary.outbox_failed += delivered.failed;
        summary.outbox_dead += delivered.dead;
        summary.outbox_skipped += delivered.skipped;
        if !more && delivered.left == 0 {
            return Ok(());
        }
        if started.elapsed() >= budget {
            tracing::warn!(?summary, "outbox still has due items; left for the next sweep");
            return Ok(());
        }
    }
}

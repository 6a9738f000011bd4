//! What every change writes besides itself: its audit event (R32) and its
//! outbox of mail and domain events (R33), committed with it in one
//! transaction, and delivered from the table's change stream (outbox.rs).

use super::context::MemberCtx;
use crate::error::DomainError;
use crate::ids::EventId;
use crate::model::*;
use crate::ports::{App, FanOut, Record, Tx, Write, MAX_WRITES};
use serde_json::Value;

pub fn audit_event(
    scope: AuditScope,
    at: Time,
    actor: Actor,
    action: &str,
    target: Target,
    before: Value,
    after: Value,
) -> Record {
    Record::Audit(AuditEvent {
        id: EventId::new(),
        scope,
        at,
        actor,
        action: action.to_string(),
        target,
        before,
        after,
    })
}

/// A read recorded in the practice's audit log before its answer leaves:
/// a support agent's (R31), or a member's under emergency access (R50).
pub async fn audit_read(
    app: &App,
    ctx: &MemberCtx,
    action: &str,
    target: Target,
    route: &str,
    path: &str,
) -> Result<(), DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(ctx.practice.id),
        app.now(),
        ctx.actor(),
        action,
        target,
        serde_json::json!(null),
        serde_json::json!({"route": route, "path": path}),
    )));
    commit(app, tx).await
}

pub fn outbox_mail(at: Time, mail: Mail) -> Record {
    Record::Outbox(OutboxItem::new(EventId::new(), at, OutboxPayload::Mail(mail)))
}

pub fn outbox_event(at: Time, event: EventType, detail: Value) -> Record {
    let id = EventId::new();
    Record::Outbox(OutboxItem::new(
        id,
        at,
        OutboxPayload::Event(DomainEvent { id, detail_type: event.detail_type(), at, detail }),
    ))
}

/// A fan-out task (R37), run from the stream after the commit of the change
/// that wrote it.
pub fn outbox_task(at: Time, task: Task) -> Record {
    Record::Outbox(OutboxItem::new(EventId::new(), at, OutboxPayload::Task(task)))
}

/// Commit the change with its fan-outs: inside its transaction when all of
/// them fit, else the change alone with the tasks that finish it, so the
/// change itself is atomic however many items a fan-out reaches (R37).
pub async fn commit_with(app: &App, mut tx: Tx, fan_outs: impl IntoIterator<Item = FanOut>) -> Result<(), DomainError> {
    let fan_outs: Vec<FanOut> = fan_outs.into_iter().collect();
    if tx.len() + fan_outs.iter().map(|f| f.writes.len()).sum::<usize>() <= MAX_WRITES {
        for w in fan_outs.into_iter().flat_map(|f| f.writes) {
            tx.push(w);
        }
    } else {
        for f in fan_outs {
            tx.push(Write::Create(outbox_task(app.now(), f.task)));
        }
    }
    commit(app, tx).await
}

/// Commit the transaction, and only that: its outbox items reach the
/// delivery function through the table's stream, so no mail service or
/// event bus is waited for inside a request, and none can turn a committed
/// change into an error (R42).
pub async fn commit(app: &App, tx: Tx) -> Result<(), DomainError> {
    app.store.transact(tx).await?;
    Ok(())
}

/// A value as audited: what does not serialise is recorded as `null`
/// rather than failing a change that already passed its rules.
pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

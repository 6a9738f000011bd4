//! Use cases. Each takes the `App` wiring and typed input, checks the rules,
//! and commits one transaction whose conditions hold the invariants; mail and
//! events ride along in the outbox and are delivered after commit (R32, R33).

pub mod auth;
pub mod directory;
pub mod invitations;
pub mod outbox;
pub mod sweep;
pub mod views;

use crate::error::DomainError;
use crate::ids::EventId;
use crate::model::*;
use crate::permissions::{built_in_role, effective_permissions, Grants};
use crate::ports::{App, Record, Tx};
use serde_json::Value;

/// A signed-in user, as established from a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

/// A caller acting inside one practice they are an active member of.
#[derive(Debug, Clone)]
pub struct MemberCtx {
    pub caller: Caller,
    pub practice: Practice,
    pub membership: Membership,
    /// Effective permissions (R1), computed once per request.
    pub permissions: Vec<String>,
}

impl MemberCtx {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
    pub fn require(&self, permission: &str) -> Result<(), DomainError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(DomainError::Forbidden)
        }
    }
    pub fn actor(&self) -> Actor {
        Actor::user(&self.caller.user)
    }
}

/// R1 for a stored membership. Custom roles arrive with issue 4; an unknown
/// role id grants nothing rather than failing the request.
pub fn permissions_of(m: &Membership) -> Vec<String> {
    let role: Vec<String> =
        built_in_role(&m.role_id).map(|r| r.permissions.iter().map(|k| k.to_string()).collect()).unwrap_or_default();
    effective_permissions(&Grants {
        role_id: &m.role_id,
        role_permissions: &role,
        grant: &m.overrides.grant,
        revoke: &m.overrides.revoke,
        access_billing: m.access_billing,
        active: m.status == MemberStatus::Active,
    })
}

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

pub fn outbox_mail(at: Time, mail: Mail) -> Record {
    Record::Outbox(OutboxItem { id: EventId::new(), created_at: at, payload: OutboxPayload::Mail(mail), attempts: 0 })
}

pub fn outbox_event(at: Time, detail_type: &str, detail: Value) -> Record {
    let id = EventId::new();
    Record::Outbox(OutboxItem {
        id,
        created_at: at,
        payload: OutboxPayload::Event(DomainEvent { id, detail_type: detail_type.to_string(), at, detail }),
        attempts: 0,
    })
}

/// Commit the transaction, then try to deliver its outbox at once. Delivery
/// failures are logged and left for the sweep (R33); the change stands.
pub async fn commit(app: &App, tx: Tx) -> Result<(), DomainError> {
    let items = tx.outbox();
    app.store.transact(tx).await?;
    outbox::deliver(app, items).await;
    Ok(())
}

pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

//! Use cases. Each takes the `App` wiring and typed input, checks the rules,
//! and commits one transaction whose conditions hold the invariants; mail and
//! events ride along in the outbox and are delivered after commit (R32, R33).

pub mod auth;
pub mod directory;
pub mod invitations;
pub mod members;
pub mod outbox;
pub mod roles;
pub mod security;
pub mod support;
pub mod sweep;
pub mod views;

use crate::error::DomainError;
use crate::ids::{EventId, PracticeId};
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

/// A caller acting inside one practice: an active member of it, or a
/// support agent while the practice's grant is active (R30).
#[derive(Debug, Clone)]
pub struct MemberCtx {
    pub caller: Caller,
    pub practice: Practice,
    /// `None` for a support agent, who is no member.
    pub membership: Option<Membership>,
    /// Effective permissions (R1), computed once per request; a support
    /// agent's are the read-only few of `support::AGENT_PERMISSIONS`.
    pub permissions: Vec<String>,
}

/// Whether a role id names a practice's own role rather than a built-in.
pub fn is_custom_role(role_id: &str) -> bool {
    built_in_role(role_id).is_none()
}

/// The caller's context in a practice: their permissions come from their
/// role as stored now, so a change of role or overrides applies to the very
/// next request (R1). A custom role costs one more read.
pub async fn member_ctx(
    app: &App,
    caller: Caller,
    practice: Practice,
    membership: Membership,
) -> Result<MemberCtx, DomainError> {
    let custom = match is_custom_role(&membership.role_id) {
        true => app.store.role(practice.id, &membership.role_id).await?.into_iter().collect(),
        false => Vec::new(),
    };
    let permissions = permissions_of(&membership, &custom);
    Ok(MemberCtx { caller, practice, membership: Some(membership), permissions })
}

/// The custom role a membership or invitation names, if it is one and
/// still exists, for computing its permissions.
pub async fn custom_role_of(app: &App, practice: PracticeId, role_id: &str) -> Result<Vec<Role>, DomainError> {
    if !is_custom_role(role_id) {
        return Ok(Vec::new());
    }
    Ok(app.store.role(practice, role_id).await?.into_iter().collect())
}

impl MemberCtx {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
    /// A support agent lacking a permission is refused as read-only (R31),
    /// anyone else as forbidden.
    pub fn require(&self, permission: &str) -> Result<(), DomainError> {
        match (self.can(permission), self.is_support()) {
            (true, _) => Ok(()),
            (false, true) => Err(DomainError::SupportReadOnly),
            (false, false) => Err(DomainError::Forbidden),
        }
    }
    pub fn is_support(&self) -> bool {
        self.membership.is_none()
    }
    /// The caller's own membership: every change is made by a member.
    pub fn member(&self) -> Result<&Membership, DomainError> {
        self.membership.as_ref().ok_or(DomainError::SupportReadOnly)
    }
    pub fn actor(&self) -> Actor {
        Actor { support: self.is_support(), ..Actor::user(&self.caller.user) }
    }
    pub fn is_director(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| m.role_id == crate::permissions::DIRECTOR)
    }
    /// Nobody hands out more than they hold: a change may add to a member
    /// only permissions the acting member has, and only a director makes or
    /// changes a director. (DOMAIN.md is silent; without this, `users.manage`
    /// alone could invite a second account of one's own with every key.)
    pub fn ensure_may_grant(&self, role_after: &str, before: &[String], after: &[String]) -> Result<(), DomainError> {
        if self.is_director() {
            return Ok(());
        }
        if role_after == crate::permissions::DIRECTOR {
            return Err(DomainError::Forbidden);
        }
        let added = after.iter().filter(|k| !before.contains(k));
        for key in added {
            if !self.can(key) {
                return Err(DomainError::Forbidden);
            }
        }
        Ok(())
    }
    /// The condition that the acting member still holds the access this
    /// request was authorized with, for the transaction that acts on it.
    pub fn still_authorized(&self) -> Result<crate::ports::Write, DomainError> {
        Ok(crate::ports::Write::CheckMember {
            practice_id: self.practice.id,
            user_id: self.caller.user.id,
            version: self.member()?.version,
        })
    }
}

/// A role's permissions: a built-in's, or the practice's custom role's from
/// `custom`. `None` when no such role exists (any more).
pub fn role_permissions(role_id: &str, custom: &[Role]) -> Option<Vec<String>> {
    match built_in_role(role_id) {
        Some(r) => Some(r.permissions.iter().map(|k| k.to_string()).collect()),
        None => custom.iter().find(|r| r.id == role_id).map(|r| r.permissions.clone()),
    }
}

/// R1 for a stored membership, the one place every check and every view
/// gets permissions from. `custom` holds the practice's custom roles (at
/// least the member's own); a role that no longer exists grants nothing.
pub fn permissions_of(m: &Membership, custom: &[Role]) -> Vec<String> {
    let role = role_permissions(&m.role_id, custom).unwrap_or_default();
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

//! Support access (R30, R31): a director's 7-day consent for the vendor's
//! support agents to read a practice, every read of theirs audited, and no
//! write ever.

use super::context::{Caller, MemberCtx};
use super::writes::{audit_event, audit_read, commit, outbox_event, outbox_task, to_value};
use crate::error::DomainError;
use crate::model::*;
use crate::permissions::{AUDIT_VIEW, SUPPORT_ACCESS_MANAGE, USERS_VIEW};
use crate::ports::{App, Key, Record, Tx, Write};
use chrono::Duration;
use serde::Serialize;
use serde_json::json;

/// R30
pub const GRANT_DAYS: i64 = 7;

/// What an agent holds inside a practice with an active grant: enough to
/// read the practice, locations, roles, members, invitations and the audit
/// log (R30), and nothing that changes anything (R31).
pub const AGENT_PERMISSIONS: [&str; 2] = [USERS_VIEW, AUDIT_VIEW];

#[derive(Debug, Clone, Serialize)]
pub struct SupportView {
    pub active: bool,
    pub granted_by: Option<InvitedBy>,
    pub granted_at: Option<Time>,
    pub expires_at: Option<Time>,
}

impl SupportView {
    fn of(grant: Option<&SupportGrant>, now: Time) -> Self {
        match grant {
            Some(g) => Self {
                active: g.active_at(now),
                granted_by: Some(g.granted_by.clone()),
                granted_at: Some(g.granted_at),
                expires_at: Some(g.expires_at),
            },
            None => Self { active: false, granted_by: None, granted_at: None, expires_at: None },
        }
    }
}

/// A support agent is a platform user whose email is in `SUPPORT_AGENTS`
/// and proven: without the check, whoever signed up first with an agent's
/// address would be the agent.
fn is_agent(app: &App, user: &User) -> bool {
    user.email_verified && is_agent_address(app, &user.email_norm)
}

/// Whether a (normalised) email is one of `SUPPORT_AGENTS`: no practice may
/// set such an account's password (R31).
pub fn is_agent_address(app: &App, email_norm: &str) -> bool {
    app.config.support_agents.iter().any(|a| a == email_norm)
}

/// The context of a support agent in a practice whose grant is active now,
/// whatever the sweep has done yet (R30, R35); `None` for anyone else.
pub fn agent_ctx(app: &App, caller: Caller, practice: Practice, grant: Option<SupportGrant>) -> Option<MemberCtx> {
    let active = grant.is_some_and(|g| g.practice_id == practice.id && g.active_at(app.now()));
    (active && is_agent(app, &caller.user)).then(|| MemberCtx {
        caller,
        practice,
        membership: None,
        permissions: AGENT_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        held: AGENT_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        emergency: None,
        emergency_open: false,
    })
}

/// R31: what a support agent read, in the practice's audit log, before the
/// answer leaves.
pub async fn record_read(app: &App, ctx: &MemberCtx, route: &str, path: &str) -> Result<(), DomainError> {
    audit_read(app, ctx, "support.read", Target::new("practice", ctx.practice.id), route, path).await
}

/// `GET /practices/{pid}/support-access`: for `support_access.manage`, and
/// for the agents the grant lets in.
pub async fn get(app: &App, ctx: &MemberCtx) -> Result<SupportView, DomainError> {
    if !ctx.is_support() {
        ctx.require(SUPPORT_ACCESS_MANAGE)?;
    }
    let grant = app.store.support_grant(ctx.practice.id).await?;
    Ok(SupportView::of(grant.as_ref(), app.now()))
}

/// `PUT /practices/{pid}/support-access` (support_access.manage): 7 days
/// from now, granting again restarts them (R30). The practice's directors
/// are told by mail.
pub async fn grant(app: &App, ctx: &MemberCtx) -> Result<SupportView, DomainError> {
    ctx.require(SUPPORT_ACCESS_MANAGE)?;
    // R36: the grant outlives an emergency access that lent the key.
    if !ctx.holds(SUPPORT_ACCESS_MANAGE) {
        return Err(DomainError::Forbidden);
    }
    let pid = ctx.practice.id;
    let before = app.store.support_grant(pid).await?;
    let now = app.now();
    let grant = SupportGrant {
        practice_id: pid,
        granted_by: InvitedBy { user_id: ctx.caller.user.id, name: ctx.caller.user.display_name() },
        granted_at: now,
        expires_at: now + Duration::days(GRANT_DAYS),
        // Never reused, even after a revoke deleted the item: the sweep's
        // delete is conditioned on the version it read (R34).
        version: u64::try_from(now.timestamp_millis()).unwrap_or(0).max(before.as_ref().map_or(0, |g| g.version) + 1),
    };
    let view = SupportView::of(Some(&grant), now);
    let mut tx = Tx::new();
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden)
        .push(Write::Put(Record::SupportGrant(grant.clone())))
        .push(Write::Create(audit_event(
            AuditScope::Practice(pid),
            now,
            ctx.actor(),
            "support_access.granted",
            Target::new("support_access", pid),
            to_value(&SupportView::of(before.as_ref(), now)),
            to_value(&view),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::SupportAccessGranted,
            json!({"practice_id": pid, "granted_by": grant.granted_by, "expires_at": grant.expires_at}),
        )));
    // One task however many directors the practice has: the mails would
    // not all fit in this transaction (R37).
    tx.push(Write::Create(outbox_task(
        now,
        Task::MailDirectors {
            practice_id: pid,
            template: "support_access_granted".into(),
            data: json!({
                "practice_name": ctx.practice.name,
                "granted_by": grant.granted_by.name,
                "expires_at": grant.expires_at.format("%Y-%m-%d %H:%M").to_string(),
            }),
        },
    )));
    commit(app, tx).await?;
    Ok(view)
}

/// `DELETE /practices/{pid}/support-access` (support_access.manage): ends
/// the grant at once. Nothing to end is no error.
pub async fn revoke(app: &App, ctx: &MemberCtx) -> Result<(), DomainError> {
    ctx.require(SUPPORT_ACCESS_MANAGE)?;
    let pid = ctx.practice.id;
    let Some(before) = app.store.support_grant(pid).await? else { return Ok(()) };
    let now = app.now();
    let mut tx = Tx::new();
    tx.guarded(ctx.still_authorized()?, DomainError::Forbidden)
        .push(Write::DeleteExisting(Key::SupportGrant(pid)))
        .push(Write::Create(audit_event(
            AuditScope::Practice(pid),
            now,
            ctx.actor(),
            "support_access.revoked",
            Target::new("support_access", pid),
            to_value(&SupportView::of(Some(&before), now)),
            to_value(&SupportView::of(None, now)),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::SupportAccessRevoked,
            json!({"practice_id": pid, "revoked_by": ctx.caller.user.id}),
        )));
    match commit(app, tx).await {
        // Revoked or swept meanwhile: it is gone either way.
        Err(DomainError::NotFound) => Ok(()),
        other => other,
    }
}

/// The sweep's part (R34): end one grant past its expiry, stamped by the
/// clock. `false` when it was renewed, revoked or ended meanwhile.
pub async fn expire(app: &App, grant: &SupportGrant) -> Result<bool, DomainError> {
    let pid = grant.practice_id;
    let now = app.now();
    let mut tx = Tx::new();
    tx.push(Write::DeleteVersioned { key: Key::SupportGrant(pid), expected_version: grant.version })
        .push(Write::Create(audit_event(
            AuditScope::Practice(pid),
            now,
            Actor::system(),
            "support_access.expired",
            Target::new("support_access", pid),
            json!({"active": true, "expires_at": grant.expires_at}),
            json!({"active": false}),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::SupportAccessExpired,
            json!({"practice_id": pid, "expired_at": grant.expires_at}),
        )));
    match commit(app, tx).await {
        Ok(()) => Ok(true),
        Err(DomainError::PreconditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PracticeId, UserId};

    // R30, R35: a grant is dead at its expiry, whatever the sweep did.
    #[test]
    fn a_grant_is_active_until_its_expiry_only() {
        let now = chrono::Utc::now();
        let grant = SupportGrant {
            practice_id: PracticeId::new(),
            granted_by: InvitedBy { user_id: UserId::new(), name: "A B".into() },
            granted_at: now,
            expires_at: now + Duration::days(GRANT_DAYS),
            version: 1,
        };
        assert!(grant.active_at(now));
        assert!(grant.active_at(now + Duration::days(7) - Duration::seconds(1)));
        assert!(!grant.active_at(now + Duration::days(7)));
    }
}

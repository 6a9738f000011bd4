//! Invitations (R5..R13, R20, R32..R35): a practice invites ([`invite`]),
//! and the invited person answers ([`respond`]). What both sides share lives
//! here: the link, the mail, closing a pending invitation, and which
//! invitations are open to whom.

pub mod answers;
pub mod bulk;
pub mod invite;
pub mod respond;

use super::context::Caller;
use super::roles::release_role;
use super::writes::{audit_event, outbox_event};
use crate::error::DomainError;
use crate::mail;
use crate::model::*;
use crate::ports::{App, Record, Tx, Write};
use crate::secrets;
use serde_json::json;

/// R7
pub const VALID_DAYS: i64 = 7;
/// R8
pub const RESENDS_PER_HOUR: usize = 3;
/// R35: expired invitations stay listable this long.
pub const LISTED_AFTER_EXPIRY_DAYS: i64 = 30;

fn inviter_name(u: &User) -> String {
    let n = u.display_name();
    if n.is_empty() {
        u.email.clone()
    } else {
        n
    }
}

fn link(app: &App, token: &str) -> String {
    format!("{}/invite/{}", app.config.app_base_url, token)
}

fn invitation_mail(
    app: &App,
    inv: &Invitation,
    token: &str,
    practice_name: &str,
    account_exists: bool,
) -> Result<Mail, DomainError> {
    let template = if account_exists { "invitation_existing_user" } else { "invitation_new_user" };
    mail::render(
        template,
        &inv.email,
        json!({
            "first_name": inv.first_name,
            "inviter": inv.invited_by.name,
            "practice_name": practice_name,
            "link": link(app, token),
            "expires_at": inv.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    )
}

fn practice_audit(
    inv: &Invitation,
    now: Time,
    actor: Actor,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Record {
    audit_event(
        AuditScope::Practice(inv.practice_id),
        now,
        actor,
        action,
        Target::new("invitation", inv.id),
        before,
        after,
    )
}

fn event_detail(inv: &Invitation) -> serde_json::Value {
    json!({"practice_id": inv.practice_id, "invitation_id": inv.id, "email": inv.email, "kind": inv.access.kind, "role_id": inv.access.role_id})
}

/// Close a pending invitation (revoked or declined): its version guards the
/// change and its slot is freed for a new invitation (R6, R9, R11).
fn close(before: &Invitation, now: Time, status: InvitationStatus, actor: Actor, action: &str, event: EventType) -> Tx {
    let mut inv = before.clone();
    inv.status = status;
    match status {
        InvitationStatus::Revoked => inv.revoked_at = Some(now),
        InvitationStatus::Declined => inv.declined_at = Some(now),
        _ => {}
    }
    inv.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Invitation(inv.clone()), expected_version: before.version },
        DomainError::InvitationNotPending,
    )
    .guarded(
        Write::ReleaseSlot { practice_id: inv.practice_id, email_norm: inv.email_norm.clone(), invitation: inv.id },
        DomainError::InvitationNotPending,
    )
    .push(Write::Create(practice_audit(
        &inv,
        now,
        actor,
        action,
        json!({"status": "pending"}),
        json!({"status": inv.status}),
    )))
    .push(Write::Create(outbox_event(now, event, event_detail(&inv))));
    // A closed invitation no longer holds its role (R23).
    release_role(&mut tx, inv.practice_id, &inv.access.role_id);
    tx
}

/// What a link may still do: pending and unexpired (R7, R9).
fn ensure_open(inv: &Invitation, now: Time) -> Result<(), DomainError> {
    match inv.status_at(now) {
        InvitationStatus::Pending => Ok(()),
        InvitationStatus::Expired => Err(DomainError::InvitationExpired),
        InvitationStatus::Revoked => Err(DomainError::InvitationRevoked),
        InvitationStatus::Accepted | InvitationStatus::Declined => Err(DomainError::InvitationNotPending),
    }
}

/// The item that finds `inv` from its link's token (R7), kept until the
/// invitation stops being listed (R35).
fn link_token(inv: &Invitation) -> Record {
    Record::InvitationToken(InvitationToken {
        token_hash: inv.token_hash.clone(),
        practice_id: inv.practice_id,
        invitation_id: inv.id,
        email_norm: Some(inv.email_norm.clone()),
        keep_until: inv.expires_at + chrono::Duration::days(LISTED_AFTER_EXPIRY_DAYS),
    })
}

async fn by_token(app: &App, token: &str) -> Result<Invitation, DomainError> {
    app.store.invitation_by_token(&token_hash(token)?).await?.ok_or(DomainError::NotFound)
}

/// The stored hash of a link's token; a token no link could carry names
/// nothing.
fn token_hash(token: &str) -> Result<String, DomainError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(DomainError::NotFound);
    }
    Ok(secrets::sha256_hex(token))
}

/// The invitations open to the caller from their own list (R11): pending
/// and unexpired, to their address. Anyone can sign up with any address, so
/// the list is empty until the address is verified: otherwise signing up as
/// a new hire's email would be enough to join their practice. `/me`'s count,
/// the list, and accept/decline by id all go through here.
pub async fn open_to(app: &App, caller: &Caller) -> Result<Vec<Invitation>, DomainError> {
    if !caller.user.email_verified {
        return Ok(Vec::new());
    }
    let now = app.now();
    Ok(app
        .store
        .pending_invitations_for(&caller.user.email_norm)
        .await?
        .into_iter()
        .filter(|i| i.status_at(now) == InvitationStatus::Pending)
        .collect())
}

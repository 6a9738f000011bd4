//! The streak of failed attempts at a user's secrets (R25, R40): wrong
//! passwords and codes at sign-in, and the wrong current password or code
//! a signed-in user gives to change the password or turn the second factor
//! off. Each attempt is counted on `Key::LoginFailures` before it is
//! judged; the fifth failure in a row locks.

use super::user_copies::{active_practice_scopes, copy_user_onto};
use super::writes::{audit_event, commit, outbox_event, outbox_mail};
use crate::error::DomainError;
use crate::mail;
use crate::model::*;
use crate::ports::{App, Key, Tx, Write};
use serde_json::json;

/// R25: the fifth failed sign-in in a row locks.
pub const LOCK_AFTER: u32 = 5;

/// One attempt at the user's password or code by a signed-in user (R40):
/// the current password on `POST /me/password`, the password and code on
/// `DELETE /me/mfa/totp`. Otherwise a stolen session could guess them
/// without limit. Counted before it is judged, as at sign-in, so racing
/// attempts each learn their place: a wrong one is `wrong` (the route's own
/// answer) until the fifth in a row, which locks (`423`); a right one past
/// the fifth is refused. A right one takes its count back rather than
/// ending the streak: it is no sign-in, and must not wipe out the failures
/// of someone guessing at `POST /auth/login` meanwhile.
pub(crate) async fn judge_attempt(app: &App, user: &User, right: bool, wrong: DomainError) -> Result<(), DomainError> {
    let place = app.store.count_attempt(Key::LoginFailures(user.id), false).await?.unwrap_or(u32::MAX);
    if !right {
        return Err(match judge_failure(app, user, place).await {
            DomainError::InvalidCredentials => wrong,
            other => other,
        });
    }
    if place > LOCK_AFTER {
        return Err(DomainError::AccountLocked);
    }
    app.store.forget_attempt(Key::LoginFailures(user.id)).await?;
    Ok(())
}

/// The error for the failure counted at `place` in the streak: the fifth
/// and later lock, and of racing locks exactly one commits.
pub(crate) async fn judge_failure(app: &App, user: &User, place: u32) -> DomainError {
    if place < LOCK_AFTER {
        return DomainError::InvalidCredentials;
    }
    match lock(app, user).await {
        Ok(()) => DomainError::AccountLocked,
        Err(e) => e,
    }
}

/// What one transaction may carry besides the lock itself and its mail,
/// event and the user's own audit: the copies and audits of this many
/// memberships (two writes each, within DynamoDB's 100).
const LOCK_MEMBERSHIPS_PER_TX: usize = 45;

async fn lock(app: &App, user: &User) -> Result<(), DomainError> {
    let now = app.now();
    let memberships = app.store.memberships_of_user(user.id).await?;
    let mut locked = user.clone();
    locked.locked = true;
    let mail = mail::render(
        "account_locked",
        &user.email,
        json!({
            "first_name": user.first_name,
            "attempts": LOCK_AFTER,
            "reset_link": format!("{}/reset-password", app.config.app_base_url),
        }),
    )?;
    let audit = |scope| {
        Write::Create(audit_event(
            scope,
            now,
            Actor::system(),
            "user.locked",
            Target::new("user", user.id),
            json!({"locked": false}),
            json!({"locked": true, "failed_sign_ins": LOCK_AFTER}),
        ))
    };
    let mut chunks = memberships.chunks(LOCK_MEMBERSHIPS_PER_TX);
    let first = chunks.next().unwrap_or_default();
    let mut tx = Tx::new();
    // Already locked: a racing failure won. The streak broken by a success
    // meanwhile: this failure is only a failure.
    tx.guarded(Write::LockUser { user_id: user.id }, DomainError::AccountLocked)
        .guarded(
            Write::CheckFailures { key: Key::LoginFailures(user.id), at_least: LOCK_AFTER },
            DomainError::InvalidCredentials,
        )
        .push(audit(AuditScope::User(user.id)))
        .push(Write::Create(outbox_mail(now, mail)))
        .push(Write::Create(outbox_event(now, "UserLocked", json!({"user_id": user.id}))));
    copy_user_onto(&mut tx, first, &locked);
    active_practice_scopes(first).for_each(|scope| {
        tx.push(audit(scope));
    });
    commit(app, tx).await?;
    // A user in more practices than one transaction holds: the lock stands
    // already; the rest of the copies and audits follow.
    for chunk in chunks {
        let mut tx = Tx::new();
        copy_user_onto(&mut tx, chunk, &locked);
        active_practice_scopes(chunk).for_each(|scope| {
            tx.push(audit(scope));
        });
        if let Err(e) = commit(app, tx).await {
            tracing::error!(user = %user.id, error = %e, "lock copied to only some memberships");
        }
    }
    Ok(())
}

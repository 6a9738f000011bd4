//! Sessions (R29): issued at sign-in, resolved from the bearer token on
//! every request, ended by logout or by a change of the user's epoch.

use super::context::Caller;
use super::views::SessionView;
use super::writes::commit;
use crate::error::DomainError;
use crate::ids::{PracticeId, UserId};
use crate::model::*;
use crate::ports::{App, Key, Tx, Write};
use crate::secrets;
use chrono::Duration;

/// R29
pub const SESSION_HOURS: i64 = 12;

/// A new session of `user` and the token that names it; only the token's
/// hash is stored.
pub fn new_session(user: &User, now: Time) -> (Session, SessionView) {
    let token = secrets::new_session_token(user.id);
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let session = Session {
        user_id: user.id,
        token_hash: secrets::sha256_hex(&token),
        epoch: user.session_epoch,
        created_at: now,
        expires_at,
        enroll_only: false,
    };
    (session, SessionView { token, expires_at })
}

/// A signed-in caller, and what the request's practice holds for them: the
/// practice, their membership if active, and its support grant (R30).
pub struct Authenticated {
    pub caller: Caller,
    pub practice: Option<Practice>,
    pub membership: Option<Membership>,
    pub support_grant: Option<SupportGrant>,
}

/// Resolve a bearer token to a live session (R29): the session must exist,
/// be unexpired on read (TTL may lag, R35) and carry the user's current
/// session epoch. Any failure is the same `401`.
pub async fn authenticate(app: &App, token: &str, practice: Option<PracticeId>) -> Result<Authenticated, DomainError> {
    let (user_id, hash) = secrets::parse_session_token(token).ok_or(DomainError::Unauthenticated)?;
    let bundle = app.store.auth_bundle(user_id, &hash, practice).await?;
    let (Some(session), Some(user)) = (bundle.session, bundle.user) else {
        return Err(DomainError::Unauthenticated);
    };
    if session.expires_at <= app.now() || session.epoch != user.session_epoch || session.user_id != user.id {
        return Err(DomainError::Unauthenticated);
    }
    Ok(Authenticated {
        caller: Caller { user, session },
        practice: bundle.practice,
        // R19: a deactivated membership gives nothing, from the next request on.
        membership: bundle.membership.filter(Membership::is_active),
        support_grant: bundle.support_grant,
    })
}

/// Whether any practice the user is an active member of requires a second
/// factor (R28).
pub async fn required_somewhere(app: &App, user: UserId) -> Result<bool, DomainError> {
    let memberships = app.store.memberships_of_user(user).await?;
    Ok(memberships.iter().any(|m| m.is_active() && m.access.mfa_required))
}

/// `POST /auth/logout`: the session item goes at once.
pub async fn logout(app: &App, caller: &Caller) -> Result<(), DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::Delete(Key::Session { user_id: caller.user.id, token_hash: caller.session.token_hash.clone() }));
    commit(app, tx).await
}

//! Sessions (R29): issued at sign-in, resolved from the bearer token on
//! every request, ended by logout or by a change of the user's epoch. A
//! practice's policy (R48) is applied here, from the practice item read
//! with the session: its idle limit and its required second factor.

use super::context::Caller;
use super::views::{SessionItemView, SessionView};
use super::writes::{audit_event, commit};
use crate::error::DomainError;
use crate::ids::{PracticeId, SessionId, UserId};
use crate::model::*;
use crate::ports::{App, Key, Tx, Write, MAX_WRITES};
use crate::secrets;
use crate::validate::plain_only;
use chrono::Duration;
use serde_json::json;

/// R29
pub const SESSION_HOURS: i64 = 12;
/// A session's recorded last use moves at most this often (R48): a write
/// a minute per session, not one a request.
pub const TOUCH_EVERY_SECS: i64 = 60;
/// The user agent kept with a session (R49), in characters: enough for any
/// browser's, and a client sending more learns nothing by it.
pub const USER_AGENT_MAX: usize = 256;

/// A new session of `user` and the token that names it; only the token's
/// hash is stored.
pub fn new_session(user: &User, now: Time, user_agent: Option<&str>) -> (Session, SessionView) {
    let token = secrets::new_session_token(user.id);
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let session = Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: secrets::sha256_hex(&token),
        epoch: user.session_epoch,
        created_at: now,
        expires_at,
        enroll_only: false,
        last_used_at: None,
        longest_idle_secs: 0,
        user_agent: user_agent.map(user_agent_label).filter(|s| !s.is_empty()),
    };
    (session, SessionView { token, expires_at })
}

/// A client's user agent as kept: without control, line-breaking,
/// invisible or direction-changing characters (it is shown in a list, where
/// a right-to-left override would make it read as another device, and may
/// reach a log line), cut to `USER_AGENT_MAX`.
fn user_agent_label(raw: &str) -> String {
    plain_only(raw).take(USER_AGENT_MAX).collect::<String>().trim().to_string()
}

/// A signed-in caller, and what the request's practice holds for them: the
/// practice, their membership if active, and its support grant (R30).
pub struct Authenticated {
    pub caller: Caller,
    pub practice: Option<Practice>,
    pub membership: Option<Membership>,
    pub support_grant: Option<SupportGrant>,
    /// The member's emergency access, open or not: `member_ctx` decides.
    pub emergency: Option<EmergencyPointer>,
}

impl Authenticated {
    /// Whether the practice requires this caller to hold a second factor
    /// (R28): their membership says so, or its policy does for every member
    /// (R48), directors and whoever set it included. Only for a member: a
    /// stranger learns nothing of a practice's policy, and a support agent
    /// is held by their own account's rules.
    pub fn factor_required_here(&self) -> bool {
        match (&self.membership, &self.practice) {
            (Some(m), Some(p)) => m.access.mfa_required || p.security_policy.require_mfa,
            _ => false,
        }
    }
}

/// Resolve a bearer token to a live session (R29): the session must exist,
/// be unexpired on read (TTL may lag, R35) and carry the user's current
/// session epoch. Any failure is the same `401`. In a practice, a session
/// that went unused longer than its policy allows is `401 session_idle`
/// there (R48). A use is recorded at most once a minute.
pub async fn authenticate(app: &App, token: &str, practice: Option<PracticeId>) -> Result<Authenticated, DomainError> {
    let (user_id, hash) = secrets::parse_session_token(token).ok_or(DomainError::Unauthenticated)?;
    let bundle = app.store.auth_bundle(user_id, &hash, practice).await?;
    let (Some(session), Some(user)) = (bundle.session, bundle.user) else {
        return Err(DomainError::Unauthenticated);
    };
    let now = app.now();
    if session.expires_at <= now || session.epoch != user.session_epoch || session.user_id != user.id {
        return Err(DomainError::Unauthenticated);
    }
    let limit = match &bundle.practice {
        Some(p) => Some(p.security_policy.session_idle_minutes),
        None => strictest_limit(app, &session, now).await?,
    };
    if limit.is_some_and(|minutes| session.idle_secs(now) > i64::from(minutes) * 60) {
        return Err(DomainError::SessionIdle);
    }
    record_use(app, &session, now).await;
    Ok(Authenticated {
        caller: Caller { user, session },
        practice: bundle.practice,
        // R19: a deactivated membership gives nothing, from the next request on.
        membership: bundle.membership.filter(Membership::is_active),
        support_grant: bundle.support_grant,
        emergency: bundle.emergency,
    })
}

/// The idle limit outside any practice (`/me`, logout aside): the
/// strictest of the practices the user is an active member of (R48), so a
/// session idle in any of them reads none of their data through `GET /me`
/// and changes nothing of the account. A user in no practice has none.
/// Read (a Query and a BatchGetItem) only once the session went unused
/// longer than the shortest limit a policy may set: before that no policy
/// can call it idle.
async fn strictest_limit(app: &App, session: &Session, now: Time) -> Result<Option<u32>, DomainError> {
    if session.idle_secs(now) <= i64::from(*SESSION_IDLE_MINUTES.start()) * 60 {
        return Ok(None);
    }
    let memberships = app.store.memberships_of_user(session.user_id).await?;
    let ids: Vec<PracticeId> = memberships.iter().filter(|m| m.is_active()).map(|m| m.practice_id).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let practices = app.store.practices(&ids).await?;
    Ok(practices.iter().map(|p| p.security_policy.session_idle_minutes).min())
}

/// `POST /auth/logout` of a session too idle to be let in anywhere else:
/// whoever holds the token may end it, and nothing else.
pub async fn end_idle(app: &App, token: &str) -> Result<(), DomainError> {
    let (user_id, token_hash) = secrets::parse_session_token(token).ok_or(DomainError::Unauthenticated)?;
    let mut tx = Tx::new();
    tx.push(Write::Delete(Key::Session { user_id, token_hash }));
    commit(app, tx).await
}

/// Record that `session` is in use, if its last record is a minute old or
/// more. Awaited, not left running: a Lambda may freeze once it answers,
/// and one conditional UpdateItem a minute costs a few milliseconds. It
/// never fails the request: a use not recorded only makes the session
/// look idle sooner.
async fn record_use(app: &App, session: &Session, now: Time) {
    if (now - session.last_used()).num_seconds() < TOUCH_EVERY_SECS {
        return;
    }
    if let Err(e) = app.store.touch_session(session, now, session.idle_secs(now)).await {
        tracing::warn!(error = %e, "could not record a session's use");
    }
}

/// Whether any practice the user is an active member of requires a second
/// factor of them (R28). A practice's policy (R48) is not read here: it is
/// applied on every request in the practice (`factor_required_here`).
pub async fn required_somewhere(app: &App, user: UserId) -> Result<bool, DomainError> {
    let memberships = app.store.memberships_of_user(user).await?;
    Ok(memberships.iter().any(|m| m.is_active() && m.access.mfa_required))
}

/// `required_somewhere`, or a practice the user is an active member of
/// requires a second factor of every member (R48): what keeps the factor
/// on (R40). The practices are one BatchGetItem, only when no membership
/// decides it.
pub async fn required_anywhere(app: &App, user: UserId) -> Result<bool, DomainError> {
    let memberships = app.store.memberships_of_user(user).await?;
    let active: Vec<&Membership> = memberships.iter().filter(|m| m.is_active()).collect();
    if active.iter().any(|m| m.access.mfa_required) {
        return Ok(true);
    }
    if active.is_empty() {
        return Ok(false);
    }
    let ids: Vec<PracticeId> = active.iter().map(|m| m.practice_id).collect();
    Ok(app.store.practices(&ids).await?.iter().any(|p| p.security_policy.require_mfa))
}

/// `POST /auth/logout`: the session item goes at once.
pub async fn logout(app: &App, caller: &Caller) -> Result<(), DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::Delete(Key::Session { user_id: caller.user.id, token_hash: caller.session.token_hash.clone() }));
    commit(app, tx).await
}

/// The most session items one request reads (one Query page). A person
/// has a handful; only someone signing in again and again (a script, or a
/// thief holding the password) gets near it. Then the list shows this many,
/// and `DELETE /me/sessions` ends this many per call (ten transactions),
/// well inside a request's time: a second call ends the rest, and a
/// password change ends them all at once.
pub const SESSIONS_READ: usize = 1000;

/// The caller's live sessions (R49): those still valid, as `authenticate`
/// judges them (unexpired, of the user's current epoch), TTL lag aside.
async fn live_sessions(app: &App, caller: &Caller) -> Result<Vec<Session>, DomainError> {
    let now = app.now();
    let all = app.store.sessions_of_user(caller.user.id, SESSIONS_READ).await?;
    Ok(all.into_iter().filter(|s| s.expires_at > now && s.epoch == caller.user.session_epoch).collect())
}

/// `GET /me/sessions` (R49), newest first.
pub async fn list_sessions(app: &App, caller: &Caller) -> Result<Vec<SessionItemView>, DomainError> {
    let mut live = live_sessions(app, caller).await?;
    live.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    Ok(live
        .iter()
        .map(|s| SessionItemView {
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used(),
            user_agent: s.user_agent.clone(),
            current: s.token_hash == caller.session.token_hash,
        })
        .collect())
}

/// `DELETE /me/sessions/{id}` (R49): one of the caller's own sessions; an
/// id that is not one of theirs (another user's included) is `404`.
pub async fn end_session(app: &App, caller: &Caller, id: SessionId) -> Result<(), DomainError> {
    let live = live_sessions(app, caller).await?;
    let session = live.into_iter().find(|s| s.id == id).ok_or(DomainError::NotFound)?;
    end(app, caller, &[session]).await
}

/// `DELETE /me/sessions` (R49): every session of the caller but this one.
pub async fn end_other_sessions(app: &App, caller: &Caller) -> Result<(), DomainError> {
    let live = live_sessions(app, caller).await?;
    let others: Vec<Session> = live.into_iter().filter(|s| s.token_hash != caller.session.token_hash).collect();
    end(app, caller, &others).await
}

/// Deletes `sessions`, audited once per transaction; as many transactions
/// as 100 writes each need (R37). Each deletion stands alone, so a later
/// transaction failing leaves the earlier ones done, and a retry finishes.
async fn end(app: &App, caller: &Caller, sessions: &[Session]) -> Result<(), DomainError> {
    let now = app.now();
    for chunk in sessions.chunks(MAX_WRITES - 1) {
        let ids: Vec<SessionId> = chunk.iter().map(|s| s.id).collect();
        let mut tx = Tx::new();
        for s in chunk {
            tx.push(Write::Delete(Key::Session { user_id: s.user_id, token_hash: s.token_hash.clone() }));
        }
        tx.push(Write::Create(audit_event(
            AuditScope::User(caller.user.id),
            now,
            Actor::user(&caller.user),
            "session.ended",
            Target::new("user", caller.user.id),
            json!({"session_ids": ids}),
            json!(null),
        )));
        commit(app, tx).await?;
    }
    Ok(())
}

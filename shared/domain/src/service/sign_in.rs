//! Signing in (R24, R25, R28): the password step and the second step with
//! a TOTP code, and the streak of failed attempts that locks (R25), which
//! a wrong current password or code given by a signed-in user counts in too
//! (R40).

use super::session::{new_session, required_somewhere};
use super::user_copies::copy_lock;
use super::views::SessionView;
use super::writes::{audit_event, commit, commit_with, outbox_event, outbox_mail};
use crate::error::DomainError;
use crate::ids::{EventId, PracticeId, UserId};
use crate::mail;
use crate::metrics::{self, Count};
use crate::model::*;
use crate::ports::{App, Key, Record, Tx, Write};
use crate::secrets;
use crate::validate::Errors;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// R28: the second step of a sign-in lives five minutes...
pub const MFA_TOKEN_MINUTES: i64 = 5;
/// ...and dies at its fifth wrong code.
pub const MFA_ATTEMPTS: u32 = 5;
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
    /// The client's `User-Agent`, kept with the session it opens (R49);
    /// the handler's to fill, never the body's.
    #[serde(skip)]
    pub user_agent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginInput {
    pub mfa_token: Option<String>,
    pub code: Option<String>,
    /// The client's `User-Agent`, kept with the session it opens (R49);
    /// the handler's to fill, never the body's.
    #[serde(skip)]
    pub user_agent: Option<String>,
}

/// What a correct password leads to.
pub enum SignIn {
    Session(SessionView),
    /// The second step (R28): the `mfa_token` to send with a code.
    SecondFactor(String),
}

/// How many stand-in accounts unknown emails are spread over (R24).
const STAND_INS: u8 = 64;

/// The user id that attempts for an address with no account count against:
/// one of `STAND_INS`, picked by the address. No account has it (accounts'
/// ids are v7 UUIDs, which carry their creation time; these carry none).
/// Spread over a few, so that no single item takes every guess at unknown
/// addresses (DynamoDB limits the writes one item takes a second); a few
/// only, so that guesses never add an item per address tried.
fn stand_in(email_norm: &str) -> UserId {
    let hash = secrets::sha256_hex(email_norm);
    let bucket = u8::from_str_radix(hash.get(..2).unwrap_or("00"), 16).unwrap_or(0) % STAND_INS;
    UserId(Uuid::from_u128(0x8000_8000_0000_0000_0000 | u128::from(bucket)))
}

/// The user an email names, with the id whose streak an attempt counts in:
/// for an address without an account, a stand-in's, read all the same (and
/// found absent), so that an unknown email then makes the same round trips
/// as a known one with a wrong password (R24).
async fn account_for(app: &App, email_norm: &str) -> Result<(UserId, Option<User>), DomainError> {
    let id = match app.store.email_claim(email_norm).await? {
        Some(claim) => claim.user_id,
        None => stand_in(email_norm),
    };
    Ok((id, app.store.user(id).await?))
}

/// `POST /auth/login`. An unknown email and a wrong password answer alike and
/// take alike (R24): both read an email claim and a user, pay for one Argon2
/// verification, and count a failed attempt, in that order. A locked user
/// is told so whatever the password (R25), once it has been checked, so the
/// answer takes as long. An input that is no email address cannot name an
/// account, which the caller knows without timing anything.
pub async fn login(app: &App, input: LoginInput) -> Result<SignIn, DomainError> {
    let result = login_checked(app, input).await;
    match &result {
        Ok(SignIn::Session(_)) => metrics::count(Count::SignIns, 1),
        Err(DomainError::InvalidCredentials | DomainError::AccountLocked) => metrics::count(Count::SignInFailures, 1),
        _ => {}
    }
    result
}

async fn login_checked(app: &App, input: LoginInput) -> Result<SignIn, DomainError> {
    let mut e = Errors::new();
    if input.email.as_deref().map(str::trim).unwrap_or("").is_empty() {
        e.add("email", "is required");
    }
    if input.password.as_deref().unwrap_or("").is_empty() {
        e.add("password", "is required");
    }
    e.finish()?;
    let password = input.password.unwrap_or_default();
    let Some((_, norm)) = crate::validate::parse_email(input.email.as_deref().unwrap_or("")) else {
        secrets::burn_password_check(&password);
        return Err(DomainError::InvalidCredentials);
    };
    let (counted, user) = account_for(app, &norm).await?;
    let Some(user) = user else {
        secrets::burn_password_check(&password);
        // Counted for the work alone: if the store refuses (a stand-in
        // throttled by guesses aimed at it), the answer is still the 401 a
        // wrong password gets, never an error that tells the two apart.
        if let Err(e) = app.store.count_attempt(Key::LoginFailures(counted), false).await {
            tracing::warn!(error = %e, "could not count an attempt at an unknown email");
        }
        return Err(DomainError::InvalidCredentials);
    };
    let right = secrets::verify_password(&password, &user.password_hash);
    if user.locked {
        return Err(DomainError::AccountLocked);
    }
    password_checked(app, &user, right, input.user_agent.as_deref()).await
}

/// A new session after a full sign-in: it ends the streak of attempts
/// (R25), and commits only if no lock committed first.
async fn start_session(
    app: &App,
    user: &User,
    enroll_only: bool,
    totp_step: Option<u64>,
    user_agent: Option<&str>,
) -> Result<(Tx, SessionView), DomainError> {
    let now = app.now();
    let (mut session, view) = new_session(user, now, user_agent);
    session.enroll_only = enroll_only;
    let mut tx = Tx::new();
    tx.guarded(Write::ConfirmSignIn { user_id: user.id, totp_step }, DomainError::AccountLocked)
        .push(Write::Put(Record::Session(session)))
        .push(Write::Delete(Key::LoginFailures(user.id)))
        .push(Write::Create(audit_event(
            AuditScope::User(user.id),
            now,
            Actor::user(user),
            "session.created",
            Target::new("user", user.id),
            json!(null),
            json!({"expires_at": view.expires_at, "enroll_only": enroll_only}),
        )));
    Ok((tx, view))
}

/// After the password was checked (`right` or not) for a user who was not
/// locked when read. Every attempt is counted before it is judged, so
/// however many run at once only the first five of a streak can succeed:
/// the fifth wrong one locks, and a right one past the fifth is refused
/// (R25).
pub async fn password_checked(
    app: &App,
    user: &User,
    right: bool,
    user_agent: Option<&str>,
) -> Result<SignIn, DomainError> {
    let place = app.store.count_attempt(Key::LoginFailures(user.id), false).await?.unwrap_or(u32::MAX);
    if !right {
        return Err(judge_failure(app, user, place).await);
    }
    if place > LOCK_AFTER {
        return Err(DomainError::AccountLocked);
    }
    let now = app.now();
    if user.mfa_enabled {
        // The sign-in is not over: its code is counted when it comes.
        app.store.forget_attempt(Key::LoginFailures(user.id)).await?;
        let token = secrets::random_secret();
        let challenge = MfaChallenge {
            token_hash: secrets::sha256_hex(&token),
            user_id: user.id,
            created_at: now,
            expires_at: now + Duration::minutes(MFA_TOKEN_MINUTES),
            epoch: user.session_epoch,
        };
        let mut tx = Tx::new();
        tx.push(Write::Create(Record::Challenge(challenge)));
        commit(app, tx).await?;
        return Ok(SignIn::SecondFactor(token));
    }
    let enroll_only = required_somewhere(app, user.id).await?;
    let (tx, view) = start_session(app, user, enroll_only, None, user_agent).await?;
    commit(app, tx).await?;
    Ok(SignIn::Session(view))
}

/// `POST /auth/login/mfa`: the second step. Each code tried is counted,
/// before it is judged, on the token (five tries each) and in the streak of
/// sign-in attempts, so a wrong code counts towards the lock like a wrong
/// password however many run at once; a right code works once.
pub async fn login_mfa(app: &App, input: MfaLoginInput) -> Result<SessionView, DomainError> {
    let result = login_mfa_checked(app, input).await;
    match &result {
        Ok(_) => metrics::count(Count::SignIns, 1),
        Err(DomainError::InvalidCredentials | DomainError::AccountLocked) => metrics::count(Count::MfaFailures, 1),
        _ => {}
    }
    result
}

async fn login_mfa_checked(app: &App, input: MfaLoginInput) -> Result<SessionView, DomainError> {
    let mut e = Errors::new();
    let token = input.mfa_token.unwrap_or_default();
    let code = input.code.unwrap_or_default();
    if token.trim().is_empty() {
        e.add("mfa_token", "is required");
    }
    if code.trim().is_empty() {
        e.add("code", "is required");
    }
    e.finish()?;
    let now = app.now();
    let hash = secrets::sha256_hex(token.trim());
    let challenge = app.store.challenge(&hash).await?.filter(|c| c.expires_at > now);
    let Some(challenge) = challenge else { return Err(DomainError::InvalidCredentials) };
    let tries = app.store.count_attempt(Key::Challenge(hash.clone()), true).await?;
    if tries.is_none_or(|n| n > MFA_ATTEMPTS) {
        let mut tx = Tx::new();
        tx.push(Write::Delete(Key::Challenge(hash)));
        commit(app, tx).await?;
        return Err(DomainError::InvalidCredentials);
    }
    let user = app.store.user(challenge.user_id).await?.ok_or(DomainError::InvalidCredentials)?;
    if user.locked {
        return Err(DomainError::AccountLocked);
    }
    // The sessions this challenge would join have ended since it was
    // issued (a password change or a reset; a lock answers above, R29): so has it.
    if challenge.epoch != user.session_epoch {
        return Err(DomainError::InvalidCredentials);
    }
    let place = app.store.count_attempt(Key::LoginFailures(user.id), false).await?.unwrap_or(u32::MAX);
    let secret = user.totp_secret.as_deref().filter(|_| user.mfa_enabled);
    let Some(step) = secret.and_then(|s| secrets::totp_step(s, &code, now)) else {
        return Err(judge_failure(app, &user, place).await);
    };
    if place > LOCK_AFTER {
        return Err(DomainError::AccountLocked);
    }
    let (mut tx, view) = start_session(app, &user, false, Some(step), input.user_agent.as_deref()).await?;
    // Single use: of two racing uses of one token, one session.
    tx.guarded(Write::DeleteExisting(Key::Challenge(hash)), DomainError::InvalidCredentials);
    match commit(app, tx).await {
        // The lock committed first, or the code was used already: the same
        // code twice is a failed attempt (RFC 6238, 5.2).
        Err(DomainError::AccountLocked) => Err(if app.store.user(user.id).await?.is_some_and(|u| u.locked) {
            DomainError::AccountLocked
        } else {
            judge_failure(app, &user, place).await
        }),
        other => other.map(|()| view),
    }
}

// ---- The streak of failed attempts and the lock (R25, R40) ----------------

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

async fn lock(app: &App, user: &User) -> Result<(), DomainError> {
    let now = app.now();
    let memberships = app.store.memberships_of_user(user.id).await?;
    let mut locked = user.clone();
    locked.locked = true;
    // What `LockUser` makes of the version this user was read at.
    locked.version += 1;
    let (practices, more_practices) = who_can_unlock(app, user.id, &memberships).await;
    let mail = mail::render(
        "account_locked",
        &user.email,
        json!({
            "first_name": user.first_name,
            "attempts": LOCK_AFTER,
            "reset_link": format!("{}/reset-password", app.config.app_base_url),
            "practices": practices,
            "more_practices": more_practices,
        }),
    )?;
    let audit = PracticeAudit {
        at: now,
        actor: Actor::system(),
        action: "user.locked".into(),
        target: Target::new("user", user.id),
        before: json!({"locked": false}),
        after: json!({"locked": true, "failed_sign_ins": LOCK_AFTER}),
    };
    let mut tx = Tx::new();
    // Already locked: a racing failure won. The streak broken by a success
    // meanwhile: this failure is only a failure.
    tx.guarded(Write::LockUser { user_id: user.id }, DomainError::AccountLocked)
        .guarded(
            Write::CheckFailures { key: Key::LoginFailures(user.id), at_least: LOCK_AFTER },
            DomainError::InvalidCredentials,
        )
        .push(Write::Create(Record::Audit(audit.event(AuditScope::User(user.id), EventId::new()))))
        .push(Write::Create(outbox_mail(now, mail)))
        .push(Write::Create(outbox_event(now, EventType::UserLocked, json!({"user_id": user.id}))));
    // However many practices the user is in, the lock commits alone and at
    // once; the copies the members lists filter on follow (R37).
    commit_with(app, tx, [copy_lock(&memberships, &locked, audit)]).await?;
    metrics::count(Count::AccountLocks, 1);
    Ok(())
}

/// How many of a locked user's practices the lock mail names, and how many
/// directors of each (R47): enough for anyone but a locum in dozens, whose
/// mail says how many more.
const PRACTICES_NAMED: usize = 10;
const DIRECTORS_NAMED: usize = 5;

/// Whom a locked user can ask to unlock them (R47): the practices they are
/// active in, by name, each with its directors' names (as the practice
/// shows them) and addresses; and how many practices are left unnamed. A
/// read that fails shortens the list; the mail still goes.
async fn who_can_unlock(app: &App, locked: UserId, memberships: &[Membership]) -> (Vec<serde_json::Value>, usize) {
    let ids: Vec<PracticeId> = memberships.iter().filter(|m| m.is_active()).map(|m| m.practice_id).collect();
    let mut practices = match app.store.practices(&ids).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "lock mail names no practice: could not read them");
            return (Vec::new(), 0);
        }
    };
    practices.sort_by_key(|p| p.name.to_lowercase());
    let more = practices.len().saturating_sub(PRACTICES_NAMED);
    practices.truncate(PRACTICES_NAMED);
    let directors = futures::future::join_all(practices.iter().map(|p| app.store.directors(p.id))).await;
    let listed = practices
        .iter()
        .zip(directors)
        .map(|(p, found)| {
            // The locked user cannot unlock themselves, director or not.
            let active: Vec<Membership> =
                found.unwrap_or_default().into_iter().filter(|d| d.is_active() && d.user_id != locked).collect();
            let named: Vec<serde_json::Value> = active
                .iter()
                .take(DIRECTORS_NAMED)
                .map(|d| json!({"name": d.name.as_ref().map(|n| n.display_name.clone()), "email": d.email}))
                .collect();
            json!({"name": p.name, "directors": named, "more_directors": active.len().saturating_sub(DIRECTORS_NAMED)})
        })
        .collect();
    (listed, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    // R24: unknown emails count against a few fixed ids that no account can
    // have (accounts' are v7), the same one each time for one address.
    #[test]
    fn stand_ins_are_few_fixed_and_no_accounts() {
        let ids: HashSet<UserId> = (0..1000).map(|i| stand_in(&format!("u{i}@clinic.example"))).collect();
        assert!(ids.len() <= usize::from(STAND_INS) && ids.len() > usize::from(STAND_INS) / 2, "{}", ids.len());
        assert!(ids.iter().all(|id| id.0.get_version_num() == 8));
        assert_eq!(stand_in("a@b.example"), stand_in("a@b.example"));
        assert_eq!(UserId::new().0.get_version_num(), 7);
    }
}

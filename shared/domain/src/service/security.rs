//! Account security: the lock after failed sign-ins (R25), unlock and
//! temporary passwords (R26), password reset (R27), the TOTP second factor
//! (R28) and the sessions that go with them (R29).

use super::auth::new_session;
use super::views::{MemberView, SessionView};
use super::{audit_event, commit, outbox_event, outbox_mail, Caller, MemberCtx};
use crate::error::DomainError;
use crate::ids::UserId;
use crate::mail;
use crate::model::*;
use crate::permissions::{DIRECTOR, USERS_MANAGE};
use crate::ports::{App, Key, Record, Tx, Write};
use crate::secrets;
use crate::validate::Errors;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

/// R25: the fifth failed sign-in in a row locks.
pub const LOCK_AFTER: u32 = 5;
/// R27
pub const RESET_MINUTES: i64 = 60;
/// R28: the second step of a sign-in lives five minutes...
pub const MFA_TOKEN_MINUTES: i64 = 5;
/// ...and dies at its fifth wrong code.
pub const MFA_ATTEMPTS: u32 = 5;
/// How often a transaction that lost a race for the user's version is tried
/// again on a fresh read before the caller is told.
const ATTEMPTS: usize = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginInput {
    pub mfa_token: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetInput {
    pub token: Option<String>,
    pub new_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporaryPasswordInput {
    pub temporary_password: Option<String>,
}

/// What a correct password leads to.
pub enum SignIn {
    Session(SessionView),
    /// The second step (R28): the `mfa_token` to send with a code.
    SecondFactor(String),
}

#[derive(Debug, serde::Serialize)]
pub struct TotpEnrollment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// Whether this session may only enroll a second factor (R28): it was
/// issued to a user who had to enroll, or the practice it acts in requires
/// one, and the user has none yet.
pub fn must_enroll(caller: &Caller, membership: Option<&Membership>) -> bool {
    !caller.user.mfa_enabled && (caller.session.enroll_only || membership.is_some_and(|m| m.mfa_required))
}

/// Whether any practice the user is an active member of requires a second
/// factor (R28).
async fn required_somewhere(app: &App, user: UserId) -> Result<bool, DomainError> {
    let memberships = app.store.memberships_of_user(user).await?;
    Ok(memberships.iter().any(|m| m.status == MemberStatus::Active && m.mfa_required))
}

/// A new session after a full sign-in: it ends the streak of attempts
/// (R25), and commits only if no lock committed first.
async fn start_session(
    app: &App,
    user: &User,
    enroll_only: bool,
    totp_step: Option<u64>,
) -> Result<(Tx, SessionView), DomainError> {
    let now = app.now();
    let (mut session, view) = new_session(user, now);
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
pub async fn password_checked(app: &App, user: &User, right: bool) -> Result<SignIn, DomainError> {
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
        };
        let mut tx = Tx::new();
        tx.push(Write::Create(Record::Challenge(challenge)));
        commit(app, tx).await?;
        return Ok(SignIn::SecondFactor(token));
    }
    let enroll_only = required_somewhere(app, user.id).await?;
    let (tx, view) = start_session(app, user, enroll_only, None).await?;
    commit(app, tx).await?;
    Ok(SignIn::Session(view))
}

/// The error for the failure counted at `place` in the streak: the fifth
/// and later lock, and of racing locks exactly one commits.
async fn judge_failure(app: &App, user: &User, place: u32) -> DomainError {
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
    super::members::mirror_writes(&mut tx, first, &locked);
    practice_scopes(first).for_each(|scope| {
        tx.push(audit(scope));
    });
    commit(app, tx).await?;
    // A user in more practices than one transaction holds: the lock stands
    // already; the rest of the copies and audits follow.
    for chunk in chunks {
        let mut tx = Tx::new();
        super::members::mirror_writes(&mut tx, chunk, &locked);
        practice_scopes(chunk).for_each(|scope| {
            tx.push(audit(scope));
        });
        if let Err(e) = commit(app, tx).await {
            tracing::error!(user = %user.id, error = %e, "lock copied to only some memberships");
        }
    }
    Ok(())
}

/// The audit scopes of the practices a user is an active member of.
fn practice_scopes(memberships: &[Membership]) -> impl Iterator<Item = AuditScope> + '_ {
    memberships.iter().filter(|m| m.status == MemberStatus::Active).map(|m| AuditScope::Practice(m.practice_id))
}

/// `POST /auth/login/mfa`: the second step. Each code tried is counted,
/// before it is judged, on the token (five tries each) and in the streak of
/// sign-in attempts, so a wrong code counts towards the lock like a wrong
/// password however many run at once; a right code works once.
pub async fn login_mfa(app: &App, input: MfaLoginInput) -> Result<SessionView, DomainError> {
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
    let place = app.store.count_attempt(Key::LoginFailures(user.id), false).await?.unwrap_or(u32::MAX);
    let secret = user.totp_secret.as_deref().filter(|_| user.mfa_enabled);
    let Some(step) = secret.and_then(|s| secrets::totp_step(s, &code, now)) else {
        return Err(judge_failure(app, &user, place).await);
    };
    if place > LOCK_AFTER {
        return Err(DomainError::AccountLocked);
    }
    let (mut tx, view) = start_session(app, &user, false, Some(step)).await?;
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

/// `POST /me/mfa/totp`: a fresh secret, pending until confirmed with a code.
pub async fn enroll_totp(app: &App, caller: &Caller) -> Result<TotpEnrollment, DomainError> {
    if caller.user.mfa_enabled {
        return Err(DomainError::Conflict("mfa_enabled"));
    }
    let secret = secrets::new_totp_secret();
    let mut user = caller.user.clone();
    user.totp_pending = Some(secret.clone());
    user.updated_at = app.now();
    user.version += 1;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(user), expected_version: caller.user.version });
    commit(app, tx).await?;
    Ok(TotpEnrollment { otpauth_uri: secrets::totp_uri(&secret, &caller.user.email), secret })
}

/// `POST /me/mfa/totp/confirm`: a code from the pending secret turns the
/// second factor on, and with it an enroll-only session becomes whole (R28).
pub async fn confirm_totp(app: &App, caller: &Caller, input: CodeInput) -> Result<(), DomainError> {
    let code = input.code.unwrap_or_default();
    let now = app.now();
    let Some(secret) = caller.user.totp_pending.clone() else {
        return Err(DomainError::field("code", "start enrollment first (POST /me/mfa/totp)"));
    };
    if !secrets::totp_matches(&secret, &code, now) {
        return Err(DomainError::field("code", "is not the current code"));
    }
    set_second_factor(app, caller, Some(secret), now).await
}

/// `DELETE /me/mfa/totp`: with a current code, and not while a practice of
/// the user requires a second factor.
pub async fn disable_totp(app: &App, caller: &Caller, input: CodeInput) -> Result<(), DomainError> {
    let before = &caller.user;
    let Some(secret) = before.totp_secret.as_deref().filter(|_| before.mfa_enabled) else {
        return Ok(());
    };
    let now = app.now();
    if !secrets::totp_matches(secret, input.code.as_deref().unwrap_or(""), now) {
        return Err(DomainError::field("code", "is not the current code"));
    }
    if required_somewhere(app, before.id).await? {
        return Err(DomainError::Conflict("mfa_required"));
    }
    set_second_factor(app, caller, None, now).await
}

/// Turns the second factor on with `secret`, or off with `None`, audited.
async fn set_second_factor(app: &App, caller: &Caller, secret: Option<String>, now: Time) -> Result<(), DomainError> {
    let before = &caller.user;
    let enabled = secret.is_some();
    let mut user = before.clone();
    user.totp_secret = secret;
    user.totp_pending = None;
    user.mfa_enabled = enabled;
    user.updated_at = now;
    user.version += 1;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(user), expected_version: before.version }).push(Write::Create(
        audit_event(
            AuditScope::User(before.id),
            now,
            Actor::user(before),
            if enabled { "user.mfa_enabled" } else { "user.mfa_disabled" },
            Target::new("user", before.id),
            json!({"mfa_enabled": before.mfa_enabled}),
            json!({"mfa_enabled": enabled}),
        ),
    ));
    commit(app, tx).await
}

/// `POST /auth/password-reset`: the same `202` whether the email exists or
/// not (R27); the caller evens out the time.
pub async fn request_password_reset(app: &App, input: EmailInput) -> Result<(), DomainError> {
    let Some((_, norm)) = crate::validate::parse_email(input.email.as_deref().unwrap_or("")) else {
        return Ok(());
    };
    let Some(claim) = app.store.email_claim(&norm).await? else { return Ok(()) };
    let Some(user) = app.store.user(claim.user_id).await? else { return Ok(()) };
    let now = app.now();
    let token = secrets::random_secret();
    let record = EmailToken {
        token_hash: secrets::sha256_hex(&token),
        purpose: TokenPurpose::PasswordReset,
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::minutes(RESET_MINUTES),
        epoch: Some(user.session_epoch),
    };
    let mail = mail::render(
        "password_reset",
        &user.email,
        json!({
            "first_name": user.first_name,
            "link": format!("{}/reset-password/{}", app.config.app_base_url, token),
            "valid_minutes": RESET_MINUTES,
        }),
    )?;
    let mut tx = Tx::new();
    tx.push(Write::Put(Record::Token(record)))
        .push(Write::Create(audit_event(
            AuditScope::User(user.id),
            now,
            Actor::system(),
            "user.password_reset_requested",
            Target::new("user", user.id),
            json!(null),
            json!({"expires_at": now + Duration::minutes(RESET_MINUTES)}),
        )))
        .push(Write::Create(outbox_mail(now, mail)));
    commit(app, tx).await
}

/// `POST /auth/password-reset/confirm`: single use, one hour, dead once the
/// password changed since it was sent; sets the password, unlocks and ends
/// every session (R27, R29).
pub async fn confirm_password_reset(app: &App, input: ResetInput) -> Result<(), DomainError> {
    let mut e = Errors::new();
    let token = input.token.unwrap_or_default();
    if token.trim().is_empty() {
        e.add("token", "is required");
    }
    let new_password = e.password("new_password", input.new_password.as_deref());
    e.finish()?;
    let hash = secrets::sha256_hex(token.trim());
    let password_hash = secrets::hash_password(&new_password)?;
    for attempt in 1..=ATTEMPTS {
        let now = app.now();
        let record = app.store.token(&hash).await?;
        let Some(record) = record.filter(|t| t.purpose == TokenPurpose::PasswordReset && t.expires_at > now) else {
            return Err(DomainError::TokenGone);
        };
        let (user, memberships) =
            futures::try_join!(async { app.store.user(record.user_id).await.map_err(DomainError::from) }, async {
                app.store.memberships_of_user(record.user_id).await.map_err(DomainError::from)
            },)?;
        let user = user.ok_or(DomainError::TokenGone)?;
        if record.epoch != Some(user.session_epoch) {
            return Err(DomainError::TokenGone);
        }
        let mut updated = user.clone();
        updated.password_hash = password_hash.clone();
        updated.must_change_password = false;
        updated.locked = false;
        updated.session_epoch += 1;
        updated.updated_at = now;
        updated.version += 1;
        let mut tx = Tx::new();
        tx.guarded(Write::DeleteExisting(Key::Token(hash.clone())), DomainError::TokenGone)
            .push(Write::Replace { record: Record::User(updated.clone()), expected_version: user.version })
            .push(Write::Delete(Key::LoginFailures(user.id)))
            .push(Write::Create(audit_event(
                AuditScope::User(user.id),
                now,
                Actor::user(&user),
                "user.password_reset",
                Target::new("user", user.id),
                json!({"locked": user.locked, "must_change_password": user.must_change_password}),
                json!({"locked": false, "must_change_password": false}),
            )));
        if user.locked {
            unlock_writes(&mut tx, &memberships, &updated, Actor::user(&user), None, now);
        }
        match commit(app, tx).await {
            // The user changed meanwhile (locked by a racing failure, say):
            // the token is still unused, so read again.
            Err(DomainError::PreconditionFailed) if attempt < ATTEMPTS => continue,
            other => return other,
        }
    }
    Err(DomainError::PreconditionFailed)
}

/// What unlocking a user writes besides the user: every membership's copy
/// of the lock, the audit in each of the user's practices (or only in the
/// acting one), and `UserUnlocked`.
fn unlock_writes(
    tx: &mut Tx,
    memberships: &[Membership],
    unlocked: &User,
    actor: Actor,
    practice: Option<crate::ids::PracticeId>,
    now: Time,
) {
    super::members::mirror_writes(tx, memberships, unlocked);
    let scopes: Vec<AuditScope> = match practice {
        Some(p) => vec![AuditScope::Practice(p)],
        None => practice_scopes(memberships).collect(),
    };
    for scope in scopes {
        tx.push(Write::Create(audit_event(
            scope,
            now,
            actor.clone(),
            "user.unlocked",
            Target::new("user", unlocked.id),
            json!({"locked": true}),
            json!({"locked": false}),
        )));
    }
    tx.push(Write::Create(outbox_event(
        now,
        "UserUnlocked",
        json!({"user_id": unlocked.id, "practice_id": practice, "by": actor.user_id}),
    )));
}

/// `POST .../unlock` (R26): by `users.manage` of any practice the user is an
/// active member of, optionally with a temporary password.
pub async fn unlock(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: TemporaryPasswordInput,
) -> Result<MemberView, DomainError> {
    admin_reset(app, ctx, uid, true, input.temporary_password).await
}

/// `POST .../temporary-password` (R26): the user must change it at the next
/// sign-in, and every session of theirs ends.
pub async fn set_temporary_password(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: TemporaryPasswordInput,
) -> Result<(), DomainError> {
    if input.temporary_password.is_none() {
        return Err(DomainError::field("temporary_password", "is required"));
    }
    admin_reset(app, ctx, uid, false, input.temporary_password).await.map(|_| ())
}

/// A temporary password hands its setter the account, so it is only for an
/// account that holds nothing beyond this practice and nothing the setter
/// lacks (DOMAIN.md is silent; see the issue note): no membership of another
/// practice, active or not, no pending invitation, not a support agent's
/// address, and no permission the setter does not hold (so a director's only
/// for a director). Otherwise 403; the user can reset by email (R27).
async fn may_hand_over(
    app: &App,
    ctx: &MemberCtx,
    member: &Membership,
    user: &User,
    memberships: &[Membership],
    custom: &[Role],
) -> Result<(), DomainError> {
    let elsewhere = memberships.iter().any(|m| m.practice_id != member.practice_id);
    let held = super::permissions_of(member, custom);
    let beyond_setter = !ctx.is_director() && (member.role_id == DIRECTOR || held.iter().any(|k| !ctx.can(k)));
    if elsewhere || beyond_setter || super::support::is_agent_address(app, &user.email_norm) {
        return Err(DomainError::Forbidden);
    }
    if !app.store.pending_invitations_for(&user.email_norm).await?.is_empty() {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

async fn admin_reset(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    unlock: bool,
    temporary_password: Option<String>,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let password_hash = match temporary_password.as_deref() {
        Some(p) => {
            let mut e = Errors::new();
            let p = e.password("temporary_password", Some(p));
            e.finish()?;
            Some(secrets::hash_password(&p)?)
        }
        None => None,
    };
    let pid = ctx.practice.id;
    for attempt in 1..=ATTEMPTS {
        let (member, user, memberships, custom) = futures::try_join!(
            async { app.store.membership(pid, uid).await.map_err(DomainError::from) },
            async { app.store.user(uid).await.map_err(DomainError::from) },
            async { app.store.memberships_of_user(uid).await.map_err(DomainError::from) },
            async { app.store.roles(pid).await.map_err(DomainError::from) },
        )?;
        let (Some(member), Some(user)) = (member, user) else { return Err(DomainError::NotFound) };
        if member.status != MemberStatus::Active {
            return Err(DomainError::MemberDeactivated);
        }
        if password_hash.is_some() {
            may_hand_over(app, ctx, &member, &user, &memberships, &custom).await?;
        }
        let now = app.now();
        let mut updated = user.clone();
        let unlocking = unlock && user.locked;
        if unlocking {
            updated.locked = false;
        }
        if let Some(h) = &password_hash {
            updated.password_hash = h.clone();
            updated.must_change_password = true;
            updated.session_epoch += 1;
        }
        if !unlocking && password_hash.is_none() {
            return Ok(MemberView::new(&member, &user, &custom));
        }
        updated.updated_at = now;
        updated.version += 1;
        let mut tx = Tx::new();
        tx.guarded(ctx.still_authorized()?, DomainError::Forbidden)
            .push(Write::Replace { record: Record::User(updated.clone()), expected_version: user.version });
        if unlock {
            tx.push(Write::Delete(Key::LoginFailures(uid)));
        }
        if unlocking {
            unlock_writes(&mut tx, &memberships, &updated, ctx.actor(), Some(pid), now);
        }
        if password_hash.is_some() {
            tx.push(Write::Create(audit_event(
                AuditScope::Practice(pid),
                now,
                ctx.actor(),
                "user.temporary_password_set",
                Target::new("user", uid),
                json!({"must_change_password": user.must_change_password}),
                json!({"must_change_password": true, "sessions_ended": true}),
            )));
        }
        match commit(app, tx).await {
            Ok(()) => {
                let mut member = member;
                member.locked = updated.locked;
                return Ok(MemberView::new(&member, &updated, &custom));
            }
            Err(DomainError::PreconditionFailed) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DomainError::PreconditionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PracticeId;

    fn caller(mfa_enabled: bool, enroll_only: bool) -> Caller {
        let now = chrono::Utc::now();
        let user = User {
            mfa_enabled,
            ..User::new("a@b.co".into(), "a@b.co".into(), "A".into(), "B".into(), String::new(), now)
        };
        let (mut session, _) = new_session(&user, now);
        session.enroll_only = enroll_only;
        Caller { user, session }
    }

    fn membership(user: &User, mfa_required: bool) -> Membership {
        let now = chrono::Utc::now();
        let lid = crate::ids::LocationId::new();
        Membership { mfa_required, ..Membership::new(PracticeId::new(), user, Kind::Staff, "front_desk", lid, now) }
    }

    // R28: a session may only enroll while its user has no second factor and
    // either the session was issued for enrollment or the practice requires one.
    #[test]
    fn who_must_enroll_first() {
        let plain = caller(false, false);
        assert!(!must_enroll(&plain, None));
        assert!(!must_enroll(&plain, Some(&membership(&plain.user, false))));
        assert!(must_enroll(&plain, Some(&membership(&plain.user, true))));
        let issued = caller(false, true);
        assert!(must_enroll(&issued, None));
        assert!(must_enroll(&issued, Some(&membership(&issued.user, false))));
        let enrolled = caller(true, true);
        assert!(!must_enroll(&enrolled, None));
        assert!(!must_enroll(&enrolled, Some(&membership(&enrolled.user, true))));
    }

    // R30, R35: a grant is dead at its expiry, whatever the sweep did.
    #[test]
    fn a_grant_is_active_until_its_expiry_only() {
        let now = chrono::Utc::now();
        let grant = SupportGrant {
            practice_id: PracticeId::new(),
            granted_by: InvitedBy { user_id: UserId::new(), name: "A B".into() },
            granted_at: now,
            expires_at: now + Duration::days(super::super::support::GRANT_DAYS),
            version: 1,
        };
        assert!(grant.active_at(now));
        assert!(grant.active_at(now + Duration::days(7) - Duration::seconds(1)));
        assert!(!grant.active_at(now + Duration::days(7)));
    }
}

//! Getting back into an account (R26, R27): password reset by email, and
//! unlock and temporary passwords by a practice's administrators.

use super::context::MemberCtx;
use super::mail_feedback;
use super::mail_limits::count_one_more;
use super::members::{target, Acted};
use super::support::is_agent_address;
use super::user_copies::copy_user;
use super::views::MemberView;
use super::writes::{audit_event, commit, commit_with, outbox_event, outbox_mail};
use crate::error::DomainError;
use crate::ids::{EventId, PracticeId, UserId};
use crate::mail;
use crate::model::*;
use crate::permissions::USERS_MANAGE;
use crate::ports::{App, AskedMail, AskedMailKeys, FanOut, Key, Record, Tx, Write};
use crate::secrets;
use crate::timing::{no_sooner_than, RESET_REQUEST_FLOOR};
use crate::validate::{ensure_strong, Errors};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use std::future::Future;

/// R27
pub const RESET_MINUTES: i64 = 60;
/// How often a transaction that lost a race for the user's version is tried
/// again on a fresh read before the caller is told.
const ATTEMPTS: usize = 3;

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

/// `POST /auth/password-reset` as its caller sees it (R27): the same answer
/// (nothing, here; `202` over HTTP) no sooner than `RESET_REQUEST_FLOOR`,
/// whatever happened. A failure to store or mail is for the logs, not for
/// the caller to learn from.
pub async fn request_password_reset<S>(app: &App, input: EmailInput, sleep: impl FnOnce(std::time::Duration) -> S)
where
    S: Future<Output = ()>,
{
    let outcome = no_sooner_than(RESET_REQUEST_FLOOR, send_password_reset(app, input), sleep).await;
    if let Err(e) = outcome {
        tracing::error!(error = %e, "password reset request failed");
    }
}

/// R41: at most this many reset mails to one account within any hour.
pub const RESET_MAILS_PER_HOUR: usize = 3;
/// How often a reset request reads the mails sent and tries to count its
/// own. A request loses a race only to another's mail that committed after
/// its read, so one that lost this many less one times in a row finds the
/// limit reached on its last read: racing requests send exactly the limit.
const RESET_MAIL_READS: usize = RESET_MAILS_PER_HOUR + 1;

/// The work of a reset request: a token and its mail, for an address with
/// an account and fewer than three such mails in the hour before (R41);
/// nothing otherwise. The count is a condition of the transaction that
/// writes the token and the mail, so no two racing requests both count as
/// the third.
async fn send_password_reset(app: &App, input: EmailInput) -> Result<(), DomainError> {
    let Some((_, norm)) = crate::validate::parse_email(input.email.as_deref().unwrap_or("")) else {
        return Ok(());
    };
    let Some(claim) = app.store.email_claim(&norm).await? else { return Ok(()) };
    let purpose = TokenPurpose::PasswordReset;
    for read in 1..=RESET_MAIL_READS {
        let keys = AskedMailKeys { user: claim.user_id, read_user: true, purpose, email_norm: &norm };
        let AskedMail { user, sent, mark } = app.store.asked_mail(keys).await?;
        let Some(user) = user else { return Ok(()) };
        let now = app.now();
        let Some(count) =
            count_one_more(sent.as_ref(), user.id, purpose, now, RESET_MAILS_PER_HOUR, Some(user.session_epoch))
        else {
            tracing::info!(user = %user.id, "password reset mail withheld: three sent within the hour (R41)");
            return Ok(());
        };
        let mut tx = reset_mail(app, &user, now)?;
        tx.guarded(count, DomainError::PreconditionFailed);
        // Issue 14: a reset is asked for the account's own sake, so a bounce
        // is tried again; R41's three an hour bound what that costs. A
        // complaint stays, since anyone may ask for a reset.
        mail_feedback::lift_bounce(app, mark.as_ref()).await?;
        match commit(app, tx).await {
            // Another request's mail counted first: read again.
            Err(DomainError::PreconditionFailed) if read < RESET_MAIL_READS => continue,
            other => return other,
        }
    }
    Ok(())
}

/// A reset token for `user`, its mail and its audit, as one transaction.
fn reset_mail(app: &App, user: &User, now: Time) -> Result<Tx, DomainError> {
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
    Ok(tx)
}

/// `POST /auth/password-reset/confirm`: single use, one hour, dead once the
/// password changed since it was sent; sets the password, unlocks and ends
/// every session (R27, R29), verifies the email (R39) and, for an account
/// never verified before, removes any second factor (R40).
pub async fn confirm_password_reset(app: &App, input: ResetInput) -> Result<(), DomainError> {
    let mut e = Errors::new();
    let token = input.token.unwrap_or_default();
    if token.trim().is_empty() {
        e.add("token", "is required");
    }
    // Strength is judged, and the password hashed, only once the token
    // proved who asks: a bad token is 410 without the estimator's or
    // Argon2id's work, and the owner's words are known by then.
    let new_password = e.password_length("new_password", input.new_password.as_deref()).unwrap_or_default();
    e.finish()?;
    let hash = secrets::sha256_hex(token.trim());
    let mut password_hash = None;
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
        if password_hash.is_none() {
            ensure_strong("new_password", &new_password, &[&user.email, &user.first_name, &user.last_name])?;
            password_hash = Some(secrets::hash_password(&new_password)?);
        }
        let mut updated = user.clone();
        updated.password_hash = password_hash.clone().unwrap_or_default();
        updated.must_change_password = false;
        updated.locked = false;
        updated.session_epoch += 1;
        // The mail's link proves the mailbox, so the email is verified (R39).
        // An account never verified before may have been set up by someone
        // squatting the address: any second factor they enrolled goes, or it
        // would still stand between the owner and the account (R40).
        let squatted = !user.email_verified;
        updated.email_verified = true;
        if squatted {
            updated.totp_secret = None;
            updated.totp_pending = None;
            updated.mfa_enabled = false;
        }
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
                json!({"locked": user.locked, "must_change_password": user.must_change_password,
                    "email_verified": user.email_verified, "mfa_enabled": user.mfa_enabled}),
                json!({"locked": false, "must_change_password": false,
                    "email_verified": true, "mfa_enabled": updated.mfa_enabled}),
            )));
        let fan_out =
            user.locked.then(|| unlock_writes(&mut tx, &memberships, &updated, Actor::user(&user), None, now));
        match commit_with(app, tx, fan_out).await {
            // The user changed meanwhile (locked by a racing failure, say):
            // the token is still unused, so read again.
            Err(DomainError::PreconditionFailed) if attempt < ATTEMPTS => continue,
            other => return other,
        }
    }
    Err(DomainError::PreconditionFailed)
}

/// What unlocking a user writes besides the user: `UserUnlocked` and, by
/// the acting practice, its audit there, into `tx`; and the fan-out of
/// every membership's copy of the lock, with the audit in each of the
/// user's practices when no practice acted (R37).
fn unlock_writes(
    tx: &mut Tx,
    memberships: &[Membership],
    unlocked: &User,
    actor: Actor,
    practice: Option<PracticeId>,
    now: Time,
) -> FanOut {
    let audit = PracticeAudit {
        at: now,
        actor: actor.clone(),
        action: "user.unlocked".into(),
        target: Target::new("user", unlocked.id),
        before: json!({"locked": true}),
        after: json!({"locked": false}),
    };
    tx.push(Write::Create(outbox_event(
        now,
        EventType::UserUnlocked,
        json!({"user_id": unlocked.id, "practice_id": practice, "by": actor.user_id}),
    )));
    match practice {
        Some(p) => {
            tx.push(Write::Create(Record::Audit(audit.event(AuditScope::Practice(p), EventId::new()))));
            copy_user(memberships, unlocked, None)
        }
        None => copy_user(memberships, unlocked, Some(audit)),
    }
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
    let held = member.permissions(custom);
    let beyond_setter = !ctx.is_director() && (member.access.is_director() || held.iter().any(|k| !ctx.holds(k)));
    if elsewhere || beyond_setter || is_agent_address(app, &user.email_norm) {
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
    // Nobody unlocks or resets themselves as an administrator: a locked
    // user has no session (R29), and their own password changes through
    // the password routes, which ask for the current one or the mailbox.
    if uid == ctx.caller.user.id {
        return Err(DomainError::Forbidden);
    }
    // Strength is judged, and the password hashed, once the member is read
    // and the caller may hand them a password (R36): the estimator and
    // Argon2id run for no one else, and with the member's own words.
    if let Some(p) = temporary_password.as_deref() {
        let mut e = Errors::new();
        e.password_length("temporary_password", Some(p));
        e.finish()?;
    }
    let mut password_hash = None;
    let pid = ctx.practice.id;
    for attempt in 1..=ATTEMPTS {
        // The user's memberships, for the lock's copies and for who else
        // knows them, live in another partition: queried beside the batch.
        let (read, memberships) = futures::try_join!(target(app, ctx, uid, None, &[]), async {
            app.store.memberships_of_user(uid).await.map_err(DomainError::from)
        })?;
        let Acted { member, user, roles: custom, .. } = read;
        if member.status != MemberStatus::Active {
            return Err(DomainError::MemberDeactivated);
        }
        if let Some(p) = temporary_password.as_deref() {
            may_hand_over(app, ctx, &member, &user, &memberships, &custom).await?;
            if password_hash.is_none() {
                ensure_strong("temporary_password", p, &[&user.email, &user.first_name, &user.last_name])?;
                password_hash = Some(secrets::hash_password(p)?);
            }
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
        let fan_out = unlocking.then(|| unlock_writes(&mut tx, &memberships, &updated, ctx.actor(), Some(pid), now));
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
        match commit_with(app, tx, fan_out).await {
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

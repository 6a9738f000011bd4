//! Proving the email address (R39): the mailed link, a new one on request
//! (at most three an hour, each killing the ones before), and the link in
//! the welcome mail of an account made with a temporary password (R13).

use super::context::Caller;
use super::mail_feedback;
use super::mail_limits::count_one_more;
use super::writes::{audit_event, commit, outbox_mail};
use crate::error::DomainError;
use crate::mail;
use crate::model::*;
use crate::ports::{App, AskedMail, AskedMailKeys, Key, Record, Tx, Write};
use crate::secrets;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

/// Not fixed by the spec; two days leaves room for a weekend.
pub const VERIFY_EMAIL_HOURS: i64 = 48;
/// R39: new verification mails a user may ask for within any hour.
pub const RESENDS_PER_HOUR: usize = 3;
/// How often a resend reads again after another request changed the user
/// or counted a mail first.
const READS: usize = RESENDS_PER_HOUR + 1;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub token: Option<String>,
}

/// A verification token for `user` and the link that carries it. The token
/// holds the user's verification epoch: a newer link moves the epoch on,
/// and the older ones die (R39).
pub fn verification_link(app: &App, user: &User, now: Time) -> (EmailToken, String) {
    let token = secrets::random_secret();
    let record = EmailToken {
        token_hash: secrets::sha256_hex(&token),
        purpose: TokenPurpose::VerifyEmail,
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::hours(VERIFY_EMAIL_HOURS),
        epoch: Some(user.verify_epoch),
    };
    (record, format!("{}/verify-email/{}", app.config.app_base_url, token))
}

/// A verification token for `user` and its mail.
pub fn verification_mail(app: &App, user: &User, now: Time) -> Result<(EmailToken, Mail), DomainError> {
    let (record, link) = verification_link(app, user, now);
    let mail = mail::render(
        "verify_email",
        &user.email,
        json!({
            "first_name": user.first_name,
            "email": user.email,
            "link": link,
            "valid_hours": VERIFY_EMAIL_HOURS,
        }),
    )?;
    Ok((record, mail))
}

/// `POST /auth/verify-email`: single use, expiry checked on read (R35), and
/// only the newest link the user was sent (R39).
pub async fn verify_email(app: &App, input: TokenInput) -> Result<(), DomainError> {
    let token = input.token.unwrap_or_default();
    if token.trim().is_empty() {
        return Err(DomainError::field("token", "is required"));
    }
    let hash = secrets::sha256_hex(token.trim());
    let now = app.now();
    let record = app.store.token(&hash).await?;
    let Some(record) = record.filter(|t| t.purpose == TokenPurpose::VerifyEmail && t.expires_at > now) else {
        return Err(DomainError::TokenGone);
    };
    let user = app.store.user(record.user_id).await?.ok_or(DomainError::TokenGone)?;
    // Links sent before epochs were kept carry none, as epoch 0.
    if record.epoch.unwrap_or(0) != user.verify_epoch {
        return Err(DomainError::TokenGone);
    }
    let mut updated = user.clone();
    updated.email_verified = true;
    updated.updated_at = now;
    updated.version += 1;
    let mut tx = Tx::new();
    tx.guarded(Write::DeleteExisting(Key::Token(hash)), DomainError::TokenGone)
        .push(Write::Replace { record: Record::User(updated), expected_version: user.version })
        .push(Write::Create(audit_event(
            AuditScope::User(user.id),
            now,
            Actor::user(&user),
            "user.email_verified",
            Target::new("user", user.id),
            json!({"email_verified": user.email_verified}),
            json!({"email_verified": true}),
        )));
    commit(app, tx).await
}

/// `POST /auth/verify-email/resend` (signed in, R39): a new link, the older
/// ones dead; `409` once verified, `429` after three within the hour.
pub async fn resend_verification(app: &App, caller: &Caller) -> Result<(), DomainError> {
    let purpose = TokenPurpose::VerifyEmail;
    let uid = caller.user.id;
    for read in 1..=READS {
        // The request read the user with the session already; only a retry
        // after a race needs it again.
        let fresh = read > 1;
        let keys = AskedMailKeys { user: uid, read_user: fresh, purpose, email_norm: &caller.user.email_norm };
        let AskedMail { user, sent, mark } = app.store.asked_mail(keys).await?;
        let user = if fresh { user } else { Some(caller.user.clone()) };
        let user = user.ok_or(DomainError::Unauthenticated)?;
        if user.email_verified {
            return Err(DomainError::Conflict("already_verified"));
        }
        let now = app.now();
        // Each resend moves the verification epoch on by design, so the
        // count spans epochs: none is given.
        let count =
            count_one_more(sent.as_ref(), uid, purpose, now, RESENDS_PER_HOUR, None).ok_or(DomainError::RateLimited)?;
        let mut updated = user.clone();
        updated.verify_epoch += 1;
        updated.updated_at = now;
        updated.version += 1;
        let (token, mail) = verification_mail(app, &updated, now)?;
        let mut tx = Tx::new();
        tx.guarded(
            Write::Replace { record: Record::User(updated), expected_version: user.version },
            DomainError::PreconditionFailed,
        )
        .guarded(count, DomainError::PreconditionFailed)
        .push(Write::Put(Record::Token(token)))
        .push(Write::Create(audit_event(
            AuditScope::User(uid),
            now,
            Actor::user(&user),
            "user.verification_resent",
            Target::new("user", uid),
            json!(null),
            json!({"expires_at": now + Duration::hours(VERIFY_EMAIL_HOURS)}),
        )))
        .push(Write::Create(outbox_mail(now, mail)));
        // Issue 14: the account's owner asks for this mail, so a bounce is
        // tried again (a complaint is not).
        mail_feedback::lift_bounce(app, mark.as_ref()).await?;
        match commit(app, tx).await {
            // The user changed, or another resend counted first: read again.
            Err(DomainError::PreconditionFailed) if read < READS => continue,
            other => return other,
        }
    }
    Err(DomainError::PreconditionFailed)
}

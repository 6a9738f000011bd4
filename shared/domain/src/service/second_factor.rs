//! The second factor (R28, R40): TOTP enrollment, confirmation and
//! removal, and who must enroll before doing anything else.

use super::context::Caller;
use super::session::required_anywhere;
use super::sign_in::judge_attempt;
use super::writes::{audit_event, commit};
use crate::error::{DomainError, FieldError};
use crate::model::*;
use crate::ports::{App, Record, Tx, Write};
use crate::secrets;
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub code: Option<String>,
}

/// `DELETE /me/mfa/totp` (R40): the current password as well as a code, so
/// a stolen session alone cannot take the factor off.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpInput {
    pub current_password: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct TotpEnrollment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// Whether this session may only enroll a second factor (R28): it was
/// issued to a user who had to enroll, or the practice it acts in requires
/// one of them (`required_here`), and the user has none yet.
pub fn must_enroll(caller: &Caller, required_here: bool) -> bool {
    !caller.user.mfa_enabled && (caller.session.enroll_only || required_here)
}

/// `POST /me/mfa/totp`: a fresh secret, pending until confirmed with a code.
/// Only for a verified email (R40): a factor enrolled by whoever signed up
/// with someone else's address would later stand between the owner and
/// their account.
pub async fn enroll_totp(app: &App, caller: &Caller) -> Result<TotpEnrollment, DomainError> {
    if caller.user.mfa_enabled {
        return Err(DomainError::Conflict("mfa_enabled"));
    }
    caller.ensure_verified()?;
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
    // A secret left pending from before enrollment needed a verified email
    // (R40) is not confirmed either.
    caller.ensure_verified()?;
    if !secrets::totp_matches(&secret, &code, now) {
        return Err(DomainError::field("code", "is not the current code"));
    }
    set_second_factor(app, caller, Some(secret), now).await
}

/// `DELETE /me/mfa/totp`: with the current password and a current code
/// (R40), and not while a practice of the user requires a second factor.
/// Nothing to turn off answers as done, whatever was sent. The attempt
/// counts in the sign-in streak (R40, R25): a wrong password or code is a
/// 422 naming it until the fifth failure in a row, which locks.
pub async fn disable_totp(app: &App, caller: &Caller, input: DisableTotpInput) -> Result<(), DomainError> {
    let before = &caller.user;
    let Some(secret) = before.totp_secret.as_deref().filter(|_| before.mfa_enabled) else {
        return Ok(());
    };
    let password = input.current_password.unwrap_or_default();
    let code = input.code.unwrap_or_default();
    let mut e = Errors::new();
    if password.is_empty() {
        e.add("current_password", "is required");
    }
    if code.trim().is_empty() {
        e.add("code", "is required");
    }
    e.finish()?;
    let now = app.now();
    // Both are judged, so the answer names every wrong one and takes as long.
    let mut wrong = Vec::new();
    if !secrets::verify_password(&password, &before.password_hash) {
        wrong.push(FieldError::new("current_password", "is not correct"));
    }
    if !secrets::totp_matches(secret, &code, now) {
        wrong.push(FieldError::new("code", "is not the current code"));
    }
    judge_attempt(app, before, wrong.is_empty(), DomainError::Validation(wrong)).await?;
    if required_anywhere(app, before.id).await? {
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

//! Accounts (R3, R24..R29): the user, the claim on their email, their
//! sessions, emailed tokens and second-factor challenges.

use crate::clock::Time;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// As typed, for display (R4).
    pub email: String,
    /// Trimmed and lower-cased, for comparison (R4).
    pub email_norm: String,
    #[serde(default)]
    pub title: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub email_verified: bool,
    /// Set by the fifth failed sign-in in a row (R25). The streak itself is
    /// counted on an item of its own, so wrong guesses never race a profile
    /// change for this record's version.
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub must_change_password: bool,
    #[serde(default)]
    pub mfa_enabled: bool,
    /// The confirmed TOTP secret, base32 (R28).
    #[serde(default)]
    pub totp_secret: Option<String>,
    /// A secret handed out by enrollment and not yet confirmed with a code.
    #[serde(default)]
    pub totp_pending: Option<String>,
    /// Sessions stamped with an older epoch are dead (R29): bumping it ends
    /// every session of the user in the same write that changes the password.
    #[serde(default)]
    pub session_epoch: u64,
    pub created_at: Time,
    pub updated_at: Time,
    pub version: u64,
}

impl User {
    /// A new account: unverified, unlocked, no second factor, first version.
    pub fn new(
        email: String,
        email_norm: String,
        first_name: String,
        last_name: String,
        password_hash: String,
        now: Time,
    ) -> Self {
        Self {
            id: UserId::new(),
            email,
            email_norm,
            title: None,
            first_name,
            last_name,
            password_hash,
            email_verified: false,
            locked: false,
            must_change_password: false,
            mfa_enabled: false,
            totp_secret: None,
            totp_pending: None,
            session_epoch: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_string()
    }
}

/// Claims an email for exactly one user (R3): created with the user, in the
/// same transaction, under a condition that it does not exist yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailClaim {
    pub email_norm: String,
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    /// SHA-256 of the bearer token, hex; the token itself is never stored.
    pub token_hash: String,
    pub epoch: u64,
    pub created_at: Time,
    pub expires_at: Time,
    /// Issued to a user who must enroll a second factor first (R28): until
    /// the user has one, the session may do nothing but enroll.
    #[serde(default)]
    pub enroll_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
}

/// A single-use emailed token (verification, password reset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailToken {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    pub created_at: Time,
    pub expires_at: Time,
    /// The user's session epoch when issued: a password reset token dies
    /// with any later password change or reset (R27).
    #[serde(default)]
    pub epoch: Option<u64>,
}

/// The second step of a sign-in with TOTP (R28): single use, five minutes,
/// and a handful of wrong codes. The store counts the wrong codes on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaChallenge {
    /// SHA-256 of the `mfa_token`, hex.
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Time,
    pub expires_at: Time,
    /// The user's session epoch when issued: the challenge dies with the
    /// sessions, by a password change, a reset or a lock (R29).
    #[serde(default)]
    pub epoch: u64,
}

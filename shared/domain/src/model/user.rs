//! Accounts (R3, R24..R29): the user, the claim on their email, their
//! sessions, emailed tokens and the mails lately sent (R41), and
//! second-factor challenges.

use crate::clock::Time;
use crate::ids::{SessionId, UserId};
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
    /// Verification links carry the epoch they were sent at; asking for a
    /// new link moves it on, so only the newest works (R39).
    #[serde(default)]
    pub verify_epoch: u64,
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
            verify_epoch: 0,
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
    /// What the user's list of sessions names it by (R49): random, so it
    /// says nothing about the token. Sessions made before ids existed get
    /// one when read, different each time; they live 12 hours at most.
    #[serde(default)]
    pub id: SessionId,
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
    /// The last use recorded (R48), at most once a minute
    /// (`Store::touch_session`); `None` until the first such record, and
    /// then absent from the item, as that write's condition expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Time>,
    /// The longest time, in seconds, this session went unused between two
    /// recorded uses: a practice whose idle limit it passed stays closed
    /// to it even once it is used again elsewhere (R48).
    #[serde(default)]
    pub longest_idle_secs: i64,
    /// As the client sent it at sign-in, cut to `USER_AGENT_MAX` (R49).
    #[serde(default)]
    pub user_agent: Option<String>,
}

impl Session {
    /// When the session was last known to be used.
    pub fn last_used(&self) -> Time {
        self.last_used_at.unwrap_or(self.created_at)
    }

    /// How long the session went unused at most, `now` included, in
    /// seconds.
    pub fn idle_secs(&self, now: Time) -> i64 {
        self.longest_idle_secs.max((now - self.last_used()).num_seconds())
    }
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

/// The mails of one purpose lately sent to a user, for a limit per hour
/// (R41: three reset mails). Holds only the times within the last hour,
/// oldest first, and is replaced under its version, so of racing requests
/// no two are let through on the same count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMails {
    pub user_id: UserId,
    pub purpose: TokenPurpose,
    pub sent_at: Vec<Time>,
    /// The epoch the mails' links belong to (a reset link dies with the
    /// session epoch, R27): mails whose links died count no more, so a
    /// lock right after three resets still leaves the owner a way back in.
    #[serde(default)]
    pub epoch: Option<u64>,
    /// An hour after the newest: from then on the record holds nothing
    /// that counts, and storage may drop it (R35).
    pub expires_at: Time,
    pub version: u64,
}

impl SentMails {
    /// The width of the limit's window.
    pub fn window() -> chrono::Duration {
        chrono::Duration::hours(1)
    }

    /// The record after one more mail at `now` whose link belongs to
    /// `epoch`, or `None` if `per_hour` were sent within the hour before it
    /// in the same epoch. Times that have left the window are dropped, as
    /// are mails of an older epoch, and a refused mail is not recorded, so
    /// the record never keeps anyone from mail for longer than an hour
    /// after the last one actually sent, nor while no link sent works.
    pub fn with_one_more(
        previous: Option<&SentMails>,
        user_id: UserId,
        purpose: TokenPurpose,
        now: Time,
        per_hour: usize,
        epoch: Option<u64>,
    ) -> Option<SentMails> {
        let since = now - Self::window();
        let mut sent_at: Vec<Time> = previous
            .filter(|p| p.epoch == epoch)
            .map(|p| p.sent_at.iter().copied().filter(|t| *t > since).collect())
            .unwrap_or_default();
        if sent_at.len() >= per_hour {
            return None;
        }
        sent_at.push(now);
        Some(SentMails {
            user_id,
            purpose,
            sent_at,
            epoch,
            expires_at: now + Self::window(),
            version: previous.map_or(1, |p| p.version + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};

    fn at(minute: i64) -> Time {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minute)
    }

    fn send(previous: Option<&SentMails>, minute: i64) -> Option<SentMails> {
        SentMails::with_one_more(previous, UserId::new(), TokenPurpose::PasswordReset, at(minute), 3, Some(0))
    }

    // R41: three within any hour, the fourth refused and not recorded, and
    // a mail again once the oldest is an hour old.
    #[test]
    fn three_an_hour_counted_over_the_hour_before_each() {
        let first = send(None, 0).unwrap();
        assert_eq!((first.version, first.expires_at), (1, at(60)));
        let second = send(Some(&first), 10).unwrap();
        let third = send(Some(&second), 20).unwrap();
        assert_eq!(third.sent_at, vec![at(0), at(10), at(20)]);
        assert_eq!(third.version, 3);
        assert!(send(Some(&third), 59).is_none());
        let fourth = send(Some(&third), 60).unwrap();
        assert_eq!(fourth.sent_at, vec![at(10), at(20), at(60)]);
        assert_eq!((fourth.version, fourth.expires_at), (4, at(120)));
        assert!(send(Some(&fourth), 69).is_none());
        assert_eq!(send(Some(&fourth), 200).unwrap().sent_at, vec![at(200)]);
    }

    // Mails whose links died with their epoch (a lock, a password change)
    // count no more: the owner is never left without a working link.
    #[test]
    fn a_new_epoch_starts_the_count_again() {
        let user = UserId::new();
        let reset = TokenPurpose::PasswordReset;
        let mut sent = None;
        for minute in 0..3 {
            sent = SentMails::with_one_more(sent.as_ref(), user, reset, at(minute), 3, Some(0));
        }
        assert!(SentMails::with_one_more(sent.as_ref(), user, reset, at(5), 3, Some(0)).is_none());
        let after_lock = SentMails::with_one_more(sent.as_ref(), user, reset, at(5), 3, Some(1)).unwrap();
        assert_eq!((after_lock.sent_at, after_lock.epoch, after_lock.version), (vec![at(5)], Some(1), 4));
    }
}

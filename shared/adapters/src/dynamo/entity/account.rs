//! A person's account: the user, the claim on their email, sessions, emailed
//! tokens and the mails lately sent, second-factor challenges and the streak
//! of failed sign-ins.

use super::{Entity, Keyed, Placement, Primary};
use crate::dynamo::keys::user_pk;
use roster_domain::ids::UserId;
use roster_domain::model::{EmailClaim, EmailToken, MfaChallenge, SentMails, Session, TokenPurpose, User};

impl Keyed for User {
    type KeyInput<'a> = UserId;
    fn primary_key(id: UserId) -> Primary {
        Primary::new(user_pk(id), "PROFILE")
    }
}

impl Entity for User {
    const TYPE: &'static str = "user";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key(self.id))
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

/// One user per email (R3): created with `attribute_not_exists(PK)`.
impl Keyed for EmailClaim {
    type KeyInput<'a> = &'a str;
    fn primary_key(email_norm: &str) -> Primary {
        Primary::new(format!("EMAIL#{email_norm}"), "EMAIL")
    }
}

impl Entity for EmailClaim {
    const TYPE: &'static str = "email_claim";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key(&self.email_norm))
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

/// In the user's partition, so a token `<uid>.<secret>` names its item
/// without an index (R29).
/// A user's sessions share their partition, so listing them (R49) is one
/// Query of it.
pub const SESSION_PREFIX: &str = "SESSION#";

impl Keyed for Session {
    type KeyInput<'a> = (UserId, &'a str);
    fn primary_key((user_id, token_hash): (UserId, &str)) -> Primary {
        Primary::new(user_pk(user_id), format!("{SESSION_PREFIX}{token_hash}"))
    }
}

impl Entity for Session {
    const TYPE: &'static str = "session";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement {
            ttl: Some(self.expires_at.timestamp()),
            ..Placement::new(Self::primary_key((self.user_id, &self.token_hash)))
        }
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

impl Keyed for EmailToken {
    type KeyInput<'a> = &'a str;
    fn primary_key(token_hash: &str) -> Primary {
        Primary::new(format!("TOKEN#{token_hash}"), "TOKEN")
    }
}

impl Entity for EmailToken {
    const TYPE: &'static str = "token";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement { ttl: Some(self.expires_at.timestamp()), ..Placement::new(Self::primary_key(&self.token_hash)) }
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

/// Beside the user, one item per purpose (R41).
impl Keyed for SentMails {
    type KeyInput<'a> = (UserId, TokenPurpose);
    fn primary_key((user_id, purpose): (UserId, TokenPurpose)) -> Primary {
        let purpose = match purpose {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::PasswordReset => "password_reset",
        };
        Primary::new(user_pk(user_id), format!("SENT#{purpose}"))
    }
}

impl Entity for SentMails {
    const TYPE: &'static str = "sent_mails";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement {
            ttl: Some(self.expires_at.timestamp()),
            ..Placement::new(Self::primary_key((self.user_id, self.purpose)))
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

/// The challenge also counts its wrong codes, in `failures` (R28).
impl Keyed for MfaChallenge {
    type KeyInput<'a> = &'a str;
    fn primary_key(token_hash: &str) -> Primary {
        Primary::new(format!("MFA#{token_hash}"), "MFA")
    }
}

impl Entity for MfaChallenge {
    const TYPE: &'static str = "mfa_challenge";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement { ttl: Some(self.expires_at.timestamp()), ..Placement::new(Self::primary_key(&self.token_hash)) }
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

/// A user's streak of failed sign-ins (R25): no record, only a counter that
/// `Store::count_attempt` makes on first use. Being an item of its own, it
/// never races a change of the user for the user's version. The item holds
/// its key and `failures`, and no `type`.
pub enum LoginFailures {}

impl Keyed for LoginFailures {
    type KeyInput<'a> = UserId;
    fn primary_key(user_id: UserId) -> Primary {
        Primary::new(user_pk(user_id), "LOGINFAIL")
    }
}

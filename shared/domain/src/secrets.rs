//! Passwords (Argon2id, R24) and bearer/link tokens (random, stored hashed).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::ids::UserId;

/// Argon2id with the crate's defaults (the OWASP baseline: 19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verifying against this costs what a real verification costs, so a sign-in
/// for an unknown email takes as long as one with a wrong password (R24).
pub fn burn_password_check(password: &str) {
    // A fixed, valid Argon2id hash of a random string nobody knows.
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$x9rbCnLr5oI2KqJwS2Rd7Y8b1pN1hQlA1Yb9pUPJf1E";
    let _ = verify_password(password, DUMMY);
}

/// 256 random bits, URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(s: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(s.as_ref());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session token names its user so that authentication reads the session
/// and the user (and the practice membership) in one round trip. The secret
/// part carries the 256 random bits; only the hash of the whole token is kept.
pub fn new_session_token(user: UserId) -> String {
    format!("{}.{}", user, random_secret())
}

pub fn parse_session_token(token: &str) -> Option<(UserId, String)> {
    let (uid, secret) = token.split_once('.')?;
    if secret.len() < 40 || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return None;
    }
    let user = uid.parse().ok()?;
    Some((user, sha256_hex(token)))
}

/// TOTP as R28 fixes it: RFC 6238 with SHA-1, 6 digits, 30-second steps,
/// one step of drift either way.
fn totp(secret_base32: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    // No skew here: `totp_step` tries the neighbouring steps itself, to know
    // which one the code belongs to.
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, TOTP_STEP_SECONDS, bytes).ok()
}

const TOTP_STEP_SECONDS: u64 = 30;

/// A new TOTP secret: 160 random bits (RFC 4226's recommendation), base32.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

/// The time step whose code `code` is, if it is the secret's code at `now`
/// give or take one step; the caller records it so a code works once.
pub fn totp_step(secret_base32: &str, code: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = u64::try_from(now.timestamp()).ok()? / TOTP_STEP_SECONDS;
    let totp = totp(secret_base32)?;
    // `check` compares in constant time.
    [step.saturating_sub(1), step, step + 1].into_iter().find(|s| totp.check(code, s * TOTP_STEP_SECONDS))
}

pub fn totp_matches(secret_base32: &str, code: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    totp_step(secret_base32, code, now).is_some()
}

/// The `otpauth://` URI authenticator apps read (as a QR code, usually).
pub fn totp_uri(secret_base32: &str, account: &str) -> String {
    // Everything but unreserved characters is escaped, so an email's `+`
    // or `%` cannot change the URI's meaning.
    let label: String = format!("Roster:{account}")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("otpauth://totp/{label}?secret={secret_base32}&issuer=Roster&algorithm=SHA1&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    // R28: RFC 6238's SHA-1 test vector (secret "12345678901234567890"),
    // truncated to 6 digits, with one step of drift and no more.
    #[test]
    fn totp_follows_rfc_6238_with_one_step_of_drift() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
        assert!(totp_matches(secret, "287082", at(59)));
        assert_eq!(totp_step(secret, "287082", at(59 + 30)), Some(1));
        assert!(!totp_matches(secret, "287082", at(59 + 60)));
        assert!(totp_matches(secret, "005924", at(1_234_567_890)));
        assert!(!totp_matches(secret, "005925", at(1_234_567_890)));
        assert!(!totp_matches(secret, "", at(59)));
        assert!(!totp_matches(secret, "28708a", at(59)));
        assert!(!totp_matches("not base32!", "287082", at(59)));
        let fresh = new_totp_secret();
        assert_eq!(fresh.len(), 32);
        assert_ne!(fresh, new_totp_secret());
        let uri = totp_uri(&fresh, "ana+x@clinic.example");
        assert!(uri.starts_with("otpauth://totp/Roster:ana%2Bx@clinic.example?secret="), "{uri}");
        assert!(uri.contains(&fresh));
    }

    // R24
    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn dummy_hash_parses_so_the_timing_burn_is_real() {
        assert!(PasswordHash::new(
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$x9rbCnLr5oI2KqJwS2Rd7Y8b1pN1hQlA1Yb9pUPJf1E"
        )
        .is_ok());
    }

    // R7, R29: at least 128 random bits, only the hash stored.
    #[test]
    fn tokens_are_long_random_and_parse_back() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret());
        let uid = UserId::new();
        let t = new_session_token(uid);
        let (u, h) = parse_session_token(&t).expect("parse");
        assert_eq!(u, uid);
        assert_eq!(h, sha256_hex(&t));
        assert_eq!(h.len(), 64);
        assert!(parse_session_token("nope").is_none());
        assert!(parse_session_token(&format!("{uid}.short")).is_none());
        assert!(parse_session_token(&format!("not-a-uuid.{}", random_secret())).is_none());
    }
}

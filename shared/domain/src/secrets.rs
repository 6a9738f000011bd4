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

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! R48: a password too easy to guess, in the estimator's words.

use super::PASSWORD_MIN_SCORE;
use crate::error::DomainError;

/// Why `password` is too weak (R48), in the estimator's words (its warning
/// and suggestions), or `None` when it scores at least `PASSWORD_MIN_SCORE`.
///
/// zxcvbn (3.1 on) reads only a password's first 100 characters, so its
/// matching, which grows faster than its input, stays bounded whatever is
/// sent; the tests below pin that.
pub fn weak(password: &str, user_inputs: &[&str]) -> Option<String> {
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(estimate.score()) >= PASSWORD_MIN_SCORE {
        return None;
    }
    let mut hint = String::from("is too easy to guess");
    if let Some(feedback) = estimate.feedback() {
        if let Some(w) = feedback.warning() {
            hint.push_str(&format!(": {w}"));
        }
        for s in feedback.suggestions() {
            hint.push_str(&format!(". {s}"));
        }
    }
    Some(hint)
}

/// `weak` as an error naming `field`, for a password judged once its
/// owner's words are known (a reset, a temporary password for an account).
pub fn ensure_strong(field: &str, password: &str, user_inputs: &[&str]) -> Result<(), DomainError> {
    match weak(password, user_inputs) {
        Some(hint) => Err(DomainError::field(field, &hint)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // R48: DOMAIN.md's own examples, and the person's words count against them.
    #[test]
    fn weak_passwords_are_refused_with_the_estimators_hint() {
        assert!(weak("password1234", &[]).is_some_and(|h| h.starts_with("is too easy to guess")));
        assert_eq!(weak("correct horse battery 42", &[]), None);
        // Strong alone, but it is the person's own address.
        assert_eq!(weak("anasilva@harbour.example", &[]), None);
        assert!(weak("anasilva@harbour.example", &["anasilva@harbour.example", "Ana", "Silva"]).is_some());
        // The estimator reads 100 characters and no more: a guessable start
        // stays guessable whatever follows it.
        let tail = "Xq9!vT#2mZ@8pL$4wR&6nB^1kC*3";
        assert_eq!(weak(tail, &[]), None);
        assert_eq!(weak(&format!("{}{tail}", "a".repeat(100 - tail.len())), &[]), None);
        assert!(weak(&format!("{}{tail}", "a".repeat(100)), &[]).is_some());
    }
}

//! Field rules. Inputs arrive with every field optional so that a missing
//! required field is reported as a named `422`, like any other broken rule.
//!
//! Cut by what is checked: `text` what typed text may hold, `email` R4's
//! address form, `password` R48's estimator, `profile` a practitioner's
//! registration (R16); this file the limits and the collector of field
//! errors that uses them.

mod email;
mod password;
mod profile;
mod text;

pub use email::parse_email;
pub use password::{ensure_strong, weak};
pub use profile::{valid_npi, valid_taxonomy, SCHEDULING_STEPS};
use text::line_breaking;
pub use text::{invisible, plain_only, search_text, text_pattern, INVISIBLE, LINE_BREAKING, SEARCH_MAX};

use crate::error::{DomainError, FieldError};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A person's first or last name, in characters.
pub const NAME_MAX: usize = 100;
/// A practice's name for a member (R14), in characters: room for a first
/// and a last name and the space between, which is what it starts as.
pub const DISPLAY_NAME_MAX: usize = 2 * NAME_MAX + 1;
/// A person's title ("Dr"), in characters.
pub const TITLE_MAX: usize = 50;
/// A practice's name, in characters.
pub const PRACTICE_NAME_MAX: usize = 120;
/// A location's name, in characters.
pub const LOCATION_NAME_MAX: usize = 120;
/// A location's postal address, in characters.
pub const ADDRESS_MAX: usize = 500;
/// An IANA time zone name, in characters.
pub const TIME_ZONE_MAX: usize = 64;
/// A password's length in characters (R24).
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
/// The lowest zxcvbn score a password may have (R48): 3 is "safely
/// unguessable" against an online attack, which a sign-in streak (R25)
/// already slows.
pub const PASSWORD_MIN_SCORE: u8 = 3;
/// An email address, in bytes (RFC 5321's path limit less the brackets).
pub const EMAIL_MAX: usize = 254;
/// A practitioner's profession, registration number and bio (R16), in characters.
pub const PROFESSION_MAX: usize = 100;
pub const REGISTRATION_NUMBER_MAX: usize = 50;
pub const BIO_MAX: usize = 2000;
/// How many patients a practitioner sees at once (R16).
pub const CAPACITY: std::ops::RangeInclusive<u32> = 1..=20;

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Flattened last into an input that flattens another (serde's
/// `deny_unknown_fields` does not combine with `flatten`): it receives the
/// fields nobody else took, and refuses the first, so an unknown field is a
/// `400` as on every other input.
#[derive(Debug, Default)]
pub struct NoOtherFields;

impl<'de> Deserialize<'de> for NoOtherFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Refuse;
        impl<'de> Visitor<'de> for Refuse {
            type Value = NoOtherFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("no other fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoOtherFields, A::Error> {
                match map.next_key::<String>()? {
                    Some(key) => Err(serde::de::Error::custom(format_args!("unknown field `{key}`"))),
                    None => Ok(NoOtherFields),
                }
            }
        }
        d.deserialize_map(Refuse)
    }
}

#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Err(422)` naming every field collected so far, or `Ok`.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }

    /// A required, trimmed, non-empty text of at most `max` characters.
    pub fn required_text(&mut self, field: &str, value: Option<&str>, max: usize) -> String {
        let Some(raw) = value else {
            self.add(field, "is required");
            return String::new();
        };
        self.plain(field, raw);
        match raw.trim() {
            "" => {
                self.add(field, "must not be empty");
                String::new()
            }
            v => {
                self.max_len(field, v, max);
                v.to_string()
            }
        }
    }

    /// An optional text: trimmed, empty becomes absent.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let raw = value?;
        self.plain(field, raw);
        let v = raw.trim();
        if v.is_empty() {
            return None;
        }
        self.max_len(field, v, max);
        Some(v.to_string())
    }

    /// A required name, of a person, practice, location or role: text in
    /// its compatibility form (`lookalike::normalized`) that may not pass
    /// for another name.
    pub fn required_name(&mut self, field: &str, value: Option<&str>, max: usize) -> String {
        let v = self.required_text(field, value.map(crate::lookalike::normalized).as_deref(), max);
        self.lookalike(field, &v);
        v
    }

    /// An optional name, as `required_name`; empty becomes absent.
    pub fn optional_name(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = self.optional_text(field, value.map(crate::lookalike::normalized).as_deref(), max)?;
        self.lookalike(field, &v);
        Some(v)
    }

    /// A name with lookalike letters reads as another name on a calendar,
    /// in a list or in a mail (issue 11 item 9).
    fn lookalike(&mut self, field: &str, v: &str) {
        if crate::lookalike::mixes_scripts(v) {
            self.add(field, "must not mix letters of different scripts in one word, such as Latin with Cyrillic");
        } else if crate::lookalike::disguises_ascii(v) {
            self.add(field, "must not spell a plain name with look-alike phonetic or technical letters");
        }
        if !v.is_empty() && !v.chars().any(char::is_alphanumeric) {
            self.add(field, "must contain a letter or digit");
        }
    }

    fn max_len(&mut self, field: &str, v: &str, max: usize) {
        if v.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
    }

    /// Checked on the text as sent, before trimming, so that the rule is
    /// the one pattern the OpenAPI document states (`text_pattern`).
    fn plain(&mut self, field: &str, v: &str) {
        if v.chars().any(line_breaking) {
            self.add(field, "must not contain control characters or line breaks");
        }
        // A name that hides characters or reverses its own text reads as
        // something it is not, on a calendar or in a mail (issue 11).
        if v.chars().any(invisible) {
            self.add(field, "must not contain invisible or direction-changing characters");
        }
    }

    /// R24: 10 to 128 characters; R48: not weak (`strength`). `user_inputs`
    /// are the person's own words (email, names), which the estimator
    /// counts as guessable.
    pub fn password(&mut self, field: &str, value: Option<&str>, user_inputs: &[&str]) -> String {
        match self.password_length(field, value) {
            Some(p) => {
                if let Some(hint) = weak(&p, user_inputs) {
                    self.add(field, &hint);
                }
                p
            }
            None => value.unwrap_or_default().to_string(),
        }
    }

    /// R24 alone, without the estimator: for a route that must first learn
    /// who is asking (a reset's token, the member a temporary password is
    /// for) and then judges strength with `ensure_strong`. `None` when the
    /// password is absent or of the wrong length.
    pub fn password_length(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let Some(p) = value else {
            self.add(field, "is required");
            return None;
        };
        let n = p.chars().count();
        if n < PASSWORD_MIN {
            self.add(field, &format!("must be at least {PASSWORD_MIN} characters"));
            return None;
        }
        if n > PASSWORD_MAX {
            self.add(field, &format!("must be at most {PASSWORD_MAX} characters"));
            return None;
        }
        Some(p.to_string())
    }

    /// R4: returns (as typed but trimmed, normalised).
    pub fn email(&mut self, field: &str, value: Option<&str>) -> (String, String) {
        let Some(raw) = value else {
            self.add(field, "is required");
            return (String::new(), String::new());
        };
        match parse_email(raw) {
            Some(pair) => pair,
            None => {
                self.add(field, "must be a valid email address");
                (String::new(), String::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Typed text may not hide characters or turn itself around.
    #[test]
    fn text_refuses_invisible_and_bidirectional_characters() {
        let mut e = Errors::new();
        e.required_text("first_name", Some("Ana\u{202e}avlis"), 100);
        e.optional_text("title", Some("Dr\u{200b}"), 50);
        e.required_text("last_name", Some("Silva-Sørensen"), 100);
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["first_name", "title"]);
    }

    // Names may not pass for others (issue 11 item 9): a letter of another
    // script inside a word is refused; styled letters are stored as the
    // letters they dress up; names of one script per word, with their
    // accents, hyphens and apostrophes, or Latin beside CJK, are names.
    #[test]
    fn names_refuse_lookalike_letters_and_store_styled_ones_plainly() {
        let mut e = Errors::new();
        e.required_name("first_name", Some("\u{410}dmin"), NAME_MAX);
        e.required_name("last_name", Some("P\u{430}ypal"), NAME_MAX);
        e.optional_name("title", Some("Pr\u{3bf}f"), TITLE_MAX);
        e.required_name("name", Some("G\u{585}\u{585}gle"), PRACTICE_NAME_MAX);
        e.required_name("location.name", Some("M\u{430}in St"), LOCATION_NAME_MAX);
        e.required_name("role", Some("\u{13a0}avid"), NAME_MAX);
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["first_name", "last_name", "title", "name", "location.name", "role"]);

        let mut e = Errors::new();
        assert_eq!(e.required_name("name", Some("\u{ff30}aypal"), NAME_MAX), "Paypal");
        assert_eq!(e.required_name("name", Some("\u{1d40f}aypal"), NAME_MAX), "Paypal");
        assert_eq!(e.required_name("name", Some("Nguye\u{302}\u{303}n"), NAME_MAX), "Nguyễn");
        assert_eq!(e.optional_name("title", Some("D\u{aa}"), TITLE_MAX).as_deref(), Some("Da"));
        for name in [
            "José",
            "Zoë",
            "O'Brien",
            "D\u{2019}Angelo",
            "Nguyễn",
            "Łukasz",
            "Smith-Jones",
            "Иван",
            "Ivan Петров",
            "Мʼякота",
            "Νίκος",
            "王芳",
            "山田 太郎",
            "やまだ",
            "김민준",
            "محمد",
            "עברי",
            "प्रिया",
            "Dr 王",
            "Hawaiʻi",
            "St. Mary's Clinic 2",
            "ᏣᎳᎩ",
        ] {
            assert_eq!(e.required_name("name", Some(name), NAME_MAX), name);
        }
        assert_eq!(e.optional_name("title", Some(" Dr "), TITLE_MAX).as_deref(), Some("Dr"));
        assert!(e.finish().is_ok());

        // Phonetic letters spelling a plain word, a line separator, an
        // interlinear annotation, a name of marks alone.
        let mut e = Errors::new();
        e.required_name("a", Some("P\u{251}yp\u{251}l"), NAME_MAX);
        e.required_name("b", Some("Dr\u{2028}Evil"), NAME_MAX);
        e.required_name("c", Some("Ana\u{fff9}"), NAME_MAX);
        e.required_name("d", Some("\u{301}\u{301}"), NAME_MAX);
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["a", "b", "c", "d"]);
    }

    // R24
    #[test]
    fn password_length_rules() {
        let mut e = Errors::new();
        e.password("p", Some("123456789"), &[]);
        e.password("q", Some(&"x".repeat(129)), &[]);
        e.password("r", None, &[]);
        e.password("ok", Some("correct horse battery"), &[]);
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["p", "q", "r"]);
    }

    #[test]
    fn required_text_names_missing_and_empty_fields() {
        let mut e = Errors::new();
        assert_eq!(e.required_text("a", Some("  Ana "), 10), "Ana");
        e.required_text("b", Some("   "), 10);
        e.required_text("c", None, 10);
        e.required_text("d", Some("elevenchars"), 10);
        assert_eq!(e.optional_text("e", Some(" "), 5), None);
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        assert_eq!(list.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), vec!["b", "c", "d"]);
    }
}

//! Field rules. Inputs arrive with every field optional so that a missing
//! required field is reported as a named `422`, like any other broken rule.

use crate::error::{DomainError, FieldError};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A person's first or last name, in characters.
pub const NAME_MAX: usize = 100;
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
        match value.map(str::trim) {
            None => {
                self.add(field, "is required");
                String::new()
            }
            Some("") => {
                self.add(field, "must not be empty");
                String::new()
            }
            Some(v) => {
                self.max_len(field, v, max);
                v.to_string()
            }
        }
    }

    /// An optional text: trimmed, empty becomes absent.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.max_len(field, v, max);
        Some(v.to_string())
    }

    fn max_len(&mut self, field: &str, v: &str, max: usize) {
        if v.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        if v.chars().any(|c| c.is_control()) {
            self.add(field, "must not contain control characters");
        }
    }

    /// R24: 10 to 128 characters.
    pub fn password(&mut self, field: &str, value: Option<&str>) -> String {
        match value {
            None => {
                self.add(field, "is required");
                String::new()
            }
            Some(p) => {
                let n = p.chars().count();
                if n < 10 {
                    self.add(field, "must be at least 10 characters");
                } else if n > 128 {
                    self.add(field, "must be at most 128 characters");
                }
                p.to_string()
            }
        }
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

/// R4: compared trimmed and lower-cased; kept as typed (trimmed) for display.
/// Deliberately plain: one `@`, a non-empty local part, a dotted domain, no
/// spaces, at most 254 characters.
pub fn parse_email(raw: &str) -> Option<(String, String)> {
    let display = raw.trim();
    if display.is_empty() || display.len() > 254 || display.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = display.split_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return None;
    }
    Some((display.to_string(), display.to_lowercase()))
}

/// R16: an NPI is 10 digits whose last is the Luhn check digit of the
/// number prefixed with 80840.
pub fn valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let full = format!("80840{npi}");
    let sum: u32 = full
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// R16: 10 characters ending in X (the NUCC code form, e.g. 207Q00000X).
pub fn valid_taxonomy(code: &str) -> bool {
    code.len() == 10 && code.ends_with('X') && code[..9].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// R16
pub const SCHEDULING_STEPS: [u32; 7] = [5, 10, 15, 20, 30, 45, 60];

#[cfg(test)]
mod tests {
    use super::*;

    // R4
    #[test]
    fn emails_are_trimmed_and_lowercased_for_comparison() {
        assert_eq!(
            parse_email("  Ana.Silva@Clinic.Example "),
            Some(("Ana.Silva@Clinic.Example".to_string(), "ana.silva@clinic.example".to_string()))
        );
        for bad in ["", "no-at", "a@b", "@x.io", "a@@x.io", "a b@x.io", "a@x..io", "a@.x.io", "a@x.io."] {
            assert!(parse_email(bad).is_none(), "{bad}");
        }
    }

    // R24
    #[test]
    fn password_length_rules() {
        let mut e = Errors::new();
        e.password("p", Some("123456789"));
        e.password("q", Some(&"x".repeat(129)));
        e.password("r", None);
        e.password("ok", Some("0123456789"));
        let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["p", "q", "r"]);
    }

    // R16
    #[test]
    fn npi_luhn_with_the_80840_prefix() {
        assert!(valid_npi("1234567893"));
        assert!(valid_npi("1245319599"));
        assert!(!valid_npi("1234567890"));
        assert!(!valid_npi("123456789"));
        assert!(!valid_npi("12345678a3"));
    }

    // R16
    #[test]
    fn taxonomy_codes() {
        assert!(valid_taxonomy("207Q00000X"));
        assert!(!valid_taxonomy("207Q00000Y"));
        assert!(!valid_taxonomy("207Q0000X"));
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

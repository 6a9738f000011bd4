//! Field rules. Inputs arrive with every field optional so that a missing
//! required field is reported as a named `422`, like any other broken rule.

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

/// The longest search text a list takes (`?q=`, as OpenAPI says).
pub const SEARCH_MAX: usize = 200;

/// A list's `?q=`: trimmed and lower-cased, absent when empty; 422 when
/// longer than `SEARCH_MAX`.
pub fn search_text(q: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(q) = q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()) else { return Ok(None) };
    if q.chars().count() > SEARCH_MAX {
        return Err(DomainError::field("q", &format!("must be at most {SEARCH_MAX} characters")));
    }
    Ok(Some(q))
}

/// Characters a reader cannot see, or that reorder what they see: Unicode's
/// default-ignorable code points (zero-width spaces and joiners, the
/// bidirectional controls, soft hyphen, variation selectors, tags, ...).
/// IDNA would silently drop several of them, so two addresses that look the
/// same could compare alike or apart at an attacker's choosing (R4).
pub fn invisible(c: char) -> bool {
    INVISIBLE.iter().any(|r| r.contains(&c))
}

/// The ranges of `invisible`.
pub const INVISIBLE: [std::ops::RangeInclusive<char>; 18] = [
    '\u{00AD}'..='\u{00AD}',
    '\u{034F}'..='\u{034F}',
    '\u{061C}'..='\u{061C}',
    '\u{115F}'..='\u{1160}',
    '\u{17B4}'..='\u{17B5}',
    '\u{180B}'..='\u{180F}',
    '\u{200B}'..='\u{200F}',
    '\u{202A}'..='\u{202E}',
    '\u{2060}'..='\u{206F}',
    '\u{3164}'..='\u{3164}',
    '\u{FE00}'..='\u{FE0F}',
    '\u{FEFF}'..='\u{FEFF}',
    '\u{FFA0}'..='\u{FFA0}',
    '\u{2800}'..='\u{2800}',
    '\u{FFF0}'..='\u{FFFB}',
    '\u{1BCA0}'..='\u{1BCA3}',
    '\u{1D173}'..='\u{1D17A}',
    '\u{E0000}'..='\u{E0FFF}',
];

fn line_breaking(c: char) -> bool {
    LINE_BREAKING.iter().any(|r| r.contains(&c))
}

/// `v` without the characters `Errors::plain` refuses (line breaking and
/// invisible ones): for text a client sends that no person typed (a user
/// agent), where one odd character must not cost the rest, nor reorder or
/// hide it where it is shown.
pub fn plain_only(v: &str) -> impl Iterator<Item = char> + '_ {
    v.chars().filter(|&c| !line_breaking(c) && !invisible(c))
}

/// Control characters (`char::is_control`), and the line and paragraph
/// separators: no control characters, yet they start a new line in a
/// plain-text mail as a line feed would.
pub const LINE_BREAKING: [std::ops::RangeInclusive<char>; 3] =
    ['\u{0000}'..='\u{001F}', '\u{007F}'..='\u{009F}', '\u{2028}'..='\u{2029}'];

/// What typed text may not contain, as the OpenAPI document's `pattern`
/// (ECMA-262, and Python's `re`, alike): every character of the Basic
/// Multilingual Plane that `Errors::plain` refuses. The few invisible characters
/// above it (tags, shorthand format controls) need a notation the two
/// dialects do not share; the code still refuses them.
pub fn text_pattern() -> String {
    let bmp = LINE_BREAKING.iter().chain(&INVISIBLE).filter(|r| u32::from(*r.end()) <= 0xFFFF);
    let class: String = bmp
        .map(|r| {
            let (a, b) = (u32::from(*r.start()), u32::from(*r.end()));
            if a == b {
                format!("\\u{a:04X}")
            } else {
                format!("\\u{a:04X}-\\u{b:04X}")
            }
        })
        .collect();
    format!("^[^{class}]*$")
}

/// RFC 5321's `atext`: what a dot-atom local part is made of.
fn atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// R4: `(as typed but trimmed, normalised)`, or `None` for no address.
///
/// The local part must be an ASCII dot-atom (so no quoted strings, no
/// display-name or list forms, no Unicode to fold into ASCII); the domain is
/// taken to its ASCII (IDNA) form with the `idna` crate's strict (STD3,
/// DNS-length) rules; the comparison form is that, lower-cased by ASCII rules
/// only. Whitespace inside, control and invisible characters are refused.
pub fn parse_email(raw: &str) -> Option<(String, String)> {
    let display = raw.trim();
    if display.is_empty()
        || display.len() > EMAIL_MAX
        || display.chars().any(|c| c.is_whitespace() || c.is_control() || invisible(c))
    {
        return None;
    }
    let (local, domain) = display.rsplit_once('@')?;
    let dot_atom = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(atext));
    if !dot_atom {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(domain).ok()?;
    // A dotted name of non-empty labels: a mail domain, not a bare host.
    if !ascii.contains('.') || ascii.split('.').any(str::is_empty) {
        return None;
    }
    Some((display.to_string(), format!("{}@{}", local.to_ascii_lowercase(), ascii.to_ascii_lowercase())))
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

    // R4: no Unicode case folding can make two addresses one, and the domain
    // compares in its ASCII form.
    #[test]
    fn emails_compare_by_ascii_rules_on_the_idna_domain() {
        let norm = |raw: &str| parse_email(raw).map(|(_, n)| n);
        // The Kelvin sign lower-cases to an ASCII k under Unicode rules.
        assert_eq!(norm("\u{212A}ate@clinic.example"), None);
        assert_eq!(norm("Kate@Clinic.Example"), Some("kate@clinic.example".into()));
        assert_eq!(norm("idn@B\u{fc}cher.test"), Some("idn@xn--bcher-kva.test".into()));
        assert_eq!(norm("idn@xn--bcher-kva.test"), Some("idn@xn--bcher-kva.test".into()));
        assert_eq!(norm("o'brien+clinic@x.io"), Some("o'brien+clinic@x.io".into()));
        for bad in [
            "j\u{f6}rg@clinic.example",
            "\"quoted\"@clinic.example",
            "Evil<victim@clinic.example>",
            "Evil <victim@clinic.example>",
            "a@clinic.example,b@clinic.example",
            "a@clinic.example;b",
            "a.@clinic.example",
            ".a@clinic.example",
            "a..b@clinic.example",
            "a\u{200b}@clinic.example",
            "a@clin\u{200b}ic.example",
            "a\u{202e}@clinic.example",
            "a\u{2066}b@clinic.example",
            "a\tb@clinic.example",
            "a@clinic_x.example",
            "a@-clinic.example",
        ] {
            assert_eq!(norm(bad), None, "{bad:?}");
        }
    }

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

    // The pattern the OpenAPI document states is this rule.
    #[test]
    fn line_breaking_is_control_or_a_separator_and_the_pattern_lists_it() {
        for c in (0..=0x3000).filter_map(char::from_u32) {
            let listed = LINE_BREAKING.iter().any(|r| r.contains(&c));
            assert_eq!(listed, c.is_control() || c == '\u{2028}' || c == '\u{2029}', "{c:?}");
        }
        let p = text_pattern();
        assert!(p.starts_with("^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028-\\u2029\\u00AD"), "{p}");
        assert!(!p.contains("E0000"), "{p}");
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

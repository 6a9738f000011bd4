//! R4: an address as typed, and the form it is compared in.

use super::{invisible, EMAIL_MAX};

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
}

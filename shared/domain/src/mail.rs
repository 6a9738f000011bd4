//! Email templates, each with an HTML and a plain-text part (DOMAIN.md, "Email").
//! HTML parts are auto-escaped, so a name typed by a user cannot inject markup.

use crate::error::DomainError;
use crate::model::Mail;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use std::sync::OnceLock;

/// Each template: (name, subject, html source, text source).
const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "verify_email",
        "Confirm your email address",
        include_str!("../templates/verify_email.html"),
        include_str!("../templates/verify_email.txt"),
    ),
    (
        "invitation_new_user",
        "You are invited to join a practice on Roster",
        include_str!("../templates/invitation_new_user.html"),
        include_str!("../templates/invitation_new_user.txt"),
    ),
    (
        "invitation_existing_user",
        "You are invited to join another practice on Roster",
        include_str!("../templates/invitation_existing_user.html"),
        include_str!("../templates/invitation_existing_user.txt"),
    ),
    (
        // The password itself is never mailed: the administrator hands it over.
        "welcome_temporary_password",
        "Your Roster account is ready",
        include_str!("../templates/welcome_temporary_password.html"),
        include_str!("../templates/welcome_temporary_password.txt"),
    ),
    (
        "password_reset",
        "Reset your Roster password",
        include_str!("../templates/password_reset.html"),
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "account_locked",
        "Your Roster account is locked",
        include_str!("../templates/account_locked.html"),
        include_str!("../templates/account_locked.txt"),
    ),
    (
        "support_access_granted",
        "Roster support can now read your practice",
        include_str!("../templates/support_access_granted.html"),
        include_str!("../templates/support_access_granted.txt"),
    ),
    // R50: to every director at once; the reason is typed text, so it
    // stays in the body, defanged.
    (
        "emergency_access_opened",
        "Emergency access was opened in your practice",
        include_str!("../templates/emergency_access_opened.html"),
        include_str!("../templates/emergency_access_opened.txt"),
    ),
    // R44: the onboarding series, day 1, 3 and 7 after joining. Subjects
    // name no practice: typed text stays in the body, defanged.
    (
        "onboarding_profile",
        "Complete your Roster profile",
        include_str!("../templates/onboarding_profile.html"),
        include_str!("../templates/onboarding_profile.txt"),
    ),
    (
        "onboarding_two_factor",
        "Secure your Roster account with two-factor sign-in",
        include_str!("../templates/onboarding_two_factor.html"),
        include_str!("../templates/onboarding_two_factor.txt"),
    ),
    (
        "onboarding_getting_started",
        "Getting started with your practice on Roster",
        include_str!("../templates/onboarding_getting_started.html"),
        include_str!("../templates/onboarding_getting_started.txt"),
    ),
];

fn env() -> &'static Result<Environment<'static>, String> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
        env.add_template("layout.html", include_str!("../templates/layout.html")).map_err(|e| e.to_string())?;
        for (name, _, html, text) in TEMPLATES {
            env.add_template_owned(format!("{name}.html"), *html).map_err(|e| e.to_string())?;
            env.add_template_owned(format!("{name}.txt"), *text).map_err(|e| e.to_string())?;
        }
        Ok(env)
    })
}

/// The context fields whose text a user typed (names of people and
/// practices), as opposed to what Roster itself puts in a mail (links,
/// times, counts), at any depth of the context.
const TYPED: [&str; 7] = ["first_name", "inviter", "practice_name", "granted_by", "name", "member", "reason"];

/// R41: typed text never becomes a link in mail. Mail clients turn
/// `scheme://`, `name.tld` and `a@b` into links even in plain text, so a
/// practice named `verify at http://evil.test/login` would hand its
/// invitees a phishing link in Roster's name; bracketing the separators
/// keeps the text readable and inert.
pub fn defang(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).is_some_and(|p| p.is_alphanumeric());
        let after = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let scheme = c == ':' && chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
        match c {
            // The ideographic full stops are label separators to IDNA, and
            // the other dots look like one.
            '.' | '@' | '\u{3002}' | '\u{FF61}' | '\u{FF0E}' | '\u{FE52}' | '\u{2024}' if before && after => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            ':' if scheme => out.push_str("[:]"),
            _ => out.push(c),
        }
    }
    out
}

fn defang_typed(mut ctx: serde_json::Value) -> serde_json::Value {
    defang_in(&mut ctx);
    ctx
}

/// `defang_typed` in place, through nested lists and maps (a list of
/// practices, each with its directors' names).
fn defang_in(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(text) if TYPED.contains(&key.as_str()) => *text = defang(text),
                    other => defang_in(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(defang_in),
        _ => {}
    }
}

/// Render template `name` for `to` with `ctx` (a serialisable struct or map).
pub fn render(name: &str, to: &str, ctx: impl Serialize) -> Result<Mail, DomainError> {
    let env = env().as_ref().map_err(|e| DomainError::Internal(format!("mail templates: {e}")))?;
    let subject = TEMPLATES
        .iter()
        .find(|t| t.0 == name)
        .map(|t| t.1)
        .ok_or_else(|| DomainError::Internal(format!("no mail template {name}")))?;
    let ctx = minijinja::Value::from_serialize(defang_typed(serde_json::to_value(&ctx).unwrap_or_default()));
    let full = minijinja::context! { subject => subject, ..ctx };
    let render = |suffix: &str| -> Result<String, DomainError> {
        env.get_template(&format!("{name}.{suffix}"))
            .and_then(|t| t.render(&full))
            .map_err(|e| DomainError::Internal(format!("rendering {name}.{suffix}: {e}")))
    };
    Ok(Mail {
        to: to.to_string(),
        subject: subject.to_string(),
        html: render("html")?,
        text: render("txt")?,
        template: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // R41: a practice or person name never becomes a link; Roster's own
    // link stays whole.
    #[test]
    fn typed_names_cannot_become_links() {
        let m = render(
            "invitation_new_user",
            "x@example.com",
            json!({"first_name": "kim@evil.test", "inviter": "Dr.Who www.evil.test",
                "practice_name": "URGENT verify at http://evil.test/login",
                "link": "https://app.roster.test/invite/t0k", "expires_at": "2026-12-01 09:00 UTC"}),
        )
        .expect("render");
        for part in [&m.text, &m.html] {
            for live in ["http://evil", "evil.test", "www.evil", "kim@evil"] {
                assert!(!part.contains(live), "{live} in {part}");
            }
            assert!(part.contains("https://app.roster.test/invite/t0k"), "{part}");
        }
        assert!(m.text.contains("http[:]//evil[.]test/login"), "{}", m.text);
        assert_eq!(defang("St. Mary's & Co., Lisbon"), "St. Mary's & Co., Lisbon");
        // Dots that IDNA reads as label separators, or that look like one.
        for dot in ['\u{3002}', '\u{FF61}', '\u{FF0E}', '\u{FE52}', '\u{2024}'] {
            assert_eq!(defang(&format!("evil{dot}test")), format!("evil[{dot}]test"));
        }
    }

    #[test]
    fn verification_mail_has_both_parts_and_the_link() {
        let m = render(
            "verify_email",
            "ana@example.com",
            json!({"first_name": "Ana <b>", "email": "ana@example.com", "link": "https://app/verify-email/t0k", "valid_hours": 48}),
        )
        .expect("render");
        assert_eq!(m.template, "verify_email");
        assert_eq!(m.to, "ana@example.com");
        assert!(m.text.contains("https://app/verify-email/t0k"));
        assert!(m.html.contains("href=\"https://app/verify-email/t0k\""));
        assert!(m.text.contains("Ana <b>"));
        assert!(m.html.contains("Ana &lt;b&gt;"), "{}", m.html);
        assert!(m.html.contains("<title>Confirm your email address</title>"));
    }

    // R47: the lock mail lists whom to ask, one line a practice.
    #[test]
    fn the_lock_mail_lists_practices_and_directors_line_by_line() {
        let m = render(
            "account_locked",
            "a@b.co",
            json!({"first_name": "Ana", "attempts": 5, "reset_link": "https://app/reset-password",
                "more_practices": 2, "practices": [
                    {"name": "Harbour", "more_directors": 0, "directors": [{"name": "Dr Dana", "email": "d@h.co"}, {"name": null, "email": "e@h.co"}]},
                    {"name": "Quay", "more_directors": 3, "directors": [{"name": "Flo", "email": "f@q.co"}]}]}),
        )
        .expect("render");
        let expected = "Your Roster account was locked after 5 failed sign-ins in a row.\n\n\
            A director of one of your practices can unlock it for you:\n\n\
            - Harbour: Dr Dana (d@h.co), e@h.co\n\
            - Quay: Flo (f@q.co) and 3 more\n\
            - and 2 more practices\n\n\
            You can also reset your password";
        assert!(m.text.contains(expected), "{}", m.text);
    }

    #[test]
    fn every_template_renders_both_parts() {
        let ctx = json!({"first_name": "Ana", "email": "a@b.co", "link": "https://app/x/t", "valid_hours": 1,
            "inviter": "Dr Who", "practice_name": "Harbour & Co", "expires_at": "2026-12-01 10:00 UTC",
            "valid_minutes": 60, "attempts": 5, "reset_link": "https://app/x/t", "granted_by": "Dr Who",
            "member": "Ann Lee", "ends_at": "2026-12-01 13:00", "reason": "Patient collapsed, see evil.test"});
        for (name, subject, _, _) in TEMPLATES {
            let m = render(name, "a@b.co", &ctx).expect(name);
            assert_eq!(&m.subject, subject);
            // Every mail but the support notice carries a link.
            if !["support_access_granted", "emergency_access_opened"].contains(name) {
                assert!(m.text.contains("https://app/x/t"), "{name}");
                assert!(m.html.contains("https://app/x/t"), "{name}");
            }
            assert!(!m.text.contains("{{") && !m.html.contains("{{"), "{name}");
            assert!(!m.text.trim().is_empty() && m.html.contains("</p>"), "{name}");
        }
        let support = render("support_access_granted", "a@b.co", &ctx).expect("support mail");
        assert!(support.text.contains("Harbour & Co") && support.html.contains("Harbour &amp; Co"));
        assert!(support.text.contains("2026-12-01 10:00 UTC") && support.text.contains("Dr Who"));
        let emergency = render("emergency_access_opened", "a@b.co", &ctx).expect("emergency mail");
        assert!(emergency.text.contains("Ann Lee") && emergency.text.contains("Patient collapsed, see evil[.]test"));
        assert!(emergency.html.contains("Harbour &amp; Co") && emergency.text.contains("2026-12-01 13:00 (UTC)"));
    }

    // R41, R44: the onboarding mails greet by name and name the practice,
    // both defanged, and carry only Roster's own link.
    #[test]
    fn onboarding_mails_defang_the_names_they_carry() {
        for name in ["onboarding_profile", "onboarding_two_factor", "onboarding_getting_started"] {
            let m = render(
                name,
                "a@b.co",
                json!({"first_name": "kim@evil.test", "practice_name": "Visit www.evil.test <b>now</b>",
                    "link": "https://app.roster.test/account"}),
            )
            .expect(name);
            for part in [&m.text, &m.html] {
                assert!(!part.contains("evil.test") && !part.contains("kim@evil"), "{name}: {part}");
                assert!(part.contains("https://app.roster.test/account"), "{name}: {part}");
            }
            assert!(m.text.contains("www[.]evil[.]test <b>now</b>"), "{name}: {}", m.text);
            assert!(m.html.contains("www[.]evil[.]test &lt;b&gt;now"), "{name}: {}", m.html);
            assert_eq!(m.html.matches("<a ").count(), 1, "{name}: one link, Roster's");
        }
    }

    #[test]
    fn unknown_template_is_an_error_not_a_panic() {
        assert!(render("nope", "a@b.c", json!({})).is_err());
    }
}

//! What typed text may hold: no line breaks where one line is meant, no
//! invisible or reordering characters, searches bounded.

use crate::error::DomainError;

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

pub(super) fn line_breaking(c: char) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

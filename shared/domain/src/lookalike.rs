//! Names that could pass for other names (issue 11 item 9): a practice
//! called "Pаypal" with a Cyrillic а, or a person "𝐀dmin" in mathematical
//! bold, reads as something it is not on a calendar, in a list or in a mail.
//! Unicode's security mechanisms (UTS #39) through the `unicode-security`
//! crate; what counts as invisible is `validate::invisible`.

use unicode_normalization::UnicodeNormalization;
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{MixedScript, RestrictionLevel, RestrictionLevelDetection};

/// Whether a word of `text` mixes letters of scripts whose letters look
/// alike: UTS #39 mixed-script detection, refusing what is less strict than
/// its "moderately restrictive" level. So one script (with its accents)
/// passes, as do the combinations with Latin that writers use: Han,
/// Hiragana, Katakana or Hangul beside Latin, or Latin with any other
/// recommended script but Cyrillic and Greek. Latin with Cyrillic or Greek,
/// or any two non-Latin scripts, or a script UTS #39 does not recommend
/// beside another, is refused.
///
/// Judged word by word: the disguise is a letter from another script inside
/// a word ("Pаypal"), while whole words in two scripts are how people and
/// places are named ("Ivan Петров", "Clinic Москва").
pub fn mixes_scripts(text: &str) -> bool {
    text.split_whitespace().any(word_mixes_scripts)
}

/// Spaces, punctuation, digits and combining marks are in every script
/// (Common, Inherited) and decide nothing, so the level is judged on the
/// rest. That matters beyond them: the crate's level also refuses any
/// character outside UTS #39's identifier profile, which includes
/// apostrophes but also letters of living scripts with few users (Cherokee,
/// Canadian syllabics), so a word wholly in one script is accepted before
/// the level is asked.
fn word_mixes_scripts(word: &str) -> bool {
    let letters: String = word.chars().filter(|c| !AugmentedScriptSet::for_char(*c).is_all()).collect();
    if letters.as_str().is_single_script() {
        return false;
    }
    !letters.as_str().check_restriction_level(RestrictionLevel::ModeratelyRestrictive)
}

/// Whether `text` holds a styled letter: one beyond ASCII that
/// compatibility normalisation (NFKC) turns into plain ASCII, such as
/// fullwidth `Ｐ`, mathematical `𝐏`, circled `Ⓟ`, the `ﬁ` ligature or the
/// long `ſ`. These are in the Latin script or in none, so mixed-script
/// detection lets them by, yet they only dress up an ASCII name. Letters
/// whose compatibility form is not ASCII (Thai ำ, Hangul jamo) are letters.
pub fn styled_letters(text: &str) -> bool {
    text.chars().any(|c| !c.is_ascii() && c.is_alphabetic() && std::iter::once(c).nfkc().all(|n| n.is_ascii()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_with_cyrillic_or_greek_is_mixed_and_one_script_is_not() {
        // Cyrillic А, Cyrillic а, Greek ο, Cherokee Ꭰ in Latin words.
        for mixed in ["\u{410}dmin", "P\u{430}ypal", "Pr\u{3bf}f", "\u{13a0}avid", "Dr P\u{430}ypal", "ИвanPetrov"] {
            assert!(mixes_scripts(mixed), "{mixed}");
        }
        for one in [
            "José",
            "Smith-Jones",
            "O'Brien",
            "Иван Петров",
            "Ivan Петров",
            "Clinic Москва",
            "Νίκος Иван",
            "Νίκος",
            "ᏣᎳᎩ",
            "山田 太郎",
            "やまだ たろう",
            "プリヤ",
            "محمد",
            "עברי",
            "प्रिया",
            "กำพล",
        ] {
            assert!(!mixes_scripts(one), "{one}");
        }
    }

    #[test]
    fn latin_beside_cjk_or_another_recommended_script_is_not_mixed() {
        for fine in ["Dr 王", "Tanaka クリニック", "Dr 김", "Clinic محمد", "Clinic 123", "3-5 Main St."] {
            assert!(!mixes_scripts(fine), "{fine}");
        }
    }

    #[test]
    fn styled_letters_are_ascii_in_disguise() {
        for styled in ["\u{ff30}aypal", "\u{1d40f}aypal", "\u{24c5}aypal", "\u{fb01}nn", "Ro\u{17f}e", "\u{212a}ate"] {
            assert!(styled_letters(styled), "{styled}");
        }
        for plain in ["Paypal", "José", "Zoë", "Łukasz", "กำพล", "ㄱ", "Hawaiʻi", "µ", "ǆ"] {
            assert!(!styled_letters(plain), "{plain}");
        }
    }
}

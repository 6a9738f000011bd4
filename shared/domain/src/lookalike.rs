//! Names that could pass for other names (issue 11 item 9): a practice
//! called "Pаypal" with a Cyrillic а, or a person "𝐀dmin" in mathematical
//! bold, reads as something it is not on a calendar, in a list or in a mail.
//! Unicode's security mechanisms (UTS #39) through the `unicode-security`
//! crate; what counts as invisible is `validate::invisible`.

use unicode_normalization::UnicodeNormalization;
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{skeleton, GeneralSecurityProfile, MixedScript, RestrictionLevel, RestrictionLevelDetection};

/// A typed name in its compatibility form (NFKC), as it is stored: styled
/// letters become the letters they dress up (fullwidth `Ｔａｒｏ`, the
/// default of Japanese input methods, becomes `Taro`; mathematical `𝐏`,
/// `ﬁ`, the Kelvin sign, `Ⅸ` and `ª` become `P`, `fi`, `K`, `IX`, `a`),
/// and the many Unicode spaces become the one space, so no hair space can
/// split a word to hide a lookalike letter inside it. Composed accents are
/// composed once, so `Nguyễn` is stored one way however it was typed.
pub fn normalized(text: &str) -> String {
    text.nfkc().collect()
}

/// Whether a word of `text` mixes letters of scripts: UTS #39 mixed-script
/// detection at its "highly restrictive" level. One script per word passes
/// (with its accents), and so do the mixes Japanese, Chinese and Korean
/// writing makes with Latin; Latin with Cyrillic, Greek, Armenian or any
/// other script in one word, or two such scripts in one, are refused.
///
/// Judged word by word, words being the runs of letters between what
/// belongs to every script (spaces, punctuation, digits, marks): the
/// disguise is a letter from another script inside a word ("Pаypal",
/// "Gօօgle"), while whole words in two scripts are how people and places
/// are named ("Ivan Петров", "Clinic Москва", "Al-محمد").
pub fn mixes_scripts(text: &str) -> bool {
    text.split(|c: char| AugmentedScriptSet::for_char(c).is_all()).any(word_mixes_scripts)
}

/// A word wholly in one script is accepted before the level is asked: the
/// crate's level also refuses letters outside UTS #39's identifier profile,
/// which includes living scripts with few users (Cherokee, Canadian
/// syllabics).
fn word_mixes_scripts(word: &str) -> bool {
    !word.is_single_script() && !word.check_restriction_level(RestrictionLevel::HighlyRestrictive)
}

/// Whether a word of `text` spells a plain ASCII word with letters that no
/// language's writing uses, only phonetics or technical notation (Latin
/// alpha `ɑ`, script `ɡ`, the click letter `ǀ`): its UTS #39
/// skeleton is ASCII, and it holds a letter outside UTS #39's identifier
/// profile. Letters of living orthographies are in that profile, so
/// Turkish `Aydın` and `Işık` are names.
pub fn disguises_ascii(text: &str) -> bool {
    text.split(|c: char| AugmentedScriptSet::for_char(c).is_all()).any(|word| {
        !word.is_ascii() && skeleton(word).all(|c| c.is_ascii()) && word.chars().any(|c| !c.identifier_allowed())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_from_another_script_inside_a_word_is_mixed() {
        // Cyrillic А and а, Greek ο, Cherokee Ꭰ, Armenian օ and ս, Georgian დ.
        for mixed in [
            "\u{410}dmin",
            "P\u{430}ypal",
            "Pr\u{3bf}f",
            "\u{13a0}avid",
            "G\u{585}\u{585}gle",
            "Ja\u{57d}on",
            "\u{10d3}avid",
            "Dr P\u{430}ypal",
            "Smith-J\u{43e}nes",
            "Ивanov",
        ] {
            assert!(mixes_scripts(&normalized(mixed)), "{mixed}");
        }
    }

    #[test]
    fn whole_words_in_one_script_each_are_names() {
        for one in [
            "José",
            "Smith-Jones",
            "O'Brien",
            "Иван Петров",
            "Ivan Петров",
            "Clinic Москва",
            "Νίκος Иван",
            "Al-محمد",
            "ᏣᎳᎩ",
            "山田 太郎",
            "やまだ たろう",
            "プリヤ",
            "Tanakaクリニック",
            "Dr 王",
            "محمد",
            "עברי",
            "प्रिया",
            "กำพล",
            "Мʼякота",
            "Hawaiʻi",
            "3-5 Main St.",
        ] {
            assert!(!mixes_scripts(&normalized(one)), "{one}");
        }
    }

    #[test]
    fn phonetic_letters_spelling_a_plain_word_are_a_disguise() {
        for disguised in ["P\u{251}yp\u{251}l", "Paypa\u{1c0}", "G\u{261}\u{261}gle"] {
            assert!(disguises_ascii(&normalized(disguised)), "{disguised}");
        }
        for name in ["Aydın", "Işık", "José", "Zoë", "Łukasz", "Ñúñez", "Straße", "Nguyễn", "Hawaiʻi", "ᏣᎳᎩ", "Paypal"]
        {
            assert!(!disguises_ascii(&normalized(name)), "{name}");
        }
    }

    #[test]
    fn styled_letters_and_unusual_spaces_are_normalised_away() {
        assert_eq!(normalized("\u{ff34}\u{ff41}\u{ff52}\u{ff4f}"), "Taro");
        assert_eq!(normalized("\u{1d40f}aypal"), "Paypal");
        assert_eq!(normalized("\u{fb01}nn"), "finn");
        assert_eq!(normalized("\u{212a}ate"), "Kate");
        assert_eq!(normalized("Louis \u{2168}"), "Louis IX");
        assert_eq!(normalized("D\u{aa}"), "Da");
        assert_eq!(normalized("Nguye\u{302}\u{303}n"), "Nguyễn");
        // A hair space no longer splits a word to hide the Cyrillic а.
        let hidden = normalized("P\u{200a}\u{430}\u{200a}ypal");
        assert_eq!(hidden, "P \u{430} ypal");
        assert!(!mixes_scripts(&hidden), "now three visible words, none a lookalike of Paypal");
    }
}

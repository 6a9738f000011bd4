use std::collections::HashMap;

// Patched (PATCHED.md): the six ranked lists were string constants here,
// 0.79 MB of every binary that links the crate. They are now data/*.txt,
// deflated by build.rs into OUT_DIR and inflated once, on first use, which
// halves what a binary carries. The lists and their ranks are unchanged.
macro_rules! deflated_list {
    ($name:literal) => {
        inflate(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/",
            $name,
            ".deflate"
        )))
    };
}

/// The list build.rs deflated. Its input is the crate's own data, checked
/// by the tests, so a failure here is a broken build, not a bad password.
fn inflate(deflated: &[u8]) -> String {
    let bytes =
        miniz_oxide::inflate::decompress_to_vec(deflated).expect("build.rs deflates every list");
    String::from_utf8(bytes).expect("every list is UTF-8")
}

lazy_static! {
    static ref PASSWORDS: String = deflated_list!("passwords");
    static ref ENGLISH_WIKI: String = deflated_list!("english_wiki");
    static ref FEMALE_NAMES: String = deflated_list!("female_names");
    static ref SURNAMES: String = deflated_list!("surnames");
    static ref US_TV_AND_FILM: String = deflated_list!("us_tv_and_film");
    static ref MALE_NAMES: String = deflated_list!("male_names");
}

#[derive(Copy, Clone, Debug, Eq, PartialEq, Hash, Default)]
#[cfg_attr(feature = "ser", derive(serde::Deserialize, serde::Serialize))]
pub enum DictionaryType {
    #[default]
    Passwords,
    English,
    FemaleNames,
    MaleNames,
    Surnames,
    UsTvAndFilm,
    UserInputs,
}

lazy_static! {
    pub(crate) static ref RANKED_DICTIONARIES: HashMap<DictionaryType, HashMap<&'static str, usize>> = {
        let mut dicts = HashMap::with_capacity(6);
        dicts.insert(
            DictionaryType::Passwords,
            PASSWORDS
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts.insert(
            DictionaryType::English,
            ENGLISH_WIKI
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts.insert(
            DictionaryType::FemaleNames,
            FEMALE_NAMES
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts.insert(
            DictionaryType::MaleNames,
            MALE_NAMES
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts.insert(
            DictionaryType::Surnames,
            SURNAMES
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts.insert(
            DictionaryType::UsTvAndFilm,
            US_TV_AND_FILM
                .split(',')
                .enumerate()
                .map(|(i, x)| (x, i + 1))
                .collect(),
        );
        dicts
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the constants held (3.1.1): each list's length in bytes and
    /// words, and its first and last words, so a list lost or cut in the
    /// round trip through build.rs fails here.
    #[test]
    fn the_lists_are_what_the_constants_were() {
        let expected: [(&String, usize, usize, &str, &str); 6] = [
            (&PASSWORDS, 241_949, 30_000, "123456", "geekboy"),
            (&ENGLISH_WIKI, 277_014, 30_000, "the", "evaporator"),
            (&FEMALE_NAMES, 26_707, 3_712, "mary", "allyn"),
            (&SURNAMES, 76_073, 10_000, "smith", "bonnette"),
            (&US_TV_AND_FILM, 164_289, 19_160, "you", "a'right"),
            (&MALE_NAMES, 6_664, 983, "james", "alonso"),
        ];
        for (list, bytes, words, first, last) in expected {
            assert_eq!(list.len(), bytes);
            assert_eq!(list.split(',').count(), words);
            assert_eq!(list.split(',').next(), Some(first));
            assert_eq!(list.rsplit(',').next(), Some(last));
        }
    }
}

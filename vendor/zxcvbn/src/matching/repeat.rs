//! Patched (PATCHED.md): the repeat matcher's three backtracking regexes,
//! `(.+)\1+`, `(.+?)\1+` and `^(.+?)\1+$`, written out. They were the one use
//! of `fancy-regex`, which with the `regex` crate it needs was about 0.9 MB of
//! every binary. What they find is kept exactly: the tests compare both on
//! every short string over a few alphabets and on random ones.
//!
//! Positions are in chars, as the matcher counts them. Like the regexes'
//! `.`, a base never holds a newline.

/// A base repeated at least twice, end to end: `chars[start..end]` is
/// `(end - start) / base_len` copies of `chars[start..start + base_len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Repeat {
    pub start: usize,
    pub end: usize,
    pub base_len: usize,
}

impl Repeat {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

/// What `(.+)\1+` (`greedy`) or `(.+?)\1+` captures in `chars`: at the
/// first position where any base repeats, the longest (greedy) or shortest
/// (lazy) base that is followed at once by a copy of itself, then every
/// further copy that follows.
pub(crate) fn find(chars: &[char], greedy: bool) -> Option<Repeat> {
    (0..chars.len()).find_map(|start| {
        // `.` stops at a newline, and a copy equals its base, so base and
        // copy both lie in the run of non-newline chars from `start`.
        let run = chars[start..].iter().take_while(|&&c| c != '\n').count();
        let fits = |&base_len: &usize| copies(chars, start, base_len) > 1;
        let base_len = if greedy {
            (1..=run / 2).rev().find(fits)
        } else {
            (1..=run / 2).find(fits)
        }?;
        let end = start + base_len * copies(chars, start, base_len);
        Some(Repeat {
            start,
            end,
            base_len,
        })
    })
}

/// What `^(.+?)\1+$` captures on a greedy repeat's text: the shortest base
/// whose copies make the whole of it (`aab` for `aabaab`, `ab` for
/// `abababab`). The greedy base is one, so there always is one.
pub(crate) fn shortest_base(chars: &[char], greedy: Repeat) -> usize {
    let text = &chars[greedy.start..greedy.end];
    (1..=text.len() / 2)
        .find(|&base_len| {
            text.len() % base_len == 0 && copies(text, 0, base_len) * base_len == text.len()
        })
        .unwrap_or(greedy.base_len)
}

/// How many copies of `chars[start..start + base_len]` follow one another
/// from `start` (1 when the base is not repeated, 0 when it does not fit or
/// holds a newline).
fn copies(chars: &[char], start: usize, base_len: usize) -> usize {
    let Some(base) = chars.get(start..start + base_len) else {
        return 0;
    };
    if base.contains(&'\n') {
        return 0;
    }
    chars[start..]
        .chunks_exact(base_len)
        .take_while(|chunk| *chunk == base)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fancy_regex::Regex;
    use quickcheck::{quickcheck, TestResult};

    /// The regexes the matcher used, on `text`, in chars: the match and
    /// its first group's length.
    fn by_regex(regex: &Regex, text: &str) -> Option<Repeat> {
        let found = regex.captures(text).unwrap()?;
        let chars = |byte: usize| text[..byte].chars().count();
        let (whole, base) = (found.get(0).unwrap(), found.get(1).unwrap());
        Some(Repeat {
            start: chars(whole.start()),
            end: chars(whole.end()),
            base_len: base.as_str().chars().count(),
        })
    }

    struct Regexes {
        greedy: Regex,
        lazy: Regex,
        anchored: Regex,
    }

    impl Regexes {
        fn new() -> Self {
            Regexes {
                greedy: Regex::new(r"(.+)\1+").unwrap(),
                lazy: Regex::new(r"(.+?)\1+").unwrap(),
                anchored: Regex::new(r"^(.+?)\1+$").unwrap(),
            }
        }

        /// Both ways agree on `text`; a description of the first difference.
        fn compare(&self, text: &str) -> Result<(), String> {
            let chars: Vec<char> = text.chars().collect();
            for (regex, greedy) in [(&self.greedy, true), (&self.lazy, false)] {
                let (expected, found) = (by_regex(regex, text), find(&chars, greedy));
                if expected != found {
                    return Err(format!(
                        "{text:?} greedy={greedy}: regex {expected:?}, found {found:?}"
                    ));
                }
            }
            if let Some(greedy) = find(&chars, true) {
                let matched: String = chars[greedy.start..greedy.end].iter().collect();
                let expected = by_regex(&self.anchored, &matched).map(|m| m.base_len);
                let found = shortest_base(&chars, greedy);
                if expected != Some(found) {
                    return Err(format!(
                        "{matched:?} anchored: regex {expected:?}, found {found}"
                    ));
                }
            }
            Ok(())
        }
    }

    /// Every string of up to `max_len` chars over `alphabet`.
    fn every_string(alphabet: &[char], max_len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max_len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn agrees_with_the_regexes_on_every_short_string() {
        let regexes = Regexes::new();
        for (alphabet, max_len) in [
            (&['a', 'b'][..], 12),
            (&['a', 'b', 'c'][..], 8),
            (&['a', 'b', '\n'][..], 8),
            (&['é', '1', '\u{1F600}'][..], 7),
        ] {
            for text in every_string(alphabet, max_len) {
                if let Err(difference) = regexes.compare(&text) {
                    panic!("{difference}");
                }
            }
        }
    }

    #[test]
    fn finds_what_the_matcher_documents() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        // greedy beats lazy for 'aabaab'; lazy beats greedy for 'aaaaa'
        let greedy = find(&chars("aabaab"), true).unwrap();
        assert_eq!((greedy.len(), greedy.base_len), (6, 3));
        assert_eq!(find(&chars("aabaab"), false).unwrap().len(), 2);
        assert_eq!(find(&chars("aaaaa"), true).unwrap().len(), 4);
        let lazy = find(&chars("aaaaa"), false).unwrap();
        assert_eq!((lazy.len(), lazy.base_len), (5, 1));
        let all = chars("aabaabaabaab");
        assert_eq!(shortest_base(&all, find(&all, true).unwrap()), 3);
        assert_eq!(find(&chars("abc\nabc"), true), None);
    }

    quickcheck! {
        fn agrees_with_the_regexes_on_random_strings(text: String) -> TestResult {
            // The matcher scores a password's first 100 chars; the regexes
            // backtrack for far longer than that on long random strings.
            if text.chars().count() > 100 {
                return TestResult::discard();
            }
            match Regexes::new().compare(&text) {
                Ok(()) => TestResult::passed(),
                Err(difference) => TestResult::error(difference),
            }
        }
    }
}

//! Search folding and the words of a search.
//!
//! Folding makes matching case- and diacritic-insensitive, with đ/Đ matching d/D. Unicode
//! compatibility decomposition (NFKD) separates tone and vowel marks (ầ → a + ̂ + ̀) and turns
//! fullwidth and other compatibility forms into plain letters (ｄ → d), but leaves đ whole: it is
//! a letter of its own, not d with a mark. Buyers still type `dam` for "Đầm", so đ is mapped by
//! hand. Products store folded text per language; queries are folded the same way, so the
//! database compares plain words and both backends give identical results.
//!
//! How a word matches depends on its length, because a short word is a prefix of many others
//! (in the demo catalog a quarter of the 3-letter Vietnamese words start a different word:
//! `qua` starts `quan`, `kho` starts `khoac`, `dam` starts the English `damp`): see
//! [`WHOLE_WORD_MAX_CHARS`] and [`LAST_WORD_PREFIX_MIN_CHARS`].

use crate::contact::is_invisible;
use thiserror::Error;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The longest query we accept, in characters. Real queries are a few words.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a search uses; every one must match. A longer search keeps its first
/// words rather than failing: a shopper who types a whole sentence still gets results.
pub const MAX_QUERY_WORDS: usize = 8;

/// The longest word, in folded characters, that matches only a whole word.
///
/// Chosen from the demo catalog's words: as prefixes, words of 1 and 2 characters start
/// several other words each (`da` starts `dang`, `day`, `dai`, `dam`…); of 3 characters, a
/// quarter of the Vietnamese ones start a different syllable with another meaning (`qua` →
/// `quan`, `chu` → `chun`, `dam` → the English `damp`); of 4 characters, 7% of the Vietnamese
/// ones do, and the English ones mostly start their own inflections (`shoe` → `shoes`,
/// `sock` → `socks`), which a shopper wants found.
pub const WHOLE_WORD_MAX_CHARS: usize = 3;

/// The shortest last word of a search of several words that matches as a prefix whatever
/// [`WHOLE_WORD_MAX_CHARS`] says: the last word is often the one still being typed (`ao kho`
/// for "áo khoác"), and the words before it already narrow the results, so its prefix
/// matches cost little. Words of 1 or 2 characters still match whole words only (`tui da` is
/// a leather bag, not every bag with a strap, `dây`).
pub const LAST_WORD_PREFIX_MIN_CHARS: usize = 3;

/// The version of [`fold`] and of what the store keeps for search. Stored beside the folded
/// text, so that a database whose text was folded by an earlier version is refolded when the
/// shop starts (bump it whenever [`fold`] or [`searchable`] changes what they return).
pub const FOLDING: i64 = 1;

/// Folds text for matching: lowercase, without diacritics, đ → d, compatibility forms
/// (fullwidth letters, ligatures) as plain letters, invisible characters (zero-width spaces
/// and joiners, bidi controls) dropped, words separated by one space.
pub fn fold(text: &str) -> String {
    // Lowercasing can turn a letter into one that decomposes further, so decomposition runs
    // again on the lowered text.
    let lowered: String = text.nfkd().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.nfkd() {
        // Marks of every combining block, not only Vietnamese tones: a word typed with a
        // stray mark is still the word.
        if is_combining_mark(c) || is_invisible(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The text stored for matching: folded, with a space at each end so that a word match is a
/// plain substring test on either database: `" word "` for a whole word, `" word"` for a
/// word start.
pub fn searchable(text: &str) -> String {
    format!(" {} ", fold(text))
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SearchQueryError {
    #[error("the search text is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// How a word of a search matches a stored word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordMatch {
    /// Only an equal word: `dam` finds "đầm", not "damp".
    Whole,
    /// Any word it starts: `khoac` finds "khoác", `shoe` finds "shoes".
    Prefix,
}

/// One folded word of a search and how it matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchWord {
    text: String,
    matching: WordMatch,
}

impl SearchWord {
    /// The folded word: letters and digits only, so it holds no SQL `LIKE` wildcard.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn matching(&self) -> WordMatch {
        self.matching
    }

    /// Whether text made by [`searchable`] holds this word, as the database decides it.
    pub fn is_in(&self, searchable_text: &str) -> bool {
        match self.matching {
            WordMatch::Whole => searchable_text.contains(&format!(" {} ", self.text)),
            WordMatch::Prefix => searchable_text.contains(&format!(" {}", self.text)),
        }
    }
}

/// A parsed search: folded words, each of which must match a word of a product's name,
/// category or description in the shopper's language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    words: Vec<SearchWord>,
}

impl SearchQuery {
    /// Parses what a buyer typed. Blank input gives `Ok(None)`: no search, not an error. Only
    /// the first [`MAX_QUERY_WORDS`] different words are kept. Words longer than
    /// [`WHOLE_WORD_MAX_CHARS`] match as prefixes, and so does the last of several words if
    /// it has at least [`LAST_WORD_PREFIX_MIN_CHARS`]; the others match whole words.
    pub fn parse(text: &str) -> Result<Option<SearchQuery>, SearchQueryError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchQueryError::TooLong);
        }
        let folded = fold(text);
        let mut distinct: Vec<&str> = Vec::new();
        for word in folded.split(' ').filter(|w| !w.is_empty()) {
            if distinct.len() == MAX_QUERY_WORDS {
                break;
            }
            if !distinct.contains(&word) {
                distinct.push(word);
            }
        }
        let last = distinct.len().saturating_sub(1);
        let several = distinct.len() > 1;
        let words: Vec<SearchWord> = distinct
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let chars = word.chars().count();
                let prefix = chars > WHOLE_WORD_MAX_CHARS
                    || (several && i == last && chars >= LAST_WORD_PREFIX_MIN_CHARS);
                SearchWord {
                    text: (*word).to_owned(),
                    matching: if prefix {
                        WordMatch::Prefix
                    } else {
                        WordMatch::Whole
                    },
                }
            })
            .collect();
        Ok((!words.is_empty()).then_some(SearchQuery { words }))
    }

    pub fn words(&self) -> &[SearchWord] {
        &self.words
    }

    /// Whether stored `searchable` text holds every word.
    pub fn matches(&self, searchable_text: &str) -> bool {
        self.words.iter().all(|w| w.is_in(searchable_text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> SearchQuery {
        SearchQuery::parse(text).unwrap().unwrap()
    }

    /// Each word of `query` and how it matches.
    fn shape(query: &SearchQuery) -> Vec<(&str, WordMatch)> {
        query
            .words()
            .iter()
            .map(|w| (w.text(), w.matching()))
            .collect()
    }

    #[test]
    fn folding_removes_tones_and_maps_d_stroke() {
        assert_eq!(fold("Áo khoác"), "ao khoac");
        assert_eq!(fold("Đầm maxi"), "dam maxi");
        assert_eq!(fold("GIÀY THỂ THAO"), "giay the thao");
        assert_eq!(fold("  Ví  da—bò, đỏ!  "), "vi da bo do");
        assert_eq!(fold("Nón lá Huế 100%"), "non la hue 100");
    }

    #[test]
    fn folding_precomposed_and_decomposed_input_agree() {
        let precomposed = "Đầm suông";
        let decomposed: String = precomposed.nfd().collect();
        assert_eq!(fold(precomposed), fold(&decomposed));
    }

    #[test]
    fn hostile_unicode_folds_to_the_word_it_shows() {
        // Zero-width space, joiner and non-joiner, soft hyphen, byte-order mark, word joiner
        // inside a word: invisible, so the word is whole.
        assert_eq!(fold("Đ\u{200B}ầ\u{200D}m"), "dam");
        assert_eq!(fold("\u{FEFF}đầ\u{00AD}m\u{2060} ma\u{200C}xi"), "dam maxi");
        // Fullwidth letters and a ligature are the plain letters.
        assert_eq!(fold("ＤẦＭ"), "dam");
        assert_eq!(fold("ﬁt"), "fit");
        // Stacked marks, including ones outside the Vietnamese block, are dropped.
        assert_eq!(fold("d\u{0301}\u{0302}\u{0303}\u{1DC0}\u{20D0}am"), "dam");
        assert_eq!(fold("a\u{0300}".repeat(50).as_str()), "a".repeat(50));
        // Bidi overrides and Hangul fillers show nothing; they neither join nor split words.
        assert_eq!(fold("\u{202E}mad\u{202C}"), "mad");
        assert_eq!(fold("\u{3164}\u{3164}"), "");
        // A capital dotted I is an i, not an i with a separate dot.
        assert_eq!(fold("İ"), "i");
    }

    #[test]
    fn short_words_match_whole_words_and_longer_ones_word_starts() {
        assert_eq!(shape(&query("dam")), [("dam", WordMatch::Whole)]);
        assert_eq!(shape(&query("khoac")), [("khoac", WordMatch::Prefix)]);
        assert_eq!(shape(&query("shoe")), [("shoe", WordMatch::Prefix)]);
        let dam = query("DAM");
        assert!(dam.matches(&searchable("Đầm maxi")));
        assert!(dam.matches(&searchable("Váy đầm")));
        assert!(!dam.matches(&searchable("Wipe with a damp cloth")));
        assert!(!dam.matches(&searchable("Adam")));
        assert!(query("khoac").matches(&searchable("Áo khoác gió")));
        assert!(!query("kho").matches(&searchable("Áo khoác gió")));
        assert!(query("shoe").matches(&searchable("Running shoes")));
    }

    #[test]
    fn the_last_of_several_words_is_a_prefix_from_three_characters() {
        assert_eq!(
            shape(&query("ao kho")),
            [("ao", WordMatch::Whole), ("kho", WordMatch::Prefix)]
        );
        assert_eq!(
            shape(&query("tui da")),
            [("tui", WordMatch::Whole), ("da", WordMatch::Whole)]
        );
        // Only the last word: `ao` stays whole when it comes first.
        assert_eq!(
            shape(&query("kho ao")),
            [("kho", WordMatch::Whole), ("ao", WordMatch::Whole)]
        );
        let q = query("ao kho");
        assert!(q.matches(&searchable("Áo khoác gió nam")));
        assert!(q.matches(&searchable("Khoác ngoài áo")));
        assert!(!q.matches(&searchable("Túi bao khoác")));
        assert!(!query("tui da").matches(&searchable("Túi vải, dây đeo bản to")));
        assert!(query("tui da").matches(&searchable("Túi xách da")));
    }

    #[test]
    fn blank_queries_are_no_search() {
        assert_eq!(SearchQuery::parse("   ").unwrap(), None);
        assert_eq!(SearchQuery::parse("?!").unwrap(), None);
        assert_eq!(
            SearchQuery::parse("\u{200B}\u{FEFF}\u{0301}").unwrap(),
            None
        );
    }

    #[test]
    fn oversized_queries_are_rejected() {
        assert_eq!(
            SearchQuery::parse(&"a".repeat(10_000)),
            Err(SearchQueryError::TooLong)
        );
        assert_eq!(
            shape(&query("a a a a a a a a a")),
            [("a", WordMatch::Whole)]
        );
    }

    #[test]
    fn long_searches_keep_their_first_eight_different_words() {
        let q = query("ao ao khoac gio nam mau den size l co mu");
        let kept: Vec<&str> = q.words().iter().map(SearchWord::text).collect();
        assert_eq!(
            kept,
            ["ao", "khoac", "gio", "nam", "mau", "den", "size", "l"]
        );
        // The last word kept is the one that may be a prefix; `l` is too short to be one.
        assert_eq!(q.words()[7].matching(), WordMatch::Whole);
        assert_eq!(q.words()[6].matching(), WordMatch::Prefix);
    }

    proptest::proptest! {
        #[test]
        fn folded_text_is_a_fixed_point(text in "\\PC{0,60}") {
            let once = fold(&text);
            proptest::prop_assert_eq!(fold(&once), once.clone());
            proptest::prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            proptest::prop_assert!(!once.contains("  "));
        }

        #[test]
        fn every_normalisation_of_a_text_folds_alike(text in "\\PC{0,60}") {
            use unicode_normalization::UnicodeNormalization as _;
            let folded = fold(&text);
            proptest::prop_assert_eq!(fold(&text.nfc().collect::<String>()), folded.clone());
            proptest::prop_assert_eq!(fold(&text.nfd().collect::<String>()), folded.clone());
            proptest::prop_assert_eq!(fold(&text.nfkc().collect::<String>()), folded);
        }

        #[test]
        fn any_word_of_a_text_finds_that_text(text in "\\PC{1,60}", pick in 0usize..100) {
            let folded = fold(&text);
            let text_words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
            proptest::prop_assume!(!text_words.is_empty());
            let word = text_words[pick % text_words.len()];
            let q = SearchQuery::parse(word).unwrap().unwrap();
            proptest::prop_assert!(q.matches(&searchable(&text)), "{word:?} in {text:?}");
        }

        #[test]
        fn parsed_words_are_few_distinct_and_plain(text in "\\PC{0,200}") {
            if let Some(q) = SearchQuery::parse(&text).unwrap() {
                let words = q.words();
                proptest::prop_assert!(!words.is_empty() && words.len() <= MAX_QUERY_WORDS);
                for (i, w) in words.iter().enumerate() {
                    proptest::prop_assert!(!w.text().is_empty());
                    proptest::prop_assert!(w.text().chars().all(char::is_alphanumeric));
                    proptest::prop_assert!(words[..i].iter().all(|v| v.text() != w.text()));
                }
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = SearchQuery::parse(&text);
        }
    }
}

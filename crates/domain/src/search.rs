//! Vietnamese search folding: case- and diacritic-insensitive, with đ/Đ matching d/D.
//!
//! Unicode decomposition separates tone and vowel marks (ầ → a + ̂ + ̀) but leaves đ whole: it is
//! a letter of its own, not d with a mark. Buyers still type `dam` for "Đầm", so đ is mapped
//! by hand. Products store the folded text; queries are folded the same way, so the database
//! compares plain ASCII-ish words and both backends give identical results.

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// The longest query we accept, in characters. Real queries are a few words.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a search uses; every one must match. A longer search keeps its first
/// words rather than failing: a shopper who types a whole sentence still gets results.
pub const MAX_QUERY_WORDS: usize = 8;

/// Folds text for matching: lowercase, without diacritics, đ → d, words separated by one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
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

/// Marks that NFD splits off letters (the Combining Diacritical Marks block covers every
/// Vietnamese tone and vowel mark).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// The text stored for matching: folded, with a space at each end so that a word match is a
/// plain substring test for `" word"` on either database.
pub fn searchable(text: &str) -> String {
    format!(" {} ", fold(text))
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SearchQueryError {
    #[error("the search text is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// A parsed search: folded words, each of which must match the start of a word in a product's
/// name or description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// Parses what a buyer typed. Blank input gives `Ok(None)`: no search, not an error. Only
    /// the first [`MAX_QUERY_WORDS`] different words are kept.
    pub fn parse(text: &str) -> Result<Option<SearchQuery>, SearchQueryError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchQueryError::TooLong);
        }
        let folded = fold(text);
        let mut words: Vec<String> = Vec::new();
        for word in folded.split(' ').filter(|w| !w.is_empty()) {
            if words.len() == MAX_QUERY_WORDS {
                break;
            }
            if !words.iter().any(|w| w == word) {
                words.push(word.to_owned());
            }
        }
        Ok((!words.is_empty()).then_some(SearchQuery { words }))
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Whether stored `searchable` text contains every word at a word start.
    pub fn matches(&self, searchable_text: &str) -> bool {
        self.words
            .iter()
            .all(|w| searchable_text.contains(&format!(" {w}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn queries_match_word_starts_only() {
        let q = SearchQuery::parse("ao khoac").unwrap().unwrap();
        assert!(q.matches(&searchable("Áo khoác gió nam")));
        assert!(q.matches(&searchable("Khoác ngoài áo")));
        assert!(!q.matches(&searchable("Túi bao khoác")));
        let dam = SearchQuery::parse("DAM").unwrap().unwrap();
        assert!(dam.matches(&searchable("Đầm maxi")));
        assert!(!dam.matches(&searchable("Adam")));
    }

    #[test]
    fn blank_queries_are_no_search() {
        assert_eq!(SearchQuery::parse("   ").unwrap(), None);
        assert_eq!(SearchQuery::parse("?!").unwrap(), None);
    }

    #[test]
    fn oversized_queries_are_rejected() {
        assert_eq!(
            SearchQuery::parse(&"a".repeat(10_000)),
            Err(SearchQueryError::TooLong)
        );
        assert_eq!(
            SearchQuery::parse("a a a a a a a a a")
                .unwrap()
                .unwrap()
                .words(),
            ["a"]
        );
    }

    #[test]
    fn long_searches_keep_their_first_eight_different_words() {
        let q = SearchQuery::parse("ao ao khoac gio nam mau den size l co mu")
            .unwrap()
            .unwrap();
        assert_eq!(
            q.words(),
            ["ao", "khoac", "gio", "nam", "mau", "den", "size", "l"]
        );
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
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = SearchQuery::parse(&text);
        }
    }
}

//! The account holder's name, as the buyer's bank app will show it before the buyer confirms.
//!
//! The name is not in the payload (the buyer's bank looks it up from the account), but the
//! shop prints it beside the code so the buyer can check both agree. Banks print holder names
//! in capitals without Vietnamese accents ("Công ty Hàn Kim Bì" is shown as
//! "CONG TY HAN KIM BI"), so the shop's setting is folded the same way.

use crate::error::InputError;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The longest holder name accepted, in characters after folding. Long company names
/// ("CONG TY TRACH NHIEM HUU HAN ...") fit; the bound catches a pasted paragraph, and keeps
/// the line short on a phone.
pub const MAX_ACCOUNT_HOLDER_LENGTH: usize = 70;

/// A holder name as banks print it: upper-case ASCII letters, words separated by one space.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountHolder(String);

impl AccountHolder {
    /// Folds `text` the way banks print names, then checks it.
    ///
    /// Accents and tone marks are removed and đ becomes D; letters are upper-cased; runs of
    /// spaces become one, and spaces at either end are dropped. What remains must be letters
    /// A-Z and spaces: digits, punctuation, letters without an ASCII base (ß, Æ) and invisible
    /// or direction-changing characters are refused with their position, never dropped.
    pub fn parse(text: &str) -> Result<AccountHolder, InputError> {
        let mut folded = String::with_capacity(text.len());
        let mut pending_space = false;
        for (index, original) in text.chars().enumerate() {
            let position = index + 1;
            if original.is_control() {
                return Err(InputError::AccountHolderControl { position });
            }
            if original.is_whitespace() {
                pending_space = true;
                continue;
            }
            // Decomposing one character at a time splits a precomposed letter ("ệ") into its
            // base and marks; marks typed on their own are dropped the same way.
            for part in original.nfd() {
                if is_combining_mark(part) {
                    continue;
                }
                let letter = match part {
                    'đ' | 'Đ' => 'D',
                    other if other.is_ascii_alphabetic() => other.to_ascii_uppercase(),
                    _ => {
                        return Err(InputError::AccountHolderCharacter {
                            found: original,
                            position,
                        })
                    }
                };
                if pending_space && !folded.is_empty() {
                    folded.push(' ');
                }
                pending_space = false;
                folded.push(letter);
            }
        }
        match folded.len() {
            0 => Err(InputError::AccountHolderEmpty),
            length if length > MAX_ACCOUNT_HOLDER_LENGTH => Err(InputError::AccountHolderTooLong {
                length,
                max: MAX_ACCOUNT_HOLDER_LENGTH,
            }),
            _ => Ok(AccountHolder(folded)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The marks NFD splits off letters; the Combining Diacritical Marks block holds every
/// Vietnamese tone and vowel mark.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn folded(text: &str) -> Result<String, InputError> {
        AccountHolder::parse(text).map(|h| h.to_string())
    }

    #[test]
    fn vietnamese_names_are_printed_the_banks_way() {
        assert_eq!(folded("Nguyễn Văn A"), Ok("NGUYEN VAN A".into()));
        assert_eq!(
            folded("Đặng Thị Ánh Tuyết"),
            Ok("DANG THI ANH TUYET".into())
        );
        assert_eq!(
            folded("Công ty TNHH Hàn Kim Bì"),
            Ok("CONG TY TNHH HAN KIM BI".into())
        );
        assert_eq!(folded("NGUYEN VAN A"), Ok("NGUYEN VAN A".into()));
    }

    #[test]
    fn decomposed_input_folds_like_precomposed() {
        // "Nguyễn" typed as e + circumflex + tilde, as some keyboards send it.
        assert_eq!(folded("Nguye\u{0302}\u{0303}n"), Ok("NGUYEN".into()));
    }

    #[test]
    fn spaces_are_collapsed_and_trimmed() {
        assert_eq!(folded("  tran   thi\u{00A0}b "), Ok("TRAN THI B".into()));
    }

    #[test]
    fn empty_names_are_refused() {
        assert_eq!(folded(""), Err(InputError::AccountHolderEmpty));
        assert_eq!(folded("   "), Err(InputError::AccountHolderEmpty));
        assert_eq!(
            folded("\u{0301}\u{0300}"),
            Err(InputError::AccountHolderEmpty)
        );
    }

    #[test]
    fn control_characters_are_refused_with_their_position() {
        assert_eq!(
            folded("NGUYEN\tVAN A"),
            Err(InputError::AccountHolderControl { position: 7 })
        );
        assert_eq!(
            folded("A\nB"),
            Err(InputError::AccountHolderControl { position: 2 })
        );
    }

    #[test]
    fn other_characters_are_refused_not_dropped() {
        assert_eq!(
            folded("CONG TY 3C"),
            Err(InputError::AccountHolderCharacter {
                found: '3',
                position: 9
            })
        );
        assert_eq!(
            folded("NGUYEN-VAN"),
            Err(InputError::AccountHolderCharacter {
                found: '-',
                position: 7
            })
        );
        // Invisible and direction-changing characters are not spaces.
        assert_eq!(
            folded("AN\u{200B}NA"),
            Err(InputError::AccountHolderCharacter {
                found: '\u{200B}',
                position: 3
            })
        );
        assert_eq!(
            folded("\u{202E}ANNA"),
            Err(InputError::AccountHolderCharacter {
                found: '\u{202E}',
                position: 1
            })
        );
        assert_eq!(
            folded("STRAß"),
            Err(InputError::AccountHolderCharacter {
                found: 'ß',
                position: 5
            })
        );
    }

    #[test]
    fn the_length_is_counted_after_folding() {
        let longest = "A".repeat(MAX_ACCOUNT_HOLDER_LENGTH);
        assert!(AccountHolder::parse(&longest).is_ok());
        let spaced = format!("   {longest}   ");
        assert!(AccountHolder::parse(&spaced).is_ok());
        assert_eq!(
            folded(&"Ă".repeat(MAX_ACCOUNT_HOLDER_LENGTH + 1)),
            Err(InputError::AccountHolderTooLong {
                length: MAX_ACCOUNT_HOLDER_LENGTH + 1,
                max: MAX_ACCOUNT_HOLDER_LENGTH
            })
        );
    }

    proptest! {
        #[test]
        fn a_folded_name_is_capitals_and_single_spaces(text in "\\PC{0,80}") {
            if let Ok(holder) = AccountHolder::parse(&text) {
                let name = holder.as_str();
                prop_assert!(name.bytes().all(|b| b.is_ascii_uppercase() || b == b' '));
                prop_assert!(!name.starts_with(' ') && !name.ends_with(' '));
                prop_assert!(!name.contains("  "));
                prop_assert!((1..=MAX_ACCOUNT_HOLDER_LENGTH).contains(&name.len()));
                // Folding is idempotent: a printed name is its own printed form.
                prop_assert_eq!(folded(name), Ok(name.to_owned()));
            }
        }
    }
}

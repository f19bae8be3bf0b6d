//! The transfer reference: what the buyer's bank app puts in the transfer note (field 62-08,
//! "purpose of transaction"), and what the shop looks for on its statement to match a
//! payment to an order.
//!
//! The EMVCo field allows up to 25 characters of a wide ASCII set, but bank apps and the
//! interbank message do not keep it whole: Vietnamese accents are stripped, some apps drop
//! punctuation or replace it with spaces, some merge spaces. ASCII letters, digits and single
//! spaces survive every app, so a reference is made of those alone, and the note on the
//! shop's statement is then the reference itself.

use crate::error::InputError;
use std::fmt;

/// The longest reference field 62-08 carries.
pub const MAX_REFERENCE_LENGTH: usize = 25;

/// A transfer note every bank app keeps intact: 1 to 25 ASCII letters and digits, with single
/// spaces between words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransferReference(String);

impl TransferReference {
    /// Reads a reference exactly as given; nothing is trimmed, folded or dropped.
    pub fn parse(text: &str) -> Result<TransferReference, InputError> {
        if let Some((index, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == ' '))
        {
            return Err(InputError::ReferenceCharacter {
                found,
                position: index + 1,
            });
        }
        if text.is_empty() {
            return Err(InputError::ReferenceEmpty);
        }
        if text.starts_with(' ') || text.ends_with(' ') || text.contains("  ") {
            return Err(InputError::ReferenceSpacing);
        }
        if text.len() > MAX_REFERENCE_LENGTH {
            return Err(InputError::ReferenceTooLong {
                length: text.len(),
                max: MAX_REFERENCE_LENGTH,
            });
        }
        Ok(TransferReference(text.to_owned()))
    }

    /// The reference for an order: the order number itself whenever it is a valid reference,
    /// which every number the shop issues is (`HJ` and ten base-32 characters, see
    /// `Checkout`'s `new_order_number`), so a transfer note is matched to its order by
    /// equality.
    ///
    /// A number in another form (an imported order, a future scheme with separators, such as
    /// `HJ-2025/0042`) keeps only its ASCII letters and digits, in order (`HJ20250042`): the
    /// same characters a bank app would have kept of it. That can make two numbers share a
    /// reference (`A-12` and `A1-2`), so a scheme with separators must stay unambiguous
    /// without them. A number with no letter or digit, or more than 25 of them, is refused.
    pub fn for_order(order_number: &str) -> Result<TransferReference, InputError> {
        if let Ok(verbatim) = TransferReference::parse(order_number) {
            return Ok(verbatim);
        }
        let kept: String = order_number
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        TransferReference::parse(&kept)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransferReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(text: &str) -> Result<String, InputError> {
        TransferReference::parse(text).map(|r| r.to_string())
    }

    #[test]
    fn letters_digits_and_single_spaces_are_a_reference() {
        for text in [
            "HJ0123456789",
            "a",
            "Ung ho lu lut",
            "THANH TOAN DON 42",
            &"9".repeat(25),
        ] {
            assert_eq!(parsed(text), Ok(text.to_owned()), "{text}");
        }
    }

    #[test]
    fn what_a_bank_app_would_change_is_refused() {
        assert_eq!(parsed(""), Err(InputError::ReferenceEmpty));
        assert_eq!(parsed(" HJ1"), Err(InputError::ReferenceSpacing));
        assert_eq!(parsed("HJ1 "), Err(InputError::ReferenceSpacing));
        assert_eq!(parsed("HJ  1"), Err(InputError::ReferenceSpacing));
        assert_eq!(
            parsed("HJ-1"),
            Err(InputError::ReferenceCharacter {
                found: '-',
                position: 3
            })
        );
        assert_eq!(
            parsed("Đơn 1"),
            Err(InputError::ReferenceCharacter {
                found: 'Đ',
                position: 1
            })
        );
        assert_eq!(
            parsed("HJ\t1"),
            Err(InputError::ReferenceCharacter {
                found: '\t',
                position: 3
            })
        );
        assert_eq!(
            parsed(&"9".repeat(26)),
            Err(InputError::ReferenceTooLong {
                length: 26,
                max: 25
            })
        );
    }

    #[test]
    fn the_shops_order_numbers_are_their_own_reference() {
        for number in ["HJ0123456789", "HJZZZZZZZZZZ", "HJ7K3M9QX2AB"] {
            let reference = TransferReference::for_order(number).expect("a reference");
            assert_eq!(reference.as_str(), number);
        }
    }

    #[test]
    fn other_order_numbers_keep_their_letters_and_digits() {
        let reference = TransferReference::for_order("HJ-2025/0042").expect("a reference");
        assert_eq!(reference.as_str(), "HJ20250042");
        let reference = TransferReference::for_order("#1001").expect("a reference");
        assert_eq!(reference.as_str(), "1001");
    }

    #[test]
    fn order_numbers_that_cannot_become_a_reference_are_refused() {
        assert_eq!(
            TransferReference::for_order("--"),
            Err(InputError::ReferenceEmpty)
        );
        assert_eq!(
            TransferReference::for_order(&format!("HJ-{}", "1".repeat(24))),
            Err(InputError::ReferenceTooLong {
                length: 26,
                max: 25
            })
        );
    }

    proptest! {
        #[test]
        fn valid_references_parse_back(text in "[A-Za-z0-9]( ?[A-Za-z0-9]){0,12}") {
            prop_assert_eq!(parsed(&text), Ok(text.clone()));
        }

        #[test]
        fn a_valid_order_number_is_kept_verbatim(number in "HJ[0-9A-HJKMNP-TV-Z]{10}") {
            let reference = TransferReference::for_order(&number).expect("a reference");
            prop_assert_eq!(reference.as_str(), number.as_str());
        }

        #[test]
        fn any_reference_made_for_an_order_is_valid(number in "\\PC{0,40}") {
            if let Ok(reference) = TransferReference::for_order(&number) {
                prop_assert_eq!(parsed(reference.as_str()), Ok(reference.to_string()));
            }
        }
    }
}

//! The beneficiary's account number, field 38-01-01 of the payload.

use crate::error::InputError;
use std::fmt;

/// The longest account number VietQR carries (the consumer ID of the NAPAS beneficiary
/// template is "ans, up to 19").
pub const MAX_ACCOUNT_NUMBER_LENGTH: usize = 19;

/// A bank account number: 1 to 19 ASCII digits or letters.
///
/// Most accounts are digits; letters are allowed because the NAPAS field is alphanumeric and
/// some banks issue virtual accounts with letters. Spaces, dots and dashes that people type
/// for readability are refused rather than dropped, so what the shop shows is what the code
/// carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(text: &str) -> Result<AccountNumber, InputError> {
        if let Some((index, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
        {
            return Err(InputError::AccountNumberCharacter {
                found,
                position: index + 1,
            });
        }
        match text.len() {
            0 => Err(InputError::AccountNumberEmpty),
            length if length > MAX_ACCOUNT_NUMBER_LENGTH => Err(InputError::AccountNumberTooLong {
                length,
                max: MAX_ACCOUNT_NUMBER_LENGTH,
            }),
            _ => Ok(AccountNumber(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn digits_and_letters_are_an_account_number() {
        for text in ["0011001932418", "1", "VQRQ0001234", "1234567890123456789"] {
            assert_eq!(
                AccountNumber::parse(text).map(|a| a.to_string()),
                Ok(text.to_owned())
            );
        }
    }

    #[test]
    fn empty_and_too_long_are_refused() {
        assert_eq!(
            AccountNumber::parse(""),
            Err(InputError::AccountNumberEmpty)
        );
        assert_eq!(
            AccountNumber::parse("12345678901234567890"),
            Err(InputError::AccountNumberTooLong {
                length: 20,
                max: 19
            })
        );
    }

    #[test]
    fn separators_are_refused_not_dropped() {
        assert_eq!(
            AccountNumber::parse("0011 0019"),
            Err(InputError::AccountNumberCharacter {
                found: ' ',
                position: 5
            })
        );
        assert_eq!(
            AccountNumber::parse("001-1"),
            Err(InputError::AccountNumberCharacter {
                found: '-',
                position: 4
            })
        );
        assert_eq!(
            AccountNumber::parse("12Đ"),
            Err(InputError::AccountNumberCharacter {
                found: 'Đ',
                position: 3
            })
        );
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_back(text in "[0-9A-Za-z]{1,19}") {
            prop_assert_eq!(AccountNumber::parse(&text).map(|a| a.as_str().to_owned()), Ok(text));
        }

        #[test]
        fn never_panics(text in "\\PC{0,30}") {
            let _ = AccountNumber::parse(&text);
        }
    }
}

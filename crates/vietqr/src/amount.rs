//! The amount to transfer, field 54, in whole đồng.

use crate::error::InputError;
use hanjinbi_domain::Dong;
use std::fmt;

/// The most digits field 54 holds.
pub const MAX_AMOUNT_DIGITS: usize = 13;

/// The largest amount field 54 can state: thirteen nines.
pub const MAX_AMOUNT: u64 = 9_999_999_999_999;

/// An amount of đồng a VietQR code can ask for: more than zero and at most [`MAX_AMOUNT`].
///
/// The đồng has no minor unit in use, so the field is written as plain digits, without the
/// decimal point EMVCo allows for other currencies. The code only states the amount; a bank
/// may still refuse a transfer above its own or NAPAS's per-transaction limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    pub fn new(dong: u64) -> Result<Amount, InputError> {
        if dong == 0 {
            Err(InputError::AmountNotPositive)
        } else if dong > MAX_AMOUNT {
            Err(InputError::AmountTooLarge { max: MAX_AMOUNT })
        } else {
            Ok(Amount(dong))
        }
    }

    /// The amount of an order total.
    pub fn from_dong(total: Dong) -> Result<Amount, InputError> {
        let dong = u64::try_from(total.amount()).map_err(|_| InputError::AmountNotPositive)?;
        Amount::new(dong)
    }

    /// Reads field 54: digits only, as this crate writes it.
    pub(crate) fn parse_field(text: &str) -> Result<Amount, InputError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::AmountNotDigits);
        }
        if text.len() > MAX_AMOUNT_DIGITS {
            return Err(InputError::AmountTooLarge { max: MAX_AMOUNT });
        }
        let dong: u64 = text.parse().map_err(|_| InputError::AmountNotDigits)?;
        Amount::new(dong)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    pub fn to_dong(self) -> Dong {
        // Lossless: an amount is at most thirteen nines (checked in `new`), far below
        // i64::MAX, so the cast cannot wrap.
        Dong(self.0 as i64)
    }
}

impl TryFrom<Dong> for Amount {
    type Error = InputError;

    fn try_from(total: Dong) -> Result<Amount, InputError> {
        Amount::from_dong(total)
    }
}

/// The digits of field 54.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn positive_amounts_up_to_thirteen_digits() {
        assert_eq!(Amount::new(1).map(Amount::get), Ok(1));
        assert_eq!(Amount::new(MAX_AMOUNT).map(Amount::get), Ok(MAX_AMOUNT));
        assert_eq!(MAX_AMOUNT.to_string().len(), MAX_AMOUNT_DIGITS);
        assert_eq!(Amount::new(0), Err(InputError::AmountNotPositive));
        assert_eq!(
            Amount::new(MAX_AMOUNT + 1),
            Err(InputError::AmountTooLarge { max: MAX_AMOUNT })
        );
    }

    #[test]
    fn from_an_order_total() {
        assert_eq!(
            Amount::from_dong(Dong(1_250_000)).map(Amount::get),
            Ok(1_250_000)
        );
        assert_eq!(
            Amount::try_from(Dong(-5)),
            Err(InputError::AmountNotPositive)
        );
        assert_eq!(
            Amount::from_dong(Dong(0)),
            Err(InputError::AmountNotPositive)
        );
        assert_eq!(
            Amount::from_dong(Dong(i64::MAX)),
            Err(InputError::AmountTooLarge { max: MAX_AMOUNT })
        );
    }

    #[test]
    fn the_field_is_plain_digits() {
        assert_eq!(Amount::parse_field("180000").map(Amount::get), Ok(180_000));
        assert_eq!(Amount::parse_field(""), Err(InputError::AmountNotDigits));
        assert_eq!(
            Amount::parse_field("180000.00"),
            Err(InputError::AmountNotDigits)
        );
        assert_eq!(
            Amount::parse_field("1.000"),
            Err(InputError::AmountNotDigits)
        );
        assert_eq!(Amount::parse_field("-1"), Err(InputError::AmountNotDigits));
        assert_eq!(Amount::parse_field("0"), Err(InputError::AmountNotPositive));
        assert_eq!(
            Amount::parse_field("99999999999999"),
            Err(InputError::AmountTooLarge { max: MAX_AMOUNT })
        );
    }

    proptest! {
        #[test]
        fn the_written_field_reads_back(dong in 1..=MAX_AMOUNT) {
            let amount = Amount::new(dong).expect("in range");
            let field = amount.to_string();
            prop_assert!(field.len() <= MAX_AMOUNT_DIGITS);
            prop_assert_eq!(Amount::parse_field(&field), Ok(amount));
            prop_assert_eq!(amount.to_dong(), Dong(i64::try_from(dong).expect("small")));
        }
    }
}

//! Money in Vietnamese đồng. The đồng has no minor unit in use, so an amount is a whole number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in đồng.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Dong(pub i64);

impl Dong {
    pub const ZERO: Dong = Dong(0);

    pub fn amount(self) -> i64 {
        self.0
    }

    /// `self × quantity`, or `None` on overflow.
    pub fn checked_mul(self, quantity: i64) -> Option<Dong> {
        self.0.checked_mul(quantity).map(Dong)
    }

    pub fn checked_add(self, other: Dong) -> Option<Dong> {
        self.0.checked_add(other.0).map(Dong)
    }

    /// The digits grouped by dots, the Vietnamese way, without the currency sign: `1.250.000`.
    pub fn grouped(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        out
    }
}

/// Written the way Vietnamese shops write prices: `1.250.000 ₫` (a no-break space before the sign).
impl fmt::Display for Dong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\u{a0}₫", self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_written_with_dot_groups_and_the_dong_sign() {
        assert_eq!(Dong(1_250_000).to_string(), "1.250.000\u{a0}₫");
        assert_eq!(Dong(0).to_string(), "0\u{a0}₫");
        assert_eq!(Dong(999).grouped(), "999");
        assert_eq!(Dong(1000).grouped(), "1.000");
        assert_eq!(Dong(-45_000).grouped(), "-45.000");
        assert_eq!(Dong(i64::MIN).grouped(), "-9.223.372.036.854.775.808");
    }

    #[test]
    fn arithmetic_reports_overflow() {
        assert_eq!(Dong(i64::MAX).checked_mul(2), None);
        assert_eq!(Dong(100).checked_mul(3), Some(Dong(300)));
        assert_eq!(Dong(i64::MAX).checked_add(Dong(1)), None);
    }

    proptest::proptest! {
        #[test]
        fn grouping_only_inserts_dots(n in proptest::num::i64::ANY) {
            let grouped = Dong(n).grouped();
            proptest::prop_assert_eq!(grouped.replace('.', ""), n.to_string());
        }
    }
}

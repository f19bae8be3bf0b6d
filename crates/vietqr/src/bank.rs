//! The beneficiary's bank, named by its BIN: the six-digit bank identification number NAPAS
//! assigns to each member (970436 is Vietcombank). VietQR carries the BIN, never a bank name.

use crate::error::InputError;
use std::fmt;

/// The number of digits of a BIN.
pub const BANK_BIN_LENGTH: usize = 6;

/// A NAPAS bank identification number: exactly six digits.
///
/// Any well-formed BIN is accepted, known or not: NAPAS adds members, and the bank's app, not
/// the shop, is the authority on which BINs exist. [`BankBin::bank_name`] only helps a page
/// show a familiar name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankBin(String);

impl BankBin {
    /// Reads a BIN exactly as given: six ASCII digits, nothing around them.
    pub fn parse(text: &str) -> Result<BankBin, InputError> {
        if let Some((index, found)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(InputError::BankBinCharacter {
                found,
                position: index + 1,
            });
        }
        if text.len() != BANK_BIN_LENGTH {
            return Err(InputError::BankBinLength { length: text.len() });
        }
        Ok(BankBin(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bank's short name if the BIN is in [`KNOWN_BANKS`].
    pub fn bank_name(&self) -> Option<&'static str> {
        KNOWN_BANKS
            .binary_search_by(|bank| bank.bin.cmp(self.as_str()))
            .ok()
            .and_then(|index| KNOWN_BANKS.get(index))
            .map(|bank| bank.short_name)
    }
}

impl fmt::Display for BankBin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bank of [`KNOWN_BANKS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownBank {
    pub bin: &'static str,
    pub short_name: &'static str,
}

const fn bank(bin: &'static str, short_name: &'static str) -> KnownBank {
    KnownBank { bin, short_name }
}

/// Well-known NAPAS members and the short names their customers know them by, sorted by BIN.
///
/// Source: the NAPAS member list as commonly published with VietQR (the bank list of the
/// VietQR service, and NAPAS's list of member BINs). It holds the large commercial banks
/// whose BIN and name have been stable; banks that merged or were renamed recently are left
/// out rather than shown under an old name. A BIN missing here is still accepted.
pub const KNOWN_BANKS: &[KnownBank] = &[
    bank("970403", "Sacombank"),
    bank("970405", "Agribank"),
    bank("970407", "Techcombank"),
    bank("970409", "Bac A Bank"),
    bank("970415", "VietinBank"),
    bank("970416", "ACB"),
    bank("970418", "BIDV"),
    bank("970419", "NCB"),
    bank("970422", "MB"),
    bank("970423", "TPBank"),
    bank("970425", "ABBANK"),
    bank("970426", "MSB"),
    bank("970428", "Nam A Bank"),
    bank("970431", "Eximbank"),
    bank("970432", "VPBank"),
    bank("970436", "Vietcombank"),
    bank("970437", "HDBank"),
    bank("970438", "BAOVIET Bank"),
    bank("970440", "SeABank"),
    bank("970441", "VIB"),
    bank("970443", "SHB"),
    bank("970448", "OCB"),
    bank("970452", "KienlongBank"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn six_digits_are_a_bin() {
        let bin = BankBin::parse("970436").expect("a BIN");
        assert_eq!(bin.as_str(), "970436");
        assert_eq!(bin.to_string(), "970436");
    }

    #[test]
    fn the_banks_of_the_brief_have_their_names() {
        for (bin, name) in [
            ("970436", "Vietcombank"),
            ("970415", "VietinBank"),
            ("970418", "BIDV"),
            ("970405", "Agribank"),
            ("970422", "MB"),
            ("970407", "Techcombank"),
            ("970416", "ACB"),
        ] {
            let parsed = BankBin::parse(bin).expect("a BIN");
            assert_eq!(parsed.bank_name(), Some(name), "{bin}");
        }
    }

    #[test]
    fn an_unknown_bin_is_accepted_without_a_name() {
        let bin = BankBin::parse("970499").expect("well-formed");
        assert_eq!(bin.bank_name(), None);
    }

    #[test]
    fn wrong_lengths_are_refused_with_the_length() {
        assert_eq!(
            BankBin::parse("97043"),
            Err(InputError::BankBinLength { length: 5 })
        );
        assert_eq!(
            BankBin::parse("9704360"),
            Err(InputError::BankBinLength { length: 7 })
        );
        assert_eq!(
            BankBin::parse(""),
            Err(InputError::BankBinLength { length: 0 })
        );
    }

    #[test]
    fn anything_but_digits_is_refused_with_the_character() {
        assert_eq!(
            BankBin::parse("97O436"),
            Err(InputError::BankBinCharacter {
                found: 'O',
                position: 3
            })
        );
        assert_eq!(
            BankBin::parse(" 970436"),
            Err(InputError::BankBinCharacter {
                found: ' ',
                position: 1
            })
        );
        // Digits of other scripts are digits, but not ASCII ones.
        assert_eq!(
            BankBin::parse("٩٧٠٤٣٦"),
            Err(InputError::BankBinCharacter {
                found: '٩',
                position: 1
            })
        );
    }

    #[test]
    fn the_table_is_sorted_unique_and_well_formed() {
        for pair in KNOWN_BANKS.windows(2) {
            assert!(
                pair[0].bin < pair[1].bin,
                "{} before {}",
                pair[0].bin,
                pair[1].bin
            );
        }
        for bank in KNOWN_BANKS {
            assert!(BankBin::parse(bank.bin).is_ok(), "{}", bank.bin);
            assert!(!bank.short_name.is_empty());
        }
    }

    proptest! {
        #[test]
        fn any_six_digits_parse_back_to_themselves(text in "[0-9]{6}") {
            prop_assert_eq!(BankBin::parse(&text).map(|b| b.as_str().to_owned()), Ok(text));
        }

        #[test]
        fn other_text_is_refused(text in "\\PC{0,12}") {
            prop_assume!(!(text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())));
            prop_assert!(BankBin::parse(&text).is_err());
        }
    }
}

//! Writing the payload: an EMVCo merchant-presented QR payload in the NAPAS 247 (VietQR)
//! profile for a transfer to an account, dynamic because it carries the amount.
//!
//! ```text
//! 00 02 01                      payload format indicator
//! 01 02 12                      point of initiation: dynamic (one code per order)
//! 38 ..                         merchant account information, NAPAS template
//!    00 10 A000000727           NAPAS's application ID
//!    01 ..                      beneficiary organisation
//!       00 06 <BIN>             the bank
//!       01 .. <account>         the account
//!    02 08 QRIBFTTA             service: interbank transfer to an account
//! 53 03 704                     currency: VND (ISO 4217)
//! 54 .. <amount>                amount in đồng, digits
//! 58 02 VN                      country
//! 62 ..                         additional data
//!    08 .. <reference>          purpose of transaction: the transfer note
//! 63 04 <CRC>                   CRC-16/CCITT-FALSE of everything before it, "6304" included
//! ```

use crate::account::{AccountNumber, MAX_ACCOUNT_NUMBER_LENGTH};
use crate::amount::{Amount, MAX_AMOUNT_DIGITS};
use crate::bank::{BankBin, BANK_BIN_LENGTH};
use crate::crc;
use crate::reference::{TransferReference, MAX_REFERENCE_LENGTH};
use crate::tlv::{self, MAX_VALUE_LENGTH};
use std::fmt;

/// Field IDs and the fixed values of the profile, shared with the reader.
pub(crate) mod ids {
    pub const FORMAT_INDICATOR: &str = "00";
    pub const INITIATION: &str = "01";
    pub const NAPAS: &str = "38";
    pub const CURRENCY: &str = "53";
    pub const AMOUNT: &str = "54";
    pub const COUNTRY: &str = "58";
    pub const ADDITIONAL_DATA: &str = "62";
    pub const CRC: &str = "63";

    /// Inside template 38.
    pub const NAPAS_GUID: &str = "00";
    pub const BENEFICIARY: &str = "01";
    pub const SERVICE: &str = "02";
    /// Inside the beneficiary template 38-01.
    pub const BENEFICIARY_BIN: &str = "00";
    pub const BENEFICIARY_ACCOUNT: &str = "01";
    /// Inside template 62.
    pub const PURPOSE: &str = "08";

    pub const FORMAT_VERSION: &str = "01";
    pub const STATIC: &str = "11";
    pub const DYNAMIC: &str = "12";
    pub const NAPAS_AID: &str = "A000000727";
    pub const TRANSFER_TO_ACCOUNT: &str = "QRIBFTTA";
    pub const VND: &str = "704";
    pub const VIETNAM: &str = "VN";
}

// The longest value each template can reach with the longest valid inputs, each data object
// being ID (2) + length (2) + value. All of them fit a two-digit length, which is why
// `tlv::write` never has to refuse a value.
const BENEFICIARY_MAX: usize = (4 + BANK_BIN_LENGTH) + (4 + MAX_ACCOUNT_NUMBER_LENGTH);
const NAPAS_TEMPLATE_MAX: usize =
    (4 + ids::NAPAS_AID.len()) + (4 + BENEFICIARY_MAX) + (4 + ids::TRANSFER_TO_ACCOUNT.len());
const ADDITIONAL_DATA_MAX: usize = 4 + MAX_REFERENCE_LENGTH;
const _: () = assert!(NAPAS_TEMPLATE_MAX <= MAX_VALUE_LENGTH);
const _: () = assert!(ADDITIONAL_DATA_MAX <= MAX_VALUE_LENGTH);
const _: () = assert!(MAX_AMOUNT_DIGITS <= MAX_VALUE_LENGTH);

/// A bank transfer the buyer is asked to make: to which bank and account, how much, and with
/// which note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    bin: BankBin,
    account: AccountNumber,
    amount: Amount,
    reference: TransferReference,
}

impl Transfer {
    pub fn new(
        bin: BankBin,
        account: AccountNumber,
        amount: Amount,
        reference: TransferReference,
    ) -> Transfer {
        Transfer {
            bin,
            account,
            amount,
            reference,
        }
    }

    pub fn bin(&self) -> &BankBin {
        &self.bin
    }

    pub fn account(&self) -> &AccountNumber {
        &self.account
    }

    pub fn amount(&self) -> Amount {
        self.amount
    }

    pub fn reference(&self) -> &TransferReference {
        &self.reference
    }

    /// The payload a banking app reads from the QR code. Every input is already valid, so
    /// writing cannot fail.
    pub fn payload(&self) -> Payload {
        let mut beneficiary = String::with_capacity(BENEFICIARY_MAX);
        tlv::write(&mut beneficiary, ids::BENEFICIARY_BIN, self.bin.as_str());
        tlv::write(
            &mut beneficiary,
            ids::BENEFICIARY_ACCOUNT,
            self.account.as_str(),
        );

        let mut napas = String::with_capacity(NAPAS_TEMPLATE_MAX);
        tlv::write(&mut napas, ids::NAPAS_GUID, ids::NAPAS_AID);
        tlv::write(&mut napas, ids::BENEFICIARY, &beneficiary);
        tlv::write(&mut napas, ids::SERVICE, ids::TRANSFER_TO_ACCOUNT);

        let mut additional = String::with_capacity(ADDITIONAL_DATA_MAX);
        tlv::write(&mut additional, ids::PURPOSE, self.reference.as_str());

        let mut out = String::with_capacity(160);
        tlv::write(&mut out, ids::FORMAT_INDICATOR, ids::FORMAT_VERSION);
        tlv::write(&mut out, ids::INITIATION, ids::DYNAMIC);
        tlv::write(&mut out, ids::NAPAS, &napas);
        tlv::write(&mut out, ids::CURRENCY, ids::VND);
        tlv::write(&mut out, ids::AMOUNT, &self.amount.to_string());
        tlv::write(&mut out, ids::COUNTRY, ids::VIETNAM);
        tlv::write(&mut out, ids::ADDITIONAL_DATA, &additional);
        // The checksum covers its own ID and length.
        out.push_str(ids::CRC);
        out.push_str("04");
        let checksum = crc::crc16_ccitt_false(out.as_bytes());
        out.push_str(&crc::to_field(checksum));
        Payload(out)
    }
}

/// A complete VietQR payload, checksum included, as written by [`Transfer::payload`]: the
/// only text the image renderers accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Payload(String);

impl Payload {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(bin: &str, account: &str, amount: u64, reference: &str) -> Transfer {
        Transfer::new(
            BankBin::parse(bin).expect("bin"),
            AccountNumber::parse(account).expect("account"),
            Amount::new(amount).expect("amount"),
            TransferReference::parse(reference).expect("reference"),
        )
    }

    #[test]
    fn a_payload_laid_out_by_hand() {
        let payload = transfer("970436", "1017595600", 180_000, "HJ0123456789").payload();
        // Each data object by hand, from the layout in the module documentation.
        let beneficiary = "0006970436".to_owned() + "0110" + "1017595600"; // 10 + 14 = 24
        let napas = "0010A000000727".to_owned() + "0124" + &beneficiary + "0208QRIBFTTA"; // 14 + 28 + 12 = 54
        let additional = "0812HJ0123456789"; // 16
        let body = "000201".to_owned()
            + "010212"
            + "3854"
            + &napas
            + "5303704"
            + "5406180000"
            + "5802VN"
            + "6216"
            + additional
            + "6304";
        assert_eq!(payload.as_str().len(), body.len() + 4);
        assert_eq!(&payload.as_str()[..body.len()], body);
        // The checksum, computed for this text by an independent CRC-16/CCITT-FALSE
        // (Python's binascii.crc_hqx with initial value 0xFFFF).
        assert_eq!(&payload.as_str()[body.len()..], "A2CC");
    }

    #[test]
    fn the_longest_inputs_fit() {
        let payload = transfer(
            "970415",
            "1234567890123456789",
            crate::amount::MAX_AMOUNT,
            "ABCDEFGHIJKLM OPQRSTUVWXY",
        )
        .payload();
        // 38 holds 4+10 + 4+33 + 4+8 = 63 characters; 62 holds 4+25 = 29.
        assert!(payload.as_str().contains("3863"));
        assert!(payload
            .as_str()
            .contains("62290825ABCDEFGHIJKLM OPQRSTUVWXY"));
        assert!(payload.as_str().contains("54139999999999999"));
    }

    #[test]
    fn the_shortest_inputs_fit() {
        let payload = transfer("970422", "7", 1, "A").payload();
        assert!(payload
            .as_str()
            .starts_with("00020101021238450010A000000727011500069704220101702"));
        assert!(payload.as_str().contains("5303704540115802VN62050801A6304"));
    }
}

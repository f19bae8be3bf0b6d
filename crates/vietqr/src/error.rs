//! What can go wrong, in words a shop owner can act on.
//!
//! The inputs come from the shop's settings, so each message says what the rule is, not only
//! that it was broken. Messages name a character and its position (counted from 1), never echo
//! the whole value.

use thiserror::Error;

/// A bank detail, amount or transfer reference that VietQR cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error(
        "the bank BIN must be exactly 6 digits, the NAPAS bank identification number \
         (for example 970436 for Vietcombank); this one has {length} characters"
    )]
    BankBinLength { length: usize },
    #[error(
        "the bank BIN must be 6 digits 0-9 (for example 970436 for Vietcombank); \
         found {found:?} at position {position}"
    )]
    BankBinCharacter { found: char, position: usize },

    #[error("the account number is empty")]
    AccountNumberEmpty,
    #[error("the account number has {length} characters; VietQR carries at most {max}")]
    AccountNumberTooLong { length: usize, max: usize },
    #[error(
        "the account number may contain only digits and letters without accents, without \
         spaces, dots or dashes; found {found:?} at position {position}"
    )]
    AccountNumberCharacter { found: char, position: usize },

    #[error("the account holder's name is empty")]
    AccountHolderEmpty,
    #[error(
        "the account holder's name has {length} characters once written the way banks print \
         it; at most {max} are accepted"
    )]
    AccountHolderTooLong { length: usize, max: usize },
    #[error(
        "the account holder's name contains a control character (such as a tab or a line \
         break) at position {position}"
    )]
    AccountHolderControl { position: usize },
    #[error(
        "the account holder's name may contain only letters (Vietnamese accents are removed, \
         as banks print names: NGUYEN VAN A) and spaces; found {found:?} at position {position}"
    )]
    AccountHolderCharacter { found: char, position: usize },

    #[error("the transfer reference is empty")]
    ReferenceEmpty,
    #[error(
        "the transfer reference has {length} characters; bank apps keep at most {max} in the \
         transfer note"
    )]
    ReferenceTooLong { length: usize, max: usize },
    #[error(
        "the transfer reference may contain only letters without accents, digits and single \
         spaces between them, which every bank app keeps; found {found:?} at position {position}"
    )]
    ReferenceCharacter { found: char, position: usize },
    #[error(
        "the transfer reference may not start or end with a space, nor have two spaces in a \
         row: bank apps drop or merge them, and the note would no longer match the order"
    )]
    ReferenceSpacing,

    #[error("the amount to transfer must be more than 0 đồng")]
    AmountNotPositive,
    #[error(
        "the amount to transfer is over {max} đồng, more than VietQR's 13-digit amount field holds"
    )]
    AmountTooLarge { max: u64 },
    #[error("the amount must be written as digits 0-9 only, without separators or decimals")]
    AmountNotDigits,
}

/// A payload that is not a well-formed VietQR transfer to an account.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("the payload is empty")]
    Empty,
    #[error("the data ends inside the ID or length of a field at character {position}")]
    TruncatedHeader { position: usize },
    #[error("the field ID at character {position} is not two digits")]
    BadFieldId { position: usize },
    #[error("the length at character {position} is not two digits from 01 to 99")]
    BadLength { position: usize },
    #[error(
        "field {id} at character {position} announces {length} characters but only \
         {available} follow"
    )]
    TruncatedValue {
        id: String,
        position: usize,
        length: usize,
        available: usize,
    },
    #[error("field {id} appears twice in {template}")]
    DuplicateField { template: &'static str, id: String },
    #[error("the payload does not start with the payload format indicator 000201")]
    FormatIndicatorNotFirst,
    #[error("the payload does not end with the checksum field 63 of 4 characters")]
    ChecksumNotLast,
    #[error("the checksum {stated:?} is not 4 upper-case hexadecimal digits")]
    ChecksumMalformed { stated: String },
    #[error("the checksum says {stated:04X} but the payload's checksum is {computed:04X}")]
    ChecksumMismatch { stated: u16, computed: u16 },
    #[error("field {field} ({name}) is missing")]
    MissingField {
        field: &'static str,
        name: &'static str,
    },
    #[error("field {field} ({name}) holds an unexpected value; VietQR requires {expected}")]
    UnexpectedValue {
        field: &'static str,
        name: &'static str,
        expected: &'static str,
    },
    #[error(
        "the service code is {found:?}; only QRIBFTTA (a transfer to an account) is read here"
    )]
    UnsupportedService { found: String },
    #[error("field {field} ({name}) is not valid: {reason}")]
    InvalidField {
        field: &'static str,
        name: &'static str,
        reason: InputError,
    },
}

/// A QR image that could not be drawn.
#[derive(Debug, Error)]
pub enum RenderError {
    #[error("the payload does not fit in a QR code")]
    Encode(#[source] qrcode::types::QrError),
    #[error("a module must be drawn 1 to {max} pixels wide; {requested} was asked for")]
    ModuleSize { requested: u32, max: u32 },
    #[error("the image's label contains a control character at position {position}")]
    LabelControl { position: usize },
    #[error("the PNG image could not be written")]
    Png(#[source] png::EncodingError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_messages_state_the_rule() {
        let cases = [
            (InputError::BankBinLength { length: 5 }, "exactly 6 digits"),
            (
                InputError::AccountNumberCharacter {
                    found: ' ',
                    position: 5,
                },
                "only digits and letters",
            ),
            (
                InputError::AccountHolderCharacter {
                    found: '3',
                    position: 9,
                },
                "only letters",
            ),
            (
                InputError::ReferenceTooLong {
                    length: 26,
                    max: 25,
                },
                "at most 25",
            ),
            (InputError::AmountNotPositive, "more than 0"),
        ];
        for (error, rule) in cases {
            let message = error.to_string();
            assert!(message.contains(rule), "{message:?} should say {rule:?}");
        }
    }

    #[test]
    fn a_bad_field_names_the_field_and_the_rule() {
        let error = DecodeError::InvalidField {
            field: "54",
            name: "amount",
            reason: InputError::AmountNotDigits,
        };
        assert_eq!(
            error.to_string(),
            "field 54 (amount) is not valid: the amount must be written as digits 0-9 only, \
             without separators or decimals"
        );
    }
}

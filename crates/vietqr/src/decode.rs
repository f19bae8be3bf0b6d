//! Reading a payload back: the TLV walk, the checksum, then the fields of a VietQR transfer.
//!
//! It reads what [`crate::Transfer::payload`] writes and codes made by others in the same
//! profile: fields it does not use (a merchant category, a name, a city, other additional
//! data) are allowed as long as they are well-formed, and a static code without an amount is
//! read too. It refuses anything it cannot vouch for: a wrong checksum, a field that runs
//! past its template, a repeated field, a code for another currency, country or service.

use crate::account::AccountNumber;
use crate::amount::Amount;
use crate::bank::BankBin;
use crate::crc;
use crate::error::{DecodeError, InputError};
use crate::payload::ids;
use crate::reference::TransferReference;
use crate::tlv::{self, TlvField};

/// How the code is meant to be used, field 01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiation {
    /// `11`: the same code for many payments (a printed sticker).
    Static,
    /// `12`: a code made for one payment, as the shop's are.
    Dynamic,
}

/// The fields of a VietQR transfer read from a payload whose checksum is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedTransfer {
    initiation: Option<Initiation>,
    bin: BankBin,
    account: AccountNumber,
    amount: Option<Amount>,
    reference: Option<TransferReference>,
    checksum: u16,
}

impl DecodedTransfer {
    /// Field 01, when present (EMVCo makes it optional).
    pub fn initiation(&self) -> Option<Initiation> {
        self.initiation
    }

    pub fn bin(&self) -> &BankBin {
        &self.bin
    }

    pub fn account(&self) -> &AccountNumber {
        &self.account
    }

    /// Field 54; a static code may leave the amount to the payer.
    pub fn amount(&self) -> Option<Amount> {
        self.amount
    }

    /// Field 62-08, the transfer note.
    pub fn reference(&self) -> Option<&TransferReference> {
        self.reference.as_ref()
    }

    /// Field 63, already checked against the payload.
    pub fn checksum(&self) -> u16 {
        self.checksum
    }
}

/// Reads a VietQR payload (the text of a scanned code).
pub fn decode(payload: &str) -> Result<DecodedTransfer, DecodeError> {
    if payload.is_empty() {
        return Err(DecodeError::Empty);
    }
    let root = tlv::read_fields(payload)?;
    let checksum = check_checksum(payload, &root)?;
    match root.first() {
        Some(first)
            if first.id() == ids::FORMAT_INDICATOR && first.value() == ids::FORMAT_VERSION => {}
        _ => return Err(DecodeError::FormatIndicatorNotFirst),
    }
    let root = Template::new("the payload", root)?;

    let initiation = match root.get(ids::INITIATION) {
        None => None,
        Some(field) => Some(match field.value() {
            ids::STATIC => Initiation::Static,
            ids::DYNAMIC => Initiation::Dynamic,
            _ => {
                return Err(DecodeError::UnexpectedValue {
                    field: "01",
                    name: "point of initiation",
                    expected: "11 (static) or 12 (dynamic)",
                })
            }
        }),
    };

    let napas = root.template(payload, ids::NAPAS, "38", "merchant account information")?;
    expect_value(
        &napas,
        ids::NAPAS_GUID,
        "38-00",
        "NAPAS application ID",
        ids::NAPAS_AID,
    )?;
    let service = napas.required(ids::SERVICE, "38-02", "service code")?;
    if service.value() != ids::TRANSFER_TO_ACCOUNT {
        return Err(DecodeError::UnsupportedService {
            found: service.value().to_owned(),
        });
    }
    let beneficiary = napas.template(
        payload,
        ids::BENEFICIARY,
        "38-01",
        "beneficiary organisation",
    )?;
    let bin = beneficiary
        .required(ids::BENEFICIARY_BIN, "38-01-00", "bank BIN")
        .and_then(|field| BankBin::parse(field.value()).map_err(invalid("38-01-00", "bank BIN")))?;
    let account = beneficiary
        .required(ids::BENEFICIARY_ACCOUNT, "38-01-01", "account number")
        .and_then(|field| {
            AccountNumber::parse(field.value()).map_err(invalid("38-01-01", "account number"))
        })?;

    expect_value(&root, ids::CURRENCY, "53", "transaction currency", ids::VND)?;
    expect_value(&root, ids::COUNTRY, "58", "country code", ids::VIETNAM)?;

    let amount = root
        .get(ids::AMOUNT)
        .map(|field| Amount::parse_field(field.value()).map_err(invalid("54", "amount")))
        .transpose()?;

    let reference = match root.get(ids::ADDITIONAL_DATA) {
        None => None,
        Some(_) => {
            let additional =
                root.template(payload, ids::ADDITIONAL_DATA, "62", "additional data")?;
            additional
                .get(ids::PURPOSE)
                .map(|field| {
                    TransferReference::parse(field.value())
                        .map_err(invalid("62-08", "purpose of transaction"))
                })
                .transpose()?
        }
    };

    Ok(DecodedTransfer {
        initiation,
        bin,
        account,
        amount,
        reference,
        checksum,
    })
}

/// Field 63 must be the last field, four upper-case hex digits equal to the CRC of everything
/// before its value.
fn check_checksum(payload: &str, root: &[TlvField<'_>]) -> Result<u16, DecodeError> {
    let last = root
        .last()
        .filter(|field| field.id() == ids::CRC && field.value().chars().count() == 4)
        .ok_or(DecodeError::ChecksumNotLast)?;
    let stated = crc::from_field(last.value()).ok_or_else(|| DecodeError::ChecksumMalformed {
        stated: last.value().to_owned(),
    })?;
    let covered = payload
        .get(..last.value_range().start)
        .ok_or(DecodeError::ChecksumNotLast)?;
    let computed = crc::crc16_ccitt_false(covered.as_bytes());
    if stated == computed {
        Ok(stated)
    } else {
        Err(DecodeError::ChecksumMismatch { stated, computed })
    }
}

/// The fields of one template, each ID at most once.
struct Template<'a> {
    fields: Vec<TlvField<'a>>,
}

impl<'a> Template<'a> {
    fn new(name: &'static str, fields: Vec<TlvField<'a>>) -> Result<Template<'a>, DecodeError> {
        for (index, field) in fields.iter().enumerate() {
            if fields[..index].iter().any(|seen| seen.id() == field.id()) {
                return Err(DecodeError::DuplicateField {
                    template: name,
                    id: field.id().to_owned(),
                });
            }
        }
        Ok(Template { fields })
    }

    fn get(&self, id: &str) -> Option<&TlvField<'a>> {
        self.fields.iter().find(|field| field.id() == id)
    }

    fn required(
        &self,
        id: &str,
        field: &'static str,
        name: &'static str,
    ) -> Result<&TlvField<'a>, DecodeError> {
        self.get(id)
            .ok_or(DecodeError::MissingField { field, name })
    }

    /// The template held by field `id`, read from its place in the whole payload so that
    /// errors give positions in the payload.
    fn template(
        &self,
        payload: &'a str,
        id: &str,
        field: &'static str,
        name: &'static str,
    ) -> Result<Template<'a>, DecodeError> {
        let holder = self.required(id, field, name)?;
        Template::new(name, tlv::read_fields_in(payload, holder.value_range())?)
    }
}

fn expect_value(
    template: &Template<'_>,
    id: &str,
    field: &'static str,
    name: &'static str,
    expected: &'static str,
) -> Result<(), DecodeError> {
    if template.required(id, field, name)?.value() == expected {
        Ok(())
    } else {
        Err(DecodeError::UnexpectedValue {
            field,
            name,
            expected,
        })
    }
}

fn invalid(field: &'static str, name: &'static str) -> impl Fn(InputError) -> DecodeError {
    move |reason| DecodeError::InvalidField {
        field,
        name,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Transfer;
    use proptest::prelude::*;

    /// Appends "6304" and the right checksum, so a test can build any body.
    fn sealed(body: &str) -> String {
        let covered = format!("{body}6304");
        let checksum = crc::crc16_ccitt_false(covered.as_bytes());
        format!("{covered}{checksum:04X}")
    }

    fn shop_transfer() -> Transfer {
        Transfer::new(
            BankBin::parse("970436").expect("bin"),
            AccountNumber::parse("1017595600").expect("account"),
            Amount::new(180_000).expect("amount"),
            TransferReference::parse("HJ0123456789").expect("reference"),
        )
    }

    const NAPAS_970415: &str = "38570010A00000072701270006970415011300110019324180208QRIBFTTA";

    #[test]
    fn reads_what_the_shop_writes() {
        let transfer = shop_transfer();
        let decoded = decode(transfer.payload().as_str()).expect("decodes");
        assert_eq!(decoded.initiation(), Some(Initiation::Dynamic));
        assert_eq!(decoded.bin(), transfer.bin());
        assert_eq!(decoded.account(), transfer.account());
        assert_eq!(decoded.amount(), Some(transfer.amount()));
        assert_eq!(decoded.reference(), Some(transfer.reference()));
    }

    #[test]
    fn reads_a_code_made_by_another_implementation() {
        // Printed in the README of subiz/vietqr: 120.000 đ to VietinBank 0011001932418.
        let decoded = decode(
            "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA\
             530370454061200005802VN62170813ung ho lu lut6304C15C",
        )
        .expect("decodes");
        assert_eq!(decoded.bin().as_str(), "970415");
        assert_eq!(decoded.account().as_str(), "0011001932418");
        assert_eq!(decoded.amount().map(Amount::get), Some(120_000));
        assert_eq!(
            decoded.reference().map(TransferReference::as_str),
            Some("ung ho lu lut")
        );
        assert_eq!(decoded.checksum(), 0xC15C);
    }

    #[test]
    fn a_static_code_without_amount_or_note_is_read() {
        let code = sealed(&format!("000201010211{NAPAS_970415}53037045802VN"));
        let decoded = decode(&code).expect("decodes");
        assert_eq!(decoded.initiation(), Some(Initiation::Static));
        assert_eq!(decoded.amount(), None);
        assert_eq!(decoded.reference(), None);
    }

    #[test]
    fn fields_it_does_not_use_are_allowed() {
        // A merchant category, a name and a city, and a bill number in 62.
        let code = sealed(&format!(
            "000201010212{NAPAS_970415}52045812530370454031005802VN5907HANJINB\
             6005HANOI62150103B010804TEST"
        ));
        let decoded = decode(&code).expect("decodes");
        assert_eq!(decoded.amount().map(Amount::get), Some(100));
        assert_eq!(
            decoded.reference().map(TransferReference::as_str),
            Some("TEST")
        );
    }

    #[test]
    fn a_wrong_checksum_is_refused() {
        let mut code = shop_transfer().payload().into_string();
        let stated = code.split_off(code.len() - 4);
        let wrong = if stated == "0000" { "0001" } else { "0000" };
        code.push_str(wrong);
        assert!(matches!(
            decode(&code),
            Err(DecodeError::ChecksumMismatch { .. })
        ));
    }

    #[test]
    fn a_lower_case_checksum_is_refused() {
        let payload = shop_transfer().payload().into_string();
        let (body, stated) = payload.split_at(payload.len() - 4);
        assert_eq!(stated, "A2CC", "the hand-made payload of payload.rs");
        let lowered = format!("{body}a2cc");
        assert_eq!(
            decode(&lowered),
            Err(DecodeError::ChecksumMalformed {
                stated: "a2cc".into()
            })
        );
    }

    #[test]
    fn the_checksum_must_be_last() {
        let code = shop_transfer().payload().into_string() + "5802VN";
        assert_eq!(decode(&code), Err(DecodeError::ChecksumNotLast));
        let without = format!("000201010212{NAPAS_970415}53037045802VN");
        assert_eq!(decode(&without), Err(DecodeError::ChecksumNotLast));
    }

    #[test]
    fn every_cut_is_refused() {
        let payload = shop_transfer().payload().into_string();
        for end in 0..payload.len() {
            assert!(decode(&payload[..end]).is_err(), "cut at {end}");
        }
    }

    #[test]
    fn the_format_indicator_comes_first() {
        let code = sealed(&format!("010212000201{NAPAS_970415}53037045802VN"));
        assert_eq!(decode(&code), Err(DecodeError::FormatIndicatorNotFirst));
        let code = sealed(&format!("000202010212{NAPAS_970415}53037045802VN"));
        assert_eq!(decode(&code), Err(DecodeError::FormatIndicatorNotFirst));
    }

    #[test]
    fn a_repeated_field_is_refused() {
        let code = sealed(&format!("000201010212{NAPAS_970415}530370453037045802VN"));
        assert_eq!(
            decode(&code),
            Err(DecodeError::DuplicateField {
                template: "the payload",
                id: "53".into()
            })
        );
        let twice = format!(
            "38690010A0000007270127{}0208QRIBFTTA0208QRIBFTTA",
            &NAPAS_970415[22..49]
        );
        let code = sealed(&format!("000201010212{twice}53037045802VN"));
        assert_eq!(
            decode(&code),
            Err(DecodeError::DuplicateField {
                template: "merchant account information",
                id: "02".into()
            })
        );
    }

    #[test]
    fn another_currency_country_or_scheme_is_refused() {
        let code = sealed(&format!("000201010212{NAPAS_970415}53038405802VN"));
        assert!(matches!(
            decode(&code),
            Err(DecodeError::UnexpectedValue { field: "53", .. })
        ));
        let code = sealed(&format!("000201010212{NAPAS_970415}53037045802TH"));
        assert!(matches!(
            decode(&code),
            Err(DecodeError::UnexpectedValue { field: "58", .. })
        ));
        let other_scheme = NAPAS_970415.replace("A000000727", "A000000775");
        let code = sealed(&format!("000201010212{other_scheme}53037045802VN"));
        assert!(matches!(
            decode(&code),
            Err(DecodeError::UnexpectedValue { field: "38-00", .. })
        ));
        let code = sealed("00020101021253037045802VN");
        assert_eq!(
            decode(&code),
            Err(DecodeError::MissingField {
                field: "38",
                name: "merchant account information"
            })
        );
    }

    #[test]
    fn a_transfer_to_a_card_is_not_read_as_one_to_an_account() {
        let to_card = NAPAS_970415.replace("QRIBFTTA", "QRIBFTTC");
        let code = sealed(&format!("000201010212{to_card}53037045802VN"));
        assert_eq!(
            decode(&code),
            Err(DecodeError::UnsupportedService {
                found: "QRIBFTTC".into()
            })
        );
    }

    #[test]
    fn bad_field_values_name_the_field() {
        let code = sealed(&format!("000201010212{NAPAS_970415}53037045405-10005802VN"));
        assert_eq!(
            decode(&code),
            Err(DecodeError::InvalidField {
                field: "54",
                name: "amount",
                reason: InputError::AmountNotDigits
            })
        );
        let code = sealed(&format!(
            "000201010212{NAPAS_970415}53037045802VN62080804HJ-1"
        ));
        assert!(matches!(
            decode(&code),
            Err(DecodeError::InvalidField { field: "62-08", .. })
        ));
    }

    #[test]
    fn a_template_field_may_not_run_past_its_template() {
        // 38-02 claims 9 characters, but its template 38 ends after 8 of them.
        let broken = NAPAS_970415.replace("0208QRIBFTTA", "0209QRIBFTTA");
        let code = sealed(&format!("000201010212{broken}53037045802VN"));
        assert!(matches!(
            decode(&code),
            Err(DecodeError::TruncatedValue {
                length: 9,
                available: 8,
                ..
            })
        ));
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
    }

    fn any_transfer() -> impl Strategy<Value = Transfer> {
        (
            "[0-9]{6}",
            "[0-9A-Za-z]{1,19}",
            1..=crate::amount::MAX_AMOUNT,
            "[A-Za-z0-9]( ?[A-Za-z0-9]){0,12}",
        )
            .prop_map(|(bin, account, amount, reference)| {
                Transfer::new(
                    BankBin::parse(&bin).expect("generated valid"),
                    AccountNumber::parse(&account).expect("generated valid"),
                    Amount::new(amount).expect("generated valid"),
                    TransferReference::parse(&reference).expect("generated valid"),
                )
            })
    }

    proptest! {
        #[test]
        fn every_transfer_round_trips(transfer in any_transfer()) {
            let payload = transfer.payload();
            let text = payload.as_str();
            let decoded = decode(text).expect("a written payload decodes");
            prop_assert_eq!(decoded.initiation(), Some(Initiation::Dynamic));
            prop_assert_eq!(decoded.bin(), transfer.bin());
            prop_assert_eq!(decoded.account(), transfer.account());
            prop_assert_eq!(decoded.amount(), Some(transfer.amount()));
            prop_assert_eq!(decoded.reference(), Some(transfer.reference()));
            let (covered, stated) = text.split_at(text.len() - 4);
            prop_assert!(covered.ends_with("6304"));
            prop_assert_eq!(
                format!("{:04X}", crc::crc16_ccitt_false(covered.as_bytes())),
                stated
            );
            prop_assert_eq!(decoded.checksum(), crc::crc16_ccitt_false(covered.as_bytes()));
        }

        #[test]
        fn every_changed_character_is_refused(
            transfer in any_transfer(),
            index in any::<proptest::sample::Index>(),
            replacement in proptest::char::range(' ', '~'),
        ) {
            let text = transfer.payload().into_string();
            let at = index.index(text.len());
            let original = text.as_bytes()[at] as char;
            prop_assume!(original != replacement);
            let mut changed = text.clone();
            changed.replace_range(at..=at, &replacement.to_string());
            prop_assert!(decode(&changed).is_err(), "{changed}");
        }

        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,200}") {
            let _ = decode(&text);
        }

        #[test]
        fn never_panics_on_near_misses(
            transfer in any_transfer(),
            cut in any::<proptest::sample::Index>(),
            insert in "\\PC{0,3}",
        ) {
            let text = transfer.payload().into_string();
            let at = cut.index(text.len());
            let mut changed = text.clone();
            changed.insert_str(at, &insert);
            let _ = decode(&changed);
            let _ = decode(&text[..at]);
        }
    }
}

//! How buyers pay: the shop's bank account for transfers (from settings), and what a buyer
//! who chose bank transfer is shown to pay an order: the bank, account and holder, the exact
//! amount, the order number as the transfer's reference, and a VietQR code holding them.
//! Without a bank account in the settings, bank transfer is not offered at all.

use crate::emails::{BankTransfer, PaymentInstructions, PaymentInstructionsError, PaymentOrder};
use hanjinbi_domain::order::PaymentMethod;
use hanjinbi_domain::Dong;
use hanjinbi_vietqr::{
    AccountHolder, AccountNumber, Amount, BankBin, InputError, QrMatrix, RenderError, Transfer,
    TransferReference,
};
use std::num::NonZeroU32;
use thiserror::Error;

/// The shop's account that receives bank transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTransferAccount {
    bin: BankBin,
    account: AccountNumber,
    holder: AccountHolder,
    bank_name: String,
}

#[derive(Debug, Error)]
pub enum BankSettingsError {
    #[error("bank {what}: {source}")]
    Invalid {
        what: &'static str,
        source: InputError,
    },
    #[error("the bank with BIN {0} is not in the list of known banks: give its name too")]
    UnknownBankName(String),
    #[error("the bank name must be 1–100 visible characters")]
    BadBankName,
}

impl BankTransferAccount {
    /// Checks the settings: `name` may be left out for a bank whose BIN is well known.
    pub fn parse(
        bin: &str,
        account: &str,
        holder: &str,
        name: Option<&str>,
    ) -> Result<BankTransferAccount, BankSettingsError> {
        let invalid = |what| move |source| BankSettingsError::Invalid { what, source };
        let bin = BankBin::parse(bin.trim()).map_err(invalid("BIN"))?;
        let account = AccountNumber::parse(account.trim()).map_err(invalid("account number"))?;
        let holder = AccountHolder::parse(holder.trim()).map_err(invalid("account holder"))?;
        let bank_name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) if name.chars().count() <= 100 && !name.chars().any(char::is_control) => {
                name.to_owned()
            }
            Some(_) => return Err(BankSettingsError::BadBankName),
            None => bin
                .bank_name()
                .ok_or_else(|| BankSettingsError::UnknownBankName(bin.as_str().to_owned()))?
                .to_owned(),
        };
        Ok(BankTransferAccount {
            bin,
            account,
            holder,
            bank_name,
        })
    }

    pub fn bank_name(&self) -> &str {
        &self.bank_name
    }

    pub fn account(&self) -> &str {
        self.account.as_str()
    }

    pub fn holder(&self) -> &str {
        self.holder.as_str()
    }

    /// What to pay for the order `number` totalling `total`.
    pub fn instructions(
        &self,
        number: &str,
        total: Dong,
    ) -> Result<TransferInstructions, PaymentError> {
        let reference = TransferReference::for_order(number)?;
        let amount = Amount::from_dong(total)?;
        let transfer = Transfer::new(self.bin.clone(), self.account.clone(), amount, reference);
        Ok(TransferInstructions {
            bank_name: self.bank_name.clone(),
            account: self.account.as_str().to_owned(),
            holder: self.holder.as_str().to_owned(),
            amount: total,
            reference: transfer.reference().as_str().to_owned(),
            code: QrMatrix::new(&transfer.payload())?,
        })
    }
}

/// The confirmation email of an order paid by transfer carries the same instructions as its
/// page, with the code as a PNG.
impl PaymentInstructions for BankTransferAccount {
    fn bank_transfer(
        &self,
        order: &PaymentOrder<'_>,
    ) -> Result<Option<BankTransfer>, PaymentInstructionsError> {
        if order.method != PaymentMethod::BankTransfer {
            return Ok(None);
        }
        let failed = |e: PaymentError| PaymentInstructionsError(e.to_string());
        let pay = self
            .instructions(order.number, order.total)
            .map_err(failed)?;
        Ok(Some(BankTransfer {
            qr_png: Some(pay.qr_png().map_err(failed)?),
            bank: pay.bank_name,
            account_number: pay.account,
            account_holder: pay.holder,
            amount: pay.amount,
            reference: pay.reference,
        }))
    }
}

#[derive(Debug, Error)]
pub enum PaymentError {
    #[error("cannot make a transfer code: {0}")]
    Input(#[from] InputError),
    #[error("cannot draw the transfer code: {0}")]
    Render(#[from] RenderError),
}

/// A bank transfer to make, as the buyer is shown it.
pub struct TransferInstructions {
    pub bank_name: String,
    pub account: String,
    pub holder: String,
    pub amount: Dong,
    /// What to write in the transfer's note: the order number.
    pub reference: String,
    code: QrMatrix,
}

impl TransferInstructions {
    /// The VietQR code as an SVG `width_px` wide, labelled `label` for screen readers.
    pub fn qr_svg(&self, width_px: NonZeroU32, label: &str) -> Result<String, PaymentError> {
        Ok(self.code.to_svg(width_px, label)?)
    }

    /// The VietQR code as a PNG, for email (6 pixels a module: about 250 px across).
    pub fn qr_png(&self) -> Result<Vec<u8>, PaymentError> {
        Ok(self.code.to_png(6)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_known_bank_needs_no_name() {
        let account =
            BankTransferAccount::parse("970436", "1017595600", "Nguyễn Văn An", None).unwrap();
        assert_eq!(
            account.bank_name(),
            hanjinbi_vietqr::BankBin::parse("970436")
                .unwrap()
                .bank_name()
                .unwrap()
        );
        assert_eq!(account.holder(), "NGUYEN VAN AN");
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_wrong() {
        let err = BankTransferAccount::parse("97043", "1017595600", "AN", None).unwrap_err();
        assert!(err.to_string().starts_with("bank BIN"), "{err}");
        let err = BankTransferAccount::parse("999999", "1017595600", "AN", None).unwrap_err();
        assert!(matches!(err, BankSettingsError::UnknownBankName(_)));
        assert!(
            BankTransferAccount::parse("999999", "1017595600", "AN", Some("Ngân hàng X")).is_ok()
        );
        assert!(BankTransferAccount::parse("970436", "10-17", "AN", None).is_err());
    }

    #[test]
    fn instructions_carry_the_order_number_and_exact_amount() {
        let account =
            BankTransferAccount::parse("970436", "1017595600", "NGUYEN VAN AN", None).unwrap();
        let pay = account
            .instructions("HJ7K3M9QX2AB", Dong(1_250_000))
            .unwrap();
        assert_eq!(pay.reference, "HJ7K3M9QX2AB");
        assert_eq!(pay.amount, Dong(1_250_000));
        let svg = pay.qr_svg(NonZeroU32::new(200).unwrap(), "QR").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(pay.qr_png().unwrap().starts_with(b"\x89PNG"));
    }
}

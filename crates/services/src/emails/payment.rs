//! The place where payment instructions enter the confirmation email.
//!
//! The shop's bank details and the VietQR image are made elsewhere (settings and the QR
//! encoder); the email only lays them out in the order's language. A shop that offers bank
//! transfer gives the outbox worker a [`PaymentInstructions`] (see
//! [`crate::notifications::Notifier::with_payment_instructions`]); without one, no payment
//! block is shown.

use hanjinbi_domain::order::PaymentMethod;
use hanjinbi_domain::{Dong, Lang};
use thiserror::Error;

/// What a payment block may depend on: the order's public facts, never its buyer.
#[derive(Debug, Clone, Copy)]
pub struct PaymentOrder<'a> {
    pub number: &'a str,
    pub total: Dong,
    pub method: PaymentMethod,
    pub lang: Lang,
}

/// A bank transfer the buyer is asked to make, as the email shows it: each value under its
/// label in the order's language, and the QR code (PNG) inline beside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTransfer {
    /// The bank's name as buyers know it ("Vietcombank").
    pub bank: String,
    pub account_number: String,
    /// As the bank prints it ("CONG TY TNHH HANJINBI").
    pub account_holder: String,
    pub amount: Dong,
    /// The transfer's note, by which the shop matches the payment to the order.
    pub reference: String,
    /// A VietQR code of the same transfer, as a PNG image: sent as a `multipart/related`
    /// part and shown in the HTML by its Content-ID.
    pub qr_png: Option<Vec<u8>>,
}

#[derive(Debug, Error)]
#[error("cannot prepare the payment instructions: {0}")]
pub struct PaymentInstructionsError(pub String);

/// Gives the bank transfer an order's buyer must make.
pub trait PaymentInstructions: Send + Sync {
    /// The transfer for `order`, or `None` when it needs none (cash on delivery). An error
    /// fails this send; the outbox tries again later.
    fn bank_transfer(
        &self,
        order: &PaymentOrder<'_>,
    ) -> Result<Option<BankTransfer>, PaymentInstructionsError>;
}

//! VietQR codes for bank transfers: what a buyer who pays by transfer scans with any
//! Vietnamese banking app to have the bank, account, amount and note filled in.
//!
//! A VietQR code is an EMVCo merchant-presented QR payload in the profile NAPAS defines for
//! its 24/7 interbank transfers (NAPAS 247). The shop fills four things, each a type that can
//! only hold what the profile and the bank apps accept:
//!
//! | what | type | where in the payload |
//! |---|---|---|
//! | the shop's bank | [`BankBin`] (6 digits, 970436 = Vietcombank) | 38-01-00 |
//! | the shop's account | [`AccountNumber`] (1-19 letters or digits) | 38-01-01 |
//! | the order total | [`Amount`] (đồng, 1 to 13 digits) | 54 |
//! | the order number | [`TransferReference`] (25 letters, digits, single spaces) | 62-08 |
//!
//! Everything else is fixed: format 01, a dynamic code (12: one code per order), NAPAS's
//! application ID A000000727, the service QRIBFTTA (transfer to an account), currency 704
//! (VND), country VN and the CRC-16 checksum in 63. [`payload`] shows the full layout.
//! [`AccountHolder`] is not in the payload (the buyer's bank looks the name up); the shop
//! prints it beside the code, folded the way banks print names, so the buyer can compare.
//!
//! ```
//! use hanjinbi_vietqr::{AccountNumber, Amount, BankBin, QrMatrix, Transfer, TransferReference};
//! use std::num::NonZeroU32;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let transfer = Transfer::new(
//!     BankBin::parse("970436")?,
//!     AccountNumber::parse("1017595600")?,
//!     Amount::new(180_000)?,
//!     TransferReference::for_order("HJ0123456789")?,
//! );
//! let payload = transfer.payload();
//! assert!(payload.as_str().starts_with("000201010212"));
//! let code = QrMatrix::new(&payload)?;
//! let width = NonZeroU32::new(240).ok_or("zero width")?;
//! let svg = code.to_svg(width, "Mã QR chuyển khoản")?;
//! let png = code.to_png(6)?;
//! # let _ = (svg, png);
//! let read_back = hanjinbi_vietqr::decode(payload.as_str())?;
//! assert_eq!(read_back.amount(), Some(transfer.amount()));
//! # Ok(())
//! # }
//! ```
//!
//! No I/O, no clock: the inputs come from the shop's settings and the order, the outputs are
//! strings and bytes.

mod account;
mod amount;
mod bank;
mod crc;
mod decode;
mod error;
mod holder;
pub mod payload;
mod reference;
mod render;
pub mod tlv;

pub use account::{AccountNumber, MAX_ACCOUNT_NUMBER_LENGTH};
pub use amount::{Amount, MAX_AMOUNT, MAX_AMOUNT_DIGITS};
pub use bank::{BankBin, KnownBank, BANK_BIN_LENGTH, KNOWN_BANKS};
pub use crc::crc16_ccitt_false;
pub use decode::{decode, DecodedTransfer, Initiation};
pub use error::{DecodeError, InputError, RenderError};
pub use holder::{AccountHolder, MAX_ACCOUNT_HOLDER_LENGTH};
pub use payload::{Payload, Transfer};
pub use reference::{TransferReference, MAX_REFERENCE_LENGTH};
pub use render::{QrMatrix, MAX_PNG_PIXELS_PER_MODULE, QUIET_ZONE_MODULES};

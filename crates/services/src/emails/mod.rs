//! What the shop's emails say, in the order's language, and how each becomes a MIME message.
//!
//! Each email is a view model of plain, already formatted values (times in Vietnam's time,
//! phones as `0912 345 678`, money as `1.250.000 ₫`) rendered by two askama templates under
//! `templates/mail/`: styled HTML that mail clients show (tables and inline styles, no
//! outside stylesheet, script or image) and a plain-text part complete on its own. The
//! words of both come from [`words`], one struct per language.

pub mod account_link;
pub mod confirmation;
pub mod envelope;
pub mod erasure_notice;
pub mod lookup_code;
pub mod payment;
pub mod words;

pub use envelope::{domain_of, Envelope, InlineImage, Rendered};
pub use payment::{BankTransfer, PaymentInstructions, PaymentInstructionsError, PaymentOrder};
pub use words::Words;

use hanjinbi_domain::ShopInfo;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EmailError {
    #[error("cannot render the email: {0}")]
    Template(#[from] askama::Error),
    #[error("{0} email address is not valid")]
    Address(&'static str),
    #[error("the shop's public URL has no host to name messages under")]
    PublicUrl,
    #[error("the time {0} cannot be written as a date")]
    Time(i64),
    #[error("cannot build the {0} part")]
    Build(&'static str),
    #[error("cannot build the message: {0}")]
    Message(String),
}

/// The footer every email ends with: the shop's legal details and its privacy page, in the
/// email's language, and why the reader got the email.
pub struct Footer {
    pub shop_name: String,
    pub legal_name: String,
    pub address: String,
    pub registration: String,
    pub contact: String,
    pub privacy: &'static str,
    pub privacy_link: String,
    pub why: String,
}

impl Footer {
    pub fn new(shop: &ShopInfo, w: &'static Words, why: String) -> Footer {
        Footer {
            shop_name: shop.name.clone(),
            legal_name: shop.legal_name.clone(),
            address: shop.address.clone(),
            registration: words::fill(
                w.registration,
                &[
                    ("number", &shop.registration_number),
                    ("issuer", &shop.registration_issuer),
                    ("date", &shop.registration_date),
                ],
            ),
            contact: words::fill(
                w.contact,
                &[("email", &shop.email), ("hotline", &shop.hotline)],
            ),
            privacy: w.privacy,
            privacy_link: format!(
                "{}{}",
                shop.public_url.trim_end_matches('/'),
                w.privacy_path
            ),
            why,
        }
    }
}

/// `secs` in Vietnam's time, `25/11/2026 18:38`; an error for a moment no calendar holds.
pub fn vietnam_time(secs: i64) -> Result<String, EmailError> {
    hanjinbi_domain::clock_text::vietnam_time(secs).ok_or(EmailError::Time(secs))
}

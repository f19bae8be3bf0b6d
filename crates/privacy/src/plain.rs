//! Personal values as the gate hands them out: the domain's own types (`Email`, `FullName`,
//! `PhoneVn`, `OrderNote`) and two owned here, [`DeliveryDetails`] and [`LookupCode`]. None of
//! them is `Display` or `Serialize`, and their `Debug` shows no value: code that must send
//! one (a page, an email) asks for each part by name.

use crate::records::SubjectKey;
use crate::sealed::Sealed;
use crate::vault::VaultError;
use hanjinbi_domain::address::Place;
use hanjinbi_domain::contact::{Email, FullName, PhoneVn, StreetLine};
use std::fmt;
use thiserror::Error;

/// A stored personal value that no longer parses as its type.
#[derive(Debug, Error)]
#[error("a sealed {0} opened but is not a valid value of its kind")]
pub struct Unreadable(pub &'static str);

/// Where an order goes: recipient, phone, address. Sealed with the order as one value.
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryDetails {
    name: FullName,
    phone: PhoneVn,
    place: Place,
    line: StreetLine,
}

/// The sealed form, as JSON (unchanged since the first orders were sealed).
#[derive(serde::Deserialize)]
struct Stored {
    name: String,
    phone: String,
    province_code: String,
    ward_code: String,
    line: String,
}

impl DeliveryDetails {
    pub fn new(name: FullName, phone: PhoneVn, place: Place, line: StreetLine) -> DeliveryDetails {
        DeliveryDetails {
            name,
            phone,
            place,
            line,
        }
    }

    pub fn name(&self) -> &FullName {
        &self.name
    }

    pub fn phone(&self) -> &PhoneVn {
        &self.phone
    }

    pub fn place(&self) -> &Place {
        &self.place
    }

    pub fn line(&self) -> &StreetLine {
        &self.line
    }

    /// "12 Lý Thường Kiệt, Phường Ba Đình, Thành phố Hà Nội": for the page and the email
    /// that must show it.
    pub fn address(&self) -> String {
        format!("{}, {}", self.line.expose(), self.place.describe())
    }

    /// Seals the details for the order `order_id` under the buyer's key.
    pub fn seal(&self, key: &SubjectKey, order_id: &str) -> Result<Sealed, VaultError> {
        let json = serde_json::json!({
            "name": self.name.expose(),
            "phone": self.phone.expose(),
            "province_code": self.place.province_code,
            "ward_code": self.place.ward_code,
            "line": self.line.expose(),
        });
        key.seal(
            crate::gate::slots::order(order_id, "ship_to"),
            &json.to_string(),
        )
    }

    pub(crate) fn from_opened(json: &str) -> Result<DeliveryDetails, Unreadable> {
        let bad = || Unreadable("delivery details");
        let stored: Stored = serde_json::from_str(json).map_err(|_| bad())?;
        Ok(DeliveryDetails {
            name: FullName::parse(&stored.name).map_err(|_| bad())?,
            phone: PhoneVn::parse(&stored.phone).map_err(|_| bad())?,
            place: Place::parse(&stored.province_code, &stored.ward_code).map_err(|_| bad())?,
            line: StreetLine::parse(&stored.line).map_err(|_| bad())?,
        })
    }
}

impl fmt::Debug for DeliveryDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeliveryDetails(<personal>)")
    }
}

/// A one-time order lookup code, opened to be emailed to the buyer.
#[derive(Clone, PartialEq, Eq)]
pub struct LookupCode(String);

impl LookupCode {
    pub(crate) fn from_opened(code: String) -> Result<LookupCode, Unreadable> {
        if (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(LookupCode(code))
        } else {
            Err(Unreadable("lookup code"))
        }
    }

    /// The digits, for the email that sends them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LookupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LookupCode(<secret>)")
    }
}

/// The token of a single-use link (email verification, password reset), as the mailer
/// opens it to write the link. No `Display`, no `Serialize`, a `Debug` that hides it.
pub struct LinkToken(String);

impl LinkToken {
    pub(crate) fn from_opened(token: String) -> Result<LinkToken, Unreadable> {
        if crate::credentials::TokenHash::of_presented(&token).is_some() {
            Ok(LinkToken(token))
        } else {
            Err(Unreadable("link token"))
        }
    }

    /// The token, for the link in the email that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(<secret>)")
    }
}

/// What a message to an address no readable record holds carries, sealed under the message's
/// own subject: the address, the language, and a link token or the counts of what an erasure
/// kept. No `Display`, no `Serialize` outside this crate; `Debug` hides the address.
pub struct Notice {
    email: Email,
    lang: hanjinbi_domain::Lang,
    token: Option<String>,
    orders_kept: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct NoticeJson {
    email: String,
    lang: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    orders_kept: i64,
}

impl Notice {
    pub fn new(
        email: Email,
        lang: hanjinbi_domain::Lang,
        token: Option<&crate::credentials::SecretToken>,
        orders_kept: i64,
    ) -> Notice {
        Notice {
            email,
            lang,
            token: token.map(|t| t.expose().to_owned()),
            orders_kept,
        }
    }

    /// The text sealed for the outbox.
    pub(crate) fn to_sealable(&self) -> Result<String, Unreadable> {
        serde_json::to_string(&NoticeJson {
            email: self.email.expose().to_owned(),
            lang: self.lang.code().to_owned(),
            token: self.token.clone(),
            orders_kept: self.orders_kept,
        })
        .map_err(|_| Unreadable("notice"))
    }

    pub(crate) fn from_opened(text: &str) -> Result<Notice, Unreadable> {
        let json: NoticeJson = serde_json::from_str(text).map_err(|_| Unreadable("notice"))?;
        let token = match json.token {
            Some(t) if crate::credentials::TokenHash::of_presented(&t).is_some() => Some(t),
            Some(_) => return Err(Unreadable("notice")),
            None => None,
        };
        Ok(Notice {
            email: Email::parse(&json.email).map_err(|_| Unreadable("notice"))?,
            lang: hanjinbi_domain::Lang::from_code(&json.lang).ok_or(Unreadable("notice"))?,
            token,
            orders_kept: json.orders_kept,
        })
    }

    pub fn email(&self) -> &Email {
        &self.email
    }

    pub fn lang(&self) -> hanjinbi_domain::Lang {
        self.lang
    }

    /// The link token, for the email's link.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn orders_kept(&self) -> i64 {
        self.orders_kept
    }
}

impl fmt::Debug for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notice(<sealed content>)")
    }
}

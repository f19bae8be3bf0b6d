//! Putting a rendered email into a MIME message: headers (`Date` from the shop's clock, a
//! `Message-ID` under the shop's own domain), the plain-text and HTML parts as alternatives,
//! and images the HTML shows inline as a `multipart/related` part beside it.
//!
//! Only the `To` header names the buyer: the subject carries the shop's name and the order
//! number, the sender is the shop, and identifiers are random.

use super::EmailError;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use std::time::{Duration, SystemTime};

/// Who sends, to whom, about what, and when.
pub struct Envelope<'a> {
    pub shop_name: &'a str,
    pub shop_email: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    /// Seconds since the Unix epoch, from the shop's clock.
    pub date: i64,
    /// The domain of `Message-ID` and Content-IDs: the host of the shop's public address.
    pub domain: &'a str,
}

/// An image the HTML part shows by `cid:` reference.
pub struct InlineImage {
    pub content_id: String,
    pub png: Vec<u8>,
}

/// What an email says: the plain-text part (complete on its own), the HTML part and the
/// images it shows inline.
pub struct Rendered {
    pub text: String,
    pub html: String,
    pub inline: Vec<InlineImage>,
}

/// The host of the shop's public address (`https://www.hanjinbi.com/` → `www.hanjinbi.com`),
/// for identifiers that must be unique under a domain the shop owns.
pub fn domain_of(public_url: &str) -> Result<&str, EmailError> {
    let bad = || EmailError::PublicUrl;
    let rest = public_url.split_once("://").ok_or_else(bad)?.1;
    let authority = rest.split(['/', '?', '#']).next().ok_or_else(bad)?;
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // An IPv6 address keeps its brackets: `<id@[::1]>` is how a message id names one.
    let host = match host_port.find(']') {
        Some(end) if host_port.starts_with('[') => &host_port[..=end],
        _ => host_port.split(':').next().ok_or_else(bad)?,
    };
    let valid = host.len() > 2
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if valid {
        Ok(host)
    } else {
        Err(bad())
    }
}

/// A fresh identifier under `domain`: 128 random bits, so identifiers never repeat and say
/// nothing about the message.
pub fn unique_id(domain: &str) -> String {
    format!("{:032x}@{domain}", rand::random::<u128>())
}

fn text_part(content_type: ContentType, body: String) -> SinglePart {
    // Quoted-printable keeps ASCII (order numbers, codes, links) readable in the raw message,
    // and keeps lines short for every relay.
    SinglePart::builder()
        .header(content_type)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(body)
}

/// The message: `multipart/alternative` of the plain text and the HTML; when the HTML shows
/// images, the HTML and the images as one `multipart/related` alternative.
pub fn build(envelope: &Envelope<'_>, rendered: Rendered) -> Result<Message, EmailError> {
    let from: lettre::Address = envelope
        .shop_email
        .parse()
        .map_err(|_| EmailError::Address("the shop's"))?;
    let to: lettre::Address = envelope
        .to
        .parse()
        .map_err(|_| EmailError::Address("the recipient's"))?;
    let date = u64::try_from(envelope.date)
        .ok()
        .and_then(|secs| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
        .ok_or(EmailError::Time(envelope.date))?;
    let html = text_part(ContentType::TEXT_HTML, rendered.html);
    let alternatives =
        MultiPart::alternative().singlepart(text_part(ContentType::TEXT_PLAIN, rendered.text));
    let body = if rendered.inline.is_empty() {
        alternatives.singlepart(html)
    } else {
        let png = ContentType::parse("image/png").map_err(|_| EmailError::Build("image/png"))?;
        let related = rendered.inline.into_iter().fold(
            MultiPart::related().singlepart(html),
            |related, image| {
                related.singlepart(
                    Attachment::new_inline(image.content_id).body(image.png, png.clone()),
                )
            },
        );
        alternatives.multipart(related)
    };
    Message::builder()
        .from(Mailbox::new(Some(envelope.shop_name.to_owned()), from))
        .to(Mailbox::new(None, to))
        .subject(envelope.subject)
        .date(date)
        .message_id(Some(format!("<{}>", unique_id(envelope.domain))))
        .multipart(body)
        .map_err(|e| EmailError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_live_under_the_public_host() {
        assert_eq!(
            domain_of("https://www.hanjinbi.com").unwrap(),
            "www.hanjinbi.com"
        );
        assert_eq!(
            domain_of("http://127.0.0.1:8080/shop/").unwrap(),
            "127.0.0.1"
        );
        assert_eq!(domain_of("http://[::1]:8080").unwrap(), "[::1]");
        assert!(domain_of("www.hanjinbi.com").is_err());
        assert!(domain_of("https://").is_err());
        assert!(domain_of("https://bad host/").is_err());
        let a = unique_id("www.hanjinbi.com");
        assert!(a.ends_with("@www.hanjinbi.com"));
        assert_ne!(a, unique_id("www.hanjinbi.com"));
    }

    proptest::proptest! {
        /// Whatever the public URL says, the domain read from it is one a `Message-ID` may
        /// carry (no space, angle bracket, `@` or line break), or an error: never a panic.
        #[test]
        fn any_public_url_gives_a_safe_domain_or_an_error(url in "\\PC{0,60}") {
            if let Ok(domain) = domain_of(&url) {
                proptest::prop_assert!(!domain.is_empty());
                proptest::prop_assert!(!domain.contains(['<', '>', '@', ' ', '\r', '\n']));
            }
        }

        #[test]
        fn a_host_is_read_back_from_its_url(host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){1,2}", port in proptest::option::of(1u16..)) {
            let url = match port {
                Some(port) => format!("https://{host}:{port}/shop"),
                None => format!("https://{host}"),
            };
            proptest::prop_assert_eq!(domain_of(&url).unwrap(), host.as_str());
        }
    }
}

//! The emails a test shop wrote, read back with an independent MIME parser: headers as a
//! mail client reads them, and each part decoded.

use crate::support::TestApp;
use mail_parser::{MessageParser, MimeHeaders, PartType};

/// One message as its reader sees it.
pub struct Mail {
    pub subject: String,
    pub to: String,
    /// `Date`, as seconds since the Unix epoch.
    pub date: i64,
    pub message_id: String,
    /// `(name, raw value)` of every header of the message (not of its parts).
    pub headers: Vec<(String, String)>,
    /// The MIME tree, one entry per part in order: `(depth, content type, charset)`.
    pub structure: Vec<(usize, String, Option<String>)>,
    pub text: String,
    pub html: String,
    /// Inline images: `(Content-ID, bytes)`.
    pub inline: Vec<(String, Vec<u8>)>,
}

/// Reads one `.eml` file's text.
pub fn parse(raw: &str) -> Mail {
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parsable message");
    let mut structure = Vec::new();
    let mut inline = Vec::new();
    walk(&message, 0, 0, &mut structure, &mut inline);
    let to = message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("a recipient")
        .to_owned();
    Mail {
        subject: message.subject().expect("a subject").to_owned(),
        to,
        date: message.date().expect("a Date header").to_timestamp(),
        message_id: message.message_id().expect("a Message-ID").to_owned(),
        headers: message
            .headers_raw()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        structure,
        text: message.body_text(0).expect("a text part").into_owned(),
        html: message.body_html(0).expect("an HTML part").into_owned(),
        inline,
    }
}

fn walk(
    message: &mail_parser::Message<'_>,
    id: usize,
    depth: usize,
    structure: &mut Vec<(usize, String, Option<String>)>,
    inline: &mut Vec<(String, Vec<u8>)>,
) {
    let part = &message.parts[id];
    let content_type = part.content_type().expect("every part says its type");
    structure.push((
        depth,
        format!(
            "{}/{}",
            content_type.ctype(),
            content_type.subtype().unwrap_or_default()
        ),
        content_type
            .attribute("charset")
            .map(str::to_ascii_lowercase),
    ));
    match &part.body {
        PartType::Multipart(children) => {
            for &child in children {
                walk(message, child as usize, depth + 1, structure, inline);
            }
        }
        PartType::InlineBinary(bytes) | PartType::Binary(bytes) => inline.push((
            part.content_id()
                .expect("an inline part has a Content-ID")
                .to_owned(),
            bytes.to_vec(),
        )),
        _ => {}
    }
}

/// Every email the shop wrote so far.
pub fn mails(app: &TestApp) -> Vec<Mail> {
    app.mails().iter().map(|raw| parse(raw)).collect()
}

/// The one-time code in a lookup code email: the line of its text part that is six digits.
pub fn code_in(mail: &Mail) -> Option<String> {
    mail.text
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

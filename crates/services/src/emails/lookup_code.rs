//! The one-time code to look an order up, in the order's language.

use super::envelope::Rendered;
use super::words::{fill, Words};
use super::{vietnam_time, EmailError, Footer};
use askama::Template;
use hanjinbi_domain::{Lang, ShopInfo};

/// Everything the code email says.
pub struct LookupCodeMail<'a> {
    pub shop: &'a ShopInfo,
    pub lang: Lang,
    pub number: &'a str,
    pub code: &'a str,
    pub lifetime_secs: i64,
    /// When the code stops working.
    pub expires_at: i64,
}

struct View {
    w: &'static Words,
    subject: String,
    intro: String,
    code: String,
    lifetime: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/lookup_code.html")]
struct Html<'a> {
    m: &'a View,
}

#[derive(Template)]
#[template(path = "mail/lookup_code.txt")]
struct Text<'a> {
    m: &'a View,
}

impl LookupCodeMail<'_> {
    /// The subject and the rendered email.
    pub fn render(self) -> Result<(String, Rendered), EmailError> {
        let w = Words::of(self.lang);
        let minutes = (self.lifetime_secs / 60).to_string();
        let view = View {
            w,
            subject: fill(
                w.subject_code,
                &[("shop", &self.shop.name), ("number", self.number)],
            ),
            intro: fill(w.code_intro, &[("number", self.number)]),
            code: self.code.to_owned(),
            lifetime: fill(
                w.code_lifetime,
                &[
                    ("minutes", &minutes),
                    ("time", &vietnam_time(self.expires_at)?),
                ],
            ),
            footer: Footer::new(self.shop, w, w.why_code.to_owned()),
        };
        let rendered = Rendered {
            text: Text { m: &view }.render()?,
            html: Html { m: &view }.render()?,
            inline: Vec::new(),
        };
        Ok((view.subject, rendered))
    }
}

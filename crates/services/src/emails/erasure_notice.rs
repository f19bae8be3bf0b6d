//! The last email after an erasure: what was erased, what was kept as transaction records and
//! why (the reason is the policy file's own, for the transaction category), in the language
//! the buyer used.

use super::envelope::Rendered;
use super::words::{fill, Words};
use super::{EmailError, Footer};
use askama::Template;
use hanjinbi_domain::{Lang, ShopInfo};

pub struct ErasureNoticeMail<'a> {
    pub shop: &'a ShopInfo,
    pub lang: Lang,
    pub orders_kept: i64,
    /// Why transaction records are kept, in `lang`: the policy file's retention reason.
    pub retention_reason: &'a str,
}

struct View {
    w: &'static Words,
    subject: String,
    intro: String,
    kept: Option<String>,
    reason: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/erasure_notice.html")]
struct Html<'a> {
    m: &'a View,
}

#[derive(Template)]
#[template(path = "mail/erasure_notice.txt")]
struct Text<'a> {
    m: &'a View,
}

impl ErasureNoticeMail<'_> {
    pub fn render(self) -> Result<(String, Rendered), EmailError> {
        let w = Words::of(self.lang);
        let shop = [("shop", self.shop.name.as_str())];
        let orders = self.orders_kept.to_string();
        let view = View {
            w,
            subject: fill(w.subject_erasure_done, &shop),
            intro: fill(w.erasure_done_intro, &shop),
            kept: (self.orders_kept > 0).then(|| fill(w.erasure_kept, &[("orders", &orders)])),
            reason: self.retention_reason.to_owned(),
            footer: Footer::new(self.shop, w, fill(w.why_erasure, &shop)),
        };
        let rendered = Rendered {
            text: Text { m: &view }.render()?,
            html: Html { m: &view }.render()?,
            inline: Vec::new(),
        };
        Ok((view.subject, rendered))
    }
}

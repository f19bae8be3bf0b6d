//! Emails about an account, each carrying one single-use link: the address's verification,
//! the note to an address that already has an account (with a reset link), and the
//! password reset; and a guest's erasure link. In the language the buyer used.

use super::envelope::Rendered;
use super::words::{fill, Words};
use super::{vietnam_time, EmailError, Footer};
use askama::Template;
use hanjinbi_domain::{Lang, ShopInfo};

/// Which email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountLinkKind {
    Verify,
    AlreadyRegistered,
    PasswordReset,
    /// A guest's erasure link.
    Erasure,
}

/// Everything an account link email says.
pub struct AccountLinkMail<'a> {
    pub shop: &'a ShopInfo,
    pub lang: Lang,
    pub kind: AccountLinkKind,
    /// The whole link, with its token.
    pub link: &'a str,
    /// When the link stops working.
    pub expires_at: i64,
}

struct View {
    w: &'static Words,
    subject: String,
    intro: String,
    button: &'static str,
    link: String,
    lifetime: String,
    ignore: &'static str,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/account_link.html")]
struct Html<'a> {
    m: &'a View,
}

#[derive(Template)]
#[template(path = "mail/account_link.txt")]
struct Text<'a> {
    m: &'a View,
}

impl AccountLinkMail<'_> {
    /// The subject and the rendered email.
    pub fn render(self) -> Result<(String, Rendered), EmailError> {
        let w = Words::of(self.lang);
        let shop = [("shop", self.shop.name.as_str())];
        let (subject, intro, button, ignore) = match self.kind {
            AccountLinkKind::Verify => (
                w.subject_verify,
                w.verify_intro,
                w.verify_button,
                w.verify_ignore,
            ),
            AccountLinkKind::AlreadyRegistered => (
                w.subject_exists,
                w.exists_intro,
                w.reset_button,
                w.exists_ignore,
            ),
            AccountLinkKind::PasswordReset => (
                w.subject_reset,
                w.reset_intro,
                w.reset_button,
                w.reset_ignore,
            ),
            AccountLinkKind::Erasure => (
                w.subject_erasure_link,
                w.erasure_link_intro,
                w.erasure_button,
                w.erasure_link_ignore,
            ),
        };
        let view = View {
            w,
            subject: fill(subject, &shop),
            intro: fill(intro, &shop),
            button,
            link: self.link.to_owned(),
            lifetime: fill(
                w.link_lifetime,
                &[("time", &vietnam_time(self.expires_at)?)],
            ),
            ignore,
            footer: Footer::new(
                self.shop,
                w,
                fill(
                    match self.kind {
                        AccountLinkKind::Erasure => w.why_erasure,
                        _ => w.why_account,
                    },
                    &shop,
                ),
            ),
        };
        let rendered = Rendered {
            text: Text { m: &view }.render()?,
            html: Html { m: &view }.render()?,
            inline: Vec::new(),
        };
        Ok((view.subject, rendered))
    }
}

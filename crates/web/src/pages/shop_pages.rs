//! The pages every shop must have besides the privacy policy: delivery, payment, returns and
//! terms of use. Their figures (fees, methods, the cash-on-delivery limit, the return window)
//! come from the shop's settings, so the pages never say something the checkout does not do.
//! Each page has a Vietnamese and an English address, like the privacy policy.

use super::html;
use crate::context::{PageContext, RequestContext};
use crate::error::PageError;
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use hanjinbi_domain::Lang;

/// Which of the shop's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopPage {
    Delivery,
    Payment,
    Returns,
    Terms,
}

impl ShopPage {
    pub const ALL: [ShopPage; 4] = [
        ShopPage::Delivery,
        ShopPage::Payment,
        ShopPage::Returns,
        ShopPage::Terms,
    ];

    /// The page's address in `lang`.
    pub fn href(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ShopPage::Delivery, Lang::Vi) => "/chinh-sach-giao-hang",
            (ShopPage::Delivery, Lang::En) => "/delivery",
            (ShopPage::Payment, Lang::Vi) => "/phuong-thuc-thanh-toan",
            (ShopPage::Payment, Lang::En) => "/payment",
            (ShopPage::Returns, Lang::Vi) => "/chinh-sach-doi-tra",
            (ShopPage::Returns, Lang::En) => "/returns",
            (ShopPage::Terms, Lang::Vi) => "/dieu-khoan-su-dung",
            (ShopPage::Terms, Lang::En) => "/terms",
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ShopPage::Delivery, Lang::Vi) => "Chính sách giao hàng",
            (ShopPage::Delivery, Lang::En) => "Delivery",
            (ShopPage::Payment, Lang::Vi) => "Phương thức thanh toán",
            (ShopPage::Payment, Lang::En) => "Payment",
            (ShopPage::Returns, Lang::Vi) => "Chính sách đổi trả",
            (ShopPage::Returns, Lang::En) => "Returns and exchanges",
            (ShopPage::Terms, Lang::Vi) => "Điều khoản sử dụng",
            (ShopPage::Terms, Lang::En) => "Terms of use",
        }
    }

    fn code(self) -> &'static str {
        match self {
            ShopPage::Delivery => "delivery",
            ShopPage::Payment => "payment",
            ShopPage::Returns => "returns",
            ShopPage::Terms => "terms",
        }
    }
}

/// The footer's links to the shop's pages, in the page's language.
pub fn links(lang: Lang) -> Vec<(&'static str, &'static str)> {
    ShopPage::ALL
        .into_iter()
        .map(|p| (p.href(lang), p.title(lang)))
        .collect()
}

/// A delivery method as the delivery page lists it.
pub struct MethodFee {
    pub label: &'static str,
    pub fee: String,
}

/// The shop's bank account as the payment page shows it.
pub struct BankView {
    pub bank: String,
    pub account: String,
    pub holder: String,
}

#[derive(Template)]
#[template(path = "shop_page.html")]
struct ShopPageView {
    chrome: Chrome,
    page: &'static str,
    vi: bool,
    title: &'static str,
    delivery: Vec<MethodFee>,
    cod_label: &'static str,
    cod_max: String,
    bank_label: &'static str,
    bank: Option<BankView>,
    return_days: u16,
    privacy_href: &'static str,
}

async fn render(
    app: &AppState,
    ctx: &RequestContext,
    page: ShopPage,
    lang: Lang,
) -> Result<Response, PageError> {
    // The address decides the language, as for the privacy policy; the rest of the chrome
    // follows it so that the page is one language throughout.
    let mut ctx = ctx.clone();
    ctx.lang_chosen = ctx.lang_chosen && ctx.lang == lang;
    ctx.lang = lang;
    ctx.suggested = None;
    let checkout = &app.services.checkout;
    let fees = checkout.fees();
    let other = match lang {
        Lang::Vi => Lang::En,
        Lang::En => Lang::Vi,
    };
    let mut view = ShopPageView {
        page: page.code(),
        vi: lang == Lang::Vi,
        title: page.title(lang),
        delivery: ShippingMethod::ALL
            .into_iter()
            .map(|m| MethodFee {
                label: m.label(lang),
                fee: fees.fee(m).to_string(),
            })
            .collect(),
        cod_label: PaymentMethod::CashOnDelivery.label(lang),
        cod_max: checkout.limits().max_cod_order.to_string(),
        bank_label: PaymentMethod::BankTransfer.label(lang),
        bank: checkout.bank_account().map(|b| BankView {
            bank: b.bank_name().to_owned(),
            account: b.account().to_owned(),
            holder: b.holder().to_owned(),
        }),
        return_days: app.shop.return_window_days,
        privacy_href: match lang {
            Lang::Vi => "/chinh-sach-bao-mat",
            Lang::En => "/privacy",
        },
        chrome: Chrome::new(&app.shop, &ctx),
    };
    view.chrome.switch_href = page.href(other).to_owned();
    html(&view, &ctx)
}

macro_rules! shop_page_handlers {
    ($($name:ident => $page:expr, $lang:expr;)*) => {
        $(
            pub async fn $name(
                State(app): State<AppState>,
                PageContext(ctx): PageContext,
            ) -> Result<Response, PageError> {
                render(&app, &ctx, $page, $lang).await
            }
        )*
    };
}

shop_page_handlers! {
    delivery_vi => ShopPage::Delivery, Lang::Vi;
    delivery_en => ShopPage::Delivery, Lang::En;
    payment_vi => ShopPage::Payment, Lang::Vi;
    payment_en => ShopPage::Payment, Lang::En;
    returns_vi => ShopPage::Returns, Lang::Vi;
    returns_en => ShopPage::Returns, Lang::En;
    terms_vi => ShopPage::Terms, Lang::Vi;
    terms_en => ShopPage::Terms, Lang::En;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_two_distinct_addresses() {
        let mut seen = std::collections::HashSet::new();
        for page in ShopPage::ALL {
            for lang in [Lang::Vi, Lang::En] {
                assert!(seen.insert(page.href(lang)), "{page:?} {lang:?}");
                assert!(page.href(lang).starts_with('/'));
            }
        }
    }
}

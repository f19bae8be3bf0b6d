//! View models: what templates print, already formatted, so templates hold no logic beyond
//! loops and conditions.

use crate::context::RequestContext;
use crate::i18n::Texts;
use hanjinbi_domain::{Lang, ProductSummary, ShopInfo, StockState};
use std::sync::Arc;

/// The parts of every page around the content: header, language switch, footer.
pub struct Chrome {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub switch_href: String,
    pub shop: Arc<ShopInfo>,
    pub hotline_tel: String,
    pub path: String,
    /// The search text to show in the header's search box.
    pub q: String,
    /// Texts in the language the browser prefers, when the page is in the other one and the
    /// visitor has not chosen: the page offers the switch in that language.
    pub suggest: Option<&'static Texts>,
    /// The shop's own pages (delivery, payment, returns, terms) in the page's language.
    pub shop_pages: Vec<(&'static str, &'static str)>,
    /// Items in the visitor's cart, from the cookie the cart's handlers keep.
    pub cart_count: u32,
}

impl Chrome {
    pub fn new(shop: &Arc<ShopInfo>, ctx: &RequestContext) -> Chrome {
        let other = match ctx.lang {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        };
        Chrome {
            t: Texts::of(ctx.lang),
            lang: ctx.lang.code(),
            other_lang: other.code(),
            switch_href: ctx.href_with(&[("lang", other.code())]),
            shop: Arc::clone(shop),
            hotline_tel: shop.hotline_tel(),
            path: ctx.path.clone(),
            q: ctx
                .params
                .get("q")
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
            suggest: ctx.suggested.map(Texts::of),
            shop_pages: crate::pages::shop_pages::links(ctx.lang),
            cart_count: crate::cart_count::from_request(ctx),
        }
    }
}

pub struct Card {
    pub href: String,
    pub name: String,
    pub img: String,
    pub price_text: String,
    pub stock_text: &'static str,
    pub stock_class: &'static str,
}

pub fn product_href(slug: &str) -> String {
    format!("/san-pham/{slug}")
}

pub fn category_href(slug: &str) -> String {
    format!("/danh-muc/{slug}")
}

pub fn image_href(slug: &str) -> String {
    format!("/images/products/{slug}.svg")
}

pub fn stock_class(state: StockState) -> &'static str {
    match state {
        StockState::InStock => "in",
        StockState::LowStock => "low",
        StockState::OutOfStock => "out",
    }
}

/// "1.250.000 ₫", or "From 450.000 ₫" when variants differ in price.
pub fn price_range_text(t: &Texts, p: &ProductSummary) -> String {
    if p.price_from == p.price_to {
        p.price_from.to_string()
    } else {
        format!("{} {}", t.from, p.price_from)
    }
}

pub fn card(t: &'static Texts, lang: Lang, p: &ProductSummary) -> Card {
    let state = StockState::of(p.stock);
    Card {
        href: product_href(p.slug.as_str()),
        name: p.name.get(lang).to_owned(),
        img: image_href(p.slug.as_str()),
        price_text: price_range_text(t, p),
        stock_text: t.stock_name(state),
        stock_class: stock_class(state),
    }
}

pub struct PageLink {
    pub number: u32,
    pub href: String,
    pub current: bool,
}

/// Links to a window of pages around the current one.
pub fn pager(
    ctx: &RequestContext,
    current: u32,
    count: u32,
) -> (Vec<PageLink>, Option<String>, Option<String>) {
    let link = |n: u32| ctx.href_with(&[("page", &n.to_string())]);
    let first = current.saturating_sub(3).max(1);
    let last = (current + 3).min(count);
    let pages = (first..=last)
        .map(|n| PageLink {
            number: n,
            href: link(n),
            current: n == current,
        })
        .collect();
    let prev = (current > 1).then(|| link(current - 1));
    let next = (current < count).then(|| link(current + 1));
    (pages, prev, next)
}

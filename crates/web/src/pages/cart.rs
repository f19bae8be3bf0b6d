//! The cart page and its forms. The cart is named by a cookie holding `id.token`; the number
//! of items it holds is kept in a second cookie for the header (`cart_count`).
//!
//! Forms name a variant as the shopper chose it (product, colour key, size), never by SKU;
//! a form naming `sku` directly is still accepted, for scripts and links made before.
//! A choice or quantity that cannot be added brings the shopper back to the page they were
//! on (product page or cart) with the reason, not to an error page.

use super::html;
use super::product::{
    self, choice_href, choice_label, choice_message, picture_href, Chosen, Message,
};
use crate::cart_count;
use crate::context::{set_cookie, PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::form::FormBody;
use crate::i18n::Texts;
use crate::pictures::View;
use crate::query::Params;
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hanjinbi_domain::cart::{Cart, CartLine};
use hanjinbi_domain::choice::{ColourKey, Options};
use hanjinbi_domain::{Product, ProductSlug, Quantity, Sku};
use hanjinbi_services::{CartAccess, CartError};
use std::collections::HashMap;
use std::sync::Arc;

pub const CART_COOKIE: &str = "hj_cart";
const CART_COOKIE_AGE: u64 = 30 * 86_400;

pub struct LineView {
    pub index: usize,
    pub href: String,
    pub picture: String,
    pub name: String,
    pub variant: String,
    pub product: String,
    pub colour: String,
    pub size: String,
    pub quantity: i64,
    pub fewer: i64,
    pub more: i64,
    pub unit_price_text: String,
    pub total_text: String,
    pub stock_note: String,
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    chrome: Chrome,
    lines: Vec<LineView>,
    subtotal_text: String,
    problem: Option<String>,
}

/// The cart the visitor's cookie names, if it names one that exists with the right token.
/// A cookie for a cart that no longer exists is ignored; a wrong token is refused.
pub(super) async fn current_cart(
    app: &AppState,
    ctx: &RequestContext,
) -> Result<Option<CartAccess>, PageError> {
    let Some((id, token)) = ctx.cookie(CART_COOKIE).and_then(|c| c.split_once('.')) else {
        return Ok(None);
    };
    match app.services.carts.open(id, token).await {
        Ok(access) => Ok(Some(access)),
        Err(CartError::UnknownCart) => Ok(None),
        Err(e @ CartError::WrongToken) => {
            // Refused, and the cookies removed, so the next action starts a fresh cart.
            let mut failure = Failure::from(e);
            failure.clear_cookies = &[CART_COOKIE, cart_count::CART_COUNT_COOKIE];
            Err(PageError(failure))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    render_cart(&app, &ctx, None, StatusCode::OK).await
}

/// The products of the cart's lines, each read once.
async fn products_of(
    app: &AppState,
    cart: &Cart,
) -> Result<HashMap<ProductSlug, Arc<Product>>, PageError> {
    let mut products = HashMap::new();
    for line in &cart.lines {
        if products.contains_key(&line.product) {
            continue;
        }
        if let Some(product) = app.services.catalog.product(&line.product).await? {
            products.insert(line.product.clone(), product);
        }
    }
    Ok(products)
}

/// A line's colour key and size as the product page names them. The key comes from the
/// product's options (keys are unique within a product); a line whose product could not be
/// read falls back to the key of its colour name, which is the same key in every case but
/// two colour names folding alike.
fn line_choice(line: &CartLine, product: Option<&Arc<Product>>) -> (String, String) {
    let from_options = product.and_then(|p| {
        let options = Options::of(p);
        let variant = p.variants.iter().find(|v| v.sku == line.sku)?;
        let (c, _) = options.position_of(p, variant)?;
        Some(options.colours[c].key.to_string())
    });
    let colour = from_options
        .or_else(|| ColourKey::of_name(&line.color.vi).map(|k| k.to_string()))
        .unwrap_or_default();
    (colour, line.size.clone())
}

fn line_view(
    t: &Texts,
    lang: hanjinbi_domain::Lang,
    index: usize,
    line: &CartLine,
    choice: (String, String),
) -> LineView {
    let (colour, size) = choice;
    let slug = line.product.as_str();
    let href = choice_href(slug, &colour, &size, false);
    LineView {
        index,
        href,
        picture: picture_href(slug, &colour, View::Front),
        name: line.name.get(lang).to_owned(),
        variant: super::catalog::variant_label(&line.size, line.color.get(lang)),
        product: slug.to_owned(),
        colour,
        size,
        quantity: line.quantity,
        fewer: (line.quantity - 1).max(1),
        more: line.quantity + 1,
        unit_price_text: line.unit_price.to_string(),
        total_text: line.line_total().to_string(),
        stock_note: if line.quantity > line.stock {
            format!("{} {}", t.only_left, line.stock.max(0))
        } else {
            String::new()
        },
    }
}

/// The cart page, with a message when a change was refused. Also brings the header's count
/// cookie up to date with the cart it shows.
async fn render_cart(
    app: &AppState,
    ctx: &RequestContext,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let cart = match current_cart(app, ctx).await? {
        Some(access) => Some(app.services.carts.view(&access).await?),
        None => None,
    };
    let products = match &cart {
        Some(cart) => products_of(app, cart).await?,
        None => HashMap::new(),
    };
    let chrome = Chrome::new(&app.shop, ctx);
    let lines = cart
        .iter()
        .flat_map(|c| c.lines.iter())
        .enumerate()
        .map(|(i, line)| {
            let choice = line_choice(line, products.get(&line.product));
            line_view(chrome.t, ctx.lang, i, line, choice)
        })
        .collect();
    let items = cart.as_ref().map_or(0, Cart::item_count);
    let shown_count = chrome.cart_count;
    let page = CartPage {
        subtotal_text: cart.map(|c| c.subtotal()).unwrap_or_default().to_string(),
        lines,
        problem,
        chrome,
    };
    let mut response = html(&page, ctx)?;
    *response.status_mut() = status;
    if i64::from(shown_count) != items.min(i64::from(cart_count::MAX_SHOWN)) {
        cart_count::set(&mut response, items, ctx.secure);
    }
    Ok(response)
}

fn quantity_field(params: &Params) -> Result<Quantity, Failure> {
    let text = params.get("quantity").unwrap_or("1").trim();
    let n = text
        .parse::<i64>()
        .map_err(|_| hanjinbi_domain::catalog::IdentifierError::Quantity)?;
    Ok(Quantity::new(n)?)
}

fn redirect_to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// Opens the visitor's cart, or makes one (setting its cookie on the answer later).
async fn cart_for_adding(
    app: &AppState,
    ctx: &RequestContext,
    client: std::net::IpAddr,
) -> Result<(CartAccess, Option<String>), PageError> {
    match current_cart(app, ctx).await? {
        Some(access) => Ok((access, None)),
        None => {
            let new = app.services.carts.create(client).await?;
            let cookie = set_cookie(
                CART_COOKIE,
                &format!("{}.{}", new.access.id(), new.token),
                CART_COOKIE_AGE,
                ctx.secure,
            );
            Ok((new.access, Some(cookie)))
        }
    }
}

/// The answer to a successful change: `response` with the cart cookie (if the cart is new)
/// and the item count.
fn after_change(
    mut response: Response,
    ctx: &RequestContext,
    new_cart_cookie: Option<String>,
    cart: &Cart,
) -> Result<Response, PageError> {
    if let Some(cookie) = new_cart_cookie {
        let value = HeaderValue::from_str(&cookie).map_err(|e| Failure::internal(&e))?;
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    cart_count::set(&mut response, cart.item_count(), ctx.secure);
    Ok(response)
}

/// A refused change's reason in the shopper's words, or `None` for errors that are not the
/// shopper's to fix (they become error pages).
fn refusal(t: &Texts, error: &CartError) -> Option<(StatusCode, String)> {
    match error {
        CartError::NotEnoughStock { available } => Some((
            StatusCode::CONFLICT,
            format!("{} {}.", t.not_enough_stock, available.max(&0)),
        )),
        CartError::TooMany { max } => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} {max} {}", t.line_limit, t.line_limit_unit),
        )),
        _ => None,
    }
}

/// `POST /gio-hang/them`: "Thêm vào giỏ" (back to the product page with a confirmation, as
/// Shopee and Tiki keep the shopper where they were) or "Mua ngay" (`action=buy`: straight
/// to checkout).
pub async fn add(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let buy_now = form.params.get("action") == Some("buy");
    if form.params.get("product").is_none() {
        if let Some(sku) = form.params.get("sku") {
            return add_by_sku(&app, &ctx, client.ip(), sku, &form.params, buy_now).await;
        }
    }
    let slug = ProductSlug::parse(form.params.get("product").unwrap_or_default().trim())?;
    let product = app
        .services
        .catalog
        .product(&slug)
        .await?
        .ok_or_else(Failure::not_found)?;
    let chosen = Chosen {
        colour: form.params.non_blank("color"),
        size: form.params.non_blank("size"),
        quantity: form.params.get("quantity"),
    };
    let t = Texts::of(ctx.lang);
    let back_with = |text: String, field: Option<&'static str>, status: StatusCode| {
        product::render(
            &app,
            &ctx,
            &product,
            &chosen,
            Some(Message::Problem { text, field }),
            status,
        )
    };
    let options = Options::of(&product);
    let variant = match options.resolve(&product, chosen.colour, chosen.size) {
        Ok(variant) => variant,
        Err(error) => {
            let label = options
                .colour_index(chosen.colour.unwrap_or_default().trim())
                .zip(options.size_index(chosen.size.unwrap_or_default().trim()))
                .map(|(c, s)| choice_label(&options, ctx.lang, c, s))
                .unwrap_or_default();
            let (status, text, field) = choice_message(t, &error, &label);
            return back_with(text, field, status);
        }
    };
    let Ok(quantity) = quantity_field(&form.params) else {
        return back_with(
            t.quantity_invalid.to_owned(),
            Some("quantity"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let (access, new_cart_cookie) = cart_for_adding(&app, &ctx, client.ip()).await?;
    let cart = match app
        .services
        .carts
        .add(&access, &variant.sku, quantity)
        .await
    {
        Ok(cart) => cart,
        Err(error) => {
            let Some((status, text)) = refusal(t, &error) else {
                return Err(error.into());
            };
            let mut page = back_with(text, Some("quantity"), status)?;
            if let Some(cookie) = new_cart_cookie {
                let value = HeaderValue::from_str(&cookie).map_err(|e| Failure::internal(&e))?;
                page.headers_mut().append(header::SET_COOKIE, value);
            }
            return Ok(page);
        }
    };
    let target = if buy_now {
        "/thanh-toan".to_owned()
    } else {
        let (c, s) = options
            .position_of(&product, variant)
            .ok_or_else(|| Failure::internal(&"a resolved variant is in its own options"))?;
        choice_href(
            slug.as_str(),
            options.colours[c].key.as_str(),
            &options.sizes[s].label,
            true,
        )
    };
    after_change(redirect_to(&target), &ctx, new_cart_cookie, &cart)
}

/// A form that names the SKU itself: added, then to the cart (or checkout for "Mua ngay").
async fn add_by_sku(
    app: &AppState,
    ctx: &RequestContext,
    client: std::net::IpAddr,
    sku: &str,
    params: &Params,
    buy_now: bool,
) -> Result<Response, PageError> {
    let sku = Sku::parse(sku.trim())?;
    let quantity = quantity_field(params)?;
    let (access, new_cart_cookie) = cart_for_adding(app, ctx, client).await?;
    let cart = app.services.carts.add(&access, &sku, quantity).await?;
    let target = if buy_now { "/thanh-toan" } else { "/gio-hang" };
    after_change(redirect_to(target), ctx, new_cart_cookie, &cart)
}

/// The variant a cart form names: `product` + `color` + `size`, or `sku`.
async fn line_sku(app: &AppState, params: &Params) -> Result<Sku, PageError> {
    if params.get("product").is_none() {
        return Ok(Sku::parse(params.get("sku").unwrap_or_default().trim())?);
    }
    let slug = ProductSlug::parse(params.get("product").unwrap_or_default().trim())?;
    let product = app
        .services
        .catalog
        .product(&slug)
        .await?
        .ok_or_else(Failure::not_found)?;
    let options = Options::of(&product);
    let variant = options
        .find(
            &product,
            params.non_blank("color"),
            params.non_blank("size"),
        )
        .map_err(|_| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "not_in_cart",
                "Giỏ hàng không có sản phẩm này.",
                "This cart has no line with that choice.",
            )
        })?;
    Ok(variant.sku.clone())
}

async fn existing_cart(app: &AppState, ctx: &RequestContext) -> Result<CartAccess, PageError> {
    current_cart(app, ctx).await?.ok_or_else(|| {
        PageError(Failure::new(
            StatusCode::NOT_FOUND,
            "no_cart",
            "Giỏ hàng của quý khách đang trống hoặc đã hết hạn.",
            "Your cart is empty or has expired.",
        ))
    })
}

/// `POST /gio-hang/cap-nhat`: sets a line's quantity (the "−" and "+" buttons). A quantity
/// the stock cannot cover shows the cart again with the reason.
pub async fn update(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let t = Texts::of(ctx.lang);
    let sku = line_sku(&app, &form.params).await?;
    let access = existing_cart(&app, &ctx).await?;
    let Ok(quantity) = quantity_field(&form.params) else {
        let text = format!("{} {}", t.quantity_invalid, t.cart_unchanged);
        return render_cart(&app, &ctx, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match app.services.carts.set(&access, &sku, quantity).await {
        Ok(cart) => after_change(redirect_to("/gio-hang"), &ctx, None, &cart),
        Err(error) => match refusal(t, &error) {
            Some((status, text)) => {
                let text = format!("{text} {}", t.cart_unchanged);
                render_cart(&app, &ctx, Some(text), status).await
            }
            None => Err(error.into()),
        },
    }
}

/// `POST /gio-hang/xoa`: removes a line.
pub async fn remove(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let sku = line_sku(&app, &form.params).await?;
    let access = existing_cart(&app, &ctx).await?;
    let cart = app.services.carts.remove(&access, &sku).await?;
    after_change(redirect_to("/gio-hang"), &ctx, None, &cart)
}

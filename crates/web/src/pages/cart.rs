//! The cart page and its forms. The cart is named by a cookie holding `id.token`.

use super::html;
use crate::context::{set_cookie, PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::form::FormBody;
use crate::views::{product_href, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hanjinbi_domain::{Quantity, Sku};
use hanjinbi_services::{CartAccess, CartError};

pub const CART_COOKIE: &str = "hj_cart";
const CART_COOKIE_AGE: u64 = 30 * 86_400;

pub struct LineView {
    pub href: String,
    pub name: String,
    pub variant: String,
    pub sku: String,
    pub quantity: i64,
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
            // Refused, and the cookie removed, so the next action starts a fresh cart.
            let mut failure = Failure::from(e);
            failure.clear_cookies = &[CART_COOKIE];
            Err(PageError(failure))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&app.shop, &ctx);
    let lang = ctx.lang;
    let cart = match current_cart(&app, &ctx).await? {
        Some(access) => Some(app.services.carts.view(&access).await?),
        None => None,
    };
    let lines = cart
        .iter()
        .flat_map(|c| c.lines.iter())
        .map(|l| LineView {
            href: product_href(l.product.as_str()),
            name: l.name.get(lang).to_owned(),
            variant: super::catalog::variant_label(&l.size, l.color.get(lang)),
            sku: l.sku.to_string(),
            quantity: l.quantity,
            unit_price_text: l.unit_price.to_string(),
            total_text: l.line_total().to_string(),
            stock_note: if l.quantity > l.stock {
                format!("{} {}", chrome.t.only_left, l.stock.max(0))
            } else {
                String::new()
            },
        })
        .collect();
    let page = CartPage {
        subtotal_text: cart.map(|c| c.subtotal()).unwrap_or_default().to_string(),
        lines,
        chrome,
    };
    html(&page, &ctx)
}

fn sku_field(form: &FormBody) -> Result<Sku, Failure> {
    Ok(Sku::parse(
        form.params.get("sku").unwrap_or_default().trim(),
    )?)
}

fn quantity_field(form: &FormBody) -> Result<Quantity, Failure> {
    let text = form.params.get("quantity").unwrap_or("1").trim();
    let n = text
        .parse::<i64>()
        .map_err(|_| hanjinbi_domain::catalog::IdentifierError::Quantity)?;
    Ok(Quantity::new(n)?)
}

fn back_to_cart() -> Response {
    Redirect::to("/gio-hang").into_response()
}

pub async fn add(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let sku = sku_field(&form)?;
    let quantity = quantity_field(&form)?;
    match current_cart(&app, &ctx).await? {
        Some(access) => {
            app.services.carts.add(&access, &sku, quantity).await?;
            Ok(back_to_cart())
        }
        None => {
            let new = app.services.carts.create(client.ip()).await?;
            app.services.carts.add(&new.access, &sku, quantity).await?;
            let cookie = set_cookie(
                CART_COOKIE,
                &format!("{}.{}", new.access.id(), new.token),
                CART_COOKIE_AGE,
                ctx.secure,
            );
            let mut response = back_to_cart();
            let value = HeaderValue::from_str(&cookie).map_err(|e| Failure::internal(&e))?;
            response.headers_mut().append(header::SET_COOKIE, value);
            Ok(response)
        }
    }
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

pub async fn update(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let sku = sku_field(&form)?;
    let quantity = quantity_field(&form)?;
    let access = existing_cart(&app, &ctx).await?;
    app.services.carts.set(&access, &sku, quantity).await?;
    Ok(back_to_cart())
}

pub async fn remove(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let sku = sku_field(&form)?;
    let access = existing_cart(&app, &ctx).await?;
    app.services.carts.remove(&access, &sku).await?;
    Ok(back_to_cart())
}

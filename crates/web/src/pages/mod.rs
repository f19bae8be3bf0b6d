//! The storefront: server-rendered pages that work without JavaScript.

mod account;
mod cart;
pub use cart::CART_COOKIE;
mod catalog;
mod checkout;
mod consents;
mod erasure;
mod my_data;
mod orders;
mod privacy;
mod product;
pub mod shop_pages;
pub use orders::iso_time;
mod failures;
pub mod images;

pub use failures::render_failures;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::home))
        .route("/danh-muc/{slug}", get(catalog::category))
        .route("/san-pham/{slug}", get(product::show))
        .route("/tim-kiem", get(catalog::search))
        .route("/gio-hang", get(cart::show))
        .route("/gio-hang/them", post(cart::add))
        .route("/gio-hang/cap-nhat", post(cart::update))
        .route("/gio-hang/xoa", post(cart::remove))
        .route("/thanh-toan", get(checkout::show).post(checkout::submit))
        .route("/chinh-sach-bao-mat", get(privacy::vietnamese))
        .route(
            "/chinh-sach-bao-mat/{version}",
            get(privacy::vietnamese_version),
        )
        .route("/privacy", get(privacy::english))
        .route("/privacy/{version}", get(privacy::english_version))
        .route(
            "/don-hang/tra-cuu",
            get(orders::lookup_form).post(orders::lookup),
        )
        .route("/don-hang/{number}", get(orders::show))
        .route("/tai-khoan", get(account::home))
        .route(
            "/tai-khoan/dang-ky",
            get(account::register_form).post(account::register),
        )
        .route("/tai-khoan/kiem-tra-email", get(account::check_email))
        .route(
            "/tai-khoan/xac-nhan",
            get(account::verify_form).post(account::verify),
        )
        .route(
            "/tai-khoan/dang-nhap",
            get(account::sign_in_form).post(account::sign_in),
        )
        .route("/tai-khoan/dang-xuat", post(account::sign_out))
        .route(
            "/tai-khoan/dang-xuat-moi-noi",
            post(account::sign_out_everywhere),
        )
        .route("/tai-khoan/mat-khau", post(account::change_password))
        .route("/tai-khoan/xoa", post(account::erase))
        .route("/tai-khoan/dong-y", get(consents::show))
        .route("/tai-khoan/dong-y/{purpose}", post(consents::decide))
        .route("/tai-khoan/phan-doi/{purpose}", post(consents::object))
        .route("/tai-khoan/han-che/{purpose}", post(consents::restrict))
        .route("/tai-khoan/du-lieu", get(my_data::show))
        .route("/tai-khoan/du-lieu/tai-ve", get(my_data::download))
        .route(
            "/xoa-du-lieu",
            get(erasure::request_form).post(erasure::request),
        )
        .route(
            "/xoa-du-lieu/xac-nhan",
            get(erasure::confirm_form).post(erasure::confirm),
        )
        .route(
            "/tai-khoan/quen-mat-khau",
            get(account::forgot_form).post(account::forgot),
        )
        .route(
            "/tai-khoan/dat-lai-mat-khau",
            get(account::reset_form).post(account::reset),
        )
        .route("/images/products/{file}", get(images::product_image))
        .route("/chinh-sach-giao-hang", get(shop_pages::delivery_vi))
        .route("/delivery", get(shop_pages::delivery_en))
        .route("/phuong-thuc-thanh-toan", get(shop_pages::payment_vi))
        .route("/payment", get(shop_pages::payment_en))
        .route("/chinh-sach-doi-tra", get(shop_pages::returns_vi))
        .route("/returns", get(shop_pages::returns_en))
        .route("/dieu-khoan-su-dung", get(shop_pages::terms_vi))
        .route("/terms", get(shop_pages::terms_en))
        .route(
            "/images/products/{slug}/{colour}/{view}",
            get(images::colour_image),
        )
}

/// Renders a template into a response, remembering a language chosen with `?lang=`.
pub(crate) fn html(
    template: &impl askama::Template,
    ctx: &crate::context::RequestContext,
) -> Result<axum::response::Response, crate::error::PageError> {
    use axum::http::header;
    use axum::response::{Html, IntoResponse};
    let body = template
        .render()
        .map_err(|e| crate::error::Failure::internal(&e))?;
    let mut response = Html(body).into_response();
    if ctx.lang_chosen {
        let cookie = crate::context::set_cookie(
            crate::context::LANG_COOKIE,
            ctx.lang.code(),
            365 * 86_400,
            ctx.secure,
        );
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

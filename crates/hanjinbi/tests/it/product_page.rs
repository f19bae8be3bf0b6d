//! The product page and the cart as a shopper uses them without JavaScript: colour and size
//! chosen separately and resolved by the server, "Mua ngay", the item count in the header,
//! refusals that keep the shopper on the page they were on, and pictures per colour.

use crate::support::{set_stock, spawn, TestApp};

const JACKET: &str = "ao-khoac-gio-nam-2-lop";
const JACKET_PAGE: &str = "/san-pham/ao-khoac-gio-nam-2-lop";

/// Units of `sku` in every cart.
async fn in_carts(app: &TestApp, sku: &str) -> i64 {
    app.server
        .services
        .db
        .raw_one(
            "SELECT CAST(COALESCE(SUM(ci.quantity), 0) AS BIGINT) AS n FROM cart_items ci \
             JOIN variants v ON v.id = ci.variant_id WHERE v.sku = $1",
            &[sku.into()],
        )
        .await
        .unwrap()
}

/// The SKUs of a product, from the API (the one place that names them).
async fn skus_of(app: &TestApp, slug: &str) -> Vec<String> {
    let (_, product) = app.get_json(&format!("/api/v1/products/{slug}")).await;
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["sku"].as_str().unwrap().to_owned())
        .collect()
}

async fn add(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form("/gio-hang/them", fields).await
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The value the answer sets for cookie `name`, if it sets one.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (n, rest) = c.split_once('=')?;
            (n == name).then(|| rest.split(';').next().unwrap_or_default().to_owned())
        })
}

/// The header's cart link, as rendered.
fn cart_link(html: &str) -> &str {
    let start = html.find("<a class=\"cart-link\"").expect("a cart link");
    let end = html[start..].find("</a>").expect("the link ends") + start;
    &html[start..end]
}

#[tokio::test]
async fn colour_and_size_are_separate_choices_with_nothing_preselected() {
    let app = spawn().await;
    let (status, html) = app.get_text(JACKET_PAGE).await;
    assert_eq!(status, 200);
    assert!(html.contains("<legend>Màu sắc</legend>"), "{html}");
    assert!(html.contains("<legend>Kích cỡ</legend>"));
    for colour in ["value=\"den\"", "value=\"xanh-navy\""] {
        assert!(html.contains(colour), "{colour}");
    }
    for size in ["value=\"M\"", "value=\"L\"", "value=\"XL\""] {
        assert!(html.contains(size), "{size}");
    }
    assert!(
        !html.contains(" checked"),
        "nothing is chosen for the shopper"
    );
    assert!(html.contains(">Thêm vào giỏ</button>"));
    assert!(html.contains(">Mua ngay</button>"));
}

#[tokio::test]
async fn a_colour_and_a_size_add_their_variant_and_the_page_confirms_it() {
    let app = spawn().await;
    let r = add(
        &app,
        &[
            ("product", JACKET),
            ("color", "xanh-navy"),
            ("size", "L"),
            ("quantity", "2"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let back = location(&r);
    assert_eq!(
        back,
        format!("{JACKET_PAGE}?added=1&color=xanh-navy&size=L")
    );
    assert_eq!(in_carts(&app, "AKG2L-NAVY-L").await, 2);
    assert_eq!(in_carts(&app, "AKG2L-DEN-L").await, 0);

    let (status, html) = app.get_text(&back).await;
    assert_eq!(status, 200);
    assert!(html.contains("Đã thêm vào giỏ"), "{html}");
    assert!(html.contains("(Xanh navy / L)"));
    assert!(html.contains("href=\"/gio-hang\">Xem giỏ hàng"));
}

#[tokio::test]
async fn a_missing_choice_comes_back_to_the_product_page_saying_what_to_choose() {
    let app = spawn().await;
    for (fields, message, kept) in [
        (
            vec![("product", JACKET)],
            "Vui lòng chọn Màu sắc và Kích cỡ.",
            None,
        ),
        (
            vec![("product", JACKET), ("color", "den")],
            "Vui lòng chọn Kích cỡ.",
            Some("id=\"colour-den\" name=\"color\" value=\"den\" checked"),
        ),
        (
            vec![("product", JACKET), ("size", "XL"), ("color", "")],
            "Vui lòng chọn Màu sắc.",
            Some("value=\"XL\" data-index=\"2\" checked"),
        ),
    ] {
        let r = add(&app, &fields).await;
        assert_eq!(r.status().as_u16(), 422, "{fields:?}");
        assert!(set_cookie(&r, "hj_cart").is_none(), "no cart for nothing");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{fields:?}: {html}");
        assert!(
            html.contains("<h1>Áo khoác gió nam 2 lớp</h1>"),
            "the product page"
        );
        assert!(html.contains("action=\"/gio-hang/them\""), "with its form");
        if let Some(kept) = kept {
            assert!(
                html.contains(kept),
                "{fields:?} keeps the choice made: {html}"
            );
        }
    }
    // A one-size bag needs only its colour; a one-colour shoe only its size.
    let bag = add(
        &app,
        &[("product", "tui-tote-vai-canvas"), ("color", "den")],
    )
    .await;
    assert_eq!(bag.status().as_u16(), 303);
    let (_, shoe_page) = app
        .get_text("/san-pham/giay-the-thao-chay-bo-sieu-nhe")
        .await;
    assert!(shoe_page.contains("<span class=\"fixed-label\">Màu sắc:</span> Cam neon"));
    let shoe = add(
        &app,
        &[
            ("product", "giay-the-thao-chay-bo-sieu-nhe"),
            ("size", "41"),
        ],
    )
    .await;
    assert_eq!(shoe.status().as_u16(), 303);
}

#[tokio::test]
async fn an_unavailable_or_unknown_choice_is_refused_with_a_message() {
    let app = spawn().await;
    set_stock(&app, "AKG2L-NAVY-L", 0).await;
    let r = add(
        &app,
        &[("product", JACKET), ("color", "xanh-navy"), ("size", "L")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Đã hết hàng: Xanh navy / L. Vui lòng chọn màu hoặc cỡ khác."),
        "{html}"
    );
    assert_eq!(in_carts(&app, "AKG2L-NAVY-L").await, 0);

    for fields in [
        [("product", JACKET), ("color", "hong"), ("size", "L")],
        [("product", JACKET), ("color", "den"), ("size", "S")],
    ] {
        let r = add(&app, &fields).await;
        assert_eq!(r.status().as_u16(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Lựa chọn không khớp với sản phẩm này"),
            "{html}"
        );
    }

    // A whole colour sold out is shown unavailable before anyone asks for it.
    set_stock(&app, "AKG2L-DEN-M", 0).await;
    set_stock(&app, "AKG2L-DEN-L", 0).await;
    set_stock(&app, "AKG2L-DEN-XL", 0).await;
    let (_, html) = app.get_text(JACKET_PAGE).await;
    assert!(
        html.contains("value=\"den\" disabled required>"),
        "the sold-out colour cannot be chosen: {html}"
    );
    assert!(html.contains("Đen<span class=\"mark\"> (hết hàng)</span>"));
}

#[tokio::test]
async fn more_than_the_stock_from_the_product_page_is_refused_there() {
    let app = spawn().await;
    set_stock(&app, "AKG2L-DEN-M", 3).await;
    let choice = [
        ("product", JACKET),
        ("color", "den"),
        ("size", "M"),
        ("quantity", "4"),
    ];
    let r = add(&app, &choice).await;
    assert_eq!(r.status().as_u16(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("Số lượng còn lại: 3."), "{html}");
    assert!(html.contains("value=\"4\""), "the quantity typed is kept");
    assert_eq!(in_carts(&app, "AKG2L-DEN-M").await, 0);
}

#[tokio::test]
async fn mua_ngay_adds_and_goes_straight_to_checkout() {
    let app = spawn().await;
    let r = add(
        &app,
        &[
            ("product", JACKET),
            ("color", "den"),
            ("size", "XL"),
            ("quantity", "1"),
            ("action", "buy"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/thanh-toan");
    assert_eq!(in_carts(&app, "AKG2L-DEN-XL").await, 1);
    let (status, checkout) = app.get_text("/thanh-toan").await;
    assert_eq!(status, 200);
    assert!(checkout.contains("Áo khoác gió nam 2 lớp"));
}

#[tokio::test]
async fn the_header_shows_how_many_items_the_cart_holds_on_every_page() {
    let app = spawn().await;
    let (_, html) = app.get_text("/").await;
    assert!(
        !cart_link(&html).contains("cart-count"),
        "an empty cart shows no count"
    );

    let r = add(
        &app,
        &[
            ("product", JACKET),
            ("color", "den"),
            ("size", "M"),
            ("quantity", "2"),
        ],
    )
    .await;
    assert_eq!(set_cookie(&r, "hj_cart_count").as_deref(), Some("2"));
    let r = add(
        &app,
        &[("product", "tui-tote-vai-canvas"), ("color", "den")],
    )
    .await;
    assert_eq!(set_cookie(&r, "hj_cart_count").as_deref(), Some("3"));
    for page in [
        "/",
        "/danh-muc/ao",
        JACKET_PAGE,
        "/tim-kiem?q=ao",
        "/gio-hang",
        "/chinh-sach-bao-mat",
        "/khong-co",
    ] {
        let (_, html) = app.get_text(page).await;
        let link = cart_link(&html);
        assert!(link.contains(">3</span>"), "{page}: {link}");
        assert!(link.contains("(3 sản phẩm)"), "{page}: {link}");
    }
    let (_, english) = app.get_text("/?lang=en").await;
    assert!(cart_link(&english).contains("(3 items)"));

    let r = app
        .post_form(
            "/gio-hang/cap-nhat",
            &[
                ("product", JACKET),
                ("color", "den"),
                ("size", "M"),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(set_cookie(&r, "hj_cart_count").as_deref(), Some("2"));
    let r = app
        .post_form(
            "/gio-hang/xoa",
            &[("product", "tui-tote-vai-canvas"), ("color", "den")],
        )
        .await;
    assert_eq!(set_cookie(&r, "hj_cart_count").as_deref(), Some("1"));
    let r = app
        .post_form(
            "/gio-hang/xoa",
            &[("product", JACKET), ("color", "den"), ("size", "M")],
        )
        .await;
    assert_eq!(set_cookie(&r, "hj_cart_count").as_deref(), Some("0"));
    let (_, html) = app.get_text("/").await;
    assert!(!cart_link(&html).contains("cart-count"));
}

#[tokio::test]
async fn a_count_cookie_that_is_not_a_plain_number_shows_nothing() {
    let app = spawn().await;
    let fresh = reqwest::Client::new();
    for (value, shown) in [
        ("%3Cb%3E7", None),
        ("-3", None),
        ("4x", None),
        ("12", Some(">12</span>")),
        ("123456", Some(">999</span>")),
    ] {
        let html = fresh
            .get(app.url("/"))
            .header("cookie", format!("hj_cart_count={value}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let link = cart_link(&html);
        match shown {
            None => assert!(!link.contains("cart-count"), "{value}: {link}"),
            Some(count) => assert!(link.contains(count), "{value}: {link}"),
        }
    }
}

#[tokio::test]
async fn the_cart_page_corrects_a_count_that_drifted() {
    let app = spawn().await;
    let (id, token) = crate::support::cart_with(&app, "AKG2L-DEN-M", 2).await;
    let cart_page = |count: &'static str| {
        reqwest::Client::new()
            .get(app.url("/gio-hang"))
            .header(
                "cookie",
                format!("hj_cart={id}.{token}; hj_cart_count={count}"),
            )
            .send()
    };
    let right = cart_page("2").await.unwrap();
    assert!(
        set_cookie(&right, "hj_cart_count").is_none(),
        "nothing to correct"
    );
    let drifted = cart_page("9").await.unwrap();
    assert_eq!(set_cookie(&drifted, "hj_cart_count").as_deref(), Some("2"));
}

#[tokio::test]
async fn asking_the_cart_for_more_than_the_stock_shows_the_cart_again_with_the_reason() {
    let app = spawn().await;
    set_stock(&app, "AKG2L-DEN-M", 3).await;
    add(
        &app,
        &[
            ("product", JACKET),
            ("color", "den"),
            ("size", "M"),
            ("quantity", "3"),
        ],
    )
    .await;
    let r = app
        .post_form(
            "/gio-hang/cap-nhat",
            &[
                ("product", JACKET),
                ("color", "den"),
                ("size", "M"),
                ("quantity", "4"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<h1>Giỏ hàng của quý khách</h1>"),
        "the cart page: {html}"
    );
    assert!(html.contains("Số lượng còn lại: 3."), "{html}");
    assert!(html.contains("Giỏ hàng chưa thay đổi."));
    assert!(html.contains("<output class=\"line-quantity\" aria-label=\"Số lượng\">3</output>"));
    assert_eq!(in_carts(&app, "AKG2L-DEN-M").await, 3);
}

#[tokio::test]
async fn the_cart_shows_each_line_as_a_card_with_its_picture_and_steppers() {
    let app = spawn().await;
    add(
        &app,
        &[
            ("product", JACKET),
            ("color", "xanh-navy"),
            ("size", "M"),
            ("quantity", "2"),
        ],
    )
    .await;
    let (_, html) = app.get_text("/gio-hang").await;
    assert!(html.contains("<li class=\"cart-line\""));
    assert!(html.contains(&format!(
        "src=\"/images/products/{JACKET}/xanh-navy/truoc.svg\""
    )));
    // The line links back to the product page with its own choice made.
    assert!(html.contains(&format!("href=\"/san-pham/{JACKET}?color=xanh-navy&")));
    assert!(html.contains("name=\"quantity\" value=\"1\""), "−");
    assert!(html.contains("name=\"quantity\" value=\"3\""), "+");
    assert!(
        html.contains("class=\"link-button\""),
        "remove is not the main action"
    );
}

#[tokio::test]
async fn no_sku_appears_on_the_product_page_or_in_the_cart() {
    let app = spawn().await;
    let skus = skus_of(&app, JACKET).await;
    assert!(!skus.is_empty());
    add(
        &app,
        &[
            ("product", JACKET),
            ("color", "den"),
            ("size", "L"),
            ("quantity", "1"),
        ],
    )
    .await;
    for page in [JACKET_PAGE, "/gio-hang", "/"] {
        let (_, html) = app.get_text(page).await;
        for sku in &skus {
            assert!(!html.contains(sku.as_str()), "{page} shows {sku}");
        }
        assert!(!html.contains("name=\"sku\""), "{page}");
    }
}

#[tokio::test]
async fn the_product_page_has_a_gallery_per_colour_and_a_size_guide() {
    let app = spawn().await;
    let (_, html) = app.get_text(JACKET_PAGE).await;
    for colour in ["den", "xanh-navy"] {
        for view in ["truoc", "sau", "chi-tiet"] {
            let picture = format!("/images/products/{JACKET}/{colour}/{view}.svg");
            assert!(html.contains(&picture), "{picture}");
            assert!(html.contains(&format!("href=\"#anh-{colour}-{view}\"")));
        }
    }
    assert!(html.contains("<summary>Bảng kích cỡ</summary>"));
    assert!(html.contains("Vòng ngực"));
    let (_, english) = app.get_text(&format!("{JACKET_PAGE}?lang=en")).await;
    assert!(english.contains("<summary>Size guide</summary>"));
    assert!(english.contains("Chest"));
    let (_, bag) = app.get_text("/san-pham/tui-tote-vai-canvas").await;
    assert!(
        !bag.contains("size-guide"),
        "a one-size bag has no size guide"
    );
}

#[tokio::test]
async fn pictures_are_served_per_colour_as_valid_svg_with_cache_headers() {
    let app = spawn().await;
    let mut bodies = Vec::new();
    for colour in ["den", "xanh-navy"] {
        for view in ["truoc", "sau", "chi-tiet"] {
            let r = app
                .get(&format!("/images/products/{JACKET}/{colour}/{view}.svg"))
                .await;
            assert_eq!(r.status().as_u16(), 200, "{colour} {view}");
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(header("content-type"), "image/svg+xml");
            assert_eq!(header("cache-control"), "public, max-age=86400");
            let body = r.text().await.unwrap();
            let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            bodies.push((colour, body));
        }
    }
    // Each colour is drawn in its own fabric.
    assert!(bodies
        .iter()
        .filter(|(c, _)| *c == "den")
        .all(|(_, b)| b.contains("#222222")));
    assert!(bodies
        .iter()
        .filter(|(c, _)| *c == "xanh-navy")
        .all(|(_, b)| b.contains("#1f2f4f") && !b.contains("#222222")));
    // Cards in lists use the new drawing too.
    let card = app.get(&format!("/images/products/{JACKET}.svg")).await;
    assert_eq!(card.status().as_u16(), 200);
    roxmltree::Document::parse(&card.text().await.unwrap()).unwrap();

    for missing in [
        format!("/images/products/{JACKET}/hong/truoc.svg"),
        format!("/images/products/{JACKET}/den/tren.svg"),
        format!("/images/products/{JACKET}/den/truoc.png"),
        "/images/products/khong-co/den/truoc.svg".to_owned(),
    ] {
        let (status, _) = app.get_text(&missing).await;
        assert_eq!(status, 404, "{missing}");
    }
}

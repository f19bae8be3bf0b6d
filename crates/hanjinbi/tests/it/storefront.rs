use crate::support::spawn;

fn product_names(html: &str) -> Vec<String> {
    html.split("class=\"name\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn home_shows_categories_featured_products_and_legal_footer() {
    let app = spawn().await;
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("href=\"/danh-muc/dam-vay\""));
    assert!(!product_names(&html).is_empty());
    for legal in [
        "Công ty TNHH Hanjinbi",
        "0109999999",
        "contact.hanjinbi@gmail.com",
        "0964 242 408",
    ] {
        assert!(html.contains(legal), "footer lacks {legal}");
    }
}

#[tokio::test]
async fn search_is_case_and_diacritic_insensitive_with_d_stroke() {
    let app = spawn().await;
    for (query, expected_start) in [
        ("ao+khoac", "Áo khoác"),
        ("AO%20KHOAC", "Áo khoác"),
        ("dam", "Đầm"),
        ("giay+the+thao", "Giày thể thao"),
        ("%C4%91%E1%BA%A7m", "Đầm"),
    ] {
        let (status, html) = app.get_text(&format!("/tim-kiem?q={query}")).await;
        assert_eq!(status, 200);
        let names = product_names(&html);
        assert!(!names.is_empty(), "{query} found nothing");
        assert!(
            names[0].starts_with(expected_start),
            "{query}: first result {:?}",
            names[0]
        );
    }
}

#[tokio::test]
async fn name_matches_rank_above_description_matches() {
    let app = spawn().await;
    let (_, json) = app
        .get_json("/api/v1/products?q=ao+khoac&per_page=100")
        .await;
    let names: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"]["vi"].as_str().unwrap().to_owned())
        .collect();
    let folded = |s: &str| hanjinbi_domain::search::fold(s);
    let first_description_only = names
        .iter()
        .position(|n| !folded(n).contains("ao khoac"))
        .expect("some products mention áo khoác only in their description");
    assert!(first_description_only >= 3);
    assert!(
        names[first_description_only..]
            .iter()
            .all(|n| !folded(n).contains("ao khoac")),
        "{names:?}"
    );
}

#[tokio::test]
async fn every_word_must_match() {
    let app = spawn().await;
    let (_, all) = app.get_json("/api/v1/products?q=dam&per_page=100").await;
    let (_, narrowed) = app
        .get_json("/api/v1/products?q=dam+maxi&per_page=100")
        .await;
    let (_, none) = app.get_json("/api/v1/products?q=dam+xyzzy").await;
    assert!(narrowed["total"].as_i64().unwrap() < all["total"].as_i64().unwrap());
    assert!(narrowed["total"].as_i64().unwrap() >= 1);
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn category_pages_paginate_and_sort_by_price() {
    let app = spawn().await;
    let (status, html) = app.get_text("/danh-muc/ao?sort=price_asc&per_page=4").await;
    assert_eq!(status, 200);
    assert_eq!(product_names(&html).len(), 4);
    assert!(html.contains("rel=\"next\""));
    let (_, page1) = app
        .get_json("/api/v1/products?category=ao&sort=price_asc&per_page=4")
        .await;
    let (_, page2) = app
        .get_json("/api/v1/products?category=ao&sort=price_asc&per_page=4&page=2")
        .await;
    let prices: Vec<i64> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["items"].as_array().unwrap())
        .map(|p| p["price_from"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let slugs1: Vec<&str> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert!(page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !slugs1.contains(&p["slug"].as_str().unwrap())));
    let (_, desc) = app
        .get_json("/api/v1/products?category=ao&sort=price_desc&per_page=100")
        .await;
    let desc: Vec<i64> = desc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price_from"].as_i64().unwrap())
        .collect();
    assert!(desc.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn product_page_shows_variants_prices_the_vietnamese_way_and_stock() {
    let app = spawn().await;
    let (status, html) = app.get_text("/san-pham/ao-khoac-jean-nu").await;
    assert_eq!(status, 200);
    assert!(html.contains("Áo khoác jean nữ"));
    assert!(html.contains("name=\"color\"") && html.contains("name=\"size\""));
    assert!(html.contains("\u{a0}₫"), "prices end with ₫");
    let (_, json) = app.get_json("/api/v1/products/ao-khoac-jean-nu").await;
    let price = json["variants"][0]["price"].as_i64().unwrap();
    assert!(html.contains(&hanjinbi_domain::Dong(price).to_string()));
    assert!(html.contains("Còn hàng") || html.contains("Sắp hết hàng"));
    let (_, sold_out) = app.get_text("/san-pham/bot-da-co-ngan").await;
    assert!(sold_out.contains("Hết hàng"));
    assert!(sold_out.contains("value=\"add\" class=\"secondary add\" disabled>"));
    assert!(sold_out.contains("value=\"buy\" class=\"buy-now\" disabled>"));
}

#[tokio::test]
async fn english_by_query_or_cookie_and_only_suggested_by_the_browser() {
    let app = spawn().await;
    let (_, html) = app.get_text("/?lang=en").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Featured products"));
    // The choice is remembered by a cookie.
    let (_, again) = app.get_text("/san-pham/ao-khoac-jean-nu").await;
    assert!(again.contains("<html lang=\"en\">"));
    assert!(
        !again.contains("lang-suggest"),
        "a chosen language is not questioned"
    );

    // A browser that prefers English gets the Vietnamese shop, with the switch offered in
    // English; caches are told that the answer depends on the header and the cookie.
    let fresh = reqwest::Client::new();
    let response = fresh
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let vary = response.headers()["vary"].to_str().unwrap().to_owned();
    assert!(
        vary.contains("Accept-Language") && vary.contains("Cookie"),
        "{vary}"
    );
    assert!(response.headers().get("set-cookie").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains(
        "<p class=\"lang-suggest\" lang=\"en\">This shop is also in English. <a href=\"/?lang=en\" hreflang=\"en\">View in English</a></p>"
    ));
    // A Vietnamese browser is not offered anything.
    let html = fresh
        .get(app.url("/"))
        .header("accept-language", "vi-VN,vi;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("lang-suggest"));
    // Static files do not vary.
    let css = fresh
        .get(app.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert!(css.headers().get("vary").is_none());
    let icon = fresh.get(app.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(icon.status().as_u16(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn the_shop_pages_are_linked_from_every_page_and_follow_the_settings() {
    let app = spawn().await;
    let (_, home) = app.get_text("/").await;
    for href in [
        "/chinh-sach-giao-hang",
        "/phuong-thuc-thanh-toan",
        "/chinh-sach-doi-tra",
        "/dieu-khoan-su-dung",
        "/chinh-sach-bao-mat",
    ] {
        assert!(home.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert!(
        home.contains("ngày cấp 15/03/2024"),
        "registration date in the footer"
    );
    let (status, delivery) = app.get_text("/chinh-sach-giao-hang").await;
    assert_eq!(status, 200);
    assert!(
        delivery.contains("30.000"),
        "the standard fee from the settings"
    );
    let (_, returns) = app.get_text("/returns").await;
    assert!(returns.contains("<html lang=\"en\">"));
    assert!(returns.contains("within <strong>7 days</strong>"));
    assert!(
        returns.contains("href=\"/chinh-sach-doi-tra\""),
        "switch to the other address"
    );
    let (_, payment) = app.get_text("/payment").await;
    assert!(payment.contains("Cash on delivery"));
    let (_, terms) = app.get_text("/dieu-khoan-su-dung").await;
    assert!(terms.contains("19/2023/QH15"));
}

#[tokio::test]
async fn unknown_pages_get_a_proper_404_page() {
    let app = spawn().await;
    for path in [
        "/khong-co",
        "/san-pham/khong-ton-tai",
        "/danh-muc/khong-ton-tai",
        "/san-pham/%C3%81o",
        "/images/products/nope.svg",
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Không tìm thấy"), "{path}");
        assert!(
            html.contains("contact.hanjinbi@gmail.com"),
            "{path}: the 404 page has the footer"
        );
    }
}

#[tokio::test]
async fn cart_journey_with_cookie_survives_a_restart() {
    let app = spawn().await;
    let (_, product) = app.get_json("/api/v1/products/ao-khoac-jean-nu").await;
    let sku = product["variants"][0]["sku"].as_str().unwrap().to_owned();
    let price = product["variants"][0]["price"].as_i64().unwrap();

    let added = app
        .post_form("/gio-hang/them", &[("sku", &sku), ("quantity", "2")])
        .await;
    assert_eq!(added.status().as_u16(), 303);
    let cookie = added
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hj_cart="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "no Secure flag over plain HTTP");

    let old_addr = app.server.addr;
    let app = app.restart().await;
    assert_ne!(app.server.addr, old_addr, "a new server answers");
    let (_, html) = app.get_text("/gio-hang").await;
    assert!(html.contains("Áo khoác jean nữ"));
    assert!(html.contains(&hanjinbi_domain::Dong(price * 2).to_string()));

    app.post_form("/gio-hang/cap-nhat", &[("sku", &sku), ("quantity", "1")])
        .await;
    let (_, html) = app.get_text("/gio-hang").await;
    assert!(html.contains(&format!("id=\"subtotal\">{}", hanjinbi_domain::Dong(price))));

    app.post_form("/gio-hang/xoa", &[("sku", &sku)]).await;
    let (_, html) = app.get_text("/gio-hang").await;
    assert!(html.contains("Giỏ hàng đang trống"));
}

#[tokio::test]
async fn carts_are_kept_on_the_server_across_restarts() {
    let app = spawn().await;
    let (_, created) = {
        let r = app
            .http
            .post(app.url("/api/v1/carts"))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    app.http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&serde_json::json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
        .send()
        .await
        .unwrap();
    let url = app.database_url.clone();
    let crate::support::TestApp { server, dir, .. } = app;
    let _keep = dir;
    server.stop().await.unwrap();
    let restarted = hanjinbi::server::RunningServer::start(crate::support::settings(
        &url,
        _keep.path(),
        true,
        hanjinbi_domain::ShopInfo::default(),
    ))
    .await
    .unwrap();
    let cart: serde_json::Value = reqwest::Client::new()
        .get(restarted.url(&format!("/api/v1/carts/{id}")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["lines"][0]["sku"], "AKG2L-DEN-M");
    restarted.stop().await.unwrap();
}

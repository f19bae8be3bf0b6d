//! Search finds what was asked, in the shopper's language: exact result lists for the demo
//! catalog (`crates/services/data/demo-catalog.json`), on SQLite and, with
//! `HANJINBI_TEST_DATABASE_URL`, PostgreSQL. The upgrade test runs the same cases on databases
//! made by earlier code, whose search text the store refolds when it migrates them.
//!
//! Order, as the list sorts a search by relevance: rank 0 (every word in the name), rank 1
//! (every word in the name or the category's name), rank 2 (the rest of the words only in the
//! description), rank 3 (only in the description); within a rank featured first, then newest
//! (smallest `created_days_ago`), then slug. Each case says why each product is there.

use crate::support::{spawn, TestApp};
use serde_json::Value;

/// A search and the products it must list, in order.
pub struct Case {
    pub q: &'static str,
    pub lang: &'static str,
    pub expected: &'static [&'static str],
}

/// "dam" and "đầm" in the Vietnamese shop: the search. Only Vietnamese text is read,
/// so the English "damp cloth" of shoes, bags and the yoga mat no longer matches, and `dam`
/// is a whole word.
const DAM_VI: &[&str] = &[
    // Rank 0, "Đầm" in the name: featured (maxi 3 days, linen 18 days), then by age.
    "dam-maxi-hoa-nhi",
    "dam-suong-linen",
    "dam-babydoll-co-vuong",
    "dam-hai-day-lua-satin",
    "dam-cong-chua-be-gai",
    "dam-cong-so-co-sen",
    "dam-nhung-du-tiec",
    "dam-tho-cam-tay-lo",
    // Rank 1, the skirts of the category "Đầm & váy" (28 and 95 days).
    "chan-vay-xep-ly-dai",
    "chan-vay-chu-a-kaki",
    // Rank 3, "đầm" only in the description: the sandals "phối với đầm maxi" (9 days), the
    // clutch "cho bộ đầm dạ hội" (140 days).
    "sandal-quai-cheo-nu",
    "tui-clutch-du-tiec-dinh-da",
];

/// "shoe" and "shoes" in the English shop: 4 letters, so `shoe` is a prefix and both list the
/// same products.
const SHOES_EN: &[&str] = &[
    // Rank 0, "Ultralight running shoes".
    "giay-the-thao-chay-bo-sieu-nhe",
    // Rank 1, the rest of the category "Shoes" (whose names say sneakers, sandals, flats,
    // pumps, slides, loafers, boots): the featured sneakers first, then by age.
    "giay-the-thao-nam-de-em",
    "sandal-quai-cheo-nu",
    "giay-the-thao-nu-trang-basic",
    "giay-bup-be-no-lua",
    "giay-cao-got-mui-nhon-7-cm",
    "dep-quai-ngang-da-bo",
    "giay-luoi-da-bo-nam",
    "bot-da-co-ngan",
];

pub const CASES: &[Case] = &[
    Case {
        q: "dam",
        lang: "vi",
        expected: DAM_VI,
    },
    Case {
        q: "đầm",
        lang: "vi",
        expected: DAM_VI,
    },
    // Hostile Unicode: fullwidth Ｄ and Ｍ, a zero-width space, Ầ with an extra dot below and
    // a mark from the supplement block, a right-to-left override. It shows "DẦM", so it
    // searches `dam`.
    Case {
        q: "\u{202E}Ｄ\u{200B}Ầ\u{0323}\u{1DC4}Ｍ\u{202C}",
        lang: "vi",
        expected: DAM_VI,
    },
    // The English shop has no word "dam" (`damp`, `dame` are other words): nothing.
    Case {
        q: "dam",
        lang: "en",
        expected: &[],
    },
    Case {
        q: "ao",
        lang: "vi",
        expected: &[
            // Rank 0, "Áo" in the name: the four featured áo khoác (0, 12, 30, 35 days), then
            // the others by age (5 … 190 days).
            "ao-khoac-chong-nang-the-thao",
            "ao-khoac-gio-nam-2-lop",
            "ao-khoac-jean-nu",
            "ao-khoac-phao-tre-em",
            "ao-thun-cotton-co-tron",
            "ao-kieu-nu-tay-phong",
            "ao-thun-the-thao-nam-dry-fit",
            "ao-bra-the-thao-nang-do-cao",
            "ao-so-mi-lua-cong-so",
            "ao-khoac-da-dang-dai",
            "ao-polo-nam-vai-ca-sau",
            "ao-len-co-lo",
            "ao-gile-len-nu",
            "ao-len-cardigan-be-gai",
            // Rank 3, "áo" only in the description ("áo bra", "phối cùng áo khoác", "quần
            // áo"…): featured first (yoga set, scarf), then by age. No "bao", "ao" is whole.
            "bo-do-tap-yoga-nu",
            "khan-choang-len-caro",
            "tui-tote-vai-canvas",
            "bo-cotton-be-trai-coc-tay",
            "dam-hai-day-lua-satin",
            "dam-cong-chua-be-gai",
            "balo-mau-giao-hinh-thu",
            "quan-kaki-nam-ong-dung",
            "bot-da-co-ngan",
            "bo-ni-the-thao-unisex",
        ],
    },
    Case {
        q: "ao khoac",
        lang: "vi",
        expected: &[
            // Rank 0, "Áo khoác" in the name: featured by age, then the wool coat.
            "ao-khoac-chong-nang-the-thao",
            "ao-khoac-gio-nam-2-lop",
            "ao-khoac-jean-nu",
            "ao-khoac-phao-tre-em",
            "ao-khoac-da-dang-dai",
            // Rank 2, "Áo" in the name and "khoác" in the description ("mặc bên trong áo
            // khoác dạ", "khoác ngoài sơ mi", "khoác ngoài váy").
            "ao-len-co-lo",
            "ao-gile-len-nu",
            "ao-len-cardigan-be-gai",
            // Rank 3, "áo khoác" only in the description: the scarf (featured), the tote, the
            // boots.
            "khan-choang-len-caro",
            "tui-tote-vai-canvas",
            "bot-da-co-ngan",
        ],
    },
    // The last of several words is a prefix from 3 letters: "ao kho" finds the áo khoác
    // first; `kho` also starts "khóa", "không", "khoảng" and is the word "khô", "khổ", so
    // descriptions with those follow.
    Case {
        q: "ao kho",
        lang: "vi",
        expected: &[
            "ao-khoac-chong-nang-the-thao",
            "ao-khoac-gio-nam-2-lop",
            "ao-khoac-jean-nu",
            "ao-khoac-phao-tre-em",
            "ao-khoac-da-dang-dai",
            // Rank 2: "Áo" in the name, "không"/"khô"/"khoác" in the description.
            "ao-thun-cotton-co-tron",
            "ao-kieu-nu-tay-phong",
            "ao-thun-the-thao-nam-dry-fit",
            "ao-len-co-lo",
            "ao-gile-len-nu",
            "ao-len-cardigan-be-gai",
            // Rank 3: both only in the description.
            "bo-do-tap-yoga-nu",
            "khan-choang-len-caro",
            "tui-tote-vai-canvas",
            "dam-cong-chua-be-gai",
            "balo-mau-giao-hinh-thu",
            "quan-kaki-nam-ong-dung",
            "bot-da-co-ngan",
        ],
    },
    Case {
        q: "quan jean",
        lang: "vi",
        expected: &[
            // Rank 0, "Quần jean" in the name: the featured women's jeans, then the boys'.
            "quan-jean-nu-ong-suong",
            "quan-jean-be-trai-co-gian",
            // Rank 3, "quần jean" in the description: the belt ("đeo với quần tây hay quần
            // jean", 85 days), the boots ("mang cùng quần jean", 220 days).
            "that-lung-da-bo-khoa-kim",
            "bot-da-co-ngan",
        ],
    },
    Case {
        q: "giay",
        lang: "vi",
        expected: &[
            // Rank 0, "Giày" in the name, the kids' sneakers (category Đồ trẻ em) too.
            "giay-the-thao-nam-de-em",
            "giay-the-thao-nu-trang-basic",
            "giay-the-thao-tre-em-quai-dan",
            "giay-bup-be-no-lua",
            "giay-the-thao-chay-bo-sieu-nhe",
            "giay-cao-got-mui-nhon-7-cm",
            "giay-luoi-da-bo-nam",
            // Rank 1, the rest of the category "Giày": sandals, slides, boots.
            "sandal-quai-cheo-nu",
            "dep-quai-ngang-da-bo",
            "bot-da-co-ngan",
            // Rank 3: "nhồi giấy vào túi" (paper folds to `giay` too).
            "tui-xach-da-nu-cong-so",
        ],
    },
    Case {
        q: "dress",
        lang: "en",
        expected: &[
            // Rank 0, "dress" in the English name: the same eight as "đầm".
            "dam-maxi-hoa-nhi",
            "dam-suong-linen",
            "dam-babydoll-co-vuong",
            "dam-hai-day-lua-satin",
            "dam-cong-chua-be-gai",
            "dam-cong-so-co-sen",
            "dam-nhung-du-tiec",
            "dam-tho-cam-tay-lo",
            // Rank 1, the skirts of "Dresses & skirts".
            "chan-vay-xep-ly-dai",
            "chan-vay-chu-a-kaki",
            // Rank 3: "over a floral dress" (featured jacket), "with maxi dresses", "over a
            // dress for school".
            "ao-khoac-jean-nu",
            "sandal-quai-cheo-nu",
            "ao-len-cardigan-be-gai",
        ],
    },
    Case {
        q: "shoe",
        lang: "en",
        expected: SHOES_EN,
    },
    Case {
        q: "shoes",
        lang: "en",
        expected: SHOES_EN,
    },
    // Words only a description holds: the boys' set whose top has a dinosaur print.
    Case {
        q: "khủng long",
        lang: "vi",
        expected: &["bo-cotton-be-trai-coc-tay"],
    },
    Case {
        q: "dinosaur",
        lang: "en",
        expected: &["bo-cotton-be-trai-coc-tay"],
    },
    // Every word must match: no product is an áo khoác that is also a xyzzy.
    Case {
        q: "áo khoác xyzzy",
        lang: "vi",
        expected: &[],
    },
];

/// The products the API lists at `url`: every product's slug, in order, after checking that
/// one page held them all.
async fn slugs(app: &TestApp, url: reqwest::Url) -> Vec<String> {
    let r = app.http.get(url.clone()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    let page: Value = r.json().await.unwrap();
    let items: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page["total"].as_u64().unwrap(), items.len() as u64, "{url}");
    items
}

/// `/api/v1/products` with `params`, encoded.
fn products_url(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&app.url("/api/v1/products")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url
}

/// Runs every case of [`CASES`] against `app`'s API.
pub async fn assert_search_cases(app: &TestApp) {
    for case in CASES {
        let url = products_url(
            app,
            &[("q", case.q), ("lang", case.lang), ("per_page", "100")],
        );
        assert_eq!(
            slugs(app, url).await,
            case.expected,
            "{:?} in {}",
            case.q,
            case.lang
        );
    }
}

#[tokio::test]
async fn searches_list_exactly_what_was_asked_in_the_shoppers_language() {
    let app = spawn().await;
    assert_search_cases(&app).await;
}

#[tokio::test]
async fn the_api_searches_the_language_of_accept_language_and_vietnamese_without_one() {
    let app = spawn().await;
    let search = |q: &'static str, accept: Option<&'static str>| {
        let url = products_url(&app, &[("q", q), ("per_page", "100")]);
        let mut request = app.http.get(url);
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        async move {
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            page["total"].as_i64().unwrap()
        }
    };
    let dam = i64::try_from(DAM_VI.len()).unwrap();
    assert_eq!(search("dam", None).await, dam, "no language: Vietnamese");
    assert_eq!(search("dam", Some("vi-VN,vi;q=0.9")).await, dam);
    assert_eq!(search("dam", Some("en-US,en;q=0.9")).await, 0);
    assert_eq!(search("dress", Some("en-US,en;q=0.9")).await, 13);
    assert_eq!(
        search("dress", None).await,
        0,
        "no Vietnamese text says dress"
    );
}

#[tokio::test]
async fn the_search_page_searches_the_language_it_shows() {
    let app = spawn().await;
    let (status, vi) = app.get_text("/tim-kiem?q=dam").await;
    assert_eq!(status, 200);
    assert!(vi.contains("href=\"/san-pham/dam-maxi-hoa-nhi\""));
    assert!(!vi.contains("href=\"/san-pham/balo-laptop-chong-nuoc\""));
    let (status, en) = app.get_text("/tim-kiem?q=dam&lang=en").await;
    assert_eq!(status, 200);
    assert!(
        !en.contains("href=\"/san-pham/"),
        "no English product says dam"
    );
    let (_, en) = app.get_text("/tim-kiem?q=damp&lang=en").await;
    assert!(
        en.contains("href=\"/san-pham/balo-laptop-chong-nuoc\""),
        "the English shop still finds its own words"
    );
}

#[tokio::test]
async fn a_search_of_invisible_characters_and_marks_is_no_search() {
    let app = spawn().await;
    let all = slugs(&app, products_url(&app, &[("per_page", "100")])).await;
    for blank in [
        "\u{200B}\u{FEFF}\u{2060}",
        "\u{0301}\u{0323}\u{1DC4}",
        "\u{3164} \u{202E}",
    ] {
        let found = slugs(
            &app,
            products_url(&app, &[("q", blank), ("per_page", "100")]),
        )
        .await;
        assert_eq!(
            found, all,
            "{blank:?} lists the whole catalog, as an empty search"
        );
    }
    // Marks stacked on one letter until the length limit: still one short word.
    let zalgo = format!("d{}", "\u{0300}\u{0301}\u{0302}\u{1DC0}".repeat(49));
    let found = slugs(
        &app,
        products_url(&app, &[("q", &zalgo), ("per_page", "100")]),
    )
    .await;
    assert!(found.is_empty(), "`d` is a whole word no product has");
}

#[tokio::test]
async fn pages_of_a_ranked_search_neither_overlap_nor_skip() {
    let app = spawn().await;
    let one_page = slugs(
        &app,
        products_url(&app, &[("q", "ao"), ("per_page", "100")]),
    )
    .await;
    let mut paged = Vec::new();
    for page in 1..=5 {
        let url = products_url(
            &app,
            &[("q", "ao"), ("per_page", "5"), ("page", &page.to_string())],
        );
        let r: Value = app
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"].as_u64().unwrap(), one_page.len() as u64);
        paged.extend(
            r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["slug"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(paged, one_page);
}

#[tokio::test]
async fn migrating_refolds_missing_and_older_search_text_and_leaves_newer_text_alone() {
    use hanjinbi_domain::search::FOLDING;
    let app = spawn().await;
    let db = &app.server.services.db;
    // Missing, as migration 0008 leaves every row it finds.
    db.raw_execute(
        "UPDATE products SET search_name_vi = NULL, search_body_vi = NULL, \
         search_name_en = NULL, search_body_en = NULL, search_folding = NULL WHERE slug = $1",
        &["dam-maxi-hoa-nhi".into()],
    )
    .await
    .unwrap();
    db.raw_execute(
        "UPDATE categories SET search_name_vi = NULL, search_name_en = NULL, \
         search_folding = NULL WHERE slug = $1",
        &["dam-vay".into()],
    )
    .await
    .unwrap();
    // Folded by an older folding, which made other text.
    db.raw_execute(
        "UPDATE products SET search_name_en = ' older ', search_folding = $1 WHERE slug = $2",
        &[(FOLDING - 1).into(), "dam-suong-linen".into()],
    )
    .await
    .unwrap();
    // Folded by a newer folding (a newer server sharing the database): not ours to undo.
    db.raw_execute(
        "UPDATE products SET search_name_en = ' newer ', search_folding = $1 WHERE slug = $2",
        &[(FOLDING + 1).into(), "dam-nhung-du-tiec".into()],
    )
    .await
    .unwrap();

    db.migrate().await.unwrap();

    let product = |slug: &'static str, column: &'static str| async move {
        db.raw_one::<String>(
            &format!("SELECT {column} FROM products WHERE slug = $1"),
            &[slug.into()],
        )
        .await
        .unwrap()
    };
    assert_eq!(
        product("dam-maxi-hoa-nhi", "search_name_vi").await,
        " dam maxi hoa nhi "
    );
    assert_eq!(
        product("dam-maxi-hoa-nhi", "search_name_en").await,
        " ditsy floral maxi dress "
    );
    assert!(product("dam-maxi-hoa-nhi", "search_body_vi")
        .await
        .starts_with(" dam maxi hoa tiet hoa nhi dai cham got "));
    assert!(product("dam-maxi-hoa-nhi", "search_body_en")
        .await
        .starts_with(" an ankle length maxi dress "));
    assert_eq!(
        product("dam-suong-linen", "search_name_en").await,
        " linen shift dress "
    );
    assert_eq!(
        product("dam-nhung-du-tiec", "search_name_en").await,
        " newer "
    );
    let category: String = db
        .raw_one(
            "SELECT search_name_vi FROM categories WHERE slug = $1",
            &["dam-vay".into()],
        )
        .await
        .unwrap();
    assert_eq!(category, " dam vay ");
    for table in ["products", "categories"] {
        let stale: i64 = db
            .raw_one(
                &format!(
                    "SELECT COUNT(*) AS n FROM {table} \
                     WHERE search_folding IS NULL OR search_folding < $1"
                ),
                &[FOLDING.into()],
            )
            .await
            .unwrap();
        assert_eq!(stale, 0, "{table}");
    }
    // And the list finds the refolded product again.
    let found = slugs(
        &app,
        products_url(&app, &[("q", "maxi"), ("per_page", "100")]),
    )
    .await;
    assert_eq!(found, ["dam-maxi-hoa-nhi", "sandal-quai-cheo-nu"]);
}

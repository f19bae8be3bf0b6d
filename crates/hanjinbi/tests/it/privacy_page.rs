//! The privacy page: every word from the policy file of the version shown, in the language its
//! address names, with every published version at its own address reading as it then read;
//! each promise names the features that keep it, and each of those features exists.

use crate::support::spawn;
use clap::CommandFactory;
use hanjinbi::cli::Cli;
use hanjinbi_privacy::policy::{Evidence, Feature, Language, Policy, PurposeId};

fn policy() -> Policy {
    Policy::embedded().expect("the embedded policy loads")
}

/// The page's own content, without the header and footer every page shares (the footer also
/// shows the shop's email and hotline, so checks on the body must not be satisfied by it).
fn main_content(html: &str) -> &str {
    let start = html.find("<main").expect("a <main> element");
    let end = html.find("</main>").expect("a </main> tag");
    &html[start..end]
}

/// Text as askama writes it into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A policy text as the page shows it: placeholders filled with the test shop's settings.
fn filled(text: &str) -> String {
    let shop = hanjinbi_domain::ShopInfo::default();
    text.replace("{name}", &shop.name)
        .replace("{legal_name}", &shop.legal_name)
        .replace("{email}", &shop.email)
        .replace("{hotline}", &shop.hotline)
}

fn assert_shows(main: &str, text: &str) {
    let text = escaped(&filled(text));
    assert!(main.contains(&text), "the page lacks {text:?}");
}

#[tokio::test]
async fn vietnamese_page_tells_the_whole_policy() {
    let app = spawn().await;
    let policy = policy();
    let (status, html) = app.get_text("/chinh-sach-bao-mat").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"vi\">"));
    let main = main_content(&html);
    for expected in [
        policy.version(),
        "04/12/2026",
        // The shop's settings, not the policy file: business identity and contact links.
        "Công ty TNHH Hanjinbi",
        "0109999999",
        "href=\"mailto:contact.hanjinbi@gmail.com\"",
        "contact.hanjinbi@gmail.com",
        "href=\"tel:+84964242408\"",
        "0964 242 408",
        // The laws in force, and the terms of Law 91/2025.
        "91/2025/QH15",
        "356/2025/NĐ-CP",
        "122/2025/QH15",
        "bên kiểm soát và xử lý dữ liệu cá nhân",
        "chủ thể dữ liệu",
        "Bên xử lý dữ liệu cá nhân",
        // Transaction records: ten years from the end of the financial year.
        "10 năm kể từ khi kết thúc năm tài chính có giao dịch",
        "31/12/2036",
        // A guest's records: three years from the last order, under the Civil Code.
        "3 năm kể từ đơn hàng cuối cùng đặt bằng cùng địa chỉ email; với tài khoản đã xác \
         nhận, cho đến khi quý khách xóa tài khoản",
        "Bộ luật Dân sự số 91/2015/QH13",
        "thời hiệu khởi kiện tranh chấp hợp đồng là 03 năm",
        "05/12/2029",
    ] {
        assert!(main.contains(expected), "the page lacks {expected:?}");
    }
    let page = policy.page();
    assert_shows(main, page.title().vi());
    assert_shows(main, page.lead().vi());
    for section in page.sections() {
        assert_shows(main, section.heading().vi());
        assert!(main.contains(&format!("id=\"{}\"", section.anchor())));
    }
    for purpose in policy.purposes() {
        assert_shows(main, purpose.label().vi());
        assert!(main.contains(&format!("id=\"muc-dich-{}\"", purpose.id())));
    }
    for category in policy.categories() {
        assert_shows(main, category.label().vi());
        assert_shows(
            main,
            &policy.describe_retention(category.retention(), Language::Vi),
        );
    }
    for recipient in policy.recipients() {
        assert_shows(main, recipient.label().vi());
        assert_shows(main, recipient.ground().vi());
    }
    for processor in policy.processors() {
        assert_shows(main, processor.label().vi());
        assert_shows(main, processor.receives().vi());
        assert_shows(main, processor.why().vi());
    }
    for law in policy.laws() {
        assert_shows(main, law.name().vi());
    }
    // Each consent purpose quotes its checkbox wording exactly.
    for consent in policy.consent_purposes() {
        assert_shows(main, consent.wording().get(Language::Vi));
    }
    assert!(main.contains("không bao giờ đánh dấu sẵn"));
    assert!(main.contains("không bán"));
    // The switch leads to the English address, not to `?lang=`.
    assert!(html.contains("href=\"/privacy\" hreflang=\"en\""));
    // The versions list links every published version, the current one included.
    for version in Policy::published_versions() {
        assert!(main.contains(&format!("href=\"/chinh-sach-bao-mat/{version}\"")));
    }
}

#[tokio::test]
async fn english_page_is_english_whatever_the_visitor_prefers() {
    let app = spawn().await;
    let policy = policy();
    let response = app
        .http
        .get(app.url("/privacy"))
        .header("accept-language", "vi")
        .header("cookie", "lang=vi")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    let main = main_content(&html);
    assert!(main.contains("Privacy policy"));
    assert!(main.contains("4 December 2026"));
    assert!(main.contains("10 years from the end of the financial year of the transaction"));
    assert!(main.contains(
        "3 years from the last order placed with the same email address; with a confirmed \
         account, until you erase the account"
    ));
    assert!(main.contains("Civil Code No. 91/2015/QH13"));
    assert!(main.contains("erased automatically, exactly as an erasure request does"));
    for category in policy.categories() {
        assert_shows(
            main,
            &policy.describe_retention(category.retention(), Language::En),
        );
        assert_shows(main, category.retention_reason().en());
    }
    assert!(main.contains("Law on Personal Data Protection No. 91/2025/QH15"));
    assert!(main.contains("E-commerce Law No. 122/2025/QH15"));
    for purpose in policy.purposes() {
        assert_shows(main, purpose.label().en());
    }
    for promise in policy.promises() {
        assert_shows(main, promise.text().en());
    }
    for section in policy.page().sections() {
        assert_shows(main, section.heading().en());
    }
    assert!(!main.contains("Xử lý đơn hàng"), "no Vietnamese labels");
    assert!(html.contains("href=\"/chinh-sach-bao-mat\" hreflang=\"vi\""));

    // And the Vietnamese address stays Vietnamese for an English-speaking visitor.
    let response = app
        .http
        .get(app.url("/chinh-sach-bao-mat?lang=en"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "the other language is not remembered from this address"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
}

#[tokio::test]
async fn every_published_version_has_its_own_address() {
    let app = spawn().await;
    let current = policy();
    for version in Policy::published_versions() {
        for (path, lang, other) in [
            (format!("/chinh-sach-bao-mat/{version}"), "vi", "/privacy"),
            (format!("/privacy/{version}"), "en", "/chinh-sach-bao-mat"),
        ] {
            let (status, html) = app.get_text(&path).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{path}");
            let main = main_content(&html);
            assert!(main.contains(version), "{path}");
            assert!(
                main.contains(&format!("href=\"{path}\" aria-current=\"page\"")),
                "{path} marks itself in the versions list"
            );
            // The switch keeps the version.
            assert!(
                html.contains(&format!("href=\"{other}/{version}\"")),
                "{path}"
            );
        }
    }
    let (status, html) = app
        .get_text(&format!("/chinh-sach-bao-mat/{}", current.version()))
        .await;
    assert_eq!(status, 200);
    assert_shows(
        main_content(&html),
        current
            .purpose(PurposeId::Marketing)
            .consent_wording()
            .expect("marketing needs consent")
            .vi(),
    );
}

#[tokio::test]
async fn an_earlier_version_reads_as_buyers_then_read_it() {
    let app = spawn().await;
    let earlier = Policy::published("2026-11-24")
        .expect("published")
        .expect("loads");
    let (status, html) = app.get_text("/chinh-sach-bao-mat/2026-11-24").await;
    assert_eq!(status, 200);
    let main = main_content(&html);
    // Its own words, including those the current version no longer says.
    assert_shows(main, earlier.page().lead().vi());
    for section in earlier.page().sections() {
        assert_shows(main, section.heading().vi());
    }
    for promise in earlier.promises() {
        assert_shows(main, promise.text().vi());
    }
    assert!(main.contains("kể cả trong bản sao lưu, lập tức không còn đọc được"));
    assert!(main.contains("Nghị định 13/2023/NĐ-CP"));
    assert!(main.contains("Quý khách có được thông báo không"));
    assert!(main.contains("3650 ngày (10 năm)"));
    // Published before retention from the last order: its guests' records read as then.
    assert!(!main.contains("đơn hàng cuối cùng"));
    // And it says which version is in force.
    assert!(main.contains("Đây là phiên bản 2026-11-24 của chính sách"));
    assert!(main.contains(&format!("Phiên bản đang áp dụng là {}", policy().version())));

    let (status, html) = app.get_text("/privacy/2026-11-24").await;
    assert_eq!(status, 200);
    let main = main_content(&html);
    assert!(main.contains("backups included, becomes unreadable at once"));
    assert!(main.contains("as easily as you gave it"));
}

#[tokio::test]
async fn the_page_promises_only_what_the_code_keeps() {
    let app = spawn().await;
    let policy = policy();
    for (path, language) in [
        ("/chinh-sach-bao-mat", Language::Vi),
        ("/privacy", Language::En),
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200);
        let main = main_content(&html);
        // Every promise is on the page with the features that keep it.
        for promise in policy.promises() {
            assert!(
                !promise.kept_by().is_empty(),
                "{} is kept by nothing",
                promise.id()
            );
            let start = main
                .find(&format!("id=\"cam-ket-{}\"", promise.id()))
                .unwrap_or_else(|| panic!("{path}: promise {} missing", promise.id()));
            let shown = &main[start..start + main[start..].find("</div>").expect("its end")];
            assert!(
                shown.contains(&escaped(&filled(promise.text().get(language)))),
                "{path}: {}",
                promise.id()
            );
            for &feature in promise.kept_by() {
                let label = policy.feature(feature).expect("a label").label();
                assert!(
                    shown.contains(&escaped(label.get(language))),
                    "{path}: {} does not name {feature}",
                    promise.id()
                );
            }
        }
        // Claims the shop made without anything keeping them are gone.
        for claim in [
            "kể cả trong bản sao lưu, lập tức",
            "backups included",
            "dễ dàng như khi đồng ý",
            "as easily as you gave it",
            "mỗi lần chuyển giao đều được ghi lại",
            "every hand-off is recorded",
            "trước khi đặt hàng",
            "before you place the order",
            "Có, mỗi lần chia sẻ",
            "Yes, every time",
            "Mỗi yêu cầu và cách chúng tôi xử lý đều được ghi lại",
            "Every request, and what we did about it, is recorded",
            "download or erase",
        ] {
            assert!(!main.contains(claim), "{path} still claims {claim:?}");
        }
    }
}

/// Whether the command line has this subcommand path.
fn has_command(words: &[&str]) -> bool {
    let mut command = Cli::command();
    for word in words {
        match command.find_subcommand(word) {
            Some(sub) => command = sub.clone(),
            None => return false,
        }
    }
    true
}

/// Whether the command line has this long flag on any subcommand.
fn has_flag(name: &str) -> bool {
    fn walk(command: &clap::Command, name: &str) -> bool {
        command
            .get_arguments()
            .any(|arg| arg.get_long() == Some(name))
            || command.get_subcommands().any(|sub| walk(sub, name))
    }
    walk(&Cli::command(), name)
}

#[tokio::test]
async fn every_feature_a_promise_may_name_exists_in_the_code() {
    let app = spawn().await;
    let policy = policy();
    for &feature in Feature::ALL {
        assert!(
            policy.feature(feature).is_some(),
            "{feature} has no words for the page"
        );
        for evidence in feature.evidence() {
            match *evidence {
                Evidence::Route { method, path } => {
                    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
                    let status = app
                        .http
                        .request(method.clone(), app.url(path))
                        .send()
                        .await
                        .expect("the server answers")
                        .status()
                        .as_u16();
                    assert!(
                        status != 404 && status != 405,
                        "{feature}: {method} {path} is not a route ({status})"
                    );
                }
                Evidence::Command(words) => {
                    assert!(has_command(words), "{feature}: no command {words:?}");
                }
                Evidence::Flag(name) => {
                    assert!(has_flag(name), "{feature}: no flag --{name}");
                }
                Evidence::Code(name) => {
                    assert!(name().starts_with("hanjinbi_"), "{feature}: {}", name());
                }
            }
        }
    }
    // The checks themselves can fail: a route, command and flag that do not exist.
    let status = app.get("/tai-khoan/xoa-du-lieu").await.status().as_u16();
    assert_eq!(status, 404);
    assert!(!has_command(&["export"]));
    assert!(!has_flag("backup-schedule"));
}

#[tokio::test]
async fn the_page_does_not_cite_decree_13_2023_as_in_force() {
    let app = spawn().await;
    for path in ["/chinh-sach-bao-mat", "/privacy"] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200);
        let main = main_content(&html);
        assert!(!main.contains("13/2023"), "{path} cites Decree 13/2023");
        assert!(main.contains("356/2025/NĐ-CP"), "{path}");
    }
}

#[tokio::test]
async fn the_vietnamese_page_speaks_to_quy_khach_only() {
    let app = spawn().await;
    let (_, html) = app.get_text("/chinh-sach-bao-mat").await;
    let main = main_content(&html).to_lowercase();
    assert!(main.contains("quý khách"));
    for other in ["bạn ", "bạn,", "bạn.", "anh/chị"] {
        assert!(!main.contains(other), "the page also says {other:?}");
    }
}

#[tokio::test]
async fn unknown_versions_are_not_found() {
    let app = spawn().await;
    for path in [
        "/chinh-sach-bao-mat/1999-01-01",
        "/privacy/1999-01-01",
        "/chinh-sach-bao-mat/..%2F..%2Fetc%2Fpasswd",
        "/privacy/%3Cscript%3E",
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("<script>"), "{path}");
    }
}

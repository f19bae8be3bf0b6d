//! The privacy page: generated from the enforced policy file and the shop's settings, in the
//! language its address names, with every published version at its own address.

use crate::support::spawn;
use hanjinbi_privacy::policy::{Language, Policy};

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
        "24/11/2026",
        // The shop's settings, not the policy file: business identity and contact links.
        "Công ty TNHH Hanjinbi",
        "0109999999",
        "href=\"mailto:contact.hanjinbi@gmail.com\"",
        "contact.hanjinbi@gmail.com",
        "href=\"tel:+84964242408\"",
        "0964 242 408",
        // The laws it follows.
        "52/2013/NĐ-CP",
        "13/2023/NĐ-CP",
        "91/2025/QH15",
        "Điều 69",
        // Transaction records are kept ten years.
        "3650",
        "3650 ngày (10 năm)",
    ] {
        assert!(main.contains(expected), "the page lacks {expected:?}");
    }
    for purpose in policy.purposes() {
        let label = purpose.label().get(Language::Vi);
        assert!(main.contains(&escaped(label)), "purpose {label:?} missing");
        assert!(main.contains(&format!("id=\"muc-dich-{}\"", purpose.id())));
    }
    for category in policy.categories() {
        let label = category.label().get(Language::Vi);
        assert!(main.contains(&escaped(label)), "category {label:?} missing");
        let retention = category.retention().describe(Language::Vi);
        assert!(main.contains(&escaped(&retention)), "{retention:?} missing");
    }
    for recipient in policy.recipients() {
        let label = recipient.label().get(Language::Vi);
        assert!(
            main.contains(&escaped(label)),
            "recipient {label:?} missing"
        );
    }
    // Each consent purpose quotes its checkbox wording exactly.
    for consent in policy.consent_purposes() {
        let wording = consent.wording().get(Language::Vi);
        assert!(
            main.contains(&escaped(wording)),
            "wording {wording:?} missing"
        );
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
    assert!(main.contains("24 November 2026"));
    assert!(main.contains("3650 days (10 years)"));
    assert!(main.contains("Law No. 91/2025/QH15 on Personal Data Protection"));
    for purpose in policy.purposes() {
        let label = purpose.label().get(Language::En);
        assert!(main.contains(&escaped(label)), "purpose {label:?} missing");
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
    assert!(main_content(&html).contains(&escaped(
        current
            .purpose(hanjinbi_privacy::policy::PurposeId::Marketing)
            .consent_wording()
            .expect("marketing needs consent")
            .vi()
    )));
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

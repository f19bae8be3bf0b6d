//! The order confirmation: what was ordered, where it goes, how it is paid, the buyer's
//! note, the link to the order, and the receipt of every consent given with it.

use super::envelope::{unique_id, InlineImage, Rendered};
use super::payment::BankTransfer;
use super::words::{fill, Words};
use super::{vietnam_time, EmailError, Footer};
use crate::orders::OrderLineView;
use askama::Template;
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang, ShopInfo};

/// Where a consent was given, as the consent records name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChannel {
    Web,
    Api,
}

impl ConsentChannel {
    pub fn parse(code: &str) -> Option<ConsentChannel> {
        match code {
            "web" => Some(ConsentChannel::Web),
            "api" => Some(ConsentChannel::Api),
            _ => None,
        }
    }
}

/// One consent as the buyer gave it.
pub struct ConsentReceipt {
    /// The purpose's name in the order's language, from the policy.
    pub purpose: String,
    /// The exact wording beside the box the buyer ticked.
    pub wording: String,
    pub at: i64,
    pub policy_version: String,
    pub channel: ConsentChannel,
}

/// Where the order goes, already opened through the gate.
pub struct ShipTo<'a> {
    pub name: &'a str,
    /// As Vietnamese people write it: `0912 345 678`.
    pub phone: String,
    pub address: String,
}

/// Everything the confirmation says, as the notifier gathered it.
pub struct Confirmation<'a> {
    pub shop: &'a ShopInfo,
    pub lang: Lang,
    pub number: &'a str,
    pub placed_at: i64,
    pub buyer_name: &'a str,
    pub lines: &'a [OrderLineView],
    pub subtotal: Dong,
    pub shipping_fee: Dong,
    pub total: Dong,
    pub ship_to: ShipTo<'a>,
    pub shipping: ShippingMethod,
    pub payment: PaymentMethod,
    pub note: Option<&'a str>,
    pub order_link: &'a str,
    pub consents: Vec<ConsentReceipt>,
    pub bank_transfer: Option<BankTransfer>,
}

struct LineView {
    name: String,
    variant: String,
    quantity: i64,
    total: String,
}

struct ReceiptView {
    purpose: String,
    wording: String,
    at: String,
    policy_version: String,
    channel: &'static str,
}

struct PaymentView {
    rows: Vec<(&'static str, String)>,
    /// The QR image's Content-ID, when there is one.
    qr_cid: Option<String>,
    qr_alt: String,
}

/// The confirmation as its templates print it.
struct View {
    w: &'static Words,
    subject: String,
    greeting: String,
    thanks: String,
    number: String,
    placed_at: String,
    lines: Vec<LineView>,
    subtotal: String,
    shipping_fee: String,
    total: String,
    recipient: String,
    phone: String,
    address: String,
    shipping: &'static str,
    payment: &'static str,
    note: Option<String>,
    order_link: String,
    payment_block: Option<PaymentView>,
    consents: Vec<ReceiptView>,
    withdraw: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/confirmation.html")]
struct Html<'a> {
    m: &'a View,
}

#[derive(Template)]
#[template(path = "mail/confirmation.txt")]
struct Text<'a> {
    m: &'a View,
}

impl Confirmation<'_> {
    /// The subject and the rendered email. `domain` names the QR image's Content-ID.
    pub fn render(self, domain: &str) -> Result<(String, Rendered), EmailError> {
        let w = Words::of(self.lang);
        let shop = self.shop;
        let number = self.number;
        let mut inline = Vec::new();
        let payment_block = self.bank_transfer.map(|t| {
            let qr_cid = t.qr_png.map(|png| {
                let content_id = unique_id(domain);
                inline.push(InlineImage {
                    content_id: content_id.clone(),
                    png,
                });
                content_id
            });
            PaymentView {
                rows: vec![
                    (w.bank, t.bank),
                    (w.account_number, t.account_number),
                    (w.account_holder, t.account_holder),
                    (w.amount, t.amount.to_string()),
                    (w.reference, t.reference),
                ],
                qr_cid,
                qr_alt: fill(w.qr_alt, &[("number", number)]),
            }
        });
        let consents = self
            .consents
            .into_iter()
            .map(|c| {
                Ok(ReceiptView {
                    at: vietnam_time(c.at)?,
                    purpose: c.purpose,
                    wording: c.wording,
                    policy_version: c.policy_version,
                    channel: match c.channel {
                        ConsentChannel::Web => w.channel_web,
                        ConsentChannel::Api => w.channel_api,
                    },
                })
            })
            .collect::<Result<Vec<_>, EmailError>>()?;
        let view = View {
            w,
            subject: fill(
                w.subject_confirmation,
                &[("shop", &shop.name), ("number", number)],
            ),
            greeting: fill(w.greeting, &[("name", self.buyer_name)]),
            thanks: fill(w.thanks, &[("shop", &shop.name)]),
            number: number.to_owned(),
            placed_at: vietnam_time(self.placed_at)?,
            lines: self
                .lines
                .iter()
                .map(|l| LineView {
                    name: l.name_in(self.lang).to_owned(),
                    variant: l.variant_in(self.lang).to_owned(),
                    quantity: l.quantity,
                    total: l.line_total.to_string(),
                })
                .collect(),
            subtotal: self.subtotal.to_string(),
            shipping_fee: self.shipping_fee.to_string(),
            total: self.total.to_string(),
            recipient: self.ship_to.name.to_owned(),
            phone: self.ship_to.phone,
            address: self.ship_to.address,
            shipping: self.shipping.label(self.lang),
            payment: self.payment.label(self.lang),
            note: self.note.map(str::to_owned),
            order_link: self.order_link.to_owned(),
            payment_block,
            consents,
            withdraw: fill(
                w.withdraw,
                &[("email", &shop.email), ("hotline", &shop.hotline)],
            ),
            footer: Footer::new(shop, w, fill(w.why_confirmation, &[("shop", &shop.name)])),
        };
        let rendered = Rendered {
            text: Text { m: &view }.render()?,
            html: Html { m: &view }.render()?,
            inline,
        };
        Ok((view.subject, rendered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::envelope::{build, Envelope};
    use mail_parser::{MessageParser, MimeHeaders, PartType};

    fn line(en: Option<(&str, &str)>) -> OrderLineView {
        OrderLineView {
            sku: "AKG2L-DEN-M".into(),
            product_slug: "ao-khoac-gio-nam-2-lop".into(),
            product_name: "Áo khoác gió nam 2 lớp".into(),
            variant_label: "M / Đen".into(),
            product_name_en: en.map(|(name, _)| name.to_owned()),
            variant_label_en: en.map(|(_, variant)| variant.to_owned()),
            unit_price: Dong(450_000),
            quantity: 2,
            line_total: Dong(900_000),
        }
    }

    /// 2026-11-25 11:38:00 UTC: 18:38 in Hà Nội.
    const PLACED: i64 = 1_795_606_680;

    fn marketing(lang: Lang) -> ConsentReceipt {
        ConsentReceipt {
            purpose: match lang {
                Lang::Vi => "Tin sản phẩm mới và khuyến mãi",
                Lang::En => "News and promotions",
            }
            .into(),
            wording: "I agree to receive emails from Hanjinbi about new products and promotions."
                .into(),
            at: PLACED,
            policy_version: "2026-11-25".into(),
            channel: ConsentChannel::Web,
        }
    }

    fn render(
        lang: Lang,
        lines: &[OrderLineView],
        consents: Vec<ConsentReceipt>,
        bank_transfer: Option<BankTransfer>,
    ) -> (String, Rendered) {
        Confirmation {
            shop: &ShopInfo::default(),
            lang,
            number: "HJ1CKT1ECZKE",
            placed_at: PLACED,
            buyer_name: "Nguyễn Thị <Lan>",
            lines,
            subtotal: Dong(900_000),
            shipping_fee: Dong(30_000),
            total: Dong(930_000),
            ship_to: ShipTo {
                name: "Nguyễn Thị <Lan>",
                phone: "0912 345 678".into(),
                address: "Số 12 ngõ 34 Phố Huế, Phường Ba Đình, Thành phố Hà Nội".into(),
            },
            shipping: ShippingMethod::Standard,
            payment: PaymentMethod::BankTransfer,
            note: Some("Gọi trước 15 phút & để ở bảo vệ"),
            order_link: "https://www.hanjinbi.com/don-hang/HJ1CKT1ECZKE?token=t0k3n&lang=en",
            consents,
            bank_transfer,
        }
        .render("www.hanjinbi.com")
        .unwrap()
    }

    #[test]
    fn an_english_order_is_confirmed_in_english_with_english_names() {
        let lines = [line(Some(("Men's 2-layer windbreaker", "M / Black")))];
        let (subject, mail) = render(Lang::En, &lines, vec![marketing(Lang::En)], None);
        assert_eq!(subject, "Hanjinbi: order HJ1CKT1ECZKE confirmed");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("2-layer windbreaker"), "{part}");
            assert!(part.contains("M / Black"));
            assert!(!part.contains("Áo khoác"), "no Vietnamese product name");
            assert!(part.contains("Standard delivery (3–5 days)"));
            assert!(part.contains("Bank transfer"));
            assert!(part.contains("News and promotions"));
            assert!(part.contains("https://www.hanjinbi.com/privacy"));
            assert!(!part.contains("chinh-sach-bao-mat"));
            assert!(part.contains("Business registration 0109999999"));
            assert!(part.contains("on 15/03/2024"));
        }
        assert!(mail.html.contains("<html lang=\"en\">"));
        assert!(
            mail.text.starts_with("Hello Nguyễn Thị <Lan>,\n"),
            "{}",
            mail.text
        );
    }

    #[test]
    fn a_vietnamese_order_is_confirmed_in_vietnamese() {
        let lines = [line(Some(("Men's 2-layer windbreaker", "M / Black")))];
        let (subject, mail) = render(Lang::Vi, &lines, vec![marketing(Lang::Vi)], None);
        assert_eq!(subject, "Hanjinbi: xác nhận đơn hàng HJ1CKT1ECZKE");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Áo khoác gió nam 2 lớp"));
            assert!(part.contains("M / Đen"));
            assert!(!part.contains("windbreaker"));
            assert!(part.contains("Giao hàng tiêu chuẩn"));
            assert!(part.contains("Tin sản phẩm mới và khuyến mãi"));
            assert!(part.contains("https://www.hanjinbi.com/chinh-sach-bao-mat"));
            assert!(part.contains("Mã số doanh nghiệp 0109999999"));
        }
        assert!(mail.html.contains("<html lang=\"vi\">"));
    }

    #[test]
    fn a_line_recorded_without_an_english_name_shows_the_name_it_was_sold_under() {
        let (_, mail) = render(Lang::En, &[line(None)], Vec::new(), None);
        assert!(
            mail.text
                .contains("- Áo khoác gió nam 2 lớp (M / Đen) × 2: 900.000\u{a0}₫"),
            "{}",
            mail.text
        );
    }

    #[test]
    fn the_plain_text_part_says_everything_on_its_own() {
        let lines = [line(None)];
        let transfer = BankTransfer {
            bank: "Vietcombank".into(),
            account_number: "0071000123456".into(),
            account_holder: "CONG TY TNHH HANJINBI".into(),
            amount: Dong(930_000),
            reference: "HJ1CKT1ECZKE".into(),
            qr_png: None,
        };
        let (_, mail) = render(Lang::Vi, &lines, vec![marketing(Lang::Vi)], Some(transfer));
        let text = &mail.text;
        for fact in [
            "Chào Nguyễn Thị <Lan>,",
            "Mã đơn hàng: HJ1CKT1ECZKE",
            "Thời gian đặt: 25/11/2026 18:38 (giờ Việt Nam)",
            "- Áo khoác gió nam 2 lớp (M / Đen) × 2: 900.000\u{a0}₫",
            "Tạm tính: 900.000\u{a0}₫",
            "Phí giao hàng: 30.000\u{a0}₫",
            "Tổng cộng: 930.000\u{a0}₫",
            "Người nhận: Nguyễn Thị <Lan>",
            "Điện thoại: 0912 345 678",
            "Địa chỉ: Số 12 ngõ 34 Phố Huế, Phường Ba Đình, Thành phố Hà Nội",
            "Vận chuyển: Giao hàng tiêu chuẩn (3–5 ngày)",
            "Thanh toán: Chuyển khoản ngân hàng",
            "Ghi chú của quý khách: Gọi trước 15 phút & để ở bảo vệ",
            "Ngân hàng: Vietcombank",
            "Số tài khoản: 0071000123456",
            "Chủ tài khoản: CONG TY TNHH HANJINBI",
            "Số tiền: 930.000\u{a0}₫",
            "Nội dung chuyển khoản: HJ1CKT1ECZKE",
            "https://www.hanjinbi.com/don-hang/HJ1CKT1ECZKE?token=t0k3n&lang=en",
            "Mục đích: Tin sản phẩm mới và khuyến mãi",
            "Nội dung quý khách đã đồng ý: “I agree to receive emails",
            "Thời điểm: 25/11/2026 18:38 (giờ Việt Nam)",
            "Nơi đồng ý: trên website",
            "Phiên bản chính sách bảo mật: 2026-11-25",
            "gửi email tới contact.hanjinbi@gmail.com hoặc gọi hotline 0964 242 408",
            "Công ty TNHH Hanjinbi",
            "Số 1 Phố Huế, Phường Hai Bà Trưng, Thành phố Hà Nội",
            "Chính sách bảo mật: https://www.hanjinbi.com/chinh-sach-bao-mat",
        ] {
            assert!(text.contains(fact), "missing {fact:?} in:\n{text}");
        }
        assert!(!text.contains("&#"), "plain text is not escaped");
        assert!(!text.contains("\n\n\n"), "no runs of blank lines:\n{text}");
    }

    #[test]
    fn the_html_part_escapes_what_buyers_typed_and_loads_nothing_from_outside() {
        let (_, mail) = render(Lang::Vi, &[line(None)], Vec::new(), None);
        let html = &mail.html;
        assert!(html.contains("Nguyễn Thị &#60;Lan&#62;"), "{html}");
        assert!(!html.contains("<Lan>"));
        assert!(
            html.contains("Gọi trước 15 phút &#38; để ở bảo vệ"),
            "{html}"
        );
        assert!(html.contains("token=t0k3n&#38;lang=en"));
        for outside in ["<link", "<script", "<style", "src=\"http", "url("] {
            assert!(!html.contains(outside), "{outside}");
        }
        assert!(html.contains("Quý khách không đồng ý mục đích tùy chọn nào"));
    }

    #[test]
    fn a_qr_code_travels_as_an_inline_part_beside_the_html_that_shows_it() {
        // Not a real QR code: the structure is what is tested.
        let png = b"\x89PNG\r\n\x1a\n dummy image bytes".to_vec();
        let transfer = BankTransfer {
            bank: "Vietcombank".into(),
            account_number: "0071000123456".into(),
            account_holder: "CONG TY TNHH HANJINBI".into(),
            amount: Dong(930_000),
            reference: "HJ1CKT1ECZKE".into(),
            qr_png: Some(png.clone()),
        };
        let (subject, rendered) = render(Lang::En, &[line(None)], Vec::new(), Some(transfer));
        let message = build(
            &Envelope {
                shop_name: "Hanjinbi",
                shop_email: "contact.hanjinbi@gmail.com",
                to: "lan@example.vn",
                subject: &subject,
                date: PLACED,
                domain: "www.hanjinbi.com",
            },
            rendered,
        )
        .unwrap();
        let raw = message.formatted();
        let parsed = MessageParser::default().parse(&raw).unwrap();
        let kind = |part: &mail_parser::MessagePart<'_>| {
            let t = part.content_type().unwrap();
            format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default())
        };
        let children = |part: &mail_parser::MessagePart<'_>| match &part.body {
            PartType::Multipart(ids) => ids
                .iter()
                .map(|&id| parsed.parts[id as usize].clone())
                .collect::<Vec<_>>(),
            other => panic!("not multipart: {other:?}"),
        };
        let root = &parsed.parts[0];
        assert_eq!(kind(root), "multipart/alternative");
        let alternatives = children(root);
        assert_eq!(alternatives.len(), 2);
        assert_eq!(kind(&alternatives[0]), "text/plain");
        assert_eq!(kind(&alternatives[1]), "multipart/related");
        let related = children(&alternatives[1]);
        assert_eq!(related.len(), 2);
        assert_eq!(kind(&related[0]), "text/html");
        assert_eq!(kind(&related[1]), "image/png");
        let cid = related[1].content_id().unwrap().to_owned();
        assert!(cid.ends_with("@www.hanjinbi.com"), "{cid}");
        let PartType::Html(html) = &related[0].body else {
            panic!("the HTML part")
        };
        assert!(html.contains(&format!("src=\"cid:{cid}\"")));
        assert_eq!(related[1].contents(), png.as_slice());
        assert_eq!(
            related[1].content_disposition().map(|d| d.ctype()),
            Some("inline")
        );
        assert_eq!(parsed.date().unwrap().to_timestamp(), PLACED);
    }
}

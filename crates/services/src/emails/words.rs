//! Every word the shop's emails say, once per language. A struct per language, so a sentence
//! missing in one language does not compile; `{name}` placeholders are filled by [`fill`].

use hanjinbi_domain::Lang;

pub struct Words {
    /// The language's code, for `<html lang>`.
    pub lang: &'static str,
    pub subject_confirmation: &'static str,
    pub greeting: &'static str,
    pub thanks: &'static str,
    pub order_number: &'static str,
    pub placed_at: &'static str,
    pub vietnam_time: &'static str,
    pub item: &'static str,
    pub quantity: &'static str,
    pub line_total: &'static str,
    pub subtotal: &'static str,
    pub shipping_fee: &'static str,
    pub total: &'static str,
    pub ship_to: &'static str,
    pub recipient: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
    pub shipping: &'static str,
    pub payment: &'static str,
    pub note: &'static str,
    pub view_order: &'static str,
    pub view_order_hint: &'static str,
    pub payment_heading: &'static str,
    pub payment_lead: &'static str,
    pub bank: &'static str,
    pub account_number: &'static str,
    pub account_holder: &'static str,
    pub amount: &'static str,
    pub reference: &'static str,
    pub qr_hint: &'static str,
    pub qr_alt: &'static str,
    pub consent_heading: &'static str,
    pub consent_intro: &'static str,
    pub consent_none: &'static str,
    pub consent_purpose: &'static str,
    pub consent_wording: &'static str,
    pub consent_at: &'static str,
    pub consent_policy: &'static str,
    pub consent_channel: &'static str,
    pub channel_web: &'static str,
    pub channel_api: &'static str,
    pub withdraw: &'static str,
    pub why_confirmation: &'static str,
    pub subject_code: &'static str,
    pub code_intro: &'static str,
    pub code_lifetime: &'static str,
    pub code_ignore: &'static str,
    pub why_code: &'static str,
    pub subject_verify: &'static str,
    pub verify_intro: &'static str,
    pub verify_button: &'static str,
    pub verify_ignore: &'static str,
    pub subject_exists: &'static str,
    pub exists_intro: &'static str,
    pub exists_ignore: &'static str,
    pub subject_reset: &'static str,
    pub reset_intro: &'static str,
    pub reset_button: &'static str,
    pub reset_ignore: &'static str,
    pub link_lifetime: &'static str,
    pub link_fallback: &'static str,
    pub why_account: &'static str,
    pub subject_erasure_link: &'static str,
    pub erasure_link_intro: &'static str,
    pub erasure_button: &'static str,
    pub erasure_link_ignore: &'static str,
    pub subject_erasure_done: &'static str,
    pub erasure_done_intro: &'static str,
    pub erasure_backups: &'static str,
    pub erasure_kept: &'static str,
    pub erasure_nothing_kept: &'static str,
    pub why_erasure: &'static str,
    pub registration: &'static str,
    pub contact: &'static str,
    pub privacy: &'static str,
    /// The privacy page's path in this language.
    pub privacy_path: &'static str,
}

pub static VI: Words = Words {
    lang: "vi",
    subject_confirmation: "{shop}: xác nhận đơn hàng {number}",
    greeting: "Chào {name},",
    thanks: "Cảm ơn quý khách đã đặt hàng tại {shop}. Chúng tôi đã nhận đơn hàng dưới đây.",
    order_number: "Mã đơn hàng",
    placed_at: "Thời gian đặt",
    vietnam_time: "giờ Việt Nam",
    item: "Sản phẩm",
    quantity: "Số lượng",
    line_total: "Thành tiền",
    subtotal: "Tạm tính",
    shipping_fee: "Phí giao hàng",
    total: "Tổng cộng",
    ship_to: "Giao đến",
    recipient: "Người nhận",
    phone: "Điện thoại",
    address: "Địa chỉ",
    shipping: "Vận chuyển",
    payment: "Thanh toán",
    note: "Ghi chú của quý khách",
    view_order: "Xem đơn hàng",
    view_order_hint: "Đường dẫn này mở đơn hàng của quý khách mà không cần đăng nhập; xin đừng chia sẻ.",
    payment_heading: "Thông tin chuyển khoản",
    payment_lead: "Vui lòng chuyển khoản đúng số tiền và nội dung dưới đây để cửa hàng đối chiếu với đơn hàng.",
    bank: "Ngân hàng",
    account_number: "Số tài khoản",
    account_holder: "Chủ tài khoản",
    amount: "Số tiền",
    reference: "Nội dung chuyển khoản",
    qr_hint: "Hoặc quét mã VietQR bằng ứng dụng ngân hàng để điền sẵn các thông tin trên.",
    qr_alt: "Mã VietQR để chuyển khoản cho đơn hàng {number}",
    consent_heading: "Biên nhận sự đồng ý",
    consent_intro: "Khi đặt hàng, quý khách đã đồng ý cho các mục đích tùy chọn sau:",
    consent_none: "Quý khách không đồng ý mục đích tùy chọn nào: thông tin của quý khách chỉ được dùng để xử lý đơn hàng này.",
    consent_purpose: "Mục đích",
    consent_wording: "Nội dung quý khách đã đồng ý",
    consent_at: "Thời điểm",
    consent_policy: "Phiên bản chính sách bảo mật",
    consent_channel: "Nơi đồng ý",
    channel_web: "trên website",
    channel_api: "qua ứng dụng kết nối với cửa hàng (API)",
    withdraw: "Quý khách có thể rút lại sự đồng ý bất cứ lúc nào, dễ dàng như khi đồng ý: gửi email tới {email} hoặc gọi hotline {hotline}. Việc rút lại không ảnh hưởng đến đơn hàng này.",
    why_confirmation: "Quý khách nhận email này vì đã đặt hàng tại {shop} bằng địa chỉ email này.",
    subject_code: "{shop}: mã tra cứu đơn hàng {number}",
    code_intro: "Mã tra cứu đơn hàng {number} của quý khách là:",
    code_lifetime: "Mã có hiệu lực trong {minutes} phút, đến {time} (giờ Việt Nam), và chỉ dùng được một lần.",
    code_ignore: "Nếu quý khách không yêu cầu mã này, hãy bỏ qua email: không ai xem được đơn hàng nếu không có mã.",
    why_code: "Quý khách nhận email này vì có người yêu cầu mã tra cứu cho một đơn hàng đặt bằng địa chỉ email này.",
    subject_verify: "{shop}: xác nhận địa chỉ email",
    verify_intro: "Cảm ơn quý khách đã đăng ký tài khoản tại {shop}. Để hoàn tất, hãy mở liên kết dưới đây và nhập mật khẩu vừa chọn.",
    verify_button: "Xác nhận email",
    verify_ignore: "Nếu quý khách không đăng ký, hãy bỏ qua email này: không ai xác nhận được địa chỉ nếu không có cả liên kết này lẫn mật khẩu.",
    subject_exists: "{shop}: địa chỉ email này đã có tài khoản",
    exists_intro: "Có người vừa đăng ký tài khoản tại {shop} bằng địa chỉ email này, nhưng địa chỉ đã có tài khoản. Nếu đó là quý khách, hãy đăng nhập như thường lệ; nếu quên mật khẩu, hãy đặt mật khẩu mới bằng liên kết dưới đây.",
    exists_ignore: "Nếu không phải quý khách, hãy bỏ qua email này: tài khoản không thay đổi gì.",
    subject_reset: "{shop}: đặt lại mật khẩu",
    reset_intro: "Để đặt mật khẩu mới cho tài khoản của quý khách tại {shop}, hãy mở liên kết dưới đây.",
    reset_button: "Đặt mật khẩu mới",
    reset_ignore: "Nếu quý khách không yêu cầu, hãy bỏ qua email này: mật khẩu không thay đổi.",
    link_lifetime: "Liên kết có hiệu lực đến {time} (giờ Việt Nam) và chỉ dùng được một lần.",
    link_fallback: "Nếu nút không mở được, hãy chép địa chỉ này vào trình duyệt:",
    why_account: "Quý khách nhận email này vì địa chỉ email này được dùng cho một tài khoản tại {shop}.",
    subject_erasure_link: "{shop}: xác nhận xóa dữ liệu",
    erasure_link_intro: "Có yêu cầu xóa mọi dữ liệu cá nhân mà {shop} lưu với địa chỉ email này, kể cả thông tin giao hàng của các đơn đã đặt và tài khoản (nếu có). Để xác nhận, hãy mở liên kết dưới đây.",
    erasure_button: "Xóa dữ liệu của tôi",
    erasure_link_ignore: "Nếu quý khách không yêu cầu, hãy bỏ qua email này: không có gì bị xóa.",
    subject_erasure_done: "{shop}: dữ liệu của quý khách đã được xóa",
    erasure_done_intro: "Theo yêu cầu của quý khách, {shop} đã xóa dữ liệu cá nhân lưu với địa chỉ email này: khóa mã hóa của chúng đã bị hủy, nên từ nay không ai, kể cả chúng tôi, đọc được chúng trong cơ sở dữ liệu của cửa hàng.",
    erasure_backups: "Các bản sao lưu cũ được xử lý như chính sách bảo mật mô tả.",
    erasure_kept: "Chúng tôi vẫn giữ {orders} đơn hàng dưới dạng chứng từ giao dịch (sản phẩm, số lượng, số tiền, phương thức giao hàng và thanh toán, ngày giao dịch), không còn gắn với thông tin nhận dạng nào đọc được. Lý do:",
    erasure_nothing_kept: "Không có đơn hàng nào phải giữ lại.",
    why_erasure: "Quý khách nhận email này vì đã yêu cầu xóa dữ liệu gắn với địa chỉ email này tại {shop}. Đây là email cuối cùng chúng tôi gửi về yêu cầu này.",
    registration: "Mã số doanh nghiệp {number} do {issuer} cấp ngày {date}",
    contact: "Email {email} · Hotline {hotline}",
    privacy: "Chính sách bảo mật",
    privacy_path: "/chinh-sach-bao-mat",
};

pub static EN: Words = Words {
    lang: "en",
    subject_confirmation: "{shop}: order {number} confirmed",
    greeting: "Hello {name},",
    thanks: "Thank you for ordering from {shop}. We have received the order below.",
    order_number: "Order number",
    placed_at: "Placed at",
    vietnam_time: "Vietnam time",
    item: "Item",
    quantity: "Quantity",
    line_total: "Amount",
    subtotal: "Subtotal",
    shipping_fee: "Delivery",
    total: "Total",
    ship_to: "Delivery to",
    recipient: "Recipient",
    phone: "Phone",
    address: "Address",
    shipping: "Delivery method",
    payment: "Payment",
    note: "Your note",
    view_order: "View your order",
    view_order_hint: "This link opens your order without signing in; please do not share it.",
    payment_heading: "Bank transfer details",
    payment_lead: "Please transfer the exact amount with the reference below, so that we can match the payment to your order.",
    bank: "Bank",
    account_number: "Account number",
    account_holder: "Account holder",
    amount: "Amount",
    reference: "Transfer reference",
    qr_hint: "Or scan the VietQR code with your banking app to fill these in.",
    qr_alt: "VietQR code for the transfer for order {number}",
    consent_heading: "Your consent receipt",
    consent_intro: "When you ordered, you agreed to these optional purposes:",
    consent_none: "You agreed to no optional purpose: your details are used only to handle this order.",
    consent_purpose: "Purpose",
    consent_wording: "What you agreed to",
    consent_at: "When",
    consent_policy: "Privacy policy version",
    consent_channel: "Where",
    channel_web: "on the website",
    channel_api: "through an app connected to the shop (API)",
    withdraw: "You can withdraw a consent at any time, as easily as you gave it: email {email} or call the hotline {hotline}. Withdrawing does not affect this order.",
    why_confirmation: "You are receiving this email because you placed an order at {shop} with this address.",
    subject_code: "{shop}: your code for order {number}",
    code_intro: "Your code to look up order {number} is:",
    code_lifetime: "It works for {minutes} minutes, until {time} (Vietnam time), and only once.",
    code_ignore: "If you did not ask for this code, ignore this email: nobody can open the order without it.",
    why_code: "You are receiving this email because someone asked for a lookup code for an order placed with this address.",
    subject_verify: "{shop}: confirm your email address",
    verify_intro: "Thank you for registering at {shop}. To finish, open the link below and enter the password you chose.",
    verify_button: "Confirm my email",
    verify_ignore: "If you did not register, ignore this email: nobody can confirm the address without both this link and the password.",
    subject_exists: "{shop}: this email address already has an account",
    exists_intro: "Someone just registered at {shop} with this email address, which already has an account. If it was you, sign in as usual; if you forgot your password, set a new one with the link below.",
    exists_ignore: "If it was not you, ignore this email: nothing about the account has changed.",
    subject_reset: "{shop}: reset your password",
    reset_intro: "To set a new password for your account at {shop}, open the link below.",
    reset_button: "Set a new password",
    reset_ignore: "If you did not ask for this, ignore this email: your password has not changed.",
    link_lifetime: "The link works until {time} (Vietnam time), once.",
    link_fallback: "If the button does not open, copy this address into your browser:",
    why_account: "You are receiving this email because this address is used for an account at {shop}.",
    subject_erasure_link: "{shop}: confirm the erasure of your data",
    erasure_link_intro: "Someone asked {shop} to erase every personal detail it holds with this email address, including the delivery details of orders placed and the account (if there is one). To confirm, open the link below.",
    erasure_button: "Erase my data",
    erasure_link_ignore: "If you did not ask for this, ignore this email: nothing is erased.",
    subject_erasure_done: "{shop}: your data has been erased",
    erasure_done_intro: "As you asked, {shop} has erased the personal data held with this email address: its encryption keys are destroyed, so from now on nobody, us included, can read it in the shop's database.",
    erasure_backups: "Older backups are handled as the privacy policy describes.",
    erasure_kept: "We still keep {orders} order(s) as transaction records (items, quantities, amounts, shipping and payment methods, dates), no longer tied to anything readable that identifies you. Why:",
    erasure_nothing_kept: "No order had to be kept.",
    why_erasure: "You are receiving this email because you asked {shop} to erase the data held with this address. It is the last email we send about this request.",
    registration: "Business registration {number}, issued by {issuer} on {date}",
    contact: "Email {email} · Hotline {hotline}",
    privacy: "Privacy policy",
    privacy_path: "/privacy",
};

impl Words {
    pub fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

/// `text` with each `{key}` replaced by its value, in one pass: a value that itself holds
/// `{…}` (a buyer may type anything as a name) is never filled in turn. Values are inserted
/// as they are: the templates escape the result for HTML.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.split_once('}').and_then(|(key, tail)| {
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, value)| (*value, tail))
        });
        match known {
            Some((value, tail)) => {
                filled.push_str(value);
                rest = tail;
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sentence of one language names the same placeholders as its translation, so no
    /// value is lost (or left as `{name}`) in either language.
    #[test]
    fn both_languages_use_the_same_placeholders() {
        fn placeholders(text: &str) -> Vec<&str> {
            let mut found: Vec<&str> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(key, _)| key))
                .collect();
            found.sort_unstable();
            found
        }
        let pairs = [
            (VI.subject_confirmation, EN.subject_confirmation),
            (VI.greeting, EN.greeting),
            (VI.thanks, EN.thanks),
            (VI.qr_alt, EN.qr_alt),
            (VI.withdraw, EN.withdraw),
            (VI.why_confirmation, EN.why_confirmation),
            (VI.subject_code, EN.subject_code),
            (VI.code_intro, EN.code_intro),
            (VI.code_lifetime, EN.code_lifetime),
            (VI.subject_verify, EN.subject_verify),
            (VI.verify_intro, EN.verify_intro),
            (VI.subject_exists, EN.subject_exists),
            (VI.exists_intro, EN.exists_intro),
            (VI.subject_reset, EN.subject_reset),
            (VI.reset_intro, EN.reset_intro),
            (VI.link_lifetime, EN.link_lifetime),
            (VI.why_account, EN.why_account),
            (VI.subject_erasure_link, EN.subject_erasure_link),
            (VI.erasure_link_intro, EN.erasure_link_intro),
            (VI.subject_erasure_done, EN.subject_erasure_done),
            (VI.erasure_done_intro, EN.erasure_done_intro),
            (VI.erasure_kept, EN.erasure_kept),
            (VI.why_erasure, EN.why_erasure),
            (VI.registration, EN.registration),
            (VI.contact, EN.contact),
        ];
        for (vi, en) in pairs {
            assert_eq!(placeholders(vi), placeholders(en), "{vi} / {en}");
            assert!(!placeholders(vi).is_empty(), "{vi}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_other_braces_kept() {
        assert_eq!(
            fill(
                "{shop}: đơn {number} {other} {",
                &[("shop", "Hanjinbi"), ("number", "HJ1")]
            ),
            "Hanjinbi: đơn HJ1 {other} {"
        );
    }

    #[test]
    fn a_value_is_never_filled_in_turn() {
        assert_eq!(
            fill(
                "Chào {name}, đơn {number}",
                &[("name", "{number}"), ("number", "HJ1")]
            ),
            "Chào {number}, đơn HJ1"
        );
    }

    proptest::proptest! {
        /// Filling never loses the text around placeholders, whatever the values hold.
        #[test]
        fn filling_keeps_the_text_and_inserts_each_value(
            before in "[^{}]{0,20}", after in "[^{}]{0,20}", value in "\\PC{0,20}"
        ) {
            let text = format!("{before}{{name}}{after}");
            proptest::prop_assert_eq!(
                fill(&text, &[("name", &value)]),
                format!("{before}{value}{after}")
            );
        }
    }
}

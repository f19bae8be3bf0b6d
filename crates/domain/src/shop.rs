//! The shop's public identity: the legal details Vietnamese e-commerce rules ask a shop's
//! website to show (name, address, business registration, contact), and how buyers reach it.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopInfo {
    /// The name shoppers know: "Hanjinbi".
    pub name: String,
    /// The registered business name.
    pub legal_name: String,
    pub address: String,
    /// Business registration (enterprise code) number.
    pub registration_number: String,
    /// Who issued the registration.
    pub registration_issuer: String,
    /// When the registration was first issued, as printed on it: `dd/mm/yyyy`.
    pub registration_date: String,
    /// The shop's page on the Ministry of Industry and Trade's e-commerce portal, once the
    /// website has been notified there; the footer then links to it.
    pub moit_notice_url: Option<String>,
    /// Days after delivery in which a buyer may return or exchange an item.
    pub return_window_days: u16,
    pub email: String,
    pub hotline: String,
    /// The public address of the site, used in links sent out of the site.
    pub public_url: String,
}

impl Default for ShopInfo {
    fn default() -> ShopInfo {
        ShopInfo {
            name: "Hanjinbi".into(),
            legal_name: "Công ty TNHH Hanjinbi".into(),
            address: "Số 1 Phố Huế, Phường Hai Bà Trưng, Thành phố Hà Nội".into(),
            registration_number: "0109999999".into(),
            registration_issuer: "Sở Tài chính Thành phố Hà Nội".into(),
            registration_date: "15/03/2024".into(),
            moit_notice_url: None,
            return_window_days: 7,
            email: "contact.hanjinbi@gmail.com".into(),
            hotline: "0964 242 408".into(),
            public_url: "https://www.hanjinbi.com".into(),
        }
    }
}

impl ShopInfo {
    /// The hotline as a `tel:` target: digits only, in international form.
    pub fn hotline_tel(&self) -> String {
        let digits: String = self.hotline.chars().filter(char::is_ascii_digit).collect();
        match digits.strip_prefix('0') {
            Some(rest) => format!("+84{rest}"),
            None => format!("+{digits}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotline_links_use_the_international_form() {
        assert_eq!(ShopInfo::default().hotline_tel(), "+84964242408");
    }
}

//! A buyer's contact details as typed at checkout: parsed, normalised, and never printable.
//!
//! These types hold personal plaintext between the form and the sealing vault. They cannot be
//! displayed or serialised, and `Debug` shows a placeholder, so a stray log line or error
//! message cannot carry them. The plaintext is reachable only through `expose()`, a name that
//! stands out in review; the privacy layer calls it to seal or index the value.

use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ContactError {
    #[error("the email address is not valid")]
    Email,
    #[error("the phone number is not a Vietnamese mobile or landline number")]
    Phone,
    #[error("the full name must be 2–100 visible letters, without text-direction controls")]
    Name,
    #[error(
        "the street address must be 5–200 visible characters, without text-direction controls"
    )]
    Street,
    #[error("the note must be at most 500 characters")]
    Note,
}

macro_rules! personal {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The plaintext, for sealing and indexing by the privacy layer only.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<personal>)"))
            }
        }
    };
}

personal!(
    /// An email address, trimmed, with its domain lowercased.
    Email
);
personal!(
    /// A Vietnamese phone number normalised to `+84…`.
    PhoneVn
);
personal!(
    /// A person's full name, spaces collapsed.
    FullName
);
personal!(
    /// The street part of an address: house number, street, hamlet.
    StreetLine
);
personal!(
    /// A buyer's free-text note for the order.
    OrderNote
);

impl Email {
    /// Accepts what HTML's `type=email` accepts, with a dotted domain: `local@domain.tld`.
    pub fn parse(text: &str) -> Result<Email, ContactError> {
        let text = text.trim();
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactError::Email);
        }
        let (local, domain) = text.rsplit_once('@').ok_or(ContactError::Email)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
        } else {
            Err(ContactError::Email)
        }
    }

    /// The form used for lookups: the whole address lowercased.
    pub fn lookup_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PhoneVn {
    /// Accepts mobile numbers (10 digits from 03, 05, 07, 08, 09) and landlines (11 digits
    /// from 02), written with spaces, dots, dashes or parentheses, as `0…`, `84…` or `+84…`.
    pub fn parse(text: &str) -> Result<PhoneVn, ContactError> {
        let text = text.trim();
        if text.len() > 32 {
            return Err(ContactError::Phone);
        }
        let mut digits = String::with_capacity(12);
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(ContactError::Phone),
            }
        }
        let national = if let Some(rest) = digits
            .strip_prefix("84")
            .filter(|_| text.starts_with('+') || digits.len() >= 11)
        {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest.to_owned()
        } else {
            return Err(ContactError::Phone);
        };
        let mobile = national.len() == 9
            && matches!(
                national.as_bytes().first(),
                Some(b'3' | b'5' | b'7' | b'8' | b'9')
            );
        let landline = national.len() == 10 && national.starts_with('2');
        if mobile || landline {
            Ok(PhoneVn(format!("+84{national}")))
        } else {
            Err(ContactError::Phone)
        }
    }
}

impl PhoneVn {
    /// The number as Vietnamese people write it: `0912 345 678` for a mobile; a landline as
    /// its area code and the subscriber number, `024 3826 4567` in Hà Nội and Hồ Chí Minh
    /// City (three-digit codes), `0236 382 2123` elsewhere (four-digit codes).
    pub fn national_display(&self) -> String {
        // Parsing stored `+84` and nine or ten ASCII digits, so slicing by byte is by digit.
        let national = format!("0{}", self.0.trim_start_matches("+84"));
        let groups: [usize; 2] = if national.len() == 10 {
            [4, 7]
        } else if national.starts_with("024") || national.starts_with("028") {
            [3, 7]
        } else {
            [4, 7]
        };
        let (head, rest) = national.split_at(groups[0]);
        let (middle, tail) = rest.split_at(groups[1] - groups[0]);
        format!("{head} {middle} {tail}")
    }
}

/// Trims and collapses runs of whitespace.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Bidirectional formatting controls: they reorder how the text around them is shown (a
/// name that reads one way on screen and another in the data), so text holding one is
/// refused.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that show nothing: Unicode's default-ignorable code points (zero-width spaces
/// and joiners, soft hyphen, word joiner, byte-order mark, variation selectors, Hangul
/// fillers, tags…) and the blank Braille pattern. They are dropped from names and street
/// lines, so a value made only of them is empty and refused.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The visible text of a name or street line: refused (`None`) when it holds a bidi control;
/// otherwise invisible characters dropped and whitespace collapsed.
fn visible(text: &str) -> Option<String> {
    if text.chars().any(is_bidi_control) {
        return None;
    }
    let kept: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    Some(collapse(&kept))
}

impl FullName {
    pub fn parse(text: &str) -> Result<FullName, ContactError> {
        let name = visible(text).ok_or(ContactError::Name)?;
        let chars = name.chars().count();
        let letters_ok = name.chars().all(|c| {
            c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.' || unicode_mark(c)
        });
        if (2..=100).contains(&chars) && letters_ok && name.chars().any(char::is_alphabetic) {
            Ok(FullName(name))
        } else {
            Err(ContactError::Name)
        }
    }
}

/// Combining marks, for names typed in decomposed form.
fn unicode_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

impl StreetLine {
    pub fn parse(text: &str) -> Result<StreetLine, ContactError> {
        let line = visible(text).ok_or(ContactError::Street)?;
        let chars = line.chars().count();
        // At least one letter or digit: punctuation alone is no address.
        if (5..=200).contains(&chars)
            && !line.chars().any(char::is_control)
            && line.chars().any(char::is_alphanumeric)
        {
            Ok(StreetLine(line))
        } else {
            Err(ContactError::Street)
        }
    }
}

impl OrderNote {
    /// A blank note is no note.
    pub fn parse(text: &str) -> Result<Option<OrderNote>, ContactError> {
        let note = text.trim();
        if note.is_empty() {
            return Ok(None);
        }
        if note.chars().count() > 500
            || note
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(ContactError::Note);
        }
        Ok(Some(OrderNote(note.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_shown_grouped_as_written_in_vietnam() {
        let shown = |text: &str| PhoneVn::parse(text).unwrap().national_display();
        assert_eq!(shown("+84912345678"), "0912 345 678");
        assert_eq!(shown("0912.345.678"), "0912 345 678");
        assert_eq!(shown("024 3826 4567"), "024 3826 4567");
        assert_eq!(shown("02838224567"), "028 3822 4567");
        assert_eq!(shown("02363822123"), "0236 382 2123");
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Lan.Nguyen@Gmail.COM ").unwrap().expose(),
            "Lan.Nguyen@gmail.com"
        );
        assert_eq!(Email::parse("Lan@X.vn").unwrap().lookup_key(), "lan@x.vn");
        for bad in [
            "",
            "a",
            "a@b",
            "a@b.c",
            "a b@c.vn",
            "@c.vn",
            "a@.vn",
            "a..b@c.vn",
            "a@c..vn",
            "a@-c.vn",
            "lan@gm\nail.com",
        ] {
            assert_eq!(Email::parse(bad), Err(ContactError::Email), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.vn", "a".repeat(65))).is_err());
    }

    #[test]
    fn vietnamese_phone_numbers_are_normalised() {
        for (input, normal) in [
            ("0912 345 678", "+84912345678"),
            ("+84 912.345.678", "+84912345678"),
            ("84912345678", "+84912345678"),
            ("(024) 3825 1234", "+842438251234"),
            ("0283-822-1234", "+842838221234"),
            ("0356789012", "+84356789012"),
        ] {
            assert_eq!(PhoneVn::parse(input).unwrap().expose(), normal, "{input}");
        }
        for bad in [
            "",
            "12345",
            "0112345678",
            "091234567",
            "09123456789",
            "+1 415 555 0100",
            "0912-abc-678",
            "0412345678",
            "+84+912345678",
        ] {
            assert_eq!(PhoneVn::parse(bad), Err(ContactError::Phone), "{bad:?}");
        }
    }

    #[test]
    fn names_and_streets() {
        assert_eq!(
            FullName::parse("  Nguyễn   Thị  Lan ").unwrap().expose(),
            "Nguyễn Thị Lan"
        );
        assert!(FullName::parse("A").is_err());
        assert!(FullName::parse("<script>").is_err());
        assert!(FullName::parse(&"a".repeat(101)).is_err());
        assert_eq!(
            StreetLine::parse("Số 12, ngõ 34 Phố Huế").unwrap().expose(),
            "Số 12, ngõ 34 Phố Huế"
        );
        assert!(StreetLine::parse("12").is_err());
        assert_eq!(OrderNote::parse("  ").unwrap(), None);
        assert!(OrderNote::parse(&"x".repeat(501)).is_err());
    }

    #[test]
    fn invisible_names_and_streets_are_refused() {
        for invisible in [
            "\u{3164}\u{3164}\u{3164}",
            "\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}",
            "\u{FEFF}\u{00AD}\u{2060}\u{200D}\u{200C}\u{FEFF}",
            "\u{3164} \u{200B} \u{3164} \u{2800} \u{3164}",
        ] {
            assert_eq!(
                FullName::parse(invisible),
                Err(ContactError::Name),
                "{invisible:?}"
            );
            assert_eq!(
                StreetLine::parse(invisible),
                Err(ContactError::Street),
                "{invisible:?}"
            );
        }
        assert_eq!(
            FullName::parse("Lan\u{200B}\u{200B}").unwrap().expose(),
            "Lan",
            "invisible characters are dropped from what is kept"
        );
        assert_eq!(StreetLine::parse("..,,--"), Err(ContactError::Street));
    }

    #[test]
    fn text_direction_controls_are_refused() {
        for control in [
            '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200F}', '\u{061C}',
        ] {
            let name = format!("Nguyễn {control}Thị Lan");
            assert_eq!(
                FullName::parse(&name),
                Err(ContactError::Name),
                "{control:?}"
            );
            let line = format!("Số 12 {control}Phố Huế");
            assert_eq!(
                StreetLine::parse(&line),
                Err(ContactError::Street),
                "{control:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let email = Email::parse("lan@example.vn").unwrap();
        assert_eq!(format!("{email:?}"), "Email(<personal>)");
        let phone = PhoneVn::parse("0912345678").unwrap();
        assert!(!format!("{phone:?}").contains("912"));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,80}") {
            let _ = Email::parse(&text);
            let _ = PhoneVn::parse(&text);
            let _ = FullName::parse(&text);
            let _ = StreetLine::parse(&text);
        }

        #[test]
        fn a_value_made_only_of_invisible_characters_is_refused(
            chars in proptest::collection::vec(
                proptest::sample::select(vec![
                    '\u{00AD}', '\u{034F}', '\u{115F}', '\u{1160}', '\u{17B4}', '\u{180E}',
                    '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{2063}', '\u{2800}',
                    '\u{3164}', '\u{FE0F}', '\u{FEFF}', '\u{FFA0}', '\u{E0041}', ' ', '\t',
                ]),
                0..60,
            )
        ) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(FullName::parse(&text), Err(ContactError::Name));
            proptest::prop_assert_eq!(StreetLine::parse(&text), Err(ContactError::Street));
        }

        #[test]
        fn a_value_holding_a_bidi_control_is_refused(
            before in "[a-zA-Z0-9 ]{0,30}",
            after in "[a-zA-Z0-9 ]{0,30}",
            control in proptest::sample::select(vec![
                '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
                '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            ]),
        ) {
            let text = format!("{before}{control}{after}");
            proptest::prop_assert_eq!(FullName::parse(&text), Err(ContactError::Name));
            proptest::prop_assert_eq!(StreetLine::parse(&text), Err(ContactError::Street));
        }

        #[test]
        fn accepted_names_and_streets_hold_nothing_invisible(text in "\\PC{0,80}") {
            for value in [
                FullName::parse(&text).map(|n| n.expose().to_owned()),
                StreetLine::parse(&text).map(|l| l.expose().to_owned()),
            ]
            .into_iter()
            .flatten()
            {
                proptest::prop_assert!(!value.chars().any(|c| is_invisible(c) || is_bidi_control(c)));
            }
        }

        #[test]
        fn normalised_phones_parse_to_themselves(n in 300_000_000u32..999_999_999) {
            if let Ok(phone) = PhoneVn::parse(&format!("0{n}")) {
                let again = PhoneVn::parse(phone.expose()).unwrap();
                proptest::prop_assert_eq!(again, phone);
            }
        }
    }
}

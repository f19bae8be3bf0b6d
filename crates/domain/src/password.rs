//! What a buyer's password must be: the rules for choosing a new one, and the form in which one
//! is checked at sign-in.
//!
//! The rules follow the OWASP Authentication Cheat Sheet and NIST SP 800-63B (password
//! verifiers):
//!
//! - **Length over composition.** A new password has at least [`MIN_CHARS`] characters and no
//!   rule such as "one digit, one capital letter". Every character may be used: spaces,
//!   Vietnamese letters with their tone marks, emoji. Only control characters (tab, line breaks,
//!   NUL…) are refused, since no keyboard types them into a password field on purpose.
//! - **A blocklist.** A new password whose lowercase form is among the most common passwords
//!   (`data/common-passwords.txt`, see `data/common-passwords.SOURCE.md`) is refused. So is one
//!   that is the buyer's email address or the part before its `@`, or one character repeated.
//! - **No truncation.** The whole password is hashed. A password longer than [`MAX_CHARS`] is
//!   refused, never cut, and it is refused before it is normalised or hashed, so a huge input
//!   costs little.
//!
//! Length is counted in Unicode scalar values after NFC normalisation, and the NFC form is what
//! is kept. So `mật khẩu` typed with precomposed letters on one keyboard and with combining tone
//! marks on another is the same password and hashes the same.
//!
//! Like the types in `contact`, these hold secret plaintext. They cannot be displayed,
//! serialised or cloned, and `Debug` shows a placeholder, so a stray log line or error message
//! cannot carry them. Errors name the rule that was broken and never hold the password. The
//! plaintext is reachable only through `expose()`, for the password hasher.

use std::fmt;
use std::sync::LazyLock;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// The fewest characters a new password may have, counted after NFC normalisation.
pub const MIN_CHARS: usize = 10;

/// The most characters a password may have, counted after NFC normalisation. Longer ones are
/// refused, not truncated.
pub const MAX_CHARS: usize = 128;

/// The longest input, in UTF-8 bytes, that could still normalise to [`MAX_CHARS`] characters.
/// No character's canonical decomposition is longer than four code points, and no code point
/// takes more than four bytes. So each character of the NFC form comes from at most 16 bytes of
/// input. Anything longer is refused before it is normalised.
const MAX_INPUT_BYTES: usize = MAX_CHARS * 16;

/// Common passwords, one per line: lowercase NFC, 10 to 128 characters, sorted by byte order and
/// unique.
const COMMON_TEXT: &str = include_str!("../data/common-passwords.txt");

static COMMON: LazyLock<Vec<&'static str>> = LazyLock::new(|| COMMON_TEXT.lines().collect());

/// The rule a password broke. Holds no part of the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PasswordError {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password must be at most {max} characters long")]
    TooLong { max: usize },
    #[error("the password is one of the most commonly used passwords")]
    Common,
    #[error("the password must not contain control characters such as tabs or line breaks")]
    ControlCharacter,
    #[error("the password must not be the email address or the part of it before the @")]
    SameAsEmail,
    #[error("the password must not be one character repeated")]
    OneCharacterRepeated,
}

/// A password a buyer has chosen, checked against every rule of this module. NFC-normalised.
pub struct NewPassword(String);

/// A password typed at sign-in: 1 to [`MAX_CHARS`] characters, NFC-normalised, and otherwise
/// unchecked. Whether it is right is for the stored hash to say.
pub struct Password(String);

impl NewPassword {
    /// Checks a new password. `email` is the address the account is for, when known; the
    /// password may not equal it, or the part before its `@`, in any letter case.
    pub fn parse(raw: &str, email: Option<&str>) -> Result<NewPassword, PasswordError> {
        let (text, chars) = normalise(raw)?;
        if text.chars().any(char::is_control) {
            return Err(PasswordError::ControlCharacter);
        }
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort { min: MIN_CHARS });
        }
        let folded = text.to_lowercase();
        let mut rest = folded.chars();
        if let Some(first) = rest.next() {
            if rest.all(|c| c == first) {
                return Err(PasswordError::OneCharacterRepeated);
            }
        }
        if email.is_some_and(|email| is_email_or_local_part(&folded, email)) {
            return Err(PasswordError::SameAsEmail);
        }
        if is_common(&folded) {
            return Err(PasswordError::Common);
        }
        Ok(NewPassword(text))
    }

    /// The NFC-normalised password, for the password hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Password {
    /// Accepts any password of 1 to [`MAX_CHARS`] characters. An overlong one is refused
    /// before it is normalised, so it never reaches the hasher.
    pub fn parse(raw: &str) -> Result<Password, PasswordError> {
        let (text, chars) = normalise(raw)?;
        if chars == 0 {
            return Err(PasswordError::TooShort { min: 1 });
        }
        Ok(Password(text))
    }

    /// The NFC-normalised password, for the password hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The NFC form of `raw` and its length in characters; `TooLong` as soon as it is known to
/// pass [`MAX_CHARS`], without normalising the rest.
fn normalise(raw: &str) -> Result<(String, usize), PasswordError> {
    let too_long = PasswordError::TooLong { max: MAX_CHARS };
    if raw.len() > MAX_INPUT_BYTES {
        return Err(too_long);
    }
    let mut text = String::with_capacity(raw.len());
    let mut chars = 0;
    for c in raw.nfc() {
        chars += 1;
        if chars > MAX_CHARS {
            return Err(too_long);
        }
        text.push(c);
    }
    Ok((text, chars))
}

/// Whether `folded` (a lowercase NFC password) is the email address or its local part, in
/// any letter case.
fn is_email_or_local_part(folded: &str, email: &str) -> bool {
    let email = email.trim().nfc().collect::<String>().to_lowercase();
    if email.is_empty() {
        return false;
    }
    let local = email
        .rsplit_once('@')
        .map_or(email.as_str(), |(local, _)| local);
    folded == email || folded == local
}

/// Whether `folded` (a lowercase NFC password) is on the common-password list.
fn is_common(folded: &str) -> bool {
    COMMON.binary_search(&folded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::is_nfc;

    fn new(raw: &str) -> Result<NewPassword, PasswordError> {
        NewPassword::parse(raw, None)
    }

    #[test]
    fn length_is_counted_in_characters_after_nfc() {
        assert_eq!(
            new("abcdefgh9").err(),
            Some(PasswordError::TooShort { min: 10 })
        );
        assert_eq!(new("").err(), Some(PasswordError::TooShort { min: 10 }));
        assert_eq!(new("abcdefgh92").unwrap().expose(), "abcdefgh92");
        // Ten characters but 16 bytes: counted as ten.
        assert_eq!(new("mậtkhẩuđẹp").unwrap().expose(), "mậtkhẩuđẹp");
        // Nine characters typed with combining marks (13 code points): still nine.
        let nfd: String = "mậtkhẩuđẹ".nfd().collect();
        assert!(nfd.chars().count() > 9);
        assert_eq!(new(&nfd).err(), Some(PasswordError::TooShort { min: 10 }));

        let longest: String = "Tôi yêu Hà Nội mùa thu. "
            .chars()
            .cycle()
            .take(128)
            .collect();
        assert_eq!(longest.chars().count(), 128);
        assert_eq!(new(&longest).unwrap().expose(), longest);
        let over = format!("{longest}x");
        assert_eq!(new(&over).err(), Some(PasswordError::TooLong { max: 128 }));
        assert_eq!(
            Password::parse(&over).err(),
            Some(PasswordError::TooLong { max: 128 })
        );
        // 128 characters typed in NFD are well over 128 code points, and still accepted.
        let longest_nfd: String = longest.nfd().collect();
        assert!(longest_nfd.chars().count() > 150);
        assert_eq!(new(&longest_nfd).unwrap().expose(), longest);
    }

    #[test]
    fn the_byte_guard_never_refuses_an_allowed_password() {
        // U+1FAF has the longest canonical decomposition (four code points, eight bytes).
        let decomposed: String = "\u{1FAF}".repeat(MAX_CHARS).nfd().collect();
        assert_eq!(decomposed.chars().count(), 4 * MAX_CHARS);
        let password = Password::parse(&decomposed).unwrap();
        assert_eq!(password.expose(), "\u{1FAF}".repeat(MAX_CHARS));
        // Emoji, most of them four bytes each, all of them allowed.
        let emoji = "🍜🛵🌶️🥢"
            .chars()
            .cycle()
            .take(MAX_CHARS)
            .collect::<String>();
        assert_eq!(new(&emoji).unwrap().expose(), emoji);
    }

    #[test]
    fn a_huge_input_is_refused_as_too_long() {
        let huge = "a".repeat(1 << 20);
        assert_eq!(new(&huge).err(), Some(PasswordError::TooLong { max: 128 }));
        assert_eq!(
            Password::parse(&huge).err(),
            Some(PasswordError::TooLong { max: 128 })
        );
        // Combining marks alone never end a normalisation run; refused all the same.
        let marks = format!("a{}", "\u{0301}".repeat(1 << 20));
        assert_eq!(new(&marks).err(), Some(PasswordError::TooLong { max: 128 }));
        assert_eq!(
            Password::parse(&marks).err(),
            Some(PasswordError::TooLong { max: 128 })
        );
    }

    #[test]
    fn spaces_vietnamese_letters_and_emoji_are_allowed() {
        for good in [
            "correct horse battery staple",
            "  hai dấu cách ở đầu",
            "cuối có dấu cách  ",
            "Phở bò tái nạm gầu",
            "🍜 phở ngon 🇻🇳",
            "gia đình 👨\u{200D}👩\u{200D}👧 tôi",
            "パスワードは長いです",
        ] {
            let password = new(good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
            assert_eq!(password.expose(), good, "kept as typed, never trimmed");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for control in [
            '\0', '\t', '\n', '\r', '\u{1B}', '\u{7F}', '\u{85}', '\u{9F}',
        ] {
            let raw = format!("mật khẩu{control}dài");
            assert_eq!(
                new(&raw).err(),
                Some(PasswordError::ControlCharacter),
                "{control:?}"
            );
        }
        // Zero-width joiners and other format characters are not control characters.
        assert!(new("a\u{200D}bcdefghijk").is_ok());
    }

    #[test]
    fn nfd_and_nfc_typing_give_the_same_password() {
        let nfc = "Mật khẩu của Nguyễn Thị Lan";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfc, nfd, "the two inputs differ as bytes");
        let a = new(nfc).unwrap();
        let b = new(&nfd).unwrap();
        assert_eq!(a.expose(), b.expose());
        assert_eq!(b.expose(), nfc);
        assert_eq!(Password::parse(&nfd).unwrap().expose(), nfc);
        assert_eq!(Password::parse(nfc).unwrap().expose(), nfc);
    }

    #[test]
    fn common_passwords_are_refused_in_any_letter_case() {
        for common in [
            "qwertyuiop",
            "QWERTYUIOP",
            "QwertyUiop",
            "1234567890",
            "1q2w3e4r5t",
            "password123",
            "Password123",
            "iloveyou12",
        ] {
            assert_eq!(new(common).err(), Some(PasswordError::Common), "{common:?}");
        }
        for uncommon in ["qwertyuiop!", "Phở bò tái nạm", "password1234 phở"] {
            assert!(new(uncommon).is_ok(), "{uncommon:?}");
        }
        // Signing in never checks the list: an old password still has to work.
        assert_eq!(
            Password::parse("qwertyuiop").unwrap().expose(),
            "qwertyuiop"
        );
    }

    #[test]
    fn the_email_or_its_local_part_is_refused() {
        let email = Some("Nguyen.Van.Lan@Example.vn");
        for same in [
            "nguyen.van.lan",
            "NGUYEN.VAN.LAN",
            "nguyen.van.lan@example.vn",
            "Nguyen.Van.Lan@Example.VN",
        ] {
            assert_eq!(
                NewPassword::parse(same, email).err(),
                Some(PasswordError::SameAsEmail),
                "{same:?}"
            );
        }
        // The address as typed in the form, with spaces around it.
        assert_eq!(
            NewPassword::parse("nguyen.van.lan", Some("  nguyen.van.lan@example.vn ")).err(),
            Some(PasswordError::SameAsEmail)
        );
        for different in ["nguyen.van.lan2", "example.vn lan", "nguyen van lan"] {
            assert!(
                NewPassword::parse(different, email).is_ok(),
                "{different:?}"
            );
        }
        assert!(NewPassword::parse("nguyen.van.lan", None).is_ok());
        assert!(NewPassword::parse("nguyen.van.lan", Some("")).is_ok());
        assert!(NewPassword::parse("nguyen.van.lan", Some("lan@example.vn")).is_ok());
    }

    #[test]
    fn one_character_repeated_is_refused() {
        let ede: String = "ế".repeat(12).nfd().collect();
        for repeated in [
            "aaaaaaaaaa",
            "AAAAAAAAAAAAAAAAAAAA",
            "aAaAaAaAaA",
            "          ",
            "1111111111111",
            "🍜🍜🍜🍜🍜🍜🍜🍜🍜🍜",
            &ede,
        ] {
            assert_eq!(
                new(repeated).err(),
                Some(PasswordError::OneCharacterRepeated),
                "{repeated:?}"
            );
        }
        for good in ["aaaaaaaaab", "baaaaaaaaa", "ếếếếếếếếếe"] {
            assert!(new(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn signing_in_accepts_any_password_of_1_to_128_characters() {
        assert_eq!(
            Password::parse("").err(),
            Some(PasswordError::TooShort { min: 1 })
        );
        assert_eq!(Password::parse("x").unwrap().expose(), "x");
        assert_eq!(Password::parse("aaaa").unwrap().expose(), "aaaa");
        assert_eq!(Password::parse(" ").unwrap().expose(), " ");
        let longest = "ệ".repeat(MAX_CHARS);
        assert_eq!(Password::parse(&longest).unwrap().expose(), longest);
        assert_eq!(
            Password::parse(&format!("{longest}ệ")).err(),
            Some(PasswordError::TooLong { max: 128 })
        );
    }

    #[test]
    fn the_common_list_is_sorted_unique_lowercase_nfc_and_10_to_128_characters() {
        let lines: Vec<&str> = COMMON_TEXT.split('\n').collect();
        assert_eq!(lines.last(), Some(&""), "the file ends with one line break");
        let entries = &lines[..lines.len() - 1];
        assert!(entries.len() > 1000, "{} entries", entries.len());
        assert_eq!(entries, COMMON.as_slice());
        for pair in entries.windows(2) {
            assert!(pair[0] < pair[1], "{:?} then {:?}", pair[0], pair[1]);
        }
        for entry in entries {
            let chars = entry.chars().count();
            assert!((MIN_CHARS..=MAX_CHARS).contains(&chars), "{entry:?}");
            assert_eq!(entry.to_lowercase(), *entry, "{entry:?}");
            assert!(is_nfc(entry), "{entry:?}");
            assert!(!entry.chars().any(char::is_control), "{entry:?}");
            assert!(is_common(entry), "{entry:?} not found by the binary search");
            assert!(new(entry).is_err(), "{entry:?} accepted");
        }
    }

    #[test]
    fn debug_and_errors_never_show_the_password() {
        let raw = "Bún chả Hương Liên 2016";
        let password = new(raw).unwrap();
        assert_eq!(format!("{password:?}"), "NewPassword(<redacted>)");
        assert_eq!(format!("{password:#?}"), "NewPassword(<redacted>)");
        let sign_in = Password::parse(raw).unwrap();
        assert_eq!(format!("{sign_in:?}"), "Password(<redacted>)");
        let shown = format!("{password:?} {sign_in:?}");
        let chars: Vec<char> = raw.chars().collect();
        for window in chars.windows(3) {
            let part: String = window.iter().collect();
            assert!(!shown.contains(&part), "{part:?}");
        }

        for (bad, email) in [
            ("short pw", None),
            ("qwertyuiop", None),
            ("zzzzzzzzzzzz", None),
            ("tab\there and there", None),
            ("lan.nguyen.2016", Some("lan.nguyen.2016@example.vn")),
        ] {
            let err = NewPassword::parse(bad, email).unwrap_err();
            let shown = format!("{err} {err:?} {:?}", NewPassword::parse(bad, email));
            assert!(!shown.contains(bad), "{shown}");
        }
    }

    fn any_text(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
    }

    /// Vietnamese-looking text, typed in NFC or NFD.
    fn vietnamese(max: usize) -> impl Strategy<Value = String> {
        (
            prop::collection::vec(
                prop::sample::select(
                    "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ AĂÂĐÊÔƠƯ0123456789"
                        .chars()
                        .collect::<Vec<_>>(),
                ),
                0..max,
            ),
            any::<bool>(),
        )
            .prop_map(|(chars, decompose)| {
                let text: String = chars.into_iter().collect();
                if decompose {
                    text.nfd().collect()
                } else {
                    text
                }
            })
    }

    proptest! {
        #[test]
        fn parsing_never_panics(raw in any_text(300), email in proptest::option::of(any_text(80))) {
            let _ = NewPassword::parse(&raw, email.as_deref());
            let _ = Password::parse(&raw);
        }

        #[test]
        fn an_accepted_new_password_is_10_to_128_nfc_characters(
            raw in prop_oneof![any_text(160), vietnamese(200)],
        ) {
            if let Ok(password) = NewPassword::parse(&raw, None) {
                let text = password.expose();
                let chars = text.chars().count();
                prop_assert!((MIN_CHARS..=MAX_CHARS).contains(&chars), "{} characters", chars);
                prop_assert!(is_nfc(text));
                prop_assert!(!text.chars().any(char::is_control));
                prop_assert_eq!(text, raw.nfc().collect::<String>());
                let again = NewPassword::parse(text, None).map(|p| p.0);
                prop_assert_eq!(again, Ok(text.to_owned()));
            } else {
                let chars = raw.nfc().count();
                let has_control = raw.chars().any(char::is_control);
                if (MIN_CHARS..=MAX_CHARS).contains(&chars) && !has_control {
                    // Refused for another rule: common, or one character repeated.
                    let err = NewPassword::parse(&raw, None).err();
                    prop_assert!(
                        matches!(err, Some(PasswordError::Common | PasswordError::OneCharacterRepeated)),
                        "{:?}", err
                    );
                }
            }
        }

        #[test]
        fn a_sign_in_password_is_1_to_128_nfc_characters(
            raw in prop_oneof![any_text(160), vietnamese(200)],
        ) {
            let chars = raw.nfc().count();
            match Password::parse(&raw) {
                Ok(password) => {
                    prop_assert!((1..=MAX_CHARS).contains(&password.expose().chars().count()));
                    prop_assert_eq!(password.expose(), raw.nfc().collect::<String>());
                }
                Err(PasswordError::TooShort { min: 1 }) => prop_assert_eq!(chars, 0),
                Err(PasswordError::TooLong { max: MAX_CHARS }) => prop_assert!(chars > MAX_CHARS),
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }

        #[test]
        fn nfd_and_nfc_forms_parse_the_same(raw in vietnamese(60)) {
            let nfc: String = raw.nfc().collect();
            let nfd: String = raw.nfd().collect();
            let a = NewPassword::parse(&nfc, None).map(|p| p.0);
            let b = NewPassword::parse(&nfd, None).map(|p| p.0);
            prop_assert_eq!(a, b);
        }
    }
}

//! The checksum of field 63: CRC-16/CCITT-FALSE, as EMVCo prescribes (ISO/IEC 13239,
//! polynomial 0x1021, initial value 0xFFFF), computed over the payload's bytes up to and
//! including the `6304` that introduces it. Bank apps refuse a code whose checksum is wrong.

/// CRC-16/CCITT-FALSE of `bytes`: polynomial 0x1021, initial value 0xFFFF, bits not reflected
/// in or out, no final XOR.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    const POLYNOMIAL: u16 = 0x1021;
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ POLYNOMIAL
            };
        }
    }
    crc
}

/// The checksum as field 63 writes it: four upper-case hexadecimal digits.
pub(crate) fn to_field(crc: u16) -> String {
    format!("{crc:04X}")
}

/// Reads field 63's value; `None` unless it is exactly four upper-case hexadecimal digits.
pub(crate) fn from_field(text: &str) -> Option<u16> {
    let well_formed = text.len() == 4
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if well_formed {
        u16::from_str_radix(text, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_catalogued_check_value() {
        // The check value of CRC-16/CCITT-FALSE in every CRC catalogue.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn nothing_leaves_the_initial_value() {
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn a_payload_published_by_another_implementation() {
        // A VietQR payload printed in the README of an independent generator (subiz/vietqr),
        // with its checksum C15C.
        let payload = "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA\
                       530370454061200005802VN62170813ung ho lu lut6304";
        assert_eq!(crc16_ccitt_false(payload.as_bytes()), 0xC15C);
    }

    #[test]
    fn field_values_are_four_upper_case_hex_digits() {
        assert_eq!(to_field(0x29B1), "29B1");
        assert_eq!(to_field(0x000A), "000A");
        assert_eq!(from_field("29B1"), Some(0x29B1));
        assert_eq!(from_field("000A"), Some(0x000A));
        assert_eq!(from_field("29b1"), None);
        assert_eq!(from_field("29B"), None);
        assert_eq!(from_field("29B10"), None);
        assert_eq!(from_field("+9B1"), None);
        assert_eq!(from_field("29G1"), None);
    }

    proptest! {
        // A non-reflected CRC without final XOR leaves no remainder once its own value is
        // appended, most significant byte first: a property of the arithmetic, not of this code.
        #[test]
        fn appending_the_crc_leaves_no_remainder(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let crc = crc16_ccitt_false(&bytes);
            let mut with_crc = bytes.clone();
            with_crc.extend_from_slice(&crc.to_be_bytes());
            prop_assert_eq!(crc16_ccitt_false(&with_crc), 0);
        }

        #[test]
        fn every_value_reads_back(crc in any::<u16>()) {
            prop_assert_eq!(from_field(&to_field(crc)), Some(crc));
        }

        #[test]
        fn a_changed_byte_changes_the_crc(
            bytes in proptest::collection::vec(any::<u8>(), 1..200),
            index in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let mut changed = bytes.clone();
            let at = index.index(changed.len());
            changed[at] ^= flip;
            prop_assert_ne!(crc16_ccitt_false(&bytes), crc16_ccitt_false(&changed));
        }
    }
}

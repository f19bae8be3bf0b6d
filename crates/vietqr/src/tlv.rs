//! The EMVCo data object: an ID of two digits, a length of two digits (01 to 99, counted in
//! characters), then the value. A template is a value that is itself a run of data objects.
//!
//! [`read_fields`] walks one level of a payload; [`crate::decode`] walks the templates it
//! knows. Reading never panics and never guesses: a field that runs past its end, a length
//! that is not two digits, an ID that is not two digits is an error that names the place.

use crate::error::DecodeError;
use std::ops::Range;

/// The largest length two decimal digits can state.
pub const MAX_VALUE_LENGTH: usize = 99;

/// One data object, borrowed from the payload it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvField<'a> {
    id: &'a str,
    value: &'a str,
    /// Byte offset of the value in the whole payload: where templates inside it start, and
    /// where the checksum's input ends.
    value_start: usize,
}

impl<'a> TlvField<'a> {
    /// The two-digit ID, for example `"38"`.
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// The value, without ID and length.
    pub fn value(&self) -> &'a str {
        self.value
    }

    pub(crate) fn value_range(&self) -> Range<usize> {
        self.value_start..self.value_start + self.value.len()
    }
}

/// Appends one data object to `out`.
///
/// Every value this crate writes is ASCII of 1 to 99 characters: the inputs are validated
/// types whose longest forms are summed and checked at compile time in `payload.rs`.
pub(crate) fn write(out: &mut String, id: &str, value: &str) {
    let length = value.chars().count();
    debug_assert!(
        id.len() == 2 && (1..=MAX_VALUE_LENGTH).contains(&length),
        "field {id} would be {length} characters long"
    );
    out.push_str(id);
    out.push_str(&format!("{length:02}"));
    out.push_str(value);
}

/// The data objects at the top level of `payload`, in order.
pub fn read_fields(payload: &str) -> Result<Vec<TlvField<'_>>, DecodeError> {
    read_fields_in(payload, 0..payload.len())
}

/// The data objects in `payload[range]`, a template's value. `range` must start and end on
/// character boundaries (it does when it is a field's [`TlvField::value_range`]); positions in
/// errors count characters from the start of the whole payload.
pub(crate) fn read_fields_in(
    payload: &str,
    range: Range<usize>,
) -> Result<Vec<TlvField<'_>>, DecodeError> {
    let mut fields = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let position = char_position(payload, at);
        let rest = payload
            .get(at..range.end)
            .ok_or(DecodeError::TruncatedHeader { position })?;
        // The header is four ASCII digits; a byte of a longer character is never one, so
        // checking bytes is enough, and slicing at `at + 2` and `at + 4` is then on boundaries.
        let [id_1, id_2, length_1, length_2, ..] = *rest.as_bytes() else {
            return Err(DecodeError::TruncatedHeader { position });
        };
        if !(id_1.is_ascii_digit() && id_2.is_ascii_digit()) {
            return Err(DecodeError::BadFieldId { position });
        }
        if !(length_1.is_ascii_digit() && length_2.is_ascii_digit()) {
            return Err(DecodeError::BadLength {
                position: position + 2,
            });
        }
        let id = rest.get(..2).ok_or(DecodeError::BadFieldId { position })?;
        let length = usize::from(length_1 - b'0') * 10 + usize::from(length_2 - b'0');
        if length == 0 {
            return Err(DecodeError::BadLength {
                position: position + 2,
            });
        }
        let value_start = at + 4;
        let rest = payload
            .get(value_start..range.end)
            .ok_or(DecodeError::TruncatedHeader { position })?;
        let value_end = match rest.char_indices().nth(length) {
            Some((offset, _)) => value_start + offset,
            None => {
                let available = rest.chars().count();
                if available != length {
                    return Err(DecodeError::TruncatedValue {
                        id: id.to_owned(),
                        position,
                        length,
                        available,
                    });
                }
                range.end
            }
        };
        let value = payload
            .get(value_start..value_end)
            .ok_or(DecodeError::TruncatedHeader { position })?;
        fields.push(TlvField {
            id,
            value,
            value_start,
        });
        at = value_end;
    }
    Ok(fields)
}

/// The character position, counted from 1, of the byte offset `at` (always a character
/// boundary here: the walk advances by whole characters).
fn char_position(payload: &str, at: usize) -> usize {
    payload
        .get(..at)
        .map_or(at, |before| before.chars().count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(payload: &str) -> Vec<(String, String)> {
        read_fields(payload)
            .expect("well-formed")
            .iter()
            .map(|f| (f.id().to_owned(), f.value().to_owned()))
            .collect()
    }

    #[test]
    fn writes_id_two_digit_length_value() {
        let mut out = String::new();
        write(&mut out, "00", "01");
        write(&mut out, "53", "704");
        write(&mut out, "00", "A000000727");
        assert_eq!(out, "00020153037040010A000000727");
    }

    #[test]
    fn reads_fields_in_order() {
        assert_eq!(
            pairs("000201010212"),
            vec![("00".into(), "01".into()), ("01".into(), "12".into())]
        );
    }

    #[test]
    fn reads_a_template_by_its_value_range() {
        let payload = "38140010A000000727";
        let root = read_fields(payload).expect("well-formed");
        let inner = read_fields_in(payload, root[0].value_range()).expect("well-formed");
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].id(), "00");
        assert_eq!(inner[0].value(), "A000000727");
    }

    #[test]
    fn lengths_count_characters() {
        // "Đà" is two characters and four bytes.
        assert_eq!(pairs("0802Đà"), vec![("08".into(), "Đà".into())]);
    }

    #[test]
    fn an_empty_run_has_no_fields() {
        assert_eq!(read_fields("").expect("empty is well-formed"), vec![]);
    }

    #[test]
    fn a_header_cut_short_is_refused() {
        assert_eq!(
            read_fields("000201010"),
            Err(DecodeError::TruncatedHeader { position: 7 })
        );
    }

    #[test]
    fn a_value_cut_short_is_refused() {
        assert_eq!(
            read_fields("00020153037"),
            Err(DecodeError::TruncatedValue {
                id: "53".into(),
                position: 7,
                length: 3,
                available: 1
            })
        );
    }

    #[test]
    fn a_value_may_not_run_out_of_its_template() {
        // The template 62 holds 4 characters, but its field 08 claims 5.
        let payload = "62040805ABCDE";
        let root = read_fields(payload);
        // At the top level the template's value is the 4 characters "0805" and the rest is
        // another field header "ABCD" that is not two digits.
        assert_eq!(root, Err(DecodeError::BadFieldId { position: 9 }));
        let inner = read_fields_in("62040805", 4..8);
        assert_eq!(
            inner,
            Err(DecodeError::TruncatedValue {
                id: "08".into(),
                position: 5,
                length: 5,
                available: 0
            })
        );
    }

    #[test]
    fn ids_and_lengths_are_two_digits() {
        assert_eq!(
            read_fields("A00201"),
            Err(DecodeError::BadFieldId { position: 1 })
        );
        assert_eq!(
            read_fields("00+101"),
            Err(DecodeError::BadLength { position: 3 })
        );
        assert_eq!(
            read_fields("00 101"),
            Err(DecodeError::BadLength { position: 3 })
        );
        assert_eq!(
            read_fields("0000"),
            Err(DecodeError::BadLength { position: 3 })
        );
        assert_eq!(
            read_fields("0đ01x"),
            Err(DecodeError::BadFieldId { position: 1 })
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,120}") {
            let _ = read_fields(&text);
        }

        #[test]
        fn written_fields_read_back(fields in proptest::collection::vec(("[0-9]{2}", "[ -~]{1,99}"), 0..6)) {
            let mut out = String::new();
            for (id, value) in &fields {
                write(&mut out, id, value);
            }
            let read: Vec<(String, String)> = read_fields(&out)
                .expect("written fields are well-formed")
                .iter()
                .map(|f| (f.id().to_owned(), f.value().to_owned()))
                .collect();
            prop_assert_eq!(read, fields);
        }
    }
}

//! A reader of PostgreSQL's binary COPY format (`COPY … TO STDOUT (FORMAT binary)`), for
//! scans where decoding rows through the driver costs more than the work done with them.
//!
//! The format: an 11-byte signature, a 32-bit flags word, a 32-bit header-extension length
//! and that many bytes; then tuples, each a 16-bit field count followed by, per field, a
//! 32-bit length (-1 for NULL) and that many bytes; then a 16-bit -1 as the trailer. All
//! integers are big-endian. The bytes may arrive cut anywhere, so an incomplete header or
//! tuple is kept until the next chunk completes it. Whatever the input, the reader returns
//! tuples or an error; it never panics.

use thiserror::Error;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Signature, flags, header-extension length.
const FIXED_HEADER: usize = SIGNATURE.len() + 4 + 4;
/// Bits 16–31 of the flags mark format changes a reader must not ignore (bit 16: OIDs
/// included); bits 0–15 may be ignored.
const CRITICAL_FLAGS: u32 = 0xffff_0000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum CopyError {
    #[error("the COPY data does not start with the binary COPY signature")]
    Signature,
    #[error("the COPY header sets flags this reader does not know ({0:#010x})")]
    Flags(u32),
    #[error("the COPY header declares a negative extension length ({0})")]
    HeaderExtension(i32),
    #[error("a COPY tuple has {found} fields where {expected} were expected")]
    FieldCount { expected: usize, found: i16 },
    #[error("a COPY field declares the invalid length {0}")]
    FieldLength(i32),
    #[error("the COPY data ends inside its header, a tuple or before its trailer")]
    Truncated,
    #[error("bytes follow the COPY trailer")]
    TrailingBytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Header,
    Tuples,
    Ended,
}

/// The fields of one tuple: `None` is SQL NULL.
pub(crate) type Fields<'a, const N: usize> = [Option<&'a [u8]>; N];

/// Reads tuples of exactly `N` fields from binary COPY data fed in chunks.
#[derive(Debug)]
pub(crate) struct CopyReader<const N: usize> {
    part: Part,
    /// The start of a header or tuple whose end has not arrived yet.
    carry: Vec<u8>,
}

impl<const N: usize> CopyReader<N> {
    pub(crate) fn new() -> CopyReader<N> {
        CopyReader {
            part: Part::Header,
            carry: Vec::new(),
        }
    }

    /// Reads the complete tuples that `chunk` (after what earlier chunks left incomplete)
    /// holds, handing each to `each` in order.
    pub(crate) fn feed<E: From<CopyError>>(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&Fields<'_, N>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.carry.is_empty() {
            // The usual case: the chunk starts at a tuple, and is read where it lies.
            let used = self.parse(chunk, &mut each)?;
            self.carry
                .extend_from_slice(chunk.get(used..).unwrap_or_default());
        } else {
            let mut bytes = std::mem::take(&mut self.carry);
            bytes.extend_from_slice(chunk);
            let used = self.parse(&bytes, &mut each)?;
            bytes.drain(..used.min(bytes.len()));
            self.carry = bytes;
        }
        Ok(())
    }

    /// Checks that the data ended with its trailer, nothing left over.
    pub(crate) fn finish(self) -> Result<(), CopyError> {
        if self.part == Part::Ended && self.carry.is_empty() {
            Ok(())
        } else {
            Err(CopyError::Truncated)
        }
    }

    /// Reads what is complete in `bytes`; returns how many bytes that was.
    fn parse<E: From<CopyError>>(
        &mut self,
        bytes: &[u8],
        each: &mut impl FnMut(&Fields<'_, N>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let mut at = 0;
        loop {
            match self.part {
                Part::Header => match header(bytes)? {
                    Some(len) => {
                        at = len;
                        self.part = Part::Tuples;
                    }
                    None => return Ok(at),
                },
                Part::Tuples => {
                    let Some(count) = be_i16(bytes, at) else {
                        return Ok(at);
                    };
                    if count == -1 {
                        at += 2;
                        self.part = Part::Ended;
                        continue;
                    }
                    if usize::try_from(count).ok() != Some(N) {
                        return Err(CopyError::FieldCount {
                            expected: N,
                            found: count,
                        }
                        .into());
                    }
                    match tuple::<N>(bytes, at + 2)? {
                        Some((fields, end)) => {
                            each(&fields)?;
                            at = end;
                        }
                        None => return Ok(at),
                    }
                }
                Part::Ended => {
                    if at < bytes.len() {
                        return Err(CopyError::TrailingBytes.into());
                    }
                    return Ok(at);
                }
            }
        }
    }
}

/// The header's length if `bytes` holds all of it.
fn header(bytes: &[u8]) -> Result<Option<usize>, CopyError> {
    // A wrong signature is refused as soon as its first bytes show it.
    let seen = bytes.len().min(SIGNATURE.len());
    if bytes.get(..seen) != SIGNATURE.get(..seen) {
        return Err(CopyError::Signature);
    }
    let (Some(flags), Some(extension)) = (
        be_u32(bytes, SIGNATURE.len()),
        be_i32(bytes, SIGNATURE.len() + 4),
    ) else {
        return Ok(None);
    };
    if flags & CRITICAL_FLAGS != 0 {
        return Err(CopyError::Flags(flags));
    }
    let extension =
        usize::try_from(extension).map_err(|_| CopyError::HeaderExtension(extension))?;
    let len = FIXED_HEADER + extension;
    Ok((bytes.len() >= len).then_some(len))
}

/// The `N` fields starting at `at`, and where the tuple ends, if `bytes` holds all of it.
fn tuple<const N: usize>(
    bytes: &[u8],
    mut at: usize,
) -> Result<Option<(Fields<'_, N>, usize)>, CopyError> {
    let mut fields: Fields<'_, N> = [None; N];
    for field in &mut fields {
        let Some(len) = be_i32(bytes, at) else {
            return Ok(None);
        };
        at += 4;
        if len == -1 {
            continue;
        }
        let len = usize::try_from(len).map_err(|_| CopyError::FieldLength(len))?;
        let Some(value) = at.checked_add(len).and_then(|end| bytes.get(at..end)) else {
            return Ok(None);
        };
        *field = Some(value);
        at += len;
    }
    Ok(Some((fields, at)))
}

fn be_bytes<const W: usize>(bytes: &[u8], at: usize) -> Option<[u8; W]> {
    bytes.get(at..at.checked_add(W)?)?.try_into().ok()
}

fn be_i16(bytes: &[u8], at: usize) -> Option<i16> {
    be_bytes(bytes, at).map(i16::from_be_bytes)
}

fn be_i32(bytes: &[u8], at: usize) -> Option<i32> {
    be_bytes(bytes, at).map(i32::from_be_bytes)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    be_bytes(bytes, at).map(u32::from_be_bytes)
}

/// A field of type `bigint` (`int8`): 8 bytes, big-endian.
pub(crate) fn int8(field: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(field).ok().map(i64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Binary COPY data of `tuples`, as PostgreSQL writes it.
    fn encode(tuples: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for tuple in tuples {
            out.extend_from_slice(&(tuple.len() as i16).to_be_bytes());
            for field in tuple {
                match field {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(value) => {
                        out.extend_from_slice(&(value.len() as i32).to_be_bytes());
                        out.extend_from_slice(value);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    type Owned = Vec<Option<Vec<u8>>>;

    /// Feeds `data` cut at `cuts` (positions, in any order) and collects the tuples.
    fn read<const N: usize>(data: &[u8], cuts: &[usize]) -> Result<Vec<Owned>, CopyError> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut reader = CopyReader::<N>::new();
        let mut tuples = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([data.len()]) {
            reader.feed(&data[start..end], |fields| {
                tuples.push(fields.iter().map(|f| f.map(<[u8]>::to_vec)).collect());
                Ok::<(), CopyError>(())
            })?;
            start = end;
        }
        reader.finish()?;
        Ok(tuples)
    }

    fn sample() -> Vec<Owned> {
        vec![
            vec![
                Some(7i64.to_be_bytes().to_vec()),
                Some(b"open".to_vec()),
                None,
            ],
            vec![
                Some(8i64.to_be_bytes().to_vec()),
                Some(Vec::new()),
                Some(vec![0; 32]),
            ],
        ]
    }

    #[test]
    fn tuples_come_out_as_written_with_nulls_and_empty_fields() {
        assert_eq!(read::<3>(&encode(&sample()), &[]).unwrap(), sample());
        assert_eq!(int8(&7i64.to_be_bytes()), Some(7));
        assert_eq!(int8(&[0; 4]), None);
    }

    #[test]
    fn data_cut_at_every_byte_reads_the_same() {
        let data = encode(&sample());
        let every: Vec<usize> = (0..=data.len()).collect();
        assert_eq!(read::<3>(&data, &every).unwrap(), sample());
    }

    #[test]
    fn an_empty_table_is_a_header_and_a_trailer() {
        assert_eq!(read::<3>(&encode(&[]), &[]).unwrap(), Vec::<Owned>::new());
    }

    #[test]
    fn a_header_extension_is_skipped() {
        let mut data = SIGNATURE.to_vec();
        data.extend_from_slice(&(1u32 << 3).to_be_bytes()); // a bit readers may ignore
        data.extend_from_slice(&3i32.to_be_bytes());
        data.extend_from_slice(b"ext");
        data.extend_from_slice(&encode(&sample())[FIXED_HEADER..]);
        assert_eq!(read::<3>(&data, &[12, 20]).unwrap(), sample());
    }

    #[test]
    fn malformed_data_is_refused_with_what_is_wrong() {
        let good = encode(&sample());
        let mut bad_signature = good.clone();
        bad_signature[0] = b'X';
        assert_eq!(read::<3>(&bad_signature, &[]), Err(CopyError::Signature));
        assert_eq!(read::<3>(b"PGX", &[]), Err(CopyError::Signature));

        let mut oids = good.clone();
        oids[SIGNATURE.len()..SIGNATURE.len() + 4].copy_from_slice(&(1u32 << 16).to_be_bytes());
        assert_eq!(read::<3>(&oids, &[]), Err(CopyError::Flags(1 << 16)));

        let mut negative_extension = good.clone();
        negative_extension[SIGNATURE.len() + 4..FIXED_HEADER]
            .copy_from_slice(&(-2i32).to_be_bytes());
        assert_eq!(
            read::<3>(&negative_extension, &[]),
            Err(CopyError::HeaderExtension(-2))
        );

        assert_eq!(
            read::<4>(&good, &[]),
            Err(CopyError::FieldCount {
                expected: 4,
                found: 3
            })
        );

        let mut negative_length = good.clone();
        negative_length[FIXED_HEADER + 2..FIXED_HEADER + 6].copy_from_slice(&(-5i32).to_be_bytes());
        assert_eq!(
            read::<3>(&negative_length, &[]),
            Err(CopyError::FieldLength(-5))
        );

        assert_eq!(
            read::<3>(&good[..good.len() - 2], &[]),
            Err(CopyError::Truncated)
        );
        assert_eq!(
            read::<3>(&good[..good.len() - 7], &[5]),
            Err(CopyError::Truncated)
        );
        assert_eq!(read::<3>(&good[..4], &[]), Err(CopyError::Truncated));

        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(read::<3>(&trailing, &[]), Err(CopyError::TrailingBytes));
    }

    #[test]
    fn an_error_from_the_consumer_stops_the_reading() {
        let mut reader = CopyReader::<3>::new();
        let mut seen = 0;
        let result = reader.feed(&encode(&sample()), |_| {
            seen += 1;
            Err(CopyError::TrailingBytes)
        });
        assert_eq!((result, seen), (Err(CopyError::TrailingBytes), 1));
    }

    fn field() -> impl Strategy<Value = Option<Vec<u8>>> {
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..12))
    }

    proptest! {
        #[test]
        fn any_tuples_cut_anywhere_read_back(
            tuples in proptest::collection::vec(proptest::collection::vec(field(), 2), 0..8),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            prop_assert_eq!(read::<2>(&encode(&tuples), &cuts).unwrap(), tuples);
        }

        #[test]
        fn arbitrary_bytes_give_tuples_or_an_error_never_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            let _ = read::<2>(&bytes, &cuts);
        }

        #[test]
        fn valid_data_with_a_byte_changed_or_cut_gives_tuples_or_an_error_never_a_panic(
            tuples in proptest::collection::vec(proptest::collection::vec(field(), 2), 0..5),
            at in any::<usize>(),
            byte in any::<u8>(),
            cut in any::<usize>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            let mut data = encode(&tuples);
            let at = at % data.len();
            data[at] = byte;
            let _ = read::<2>(&data, &cuts);
            data.truncate(cut % (data.len() + 1));
            let _ = read::<2>(&data, &cuts);
        }
    }
}

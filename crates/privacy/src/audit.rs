//! The audit log: append-only and chained under a key the database does not hold.
//!
//! Each entry's link is a MAC (HMAC-SHA-256 under the key file's audit key) over its own
//! content and the previous entry's link, so editing, deleting, inserting or reordering any
//! entry breaks the chain from that point on, and whoever can only write the database cannot
//! recompute it. Entries are written in the same transaction as the change they record.
//!
//! The entry format is versioned: format 1 (unkeyed SHA-256) is what the shop wrote before it
//! had an audit key; such entries still verify, but only among the first
//! [`AuditKey::unkeyed`] entries, so a forger cannot fall back to the unkeyed format. Every
//! new entry is format 2 (keyed).
//!
//! A cut tail with a rewritten head row is only provable against a head recorded outside the
//! shop: [`Anchor`] is what `hanjinbi audit head` prints and `audit verify --expect` checks.

use crate::keys::Key;
use hanjinbi_store::audit::{self, AuditRow};
use hanjinbi_store::{Db, StoreError, WriteTx};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Seal,
    Open,
    Deny,
    Consent,
    Share,
    Erase,
    PolicyChange,
    StaffAction,
    KeyRotation,
}

impl AuditAction {
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Seal => "seal",
            AuditAction::Open => "open",
            AuditAction::Deny => "deny",
            AuditAction::Consent => "consent",
            AuditAction::Share => "share",
            AuditAction::Erase => "erase",
            AuditAction::PolicyChange => "policy_change",
            AuditAction::StaffAction => "staff_action",
            AuditAction::KeyRotation => "key_rotation",
        }
    }
}

/// An event to record. `actor` is the role; who acted is named by the batch that records
/// it. `subject` is an identifier (a buyer or order id), never a personal value; `fields`
/// names the fields concerned, never their values.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub purpose: &'a str,
    pub action: AuditAction,
    pub subject: &'a str,
    pub fields: &'a [&'a str],
}

pub const GENESIS: [u8; 32] = [0; 32];
/// Entries written before the audit key existed: unkeyed SHA-256.
pub const FORMAT_UNKEYED: i64 = 1;
/// HMAC-SHA-256 under the audit key.
pub const FORMAT_KEYED: i64 = 2;

/// Feeds a length-prefixed encoding of the entry, so no two different entries share one.
fn encode(prev: &[u8], row: &AuditRow, mut part: impl FnMut(&[u8])) {
    part(prev);
    part(&row.seq.to_le_bytes());
    part(&row.at.to_le_bytes());
    part(row.actor.as_bytes());
    part(row.purpose.as_bytes());
    part(row.action.as_bytes());
    part(row.subject.as_bytes());
    part(row.fields.as_bytes());
}

/// The format-1 link: SHA-256, no key. Only for verifying entries written before the key.
pub fn entry_hash(prev: &[u8], row: &AuditRow) -> [u8; 32] {
    let mut h = Sha256::new();
    encode(prev, row, |bytes| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    });
    h.finalize().into()
}

/// The audit chain's key, and how many entries were written before it existed. Never
/// printed.
#[derive(Clone)]
pub struct AuditKey {
    mac: Hmac<Sha256>,
    unkeyed: i64,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(<secret>, unkeyed: {})", self.unkeyed)
    }
}

impl AuditKey {
    pub fn new(key: &Key, unkeyed: i64) -> AuditKey {
        let Ok(mac) = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()) else {
            unreachable!("HMAC takes keys of any length")
        };
        AuditKey { mac, unkeyed }
    }

    /// Entries at the start of the log that may be unkeyed (format 1).
    pub fn unkeyed(&self) -> i64 {
        self.unkeyed
    }

    /// The format-2 link: HMAC-SHA-256 over the format, who acted and the format-1 encoding.
    pub fn entry_mac(&self, prev: &[u8], row: &AuditRow) -> [u8; 32] {
        let mut mac = self.mac.clone();
        let mut part = |bytes: &[u8]| {
            mac.update(&(bytes.len() as u64).to_le_bytes());
            mac.update(bytes);
        };
        part(&FORMAT_KEYED.to_le_bytes());
        part(row.who.as_bytes());
        encode(prev, row, part);
        mac.finalize().into_bytes().into()
    }
}

#[derive(Debug, Error)]
pub enum AuditError {
    #[error("the audit log is broken at entry {seq}: {reason}")]
    Broken { seq: i64, reason: BreakReason },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BreakReason {
    #[error("its content does not match its MAC (edited, or forged without the audit key)")]
    Edited,
    #[error("it does not follow the entry before it (deleted, inserted or reordered)")]
    Unlinked,
    #[error("entries are missing before it (deleted)")]
    Missing,
    #[error("the newest entries are missing (the log was cut short)")]
    Truncated,
    #[error("it is unkeyed although the log was already keyed when it was written (forged)")]
    Unkeyed,
    #[error("its format is unknown")]
    UnknownFormat,
    #[error("the log ends before the head recorded outside the shop (its tail was cut)")]
    ShorterThanAnchor,
    #[error("it differs from the head recorded outside the shop (the log was rewritten)")]
    NotTheAnchor,
}

/// A head recorded outside the shop: the number of entries and the newest link, written
/// `COUNT:HEX` (what `hanjinbi audit head` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub count: i64,
    pub hash: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a head is written COUNT:HEX, as `hanjinbi audit head` prints it (for example 42:9f3a…, 64 hex digits)")]
pub struct BadAnchor;

impl std::str::FromStr for Anchor {
    type Err = BadAnchor;

    fn from_str(text: &str) -> Result<Anchor, BadAnchor> {
        let (count, hex) = text.trim().split_once(':').ok_or(BadAnchor)?;
        let count: i64 = count.parse().map_err(|_| BadAnchor)?;
        if count < 0 || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadAnchor);
        }
        let hash = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| BadAnchor))
            .collect::<Result<Vec<u8>, BadAnchor>>()?;
        Ok(Anchor { count, hash })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.count)?;
        for b in &self.hash {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Appends one entry by `who` inside `tx`. Returns its sequence number.
pub async fn append(
    tx: &mut WriteTx,
    key: &AuditKey,
    who: &str,
    event: AuditEvent<'_>,
) -> Result<i64, AuditError> {
    let mut batch = AuditBatch::new(who);
    batch.record(event);
    batch.write(tx, key).await
}

/// Entries gathered while a transaction does its work and written, numbered and chained, just
/// before it commits: three statements however many entries, and the head row is locked
/// only for the end of the transaction, so concurrent transactions wait on each other less.
#[derive(Debug, Clone)]
pub struct AuditBatch {
    who: String,
    rows: Vec<AuditRow>,
}

impl AuditBatch {
    /// A batch of what `who` did: a stable identifier of the principal (`order:HJ…`,
    /// `cart:…`, `system:<job>`), never a personal value.
    pub fn new(who: impl Into<String>) -> AuditBatch {
        AuditBatch {
            who: who.into(),
            rows: Vec::new(),
        }
    }

    /// Records an event by the batch's principal.
    pub fn record(&mut self, event: AuditEvent<'_>) {
        let who = self.who.clone();
        self.record_as(&who, event);
    }

    /// Records an event by another principal (batches that gather many principals' events).
    pub fn record_as(&mut self, who: &str, event: AuditEvent<'_>) {
        self.rows.push(AuditRow {
            seq: 0,
            format: FORMAT_KEYED,
            at: event.at,
            who: who.to_owned(),
            actor: event.actor.to_owned(),
            purpose: event.purpose.to_owned(),
            action: event.action.code().to_owned(),
            subject: event.subject.to_owned(),
            fields: event.fields.join(","),
            prev_hash: Vec::new(),
            hash: Vec::new(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Moves the entries of `other` to the end of this batch.
    pub fn extend(&mut self, other: AuditBatch) {
        self.rows.extend(other.rows);
    }

    /// Writes the entries in `tx`, keyed. Returns the last sequence number (0 when empty).
    pub async fn write(mut self, tx: &mut WriteTx, key: &AuditKey) -> Result<i64, AuditError> {
        if self.rows.is_empty() {
            return Ok(0);
        }
        let count = self.rows.len() as i64;
        let (last, mut prev) = audit::claim(tx, count).await?;
        for (seq, row) in (last - count + 1..).zip(self.rows.iter_mut()) {
            row.seq = seq;
            row.prev_hash = prev;
            row.hash = key.entry_mac(&row.prev_hash, row).to_vec();
            prev = row.hash.clone();
        }
        audit::insert(tx, &self.rows).await?;
        Ok(last)
    }
}

/// Checks entries one by one, in order.
#[derive(Debug)]
pub struct Verifier {
    key: AuditKey,
    anchor: Option<Anchor>,
    expected_seq: i64,
    prev: Vec<u8>,
    unkeyed_seen: i64,
}

impl Verifier {
    pub fn new(key: AuditKey) -> Verifier {
        Verifier {
            key,
            anchor: None,
            expected_seq: 1,
            prev: GENESIS.to_vec(),
            unkeyed_seen: 0,
        }
    }

    /// Also checks the chain against a head recorded outside the shop: the anchored entry
    /// must still be there, unchanged.
    pub fn with_anchor(mut self, anchor: Anchor) -> Verifier {
        self.anchor = Some(anchor);
        self
    }

    pub fn check(&mut self, row: &AuditRow) -> Result<(), AuditError> {
        let broken = |reason| AuditError::Broken {
            seq: row.seq,
            reason,
        };
        if row.seq != self.expected_seq {
            return Err(broken(if row.seq > self.expected_seq {
                BreakReason::Missing
            } else {
                BreakReason::Unlinked
            }));
        }
        let link = match row.format {
            FORMAT_KEYED => self.key.entry_mac(&row.prev_hash, row),
            FORMAT_UNKEYED if row.seq <= self.key.unkeyed => {
                self.unkeyed_seen += 1;
                entry_hash(&row.prev_hash, row)
            }
            FORMAT_UNKEYED => return Err(broken(BreakReason::Unkeyed)),
            _ => return Err(broken(BreakReason::UnknownFormat)),
        };
        if link.as_slice() != row.hash.as_slice() {
            return Err(broken(BreakReason::Edited));
        }
        if row.prev_hash != self.prev {
            return Err(broken(BreakReason::Unlinked));
        }
        if let Some(anchor) = &self.anchor {
            if anchor.count == row.seq && anchor.hash != row.hash {
                return Err(broken(BreakReason::NotTheAnchor));
            }
        }
        self.expected_seq += 1;
        self.prev.clone_from(&row.hash);
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    /// Compares the end of the chain with the recorded head row and with the anchor.
    pub fn finish(self, head_seq: i64, head_hash: &[u8]) -> Result<Verified, AuditError> {
        if let Some(anchor) = &self.anchor {
            if anchor.count > self.count() {
                return Err(AuditError::Broken {
                    seq: self.count() + 1,
                    reason: BreakReason::ShorterThanAnchor,
                });
            }
            if anchor.count == 0 && anchor.hash != GENESIS {
                return Err(AuditError::Broken {
                    seq: 0,
                    reason: BreakReason::NotTheAnchor,
                });
            }
        }
        if head_seq != self.count() || head_hash != self.prev.as_slice() {
            return Err(AuditError::Broken {
                seq: self.count() + 1,
                reason: BreakReason::Truncated,
            });
        }
        Ok(Verified {
            count: self.count(),
            unkeyed: self.unkeyed_seen,
            head: self.prev,
        })
    }
}

/// A chain that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub count: i64,
    /// Entries of format 1, from before the audit key.
    pub unkeyed: i64,
    pub head: Vec<u8>,
}

impl Verified {
    /// The head to record outside the shop.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            count: self.count,
            hash: self.head.clone(),
        }
    }
}

/// Verifies the whole log against the head row and, when given, a head recorded elsewhere.
pub async fn verify(
    db: &Db,
    key: AuditKey,
    anchor: Option<Anchor>,
) -> Result<Verified, AuditError> {
    use futures_util::StreamExt;
    let (head_seq, head_hash) = audit::head(db).await?;
    let mut verifier = Verifier::new(key);
    if let Some(anchor) = anchor {
        verifier = verifier.with_anchor(anchor);
    }
    let mut rows = audit::all(db);
    while let Some(row) = rows.next().await {
        verifier.check(&row?)?;
    }
    verifier.finish(head_seq, &head_hash)
}

/// The head row, for anchoring: entry count and newest link. Verify before trusting it.
pub async fn head(db: &Db) -> Result<Anchor, AuditError> {
    let (count, hash) = audit::head(db).await?;
    Ok(Anchor { count, hash })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::new(&Key::from_bytes([7; 32]), 0)
    }

    fn row(seq: i64, format: i64) -> AuditRow {
        AuditRow {
            seq,
            format,
            at: 1_700_000_000 + seq,
            who: format!("order:HJ{seq:010}"),
            actor: "buyer".into(),
            purpose: "order_fulfilment".into(),
            action: "open".into(),
            subject: format!("b{seq}"),
            fields: "ship_to".into(),
            prev_hash: Vec::new(),
            hash: Vec::new(),
        }
    }

    /// Links `rows` in place as a writer holding `key` would, from `prev`.
    fn relink(rows: &mut [AuditRow], key: &AuditKey, mut prev: Vec<u8>) {
        for row in rows {
            row.prev_hash = prev;
            row.hash = match row.format {
                FORMAT_UNKEYED => entry_hash(&row.prev_hash, row).to_vec(),
                _ => key.entry_mac(&row.prev_hash, row).to_vec(),
            };
            prev = row.hash.clone();
        }
    }

    fn chain(n: i64, key: &AuditKey) -> Vec<AuditRow> {
        let mut rows: Vec<AuditRow> = (1..=n).map(|seq| row(seq, FORMAT_KEYED)).collect();
        relink(&mut rows, key, GENESIS.to_vec());
        rows
    }

    fn head_of(rows: &[AuditRow]) -> (i64, Vec<u8>) {
        rows.last()
            .map_or((0, GENESIS.to_vec()), |r| (r.seq, r.hash.clone()))
    }

    fn verify_rows(
        rows: &[AuditRow],
        key: &AuditKey,
        anchor: Option<Anchor>,
    ) -> Result<Verified, AuditError> {
        let mut v = Verifier::new(key.clone());
        if let Some(anchor) = anchor {
            v = v.with_anchor(anchor);
        }
        for row in rows {
            v.check(row)?;
        }
        let (seq, hash) = head_of(rows);
        v.finish(seq, &hash)
    }

    fn broken_at(result: Result<Verified, AuditError>) -> (i64, BreakReason) {
        match result {
            Err(AuditError::Broken { seq, reason }) => (seq, reason),
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    /// A key the forger does not have: whatever they compute with it is not our MAC.
    fn forger() -> AuditKey {
        AuditKey::new(&Key::from_bytes([9; 32]), 0)
    }

    #[test]
    fn an_untouched_keyed_chain_verifies() {
        let rows = chain(5, &key());
        let verified = verify_rows(&rows, &key(), None).unwrap();
        assert_eq!((verified.count, verified.unkeyed), (5, 0));
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut rows = chain(6, &key());
        rows[2].who = "system:someone-else".into();
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (3, BreakReason::Edited)
        );
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut rows = chain(6, &key());
        rows.remove(3);
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (5, BreakReason::Missing)
        );
    }

    #[test]
    fn an_inserted_entry_is_found() {
        let mut rows = chain(6, &key());
        let mut extra = rows[1].clone();
        extra.subject = "forged".into();
        rows.insert(2, extra);
        for (i, row) in rows.iter_mut().enumerate() {
            row.seq = i as i64 + 1;
        }
        assert_eq!(broken_at(verify_rows(&rows, &key(), None)).0, 3);
    }

    #[test]
    fn reordered_entries_are_found() {
        let mut rows = chain(6, &key());
        rows.swap(1, 2);
        assert_eq!(broken_at(verify_rows(&rows, &key(), None)).0, 3);
        let mut renumbered = chain(6, &key());
        renumbered.swap(1, 2);
        renumbered[1].seq = 2;
        renumbered[2].seq = 3;
        assert_eq!(
            broken_at(verify_rows(&renumbered, &key(), None)),
            (2, BreakReason::Edited)
        );
    }

    #[test]
    fn a_chain_recomputed_after_an_edit_without_the_key_is_found() {
        let mut rows = chain(6, &key());
        rows[2].subject = "someone-else".into();
        let forged = forger();
        relink(&mut rows, &forged, GENESIS.to_vec());
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (1, BreakReason::Edited)
        );
    }

    #[test]
    fn a_chain_recomputed_in_the_unkeyed_format_is_found() {
        let mut rows = chain(6, &key());
        rows[2].subject = "someone-else".into();
        for row in &mut rows {
            row.format = FORMAT_UNKEYED;
        }
        relink(&mut rows, &key(), GENESIS.to_vec());
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (1, BreakReason::Unkeyed)
        );
    }

    #[test]
    fn an_appended_forged_entry_is_found() {
        let mut rows = chain(4, &key());
        let prev = rows[3].hash.clone();
        let mut forged = vec![row(5, FORMAT_KEYED)];
        relink(&mut forged, &forger(), prev.clone());
        rows.extend(forged);
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (5, BreakReason::Edited)
        );
        rows.pop();
        let mut unkeyed = vec![row(5, FORMAT_UNKEYED)];
        relink(&mut unkeyed, &key(), prev);
        rows.extend(unkeyed);
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (5, BreakReason::Unkeyed)
        );
    }

    #[test]
    fn a_cut_tail_with_a_rewritten_head_row_passes_alone_but_not_against_the_anchor() {
        let rows = chain(6, &key());
        let anchor = Anchor {
            count: 6,
            hash: rows[5].hash.clone(),
        };
        let cut = &rows[..4];
        assert_eq!(verify_rows(cut, &key(), None).unwrap().count, 4);
        assert_eq!(
            broken_at(verify_rows(cut, &key(), Some(anchor.clone()))),
            (5, BreakReason::ShorterThanAnchor)
        );
        assert_eq!(verify_rows(&rows, &key(), Some(anchor)).unwrap().count, 6);
    }

    #[test]
    fn a_chain_that_grew_after_its_anchor_verifies_and_a_rewritten_anchor_entry_does_not() {
        let rows = chain(6, &key());
        let anchor = Anchor {
            count: 3,
            hash: rows[2].hash.clone(),
        };
        assert_eq!(
            verify_rows(&rows, &key(), Some(anchor.clone()))
                .unwrap()
                .count,
            6
        );
        let other = chain(6, &key())
            .into_iter()
            .map(|mut r| {
                r.at += 1;
                r
            })
            .collect::<Vec<_>>();
        let mut other = other;
        relink(&mut other, &key(), GENESIS.to_vec());
        assert_eq!(
            broken_at(verify_rows(&other, &key(), Some(anchor))),
            (3, BreakReason::NotTheAnchor)
        );
    }

    #[test]
    fn unkeyed_entries_from_before_the_key_still_verify_and_keyed_ones_follow() {
        let legacy = AuditKey::new(&Key::from_bytes([7; 32]), 3);
        let mut rows: Vec<AuditRow> = (1..=5)
            .map(|seq| {
                row(
                    seq,
                    if seq <= 3 {
                        FORMAT_UNKEYED
                    } else {
                        FORMAT_KEYED
                    },
                )
            })
            .collect();
        relink(&mut rows, &legacy, GENESIS.to_vec());
        let verified = verify_rows(&rows, &legacy, None).unwrap();
        assert_eq!((verified.count, verified.unkeyed), (5, 3));
        rows[1].actor = "owner".into();
        assert_eq!(
            broken_at(verify_rows(&rows, &legacy, None)),
            (2, BreakReason::Edited)
        );
    }

    #[test]
    fn an_unknown_format_is_refused() {
        let mut rows = chain(2, &key());
        rows[1].format = 3;
        assert_eq!(
            broken_at(verify_rows(&rows, &key(), None)),
            (2, BreakReason::UnknownFormat)
        );
    }

    #[test]
    fn anchors_print_and_parse_back_and_bad_ones_are_refused() {
        let anchor = Anchor {
            count: 42,
            hash: (0..32).collect(),
        };
        let text = anchor.to_string();
        assert!(text.starts_with("42:000102"));
        assert_eq!(text.parse::<Anchor>(), Ok(anchor));
        for bad in [
            "",
            "42",
            "x:00",
            "-1:00",
            "42:zz",
            &format!("42:{}", "0".repeat(63)),
        ] {
            assert_eq!(bad.parse::<Anchor>(), Err(BadAnchor), "{bad}");
        }
    }

    #[test]
    fn the_key_never_prints() {
        assert_eq!(format!("{:?}", key()), "AuditKey(<secret>, unkeyed: 0)");
    }
}

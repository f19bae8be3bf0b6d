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
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
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
    #[error("audit verification was stopped before it finished (the program is shutting down)")]
    Interrupted,
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

/// Checks one entry, the `expected_seq`th of the log, that follows an entry whose link is
/// `prev`. Returns whether it is unkeyed (format 1).
fn check_entry(
    key: &AuditKey,
    anchor: Option<&Anchor>,
    expected_seq: i64,
    prev: &[u8],
    row: &AuditRow,
) -> Result<bool, AuditError> {
    let broken = |reason| AuditError::Broken {
        seq: row.seq,
        reason,
    };
    if row.seq != expected_seq {
        return Err(broken(if row.seq > expected_seq {
            BreakReason::Missing
        } else {
            BreakReason::Unlinked
        }));
    }
    let (link, unkeyed) = match row.format {
        FORMAT_KEYED => (key.entry_mac(&row.prev_hash, row), false),
        FORMAT_UNKEYED if row.seq <= key.unkeyed => (entry_hash(&row.prev_hash, row), true),
        FORMAT_UNKEYED => return Err(broken(BreakReason::Unkeyed)),
        _ => return Err(broken(BreakReason::UnknownFormat)),
    };
    if link.as_slice() != row.hash.as_slice() {
        return Err(broken(BreakReason::Edited));
    }
    if row.prev_hash != prev {
        return Err(broken(BreakReason::Unlinked));
    }
    if let Some(anchor) = anchor {
        if anchor.count == row.seq && anchor.hash != row.hash {
            return Err(broken(BreakReason::NotTheAnchor));
        }
    }
    Ok(unkeyed)
}

/// Checks consecutive entries, the first being the `first_seq`th of the log and following
/// an entry whose link is `prev`. Returns how many were unkeyed.
fn check_run<'a>(
    key: &AuditKey,
    anchor: Option<&Anchor>,
    first_seq: i64,
    mut prev: &'a [u8],
    rows: &'a [AuditRow],
) -> Result<i64, AuditError> {
    let mut unkeyed = 0;
    for (expected_seq, row) in (first_seq..).zip(rows) {
        unkeyed += i64::from(check_entry(key, anchor, expected_seq, prev, row)?);
        prev = &row.hash;
    }
    Ok(unkeyed)
}

/// A batch handed to a checking thread, with what it needs to check its first entry.
struct Job {
    first_seq: i64,
    prev: Vec<u8>,
    rows: Vec<AuditRow>,
    verdict: mpsc::SyncSender<Result<i64, AuditError>>,
}

/// The verdict on a batch, waited for.
fn settle(verdict: mpsc::Receiver<Result<i64, AuditError>>) -> Result<i64, AuditError> {
    verdict.recv().unwrap_or_else(|_| checker_panicked())
}

/// A checking thread is gone without a verdict: it panicked, and `std::thread::scope`
/// re-raises that panic once every thread has ended; this thread unwinds to let it.
fn checker_panicked() -> ! {
    panic!("an audit checking thread panicked")
}

/// Checks entries in order, one at a time or in batches.
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

    /// Checks the next entry.
    pub fn check(&mut self, row: &AuditRow) -> Result<(), AuditError> {
        let unkeyed = check_entry(
            &self.key,
            self.anchor.as_ref(),
            self.expected_seq,
            &self.prev,
            row,
        )?;
        self.unkeyed_seen += i64::from(unkeyed);
        self.expected_seq += 1;
        self.prev.clone_from(&row.hash);
        Ok(())
    }

    /// Checks the next entries, arriving in batches of consecutive entries, with the verdict
    /// [`Verifier::check`] would give one entry at a time: the first entry that does not
    /// check out, or the first error of `batches`, whichever comes first in the log.
    ///
    /// An entry's MAC depends only on its own fields and its stored link to the entry
    /// before, so batches are checked on as many threads as the machine has cores while the
    /// next batches are still being read; only their verdicts are taken in order. Each
    /// batch, once checked, goes to `recycle` (the reader's
    /// [`Recycler`](hanjinbi_store::audit::Recycler), or `drop`). Blocks; call it off the
    /// async runtime.
    pub fn check_batches<I, R>(&mut self, batches: I, recycle: R) -> Result<(), AuditError>
    where
        I: IntoIterator<Item = Result<Vec<AuditRow>, StoreError>>,
        R: Fn(Vec<AuditRow>) + Sync,
    {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        self.check_batches_on(batches, &recycle, threads)
    }

    fn check_batches_on<I, R>(
        &mut self,
        batches: I,
        recycle: &R,
        threads: usize,
    ) -> Result<(), AuditError>
    where
        I: IntoIterator<Item = Result<Vec<AuditRow>, StoreError>>,
        R: Fn(Vec<AuditRow>) + Sync,
    {
        let threads = threads.max(1);
        // Enough batches ahead that no thread waits for the one whose verdict is next.
        let in_flight = 2 * threads + 2;
        let stop = AtomicBool::new(false);
        let (key, anchor) = (&self.key, self.anchor.as_ref());
        let mut next_seq = self.expected_seq;
        let mut prev = self.prev.clone();
        let mut unkeyed = 0;
        let (jobs, queue) = mpsc::sync_channel::<Job>(in_flight);
        let queue = Mutex::new(queue);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    // A poisoned lock means another checker panicked; the scope re-raises it.
                    let Ok(job) = queue
                        .lock()
                        .map_err(drop)
                        .and_then(|q| q.recv().map_err(drop))
                    else {
                        break;
                    };
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let verdict = check_run(key, anchor, job.first_seq, &job.prev, &job.rows);
                    recycle(job.rows);
                    let _ = job.verdict.send(verdict);
                });
            }
            let mut pending = VecDeque::new();
            let result = (|| {
                for batch in batches {
                    let rows = match batch {
                        Ok(rows) => rows,
                        Err(error) => {
                            // Entries read before the error come first in the log.
                            while let Some(verdict) = pending.pop_front() {
                                unkeyed += settle(verdict)?;
                            }
                            return Err(AuditError::Store(error));
                        }
                    };
                    let Some(last) = rows.last() else {
                        continue;
                    };
                    let count = rows.len() as i64;
                    let (verdict, verdict_rx) = mpsc::sync_channel(1);
                    let job = Job {
                        first_seq: next_seq,
                        prev: std::mem::replace(&mut prev, last.hash.clone()),
                        rows,
                        verdict,
                    };
                    if jobs.send(job).is_err() {
                        checker_panicked();
                    }
                    next_seq += count;
                    pending.push_back(verdict_rx);
                    while pending.len() > in_flight {
                        if let Some(verdict) = pending.pop_front() {
                            unkeyed += settle(verdict)?;
                        }
                    }
                }
                while let Some(verdict) = pending.pop_front() {
                    unkeyed += settle(verdict)?;
                }
                Ok(())
            })();
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            drop(jobs);
            result
        })?;
        self.expected_seq = next_seq;
        self.prev = prev;
        self.unkeyed_seen += unkeyed;
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
    let mut scan = audit::scan(db).await?;
    let recycler = scan.recycler();
    let (head_seq, head_hash) = {
        let (seq, hash) = scan.head();
        (seq, hash.to_vec())
    };
    let mut verifier = Verifier::new(key);
    if let Some(anchor) = anchor {
        verifier = verifier.with_anchor(anchor);
    }
    // Checking MACs is a million entries' worth of CPU work: off the runtime's threads.
    let checked = tokio::task::spawn_blocking(move || {
        verifier
            .check_batches(std::iter::from_fn(|| scan.blocking_next()), |batch| {
                recycler.recycle(batch)
            })
            .map(|()| verifier)
    })
    .await;
    let verifier = match checked {
        Ok(result) => result?,
        Err(stopped) => match stopped.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => return Err(AuditError::Interrupted),
        },
    };
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

    /// The verdict of checking `rows` cut into batches of `size` on `threads` threads.
    fn verify_batched(
        rows: &[AuditRow],
        key: &AuditKey,
        anchor: Option<Anchor>,
        size: usize,
        threads: usize,
    ) -> Result<Verified, AuditError> {
        let mut v = Verifier::new(key.clone());
        if let Some(anchor) = anchor {
            v = v.with_anchor(anchor);
        }
        let batches = rows.chunks(size).map(|batch| Ok(batch.to_vec()));
        v.check_batches_on(batches, &drop, threads)?;
        let (seq, hash) = head_of(rows);
        v.finish(seq, &hash)
    }

    /// A log of `n` entries broken at entry `at` in the way `damage` names.
    fn damaged(n: i64, at: usize, damage: u8) -> Vec<AuditRow> {
        let mut rows = chain(n, &key());
        match damage % 5 {
            0 => rows[at].subject.push('!'),
            1 => {
                rows.remove(at);
            }
            2 => {
                let next = (at + 1) % rows.len();
                rows.swap(at, next);
            }
            3 => rows[at].format = FORMAT_UNKEYED,
            _ => rows[at].prev_hash[0] ^= 1,
        }
        rows
    }

    #[test]
    fn batches_give_the_verdict_of_one_entry_at_a_time_wherever_the_break_falls() {
        let n = 12;
        for at in 0..n as usize {
            for damage in 0..5 {
                let rows = damaged(n, at, damage);
                let one_by_one = format!("{:?}", verify_rows(&rows, &key(), None));
                for size in [1, 2, 3, 4, 5, 11, 12, 13] {
                    for threads in [1, 2, 3] {
                        assert_eq!(
                            format!("{:?}", verify_batched(&rows, &key(), None, size, threads)),
                            one_by_one,
                            "entry {} damaged ({damage}), batches of {size}, {threads} threads",
                            at + 1
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_break_in_the_middle_at_either_side_of_a_boundary_or_at_the_end_of_batches_is_found() {
        let batch = 4;
        for seq in [2, 4, 5, 12] {
            let mut rows = chain(12, &key());
            rows[seq - 1].fields = "email".into();
            assert_eq!(
                broken_at(verify_batched(&rows, &key(), None, batch, 2)),
                (seq as i64, BreakReason::Edited),
                "entry {seq}"
            );
        }
    }

    #[test]
    fn batches_verify_an_intact_log_with_its_counts_and_head() {
        let legacy = AuditKey::new(&Key::from_bytes([7; 32]), 5);
        let mut rows: Vec<AuditRow> = (1..=40)
            .map(|seq| {
                row(
                    seq,
                    if seq <= 5 {
                        FORMAT_UNKEYED
                    } else {
                        FORMAT_KEYED
                    },
                )
            })
            .collect();
        relink(&mut rows, &legacy, GENESIS.to_vec());
        let anchor = Anchor {
            count: 17,
            hash: rows[16].hash.clone(),
        };
        let one_by_one = verify_rows(&rows, &legacy, Some(anchor.clone())).unwrap();
        assert_eq!((one_by_one.count, one_by_one.unkeyed), (40, 5));
        for size in [1, 3, 7, 40, 1000] {
            assert_eq!(
                verify_batched(&rows, &legacy, Some(anchor.clone()), size, 2).unwrap(),
                one_by_one
            );
        }
        assert_eq!(
            verify_batched(&[], &legacy, None, 3, 2).unwrap(),
            verify_rows(&[], &legacy, None).unwrap()
        );
    }

    #[test]
    fn batches_check_the_anchor_and_the_head_as_one_at_a_time_does() {
        let rows = chain(9, &key());
        let mut rewritten = rows.clone();
        rewritten[5].at += 1;
        relink(&mut rewritten, &key(), GENESIS.to_vec());
        let anchor = Anchor {
            count: 6,
            hash: rows[5].hash.clone(),
        };
        assert_eq!(
            broken_at(verify_batched(
                &rewritten,
                &key(),
                Some(anchor.clone()),
                4,
                2
            )),
            (6, BreakReason::NotTheAnchor)
        );
        assert_eq!(
            broken_at(verify_batched(&rows[..4], &key(), Some(anchor), 4, 2)),
            (5, BreakReason::ShorterThanAnchor)
        );
    }

    #[test]
    fn a_read_error_is_reported_unless_an_entry_before_it_is_broken() {
        let failing = |rows: &[AuditRow]| {
            let mut v = Verifier::new(key());
            let batches = vec![
                Ok(rows[..4].to_vec()),
                Ok(rows[4..8].to_vec()),
                Err(StoreError::Corrupt("unreadable".into())),
                Ok(rows[8..].to_vec()),
            ];
            v.check_batches_on(batches, &drop, 2)
        };
        let mut rows = chain(12, &key());
        assert!(matches!(failing(&rows), Err(AuditError::Store(_))));
        rows[6].action = "erase".into();
        assert!(matches!(
            failing(&rows),
            Err(AuditError::Broken {
                seq: 7,
                reason: BreakReason::Edited
            })
        ));
    }

    proptest::proptest! {
        #[test]
        fn batched_and_one_at_a_time_verdicts_agree(
            n in 1i64..40,
            at in 0usize..40,
            damage in 0u8..6,
            size in 1usize..9,
            threads in 1usize..4,
        ) {
            let rows = if damage == 5 {
                chain(n, &key())
            } else {
                damaged(n, at % n as usize, damage)
            };
            proptest::prop_assert_eq!(
                format!("{:?}", verify_batched(&rows, &key(), None, size, threads)),
                format!("{:?}", verify_rows(&rows, &key(), None))
            );
        }
    }

    #[test]
    fn the_key_never_prints() {
        assert_eq!(format!("{:?}", key()), "AuditKey(<secret>, unkeyed: 0)");
    }
}

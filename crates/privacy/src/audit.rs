//! The audit log: append-only and hash-chained.
//!
//! Each entry's hash covers its own content and the previous entry's hash, so editing,
//! deleting, inserting or reordering any entry breaks the chain from that point on. Entries
//! are written in the same transaction as the change they record. `audit head` gives the
//! newest hash for anchoring outside the shop (a deleted tail is only provable against such
//! an anchor, or against the head row).

use hanjinbi_store::audit::{self, AuditRow};
use hanjinbi_store::{Db, StoreError, WriteTx};
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

/// An event to record. `subject` is an identifier (a buyer or order id), never a personal
/// value; `fields` names the fields concerned, never their values.
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

/// SHA-256 over a length-prefixed encoding of the entry, so no two different entries share
/// an encoding.
pub fn entry_hash(prev: &[u8], row: &AuditRow) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(prev);
    part(&row.seq.to_le_bytes());
    part(&row.at.to_le_bytes());
    part(row.actor.as_bytes());
    part(row.purpose.as_bytes());
    part(row.action.as_bytes());
    part(row.subject.as_bytes());
    part(row.fields.as_bytes());
    h.finalize().into()
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
    #[error("its content does not match its hash (edited)")]
    Edited,
    #[error("it does not follow the entry before it (deleted, inserted or reordered)")]
    Unlinked,
    #[error("entries are missing before it (deleted)")]
    Missing,
    #[error("the newest entries are missing (the log was cut short)")]
    Truncated,
}

/// Appends one entry inside `tx`. Returns its sequence number.
pub async fn append(tx: &mut WriteTx, event: AuditEvent<'_>) -> Result<i64, AuditError> {
    let mut batch = AuditBatch::default();
    batch.record(event);
    batch.write(tx).await
}

/// Entries gathered while a transaction does its work and written, numbered and chained, just
/// before it commits: three statements however many entries, and the head row is locked
/// only for the end of the transaction, so concurrent transactions wait on each other less.
#[derive(Debug, Default)]
pub struct AuditBatch {
    rows: Vec<AuditRow>,
}

impl AuditBatch {
    pub fn record(&mut self, event: AuditEvent<'_>) {
        self.rows.push(AuditRow {
            seq: 0,
            at: event.at,
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

    /// Writes the entries in `tx`. Returns the last sequence number (0 when empty).
    pub async fn write(mut self, tx: &mut WriteTx) -> Result<i64, AuditError> {
        if self.rows.is_empty() {
            return Ok(0);
        }
        let count = self.rows.len() as i64;
        let (last, mut prev) = audit::claim(tx, count).await?;
        for (seq, row) in (last - count + 1..).zip(self.rows.iter_mut()) {
            row.seq = seq;
            row.prev_hash = prev;
            row.hash = entry_hash(&row.prev_hash, row).to_vec();
            prev = row.hash.clone();
        }
        audit::insert(tx, &self.rows).await?;
        Ok(last)
    }
}

/// Checks entries one by one, in order.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev: Vec<u8>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev: GENESIS.to_vec(),
        }
    }
}

impl Verifier {
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
        if entry_hash(&row.prev_hash, row).as_slice() != row.hash.as_slice() {
            return Err(broken(BreakReason::Edited));
        }
        if row.prev_hash != self.prev {
            return Err(broken(BreakReason::Unlinked));
        }
        self.expected_seq += 1;
        self.prev.clone_from(&row.hash);
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    /// Compares the end of the chain with the recorded head.
    pub fn finish(self, head_seq: i64, head_hash: &[u8]) -> Result<Verified, AuditError> {
        if head_seq != self.count() || head_hash != self.prev.as_slice() {
            return Err(AuditError::Broken {
                seq: self.count() + 1,
                reason: BreakReason::Truncated,
            });
        }
        Ok(Verified {
            count: self.count(),
            head: self.prev,
        })
    }
}

/// A chain that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub count: i64,
    pub head: Vec<u8>,
}

/// Verifies the whole log against the head row.
pub async fn verify(db: &Db) -> Result<Verified, AuditError> {
    use futures_util::StreamExt;
    let (head_seq, head_hash) = audit::head(db).await?;
    let mut verifier = Verifier::default();
    let mut rows = audit::all(db);
    while let Some(row) = rows.next().await {
        verifier.check(&row?)?;
    }
    verifier.finish(head_seq, &head_hash)
}

/// The head for anchoring: entry count and newest hash.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), AuditError> {
    Ok(audit::head(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let mut row = AuditRow {
                    seq,
                    at: 1_700_000_000 + seq,
                    actor: "system".into(),
                    purpose: "order_fulfilment".into(),
                    action: "seal".into(),
                    subject: format!("b{seq}"),
                    fields: "email,name".into(),
                    prev_hash: prev.clone(),
                    hash: Vec::new(),
                };
                row.hash = entry_hash(&row.prev_hash, &row).to_vec();
                prev.clone_from(&row.hash);
                row
            })
            .collect()
    }

    fn verify_rows(rows: &[AuditRow], head: (i64, &[u8])) -> Result<Verified, AuditError> {
        let mut v = Verifier::default();
        for row in rows {
            v.check(row)?;
        }
        v.finish(head.0, head.1)
    }

    fn broken_at(result: Result<Verified, AuditError>) -> (i64, BreakReason) {
        match result {
            Err(AuditError::Broken { seq, reason }) => (seq, reason),
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let rows = chain(5);
        let head = rows[4].hash.clone();
        assert_eq!(verify_rows(&rows, (5, &head)).unwrap().count, 5);
    }

    #[test]
    fn every_kind_of_tampering_names_the_first_bad_entry() {
        let rows = chain(6);
        let head = rows[5].hash.clone();

        let mut edited = rows.clone();
        edited[2].subject = "someone-else".into();
        assert_eq!(
            broken_at(verify_rows(&edited, (6, &head))),
            (3, BreakReason::Edited)
        );

        let mut deleted = rows.clone();
        deleted.remove(3);
        assert_eq!(
            broken_at(verify_rows(&deleted, (6, &head))),
            (5, BreakReason::Missing)
        );

        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert_eq!(broken_at(verify_rows(&swapped, (6, &head))).0, 3);

        let mut renumbered = rows.clone();
        renumbered.swap(1, 2);
        renumbered[1].seq = 2;
        renumbered[2].seq = 3;
        assert_eq!(broken_at(verify_rows(&renumbered, (6, &head))).0, 2);

        let truncated = &rows[..4];
        assert_eq!(
            broken_at(verify_rows(truncated, (6, &head))),
            (5, BreakReason::Truncated)
        );

        let mut inserted = rows.clone();
        let mut extra = rows[1].clone();
        extra.subject = "forged".into();
        extra.hash = entry_hash(&extra.prev_hash, &extra).to_vec();
        inserted.insert(2, extra);
        for (i, row) in inserted.iter_mut().enumerate() {
            row.seq = i as i64 + 1;
        }
        assert_eq!(
            broken_at(verify_rows(&inserted, (6, &head))).0,
            3,
            "the inserted entry"
        );
    }
}

//! Rows of the audit log. Hashing and verification live in the privacy crate; this module
//! only stores and reads entries.

use crate::{Backend, Db, StoreError, WriteTx};
use sqlx::Row;

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub purpose: String,
    pub action: String,
    pub subject: String,
    pub fields: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Claims `count` sequence numbers; returns the last one claimed and the hash of the entry
/// before the first. The head row stays locked until the transaction ends, so concurrent
/// writers take turns and the chain never forks.
pub async fn claim(tx: &mut WriteTx, count: i64) -> Result<(i64, Vec<u8>), StoreError> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// Rows per INSERT statement: far below either database's parameter limit.
const ROWS_PER_INSERT: usize = 100;

/// Stores entries already numbered and chained, and records the newest hash as the head.
pub async fn insert(tx: &mut WriteTx, entries: &[AuditRow]) -> Result<(), StoreError> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, purpose, action, subject, fields, prev_hash, \
             hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query
                .bind(e.seq)
                .bind(e.at)
                .bind(e.actor.as_str())
                .bind(e.purpose.as_str())
                .bind(e.action.as_str())
                .bind(e.subject.as_str())
                .bind(e.fields.as_str())
                .bind(e.prev_hash.as_slice())
                .bind(e.hash.as_slice());
        }
        query.execute(&mut **tx).await?;
    }
    if let Some(last) = entries.last() {
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(last.hash.as_slice())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The head: how many entries were ever appended, and the newest hash.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// Up to `limit` entries after entry `after_seq`, in order.
///
/// The database packs the whole page into one text value (each field hex-encoded, so no
/// content can be mistaken for a separator): one row on the wire instead of thousands.
/// Fetching entries row by row is what bounds how fast the chain can be verified.
pub async fn page_after(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
    let packed_entry = match db.backend() {
        Backend::Sqlite => {
            "seq || ',' || at || ',' || hex(actor) || ',' || hex(purpose) || ',' || hex(action) \
             || ',' || hex(subject) || ',' || hex(fields) || ',' || hex(prev_hash) || ',' \
             || hex(hash)"
        }
        Backend::Postgres => {
            "seq::text || ',' || at::text || ',' || encode(convert_to(actor, 'UTF8'), 'hex') \
             || ',' || encode(convert_to(purpose, 'UTF8'), 'hex') || ',' \
             || encode(convert_to(action, 'UTF8'), 'hex') || ',' \
             || encode(convert_to(subject, 'UTF8'), 'hex') || ',' \
             || encode(convert_to(fields, 'UTF8'), 'hex') || ',' || encode(prev_hash, 'hex') \
             || ',' || encode(hash, 'hex')"
        }
    };
    let aggregate = match db.backend() {
        Backend::Sqlite => "group_concat",
        Backend::Postgres => "string_agg",
    };
    let sql = format!(
        "SELECT {aggregate}({packed_entry}, ';' ORDER BY seq) AS packed FROM \
         (SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2) AS page"
    );
    let packed: Option<String> = sqlx::query(&sql)
        .bind(after_seq)
        .bind(limit)
        .fetch_one(db.pool())
        .await?
        .try_get("packed")?;
    let Some(packed) = packed else {
        return Ok(Vec::new());
    };
    packed
        .split(';')
        .map(|entry| {
            unpack(entry).ok_or_else(|| {
                StoreError::Corrupt(format!("an audit entry after {after_seq} cannot be read"))
            })
        })
        .collect()
}

fn unpack(entry: &str) -> Option<AuditRow> {
    let mut parts = entry.split(',');
    let mut next = || parts.next();
    let seq = next()?.parse().ok()?;
    let at = next()?.parse().ok()?;
    let text = |hex: &str| String::from_utf8(unhex(hex)?).ok();
    let row = AuditRow {
        seq,
        at,
        actor: text(next()?)?,
        purpose: text(next()?)?,
        action: text(next()?)?,
        subject: text(next()?)?,
        fields: text(next()?)?,
        prev_hash: unhex(next()?)?,
        hash: unhex(next()?)?,
    };
    next().is_none().then_some(row)
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_entries_unpack_exactly() {
        let row =
            unpack("7,1700000000,73797374656d,,6f70656e,e1bab9,656d61696c2c6e616d65,00ff,ABcd")
                .unwrap();
        assert_eq!(row.seq, 7);
        assert_eq!(row.actor, "system");
        assert_eq!(row.purpose, "");
        assert_eq!(row.subject, "ẹ");
        assert_eq!(row.fields, "email,name");
        assert_eq!(row.prev_hash, vec![0x00, 0xff]);
        assert_eq!(row.hash, vec![0xab, 0xcd]);
        for bad in [
            "",
            "7",
            "x,1,,,,,,,",
            "7,1,zz,,,,,,",
            "7,1,,,,,,,,extra",
            "7,1,a,,,,,,",
        ] {
            assert!(unpack(bad).is_none(), "{bad:?}");
        }
    }
}

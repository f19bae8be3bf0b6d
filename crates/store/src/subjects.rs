//! Data subjects (buyers): their wrapped data keys, sealed records and consents. Every
//! personal column here is ciphertext or a keyed hash; this module never sees plaintext.

use crate::db::{on_read, on_tx, TxInner};
use crate::{Db, StoreError, WriteTx};

/// A data key as stored: `None` bytes once destroyed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredKey {
    pub master_key_id: String,
    #[sqlx(rename = "wrapped_key")]
    pub wrapped: Option<Vec<u8>>,
}

pub async fn insert_key(
    tx: &mut WriteTx,
    subject: &str,
    master_key_id: &str,
    wrapped: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
         VALUES ($1, $2, $3, $4)"
    )
    .bind(subject)
    .bind(master_key_id)
    .bind(wrapped)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

const KEY: &str = "SELECT master_key_id, wrapped_key FROM data_keys WHERE subject_id = $1";

pub async fn key(db: &Db, subject: &str) -> Result<Option<StoredKey>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(KEY)
        .bind(subject)
        .fetch_optional(e)
        .await)?)
}

pub async fn key_in(tx: &mut WriteTx, subject: &str) -> Result<Option<StoredKey>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(KEY)
        .bind(subject)
        .fetch_optional(e)
        .await)?)
}

/// A subject with its stored key.
#[derive(sqlx::FromRow)]
pub(crate) struct SubjectKeyRow {
    subject_id: String,
    #[sqlx(flatten)]
    key: StoredKey,
}

impl From<SubjectKeyRow> for (String, StoredKey) {
    fn from(r: SubjectKeyRow) -> (String, StoredKey) {
        (r.subject_id, r.key)
    }
}

/// Up to `limit` live keys not wrapped by `master_key_id`, for rotation.
pub async fn keys_not_wrapped_by(
    db: &Db,
    master_key_id: &str,
    limit: i64,
) -> Result<Vec<(String, StoredKey)>, StoreError> {
    let rows: Vec<SubjectKeyRow> = on_read!(db, |e| sqlx::query_as(
        "SELECT subject_id, master_key_id, wrapped_key FROM data_keys \
         WHERE master_key_id <> $1 AND wrapped_key IS NOT NULL ORDER BY subject_id LIMIT $2"
    )
    .bind(master_key_id)
    .bind(limit)
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Replaces a wrapped key if it is still the one read (another rotation may have run).
pub async fn rewrap_key(
    tx: &mut WriteTx,
    subject: &str,
    old_master_key_id: &str,
    new_master_key_id: &str,
    wrapped: &[u8],
) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "UPDATE data_keys SET master_key_id = $1, wrapped_key = $2 \
         WHERE subject_id = $3 AND master_key_id = $4 AND wrapped_key IS NOT NULL"
    )
    .bind(new_master_key_id)
    .bind(wrapped)
    .bind(subject)
    .bind(old_master_key_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected == 1)
}

/// Destroys a subject's data key: every value sealed under it becomes unreadable.
pub async fn destroy_key(tx: &mut WriteTx, subject: &str, now: i64) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "UPDATE data_keys SET wrapped_key = NULL, destroyed_at = $1 \
         WHERE subject_id = $2 AND wrapped_key IS NOT NULL"
    )
    .bind(now)
    .bind(subject)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected == 1)
}

/// A buyer's sealed contact record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SealedBuyer {
    pub id: String,
    pub email_index: Vec<u8>,
    pub phone_index: Vec<u8>,
    #[sqlx(rename = "email_sealed")]
    pub email: Vec<u8>,
    #[sqlx(rename = "name_sealed")]
    pub name: Vec<u8>,
    #[sqlx(rename = "phone_sealed")]
    pub phone: Vec<u8>,
}

/// Every buyer record made with the email whose blind index is `email_index`, oldest first.
/// Each checkout has its own record (a checkout proves nothing about who controls an
/// address); once the address is verified, these are the records to link.
pub async fn buyers_by_email_index(db: &Db, email_index: &[u8]) -> Result<Vec<String>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT id FROM buyers WHERE email_index = $1 ORDER BY created_at, id"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
}

/// [`buyers_by_email_index`], inside a write transaction.
pub async fn buyers_by_email_index_in(
    tx: &mut WriteTx,
    email_index: &[u8],
) -> Result<Vec<String>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_scalar(
        "SELECT id FROM buyers WHERE email_index = $1 ORDER BY created_at, id"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
}

pub async fn insert_buyer(tx: &mut WriteTx, b: &SealedBuyer, now: i64) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO buyers (id, email_index, phone_index, email_sealed, name_sealed, \
         phone_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(b.id.as_str())
    .bind(b.email_index.as_slice())
    .bind(b.phone_index.as_slice())
    .bind(b.email.as_slice())
    .bind(b.name.as_slice())
    .bind(b.phone.as_slice())
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Stores a new data subject's wrapped key and its sealed buyer record together. On
/// PostgreSQL this is one statement (a data-modifying `WITH`; the buyer's foreign key to its
/// key is checked at the end of the statement), one round trip fewer per checkout.
pub async fn insert_buyer_with_key(
    tx: &mut WriteTx,
    master_key_id: &str,
    wrapped: &[u8],
    b: &SealedBuyer,
    consents: &[ConsentRow],
    now: i64,
) -> Result<(), StoreError> {
    if let Some(other) = consents.iter().find(|c| c.subject_id != b.id) {
        return Err(StoreError::Corrupt(format!(
            "a consent of subject {} given with buyer {}",
            other.subject_id, b.id
        )));
    }
    match &mut tx.inner {
        TxInner::Postgres(t) => {
            // One round trip for the key, the record and the consents given with it: the
            // consents' columns travel as arrays, so the statement is the same for any number.
            let column = |f: fn(&ConsentRow) -> &str| -> Vec<String> {
                consents.iter().map(|c| f(c).to_owned()).collect()
            };
            let purposes = column(|c| &c.purpose);
            let versions = column(|c| &c.policy_version);
            let wordings = column(|c| &c.wording);
            let channels = column(|c| &c.channel);
            let granted: Vec<bool> = consents.iter().map(|c| c.granted).collect();
            let verified: Vec<bool> = consents.iter().map(|c| c.verified).collect();
            let at: Vec<i64> = consents.iter().map(|c| c.at).collect();
            sqlx::query(
                "WITH new_key AS (INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, \
                 created_at) VALUES ($1, $2, $3, $4)), \
                 new_consents AS (INSERT INTO consents (subject_id, purpose, granted, \
                 policy_version, wording, channel, at, verified) \
                 SELECT $1, c.purpose, c.granted, c.policy_version, c.wording, c.channel, c.at, \
                 c.verified FROM UNNEST($10::text[], $11::boolean[], $12::text[], $13::text[], \
                 $14::text[], $15::bigint[], $16::boolean[]) WITH ORDINALITY \
                 AS c(purpose, granted, policy_version, wording, channel, at, verified, n) \
                 ORDER BY c.n) \
                 INSERT INTO buyers (id, email_index, phone_index, email_sealed, name_sealed, \
                 phone_sealed, created_at) VALUES ($1, $5, $6, $7, $8, $9, $4)",
            )
            .bind(b.id.as_str())
            .bind(master_key_id)
            .bind(wrapped)
            .bind(now)
            .bind(b.email_index.as_slice())
            .bind(b.phone_index.as_slice())
            .bind(b.email.as_slice())
            .bind(b.name.as_slice())
            .bind(b.phone.as_slice())
            .bind(&purposes)
            .bind(&granted)
            .bind(&versions)
            .bind(&wordings)
            .bind(&channels)
            .bind(&at)
            .bind(&verified)
            .execute(&mut **t)
            .await?;
        }
        TxInner::Sqlite(_) => {
            insert_key(tx, &b.id, master_key_id, wrapped, now).await?;
            insert_buyer(tx, b, now).await?;
            for consent in consents {
                insert_consent(tx, consent).await?;
            }
        }
    }
    Ok(())
}

pub async fn buyer(db: &Db, id: &str) -> Result<Option<SealedBuyer>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT id, email_index, phone_index, email_sealed, name_sealed, phone_sealed \
         FROM buyers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(e)
    .await)?)
}

/// A consent decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentRow {
    pub subject_id: String,
    pub purpose: String,
    pub granted: bool,
    pub policy_version: String,
    pub wording: String,
    pub channel: String,
    pub at: i64,
    /// Given by someone who had proved control of the buyer's email address. Unverified
    /// grants are kept as given but count for nothing until confirmed.
    pub verified: bool,
}

pub async fn insert_consent(tx: &mut WriteTx, c: &ConsentRow) -> Result<(), StoreError> {
    on_tx!(tx, |e| {
        sqlx::query(
        "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, channel, at, \
         verified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(c.subject_id.as_str())
    .bind(c.purpose.as_str())
    .bind(c.granted)
    .bind(c.policy_version.as_str())
    .bind(c.wording.as_str())
    .bind(c.channel.as_str())
    .bind(c.at)
    .bind(c.verified)
    .execute(e)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

const LATEST_CONSENT: &str =
    "SELECT subject_id, purpose, granted, policy_version, wording, channel, at, verified \
     FROM consents WHERE subject_id = $1 AND purpose = $2 AND (verified OR NOT granted) \
     ORDER BY id DESC LIMIT 1";

const CONSENTS: &str =
    "SELECT subject_id, purpose, granted, policy_version, wording, channel, at, verified \
     FROM consents WHERE subject_id = $1 ORDER BY id";

/// The newest decision of `subject` on `purpose` that counts: a refusal or withdrawal always
/// does; a grant only once verified (see [`ConsentRow::verified`]).
pub async fn latest_consent(
    db: &Db,
    subject: &str,
    purpose: &str,
) -> Result<Option<ConsentRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(LATEST_CONSENT)
        .bind(subject)
        .bind(purpose)
        .fetch_optional(e)
        .await)?)
}

/// Every decision of `subject`, oldest first.
pub async fn consents(db: &Db, subject: &str) -> Result<Vec<ConsentRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(CONSENTS)
        .bind(subject)
        .fetch_all(e)
        .await)?)
}

/// A buyer's limit on one purpose: an objection ("do not use my data for this") or a
/// restriction ("stop using it while this is settled"). The gate refuses a limited purpose
/// like one without consent; the two are kept apart because lifting one leaves the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitKind {
    Objection,
    Restriction,
}

impl LimitKind {
    pub const ALL: [LimitKind; 2] = [LimitKind::Objection, LimitKind::Restriction];

    /// The code stored in `processing_limits.kind`.
    pub const fn code(self) -> &'static str {
        match self {
            LimitKind::Objection => "objection",
            LimitKind::Restriction => "restriction",
        }
    }

    pub fn parse(code: &str) -> Option<LimitKind> {
        LimitKind::ALL.into_iter().find(|k| k.code() == code)
    }

    fn stored(code: &str) -> Result<LimitKind, StoreError> {
        LimitKind::parse(code).ok_or_else(|| {
            StoreError::Corrupt(format!("a processing limit of unknown kind {code:?}"))
        })
    }
}

/// A processing limit in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingLimit {
    pub subject_id: String,
    pub purpose: String,
    pub kind: LimitKind,
    /// When it was set; setting it again does not move this.
    pub since: i64,
}

#[derive(sqlx::FromRow)]
struct LimitRow {
    subject_id: String,
    purpose: String,
    kind: String,
    since: i64,
}

/// Sets a limit. Setting one already in force changes nothing (its `since` stays): returns
/// whether a row was added.
pub async fn insert_limit(
    tx: &mut WriteTx,
    subject: &str,
    purpose: &str,
    kind: LimitKind,
    now: i64,
) -> Result<bool, StoreError> {
    let added = on_tx!(tx, |e| sqlx::query(
        "INSERT INTO processing_limits (subject_id, purpose, kind, since) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, purpose, kind) DO NOTHING"
    )
    .bind(subject)
    .bind(purpose)
    .bind(kind.code())
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(added == 1)
}

/// Lifts a limit: returns whether one was in force.
pub async fn delete_limit(
    tx: &mut WriteTx,
    subject: &str,
    purpose: &str,
    kind: LimitKind,
) -> Result<bool, StoreError> {
    let deleted = on_tx!(tx, |e| sqlx::query(
        "DELETE FROM processing_limits WHERE subject_id = $1 AND purpose = $2 AND kind = $3"
    )
    .bind(subject)
    .bind(purpose)
    .bind(kind.code())
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(deleted == 1)
}

/// Every limit in force on `subject`, by purpose then kind.
pub async fn limits(db: &Db, subject: &str) -> Result<Vec<ProcessingLimit>, StoreError> {
    let rows: Vec<LimitRow> = on_read!(db, |e| sqlx::query_as(
        "SELECT subject_id, purpose, kind, since FROM processing_limits \
         WHERE subject_id = $1 ORDER BY purpose, kind"
    )
    .bind(subject)
    .fetch_all(e)
    .await)?;
    rows.into_iter()
        .map(|r| {
            Ok(ProcessingLimit {
                kind: LimitKind::stored(&r.kind)?,
                subject_id: r.subject_id,
                purpose: r.purpose,
                since: r.since,
            })
        })
        .collect()
}

/// Whether `subject` has limited `purpose`, and how (an objection before a restriction when
/// both are in force). One read of the primary key: the gate asks at every opening.
pub async fn limited(
    db: &Db,
    subject: &str,
    purpose: &str,
) -> Result<Option<LimitKind>, StoreError> {
    let kind: Option<String> = on_read!(db, |e| sqlx::query_scalar(
        "SELECT kind FROM processing_limits WHERE subject_id = $1 AND purpose = $2 \
         ORDER BY kind LIMIT 1"
    )
    .bind(subject)
    .bind(purpose)
    .fetch_optional(e)
    .await)?;
    kind.as_deref().map(LimitKind::stored).transpose()
}

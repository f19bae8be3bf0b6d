//! Data subjects (buyers): their wrapped data keys, sealed records and consents. Every
//! personal column here is ciphertext or a keyed hash; this module never sees plaintext.

use crate::{Db, StoreError, WriteTx};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A data key as stored: `None` bytes once destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub master_key_id: String,
    pub wrapped: Option<Vec<u8>>,
}

pub async fn insert_key(
    tx: &mut WriteTx,
    subject: &str,
    master_key_id: &str,
    wrapped: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(subject)
    .bind(master_key_id)
    .bind(wrapped)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn key(db: &Db, subject: &str) -> Result<Option<StoredKey>, StoreError> {
    key_with(db.pool(), subject).await
}

pub async fn key_in(tx: &mut WriteTx, subject: &str) -> Result<Option<StoredKey>, StoreError> {
    key_with(&mut **tx, subject).await
}

async fn key_with<'c, E>(executor: E, subject: &str) -> Result<Option<StoredKey>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT master_key_id, wrapped_key FROM data_keys WHERE subject_id = $1")
        .bind(subject)
        .fetch_optional(executor)
        .await?;
    row.map(|r| {
        Ok(StoredKey {
            master_key_id: r.try_get("master_key_id")?,
            wrapped: r.try_get("wrapped_key")?,
        })
    })
    .transpose()
}

/// Up to `limit` live keys not wrapped by `master_key_id`, for rotation.
pub async fn keys_not_wrapped_by(
    db: &Db,
    master_key_id: &str,
    limit: i64,
) -> Result<Vec<(String, StoredKey)>, StoreError> {
    let rows = sqlx::query(
        "SELECT subject_id, master_key_id, wrapped_key FROM data_keys \
         WHERE master_key_id <> $1 AND wrapped_key IS NOT NULL ORDER BY subject_id LIMIT $2",
    )
    .bind(master_key_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    stored_keys(&rows)
}

/// Rows of `subject_id, master_key_id, wrapped_key` as subjects with their stored keys.
pub(crate) fn stored_keys(rows: &[AnyRow]) -> Result<Vec<(String, StoredKey)>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("subject_id")?,
                StoredKey {
                    master_key_id: r.try_get("master_key_id")?,
                    wrapped: r.try_get("wrapped_key")?,
                },
            ))
        })
        .collect()
}

/// Replaces a wrapped key if it is still the one read (another rotation may have run).
pub async fn rewrap_key(
    tx: &mut WriteTx,
    subject: &str,
    old_master_key_id: &str,
    new_master_key_id: &str,
    wrapped: &[u8],
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE data_keys SET master_key_id = $1, wrapped_key = $2 \
         WHERE subject_id = $3 AND master_key_id = $4 AND wrapped_key IS NOT NULL",
    )
    .bind(new_master_key_id)
    .bind(wrapped)
    .bind(subject)
    .bind(old_master_key_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Destroys a subject's data key: every value sealed under it becomes unreadable.
pub async fn destroy_key(tx: &mut WriteTx, subject: &str, now: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE data_keys SET wrapped_key = NULL, destroyed_at = $1 \
         WHERE subject_id = $2 AND wrapped_key IS NOT NULL",
    )
    .bind(now)
    .bind(subject)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A buyer's sealed contact record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBuyer {
    pub id: String,
    pub email_index: Vec<u8>,
    pub phone_index: Vec<u8>,
    pub email: Vec<u8>,
    pub name: Vec<u8>,
    pub phone: Vec<u8>,
}

/// Every buyer record made with the email whose blind index is `email_index`, oldest first.
/// Each checkout has its own record (a checkout proves nothing about who controls an
/// address); once the address is verified, these are the records to link.
pub async fn buyers_by_email_index(db: &Db, email_index: &[u8]) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT id FROM buyers WHERE email_index = $1 ORDER BY created_at, id")
        .bind(email_index)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

pub async fn insert_buyer(tx: &mut WriteTx, b: &SealedBuyer, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO buyers (id, email_index, phone_index, email_sealed, name_sealed, \
         phone_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(b.id.as_str())
    .bind(b.email_index.as_slice())
    .bind(b.phone_index.as_slice())
    .bind(b.email.as_slice())
    .bind(b.name.as_slice())
    .bind(b.phone.as_slice())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn buyer(db: &Db, id: &str) -> Result<Option<SealedBuyer>, StoreError> {
    let row = sqlx::query(
        "SELECT id, email_index, phone_index, email_sealed, name_sealed, phone_sealed \
         FROM buyers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(SealedBuyer {
            id: r.try_get("id")?,
            email_index: r.try_get("email_index")?,
            phone_index: r.try_get("phone_index")?,
            email: r.try_get("email_sealed")?,
            name: r.try_get("name_sealed")?,
            phone: r.try_get("phone_sealed")?,
        })
    })
    .transpose()
}

/// A consent decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    sqlx::query(
        "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, channel, at, \
         verified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.subject_id.as_str())
    .bind(c.purpose.as_str())
    .bind(i64::from(c.granted))
    .bind(c.policy_version.as_str())
    .bind(c.wording.as_str())
    .bind(c.channel.as_str())
    .bind(c.at)
    .bind(i64::from(c.verified))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn consent_from(r: &sqlx::any::AnyRow) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        subject_id: r.try_get("subject_id")?,
        purpose: r.try_get("purpose")?,
        granted: r.try_get::<i64, _>("granted")? != 0,
        policy_version: r.try_get("policy_version")?,
        wording: r.try_get("wording")?,
        channel: r.try_get("channel")?,
        at: r.try_get("at")?,
        verified: r.try_get::<i64, _>("verified")? != 0,
    })
}

const CONSENT_COLUMNS: &str =
    "SELECT subject_id, purpose, granted, policy_version, wording, channel, at, verified \
     FROM consents";

/// The newest decision of `subject` on `purpose` that counts: a refusal or withdrawal always
/// does; a grant only once verified (see [`ConsentRow::verified`]).
pub async fn latest_consent(
    db: &Db,
    subject: &str,
    purpose: &str,
) -> Result<Option<ConsentRow>, StoreError> {
    let row = sqlx::query(&format!(
        "{CONSENT_COLUMNS} WHERE subject_id = $1 AND purpose = $2 \
         AND (verified = 1 OR granted = 0) ORDER BY id DESC LIMIT 1"
    ))
    .bind(subject)
    .bind(purpose)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(consent_from).transpose()
}

/// Every decision of `subject`, oldest first.
pub async fn consents(db: &Db, subject: &str) -> Result<Vec<ConsentRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "{CONSENT_COLUMNS} WHERE subject_id = $1 ORDER BY id"
    ))
    .bind(subject)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(consent_from).collect()
}

-- The privacy core: data keys, sealed buyer records, consents and the hash-chained audit log.
-- No column holds personal plaintext: `*_sealed` columns are ciphertext, `*_index` columns
-- keyed hashes (see the hanjinbi-privacy crate).

CREATE TABLE data_keys (
    subject_id    TEXT    PRIMARY KEY,
    master_key_id TEXT    NOT NULL,
    -- NULL once destroyed: every value sealed under it is then unreadable for good.
    wrapped_key   BLOB,
    created_at    INTEGER NOT NULL,
    destroyed_at  INTEGER
);
CREATE INDEX data_keys_by_master ON data_keys (master_key_id);

CREATE TABLE buyers (
    id           TEXT    PRIMARY KEY REFERENCES data_keys (subject_id),
    email_index  BLOB    NOT NULL UNIQUE,
    phone_index  BLOB    NOT NULL,
    email_sealed BLOB    NOT NULL,
    name_sealed  BLOB    NOT NULL,
    phone_sealed BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX buyers_by_phone ON buyers (phone_index);

CREATE TABLE consents (
    id             INTEGER PRIMARY KEY,
    subject_id     TEXT    NOT NULL REFERENCES data_keys (subject_id),
    purpose        TEXT    NOT NULL,
    granted        INTEGER NOT NULL CHECK (granted IN (0, 1)),
    policy_version TEXT    NOT NULL,
    wording        TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX consents_by_subject ON consents (subject_id, purpose, id);

-- Entries are numbered by the writer from audit_head, never by the database, so a deleted
-- entry leaves a gap that verification sees.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    purpose   TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    fields    TEXT    NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
);

-- One row: the newest entry's number and hash. Appends lock it, so concurrent transactions
-- on PostgreSQL take turns and the chain never forks.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

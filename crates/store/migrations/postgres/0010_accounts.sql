-- Buyer accounts: an email address and a password, sessions kept in the database so that
-- several servers share them, and single-use links (email verification, password reset).
--
-- An account is a data subject of its own (its data key in `data_keys`); its email address is
-- sealed under that key and found through the same keyed blind index as a guest buyer's, so
-- a verified account finds the guest orders placed with its address without decrypting any.
-- Secrets (session tokens, link tokens) are stored only as SHA-256 hashes; the password only
-- as an Argon2id hash in the PHC string format.
CREATE TABLE accounts (
    id                  TEXT    PRIMARY KEY,
    subject_id          TEXT    NOT NULL UNIQUE REFERENCES data_keys (subject_id),
    email_index         BYTEA   NOT NULL UNIQUE,
    email_sealed        BYTEA   NOT NULL,
    password_hash       TEXT    NOT NULL,
    lang                TEXT    NOT NULL CHECK (lang IN ('vi', 'en')),
    created_at          BIGINT  NOT NULL,
    -- When the owner proved control of the address; NULL: not yet, and the account cannot
    -- sign in.
    verified_at         BIGINT,
    password_changed_at BIGINT  NOT NULL
);

CREATE TABLE account_sessions (
    token_hash   BYTEA   PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id),
    -- 'cookie' (a browser) or 'bearer' (an app, from POST /api/v1/auth/login).
    kind         TEXT    NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX account_sessions_by_account ON account_sessions (account_id);
CREATE INDEX account_sessions_by_expiry ON account_sessions (expires_at);

CREATE TABLE account_links (
    token_hash BYTEA   PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX account_links_by_account ON account_links (account_id, purpose);

-- Messages about an account (a verification or reset link) go through the same outbox as
-- an order's: a message belongs to exactly one order, account or message subject. A message
-- subject is a message to an address no readable record holds (an erasure link asked for by
-- a guest, the last email after an erasure): its own data subject, whose key is destroyed
-- once the message is sent.
ALTER TABLE outbox ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN account_id TEXT REFERENCES accounts (id);
ALTER TABLE outbox ADD COLUMN subject_id TEXT REFERENCES data_keys (subject_id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_target CHECK (
    (order_id IS NOT NULL)::int + (account_id IS NOT NULL)::int + (subject_id IS NOT NULL)::int = 1);

-- Objections and restrictions: a buyer's "do not use my data for this purpose" (objection)
-- or "stop using it while this is settled" (restriction). The gate honours a row here like a
-- missing consent. Lifting one deletes its row; both are in the audit log.
CREATE TABLE processing_limits (
    subject_id TEXT    NOT NULL REFERENCES data_keys (subject_id),
    purpose    TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('objection', 'restriction')),
    since      BIGINT  NOT NULL,
    PRIMARY KEY (subject_id, purpose, kind)
);

-- Every request a buyer makes under their rights (self-service ones too), with when it
-- arrived and the days it is due by under Decree 356/2025 Art. 5 (dates in Vietnam, written
-- YYYY-MM-DD: a term ends on a day, not at a second).
CREATE TABLE rights_requests (
    id                 TEXT    PRIMARY KEY,
    subject_id         TEXT    NOT NULL REFERENCES data_keys (subject_id),
    kind               TEXT    NOT NULL CHECK (kind IN ('access', 'rectification',
        'portability', 'erasure', 'withdrawal', 'restriction', 'objection')),
    channel            TEXT    NOT NULL CHECK (channel IN ('self_service', 'email', 'phone')),
    received_at        BIGINT  NOT NULL,
    first_answer_due   TEXT    NOT NULL,
    due_on             TEXT    NOT NULL,
    answered_at        BIGINT ,
    status             TEXT    NOT NULL CHECK (status IN ('open', 'done', 'refused'))
);
CREATE INDEX rights_requests_by_subject ON rights_requests (subject_id, received_at);
CREATE INDEX rights_requests_open ON rights_requests (status, due_on);

-- Single-use links that let whoever controls an address erase the records made with it
-- (guest orders included), found by the address's blind index. The address itself is sealed
-- under the request's own data subject, for the last email the erasure sends; that key is
-- destroyed when the link is used or swept.
CREATE TABLE erasure_links (
    token_hash   BYTEA   PRIMARY KEY,
    email_index  BYTEA   NOT NULL,
    subject_id   TEXT    NOT NULL REFERENCES data_keys (subject_id),
    email_sealed BYTEA   NOT NULL,
    lang         TEXT    NOT NULL CHECK (lang IN ('vi', 'en')),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT 
);
CREATE INDEX erasure_links_by_email ON erasure_links (email_index);
CREATE UNIQUE INDEX erasure_links_by_subject ON erasure_links (subject_id);

-- A buyer's access view and export list the audit entries of their subjects: found by
-- subject, not by reading the whole log.
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

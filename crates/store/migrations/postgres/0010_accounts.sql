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
-- an order's: a message belongs to an order or to an account, never both.
ALTER TABLE outbox ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN account_id TEXT REFERENCES accounts (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_order_or_account
    CHECK ((order_id IS NULL) <> (account_id IS NULL));

-- Checkout and order lookup that cannot be abused.
--
-- Buyers: a checkout proves nothing about who controls the email it gives, so each checkout
-- now has its own data subject and buyer record; several records may share an email's blind
-- index until the address is verified (`verified_at`). SQLite cannot drop a UNIQUE
-- constraint, hence the rebuild.
CREATE TABLE buyers_rebuilt (
    id           TEXT    PRIMARY KEY REFERENCES data_keys (subject_id),
    email_index  BLOB    NOT NULL,
    phone_index  BLOB    NOT NULL,
    email_sealed BLOB    NOT NULL,
    name_sealed  BLOB    NOT NULL,
    phone_sealed BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    -- When the buyer proved control of the email address; NULL: never.
    verified_at  INTEGER
);
INSERT INTO buyers_rebuilt (id, email_index, phone_index, email_sealed, name_sealed,
    phone_sealed, created_at)
    SELECT id, email_index, phone_index, email_sealed, name_sealed, phone_sealed, created_at
    FROM buyers;
DROP TABLE buyers;
ALTER TABLE buyers_rebuilt RENAME TO buyers;
CREATE INDEX buyers_by_email ON buyers (email_index);
CREATE INDEX buyers_by_phone ON buyers (phone_index);

-- Consents given without proof of control of the email (every guest checkout) are kept as
-- given but do not count for consent-based purposes until confirmed.
ALTER TABLE consents ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));

-- A hash of the canonical request an idempotency key was first used with; the same key with
-- another request is refused. NULL for keys stored before this was recorded.
ALTER TABLE idempotency_keys ADD COLUMN request_hash BLOB;

-- When the current code was sent: at most one code per interval per order, decided by one
-- conditional statement.
ALTER TABLE lookup_codes ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;
UPDATE lookup_codes SET issued_at = expires_at - 900;

-- Fixed-window counters against abuse: for the order lookup, failed codes per order, per
-- contact and per client, and codes asked for per contact and per client; new carts per
-- client. Buckets are keyed hashes, never an address or a contact in clear. They outlive
-- the codes, so reissuing a code resets nothing.
CREATE TABLE rate_limits (
    scope        TEXT    NOT NULL,
    bucket       BLOB    NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (scope, bucket)
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);

-- Idle carts are deleted by a periodic sweep.
CREATE INDEX carts_by_update ON carts (updated_at);

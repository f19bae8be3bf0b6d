-- Checkout and order lookup that cannot be abused.
--
-- Buyers: a checkout proves nothing about who controls the email it gives, so each checkout
-- now has its own data subject and buyer record; several records may share an email's blind
-- index until the address is verified (`verified_at`).
ALTER TABLE buyers DROP CONSTRAINT buyers_email_index_key;
ALTER TABLE buyers ADD COLUMN verified_at BIGINT;
CREATE INDEX buyers_by_email ON buyers (email_index);

-- Consents given without proof of control of the email (every guest checkout) are kept as
-- given but do not count for consent-based purposes until confirmed.
ALTER TABLE consents ADD COLUMN verified BIGINT NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));

-- A hash of the canonical request an idempotency key was first used with; the same key with
-- another request is refused. NULL for keys stored before this was recorded.
ALTER TABLE idempotency_keys ADD COLUMN request_hash BYTEA;

-- When the current code was sent: at most one code per interval per order, decided by one
-- conditional statement.
ALTER TABLE lookup_codes ADD COLUMN issued_at BIGINT NOT NULL DEFAULT 0;
UPDATE lookup_codes SET issued_at = expires_at - 900;

-- Fixed-window counters against abuse: for the order lookup, failed codes per order, per
-- contact and per client, and codes asked for per contact and per client; new carts per
-- client. Buckets are keyed hashes, never an address or a contact in clear. They outlive
-- the codes, so reissuing a code resets nothing.
CREATE TABLE rate_limits (
    scope        TEXT    NOT NULL,
    bucket       BYTEA   NOT NULL,
    window_start BIGINT  NOT NULL,
    hits         BIGINT  NOT NULL,
    PRIMARY KEY (scope, bucket)
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);

-- Idle carts are deleted by a periodic sweep.
CREATE INDEX carts_by_update ON carts (updated_at);

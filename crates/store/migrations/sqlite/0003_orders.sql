-- Orders and what comes with them: lines priced at purchase time, status history, retries
-- made safe by idempotency keys, and the outbox of messages to send.
-- Transaction records (amounts, items, dates, methods) are plain: the law requires keeping
-- them and they identify nobody once the buyer's data key is destroyed. Delivery details
-- are sealed under the buyer's data key.

CREATE TABLE orders (
    id               TEXT    PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE,
    buyer_id         TEXT    NOT NULL REFERENCES data_keys (subject_id),
    status           TEXT    NOT NULL,
    subtotal         INTEGER NOT NULL CHECK (subtotal >= 0),
    shipping_fee     INTEGER NOT NULL CHECK (shipping_fee >= 0),
    total            INTEGER NOT NULL CHECK (total >= 0),
    shipping_method  TEXT    NOT NULL,
    payment_method   TEXT    NOT NULL,
    ship_to_sealed   BLOB    NOT NULL,
    note_sealed      BLOB,
    policy_version   TEXT    NOT NULL,
    placed_at        INTEGER NOT NULL
);
CREATE INDEX orders_by_buyer ON orders (buyer_id);

CREATE TABLE order_lines (
    order_id      TEXT    NOT NULL REFERENCES orders (id),
    position      INTEGER NOT NULL,
    sku           TEXT    NOT NULL,
    product_slug  TEXT    NOT NULL,
    product_name  TEXT    NOT NULL,
    variant_label TEXT    NOT NULL,
    unit_price    INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    line_total    INTEGER NOT NULL CHECK (line_total >= 0),
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_status_history (
    order_id TEXT    NOT NULL REFERENCES orders (id),
    seq      INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE idempotency_keys (
    key_hash   BLOB    PRIMARY KEY,
    order_id   TEXT    NOT NULL REFERENCES orders (id),
    created_at INTEGER NOT NULL
);

-- One-time codes for a guest's order lookup by email or phone; only their hash is kept.
CREATE TABLE lookup_codes (
    order_id   TEXT    PRIMARY KEY REFERENCES orders (id),
    code_hash  BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

-- Messages to send, written in the transaction that makes them necessary and sent by a
-- background worker with retries. No personal data: the worker opens what it needs
-- through the privacy gate when it sends.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    order_id        TEXT    NOT NULL REFERENCES orders (id),
    -- Message-specific content, sealed under the buyer's data key (a one-time code).
    payload_sealed  BLOB,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);

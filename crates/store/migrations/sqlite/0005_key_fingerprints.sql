-- The keys the database was sealed with, known by fingerprint only (an HMAC under each key of
-- its kind and id: it tells whether a key file holds the same key and cannot be turned back
-- into it), and the servers running now with the master key each wraps new data keys under.

CREATE TABLE key_fingerprints (
    key_id      TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    fingerprint BLOB    NOT NULL,
    recorded_at INTEGER NOT NULL,
    -- Set when the key is removed from the key file: nothing may be wrapped under it again.
    retired_at  INTEGER
);

-- One row per running server, renewed while it runs and removed when it stops.
CREATE TABLE key_holders (
    server_id         TEXT    PRIMARY KEY,
    current_master_id TEXT    NOT NULL,
    seen_at           INTEGER NOT NULL
);

-- A data key wrapped under a retired master key could never be opened again.
CREATE TRIGGER data_keys_not_under_retired_insert
BEFORE INSERT ON data_keys
WHEN EXISTS (SELECT 1 FROM key_fingerprints
             WHERE key_id = NEW.master_key_id AND retired_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'data key wrapped under a retired master key');
END;

CREATE TRIGGER data_keys_not_under_retired_update
BEFORE UPDATE OF master_key_id ON data_keys
WHEN EXISTS (SELECT 1 FROM key_fingerprints
             WHERE key_id = NEW.master_key_id AND retired_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'data key wrapped under a retired master key');
END;

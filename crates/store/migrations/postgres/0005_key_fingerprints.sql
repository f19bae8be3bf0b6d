-- The keys the database was sealed with, known by fingerprint only (an HMAC under each key of
-- its kind and id: it tells whether a key file holds the same key and cannot be turned back
-- into it), and the servers running now with the master key each wraps new data keys under.

CREATE TABLE key_fingerprints (
    key_id      TEXT   PRIMARY KEY,
    kind        TEXT   NOT NULL,
    fingerprint BYTEA  NOT NULL,
    recorded_at BIGINT NOT NULL,
    -- Set when the key is removed from the key file: nothing may be wrapped under it again.
    retired_at  BIGINT
);

-- One row per running server, renewed while it runs and removed when it stops.
CREATE TABLE key_holders (
    server_id         TEXT   PRIMARY KEY,
    current_master_id TEXT   NOT NULL,
    seen_at           BIGINT NOT NULL
);

-- A data key wrapped under a retired master key could never be opened again.
CREATE FUNCTION data_keys_not_under_retired() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM key_fingerprints
               WHERE key_id = NEW.master_key_id AND retired_at IS NOT NULL) THEN
        RAISE EXCEPTION 'data key wrapped under a retired master key';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER data_keys_not_under_retired
BEFORE INSERT OR UPDATE OF master_key_id ON data_keys
FOR EACH ROW EXECUTE FUNCTION data_keys_not_under_retired();

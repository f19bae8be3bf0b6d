-- Native types now that each database is reached through its own driver.
--
-- Yes/no columns become BOOLEAN (they were BIGINT 0/1 with a CHECK, the only type both
-- databases shared through one generic driver). Timestamps stay BIGINT seconds since the
-- Unix epoch, in UTC, on both databases: see docs/architecture.md ("Time in the database").
ALTER TABLE products DROP CONSTRAINT products_featured_check;
ALTER TABLE products ALTER COLUMN featured DROP DEFAULT;
ALTER TABLE products ALTER COLUMN featured TYPE BOOLEAN USING featured <> 0;
ALTER TABLE products ALTER COLUMN featured SET DEFAULT FALSE;

ALTER TABLE consents DROP CONSTRAINT consents_granted_check;
ALTER TABLE consents ALTER COLUMN granted TYPE BOOLEAN USING granted <> 0;

ALTER TABLE consents DROP CONSTRAINT consents_verified_check;
ALTER TABLE consents ALTER COLUMN verified DROP DEFAULT;
ALTER TABLE consents ALTER COLUMN verified TYPE BOOLEAN USING verified <> 0;
ALTER TABLE consents ALTER COLUMN verified SET DEFAULT FALSE;

-- The outbox worker's claim reads only messages still to send, oldest due first.
CREATE INDEX outbox_to_send ON outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;

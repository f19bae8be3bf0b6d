-- Native types now that each database is reached through its own driver.
--
-- SQLite has no BOOLEAN storage class: yes/no columns stay INTEGER 0/1 with their CHECK,
-- which the SQLite driver reads and writes as booleans. Timestamps stay INTEGER seconds
-- since the Unix epoch, in UTC, on both databases: see docs/architecture.md ("Time in the
-- database").

-- The outbox worker's claim reads only messages still to send, oldest due first.
CREATE INDEX outbox_to_send ON outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;

-- Audit entries name who acted (a stable identifier of the proved principal, such as
-- `order:HJ…` or `system:outbox-mailer`), not only the role, and the format their link was
-- computed in: 1 = unkeyed SHA-256 (entries written before this version), 2 = HMAC-SHA-256
-- under the audit key of the key file, which the database never holds.
ALTER TABLE audit_log ADD COLUMN who TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;

-- The language an order was placed in, and its lines' names in English.
--
-- Emails about an order (the confirmation, lookup codes) are written in the order's own
-- language, and an order shown in English names its items in English. Orders placed before
-- this migration were placed in Vietnamese (the only language checkout recorded) and keep
-- the Vietnamese names they were sold under: their English columns stay NULL, and every view
-- shows what was recorded then.
ALTER TABLE orders ADD COLUMN lang TEXT NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en'));
ALTER TABLE order_lines ADD COLUMN product_name_en TEXT;
ALTER TABLE order_lines ADD COLUMN variant_label_en TEXT;

-- A used code is kept, marked, instead of deleted, so that presenting it again is answered
-- "already used" rather than "wrong". Wrong tries are no longer counted on the code row but
-- per order number in `rate_limits`, whether or not such an order exists, so that the
-- answer to a wrong code cannot tell whether it does (docs/lookup.md).
ALTER TABLE lookup_codes ADD COLUMN used_at BIGINT;
ALTER TABLE lookup_codes DROP COLUMN attempts;

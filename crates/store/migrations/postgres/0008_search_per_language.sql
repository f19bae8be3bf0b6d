-- Search in the shopper's language: the Vietnamese shop matches Vietnamese names, category
-- names and descriptions only, the English shop English ones only. The old columns folded
-- both languages together, so a Vietnamese search for "dam" (đầm, a dress) found every
-- English description that says "damp cloth".
--
-- SQL cannot fold Vietnamese (tones, đ → d), so the new columns start empty (NULL) and the
-- store fills them in Rust right after migrating (`search_text::refold`, run by
-- `Db::migrate`): every row whose `search_folding` is NULL or older than the folding the
-- code carries (`hanjinbi_domain::search::FOLDING`) is refolded from its name and
-- description, which stay as they were. Nothing is lost: the dropped columns held only a
-- folded copy of those.
ALTER TABLE products ADD COLUMN search_name_vi TEXT;
ALTER TABLE products ADD COLUMN search_body_vi TEXT;
ALTER TABLE products ADD COLUMN search_name_en TEXT;
ALTER TABLE products ADD COLUMN search_body_en TEXT;
ALTER TABLE products ADD COLUMN search_folding BIGINT;
ALTER TABLE products DROP COLUMN search_name;
ALTER TABLE products DROP COLUMN search_body;

ALTER TABLE categories ADD COLUMN search_name_vi TEXT;
ALTER TABLE categories ADD COLUMN search_name_en TEXT;
ALTER TABLE categories ADD COLUMN search_folding BIGINT;

-- The catalog (categories, products, variants) and server-side carts.
-- Money is a whole number of đồng; times are Unix seconds.

CREATE TABLE categories (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    name_vi        TEXT    NOT NULL,
    name_en        TEXT    NOT NULL,
    description_vi TEXT    NOT NULL,
    description_en TEXT    NOT NULL,
    position       INTEGER NOT NULL
);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    category_id    INTEGER NOT NULL REFERENCES categories (id),
    name_vi        TEXT    NOT NULL,
    name_en        TEXT    NOT NULL,
    description_vi TEXT    NOT NULL,
    description_en TEXT    NOT NULL,
    featured       INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    color_hex      TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    -- Folded text for search (see hanjinbi_domain::search): names, then descriptions.
    search_name    TEXT    NOT NULL,
    search_body    TEXT    NOT NULL
);
CREATE INDEX products_by_category ON products (category_id);

CREATE TABLE variants (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    sku        TEXT    NOT NULL UNIQUE,
    size_label TEXT    NOT NULL,
    color_vi   TEXT    NOT NULL,
    color_en   TEXT    NOT NULL,
    price      INTEGER NOT NULL CHECK (price >= 0),
    stock      INTEGER NOT NULL CHECK (stock >= 0),
    position   INTEGER NOT NULL
);
CREATE INDEX variants_by_product ON variants (product_id);

CREATE TABLE carts (
    id         TEXT    PRIMARY KEY,
    token_hash BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cart_items (
    cart_id    TEXT    NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (cart_id, variant_id)
);

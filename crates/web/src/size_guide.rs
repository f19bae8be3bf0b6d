//! Size guides, in both languages, in one place: body measurements per size for each kind of
//! garment the shop sells. A product page shows the tables of its category that name at
//! least one of the product's sizes, so a one-size bag shows none and socks sold as `35-39`
//! show the sock table.

use hanjinbi_domain::Lang;

/// Text in Vietnamese and English.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub vi: &'static str,
    pub en: &'static str,
}

impl Words {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

const fn w(vi: &'static str, en: &'static str) -> Words {
    Words { vi, en }
}

/// One table: a row per size label, as the catalog writes it.
#[derive(Debug)]
pub struct Table {
    pub title: Words,
    /// Headings of the measurement columns (the first column is the size).
    pub columns: &'static [Words],
    pub rows: &'static [(&'static str, &'static [&'static str])],
    pub note: Words,
}

const BODY_NOTE: Words = w(
    "Số đo cơ thể, tính bằng cm. Nếu số đo nằm giữa hai cỡ, hãy chọn cỡ lớn hơn.",
    "Body measurements in cm. Between two sizes, choose the larger one.",
);

pub const TOPS: Table = Table {
    title: w("Áo (cm)", "Tops (cm)"),
    columns: &[
        w("Vòng ngực", "Chest"),
        w("Vòng eo", "Waist"),
        w("Dài áo", "Length"),
    ],
    rows: &[
        ("S", &["84–88", "68–72", "64"]),
        ("M", &["88–92", "72–76", "66"]),
        ("L", &["92–96", "76–80", "68"]),
        ("XL", &["96–100", "80–84", "70"]),
        ("XXL", &["100–106", "84–90", "72"]),
    ],
    note: BODY_NOTE,
};

pub const TROUSERS: Table = Table {
    title: w("Quần, theo vòng eo (cm)", "Trousers, by waist (cm)"),
    columns: &[
        w("Vòng eo", "Waist"),
        w("Vòng mông", "Hips"),
        w("Dài quần", "Length"),
    ],
    rows: &[
        ("S", &["64–68", "88–92", "98"]),
        ("M", &["68–72", "92–96", "100"]),
        ("L", &["72–76", "96–100", "102"]),
        ("XL", &["76–82", "100–104", "104"]),
        ("XXL", &["82–88", "104–110", "106"]),
    ],
    note: BODY_NOTE,
};

pub const DRESSES: Table = Table {
    title: w("Đầm và váy (cm)", "Dresses and skirts (cm)"),
    columns: &[
        w("Vòng ngực", "Bust"),
        w("Vòng eo", "Waist"),
        w("Vòng mông", "Hips"),
    ],
    rows: &[
        ("S", &["80–84", "64–68", "88–92"]),
        ("M", &["84–88", "68–72", "92–96"]),
        ("L", &["88–92", "72–76", "96–100"]),
        ("XL", &["92–96", "76–80", "100–104"]),
        ("XXL", &["96–102", "80–86", "104–110"]),
    ],
    note: BODY_NOTE,
};

pub const SHOES: Table = Table {
    title: w("Giày, cỡ EU", "Shoes, EU sizes"),
    columns: &[w("Chiều dài bàn chân (cm)", "Foot length (cm)")],
    rows: &[
        ("35", &["22,0–22,5"]),
        ("36", &["22,5–23,0"]),
        ("37", &["23,0–23,5"]),
        ("38", &["23,5–24,0"]),
        ("39", &["24,0–24,5"]),
        ("40", &["24,5–25,0"]),
        ("41", &["25,0–25,5"]),
        ("42", &["25,5–26,0"]),
        ("43", &["26,0–26,5"]),
        ("44", &["26,5–27,0"]),
        ("45", &["27,0–27,5"]),
    ],
    note: w(
        "Đo từ gót đến đầu ngón chân dài nhất, vào buổi chiều khi bàn chân lớn nhất.",
        "Measure from heel to the longest toe, in the afternoon when feet are largest.",
    ),
};

pub const SPORTSWEAR: Table = Table {
    title: w("Đồ thể thao (cm)", "Sportswear (cm)"),
    columns: &[
        w("Vòng ngực", "Chest"),
        w("Vòng eo", "Waist"),
        w("Vòng mông", "Hips"),
    ],
    rows: &[
        ("S", &["80–86", "62–68", "86–92"]),
        ("M", &["86–92", "68–74", "92–98"]),
        ("L", &["92–98", "74–80", "98–104"]),
        ("XL", &["98–104", "80–86", "104–110"]),
        ("XXL", &["104–110", "86–92", "110–116"]),
    ],
    note: w(
        "Số đo cơ thể, tính bằng cm. Đồ tập ôm sát: nếu thích rộng rãi, hãy chọn lớn hơn một cỡ.",
        "Body measurements in cm. Training wear fits close: for a looser fit, go one size up.",
    ),
};

pub const SOCKS: Table = Table {
    title: w("Tất", "Socks"),
    columns: &[
        w("Cỡ giày EU", "EU shoe size"),
        w("Chiều dài bàn chân (cm)", "Foot length (cm)"),
    ],
    rows: &[
        ("35-39", &["35–39", "22,0–24,5"]),
        ("40-44", &["40–44", "24,5–27,0"]),
    ],
    note: w(
        "Chọn theo cỡ giày thường đi.",
        "Choose by the shoe size you usually wear.",
    ),
};

pub const KIDS: Table = Table {
    title: w("Quần áo trẻ em, theo chiều cao", "Kidswear, by height"),
    columns: &[
        w("Chiều cao (cm)", "Height (cm)"),
        w("Tuổi (gần đúng)", "Age (about)"),
        w("Vòng ngực (cm)", "Chest (cm)"),
    ],
    rows: &[
        ("90 cm", &["85–95", "2–3", "52"]),
        ("100 cm", &["95–105", "3–4", "54"]),
        ("110 cm", &["105–115", "4–5", "56"]),
        ("120 cm", &["115–125", "6–7", "60"]),
        ("130 cm", &["125–135", "8–9", "64"]),
        ("140 cm", &["135–145", "9–10", "68"]),
    ],
    note: w(
        "Chọn theo chiều cao của bé hơn là theo tuổi.",
        "Choose by your child's height rather than age.",
    ),
};

pub const KIDS_SHOES: Table = Table {
    title: w("Giày trẻ em, cỡ EU", "Children's shoes, EU sizes"),
    columns: &[w("Chiều dài bàn chân (cm)", "Foot length (cm)")],
    rows: &[
        ("26", &["15,5–16,0"]),
        ("28", &["16,5–17,0"]),
        ("30", &["18,0–18,5"]),
        ("32", &["19,5–20,0"]),
        ("34", &["21,0–21,5"]),
    ],
    note: w(
        "Để dư khoảng 1 cm ở mũi giày cho chân bé phát triển.",
        "Leave about 1 cm at the toe for growing feet.",
    ),
};

pub const KIDS_HATS: Table = Table {
    title: w("Mũ trẻ em", "Children's hats"),
    columns: &[
        w("Vòng đầu (cm)", "Head (cm)"),
        w("Tuổi (gần đúng)", "Age (about)"),
    ],
    rows: &[("48 cm", &["47–49", "1–2"]), ("52 cm", &["51–53", "3–6"])],
    note: w(
        "Đo vòng đầu ngang trán, phía trên tai.",
        "Measure around the forehead, above the ears.",
    ),
};

pub const BELTS: Table = Table {
    title: w("Thắt lưng", "Belts"),
    columns: &[w("Vòng eo phù hợp (cm)", "Fits waist (cm)")],
    rows: &[
        ("105 cm", &["75–90"]),
        ("115 cm", &["85–100"]),
        ("125 cm", &["95–110"]),
    ],
    note: w(
        "Cỡ là chiều dài dây tính đến lỗ giữa.",
        "The size is the strap's length to the middle hole.",
    ),
};

const ALL: &[&Table] = &[
    &TOPS,
    &TROUSERS,
    &DRESSES,
    &SHOES,
    &SPORTSWEAR,
    &SOCKS,
    &KIDS,
    &KIDS_SHOES,
    &KIDS_HATS,
    &BELTS,
];

/// The tables a category's products may need; every table for a category not listed.
fn tables_of(category: &str) -> &'static [&'static Table] {
    match category {
        "ao" => &[&TOPS],
        "quan" => &[&TROUSERS],
        "dam-vay" => &[&DRESSES],
        "giay" => &[&SHOES],
        "tui-xach" => &[],
        "phu-kien" => &[&BELTS],
        "do-the-thao" => &[&SPORTSWEAR, &SOCKS],
        "do-tre-em" => &[&KIDS, &KIDS_SHOES, &KIDS_HATS],
        _ => ALL,
    }
}

/// The tables to show for a product of `category` sold in `sizes`.
pub fn for_product<'a>(
    category: &str,
    sizes: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<&'static Table> {
    tables_of(category)
        .iter()
        .copied()
        .filter(|table| {
            sizes
                .clone()
                .into_iter()
                .any(|size| table.rows.iter().any(|(label, _)| *label == size))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_value_per_column() {
        for table in ALL {
            for (label, values) in table.rows {
                assert_eq!(
                    values.len(),
                    table.columns.len(),
                    "{} {label}",
                    table.title.en
                );
            }
        }
    }

    #[test]
    fn a_product_gets_the_tables_naming_its_sizes() {
        let titles = |category, sizes: &[&str]| -> Vec<&str> {
            for_product(category, sizes.iter().copied())
                .iter()
                .map(|t| t.title.en)
                .collect()
        };
        assert_eq!(titles("ao", &["M", "L"]), ["Tops (cm)"]);
        assert_eq!(titles("giay", &["36", "37"]), ["Shoes, EU sizes"]);
        assert_eq!(titles("do-the-thao", &["35-39", "40-44"]), ["Socks"]);
        assert_eq!(titles("do-the-thao", &["Một cỡ"]), Vec::<&str>::new());
        assert_eq!(titles("tui-xach", &["Một cỡ"]), Vec::<&str>::new());
        assert_eq!(
            titles("do-tre-em", &["28", "30"]),
            ["Children's shoes, EU sizes"]
        );
        assert_eq!(titles("phu-kien", &["105 cm"]), ["Belts"]);
    }

    #[test]
    fn every_sized_demo_product_has_a_guide() {
        let catalog: serde_json::Value =
            serde_json::from_str(include_str!("../../services/data/demo-catalog.json")).unwrap();
        for product in catalog["products"].as_array().unwrap() {
            let sizes: Vec<&str> = product["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["size"].as_str().unwrap())
                .collect();
            if sizes.iter().all(|s| *s == "Một cỡ") {
                continue;
            }
            let category = product["category"].as_str().unwrap();
            let tables = for_product(category, sizes.iter().copied());
            assert!(!tables.is_empty(), "{} has no size guide", product["slug"]);
            for size in &sizes {
                assert!(
                    tables.iter().any(|t| t.rows.iter().any(|(l, _)| l == size)),
                    "{}: size {size} is in no table",
                    product["slug"]
                );
            }
        }
    }
}

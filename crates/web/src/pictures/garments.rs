//! The garments the illustrations draw, each as outlines on a 600 × 600 canvas, and the rule
//! that picks one for a product from its category and name.

use hanjinbi_domain::search::fold;

/// Something drawn on a garment besides its outline.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    /// A seam or edge, in the fabric's ink colour.
    Line(&'static str),
    /// A row of stitches.
    Stitch(&'static str),
    /// Contrast top-stitching, as on jeans.
    Thread(&'static str),
    /// A part in a deeper shade of the fabric: collar, waistband, cuffs, straps.
    Trim(&'static str),
    /// A sole or heel, in a neutral colour that suits the fabric.
    Sole(&'static str),
    /// A zip, drawn in metal.
    Zip(&'static str),
    /// A metal part: buckle, clasp.
    Metal(&'static str),
    /// A button or zip pull at (x, y) with radius r.
    Button(u16, u16, u16),
    /// A punched hole at (x, y) with radius r.
    Hole(u16, u16, u16),
    /// Tinted glass.
    Glass(&'static str),
    /// A chain in the fabric's own colour (jewellery).
    Chain(&'static str),
}

/// A garment's drawing: the outline filled with the fabric, and its marks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// Closed paths filled with the fabric and outlined.
    pub body: &'static [&'static str],
    /// Marks seen from both sides.
    pub both: &'static [Mark],
    pub front: &'static [Mark],
    pub back: &'static [Mark],
    /// The back view is the front view mirrored, with the back marks (shoes and bags seen
    /// from their other side).
    pub mirror_back: bool,
    /// Where the detail view looks: centre x, centre y, side of the square shown.
    pub focus: (u16, u16, u16),
    /// Where a children's motif goes on the front, if the garment has room for one.
    pub motif: Option<(u16, u16)>,
}

/// What a product is drawn as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garment {
    Tee,
    Polo,
    Shirt,
    Jacket,
    Puffer,
    Sweater,
    Cardigan,
    Vest,
    SportsBra,
    Trousers,
    Jeans,
    WideTrousers,
    Joggers,
    Leggings,
    Shorts,
    Dress,
    MaxiDress,
    SlipDress,
    Skirt,
    PleatedSkirt,
    Sneaker,
    Heel,
    Boot,
    Sandal,
    Slide,
    Flat,
    Loafer,
    Handbag,
    Tote,
    Backpack,
    Crossbody,
    Clutch,
    BeltBag,
    Scarf,
    BucketHat,
    Beanie,
    Belt,
    Wallet,
    Sunglasses,
    Necklace,
    YogaMat,
    Socks,
}

use Garment as G;

/// Words of a product name that say what it is, per category of the catalog, first match
/// wins; then the category's own garment.
const TOPS: &[(&str, Garment)] = &[
    ("khoac phao", G::Puffer),
    ("khoac", G::Jacket),
    ("so mi", G::Shirt),
    ("kieu", G::Shirt),
    ("polo", G::Polo),
    ("gile", G::Vest),
    ("cardigan", G::Cardigan),
    ("len", G::Sweater),
];
const TROUSERS: &[(&str, Garment)] = &[
    ("short", G::Shorts),
    ("jean", G::Jeans),
    ("ong rong", G::WideTrousers),
    ("culottes", G::WideTrousers),
    ("baggy", G::WideTrousers),
    ("jogger", G::Joggers),
    ("legging", G::Leggings),
];
const DRESSES: &[(&str, Garment)] = &[
    ("chan vay xep ly", G::PleatedSkirt),
    ("chan vay", G::Skirt),
    ("maxi", G::MaxiDress),
    ("hai day", G::SlipDress),
];
const SHOES: &[(&str, Garment)] = &[
    ("cao got", G::Heel),
    ("bot", G::Boot),
    ("sandal", G::Sandal),
    ("dep", G::Slide),
    ("bup be", G::Flat),
    ("luoi", G::Loafer),
];
const BAGS: &[(&str, Garment)] = &[
    ("balo", G::Backpack),
    ("tote", G::Tote),
    ("coi", G::Tote),
    ("deo cheo", G::Crossbody),
    ("clutch", G::Clutch),
    ("bao tu", G::BeltBag),
];
const ACCESSORIES: &[(&str, Garment)] = &[
    ("khan", G::Scarf),
    ("mu len", G::Beanie),
    ("beanie", G::Beanie),
    ("mu", G::BucketHat),
    ("that lung", G::Belt),
    ("vi", G::Wallet),
    ("kinh", G::Sunglasses),
    ("day chuyen", G::Necklace),
];
const SPORTSWEAR: &[(&str, Garment)] = &[
    ("bra", G::SportsBra),
    ("legging", G::Leggings),
    ("short", G::Shorts),
    ("khoac", G::Jacket),
    ("bo ni", G::Jacket),
    ("tham", G::YogaMat),
    ("tat", G::Socks),
];
const KIDSWEAR: &[(&str, Garment)] = &[
    ("khoac phao", G::Puffer),
    ("khoac", G::Jacket),
    ("cardigan", G::Cardigan),
    ("dam", G::Dress),
    ("giay", G::Sneaker),
    ("jean", G::Jeans),
    ("quan", G::Trousers),
    ("mu", G::BucketHat),
    ("balo", G::Backpack),
];

/// A product's drawing: the garment, and whether it is children's wear (drawn with a motif).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub garment: Garment,
    pub kids: bool,
}

impl Figure {
    /// The garment for a product of category `category` named `name_vi`. The demo catalog's
    /// categories each have their garments; a product of another category is matched against
    /// all of their words and drawn as a T-shirt when none fits.
    pub fn for_product(category: &str, name_vi: &str) -> Figure {
        let name = format!(" {} ", fold(name_vi));
        let pick = |rules: &[(&str, Garment)], default: Garment| {
            rules
                .iter()
                .find(|(word, _)| name.contains(&format!(" {word} ")))
                .map_or(default, |(_, garment)| *garment)
        };
        let garment = match category {
            "ao" => pick(TOPS, G::Tee),
            "quan" => pick(TROUSERS, G::Trousers),
            "dam-vay" => pick(DRESSES, G::Dress),
            "giay" => pick(SHOES, G::Sneaker),
            "tui-xach" => pick(BAGS, G::Handbag),
            "phu-kien" => pick(ACCESSORIES, G::Scarf),
            "do-the-thao" => pick(SPORTSWEAR, G::Tee),
            "do-tre-em" => pick(KIDSWEAR, G::Tee),
            _ => [
                TOPS,
                TROUSERS,
                DRESSES,
                SHOES,
                BAGS,
                ACCESSORIES,
                SPORTSWEAR,
            ]
            .into_iter()
            .find_map(|rules| {
                let found = pick(rules, G::Tee);
                (found != G::Tee).then_some(found)
            })
            .unwrap_or(G::Tee),
        };
        Figure {
            garment,
            kids: category == "do-tre-em",
        }
    }
}

// Outlines shared by several garments.
const TEE: &str = "M212 118 L160 140 L92 205 L140 268 L186 238 L186 510 L414 510 L414 238 \
     L460 268 L508 205 L440 140 L388 118 Q300 178 212 118 Z";
const LONG_TOP: &str = "M222 112 L168 132 Q128 150 118 220 L96 470 L148 478 L178 262 L182 512 \
     L418 512 L422 262 L452 478 L504 470 L482 220 Q472 150 432 132 L378 112 Q300 160 222 112 Z";
const TEE_HEMS: Mark = Mark::Stitch("M186 492 L414 492 M146 256 L190 228 M454 256 L410 228");
const CUFFS: Mark =
    Mark::Trim("M96 470 L148 478 L151 456 L99 448 Z M504 470 L452 478 L449 456 L501 448 Z");
const TROUSERS_BODY: &str = "M198 92 L402 92 L428 520 L322 520 L300 230 L278 520 L172 520 Z";
const WAISTBAND: Mark = Mark::Trim("M198 92 L402 92 L404 124 L196 124 Z");
const BACK_POCKETS: Mark = Mark::Line("M222 160 H282 V212 H222 Z M318 160 H378 V212 H318 Z");
const FLAT_SOLE: Mark = Mark::Sole(
    "M96 430 Q96 400 150 400 L470 400 Q512 400 512 430 Q512 458 470 458 L150 458 Q96 458 96 430 Z",
);
const DRESS_BACK_ZIP: Mark = Mark::Zip("M300 104 V300");

impl Garment {
    pub(super) fn shape(self) -> Shape {
        match self {
            G::Tee => Shape {
                body: &[TEE],
                both: &[TEE_HEMS],
                front: &[Mark::Trim(
                    "M212 118 Q300 178 388 118 L396 124 Q300 196 204 124 Z",
                )],
                back: &[
                    Mark::Line("M212 118 Q300 142 388 118"),
                    Mark::Trim("M290 126 h20 v18 h-20 Z"),
                ],
                mirror_back: false,
                focus: (300, 170, 280),
                motif: Some((300, 300)),
            },
            G::Polo => Shape {
                body: &[TEE],
                both: &[TEE_HEMS],
                front: &[
                    Mark::Trim("M212 118 L246 176 L300 150 L354 176 L388 118 Q300 150 212 118 Z"),
                    Mark::Line("M288 150 V240 H312 V150"),
                    Mark::Button(300, 178, 6),
                    Mark::Button(300, 212, 6),
                ],
                back: &[Mark::Trim(
                    "M212 118 Q300 150 388 118 L384 102 Q300 132 216 102 Z",
                )],
                mirror_back: false,
                focus: (300, 170, 240),
                motif: Some((350, 300)),
            },
            G::Shirt => Shape {
                body: &[LONG_TOP],
                both: &[Mark::Line("M99 448 L151 456 M501 448 L449 456")],
                front: &[
                    Mark::Trim("M222 112 L256 170 L300 146 L344 170 L378 112 Q300 150 222 112 Z"),
                    Mark::Line("M300 146 V512"),
                    Mark::Line("M330 215 H382 V270 Q356 282 330 270 Z"),
                    Mark::Button(300, 200, 6),
                    Mark::Button(300, 270, 6),
                    Mark::Button(300, 340, 6),
                    Mark::Button(300, 410, 6),
                    Mark::Button(300, 480, 6),
                ],
                back: &[
                    Mark::Line("M186 176 Q300 196 414 176"),
                    Mark::Line("M300 186 V236"),
                    Mark::Trim("M222 112 Q300 150 378 112 L374 98 Q300 134 226 98 Z"),
                ],
                mirror_back: false,
                focus: (300, 190, 240),
                motif: None,
            },
            G::Jacket => Shape {
                body: &[LONG_TOP],
                both: &[CUFFS, Mark::Trim("M182 488 H418 V512 H182 Z")],
                front: &[
                    Mark::Trim("M222 112 Q300 160 378 112 L372 92 Q300 138 228 92 Z"),
                    Mark::Zip("M300 140 V488"),
                    Mark::Button(300, 164, 8),
                    Mark::Stitch("M196 360 L224 440 M404 360 L376 440"),
                ],
                back: &[
                    Mark::Trim("M222 112 Q300 130 378 112 L372 92 Q300 112 228 92 Z"),
                    Mark::Line("M182 200 Q300 226 418 200"),
                ],
                mirror_back: false,
                focus: (300, 170, 260),
                motif: Some((360, 260)),
            },
            G::Puffer => Shape {
                body: &[LONG_TOP],
                both: &[
                    CUFFS,
                    Mark::Line(
                        "M182 230 H418 M180 300 H420 M180 370 H420 M181 440 H419 M118 300 L172 300 \
                         M428 300 L482 300 M108 380 L170 380 M430 380 L492 380",
                    ),
                ],
                front: &[
                    Mark::Trim("M222 112 Q300 160 378 112 L372 88 Q300 136 228 88 Z"),
                    Mark::Zip("M300 140 V512"),
                    Mark::Button(300, 164, 8),
                ],
                back: &[Mark::Trim(
                    "M222 112 Q300 130 378 112 L372 88 Q300 108 228 88 Z",
                )],
                mirror_back: false,
                focus: (300, 200, 260),
                motif: Some((360, 260)),
            },
            G::Sweater => Shape {
                body: &[LONG_TOP],
                both: &[
                    CUFFS,
                    Mark::Trim("M182 484 H418 V512 H182 Z"),
                    Mark::Line(
                        "M200 488 V508 M224 488 V508 M248 488 V508 M272 488 V508 M296 488 V508 \
                         M320 488 V508 M344 488 V508 M368 488 V508 M392 488 V508",
                    ),
                ],
                front: &[
                    Mark::Trim("M222 112 Q300 160 378 112 L382 96 Q300 144 218 96 Z"),
                    Mark::Line(
                        "M262 200 Q250 260 262 320 Q274 380 262 440 M338 200 Q350 260 338 320 \
                         Q326 380 338 440",
                    ),
                ],
                back: &[Mark::Trim(
                    "M222 112 Q300 132 378 112 L382 96 Q300 116 218 96 Z",
                )],
                mirror_back: false,
                focus: (300, 220, 260),
                motif: Some((300, 300)),
            },
            G::Cardigan => Shape {
                body: &[LONG_TOP],
                both: &[CUFFS, Mark::Trim("M182 484 H418 V512 H182 Z")],
                front: &[
                    Mark::Trim("M222 112 L300 290 L378 112 L388 120 L306 300 V512 H294 V300 L212 120 Z"),
                    Mark::Button(300, 330, 7),
                    Mark::Button(300, 390, 7),
                    Mark::Button(300, 450, 7),
                ],
                back: &[Mark::Line("M222 112 Q300 132 378 112")],
                mirror_back: false,
                focus: (300, 360, 220),
                motif: Some((360, 380)),
            },
            G::Vest => Shape {
                body: &["M225 110 L180 130 Q200 210 185 250 L185 505 L415 505 L415 250 \
                     Q400 210 420 130 L375 110 L300 260 Z"],
                both: &[Mark::Trim("M185 480 H415 V505 H185 Z")],
                front: &[
                    Mark::Trim("M225 110 L300 260 L375 110 L385 118 L300 282 L215 118 Z"),
                    Mark::Button(300, 320, 7),
                    Mark::Button(300, 380, 7),
                    Mark::Button(300, 440, 7),
                ],
                back: &[Mark::Line("M225 110 Q300 130 375 110")],
                mirror_back: false,
                focus: (300, 300, 240),
                motif: None,
            },
            G::SportsBra => Shape {
                body: &["M200 180 Q210 120 240 110 L270 110 Q300 170 330 110 L360 110 \
                     Q390 120 400 180 L410 330 Q300 350 190 330 Z"],
                both: &[Mark::Trim(
                    "M194 300 Q300 318 406 300 L410 330 Q300 350 190 330 Z",
                )],
                front: &[Mark::Stitch("M226 200 Q300 246 374 200")],
                back: &[Mark::Line("M240 110 L300 236 L360 110")],
                mirror_back: false,
                focus: (300, 240, 260),
                motif: None,
            },
            G::Trousers => Shape {
                body: &[TROUSERS_BODY],
                both: &[WAISTBAND],
                front: &[
                    Mark::Line("M300 124 V228 M206 124 Q236 170 204 196 M394 124 Q364 170 396 196"),
                    Mark::Stitch("M314 124 V200 Q314 216 300 224"),
                    Mark::Line("M240 200 L228 510 M360 200 L372 510"),
                    Mark::Button(300, 108, 6),
                ],
                back: &[BACK_POCKETS, Mark::Line("M300 124 V228")],
                mirror_back: false,
                focus: (300, 170, 240),
                motif: None,
            },
            G::Jeans => Shape {
                body: &[TROUSERS_BODY],
                both: &[
                    WAISTBAND,
                    Mark::Thread("M180 500 L276 500 M324 500 L420 500"),
                ],
                front: &[
                    Mark::Line("M300 124 V228 M206 124 Q236 170 204 196 M394 124 Q364 170 396 196"),
                    Mark::Thread(
                        "M212 130 Q240 172 208 190 M388 130 Q360 172 392 190 \
                         M316 124 V200 Q316 218 300 226",
                    ),
                    Mark::Button(300, 108, 7),
                ],
                back: &[
                    BACK_POCKETS,
                    Mark::Thread("M228 168 L252 186 L276 168 M324 168 L348 186 L372 168"),
                    Mark::Line("M300 124 V228"),
                ],
                mirror_back: false,
                focus: (300, 170, 240),
                motif: Some((250, 380)),
            },
            G::WideTrousers => Shape {
                body: &["M205 92 L395 92 L455 520 L318 520 L300 240 L282 520 L145 520 Z"],
                both: &[Mark::Trim("M205 92 L395 92 L397 124 L203 124 Z")],
                front: &[
                    Mark::Line("M250 124 L232 300 M350 124 L368 300 M300 124 V232"),
                    Mark::Button(300, 108, 6),
                ],
                back: &[Mark::Line("M300 124 V232")],
                mirror_back: false,
                focus: (300, 170, 240),
                motif: None,
            },
            G::Joggers => Shape {
                body: &["M205 92 L395 92 L398 490 L326 490 L306 230 L294 230 L274 490 L202 490 Z"],
                both: &[
                    Mark::Trim("M205 92 L395 92 L396 122 L204 122 Z"),
                    Mark::Trim("M204 470 H272 V500 H204 Z M328 470 H396 V500 H328 Z"),
                ],
                front: &[
                    Mark::Line("M290 122 Q284 150 292 166 M310 122 Q316 150 308 166"),
                    Mark::Line("M210 124 Q236 170 206 196 M390 124 Q364 170 394 196"),
                ],
                back: &[Mark::Line("M300 122 V228 M226 160 H280 V200 H226 Z")],
                mirror_back: false,
                focus: (300, 150, 220),
                motif: None,
            },
            G::Leggings => Shape {
                body: &["M215 92 L385 92 L380 510 L326 510 L304 240 L296 240 L274 510 L220 510 Z"],
                both: &[Mark::Trim("M215 92 L385 92 L386 140 L214 140 Z")],
                front: &[Mark::Stitch("M248 140 L246 500 M352 140 L354 500")],
                back: &[Mark::Line("M300 140 V236")],
                mirror_back: false,
                focus: (300, 150, 220),
                motif: None,
            },
            G::Shorts => Shape {
                body: &["M198 150 L402 150 L432 390 L318 402 L300 300 L282 402 L168 390 Z"],
                both: &[
                    Mark::Trim("M198 150 L402 150 L404 182 L196 182 Z"),
                    Mark::Stitch("M172 372 L282 384 M318 384 L428 372"),
                ],
                front: &[Mark::Line(
                    "M300 182 V290 M206 182 Q236 220 204 244 M394 182 Q364 220 396 244",
                )],
                back: &[Mark::Line(
                    "M300 182 V290 M226 210 H280 V252 H226 Z M320 210 H374 V252 H320 Z",
                )],
                mirror_back: false,
                focus: (300, 220, 240),
                motif: None,
            },
            G::Dress => Shape {
                body: &["M250 92 L215 108 L180 150 L210 175 L228 160 L236 250 L170 520 \
                     L430 520 L364 250 L372 160 L390 175 L420 150 L385 108 L350 92 \
                     Q300 130 250 92 Z"],
                both: &[
                    Mark::Line("M236 250 Q300 262 364 250"),
                    Mark::Stitch("M176 500 L424 500"),
                ],
                front: &[Mark::Trim(
                    "M250 92 Q300 130 350 92 L356 100 Q300 146 244 100 Z",
                )],
                back: &[DRESS_BACK_ZIP],
                mirror_back: false,
                focus: (300, 200, 240),
                motif: Some((300, 190)),
            },
            G::MaxiDress => Shape {
                body: &["M250 80 L215 96 L186 136 L212 158 L230 146 L238 240 L140 560 \
                     L460 560 L362 240 L370 146 L388 158 L414 136 L385 96 L350 80 \
                     Q300 118 250 80 Z"],
                both: &[Mark::Line(
                    "M238 240 Q300 252 362 240 M188 400 Q300 420 412 400",
                )],
                front: &[Mark::Trim(
                    "M250 80 Q300 118 350 80 L356 88 Q300 134 244 88 Z",
                )],
                back: &[DRESS_BACK_ZIP],
                mirror_back: false,
                focus: (300, 200, 240),
                motif: None,
            },
            G::SlipDress => Shape {
                body: &["M240 170 Q300 196 360 170 L372 262 L440 540 L160 540 L228 262 Z"],
                both: &[Mark::Trim(
                    "M242 172 L256 70 L264 70 L252 176 Z M358 172 L344 70 L336 70 L348 176 Z",
                )],
                front: &[Mark::Line("M228 262 Q300 280 372 262")],
                back: &[Mark::Line("M240 170 Q300 214 360 170")],
                mirror_back: false,
                focus: (300, 210, 220),
                motif: None,
            },
            G::Skirt => Shape {
                body: &["M222 130 L378 130 L462 500 L138 500 Z"],
                both: &[
                    Mark::Trim("M222 130 L378 130 L382 166 L218 166 Z"),
                    Mark::Stitch("M146 480 L454 480"),
                ],
                front: &[
                    Mark::Line("M240 170 Q250 220 228 240 M360 170 Q350 220 372 240"),
                    Mark::Button(300, 200, 6),
                    Mark::Button(300, 250, 6),
                    Mark::Button(300, 300, 6),
                ],
                back: &[Mark::Zip("M300 166 V280")],
                mirror_back: false,
                focus: (300, 200, 220),
                motif: None,
            },
            G::PleatedSkirt => Shape {
                body: &["M222 130 L378 130 L462 520 L138 520 Z"],
                both: &[
                    Mark::Trim("M222 130 L378 130 L382 166 L218 166 Z"),
                    Mark::Line(
                        "M240 166 L180 520 M262 166 L222 520 M284 166 L266 520 M306 166 L310 520 \
                         M328 166 L354 520 M350 166 L398 520 M368 166 L436 520",
                    ),
                ],
                front: &[],
                back: &[Mark::Zip("M300 140 V230")],
                mirror_back: false,
                focus: (300, 330, 240),
                motif: None,
            },
            G::Sneaker => Shape {
                body: &["M100 410 L96 336 Q98 300 126 298 Q190 322 244 300 L262 258 \
                     Q270 238 294 246 L400 300 Q482 318 506 372 L508 410 Z"],
                both: &[
                    Mark::Sole("M90 410 L514 410 Q520 446 486 452 L118 452 Q86 446 90 410 Z"),
                    Mark::Stitch("M112 396 L498 396"),
                    Mark::Line("M446 320 Q462 372 508 392"),
                ],
                front: &[
                    Mark::Line("M150 380 Q300 372 430 334"),
                    Mark::Line(
                        "M270 278 L290 252 M296 290 L316 264 M322 300 L342 274 M348 308 L368 284",
                    ),
                    Mark::Hole(270, 278, 4),
                    Mark::Hole(296, 290, 4),
                    Mark::Hole(322, 300, 4),
                    Mark::Hole(348, 308, 4),
                ],
                back: &[Mark::Trim(
                    "M96 336 Q98 300 126 298 L134 322 Q114 330 114 406 L100 410 Z",
                )],
                mirror_back: true,
                focus: (300, 320, 260),
                motif: Some((420, 360)),
            },
            G::Heel => Shape {
                body: &["M90 395 Q130 355 240 345 Q330 338 380 300 Q420 252 465 246 \
                     L478 262 Q470 300 458 395 Q300 410 90 395 Z"],
                both: &[
                    Mark::Sole("M436 395 L458 395 L452 522 L440 522 Z"),
                    Mark::Sole("M90 395 Q300 412 458 395 L458 404 Q300 420 94 402 Z"),
                ],
                front: &[Mark::Line("M250 345 Q320 356 390 306")],
                back: &[Mark::Stitch("M110 392 Q300 402 450 390")],
                mirror_back: true,
                focus: (380, 370, 260),
                motif: None,
            },
            G::Boot => Shape {
                body: &["M300 110 L420 110 L430 380 Q484 392 504 432 L504 470 L140 470 \
                     Q132 420 204 400 L300 370 Z"],
                both: &[
                    Mark::Sole("M134 470 H508 V500 H134 Z M430 500 H500 V520 H430 Z"),
                    Mark::Stitch("M150 456 H492"),
                ],
                front: &[Mark::Zip("M412 130 V380"), Mark::Button(412, 136, 7)],
                back: &[Mark::Trim("M300 110 Q360 86 420 110 L420 124 Q360 102 300 124 Z")],
                mirror_back: true,
                focus: (380, 300, 260),
                motif: None,
            },
            G::Sandal => Shape {
                body: &[
                    "M180 402 Q240 300 340 402 Z",
                    "M260 402 Q330 290 420 402 Z",
                    "M400 402 Q470 330 440 290 L452 284 Q490 336 418 402 Z",
                ],
                both: &[FLAT_SOLE],
                front: &[Mark::Metal("M440 292 h14 v14 h-14 Z")],
                back: &[Mark::Stitch("M120 430 H490")],
                mirror_back: true,
                focus: (300, 380, 260),
                motif: None,
            },
            G::Slide => Shape {
                body: &["M190 402 Q190 318 300 312 Q410 318 410 402 Z"],
                both: &[FLAT_SOLE],
                front: &[Mark::Stitch("M206 390 Q210 332 300 328 Q390 332 394 390")],
                back: &[Mark::Stitch("M120 430 H490")],
                mirror_back: true,
                focus: (300, 370, 240),
                motif: None,
            },
            G::Flat => Shape {
                body: &["M100 400 Q140 350 260 345 Q360 340 430 330 Q470 330 480 360 \
                     L478 400 Q300 414 100 400 Z"],
                both: &[Mark::Sole(
                    "M100 400 Q300 414 478 400 L478 412 Q300 426 104 410 Z",
                )],
                front: &[
                    Mark::Trim("M176 334 L200 350 L176 366 Z M224 334 L200 350 L224 366 Z"),
                    Mark::Button(200, 350, 6),
                ],
                back: &[Mark::Stitch("M120 396 Q300 406 470 394")],
                mirror_back: true,
                focus: (220, 360, 220),
                motif: None,
            },
            G::Loafer => Shape {
                body: &["M100 400 Q110 330 200 320 L330 300 Q420 290 470 330 Q492 350 490 400 \
                     Q300 414 100 400 Z"],
                both: &[Mark::Sole(
                    "M100 400 Q300 414 490 400 L490 420 Q300 432 104 418 Z",
                )],
                front: &[
                    Mark::Trim("M150 338 Q210 326 262 318 L266 340 Q212 346 156 358 Z"),
                    Mark::Stitch("M118 384 Q124 340 196 330"),
                ],
                back: &[Mark::Stitch("M120 396 Q300 406 480 394")],
                mirror_back: true,
                focus: (220, 350, 240),
                motif: None,
            },
            G::Handbag => Shape {
                body: &["M150 250 L450 250 L490 500 L110 500 Z"],
                both: &[
                    Mark::Trim(
                        "M214 250 Q214 130 300 130 Q386 130 386 250 L366 250 Q366 152 300 152 \
                         Q234 152 234 250 Z",
                    ),
                    Mark::Stitch("M128 484 L472 484"),
                ],
                front: &[
                    Mark::Trim("M150 250 L450 250 L444 334 L156 334 Z"),
                    Mark::Metal("M288 326 h24 v20 h-24 Z"),
                ],
                back: &[Mark::Line("M166 300 H434")],
                mirror_back: false,
                focus: (300, 320, 240),
                motif: None,
            },
            G::Tote => Shape {
                body: &["M150 230 L450 230 L468 512 L132 512 Z"],
                both: &[Mark::Trim(
                    "M210 230 Q215 90 300 90 Q385 90 390 230 L370 230 Q366 110 300 110 \
                     Q234 110 230 230 Z",
                )],
                front: &[Mark::Stitch("M230 330 H370 V440 H230 Z")],
                back: &[Mark::Stitch("M150 250 H450")],
                mirror_back: false,
                focus: (300, 360, 240),
                motif: None,
            },
            G::Backpack => Shape {
                body: &["M180 150 Q180 100 300 100 Q420 100 420 150 L430 500 Q430 522 408 522 \
                     L192 522 Q170 522 170 500 Z"],
                both: &[Mark::Line("M270 100 Q300 60 330 100")],
                front: &[
                    Mark::Trim(
                        "M210 330 H390 V478 Q390 500 368 500 H232 Q210 500 210 478 Z",
                    ),
                    Mark::Zip("M196 200 Q300 150 404 200 M214 350 H386"),
                    Mark::Button(386, 350, 7),
                ],
                back: &[Mark::Trim(
                    "M214 140 Q196 300 214 480 L244 480 Q228 300 246 140 Z \
                     M386 140 Q404 300 386 480 L356 480 Q372 300 354 140 Z",
                )],
                mirror_back: false,
                focus: (300, 370, 240),
                motif: Some((300, 250)),
            },
            G::Crossbody => Shape {
                body: &["M200 300 Q200 262 240 262 L360 262 Q400 262 400 300 L400 430 \
                     Q400 462 368 462 L232 462 Q200 462 200 430 Z"],
                both: &[Mark::Line("M212 280 Q300 -40 388 280")],
                front: &[
                    Mark::Trim(
                        "M200 300 Q200 262 240 262 L360 262 Q400 262 400 300 L400 360 \
                         Q300 392 200 360 Z",
                    ),
                    Mark::Button(300, 374, 9),
                ],
                back: &[Mark::Stitch("M214 300 V440 H386 V300")],
                mirror_back: false,
                focus: (300, 360, 220),
                motif: None,
            },
            G::Clutch => Shape {
                body: &["M120 262 H480 V442 H120 Z"],
                both: &[Mark::Stitch("M134 276 H466 V428 H134 Z")],
                front: &[
                    Mark::Trim("M120 262 L300 366 L480 262 Z"),
                    Mark::Button(300, 366, 10),
                ],
                back: &[Mark::Line("M120 300 H480")],
                mirror_back: false,
                focus: (300, 340, 220),
                motif: None,
            },
            G::BeltBag => Shape {
                body: &["M150 306 Q150 254 300 254 Q450 254 450 306 L440 402 Q300 432 160 402 Z"],
                both: &[Mark::Trim(
                    "M60 300 L150 296 L152 330 L62 334 Z M450 296 L540 300 L538 334 L448 330 Z",
                )],
                front: &[
                    Mark::Zip("M170 300 Q300 270 430 300"),
                    Mark::Button(420, 298, 7),
                    Mark::Zip("M182 360 Q300 380 418 360"),
                ],
                back: &[Mark::Stitch("M170 316 Q300 290 430 316")],
                mirror_back: false,
                focus: (300, 320, 240),
                motif: None,
            },
            G::Scarf => Shape {
                body: &[
                    "M210 120 Q300 184 390 120 L382 202 Q300 254 218 202 Z",
                    "M236 210 L200 512 L284 512 L302 236 Z",
                    "M322 236 L348 512 L430 512 L368 210 Z",
                ],
                both: &[Mark::Line(
                    "M206 512 V540 M220 512 V540 M234 512 V540 M248 512 V540 M262 512 V540 \
                     M276 512 V540 M354 512 V540 M368 512 V540 M382 512 V540 M396 512 V540 \
                     M410 512 V540 M424 512 V540",
                )],
                front: &[Mark::Line("M232 150 Q300 200 370 150 M250 300 L238 460")],
                back: &[Mark::Line("M232 150 Q300 190 370 150")],
                mirror_back: false,
                focus: (300, 330, 240),
                motif: None,
            },
            G::BucketHat => Shape {
                body: &[
                    "M206 340 Q206 200 300 200 Q394 200 394 340 Z",
                    "M116 360 Q300 296 484 360 Q474 404 300 394 Q126 404 116 360 Z",
                ],
                both: &[
                    Mark::Trim("M206 312 Q300 300 394 312 L394 340 Q300 330 206 340 Z"),
                    Mark::Stitch("M140 366 Q300 318 460 366 M160 378 Q300 338 440 378"),
                ],
                front: &[Mark::Hole(236, 262, 5), Mark::Hole(364, 262, 5)],
                back: &[Mark::Line("M300 204 V310")],
                mirror_back: false,
                focus: (300, 320, 240),
                motif: Some((300, 262)),
            },
            G::Beanie => Shape {
                body: &["M172 410 Q172 180 300 170 Q428 180 428 410 Z"],
                both: &[
                    Mark::Trim("M160 360 H440 V432 H160 Z"),
                    Mark::Line(
                        "M184 366 V426 M208 366 V426 M232 366 V426 M256 366 V426 M280 366 V426 \
                         M304 366 V426 M328 366 V426 M352 366 V426 M376 366 V426 M400 366 V426 \
                         M424 366 V426",
                    ),
                    Mark::Trim("M266 168 a34 34 0 1 0 68 0 a34 34 0 1 0 -68 0 Z"),
                ],
                front: &[Mark::Trim("M376 378 h34 v26 h-34 Z")],
                back: &[Mark::Line("M300 204 V360")],
                mirror_back: false,
                focus: (300, 380, 200),
                motif: None,
            },
            G::Belt => Shape {
                body: &["M96 262 H470 Q520 262 520 300 Q520 338 470 338 H96 Z"],
                both: &[
                    Mark::Metal("M56 240 H140 V360 H56 Z M72 256 H124 V344 H72 Z"),
                    Mark::Stitch("M150 274 H470 M150 326 H470"),
                ],
                front: &[
                    Mark::Metal("M96 294 H160 V306 H96 Z"),
                    Mark::Hole(380, 300, 6),
                    Mark::Hole(420, 300, 6),
                    Mark::Hole(460, 300, 6),
                ],
                back: &[],
                mirror_back: true,
                focus: (140, 300, 240),
                motif: None,
            },
            G::Wallet => Shape {
                body: &["M140 210 H460 Q480 210 480 230 V410 Q480 430 460 430 H140 \
                     Q120 430 120 410 V230 Q120 210 140 210 Z"],
                both: &[Mark::Stitch("M136 226 H464 V414 H136 Z")],
                front: &[
                    Mark::Trim("M404 250 H480 V330 H404 Q384 290 404 250 Z"),
                    Mark::Button(434, 290, 8),
                ],
                back: &[Mark::Line("M150 270 H450 M150 310 H450 M150 350 H450")],
                mirror_back: false,
                focus: (420, 290, 200),
                motif: None,
            },
            G::Sunglasses => Shape {
                body: &[
                    "M110 300 a90 80 0 1 0 180 0 a90 80 0 1 0 -180 0 Z \
                     M126 300 a74 64 0 1 0 148 0 a74 64 0 1 0 -148 0 Z",
                    "M310 300 a90 80 0 1 0 180 0 a90 80 0 1 0 -180 0 Z \
                     M326 300 a74 64 0 1 0 148 0 a74 64 0 1 0 -148 0 Z",
                    "M282 280 Q300 262 318 280 L318 294 Q300 278 282 294 Z",
                    "M110 290 L50 272 L50 286 L112 306 Z M490 290 L550 272 L550 286 L488 306 Z",
                ],
                both: &[Mark::Glass(
                    "M126 300 a74 64 0 1 0 148 0 a74 64 0 1 0 -148 0 Z \
                     M326 300 a74 64 0 1 0 148 0 a74 64 0 1 0 -148 0 Z",
                )],
                front: &[Mark::Line("M160 270 Q180 250 210 248 M360 270 Q380 250 410 248")],
                back: &[],
                mirror_back: true,
                focus: (300, 300, 260),
                motif: None,
            },
            G::Necklace => Shape {
                body: &[
                    "M274 370 a26 26 0 1 0 52 0 a26 26 0 1 0 -52 0 Z",
                    "M303 391 a26 26 0 1 0 52 0 a26 26 0 1 0 -52 0 Z",
                    "M292 425 a26 26 0 1 0 52 0 a26 26 0 1 0 -52 0 Z",
                    "M256 425 a26 26 0 1 0 52 0 a26 26 0 1 0 -52 0 Z",
                    "M245 391 a26 26 0 1 0 52 0 a26 26 0 1 0 -52 0 Z",
                ],
                both: &[
                    Mark::Chain("M170 110 Q300 430 430 110"),
                    Mark::Trim("M286 404 a14 14 0 1 0 28 0 a14 14 0 1 0 -28 0 Z"),
                ],
                front: &[],
                back: &[],
                mirror_back: true,
                focus: (300, 390, 200),
                motif: None,
            },
            G::YogaMat => Shape {
                body: &["M150 250 H430 A50 85 0 0 1 430 420 H150 A50 85 0 0 1 150 250 Z"],
                both: &[
                    Mark::Trim("M230 244 h24 v182 h-24 Z M330 244 h24 v182 h-24 Z"),
                    Mark::Line(
                        "M430 250 A50 85 0 0 0 430 420 M430 290 A26 45 0 1 0 430 380 \
                         A20 35 0 1 0 430 310",
                    ),
                ],
                front: &[],
                back: &[],
                mirror_back: true,
                focus: (420, 335, 220),
                motif: None,
            },
            G::Socks => Shape {
                body: &["M250 100 H350 V330 Q350 360 380 380 L450 420 Q492 446 472 486 \
                     Q452 516 402 500 L280 450 Q240 430 245 380 Z"],
                both: &[
                    Mark::Trim("M250 100 H350 V150 H250 Z"),
                    Mark::Line("M266 104 V146 M283 104 V146 M300 104 V146 M317 104 V146 M334 104 V146"),
                    Mark::Trim(
                        "M245 380 Q240 430 280 450 L300 420 Q270 410 268 380 Z \
                         M440 414 Q492 446 472 486 Q460 504 430 500 Q450 460 440 414 Z",
                    ),
                ],
                front: &[],
                back: &[Mark::Stitch("M300 150 V330")],
                mirror_back: true,
                focus: (300, 300, 300),
                motif: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garment(category: &str, name: &str) -> Garment {
        Figure::for_product(category, name).garment
    }

    #[test]
    fn names_pick_the_garment_within_their_category() {
        assert_eq!(garment("ao", "Áo khoác jean nữ"), G::Jacket);
        assert_eq!(garment("ao", "Áo gile len nữ"), G::Vest);
        assert_eq!(garment("ao", "Áo thun cotton cổ tròn"), G::Tee);
        assert_eq!(garment("quan", "Quần jean nữ ống suông"), G::Jeans);
        assert_eq!(garment("quan", "Quần short nữ vải đũi"), G::Shorts);
        assert_eq!(garment("dam-vay", "Chân váy xếp ly dài"), G::PleatedSkirt);
        assert_eq!(garment("dam-vay", "Đầm nhung dự tiệc"), G::Dress);
        assert_eq!(garment("giay", "Giày cao gót mũi nhọn 7 cm"), G::Heel);
        assert_eq!(garment("giay", "Dép quai ngang da bò"), G::Slide);
        assert_eq!(garment("tui-xach", "Balo laptop chống nước"), G::Backpack);
        assert_eq!(garment("phu-kien", "Mũ len beanie"), G::Beanie);
        assert_eq!(garment("phu-kien", "Ví da nam gấp đôi"), G::Wallet);
        assert_eq!(
            garment("do-the-thao", "Áo bra thể thao nâng đỡ cao"),
            G::SportsBra
        );
        assert_eq!(
            garment("do-the-thao", "Tất thể thao cổ ngắn set 3 đôi"),
            G::Socks
        );
        assert_eq!(garment("do-tre-em", "Áo khoác phao trẻ em"), G::Puffer);
        assert!(Figure::for_product("do-tre-em", "Áo khoác phao trẻ em").kids);
        assert!(!Figure::for_product("ao", "Áo khoác gió").kids);
    }

    #[test]
    fn words_match_whole_words_only() {
        // "vi" is a wallet, but not the start of another word.
        assert_eq!(garment("phu-kien", "Vòng tay vintage"), G::Scarf);
        assert_eq!(garment("phu-kien", "Ví nữ"), G::Wallet);
    }

    #[test]
    fn other_categories_use_every_rule_and_then_a_tee() {
        assert_eq!(garment("sale", "Giày cao gót đỏ"), G::Heel);
        assert_eq!(garment("sale", "Quà tặng"), G::Tee);
    }

    #[test]
    fn every_demo_product_gets_the_garment_its_name_says() {
        let catalog: serde_json::Value =
            serde_json::from_str(include_str!("../../../services/data/demo-catalog.json")).unwrap();
        for product in catalog["products"].as_array().unwrap() {
            let category = product["category"].as_str().unwrap();
            let name = product["name_vi"].as_str().unwrap();
            let got = garment(category, name);
            let expected_family: &[Garment] = match category {
                "ao" => &[G::Tee, G::Polo, G::Shirt, G::Jacket, G::Sweater, G::Vest],
                "quan" => &[
                    G::Trousers,
                    G::Jeans,
                    G::WideTrousers,
                    G::Joggers,
                    G::Shorts,
                ],
                "dam-vay" => &[
                    G::Dress,
                    G::MaxiDress,
                    G::SlipDress,
                    G::Skirt,
                    G::PleatedSkirt,
                ],
                "giay" => &[
                    G::Sneaker,
                    G::Heel,
                    G::Boot,
                    G::Sandal,
                    G::Slide,
                    G::Flat,
                    G::Loafer,
                ],
                "tui-xach" => &[
                    G::Handbag,
                    G::Tote,
                    G::Backpack,
                    G::Crossbody,
                    G::Clutch,
                    G::BeltBag,
                ],
                "phu-kien" => &[
                    G::Scarf,
                    G::BucketHat,
                    G::Beanie,
                    G::Belt,
                    G::Wallet,
                    G::Sunglasses,
                    G::Necklace,
                ],
                _ => continue,
            };
            assert!(
                expected_family.contains(&got),
                "{name} in {category} drawn as {got:?}"
            );
        }
    }
}

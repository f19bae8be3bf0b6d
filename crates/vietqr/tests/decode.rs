//! The images decode with a real QR reader to exactly the payload, and the payload to exactly
//! the transfer: ZBar's `zbarimg` reads the PNG, and the SVG once `rsvg-convert` (or
//! ImageMagick's `convert`) has turned it into a PNG.
//!
//! Without the tools the tests say "skipped: ... not found" on stderr and pass, except in CI
//! (`CI=true`), where a missing tool fails them: `.ci/run` installs `zbar-tools` and
//! `librsvg2-bin`.

use hanjinbi_vietqr::tlv::read_fields;
use hanjinbi_vietqr::{
    crc16_ccitt_false, decode, AccountNumber, Amount, BankBin, Initiation, QrMatrix, Transfer,
    TransferReference, MAX_AMOUNT,
};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Transfers that reach the edges of every field: shortest and longest account, smallest and
/// largest amount, one-character and 25-character notes with spaces, letters in an account.
fn transfers() -> Vec<Transfer> {
    let transfer = |bin: &str, account: &str, amount: u64, reference: &str| {
        Transfer::new(
            BankBin::parse(bin).expect("bin"),
            AccountNumber::parse(account).expect("account"),
            Amount::new(amount).expect("amount"),
            TransferReference::parse(reference).expect("reference"),
        )
    };
    vec![
        transfer("970436", "1017595600", 1_250_000, "HJ0123456789"),
        transfer("970415", "0011001932418", 1, "A"),
        transfer(
            "970418",
            "1234567890123456789",
            MAX_AMOUNT,
            "HJ7K3M9QX2AB THANH TOAN 1",
        ),
        transfer("970422", "7", 499_999_999, "HJZZZZZZZZZZ"),
        transfer("970407", "VQRQ00AB12CD", 35_000, "don hang HJ0000000001"),
    ]
}

/// The program `name` on PATH, if any.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|folder| folder.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether a missing tool must fail the test rather than skip it.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// Reports a missing tool: a failure in CI, a visible skip elsewhere.
fn missing(what: &str) {
    assert!(
        !in_ci(),
        "{what} not found, and CI=true: .ci/run must install it"
    );
    eprintln!("skipped: {what} not found");
}

/// The text `zbarimg` reads from the image at `path`.
fn zbarimg(zbarimg: &Path, path: &Path) -> String {
    let output = Command::new(zbarimg)
        .arg("--raw")
        .arg("-q")
        .arg(path)
        .output()
        .expect("zbarimg runs");
    assert!(
        output.status.success(),
        "zbarimg found no code in {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("zbarimg prints UTF-8");
    // `--raw` prints each symbol's data followed by a newline.
    text.strip_suffix('\n')
        .expect("zbarimg ends its line")
        .to_owned()
}

/// Checks every field of what a scanner read against the transfer it was made from.
fn assert_reads_as(scanned: &str, transfer: &Transfer) {
    assert_eq!(scanned, transfer.payload().as_str(), "the exact payload");

    let decoded = decode(scanned).expect("the scanned payload decodes");
    assert_eq!(decoded.initiation(), Some(Initiation::Dynamic));
    assert_eq!(decoded.bin(), transfer.bin());
    assert_eq!(decoded.account(), transfer.account());
    assert_eq!(decoded.amount(), Some(transfer.amount()));
    assert_eq!(decoded.reference(), Some(transfer.reference()));

    // The fixed fields, read straight from the data objects.
    let root = read_fields(scanned).expect("well-formed");
    let value = |id: &str| {
        root.iter()
            .find(|field| field.id() == id)
            .map(|field| field.value())
    };
    assert_eq!(value("00"), Some("01"), "payload format");
    assert_eq!(value("53"), Some("704"), "currency: VND");
    assert_eq!(value("58"), Some("VN"), "country");
    assert_eq!(
        value("54").map(str::to_owned),
        Some(transfer.amount().get().to_string()),
        "amount"
    );
    let last = root.last().expect("fields");
    assert_eq!(last.id(), "63", "the checksum comes last");
    let covered = &scanned[..scanned.len() - 4];
    assert!(covered.ends_with("6304"));
    assert_eq!(
        last.value(),
        format!("{:04X}", crc16_ccitt_false(covered.as_bytes())),
        "checksum"
    );
    assert_eq!(decoded.checksum(), crc16_ccitt_false(covered.as_bytes()));
}

#[test]
fn the_png_reads_back_as_the_transfer() {
    let Some(zbar) = on_path("zbarimg") else {
        missing("zbarimg");
        return;
    };
    let folder = tempfile::tempdir().expect("a temporary folder");
    for (index, transfer) in transfers().iter().enumerate() {
        let code = QrMatrix::new(&transfer.payload()).expect("fits a QR code");
        // The size email uses, and the smallest a module can be.
        for pixels_per_module in [6, 2] {
            let path = folder
                .path()
                .join(format!("transfer-{index}-{pixels_per_module}.png"));
            std::fs::write(&path, code.to_png(pixels_per_module).expect("draws")).expect("writes");
            assert_reads_as(&zbarimg(&zbar, &path), transfer);
        }
    }
}

/// A program that turns an SVG into a PNG: `rsvg-convert`, or ImageMagick's `convert` when it
/// is the real one (`convert -version` names ImageMagick).
enum SvgConverter {
    Rsvg(PathBuf),
    ImageMagick(PathBuf),
}

impl SvgConverter {
    fn find() -> Option<SvgConverter> {
        if let Some(rsvg) = on_path("rsvg-convert") {
            return Some(SvgConverter::Rsvg(rsvg));
        }
        let convert = on_path("convert")?;
        let version = Command::new(&convert).arg("-version").output().ok()?;
        (version.status.success()
            && String::from_utf8_lossy(&version.stdout).starts_with("Version: ImageMagick"))
        .then_some(SvgConverter::ImageMagick(convert))
    }

    fn to_png(&self, svg: &Path, png: &Path) {
        let status = match self {
            SvgConverter::Rsvg(program) => Command::new(program)
                .arg("--format=png")
                .arg("--output")
                .arg(png)
                .arg(svg)
                .status(),
            SvgConverter::ImageMagick(program) => Command::new(program).arg(svg).arg(png).status(),
        }
        .expect("the converter runs");
        assert!(status.success(), "converting {} failed", svg.display());
    }
}

#[test]
fn the_svg_reads_back_as_the_transfer() {
    let Some(zbar) = on_path("zbarimg") else {
        missing("zbarimg");
        return;
    };
    let Some(converter) = SvgConverter::find() else {
        missing("an SVG converter (rsvg-convert or ImageMagick's convert)");
        return;
    };
    let folder = tempfile::tempdir().expect("a temporary folder");
    for (index, transfer) in transfers().iter().enumerate() {
        let code = QrMatrix::new(&transfer.payload()).expect("fits a QR code");
        // The width a page on a 390 px phone would choose.
        let width = NonZeroU32::new(240).expect("not zero");
        let svg = code
            .to_svg(width, "Mã QR chuyển khoản cho đơn hàng")
            .expect("draws");
        let svg_path = folder.path().join(format!("transfer-{index}.svg"));
        let png_path = folder.path().join(format!("transfer-{index}-from-svg.png"));
        std::fs::write(&svg_path, svg).expect("writes");
        converter.to_png(&svg_path, &png_path);
        assert_reads_as(&zbarimg(&zbar, &png_path), transfer);
    }
}

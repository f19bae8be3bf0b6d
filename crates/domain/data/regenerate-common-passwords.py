#!/usr/bin/env python3
"""Regenerate common-passwords.txt from the npm package `@zxcvbn-ts/language-common`.

The package ships zxcvbn-ts's list of common passwords (`src/passwords.json`, a JSON
array ranked by how often each password was seen in leaked password dumps). The shop
refuses a new password whose lowercase form is on that list. Passwords shorter than
10 characters are refused by the length rule anyway, so only entries of 10 to 128
characters are kept.

The script reads the package tarball as `npm pack` downloads it (or an unpacked
package folder) and never runs any of the package's code. Typical use, from the
repository root:

    mkdir -p /tmp/zxcvbn-common
    npm pack @zxcvbn-ts/language-common@4.1.3 --pack-destination /tmp/zxcvbn-common
    python3 crates/domain/data/regenerate-common-passwords.py \
        /tmp/zxcvbn-common/zxcvbn-ts-language-common-4.1.3.tgz

Standard library only. Writes common-passwords.txt next to this script unless --out
is given, and refuses to write if the data fails validation. With the same package
version, the output is identical byte for byte.
"""

import argparse
import json
import pathlib
import sys
import tarfile
import unicodedata

PACKAGE = "@zxcvbn-ts/language-common"
LICENSE = "MIT"
LIST_PATH = "src/passwords.json"
MIN_CHARS = 10
MAX_CHARS = 128
# The list has about 1,500 entries of 10 characters or more; far fewer means the
# package changed shape and the output should be looked at before it is kept.
MIN_ENTRIES = 1000


def read_package(source):
    """The package's package.json and password list, from a .tgz or a folder."""
    source = pathlib.Path(source)
    if source.is_dir():
        root = source / "package" if (source / "package").is_dir() else source
        manifest = (root / "package.json").read_text(encoding="utf-8")
        passwords = (root / LIST_PATH).read_text(encoding="utf-8")
        return json.loads(manifest), json.loads(passwords)
    with tarfile.open(source, "r:gz") as tar:
        def member(name):
            try:
                f = tar.extractfile(f"package/{name}")
            except KeyError:
                f = None
            if f is None:
                sys.exit(f"{source} has no package/{name}: is it a {PACKAGE} tarball?")
            return json.loads(f.read().decode("utf-8"))

        return member("package.json"), member(LIST_PATH)


def convert(raw):
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        sys.exit(f"{LIST_PATH} is not a JSON array of strings")
    kept = set()
    for p in raw:
        # The same form the shop compares against: NFC, then lowercase.
        p = unicodedata.normalize("NFC", p).lower()
        if MIN_CHARS <= len(p) <= MAX_CHARS:
            kept.add(p)
    # Python orders strings by code point, which is the byte order of their UTF-8
    # form: the order Rust's binary search over `&str` expects.
    return sorted(kept)


def validate(entries):
    errors = []
    if len(entries) < MIN_ENTRIES:
        errors.append(f"only {len(entries)} entries, expected at least {MIN_ENTRIES}")
    for p in entries:
        if not MIN_CHARS <= len(p) <= MAX_CHARS:
            errors.append(f"{p!r} has {len(p)} characters")
        if p != p.lower() or p != unicodedata.normalize("NFC", p):
            errors.append(f"{p!r} is not lowercase NFC")
        if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in p):
            errors.append(f"{p!r} holds a control character or line break")
    if entries != sorted(set(entries)):
        errors.append("entries are not sorted and unique")
    if errors:
        sys.exit("validation failed:\n  " + "\n  ".join(errors))


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package", type=pathlib.Path,
                    help=f"the {PACKAGE} tarball from `npm pack`, or its unpacked folder")
    ap.add_argument("--out", type=pathlib.Path, default=here / "common-passwords.txt")
    args = ap.parse_args()

    manifest, raw = read_package(args.package)
    if manifest.get("name") != PACKAGE:
        sys.exit(f"package is {manifest.get('name')!r}, expected {PACKAGE!r}")
    if manifest.get("license") != LICENSE:
        sys.exit(f"licence is {manifest.get('license')!r}, expected {LICENSE!r}: "
                 "check it allows keeping the data here before changing LICENSE")
    entries = convert(raw)
    validate(entries)

    args.out.write_text("".join(p + "\n" for p in entries), encoding="utf-8", newline="\n")

    print(f"source: {PACKAGE}@{manifest.get('version')} ({LIST_PATH}, {len(raw)} passwords)")
    print(f"kept: {len(entries)} entries of {MIN_CHARS}-{MAX_CHARS} characters")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

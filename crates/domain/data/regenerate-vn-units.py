#!/usr/bin/env python3
"""Regenerate vn-units-2025.json from the installed `vietnam-provinces` package (PyPI).

Vietnam's two-level administrative units in force since 2025-07-01: 34 provinces /
centrally-run cities and the wards, communes and special zones beneath them, with
the official codes of the National Statistics Office (provinces 2 digits, wards 5).

The package's Python code needs Python >= 3.12, but this script only reads its
bundled data file (vietnam_provinces/data/nested-divisions.json) and never imports
the package, so any Python 3.8+ works. Typical use, from the repository root:

    pip download --no-deps --only-binary=:all: --python-version 3.12 \
        -d /tmp/vnp/dl vietnam-provinces==2026.9.0
    pip install --no-deps --ignore-requires-python --target /tmp/vnp/pkg \
        /tmp/vnp/dl/vietnam_provinces-2026.9.0-py3-none-any.whl
    PYTHONPATH=/tmp/vnp/pkg python3 crates/domain/data/regenerate-vn-units.py \
        --retrieved 2026-11-24

Standard library only. Writes the JSON next to this script unless --out is given,
and refuses to write if the data fails validation.
"""

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import pathlib
import re
import sys
import unicodedata

DIST_NAME = "vietnam-provinces"
MODULE_NAME = "vietnam_provinces"
EFFECTIVE = "2025-07-01"
PROVINCE_KINDS = {"tỉnh": "Tỉnh ", "thành phố trung ương": "Thành phố "}
WARD_KINDS = {"phường", "xã", "đặc khu"}
EXPECTED_PROVINCES = 34


def nfc(s):
    return unicodedata.normalize("NFC", s).strip()


def locate_data():
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec(MODULE_NAME)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{MODULE_NAME} not found: install {DIST_NAME} and put it on PYTHONPATH")
    pkg_dir = pathlib.Path(list(spec.submodule_search_locations)[0])
    data = pkg_dir / "data" / "nested-divisions.json"
    if not data.is_file():
        sys.exit(f"{data} missing: is this a {DIST_NAME} version with the 2025 data?")
    try:
        version = importlib.metadata.version(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"no dist-info for {DIST_NAME} next to {pkg_dir}")
    return data, version


def convert(raw):
    provinces = []
    for p in raw:
        name = nfc(p["name"])
        kind = nfc(p["division_type"])
        if kind not in PROVINCE_KINDS:
            sys.exit(f"unexpected province kind {kind!r} for {name}")
        prefix = PROVINCE_KINDS[kind]
        if not name.startswith(prefix):
            sys.exit(f"province {name!r} does not start with {prefix!r}")
        wards = []
        for w in p["wards"]:
            wkind = nfc(w["division_type"])
            if wkind not in WARD_KINDS:
                sys.exit(f"unexpected ward kind {wkind!r} for {w['name']}")
            wards.append({"code": f"{int(w['code']):05d}", "name": nfc(w["name"]), "kind": wkind})
        wards.sort(key=lambda w: w["code"])
        provinces.append({
            "code": f"{int(p['code']):02d}",
            "name": name,
            "short_name": name[len(prefix):].strip(),
            "kind": kind,
            "wards": wards,
        })
    provinces.sort(key=lambda p: p["code"])
    return provinces


def validate(provinces):
    errors = []
    if len(provinces) != EXPECTED_PROVINCES:
        errors.append(f"{len(provinces)} provinces, expected {EXPECTED_PROVINCES}")
    seen = set()
    for p in provinces:
        if not re.fullmatch(r"\d{2}", p["code"]):
            errors.append(f"province code {p['code']!r} is not 2 digits")
        for key in ("name", "short_name", "kind"):
            if not p[key]:
                errors.append(f"province {p['code']} has empty {key}")
        if p["code"] in seen:
            errors.append(f"duplicate code {p['code']}")
        seen.add(p["code"])
        if not p["wards"]:
            errors.append(f"province {p['code']} has no wards")
        for w in p["wards"]:
            if not re.fullmatch(r"\d{5}", w["code"]):
                errors.append(f"ward code {w['code']!r} is not 5 digits")
            if not w["name"] or not w["kind"]:
                errors.append(f"ward {w['code']} has an empty name or kind")
            if w["code"] in seen:
                errors.append(f"duplicate code {w['code']}")
            seen.add(w["code"])
    if errors:
        sys.exit("validation failed:\n  " + "\n  ".join(errors))


def dump(doc):
    # Compact JSON, one province per line, UTF-8 without escapes.
    def c(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    head = ",".join(f"{c(k)}:{c(doc[k])}" for k in ("source", "retrieved", "effective"))
    lines = ",\n".join(c(p) for p in doc["provinces"])
    return "{" + head + ',"provinces":[\n' + lines + "\n]}\n"


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--retrieved", default=datetime.date.today().isoformat(),
                    help="date the package was fetched from PyPI (YYYY-MM-DD); default today")
    ap.add_argument("--out", type=pathlib.Path, default=here / "vn-units-2025.json")
    args = ap.parse_args()

    data_path, version = locate_data()
    with data_path.open(encoding="utf-8") as f:
        raw = json.load(f)
    provinces = convert(raw)
    validate(provinces)

    doc = {
        "source": f"{DIST_NAME}@{version} from PyPI",
        "retrieved": args.retrieved,
        "effective": EFFECTIVE,
        "provinces": provinces,
    }
    text = dump(doc)
    assert json.loads(text) == doc
    args.out.write_text(text, encoding="utf-8")

    wards = [w for p in provinces for w in p["wards"]]
    by_kind = {}
    for w in wards:
        by_kind[w["kind"]] = by_kind.get(w["kind"], 0) + 1
    pk = {}
    for p in provinces:
        pk[p["kind"]] = pk.get(p["kind"], 0) + 1
    print(f"source: {doc['source']} (read {data_path})")
    print(f"provinces: {len(provinces)} {pk}")
    print(f"wards: {len(wards)} {by_kind}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerate vn-public-holidays.json from the installed `holidays` package (PyPI).

The days off of Vietnam's public holidays (Labour Code 2019 Art. 112) for each year
from --first to --last, as the package's `VN` class gives them in its default
("public") category with its observed-day rules on: Tết, Hùng Kings, 1/1, 30/4, 1/5,
2/9 and its adjacent day, the days off in lieu of holidays that fall on a weekend,
and the swapped days off that the package knows of from government decisions.

The package needs Python >= 3.11 and python-dateutil. Typical use, from the
repository root:

    python3 -m venv /tmp/vnh
    /tmp/vnh/bin/pip install holidays==0.109
    /tmp/vnh/bin/python crates/domain/data/regenerate-vn-holidays.py --retrieved 2026-11-24

Writes the JSON next to this script unless --out is given, and refuses to write if
the data fails validation. Prints every day with the package's name for it.
"""

import argparse
import datetime
import importlib.metadata
import json
import pathlib
import sys

DIST_NAME = "holidays"
COUNTRY = "VN"
FIRST_YEAR = 2025
LAST_YEAR = 2030
# Art. 112: 1/1 (1 day), Tết (5), Hùng Kings (1), 30/4 (1), 1/5 (1), 2/9 and one
# adjacent day (2). Days on a weekend are given back on a working day, so every year has
# at least this many days off from Monday to Friday.
MIN_WEEKDAYS_OFF = 11
FIXED_DAYS = ((1, 1), (4, 30), (5, 1), (9, 2))


def load_package():
    try:
        import holidays
    except ImportError:
        sys.exit(f"{DIST_NAME} not found: pip install {DIST_NAME} (see the docstring)")
    try:
        version = importlib.metadata.version(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"no dist-info for {DIST_NAME}")
    return holidays, version


def collect(holidays, first, last):
    """{year: [(date, name)]} for each year, sorted by date."""
    cal = holidays.country_holidays(COUNTRY, years=range(first, last + 1), language="vi")
    years = {y: [] for y in range(first, last + 1)}
    for day, name in cal.items():
        if day.year not in years:
            sys.exit(f"{day} is outside the years asked for")
        years[day.year].append((day, name))
    for days in years.values():
        days.sort()
    return years


def validate(years):
    errors = []
    for year, days in years.items():
        dates = [d for d, _ in days]
        if not dates:
            errors.append(f"{year}: no days")
            continue
        if len(set(dates)) != len(dates):
            errors.append(f"{year}: a day is listed twice")
        if dates != sorted(dates):
            errors.append(f"{year}: not sorted")
        for d in dates:
            if d.year != year:
                errors.append(f"{year}: {d} is in another year")
        for month, day in FIXED_DAYS:
            if datetime.date(year, month, day) not in dates:
                errors.append(f"{year}: {day}/{month} is missing")
        weekdays = sum(1 for d in dates if d.weekday() < 5)
        if weekdays < MIN_WEEKDAYS_OFF:
            errors.append(f"{year}: {weekdays} days off on weekdays, fewer than {MIN_WEEKDAYS_OFF}")
    if errors:
        sys.exit("validation failed:\n  " + "\n  ".join(errors))


def dump(doc):
    # One year per line, UTF-8 without escapes.
    def c(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    head = ",".join(f"{c(k)}:{c(doc[k])}" for k in ("source", "retrieved", "country"))
    lines = ",\n".join(f"{c(y)}:{c(days)}" for y, days in doc["years"].items())
    return "{" + head + ',"years":{\n' + lines + "\n}}\n"


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--retrieved", default=datetime.date.today().isoformat(),
                    help="date the package was fetched from PyPI (YYYY-MM-DD); default today")
    ap.add_argument("--first", type=int, default=FIRST_YEAR, help="first year written")
    ap.add_argument("--last", type=int, default=LAST_YEAR, help="last year written")
    ap.add_argument("--out", type=pathlib.Path, default=here / "vn-public-holidays.json")
    args = ap.parse_args()
    if args.first > args.last:
        sys.exit("--first is after --last")

    holidays, version = load_package()
    years = collect(holidays, args.first, args.last)
    validate(years)

    doc = {
        "source": f"{DIST_NAME}@{version} from PyPI, country {COUNTRY}, category public, observed days on",
        "retrieved": args.retrieved,
        "country": COUNTRY,
        "years": {str(y): [d.isoformat() for d, _ in days] for y, days in years.items()},
    }
    text = dump(doc)
    assert json.loads(text) == doc
    args.out.write_text(text, encoding="utf-8")

    print(f"source: {doc['source']}")
    for year, days in years.items():
        print(f"{year}: {len(days)} days, {sum(1 for d, _ in days if d.weekday() < 5)} on weekdays")
        for d, name in days:
            print(f"  {d.isoformat()} {d.strftime('%a')}  {name}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

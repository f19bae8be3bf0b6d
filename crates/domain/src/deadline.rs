//! When a data subject's request (access, correction, deletion, objection…) is due: its
//! arrival time and a term from the shop's policy give a due date, in Vietnam's calendar.
//!
//! Legal basis: the Law on Personal Data Protection (91/2025/QH15) and Decree
//! 356/2025/NĐ-CP Art. 5 set the terms; the terms themselves live in the policy file as
//! [`Term`]s. The counting follows the Civil Code 2015: a term in days starts on the day
//! after the event (Art. 147), and a term that ends on a weekend or a public holiday ends
//! on the next working day (Art. 148). Public holidays are those of the Labour Code 2019
//! Art. 112 with their compensation days, from `data/vn-public-holidays.json` (see
//! `data/vn-public-holidays.SOURCE.md`). Nothing here reads a clock: the caller passes the
//! moment. A year the data does not cover is an error, never a guess.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, UtcOffset, Weekday};

/// Vietnam's offset from UTC, all year (no daylight saving since 1975).
pub const VIETNAM: UtcOffset = offset!(+7);

/// The holiday data built into the binary.
const EMBEDDED: &str = include_str!("../data/vn-public-holidays.json");

/// Why a calculation has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The calculation needs to know the days off of a year the holiday data lacks.
    #[error("no public-holiday data for {0}: the due date cannot be worked out")]
    YearNotCovered(i32),
    /// A term of zero days has no day after the arrival to end on.
    #[error("a term of 0 days has no due date")]
    ZeroTerm,
}

/// Why the holiday data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayDataError {
    #[error("holiday data is not JSON of the expected shape: {0}")]
    Json(String),
    #[error("holiday data: {0:?} is not a year")]
    BadYear(String),
    #[error("holiday data: year {0} is listed twice")]
    DuplicateYear(i32),
    #[error("holiday data: year {0} has no days")]
    EmptyYear(i32),
    #[error("holiday data: {text:?} under {year} is not a date written YYYY-MM-DD")]
    BadDate { year: i32, text: String },
    #[error("holiday data: {date} is listed under year {year}")]
    WrongYear { year: i32, date: Date },
    #[error("holiday data: {date} in {year} comes after a later date")]
    Unsorted { year: i32, date: Date },
    #[error("holiday data: {date} is listed twice")]
    Duplicate { date: Date },
    #[error("holiday data covers no year")]
    NoYears,
}

/// The days off of public holidays, per year, checked on load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holidays {
    source: String,
    /// Sorted and unique within each year; each date lies in its year.
    years: BTreeMap<i32, Vec<Date>>,
}

/// The file's shape. Years are kept as a list of pairs so that a year given twice is
/// caught instead of silently replacing the first.
#[derive(Deserialize)]
struct RawData {
    source: String,
    #[serde(deserialize_with = "pairs")]
    years: Vec<(String, Vec<String>)>,
}

fn pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    struct Pairs;
    impl<'de> Visitor<'de> for Pairs {
        type Value = Vec<(String, Vec<String>)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of years, each a list of dates")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry::<String, Vec<String>>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Pairs)
}

static LOADED: OnceLock<Result<Holidays, HolidayDataError>> = OnceLock::new();

impl Holidays {
    /// Vietnam's public holidays built into the binary, parsed and checked on the first
    /// call and kept for the life of the process. The server calls this at start-up and
    /// refuses to start on an error.
    pub fn try_load() -> Result<&'static Holidays, HolidayDataError> {
        LOADED
            .get_or_init(|| Holidays::parse(EMBEDDED))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and checks holiday data in the format of `data/vn-public-holidays.json`.
    pub fn parse(json: &str) -> Result<Self, HolidayDataError> {
        let raw: RawData =
            serde_json::from_str(json).map_err(|e| HolidayDataError::Json(e.to_string()))?;
        let mut years = BTreeMap::new();
        for (key, texts) in raw.years {
            let year = parse_year(&key)?;
            if texts.is_empty() {
                return Err(HolidayDataError::EmptyYear(year));
            }
            let mut dates: Vec<Date> = Vec::with_capacity(texts.len());
            for text in texts {
                let date = Date::parse(&text, format_description!("[year]-[month]-[day]"))
                    .map_err(|_| HolidayDataError::BadDate { year, text })?;
                if date.year() != year {
                    return Err(HolidayDataError::WrongYear { year, date });
                }
                if let Some(&last) = dates.last() {
                    if date == last {
                        return Err(HolidayDataError::Duplicate { date });
                    }
                    if date < last {
                        return Err(HolidayDataError::Unsorted { year, date });
                    }
                }
                dates.push(date);
            }
            if years.insert(year, dates).is_some() {
                return Err(HolidayDataError::DuplicateYear(year));
            }
        }
        if years.is_empty() {
            return Err(HolidayDataError::NoYears);
        }
        Ok(Holidays {
            source: raw.source,
            years,
        })
    }

    /// Where the data comes from, as the file says (package and version).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the data lists the days off of `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The years the data lists, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The listed days off of `year`, sorted; `None` for a year not covered.
    pub fn days_off(&self, year: i32) -> Option<&[Date]> {
        self.years.get(&year).map(Vec::as_slice)
    }

    /// Whether `date` is a public holiday or a day off given for one (whatever the weekday).
    pub fn is_holiday(&self, date: Date) -> Result<bool, DeadlineError> {
        let days = self
            .years
            .get(&date.year())
            .ok_or(DeadlineError::YearNotCovered(date.year()))?;
        Ok(days.binary_search(&date).is_ok())
    }

    /// Monday to Friday and not a holiday. An error for a year the data lacks, even on a
    /// weekend, so that no answer ever rests on a missing year.
    pub fn is_working_day(&self, date: Date) -> Result<bool, DeadlineError> {
        let holiday = self.is_holiday(date)?;
        Ok(!holiday && !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday))
    }
}

fn parse_year(key: &str) -> Result<i32, HolidayDataError> {
    let bad = || HolidayDataError::BadYear(key.to_owned());
    if key.len() != 4 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    key.parse().map_err(|_| bad())
}

/// A term for answering a request, as the policy file writes it: `"2 working days"` or
/// `"10 days"` (calendar days). `1 day` / `1 working day` are accepted too, and so are the
/// plural forms for 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Term {
    /// Counted in working days (Monday to Friday, not a public holiday).
    WorkingDays(u16),
    /// Counted in calendar days; moved to the next working day if it ends on a day off.
    Days(u16),
}

/// A term that could not be read; names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a term: write \"N days\" or \"N working days\", N a whole number from 1 to 65535 without leading zeros")]
pub struct TermParseError {
    pub text: String,
}

impl FromStr for Term {
    type Err = TermParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TermParseError { text: s.to_owned() };
        let words: Vec<&str> = s.split_whitespace().collect();
        let (number, unit) = match words.as_slice() {
            [n, "day" | "days"] => (*n, Term::Days as fn(u16) -> Term),
            [n, "working", "day" | "days"] => (*n, Term::WorkingDays as fn(u16) -> Term),
            _ => return Err(bad()),
        };
        if !number.bytes().all(|b| b.is_ascii_digit()) || number.starts_with('0') {
            return Err(bad());
        }
        let n: u16 = number.parse().map_err(|_| bad())?;
        Ok(unit(n))
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Term::WorkingDays(1) => f.write_str("1 working day"),
            Term::WorkingDays(n) => write!(f, "{n} working days"),
            Term::Days(1) => f.write_str("1 day"),
            Term::Days(n) => write!(f, "{n} days"),
        }
    }
}

impl TryFrom<String> for Term {
    type Error = TermParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Term> for String {
    fn from(t: Term) -> Self {
        t.to_string()
    }
}

/// The calendar day in Vietnam at moment `at`, whatever offset `at` carries.
pub fn day_in_vietnam(at: OffsetDateTime) -> Result<Date, DeadlineError> {
    at.checked_to_offset(VIETNAM)
        .map(OffsetDateTime::date)
        // Only a moment on the last evening of year 9999 (UTC) is past the calendar's end.
        .ok_or(DeadlineError::YearNotCovered(at.year().saturating_add(1)))
}

fn next_day(date: Date) -> Result<Date, DeadlineError> {
    date.next_day()
        .ok_or(DeadlineError::YearNotCovered(date.year().saturating_add(1)))
}

/// The date by which a request that `arrived` must be answered under `term`.
///
/// The request's day is its calendar day in Vietnam; counting starts the day after.
/// `WorkingDays(n)`: the n-th working day after that day. `Days(n)`: that day plus n
/// calendar days, moved to the next working day if it is a day off. For `Days` only the
/// years from the n-th day to the due date need to be covered; for `WorkingDays` every
/// year from the day after arrival to the due date.
pub fn due_date(
    arrived: OffsetDateTime,
    term: Term,
    holidays: &Holidays,
) -> Result<Date, DeadlineError> {
    let mut day = day_in_vietnam(arrived)?;
    match term {
        Term::WorkingDays(0) | Term::Days(0) => Err(DeadlineError::ZeroTerm),
        Term::WorkingDays(n) => {
            let mut left = n;
            while left > 0 {
                day = next_day(day)?;
                if holidays.is_working_day(day)? {
                    left -= 1;
                }
            }
            Ok(day)
        }
        Term::Days(n) => {
            for _ in 0..n {
                day = next_day(day)?;
            }
            while !holidays.is_working_day(day)? {
                day = next_day(day)?;
            }
            Ok(day)
        }
    }
}

/// Working days left until `due`, for "nearly due" displays.
///
/// Not overdue (`today <= due`): the number of working days after `today` up to and
/// including `due`, so 0 on the due date itself and n on the arrival day of a term of n
/// working days. Overdue (`today > due`): negative, -1 from the day after `due` to the
/// next working day after it, then one less for each working day that passes.
pub fn working_days_left(
    today: Date,
    due: Date,
    holidays: &Holidays,
) -> Result<i64, DeadlineError> {
    let (from, to) = if today <= due {
        (today, due)
    } else {
        (due, today)
    };
    // Working days d with from < d <= to.
    let mut count: i64 = 0;
    let mut day = from;
    while day < to {
        day = next_day(day)?;
        if holidays.is_working_day(day)? {
            count += 1;
        }
    }
    if today <= due {
        return Ok(count);
    }
    // Overdue: -(1 + working days strictly between due and today).
    let today_counts = i64::from(holidays.is_working_day(today)?);
    Ok(-(1 + count - today_counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};
    use time::Duration;

    fn hol() -> &'static Holidays {
        Holidays::try_load().expect("the embedded holiday data loads")
    }

    /// Arrival at `at` (written with its offset) under `term` gives `due`.
    fn check(at: OffsetDateTime, term: &str, due: Date) {
        let term: Term = term.parse().unwrap();
        assert_eq!(
            due_date(at, term, hol()),
            Ok(due),
            "arrived {at}, term {term}"
        );
    }

    #[test]
    fn embedded_data_loads_and_covers_2025_to_2030() {
        let h = hol();
        assert!(h.source().starts_with("holidays@"), "{}", h.source());
        assert_eq!(
            h.years().collect::<Vec<_>>(),
            (2025..=2030).collect::<Vec<_>>()
        );
        assert!(!h.covers(2024));
        assert!(h.covers(2025));
        assert!(h.covers(2030));
        assert!(!h.covers(2031));
    }

    #[test]
    fn embedded_2026_days_off_are_the_expected_ones() {
        let expected = [
            date!(2026 - 01 - 01),
            date!(2026 - 02 - 16),
            date!(2026 - 02 - 17),
            date!(2026 - 02 - 18),
            date!(2026 - 02 - 19),
            date!(2026 - 02 - 20),
            date!(2026 - 04 - 26),
            date!(2026 - 04 - 27),
            date!(2026 - 04 - 30),
            date!(2026 - 05 - 01),
            date!(2026 - 08 - 31),
            date!(2026 - 09 - 01),
            date!(2026 - 09 - 02),
            date!(2026 - 11 - 24),
        ];
        assert_eq!(hol().days_off(2026), Some(&expected[..]));
    }

    #[test]
    fn every_covered_year_has_the_fixed_holidays_and_eleven_weekdays_off() {
        let h = hol();
        for year in h.years() {
            for (m, d) in [(1, 1), (4, 30), (5, 1), (9, 2)] {
                let month = time::Month::try_from(m).unwrap();
                let day = Date::from_calendar_date(year, month, d).unwrap();
                assert_eq!(h.is_holiday(day), Ok(true), "{day}");
            }
            let weekdays = h
                .days_off(year)
                .unwrap()
                .iter()
                .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
                .count();
            assert!(weekdays >= 11, "{year}: {weekdays} weekdays off");
        }
    }

    #[test]
    fn working_days_are_weekdays_that_are_not_holidays() {
        let h = hol();
        assert_eq!(h.is_working_day(date!(2026 - 03 - 06)), Ok(true)); // Friday
        assert_eq!(h.is_working_day(date!(2026 - 03 - 07)), Ok(false)); // Saturday
        assert_eq!(h.is_working_day(date!(2026 - 03 - 08)), Ok(false)); // Sunday
        assert_eq!(h.is_working_day(date!(2026 - 02 - 17)), Ok(false)); // Tết
        assert_eq!(h.is_working_day(date!(2026 - 04 - 27)), Ok(false)); // Hùng Kings, nghỉ bù
        assert_eq!(h.is_working_day(date!(2026 - 12 - 25)), Ok(true)); // not a VN holiday
        assert_eq!(
            h.is_working_day(date!(2031 - 01 - 06)),
            Err(DeadlineError::YearNotCovered(2031))
        );
        assert_eq!(
            h.is_working_day(date!(2024 - 12 - 28)),
            Err(DeadlineError::YearNotCovered(2024))
        );
    }

    #[test]
    fn due_dates_table() {
        // Plain week: Wed → Thu, Fri.
        check(
            datetime!(2026-03-04 10:00 +7),
            "1 working day",
            date!(2026 - 03 - 05),
        );
        check(
            datetime!(2026-03-04 10:00 +7),
            "2 working days",
            date!(2026 - 03 - 06),
        );
        // Over a weekend: Fri → Mon, Tue.
        check(
            datetime!(2026-03-06 10:00 +7),
            "2 working days",
            date!(2026 - 03 - 10),
        );
        // Arrival on a Saturday: the count starts on Sunday, a day off.
        check(
            datetime!(2026-03-07 10:00 +7),
            "1 working day",
            date!(2026 - 03 - 09),
        );
        // Calendar days ending on a Saturday move to Monday (Civil Code Art. 148).
        check(
            datetime!(2026-03-06 10:00 +7),
            "1 day",
            date!(2026 - 03 - 09),
        );
        check(
            datetime!(2026-03-04 10:00 +7),
            "10 days",
            date!(2026 - 03 - 16),
        );
        // Calendar days ending on a working day stay there; 25/12 is not a VN holiday.
        check(
            datetime!(2026-12-22 10:00 +7),
            "3 days",
            date!(2026 - 12 - 25),
        );
        // Tết 2026: 14/2 to 22/2 off (weekend, five days of Tết, weekend).
        check(
            datetime!(2026-02-13 09:00 +7),
            "1 working day",
            date!(2026 - 02 - 23),
        );
        check(
            datetime!(2026-02-13 09:00 +7),
            "2 working days",
            date!(2026 - 02 - 24),
        );
        check(
            datetime!(2026-02-12 09:00 +7),
            "3 days",
            date!(2026 - 02 - 23),
        );
        check(
            datetime!(2026-02-10 09:00 +7),
            "5 working days",
            date!(2026 - 02 - 24),
        );
        // 30/4 (Thu) and 1/5 (Fri) 2026, then the weekend.
        check(
            datetime!(2026-04-29 15:00 +7),
            "1 working day",
            date!(2026 - 05 - 04),
        );
        check(
            datetime!(2026-04-28 15:00 +7),
            "2 days",
            date!(2026 - 05 - 04),
        );
        // Hùng Kings 2026 fell on Sunday 26/4: Monday 27/4 is off instead.
        check(
            datetime!(2026-04-24 15:00 +7),
            "1 working day",
            date!(2026 - 04 - 28),
        );
        // Arrival on a holiday (30/4/2026): the holiday is not counted, nor 1/5.
        check(
            datetime!(2026-04-30 11:00 +7),
            "2 working days",
            date!(2026 - 05 - 05),
        );
        check(
            datetime!(2026-04-30 11:00 +7),
            "1 day",
            date!(2026 - 05 - 04),
        );
        // 2/9 with its adjacent day. 2025: Mon 1/9 and Tue 2/9.
        check(
            datetime!(2025-08-29 16:00 +7),
            "1 working day",
            date!(2025 - 09 - 03),
        );
        // 2026: Mon 31/8 swapped off, Tue 1/9 and Wed 2/9.
        check(
            datetime!(2026-08-28 16:00 +7),
            "1 working day",
            date!(2026 - 09 - 03),
        );
        check(
            datetime!(2026-08-28 16:00 +7),
            "4 days",
            date!(2026 - 09 - 03),
        );
        // 2027: Thu 2/9 and Fri 3/9.
        check(
            datetime!(2027-09-01 16:00 +7),
            "1 working day",
            date!(2027 - 09 - 06),
        );
        // Across the new year: 1/1/2027 (Fri) is off.
        check(
            datetime!(2026-12-31 08:00 +7),
            "1 working day",
            date!(2027 - 01 - 04),
        );
        check(
            datetime!(2026-12-22 08:00 +7),
            "10 days",
            date!(2027 - 01 - 04),
        );
    }

    #[test]
    fn the_day_is_the_day_in_vietnam() {
        // Thu 5/3/2026 18:30 UTC is already Fri 6/3 01:30 in Vietnam: the count starts on
        // Saturday, not Friday.
        check(
            datetime!(2026-03-05 18:30 UTC),
            "1 working day",
            date!(2026 - 03 - 09),
        );
        // The last second of Thursday in Vietnam is 16:59:59 UTC.
        check(
            datetime!(2026-03-05 16:59:59 UTC),
            "1 working day",
            date!(2026 - 03 - 06),
        );
        check(
            datetime!(2026-03-05 17:00 UTC),
            "1 working day",
            date!(2026 - 03 - 09),
        );
        // The same moment written with another offset gives the same answer.
        check(
            datetime!(2026-03-05 13:30 -5),
            "1 working day",
            date!(2026 - 03 - 09),
        );
        assert_eq!(
            day_in_vietnam(datetime!(2026-03-05 18:30 UTC)),
            Ok(date!(2026 - 03 - 06))
        );
    }

    #[test]
    fn years_not_covered_are_errors_not_guesses() {
        let h = hol();
        // Needs 2031's holidays.
        assert_eq!(
            due_date(datetime!(2030-12-27 10:00 +7), Term::WorkingDays(5), h),
            Err(DeadlineError::YearNotCovered(2031))
        );
        assert_eq!(
            due_date(datetime!(2030-12-20 10:00 +7), Term::Days(14), h),
            Err(DeadlineError::YearNotCovered(2031))
        );
        // The first day counted is in 2024.
        assert_eq!(
            due_date(datetime!(2024-06-03 10:00 +7), Term::WorkingDays(1), h),
            Err(DeadlineError::YearNotCovered(2024))
        );
        // 31/12/2024 23:30 UTC is 1/1/2025 in Vietnam: covered from the next day on.
        assert_eq!(
            due_date(datetime!(2024-12-31 23:30 UTC), Term::WorkingDays(1), h),
            Ok(date!(2025 - 01 - 02))
        );
        // A calendar-day term needs only the year it ends in: 20/12/2024 + 20 days is
        // Thu 9/1/2025.
        assert_eq!(
            due_date(datetime!(2024-12-20 10:00 +7), Term::Days(20), h),
            Ok(date!(2025 - 01 - 09))
        );
        // The very end of the calendar.
        assert_eq!(
            due_date(datetime!(9999-12-31 20:00 UTC), Term::Days(1), h),
            Err(DeadlineError::YearNotCovered(10000))
        );
    }

    #[test]
    fn zero_terms_have_no_due_date() {
        let at = datetime!(2026-03-04 10:00 +7);
        assert_eq!(
            due_date(at, Term::Days(0), hol()),
            Err(DeadlineError::ZeroTerm)
        );
        assert_eq!(
            due_date(at, Term::WorkingDays(0), hol()),
            Err(DeadlineError::ZeroTerm)
        );
    }

    #[test]
    fn working_days_left_counts_down_and_goes_negative() {
        let h = hol();
        let due = date!(2026 - 02 - 24); // Tue after Tết
        assert_eq!(working_days_left(date!(2026 - 02 - 13), due, h), Ok(2));
        assert_eq!(working_days_left(date!(2026 - 02 - 16), due, h), Ok(2)); // Tết
        assert_eq!(working_days_left(date!(2026 - 02 - 23), due, h), Ok(1));
        assert_eq!(working_days_left(due, due, h), Ok(0));
        assert_eq!(working_days_left(date!(2026 - 02 - 25), due, h), Ok(-1));
        assert_eq!(working_days_left(date!(2026 - 02 - 26), due, h), Ok(-2));
        // Due on a Friday: the weekend after it is -1, and so is Monday; Tuesday is -2.
        let fri = date!(2026 - 03 - 06);
        assert_eq!(working_days_left(date!(2026 - 03 - 07), fri, h), Ok(-1));
        assert_eq!(working_days_left(date!(2026 - 03 - 09), fri, h), Ok(-1));
        assert_eq!(working_days_left(date!(2026 - 03 - 10), fri, h), Ok(-2));
        assert_eq!(
            working_days_left(date!(2030 - 12 - 30), date!(2031 - 01 - 03), h),
            Err(DeadlineError::YearNotCovered(2031))
        );
    }

    #[test]
    fn terms_parse_and_print_back() {
        for (text, term) in [
            ("2 working days", Term::WorkingDays(2)),
            ("1 working day", Term::WorkingDays(1)),
            ("10 days", Term::Days(10)),
            ("1 day", Term::Days(1)),
            ("65535 days", Term::Days(65535)),
        ] {
            assert_eq!(text.parse::<Term>(), Ok(term), "{text}");
            assert_eq!(term.to_string(), text);
        }
        // Tolerated spellings, printed in the usual form.
        assert_eq!("  3   working  days ".parse(), Ok(Term::WorkingDays(3)));
        assert_eq!("1 days".parse(), Ok(Term::Days(1)));
        assert_eq!("2 day".parse(), Ok(Term::Days(2)));
    }

    #[test]
    fn bad_terms_are_refused_with_their_text() {
        for text in [
            "",
            "days",
            "2",
            "0 days",
            "02 days",
            "+2 days",
            "-2 days",
            "2.5 days",
            "65536 days",
            "two days",
            "2 weeks",
            "2 Days",
            "2 business days",
            "2 working",
            "2 days working",
            "2 ngày",
        ] {
            let err = text.parse::<Term>().unwrap_err();
            assert_eq!(err.text, text);
            assert!(
                err.to_string().contains(&format!("{text:?}")),
                "{err} names {text:?}"
            );
        }
    }

    #[test]
    fn terms_go_through_serde_as_text() {
        let t: Term = serde_json::from_str("\"30 days\"").unwrap();
        assert_eq!(t, Term::Days(30));
        assert_eq!(
            serde_json::to_string(&Term::WorkingDays(2)).unwrap(),
            "\"2 working days\""
        );
        let err = serde_json::from_str::<Term>("\"thirty days\"").unwrap_err();
        assert!(err.to_string().contains("\"thirty days\""), "{err}");
    }

    fn parse_err(json: &str) -> HolidayDataError {
        Holidays::parse(json).unwrap_err()
    }

    #[test]
    fn broken_holiday_data_is_refused() {
        let ok = r#"{"source":"t","years":{"2026":["2026-01-01","2026-04-30"]}}"#;
        let h = Holidays::parse(ok).unwrap();
        assert_eq!(h.source(), "t");
        assert_eq!(h.is_holiday(date!(2026 - 04 - 30)), Ok(true));
        assert_eq!(h.is_holiday(date!(2026 - 05 - 01)), Ok(false));

        assert!(matches!(parse_err("not json"), HolidayDataError::Json(_)));
        assert!(matches!(
            parse_err(r#"{"years":{}}"#),
            HolidayDataError::Json(_)
        ));
        assert!(matches!(
            parse_err(r#"{"source":"t","years":{"2026":"2026-01-01"}}"#),
            HolidayDataError::Json(_)
        ));
        assert_eq!(
            parse_err(r#"{"source":"t","years":{}}"#),
            HolidayDataError::NoYears
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"26":["2026-01-01"]}}"#),
            HolidayDataError::BadYear("26".into())
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":[]}}"#),
            HolidayDataError::EmptyYear(2026)
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2026-1-1"]}}"#),
            HolidayDataError::BadDate {
                year: 2026,
                text: "2026-1-1".into()
            }
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2026-02-30"]}}"#),
            HolidayDataError::BadDate {
                year: 2026,
                text: "2026-02-30".into()
            }
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2027-01-01"]}}"#),
            HolidayDataError::WrongYear {
                year: 2026,
                date: date!(2027 - 01 - 01)
            }
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2026-05-01","2026-04-30"]}}"#),
            HolidayDataError::Unsorted {
                year: 2026,
                date: date!(2026 - 04 - 30)
            }
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2026-05-01","2026-05-01"]}}"#),
            HolidayDataError::Duplicate {
                date: date!(2026 - 05 - 01)
            }
        );
        assert_eq!(
            parse_err(r#"{"source":"t","years":{"2026":["2026-01-01"],"2026":["2026-05-01"]}}"#),
            HolidayDataError::DuplicateYear(2026)
        );
    }

    // Arrivals from the start of 2025 to mid-2030, so that terms of up to 60 working days or
    // 90 calendar days stay inside the covered years.
    const FROM: i64 = 1_735_664_400; // 2025-01-01 00:00 +07
    const TO: i64 = 1_909_069_200; // 2030-07-01 00:00 +07

    fn arrival() -> impl Strategy<Value = OffsetDateTime> {
        (FROM..TO).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
    }

    proptest! {
        #[test]
        fn due_dates_are_working_days_after_the_arrival_day(
            at in arrival(),
            n in 1u16..=60,
            calendar in any::<bool>(),
        ) {
            let h = hol();
            let term = if calendar { Term::Days(n) } else { Term::WorkingDays(n) };
            let due = due_date(at, term, h).unwrap();
            let day = day_in_vietnam(at).unwrap();
            prop_assert_eq!(h.is_working_day(due), Ok(true));
            prop_assert!(due > day, "{} not after {}", due, day);
            prop_assert!(due >= day + Duration::days(i64::from(n)));
        }

        #[test]
        fn due_dates_grow_with_the_term(at in arrival(), n in 1u16..60) {
            let h = hol();
            let w = due_date(at, Term::WorkingDays(n), h).unwrap();
            let w1 = due_date(at, Term::WorkingDays(n + 1), h).unwrap();
            prop_assert!(w < w1, "{} working days: {}, one more: {}", n, w, w1);
            let d = due_date(at, Term::Days(n), h).unwrap();
            let d1 = due_date(at, Term::Days(n + 1), h).unwrap();
            prop_assert!(d <= d1, "{} days: {}, one more: {}", n, d, d1);
            // n working days are never shorter than n calendar days.
            prop_assert!(w >= d, "{} working days: {}, {} days: {}", n, w, n, d);
        }

        #[test]
        fn a_working_day_term_has_exactly_n_working_days_left_on_arrival(
            at in arrival(),
            n in 1u16..=60,
        ) {
            let h = hol();
            let due = due_date(at, Term::WorkingDays(n), h).unwrap();
            let day = day_in_vietnam(at).unwrap();
            prop_assert_eq!(working_days_left(day, due, h), Ok(i64::from(n)));
        }

        #[test]
        fn a_calendar_term_moves_only_over_days_off(at in arrival(), n in 1u16..=90) {
            let h = hol();
            let due = due_date(at, Term::Days(n), h).unwrap();
            let end = day_in_vietnam(at).unwrap() + Duration::days(i64::from(n));
            let mut d = end;
            while d < due {
                prop_assert_eq!(h.is_working_day(d), Ok(false), "{} skipped", d);
                d = d.next_day().unwrap();
            }
        }

        #[test]
        fn overdue_is_negative(at in arrival(), n in 1u16..=30, late in 1i64..=30) {
            let h = hol();
            let due = due_date(at, Term::WorkingDays(n), h).unwrap();
            let left = working_days_left(due + Duration::days(late), due, h).unwrap();
            prop_assert!(left < 0, "{} days after {}: {}", late, due, left);
        }

        #[test]
        fn terms_print_as_they_parse(n in 1u16.., working in any::<bool>()) {
            let term = if working { Term::WorkingDays(n) } else { Term::Days(n) };
            prop_assert_eq!(term.to_string().parse::<Term>(), Ok(term));
        }
    }
}

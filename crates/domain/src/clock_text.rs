//! Times as a Vietnamese shopper reads them: Vietnam's time (UTC+7 all year, no daylight
//! saving) written `25/11/2026 18:38`, whatever the server's own time zone.

use time::macros::{format_description, offset};
use time::OffsetDateTime;

/// Vietnam's offset from UTC. The country has kept it all year since 1975.
const VIETNAM: time::UtcOffset = offset!(+7);

/// `secs` since the Unix epoch as `dd/mm/yyyy hh:mm` in Vietnam's time; `None` only for a
/// moment outside the years the calendar library handles (±9999).
pub fn vietnam_time(secs: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .to_offset(VIETNAM);
    at.format(format_description!("[day]/[month]/[year] [hour]:[minute]"))
        .ok()
}

/// `secs` since the Unix epoch as RFC 3339 in Vietnam's time, for `<time datetime>`.
pub fn vietnam_time_machine(secs: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .to_offset(VIETNAM);
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_vietnam_time() {
        // 2026-11-25 11:38:00 UTC is 18:38 in Hà Nội.
        assert_eq!(
            vietnam_time(1_795_606_680).as_deref(),
            Some("25/11/2026 18:38")
        );
        assert_eq!(
            vietnam_time_machine(1_795_606_680).as_deref(),
            Some("2026-11-25T18:38:00+07:00")
        );
        // Late in the UTC evening is already the next day in Vietnam.
        assert_eq!(
            vietnam_time(1_795_647_600).as_deref(),
            Some("26/11/2026 06:00")
        );
    }

    #[test]
    fn moments_out_of_range_are_refused_not_invented() {
        assert_eq!(vietnam_time(i64::MAX), None);
    }
}

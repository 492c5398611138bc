//! Times as the proxy keeps them: Unix milliseconds in the store, RFC 3339 text in the
//! widget's answers.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    unix_ms(OffsetDateTime::now_utc())
}

/// A time as Unix milliseconds (saturating far outside the store's range).
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A time as RFC 3339 text; `None` only for years that format has no room for.
pub fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

/// Unix milliseconds as RFC 3339 text (empty when out of range).
pub fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(rfc3339)
        .unwrap_or_default()
}

/// The UTC day of a time in Unix milliseconds, `YYYY-MM-DD` (the funnel's days).
pub fn utc_day(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

/// A duration as milliseconds to add to a time in milliseconds (saturating).
pub fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn round_trips() {
        let t = datetime!(2025-01-10 09:21:10.250 UTC);
        assert_eq!(unix_ms(t), 1_736_500_870_250);
        assert_eq!(rfc3339_ms(unix_ms(t)), "2025-01-10T09:21:10.25Z");
        assert_eq!(rfc3339(t).as_deref(), Some("2025-01-10T09:21:10.25Z"));
        assert_eq!(utc_day(unix_ms(t)), "2025-01-10");
        assert_eq!(
            utc_day(unix_ms(datetime!(2025-01-10 23:59:59.999 UTC))),
            "2025-01-10"
        );
        assert_eq!(
            utc_day(unix_ms(datetime!(2025-01-11 00:00 UTC))),
            "2025-01-11"
        );
        assert_eq!(
            duration_ms(std::time::Duration::from_secs(2)),
            2_000,
            "whole seconds"
        );
    }
}

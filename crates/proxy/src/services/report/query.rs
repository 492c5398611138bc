//! What a report covers: its period, affiliate, grouping and limit, read from a
//! query string or the command line and checked.

use simology_proxy_api::ReportGroup;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::clock::unix_ms;
use crate::error::ApiError;

/// The longest period of one report, in days.
pub const MAX_DAYS: i64 = 366;

/// The period of a report when no start is given, in days (ending with its last day).
pub const DEFAULT_DAYS: i64 = 30;

/// The rows of a report when no limit is given.
pub const DEFAULT_ROWS: u32 = 1_000;

/// The most rows one report may ask for.
pub const MAX_ROWS: u32 = 10_000;

/// What a report covers, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// First day (UTC).
    pub since: Date,
    /// Last day, included.
    pub until: Date,
    /// One affiliate, or all.
    pub affiliate: Option<String>,
    /// The rows' grouping.
    pub by: ReportGroup,
    /// At most this many rows, the first by affiliate and key.
    pub limit: u32,
}

pub(super) fn day(name: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::BadRequest(format!("{name}: must be a day such as 2026-11-01")))
}

impl ReportQuery {
    /// The period from its texts (`YYYY-MM-DD`): `until` is `today` when not given, and
    /// `since` the 30 days ending with `until`.
    ///
    /// # Errors
    /// `BadRequest` for a malformed day, a period that ends before it starts, or one
    /// longer than 366 days.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        affiliate: Option<&str>,
        by: ReportGroup,
        today: Date,
    ) -> Result<ReportQuery, ApiError> {
        ReportQuery::parse_with_limit(since, until, affiliate, by, None, today)
    }

    /// [`ReportQuery::parse`], with at most `limit` rows ([`DEFAULT_ROWS`] when not
    /// given).
    ///
    /// # Errors
    /// As [`ReportQuery::parse`], and `BadRequest` for a limit of 0 or above
    /// [`MAX_ROWS`].
    pub fn parse_with_limit(
        since: Option<&str>,
        until: Option<&str>,
        affiliate: Option<&str>,
        by: ReportGroup,
        limit: Option<u32>,
        today: Date,
    ) -> Result<ReportQuery, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_ROWS);
        if !(1..=MAX_ROWS).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit: must be 1 to {MAX_ROWS} rows"
            )));
        }
        let until = until.map_or(Ok(today), |u| day("until", u))?;
        let since = match since {
            Some(s) => day("since", s)?,
            None => until
                .checked_sub(Duration::days(DEFAULT_DAYS - 1))
                .unwrap_or(until),
        };
        if until < since {
            return Err(ApiError::BadRequest(
                "until: must not be before since".into(),
            ));
        }
        if (until - since).whole_days() >= MAX_DAYS {
            return Err(ApiError::BadRequest(format!(
                "since, until: a report covers at most {MAX_DAYS} days"
            )));
        }
        Ok(ReportQuery {
            since,
            until,
            affiliate: affiliate
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            by,
            limit,
        })
    }

    /// Unix ms: the start of `since` and the end of `until` (excluded), UTC.
    pub(super) fn window_ms(&self) -> (i64, i64) {
        let start = unix_ms(self.since.midnight().assume_utc());
        let end = self
            .until
            .next_day()
            .map_or(i64::MAX, |d| unix_ms(d.midnight().assume_utc()));
        (start, end)
    }
}

/// Today, UTC.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

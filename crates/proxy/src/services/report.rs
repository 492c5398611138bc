//! Affiliate reports, one service for `simology-proxy report`, `GET /admin/report` and
//! `GET /api/affiliates/{id}/report`: the funnel (beacons counted, then orders), its
//! conversion rates, revenue per currency and the commission owed.
//!
//! Money is integer minor units throughout. An order counts in the period of its
//! checkout's day (UTC), as it stands now: paid once its payment is confirmed, ready once
//! its eSIM was delivered, refunded once the refund went through. Gross revenue is the
//! unit price × quantity of paid orders; a whole refund subtracts every unit, a line
//! refund that line's unit. Commission is owed on each affiliate's net revenue per
//! currency, `net × bps / 10,000` rounded half up to the minor unit once per affiliate
//! and currency (never through floats). The report covers the affiliates in the file
//! now; the data of one taken out stays in the database.
//!
//! Split by job: `query` (what a report covers, checked), `aggregate` (its numbers),
//! `render` (text tables and CSV).

mod aggregate;
mod query;
mod render;
#[cfg(test)]
mod tests;

pub use crate::money::commission_minor;
pub use aggregate::{build, report, Aggregates, Orders};
pub use query::{today, ReportQuery, DEFAULT_DAYS, DEFAULT_ROWS, MAX_DAYS, MAX_ROWS};
pub use render::{csv, table};

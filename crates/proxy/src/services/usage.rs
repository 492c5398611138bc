//! Data used and left on a line, read upstream and cached for 45 s per line (each line
//! of an order its own): the widget polls it, and usage upstream changes slowly. A
//! top-up drops its line's answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use simology_proxy_api::UsageView;

use crate::clock::{now_ms, rfc3339, rfc3339_ms};

/// How long an answer is served from the cache.
pub const FRESH_FOR: Duration = Duration::from_secs(45);

/// Lines remembered before stale answers are dropped.
const REMEMBERED_LINES: usize = 10_000;

/// Usage answers by ICCID.
#[derive(Default)]
pub struct UsageCache {
    answers: Mutex<HashMap<String, (Instant, UsageView)>>,
}

impl UsageCache {
    /// The usage of the line `iccid`: from the cache when fresh, else from upstream.
    ///
    /// # Errors
    /// The upstream error when the line must be read and cannot be.
    pub async fn usage(
        &self,
        client: &simology::Client,
        iccid: &str,
    ) -> Result<UsageView, simology::Error> {
        if let Some(view) = self.fresh(iccid, Instant::now()) {
            return Ok(view);
        }
        let line = client.line(iccid).await?;
        let status = serde_json::to_value(line.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into());
        let view = UsageView {
            used_mb: line.data.used_mb,
            remaining_mb: line.data.remaining_mb,
            status,
            measured_at: rfc3339_ms(now_ms()),
            valid_until: rfc3339(line.valid_until).unwrap_or_default(),
        };
        self.remember(iccid, view.clone(), Instant::now());
        Ok(view)
    }

    /// Drops the line's cached answer (its data changed: a top-up), so that the next
    /// read goes upstream.
    pub fn forget(&self, iccid: &str) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.remove(iccid);
        }
    }

    fn fresh(&self, iccid: &str, now: Instant) -> Option<UsageView> {
        let answers = self.answers.lock().ok()?;
        answers
            .get(iccid)
            .filter(|(at, _)| now.duration_since(*at) < FRESH_FOR)
            .map(|(_, v)| v.clone())
    }

    fn remember(&self, iccid: &str, view: UsageView, now: Instant) {
        if let Ok(mut answers) = self.answers.lock() {
            if answers.len() > REMEMBERED_LINES {
                answers.retain(|_, (at, _)| now.duration_since(*at) < FRESH_FOR);
            }
            answers.insert(iccid.to_owned(), (now, view));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(used_mb: u64) -> UsageView {
        UsageView {
            used_mb,
            remaining_mb: 100,
            status: "active".into(),
            measured_at: String::new(),
            valid_until: String::new(),
        }
    }

    #[test]
    fn answers_stay_fresh_for_45_seconds_per_line() {
        let cache = UsageCache::default();
        let t0 = Instant::now();
        cache.remember("8988", view(1), t0);
        assert_eq!(
            cache.fresh("8988", t0 + Duration::from_secs(44)),
            Some(view(1))
        );
        assert_eq!(cache.fresh("8988", t0 + FRESH_FOR), None);
        assert_eq!(cache.fresh("8989", t0), None, "per line");
        cache.remember("8989", view(2), t0);
        cache.forget("8988");
        assert_eq!(cache.fresh("8988", t0), None, "forgotten");
        assert_eq!(
            cache.fresh("8989", t0),
            Some(view(2)),
            "the other line kept"
        );
    }
}

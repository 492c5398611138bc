//! The retry schedule of a delivery: exponential backoff with jitter for 3 days.
//!
//! A delivery is attempted at once; after a failed attempt `n` (1, 2, ...) the next
//! comes after `10 s × 5^(n-1)`, at most 20 hours, each wait drawn within ±20 % of that
//! (so that an endpoint coming back is not met by every delivery at once); the last
//! attempt is at 72 hours from the first, and a failure then gives the delivery up (its
//! destination is disabled if nothing reached it meanwhile):
//!
//! | attempt | after the one before | about this long after the first |
//! |---:|---:|---:|
//! | 1 | at once | 0 |
//! | 2 | 10 s | 10 s |
//! | 3 | 50 s | 1 min |
//! | 4 | 4 min 10 s | 5 min |
//! | 5 | 20 min 50 s | 26 min |
//! | 6 | 1 h 44 min | 2 h 10 min |
//! | 7 | 8 h 41 min | 10 h 51 min |
//! | 8 | 20 h | 30 h 51 min |
//! | 9 | 20 h | 50 h 51 min |
//! | 10 | 20 h | 70 h 51 min |
//! | 11 | at 72 h | 72 h |

use std::time::Duration;

use rand::Rng;

/// The schedule's numbers (tests shorten them; `Default` is the documented one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// The wait after the first failed attempt.
    pub first_wait: Duration,
    /// Each wait is this many times the one before.
    pub factor: u32,
    /// The longest wait.
    pub max_wait: Duration,
    /// How long after its first attempt a delivery is given up.
    pub give_up_after: Duration,
    /// Each wait is drawn within this fraction of its nominal value, either way.
    pub jitter: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            first_wait: Duration::from_secs(10),
            factor: 5,
            max_wait: Duration::from_secs(20 * 3600),
            give_up_after: Duration::from_secs(72 * 3600),
            jitter: 0.2,
        }
    }
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again at this time (Unix ms).
    RetryAt(i64),
    /// The schedule is over: give the delivery up.
    GiveUp,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Schedule {
    /// The nominal wait after failed attempt `attempt` (1-based), before jitter.
    pub fn nominal_wait(&self, attempt: u32) -> Duration {
        let mut wait = self.first_wait;
        for _ in 1..attempt.max(1) {
            wait = wait.saturating_mul(self.factor);
            if wait >= self.max_wait {
                return self.max_wait;
            }
        }
        wait.min(self.max_wait)
    }

    /// What follows failed attempt `attempt`, made at `now_ms`, of a delivery whose
    /// first attempt (of this chain) was at `started_ms`.
    pub fn after_failure(&self, attempt: u32, started_ms: i64, now_ms: i64) -> Next {
        let last = started_ms.saturating_add(ms(self.give_up_after));
        if now_ms >= last {
            return Next::GiveUp;
        }
        let nominal = ms(self.nominal_wait(attempt)) as f64;
        let spread = if self.jitter > 0.0 {
            rand::rng().random_range(1.0 - self.jitter..=1.0 + self.jitter)
        } else {
            1.0
        };
        let wait = (nominal * spread) as i64;
        Next::RetryAt(now_ms.saturating_add(wait.max(1)).min(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schedule of the table above, without jitter.
    #[test]
    fn the_documented_table() {
        let s = Schedule {
            jitter: 0.0,
            ..Schedule::default()
        };
        let mut at = 0i64;
        let mut times = vec![at];
        let mut attempt = 1;
        while let Next::RetryAt(next) = s.after_failure(attempt, 0, at) {
            at = next;
            times.push(at);
            attempt += 1;
        }
        let minutes: Vec<i64> = times.iter().map(|t| t / 60_000).collect();
        assert_eq!(
            minutes,
            [0, 0, 1, 5, 26, 130, 651, 1851, 3051, 4251, 4320],
            "attempts at (minutes)"
        );
        assert_eq!(times.len(), 11, "11 attempts over 72 hours");
        assert_eq!(*times.last().unwrap_or(&0), 72 * 3600 * 1000);
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        let s = Schedule::default();
        for attempt in 1..8 {
            let nominal = ms(s.nominal_wait(attempt));
            for _ in 0..50 {
                let Next::RetryAt(t) = s.after_failure(attempt, 0, 0) else {
                    panic!("not given up")
                };
                assert!(
                    t >= nominal * 8 / 10 && t <= nominal * 12 / 10 + 1,
                    "{attempt}: {t}"
                );
            }
        }
    }
}

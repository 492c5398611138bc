//! Per-client limits: rate limits (GCRA from the `governor` crate, one state per client
//! key and budget), the cap on what a client holds at once (long-polls waiting), and
//! the throttle of failed authentications (`/admin`, affiliates' reports).
//! `middleware::rate_limit` spends the budgets as a layer on the routes that need it;
//! the budget for unknown order references is spent where a miss is known, and the
//! long-poll cap where a long-poll begins to wait.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::Quota;

use crate::config::RateLimits;

/// Clients remembered before those whose budget is full again are forgotten.
const REMEMBERED_CLIENTS: usize = 100_000;

/// The burst of a budget of `per_minute` a minute: a quarter of it, at least 3.
pub fn burst(per_minute: u32) -> u32 {
    (per_minute / 4).max(3)
}

/// A budget per client: `per_minute` requests a minute, in bursts of up to a quarter of
/// that (at least 3).
pub struct RateLimiter<C: Clock = DefaultClock> {
    limiter:
        governor::RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests a minute per client.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst(per_minute)).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: governor::RateLimiter::dashmap_with_clock(
                Quota::per_minute(rate).allow_burst(burst),
                clock,
            ),
        }
    }

    /// Spends one request of `client`'s budget; `Err(seconds)` says when the next one
    /// will be allowed (at least 1).
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > REMEMBERED_CLIENTS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            // Whole seconds, rounded up.
            wait.saturating_add(Duration::from_nanos(999_999_999))
                .as_secs()
                .max(1)
        })
    }
}

/// Failed authentications (a wrong admin token, a wrong report token) a client may make
/// per minute, in bursts of 3: a few typos pass, guessing does not.
pub const FAILURES_PER_MINUTE: u32 = 6;

/// Clients remembered as throttled before those whose wait is over are forgotten.
const REMEMBERED_THROTTLED: usize = 10_000;

/// Failed authentications per client: each one spends the client's budget, and a
/// client over it is refused before its token is even compared, until its budget has
/// room again (so a guess made while throttled says nothing, right or wrong).
pub struct AuthThrottle {
    failures: RateLimiter,
    throttled: Mutex<HashMap<IpAddr, Instant>>,
}

impl AuthThrottle {
    /// A throttle of `per_minute` failures a minute per client.
    pub fn new(per_minute: u32) -> Self {
        AuthThrottle {
            failures: RateLimiter::new(per_minute),
            throttled: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` while `client` is throttled.
    pub fn admit(&self, client: IpAddr) -> Result<(), u64> {
        let Ok(mut throttled) = self.throttled.lock() else {
            return Ok(());
        };
        match throttled.get(&client) {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) => Err(left.as_secs().max(1)),
                None => {
                    throttled.remove(&client);
                    Ok(())
                }
            },
            None => Ok(()),
        }
    }

    /// Records a failed authentication of `client`; `Err(seconds)` when it is over its
    /// budget, and throttled from now on for that long.
    pub fn failed(&self, client: IpAddr) -> Result<(), u64> {
        self.failures.check(client).inspect_err(|&secs| {
            if let Ok(mut throttled) = self.throttled.lock() {
                if throttled.len() >= REMEMBERED_THROTTLED {
                    let now = Instant::now();
                    throttled.retain(|_, until| *until > now);
                }
                throttled.insert(client, Instant::now() + Duration::from_secs(secs));
            }
        })
    }
}

/// What a route spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Checkouts and top-up purchases.
    Checkout,
    /// Status, usage and catalogue reads.
    Status,
    /// Lookups of order references that do not exist (guessing).
    Misses,
    /// Funnel beacons.
    Beacons,
}

/// The proxy's budgets.
pub struct Limits {
    checkout: RateLimiter,
    status: RateLimiter,
    misses: RateLimiter,
    beacons: RateLimiter,
}

impl Limits {
    /// The budgets the settings give.
    pub fn new(settings: &RateLimits) -> Self {
        Limits {
            checkout: RateLimiter::new(settings.checkout_per_minute),
            status: RateLimiter::new(settings.status_per_minute),
            misses: RateLimiter::new(settings.misses_per_minute),
            beacons: RateLimiter::new(settings.beacons_per_minute),
        }
    }

    /// Spends one request of `budget` for `client`; `Err(seconds)` as
    /// [`RateLimiter::check`].
    pub fn check(&self, budget: Budget, client: IpAddr) -> Result<(), u64> {
        match budget {
            Budget::Checkout => &self.checkout,
            Budget::Status => &self.status,
            Budget::Misses => &self.misses,
            Budget::Beacons => &self.beacons,
        }
        .check(client)
    }
}

/// What each client may hold at once (long-polls waiting), by client key.
pub struct Holds {
    cap: u32,
    held: Mutex<HashMap<IpAddr, u32>>,
}

impl Holds {
    /// At most `cap` at once per client.
    pub fn new(cap: u32) -> Self {
        Holds {
            cap,
            held: Mutex::new(HashMap::new()),
        }
    }

    /// One more for `client`, or `None` when it holds `cap` already. It is given back
    /// when the guard is dropped.
    pub fn try_hold(&self, client: IpAddr) -> Option<Held<'_>> {
        let mut held = self.held.lock().ok()?;
        let n = held.entry(client).or_insert(0);
        if *n >= self.cap {
            if *n == 0 {
                held.remove(&client);
            }
            return None;
        }
        *n += 1;
        Some(Held {
            holds: self,
            client,
        })
    }

    /// What `client` holds now.
    pub fn held_by(&self, client: IpAddr) -> u32 {
        self.held
            .lock()
            .map_or(0, |h| h.get(&client).copied().unwrap_or(0))
    }
}

/// One thing a client holds (see [`Holds::try_hold`]).
pub struct Held<'a> {
    holds: &'a Holds,
    client: IpAddr,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Ok(mut held) = self.holds.held.lock() {
            if let Some(n) = held.get_mut(&self.client) {
                *n -= 1;
                if *n == 0 {
                    held.remove(&self.client);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn failures_are_throttled_per_client_before_the_token_is_compared() {
        let throttle = AuthThrottle::new(6); // bursts of 3
        let (guesser, other): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for _ in 0..3 {
            assert_eq!(throttle.admit(guesser), Ok(()));
            assert_eq!(throttle.failed(guesser), Ok(()));
        }
        let wait = throttle.failed(guesser).expect_err("over budget");
        assert!((1..=10).contains(&wait), "{wait}");
        assert!(
            throttle.admit(guesser).is_err(),
            "throttled, whatever it sends now"
        );
        assert_eq!(throttle.admit(other), Ok(()), "clients are apart");
        assert_eq!(throttle.failed(other), Ok(()));
    }

    #[test]
    fn bursts_then_refills() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(60, clock.clone()); // one a second, bursts of 15
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..15 {
            assert!(limiter.check(ip).is_ok());
        }
        assert_eq!(limiter.check(ip), Err(1));
        assert!(limiter.check(other).is_ok(), "clients are independent");
        clock.advance(Duration::from_millis(1100));
        assert!(limiter.check(ip).is_ok());
        clock.advance(Duration::from_millis(100));
        assert!(limiter.check(ip).is_err());
    }

    #[test]
    fn holds_are_capped_per_client_and_given_back() {
        let holds = Holds::new(2);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let first = holds.try_hold(a).expect("one");
        let second = holds.try_hold(a).expect("two");
        assert!(holds.try_hold(a).is_none(), "a third is refused");
        assert!(holds.try_hold(b).is_some(), "clients are independent");
        drop(first);
        assert_eq!(holds.held_by(a), 1);
        let _again = holds.try_hold(a).expect("room again");
        drop(second);
        assert!(
            Holds::new(0).try_hold(a).is_none(),
            "a cap of 0 holds nothing"
        );
    }

    #[test]
    fn small_budgets_burst_three_and_say_when_to_come_back() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(12, clock.clone()); // one per 5 s
        let ip: IpAddr = [10, 0, 0, 1].into();
        let answers: Vec<_> = (0..5).map(|_| limiter.check(ip)).collect();
        assert_eq!(answers, vec![Ok(()), Ok(()), Ok(()), Err(5), Err(5)]);
        clock.advance(Duration::from_millis(4500));
        assert_eq!(limiter.check(ip), Err(1), "half a second left rounds up");
        clock.advance(Duration::from_millis(500));
        assert_eq!(limiter.check(ip), Ok(()));
    }
}

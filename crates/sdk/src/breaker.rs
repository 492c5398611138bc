//! The circuit breaker: consecutive failures open the circuit; after a cool-down one
//! trial request decides whether it closes again.
//!
//! Every request asks for a [`Permit`] first and reports its outcome through it. A
//! permit dropped without a report (the call's future was dropped: the caller went
//! away, a `JoinSet` was dropped, a timeout around the call fired) is a request that
//! ended without a verdict on the upstream. If it was the half-open trial, dropping it
//! frees the trial slot and the circuit stays half-open, so the next call becomes the
//! trial. It is deliberately not counted as a failure: a cancellation says nothing
//! about the upstream's health, and counting it would let callers who give up early
//! hold a recovered upstream's circuit open for cool-down after cool-down. Either way
//! at most one trial is in flight at a time.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// Circuit breaker settings.
#[derive(Debug, Clone)]
pub struct BreakerConfig {
    /// Consecutive failures (5xx, timeouts, connection errors) that open the circuit.
    pub failure_threshold: u32,
    /// How long the circuit stays open before one trial request is let through.
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// The circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Requests flow.
    Closed,
    /// Requests are refused without being sent.
    Open,
    /// The cool-down is over: one trial request decides.
    HalfOpen,
}

/// The breaker's state, without time or locking: every method takes `now`.
#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    /// The trial in flight, by number, so that only its own permit can end it.
    trial: Option<u64>,
    /// The number the next trial gets.
    next_trial: u64,
}

impl Breaker {
    fn state(&self, now: Instant) -> CircuitState {
        match self.open_until {
            None => CircuitState::Closed,
            Some(t) if now < t => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }

    /// Lets a request through, or refuses it. `Some(n)` when the request is trial `n`.
    fn admit(&mut self, now: Instant) -> Result<Option<u64>> {
        match self.state(now) {
            CircuitState::Closed => Ok(None),
            CircuitState::Open => Err(Error::CircuitOpen {
                retry_in: self.open_until.map_or(Duration::ZERO, |t| t - now),
            }),
            CircuitState::HalfOpen if self.trial.is_some() => Err(Error::CircuitOpen {
                retry_in: Duration::ZERO,
            }),
            CircuitState::HalfOpen => {
                let n = self.next_trial;
                self.next_trial = n.wrapping_add(1);
                self.trial = Some(n);
                Ok(Some(n))
            }
        }
    }

    /// A request's outcome: a healthy answer closes the circuit; a failed trial, or the
    /// threshold's worth of consecutive failures, opens it for a cool-down.
    fn record(&mut self, trial: Option<u64>, healthy: bool, config: &BreakerConfig, now: Instant) {
        let is_current_trial = trial.is_some() && trial == self.trial;
        if healthy {
            self.failures = 0;
            self.open_until = None;
            self.trial = None;
            return;
        }
        self.failures = self.failures.saturating_add(1);
        if is_current_trial || self.failures >= config.failure_threshold {
            self.open_until = Some(now + config.cool_down);
        }
        if is_current_trial {
            self.trial = None;
        }
    }

    /// A request ended without an outcome: if it was the trial in flight, its slot is
    /// free again.
    fn abandon(&mut self, trial: Option<u64>) {
        if trial.is_some() && trial == self.trial {
            self.trial = None;
        }
    }
}

/// The breaker a client and its clones share.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<Breaker>,
}

impl CircuitBreaker {
    pub(crate) fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Self {
        CircuitBreaker {
            config,
            clock,
            state: Mutex::new(Breaker::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Breaker> {
        // The state is plain values, each written whole; a panic elsewhere while the
        // lock was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn state(&self) -> CircuitState {
        self.lock().state(self.clock.now())
    }

    /// Leave to send one request.
    ///
    /// # Errors
    /// [`Error::CircuitOpen`] while the circuit is open, or half-open with the trial
    /// already in flight.
    pub(crate) fn admit(&self) -> Result<Permit<'_>> {
        let trial = self.lock().admit(self.clock.now())?;
        Ok(Permit {
            breaker: self,
            trial,
            recorded: false,
        })
    }
}

/// Leave to send one request. [`Permit::record`] reports the outcome; dropping the
/// permit unreported ends the request without a verdict (see the module's header).
#[must_use = "a permit reports its request's outcome"]
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: Option<u64>,
    recorded: bool,
}

impl Permit<'_> {
    /// Reports the outcome: `healthy` for any answer that says the upstream works
    /// (success, 4xx, 429), not for 5xx, timeouts and connection failures.
    pub(crate) fn record(mut self, healthy: bool) {
        self.recorded = true;
        let breaker = self.breaker;
        breaker
            .lock()
            .record(self.trial, healthy, &breaker.config, breaker.clock.now());
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.breaker.lock().abandon(self.trial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn config() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 3,
            cool_down: Duration::from_secs(10),
        }
    }

    #[test]
    fn breaker_opens_then_half_opens() {
        let config = config();
        let mut b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..2 {
            b.record(None, false, &config, t0);
        }
        assert_eq!(b.state(t0), CircuitState::Closed);
        b.record(None, false, &config, t0);
        assert_eq!(b.state(t0), CircuitState::Open);
        assert!(matches!(b.admit(t0), Err(Error::CircuitOpen { .. })));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(b.state(later), CircuitState::HalfOpen);
        let trial = b.admit(later).expect("one trial goes through");
        assert!(trial.is_some());
        assert!(b.admit(later).is_err(), "only one trial at a time");
        b.record(trial, false, &config, later);
        assert_eq!(b.state(later), CircuitState::Open, "a failed trial reopens");
        let much_later = later + Duration::from_secs(11);
        let trial = b.admit(much_later).expect("the next trial");
        b.record(trial, true, &config, much_later);
        assert_eq!(b.state(much_later), CircuitState::Closed);
    }

    #[test]
    fn a_dropped_trial_frees_its_slot_without_a_verdict() {
        let clock = Arc::new(ManualClock::new());
        let breaker = CircuitBreaker::new(config(), Arc::clone(&clock) as Arc<dyn Clock>);
        for _ in 0..3 {
            breaker.admit().expect("closed").record(false);
        }
        assert_eq!(breaker.state(), CircuitState::Open);
        clock.advance(Duration::from_secs(10));
        let trial = breaker.admit().expect("the trial");
        assert!(breaker.admit().is_err(), "one trial at a time");
        drop(trial);
        assert_eq!(breaker.state(), CircuitState::HalfOpen, "no verdict");
        let trial = breaker.admit().expect("the next call is the trial");
        trial.record(true);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn a_stale_trial_cannot_end_a_newer_one() {
        let clock = Arc::new(ManualClock::new());
        let config = BreakerConfig {
            failure_threshold: 1,
            ..config()
        };
        let breaker = CircuitBreaker::new(config, Arc::clone(&clock) as Arc<dyn Clock>);
        breaker.admit().expect("closed").record(false);
        clock.advance(Duration::from_secs(10));
        let old_trial = breaker.admit().expect("trial 1");
        // A request admitted while the circuit was closed answers well: closed again.
        {
            let mut b = breaker.lock();
            b.record(None, true, &breaker.config, clock.now());
        }
        breaker.admit().expect("closed").record(false);
        clock.advance(Duration::from_secs(10));
        let new_trial = breaker.admit().expect("trial 2");
        drop(old_trial);
        assert!(
            breaker.admit().is_err(),
            "the old trial's end does not free the new trial's slot"
        );
        new_trial.record(false);
        assert_eq!(breaker.state(), CircuitState::Open);
    }
}

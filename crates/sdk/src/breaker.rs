//! The circuit breaker: consecutive failures open the circuit; after a cool-down one
//! trial request decides whether it closes again.

use std::time::{Duration, Instant};

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

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

impl Breaker {
    pub(crate) fn state(&self, now: Instant) -> CircuitState {
        match self.open_until {
            None => CircuitState::Closed,
            Some(t) if now < t => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }

    pub(crate) fn admit(&mut self, now: Instant) -> Result<()> {
        match self.state(now) {
            CircuitState::Closed => Ok(()),
            CircuitState::Open => Err(Error::CircuitOpen {
                retry_in: self.open_until.map_or(Duration::ZERO, |t| t - now),
            }),
            CircuitState::HalfOpen if self.trial_in_flight => Err(Error::CircuitOpen {
                retry_in: Duration::ZERO,
            }),
            CircuitState::HalfOpen => {
                self.trial_in_flight = true;
                Ok(())
            }
        }
    }

    pub(crate) fn success(&mut self) {
        *self = Breaker::default();
    }

    pub(crate) fn failure(&mut self, config: &BreakerConfig, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.trial_in_flight || self.failures >= config.failure_threshold {
            self.open_until = Some(now + config.cool_down);
            self.trial_in_flight = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_then_half_opens() {
        let config = BreakerConfig {
            failure_threshold: 3,
            cool_down: Duration::from_secs(10),
        };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..2 {
            b.failure(&config, t0);
        }
        assert_eq!(b.state(t0), CircuitState::Closed);
        b.failure(&config, t0);
        assert_eq!(b.state(t0), CircuitState::Open);
        assert!(matches!(b.admit(t0), Err(Error::CircuitOpen { .. })));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(b.state(later), CircuitState::HalfOpen);
        assert!(b.admit(later).is_ok(), "one trial goes through");
        assert!(b.admit(later).is_err(), "only one trial at a time");
        b.failure(&config, later);
        assert_eq!(b.state(later), CircuitState::Open, "a failed trial reopens");
        let much_later = later + Duration::from_secs(11);
        assert!(b.admit(much_later).is_ok());
        b.success();
        assert_eq!(b.state(much_later), CircuitState::Closed);
    }
}

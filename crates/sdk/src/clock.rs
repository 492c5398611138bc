//! Time as the client sees it: the monotonic now (the breaker's cool-down, the retry
//! budget) and the waits between retries.
//!
//! [`SystemClock`] is the default. Tests put a [`ManualClock`] in
//! [`ClientConfig::clock`](crate::ClientConfig::clock): its time moves only when told
//! to, and a retry's wait returns at once and is recorded, so no test sleeps through a
//! cool-down or a `Retry-After`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A wait, as a [`Clock`] gives it.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A source of monotonic time and of waits.
pub trait Clock: fmt::Debug + Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
    /// A future that completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: [`Instant::now`] and tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: time stands still until [`ManualClock::advance`] moves it, and
/// [`Clock::sleep`] moves it by the wait, records the wait, and returns at once.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock standing at the real now.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            state: Mutex::new(ManualState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // The state is two plain values; a panic elsewhere cannot leave them half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state();
        state.elapsed = state.elapsed.saturating_add(by);
    }

    /// How far the time has moved since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.state().elapsed
    }

    /// Every wait asked of [`Clock::sleep`], in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.state().elapsed
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        {
            let mut state = self.state();
            state.sleeps.push(duration);
            state.elapsed = state.elapsed.saturating_add(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(30));
        assert_eq!(clock.now() - t0, Duration::from_secs(30));
        clock.sleep(Duration::from_secs(5)).await;
        assert_eq!(clock.now() - t0, Duration::from_secs(35));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
        assert_eq!(clock.elapsed(), Duration::from_secs(35));
    }
}

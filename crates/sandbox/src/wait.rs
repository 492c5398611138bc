//! Waiting for an event in tests: poll a condition until it holds or a generous
//! deadline passes, then fail saying what was awaited and what was last seen.
//!
//! Tests against the sandbox wait for what they need (a delivery, an expiry), never a
//! fixed time: a fixed sleep is too short on a busy machine and too long on an idle one.
//! The SDK's, the sandbox's and the proxy's tests share this one helper.

use std::fmt::{Debug, Display};
use std::time::{Duration, Instant};

/// How long [`eventually`] waits before failing. Generous, since a passing test returns
/// as soon as its condition holds.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often [`eventually`] looks.
const INTERVAL: Duration = Duration::from_millis(20);

/// Polls `probe` until it gives `Ok(value)`, and returns the value. `Err(seen)` says
/// what the probe saw instead; after [`DEADLINE`] this panics with `what` and the last
/// `seen`.
///
/// # Panics
/// When the condition does not hold within [`DEADLINE`]: it is meant for tests.
pub async fn eventually<T, E: Debug>(
    what: impl Display,
    mut probe: impl AsyncFnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}; last seen: {seen:?}"
        );
        tokio::time::sleep(INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_once_the_condition_holds() {
        let calls = AtomicU32::new(0);
        let value = eventually("three calls", || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= 3 {
                Ok(n)
            } else {
                Err(format!("{n} calls"))
            }
        })
        .await;
        assert_eq!(value, 3);
    }
}

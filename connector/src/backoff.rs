//! Waiting longer after each failure: exponential backoff, capped, with
//! jitter where many clients may fail at once.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Retries of one request wait 10 ms, doubling up to 500 ms.
pub(crate) const RETRY_BACKOFF: Backoff =
    Backoff::new(Duration::from_millis(10), Duration::from_millis(500));

/// Delays that start at `first` and double after each failure, up to `cap`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
}

impl Backoff {
    pub(crate) const fn new(first: Duration, cap: Duration) -> Self {
        Self { first, cap }
    }

    /// The delay before retry `attempt` (1 for the first).
    pub(crate) fn delay(self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }

    /// [`delay`](Self::delay) shortened by up to a half at random, so that
    /// clients that failed together do not come back together.
    pub(crate) fn jittered(self, attempt: u32) -> Duration {
        let delay = self.delay(attempt);
        // A process-random, per-call hash seed: random enough to spread retries.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let unit = (random >> 11) as f64 / (1u64 << 53) as f64;
        delay.mul_f64(1.0 - unit / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::Duration;

    #[test]
    fn delays_double_up_to_the_cap_and_jitter_stays_within_half() {
        let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(500));
        let delays: Vec<u128> = (1..=8).map(|a| backoff.delay(a).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 500, 500]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_millis(500));
        let jittered: Vec<Duration> = (0..200).map(|_| backoff.jittered(3)).collect();
        assert!(jittered
            .iter()
            .all(|d| *d <= Duration::from_millis(40) && *d >= Duration::from_millis(20)));
        let distinct: std::collections::BTreeSet<_> = jittered.iter().collect();
        assert!(distinct.len() > 50, "{} distinct delays", distinct.len());
    }
}

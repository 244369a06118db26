//! Pool size, validation threshold, and what happens when the pool is full.

use std::time::Duration;

use crate::error::PoolError;

/// The environment variable that sizes pools not given a size.
pub const POOL_SIZE_VARIABLE: &str = "REDIS_CLIENT_POOL_SIZE";

/// The size of pools given none, when the variable is not set.
pub const DEFAULT_POOL_SIZE: u32 = 20;

/// What a checkout does when every pooled connection is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Waits up to the checkout timeout for a connection to come back.
    Wait,
    /// Hands out a fresh connection outside the pool, closed on release.
    Overflow,
}

/// A pool's configuration.
///
/// ```
/// use std::time::Duration;
/// use redwire_pool::{PoolConfig, WhenFull};
///
/// let config = PoolConfig::default()
///     .max_size(8)
///     .check_after(Duration::from_secs(5))
///     .when_full(WhenFull::Overflow);
/// assert_eq!(config.size::<std::io::Error>().unwrap(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    pub(crate) max_size: Option<u32>,
    pub(crate) check_after: Duration,
    pub(crate) checkout_timeout: Duration,
    pub(crate) when_full: WhenFull,
    pub(crate) min_idle: Option<u32>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_size: None,
            check_after: Duration::from_secs(5),
            checkout_timeout: Duration::from_secs(5),
            when_full: WhenFull::Wait,
            min_idle: None,
            idle_timeout: Some(Duration::from_secs(60)),
            max_lifetime: None,
        }
    }
}

impl PoolConfig {
    /// Most pooled connections. Default: `REDIS_CLIENT_POOL_SIZE`, else 20.
    #[must_use]
    pub fn max_size(self, size: u32) -> Self {
        Self {
            max_size: Some(size),
            ..self
        }
    }

    /// Idle connections younger than this are reused at once; older ones
    /// are checked first. Default 5 s.
    #[must_use]
    pub fn check_after(self, idle: Duration) -> Self {
        Self {
            check_after: idle,
            ..self
        }
    }

    /// How long a checkout waits for a connection. Default 5 s.
    #[must_use]
    pub fn checkout_timeout(self, timeout: Duration) -> Self {
        Self {
            checkout_timeout: timeout,
            ..self
        }
    }

    /// What a checkout does when the pool is full. Default [`WhenFull::Wait`].
    #[must_use]
    pub fn when_full(self, when_full: WhenFull) -> Self {
        Self { when_full, ..self }
    }

    /// Idle connections kept open. Default: none.
    #[must_use]
    pub fn min_idle(self, count: u32) -> Self {
        Self {
            min_idle: Some(count),
            ..self
        }
    }

    /// Idle connections older than this are closed (keepalive timeout).
    /// Default 60 s.
    #[must_use]
    pub fn idle_timeout(self, timeout: Duration) -> Self {
        Self {
            idle_timeout: Some(timeout),
            ..self
        }
    }

    /// Connections older than this are closed; each gets a lifetime up to a
    /// fifth shorter, so that connections made together retire apart.
    /// Default: no limit.
    #[must_use]
    pub fn max_lifetime(self, lifetime: Duration) -> Self {
        Self {
            max_lifetime: Some(lifetime),
            ..self
        }
    }

    /// The size in force: the configured one, else the environment
    /// variable, else 20. An unusable value is an error, never ignored.
    pub fn size<E>(&self) -> Result<u32, PoolError<E>> {
        let size = match self.max_size {
            Some(size) => size,
            None => match std::env::var(POOL_SIZE_VARIABLE) {
                Ok(text) => text.trim().parse().map_err(|_| {
                    PoolError::Size(format!(
                        "{POOL_SIZE_VARIABLE} must be a positive integer, got {text:?}"
                    ))
                })?,
                Err(std::env::VarError::NotPresent) => DEFAULT_POOL_SIZE,
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(PoolError::Size(format!(
                        "{POOL_SIZE_VARIABLE} is not valid UTF-8"
                    )))
                }
            },
        };
        if size == 0 {
            return Err(PoolError::Size(
                "the pool size must be at least 1".to_owned(),
            ));
        }
        Ok(size)
    }
}

//! Why a checkout failed.

use std::fmt;
use std::sync::Arc;

/// Why a checkout or a pool failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolError<E> {
    /// A checkout needed a new connection and making it failed (refused,
    /// unreachable, a wrong password): reported at once, with that error,
    /// rather than after the checkout timeout.
    ConnectFailed(Arc<E>),
    /// No connection came free within the checkout timeout. Carries the last
    /// error met while making connections, so an unreachable server or a
    /// wrong password is never reported as a bare timeout.
    Exhausted {
        /// The last connect error, if any.
        last_connect_error: Option<String>,
    },
    /// The pool size is unusable (configuration or `REDIS_CLIENT_POOL_SIZE`).
    Size(String),
}

impl<E: fmt::Display> fmt::Display for PoolError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectFailed(e) => write!(f, "pool could not connect: {e}"),
            Self::Exhausted {
                last_connect_error: Some(e),
            } => write!(
                f,
                "pool exhausted: no connection came free in time (last connect error: {e})"
            ),
            Self::Exhausted {
                last_connect_error: None,
            } => f.write_str("pool exhausted: no connection came free in time"),
            Self::Size(message) => write!(f, "invalid pool size: {message}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for PoolError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ConnectFailed(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

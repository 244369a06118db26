//! A transport-agnostic, self-healing connection pool for redwire, on
//! deadpool: recently used connections are reused at once, older ones are
//! checked, broken ones are never handed out again, and a released
//! connection goes to the checkout that has waited longest.
//!
//! The pool knows nothing about sockets: it makes and checks connections
//! through [`Connect`], which the `redwire` connector implements.
//!
//! # The contract (the Lua and Python bindings expose it as it is)
//!
//! - **Release and force-close.** Dropping a [`Pooled`] guard returns the
//!   connection; [`Pooled::force_close`] drops it. A connection that is
//!   broken ([`Connect::is_broken`]: an I/O, protocol or timeout error, a
//!   request cancelled mid-flight, inside `MULTI`, subscribed, or closed by
//!   the server) is never returned, whatever the caller asks. A guard
//!   dropped while a request is in flight therefore closes its connection.
//! - **Validation on checkout.** A connection returned less than
//!   [`PoolConfig::check_after`] ago (5 s) is reused at once, after a probe
//!   that does not block; an older one is checked with [`Connect::check`]
//!   (`PING`). One that fails is discarded and a fresh connection is made
//!   transparently: the caller sees no error.
//! - **Failing fast, and alone.** A checkout that needs a new connection
//!   makes it itself, and fails as soon as making it fails (refused,
//!   unreachable, a wrong password), with [`PoolError::ConnectFailed`] and
//!   that error, not after the checkout timeout. Other checkouts, waiting
//!   for a connection to come back, go on waiting.
//! - **First come, first served.** When every connection is in use,
//!   checkouts wait in line: a released connection goes to the one that
//!   has waited longest, never to a task that releases and asks again at
//!   once, so no checkout starves under sustained load.
//! - **Size** from [`PoolConfig::max_size`], else `REDIS_CLIENT_POOL_SIZE`,
//!   else 20; an unusable value is [`PoolError::Size`], never a silent default.
//! - **When full**: [`WhenFull::Wait`] up to the checkout timeout, then
//!   [`PoolError::Exhausted`] carrying the last connect error (a TLS or auth
//!   mistake is never a bare timeout); or [`WhenFull::Overflow`], an
//!   unpooled connection closed on release.
//! - Minimum idle connections, an idle (keepalive) timeout, and a maximum
//!   lifetime with per-connection jitter, kept by a task of the pool's
//!   (made within a tokio runtime) that stops with it.
//! - [`Pool::invalidate`]: connections made before it are never handed out
//!   again, idle ones are replaced at checkout and ones in use are closed on
//!   release (the hook a sentinel failover uses).
//! - [`Stats`]: idle, in use, created, reused without check, validated,
//!   discarded, waits, wait timeouts, overflow.
//!
//! Pools per server and credentials, and pools registered by name, are in
//! the connector (`redwire::Pools`), which knows what a server is.
//!
//! ```
//! use redwire_pool::{PoolConfig, WhenFull, DEFAULT_POOL_SIZE};
//!
//! // Size from the configuration, else REDIS_CLIENT_POOL_SIZE, else 20.
//! let config = PoolConfig::default().when_full(WhenFull::Wait);
//! # if std::env::var("REDIS_CLIENT_POOL_SIZE").is_err() {
//! assert_eq!(config.size::<std::io::Error>().unwrap(), DEFAULT_POOL_SIZE);
//! # }
//! ```
#![forbid(unsafe_code)]

mod config;
mod connect;
mod error;
mod pool;

pub use config::{PoolConfig, WhenFull, DEFAULT_POOL_SIZE, POOL_SIZE_VARIABLE};
pub use connect::Connect;
pub use error::PoolError;
pub use pool::{Invalidator, Pool, Pooled, Stats};

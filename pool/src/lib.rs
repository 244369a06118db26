//! A transport-agnostic, self-healing connection pool for redwire, on bb8:
//! recently used connections are reused at once, older ones are checked,
//! broken ones are never handed out again.
//!
//! The pool knows nothing about sockets: it makes and checks connections
//! through [`Connect`], which the `redwire` connector implements.
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
pub use pool::{Pool, Pooled, Stats};

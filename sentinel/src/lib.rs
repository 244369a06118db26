//! Redis Sentinel discovery for redwire: which server is the master of a
//! set, which replicas are healthy, and the sentinels to ask, tried in order
//! with the first that answers moved to the front.
//!
//! The crate opens no sockets: it asks sentinels through [`Ask`], which the
//! `redwire` connector implements.
//!
//! ```
//! use redwire_sentinel::{Address, Sentinels};
//!
//! let sentinels = Sentinels::new(vec![Address::new("10.0.0.1", 26379), Address::new("10.0.0.2", 26379)]);
//! assert_eq!(sentinels.addresses()[0].to_string(), "10.0.0.1:26379");
//! ```
#![forbid(unsafe_code)]

mod discovery;
mod error;

pub use discovery::{Address, Ask, Sentinels};
pub use error::SentinelError;

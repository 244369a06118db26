//! A Redis and Valkey client on the redwire core: configuration from every
//! accepted form, validated with errors that name the field and the rule,
//! and connections over TCP, unix sockets and TLS running commands,
//! pipelines, raw RESP and scripts. Pools, sentinel and cluster build on it.
//!
//! A request goes one way: a [`Cluster`], a [`Pool`] or a
//! [`SharedConnection`] picks a [`Connection`] as the command's
//! [`Effects`] allow (may it share a connection, does it block, keep state
//! on its connection); a [`Connector`] finds the server (directly, or
//! through its sentinels); the connection talks to it over its transport.
//!
//! ```
//! use redwire::{Config, Endpoint, Role};
//!
//! let config: Config = "sentinel://mymaster:s/1?sentinels=10.0.0.1:26379,10.0.0.2:26379".parse()?;
//! let Endpoint::Sentinel(sentinel) = config.endpoint() else { unreachable!() };
//! assert_eq!((sentinel.master_name.as_str(), sentinel.role), ("mymaster", Role::Replica));
//! assert_eq!(sentinel.sentinels.len(), 2);
//!
//! let err = "redis://localhost:70000".parse::<Config>().unwrap_err();
//! assert_eq!(err.to_string(), r#"invalid port: must be an integer 1..65535, got "70000""#);
//! # Ok::<(), redwire::ConfigError>(())
//! ```
#![forbid(unsafe_code)]

// From the bottom up: each module uses only those above it.
mod backoff;
mod client;
mod cluster;
mod command;
mod config;
mod connection;
mod discovery;
mod error;
mod pool;
mod reply;
mod shared;
mod transport;

pub use client::{
    Client, Commands, Execute, Expiry, SetOptions, Side, Transaction, ZAddOptions, ZRange,
    MAX_TRANSACTION_ATTEMPTS,
};
pub use cluster::{Cluster, ClusterScan};
pub use command::pipeline::Pipeline;
pub use command::policy::TWEMPROXY_UNSUPPORTED;
pub use command::script::Script;
pub use command::slot::{key_slot, SLOTS};
pub use command::Effects;
pub use config::{
    ClientOptions, Config, Endpoint, Password, Protocol, Role, Sentinel, TlsOptions,
    DEFAULT_CONNECT_TIMEOUT,
};
pub use connection::{Connection, MAX_SET_ASIDE};
pub use discovery::{try_hosts, Connector, NextUpstream};
pub use error::{ConfigError, Error, Phase, ServerError};
pub use pool::{NamedPoolError, Pool, PoolKey, PooledConnection, Pools, DEFAULT_MAX_POOLS};
pub use redwire_pool::{PoolConfig, PoolError, Stats as PoolStats, WhenFull};
pub use redwire_resp::{Arg, ArgBuf, Args, Frame};
pub use reply::FromFrame;
pub use shared::{Batch, SharedConnection, MAX_QUEUED, STALLED_AFTER};

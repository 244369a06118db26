//! A Redis and Valkey client on the redwire core: configuration from every
//! accepted form, validated with errors that name the field and the rule,
//! and connections over TCP, unix sockets and TLS running commands,
//! pipelines, raw RESP and scripts. Pools, sentinel and cluster build on it.
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

mod cluster;
mod config;
mod connection;
mod connector;
mod dsn;
mod error;
mod hosts;
mod multiplexed;
mod pipeline;
mod policy;
mod pooled;
mod pools;
mod routing;
mod script;
mod sentinel;
mod shared;
mod slot;
mod tls;
mod topology;
mod transport;

pub use cluster::{Cluster, ClusterOptions};
pub use config::{
    Config, Endpoint, Password, Protocol, Role, Sentinel, TlsOptions, DEFAULT_CONNECT_TIMEOUT,
};
pub use connection::Connection;
pub use connector::Connector;
pub use error::{ConfigError, Error, Phase, ServerError};
pub use hosts::{try_hosts, NextUpstream};
pub use pipeline::Pipeline;
pub use policy::TWEMPROXY_UNSUPPORTED;
pub use pooled::{Pool, PooledConnection};
pub use pools::{NamedPoolError, PoolKey, Pools};
pub use redwire_pool::{PoolConfig, PoolError, Stats as PoolStats, WhenFull};
pub use redwire_resp::{Arg, ArgBuf, Args, Frame};
pub use shared::{Batch, SharedConnection};
pub use slot::{key_slot, SLOTS};

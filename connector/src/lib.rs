//! A Redis and Valkey client: one typed [`Client`] for a server, a hosts
//! list, a sentinel set or a cluster, on multiplexed and pooled
//! connections over TCP, unix sockets and TLS.
//!
//! ```
//! use redwire::{Client, Commands, Pipeline};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = redwire_testkit::Server::start(Default::default())?;
//! # let url = format!("redis://127.0.0.1:{}", server.port());
//! // `redis://`, `rediss://`, `unix://`, `sentinel://`, `redis+cluster://`, …
//! let client = Client::connect(url.as_str()).await?;
//!
//! // Every command is a method, its reply read as the type asked for.
//! client.set::<()>("user:1:name", "ada").await?;
//! let name: Option<String> = client.get("user:1:name").await?;
//! assert_eq!(name.as_deref(), Some("ada"));
//!
//! // A pipeline: one write, the replies as a tuple.
//! let (visits, name): (i64, String) = Pipeline::new()
//!     .incr("user:1:visits", 1)
//!     .get("user:1:name")
//!     .query(&client)
//!     .await?;
//! assert_eq!((visits, name.as_str()), (1, "ada"));
//!
//! // An optimistic transaction: run again if a watched key changes.
//! let doubled: i64 = client
//!     .transaction("user:1:visits", |mut tx| async move {
//!         let visits: i64 = tx.get("user:1:visits").await?;
//!         let (doubled,): (i64,) = tx.exec(Pipeline::new().incr("user:1:visits", visits)).await?;
//!         Ok(doubled)
//!     })
//!     .await?;
//! assert_eq!(doubled, 2);
//! # Ok(()) }
//! ```
//!
//! Beneath it, each part stays public for those who need it: a request goes
//! one way: a [`Client`], a [`Cluster`], a [`Pool`] or a
//! [`SharedConnection`] picks a [`Connection`] as the command's
//! [`Effects`] allow (may it share a connection, does it block, keep state
//! on its connection); a [`Connector`] finds the server (directly, or
//! through its sentinels); the connection talks to it over its transport.
//! [`Execute`] is the one trait over all of them.
//!
//! Configuration comes from every accepted form, validated with errors that
//! name the field and the rule:
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
pub mod cache;
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
mod spin;
mod transport;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use client::{
    Client, ClientStats, Commands, Execute, Expiry, Info, Message, ScanOptions, SetOptions, Side,
    StreamEntry, Subscriber, Transaction, XRead, ZAddOptions, ZRange, MAX_TRANSACTION_ATTEMPTS,
    SUBSCRIBER_BUFFER,
};
pub use cluster::{Cluster, ClusterScan, MAX_SCAN_PASSES};
pub use command::pipeline::Pipeline;
pub use command::policy::TWEMPROXY_UNSUPPORTED;
pub use command::script::Script;
pub use command::slot::{key_slot, SLOTS};
pub use command::Effects;
pub use config::{
    ClientOptions, Config, Endpoint, Keepalive, Password, Protocol, Role, Sentinel, TlsOptions,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEEPALIVE, DEFAULT_PEER_TIMEOUT, DEFAULT_USER_TIMEOUT,
};
pub use connection::{Connection, MAX_SET_ASIDE};
pub use discovery::{try_hosts, Connector, NextUpstream};
pub use error::{ConfigError, Error, Phase, ServerError, ServerErrorKind};
pub use pool::{NamedPoolError, Pool, PoolKey, PooledConnection, Pools, DEFAULT_MAX_POOLS};
pub use redwire_pool::{PoolConfig, PoolError, Stats as PoolStats, WhenFull};
pub use redwire_resp::{Arg, ArgBuf, Args, Frame, Payload};
pub use reply::FromFrame;
#[cfg(feature = "serde")]
pub use reply::Json;
pub use shared::{Batch, SharedConnection, MAX_QUEUED, STALLED_AFTER};
pub use spin::{spinning, SPIN};

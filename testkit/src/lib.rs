//! Real `redis-server` processes for tests: started on free loopback ports in
//! temporary directories, stopped (by their own pid) when dropped.
//!
//! ```no_run
//! use redwire_testkit::{Server, ServerOptions};
//!
//! let server = Server::start(ServerOptions::default().password("s3cret")).unwrap();
//! println!("redis://:s3cret@127.0.0.1:{}", server.port());
//! // The process is stopped when `server` is dropped.
//! ```
//!
//! The `redis-server` binary comes from `$REDIS_SERVER` or `PATH` (Debian's
//! `redis-server` package). The `redwire-testkit` command starts the same
//! servers for the Lua and Python suites and prints where they listen.
//!
//! [`FaultProxy`] (and `redwire-testkit proxy`) puts faults between a
//! client and a server: latency, stalls, resets, cut replies, throttling,
//! blackholed connections. [`Partitioned`] puts a server behind a real
//! network partition (a namespace whose link is cut: no FIN, no RST).
#![forbid(unsafe_code)]

mod cluster;
mod fault;
mod partition;
mod probe;
mod sentinel;
mod server;
mod tls;

pub use cluster::Cluster;
pub use fault::{FaultProxy, MAX_FAULT};
pub use partition::{Cut, Partitioned};
pub use sentinel::{SentinelSet, SetCredentials};
pub use server::{AclUser, Paused, Server, ServerOptions, StartError};
pub use tls::TlsFiles;

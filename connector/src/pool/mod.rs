//! Pools of connections: one per server through a [`Connector`], and pools
//! kept per server and credentials or registered by name ([`Pools`]).

mod keyed;

use crate::discovery::Connector;
pub use keyed::{NamedPoolError, PoolKey, Pools, DEFAULT_MAX_POOLS};

/// A pool of [`Connection`](crate::Connection)s made by a [`Connector`];
/// see [`redwire_pool::Pool`] for its semantics. A guard dropped while a
/// request is in flight force-closes its connection (the connection is
/// broken by then).
pub type Pool = redwire_pool::Pool<Connector>;

/// A checked-out pooled [`Connection`](crate::Connection).
pub type PooledConnection = redwire_pool::Pooled<Connector>;

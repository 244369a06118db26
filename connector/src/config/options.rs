//! How a client pools connections, reads and retries.

use redwire_pool::PoolConfig;

use crate::cache::CacheConfig;

/// How a [`Client`](crate::Client) pools connections, retries and, for a
/// cluster, reads: [`pool`](Self::pool) and
/// [`max_retries`](Self::max_retries) apply to every topology (the pool
/// for blocking commands and transactions; a cluster keeps one per node),
/// the others to clusters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The pool kept for each node.
    pub pool: PoolConfig,
    /// Sends read-only commands to the replicas of a slot's master (each
    /// connection sends `READONLY`). Default: off, every command goes to
    /// masters.
    pub read_from_replicas: bool,
    /// `MOVED` and `ASK` redirections followed for one command. Default 5.
    pub max_redirections: u32,
    /// Retries of one command that surely was not sent (a server that
    /// refused the connection; on a cluster also `TRYAGAIN`, `CLUSTERDOWN`,
    /// a node that cannot be reached), with a backoff from 10 ms doubling
    /// to 500 ms. Default 16 (5.6 s of backoff in all, plus the time each
    /// attempt takes, e.g. a connect timeout to a host that does not
    /// answer). 0: none.
    pub max_retries: u32,
    /// A client-side cache of the replies to reads
    /// ([`CACHED_COMMANDS`](crate::cache::CACHED_COMMANDS)), one for the
    /// client and its clones, kept up to date by the server's invalidations
    /// (see [`Client::cache`](crate::Client::cache)). Needs RESP3. Default:
    /// none.
    pub cache: Option<CacheConfig>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            read_from_replicas: false,
            max_redirections: 5,
            max_retries: 16,
            cache: None,
        }
    }
}

impl ClientOptions {
    /// The pool kept for each node.
    #[must_use]
    pub fn pool(self, pool: PoolConfig) -> Self {
        Self { pool, ..self }
    }

    /// Retries of a command surely not sent (default 16).
    #[must_use]
    pub fn max_retries(self, max_retries: u32) -> Self {
        Self {
            max_retries,
            ..self
        }
    }

    /// Keeps the replies of reads in a client-side cache.
    #[must_use]
    pub fn cache(self, cache: CacheConfig) -> Self {
        Self {
            cache: Some(cache),
            ..self
        }
    }

    /// Sends read-only commands to replicas.
    #[must_use]
    pub fn read_from_replicas(self, yes: bool) -> Self {
        Self {
            read_from_replicas: yes,
            ..self
        }
    }
}

//! The one handle users hold: [`Client`], the same for every topology, and
//! what runs commands on it or on any lower type ([`Execute`],
//! [`Commands`]).

mod commands;
mod execute;
mod observe;
mod replies;
mod scan;
mod subscriber;
mod transaction;

use tracing::Instrument;

use crate::backoff::RETRY_BACKOFF;
use crate::cache::Cache;
use crate::cluster::Cluster;
use crate::command::pipeline::Pipeline;
use crate::config::{ClientOptions, Config, Endpoint};
use crate::connection::Replies;
use crate::discovery::Connector;
use crate::error::Error;
use crate::pool::{Pool, PooledConnection};
use crate::shared::{cached, on_own_connection, tracked, SharedConnection};
pub use commands::{Commands, Expiry, SetOptions, Side, XRead, ZAddOptions, ZRange};
pub use execute::Execute;
pub use observe::ClientStats;
pub use replies::{Info, StreamEntry};
pub use scan::ScanOptions;
pub use subscriber::{Message, Subscriber, SUBSCRIBER_BUFFER};
pub use transaction::{Transaction, MAX_TRANSACTION_ATTEMPTS};

/// A client of one Redis or Valkey deployment — a server, a hosts list, a
/// sentinel set or a cluster — with the same methods for each. Cheap to
/// clone; clones share connections; `Send + Sync + 'static`.
///
/// - Commands that may share a connection ([`Effects::shares`]) from every
///   clone and task go on one multiplexed connection per server, written
///   together (automatic pipelining): `tokio::join!` of ten `get`s is one
///   write.
/// - Blocking commands (`BLPOP`, `XREAD … BLOCK`) take a pooled
///   connection ([`ClientOptions::pool`]) so that they hold up no one. A
///   `WAIT` counts the replicas of the writes made on its own connection:
///   send it in a pipeline after those writes (alone it is refused).
/// - Commands that leave state on their connection (`MULTI`, `WATCH`,
///   `SELECT`, `SUBSCRIBE`, `CLIENT REPLY`, …) are refused before anything
///   is sent ([`Error::NeedsOwnConnection`]): use an atomic pipeline
///   ([`Pipeline::atomic`]), or hold a connection
///   ([`connection`](Self::connection)).
/// - A sentinel configuration's connections follow failovers; a cluster's
///   commands go to the node of their key and follow `MOVED`/`ASK` (see
///   [`Cluster`]).
/// - A request that surely was not sent (the server refused the connection,
///   no sentinel answered, the shared connection had closed) is sent again
///   after a backoff from 10 ms to 500 ms, at most
///   [`ClientOptions::max_retries`] times (5.6 s in all by default): a
///   restart or a failover is ridden out. One that may have been applied
///   ([`Error::may_have_been_applied`]) is never sent again; nor is one
///   that timed out connecting (each try would wait as long again).
///
/// The command methods come from [`Commands`] (in the prelude of any code
/// that imports it), each generic over the reply type ([`FromFrame`]):
///
/// ```no_run
/// use redwire::{Client, Commands, Pipeline};
///
/// # async fn demo() -> Result<(), redwire::Error> {
/// let client = Client::connect("redis://127.0.0.1:6379").await?;
/// client.set::<()>("greeting", "hello").await?; // the type of the reply wanted
/// let greeting: Option<String> = client.get("greeting").await?;
/// assert_eq!(greeting.as_deref(), Some("hello"));
///
/// let (count, value): (i64, String) = Pipeline::new()
///     .incr("visits", 1)
///     .get("greeting")
///     .query(&client)
///     .await?;
/// # Ok(()) }
/// ```
///
/// [`Effects::shares`]: crate::Effects::shares
/// [`FromFrame`]: crate::FromFrame
#[derive(Clone, Debug)]
pub struct Client {
    topology: Topology,
    counters: std::sync::Arc<observe::Counters>,
    target: std::sync::Arc<observe::Target>,
    /// [`ClientOptions::max_retries`].
    max_retries: u32,
    /// [`ClientOptions::cache`].
    cache: Option<std::sync::Arc<Cache>>,
}

#[derive(Clone, Debug)]
enum Topology {
    /// One server at a time: a server, a hosts list, a sentinel set.
    Server {
        shared: SharedConnection,
        pool: Pool,
    },
    /// A cluster, its topology read on first use.
    Cluster(std::sync::Arc<LazyCluster>),
}

/// A cluster client made on first use (its topology takes round trips).
#[derive(Debug)]
struct LazyCluster {
    cluster: tokio::sync::OnceCell<Cluster>,
    config: Config,
    options: ClientOptions,
    cache: Option<std::sync::Arc<Cache>>,
}

impl LazyCluster {
    /// The cluster, its topology read now if it was not yet.
    async fn get(&self) -> Result<&Cluster, Error> {
        self.cluster
            .get_or_try_init(|| {
                Cluster::start(
                    self.config.clone(),
                    self.options.clone(),
                    self.cache.clone(),
                )
            })
            .await
    }
}

impl Client {
    /// A client of `config` (a [`Config`], or a URL: `redis://`,
    /// `rediss://`, `unix://`, a hosts list, `sentinel://`,
    /// `redis+cluster://`), with default options. It connects once before
    /// returning (a cluster reads its topology), so a wrong address,
    /// password or TLS setting fails here.
    pub async fn connect<C>(config: C) -> Result<Self, Error>
    where
        C: TryInto<Config>,
        Error: From<C::Error>,
    {
        Self::connect_with(config.try_into()?, ClientOptions::default()).await
    }

    /// A client of `config` with `options`.
    pub async fn connect_with(config: Config, options: ClientOptions) -> Result<Self, Error> {
        let client = Self::lazy(config, options)?;
        match &client.topology {
            Topology::Cluster(lazy) => drop(lazy.get().await?),
            Topology::Server { shared, .. } => drop(shared.cmd(&["PING"]).await?),
        }
        Ok(client)
    }

    /// A client of `config` with `options` that connects on first use: no
    /// I/O here, so it can be made outside a runtime (at start-up, in a
    /// binding); only a configuration that cannot be used fails here. The
    /// first request then meets what [`connect_with`](Self::connect_with)
    /// would have (an address nobody answers, a wrong password), and
    /// every request after it tries again.
    ///
    /// ```
    /// let client = redwire::Client::lazy("redis://127.0.0.1:6379".parse()?, Default::default())?;
    /// # let _ = client;
    /// # Ok::<(), redwire::Error>(())
    /// ```
    pub fn lazy(config: Config, options: ClientOptions) -> Result<Self, Error> {
        let target = std::sync::Arc::new(observe::Target::of(&config));
        let max_retries = options.max_retries;
        let cache = options.cache.clone().map(Cache::new);
        let topology = if let Endpoint::Cluster(_) = config.endpoint() {
            if let Some(cache) = &cache {
                // Refused now, not at first use.
                tracked(config.clone(), cache)?;
            }
            Topology::Cluster(std::sync::Arc::new(LazyCluster {
                cluster: tokio::sync::OnceCell::new(),
                config,
                options,
                cache: cache.clone(),
            }))
        } else {
            let pool = Connector::new(config.clone()).pool(options.pool)?;
            let sentinel = matches!(config.endpoint(), Endpoint::Sentinel(_));
            let shared = match &cache {
                Some(cache) => SharedConnection::with_cache(config, cache.clone())?,
                None => SharedConnection::new(config),
            };
            // A failover the pool's sentinel watcher hears moves the shared
            // connection too (nothing else invalidates the pool but
            // `close`, which lets the shared connection go itself: no check
            // on every request of the others).
            if sentinel {
                shared.follow(&pool);
            }
            Topology::Server { shared, pool }
        };
        Ok(Self {
            topology,
            counters: std::sync::Arc::default(),
            target,
            max_retries,
            cache,
        })
    }

    /// Its client-side cache ([`ClientOptions::cache`]), shared by its
    /// clones: its [stats](Cache::stats), and [`flush`](Cache::flush).
    ///
    /// A read it keeps ([`CACHED_COMMANDS`](crate::cache::CACHED_COMMANDS),
    /// sent alone: a pipeline's are not, but a cluster's pipeline sends a
    /// command alone on its node when it is the only one there) is answered
    /// from it until the server says a key it read changed (`CLIENT
    /// TRACKING` on every shared connection). A write sent through this
    /// client (a transaction's too) drops the keys among its arguments
    /// before its reply is handed back; a script's reply waits for the
    /// server's invalidations of what it wrote (sent elsewhere than the
    /// shared connection, it empties the cache). Every connection loss,
    /// failover, or slot moving to another node drops what it may have
    /// covered. A reply that raced a change of its key is not kept.
    ///
    /// Not covered: a write on a connection held by the caller
    /// ([`connection`](Self::connection)) is seen when the server's
    /// invalidation comes, not before its reply; a key's expiry is seen
    /// when the server deletes it (use [`CacheConfig::ttl`] to bound how
    /// long a reply is used).
    ///
    /// [`CacheConfig::ttl`]: crate::cache::CacheConfig::ttl
    ///
    /// ```no_run
    /// use redwire::cache::CacheConfig;
    /// use redwire::{Client, ClientOptions, Commands};
    ///
    /// # async fn demo() -> Result<(), redwire::Error> {
    /// let client = Client::connect_with(
    ///     "redis://127.0.0.1:6379?protocol=3".parse()?,
    ///     ClientOptions::default().cache(CacheConfig::default()),
    /// )
    /// .await?;
    /// let _: Option<String> = client.get("greeting").await?; // from the server
    /// let _: Option<String> = client.get("greeting").await?; // from the cache
    /// if let Some(cache) = client.cache() {
    ///     assert_eq!(cache.stats().hits, 1);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cache(&self) -> Option<&std::sync::Arc<Cache>> {
        self.cache.as_ref()
    }

    /// Sends the commands of `pipeline`: one reply per command, an error
    /// reply in its place. On the shared connection when every command may
    /// share it, else on a pooled connection (a blocking command); refuses,
    /// before anything is sent, what leaves state on its connection, and a
    /// `WAIT` with no write before it in the pipeline.
    async fn send(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        if let Some(frame) = self.kept(pipeline).await {
            cached::after_hit().await;
            return Ok(vec![Ok(frame)]);
        }
        let pipeline = &*pipeline.wrapped();
        let span = self.target.span(pipeline);
        let in_flight = self.counters.begin();
        // Not wrapped when nobody listens: moving the future into the
        // wrapper costs more than the rest of a request's work here.
        let result = if span.is_none() {
            self.route(pipeline).await
        } else {
            self.route(pipeline).instrument(span.clone()).await
        };
        in_flight.ended(&result, pipeline);
        observe::record(&span, &result);
        result
    }

    /// The reply its cache keeps for `pipeline`, a read sent alone: found
    /// before anything else is done (nothing but a read kept is ever
    /// found). A failover known lets the cache go first.
    async fn kept(&self, pipeline: &Pipeline) -> Option<redwire_resp::Frame> {
        let cache = self.cache.as_ref().filter(|_| cached::alone(pipeline))?;
        cached::settle(cache).await;
        if let Topology::Server { shared, .. } = &self.topology {
            shared.follow_invalidations();
        }
        cached::hit(cache, pipeline)
    }

    /// Sends `pipeline` (as sent: an atomic one already between `MULTI`
    /// and `EXEC`) where its commands may go.
    async fn route(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        if let Some(command) = pipeline.first_needing_a_held_connection() {
            return Err(Error::NeedsOwnConnection {
                command: command.upper_name(),
            });
        }
        // The cluster's and the pool's futures are boxed: they are large,
        // and would make every request's future as large (moved, copied).
        match &self.topology {
            // One command: routed alone, without the pipeline's split.
            Topology::Cluster(lazy) => {
                Box::pin(async {
                    let cluster = lazy.get().await?;
                    if pipeline.len() > 1 {
                        return cluster.pipeline(pipeline).await;
                    }
                    // One command: routed alone, without the pipeline's split.
                    match cluster.one(pipeline).await {
                        Ok(frame) => Ok(vec![Ok(frame)]),
                        Err(Error::Server(e)) => Ok(vec![Err(e)]),
                        Err(e) => Err(e),
                    }
                })
                .await
            }
            Topology::Server { shared, pool } => {
                // Blocking: a connection of its own.
                let own = pipeline.first_unshared().is_some();
                let mut retries = 0;
                loop {
                    let sent = if own {
                        Box::pin(on_own_connection(pool, self.cache.as_deref(), pipeline)).await
                    } else {
                        shared.pipeline(pipeline).await
                    };
                    match sent {
                        // Surely not sent, and failing fast (not a timeout
                        // each time): again once the server may be back.
                        Err(e)
                            if e.unreached() && !e.is_timeout() && retries < self.max_retries =>
                        {
                            retries += 1;
                            tracing::debug!(error = %e, retry = retries, "request not sent; again");
                            // Jittered: clients that failed together do not
                            // come back together.
                            tokio::time::sleep(RETRY_BACKOFF.jittered(retries)).await;
                        }
                        sent => return sent,
                    }
                }
            }
        }
    }

    /// A connection of the pool held by the caller until dropped, for what
    /// needs one connection: `WATCH` … `MULTI` … `EXEC`, `SUBSCRIBE`,
    /// `CLIENT SETNAME`. On a cluster, the connection is to the master of
    /// `key`'s slot (not redirected); elsewhere `key` is not used.
    pub async fn connection(&self, key: &[u8]) -> Result<PooledConnection, Error> {
        match &self.topology {
            Topology::Cluster(lazy) => lazy.get().await?.connection_for(key).await,
            Topology::Server { pool, .. } => Ok(pool.get().await?),
        }
    }

    /// Its counters now: requests, failures, requests under way, shared
    /// connections started, redirections, topology reads, and its pools'
    /// counters.
    pub fn stats(&self) -> ClientStats {
        let mut stats = self.counters.read();
        match &self.topology {
            Topology::Server { shared, pool } => {
                stats.shared_connections = shared.connections_started();
                stats.add_pool(&pool.stats());
            }
            Topology::Cluster(lazy) => {
                if let Some(cluster) = lazy.cluster.get() {
                    stats.redirections = cluster.redirections();
                    stats.topology_refreshes = cluster.refreshes();
                    cluster.each_node(|pool, shared| {
                        stats.shared_connections += shared.connections_started();
                        stats.add_pool(&pool.stats());
                    });
                }
            }
        }
        stats
    }

    /// The cluster behind this client, for what only a cluster has
    /// ([`Cluster::cmd_on`], [`Cluster::masters`]); `None` for a client of
    /// one server, and for a [lazy](Self::lazy) one whose cluster was not
    /// reached yet.
    pub fn cluster(&self) -> Option<&Cluster> {
        match &self.topology {
            Topology::Cluster(lazy) => lazy.cluster.get(),
            Topology::Server { .. } => None,
        }
    }

    /// The cluster behind this client, reached first if it was not yet
    /// (a [lazy](Self::lazy) client's topology read); `None` for a client
    /// of one server.
    ///
    /// ```no_run
    /// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
    /// if let Some(cluster) = client.reach_cluster().await? {
    ///     println!("masters: {:?}", cluster.masters());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn reach_cluster(&self) -> Result<Option<&Cluster>, Error> {
        match &self.topology {
            Topology::Cluster(lazy) => lazy.get().await.map(Some),
            Topology::Server { .. } => Ok(None),
        }
    }

    /// Whether it is a cluster's client (reached yet or not).
    pub fn is_cluster(&self) -> bool {
        matches!(self.topology, Topology::Cluster(_))
    }

    /// The multiplexed connection its shareable commands go on, for a
    /// client of one server (`None` for a cluster's): to gather commands
    /// into batches of one's own ([`SharedConnection::add`]), as a binding
    /// does for an event loop's turn.
    pub fn shared_connection(&self) -> Option<&SharedConnection> {
        match &self.topology {
            Topology::Server { shared, .. } => Some(shared),
            Topology::Cluster(_) => None,
        }
    }

    /// Lets its connections go: each shared connection once the replies due
    /// on it are read ([`SharedConnection::close`]), each pooled one as it is
    /// idle or given back ([`Pool::invalidate`]). The client stays usable:
    /// the next request opens a new connection. Clones share this.
    pub fn close(&self) {
        match &self.topology {
            Topology::Server { shared, pool } => {
                shared.close();
                pool.invalidate();
            }
            Topology::Cluster(lazy) => {
                if let Some(cluster) = lazy.cluster.get() {
                    cluster.each_node(|pool, shared| {
                        shared.close();
                        pool.invalidate();
                    });
                }
            }
        }
    }
}

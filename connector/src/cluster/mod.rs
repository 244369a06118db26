//! A Redis Cluster client: commands routed by key slot to pooled
//! connections per node, following `MOVED` and `ASK`, retrying `TRYAGAIN`
//! and `CLUSTERDOWN`, pipelines split by node, scripts on every master.

mod redirect;
mod scan;
mod topology;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redwire_resp::{Args, Frame};
use redwire_sentinel::Address;

use crate::backoff::RETRY_BACKOFF;
use crate::cache::Cache;
use crate::command::pipeline::{args_of, Pipeline, Queued};
use crate::command::route::{Commands, Route};
use crate::command::script;
use crate::command::slot::{key_slot, SLOTS};
use crate::config::{ClientOptions, Config, Endpoint, DEFAULT_CONNECT_TIMEOUT};
use crate::connection::{single, Connection, Replies};
use crate::discovery::Connector;
use crate::error::{ConfigError, Error, Phase, ServerError};
use crate::pool::{Pool, PooledConnection};
use crate::shared::{on_own_connection, tracked, SharedConnection};
use redirect::Redirect;
pub use scan::{ClusterScan, MAX_SCAN_PASSES};
use topology::SlotMap;

/// A pipeline part of this many commands or more goes on a pooled
/// connection of the node's own, not its shared one.
const OWN_CONNECTION_FROM: usize = 16;

/// A full refresh after a `MOVED` runs at most this often.
const MOVED_REFRESH_EVERY: Duration = Duration::from_secs(1);
/// A refresh after a node could not be reached runs at most this often.
const UNREACHABLE_REFRESH_EVERY: Duration = Duration::from_millis(100);

/// A client of one Redis Cluster; clones share its topology and
/// connections.
///
/// - Each node has one connection shared by every caller (multiplexed:
///   each caller's commands are written together, replies handed back in
///   order, a cancelled caller's replies dropped) and a pool
///   ([`ClientOptions::pool`]) for blocking commands (`BLPOP`,
///   `XREAD … BLOCK`, …), pipeline parts of 16 commands or more, and
///   [`connection_for`](Self::connection_for).
/// - Commands that leave state on their connection (`WATCH`, a `MULTI`
///   outside a whole transaction, subscriptions, `SELECT`, `CLIENT REPLY`,
///   …: see [`Effects::keeps_state`](crate::Effects::keeps_state)) need a
///   connection their caller holds, and are refused before anything is sent
///   ([`Error::NeedsOwnConnection`]); a whole transaction (an
///   [atomic](Pipeline::atomic) pipeline) runs on its slot's master; so is `SCAN`, whose cursor belongs to
///   one node ([`Error::NeedsNode`]): aim it with [`cmd_on`](Self::cmd_on),
///   or walk every master with [`scan`](Self::scan).
/// - The topology comes from `CLUSTER SHARDS` (`CLUSTER SLOTS` before
///   Redis 7), asked of the known nodes and then of the seeds (resolved
///   again), so a cluster whose nodes all changed is found again.
/// - A command goes to the master of its first key's slot (hash tags
///   honoured), a command without keys to any master, and `SCRIPT LOAD`,
///   `SCRIPT FLUSH`, `FLUSHALL`, `FLUSHDB` and `FUNCTION LOAD|DELETE|FLUSH|RESTORE`
///   to every master. Keys are found with the server's `COMMAND` table.
/// - `MOVED` updates that slot at once and schedules a full refresh (at
///   most once a second); `ASK` sends `ASKING` and the command to the named
///   node without changing the map; `TRYAGAIN` and `CLUSTERDOWN` are
///   retried with backoff; each within [`ClientOptions`]' bounds.
/// - A command is retried on another node only when it was surely not
///   executed (no connection could be had); one whose connection failed
///   while or after it was written returns the error, as it may have run.
///   A failed node makes the next command refresh the map (at most every
///   100 ms), from the other nodes.
/// - Multi-key commands whose keys span slots get the server's
///   `CROSSSLOT` error: they are not split.
///
/// ```no_run
/// use redwire::{Cluster, ClientOptions, Pipeline};
///
/// # async fn demo() -> Result<(), redwire::Error> {
/// let cluster = Cluster::connect(
///     "redis+cluster://10.0.0.1:7000,10.0.0.2:7000".parse()?,
///     ClientOptions::default(),
/// )
/// .await?;
/// cluster.cmd(&("SET", "{user:1}:name", "ada")).await?;
/// let mut pipeline = Pipeline::new();
/// pipeline.cmd(&["GET", "{user:1}:name"]).cmd(&["INCR", "visits"]);
/// let replies = cluster.pipeline(&pipeline).await?; // split by node, in order
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    /// Each node's connection settings, the endpoint aside.
    node: Config,
    seeds: Vec<Address>,
    options: ClientOptions,
    map: RwLock<Arc<SlotMap>>,
    nodes: Mutex<HashMap<Address, Arc<Node>>>,
    commands: RwLock<Arc<Commands>>,
    /// When the last refresh finished; held while one runs.
    refreshed: tokio::sync::Mutex<Option<Instant>>,
    /// Whether a refresh is scheduled in the background.
    refresh_scheduled: AtomicBool,
    /// Spreads keyless commands and replica reads.
    next: AtomicUsize,
    /// `MOVED` and `ASK` redirections followed.
    redirections: std::sync::atomic::AtomicU64,
    /// Topology reads begun (a throttled request to refresh is none).
    refreshes: std::sync::atomic::AtomicU64,
    /// Scripts by name: (source, SHA1).
    scripts: Mutex<HashMap<String, (String, String)>>,
    /// The cache every node's shared connection reads through.
    cache: Option<Arc<Cache>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("seeds", &self.inner.seeds)
            .field("masters", &self.masters())
            .finish_non_exhaustive()
    }
}

/// What the client keeps for one node: a connection shared by every
/// caller for most commands, and a pool for blocking commands,
/// [`Cluster::connection_for`] and topology reads.
struct Node {
    pool: Pool,
    shared: SharedConnection,
}

impl Node {
    /// Sends `part` on the shared connection, or on a pooled one of its own
    /// when `own` (a blocking command must not hold up everyone).
    async fn send(&self, part: &Pipeline, own: bool) -> Result<Replies, Error> {
        if own {
            on_own_connection(&self.pool, self.shared.cache().map(|c| &**c), part).await
        } else {
            self.shared.pipeline(part).await
        }
    }
}

/// A command of a pipeline, its route, and whether it may block (it then
/// takes a connection of its own, not the node's shared one).
type Routed<'a> = (Queued<'a>, Route, bool);

impl Cluster {
    /// Reads the topology through `config`'s seed nodes
    /// (`redis+cluster://host:port,host:port`, credentials and TLS applying
    /// to every node) and the `COMMAND` table. With
    /// [`ClientOptions::cache`], every node's shared connection reads
    /// through one cache (see [`Client::cache`](crate::Client::cache)).
    pub async fn connect(config: Config, options: ClientOptions) -> Result<Self, Error> {
        let cache = options.cache.clone().map(Cache::new);
        Self::start(config, options, cache).await
    }

    /// [`connect`](Self::connect), its nodes reading through `cache`.
    pub(crate) async fn start(
        config: Config,
        options: ClientOptions,
        cache: Option<Arc<Cache>>,
    ) -> Result<Self, Error> {
        if let Some(cache) = &cache {
            // Refused now, not at each node.
            tracked(config.clone(), cache)?;
        }
        let Endpoint::Cluster(seeds) = config.endpoint() else {
            return Err(ConfigError::invalid(
                "endpoint",
                "a cluster's seed nodes (redis+cluster://host:port,host:port)",
                config.to_string(),
            )
            .into());
        };
        if config.db != 0 {
            return Err(
                ConfigError::invalid("db", "0 (a cluster serves only db 0)", config.db).into(),
            );
        }
        let seeds = seeds.iter().map(|(h, p)| Address::new(h, *p)).collect();
        let mut node = config.clone();
        node.readonly = options.read_from_replicas;
        let cluster = Self {
            inner: Arc::new(Inner {
                node,
                seeds,
                options,
                map: RwLock::new(Arc::new(SlotMap::empty())),
                nodes: Mutex::new(HashMap::new()),
                commands: RwLock::new(Arc::new(Commands::default())),
                refreshed: tokio::sync::Mutex::new(None),
                refresh_scheduled: AtomicBool::new(false),
                next: AtomicUsize::new(0),
                redirections: std::sync::atomic::AtomicU64::new(0),
                refreshes: std::sync::atomic::AtomicU64::new(0),
                scripts: Mutex::new(HashMap::new()),
                cache,
            }),
        };
        cluster.refresh().await?;
        Ok(cluster)
    }

    /// The masters' addresses (`host:port`), in slot order of the map now.
    pub fn masters(&self) -> Vec<String> {
        self.map()
            .shards()
            .iter()
            .map(|s| s.master.to_string())
            .collect()
    }

    /// The replicas' addresses (`host:port`), master by master in slot
    /// order of the map now.
    ///
    /// ```no_run
    /// # async fn demo(cluster: &redwire::Cluster) -> Result<(), redwire::Error> {
    /// for replica in cluster.replicas() {
    ///     let role = cluster.cmd_on(&replica, &["ROLE"]).await?;
    ///     println!("{replica}: {role:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn replicas(&self) -> Vec<String> {
        self.map()
            .shards()
            .iter()
            .flat_map(|s| s.replicas.iter().map(ToString::to_string))
            .collect()
    }

    /// The configuration of a connection of one's own to the node at
    /// `node` (`host:port`, a master or replica of the slot map): the
    /// cluster's options (credentials, TLS, timeouts) with that endpoint.
    /// For what keeps a connection to one node (`MONITOR`, a pub/sub
    /// loop reading every frame).
    ///
    /// ```no_run
    /// # async fn demo(cluster: &redwire::Cluster) -> Result<(), redwire::Error> {
    /// let master = cluster.masters().remove(0);
    /// let mut monitor = redwire::Connection::connect(&cluster.node_config(&master)?).await?;
    /// monitor.send_subscription(&["MONITOR"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn node_config(&self, node: &str) -> Result<Config, Error> {
        let address = node_address(node)?;
        if !self.knows(&address) {
            return Err(ConfigError::invalid("node", "a node of the cluster", node).into());
        }
        Ok(self.config_for(&address))
    }

    /// The cluster's node configuration with `address` as its endpoint.
    fn config_for(&self, address: &Address) -> Config {
        let mut config = self.inner.node.clone();
        config.endpoint = Endpoint::Tcp {
            host: address.host.clone(),
            port: address.port,
        };
        config
    }

    /// Whether the slot map names `address` (a master or a replica).
    fn knows(&self, address: &Address) -> bool {
        self.map()
            .shards()
            .iter()
            .any(|s| s.master == *address || s.replicas.contains(address))
    }

    /// A connection of its own to a master (any), for a subscriber.
    pub(crate) async fn connect_to_any_master(&self) -> Result<Connection, Error> {
        self.connect_to(&self.target(Route::Any)?).await
    }

    /// A connection of its own to `address`, for a subscriber.
    pub(crate) async fn connect_to(&self, address: &Address) -> Result<Connection, Error> {
        Connection::connect(&self.config_for(address)).await
    }

    /// How many `MOVED` and `ASK` redirections it followed.
    pub fn redirections(&self) -> u64 {
        self.inner.redirections.load(Ordering::Relaxed)
    }

    /// How many times it read the topology, or tried to: after `MOVED`s
    /// at most once a second, while a node cannot be reached at most every
    /// 100 ms (failed reads included), and at each [`refresh`](Self::refresh).
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// The nodes' peer timeout ([`Config::peer_timeout`]).
    pub(crate) fn peer_timeout(&self) -> Option<Duration> {
        self.inner.node.get_peer_timeout()
    }

    /// Each node's pool and shared connection known now.
    pub(crate) fn each_node(&self, mut f: impl FnMut(&Pool, &SharedConnection)) {
        let nodes = self
            .inner
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for node in nodes.values() {
            f(&node.pool, &node.shared);
        }
    }

    /// Reads the topology again now: from the known masters, their
    /// replicas, then the seeds; the first complete map wins (else the
    /// most complete one).
    pub async fn refresh(&self) -> Result<(), Error> {
        self.refresh_unless(Instant::now(), Duration::ZERO).await
    }

    /// Refreshes, unless a refresh finished since `asked` or within `fresh`
    /// ago. Each node gets the connect timeout to answer.
    async fn refresh_unless(&self, asked: Instant, fresh: Duration) -> Result<(), Error> {
        let mut refreshed = self.inner.refreshed.lock().await;
        if refreshed.is_some_and(|at| at >= asked || at.elapsed() < fresh) {
            return Ok(());
        }
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let map = self.map();
        let mut candidates: Vec<Address> = Vec::new();
        let shards = map.shards();
        let known = shards
            .iter()
            .map(|s| &s.master)
            .chain(shards.iter().flat_map(|s| &s.replicas))
            .chain(&self.inner.seeds);
        for address in known {
            if !candidates.contains(address) {
                candidates.push(address.clone());
            }
        }
        let (mut best, mut errors) = (None::<SlotMap>, Vec::new());
        let within = self
            .inner
            .node
            .connect_timeout
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        for address in candidates {
            let answer = tokio::time::timeout(within, self.topology_from(&address))
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        phase: Phase::Read,
                        endpoint: address.to_string(),
                        after: within,
                    })
                });
            match answer {
                Ok(map) if map.served() == usize::from(SLOTS) => {
                    best = Some(map);
                    break;
                }
                Ok(map) => {
                    if best.as_ref().is_none_or(|b| map.served() > b.served()) {
                        best = Some(map);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let Some(best) = best.filter(|m| m.served() > 0) else {
            // A failed read counts for the throttle too: callers retrying
            // through an outage do not read back to back.
            *refreshed = Some(Instant::now());
            return Err(Error::NoHosts(errors));
        };
        tracing::debug!(shards = best.shards().len(), "cluster topology read");
        self.inner
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|address, _| {
                best.shards()
                    .iter()
                    .any(|s| s.master == *address || s.replicas.contains(address))
            });
        let old = std::mem::replace(
            &mut *self
                .inner
                .map
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            Arc::new(best),
        );
        // The keys of a slot whose master changed: the node that told of
        // them no longer does.
        if self.inner.cache.is_some() {
            let new = self.map();
            let moved: Vec<bool> = (0..SLOTS)
                .map(|slot| {
                    old.shard(slot).map(|s| &s.master) != new.shard(slot).map(|s| &s.master)
                })
                .collect();
            if moved.contains(&true) {
                self.moved_keys(|slot| moved[usize::from(slot)]);
            }
        }
        *refreshed = Some(Instant::now());
        Ok(())
    }

    /// Invalidates in the cache, if any, the keys of each slot `moved`
    /// says moved.
    fn moved_keys(&self, moved: impl Fn(u16) -> bool) {
        if let Some(cache) = &self.inner.cache {
            cache.invalidate_where(|key| moved(key_slot(key)));
        }
    }

    /// The slot map one node reports (and the `COMMAND` table, the first time).
    async fn topology_from(&self, address: &Address) -> Result<SlotMap, Error> {
        // The shared connection: a node that is gone fails at once (a pool
        // would retry until its checkout timeout).
        let node = self.node(address)?;
        let tls = self.inner.node.tls.is_some();
        let map = match node.shared.cmd(&["CLUSTER", "SHARDS"]).await {
            Ok(reply) => SlotMap::from_shards(&reply, address, tls)
                .map_err(|why| unreadable("CLUSTER SHARDS", address, &why)),
            // Before Redis 7.
            Err(Error::Server(_)) => {
                let reply = node.shared.cmd(&["CLUSTER", "SLOTS"]).await?;
                SlotMap::from_slots(&reply, address)
                    .map_err(|why| unreadable("CLUSTER SLOTS", address, &why))
            }
            Err(e) => return Err(e),
        }?;
        if self.commands().is_empty() {
            // Without it, a command's first argument is taken for its key.
            if let Ok(reply) = node.shared.cmd(&["COMMAND"]).await {
                *self
                    .inner
                    .commands
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) =
                    Arc::new(Commands::from_reply(&reply));
            }
        }
        Ok(map)
    }

    /// Refreshes in the background (at most once a second), e.g. after a
    /// `MOVED` or a failed node.
    fn refresh_soon(&self) {
        if self.inner.refresh_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.inner.refresh_scheduled.store(false, Ordering::Release);
            return;
        };
        let cluster = self.clone();
        drop(runtime.spawn(async move {
            // At most once a second: wait out the rest of the second.
            let asked = Instant::now();
            let last = *cluster.inner.refreshed.lock().await;
            if let Some(due) = last.map(|at| at + MOVED_REFRESH_EVERY) {
                tokio::time::sleep_until(due.into()).await;
            }
            if let Err(e) = cluster.refresh_unless(asked, Duration::ZERO).await {
                tracing::debug!(error = %e, "cluster refresh failed");
            }
            cluster
                .inner
                .refresh_scheduled
                .store(false, Ordering::Release);
        }));
    }

    fn map(&self) -> Arc<SlotMap> {
        self.inner
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn commands(&self) -> Arc<Commands> {
        self.inner
            .commands
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The node at `address`, kept from its first use (no connection is
    /// made until one is needed).
    fn node(&self, address: &Address) -> Result<Arc<Node>, Error> {
        let mut nodes = self
            .inner
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(node) = nodes.get(address) {
            return Ok(node.clone());
        }
        let mut config = self.inner.node.clone();
        config.endpoint = Endpoint::Tcp {
            host: address.host.clone(),
            port: address.port,
        };
        let node = Arc::new(Node {
            pool: Connector::new(config.clone()).pool(self.inner.options.pool.clone())?,
            shared: match &self.inner.cache {
                Some(cache) => SharedConnection::with_cache(config, cache.clone())?,
                None => SharedConnection::new(config),
            },
        });
        nodes.insert(address.clone(), node.clone());
        Ok(node)
    }

    /// The master serving `slot` now.
    pub(crate) fn master_of(&self, slot: u16) -> Result<Address, Error> {
        self.map()
            .shard(slot)
            .map(|shard| shard.master.clone())
            .ok_or(Error::SlotUnserved { slot })
    }

    /// The node a command on `route` goes to now.
    fn target(&self, route: Route) -> Result<Address, Error> {
        self.target_in(&self.map(), route)
    }

    /// The node a command on `route` goes to in `map`.
    fn target_in(&self, map: &SlotMap, route: Route) -> Result<Address, Error> {
        let next = self.inner.next.fetch_add(1, Ordering::Relaxed);
        match route {
            Route::Slot { slot, readonly, .. } => {
                let shard = map.shard(slot).ok_or(Error::SlotUnserved { slot })?;
                if readonly && self.inner.options.read_from_replicas && !shard.replicas.is_empty() {
                    Ok(shard.replicas[next % shard.replicas.len()].clone())
                } else {
                    Ok(shard.master.clone())
                }
            }
            Route::Channel { slot } => Ok(map
                .shard(slot)
                .ok_or(Error::SlotUnserved { slot })?
                .master
                .clone()),
            Route::Any | Route::AllMasters | Route::ChosenNode => {
                let shards = map.shards();
                if shards.is_empty() {
                    return Err(Error::SlotUnserved { slot: 0 });
                }
                Ok(shards[next % shards.len()].master.clone())
            }
        }
    }

    /// Runs one command, routed by its first key, redirected and retried
    /// as the cluster asks.
    ///
    /// ```no_run
    /// # async fn demo(cluster: &redwire::Cluster) -> Result<(), redwire::Error> {
    /// cluster.cmd(&("SET", "k", "v")).await?;
    /// assert_eq!(cluster.cmd(&["GET", "k"]).await?.as_bytes(), Some(&b"v"[..]));
    /// # Ok(()) }
    /// ```
    pub async fn cmd<A: Args + ?Sized>(&self, args: &A) -> Result<Frame, Error> {
        let mut one = Pipeline::new();
        one.cmd(args);
        self.one(&one).await
    }

    /// Runs `one`, a pipeline of one command, as [`cmd`](Self::cmd) does.
    pub(crate) async fn one(&self, one: &Pipeline) -> Result<Frame, Error> {
        let (_, route, blocks) = self.routed(one)?.pop().ok_or(Error::EmptyCommand)?;
        self.run(one, route, blocks).await
    }

    /// Each command of `pipeline` with its route; refuses, before anything
    /// is sent, what a cluster cannot run for its caller: an empty command,
    /// one that leaves state on its connection, one that needs a node named.
    fn routed<'a>(&self, pipeline: &'a Pipeline) -> Result<Vec<Routed<'a>>, Error> {
        let commands = self.commands();
        let mut args = Vec::new();
        pipeline
            .commands()
            .map(|command| match route_one(&commands, command, &mut args)? {
                (command, Route::ChosenNode, _) => Err(Error::NeedsNode {
                    command: command.upper_name(),
                }),
                routed => Ok(routed),
            })
            .collect()
    }

    /// Runs one command on the node at `node` (`host:port`, a master or
    /// replica of the slot map, as [`masters`](Self::masters) names them;
    /// any other is refused), as it is: not redirected
    /// (a `MOVED` reply is an error reply like any other) and not retried.
    /// For what means something on one node only: `SCAN`'s cursor, `INFO`,
    /// `DBSIZE`, `CLIENT LIST`. Commands that leave state on their
    /// connection are refused, as with [`cmd`](Self::cmd).
    ///
    /// ```no_run
    /// # async fn demo(cluster: &redwire::Cluster) -> Result<(), redwire::Error> {
    /// for master in cluster.masters() {
    ///     let keys = cluster.cmd_on(&master, &["DBSIZE"]).await?;
    ///     println!("{master}: {keys:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn cmd_on<A: Args + ?Sized>(&self, node: &str, args: &A) -> Result<Frame, Error> {
        let address = node_address(node)?;
        if !self.knows(&address) {
            // Maybe new since the map was read.
            self.refresh().await?;
            if !self.knows(&address) {
                return Err(ConfigError::invalid("node", "a node of the cluster", node).into());
            }
        }
        let mut one = Pipeline::new();
        one.cmd(args);
        let command = one.commands().next().ok_or(Error::EmptyCommand)?;
        let (_, _, blocks) = route_one(&self.commands(), command, &mut Vec::new())?;
        single(self.send(&address, &one, false, blocks).await)
    }

    /// Walks every key of the cluster with `SCAN`, master by master;
    /// `options` are `SCAN`'s after the cursor (`MATCH pattern`,
    /// `COUNT n`, `TYPE type`). See [`ClusterScan`].
    ///
    /// ```no_run
    /// # async fn demo(cluster: &redwire::Cluster) -> Result<(), redwire::Error> {
    /// let mut scan = cluster.scan(&["MATCH", "user:*", "COUNT", "500"]);
    /// while let Some(keys) = scan.next_batch().await? {
    ///     println!("{} keys", keys.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan<A: Args + ?Sized>(&self, options: &A) -> ClusterScan {
        ClusterScan::new(self.clone(), options)
    }

    /// Runs `one` (a pipeline of one command) on `route`'s node, on a
    /// connection of its `own` when asked, following redirections and
    /// retrying within the options' bounds.
    async fn run(&self, one: &Pipeline, route: Route, own: bool) -> Result<Frame, Error> {
        if route == Route::AllMasters {
            return self.on_every_master(one).await;
        }
        let replies = self
            .follow(one, route, own, |replies, address| {
                let reply = replies.last()?.as_ref().err()?;
                Some((Redirect::of(reply, address)?, reply.clone()))
            })
            .await?;
        single(Ok(replies))
    }

    /// Sends `commands` to `route`'s node, on a connection of its `own`
    /// when asked, and again where the redirection `redirect` finds in
    /// their replies points (`MOVED`, `ASK`), or after a backoff
    /// (`TRYAGAIN`, `CLUSTERDOWN`, no connection to be had), within the
    /// options' bounds. `redirect` sees nothing but replies in which nothing
    /// ran.
    async fn follow(
        &self,
        commands: &Pipeline,
        route: Route,
        own: bool,
        redirect: impl Fn(&Replies, &Address) -> Option<(Redirect, ServerError)>,
    ) -> Result<Replies, Error> {
        let limit = self.inner.options.max_redirections;
        let (mut redirections, mut retries) = (0, 0);
        // Where a redirection points (and whether it is an `ASK`).
        let mut redirected: Option<(Address, bool)> = None;
        loop {
            let (address, asking) = match redirected.take() {
                Some(redirect) => redirect,
                None => match self.target(route) {
                    Ok(address) => (address, false),
                    Err(e) => {
                        self.retry(&mut retries, e).await?;
                        continue;
                    }
                },
            };
            let replies = match self.send(&address, commands, asking, own).await {
                Ok(replies) => replies,
                Err(e) if e.unreached() => {
                    self.retry(&mut retries, e).await?;
                    continue;
                }
                Err(e) => {
                    // It may have run: not retried, but the map may be stale.
                    self.refresh_soon();
                    return Err(e);
                }
            };
            let Some((redirect, reply)) = redirect(&replies, &address) else {
                return Ok(replies);
            };
            if let Redirect::Retry = redirect {
                self.retry(&mut retries, Error::Server(reply)).await?;
                continue;
            }
            redirections += 1;
            if redirections > limit {
                return Err(Error::Redirections { limit, last: reply });
            }
            self.inner.redirections.fetch_add(1, Ordering::Relaxed);
            match redirect {
                Redirect::Moved { slot, to } => {
                    self.moved(slot, &to);
                    redirected = Some((to, false));
                }
                Redirect::Ask { to } => redirected = Some((to, true)),
                Redirect::Retry => {}
            }
        }
    }

    /// Counts a retry after `error`; past the limit, fails with it (an
    /// error reply as [`Error::Redirections`]). Otherwise waits the backoff
    /// and refreshes the topology (at most every 100 ms).
    async fn retry(&self, retries: &mut u32, error: Error) -> Result<(), Error> {
        let limit = self.inner.options.max_retries;
        *retries += 1;
        if *retries > limit {
            return Err(match error {
                Error::Server(last) => Error::Redirections { limit, last },
                other => other,
            });
        }
        tracing::debug!(error = %error, retry = *retries, "cluster retry");
        tokio::time::sleep(RETRY_BACKOFF.delay(*retries)).await;
        if let Err(e) = self
            .refresh_unless(Instant::now(), UNREACHABLE_REFRESH_EVERY)
            .await
        {
            tracing::debug!(error = %e, "cluster refresh failed");
        }
        Ok(())
    }

    /// Points `slot` at `to` now (a `MOVED`) and schedules a full refresh.
    fn moved(&self, slot: u16, to: &Address) {
        {
            let mut map = self
                .inner
                .map
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let moved = map.with_moved(slot, to);
            *map = Arc::new(moved);
        }
        // The node that told of the slot's keys no longer does.
        self.moved_keys(|moved| moved == slot);
        self.refresh_soon();
    }

    /// Sends `commands` to the node at `address`, after `ASKING` when
    /// `asking` (it holds for a whole transaction after it), on a
    /// connection of its `own` if asked: their replies.
    async fn send(
        &self,
        address: &Address,
        commands: &Pipeline,
        asking: bool,
        own: bool,
    ) -> Result<Replies, Error> {
        let node = self.node(address)?;
        if !asking {
            return node.send(commands, own).await;
        }
        let mut with_asking = Pipeline::new();
        with_asking.cmd(&["ASKING"]);
        for command in commands.commands() {
            with_asking.push(command);
        }
        // `ASKING` before a whole transaction is no whole transaction any
        // more for the shared connection's rules: a connection of its own.
        let own = own || commands.is_transaction();
        let replies = node.send(&with_asking, own).await?;
        Ok(replies.into_iter().skip(1).collect())
    }

    /// Runs `one` on every master at once: the first master's reply when
    /// all succeed, else the first error.
    async fn on_every_master(&self, one: &Pipeline) -> Result<Frame, Error> {
        let masters: Vec<Address> = self
            .map()
            .shards()
            .iter()
            .map(|s| s.master.clone())
            .collect();
        if masters.is_empty() {
            return Err(Error::SlotUnserved { slot: 0 });
        }
        let replies =
            futures_util::future::join_all(masters.iter().map(|m| self.send(m, one, false, false)))
                .await;
        let mut first = None;
        for reply in replies {
            first.get_or_insert(single(reply)?);
        }
        first.ok_or(Error::SlotUnserved { slot: 0 })
    }

    /// Sends every queued command to the node serving it: the parts go to
    /// their nodes at once, and the replies come back in the caller's
    /// order, error replies in place. A command redirected (or told to try
    /// again) is retried on its node; per-node commands (`SCRIPT LOAD`, …)
    /// run on every master once the commands before them are done, and
    /// before those after them. What [`cmd`](Self::cmd) refuses is refused
    /// here, before anything is sent. A command without keys goes where the
    /// command before it went, so `SET k v` then `WAIT 1 100` waits for that
    /// write. A connection failing after sending fails the whole call, as
    /// with [`Connection::pipeline`](crate::Connection::pipeline).
    ///
    /// A whole transaction (`MULTI` first, `EXEC` last, e.g. an
    /// [atomic](Pipeline::atomic) pipeline) goes as it is to the master of
    /// its keys' slot, and again where a `MOVED` or `ASK` points when one
    /// of its commands got one (the server then discarded it all). Commands
    /// whose first keys are in different slots are refused before anything
    /// is sent ([`Error::CrossSlot`]); a command whose own keys span slots
    /// gets the server's `CROSSSLOT` (and the transaction `EXECABORT`).
    pub async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let pipeline = &*pipeline.wrapped();
        if pipeline.is_transaction() {
            return self.transaction(pipeline).await;
        }
        let routed = self.routed(pipeline)?;
        // A per-node command is a barrier: what comes before it runs first.
        let mut replies = Vec::with_capacity(routed.len());
        for segment in routed.split_inclusive(|(_, route, _)| *route == Route::AllMasters) {
            match segment.split_last() {
                Some((&(command, Route::AllMasters, _), before)) => {
                    replies.extend(self.split_by_node(before).await?);
                    replies.push(self.run_alone(command, Route::AllMasters, false).await?);
                }
                _ => replies.extend(self.split_by_node(segment).await?),
            }
        }
        Ok(replies)
    }

    /// Sends a whole transaction to the master of its keys' slot (any
    /// master without keys), as it is.
    async fn transaction(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let commands = self.commands();
        let (mut slot, mut args) = (None, Vec::new());
        let inside = pipeline.commands().skip(1).take(pipeline.len() - 2);
        for command in inside {
            let (command, route, _) = route_one(&commands, command, &mut args)?;
            match (route, slot) {
                (Route::Slot { slot: this, .. }, None) => slot = Some(this),
                (Route::Slot { slot: this, .. }, Some(first)) if this != first => {
                    return Err(Error::CrossSlot {
                        command: command.upper_name(),
                    });
                }
                (Route::AllMasters | Route::ChosenNode, _) => {
                    return Err(Error::NeedsNode {
                        command: command.upper_name(),
                    })
                }
                _ => {}
            }
        }
        let route = slot.map_or(Route::Any, |slot| Route::Slot {
            slot,
            readonly: false,
        });
        // A command refused as it was queued (`MOVED`, `ASK`, `TRYAGAIN`):
        // `EXEC` discarded everything, so it may go again.
        // `EXEC` itself may answer `MOVED` or `TRYAGAIN` (the slot is
        // checked again when it runs): nothing ran either.
        self.follow(pipeline, route, false, |replies, address| {
            let exec = replies.last()?.as_ref().err()?;
            if let Some(redirect) = Redirect::of(exec, address) {
                return Some((redirect, exec.clone()));
            }
            if exec.code() != "EXECABORT" {
                return None;
            }
            replies
                .iter()
                .filter_map(|reply| reply.as_ref().err())
                .find_map(|e| Some((Redirect::of(e, address)?, e.clone())))
        })
        .await
    }

    /// Sends each command to its node, the parts at once; then runs alone,
    /// in order, the commands redirected, told to try again, not sent, or
    /// whose slot no node serves now.
    async fn split_by_node(&self, commands: &[Routed<'_>]) -> Result<Replies, Error> {
        // Each node's part: its commands, their indices, and whether one
        // may block (the part then takes a connection of its own).
        let mut parts: Vec<(Address, Pipeline, Vec<usize>, bool)> = Vec::new();
        let mut later = Vec::new();
        let mut previous: Option<Address> = None;
        let map = self.map();
        for (i, &(command, route, blocks)) in commands.iter().enumerate() {
            let target = match route {
                // A keyless command follows the command before it (`WAIT`
                // after a write counts that write's replicas).
                Route::Any if previous.is_some() => previous.clone(),
                route => self.target_in(&map, route).ok(),
            };
            previous.clone_from(&target);
            let Some(address) = target else {
                later.push(i);
                continue;
            };
            let at = parts
                .iter()
                .position(|(a, ..)| *a == address)
                .unwrap_or_else(|| {
                    parts.push((address, Pipeline::new(), Vec::new(), false));
                    parts.len() - 1
                });
            let part = &mut parts[at];
            part.1.push(command);
            part.2.push(i);
            part.3 |= blocks;
        }
        // A long part takes a pooled connection of its own: it does not hold
        // up the shared one, and skips the hop through the shared one's task
        // (measured: 1.3× the throughput for 200-command pipelines).
        for part in &mut parts {
            part.3 |= part.1.len() >= OWN_CONNECTION_FROM;
        }
        let sent =
            futures_util::future::join_all(parts.iter().map(|(address, part, _, own)| async {
                self.node(address)?.send(part, *own).await
            }))
            .await;
        let mut replies: Vec<Option<Result<Frame, ServerError>>> =
            (0..commands.len()).map(|_| None).collect();
        for ((address, _, indices, _), part) in parts.iter().zip(sent) {
            match part {
                Ok(part) => {
                    for (i, reply) in indices.iter().zip(part) {
                        match reply {
                            Err(e) if Redirect::of(&e, address).is_some() => later.push(*i),
                            reply => replies[*i] = Some(reply),
                        }
                    }
                }
                Err(e) if e.unreached() => later.extend(indices),
                Err(e) => {
                    self.refresh_soon();
                    return Err(e);
                }
            }
        }
        later.sort_unstable();
        for i in later {
            let (command, route, blocks) = commands[i];
            replies[i] = Some(self.run_alone(command, route, blocks).await?);
        }
        replies
            .into_iter()
            .map(|reply| {
                reply.ok_or_else(|| Error::UnexpectedReply {
                    command: "a pipeline",
                    reason: "a node answered fewer commands than it was sent".to_owned(),
                })
            })
            .collect()
    }

    /// Runs one encoded command of a pipeline by itself: its reply, an
    /// error reply in place, or the error that fails the pipeline.
    async fn run_alone(
        &self,
        command: Queued<'_>,
        route: Route,
        blocks: bool,
    ) -> Result<Result<Frame, ServerError>, Error> {
        let mut one = Pipeline::new();
        one.push(command);
        match self.run(&one, route, blocks).await {
            Ok(frame) => Ok(Ok(frame)),
            Err(Error::Server(e)) => Ok(Err(e)),
            Err(e) => Err(e),
        }
    }

    /// Loads a Lua script on every master (`SCRIPT LOAD`) and remembers it
    /// under `name`; its SHA1.
    pub async fn load_script(&self, name: &str, source: &str) -> Result<String, Error> {
        let sha = script::loaded_sha(&self.cmd(&("SCRIPT", "LOAD", source)).await?)?;
        self.inner
            .scripts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), (source.to_owned(), sha.clone()));
        Ok(sha)
    }

    /// Runs a loaded script (`EVALSHA`) on the node of its first key (any
    /// node without keys); when a node lost it (`NOSCRIPT`, e.g. a new or
    /// flushed node), loads it again and retries once.
    pub async fn run_script<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        name: &str,
        keys: &[K],
        args: &[V],
    ) -> Result<Frame, Error> {
        let loaded = self
            .inner
            .scripts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned();
        let Some((source, sha)) = loaded else {
            return Err(Error::UnknownScript {
                name: name.to_owned(),
            });
        };
        let result = self.cmd(&script::evalsha(&sha, keys, args)).await;
        if !script::is_noscript(&result) {
            return result;
        }
        let sha = self.load_script(name, &source).await?;
        self.cmd(&script::evalsha(&sha, keys, args)).await
    }

    /// A pooled connection to the master serving `key`'s slot, for what
    /// needs one connection: `MULTI`/`EXEC` and `WATCH` on keys of one
    /// slot, blocking commands. It is not redirected: a `MOVED` reply is
    /// the caller's to handle.
    pub async fn connection_for(&self, key: &[u8]) -> Result<PooledConnection, Error> {
        let address = self.target(Route::Slot {
            slot: key_slot(key),
            readonly: false,
        })?;
        self.node(&address)?.pool.get().await.map_err(|e| {
            // The node may be gone: find out who serves the slot now.
            self.refresh_soon();
            e.into()
        })
    }
}

/// A command with its route, and whether it may block (the server's table
/// says so, or its arguments do); refuses an empty command and one that
/// leaves state on its connection.
fn route_one<'a>(
    commands: &Commands,
    command: Queued<'a>,
    args: &mut Vec<&'a [u8]>,
) -> Result<Routed<'a>, Error> {
    if command.effects.words() == 0 {
        return Err(Error::EmptyCommand);
    }
    if command.effects.keeps_state() {
        return Err(Error::NeedsOwnConnection {
            command: command.upper_name(),
        });
    }
    args_of(command.encoded, args);
    let (route, blocks) = commands.route(args);
    Ok((command, route, blocks || command.effects.blocks()))
}

/// The error for a topology reply that cannot be read.
fn unreadable(command: &'static str, address: &Address, why: &str) -> Error {
    Error::UnexpectedReply {
        command,
        reason: format!("an unreadable topology from {address}: {why}"),
    }
}

/// A node's `host:port` (an IPv6 host in brackets or not) as an address.
fn node_address(node: &str) -> Result<Address, Error> {
    node.rsplit_once(':')
        .and_then(|(host, port)| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            Some(Address::new(host, port.parse().ok()?))
        })
        .ok_or_else(|| ConfigError::invalid("node", "host:port", node).into())
}

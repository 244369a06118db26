//! A connection shared by many callers at once, made on first use and made
//! again after it fails.

pub(crate) mod cached;
mod multiplexed;

use std::sync::{Arc, PoisonError, RwLock};

use bytes::{Bytes, BytesMut};
use redwire_resp::{encode_command, Args, Frame};

use crate::cache::Cache;
use crate::command::pipeline::Pipeline;
use crate::command::policy::Policy;
use crate::command::Effects;
use crate::config::{Config, Protocol};
use crate::connection::{single, Replies};
use crate::discovery::Connector;
use crate::error::{ConfigError, Error};
use crate::pool::Pool;
pub(crate) use cached::on_own_connection;
use multiplexed::Multiplexed;
pub use multiplexed::MAX_QUEUED;

/// How long a connection must have read nothing, with a reply due, for
/// [`SharedConnection::close_if_stalled`] to let it go.
pub const STALLED_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// One connection to one server shared by every caller at once
/// (multiplexed): each caller's commands are written together and its
/// replies handed back in order, and requests that queue up during a write
/// go together in the next one (automatic pipelining). It is made on first
/// use, and made again after it failed; the requests in flight when it
/// failed get the error.
///
/// Only for commands that neither block nor leave state on the connection:
/// a `BLPOP` would hold up every caller, and a `SELECT`, `MULTI`, `WATCH`,
/// `SUBSCRIBE`, `CLIENT SETNAME` or `CLIENT REPLY OFF` would reach them.
/// Those are refused with [`Error::NeedsOwnConnection`] before anything is
/// sent ([`Effects::shares`] tells which may go): they need a connection of
/// their own, from a [`Pool`](crate::Pool).
///
/// A sentinel configuration's connection is found through the sentinels,
/// again after it failed or its server answered `LOADING`, or `READONLY`
/// when a master was asked for (a demoted master, after a failover): the
/// requests after that reply go on a new connection. At most [`MAX_QUEUED`] requests wait on it: past
/// that, [`cmd`](Self::cmd) and [`pipeline`](Self::pipeline) wait for room,
/// and [`submit`](Self::submit) is answered with [`Error::QueueFull`]. Used
/// outside a tokio runtime, it answers [`Error::NoRuntime`].
///
/// ```no_run
/// # async fn demo() -> Result<(), redwire::Error> {
/// let shared = redwire::SharedConnection::new("redis://127.0.0.1:6379".parse()?);
/// // Both go in one write, on one connection.
/// let (a, b) = tokio::join!(shared.cmd(&("SET", "a", 1)), shared.cmd(&("GET", "a")));
/// assert_eq!(b?.as_bytes(), Some(&b"1"[..]));
/// # a?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedConnection(Arc<Inner>);

struct Inner {
    connector: Connector,
    policy: Policy,
    current: RwLock<Option<Arc<Multiplexed>>>,
    /// Connections started: the first, and one after each failure.
    started: std::sync::atomic::AtomicU64,
    /// A pool whose invalidations it follows (see [`SharedConnection::follow`]).
    follows: std::sync::OnceLock<Follows>,
    /// The cache its reads go through (see [`SharedConnection::with_cache`]).
    cache: Option<Arc<Cache>>,
}

/// A pool a shared connection follows, kept alive (its sentinel watcher
/// runs while it lives), and the count of its invalidations the connection
/// was made after.
#[derive(Debug)]
struct Follows {
    _pool: Pool,
    invalidations: redwire_pool::Invalidator,
    seen: std::sync::atomic::AtomicU64,
}

/// Shows the server only.
impl std::fmt::Debug for SharedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedConnection")
            .field("config", self.0.connector.defaults())
            .finish_non_exhaustive()
    }
}

impl SharedConnection {
    /// A shared connection made with `config` on first use.
    pub fn new(config: Config) -> Self {
        Self::made(config, None)
    }

    /// A shared connection whose reads go through `cache`: each connection
    /// turns tracking on in its handshake (`CLIENT TRACKING ON`, in the
    /// cache's [mode](crate::cache::Tracking)), and the replies of the
    /// commands the cache keeps ([`CACHED_COMMANDS`](crate::cache::CACHED_COMMANDS)),
    /// sent one per request, are kept until the server says a key they
    /// read changed, a command sent here may have written one, or the
    /// connection is let go or lost. Needs RESP3 (the invalidations come
    /// on the same connection): a RESP2 `config` is refused; a server that
    /// refuses tracking fails each connect ([`Phase::Tracking`]). One cache
    /// serves one deployment and database: replies are kept by command, so
    /// it must not be shared with a connection to another.
    ///
    /// [`Phase::Tracking`]: crate::Phase::Tracking
    ///
    /// ```no_run
    /// use redwire::cache::{Cache, CacheConfig};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let cache = Cache::new(CacheConfig::default());
    /// let shared = redwire::SharedConnection::with_cache(
    ///     "redis://127.0.0.1:6379?protocol=3".parse()?,
    ///     cache.clone(),
    /// )?;
    /// shared.cmd(&["GET", "greeting"]).await?; // from the server
    /// shared.cmd(&["GET", "greeting"]).await?; // from the cache
    /// assert_eq!(cache.stats().hits, 1);
    /// # Ok(()) }
    /// ```
    pub fn with_cache(config: Config, cache: Arc<Cache>) -> Result<Self, ConfigError> {
        Ok(Self::made(tracked(config, &cache)?, Some(cache)))
    }

    fn made(config: Config, cache: Option<Arc<Cache>>) -> Self {
        Self(Arc::new(Inner {
            policy: Policy::new(&config),
            connector: Connector::new(config),
            current: RwLock::new(None),
            started: std::sync::atomic::AtomicU64::new(0),
            follows: std::sync::OnceLock::new(),
            cache,
        }))
    }

    /// The cache its reads go through, if any.
    pub fn cache(&self) -> Option<&Arc<Cache>> {
        self.0.cache.as_ref()
    }

    /// Makes it follow the invalidations of a pool beside it: after one
    /// (a sentinel's `+switch-master` invalidates a sentinel pool), the
    /// current connection is let go ([`close`](Self::close)) and the next
    /// request makes a new one, found through the sentinels again, so that
    /// reads do not stay on a demoted (or partitioned) old master. It keeps
    /// the pool. Set once; later calls change nothing.
    /// ([`Client`](crate::Client) does this for its own.)
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let config: redwire::Config = "sentinel://mymaster:m?sentinels=10.0.0.1:26379".parse()?;
    /// let pools = redwire::Pools::new(redwire::PoolConfig::default());
    /// let shared = redwire::SharedConnection::new(config.clone());
    /// shared.follow(&pools.pool(&config)?);
    /// # Ok(()) }
    /// ```
    pub fn follow(&self, pool: &Pool) {
        let invalidations = pool.invalidator();
        let seen = invalidations.invalidations().unwrap_or_default();
        drop(self.0.follows.set(Follows {
            _pool: pool.clone(),
            invalidations,
            seen: std::sync::atomic::AtomicU64::new(seen),
        }));
    }

    /// Lets the current connection go when the pool it follows was
    /// invalidated since it was made (see [`follow`](Self::follow)).
    pub(crate) fn follow_invalidations(&self) {
        if let Some(Follows {
            invalidations,
            seen,
            ..
        }) = self.0.follows.get()
        {
            use std::sync::atomic::Ordering;
            if let Some(now) = invalidations.invalidations() {
                if seen.load(Ordering::Acquire) != now {
                    // Under the lock, and noted after the close: a caller
                    // that sees `now` noted finds the old connection gone.
                    let mut current = self
                        .0
                        .current
                        .write()
                        .unwrap_or_else(PoisonError::into_inner);
                    if seen.load(Ordering::Acquire) != now {
                        if let Some(old) = current.take() {
                            old.let_go();
                        }
                        seen.store(now, Ordering::Release);
                    }
                }
            }
        }
    }

    /// The connection: the current one, or a new one (connecting, its
    /// requests queued meanwhile) when there is none or it failed.
    fn live(&self) -> Result<Arc<Multiplexed>, Error> {
        self.follow_invalidations();
        let live = |current: &Option<Arc<Multiplexed>>| {
            current.as_ref().filter(|m| !m.is_closed()).cloned()
        };
        if let Some(live) = live(
            &self
                .0
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        ) {
            return Ok(live);
        }
        let mut current = self
            .0
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = live(&current) {
            return Ok(live);
        }
        let started = Arc::new(Multiplexed::start(
            self.0.connector.clone(),
            self.0.cache.clone(),
        )?);
        self.0
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(current.insert(started).clone())
    }

    /// The configuration its connections are made with.
    pub(crate) fn config(&self) -> &Config {
        self.0.connector.defaults()
    }

    /// Whether it refuses the command `name` (any case) before sending it:
    /// disabled by its configuration, or unsupported in proxy mode (as
    /// [`Connection::refuses`](crate::Connection::refuses)).
    pub fn refuses(&self, name: &[u8]) -> bool {
        self.0.policy.refuses(name)
    }

    /// Whether it has a connection now, made and not failed (the next
    /// request makes one otherwise, or waits for the one connecting): a
    /// caller that must know the server answers (a binding's `connect`)
    /// checks it another way when not.
    pub fn is_live(&self) -> bool {
        self.0
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|m| !m.is_closed() && m.last_read().is_some())
    }

    /// How many connections it started: the first, and one after each
    /// failure or [`close`](Self::close).
    pub fn connections_started(&self) -> u64 {
        self.0.started.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets the current connection go: it closes once the replies due on
    /// it are read (waiting for them at most the read timeout, or 30
    /// seconds when none is set). The next request makes a new one, and so
    /// do the requests queued on it and not written yet.
    pub fn close(&self) {
        let current = self
            .0
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(current) = current {
            current.let_go();
        }
    }

    /// Lets the current connection go (as [`close`](Self::close)) when it
    /// has read nothing since before `since`, while a reply has been due
    /// for [`STALLED_AFTER`] at least: made for a caller giving up on a
    /// request made at `since`, whose connection may have stopped answering
    /// (a peer gone silent), so that the next requests do not wait behind
    /// it. A connection that answered anything meanwhile is kept, and so is
    /// one whose reply was due only a moment (a timeout shorter than a
    /// reply takes): a caller giving up again later lets it go.
    pub fn close_if_stalled(&self, since: std::time::Instant) {
        let mut current = self
            .0
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let stalled = current.as_ref().is_some_and(|m| {
            m.last_read().is_some_and(|read| read <= since)
                && m.awaited_since()
                    .is_some_and(|due| due.elapsed() >= STALLED_AFTER)
        });
        if let Some(stalled) = current.take_if(|_| stalled) {
            stalled.let_go();
        }
    }

    /// Sends the commands of `pipeline` together and waits for their
    /// replies, an error reply in its place (as [`Connection::pipeline`]).
    ///
    /// [`Connection::pipeline`]: crate::Connection::pipeline
    /// An [atomic](Pipeline::atomic) one goes between `MULTI` and `EXEC`.
    pub async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let pipeline = &*pipeline.wrapped();
        if let Some(command) = pipeline.first_unshared() {
            return Err(Error::NeedsOwnConnection {
                command: command.upper_name(),
            });
        }
        pipeline.check(&self.0.policy)?;
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        match &self.0.cache {
            Some(cache) => {
                // A failover known lets the cache go before a hit is
                // answered from it.
                self.follow_invalidations();
                cached::pipeline(self, cache, pipeline).await
            }
            None => self.send(pipeline).await,
        }
    }

    /// Sends `pipeline` (checked, not empty) and waits for its replies.
    async fn send(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        match self.live()?.pipeline(pipeline).await {
            // The connection stopped taking requests as this one came:
            // nothing was sent, so once more, on the next connection.
            Err(Error::Closed { .. }) => self.live()?.pipeline(pipeline).await,
            replies => replies,
        }
    }

    /// Runs one command: its reply, an error reply as [`Error::Server`].
    pub async fn cmd<A: Args + ?Sized>(&self, args: &A) -> Result<Frame, Error> {
        let mut one = Pipeline::new();
        one.cmd(args);
        single(self.pipeline(&one).await)
    }

    /// Sends one command without waiting: `done` gets its reply (as
    /// [`cmd`](Self::cmd) returns it), called on the connection's task, or
    /// at once when the command is refused or the queue is full. Made for
    /// callers outside async code (a binding's event loop), within a tokio
    /// runtime. Requests submitted one after another are sent in that order.
    pub fn submit<A: Args + ?Sized>(
        &self,
        args: &A,
        done: impl FnOnce(Result<Frame, Error>) + Send + 'static,
    ) {
        let mut batch = Batch::default();
        if let Err(done) = self.add(&mut batch, args, done) {
            let mut command = String::new();
            args.for_each_arg(&mut |arg| {
                if command.is_empty() {
                    command = String::from_utf8_lossy(arg).to_ascii_uppercase();
                }
            });
            return done(Err(Error::NeedsOwnConnection { command }));
        }
        self.submit_batch(batch);
    }

    /// Adds one command to `batch`, as [`submit`](Self::submit) would send
    /// it. One that may not go on a shared connection ([`Effects::shares`])
    /// is not added: `done` comes back, for the caller to send the command
    /// on a connection of its own. Any other refused one (empty, disabled)
    /// is answered at once, and so is a read its [cache](Self::with_cache)
    /// holds (on the caller's thread, before the commands added earlier
    /// are answered).
    pub fn add<A, F>(&self, batch: &mut Batch, args: &A, done: F) -> Result<(), F>
    where
        A: Args + ?Sized,
        F: FnOnce(Result<Frame, Error>) + Send + 'static,
    {
        let effects = Effects::of(args);
        if effects.words() == 0 {
            done(Err(Error::EmptyCommand));
        } else if !effects.shares() {
            return Err(done);
        } else if let Err(refused) = self.0.policy.check(args) {
            done(Err(refused));
        } else if let Some(cache) = &self.0.cache {
            self.follow_invalidations();
            cached::add(cache, batch, args, done);
        } else {
            encode_command(&mut batch.bytes, args);
            batch.done.push(Box::new(done));
        }
        Ok(())
    }

    /// Sends the commands of `batch` in one request (one write, unless the
    /// connection's queue holds others), each reply to its function. Like
    /// [`pipeline`](Self::pipeline), a batch the connection stopped taking
    /// as it came (nothing of it was written) goes once more on the next.
    pub fn submit_batch(&self, batch: Batch) {
        if batch.done.is_empty() {
            return;
        }
        let Batch { bytes, done } = batch;
        self.send_batch(bytes.freeze(), done, true);
    }

    fn send_batch(&self, bytes: Bytes, done: Vec<Done>, again: bool) {
        let count = done.len();
        let retry = again.then(|| (Arc::downgrade(&self.0), bytes.clone()));
        let call = move |replies: Result<Replies, Error>| {
            if let (Err(Error::Closed { .. }), Some((shared, bytes))) = (&replies, retry) {
                if let Some(shared) = shared.upgrade() {
                    return Self(shared).send_batch(bytes, done, false);
                }
            }
            answer(done, replies);
        };
        match self.live() {
            Ok(live) => live.submit(bytes, count, call),
            Err(e) => call(Err(e)),
        }
    }
}

/// `config` with tracking on for `cache`; refused unless on RESP3 (the
/// invalidations come on the connection they are for).
pub(crate) fn tracked(mut config: Config, cache: &Cache) -> Result<Config, ConfigError> {
    if config.protocol != Protocol::Resp3 {
        return Err(ConfigError::invalid(
            "protocol",
            "3 for a client-side cache (RESP3 brings its invalidations)",
            2,
        ));
    }
    if config.proxy {
        return Err(ConfigError::invalid(
            "proxy",
            "no proxy for a client-side cache (CLIENT TRACKING is the server's)",
            true,
        ));
    }
    config.tracking = Some(cache.config().get_tracking().clone());
    Ok(config)
}

/// Hands each command of a batch its reply; when the batch failed, each
/// gets the error (the first the error itself, the others copies).
fn answer(done: Vec<Done>, replies: Result<Replies, Error>) {
    match replies {
        Ok(replies) => {
            let mut replies = replies.into_iter();
            for done in done {
                done(
                    replies
                        .next()
                        .ok_or(Error::EmptyCommand)
                        .and_then(|reply| reply.map_err(Error::Server)),
                );
            }
        }
        Err(e) => {
            let copies: Vec<Error> = done.iter().skip(1).map(|_| e.duplicate()).collect();
            let mut errors = std::iter::once(e).chain(copies);
            for done in done {
                if let Some(error) = errors.next() {
                    done(Err(error));
                }
            }
        }
    }
}

/// Commands gathered for one [`SharedConnection::submit_batch`]: their
/// encodings, and the function each reply goes to.
#[derive(Default)]
pub struct Batch {
    bytes: BytesMut,
    done: Vec<Done>,
}

/// Where one command's reply goes.
type Done = Box<dyn FnOnce(Result<Frame, Error>) + Send>;

impl Batch {
    /// How many commands it holds.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::SharedConnection;
    use crate::discovery::Connector;
    use crate::Config;

    /// What a sentinel failover does to the pool beside it moves the shared
    /// connection too (see `follow`).
    #[tokio::test]
    async fn an_invalidation_of_the_pool_it_follows_moves_it_to_a_new_connection() {
        let server =
            redwire_testkit::Server::start(redwire_testkit::ServerOptions::default()).unwrap();
        let config: Config = format!("redis://127.0.0.1:{}", server.port())
            .parse()
            .unwrap();
        let pool = Connector::new(config.clone())
            .pool(redwire_pool::PoolConfig::default())
            .unwrap();
        let shared = SharedConnection::new(config);
        shared.follow(&pool);
        let first = shared.cmd(&["CLIENT", "ID"]).await.unwrap();
        assert_eq!(shared.cmd(&["CLIENT", "ID"]).await.unwrap(), first);
        pool.invalidate();
        let second = shared.cmd(&["CLIENT", "ID"]).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(shared.cmd(&["CLIENT", "ID"]).await.unwrap(), second);
        assert_eq!(shared.connections_started(), 2);
        // The caller's handle gone, the pool lives on (its sentinel watcher
        // with it), and is followed still.
        let invalidator = pool.invalidator();
        drop(pool);
        assert_eq!(shared.cmd(&["CLIENT", "ID"]).await.unwrap(), second);
        assert!(invalidator.invalidate());
        assert_ne!(shared.cmd(&["CLIENT", "ID"]).await.unwrap(), second);
        assert_eq!(shared.connections_started(), 3);
    }
}

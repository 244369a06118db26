//! The pool: bb8 underneath, with redwire's checkout validation, release
//! and force-close, overflow, and statistics.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::{PoolConfig, WhenFull};
use crate::connect::Connect;
use crate::error::PoolError;

/// A pooled connection with what the pool knows about it.
struct Slot<T> {
    connection: T,
    /// When it was last returned (or made).
    idle_since: Instant,
    /// Set by [`Pooled::force_close`]: dropped instead of returned.
    force_close: bool,
    /// Whether it has been checked out and returned before (a fresh
    /// connection's first checkout is neither a reuse nor checked).
    returned: bool,
    /// The pool's generation when it was made; an older one is never reused.
    generation: u64,
    /// When it retires (its maximum lifetime, shortened by up to a fifth so
    /// that connections made together do not all retire together).
    retires: Option<Instant>,
}

/// Why the manager refused a connection.
#[derive(Debug)]
enum ManagerError<E> {
    /// Making or checking it failed.
    Transport(Arc<E>),
    /// The pool was invalidated after it was made, or it outlived its lifetime.
    Retired,
}

impl<E> From<ManagerError<E>> for PoolError<E> {
    /// Making a connection only fails in transport; an invalidated one is
    /// only ever found among those already made, and replaced.
    fn from(e: ManagerError<E>) -> Self {
        match e {
            ManagerError::Transport(e) => Self::ConnectFailed(e),
            ManagerError::Retired => Self::Exhausted {
                last_connect_error: None,
            },
        }
    }
}

impl<E: std::fmt::Display> std::fmt::Display for ManagerError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(e) => e.fmt(f),
            Self::Retired => {
                f.write_str("connection retired (pool invalidated or lifetime reached)")
            }
        }
    }
}

/// Counters kept beside bb8's own.
#[derive(Debug, Default)]
struct Counters {
    reused_without_check: AtomicU64,
    validated: AtomicU64,
    overflow: AtomicU64,
    /// Connections made, seeding each one's lifetime jitter.
    made: AtomicU64,
}

/// The bb8 manager: makes, checks and judges connections through [`Connect`].
struct Manager<C: Connect> {
    connect: C,
    config: PoolConfig,
    counters: Arc<Counters>,
    generation: Arc<AtomicU64>,
    /// Where a failed connect leaves its error and wakes waiting checkouts.
    last_error: LastError<C::Error>,
}

impl<C: Connect> bb8::ManageConnection for Manager<C> {
    type Connection = Slot<C::Connection>;
    type Error = ManagerError<C::Error>;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let generation = self.generation.load(Ordering::Acquire);
        let connection = match self.connect.connect().await {
            Ok(connection) => connection,
            Err(e) => {
                let e = Arc::new(e);
                self.last_error.fail(e.clone());
                return Err(ManagerError::Transport(e));
            }
        };
        let seed = self.counters.made.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        Ok(Slot {
            connection,
            idle_since: now,
            force_close: false,
            returned: false,
            generation,
            retires: self
                .config
                .max_lifetime
                .map(|max| now + jittered(max, seed)),
        })
    }

    /// Reuses a recently returned connection at once (unless a probe that
    /// does not block finds it gone); checks an older one.
    async fn is_valid(&self, slot: &mut Self::Connection) -> Result<(), Self::Error> {
        if self.retired(slot) {
            return Err(ManagerError::Retired);
        }
        if !slot.returned {
            return Ok(());
        }
        let recent = slot.idle_since.elapsed() < self.config.check_after;
        if recent && !self.connect.is_broken(&mut slot.connection) {
            self.counters
                .reused_without_check
                .fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.counters.validated.fetch_add(1, Ordering::Relaxed);
        self.connect
            .check(&mut slot.connection)
            .await
            .map_err(|e| ManagerError::Transport(Arc::new(e)))
    }

    /// On return: a broken or force-closed connection is dropped; any other
    /// starts its idle time now.
    fn has_broken(&self, slot: &mut Self::Connection) -> bool {
        slot.idle_since = Instant::now();
        slot.returned = true;
        slot.force_close || self.retired(slot) || self.connect.is_broken(&mut slot.connection)
    }
}

impl<C: Connect> Manager<C> {
    /// Made before the last invalidation, or past its lifetime.
    fn retired(&self, slot: &Slot<C::Connection>) -> bool {
        slot.generation != self.generation.load(Ordering::Acquire)
            || slot.retires.is_some_and(|at| Instant::now() >= at)
    }
}

/// `max` shortened by a pseudo-random 0–20 %, from `seed` (`SplitMix64`).
fn jittered(max: Duration, seed: u64) -> Duration {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let per_mille = u32::try_from(z % 201).unwrap_or(0);
    // A factor at most 1 cannot overflow, whatever `max` is.
    max.mul_f64(1.0 - f64::from(per_mille) / 1000.0)
}

/// Keeps the last connect error for the exhausted-pool error, and wakes
/// the checkouts waiting for a connection when making one fails.
#[derive(Debug)]
struct LastError<E>(Arc<Mutex<Option<Arc<E>>>>, Arc<tokio::sync::Notify>);

impl<E> Clone for LastError<E> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), self.1.clone())
    }
}

impl<E> Default for LastError<E> {
    fn default() -> Self {
        Self(Arc::default(), Arc::default())
    }
}

impl<E> LastError<E> {
    fn fail(&self, error: Arc<E>) {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(error);
        }
        self.1.notify_waiters();
    }

    fn last(&self) -> Option<Arc<E>> {
        self.0.lock().ok().and_then(|last| last.clone())
    }
}

impl<E: std::error::Error + Send + Sync + 'static> bb8::ErrorSink<ManagerError<E>>
    for LastError<E>
{
    fn sink(&self, error: ManagerError<E>) {
        if let (ManagerError::Transport(error), Ok(mut last)) = (error, self.0.lock()) {
            *last = Some(error);
        }
    }

    fn boxed_clone(&self) -> Box<dyn bb8::ErrorSink<ManagerError<E>>> {
        Box::new(self.clone())
    }
}

/// A pool of connections to one server with one set of credentials.
///
/// - Releasing a connection (dropping the guard) returns it for reuse;
///   [`Pooled::force_close`] drops it. A broken connection is never
///   returned, whatever the caller does.
/// - At checkout, a connection idle for less than
///   [`check_after`](PoolConfig::check_after) (5 s) is reused at once; an
///   older one is checked first ([`Connect::check`]), and one that fails the
///   check is discarded and replaced transparently.
/// - When every connection is in use, a checkout waits up to the checkout
///   timeout ([`WhenFull::Wait`]), then fails with [`PoolError::Exhausted`]
///   carrying the last connect error; or it gets a connection outside the
///   pool, closed on release ([`WhenFull::Overflow`]).
pub struct Pool<C: Connect> {
    inner: bb8::Pool<Manager<C>>,
    counters: Arc<Counters>,
    generation: Arc<AtomicU64>,
    last_error: LastError<C::Error>,
    when_full: WhenFull,
    size: u32,
}

impl<C: Connect> std::fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<C: Connect> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            counters: self.counters.clone(),
            generation: self.generation.clone(),
            last_error: self.last_error.clone(),
            when_full: self.when_full,
            size: self.size,
        }
    }
}

impl<C: Connect> Pool<C> {
    /// A pool making connections with `connect`. No connection is made
    /// until the first checkout (or for `min_idle`).
    pub fn new(connect: C, config: PoolConfig) -> Result<Self, PoolError<C::Error>> {
        let size = config.size()?;
        let when_full = config.when_full;
        let counters = Arc::new(Counters::default());
        let generation = Arc::new(AtomicU64::new(0));
        let last_error = LastError::default();
        let inner = bb8::Pool::builder()
            .max_size(size)
            .min_idle(config.min_idle)
            .idle_timeout(config.idle_timeout)
            // Lifetimes are enforced here, with jitter.
            .max_lifetime(None)
            .connection_timeout(config.checkout_timeout)
            // A failed connect fails the checkout waiting for it (below),
            // so it is not retried in the background either.
            .retry_connection(false)
            .test_on_check_out(true)
            .error_sink(Box::new(last_error.clone()))
            .build_unchecked(Manager {
                connect,
                config,
                counters: counters.clone(),
                generation: generation.clone(),
                last_error: last_error.clone(),
            });
        Ok(Self {
            inner,
            counters,
            generation,
            last_error,
            when_full,
            size,
        })
    }

    /// Checks a connection out.
    pub async fn get(&self) -> Result<Pooled<C>, PoolError<C::Error>> {
        if self.when_full == WhenFull::Overflow {
            let state = self.inner.state();
            if state.idle_connections == 0 && state.connections >= self.size {
                self.counters.overflow.fetch_add(1, Ordering::Relaxed);
                let slot = self
                    .inner
                    .dedicated_connection()
                    .await
                    .map_err(PoolError::from)?;
                return Ok(Pooled {
                    inner: Inner::Overflow(slot),
                });
            }
        }
        // A connect that fails while this checkout waits fails it at once.
        let failed = self.last_error.1.notified();
        tokio::pin!(failed);
        failed.as_mut().enable();
        let got = tokio::select! {
            biased;
            got = self.inner.get_owned() => got,
            () = &mut failed => {
                if let Some(error) = self.last_error.last() {
                    return Err(PoolError::ConnectFailed(error));
                }
                self.inner.get_owned().await
            }
        };
        match got {
            Ok(pooled) => Ok(Pooled {
                inner: Inner::Pooled(pooled),
            }),
            Err(bb8::RunError::User(e)) => Err(e.into()),
            Err(bb8::RunError::TimedOut) => Err(PoolError::Exhausted {
                last_connect_error: self.last_error.last().map(|e| e.to_string()),
            }),
        }
    }

    /// Retires every connection made so far: idle ones are closed at their
    /// next checkout instead of being reused, and ones in use are closed
    /// when released. New checkouts get fresh connections. (The hook a
    /// sentinel failover uses.)
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A handle that invalidates this pool without keeping it alive, for a
    /// watcher that should stop when the pool is gone.
    pub fn invalidator(&self) -> Invalidator {
        Invalidator(Arc::downgrade(&self.generation))
    }

    /// The pool's counters now.
    pub fn stats(&self) -> Stats {
        let state = self.inner.state();
        let s = &state.statistics;
        Stats {
            idle: state.idle_connections,
            in_use: state.connections - state.idle_connections,
            created: s.connections_created,
            reused_without_check: self.counters.reused_without_check.load(Ordering::Relaxed),
            validated: self.counters.validated.load(Ordering::Relaxed),
            // Every connection made and no longer held (bb8 may count one
            // closed connection under two causes).
            discarded: s
                .connections_created
                .saturating_sub(u64::from(state.connections)),
            waits: s.get_waited,
            wait_timeouts: s.get_timed_out,
            overflow: self.counters.overflow.load(Ordering::Relaxed),
            invalidations: self.generation.load(Ordering::Acquire),
        }
    }
}

/// Invalidates a pool from elsewhere (see [`Pool::invalidator`]).
#[derive(Debug, Clone)]
pub struct Invalidator(std::sync::Weak<AtomicU64>);

impl Invalidator {
    /// Invalidates the pool; `false` when the pool is gone.
    pub fn invalidate(&self) -> bool {
        match self.0.upgrade() {
            Some(generation) => {
                generation.fetch_add(1, Ordering::AcqRel);
                true
            }
            None => false,
        }
    }

    /// Whether the pool is gone.
    pub fn is_gone(&self) -> bool {
        self.0.strong_count() == 0
    }
}

/// A pool's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Connections idle in the pool.
    pub idle: u32,
    /// Pooled connections checked out.
    pub in_use: u32,
    /// Connections made for the pool.
    pub created: u64,
    /// Checkouts that reused a recently returned connection without a check.
    pub reused_without_check: u64,
    /// Checkouts that checked an older idle connection first.
    pub validated: u64,
    /// Connections dropped: broken, force-closed, failed checks, expired.
    pub discarded: u64,
    /// Checkouts that had to wait.
    pub waits: u64,
    /// Checkouts that waited in vain.
    pub wait_timeouts: u64,
    /// Connections handed out beyond the pool's size.
    pub overflow: u64,
    /// Times the pool was invalidated ([`Pool::invalidate`]).
    pub invalidations: u64,
}

enum Inner<C: Connect> {
    Pooled(bb8::PooledConnection<'static, Manager<C>>),
    Overflow(Slot<C::Connection>),
}

/// A checked-out connection: returned to the pool when dropped (unless
/// broken), dropped for good by [`force_close`](Self::force_close).
pub struct Pooled<C: Connect> {
    inner: Inner<C>,
}

impl<C: Connect> Pooled<C> {
    /// Closes the connection instead of returning it to the pool.
    pub fn force_close(mut self) {
        if let Inner::Pooled(pooled) = &mut self.inner {
            pooled.force_close = true;
        }
    }

    /// Whether this connection was handed out beyond the pool's size (it
    /// is closed on release).
    pub fn is_overflow(&self) -> bool {
        matches!(self.inner, Inner::Overflow(_))
    }
}

impl<C: Connect> Deref for Pooled<C> {
    type Target = C::Connection;

    fn deref(&self) -> &C::Connection {
        match &self.inner {
            Inner::Pooled(pooled) => &pooled.connection,
            Inner::Overflow(slot) => &slot.connection,
        }
    }
}

impl<C: Connect> DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C::Connection {
        match &mut self.inner {
            Inner::Pooled(pooled) => &mut pooled.connection,
            Inner::Overflow(slot) => &mut slot.connection,
        }
    }
}

impl<C: Connect> std::fmt::Debug for Pooled<C>
where
    C::Connection: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled")
            .field("connection", &**self)
            .field("overflow", &self.is_overflow())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::jittered;
    use std::time::Duration;

    #[test]
    fn lifetimes_are_shortened_by_at_most_a_fifth_and_spread() {
        let max = Duration::from_secs(100);
        let lifetimes: Vec<Duration> = (0..1000).map(|seed| jittered(max, seed)).collect();
        assert!(lifetimes.iter().all(|l| *l <= max && *l >= max * 4 / 5));
        let distinct: std::collections::BTreeSet<_> = lifetimes.iter().collect();
        assert!(
            distinct.len() > 150,
            "only {} distinct lifetimes",
            distinct.len()
        );
    }
}

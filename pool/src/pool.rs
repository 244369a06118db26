//! The pool: deadpool underneath, with redwire's checkout validation,
//! release and force-close, overflow, lifetimes and statistics.
//!
//! deadpool hands out connections through a fair semaphore, so a released
//! connection goes to the checkout that has waited longest (never to a task
//! that releases and asks again at once), and it makes a connection on the
//! task of the checkout that needs it, so a connect that fails fails that
//! checkout and no other.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, QueueMode, RecycleError, RecycleResult, Timeouts};

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
    /// connection's first checkout is no reuse).
    returned: bool,
    /// The pool's generation when it was made; an older one is never reused.
    generation: u64,
    /// When it retires (its maximum lifetime, shortened by up to a fifth so
    /// that connections made together do not all retire together).
    retires: Option<Instant>,
}

/// Counters kept beside deadpool's own.
#[derive(Debug, Default)]
struct Counters {
    created: AtomicU64,
    reused_without_check: AtomicU64,
    validated: AtomicU64,
    waits: AtomicU64,
    wait_timeouts: AtomicU64,
    overflow: AtomicU64,
}

/// What the pool, its manager and its checked-out connections share.
struct Shared<C: Connect> {
    connect: C,
    config: PoolConfig,
    counters: Counters,
    /// Bumped by [`Pool::invalidate`].
    generation: Arc<AtomicU64>,
    /// The last connect error, for [`PoolError::Exhausted`].
    last_error: Mutex<Option<String>>,
}

impl<C: Connect> Shared<C> {
    /// Made before the last invalidation, or past its lifetime.
    fn retired(&self, slot: &Slot<C::Connection>) -> bool {
        slot.generation != self.generation.load(Ordering::Acquire)
            || slot.retires.is_some_and(|at| Instant::now() >= at)
    }

    /// Makes a connection on the calling task.
    async fn make(&self) -> Result<Slot<C::Connection>, Arc<C::Error>> {
        let generation = self.generation.load(Ordering::Acquire);
        let connection = self.connect.connect().await.map_err(|e| {
            *self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
            Arc::new(e)
        })?;
        let seed = self.counters.created.fetch_add(1, Ordering::Relaxed);
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
                // A lifetime too long to reckon (years) is none.
                .and_then(|max| now.checked_add(jittered(max, seed))),
        })
    }
}

/// The deadpool manager: makes and checks connections through [`Connect`].
struct Manager<C: Connect>(Arc<Shared<C>>);

impl<C: Connect> managed::Manager for Manager<C> {
    type Type = Slot<C::Connection>;
    type Error = Arc<C::Error>;

    async fn create(&self) -> Result<Self::Type, Self::Error> {
        self.0.make().await
    }

    /// Readies an idle connection (its settings back to the pool's), then
    /// reuses it at once when it was idle a short while (unless a probe
    /// that does not block finds it gone), or checks it first.
    async fn recycle(&self, slot: &mut Self::Type, _: &Metrics) -> RecycleResult<Self::Error> {
        let shared = &self.0;
        if shared.retired(slot) {
            return Err(RecycleError::message("retired"));
        }
        shared.connect.prepare(&mut slot.connection);
        let recent = slot.idle_since.elapsed() < shared.config.check_after;
        if recent && !shared.connect.is_broken(&mut slot.connection) {
            if slot.returned {
                shared
                    .counters
                    .reused_without_check
                    .fetch_add(1, Ordering::Relaxed);
            }
            return Ok(());
        }
        shared.counters.validated.fetch_add(1, Ordering::Relaxed);
        shared
            .connect
            .check(&mut slot.connection)
            .await
            .map_err(|e| RecycleError::Backend(Arc::new(e)))
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

/// A pool of connections to one server with one set of credentials.
///
/// - Releasing a connection (dropping the guard) returns it for reuse;
///   [`Pooled::force_close`] drops it. A broken connection is never
///   returned, whatever the caller does.
/// - At checkout, a connection idle for less than
///   [`check_after`](PoolConfig::check_after) (5 s) is reused at once; an
///   older one is checked first ([`Connect::check`]), and one that fails the
///   check is discarded and replaced transparently.
/// - When every connection is in use, a checkout waits its turn, first come
///   first served, up to the checkout timeout ([`WhenFull::Wait`]), then
///   fails with [`PoolError::Exhausted`] carrying the last connect error; or
///   it gets a connection outside the pool, closed on release
///   ([`WhenFull::Overflow`]).
/// - A checkout that needs a new connection makes it itself: when that
///   fails, it fails with [`PoolError::ConnectFailed`] at once, and no other
///   checkout does.
pub struct Pool<C: Connect> {
    inner: managed::Pool<Manager<C>>,
    shared: Arc<Shared<C>>,
}

impl<C: Connect> std::fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<C: Connect> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<C: Connect> Pool<C> {
    /// A pool making connections with `connect`. No connection is made
    /// until the first checkout (or for `min_idle`). Within a tokio runtime,
    /// a task closes idle connections past the idle timeout or their
    /// lifetime and keeps `min_idle` connections; it stops with the pool.
    pub fn new(connect: C, config: PoolConfig) -> Result<Self, PoolError<C::Error>> {
        let size = config.size()?;
        let shared = Arc::new(Shared {
            connect,
            config,
            counters: Counters::default(),
            generation: Arc::new(AtomicU64::new(0)),
            last_error: Mutex::new(None),
        });
        let inner = managed::Pool::builder(Manager(shared.clone()))
            .max_size(size as usize)
            // The connection used last goes out first: the others idle out.
            .queue_mode(QueueMode::Lifo)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| PoolError::Size(e.to_string()))?;
        let pool = Self { inner, shared };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            if let Some(every) = pool.maintenance_every() {
                drop(runtime.spawn(maintain(pool.inner.weak(), every)));
            }
        }
        Ok(pool)
    }

    /// How often idle connections are looked at, when anything needs it.
    fn maintenance_every(&self) -> Option<Duration> {
        let config = &self.shared.config;
        let shortest = [config.idle_timeout, config.max_lifetime]
            .into_iter()
            .flatten()
            .min()
            .or(config.min_idle.map(|_| Duration::from_secs(30)))?;
        Some((shortest / 2).clamp(Duration::from_millis(50), Duration::from_secs(30)))
    }

    /// Checks a connection out.
    pub async fn get(&self) -> Result<Pooled<C>, PoolError<C::Error>> {
        let overflow = self.shared.config.when_full == WhenFull::Overflow;
        let wait = if overflow {
            Duration::ZERO
        } else {
            self.shared.config.checkout_timeout
        };
        let status = self.inner.status();
        if !overflow && status.available == 0 && status.size >= status.max_size {
            self.shared.counters.waits.fetch_add(1, Ordering::Relaxed);
        }
        let timeouts = Timeouts {
            wait: Some(wait),
            create: None,
            recycle: None,
        };
        match self.inner.timeout_get(&timeouts).await {
            Ok(object) => Ok(Pooled {
                inner: Some(Inner::Pooled(object)),
                shared: self.shared.clone(),
            }),
            Err(managed::PoolError::Backend(e)) => Err(PoolError::ConnectFailed(e)),
            Err(managed::PoolError::Timeout(_)) if overflow => {
                self.shared
                    .counters
                    .overflow
                    .fetch_add(1, Ordering::Relaxed);
                let slot = self.shared.make().await.map_err(PoolError::ConnectFailed)?;
                Ok(Pooled {
                    inner: Some(Inner::Overflow(slot)),
                    shared: self.shared.clone(),
                })
            }
            // A wait that timed out; the pool is never closed.
            Err(_) => {
                self.shared
                    .counters
                    .wait_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                Err(PoolError::Exhausted {
                    last_connect_error: self
                        .shared
                        .last_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone(),
                })
            }
        }
    }

    /// Retires every connection made so far: idle ones are closed at their
    /// next checkout instead of being reused, and ones in use are closed
    /// when released. New checkouts get fresh connections. (The hook a
    /// sentinel failover uses.)
    pub fn invalidate(&self) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A handle that invalidates this pool without keeping it alive, for a
    /// watcher that should stop when the pool is gone.
    pub fn invalidator(&self) -> Invalidator {
        Invalidator(Arc::downgrade(&self.shared.generation))
    }

    /// The pool's counters now.
    pub fn stats(&self) -> Stats {
        let status = self.inner.status();
        let counters = &self.shared.counters;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let created = counters.created.load(Ordering::Relaxed);
        let overflow = counters.overflow.load(Ordering::Relaxed);
        Stats {
            idle: count(status.available),
            in_use: count(status.size.saturating_sub(status.available)),
            created,
            reused_without_check: counters.reused_without_check.load(Ordering::Relaxed),
            validated: counters.validated.load(Ordering::Relaxed),
            // Every pooled connection made and no longer held.
            discarded: created
                .saturating_sub(overflow)
                .saturating_sub(status.size as u64),
            waits: counters.waits.load(Ordering::Relaxed),
            wait_timeouts: counters.wait_timeouts.load(Ordering::Relaxed),
            overflow,
            invalidations: self.shared.generation.load(Ordering::Acquire),
        }
    }
}

/// Closes idle connections past the idle timeout or their lifetime, and
/// keeps `min_idle` connections (made at once, then), every `every`, while
/// the pool lives.
async fn maintain<C: Connect>(pool: managed::WeakPool<Manager<C>>, every: Duration) {
    let mut first = true;
    loop {
        if !std::mem::take(&mut first) {
            tokio::time::sleep(every).await;
        }
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let shared = pool.manager().0.clone();
        let idle_timeout = shared.config.idle_timeout;
        pool.retain(|slot, _| {
            !shared.retired(slot) && idle_timeout.is_none_or(|t| slot.idle_since.elapsed() < t)
        });
        let Some(min_idle) = shared.config.min_idle else {
            continue;
        };
        // Check out `min_idle` connections at once (the idle ones, and new
        // ones made together), then give them all back: that many are idle
        // afterwards. Only when that many are not idle already.
        if pool.status().available >= min_idle as usize {
            continue;
        }
        let now = Timeouts {
            wait: Some(Duration::ZERO),
            create: None,
            recycle: None,
        };
        let held =
            futures_util::future::join_all((0..min_idle).map(|_| pool.timeout_get(&now))).await;
        drop(held);
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

    /// How many times the pool was invalidated; `None` when it is gone.
    /// For what must follow its invalidations (a connection beside it).
    pub fn invalidations(&self) -> Option<u64> {
        self.0
            .upgrade()
            .map(|generation| generation.load(Ordering::Acquire))
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
    /// Connections made, for the pool and beyond it.
    pub created: u64,
    /// Checkouts that reused a recently returned connection without a check.
    pub reused_without_check: u64,
    /// Checkouts that checked an older idle connection first.
    pub validated: u64,
    /// Pooled connections dropped: broken, force-closed, failed checks,
    /// expired.
    pub discarded: u64,
    /// Checkouts that found no connection free and had to wait.
    pub waits: u64,
    /// Checkouts that waited in vain.
    pub wait_timeouts: u64,
    /// Connections handed out beyond the pool's size.
    pub overflow: u64,
    /// Times the pool was invalidated ([`Pool::invalidate`]).
    pub invalidations: u64,
}

enum Inner<C: Connect> {
    Pooled(Object<Manager<C>>),
    Overflow(Slot<C::Connection>),
}

/// A checked-out connection: returned to the pool when dropped (unless
/// broken), dropped for good by [`force_close`](Self::force_close).
pub struct Pooled<C: Connect> {
    /// `None` only while being dropped.
    inner: Option<Inner<C>>,
    shared: Arc<Shared<C>>,
}

impl<C: Connect> Pooled<C> {
    /// Closes the connection instead of returning it to the pool.
    pub fn force_close(mut self) {
        if let Some(Inner::Pooled(object)) = &mut self.inner {
            object.force_close = true;
        }
    }

    /// Whether this connection was handed out beyond the pool's size (it
    /// is closed on release).
    pub fn is_overflow(&self) -> bool {
        matches!(self.inner, Some(Inner::Overflow(_)))
    }

    fn slot(&self) -> &Slot<C::Connection> {
        match &self.inner {
            Some(Inner::Pooled(object)) => object,
            Some(Inner::Overflow(slot)) => slot,
            None => unreachable!("a Pooled is only empty while dropped"),
        }
    }

    fn slot_mut(&mut self) -> &mut Slot<C::Connection> {
        match &mut self.inner {
            Some(Inner::Pooled(object)) => object,
            Some(Inner::Overflow(slot)) => slot,
            None => unreachable!("a Pooled is only empty while dropped"),
        }
    }
}

/// Returns the connection, or drops it: force-closed, retired, broken.
impl<C: Connect> Drop for Pooled<C> {
    fn drop(&mut self) {
        let Some(Inner::Pooled(mut object)) = self.inner.take() else {
            return;
        };
        let shared = &self.shared;
        object.idle_since = Instant::now();
        object.returned = true;
        if object.force_close
            || shared.retired(&object)
            || shared.connect.is_broken(&mut object.connection)
        {
            drop(Object::take(object));
        }
    }
}

impl<C: Connect> Deref for Pooled<C> {
    type Target = C::Connection;

    fn deref(&self) -> &C::Connection {
        &self.slot().connection
    }
}

impl<C: Connect> DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C::Connection {
        &mut self.slot_mut().connection
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

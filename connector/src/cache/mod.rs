//! Client-side caching: replies of read-only commands kept by the client,
//! by command, and dropped when the server says a key they read changed
//! (RESP3 `CLIENT TRACKING` invalidation pushes), when the connection that
//! tracked them is lost, or to stay within the bounds.
//!
//! The store ([`Cache`]) is bounded by entries and bytes (least recently
//! used replies go first) and may expire replies after a time to live. A
//! read under way holds a [`Ticket`] for the keys it reads: an
//! invalidation of any of them that comes before its reply (the reply
//! raced it) makes the ticket stale, and the reply is not kept.
//!
//! ```
//! use redwire::cache::{Cache, CacheConfig};
//! use redwire::Frame;
//!
//! let cache = Cache::new(CacheConfig::default());
//! let ticket = cache.begin([&b"user:1"[..], b"user:2"]);
//! let reply = Frame::Array(vec![Frame::BulkString("ada".into()), Frame::NullBulk]);
//! ticket.complete(b"MGET user:1 user:2", &reply);
//! assert_eq!(cache.get(b"MGET user:1 user:2").as_deref(), Some(&reply));
//! cache.invalidate([&b"user:2"[..]]); // either key changing drops it
//! assert_eq!(cache.get(b"MGET user:1 user:2"), None);
//! ```

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lru::LruCache;
use redwire_resp::{Frame, Payload, INLINE};

pub use crate::command::cacheable::CACHED_COMMANDS;
use crate::error::ConfigError;
pub use tracking::Tracking;

mod tracking;
mod writes;

/// What a cache entry costs beyond its bytes (its node in the LRU list and
/// its slot in the map, the shared frame, the copy of its command, the
/// list of its keys), counted against [`CacheConfig::max_bytes`]. Measured
/// (`benches/cache.rs`, its flood): with these, the process grows by about
/// the bytes counted.
const OVERHEAD: usize = 320;

/// What each key a reply read costs beyond its bytes (its state in the
/// key index, the set of the replies that read it, its copies).
const KEY_OVERHEAD: usize = 320;

/// What each string of a reply costs beyond its bytes (its allocation).
const BLOB_OVERHEAD: usize = 32;

/// [`Cache::settled`] before any.
const NEVER: u64 = u64::MAX;

/// The smallest byte bound: a few entries at least.
const MIN_BYTES: usize = 16 * 1024;

/// Epochs handed out by every cache, never twice (a ticket of one cache
/// never matches in another); 0 is never handed out.
static EPOCHS: AtomicU64 = AtomicU64::new(1);

/// The bounds and expiry of a client-side cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheConfig {
    max_entries: NonZeroUsize,
    max_bytes: NonZeroUsize,
    ttl: Option<Duration>,
    tracking: Tracking,
}

impl Default for CacheConfig {
    /// 10 000 entries (redis-py's `max_size`), 64 MiB, no expiry.
    fn default() -> Self {
        Self {
            max_entries: NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            max_bytes: NonZeroUsize::new(64 << 20).unwrap_or(NonZeroUsize::MIN),
            ttl: None,
            tracking: Tracking::Default,
        }
    }
}

impl CacheConfig {
    /// At most `n` replies kept. Default 10 000 (redis-py's `max_size`).
    pub fn max_entries(self, n: usize) -> Result<Self, ConfigError> {
        let n = NonZeroUsize::new(n)
            .ok_or_else(|| ConfigError::invalid("max_entries", "at least 1", n))?;
        Ok(Self {
            max_entries: n,
            ..self
        })
    }

    /// At most `n` bytes (at least 16 KiB) of keys, commands and replies
    /// kept, their bookkeeping counted (about 650 bytes an entry of one
    /// key, besides its bytes): what the process holds for them. Default
    /// 64 MiB.
    pub fn max_bytes(self, n: usize) -> Result<Self, ConfigError> {
        let n = NonZeroUsize::new(n)
            .filter(|n| n.get() >= MIN_BYTES)
            .ok_or_else(|| ConfigError::invalid("max_bytes", "at least 16384", n))?;
        Ok(Self {
            max_bytes: n,
            ..self
        })
    }

    /// A reply kept longer than `ttl` is not used again; `None` (the
    /// default): kept until invalidated or evicted.
    pub fn ttl(self, ttl: Option<Duration>) -> Result<Self, ConfigError> {
        if ttl == Some(Duration::ZERO) {
            return Err(ConfigError::invalid("ttl", "more than 0, or none", "0"));
        }
        Ok(Self { ttl, ..self })
    }

    /// How the server tells of the keys that change (default:
    /// [`Tracking::Default`]).
    #[must_use]
    pub fn tracking(self, tracking: Tracking) -> Self {
        Self { tracking, ..self }
    }

    /// How the server tells of the keys that change.
    pub fn get_tracking(&self) -> &Tracking {
        &self.tracking
    }

    /// The most entries kept.
    pub fn get_max_entries(&self) -> usize {
        self.max_entries.get()
    }

    /// The most bytes kept.
    pub fn get_max_bytes(&self) -> usize {
        self.max_bytes.get()
    }

    /// How long a reply is used, if not for ever.
    pub fn get_ttl(&self) -> Option<Duration> {
        self.ttl
    }
}

/// What a cache did since it was made, and what it holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads of cacheable commands that went to the server.
    pub misses: u64,
    /// Keys the server (or this client) said changed that had something
    /// kept or a read under way.
    pub invalidations: u64,
    /// Entries dropped to stay within the bounds, or expired.
    pub evictions: u64,
    /// Times everything was dropped (a flush asked for, a connection lost,
    /// the server flushing its tracking).
    pub flushes: u64,
    /// Replies held now.
    pub entries: u64,
    /// Bytes held now, as counted against the bound.
    pub bytes: u64,
}

impl CacheStats {
    /// Each counter by name (`hits`, `misses`, `invalidations`,
    /// `evictions`, `flushes`, `entries`, `bytes`), as the bindings show
    /// them.
    pub fn by_name(&self) -> [(&'static str, u64); 7] {
        [
            ("hits", self.hits),
            ("misses", self.misses),
            ("invalidations", self.invalidations),
            ("evictions", self.evictions),
            ("flushes", self.flushes),
            ("entries", self.entries),
            ("bytes", self.bytes),
        ]
    }
}

/// A read under way of its keys: its reply is kept by
/// [`complete`](Ticket::complete) only if none of them was invalidated (nor
/// the cache flushed) since [`begin`](Cache::begin). Dropped without
/// completing (a read cancelled or failed), it leaves nothing behind.
#[must_use = "a ticket completes a read"]
pub struct Ticket {
    cache: Arc<Cache>,
    /// Each key read, with its epoch when the read began.
    keys: Vec<(Bytes, u64)>,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// Keeps `reply` to `command` (encoded), which read the ticket's keys,
    /// unless one of them was invalidated since the ticket was taken, the
    /// reply is an error, or it is over a quarter of the byte bound (one
    /// reply never pushes out most of the others). The reply is copied: it holds no part of
    /// the connection's read buffer. Attributes (`|`) are not kept: a hit
    /// gives the value alone.
    pub fn complete(mut self, command: &[u8], reply: &Frame) {
        let keys = std::mem::take(&mut self.keys);
        let cache = &*self.cache;
        let weight = command.len()
            + keys
                .iter()
                .map(|(k, _)| k.len() + KEY_OVERHEAD)
                .sum::<usize>()
            + weight(reply)
            + OVERHEAD;
        // One reply may take at most a quarter of the bytes: none pushes
        // out most of the others.
        let keep =
            !is_error(reply) && !keys.is_empty() && weight <= cache.config.max_bytes.get() / 4;
        // Copied outside the lock, and only when it may be kept.
        let entry = (keep && cache.store().current(&keys)).then(|| Entry {
            weight,
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
            frame: Arc::new(owned(reply)),
            stored: Instant::now(),
        });
        let command = Bytes::copy_from_slice(command);
        let mut store = cache.store();
        // Checked again: an invalidation may have come while it was copied.
        if let Some(entry) = entry.filter(|_| store.current(&keys)) {
            // A second read of the same command replaces the first.
            if let Some((old_command, old)) = store.replies.pop_entry(&command) {
                store.forget(&old_command, &old);
            }
            for key in &entry.keys {
                if let Some(state) = store.keys.get_mut(key) {
                    state.commands.insert(command.clone());
                }
            }
            store.bytes += entry.weight;
            store.replies.put(command, entry);
        }
        // The read is over (after its reply was linked to its keys).
        for (key, _) in &keys {
            store.unread(key);
        }
        cache.evict(&mut store);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut store = self.cache.store();
        for (key, _) in &self.keys {
            store.unread(key);
        }
    }
}

/// A kept reply: the keys it read, and the bytes it counts.
struct Entry {
    keys: Vec<Bytes>,
    frame: Arc<Frame>,
    weight: usize,
    stored: Instant,
}

/// What is known of a key: a new epoch after each invalidation (so a
/// ticket of before does not match), the reads of it under way, and the
/// kept replies that read it.
struct KeyState {
    epoch: u64,
    reading: usize,
    commands: HashSet<Bytes>,
}

struct Store {
    /// Kept replies by command (its encoded arguments), least recently
    /// used first.
    replies: LruCache<Bytes, Entry>,
    keys: HashMap<Bytes, KeyState>,
    /// The longest key ever read: a longer argument is none of them
    /// (a write's value is not looked up).
    longest: usize,
    bytes: usize,
    stats: CacheStats,
}

/// A bounded client-side cache; see the [module](self). Shared through an
/// `Arc`: a read's [`Ticket`] holds one.
pub struct Cache {
    config: CacheConfig,
    store: Mutex<Store>,
    /// When it was made: [`settled`](Self::settled) counts from it.
    born: Instant,
    /// When a lookup last let the runtime read its connections first
    /// (nanoseconds since `born`; [`NEVER`] before the first; see
    /// [`settle_due`](Self::settle_due)).
    settled: AtomicU64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// An empty cache with `config`'s bounds.
    pub fn new(config: CacheConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            store: Mutex::new(Store {
                replies: LruCache::unbounded(),
                keys: HashMap::new(),
                longest: 0,
                bytes: 0,
                stats: CacheStats::default(),
            }),
            born: Instant::now(),
            settled: AtomicU64::new(NEVER),
        })
    }

    /// Now, counted from `born`.
    fn now(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(NEVER - 1)
    }

    /// Whether `every` has passed since a lookup last let the runtime read
    /// its connections first ([`settled`](Self::settled)), or none did:
    /// every lookup until one has is due (see `shared::cached::settle`).
    pub(crate) fn settle_due(&self, every: Duration) -> bool {
        let last = self.settled.load(Ordering::Relaxed);
        let every = u64::try_from(every.as_nanos()).unwrap_or(u64::MAX);
        last == NEVER || self.now().saturating_sub(last) >= every
    }

    /// Notes that a lookup let the runtime read its connections first,
    /// begun at `since` (from [`settle_start`](Self::settle_start)).
    pub(crate) fn settled(&self, since: u64) {
        let _ = self
            .settled
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                (last == NEVER || last < since).then_some(since)
            });
    }

    /// When a settle begins, for [`settled`](Self::settled).
    pub(crate) fn settle_start(&self) -> u64 {
        self.now()
    }

    /// The cache's settings.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// The store, locked. A panic while it was held (none is expected)
    /// leaves it in doubt: it is emptied, counted as a flush.
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| {
            let mut store = poisoned.into_inner();
            store.clear();
            self.store.clear_poison();
            store
        })
    }

    /// The reply kept for `command` (its encoded arguments), counted as a
    /// hit; `None` when there is none (or it expired). Only replies to
    /// reads are kept: a command found is one. (A miss is counted by the
    /// read that then goes to the server: [`begin`](Self::begin).)
    pub fn get(&self, command: &[u8]) -> Option<Arc<Frame>> {
        let mut store = self.store();
        let ttl = self.config.ttl;
        let expired = match store.replies.get(command) {
            None => return None,
            Some(entry) if ttl.is_some_and(|ttl| entry.stored.elapsed() >= ttl) => true,
            Some(entry) => {
                let frame = entry.frame.clone();
                store.stats.hits += 1;
                return Some(frame);
            }
        };
        if expired {
            if let Some((command, entry)) = store.replies.pop_entry(command) {
                store.forget(&command, &entry);
                store.stats.evictions += 1;
            }
        }
        None
    }

    /// Notes a read of `keys` about to be sent (before it is written: an
    /// invalidation may come before its reply), counted as a miss.
    pub fn begin<'k>(self: &Arc<Self>, keys: impl IntoIterator<Item = &'k [u8]>) -> Ticket {
        // Copied before the lock is taken: no caller code runs under it.
        let keys: Vec<Bytes> = keys.into_iter().map(Bytes::copy_from_slice).collect();
        let mut store = self.store();
        store.stats.misses += 1;
        let keys = keys
            .into_iter()
            .map(|key| {
                store.longest = store.longest.max(key.len());
                let state = store.keys.entry(key.clone()).or_insert_with(|| KeyState {
                    epoch: EPOCHS.fetch_add(1, Ordering::Relaxed),
                    reading: 0,
                    commands: HashSet::new(),
                });
                state.reading += 1;
                let epoch = state.epoch;
                (key, epoch)
            })
            .collect();
        Ticket {
            cache: self.clone(),
            keys,
        }
    }

    /// Drops the replies that read any of `keys` and makes the tickets of
    /// reads under way of them stale: how many of them had either.
    pub fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) -> usize {
        let keys: Vec<&[u8]> = keys.into_iter().collect();
        let mut store = self.store();
        keys.into_iter().filter(|key| store.invalidate(key)).count()
    }

    /// Invalidates every key known to it (kept or read) for which
    /// `moved` says yes: a cluster's slot gone to another node. (`moved`
    /// runs under the store's lock: the crate's own code only.)
    pub(crate) fn invalidate_where(&self, moved: impl Fn(&[u8]) -> bool) {
        let mut store = self.store();
        let keys: Vec<Bytes> = store
            .keys
            .keys()
            .filter(|key| moved(key))
            .cloned()
            .collect();
        for key in keys {
            store.invalidate(&key);
        }
    }

    /// Drops everything, and makes every ticket stale.
    pub fn flush(&self) {
        self.store().clear();
    }

    /// Its counters, and what it holds now.
    pub fn stats(&self) -> CacheStats {
        let store = self.store();
        CacheStats {
            entries: store.replies.len() as u64,
            bytes: store.bytes as u64,
            ..store.stats
        }
    }

    /// Drops the least recently used replies until within the bounds.
    fn evict(&self, store: &mut Store) {
        while store.replies.len() > self.config.max_entries.get()
            || store.bytes > self.config.max_bytes.get()
        {
            let Some((command, entry)) = store.replies.pop_lru() else {
                break;
            };
            store.forget(&command, &entry);
            store.stats.evictions += 1;
        }
    }
}

impl Store {
    /// Whether none of `keys` was invalidated since it got its epoch.
    fn current(&self, keys: &[(Bytes, u64)]) -> bool {
        keys.iter()
            .all(|(key, epoch)| self.keys.get(key).is_some_and(|s| s.epoch == *epoch))
    }

    /// Drops the replies that read `key`, and makes the tickets of reads
    /// under way of it stale: whether it had either.
    fn invalidate(&mut self, key: &[u8]) -> bool {
        if key.len() > self.longest {
            return false;
        }
        let Some(state) = self.keys.get_mut(key) else {
            return false;
        };
        state.epoch = EPOCHS.fetch_add(1, Ordering::Relaxed);
        let commands: Vec<Bytes> = state.commands.drain().collect();
        for command in commands {
            if let Some((command, entry)) = self.replies.pop_entry(&command) {
                self.forget(&command, &entry);
            }
        }
        self.drop_if_unused(key);
        self.stats.invalidations += 1;
        true
    }

    /// Takes `entry` (kept for `command`, already out of `replies`) off
    /// its keys and the byte count.
    fn forget(&mut self, command: &Bytes, entry: &Entry) {
        self.bytes -= entry.weight;
        for key in &entry.keys {
            if let Some(state) = self.keys.get_mut(key) {
                state.commands.remove(command);
            }
            self.drop_if_unused(key);
        }
    }

    /// A read of `key` ended (completed or dropped).
    fn unread(&mut self, key: &[u8]) {
        if let Some(state) = self.keys.get_mut(key) {
            debug_assert!(state.reading > 0, "a read ended twice");
            state.reading = state.reading.saturating_sub(1);
        }
        self.drop_if_unused(key);
    }

    /// Forgets `key` when nothing kept read it and no read of it is under
    /// way (a later read takes a new epoch).
    fn drop_if_unused(&mut self, key: &[u8]) {
        if self
            .keys
            .get(key)
            .is_some_and(|s| s.reading == 0 && s.commands.is_empty())
        {
            self.keys.remove(key);
        }
    }

    /// Drops every reply; keys with reads under way get new epochs.
    fn clear(&mut self) {
        self.replies.clear();
        self.bytes = 0;
        self.keys.retain(|_, state| {
            state.commands.clear();
            state.epoch = EPOCHS.fetch_add(1, Ordering::Relaxed);
            state.reading > 0
        });
        self.stats.flushes += 1;
    }
}

/// Whether `frame` is an error reply, under attributes or not.
fn is_error(frame: &Frame) -> bool {
    match frame {
        Frame::Attributed(attributed) => is_error(&attributed.frame),
        other => other.is_error(),
    }
}

/// The bytes a reply holds, and a little for each frame.
fn weight(frame: &Frame) -> usize {
    const FRAME: usize = size_of::<Frame>();
    FRAME
        + match frame {
            Frame::SimpleString(b)
            | Frame::Error(b)
            | Frame::BulkString(b)
            | Frame::BigNumber(b)
            | Frame::BulkError(b)
            | Frame::VerbatimString { text: b, .. } => blob(b),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                items.iter().map(weight).sum()
            }
            Frame::Map(pairs) => pairs.iter().map(|(k, v)| weight(k) + weight(v)).sum(),
            Frame::Attributed(attributed) => weight(&attributed.frame),
            Frame::StreamedString(chunks) => chunks
                .iter()
                .map(|chunk| size_of::<Payload>() + blob(chunk))
                .sum(),
            Frame::Integer(_)
            | Frame::NullBulk
            | Frame::NullArray
            | Frame::Null
            | Frame::Boolean(_)
            | Frame::Double(_) => 0,
        }
}

/// What a payload holds beyond its frame: nothing when inline.
fn blob(payload: &Payload) -> usize {
    if payload.len() <= INLINE {
        0
    } else {
        payload.len() + BLOB_OVERHEAD
    }
}

/// `frame` with its bytes copied out of whatever buffer they share.
fn owned(frame: &Frame) -> Frame {
    let copy = |b: &Payload| Payload::copy_from_slice(b);
    match frame {
        Frame::SimpleString(b) => Frame::SimpleString(copy(b)),
        Frame::Error(b) => Frame::Error(copy(b)),
        Frame::BulkString(b) => Frame::BulkString(copy(b)),
        Frame::BigNumber(b) => Frame::BigNumber(copy(b)),
        Frame::BulkError(b) => Frame::BulkError(copy(b)),
        Frame::VerbatimString { format, text } => Frame::VerbatimString {
            format: *format,
            text: copy(text),
        },
        Frame::Array(items) => Frame::Array(items.iter().map(owned).collect()),
        Frame::Set(items) => Frame::Set(items.iter().map(owned).collect()),
        Frame::Push(items) => Frame::Push(items.iter().map(owned).collect()),
        Frame::Map(pairs) => Frame::Map(pairs.iter().map(|(k, v)| (owned(k), owned(v))).collect()),
        // Attributes are the server's remarks on a reply: the value is kept.
        Frame::Attributed(attributed) => owned(&attributed.frame),
        Frame::StreamedString(chunks) => Frame::StreamedString(chunks.iter().map(copy).collect()),
        Frame::Integer(n) => Frame::Integer(*n),
        Frame::NullBulk => Frame::NullBulk,
        Frame::NullArray => Frame::NullArray,
        Frame::Null => Frame::Null,
        Frame::Boolean(b) => Frame::Boolean(*b),
        Frame::Double(d) => Frame::Double(*d),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::{Cache, CacheConfig, Ticket, OVERHEAD};
    use bytes::Bytes;
    use redwire_resp::{Frame, Payload};
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    fn bulk(text: &str) -> Frame {
        Frame::BulkString(Payload::copy_from_slice(text.as_bytes()))
    }

    fn begin(cache: &Arc<Cache>, keys: &[&str]) -> Ticket {
        cache.begin(keys.iter().map(|k| k.as_bytes()))
    }

    fn kept(cache: &Arc<Cache>, key: &str, value: &str) {
        begin(cache, &[key]).complete(format!("GET {key}").as_bytes(), &bulk(value));
    }

    fn read(cache: &Cache, key: &str) -> Option<Frame> {
        cache
            .get(format!("GET {key}").as_bytes())
            .map(|f| (*f).clone())
    }

    /// The store agrees with itself: every reply linked from each of its
    /// keys and back, the bytes their sum, no key state left unused, the
    /// bounds kept.
    fn check(cache: &Cache) {
        let store = cache.store();
        let mut bytes = 0;
        for (command, entry) in &store.replies {
            bytes += entry.weight;
            for key in &entry.keys {
                let state = store.keys.get(key).expect("a reply's key has a state");
                assert!(
                    state.commands.contains(command),
                    "a reply not linked from its key"
                );
            }
        }
        for (key, state) in &store.keys {
            assert!(
                state.reading > 0 || !state.commands.is_empty(),
                "an unused key state"
            );
            for command in &state.commands {
                let entry = store.replies.peek(command).expect("a link to a reply gone");
                assert!(
                    entry.keys.contains(key),
                    "a link to a reply that did not read it"
                );
            }
        }
        assert_eq!(store.bytes, bytes);
        assert!(store.replies.len() <= cache.config.get_max_entries());
        assert!(store.bytes <= cache.config.get_max_bytes());
    }

    #[test]
    fn a_reply_is_kept_per_command_until_a_key_it_read_is_invalidated() {
        let cache = Cache::new(CacheConfig::default());
        assert_eq!(read(&cache, "a"), None);
        kept(&cache, "a", "1");
        begin(&cache, &["a", "b"]).complete(b"MGET a b", &Frame::Array(vec![bulk("1"), bulk("2")]));
        assert_eq!(read(&cache, "a"), Some(bulk("1")));
        assert!(cache.get(b"MGET a b").is_some());
        assert_eq!(cache.stats().entries, 2);
        check(&cache);
        // "b" changing drops the MGET, not GET a.
        cache.invalidate([&b"b"[..], &b"never-read"[..]]);
        assert_eq!(cache.get(b"MGET a b"), None);
        assert_eq!(read(&cache, "a"), Some(bulk("1")));
        check(&cache);
        cache.invalidate([&b"a"[..]]);
        assert_eq!(read(&cache, "a"), None);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.invalidations), (3, 2));
        assert_eq!((stats.entries, stats.bytes), (0, 0));
        check(&cache);
    }

    #[test]
    fn a_second_reply_to_a_command_replaces_the_first_and_its_links() {
        let cache = Cache::new(CacheConfig::default());
        begin(&cache, &["a", "b"]).complete(b"SUNION a b", &Frame::Array(vec![]));
        let bytes = cache.stats().bytes;
        begin(&cache, &["a", "b"]).complete(b"SUNION a b", &Frame::Array(vec![]));
        assert_eq!((cache.stats().entries, cache.stats().bytes), (1, bytes));
        check(&cache);
        // Read again as of other keys (a command's keys are its own): the
        // old links go.
        begin(&cache, &["c"]).complete(b"SUNION a b", &Frame::Array(vec![]));
        cache.invalidate([&b"a"[..]]);
        assert!(cache.get(b"SUNION a b").is_some());
        check(&cache);
        assert!(!cache.store().keys.contains_key(&b"a"[..]));
    }

    #[test]
    fn a_reply_that_raced_an_invalidation_is_not_kept() {
        let cache = Cache::new(CacheConfig::default());
        // Invalidated while the read was under way.
        let ticket = begin(&cache, &["a"]);
        cache.invalidate([&b"a"[..]]);
        ticket.complete(b"GET a", &bulk("old"));
        assert_eq!(read(&cache, "a"), None);
        // The same, with another read begun after the invalidation: only
        // the later one's reply is kept.
        let early = begin(&cache, &["a"]);
        cache.invalidate([&b"a"[..]]);
        let late = begin(&cache, &["a"]);
        early.complete(b"GET a", &bulk("old"));
        assert_eq!(read(&cache, "a"), None);
        late.complete(b"GET a", &bulk("new"));
        assert_eq!(read(&cache, "a"), Some(bulk("new")));
        // One key of several invalidated is enough; a key read twice too.
        let ticket = begin(&cache, &["x", "y", "y"]);
        cache.invalidate([&b"y"[..]]);
        ticket.complete(b"MGET x y y", &Frame::Array(vec![]));
        assert_eq!(cache.get(b"MGET x y y"), None);
        check(&cache);
        // A flush makes the tickets of before stale, not those of after,
        // even while one of before is still out.
        let before = begin(&cache, &["b"]);
        cache.flush();
        let after = begin(&cache, &["b"]);
        before.complete(b"GET b", &bulk("old"));
        assert_eq!(read(&cache, "b"), None);
        after.complete(b"GET b", &bulk("new"));
        assert_eq!(read(&cache, "b"), Some(bulk("new")));
        assert_eq!(cache.stats().flushes, 1);
        check(&cache);
    }

    #[test]
    fn a_read_under_way_outlives_the_eviction_of_its_keys_other_replies() {
        let cache = Cache::new(CacheConfig::default().max_entries(1).unwrap());
        begin(&cache, &["h"]).complete(b"HGET h 1", &bulk("1"));
        let ticket = begin(&cache, &["h"]);
        // "HGET h 1" goes for another reply; the read of h is still on.
        kept(&cache, "other", "x");
        assert_eq!(cache.get(b"HGET h 1"), None);
        ticket.complete(b"HGET h 2", &bulk("2"));
        assert!(cache.get(b"HGET h 2").is_some());
        check(&cache);
    }

    #[test]
    fn errors_are_not_kept_and_reads_dropped_leave_nothing() {
        let cache = Cache::new(CacheConfig::default());
        begin(&cache, &["a"]).complete(b"GET a", &Frame::Error("WRONGTYPE".into()));
        assert_eq!(read(&cache, "a"), None);
        let attributed = Frame::Attributed(Box::new(redwire_resp::Attributed {
            attributes: Vec::new(),
            frame: Frame::Error("WRONGTYPE".into()),
        }));
        begin(&cache, &["b"]).complete(b"GET b", &attributed);
        assert_eq!(read(&cache, "b"), None);
        // Reads cancelled: their tickets dropped.
        for i in 0..1000 {
            drop(begin(&cache, &[&format!("k{i}"), &format!("k{i}")]));
        }
        let store = cache.store();
        assert!(store.keys.is_empty() && store.replies.is_empty() && store.bytes == 0);
    }

    #[test]
    fn the_least_recently_used_replies_go_first_to_stay_within_the_entries() {
        let cache = Cache::new(CacheConfig::default().max_entries(3).unwrap());
        for key in ["a", "b", "c"] {
            kept(&cache, key, key);
        }
        // "a" used: "b" is now the least recently used.
        assert!(read(&cache, "a").is_some());
        kept(&cache, "d", "d");
        assert!(read(&cache, "b").is_none());
        for key in ["a", "c", "d"] {
            assert!(read(&cache, key).is_some(), "{key}");
        }
        assert_eq!(cache.stats().entries, 3);
        assert_eq!(cache.stats().evictions, 1);
        check(&cache);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_within_the_bytes() {
        let max = 64 * 1024;
        let cache = Cache::new(CacheConfig::default().max_bytes(max).unwrap());
        let value = "v".repeat(100);
        for i in 0..100_000 {
            kept(&cache, &format!("key:{i}"), &value);
            assert!(cache.stats().bytes <= max as u64);
        }
        let stats = cache.stats();
        assert!(stats.entries > 50 && stats.evictions > 99_000, "{stats:?}");
        check(&cache);
    }

    #[test]
    fn what_can_never_fit_evicts_nothing() {
        let cache = Cache::new(CacheConfig::default().max_bytes(16 * 1024).unwrap());
        for key in ["a", "b", "c"] {
            kept(&cache, key, key);
        }
        begin(&cache, &["big"]).complete(b"GET big", &bulk(&"x".repeat(4200)));
        let long = "k".repeat(5000);
        begin(&cache, &[&long]).complete(b"GET long", &bulk("v"));
        assert_eq!(read(&cache, "big"), None);
        for key in ["a", "b", "c"] {
            assert!(read(&cache, key).is_some(), "{key}");
        }
        assert_eq!(cache.stats().entries, 3);
        check(&cache);
    }

    #[test]
    fn a_reply_holds_none_of_the_buffer_it_was_read_from() {
        let cache = Cache::new(CacheConfig::default());
        let buffer = Bytes::from(vec![b'x'; 1 << 20]);
        // Longer than a payload holds inline: a slice of the buffer.
        let reply = Frame::BulkString(buffer.slice(0..100).into());
        begin(&cache, &["a"]).complete(b"GET a", &reply);
        drop(reply);
        let Some(Frame::BulkString(kept)) = read(&cache, "a") else {
            panic!("not kept")
        };
        assert_eq!(&kept[..], [b'x'; 100]);
        // The megabyte is not counted, and not held: the kept bytes are a
        // copy of their own.
        assert!(cache.stats().bytes < 1024 + OVERHEAD as u64);
        assert!(buffer.is_unique(), "the cache holds the read buffer");
    }

    #[test]
    fn replies_expire_after_their_time_to_live() {
        let config = CacheConfig::default()
            .ttl(Some(Duration::from_millis(300)))
            .unwrap();
        let cache = Cache::new(config);
        kept(&cache, "a", "1");
        assert!(read(&cache, "a").is_some());
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(read(&cache, "a"), None);
        assert_eq!(cache.stats().evictions, 1);
        assert!(cache.store().keys.is_empty());
    }

    /// Thousands of operations in a random order against a model of each
    /// key's version: a reply kept is never older than its keys, and the
    /// store agrees with itself after each.
    #[test]
    fn random_operations_never_keep_a_stale_reply() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let cache = Cache::new(
            CacheConfig::default()
                .max_entries(8)
                .unwrap()
                .max_bytes(16 * 1024)
                .unwrap(),
        );
        let mut version: HashMap<u64, u64> = HashMap::new();
        let mut reads: Vec<(Ticket, Vec<u64>, Vec<u64>)> = Vec::new();
        let command = |keys: &[u64]| format!("READ {keys:?}");
        let mut replies_seen = 0;
        for _ in 0..20_000 {
            match next(6) {
                0 | 1 => {
                    let keys: Vec<u64> = (0..=next(2)).map(|_| next(6)).collect();
                    let names: Vec<String> = keys.iter().map(|k| format!("k{k}")).collect();
                    let ticket = cache.begin(names.iter().map(String::as_bytes));
                    let seen = keys
                        .iter()
                        .map(|k| version.get(k).copied().unwrap_or(0))
                        .collect();
                    reads.push((ticket, keys, seen));
                }
                2 if !reads.is_empty() => {
                    let (ticket, keys, seen) = reads.swap_remove(next(reads.len() as u64) as usize);
                    // The reply tells the versions it saw.
                    let reply =
                        Frame::Array(seen.iter().map(|v| Frame::Integer(*v as i64)).collect());
                    ticket.complete(command(&keys).as_bytes(), &reply);
                }
                3 if !reads.is_empty() => {
                    drop(reads.swap_remove(next(reads.len() as u64) as usize));
                }
                4 => {
                    let key = next(6);
                    *version.entry(key).or_default() += 1;
                    cache.invalidate([format!("k{key}").as_bytes()]);
                }
                5 if next(50) == 0 => cache.flush(),
                _ => {}
            }
            // Every reply kept is as of its keys' versions now.
            replies_seen += cache.store().replies.len();
            for (read_command, entry) in &cache.store().replies {
                let Frame::Array(seen) = &*entry.frame else {
                    panic!()
                };
                let keys: Vec<u64> = entry
                    .keys
                    .iter()
                    .map(|k| std::str::from_utf8(&k[1..]).unwrap().parse().unwrap())
                    .collect();
                assert_eq!(read_command, &Bytes::from(command(&keys)));
                for (key, seen) in keys.iter().zip(seen) {
                    assert_eq!(
                        *seen,
                        Frame::Integer(version.get(key).copied().unwrap_or(0) as i64)
                    );
                }
            }
            check(&cache);
        }
        // Not vacuous: replies were kept all along.
        assert!(replies_seen > 20_000, "{replies_seen}");
        drop(reads);
        assert!(cache.store().keys.values().all(|s| s.reading == 0));
    }

    #[test]
    fn bad_bounds_are_refused_by_name() {
        let e = CacheConfig::default().max_entries(0).unwrap_err();
        assert!(e.to_string().contains("max_entries"), "{e}");
        for bytes in [0, 16 * 1024 - 1] {
            let e = CacheConfig::default().max_bytes(bytes).unwrap_err();
            assert!(e.to_string().contains("max_bytes"), "{e}");
        }
        let e = CacheConfig::default()
            .ttl(Some(Duration::ZERO))
            .unwrap_err();
        assert!(e.to_string().contains("ttl"), "{e}");
    }
}

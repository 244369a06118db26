//! Client-side caching: replies of read-only commands kept by the client,
//! each under the key it read, and dropped when the server says that key
//! changed (RESP3 `CLIENT TRACKING` invalidation pushes), when the
//! connection that tracked it is lost, or to stay within the bounds.
//!
//! The store ([`Cache`]) is bounded by entries and bytes (least recently
//! used keys go first) and may expire replies after a time to live. A read
//! under way holds a [`Ticket`]: an invalidation of its key that comes
//! before its reply (the reply raced it) makes the ticket stale, and the
//! reply is not kept.
//!
//! ```
//! use redwire::cache::{Cache, CacheConfig};
//! use redwire::Frame;
//!
//! let cache = Cache::new(CacheConfig::default());
//! let ticket = cache.begin(b"user:1");
//! cache.complete(ticket, b"GET user:1", &Frame::BulkString("ada".into()));
//! assert_eq!(cache.get(b"user:1", b"GET user:1"), Some(Frame::BulkString("ada".into())));
//! cache.invalidate([&b"user:1"[..]]);
//! assert_eq!(cache.get(b"user:1", b"GET user:1"), None);
//! ```

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lru::LruCache;
use redwire_resp::Frame;

use crate::error::ConfigError;

/// What a cache entry costs beyond its bytes (its bookkeeping), counted
/// against [`CacheConfig::max_bytes`].
const OVERHEAD: usize = 64;

/// The smallest byte bound: a few entries at least.
const MIN_BYTES: usize = 1024;

/// Epochs handed out by every cache, never twice (a ticket of one cache
/// never matches in another); 0 is never handed out.
static EPOCHS: AtomicU64 = AtomicU64::new(1);

/// The bounds and expiry of a client-side cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    max_entries: NonZeroUsize,
    max_bytes: NonZeroUsize,
    ttl: Option<Duration>,
}

impl Default for CacheConfig {
    /// 10 000 entries (redis-py's `max_size`), 64 MiB, no expiry.
    fn default() -> Self {
        Self {
            max_entries: NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            max_bytes: NonZeroUsize::new(64 << 20).unwrap_or(NonZeroUsize::MIN),
            ttl: None,
        }
    }
}

impl CacheConfig {
    /// At most `n` replies kept (and reads under way noted).
    pub fn max_entries(self, n: usize) -> Result<Self, ConfigError> {
        let n = NonZeroUsize::new(n)
            .ok_or_else(|| ConfigError::invalid("max_entries", "at least 1", n))?;
        Ok(Self {
            max_entries: n,
            ..self
        })
    }

    /// At most `n` bytes (at least 1 KiB) of keys, commands and replies
    /// kept, with 64 bytes of bookkeeping each.
    pub fn max_bytes(self, n: usize) -> Result<Self, ConfigError> {
        let n = NonZeroUsize::new(n)
            .filter(|n| n.get() >= MIN_BYTES)
            .ok_or_else(|| ConfigError::invalid("max_bytes", "at least 1024", n))?;
        Ok(Self {
            max_bytes: n,
            ..self
        })
    }

    /// A reply kept longer than `ttl` is not used again; `None`: kept until
    /// invalidated or evicted.
    pub fn ttl(self, ttl: Option<Duration>) -> Result<Self, ConfigError> {
        if ttl == Some(Duration::ZERO) {
            return Err(ConfigError::invalid("ttl", "more than 0, or none", "0"));
        }
        Ok(Self { ttl, ..self })
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
    /// Entries held now (replies, and keys with a read under way).
    pub entries: u64,
    /// Bytes held now, as counted against the bound.
    pub bytes: u64,
}

/// A read under way of `key`: its reply is kept by
/// [`complete`](Cache::complete) only if `key` was not invalidated (nor the
/// cache flushed) since [`begin`](Cache::begin).
#[derive(Debug)]
#[must_use = "a ticket completes a read"]
pub struct Ticket {
    key: Bytes,
    epoch: u64,
}

/// The replies kept under one key, and the epoch of its note: a new note
/// after each invalidation, so that a ticket of before does not match.
struct Kept {
    epoch: u64,
    replies: Vec<Reply>,
}

struct Reply {
    command: Bytes,
    frame: Frame,
    weight: usize,
    stored: Instant,
}

struct Store {
    keys: LruCache<Bytes, Kept>,
    entries: usize,
    bytes: usize,
    stats: CacheStats,
}

/// A bounded client-side cache; see the [module](self).
pub struct Cache {
    config: CacheConfig,
    store: Mutex<Store>,
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
    pub fn new(config: CacheConfig) -> Self {
        Self {
            config,
            store: Mutex::new(Store {
                keys: LruCache::unbounded(),
                entries: 0,
                bytes: 0,
                stats: CacheStats::default(),
            }),
        }
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
            store.keys.clear();
            (store.entries, store.bytes) = (0, 0);
            store.stats.flushes += 1;
            self.store.clear_poison();
            store
        })
    }

    /// The reply kept for `command` (its encoded arguments) under `key`,
    /// counted as a hit; `None`, counted as a miss, when there is none (or
    /// it expired).
    pub fn get(&self, key: &[u8], command: &[u8]) -> Option<Frame> {
        let mut store = self.store();
        let ttl = self.config.ttl;
        let Some(kept) = store.keys.get_mut(key) else {
            store.stats.misses += 1;
            return None;
        };
        let Some(at) = kept.replies.iter().position(|r| r.command == command) else {
            store.stats.misses += 1;
            return None;
        };
        if ttl.is_some_and(|ttl| kept.replies[at].stored.elapsed() >= ttl) {
            let before = cost(key.len(), kept);
            kept.replies.swap_remove(at);
            let after = if kept.replies.is_empty() {
                // Nothing left under it: no note either.
                store.keys.pop(key);
                (0, 0)
            } else {
                cost(key.len(), kept)
            };
            store.recount(before, after);
            store.stats.evictions += 1;
            store.stats.misses += 1;
            return None;
        }
        let frame = kept.replies[at].frame.clone();
        store.stats.hits += 1;
        Some(frame)
    }

    /// Notes a read of `key` about to be sent (before it is written: an
    /// invalidation may come before its reply).
    pub fn begin(&self, key: &[u8]) -> Ticket {
        let mut store = self.store();
        if let Some(kept) = store.keys.get(key) {
            return Ticket {
                key: Bytes::copy_from_slice(key),
                epoch: kept.epoch,
            };
        }
        let key = Bytes::copy_from_slice(key);
        if key.len() + OVERHEAD > self.config.max_bytes.get() {
            // It can never be kept: a ticket that matches nothing.
            return Ticket { key, epoch: 0 };
        }
        let epoch = EPOCHS.fetch_add(1, Ordering::Relaxed);
        let kept = Kept {
            epoch,
            replies: Vec::new(),
        };
        // A note costs an entry and its key, bounded as replies are.
        store.recount((0, 0), cost(key.len(), &kept));
        store.keys.put(key.clone(), kept);
        self.evict(&mut store);
        Ticket { key, epoch }
    }

    /// Keeps `reply` to `command` (encoded) under the ticket's key, unless
    /// the key was invalidated since the ticket was taken, the reply is an
    /// error, or the key with it would be over a bound alone (then nothing
    /// else is evicted for it). The reply is copied: it holds no part of
    /// the connection's read buffer. Attributes (`|`) are not kept: a hit
    /// gives the value alone.
    pub fn complete(&self, ticket: Ticket, command: &[u8], reply: &Frame) {
        let Ticket { key, epoch } = ticket;
        // Copied before the lock is taken.
        let reply = (!is_error(reply)).then(|| Reply {
            command: Bytes::copy_from_slice(command),
            weight: command.len() + weight(reply) + OVERHEAD,
            frame: owned(reply),
            stored: Instant::now(),
        });
        let mut store = self.store();
        let Some(kept) = store.keys.get_mut(&key) else {
            return;
        };
        if kept.epoch != epoch {
            return;
        }
        let before = cost(key.len(), kept);
        let replaced = kept.replies.iter().position(|r| r.command == command);
        // The key's cost with the reply: refused when it alone is over a
        // bound (all else would be evicted for it).
        let (entries, bytes) = match (&reply, replaced) {
            (Some(reply), Some(at)) => {
                (before.0, before.1 - kept.replies[at].weight + reply.weight)
            }
            (Some(reply), None) => (kept.replies.len() + 1, before.1 + reply.weight),
            (None, _) => (usize::MAX, usize::MAX),
        };
        match reply {
            Some(reply)
                if entries <= self.config.max_entries.get()
                    && bytes <= self.config.max_bytes.get() =>
            {
                // One reply per command: a second read of it replaces the first.
                match replaced {
                    Some(at) => kept.replies[at] = reply,
                    None => kept.replies.push(reply),
                }
                store.recount(before, (entries, bytes));
                self.evict(&mut store);
            }
            // An error, or too big: not kept, nor the note for it if that
            // is all there is.
            _ if kept.replies.is_empty() => {
                store.keys.pop(&key);
                store.recount(before, (0, 0));
            }
            _ => {}
        }
    }

    /// Drops what is kept under each of `keys` and makes the tickets of
    /// reads under way of them stale.
    pub fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) {
        let mut store = self.store();
        for key in keys {
            if let Some((key, kept)) = store.keys.pop_entry(key) {
                store.recount(cost(key.len(), &kept), (0, 0));
                store.stats.invalidations += 1;
            }
        }
    }

    /// Drops everything, and makes every ticket stale.
    pub fn flush(&self) {
        let mut store = self.store();
        store.keys.clear();
        store.entries = 0;
        store.bytes = 0;
        store.stats.flushes += 1;
    }

    /// Its counters, and what it holds now.
    pub fn stats(&self) -> CacheStats {
        let store = self.store();
        CacheStats {
            entries: store.entries as u64,
            bytes: store.bytes as u64,
            ..store.stats
        }
    }

    /// Drops the least recently used keys until within the bounds.
    fn evict(&self, store: &mut Store) {
        while store.entries > self.config.max_entries.get()
            || store.bytes > self.config.max_bytes.get()
        {
            let Some((key, kept)) = store.keys.pop_lru() else {
                break;
            };
            store.stats.evictions += kept.replies.len().max(1) as u64;
            store.recount(cost(key.len(), &kept), (0, 0));
        }
    }
}

impl Store {
    /// Counts an entry's change of cost from `before` to `after` (entries,
    /// bytes).
    fn recount(&mut self, before: (usize, usize), after: (usize, usize)) {
        self.entries = self.entries - before.0 + after.0;
        self.bytes = self.bytes - before.1 + after.1;
    }
}

/// What `kept`, under a key of `key_len` bytes, counts against the bounds:
/// an entry per reply (one for a note of a read under way), and its bytes
/// with the key's.
fn cost(key_len: usize, kept: &Kept) -> (usize, usize) {
    let replies: usize = kept.replies.iter().map(|r| r.weight).sum();
    (kept.replies.len().max(1), key_len + OVERHEAD + replies)
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
    const FRAME: usize = 16;
    FRAME
        + match frame {
            Frame::SimpleString(b)
            | Frame::Error(b)
            | Frame::BulkString(b)
            | Frame::BigNumber(b)
            | Frame::BulkError(b)
            | Frame::VerbatimString { text: b, .. } => b.len(),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                items.iter().map(weight).sum()
            }
            Frame::Map(pairs) => pairs.iter().map(|(k, v)| weight(k) + weight(v)).sum(),
            Frame::Attributed(attributed) => weight(&attributed.frame),
            Frame::StreamedString(chunks) => chunks.iter().map(Bytes::len).sum(),
            Frame::Integer(_)
            | Frame::NullBulk
            | Frame::NullArray
            | Frame::Null
            | Frame::Boolean(_)
            | Frame::Double(_) => 0,
        }
}

/// `frame` with its bytes copied out of whatever buffer they share.
fn owned(frame: &Frame) -> Frame {
    let copy = |b: &Bytes| Bytes::copy_from_slice(b);
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

    use super::{Cache, CacheConfig, OVERHEAD};
    use bytes::Bytes;
    use redwire_resp::Frame;
    use std::time::Duration;

    fn bulk(text: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(text.as_bytes()))
    }

    fn kept(cache: &Cache, key: &str, value: &str) {
        let ticket = cache.begin(key.as_bytes());
        cache.complete(ticket, format!("GET {key}").as_bytes(), &bulk(value));
    }

    fn read(cache: &Cache, key: &str) -> Option<Frame> {
        cache.get(key.as_bytes(), format!("GET {key}").as_bytes())
    }

    #[test]
    fn a_reply_is_kept_per_command_until_its_key_is_invalidated() {
        let cache = Cache::new(CacheConfig::default());
        assert_eq!(read(&cache, "a"), None);
        kept(&cache, "a", "1");
        let ticket = cache.begin(b"a");
        cache.complete(ticket, b"STRLEN a", &Frame::Integer(1));
        assert_eq!(read(&cache, "a"), Some(bulk("1")));
        assert_eq!(cache.get(b"a", b"STRLEN a"), Some(Frame::Integer(1)));
        assert_eq!(cache.stats().entries, 2);
        cache.invalidate([&b"a"[..], &b"never-read"[..]]);
        assert_eq!(read(&cache, "a"), None);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.invalidations), (2, 2, 1));
        assert_eq!((stats.entries, stats.bytes), (0, 0));
    }

    #[test]
    fn a_reply_that_raced_an_invalidation_is_not_kept() {
        let cache = Cache::new(CacheConfig::default());
        // Invalidated while the read was under way.
        let ticket = cache.begin(b"a");
        cache.invalidate([&b"a"[..]]);
        cache.complete(ticket, b"GET a", &bulk("old"));
        assert_eq!(read(&cache, "a"), None);
        // The same, with another read begun after the invalidation: only
        // the later one's reply is kept.
        let early = cache.begin(b"a");
        cache.invalidate([&b"a"[..]]);
        let late = cache.begin(b"a");
        cache.complete(early, b"GET a", &bulk("old"));
        assert_eq!(read(&cache, "a"), None);
        cache.complete(late, b"GET a", &bulk("new"));
        assert_eq!(read(&cache, "a"), Some(bulk("new")));
        // A flush makes every ticket stale.
        let ticket = cache.begin(b"b");
        cache.flush();
        cache.complete(ticket, b"GET b", &bulk("old"));
        assert_eq!(read(&cache, "b"), None);
        assert_eq!(cache.stats().flushes, 1);
    }

    #[test]
    fn errors_are_not_kept_nor_their_notes() {
        let cache = Cache::new(CacheConfig::default());
        let ticket = cache.begin(b"a");
        cache.complete(ticket, b"GET a", &Frame::Error("WRONGTYPE".into()));
        assert_eq!(read(&cache, "a"), None);
        let ticket = cache.begin(b"b");
        let attributed = Frame::Attributed(Box::new(redwire_resp::Attributed {
            attributes: Vec::new(),
            frame: Frame::Error("WRONGTYPE".into()),
        }));
        cache.complete(ticket, b"GET b", &attributed);
        assert_eq!(read(&cache, "b"), None);
        assert_eq!((cache.stats().entries, cache.stats().bytes), (0, 0));
    }

    #[test]
    fn what_can_never_fit_evicts_nothing() {
        let cache = Cache::new(
            CacheConfig::default()
                .max_bytes(4096)
                .unwrap()
                .max_entries(4)
                .unwrap(),
        );
        for key in ["a", "b", "c"] {
            kept(&cache, key, key);
        }
        // A reply as big as the bound, a key longer than it: refused, the
        // rest kept.
        let ticket = cache.begin(b"big");
        cache.complete(ticket, b"GET big", &bulk(&"x".repeat(4000)));
        let long = "k".repeat(5000);
        let ticket = cache.begin(long.as_bytes());
        cache.complete(ticket, b"GET long", &bulk("v"));
        assert_eq!(read(&cache, "big"), None);
        for key in ["a", "b", "c"] {
            assert!(read(&cache, key).is_some(), "{key}");
        }
        // More replies under one key than the entries allow: the others go
        // first, then the one too many is refused.
        for field in 1..=5 {
            let ticket = cache.begin(b"h");
            cache.complete(ticket, format!("HGET h {field}").as_bytes(), &bulk("x"));
        }
        for field in 1..=4 {
            assert!(
                cache
                    .get(b"h", format!("HGET h {field}").as_bytes())
                    .is_some(),
                "{field}"
            );
        }
        assert_eq!(cache.get(b"h", b"HGET h 5"), None);
        assert_eq!(cache.stats().entries, 4);
    }

    #[test]
    fn a_ticket_of_one_cache_matches_nothing_in_another() {
        let (one, other) = (
            Cache::new(CacheConfig::default()),
            Cache::new(CacheConfig::default()),
        );
        let ticket = one.begin(b"a");
        let _note = other.begin(b"a");
        other.complete(ticket, b"GET a", &bulk("1"));
        assert_eq!(read(&other, "a"), None);
    }

    #[test]
    fn the_least_recently_used_keys_go_first_to_stay_within_the_entries() {
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
        assert!(cache.stats().evictions >= 1);
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
        assert!(stats.entries > 100 && stats.evictions > 99_000, "{stats:?}");
        // A reply alone over the bound is not kept.
        let ticket = cache.begin(b"huge");
        cache.complete(ticket, b"GET huge", &bulk(&"x".repeat(max)));
        assert_eq!(read(&cache, "huge"), None);
    }

    #[test]
    fn a_reply_holds_none_of_the_buffer_it_was_read_from() {
        let cache = Cache::new(CacheConfig::default());
        let buffer = Bytes::from(vec![b'x'; 1 << 20]);
        let ticket = cache.begin(b"a");
        cache.complete(ticket, b"GET a", &Frame::BulkString(buffer.slice(0..3)));
        let Some(Frame::BulkString(kept)) = read(&cache, "a") else {
            panic!("not kept")
        };
        assert_eq!(&kept[..], b"xxx");
        // The megabyte is not counted, and not held: the kept bytes are a
        // copy of their own.
        assert!(cache.stats().bytes < 200 + OVERHEAD as u64 * 2);
        assert!(!std::ptr::eq(kept.as_ptr(), buffer.as_ptr()));
    }

    #[test]
    fn replies_expire_after_their_time_to_live() {
        let config = CacheConfig::default()
            .ttl(Some(Duration::from_millis(50)))
            .unwrap();
        let cache = Cache::new(config);
        kept(&cache, "a", "1");
        assert!(read(&cache, "a").is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(read(&cache, "a"), None);
        assert_eq!(cache.stats().evictions, 1);
    }

    #[test]
    fn bad_bounds_are_refused_by_name() {
        let e = CacheConfig::default().max_entries(0).unwrap_err();
        assert!(e.to_string().contains("max_entries"), "{e}");
        for bytes in [0, 1023] {
            let e = CacheConfig::default().max_bytes(bytes).unwrap_err();
            assert!(e.to_string().contains("max_bytes"), "{e}");
        }
        let e = CacheConfig::default()
            .ttl(Some(Duration::ZERO))
            .unwrap_err();
        assert!(e.to_string().contains("ttl"), "{e}");
    }
}

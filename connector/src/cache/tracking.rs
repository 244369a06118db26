//! How the server tells a cache's connections of the keys that change:
//! the `CLIENT TRACKING` mode they are made with, and the invalidation
//! pushes they read.

use redwire_resp::Frame;

use super::Cache;

/// How the server tracks what a cache's connections read (`CLIENT
/// TRACKING ON` in their handshake, on RESP3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Tracking {
    /// The server remembers the keys each connection read and tells it
    /// when one of them changes.
    #[default]
    Default,
    /// The server remembers only the reads the cache keeps (each is sent
    /// after `CLIENT CACHING YES`): less memory on the server when many
    /// reads are not cached (`OPTIN`).
    OptIn,
    /// The server remembers nothing per connection and tells of every
    /// change to a key under one of these prefixes (every key when there
    /// is none); only keys under a prefix are cached (`BCAST PREFIX …`).
    Broadcast(Vec<String>),
}

impl Tracking {
    /// The handshake command that turns it on.
    pub(crate) fn command(&self) -> Vec<String> {
        let mut command: Vec<String> = ["CLIENT", "TRACKING", "ON"].map(String::from).into();
        match self {
            Self::Default => {}
            Self::OptIn => command.push("OPTIN".to_owned()),
            Self::Broadcast(prefixes) => {
                command.push("BCAST".to_owned());
                for prefix in prefixes {
                    command.extend(["PREFIX".to_owned(), prefix.clone()]);
                }
            }
        }
        command
    }

    /// Whether the server tells of changes to `key`: a read of it may be
    /// kept.
    pub(crate) fn covers(&self, key: &[u8]) -> bool {
        match self {
            Self::Broadcast(prefixes) if !prefixes.is_empty() => {
                prefixes.iter().any(|p| key.starts_with(p.as_bytes()))
            }
            _ => true,
        }
    }

    /// Whether each read kept must be sent after `CLIENT CACHING YES`.
    pub(crate) fn opts_in(&self) -> bool {
        *self == Self::OptIn
    }
}

impl Cache {
    /// Applies a push read on one of its connections: an `invalidate` of
    /// some keys, or of every key (a null: the server flushed, or forgot
    /// what it tracked). Other pushes are not its own: `false`.
    pub(crate) fn apply(&self, push: &Frame) -> bool {
        let Frame::Push(parts) = push else {
            return false;
        };
        match parts.as_slice() {
            [kind, keys] if kind.as_bytes() == Some(b"invalidate") => {
                match keys {
                    Frame::Array(keys) => {
                        self.invalidate(keys.iter().filter_map(Frame::as_bytes));
                    }
                    _ => self.flush(),
                }
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use redwire_resp::Frame;

    use super::Tracking;
    use crate::cache::{Cache, CacheConfig};

    fn push(parts: Vec<Frame>) -> Frame {
        Frame::Push(parts)
    }

    fn bulk(text: &str) -> Frame {
        Frame::BulkString(text.to_owned().into())
    }

    #[test]
    fn invalidation_pushes_drop_their_keys_or_everything() {
        let cache = Cache::new(CacheConfig::default());
        for key in ["a", "b"] {
            cache
                .begin([key.as_bytes()])
                .complete(key.as_bytes(), &bulk("1"));
        }
        assert!(cache.apply(&push(vec![
            bulk("invalidate"),
            Frame::Array(vec![bulk("a")])
        ])));
        assert_eq!(cache.get(b"a"), None);
        assert!(cache.get(b"b").is_some());
        assert!(!cache.apply(&push(vec![bulk("message"), bulk("ch"), bulk("b")])));
        assert!(!cache.apply(&bulk("invalidate")));
        assert!(cache.get(b"b").is_some());
        assert!(cache.apply(&push(vec![bulk("invalidate"), Frame::Null])));
        assert_eq!(cache.get(b"b"), None);
        assert_eq!(cache.stats().flushes, 1);
    }

    #[test]
    fn the_mode_says_what_is_covered_and_how_it_is_turned_on() {
        assert_eq!(Tracking::Default.command(), ["CLIENT", "TRACKING", "ON"]);
        assert_eq!(
            Tracking::OptIn.command(),
            ["CLIENT", "TRACKING", "ON", "OPTIN"]
        );
        let broadcast = Tracking::Broadcast(vec!["user:".into(), "cfg:".into()]);
        assert_eq!(
            broadcast.command(),
            ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cfg:"]
        );
        assert!(broadcast.covers(b"user:1") && broadcast.covers(b"cfg:x"));
        assert!(!broadcast.covers(b"session:1"));
        assert!(Tracking::Broadcast(Vec::new()).covers(b"anything"));
        assert!(Tracking::Default.covers(b"anything"));
        assert!(Tracking::OptIn.opts_in() && !Tracking::Default.opts_in());
    }
}

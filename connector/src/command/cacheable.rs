//! What a client-side cache makes of each command: a read whose reply it
//! may keep (and the keys that read), one that changes no key, one that
//! may change the keys among its arguments, or one that changes every key.
//!
//! The reads kept are those that read only the keys they name, and whose
//! reply depends on nothing else (no clock, no chance): the list is
//! [`CACHED_COMMANDS`].

use super::lowercase;

/// The commands whose replies a cache keeps, in lower case.
pub const CACHED_COMMANDS: &[&str] = &[
    // One key, the first argument.
    "bitcount",
    "bitfield_ro",
    "bitpos",
    "expiretime",
    "geodist",
    "geohash",
    "geopos",
    "georadius_ro",
    "georadiusbymember_ro",
    "geosearch",
    "get",
    "getbit",
    "getrange",
    "hexists",
    "hget",
    "hgetall",
    "hkeys",
    "hlen",
    "hmget",
    "hstrlen",
    "hvals",
    "lindex",
    "llen",
    "lpos",
    "lrange",
    "pexpiretime",
    "scard",
    "sismember",
    "smembers",
    "smismember",
    "strlen",
    "substr",
    "type",
    "xlen",
    "xrange",
    "xrevrange",
    "zcard",
    "zcount",
    "zlexcount",
    "zmscore",
    "zrange",
    "zrangebylex",
    "zrangebyscore",
    "zrank",
    "zrevrange",
    "zrevrangebylex",
    "zrevrangebyscore",
    "zrevrank",
    "zscore",
    // Every argument a key.
    "exists",
    "mget",
    "sdiff",
    "sinter",
    "sunion",
    // Two keys.
    "lcs",
    // A count of keys, then the keys.
    "sintercard",
    "zdiff",
    "zinter",
    "zintercard",
    "zunion",
];

/// Commands that change no key (lower case): their arguments are not
/// taken for keys written.
const UNCHANGING: &[&str] = &[
    "client",
    "cluster",
    "command",
    "config",
    "dbsize",
    "dump",
    "echo",
    "eval_ro",
    "evalsha_ro",
    "fcall_ro",
    "hrandfield",
    "hscan",
    "info",
    "keys",
    "lastsave",
    "latency",
    "lolwut",
    "memory",
    "object",
    "ping",
    "pttl",
    "publish",
    "pubsub",
    "randomkey",
    "role",
    "scan",
    "script",
    "slowlog",
    "sort_ro",
    "spublish",
    "srandmember",
    "sscan",
    "time",
    "touch",
    "ttl",
    "xinfo",
    "xpending",
    "zrandmember",
    "zscan",
];

/// What one command is to a cache.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CacheUse<'a> {
    /// Its reply may be kept; it read these keys.
    Read(Vec<&'a [u8]>),
    /// It changes no key (`TTL`, `SCAN`, `PING`, …).
    Nothing,
    /// It may change keys named among its arguments (which, is not known:
    /// each argument is taken for one).
    Write,
    /// A script or function: it may change keys not among its arguments
    /// too (a name it makes up).
    Script,
    /// It changes every key (`FLUSHALL`, `FLUSHDB`, `SWAPDB`).
    Everything,
}

/// What `args` (a command, its name first) is to a cache.
pub(crate) fn cache_use<'a>(args: &[&'a [u8]]) -> CacheUse<'a> {
    let Some((name, rest)) = args.split_first() else {
        return CacheUse::Nothing;
    };
    let mut buffer = [0u8; 24];
    let Some(name) = lowercase(name, &mut buffer) else {
        return CacheUse::Write;
    };
    match name {
        b"exists" | b"mget" | b"sdiff" | b"sinter" | b"sunion" if !rest.is_empty() => {
            CacheUse::Read(rest.to_vec())
        }
        b"lcs" if rest.len() >= 2 => CacheUse::Read(rest[..2].to_vec()),
        b"sintercard" | b"zdiff" | b"zinter" | b"zintercard" | b"zunion" => {
            let count = rest
                .first()
                .and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok());
            match count {
                Some(count) if count > 0 && rest.len() > count => {
                    CacheUse::Read(rest[1..=count].to_vec())
                }
                // The server refuses it: nothing to keep.
                _ => CacheUse::Nothing,
            }
        }
        b"flushall" | b"flushdb" | b"swapdb" => CacheUse::Everything,
        b"eval" | b"evalsha" | b"fcall" => CacheUse::Script,
        name if among(UNCHANGING, name) => CacheUse::Nothing,
        name if !rest.is_empty() && among(CACHED_COMMANDS, name) => CacheUse::Read(vec![rest[0]]),
        _ => CacheUse::Write,
    }
}

/// Whether `name` (lower case) is in `list`.
fn among(list: &[&str], name: &[u8]) -> bool {
    list.iter().any(|listed| listed.as_bytes() == name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly

    use redwire_resp::Frame;

    use super::{cache_use, CacheUse, CACHED_COMMANDS, UNCHANGING};
    use crate::Connection;

    fn use_of<'a>(words: &[&'a str]) -> CacheUse<'a> {
        let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        cache_use(&args)
    }

    fn read<'a>(keys: &[&'a str]) -> CacheUse<'a> {
        CacheUse::Read(keys.iter().map(|k| k.as_bytes()).collect())
    }

    #[test]
    fn reads_name_the_keys_they_read() {
        assert_eq!(use_of(&["GET", "a"]), read(&["a"]));
        assert_eq!(use_of(&["get", "a"]), read(&["a"]));
        assert_eq!(use_of(&["HGET", "h", "f"]), read(&["h"]));
        assert_eq!(use_of(&["MGET", "a", "b", "c"]), read(&["a", "b", "c"]));
        assert_eq!(use_of(&["EXISTS", "a", "b"]), read(&["a", "b"]));
        assert_eq!(use_of(&["LCS", "a", "b", "LEN"]), read(&["a", "b"]));
        assert_eq!(
            use_of(&["ZUNION", "2", "a", "b", "WEIGHTS", "1", "2"]),
            read(&["a", "b"])
        );
        assert_eq!(
            use_of(&["SINTERCARD", "1", "s", "LIMIT", "5"]),
            read(&["s"])
        );
        for name in CACHED_COMMANDS {
            // A count of keys first, or the first key.
            let read = |command: &[&str]| matches!(use_of(command), CacheUse::Read(keys) if keys[0] == b"k");
            assert!(read(&[name, "k", "k"]) || read(&[name, "1", "k"]), "{name}");
        }
    }

    #[test]
    fn malformed_reads_keep_nothing() {
        assert_eq!(use_of(&["GET"]), CacheUse::Write);
        assert_eq!(use_of(&["MGET"]), CacheUse::Write);
        assert_eq!(use_of(&["ZUNION", "3", "a", "b"]), CacheUse::Nothing);
        assert_eq!(use_of(&["ZUNION", "x", "a"]), CacheUse::Nothing);
        assert_eq!(use_of(&["ZUNION", "0"]), CacheUse::Nothing);
        assert_eq!(use_of(&[]), CacheUse::Nothing);
    }

    #[test]
    fn other_commands_write_change_everything_or_nothing() {
        assert_eq!(use_of(&["SET", "a", "1"]), CacheUse::Write);
        assert_eq!(use_of(&["HSET", "h", "f", "v"]), CacheUse::Write);
        assert_eq!(use_of(&["EVAL", "return 1", "1", "a"]), CacheUse::Script);
        assert_eq!(use_of(&["fcall", "f", "0"]), CacheUse::Script);
        assert_eq!(use_of(&["EVAL_RO", "return 1", "0"]), CacheUse::Nothing);
        assert_eq!(
            use_of(&["a-very-long-command-name-indeed"]),
            CacheUse::Write
        );
        assert_eq!(use_of(&["TTL", "a"]), CacheUse::Nothing);
        assert_eq!(use_of(&["PING"]), CacheUse::Nothing);
        assert_eq!(use_of(&["FLUSHALL", "ASYNC"]), CacheUse::Everything);
        assert_eq!(use_of(&["swapdb", "0", "1"]), CacheUse::Everything);
        // Not kept: its reply depends on the clock, or on chance.
        assert_eq!(use_of(&["PTTL", "a"]), CacheUse::Nothing);
        assert_eq!(use_of(&["SRANDMEMBER", "s"]), CacheUse::Nothing);
    }

    /// Each command kept reads the keys the server's own `COMMAND GETKEYS`
    /// says, and is flagged read-only by `COMMAND INFO`; none taken for
    /// changing no key is flagged `write`.
    #[tokio::test]
    async fn the_server_agrees_on_keys_and_flags() {
        let server =
            redwire_testkit::Server::start(redwire_testkit::ServerOptions::default()).unwrap();
        let config = format!("redis://127.0.0.1:{}", server.port())
            .parse()
            .unwrap();
        let mut connection = Connection::connect(&config).await.unwrap();
        let samples: &[&[&str]] = &[
            &["GET", "k"],
            &["MGET", "a", "b"],
            &["HMGET", "h", "f", "g"],
            &["LCS", "a", "b"],
            &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "2"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &[
                "GEOSEARCH",
                "g",
                "FROMLONLAT",
                "0",
                "0",
                "BYRADIUS",
                "1",
                "km",
            ],
            &["EXISTS", "a", "b", "c"],
            &["BITFIELD_RO", "b", "GET", "u8", "0"],
            &["ZINTERCARD", "2", "a", "b"],
        ];
        for sample in samples {
            let reply = connection
                .cmd(&(["COMMAND", "GETKEYS"], *sample))
                .await
                .unwrap();
            let Frame::Array(keys) = reply else {
                panic!("GETKEYS {sample:?}");
            };
            let theirs: Vec<&[u8]> = keys.iter().filter_map(Frame::as_bytes).collect();
            let args: Vec<&[u8]> = sample.iter().map(|w| w.as_bytes()).collect();
            assert_eq!(cache_use(&args), CacheUse::Read(theirs), "{sample:?}");
        }
        for name in CACHED_COMMANDS.iter().chain(UNCHANGING) {
            let Frame::Array(info) = connection.cmd(&("COMMAND", "INFO", name)).await.unwrap()
            else {
                panic!("COMMAND INFO {name}");
            };
            let Some(Frame::Array(entry)) = info.first() else {
                panic!("{name} unknown to the server");
            };
            let Some(Frame::Array(flags)) = entry.get(2) else {
                panic!("{name}: no flags");
            };
            let flagged = |flag: &str| flags.iter().any(|f| f.as_bytes() == Some(flag.as_bytes()));
            assert!(!flagged("write"), "{name}");
            if CACHED_COMMANDS.contains(name) {
                assert!(flagged("readonly"), "{name}");
            }
        }
    }
}

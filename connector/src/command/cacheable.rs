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
        b"ttl" | b"pttl" | b"scan" | b"hscan" | b"sscan" | b"zscan" | b"keys" | b"randomkey"
        | b"dbsize" | b"ping" | b"echo" | b"info" | b"time" | b"object" | b"dump" | b"memory"
        | b"hrandfield" | b"srandmember" | b"zrandmember" | b"touch" | b"command" | b"config"
        | b"lastsave" | b"role" | b"xinfo" | b"xpending" | b"publish" | b"spublish" | b"pubsub"
        | b"eval_ro" | b"evalsha_ro" | b"fcall_ro" | b"sort_ro" | b"cluster" | b"lolwut"
        | b"script" | b"client" | b"slowlog" | b"latency" => CacheUse::Nothing,
        name if !rest.is_empty() && is_cached(name) => CacheUse::Read(vec![rest[0]]),
        _ => CacheUse::Write,
    }
}

/// Whether `name` (lower case) is among [`CACHED_COMMANDS`].
fn is_cached(name: &[u8]) -> bool {
    CACHED_COMMANDS
        .iter()
        .any(|cached| cached.as_bytes() == name)
}

#[cfg(test)]
mod tests {
    use super::{cache_use, CacheUse, CACHED_COMMANDS};

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
        assert_eq!(use_of(&["EVAL", "return 1", "1", "a"]), CacheUse::Write);
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
}

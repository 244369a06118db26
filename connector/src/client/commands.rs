//! The command methods, written once in one table: on everything that runs
//! commands ([`Commands`], sent at once, the reply converted to the type
//! asked for) and on [`Pipeline`] (queued).

use std::future::Future;

use redwire_resp::{Args, Frame};

use super::Execute;
use crate::command::pipeline::Pipeline;
use crate::command::script::Script;
use crate::connection::{single, Replies};
use crate::error::Error;
use crate::reply::{mismatch, FromFrame};

/// The command table: each entry becomes a method of [`Commands`] (sent,
/// generic over the reply type) and of [`Pipeline`] (queued).
macro_rules! commands {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) => $args:expr;
    )*) => {
        /// Every command as a method, on everything that runs commands
        /// ([`Execute`]): `client.get::<Option<String>>("k")`, or with the
        /// type where the value lands (`let v: Option<String> =
        /// client.get("k").await?`). Arguments take anything that
        /// flattens to arguments ([`Args`]: strings, bytes, numbers, and
        /// slices, `Vec`s, `Option`s, tuples and maps of them); replies
        /// convert with [`FromFrame`]. A command the table lacks runs with
        /// [`query`](Self::query).
        pub trait Commands: Execute {
            /// Runs any command (its name first): its reply as `T`.
            ///
            /// ```no_run
            /// # use redwire::Commands;
            /// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
            /// let keys = ["a", "b"];
            /// let removed: u64 = client.query(("DEL", &keys)).await?;
            /// # Ok(()) }
            /// ```
            fn query<T: FromFrame>(self, args: impl Args) -> impl Future<Output = Result<T, Error>> + Send {
                let mut one = Pipeline::new();
                one.cmd(&args);
                let mut on = self;
                async move { T::from_frame(single(on.send(&one).await)?) }
            }

            $(
                $(#[$doc])*
                fn $name<T: FromFrame>(self, $($arg: $ty),*) -> impl Future<Output = Result<T, Error>> + Send {
                    self.query($args)
                }
            )*
        }

        impl<E: Execute> Commands for E {}

        /// The command methods, queued.
        impl Pipeline {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, $($arg: $ty),*) -> &mut Self {
                    self.cmd(&$args)
                }
            )*
        }
    };
}

commands! {
    // Strings.
    /// `GET key`: the value, or a null (`Option<T>` reads it as `None`).
    fn get(key: impl Args) => ("GET", key);
    /// `SET key value`.
    fn set(key: impl Args, value: impl Args) => ("SET", key, value);
    /// `SET key value` with options (expiry, `NX`/`XX`, `GET`, `KEEPTTL`):
    /// see [`SetOptions`].
    fn set_options(key: impl Args, value: impl Args, options: SetOptions) => ("SET", key, value, options);
    /// `GETDEL key`.
    fn getdel(key: impl Args) => ("GETDEL", key);
    /// `MGET key…`: one value (or null) per key.
    fn mget(keys: impl Args) => ("MGET", keys);
    /// `MSET key value …`: pairs, or a map.
    fn mset(pairs: impl Args) => ("MSET", pairs);
    /// `INCRBY key by`: the new value.
    fn incr(key: impl Args, by: i64) => ("INCRBY", key, by);
    /// `DECRBY key by`: the new value.
    fn decr(key: impl Args, by: i64) => ("DECRBY", key, by);
    /// `INCRBYFLOAT key by`: the new value.
    fn incr_float(key: impl Args, by: f64) => ("INCRBYFLOAT", key, by);
    /// `APPEND key value`: the new length.
    fn append(key: impl Args, value: impl Args) => ("APPEND", key, value);
    /// `STRLEN key`.
    fn strlen(key: impl Args) => ("STRLEN", key);
    /// `GETRANGE key start end` (inclusive, negative from the end).
    fn getrange(key: impl Args, start: i64, end: i64) => ("GETRANGE", key, start, end);
    /// `SETRANGE key offset value`: the new length.
    fn setrange(key: impl Args, offset: u64, value: impl Args) => ("SETRANGE", key, offset, value);

    // Keys.
    /// `DEL key…`: how many existed.
    fn del(keys: impl Args) => ("DEL", keys);
    /// `UNLINK key…`: how many existed (freed in the background).
    fn unlink(keys: impl Args) => ("UNLINK", keys);
    /// `EXISTS key…`: how many exist (a key named twice counts twice).
    fn exists(keys: impl Args) => ("EXISTS", keys);
    /// `EXPIRE key seconds [NX|XX|GT|LT]`: whether the timeout was set.
    fn expire(key: impl Args, seconds: i64, when: Option<Expiry>) => ("EXPIRE", key, seconds, when);
    /// `PEXPIRE key milliseconds [NX|XX|GT|LT]`.
    fn pexpire(key: impl Args, milliseconds: i64, when: Option<Expiry>) => ("PEXPIRE", key, milliseconds, when);
    /// `EXPIREAT key unix-seconds [NX|XX|GT|LT]`.
    fn expire_at(key: impl Args, unix_seconds: i64, when: Option<Expiry>) => ("EXPIREAT", key, unix_seconds, when);
    /// `TTL key`: seconds left, -1 without expiry, -2 without the key.
    fn ttl(key: impl Args) => ("TTL", key);
    /// `PTTL key`: milliseconds left, as `TTL`.
    fn pttl(key: impl Args) => ("PTTL", key);
    /// `PERSIST key`: whether a timeout was removed.
    fn persist(key: impl Args) => ("PERSIST", key);
    /// `RENAME key newkey`.
    fn rename(key: impl Args, new_key: impl Args) => ("RENAME", key, new_key);
    /// `RENAMENX key newkey`: whether it was renamed.
    fn rename_nx(key: impl Args, new_key: impl Args) => ("RENAMENX", key, new_key);
    /// `TYPE key`: `string`, `list`, `set`, `zset`, `hash`, `stream` or `none`.
    fn key_type(key: impl Args) => ("TYPE", key);
    /// `COPY source destination [REPLACE]`: whether it was copied.
    fn copy(source: impl Args, destination: impl Args, replace: bool) => ("COPY", source, destination, replace.then_some("REPLACE"));
    /// `OBJECT ENCODING key`.
    fn object_encoding(key: impl Args) => ("OBJECT", "ENCODING", key);
    /// `OBJECT IDLETIME key`: seconds since the key was last read or written.
    fn object_idletime(key: impl Args) => ("OBJECT", "IDLETIME", key);
    /// `OBJECT FREQ key` (with an LFU eviction policy).
    fn object_freq(key: impl Args) => ("OBJECT", "FREQ", key);
    /// `OBJECT REFCOUNT key`.
    fn object_refcount(key: impl Args) => ("OBJECT", "REFCOUNT", key);

    // Hashes.
    /// `HGET key field`.
    fn hget(key: impl Args, field: impl Args) => ("HGET", key, field);
    /// `HSET key field value …` (pairs, or a map): how many fields were added.
    fn hset(key: impl Args, pairs: impl Args) => ("HSET", key, pairs);
    /// `HSETNX key field value`: whether it was set.
    fn hsetnx(key: impl Args, field: impl Args, value: impl Args) => ("HSETNX", key, field, value);
    /// `HMGET key field…`: one value (or null) per field.
    fn hmget(key: impl Args, fields: impl Args) => ("HMGET", key, fields);
    /// `HGETALL key`: fields and values (a map in either protocol).
    fn hgetall(key: impl Args) => ("HGETALL", key);
    /// `HDEL key field…`: how many were removed.
    fn hdel(key: impl Args, fields: impl Args) => ("HDEL", key, fields);
    /// `HEXISTS key field`.
    fn hexists(key: impl Args, field: impl Args) => ("HEXISTS", key, field);
    /// `HINCRBY key field by`: the new value.
    fn hincr(key: impl Args, field: impl Args, by: i64) => ("HINCRBY", key, field, by);
    /// `HINCRBYFLOAT key field by`: the new value.
    fn hincr_float(key: impl Args, field: impl Args, by: f64) => ("HINCRBYFLOAT", key, field, by);
    /// `HKEYS key`.
    fn hkeys(key: impl Args) => ("HKEYS", key);
    /// `HVALS key`.
    fn hvals(key: impl Args) => ("HVALS", key);
    /// `HLEN key`.
    fn hlen(key: impl Args) => ("HLEN", key);
    /// `HSTRLEN key field`.
    fn hstrlen(key: impl Args, field: impl Args) => ("HSTRLEN", key, field);

    // Lists.
    /// `LPUSH key element…`: the new length.
    fn lpush(key: impl Args, elements: impl Args) => ("LPUSH", key, elements);
    /// `RPUSH key element…`: the new length.
    fn rpush(key: impl Args, elements: impl Args) => ("RPUSH", key, elements);
    /// `LPOP key [count]`: one element (no count) or a list of them.
    fn lpop(key: impl Args, count: Option<usize>) => ("LPOP", key, count);
    /// `RPOP key [count]`.
    fn rpop(key: impl Args, count: Option<usize>) => ("RPOP", key, count);
    /// `LLEN key`.
    fn llen(key: impl Args) => ("LLEN", key);
    /// `LRANGE key start stop` (inclusive, negative from the end).
    fn lrange(key: impl Args, start: i64, stop: i64) => ("LRANGE", key, start, stop);
    /// `LINDEX key index`.
    fn lindex(key: impl Args, index: i64) => ("LINDEX", key, index);
    /// `LSET key index element`.
    fn lset(key: impl Args, index: i64, element: impl Args) => ("LSET", key, index, element);
    /// `LREM key count element`: how many were removed.
    fn lrem(key: impl Args, count: i64, element: impl Args) => ("LREM", key, count, element);
    /// `LTRIM key start stop`.
    fn ltrim(key: impl Args, start: i64, stop: i64) => ("LTRIM", key, start, stop);
    /// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: the element moved.
    fn lmove(source: impl Args, destination: impl Args, from: Side, to: Side) => ("LMOVE", source, destination, from, to);
    /// `BLPOP key… timeout` (seconds; 0: forever): `(key, element)` or a
    /// null. Blocks: a [`Client`](crate::Client) sends it on a pooled
    /// connection.
    fn blpop(keys: impl Args, timeout: f64) => ("BLPOP", keys, timeout);
    /// `BRPOP key… timeout`, as [`blpop`](Self::blpop).
    fn brpop(keys: impl Args, timeout: f64) => ("BRPOP", keys, timeout);
    /// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`.
    fn blmove(source: impl Args, destination: impl Args, from: Side, to: Side, timeout: f64) => ("BLMOVE", source, destination, from, to, timeout);

    // Sets.
    /// `SADD key member…`: how many were added.
    fn sadd(key: impl Args, members: impl Args) => ("SADD", key, members);
    /// `SREM key member…`: how many were removed.
    fn srem(key: impl Args, members: impl Args) => ("SREM", key, members);
    /// `SMEMBERS key` (a set in either protocol: read it as a `HashSet` or a `Vec`).
    fn smembers(key: impl Args) => ("SMEMBERS", key);
    /// `SISMEMBER key member`.
    fn sismember(key: impl Args, member: impl Args) => ("SISMEMBER", key, member);
    /// `SMISMEMBER key member…`: one boolean per member.
    fn smismember(key: impl Args, members: impl Args) => ("SMISMEMBER", key, members);
    /// `SCARD key`.
    fn scard(key: impl Args) => ("SCARD", key);
    /// `SPOP key [count]`.
    fn spop(key: impl Args, count: Option<usize>) => ("SPOP", key, count);
    /// `SRANDMEMBER key [count]`.
    fn srandmember(key: impl Args, count: Option<i64>) => ("SRANDMEMBER", key, count);
    /// `SINTER key…`.
    fn sinter(keys: impl Args) => ("SINTER", keys);
    /// `SUNION key…`.
    fn sunion(keys: impl Args) => ("SUNION", keys);
    /// `SDIFF key…`.
    fn sdiff(keys: impl Args) => ("SDIFF", keys);
    /// `SMOVE source destination member`: whether it moved.
    fn smove(source: impl Args, destination: impl Args, member: impl Args) => ("SMOVE", source, destination, member);

    // Sorted sets.
    /// `ZADD key score member …`: `(score, member)` pairs, score first
    /// (the server's order); how many were added.
    fn zadd(key: impl Args, scored: impl Args) => ("ZADD", key, scored);
    /// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member …`: see [`ZAddOptions`].
    fn zadd_options(key: impl Args, options: ZAddOptions, scored: impl Args) => ("ZADD", key, options, scored);
    /// `ZREM key member…`.
    fn zrem(key: impl Args, members: impl Args) => ("ZREM", key, members);
    /// `ZSCORE key member`: the score (`Option<f64>`).
    fn zscore(key: impl Args, member: impl Args) => ("ZSCORE", key, member);
    /// `ZMSCORE key member…`: one score (or null) per member.
    fn zmscore(key: impl Args, members: impl Args) => ("ZMSCORE", key, members);
    /// `ZINCRBY key by member`: the new score.
    fn zincr(key: impl Args, by: f64, member: impl Args) => ("ZINCRBY", key, by, member);
    /// `ZCARD key`.
    fn zcard(key: impl Args) => ("ZCARD", key);
    /// `ZCOUNT key min max` (`"-inf"`, `"(1"`: the server's syntax).
    fn zcount(key: impl Args, min: impl Args, max: impl Args) => ("ZCOUNT", key, min, max);
    /// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
    /// [WITHSCORES]`: see [`ZRange`]. With scores, read it as
    /// `Vec<(String, f64)>` in either protocol.
    fn zrange(key: impl Args, range: ZRange) => ("ZRANGE", key, range);
    /// `ZRANK key member`.
    fn zrank(key: impl Args, member: impl Args) => ("ZRANK", key, member);
    /// `ZREVRANK key member`.
    fn zrevrank(key: impl Args, member: impl Args) => ("ZREVRANK", key, member);
    /// `ZPOPMIN key [count]`: `(member, score)` pairs.
    fn zpopmin(key: impl Args, count: Option<usize>) => ("ZPOPMIN", key, count);
    /// `ZPOPMAX key [count]`.
    fn zpopmax(key: impl Args, count: Option<usize>) => ("ZPOPMAX", key, count);
    /// `BZPOPMIN key… timeout`: `(key, member, score)` or a null. Blocks.
    fn bzpopmin(keys: impl Args, timeout: f64) => ("BZPOPMIN", keys, timeout);

    // HyperLogLog and bitmaps.
    /// `PFADD key element…`: whether the estimate changed.
    fn pfadd(key: impl Args, elements: impl Args) => ("PFADD", key, elements);
    /// `PFCOUNT key…`: the estimated cardinality.
    fn pfcount(keys: impl Args) => ("PFCOUNT", keys);
    /// `PFMERGE destination source…`.
    fn pfmerge(destination: impl Args, sources: impl Args) => ("PFMERGE", destination, sources);
    /// `SETBIT key offset 0|1`: the bit before.
    fn setbit(key: impl Args, offset: u64, value: bool) => ("SETBIT", key, offset, i64::from(value));
    /// `GETBIT key offset`.
    fn getbit(key: impl Args, offset: u64) => ("GETBIT", key, offset);
    /// `BITCOUNT key`.
    fn bitcount(key: impl Args) => ("BITCOUNT", key);

    // Pub/sub and server.
    /// `PUBLISH channel message`: how many subscribers got it.
    fn publish(channel: impl Args, message: impl Args) => ("PUBLISH", channel, message);
    /// `SPUBLISH shardchannel message` (Redis 7).
    fn spublish(channel: impl Args, message: impl Args) => ("SPUBLISH", channel, message);
    /// `PING`.
    fn ping() => ["PING"];
    /// `ECHO message`.
    fn echo(message: impl Args) => ("ECHO", message);
    /// `DBSIZE`: the keys of the database (on a cluster, of whichever master
    /// it reached: ask each with [`Cluster::cmd_on`](crate::Cluster::cmd_on)).
    fn dbsize() => ["DBSIZE"];
    /// `FLUSHDB` (on every master, on a cluster).
    fn flushdb() => ["FLUSHDB"];
    /// `TIME`: `(seconds, microseconds)` as strings; read as `(u64, u64)`.
    fn time() => ["TIME"];
    /// `CONFIG GET parameter…`: names and values (a map in either protocol).
    fn config_get(parameters: impl Args) => ("CONFIG", "GET", parameters);
    /// `CONFIG SET parameter value …`.
    fn config_set(pairs: impl Args) => ("CONFIG", "SET", pairs);
    /// `CLIENT ID`.
    fn client_id() => ["CLIENT", "ID"];
    /// `CLIENT LIST`.
    fn client_list() => ["CLIENT", "LIST"];
    /// `INFO [section…]`: read it as [`Info`](crate::Info) for its fields.
    fn info(sections: impl Args) => ("INFO", sections);

    // Streams.
    /// `XADD key id field value …` (`id` `"*"`: the server's): the entry's id.
    fn xadd(key: impl Args, id: impl Args, fields: impl Args) => ("XADD", key, id, fields);
    /// `XADD key MAXLEN ~ max id field value …`: trims to about `max` entries.
    fn xadd_maxlen(key: impl Args, max: u64, id: impl Args, fields: impl Args) => ("XADD", key, "MAXLEN", "~", max, id, fields);
    /// `XLEN key`.
    fn xlen(key: impl Args) => ("XLEN", key);
    /// `XRANGE key start end [COUNT n]` (`"-"`, `"+"`): read as `Vec<StreamEntry>`.
    fn xrange(key: impl Args, start: impl Args, end: impl Args, count: Option<usize>) => ("XRANGE", key, start, end, count.map(|n| ("COUNT", n)));
    /// `XREVRANGE key end start [COUNT n]`.
    fn xrevrange(key: impl Args, end: impl Args, start: impl Args, count: Option<usize>) => ("XREVRANGE", key, end, start, count.map(|n| ("COUNT", n)));
    /// `XDEL key id…`.
    fn xdel(key: impl Args, ids: impl Args) => ("XDEL", key, ids);
    /// `XTRIM key MAXLEN ~ max`: how many entries were removed.
    fn xtrim(key: impl Args, max: u64) => ("XTRIM", key, "MAXLEN", "~", max);
    /// `XREAD [COUNT n] [BLOCK ms] STREAMS key… id…`: read as
    /// `Vec<(String, Vec<StreamEntry>)>` (or a map), a null when nothing
    /// came. With `block`, a [`Client`](crate::Client) sends it on a
    /// pooled connection.
    fn xread(options: XRead, keys: impl Args, ids: impl Args) => ("XREAD", options, "STREAMS", keys, ids);
    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key… id…`
    /// (`">"`: entries never delivered to the group).
    fn xreadgroup(group: impl Args, consumer: impl Args, options: XRead, keys: impl Args, ids: impl Args) => ("XREADGROUP", "GROUP", group, consumer, options, "STREAMS", keys, ids);
    /// `XACK key group id…`: how many were acknowledged.
    fn xack(key: impl Args, group: impl Args, ids: impl Args) => ("XACK", key, group, ids);
    /// `XGROUP CREATE key group id [MKSTREAM]` (`"$"`: only new entries).
    fn xgroup_create(key: impl Args, group: impl Args, id: impl Args, mkstream: bool) => ("XGROUP", "CREATE", key, group, id, mkstream.then_some("MKSTREAM"));
    /// `XGROUP DESTROY key group`.
    fn xgroup_destroy(key: impl Args, group: impl Args) => ("XGROUP", "DESTROY", key, group);
    /// `XPENDING key group`: the summary (count, smallest and largest id,
    /// consumers).
    fn xpending(key: impl Args, group: impl Args) => ("XPENDING", key, group);
    /// `XPENDING key group start end count`: `(id, consumer, idle ms, deliveries)` each.
    fn xpending_range(key: impl Args, group: impl Args, start: impl Args, end: impl Args, count: usize) => ("XPENDING", key, group, start, end, count);
    /// `XCLAIM key group consumer min-idle-ms id…`: the entries claimed.
    fn xclaim(key: impl Args, group: impl Args, consumer: impl Args, min_idle_ms: u64, ids: impl Args) => ("XCLAIM", key, group, consumer, min_idle_ms, ids);
    /// `XAUTOCLAIM key group consumer min-idle-ms start [COUNT n]`: the next
    /// start, the entries claimed, the ids deleted meanwhile.
    fn xautoclaim(key: impl Args, group: impl Args, consumer: impl Args, min_idle_ms: u64, start: impl Args, count: Option<usize>) => ("XAUTOCLAIM", key, group, consumer, min_idle_ms, start, count.map(|n| ("COUNT", n)));
    /// `XINFO STREAM key`: its fields (read as `HashMap<String, Frame>`).
    fn xinfo_stream(key: impl Args) => ("XINFO", "STREAM", key);
    /// `XINFO GROUPS key`.
    fn xinfo_groups(key: impl Args) => ("XINFO", "GROUPS", key);

    // Geo.
    /// `GEOADD key longitude latitude member …`: `(lon, lat, member)` triples.
    fn geoadd(key: impl Args, points: impl Args) => ("GEOADD", key, points);
    /// `GEODIST key a b [M|KM|FT|MI]`: `Option<f64>`.
    fn geodist(key: impl Args, a: impl Args, b: impl Args, unit: Option<&'static str>) => ("GEODIST", key, a, b, unit);
    /// `GEOPOS key member…`: `Vec<Option<(f64, f64)>>`.
    fn geopos(key: impl Args, members: impl Args) => ("GEOPOS", key, members);
    /// `GEOHASH key member…`.
    fn geohash(key: impl Args, members: impl Args) => ("GEOHASH", key, members);
    /// `GEOSEARCH key FROMLONLAT lon lat BYRADIUS r unit ASC`: the members
    /// within `radius`, nearest first.
    fn geosearch_radius(key: impl Args, longitude: f64, latitude: f64, radius: f64, unit: &'static str) => ("GEOSEARCH", key, "FROMLONLAT", longitude, latitude, "BYRADIUS", radius, unit, "ASC");

    // Functions.
    /// `FUNCTION LOAD [REPLACE] code` (on every master of a cluster): the
    /// library's name.
    fn function_load(code: impl Args, replace: bool) => ("FUNCTION", "LOAD", replace.then_some("REPLACE"), code);
    /// `FCALL function numkeys key… arg…` (routed by its first key).
    fn fcall(function: impl Args, keys: impl Args, args: impl Args) => ("FCALL", function, count(&keys), keys, args);
    /// `FCALL_RO function numkeys key… arg…`.
    fn fcall_ro(function: impl Args, keys: impl Args, args: impl Args) => ("FCALL_RO", function, count(&keys), keys, args);
}

/// How many arguments `args` flattens to.
fn count(args: &impl Args) -> usize {
    let mut n = 0;
    args.for_each_arg(&mut |_| n += 1);
    n
}

/// `XREAD`'s and `XREADGROUP`'s options; the default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct XRead {
    count: Option<usize>,
    block: Option<u64>,
    noack: bool,
}

impl XRead {
    /// `COUNT n`: at most `n` entries per stream.
    pub fn count(self, count: usize) -> Self {
        Self {
            count: Some(count),
            ..self
        }
    }
    /// `BLOCK ms`: wait up to `ms` milliseconds (0: for ever) for entries.
    pub fn block(self, milliseconds: u64) -> Self {
        Self {
            block: Some(milliseconds),
            ..self
        }
    }
    /// `NOACK` (`XREADGROUP` only): no pending entry is kept.
    pub fn noack(self) -> Self {
        Self {
            noack: true,
            ..self
        }
    }
}

impl Args for XRead {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.count.map(|n| ("COUNT", n)).for_each_arg(f);
        self.block.map(|ms| ("BLOCK", ms)).for_each_arg(f);
        self.noack.then_some("NOACK").for_each_arg(f);
    }
}

/// `SET`'s options, with the server's names; the default is none.
///
/// ```
/// use redwire::SetOptions;
///
/// let options = SetOptions::default().ex(60).nx();
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct SetOptions {
    expiry: Option<(&'static str, u64)>,
    condition: Option<&'static str>,
    get: bool,
}

impl SetOptions {
    /// `EX seconds`.
    pub fn ex(self, seconds: u64) -> Self {
        Self {
            expiry: Some(("EX", seconds)),
            ..self
        }
    }
    /// `PX milliseconds`.
    pub fn px(self, milliseconds: u64) -> Self {
        Self {
            expiry: Some(("PX", milliseconds)),
            ..self
        }
    }
    /// `EXAT unix-seconds`.
    pub fn exat(self, unix_seconds: u64) -> Self {
        Self {
            expiry: Some(("EXAT", unix_seconds)),
            ..self
        }
    }
    /// `PXAT unix-milliseconds`.
    pub fn pxat(self, unix_milliseconds: u64) -> Self {
        Self {
            expiry: Some(("PXAT", unix_milliseconds)),
            ..self
        }
    }
    /// `KEEPTTL`: the key keeps its timeout.
    pub fn keepttl(self) -> Self {
        Self {
            expiry: Some(("KEEPTTL", 0)),
            ..self
        }
    }
    /// `NX`: only when the key does not exist (the reply is then a null
    /// when it did: read it as `Option<()>` or `bool`).
    pub fn nx(self) -> Self {
        Self {
            condition: Some("NX"),
            ..self
        }
    }
    /// `XX`: only when the key exists.
    pub fn xx(self) -> Self {
        Self {
            condition: Some("XX"),
            ..self
        }
    }
    /// `GET`: the reply is the value before.
    pub fn get(self) -> Self {
        Self { get: true, ..self }
    }
}

impl Args for SetOptions {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        match self.expiry {
            Some(("KEEPTTL", _)) => f(b"KEEPTTL"),
            Some((name, value)) => (name, value).for_each_arg(f),
            None => {}
        }
        self.condition.for_each_arg(f);
        self.get.then_some("GET").for_each_arg(f);
    }
}

/// When `EXPIRE` and its kin set the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `NX`: only when the key has none.
    Nx,
    /// `XX`: only when it has one.
    Xx,
    /// `GT`: only when the new one is later.
    Gt,
    /// `LT`: only when the new one is sooner.
    Lt,
}

impl Args for Expiry {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        f(match self {
            Self::Nx => b"NX",
            Self::Xx => b"XX",
            Self::Gt => b"GT",
            Self::Lt => b"LT",
        });
    }
}

/// An end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `LEFT`: the head.
    Left,
    /// `RIGHT`: the tail.
    Right,
}

impl Args for Side {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        f(match self {
            Self::Left => b"LEFT",
            Self::Right => b"RIGHT",
        });
    }
}

/// `ZADD`'s options; the default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct ZAddOptions {
    condition: Option<&'static str>,
    comparison: Option<&'static str>,
    changed: bool,
    incr: bool,
}

impl ZAddOptions {
    /// `NX`: only add new members.
    pub fn nx(self) -> Self {
        Self {
            condition: Some("NX"),
            ..self
        }
    }
    /// `XX`: only update existing members.
    pub fn xx(self) -> Self {
        Self {
            condition: Some("XX"),
            ..self
        }
    }
    /// `GT`: only update to a greater score.
    pub fn gt(self) -> Self {
        Self {
            comparison: Some("GT"),
            ..self
        }
    }
    /// `LT`: only update to a lesser score.
    pub fn lt(self) -> Self {
        Self {
            comparison: Some("LT"),
            ..self
        }
    }
    /// `CH`: the reply counts changed members, not only added ones.
    pub fn ch(self) -> Self {
        Self {
            changed: true,
            ..self
        }
    }
    /// `INCR`: add the score to the member's (one pair); the reply is the
    /// new score.
    pub fn incr(self) -> Self {
        Self { incr: true, ..self }
    }
}

impl Args for ZAddOptions {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.condition.for_each_arg(f);
        self.comparison.for_each_arg(f);
        self.changed.then_some("CH").for_each_arg(f);
        self.incr.then_some("INCR").for_each_arg(f);
    }
}

/// What `ZRANGE` reads: by index (the default), by score or by
/// lexicographic order, reversed, limited, with scores.
///
/// ```
/// use redwire::ZRange;
///
/// // The ten best scores of at least 100.
/// let range = ZRange::by_score("+inf", 100).rev().limit(0, 10).with_scores();
/// # let _ = range;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ZRange {
    start: String,
    stop: String,
    by: Option<&'static str>,
    rev: bool,
    limit: Option<(i64, i64)>,
    with_scores: bool,
}

// Bounds by value: callers pass literals and numbers (`"+inf"`, `100`).
#[allow(clippy::needless_pass_by_value)]
impl ZRange {
    fn new(start: String, stop: String, by: Option<&'static str>) -> Self {
        Self {
            start,
            stop,
            by,
            rev: false,
            limit: None,
            with_scores: false,
        }
    }
    /// From index `start` to `stop`, inclusive (negative from the end).
    pub fn by_index(start: i64, stop: i64) -> Self {
        Self::new(start.to_string(), stop.to_string(), None)
    }
    /// `BYSCORE`: scores from `min` to `max` (`"-inf"`, `"(5"` for
    /// exclusive: the server's syntax); with [`rev`](Self::rev), `max`
    /// first.
    pub fn by_score(min: impl ToString, max: impl ToString) -> Self {
        Self::new(min.to_string(), max.to_string(), Some("BYSCORE"))
    }
    /// `BYLEX`: members from `min` to `max` (`"[a"`, `"(b"`, `"-"`, `"+"`).
    pub fn by_lex(min: impl ToString, max: impl ToString) -> Self {
        Self::new(min.to_string(), max.to_string(), Some("BYLEX"))
    }
    /// `REV`: highest first.
    pub fn rev(self) -> Self {
        Self { rev: true, ..self }
    }
    /// `LIMIT offset count` (by score or lex).
    pub fn limit(self, offset: i64, count: i64) -> Self {
        Self {
            limit: Some((offset, count)),
            ..self
        }
    }
    /// `WITHSCORES`.
    pub fn with_scores(self) -> Self {
        Self {
            with_scores: true,
            ..self
        }
    }
}

impl Args for ZRange {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        (&self.start, &self.stop, self.by).for_each_arg(f);
        self.rev.then_some("REV").for_each_arg(f);
        self.limit.map(|(o, c)| ("LIMIT", o, c)).for_each_arg(f);
        self.with_scores.then_some("WITHSCORES").for_each_arg(f);
    }
}

impl Pipeline {
    /// Makes the pipeline a transaction: every executor sends it between
    /// `MULTI` and `EXEC`, so its commands run together, nothing else
    /// between them; [`query`](Self::query) then reads `EXEC`'s reply
    /// (one reply per command). A command the server refused to queue
    /// discards it all: the error is `EXECABORT`, with the refusal's
    /// message after it.
    pub fn atomic(&mut self) -> &mut Self {
        self.set_atomic();
        self
    }

    /// Sends the pipeline on `on` and reads its replies as `T`: a tuple
    /// with one element per command, a `Vec`, or a [`Frame`] array. An
    /// error reply of any command is the error.
    ///
    /// ```no_run
    /// # use redwire::{Client, Pipeline};
    /// # async fn demo(client: &Client) -> Result<(), redwire::Error> {
    /// let (set, value): ((), String) = Pipeline::new()
    ///     .set("k", "v")
    ///     .get("k")
    ///     .query(client)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn query<T: FromFrame>(&self, mut on: impl Execute) -> Result<T, Error> {
        let scripts = self.scripts();
        // A transaction built by hand too.
        let transaction = self.is_atomic() || self.is_transaction();
        if transaction && !scripts.is_empty() {
            // Inside `EXEC` a missing script fails after the commands before
            // it ran: loaded first, so that the transaction runs whole.
            load(&mut on, scripts).await?;
        }
        let mut replies = on.send(self).await?;
        if !transaction && !scripts.is_empty() {
            self.run_again_without_noscript(&mut on, &mut replies)
                .await?;
        }
        if self.is_atomic() {
            return T::from_frame(exec_reply(replies)?);
        }
        let frames = replies
            .into_iter()
            .map(|reply| reply.map_err(Error::Server))
            .collect::<Result<Vec<Frame>, Error>>()?;
        T::from_frame(Frame::Array(frames))
    }

    /// Queues `script` (`EVALSHA`) with `keys` and `args`. A server that
    /// lacks it answers `NOSCRIPT`: [`query`](Self::query) then loads it
    /// and sends those commands once more, after the others (they did not
    /// run); an atomic pipeline loads its scripts before it is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
    /// use redwire::{Pipeline, Script};
    ///
    /// let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    /// let (a, b): (i64, i64) = Pipeline::new()
    ///     .invoke(&add, "a", 1)
    ///     .invoke(&add, "b", 2)
    ///     .query(client)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn invoke(&mut self, script: &Script, keys: impl Args, args: impl Args) -> &mut Self {
        self.add_script(script);
        self.cmd(&("EVALSHA", script.sha(), count(&keys), keys, args))
    }

    /// Loads the scripts and sends once more the commands answered
    /// `NOSCRIPT` (which did not run), their replies put in place.
    async fn run_again_without_noscript(
        &self,
        on: &mut impl Execute,
        replies: &mut Replies,
    ) -> Result<(), Error> {
        let lacking: Vec<usize> = replies
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Err(e) if e.code() == "NOSCRIPT"))
            .map(|(i, _)| i)
            .collect();
        if lacking.is_empty() {
            return Ok(());
        }
        // The other commands ran: a script the server refused is each of
        // its commands' reply, not the whole query's error.
        match load(on, self.scripts()).await {
            Ok(()) => {}
            Err(Error::Server(refused)) => {
                for i in lacking {
                    replies[i] = Err(refused.clone());
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let mut again = Pipeline::new();
        let commands: Vec<_> = self.commands().collect();
        for &i in &lacking {
            again.push(commands[i]);
        }
        let answers = on.send(&again).await?;
        for (i, answer) in lacking.into_iter().zip(answers) {
            replies[i] = answer;
        }
        Ok(())
    }
}

/// `SCRIPT LOAD` of each of `scripts` (on every master of a cluster); a
/// source the server cannot compile is its error.
async fn load(on: &mut impl Execute, scripts: &[Script]) -> Result<(), Error> {
    let mut loads = Pipeline::new();
    for script in scripts {
        loads.cmd(&("SCRIPT", "LOAD", script.source()));
    }
    for reply in on.send(&loads).await? {
        reply.map_err(Error::Server)?;
    }
    Ok(())
}

/// What a transaction's replies (`MULTI`'s, each `QUEUED`, `EXEC`'s) come
/// to: `EXEC`'s array; a refused `MULTI`'s error; `EXECABORT` with the
/// first refusal's message; [`Error::Aborted`] for a null `EXEC` (a
/// watched key changed).
fn exec_reply(replies: Replies) -> Result<Frame, Error> {
    let mut replies = replies.into_iter();
    if let Some(Err(multi)) = replies.next() {
        return Err(Error::Server(multi));
    }
    let exec = replies.next_back();
    let refused = replies.find_map(Result::err);
    match exec {
        Some(Ok(Frame::Array(replies))) => Ok(Frame::Array(replies)),
        Some(Ok(frame)) if frame.is_null() => Err(Error::Aborted),
        Some(Ok(frame)) => Err(mismatch("EXEC's array of replies", &frame)),
        Some(Err(exec)) => Err(Error::Server(match refused {
            Some(refused) => exec.because(&refused),
            None => exec,
        })),
        None => Err(Error::EmptyCommand),
    }
}

impl Script {
    /// Runs the script (`EVALSHA`) on `on` with `keys` and `args`: its
    /// reply as `T`. A server that does not have it (`NOSCRIPT`: new,
    /// restarted, flushed) gets it loaded (`SCRIPT LOAD`, on every master
    /// of a cluster) and runs it then: nothing ran twice, as a script the
    /// server lacked did not run.
    ///
    /// ```no_run
    /// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
    /// use redwire::Script;
    ///
    /// let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    /// let total: i64 = add.invoke(client, "counter", 5).await?;
    /// # Ok(()) }
    /// ```
    pub async fn invoke<T: FromFrame>(
        &self,
        on: impl Execute,
        keys: impl Args,
        args: impl Args,
    ) -> Result<T, Error> {
        let mut one = Pipeline::new();
        one.invoke(self, keys, args);
        let (value,): (T,) = one.query(on).await?;
        Ok(value)
    }
}

"""redwire and redis-py side by side on one server: the same calls give
the same replies and raise the same exception classes; and what redis-py
programs do beyond commands (dict access, awaiting, closing)."""

import asyncio
import datetime
import time
import typing
from typing import Any, Dict, List, Tuple

import pytest
import redis
import typeguard

import redwire
import redwire.asyncio
from redwire.commands import _S

Call = Tuple[str, Tuple[Any, ...], Dict[str, Any]]

#: Calls made in order on each client, each on a database of its own.
CALLS: List[Call] = [
    ("set", ("s", "v"), {}),
    ("set", ("s", "w"), {"nx": True}),
    ("set", ("s", "w"), {"xx": True, "get": True}),
    ("set", ("t", "1"), {"exat": 4102444800}),
    ("set", ("t2", "1"), {"pxat": datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)}),
    ("ttl", ("t",), {}),
    ("get", ("s",), {}),
    ("append", ("s", "!"), {}),
    ("setex", ("e", datetime.timedelta(seconds=50), "x"), {}),
    ("expire", ("e", 100), {"gt": True}),
    ("expire", ("e", 10), {"gt": True}),
    ("expire", ("nokey", 10), {}),
    ("pexpire", ("e", 5000), {"lt": True}),
    ("mget", (["s", "nokey", "e"],), {}),
    ("mget", ("s", "e"), {}),
    ("hset", ("h",), {"mapping": {"name": "ada", "age": "36"}}),
    ("hmget", ("h", "name", "age"), {}),
    ("hmget", ("h", ["age", "name", "none"]), {}),
    ("rpush", ("l", "a", "b", "c", "d"), {}),
    ("lpop", ("l",), {}),
    ("lpop", ("l", 2), {}),
    ("rpop", ("l", 5), {}),
    ("lpop", ("l", 1), {}),
    ("zadd", ("z", {"a": 1, "b": 2, "c": 3}), {}),
    ("zadd", ("z", {"a": 5}), {"xx": True, "ch": True}),
    ("zadd", ("z", {"b": 1}), {"gt": True, "ch": True}),
    ("zadd", ("z", {"d": 4}), {"incr": True}),
    ("zadd", ("z", {"zz": 4}), {"xx": True, "incr": True}),
    ("zscore", ("z", "a"), {}),
    ("zrange", ("z", 0, -1), {}),
    ("zrange", ("z", 0, -1, True), {}),
    ("zrange", ("z", 0, -1, False, True), {}),
    ("zrange", ("z", 0, 1), {"desc": True, "withscores": True, "score_cast_func": int}),
    ("zrange", ("z", 2, 4), {"byscore": True, "withscores": True}),
    ("zrange", ("z", "+inf", "-inf"), {"byscore": True, "desc": True, "offset": 1, "num": 2}),
    ("zrange", ("z", 0, 1), {"desc": True, "use_rev": True}),
    # Strings, bitmaps, HyperLogLogs.
    ("getset", ("g", "1"), {}),
    ("getset", ("g", "2"), {}),
    ("getdel", ("g",), {}),
    ("set", ("gx", "v"), {}),
    ("getex", ("gx",), {"ex": 100}),
    ("getex", ("gx",), {"persist": True}),
    ("ttl", ("gx",), {}),
    ("getrange", ("gx", 0, 0), {}),
    ("setrange", ("gx", 1, "xyz"), {}),
    ("substr", ("gx", 1), {}),
    ("psetex", ("ps", 100000, "v"), {}),
    ("msetnx", ({"m1": "a", "m2": "b"},), {}),
    ("msetnx", ({"m1": "c", "m3": "d"},), {}),
    ("mset", ({"n1": 5},), {}),
    ("decrby", ("n1", 2), {}),
    ("incrbyfloat", ("n1", 0.5), {}),
    ("strlen", ("gx",), {}),
    ("set", ("lcs1", "ohmytext"), {}),
    ("set", ("lcs2", "mynewtext"), {}),
    ("lcs", ("lcs1", "lcs2"), {}),
    ("lcs", ("lcs1", "lcs2"), {"len": True}),
    ("setbit", ("b", 7, 1), {}),
    ("getbit", ("b", 7), {}),
    ("bitcount", ("b",), {}),
    ("bitcount", ("b", 0, 0), {}),
    ("bitpos", ("b", 1), {}),
    ("bitop", ("OR", "b2", "b", "gx"), {}),
    ("pfadd", ("hll", "a", "b", "c"), {}),
    ("pfcount", ("hll",), {}),
    ("pfmerge", ("hll2", "hll"), {}),
    # Keys.
    ("copy", ("gx", "gx2"), {}),
    ("copy", ("gx", "gx2"), {}),
    ("copy", ("gx", "gx2"), {"replace": True}),
    ("renamenx", ("gx2", "gx"), {}),
    ("touch", ("gx", "gx2", "none"), {}),
    ("unlink", ("gx2",), {}),
    ("expireat", ("gx", 4102444800), {}),
    ("expiretime", ("gx",), {}),
    ("pexpireat", ("gx", 4102444800000), {"xx": True}),
    ("pexpiretime", ("gx",), {}),
    ("object", ("encoding", "gx"), {}),
    ("object", ("refcount", "gx"), {}),
    ("type", ("gx",), {}),
    ("persist", ("gx",), {}),
    # Hashes.
    ("hsetnx", ("h", "name", "x"), {}),
    ("hsetnx", ("h", "city", "x"), {}),
    ("hstrlen", ("h", "name"), {}),
    ("hkeys", ("h",), {}),
    ("hvals", ("h",), {}),
    ("hlen", ("h",), {}),
    ("hincrby", ("h", "age", 2), {}),
    ("hincrbyfloat", ("h", "age", 0.5), {}),
    ("hexists", ("h", "age"), {}),
    ("hdel", ("h", "city", "none"), {}),
    ("hgetall", ("h",), {}),
    # Lists.
    ("rpush", ("l2", "a", "b", "c", "b"), {}),
    ("lindex", ("l2", 1), {}),
    ("linsert", ("l2", "BEFORE", "c", "x"), {}),
    ("lset", ("l2", 0, "z"), {}),
    ("lrem", ("l2", 0, "b"), {}),
    ("lpos", ("l2", "c"), {}),
    ("lpos", ("l2", "c"), {"count": 0}),
    ("lpushx", ("l2", "p"), {}),
    ("rpushx", ("none", "p"), {}),
    ("ltrim", ("l2", 0, 2), {}),
    ("lrange", ("l2", 0, -1), {}),
    ("rpoplpush", ("l2", "l3"), {}),
    ("lmove", ("l2", "l3", "LEFT", "LEFT"), {}),
    ("lmpop", (2, "none", "l3"), {"direction": "LEFT", "count": 2}),
    ("brpop", (["none", "l2"], 1), {}),
    ("brpoplpush", ("l2", "l3", 1), {}),
    ("blmove", ("l3", "l2", 1), {}),
    ("blmpop", (1, 1, "l2"), {"direction": "RIGHT"}),
    ("llen", ("l2",), {}),
    # Sets.
    ("sadd", ("s1", "a", "b", "c"), {}),
    ("sadd", ("s2", "b", "c", "d"), {}),
    ("sinter", ("s1", "s2"), {}),
    ("sunion", (["s1", "s2"],), {}),
    ("sdiff", ("s1", "s2"), {}),
    ("sinterstore", ("s3", "s1", "s2"), {}),
    ("sunionstore", ("s4", ["s1", "s2"]), {}),
    ("sdiffstore", ("s5", "s1", "s2"), {}),
    ("smove", ("s1", "s2", "a"), {}),
    ("smismember", ("s2", ["a", "z"]), {}),
    ("smismember", ("s2", "a", "b"), {}),
    ("sintercard", (2, ["s1", "s2"]), {}),
    ("scard", ("s2",), {}),
    ("sismember", ("s2", "a"), {}),
    ("srem", ("s2", "a"), {}),
    ("smembers", ("s3",), {}),
    ("spop", ("s5",), {}),
    ("srandmember", ("s3", 0), {}),
    # Sorted sets.
    ("zadd", ("zz", {"a": 1, "b": 2, "c": 3, "d": 4}), {}),
    ("zadd", ("zy", {"b": 1, "c": 1, "e": 5}), {}),
    ("zrem", ("zz", "d"), {}),
    ("zincrby", ("zz", 2.5, "a"), {}),
    ("zcount", ("zz", 2, "+inf"), {}),
    ("zlexcount", ("zy", "-", "+"), {}),
    ("zrank", ("zz", "b"), {}),
    ("zrevrank", ("zz", "b"), {}),
    ("zrevrange", ("zz", 0, -1), {"withscores": True}),
    ("zrangebyscore", ("zz", 1, 3), {"withscores": True}),
    ("zrangebyscore", ("zz", "-inf", "+inf", 1, 1), {}),
    ("zrevrangebyscore", ("zz", "+inf", "-inf"), {"withscores": True, "score_cast_func": int}),
    ("zrangebylex", ("zy", "-", "+"), {}),
    ("zrevrangebylex", ("zy", "+", "-", 0, 2), {}),
    ("zmscore", ("zz", ["a", "none"]), {}),
    ("zrangestore", ("zs", "zz", 0, -1), {}),
    ("zrangestore", ("zs2", "zz", 1, 3), {"byscore": True}),
    ("zunionstore", ("zu", ["zz", "zy"]), {}),
    ("zunionstore", ("zu2", {"zz": 2, "zy": 1}), {"aggregate": "MAX"}),
    ("zinterstore", ("zi", ["zz", "zy"]), {"aggregate": "MIN"}),
    ("zunion", (["zz", "zy"],), {"withscores": True}),
    ("zinter", ({"zz": 1, "zy": 3},), {"withscores": True}),
    ("zdiff", (["zz", "zy"],), {}),
    ("zdiff", (["zz", "zy"],), {"withscores": True}),
    ("zdiffstore", ("zd", ["zz", "zy"]), {}),
    ("zintercard", (2, ["zz", "zy"]), {}),
    ("zpopmin", ("zu",), {}),
    ("zpopmax", ("zu", 2), {}),
    ("bzpopmin", (["none", "zu"], 1), {}),
    ("bzpopmax", ("zu2", 1), {}),
    ("zmpop", (1, ["zy"]), {"min": True, "count": 2}),
    ("zremrangebyrank", ("zs", 0, 0), {}),
    ("zremrangebyscore", ("zz", "-inf", 2), {}),
    ("zremrangebylex", ("zy", "-", "+"), {}),
    ("zrandmember", ("zs", 0), {}),
    # Scans (a key's whole content in one step: small collections).
    ("hscan", ("h",), {}),
    ("sscan", ("s3",), {}),
    ("zscan", ("zs",), {"score_cast_func": int}),
    ("pfcount", ("hll", "hll2"), {}),
    # Strings and keys not met above.
    ("setnx", ("nx1", "v"), {}),
    ("setnx", ("nx1", "v"), {}),
    ("incr", ("cnt",), {}),
    ("incr", ("cnt", 5), {}),
    ("incrby", ("cnt", 2), {}),
    ("decr", ("cnt",), {}),
    ("pttl", ("nx1",), {}),
    ("rename", ("nx1", "nx2"), {}),
    ("keys", ("nx*",), {}),
    ("move", ("nokey", 1), {}),
    ("restore", ("rs", 0, b"\x00\xc0\x04\n\x00\xdd\x17\x1f\xa8\xaa~\xa1\xa5"), {}),
    ("restore", ("rs", 0, b"\x00\xc0\x04\n\x00\xdd\x17\x1f\xa8\xaa~\xa1\xa5"), {"replace": True}),
    ("dump", ("rs",), {}),
    ("dump", ("nokey",), {}),
    ("hget", ("hr", "f"), {}),
    ("hset", ("hr", "f", "v"), {}),
    ("hget", ("hr", "f"), {}),
    ("hrandfield", ("hr",), {}),
    ("hrandfield", ("nokey",), {}),
    ("hrandfield", ("hr", 2), {}),
    ("hrandfield", ("hr", 1, True), {}),
    ("lpush", ("bl", "a", "b"), {}),
    ("blpop", (["nokey", "bl"], 1), {}),
    ("blpop", ("nokey", 0.01), {}),
    ("set", ("sg", "v"), {"get": True}),
    ("set", ("sg", "w"), {"get": True}),
    ("lcs", ("lcs1", "lcs2"), {"idx": True, "minmatchlen": 2, "withmatchlen": True}),
    ("lpop", ("nokey", 2), {}),
    ("spop", ("nokey", 2), {}),
    ("srandmember", ("nokey",), {}),
    ("object", ("encoding", "nokey"), {}),
    ("zcard", ("zz",), {}),
    ("zrevrange", ("zz", 0, -1), {}),
    ("zunion", (["zz", "zy"],), {"withscores": True, "score_cast_func": int}),
    ("zinter", (["zz", "zy"],), {}),
    ("zrandmember", ("none",), {}),
    ("zrandmember", ("zs", 5, True), {}),
    ("bzpopmin", ("none", 0.1), {}),
    ("zmpop", (1, ["none"]), {"max": True}),
    ("zscan", ("zz",), {}),
    ("scan", (0,), {"match": "zz", "count": 1000}),
    ("scan", (0,), {"match": "zz", "_type": "zset"}),
    # Streams (ids given: both clients' entries are the same).
    ("xadd", ("st", {"temp": "21", "room": "k"}), {"id": "1-0"}),
    ("xadd", ("st", {"temp": "22"}), {"id": "2-0"}),
    ("xadd", ("st", {"temp": "23"}), {"id": "3-0", "maxlen": 10, "approximate": False}),
    ("xadd", ("nost", {"a": "1"}), {"nomkstream": True}),
    ("xlen", ("st",), {}),
    ("xrange", ("st",), {}),
    ("xrange", ("st", "2-0"), {"count": 1}),
    ("xrevrange", ("st",), {"count": 2}),
    ("xread", ({"st": "1-0"},), {}),
    ("xread", ({"st": "0-0"},), {"count": 1}),
    ("xread", ({"st": "$"},), {"block": 10}),
    ("xgroup_create", ("st", "g", "0"), {}),
    ("xgroup_createconsumer", ("st", "g", "c2"), {}),
    ("xreadgroup", ("g", "c1", {"st": ">"}), {"count": 2}),
    ("xpending", ("st", "g"), {}),
    ("xack", ("st", "g", "1-0"), {}),
    ("xclaim", ("st", "g", "c2", 0, ["2-0"]), {"justid": True}),
    ("xautoclaim", ("st", "g", "c1", 0), {"justid": True}),
    ("xclaim", ("st", "g", "c1", 0, ["2-0"]), {}),
    ("xinfo_stream", ("st",), {}),
    ("xautoclaim", ("st", "g", "c1", 0, "0-0", 1), {}),
    ("xgroup_setid", ("st", "g", "0"), {}),
    ("xgroup_delconsumer", ("st", "g", "c2"), {}),
    ("xdel", ("st", "1-0"), {}),
    ("xtrim", ("st",), {"maxlen": 1, "approximate": False}),
    ("xinfo_groups", ("st",), {}),
    ("xgroup_destroy", ("st", "g"), {}),
    ("xgroup_create", ("st2", "g", "$"), {"mkstream": True}),
    # Geo.
    ("geoadd", ("geo", (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")), {}),
    ("geoadd", ("geo", (13.0, 38.0, "Palermo")), {"xx": True, "ch": True}),
    ("geodist", ("geo", "Palermo", "Catania"), {}),
    ("geodist", ("geo", "Palermo", "Catania", "km"), {}),
    ("geohash", ("geo", "Palermo", "none"), {}),
    ("geopos", ("geo", "Palermo", "none"), {}),
    ("geosearch", ("geo",), {"member": "Palermo", "radius": 300, "unit": "km"}),
    ("geosearch", ("geo",), {"longitude": 15, "latitude": 37, "radius": 200, "unit": "km", "withdist": True, "withcoord": True, "withhash": True, "sort": "ASC"}),
    ("geosearch", ("geo",), {"member": "Catania", "width": 400, "height": 400, "unit": "km", "count": 1, "any": True}),
    ("geosearchstore", ("geo2", "geo"), {"member": "Palermo", "radius": 300, "unit": "km", "storedist": True}),
    ("georadius", ("geo", 15, 37, 200, "km"), {"withdist": True, "sort": "DESC"}),
    ("georadiusbymember", ("geo", "Palermo", 300, "km"), {"count": 1}),
    ("georadius", ("geo", 15, 37, 200, "km"), {"store": "geo3"}),
    ("geodist", ("geo", "Palermo", "none"), {}),
    ("geosearch", ("geo",), {"member": "Palermo", "radius": 300, "unit": "km", "withcoord": True}),
    ("georadius", ("geo", 15, 37, 200, "km"), {"store_dist": "geo4"}),
    # Scripts and server.
    ("eval", ("return KEYS[1]", 1, "k"), {}),
    ("eval_ro", ("return ARGV[1]", 0, "a"), {}),
    ("script_load", ("return 7",), {}),
    ("script_exists", ("59b6ab2fbe0ee4b25733de0f62e6cda4899ef8e9", "0000000000000000000000000000000000000000"), {}),
    ("evalsha_ro", ("59b6ab2fbe0ee4b25733de0f62e6cda4899ef8e9", 0), {}),
    ("evalsha", ("59b6ab2fbe0ee4b25733de0f62e6cda4899ef8e9", 0), {}),
    ("pubsub_channels", ("nobody*",), {}),
    # Functions are server-wide: loaded with replace, flushed at the end.
    ("function_load", (
        "#!lua name=rwlib\nredis.register_function('rw_echo', function(keys, args) return args[1] end)\n"
        "redis.register_function{function_name='rw_ro', callback=function(keys, args) return #keys end, flags={'no-writes'}}",
    ), {"replace": True}),
    ("fcall", ("rw_echo", 0, "hi"), {}),
    ("fcall_ro", ("rw_ro", 1, "k"), {}),
    ("function_flush", (), {}),
    ("config_get", ("maxmemory-policy",), {}),
    ("config_set", ("maxmemory-policy", "noeviction"), {}),
    ("publish", ("nobody", "x"), {}),
    ("spublish", ("nobody", "x"), {}),
    ("pubsub_numsub", ("nobody",), {}),
    ("pubsub_numpat", (), {}),
    ("memory_usage", ("none",), {}),
    ("script_flush", (), {}),
    # Sorting, and server introspection that is the same for both.
    ("rpush", ("sortme", "3", "1", "2"), {}),
    ("mset", ({"w_1": "c", "w_2": "b", "w_3": "a", "o_1": "x", "o_2": "y", "o_3": "z"},), {}),
    ("sort", ("sortme",), {}),
    ("sort", ("sortme",), {"desc": True, "start": 0, "num": 2}),
    ("sort", ("sortme",), {"by": "w_*", "alpha": True}),
    ("sort", ("sortme",), {"get": ["#", "o_*"], "groups": True}),
    ("sort", ("sortme",), {"store": "sorted"}),
    ("sort_ro", ("sortme",), {"get": "o_*"}),
    ("lrange", ("sorted", 0, -1), {}),
    ("command_getkeys", ("SET", "a", "b"), {}),
    ("acl_whoami", (), {}),
    ("acl_users", (), {}),
    ("acl_cat", ("keyspace",), {}),
    ("client_unblock", (999999,), {}),
    ("slowlog_reset", (), {}),
    ("slowlog_len", (), {}),
    ("ping", (), {}),
    ("echo", ("hi",), {}),
    ("config_resetstat", (), {}),
    ("client_getname", (), {}),
    ("acl_list", (), {}),
    ("latency_latest", (), {}),
    ("swapdb", (11, 12), {}),
    ("swapdb", (11, 12), {}),
    ("client_trackinginfo", (), {}),
    ("latency_reset", (), {}),
    ("command_count", (), {}),
    ("command_list", (), {"pattern": "xa*"}),
    ("memory_purge", (), {}),
    ("acl_deluser", ("nobody",), {}),
    ("client_kill_filter", (), {"_id": 999999}),
    ("client_pause", (1,), {}),
    ("client_unpause", (), {}),
    ("role", (), {}),
    # execute_command reads replies as redis-py's does.
    ("execute_command", ("SET", "ek", "v"), {}),
    ("execute_command", ("EXPIRE", "ek", 100), {}),
    ("execute_command", ("HGETALL", "h"), {}),
    ("execute_command", ("SMEMBERS", "s3"), {}),
    ("execute_command", ("ZSCORE", "zz", "b"), {}),
    ("execute_command", ("ZRANGE", "zz", 0, -1, "WITHSCORES"), {}),
    ("execute_command", ("CONFIG GET", "maxmemory-policy"), {}),
    ("execute_command", ("SCAN", 0, "MATCH", "zz*"), {}),
    ("execute_command", ("XRANGE", "st", "-", "+"), {}),
    ("execute_command", ("PING",), {}),
    ("execute_command", ("INCRBYFLOAT", "n1", 1), {}),
    ("script_flush", ("ASYNC",), {}),
    ("dbsize", (), {}),
    ("exists", ("s", "h", "nokey"), {}),
    ("delete", ("s", "nokey"), {}),
    ("flushdb", (), {"asynchronous": True}),
]

#: Calls both refuse before sending, with the same exception class.
REFUSED: List[Call] = [
    ("set", ("k", "v"), {"ex": 10.0}),
    ("set", ("k", "v"), {"ex": 1, "px": 1000}),
    ("set", ("k", "v"), {"nx": True, "xx": True}),
    ("set", ("k", True), {}),
    ("set", ("k", None), {}),
    ("zadd", ("z", {}), {}),
    ("zadd", ("z", {"a": 1}), {"nx": True, "xx": True}),
    ("zadd", ("z", {"a": 1, "b": 2}), {"incr": True}),
    ("zrange", ("z", 0, 1), {"byscore": True, "bylex": True}),
    ("zrange", ("z", 0, 1), {"offset": 1}),
    ("script_flush", ("SOMETIMES",), {}),
    ("expire", ("k", 1.5), {}),
    ("hset", ("h",), {}),
    ("zmscore", ("z", []), {}),
    ("zrangebyscore", ("z", 0, 1, 1), {}),
    ("bitpos", ("k", 2), {}),
    ("xadd", ("st", {}), {}),
    ("xadd", ("st", {"a": 1}), {"maxlen": 1, "minid": "0"}),
    ("xread", ({},), {}),
    ("xtrim", ("st",), {}),
    ("geoadd", ("geo", (1, 2)), {}),
    ("geosearch", ("geo",), {"radius": 1}),
    ("geodist", ("geo", "a", "b", "parsecs"), {}),
    ("sort", ("sortme",), {"start": 1}),
    ("sort", ("sortme",), {"get": "o_*", "groups": True}),
    ("client_kill", ("1.2.3.4:5",), {}),
    ("command_list", (), {"module": "a", "pattern": "b"}),
    ("memory_doctor", (), {}),
    ("geosearch", ("geo",), {"member": "Palermo", "longitude": 1, "radius": 1}),
    ("geosearch", ("geo",), {"member": "Palermo", "radius": 1, "width": 1}),
    ("zmscore", ("z", "abc"), {}),
    ("client_kill_filter", (), {"_type": "bogus"}),
]


def _normalised(value: Any) -> Any:
    """A reply with its types spelled out, so that ``True`` and ``1``, or a
    tuple and a list, differ."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_normalised(v) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted((repr(k), _normalised(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _check_declared_type(name: str, reply: Any, strings: type) -> None:
    """``reply`` is of the type ``name``'s method declares for type
    checkers, its strings ``strings`` (what ``Redis[bytes]`` or
    ``Redis[str]`` says)."""
    declared = typing.get_type_hints(getattr(redwire.Redis, name)).get("return", Any)
    if declared is _S:
        declared = strings
    elif getattr(declared, "__parameters__", ()):
        declared = declared[strings]
    try:
        typeguard.check_type(reply, declared, collection_check_strategy=typeguard.CollectionCheckStrategy.ALL_ITEMS)
    except typeguard.TypeCheckError as error:
        raise AssertionError(f"{name}: {reply!r} is not the declared {declared}: {error}") from None


@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("protocol", [None, 3])
def test_the_same_calls_give_the_same_replies(server: Dict[str, Any], decode: bool, protocol: Any) -> None:
    """redwire speaking RESP2 (its default) or RESP3 gives the replies of
    redis-py's default client (RESP3 on the wire, RESP2's shapes)."""
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13, decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14, decode_responses=decode, protocol=protocol)
    theirs.flushdb()
    ours.flushdb()
    for name, args, kwargs in CALLS:
        expected = _normalised(getattr(theirs, name)(*args, **kwargs))
        reply = getattr(ours, name)(*args, **kwargs)
        got = _normalised(reply)
        assert got == expected, f"{name}{args} {kwargs}: redwire {got!r}, redis-py {expected!r}"
        _check_declared_type(name, reply, str if decode else bytes)
    for name, args, kwargs in REFUSED:
        with pytest.raises(Exception) as reference:
            getattr(theirs, name)(*args, **kwargs)
        with pytest.raises(Exception) as refused:
            getattr(ours, name)(*args, **kwargs)
        assert type(refused.value).__name__ == type(reference.value).__name__, f"{name}{args} {kwargs}: {refused.value!r} vs {reference.value!r}"
    theirs.close()
    ours.close()


def test_dict_style_access(client: redwire.Client) -> None:
    client["d"] = "v"
    assert client["d"] == b"v"
    assert "d" in client and "nokey" not in client
    del client["d"]
    with pytest.raises(KeyError):
        client["d"]


def test_arguments_redis_py_takes(client: redwire.Client) -> None:
    client.set("mv", memoryview(b"bytes"))
    assert client.get("mv") == b"bytes"
    with pytest.raises(redwire.DataError):
        client.mget([])
    assert client.info("server", "clients")["connected_clients"] >= 1
    # An empty pipeline is true, as redis-py's.
    pipe = client.pipeline()
    assert pipe and len(pipe) == 0


def test_get_message_takes_redis_py_s_argument_order(client: redwire.Client) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("order")
    # Positionally: ignore_subscribe_messages first, then timeout.
    assert pubsub.get_message(True, 0.5) is None
    client.publish("order", "hi")
    assert pubsub.get_message(True, 1)["data"] == b"hi"
    pubsub.close()
    quiet = client.pubsub(ignore_subscribe_messages=True)
    quiet.subscribe("order")
    client.publish("order", "again")
    assert quiet.get_message(timeout=1)["data"] == b"again"
    quiet.close()


def test_closing_a_client_closes_its_pubsubs(server: Dict[str, Any]) -> None:
    observer = redwire.Client(host=server["host"], port=server["port"])

    def subscribed() -> int:
        return int(observer.pubsub_numsub("closing:channel")[0][1])

    client = redwire.Client(host=server["host"], port=server["port"])
    pubsub = client.pubsub()
    pubsub.subscribe("closing:channel")
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    assert subscribed() == 1
    client.close()
    for _ in range(50):
        if subscribed() == 0:
            break
        time.sleep(0.02)
    assert subscribed() == 0
    observer.close()


def test_the_asyncio_client_is_awaitable_and_refuses_plain_with(server: Dict[str, Any]) -> None:
    async def main() -> None:
        url = f"redis://{server['host']}:{server['port']}/14"
        client = await redwire.asyncio.connect(url)
        assert await client.ping() is True
        client = await redwire.asyncio.Redis.from_url(url)
        async with client:
            assert await client.set("aw", 1) is True
        with pytest.raises(TypeError, match="async with"):
            with client:
                pass

    asyncio.run(main())


def test_the_scan_walks_give_every_item(client: redwire.Client, server: Dict[str, Any]) -> None:
    client.mset({f"walk:{i}": i for i in range(300)})
    client.hset("walk:h", mapping={f"f{i}": i for i in range(300)})
    client.sadd("walk:s", *range(300))
    client.zadd("walk:z", {f"m{i}": i for i in range(300)})
    assert {k for k in client.scan_iter("walk:*", 20) if k.startswith(b"walk:") and k[5:].isdigit()} == {
        f"walk:{i}".encode() for i in range(300)
    }
    assert dict(client.hscan_iter("walk:h", count=20)) == {f"f{i}".encode(): str(i).encode() for i in range(300)}
    assert set(client.sscan_iter("walk:s", count=20)) == {str(i).encode() for i in range(300)}
    assert sorted(client.zscan_iter("walk:z", count=20, score_cast_func=int), key=lambda p: p[1]) == [
        (f"m{i}".encode(), i) for i in range(300)
    ]

    async def walk() -> None:
        async with redwire.asyncio.Client(host=server["host"], port=server["port"], db=9) as aclient:
            keys = [k async for k in aclient.scan_iter("walk:*", 20)]
            assert len({k for k in keys if k[5:].isdigit()}) == 300
            fields = [f async for f in aclient.hscan_iter("walk:h")]
            assert len(dict(fields)) == 300

    asyncio.run(walk())


def test_stream_introspection_has_redis_py_s_shape(server: Dict[str, Any]) -> None:
    # Times differ from client to client: the shapes are compared.
    shapes = []
    for client in (
        redis.Redis(host=server["host"], port=server["port"], db=13),
        redwire.Redis(host=server["host"], port=server["port"], db=14),
    ):
        client.delete("xi")
        client.xadd("xi", {"a": "1"}, id="1-0")
        client.xadd("xi", {"a": "2"}, id="2-0")
        client.xgroup_create("xi", "g", "0")
        client.xreadgroup("g", "c", {"xi": ">"}, count=1)
        stream = client.xinfo_stream("xi")
        full = client.xinfo_stream("xi", full=True)
        shapes.append(
            (
                sorted(stream),
                stream["first-entry"],
                stream["last-entry"],
                sorted(full),
                full["entries"],
                [sorted(group) for group in full["groups"]],
                [sorted(c) for c in client.xinfo_consumers("xi", "g")],
                [(p["message_id"], p["consumer"], p["times_delivered"]) for p in client.xpending_range("xi", "g", "-", "+", 10)],
                client.xclaim("xi", "g", "d", 0, ["1-0"]),
            )
        )
        client.close()
    assert shapes[0] == shapes[1]


def test_a_lock_excludes_redis_py_s_and_only_its_owner_releases_it(server: Dict[str, Any]) -> None:
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14)
    theirs = redis.Redis(host=server["host"], port=server["port"], db=14)
    ours.delete("lock:a")
    lock = ours.lock("lock:a", timeout=5)
    assert lock.acquire(blocking=False) is True
    assert lock.locked() and lock.owned()
    # redis-py's lock on the same name waits in vain; ours too.
    assert theirs.lock("lock:a").acquire(blocking=False) is False
    started = time.monotonic()
    assert ours.lock("lock:a", blocking_timeout=0.3, sleep=0.05).acquire() is False
    assert 0.2 < time.monotonic() - started < 2
    assert lock.extend(10) is True and 10_000 < ours.pttl("lock:a") <= 15_000
    assert lock.extend(3, replace_ttl=True) and ours.pttl("lock:a") <= 3_000
    assert lock.reacquire() and 3_000 < ours.pttl("lock:a") <= 5_000
    lock.release()
    assert not lock.locked()
    with pytest.raises(redwire.LockError):
        lock.release()
    # Taken over after it expired: its old owner cannot release it.
    short = ours.lock("lock:a", timeout=0.1)
    assert short.acquire()
    time.sleep(0.2)
    other = theirs.lock("lock:a", timeout=5)
    assert other.acquire(blocking=False)
    with pytest.raises(redwire.LockNotOwnedError):
        short.release()
    other.release()
    # As a context manager; refused within its blocking timeout.
    with ours.lock("lock:b", timeout=5) as held:
        assert held.owned()
        with pytest.raises(redwire.LockError):
            with ours.lock("lock:b", blocking_timeout=0.1):
                pass
    assert not ours.lock("lock:b").locked()

    async def main() -> None:
        async with redwire.asyncio.Redis(host=server["host"], port=server["port"], db=14) as aclient:
            async with aclient.lock("lock:c", timeout=5) as alock:
                assert await alock.owned()
                assert await aclient.lock("lock:c").acquire(blocking=False) is False
            assert await aclient.get("lock:c") is None

    asyncio.run(main())
    ours.close()
    theirs.close()


def test_info_is_parsed_as_redis_py_parses_it(server: Dict[str, Any]) -> None:
    from redwire.commands.replies import _info

    from redis._parsers.helpers import parse_info

    ours = redwire.Redis(host=server["host"], port=server["port"], db=9)
    ours.set("info:k", "v")
    # The same text, parsed by each.
    raw = ours.execute("INFO", "all")
    assert _info(raw) == parse_info(raw)
    sample = b"# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\nmodule:name=search,ver=1\r\nx:1e3\r\nlist:a,b\r\nraw line\r\n"
    assert _info(sample) == parse_info(sample)
    info = ours.info("keyspace")
    assert isinstance(info["db9"], dict) and info["db9"]["keys"] >= 1
    # execute_command parses as redis-py's does; execute gives the raw reply.
    assert ours.execute_command("INFO", "keyspace")["db9"] == info["db9"]
    ours.close()


def test_url_query_parameters_are_read_as_redis_py_reads_them(server: Dict[str, Any]) -> None:
    url = f"redis://{server['host']}:{server['port']}/9?socket_timeout=5&decode_responses=true&health_check_interval=10"
    client = redwire.Redis.from_url(url)
    client.set("url:k", "v")
    assert client.get("url:k") == "v"
    client.close()
    pool = redwire.ConnectionPool.from_url(f"redis://{server['host']}:{server['port']}/9?decode_responses=false")
    assert redwire.Redis(connection_pool=pool).get("url:k") == b"v"
    with pytest.raises(redwire.ConfigError, match="socket_timeout"):
        redwire.Redis.from_url(f"redis://{server['host']}:{server['port']}/9?socket_timeout=soon")


def test_a_lock_of_a_decoding_client_and_its_edges(server: Dict[str, Any]) -> None:
    client = redwire.Redis(host=server["host"], port=server["port"], db=14, decode_responses=True)
    client.delete("lock:d")
    lock = client.lock("lock:d", timeout=5, raise_on_release_error=False)
    assert lock.acquire() and lock.owned()
    # A time to live of nothing leaves the lock as it was.
    assert lock.extend(-20) is True and client.exists("lock:d") == 1
    lock.release()
    # Releasing a lock not held raises whatever raise_on_release_error says.
    with pytest.raises(redwire.LockError) as caught:
        lock.release()
    assert caught.value.lock_name == "lock:d"
    # timeout=0 is no expiry, as in redis-py.
    forever = client.lock("lock:d", timeout=0)
    assert forever.acquire() and client.ttl("lock:d") == -1
    forever.release()
    client.close()


def test_a_url_wins_over_keywords_and_its_query_is_read(server: Dict[str, Any]) -> None:
    base = f"redis://{server['host']}:{server['port']}"
    client = redwire.Redis.from_url(f"{base}/3", db=5)
    assert " db=3 " in client.execute("CLIENT", "INFO").decode()
    client.close()
    decoded = redwire.from_url(f"{base}/3?decode_responses=true", decode_responses=False)
    decoded.set("url:d", "v")
    assert decoded.get("url:d") == "v"
    decoded.close()

    async def main() -> None:
        async with redwire.asyncio.from_url(f"{base}/3?decode_responses=true") as aclient:
            assert await aclient.get("url:d") == "v"
        pool = redwire.ConnectionPool.from_url(f"{base}/3?decode_responses=true")
        async with redwire.asyncio.Redis(connection_pool=pool) as pooled:
            assert await pooled.get("url:d") == "v"

    asyncio.run(main())


def test_a_resp3_double_is_written_back_as_redis_writes_it() -> None:
    """Scores redis-py leaves as the server wrote them (``ZDIFF``,
    ``ZRANDMEMBER``, ``ZMPOP`` with scores) read the same over RESP3, where
    they come as doubles: written back as Redis writes a double."""
    from redis._parsers.helpers import _redis_double_to_string

    from redwire.commands.replies import _redis_double

    values = [0.0, -0.0, 1.0, -3.0, 3.5, 0.1, 1 / 3, 2.0**62, 2.0**62 + 2048, 2.0**70, 1e-7, 1.5e-5, 123456.789,
              1234567.1234567, 1e21, 1e22, -2.5e-300, 5e-324, 1.7976931348623157e308, float("inf"), float("-inf")]
    values += [x * 10.0**e for x in (1.25, 9.875, 3.0000001) for e in range(-12, 24)]
    for value in values:
        assert _redis_double(value) == _redis_double_to_string(value), value


def test_stralgo_idx_reads_a_flat_list_and_a_map_alike() -> None:
    from redwire.commands.strings import _stralgo

    spans = [[[4, 7], [5, 8], 4]]
    flat = [b"matches", spans, b"len", 6]
    resp3 = {b"matches": spans, b"len": 6}
    read = _stralgo(False, True, True)
    assert read(flat) == read(resp3) == {"matches": [[4, (4, 7), (5, 8)]], "len": 6}

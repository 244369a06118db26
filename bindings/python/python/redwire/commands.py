"""The command methods a redis-py user reaches for, shared by the sync and
asyncio clients and their pipelines.

Each method builds the command's arguments and names how its raw reply
becomes the value redis-py returns (``SET`` → ``True``, ``HGETALL`` → a
``dict``, ...); the class it is mixed into decides when the command runs:
at once, awaited, or queued in a pipeline.
"""

import datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .exceptions import DataError

Key = Union[bytes, str]
Value = Union[bytes, str, int, float]
Callback = Optional[Callable[[Any], Any]]
#: A time to live: a number of seconds (or milliseconds) or a ``timedelta``.
Duration = Union[int, datetime.timedelta]


def _seconds(value: Duration) -> Any:
    """A ``timedelta`` as whole seconds; anything else as it is (the server
    judges it)."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    return value


def _milliseconds(value: Duration) -> Any:
    """A ``timedelta`` as whole milliseconds; anything else as it is."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    return value


def _expiry(value: Union[Duration, str], unit: int, name: str) -> Any:
    """``set``'s ``ex`` (``unit`` 1) or ``px`` (1000): a ``timedelta``, an
    integer or a string of digits; anything else (a float) a ``DataError``,
    before anything is sent."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * unit)
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit()):
        return value
    raise DataError(f"set: {name} must be an int or a datetime.timedelta, not {type(value).__name__}")


def _timestamp(value: Union[int, datetime.datetime], unit: int, name: str) -> int:
    """A ``datetime`` as a Unix time in seconds (``unit`` 1) or
    milliseconds (1000); an integer as it is."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * unit)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DataError(f"{name} must be datetime.datetime or int")


def _expire_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> Tuple[str, ...]:
    return tuple(flag for flag, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on)


def _keys(keys: Union[Key, Iterable[Key]], more: Tuple[Key, ...]) -> Tuple[Key, ...]:
    """Keys given one by one or as one list (redis-py's ``list_or_args``)."""
    if isinstance(keys, (bytes, str, memoryview)):
        return (keys,) + more
    return tuple(keys) + more


def _ok(reply: Any) -> Any:
    """``OK`` → ``True``; a null (a condition that did not hold) → ``None``."""
    if reply is None:
        return None
    return reply in (b"OK", "OK")


def _bool(reply: Any) -> Any:
    return None if reply is None else bool(reply)


def _float(reply: Any) -> Any:
    return None if reply is None else float(reply)


def _pairs_to_dict(reply: Any) -> Any:
    """A flat ``[field, value, ...]`` (RESP2) or a map (RESP3) as a dict."""
    if isinstance(reply, dict) or reply is None:
        return reply
    return dict(zip(reply[::2], reply[1::2]))


def _set(reply: Any) -> Any:
    return reply if isinstance(reply, set) or reply is None else set(reply)


def _info(reply: Any) -> Dict[str, Any]:
    """``INFO``'s ``key:value`` lines as a dict (numbers as numbers)."""
    text = reply.decode() if isinstance(reply, bytes) else reply
    info: Dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        for kind in (int, float):
            try:
                info[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            info[key] = value
    return info


def _scored(cast: Callable[[Any], Any] = float) -> Callable[[Any], Any]:
    """``[member, score, ...]`` (or RESP3 pairs) as ``[(member, cast(score)), ...]``."""

    def parse(reply: Any) -> Any:
        if not reply:
            return reply
        if isinstance(reply[0], list):
            return [(member, cast(score)) for member, score in reply]
        return [(member, cast(score)) for member, score in zip(reply[::2], reply[1::2])]

    return parse


class Commands:
    """Command methods; a subclass defines ``_command(args, callback)``."""

    def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        raise NotImplementedError

    # Any command.

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Sends any command, its name and arguments given in order, and
        returns the raw reply. ``options`` are redis-py's routing hints
        (``target_nodes``, ...): accepted, not used."""
        return self._command(args)

    def execute(self, *args: Any) -> Any:
        """The same as :meth:`execute_command`."""
        return self._command(args)

    # Server and connection.

    # ``**kwargs`` of server commands: redis-py's cluster routing hints
    # (``target_nodes``), accepted and not used (see COMPATIBILITY.md).

    def ping(self, **kwargs: Any) -> Any:
        """``PING`` → ``True``."""
        return self._command(("PING",), lambda reply: reply in (b"PONG", "PONG"))

    def echo(self, value: Value, **kwargs: Any) -> Any:
        return self._command(("ECHO", value))

    def info(self, section: Optional[str] = None, *args: str, **kwargs: Any) -> Any:
        """``INFO [section ...]`` parsed into a dict."""
        sections: Tuple[Any, ...] = () if section is None else (section,) + args
        return self._command(("INFO",) + sections, _info)

    def dbsize(self, **kwargs: Any) -> Any:
        return self._command(("DBSIZE",))

    def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> Any:
        return self._command(("FLUSHDB", "ASYNC") if asynchronous else ("FLUSHDB",), _ok)

    def flushall(self, asynchronous: bool = False, **kwargs: Any) -> Any:
        return self._command(("FLUSHALL", "ASYNC") if asynchronous else ("FLUSHALL",), _ok)

    # Keys.

    def delete(self, *names: Key) -> Any:
        """``DEL``: how many of the keys existed."""
        return self._command(("DEL",) + names)

    def exists(self, *names: Key) -> Any:
        return self._command(("EXISTS",) + names)

    def expire(
        self, name: Key, time: Duration, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> Any:
        """``EXPIRE`` (``time``: seconds or a ``timedelta``) with the
        ``NX``/``XX``/``GT``/``LT`` conditions: whether it was set."""
        return self._command(("EXPIRE", name, _seconds(time)) + _expire_flags(nx, xx, gt, lt), _bool)

    def pexpire(
        self, name: Key, time: Duration, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> Any:
        return self._command(("PEXPIRE", name, _milliseconds(time)) + _expire_flags(nx, xx, gt, lt), _bool)

    def persist(self, name: Key) -> Any:
        return self._command(("PERSIST", name), _bool)

    def ttl(self, name: Key) -> Any:
        return self._command(("TTL", name))

    def pttl(self, name: Key) -> Any:
        return self._command(("PTTL", name))

    def type(self, name: Key) -> Any:
        return self._command(("TYPE", name))

    def keys(self, pattern: Key = "*", **kwargs: Any) -> Any:
        return self._command(("KEYS", pattern))

    def rename(self, src: Key, dst: Key) -> Any:
        return self._command(("RENAME", src, dst), _ok)

    # Strings.

    def get(self, name: Key) -> Any:
        """``GET``: the value, or ``None``."""
        return self._command(("GET", name))

    def set(
        self,
        name: Key,
        value: Value,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
        exat: Optional[Union[int, datetime.datetime]] = None,
        pxat: Optional[Union[int, datetime.datetime]] = None,
        ifeq: Optional[Key] = None,
        ifne: Optional[Key] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Any:
        """``SET`` with ``EX``/``PX``/``EXAT``/``PXAT``/``KEEPTTL`` (one at
        most), ``NX``/``XX`` or one of ``IFEQ``/``IFNE``/``IFDEQ``/``IFDNE``
        (servers that have them), and ``GET``: ``True``, or ``None`` when a
        condition did not hold; with ``get``, the old value."""
        if ex is None and px is None and exat is None and pxat is None and not (nx or xx or keepttl or get):
            if ifeq is None and ifne is None and ifdeq is None and ifdne is None:
                return self._command(("SET", name, value), _ok)
        expiries = [ex is not None, px is not None, exat is not None, pxat is not None, keepttl]
        if sum(expiries) > 1:
            raise DataError("set: give at most one of ex, px, exat, pxat and keepttl")
        conditions = [nx, xx, ifeq is not None, ifne is not None, ifdeq is not None, ifdne is not None]
        if sum(conditions) > 1:
            raise DataError("set: give at most one of nx, xx, ifeq, ifne, ifdeq and ifdne")
        args: List[Any] = ["SET", name, value]
        if ex is not None:
            args += ["EX", _expiry(ex, 1, "ex")]
        if px is not None:
            args += ["PX", _expiry(px, 1000, "px")]
        if exat is not None:
            args += ["EXAT", _timestamp(exat, 1, "exat")]
        if pxat is not None:
            args += ["PXAT", _timestamp(pxat, 1000, "pxat")]
        if keepttl:
            args.append("KEEPTTL")
        for flag, on in (("NX", nx), ("XX", xx)):
            if on:
                args.append(flag)
        for flag, compared in (("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne)):
            if compared is not None:
                args += [flag, compared]
        if get:
            args.append("GET")
            return self._command(tuple(args))
        return self._command(tuple(args), _ok)

    def setex(self, name: Key, time: Duration, value: Value) -> Any:
        return self._command(("SETEX", name, _seconds(time), value), _ok)

    def setnx(self, name: Key, value: Value) -> Any:
        return self._command(("SETNX", name, value), _bool)

    def mget(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        """``MGET``: the keys one by one or as one list (at least one)."""
        names = _keys(keys, args)
        if not names:
            raise DataError("MGET needs at least one key")
        return self._command(("MGET",) + names)

    def mset(self, mapping: Mapping[Key, Value]) -> Any:
        args: List[Any] = ["MSET"]
        for key, value in mapping.items():
            args += [key, value]
        return self._command(tuple(args), _ok)

    def incr(self, name: Key, amount: int = 1) -> Any:
        if amount == 1:
            return self._command(("INCR", name))
        return self._command(("INCRBY", name, amount))

    def incrby(self, name: Key, amount: int = 1) -> Any:
        return self._command(("INCRBY", name, amount))

    def incrbyfloat(self, name: Key, amount: float = 1.0) -> Any:
        return self._command(("INCRBYFLOAT", name, amount), _float)

    def decr(self, name: Key, amount: int = 1) -> Any:
        return self._command(("DECRBY", name, amount))

    def append(self, key: Key, value: Value) -> Any:
        return self._command(("APPEND", key, value))

    def strlen(self, name: Key) -> Any:
        return self._command(("STRLEN", name))

    # Hashes.

    def hget(self, name: Key, key: Key) -> Any:
        return self._command(("HGET", name, key))

    def hset(
        self,
        name: Key,
        key: Optional[Key] = None,
        value: Optional[Value] = None,
        mapping: Optional[Mapping[Key, Value]] = None,
        items: Optional[Iterable[Any]] = None,
    ) -> Any:
        """``HSET`` of ``key``/``value``, a ``mapping`` and/or flat ``items``:
        how many fields were added."""
        args: List[Any] = ["HSET", name]
        if key is not None:
            args += [key, value]
        if mapping:
            for field, field_value in mapping.items():
                args += [field, field_value]
        if items:
            args += list(items)
        if len(args) == 2:
            raise ValueError("hset needs key and value, a mapping or items")
        return self._command(tuple(args))

    def hmget(self, name: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        """``HMGET``: the fields one by one or as one list."""
        return self._command(("HMGET", name) + _keys(keys, args))

    def hgetall(self, name: Key) -> Any:
        """``HGETALL`` as a dict."""
        return self._command(("HGETALL", name), _pairs_to_dict)

    def hdel(self, name: Key, *keys: Key) -> Any:
        return self._command(("HDEL", name) + keys)

    def hexists(self, name: Key, key: Key) -> Any:
        return self._command(("HEXISTS", name, key), _bool)

    def hlen(self, name: Key) -> Any:
        return self._command(("HLEN", name))

    def hkeys(self, name: Key) -> Any:
        return self._command(("HKEYS", name))

    def hvals(self, name: Key) -> Any:
        return self._command(("HVALS", name))

    def hincrby(self, name: Key, key: Key, amount: int = 1) -> Any:
        return self._command(("HINCRBY", name, key, amount))

    def hincrbyfloat(self, name: Key, key: Key, amount: float = 1.0) -> Any:
        return self._command(("HINCRBYFLOAT", name, key, amount), _float)

    # Sets.

    def sadd(self, name: Key, *values: Value) -> Any:
        return self._command(("SADD", name) + values)

    def srem(self, name: Key, *values: Value) -> Any:
        return self._command(("SREM", name) + values)

    def smembers(self, name: Key) -> Any:
        """``SMEMBERS`` as a set."""
        return self._command(("SMEMBERS", name), _set)

    def sismember(self, name: Key, value: Value) -> Any:
        return self._command(("SISMEMBER", name, value), _bool)

    def scard(self, name: Key) -> Any:
        return self._command(("SCARD", name))

    # Lists.

    def lpush(self, name: Key, *values: Value) -> Any:
        return self._command(("LPUSH", name) + values)

    def rpush(self, name: Key, *values: Value) -> Any:
        return self._command(("RPUSH", name) + values)

    def lpop(self, name: Key, count: Optional[int] = None) -> Any:
        """``LPOP``: the first element; with ``count``, a list of up to so many."""
        return self._command(("LPOP", name) if count is None else ("LPOP", name, count))

    def rpop(self, name: Key, count: Optional[int] = None) -> Any:
        return self._command(("RPOP", name) if count is None else ("RPOP", name, count))

    def lrange(self, name: Key, start: int, end: int) -> Any:
        return self._command(("LRANGE", name, start, end))

    def llen(self, name: Key) -> Any:
        return self._command(("LLEN", name))

    def blpop(self, keys: Union[Key, Iterable[Key]], timeout: float = 0) -> Any:
        """``BLPOP``: ``(key, value)``, or ``None`` after ``timeout`` seconds."""
        return self._command(
            ("BLPOP",) + _keys(keys, ()) + (timeout,), lambda r: r if r is None else tuple(r)
        )

    # Sorted sets.

    def zadd(
        self,
        name: Key,
        mapping: Mapping[Key, Value],
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
        incr: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """``ZADD`` of ``{member: score}`` with ``NX``/``XX``/``GT``/``LT``/
        ``CH``: how many were added (changed, with ``ch``); with ``incr``
        (one member), its new score, or ``None`` when a condition did not
        hold."""
        if not mapping:
            raise DataError("zadd: the mapping is empty")
        if nx and xx:
            raise DataError("zadd: nx and xx exclude each other")
        if gt and lt:
            raise DataError("zadd: gt and lt exclude each other")
        if incr and len(mapping) != 1:
            raise DataError("zadd: incr takes one member, not several")
        if nx and (gt or lt):
            raise DataError("zadd: nx excludes gt and lt")
        args: List[Any] = ["ZADD", name]
        for flag, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt), ("CH", ch), ("INCR", incr)):
            if on:
                args.append(flag)
        for member, score in mapping.items():
            args += [score, member]
        return self._command(tuple(args), _float if incr else None)

    def zscore(self, name: Key, value: Key) -> Any:
        return self._command(("ZSCORE", name, value), _float)

    def zrange(
        self,
        name: Key,
        start: Any,
        end: Any,
        desc: bool = False,
        withscores: bool = False,
        score_cast_func: Callable[[Any], Any] = float,
        byscore: bool = False,
        bylex: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
        use_rev: bool = False,
    ) -> Any:
        """``ZRANGE`` by rank, or ``byscore``/``bylex`` (with ``offset`` and
        ``num``), reversed with ``desc``; ``withscores`` gives
        ``(member, score_cast_func(score))`` pairs. By rank and reversed
        without ``use_rev``, ``ZREVRANGE``, as redis-py sends."""
        if byscore and bylex:
            raise DataError("zrange: byscore and bylex exclude each other")
        if (offset is None) != (num is None):
            raise DataError("zrange: give offset and num together")
        if bylex and withscores:
            raise DataError("zrange: bylex has no scores to give")
        args: List[Any]
        if desc and not (byscore or bylex or offset is not None or use_rev):
            args = ["ZREVRANGE", name, start, end]
        else:
            args = ["ZRANGE", name, start, end]
            if byscore:
                args.append("BYSCORE")
            if bylex:
                args.append("BYLEX")
            if desc:
                args.append("REV")
            if offset is not None:
                args += ["LIMIT", offset, num]
        if withscores:
            args.append("WITHSCORES")
            return self._command(tuple(args), _scored(score_cast_func))
        return self._command(tuple(args))

    def zcard(self, name: Key) -> Any:
        return self._command(("ZCARD", name))

    # Pub/sub and scripts.

    def publish(self, channel: Key, message: Value, **kwargs: Any) -> Any:
        """``PUBLISH``: how many subscribers received it."""
        return self._command(("PUBLISH", channel, message))

    def eval(self, script: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVAL", script, numkeys) + keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVALSHA", sha, numkeys) + keys_and_args)

    def script_load(self, script: str) -> Any:
        return self._command(("SCRIPT", "LOAD", script))

    def script_flush(self, sync_type: Optional[str] = None) -> Any:
        """``SCRIPT FLUSH [SYNC|ASYNC]``."""
        if sync_type not in ("SYNC", "ASYNC", None):
            raise DataError(f"script_flush: sync_type is 'SYNC', 'ASYNC' or None, not {sync_type!r}")
        return self._command(("SCRIPT", "FLUSH") + ((sync_type,) if sync_type else ()), _ok)

"""The command methods a redis-py user reaches for, shared by the sync and
asyncio clients and their pipelines.

Each method builds the command's arguments and names how its raw reply
becomes the value redis-py returns (``SET`` → ``True``, ``HGETALL`` → a
``dict``, ...); the class it is mixed into decides when the command runs:
at once, awaited, or queued in a pipeline.
"""

import datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

Key = Union[bytes, str]
Value = Union[bytes, str, int, float]
Callback = Optional[Callable[[Any], Any]]
#: A time to live: a number of seconds (or milliseconds) or a ``timedelta``.
Duration = Union[int, datetime.timedelta]


def _seconds(value: Duration) -> int:
    """A ``timedelta`` as whole seconds; a number as it is."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    return value


def _milliseconds(value: Duration) -> int:
    """A ``timedelta`` as whole milliseconds; a number as it is."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    return value


def _keys(keys: Union[Key, Iterable[Key]], more: Tuple[Key, ...]) -> Tuple[Key, ...]:
    """Keys given one by one or as one list (redis-py's ``list_or_args``)."""
    if isinstance(keys, (bytes, str)):
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


def _scored(reply: Any) -> Any:
    """``[member, score, ...]`` (or RESP3 pairs) as ``[(member, score), ...]``."""
    if not reply:
        return reply
    if isinstance(reply[0], list):
        return [(member, float(score)) for member, score in reply]
    return [(member, float(score)) for member, score in zip(reply[::2], reply[1::2])]


class Commands:
    """Command methods; a subclass defines ``_command(args, callback)``."""

    def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        raise NotImplementedError

    # Any command.

    def execute_command(self, *args: Any) -> Any:
        """Sends any command, its name and arguments given in order, and
        returns the raw reply."""
        return self._command(args)

    def execute(self, *args: Any) -> Any:
        """The same as :meth:`execute_command`."""
        return self._command(args)

    # Server and connection.

    def ping(self) -> Any:
        """``PING`` → ``True``."""
        return self._command(("PING",), lambda reply: reply in (b"PONG", "PONG"))

    def echo(self, value: Value) -> Any:
        return self._command(("ECHO", value))

    def info(self, section: Optional[str] = None) -> Any:
        """``INFO`` parsed into a dict."""
        args: Tuple[Any, ...] = ("INFO",) if section is None else ("INFO", section)
        return self._command(args, _info)

    def dbsize(self) -> Any:
        return self._command(("DBSIZE",))

    def flushdb(self, asynchronous: bool = False) -> Any:
        return self._command(("FLUSHDB", "ASYNC") if asynchronous else ("FLUSHDB",), _ok)

    def flushall(self, asynchronous: bool = False) -> Any:
        return self._command(("FLUSHALL", "ASYNC") if asynchronous else ("FLUSHALL",), _ok)

    # Keys.

    def delete(self, *names: Key) -> Any:
        """``DEL``: how many of the keys existed."""
        return self._command(("DEL",) + names)

    def exists(self, *names: Key) -> Any:
        return self._command(("EXISTS",) + names)

    def expire(self, name: Key, seconds: Duration) -> Any:
        return self._command(("EXPIRE", name, _seconds(seconds)), _bool)

    def pexpire(self, name: Key, milliseconds: Duration) -> Any:
        return self._command(("PEXPIRE", name, _milliseconds(milliseconds)), _bool)

    def persist(self, name: Key) -> Any:
        return self._command(("PERSIST", name), _bool)

    def ttl(self, name: Key) -> Any:
        return self._command(("TTL", name))

    def pttl(self, name: Key) -> Any:
        return self._command(("PTTL", name))

    def type(self, name: Key) -> Any:
        return self._command(("TYPE", name))

    def keys(self, pattern: Key = "*") -> Any:
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
        ex: Optional[Duration] = None,
        px: Optional[Duration] = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
    ) -> Any:
        """``SET`` with ``EX``/``PX``/``NX``/``XX``/``KEEPTTL``/``GET``:
        ``True``, or ``None`` when ``nx``/``xx`` did not hold; with ``get``,
        the old value."""
        if ex is None and px is None and not (nx or xx or keepttl or get):
            return self._command(("SET", name, value), _ok)
        args: List[Any] = ["SET", name, value]
        if ex is not None:
            args += ["EX", _seconds(ex)]
        if px is not None:
            args += ["PX", _milliseconds(px)]
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        if keepttl:
            args.append("KEEPTTL")
        if get:
            args.append("GET")
            return self._command(tuple(args))
        return self._command(tuple(args), _ok)

    def setex(self, name: Key, seconds: Duration, value: Value) -> Any:
        return self._command(("SETEX", name, _seconds(seconds), value), _ok)

    def setnx(self, name: Key, value: Value) -> Any:
        return self._command(("SETNX", name, value), _bool)

    def mget(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        """``MGET``: the keys one by one or as one list."""
        return self._command(("MGET",) + _keys(keys, args))

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

    def append(self, name: Key, value: Value) -> Any:
        return self._command(("APPEND", name, value))

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

    def hmget(self, name: Key, keys: Iterable[Key], *args: Key) -> Any:
        return self._command(("HMGET", name) + tuple(keys) + args)

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

    def lpop(self, name: Key) -> Any:
        return self._command(("LPOP", name))

    def rpop(self, name: Key) -> Any:
        return self._command(("RPOP", name))

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

    def zadd(self, name: Key, mapping: Mapping[Key, float]) -> Any:
        args: List[Any] = ["ZADD", name]
        for member, score in mapping.items():
            args += [score, member]
        return self._command(tuple(args))

    def zscore(self, name: Key, member: Key) -> Any:
        return self._command(("ZSCORE", name, member), _float)

    def zrange(self, name: Key, start: int, end: int, withscores: bool = False) -> Any:
        if withscores:
            return self._command(("ZRANGE", name, start, end, "WITHSCORES"), _scored)
        return self._command(("ZRANGE", name, start, end))

    def zcard(self, name: Key) -> Any:
        return self._command(("ZCARD", name))

    # Pub/sub and scripts.

    def publish(self, channel: Key, message: Value) -> Any:
        """``PUBLISH``: how many subscribers received it."""
        return self._command(("PUBLISH", channel, message))

    def eval(self, script: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVAL", script, numkeys) + keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVALSHA", sha, numkeys) + keys_and_args)

    def script_load(self, script: str) -> Any:
        return self._command(("SCRIPT", "LOAD", script))

    def script_flush(self) -> Any:
        return self._command(("SCRIPT", "FLUSH"), _ok)

"""What command methods share: the argument types, the conversions of
arguments (durations, timestamps, key lists) and of raw replies into what
redis-py returns, and the base every family of methods builds on."""

import datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, Iterable, List, Mapping, Optional, Tuple, Union

from ..exceptions import DataError

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    #: What a reply's strings are: ``bytes``, or ``str`` for a client made
    #: with ``decode_responses=True`` (``Redis[str]``); a bare ``Redis`` is
    #: ``Redis[bytes]``.
    _S = TypeVar("_S", bytes, str, default=bytes)
else:
    from typing import TypeVar

    _S = TypeVar("_S", bytes, str)

Key = Union[bytes, str, memoryview]
Value = Union[bytes, str, int, float]
Callback = Optional[Callable[[Any], Any]]
#: A time to live: a number of seconds (or milliseconds) or a ``timedelta``.
Duration = Union[int, datetime.timedelta]
#: A point in time: a Unix time in seconds (milliseconds for ``PXAT``-like
#: options) or a ``datetime``.
When = Union[int, datetime.datetime]


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
    """A flat ``[field, value, ...]`` (RESP2) or a map (RESP3) as a dict;
    nothing (a stream entry deleted meanwhile) as ``{}``, as redis-py."""
    if reply is None:
        return {}
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2]))


def _set(reply: Any) -> Any:
    return reply if isinstance(reply, set) or reply is None else set(reply)


def _info_value(value: str) -> Any:
    """One ``INFO`` value: a number (``.``: a float), a list
    (``a,b``), a dict (``k=v,k=v``; a bare item ``True``), else the text."""
    if "=" in value:
        fields: Dict[str, Any] = {}
        for item in value.split(","):
            if "=" in item:
                name, sub = item.rsplit("=", 1)
                fields[name] = _info_value(sub)
            elif item:
                fields[item] = True
        return fields
    if "," in value:
        return [_info_value(item) for item in value.split(",") if item]
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


def _info(reply: Any) -> Dict[str, Any]:
    """``INFO`` as a dict, as redis-py parses it: ``db0`` a dict,
    ``cmdstat_*`` and ``errorstat_*`` dicts, ``module`` lines the list
    ``modules``, lines without ``:`` under ``__raw__``."""
    text = reply.decode() if isinstance(reply, bytes) else reply
    info: Dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            info.setdefault("__raw__", []).append(line)
            continue
        key, value = line.split(":", 1)
        if key == "cmdstat_host":
            key, value = line.rsplit(":", 1)
        if key == "module":
            info.setdefault("modules", []).append(_info_value(value))
        else:
            info[key] = _info_value(value)
    return info


def _score_cast(cast: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``cast`` for a score as the server wrote it; one it refuses (``int``
    of ``b"3.5"`` or of ``b"1e+18"``) gets the score as a float, as in
    redis-py."""
    if cast is float:
        return cast

    def forgiving(score: Any) -> Any:
        try:
            return cast(score)
        except (TypeError, ValueError):
            return cast(float(score))

    return forgiving


def _scored(cast: Callable[[Any], Any] = float) -> Callable[[Any], Any]:
    """``[member, score, ...]`` (or RESP3 pairs) as ``[(member, cast(score)), ...]``."""
    cast = _score_cast(cast)

    def parse(reply: Any) -> Any:
        if not reply:
            return reply
        if isinstance(reply[0], list):
            return [(member, cast(score)) for member, score in reply]
        return [(member, cast(score)) for member, score in zip(reply[::2], reply[1::2])]

    return parse




def _unix_time(value: Union[int, datetime.datetime], unit: int) -> Any:
    """A ``datetime`` as a Unix time in seconds (``unit`` 1) or
    milliseconds (1000); anything else as it is (the server judges it)."""
    return int(value.timestamp() * unit) if isinstance(value, datetime.datetime) else value


def _tuple_or_none(reply: Any) -> Any:
    return None if reply is None else tuple(reply)


def _text(reply: Any) -> Any:
    """A reply as ``str`` (UTF-8), ``None`` as it is."""
    return reply.decode() if isinstance(reply, bytes) else reply


def _popped_with_scores(reply: Any) -> Any:
    """``ZPOPMIN``/``ZPOPMAX``: ``[(member, score), ...]`` from RESP2's
    flat list or RESP3's pairs."""
    return _scored()(reply) if reply else reply


def _blocking_popped_with_score(reply: Any) -> Any:
    """``BZPOPMIN``/``BZPOPMAX``: ``(key, member, score)``, or ``None``."""
    return None if reply is None else (reply[0], reply[1], float(reply[2]))


def _optional_floats(reply: Any) -> Any:
    return None if reply is None else [None if score is None else float(score) for score in reply]


def _scan(reply: Any) -> Any:
    """A cursor reply: ``(next cursor, items)``."""
    cursor, items = reply
    return int(cursor), items


def _config(reply: Any) -> Any:
    """``CONFIG GET``: ``{name: value}`` as ``str``."""
    pairs = _pairs_to_dict(reply) or {}
    return {_text(name): _text(value) for name, value in pairs.items()}


def _client_line(line: str) -> Dict[str, str]:
    """One ``CLIENT LIST``/``CLIENT INFO`` line as ``{field: value}``."""
    fields: Dict[str, str] = {}
    for part in line.split(" "):
        if "=" in part:
            name, value = part.split("=", 1)
            fields[name] = value
    return fields


def _client_list(reply: Any) -> List[Dict[str, str]]:
    return [_client_line(line) for line in _text(reply).splitlines() if line]


#: The fields of ``CLIENT INFO`` redis-py reads as integers.
_CLIENT_INTEGERS = frozenset(
    {"id", "age", "idle", "db", "sub", "psub", "multi", "qbuf", "qbuf-free", "obl", "argv-mem", "oll", "omem", "tot-mem"}
)


def _client_info(reply: Any) -> Dict[str, Any]:
    """``CLIENT INFO``: its fields, the numeric ones as ``int``, as redis-py."""
    fields: Dict[str, Any] = _client_line(_text(reply).strip())
    for name in _CLIENT_INTEGERS & fields.keys():
        fields[name] = int(fields[name])
    return fields


def _tracking_info(reply: Any) -> List[Any]:
    """``CLIENT TRACKINGINFO``: the flat ``[label, value, ...]`` list, the
    labels ``str`` and a set of flags a list, as redis-py gives it."""
    pairs = reply.items() if isinstance(reply, dict) else zip(reply[::2], reply[1::2])
    flat: List[Any] = []
    for label, value in pairs:
        flat += [_text(label), list(value) if isinstance(value, set) else value]
    return flat


def _with_score_rank(cast: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``ZRANK … WITHSCORE``: ``[rank, cast(score)]``; a plain rank as it is."""

    cast = _score_cast(cast)

    def parse(reply: Any) -> Any:
        if isinstance(reply, list):
            return [reply[0], cast(reply[1])]
        return reply

    return parse


def _weighted(command: str, destination: Tuple[Any, ...], keys: Any, aggregate: Optional[str]) -> Tuple[Any, ...]:
    """``ZUNION``/``ZINTER`` (``STORE``) arguments: ``keys`` a list, or a
    ``{key: weight}`` mapping (``WEIGHTS``); ``AGGREGATE`` when given."""
    names = list(keys)
    args: Tuple[Any, ...] = (command,) + destination + (len(names),) + tuple(names)
    if isinstance(keys, Mapping):
        args += ("WEIGHTS",) + tuple(keys[name] for name in names)
    if aggregate:
        args += ("AGGREGATE", aggregate)
    return args


class Sender(Generic[_S]):
    """What every family of command methods sends through: a class it is
    mixed into defines ``_command(args, callback, **options)``, which runs a
    command at once, awaited, or queued in a pipeline, and gives its raw
    reply to ``callback`` (``None``: as it is). ``options`` are the keyword
    arguments redis-py's methods pass on to ``execute_command``: a cluster
    client reads ``target_nodes`` (see :class:`redwire.RedisCluster`), the
    others nothing."""

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        raise NotImplementedError


def _entries(reply: Any) -> Any:
    """Stream entries: ``[(id, {field: value}), ...]`` (``(None, None)`` for
    an entry deleted meanwhile), extra items of an entry (a claim's) kept."""
    if reply is None:
        return None
    entries: List[Any] = []
    for entry in reply:
        if entry is None:
            entries.append((None, None))
        else:
            entries.append((entry[0], _pairs_to_dict(entry[1])) + tuple(entry[2:]))
    return entries


def _streams(reply: Any) -> Any:
    """``XREAD``/``XREADGROUP``: ``[[stream, entries], ...]`` (RESP2), or
    ``{stream: [entries]}`` (RESP3 maps), ``[]`` when none came."""
    if reply is None:
        return []
    if isinstance(reply, dict):
        return {name: [_entries(entries)] for name, entries in reply.items()}
    return [[name, _entries(entries)] for name, entries in reply]


def _str_keyed(reply: Any) -> Any:
    """A flat ``[field, value, ...]`` (or a map) as a dict with ``str``
    keys, the values as they come (``ARINFO``, ``XINFO``)."""
    return {_text(k): v for k, v in _pairs_to_dict(reply).items()}


def _dicts(reply: Any) -> Any:
    """A list of flat ``[field, value, ...]`` (or maps) as dicts with
    ``str`` keys."""
    return [_str_keyed(item) for item in reply]


def _set_result(reply: Any) -> Any:
    """``SET``: ``True`` for ``OK``, else the reply (``None``: a condition
    did not hold; with ``GET``, the old value)."""
    return True if reply in (b"OK", "OK") else reply


#: How ``execute_command`` reads the reply of a command named alone (its
#: options unknown), as redis-py's does; a command not here gives its
#: reply as it is.
BY_NAME: Dict[str, Callable[[Any], Any]] = {
    "INFO": _info,
    "PING": lambda reply: reply in (b"PONG", "PONG"),
    "TIME": lambda reply: (int(reply[0]), int(reply[1])),
    "LASTSAVE": lambda reply: datetime.datetime.fromtimestamp(int(reply)),
    "SET": _set_result,
    "HGETALL": _pairs_to_dict,
    "SMEMBERS": _set,
    "SINTER": _set,
    "SUNION": _set,
    "SDIFF": _set,
    "SCAN": _scan,
    "BLESS SCAN": _scan,
    "ARINFO": _str_keyed,
    "SSCAN": _scan,
    "HSCAN": lambda reply: (int(reply[0]), _pairs_to_dict(reply[1])),
    "ZSCAN": lambda reply: (int(reply[0]), _scored()(reply[1])),
    "BLPOP": _tuple_or_none,
    "BRPOP": _tuple_or_none,
    "BZPOPMIN": _blocking_popped_with_score,
    "BZPOPMAX": _blocking_popped_with_score,
    "ZPOPMIN": _popped_with_scores,
    "ZPOPMAX": _popped_with_scores,
    "ZMSCORE": _optional_floats,
    "XRANGE": _entries,
    "XREVRANGE": _entries,
    "XREAD": _streams,
    "XREADGROUP": _streams,
    "XINFO GROUPS": lambda reply: _dicts(reply),
    "XINFO CONSUMERS": lambda reply: _dicts(reply),
    "CONFIG GET": _config,
    "CLIENT LIST": _client_list,
    "CLIENT INFO": _client_info,
    "CLIENT GETNAME": _text,
    "ACL WHOAMI": _text,
    "SCRIPT LOAD": _text,
    "SCRIPT EXISTS": lambda reply: [bool(r) for r in reply],
    "PUBSUB NUMSUB": lambda reply: list(zip(reply[::2], reply[1::2])),
    "GEOPOS": lambda reply: [None if p is None else (float(p[0]), float(p[1])) for p in reply],
    "GEOHASH": lambda reply: [_text(h) for h in reply],
    **{name: _ok for name in (
        "FLUSHALL", "FLUSHDB", "MSET", "RENAME", "LSET", "LTRIM", "PFMERGE", "SAVE", "CONFIG SET",
        "CONFIG RESETSTAT", "SCRIPT FLUSH", "FUNCTION FLUSH", "FUNCTION DELETE", "XGROUP CREATE", "XGROUP SETID",
    )},
    **{name: _bool for name in (
        "COPY", "EXPIRE", "EXPIREAT", "PEXPIRE", "PEXPIREAT", "PERSIST", "RENAMENX", "HEXISTS", "MOVE",
        "MSETNX", "PSETEX", "SETEX", "SETNX", "SMOVE", "XGROUP DESTROY",
    )},
    **{name: _float for name in ("INCRBYFLOAT", "HINCRBYFLOAT", "ZSCORE", "ZINCRBY", "GEODIST")},
}

#: Commands whose first word is a container (``SCRIPT LOAD``).
_CONTAINERS = frozenset({
    "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY", "MODULE", "OBJECT",
    "PUBSUB", "SCRIPT", "SLOWLOG", "XINFO", "XGROUP",
})


def _command_name(args: Tuple[Any, ...]) -> str:
    """A command's name as redis-py names it: upper case, two words for a
    container's (``SCRIPT LOAD``), whether given as one argument or two."""
    words = [arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg) for arg in args[:2]]
    first = words[0].upper() if words else ""
    if " " in first:
        return " ".join(first.split()[:2])
    if first in _CONTAINERS and len(words) > 1:
        return f"{first} {words[1].upper()}"
    return first


def by_name(args: Tuple[Any, ...]) -> Optional[Callable[[Any], Any]]:
    """The reading of ``BY_NAME`` for a command, by its first argument
    only, as redis-py picks it (``"CONFIG GET"`` given as one argument is
    one name; ``"CONFIG", "GET"`` is ``CONFIG``, read as it comes)."""
    first = args[0] if args else None
    name = first.decode(errors="replace") if isinstance(first, bytes) else first
    if not isinstance(name, str):
        return None
    name = name.upper()
    if name in _WITH_SCORES and any(_is_word(arg, "WITHSCORES") for arg in args[1:]):
        return _score_pairs
    return BY_NAME.get(name)


def _score_pairs(reply: Any) -> Any:
    """``WITHSCORES`` replies read by name: ``[[member, score], ...]``, as
    redis-py's ``execute_command`` gives them."""
    return [list(pair) for pair in _scored()(reply)] if reply else reply


#: Commands whose reply has scores when ``WITHSCORES`` is among their arguments.
_WITH_SCORES = frozenset({"ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZUNION", "ZINTER"})


def _is_word(arg: Any, word: str) -> bool:
    if isinstance(arg, bytes):
        arg = arg.decode(errors="replace")
    return isinstance(arg, str) and arg.upper() == word

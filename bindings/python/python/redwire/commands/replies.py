"""What command methods share: the argument types, the conversions of
arguments (durations, timestamps, key lists) and of raw replies into what
redis-py returns, and the base every family of methods builds on."""

import datetime
import decimal
import math
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

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

_F = TypeVar("_F", bound=Callable[..., Any])


def at_once(method: _F) -> _F:
    """Marks a command method that sends nothing and returns at once on
    every client, asyncio's and a pipeline too (a builder, a value computed
    here): its typing stubs keep its return type as it is. Does nothing at
    run time."""
    return method


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
        return _whole_ms(value)
    return value


def _whole_ms(delta: datetime.timedelta) -> int:
    """A ``timedelta`` in whole milliseconds, truncated toward zero, with
    integers only (``total_seconds() * 1000`` can come out 1 ms low), as
    redis-py."""
    one = datetime.timedelta(milliseconds=1)
    return -(-delta // one) if delta < datetime.timedelta(0) else delta // one


def _unix(when: datetime.datetime, unit: int) -> int:
    """A ``datetime`` as a Unix time in seconds (``unit`` 1) or milliseconds
    (1000; integers only), a naive one in local time."""
    if unit == 1:
        return int(when.timestamp())
    if when.utcoffset() is None:
        seconds = int(when.replace(microsecond=0).timestamp())
        return _whole_ms(datetime.timedelta(seconds=seconds, microseconds=when.microsecond))
    return _whole_ms(when - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))


def _expiry(value: Union[Duration, str], unit: int, name: str) -> Any:
    """An ``ex`` (``unit`` 1) or ``px`` (1000): a ``timedelta``, an integer
    or a string of digits; anything else (a float) a ``DataError``, before
    anything is sent."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds()) if unit == 1 else _whole_ms(value)
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdecimal()):
        return value
    raise DataError(f"{name} must be datetime.timedelta, int, or a digit string, not {type(value).__name__}")


def _timestamp(value: Union[int, datetime.datetime], unit: int, name: str) -> int:
    """An ``exat`` (``unit`` 1) or ``pxat`` (1000): a ``datetime`` as a Unix
    time; an integer as it is; anything else a ``DataError``."""
    if isinstance(value, datetime.datetime):
        return _unix(value, unit)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DataError(f"{name} must be datetime.datetime or int")


def _expire_options(
    ex: Optional[Union[Duration, str]],
    px: Optional[Union[Duration, str]],
    exat: Optional["When"],
    pxat: Optional["When"],
) -> Tuple[Any, ...]:
    """``EX``/``PX``/``EXAT``/``PXAT`` of the first given (redis-py checks
    that one at most is)."""
    for word, given, unit in (("EX", ex, 1), ("PX", px, 1000)):
        if given is not None:
            return (word, _expiry(given, unit, word.lower()))
    for word, when, unit in (("EXAT", exat, 1), ("PXAT", pxat, 1000)):
        if when is not None:
            return (word, _unix(when, unit) if isinstance(when, datetime.datetime) else when)
    return ()


def _at_most_one(*given: Any) -> bool:
    return sum(bool(flag) for flag in given) <= 1


def _option_word(option: Any) -> Any:
    """An enum member's word (its ``value``; redis-py's enums too), a
    string as it is."""
    return option.value if isinstance(option, Enum) else option


def _expire_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> Tuple[str, ...]:
    return tuple(flag for flag, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on)


def _part_expiry(
    command: str, name: Key, when: Any, parts: str, names: Tuple[Any, ...], nx: bool, xx: bool, gt: bool, lt: bool
) -> Tuple[Any, ...]:
    """``HEXPIRE``/``SEXPIRE``-like arguments: ``name when [NX|XX|GT|LT]
    FIELDS|MEMBERS n name ...``; more than one condition a ``ValueError``,
    as redis-py."""
    if sum([nx, xx, gt, lt]) > 1:
        raise ValueError("give at most one of nx, xx, gt and lt")
    return (command, name, when) + _expire_flags(nx, xx, gt, lt) + (parts, len(names)) + names


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


def _items(reply: Any) -> Iterable[Tuple[Any, Any]]:
    """A map's items: a RESP3 map's, or a RESP2 flat ``[k, v, ...]``'s
    (nothing: none)."""
    return _pairs_to_dict(reply).items()


def _texts(reply: Any) -> Any:
    """Each item as ``str``."""
    return [_text(item) for item in reply]


def _listed(values: Any) -> List[Any]:
    """One value or several (redis-py's ``list_or_args``): a string is one,
    anything iterable several, anything else one."""
    if isinstance(values, (bytes, str)):
        return [values]
    try:
        return list(values)
    except TypeError:
        return [values]


def _set(reply: Any) -> Any:
    return None if reply is None else set(reply)


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
    text = _text(reply)
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
    return _unix(value, unit) if isinstance(value, datetime.datetime) else value


def _tuple_or_none(reply: Any) -> Any:
    return None if reply is None else tuple(reply)


def _text(reply: Any) -> Any:
    """A reply as ``str`` (UTF-8, a byte that is not replaced by U+FFFD, as
    redis-py's ``str_if_bytes``), ``None`` as it is."""
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


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


def _client_fields(line: str) -> Dict[str, str]:
    """One client's ``key=value ...`` line as a dict: a value runs to the
    first ``=`` of the next word, so that a Unix socket path with spaces
    stays whole (the words between are the value's); words before the
    first ``key=`` are dropped."""
    fields: Dict[str, str] = {}
    last: Optional[str] = None
    for word in line.split(" "):
        if "=" in word:
            name, value = word.split("=", 1)
            fields[name] = value
            last = name
        elif last is not None:
            fields[last] += " " + word
    return fields


def _client_records_iter(reply: Any) -> Iterator[Dict[str, str]]:
    """``CLIENT LIST``: one dict per line, each parsed when it is reached."""
    text = _text(reply)
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        fields = _client_fields(text[start:end])
        start = end + 1
        if fields:
            yield fields


def _client_records(reply: Any) -> List[Dict[str, str]]:
    return list(_client_records_iter(reply))


#: The fields of a client's line redis-py reads as integers.
_CLIENT_INTEGERS = frozenset(
    {"id", "age", "idle", "db", "sub", "psub", "multi", "qbuf", "qbuf-free", "obl", "argv-mem", "oll", "omem", "tot-mem"}
)


def _client_numbers(fields: Dict[str, Any]) -> Dict[str, Any]:
    """A client's fields with the numeric ones as ``int``, as redis-py
    reads ``CLIENT INFO`` and ``ACL LOG``'s ``client-info``."""
    for name in _CLIENT_INTEGERS & fields.keys():
        fields[name] = int(fields[name])
    return fields


def _client_info(reply: Any) -> Dict[str, Any]:
    """``CLIENT INFO``: its fields, the numeric ones as ``int``, as redis-py."""
    return _client_numbers(_client_fields(_text(reply).strip()))


def _tracking_info(reply: Any) -> List[Any]:
    """``CLIENT TRACKINGINFO``: the flat ``[label, value, ...]`` list, the
    labels ``str`` and a set of flags a list, as redis-py gives it."""
    flat: List[Any] = []
    for label, value in _items(reply):
        flat += [_text(label), value]
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
    """``XREAD``/``XREADGROUP``: ``[[stream, entries], ...]`` (a RESP3 map
    too), ``[]`` when none came, as redis-py gives them."""
    if not reply:
        return []
    pairs = reply.items() if isinstance(reply, dict) else reply
    return [[name, _entries(entries)] for name, entries in pairs]


def _double_text(score: Any, decode: bool) -> Any:
    """A RESP3 double as RESP2 would have sent it (``b"3.5"``, ``b"1"``;
    ``str`` when decoding): the replies whose scores redis-py leaves as the
    server wrote them read the same on either protocol."""
    if isinstance(score, (bytes, str)):
        return score
    text = _redis_double(float(score))
    return text if decode else text.encode()


def _redis_double(value: float) -> str:
    """``value`` written as Redis writes a double: an integral one (within
    2**62) as an integer, else its shortest round-trip digits laid out as
    fpconv lays them out (plain up to 7 fractional digits or an exponent
    under 4 or so, else ``d.ddde±x``)."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if abs(value) <= 2**62 and value.is_integer():
        return str(int(value))
    negative, digit_tuple, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    count, power = len(digits), int(exponent)
    magnitude = abs(power + count - 1)
    if power >= 0 and magnitude < count + 7:
        out = digits + "0" * power
    elif power < 0 and (power > -7 or magnitude < 4):
        point = count + power
        out = "0." + "0" * -point + digits if point <= 0 else digits[:point] + "." + digits[point:]
    else:
        out = digits[0] + ("." + digits[1:] if count > 1 else "")
        out += f"e{'-' if power + count - 1 < 0 else '+'}{magnitude}"
    return ("-" if negative else "") + out


def _flat_scored(reply: Any) -> Any:
    """``ZDIFF``/``ZRANDMEMBER … WITHSCORES``: ``[member, score, ...]`` with
    the scores as the server wrote them (RESP3's ``[[member, score]]``
    flattened and its doubles written back), as redis-py gives them."""
    if not reply or not isinstance(reply[0], list):
        return reply
    decode = isinstance(reply[0][0], str)
    return [part for member, score in reply for part in (member, _double_text(score, decode))]


def _flat_pairs(reply: Any) -> Any:
    """``HRANDFIELD … WITHVALUES``: ``[field, value, ...]`` (RESP3's pairs
    flattened)."""
    if not reply or not isinstance(reply[0], list):
        return reply
    return [part for pair in reply for part in pair]


def _popped_from(reply: Any) -> Any:
    """``ZMPOP``/``BZMPOP``: ``[key, [[member, score], ...]]``, the scores
    as the server wrote them (RESP3's doubles written back)."""
    if not reply:
        return reply
    decode = isinstance(reply[0], str)
    return [reply[0], [[member, _double_text(score, decode)] for member, score in reply[1]]]


def _flat_map(reply: Any) -> Any:
    """A RESP3 map as RESP2's flat ``[key, value, ...]`` (``LCS … IDX``);
    anything else as it is."""
    if not isinstance(reply, dict):
        return reply
    return [part for pair in reply.items() for part in pair]


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

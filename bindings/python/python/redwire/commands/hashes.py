"""Commands on hashes."""

from enum import Enum
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, overload

from ..exceptions import DataError
from .replies import (
    Duration,
    Key,
    Sender,
    Value,
    When,
    _at_most_one,
    _bool,
    _expire_options,
    _flat_pairs,
    _float,
    _keys,
    _milliseconds,
    _option_word,
    _pairs_to_dict,
    _part_expiry,
    _S,
    _seconds,
    _unix_time,
)


class HashDataPersistOptions(Enum):
    """``HSETEX``'s condition (redis-py's enum of that name; its members,
    or their words, are taken): ``FNX``, set the fields only if none
    exists; ``FXX``, only if all exist."""

    FNX = "FNX"
    FXX = "FXX"


#: ``hsetex``'s ``data_persist_option``: a :class:`HashDataPersistOptions`
#: (redis-py's or this one) or its word.
HashPersistOption = Union[HashDataPersistOptions, str]


def _pairs(
    key: Optional[Key], value: Optional[Value], mapping: Optional[Mapping[Key, Value]], items: Optional[Sequence[Any]]
) -> Tuple[Any, ...]:
    """``field value ...`` of ``items``, then ``key``/``value``, then
    ``mapping``, in redis-py's order."""
    pairs: List[Any] = list(items) if items else []
    if key is not None:
        pairs += [key, value]
    if mapping:
        for field, field_value in mapping.items():
            pairs += [field, field_value]
    return tuple(pairs)


class HashCommands(Sender[_S]):
    def hget(self, name: Key, key: Key) -> Optional[_S]:
        return self._command(("HGET", name, key))

    def hset(
        self,
        name: Key,
        key: Optional[Key] = None,
        value: Optional[Value] = None,
        mapping: Optional[Mapping[Key, Value]] = None,
        items: Optional[Iterable[Any]] = None,
    ) -> int:
        """``HSET`` of ``key``/``value``, a ``mapping`` and/or flat ``items``:
        how many fields were added."""
        pairs = _pairs(key, value, mapping, None if items is None else list(items))
        if not pairs:
            raise DataError("hset: give key and value, a mapping or items")
        return self._command(("HSET", name) + pairs)

    def hsetnx(self, name: Key, key: Key, value: Value) -> int:
        return self._command(("HSETNX", name, key, value))

    def hsetex(
        self,
        name: Key,
        key: Optional[Key] = None,
        value: Optional[Value] = None,
        mapping: Optional[Mapping[Key, Value]] = None,
        items: Optional[Sequence[Any]] = None,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        data_persist_option: Optional[HashPersistOption] = None,
        keepttl: bool = False,
    ) -> int:
        """``HSETEX`` (Redis 8) of ``items`` (flat pairs), ``key``/``value``
        and ``mapping``, with one of ``EX``/``PX``/``EXAT``/``PXAT``/
        ``KEEPTTL`` and ``FNX``/``FXX``: 1 if the fields were set, 0 if the
        condition did not hold."""
        if key is None and not mapping and not items:
            raise DataError("hsetex: give key and value, a mapping or items")
        if items and len(items) % 2 != 0:
            raise DataError("hsetex: items are field/value pairs, an even number of them")
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError("hsetex: give at most one of ex, px, exat, pxat and keepttl")
        args: Tuple[Any, ...] = ("HSETEX", name) + _expire_options(ex, px, exat, pxat)
        if data_persist_option:
            args += (_option_word(data_persist_option),)
        if keepttl:
            args += ("KEEPTTL",)
        pairs = _pairs(key, value, mapping, items)
        return self._command(args + ("FIELDS", len(pairs) // 2) + pairs)

    def hmset(self, name: Key, mapping: Mapping[Key, Value]) -> bool:
        """``HMSET`` (deprecated by Redis for ``HSET``, still there): ``True``."""
        if not mapping:
            raise DataError("hmset: the mapping is empty")
        args: Tuple[Any, ...] = ("HMSET", name)
        for field, field_value in mapping.items():
            args += (field, field_value)
        return self._command(args, _bool)

    def hmget(self, name: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> List[Optional[_S]]:
        """``HMGET``: the fields one by one or as one list."""
        return self._command(("HMGET", name) + _keys(keys, args))

    def hgetdel(self, name: Key, *keys: Key) -> List[Optional[_S]]:
        """``HGETDEL name FIELDS n field ...`` (Redis 8): the values (``None``
        for a field that was not there), the fields deleted."""
        if not keys:
            raise DataError("hgetdel: give at least one field")
        return self._command(("HGETDEL", name, "FIELDS", len(keys)) + keys)

    def hgetex(
        self,
        name: Key,
        *keys: Key,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        persist: bool = False,
    ) -> List[Optional[_S]]:
        """``HGETEX`` (Redis 8): the fields' values, their expiry set with one
        of ``EX``/``PX``/``EXAT``/``PXAT`` or cleared with ``PERSIST``."""
        if not keys:
            raise DataError("hgetex: give at least one field")
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, persist):
            raise DataError("hgetex: give at most one of ex, px, exat, pxat and persist")
        args: Tuple[Any, ...] = ("HGETEX", name) + _expire_options(ex, px, exat, pxat)
        if persist:
            args += ("PERSIST",)
        return self._command(args + ("FIELDS", len(keys)) + keys)

    def hgetall(self, name: Key) -> Dict[_S, _S]:
        """``HGETALL`` as a dict."""
        return self._command(("HGETALL", name), _pairs_to_dict)

    def hdel(self, name: Key, *keys: Key) -> int:
        return self._command(("HDEL", name) + keys)

    def hexists(self, name: Key, key: Key) -> bool:
        return self._command(("HEXISTS", name, key), _bool)

    def hlen(self, name: Key) -> int:
        return self._command(("HLEN", name))

    def hstrlen(self, name: Key, key: Key) -> int:
        return self._command(("HSTRLEN", name, key))

    def hkeys(self, name: Key) -> List[_S]:
        return self._command(("HKEYS", name))

    def hvals(self, name: Key) -> List[_S]:
        return self._command(("HVALS", name))

    def hincrby(self, name: Key, key: Key, amount: int = 1) -> int:
        return self._command(("HINCRBY", name, key, amount))

    def hincrbyfloat(self, name: Key, key: Key, amount: float = 1.0) -> float:
        return self._command(("HINCRBYFLOAT", name, key, amount), _float)

    @overload
    def hrandfield(self, key: Key, count: None = None, withvalues: bool = False) -> Optional[_S]: ...

    @overload
    def hrandfield(self, key: Key, count: int, withvalues: bool = False) -> List[_S]: ...

    def hrandfield(self, key: Key, count: Optional[int] = None, withvalues: bool = False) -> Union[_S, List[_S], None]:
        """``HRANDFIELD [count [WITHVALUES]]``."""
        args: Tuple[Any, ...] = ("HRANDFIELD", key)
        if count is not None:
            args += (count,)
        if withvalues:
            args += ("WITHVALUES",)
        return self._command(args, _flat_pairs)

    # Expiry of fields (Redis 7.4): a list with one integer per field.

    def hexpire(
        self,
        name: Key,
        seconds: Duration,
        *fields: Key,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """``HEXPIRE``: for each field -2 (no such field), 0 (the condition
        did not hold), 1 (set) or 2 (deleted: the time has passed)."""
        seconds = _seconds(seconds)
        return self._command(_part_expiry("HEXPIRE", name, seconds, "FIELDS", fields, nx, xx, gt, lt))

    def hpexpire(
        self,
        name: Key,
        milliseconds: Duration,
        *fields: Key,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        milliseconds = _milliseconds(milliseconds)
        return self._command(_part_expiry("HPEXPIRE", name, milliseconds, "FIELDS", fields, nx, xx, gt, lt))

    def hexpireat(
        self,
        name: Key,
        unix_time_seconds: When,
        *fields: Key,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        unix_time_seconds = _unix_time(unix_time_seconds, 1)
        return self._command(_part_expiry("HEXPIREAT", name, unix_time_seconds, "FIELDS", fields, nx, xx, gt, lt))

    def hpexpireat(
        self,
        name: Key,
        unix_time_milliseconds: When,
        *fields: Key,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        unix_time_milliseconds = _unix_time(unix_time_milliseconds, 1000)
        return self._command(_part_expiry("HPEXPIREAT", name, unix_time_milliseconds, "FIELDS", fields, nx, xx, gt, lt))

    def hpersist(self, name: Key, *fields: Key) -> List[int]:
        """``HPERSIST``: for each field -2 (no such field), -1 (no expiry) or
        1 (cleared)."""
        return self._command(("HPERSIST", name, "FIELDS", len(fields)) + fields)

    def hexpiretime(self, key: Key, *fields: Key) -> List[int]:
        """``HEXPIRETIME``: for each field its expiry as a Unix time in
        seconds, -1 (none) or -2 (no such field)."""
        return self._command(("HEXPIRETIME", key, "FIELDS", len(fields)) + fields)

    def hpexpiretime(self, key: Key, *fields: Key) -> List[int]:
        return self._command(("HPEXPIRETIME", key, "FIELDS", len(fields)) + fields)

    def httl(self, key: Key, *fields: Key) -> List[int]:
        """``HTTL``: for each field its time to live in seconds, -1 (none)
        or -2 (no such field)."""
        return self._command(("HTTL", key, "FIELDS", len(fields)) + fields)

    def hpttl(self, key: Key, *fields: Key) -> List[int]:
        return self._command(("HPTTL", key, "FIELDS", len(fields)) + fields)

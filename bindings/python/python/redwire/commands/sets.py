"""Commands on sets."""

from enum import Enum
from typing import Any, Iterable, List, Optional, Set, Tuple, Union, overload

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
    _keys,
    _milliseconds,
    _option_word,
    _part_expiry,
    _S,
    _seconds,
    _set,
    _unix_time,
)


class SetDataPersistOptions(Enum):
    """``SADDEX``'s condition (redis-py's enum of that name; its members,
    or their words, are taken): ``MNX``, add the members only if none of
    them is there; ``MXX``, only if all are."""

    MNX = "MNX"
    MXX = "MXX"


#: ``saddex``'s ``data_persist_option``: a :class:`SetDataPersistOptions`
#: (redis-py's or this one) or its word.
SetPersistOption = Union[SetDataPersistOptions, str]


class SetCommands(Sender[_S]):
    def sadd(self, name: Key, *values: Value) -> int:
        return self._command(("SADD", name) + values)

    def srem(self, name: Key, *values: Value) -> int:
        return self._command(("SREM", name) + values)

    def smembers(self, name: Key) -> Set[_S]:
        """``SMEMBERS`` as a set."""
        return self._command(("SMEMBERS", name), _set)

    def sismember(self, name: Key, value: Value) -> int:
        return self._command(("SISMEMBER", name, value))

    def smismember(self, name: Key, values: Union[Value, Iterable[Value]], *args: Value) -> List[int]:
        return self._command(("SMISMEMBER", name) + _keys(values, args))  # type: ignore[arg-type]

    def scard(self, name: Key) -> int:
        return self._command(("SCARD", name))

    def smove(self, src: Key, dst: Key, value: Value) -> bool:
        return self._command(("SMOVE", src, dst, value), _bool)

    @overload
    def spop(self, name: Key, count: None = None) -> Optional[_S]: ...

    @overload
    def spop(self, name: Key, count: int) -> List[_S]: ...

    def spop(self, name: Key, count: Union[int, None] = None) -> Union[_S, List[_S], None]:
        return self._command(("SPOP", name) if count is None else ("SPOP", name, count))

    @overload
    def srandmember(self, name: Key, number: None = None) -> Optional[_S]: ...

    @overload
    def srandmember(self, name: Key, number: int) -> List[_S]: ...

    def srandmember(self, name: Key, number: Union[int, None] = None) -> Union[_S, List[_S], None]:
        return self._command(("SRANDMEMBER", name) if number is None else ("SRANDMEMBER", name, number))

    def sinter(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Set[_S]:
        return self._command(("SINTER",) + _keys(keys, args), _set_or_empty)

    def sunion(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Set[_S]:
        return self._command(("SUNION",) + _keys(keys, args), _set_or_empty)

    def sdiff(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Set[_S]:
        return self._command(("SDIFF",) + _keys(keys, args), _set_or_empty)

    def sinterstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> int:
        return self._command(("SINTERSTORE", dest) + _keys(keys, args))

    def sunionstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> int:
        return self._command(("SUNIONSTORE", dest) + _keys(keys, args))

    def sdiffstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> int:
        return self._command(("SDIFFSTORE", dest) + _keys(keys, args))

    def sintercard(self, numkeys: int, keys: Iterable[Key], limit: int = 0) -> int:
        args: Tuple[Any, ...] = ("SINTERCARD", numkeys) + tuple(keys) + ("LIMIT", limit)
        return self._command(args)

    def sdiffcard(self, numkeys: int, keys: List[Key], limit: int = 0) -> int:
        """``SDIFFCARD numkeys key ... LIMIT limit`` (servers that have it):
        the size of the difference (counted up to ``limit``; 0: all)."""
        return self._command(("SDIFFCARD", numkeys) + tuple(keys) + ("LIMIT", limit))

    def sunioncard(self, numkeys: int, keys: List[Key], limit: int = 0, approx: bool = False) -> int:
        """``SUNIONCARD numkeys key ... [APPROX] LIMIT limit`` (servers that
        have it): the size of the union."""
        args: Tuple[Any, ...] = ("SUNIONCARD", numkeys) + tuple(keys)
        if approx:
            args += ("APPROX",)
        return self._command(args + ("LIMIT", limit))

    def saddex(
        self,
        name: Key,
        *members: Value,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        data_persist_option: Optional[SetPersistOption] = None,
        keepttl: bool = False,
    ) -> int:
        """``SADDEX`` (servers that have it): adds ``members`` with an expiry
        (one of ``EX``/``PX``/``EXAT``/``PXAT``/``KEEPTTL``) and
        ``MNX``/``MXX``: how many were added."""
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError("saddex: give at most one of ex, px, exat, pxat and keepttl")
        args: Tuple[Any, ...] = ("SADDEX", name) + _expire_options(ex, px, exat, pxat)
        if data_persist_option:
            args += (_option_word(data_persist_option),)
        if keepttl:
            args += ("KEEPTTL",)
        return self._command(args + ("MEMBERS", len(members)) + members)

    # Expiry of members (servers that have it): a list with one integer per member.

    def sexpire(
        self,
        name: Key,
        seconds: Duration,
        *members: Value,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """``SEXPIRE``: for each member -2 (not there), 0 (the condition did
        not hold), 1 (set) or 2 (removed: the time has passed)."""
        seconds = _seconds(seconds)
        return self._command(_part_expiry("SEXPIRE", name, seconds, "MEMBERS", members, nx, xx, gt, lt))

    def spexpire(
        self,
        name: Key,
        milliseconds: Duration,
        *members: Value,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        milliseconds = _milliseconds(milliseconds)
        return self._command(_part_expiry("SPEXPIRE", name, milliseconds, "MEMBERS", members, nx, xx, gt, lt))

    def sexpireat(
        self,
        name: Key,
        unix_time_seconds: When,
        *members: Value,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        unix_time_seconds = _unix_time(unix_time_seconds, 1)
        return self._command(_part_expiry("SEXPIREAT", name, unix_time_seconds, "MEMBERS", members, nx, xx, gt, lt))

    def spexpireat(
        self,
        name: Key,
        unix_time_milliseconds: When,
        *members: Value,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        unix_time_milliseconds = _unix_time(unix_time_milliseconds, 1000)
        return self._command(_part_expiry("SPEXPIREAT", name, unix_time_milliseconds, "MEMBERS", members, nx, xx, gt, lt))

    def spersist(self, name: Key, *members: Value) -> List[int]:
        """``SPERSIST``: for each member -2 (not there), -1 (no expiry) or 1
        (cleared)."""
        return self._command(("SPERSIST", name, "MEMBERS", len(members)) + members)

    def sexpiretime(self, name: Key, *members: Value) -> List[int]:
        """``SEXPIRETIME``: for each member its expiry as a Unix time in
        seconds, -1 (none) or -2 (not there)."""
        return self._command(("SEXPIRETIME", name, "MEMBERS", len(members)) + members)

    def spexpiretime(self, name: Key, *members: Value) -> List[int]:
        return self._command(("SPEXPIRETIME", name, "MEMBERS", len(members)) + members)

    def sttl(self, name: Key, *members: Value) -> List[int]:
        """``STTL``: for each member its time to live in seconds, -1 (none)
        or -2 (not there)."""
        return self._command(("STTL", name, "MEMBERS", len(members)) + members)

    def spttl(self, name: Key, *members: Value) -> List[int]:
        return self._command(("SPTTL", name, "MEMBERS", len(members)) + members)


def _set_or_empty(reply: Any) -> Any:
    return set(reply) if reply else set()

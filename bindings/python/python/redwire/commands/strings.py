"""Commands on strings, and on the strings read as bitmaps and as
HyperLogLogs."""

from typing import Any, Iterable, List, Literal, Mapping, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import (
    Duration,
    Key,
    Sender,
    Value,
    When,
    _S,
    _bool,
    _expiry,
    _float,
    _keys,
    _milliseconds,
    _ok,
    _seconds,
    _timestamp,
)

#: ``LCS … IDX``'s matches: ``[[start, end], [start, end]]`` in each key
#: (and the match's length with ``withmatchlen``); its reply is
#: ``["matches", LcsMatches, "len", length]``.
LcsMatches = List[List[Union[List[int], int]]]


class StringCommands(Sender[_S]):
    def get(self, name: Key) -> Optional[_S]:
        """``GET``: the value, or ``None``."""
        return self._command(("GET", name))

    @overload
    def set(
        self,
        name: Key,
        value: Value,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: Literal[False] = False,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        ifeq: Optional[Key] = None,
        ifne: Optional[Key] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Optional[bool]: ...

    @overload
    def set(
        self,
        name: Key,
        value: Value,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        *,
        get: Literal[True],
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        ifeq: Optional[Key] = None,
        ifne: Optional[Key] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Optional[_S]: ...

    @overload
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
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        ifeq: Optional[Key] = None,
        ifne: Optional[Key] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Optional[Union[bool, _S]]: ...

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
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        ifeq: Optional[Key] = None,
        ifne: Optional[Key] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Optional[Union[bool, _S]]:
        """``SET`` with ``EX``/``PX``/``EXAT``/``PXAT``/``KEEPTTL`` (one at
        most), ``NX``/``XX`` or one of ``IFEQ``/``IFNE``/``IFDEQ``/``IFDNE``
        (servers that have them), and ``GET``: ``True``, or ``None`` when a
        condition did not hold; with ``get``, the old value."""
        plain = ex is None and px is None and exat is None and pxat is None and not (nx or xx or keepttl or get)
        if plain and ifeq is None and ifne is None and ifdeq is None and ifdne is None:
            return self._command(("SET", name, value), _ok)
        if sum([ex is not None, px is not None, exat is not None, pxat is not None, keepttl]) > 1:
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

    def setex(self, name: Key, time: Duration, value: Value) -> bool:
        return self._command(("SETEX", name, _seconds(time), value), _ok)

    def psetex(self, name: Key, time_ms: Duration, value: Value) -> bool:
        return self._command(("PSETEX", name, _milliseconds(time_ms), value), _bool)

    def setnx(self, name: Key, value: Value) -> bool:
        return self._command(("SETNX", name, value), _bool)

    def getset(self, name: Key, value: Value) -> Optional[_S]:
        return self._command(("GETSET", name, value))

    def getdel(self, name: Key) -> Optional[_S]:
        return self._command(("GETDEL", name))

    def getex(
        self,
        name: Key,
        ex: Optional[Duration] = None,
        px: Optional[Duration] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        persist: bool = False,
    ) -> Optional[_S]:
        """``GETEX`` with one of ``EX``/``PX``/``EXAT``/``PXAT``/``PERSIST``."""
        if sum([ex is not None, px is not None, exat is not None, pxat is not None, persist]) > 1:
            raise DataError("getex: give at most one of ex, px, exat, pxat and persist")
        args: Tuple[Any, ...] = ("GETEX", name)
        if ex is not None:
            args += ("EX", _expiry(ex, 1, "ex"))
        if px is not None:
            args += ("PX", _expiry(px, 1000, "px"))
        if exat is not None:
            args += ("EXAT", _timestamp(exat, 1, "exat"))
        if pxat is not None:
            args += ("PXAT", _timestamp(pxat, 1000, "pxat"))
        if persist:
            args += ("PERSIST",)
        return self._command(args)

    def getrange(self, key: Key, start: int, end: int) -> _S:
        return self._command(("GETRANGE", key, start, end))

    def substr(self, name: Key, start: int, end: int = -1) -> _S:
        return self._command(("SUBSTR", name, start, end))

    def setrange(self, name: Key, offset: int, value: Value) -> int:
        return self._command(("SETRANGE", name, offset, value))

    def mget(self, keys: Union[Key, Iterable[Key]], *args: Key) -> List[Optional[_S]]:
        """``MGET``: the keys one by one or as one list (at least one)."""
        names = _keys(keys, args)
        if not names:
            raise DataError("mget: no key given")
        return self._command(("MGET",) + names)

    def mset(self, mapping: Mapping[Key, Value]) -> bool:
        return self._command(("MSET",) + _flat(mapping), _ok)

    def msetnx(self, mapping: Mapping[Key, Value]) -> bool:
        return self._command(("MSETNX",) + _flat(mapping), _bool)

    def incr(self, name: Key, amount: int = 1) -> int:
        if amount == 1:
            return self._command(("INCR", name))
        return self._command(("INCRBY", name, amount))

    def incrby(self, name: Key, amount: int = 1) -> int:
        return self._command(("INCRBY", name, amount))

    def incrbyfloat(self, name: Key, amount: float = 1.0) -> float:
        return self._command(("INCRBYFLOAT", name, amount), _float)

    def decr(self, name: Key, amount: int = 1) -> int:
        return self._command(("DECRBY", name, amount))

    def decrby(self, name: Key, amount: int = 1) -> int:
        return self._command(("DECRBY", name, amount))

    def append(self, key: Key, value: Value) -> int:
        return self._command(("APPEND", key, value))

    def strlen(self, name: Key) -> int:
        return self._command(("STRLEN", name))

    @overload
    def lcs(
        self,
        key1: Key,
        key2: Key,
        len: Literal[False] = False,
        idx: Literal[False] = False,
        minmatchlen: int = 0,
        withmatchlen: bool = False,
    ) -> _S: ...

    @overload
    def lcs(
        self,
        key1: Key,
        key2: Key,
        len: Literal[True],
        idx: Literal[False] = False,
        minmatchlen: int = 0,
        withmatchlen: bool = False,
    ) -> int: ...

    @overload
    def lcs(
        self,
        key1: Key,
        key2: Key,
        len: bool = False,
        *,
        idx: Literal[True],
        minmatchlen: int = 0,
        withmatchlen: bool = False,
    ) -> List[Union[_S, int, LcsMatches]]: ...

    @overload
    def lcs(
        self, key1: Key, key2: Key, len: bool = False, idx: bool = False, minmatchlen: int = 0, withmatchlen: bool = False
    ) -> Union[_S, int, List[Union[_S, int, LcsMatches]]]: ...

    def lcs(
        self, key1: Key, key2: Key, len: bool = False, idx: bool = False, minmatchlen: int = 0, withmatchlen: bool = False
    ) -> Union[_S, int, List[Union[_S, int, LcsMatches]]]:
        """``LCS``: the longest common subsequence (its length with ``len``,
        its matches with ``idx``)."""
        args: Tuple[Any, ...] = ("LCS", key1, key2)
        if len:
            args += ("LEN",)
        if idx:
            args += ("IDX",)
        if minmatchlen:
            args += ("MINMATCHLEN", minmatchlen)
        if withmatchlen:
            args += ("WITHMATCHLEN",)
        return self._command(args)

    # Bitmaps.

    def setbit(self, name: Key, offset: int, value: int) -> int:
        return self._command(("SETBIT", name, offset, 1 if value else 0))

    def getbit(self, name: Key, offset: int) -> int:
        return self._command(("GETBIT", name, offset))

    def bitcount(self, key: Key, start: Optional[int] = None, end: Optional[int] = None, mode: Optional[str] = None) -> int:
        """``BITCOUNT [start end [BYTE|BIT]]``."""
        args: Tuple[Any, ...] = ("BITCOUNT", key)
        if (start is None) != (end is None):
            raise DataError("bitcount: give start and end together")
        if start is not None:
            args += (start, end)
        if mode is not None:
            args += (mode,)
        return self._command(args)

    def bitpos(
        self, key: Key, bit: int, start: Optional[int] = None, end: Optional[int] = None, mode: Optional[str] = None
    ) -> int:
        if bit not in (0, 1):
            raise DataError("bitpos: bit is 0 or 1")
        args: Tuple[Any, ...] = ("BITPOS", key, bit)
        if start is not None:
            args += (start,)
            if end is not None:
                args += (end,)
                if mode is not None:
                    args += (mode,)
        elif end is not None:
            raise DataError("bitpos: end needs start")
        return self._command(args)

    def bitop(self, operation: str, dest: Key, *keys: Key) -> int:
        return self._command(("BITOP", operation, dest) + keys)

    # HyperLogLogs.

    def pfadd(self, name: Key, *values: Value) -> int:
        return self._command(("PFADD", name) + values)

    def pfcount(self, *sources: Key) -> int:
        return self._command(("PFCOUNT",) + sources)

    def pfmerge(self, dest: Key, *sources: Key) -> bool:
        return self._command(("PFMERGE", dest) + sources, _ok)


def _flat(mapping: Mapping[Key, Value]) -> Tuple[Any, ...]:
    """``{key: value}`` as ``key value ...``."""
    flat: List[Any] = []
    for key, value in mapping.items():
        flat += [key, value]
    return tuple(flat)

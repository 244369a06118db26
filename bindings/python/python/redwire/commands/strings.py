"""Commands on strings, and on the strings read as bitmaps and as
HyperLogLogs."""

import importlib
import warnings
from enum import Enum
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Union,
    overload,
)

from ..exceptions import DataError
from .replies import (
    at_once,
    Duration,
    Key,
    Sender,
    Value,
    When,
    _at_most_one,
    _bool,
    _expire_options,
    _expiry,
    _flat_map,
    _float,
    _items,
    _keys,
    _milliseconds,
    _ok,
    _option_word,
    _S,
    _seconds,
    _text,
    _timestamp,
)

#: ``LCS … IDX``'s matches: ``[[start, end], [start, end]]`` in each key
#: (and the match's length with ``withmatchlen``); its reply is
#: ``["matches", LcsMatches, "len", length]``.
LcsMatches = List[List[Union[List[int], int]]]
#: ``STRALGO LCS … IDX``'s reply as redis-py reads it: ``{"matches":
#: [[(start, end), (start, end)], ...], "len": length}`` (each match led by
#: its length with ``withmatchlen``).
StralgoMatches = Dict[str, Union[int, List[List[Union[int, Tuple[int, int]]]]]]
#: A bit field's offset: a bit number, or ``"#n"`` (``n`` times the field's width).
BitfieldOffset = Union[int, str]


class DataPersistOptions(Enum):
    """``MSETEX``'s condition (redis-py's enum of that name; its members,
    or their words, are taken): ``NX``, set the keys only if none exists;
    ``XX``, only if all exist."""

    NX = "NX"
    XX = "XX"


#: ``msetex``'s ``data_persist_option``: a :class:`DataPersistOptions`
#: (redis-py's or this one) or its word.
PersistOption = Union[DataPersistOptions, str]




class BitFieldOperation:
    """redis-py's ``BITFIELD`` builder (``client.bitfield(key)``): chained
    ``set``/``get``/``incrby``/``overflow`` calls, sent as one command by
    :meth:`execute` through the client (or pipeline) it came from."""

    def __init__(self, client: Sender[Any], key: Key, default_overflow: Optional[str] = None) -> None:
        self.client = client
        self.key = key
        self._default_overflow = default_overflow
        self.operations: List[Tuple[Any, ...]] = []
        self._last_overflow = "WRAP"
        self.reset()

    def reset(self) -> None:
        """Forgets the operations, as when it was made."""
        self.operations = []
        self._last_overflow = "WRAP"
        self.overflow(self._default_overflow or self._last_overflow)

    def overflow(self, overflow: str) -> "BitFieldOperation":
        """``OVERFLOW WRAP|SAT|FAIL`` for the ``incrby``s after it (sent
        only when it changes)."""
        overflow = overflow.upper()
        if overflow != self._last_overflow:
            self._last_overflow = overflow
            self.operations.append(("OVERFLOW", overflow))
        return self

    def incrby(
        self, fmt: str, offset: BitfieldOffset, increment: int, overflow: Optional[str] = None
    ) -> "BitFieldOperation":
        """``INCRBY fmt offset increment`` (``fmt``: ``u8``, ``i16``, ...)."""
        if overflow is not None:
            self.overflow(overflow)
        self.operations.append(("INCRBY", fmt, offset, increment))
        return self

    def get(self, fmt: str, offset: BitfieldOffset) -> "BitFieldOperation":
        self.operations.append(("GET", fmt, offset))
        return self

    def set(self, fmt: str, offset: BitfieldOffset, value: int) -> "BitFieldOperation":
        self.operations.append(("SET", fmt, offset, value))
        return self

    @property
    def command(self) -> List[Any]:
        """The ``BITFIELD`` command as it would be sent."""
        command: List[Any] = ["BITFIELD", self.key]
        for operation in self.operations:
            command.extend(operation)
        return command

    def execute(self) -> Any:
        """Sends the operations as one ``BITFIELD`` and forgets them: a
        list with each operation's value (``None`` for an ``incrby`` that
        ``OVERFLOW FAIL`` refused); awaitable on an asyncio client, queued
        (the pipeline returned) in a pipeline."""
        command = self.command
        self.reset()
        return self.client._command(tuple(command))




def _warn_experimental(name: str) -> None:
    """redis-py's warning for its experimental methods."""
    warnings.warn(
        f"Call to experimental method {name}. Be aware that the function arguments can "
        "change or be removed in future versions.",
        UserWarning,
        stacklevel=3,
    )


def _decodes(sender: Any) -> bool:
    """Whether the client a method runs on (a pipeline's client for a
    pipeline) decodes replies."""
    client = getattr(sender, "_client", sender)
    return bool(client._native.decode_responses)


def _stralgo(len: bool, idx: bool, withmatchlen: bool) -> Callable[[Any], Any]:
    """``STRALGO LCS``'s reply as redis-py reads it: the match as ``str``;
    with ``len`` an ``int``; with ``idx`` ``{"matches": [[(start, end),
    (start, end)], ...], "len": n}``, each match led by its length with
    ``withmatchlen``."""

    def parse(reply: Any) -> Any:
        if len:
            return int(reply)
        if idx:
            # A flat [matches, …, len, n] (RESP2) or a map (RESP3).
            fields = {_text(name): value for name, value in _items(reply)}
            if withmatchlen:
                matches = [[int(match[-1])] + [tuple(span) for span in match[:-1]] for match in fields["matches"]]
            else:
                matches = [[tuple(span) for span in match] for match in fields["matches"]]
            return {"matches": matches, "len": int(fields["len"])}
        return _text(reply)

    return parse


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

    def msetex(
        self,
        mapping: Mapping[Key, Value],
        data_persist_option: Optional[PersistOption] = None,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        keepttl: bool = False,
    ) -> int:
        """``MSETEX`` (servers that have it) of ``mapping`` with ``NX``/``XX``
        (``data_persist_option``) and one of ``EX``/``PX``/``EXAT``/``PXAT``/
        ``KEEPTTL``: 1 when the keys were set, 0 when the condition did not
        hold."""
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError("msetex: give at most one of ex, px, exat, pxat and keepttl")
        args: Tuple[Any, ...] = ("MSETEX", len(mapping)) + _flat(mapping)
        if data_persist_option:
            args += (_option_word(data_persist_option),)
        args += _expire_options(ex, px, exat, pxat)
        if keepttl:
            args += ("KEEPTTL",)
        return self._command(args)

    def incr(self, name: Key, amount: int = 1) -> int:
        if amount == 1:
            return self._command(("INCR", name))
        return self._command(("INCRBY", name, amount))

    def incrby(self, name: Key, amount: int = 1) -> int:
        return self._command(("INCRBY", name, amount))

    def incrbyfloat(self, name: Key, amount: float = 1.0) -> float:
        return self._command(("INCRBYFLOAT", name, amount), _float)

    def increx(
        self,
        name: Key,
        *,
        byfloat: Optional[Value] = None,
        byint: Optional[Value] = None,
        lbound: Optional[Value] = None,
        ubound: Optional[Value] = None,
        saturate: bool = False,
        ex: Optional[Union[Duration, str]] = None,
        px: Optional[Union[Duration, str]] = None,
        exat: Optional[When] = None,
        pxat: Optional[When] = None,
        persist: bool = False,
        enx: bool = False,
    ) -> List[Union[int, _S]]:
        """``INCREX`` (servers that have it): increments by ``byint`` or
        ``byfloat`` (else by one) within ``lbound``/``ubound`` (clamped with
        ``saturate``, else refused), setting or clearing the expiry (``enx``:
        only where there is none). ``[new value, increment]``: integers,
        or with ``byfloat`` the numbers as the server wrote them."""
        if not _at_most_one(byfloat is not None, byint is not None):
            raise DataError("increx: give byfloat or byint, not both")
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, persist):
            raise DataError("increx: give at most one of ex, px, exat, pxat and persist")
        if enx and ex is None and px is None and exat is None and pxat is None:
            raise DataError("increx: enx needs one of ex, px, exat and pxat")
        args: Tuple[Any, ...] = ("INCREX", name)
        if byfloat is not None:
            args += ("BYFLOAT", byfloat)
        elif byint is not None:
            args += ("BYINT", byint)
        if lbound is not None:
            args += ("LBOUND", lbound)
        if ubound is not None:
            args += ("UBOUND", ubound)
        if saturate:
            args += ("SATURATE",)
        args += _expire_options(ex, px, exat, pxat)
        if persist:
            args += ("PERSIST",)
        if enx:
            args += ("ENX",)
        return self._command(args)

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
        return self._command(args, _flat_map)

    @overload
    def stralgo(
        self,
        algo: Literal["LCS"],
        value1: Key,
        value2: Key,
        specific_argument: Literal["strings", "keys"] = "strings",
        len: Literal[False] = False,
        idx: Literal[False] = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> str: ...

    @overload
    def stralgo(
        self,
        algo: Literal["LCS"],
        value1: Key,
        value2: Key,
        specific_argument: Literal["strings", "keys"] = "strings",
        *,
        len: Literal[True],
        idx: Literal[False] = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> int: ...

    @overload
    def stralgo(
        self,
        algo: Literal["LCS"],
        value1: Key,
        value2: Key,
        specific_argument: Literal["strings", "keys"] = "strings",
        len: Literal[False] = False,
        *,
        idx: Literal[True],
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> StralgoMatches: ...

    @overload
    def stralgo(
        self,
        algo: Literal["LCS"],
        value1: Key,
        value2: Key,
        specific_argument: Literal["strings", "keys"] = "strings",
        len: bool = False,
        idx: bool = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> Union[str, int, StralgoMatches]: ...

    def stralgo(
        self,
        algo: Literal["LCS"],
        value1: Key,
        value2: Key,
        specific_argument: Literal["strings", "keys"] = "strings",
        len: bool = False,
        idx: bool = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> Union[str, int, StralgoMatches]:
        """``STRALGO LCS STRINGS|KEYS`` (servers before 7.0): the longest
        common subsequence of two strings or of two keys' values, as ``str``
        (its length with ``len``, its matches with ``idx``, as
        :data:`StralgoMatches`)."""
        if algo not in ("LCS",):
            raise DataError("stralgo: the supported algorithms are: LCS")
        if specific_argument not in ("keys", "strings"):
            raise DataError("stralgo: specific_argument is keys or strings")
        if len and idx:
            raise DataError("stralgo: give len or idx, not both")
        args: Tuple[Any, ...] = ("STRALGO", algo, specific_argument.upper(), value1, value2)
        if len:
            args += ("LEN",)
        if idx:
            args += ("IDX",)
        try:
            int(minmatchlen)  # type: ignore[arg-type]
            args += ("MINMATCHLEN", minmatchlen)
        except TypeError:  # None (or what is no number at all), as redis-py
            pass
        if withmatchlen:
            args += ("WITHMATCHLEN",)
        return self._command(args, _stralgo(len, idx, withmatchlen), **kwargs)

    def digest(self, name: Key) -> Optional[_S]:
        """``DIGEST`` (servers that have it; experimental in redis-py, which
        warns): the XXH3 digest of the string value as 16 hex digits, or
        ``None`` when there is no key."""
        _warn_experimental("digest")
        return self._command(("DIGEST", name))

    @at_once
    def digest_local(self, value: Union[bytes, str]) -> _S:
        """What ``DIGEST`` would give for ``value`` (a ``str`` in UTF-8),
        computed here and at once (on an asyncio client too): XXH3-64 as 16
        hex digits, ``str`` on a decoding client. Experimental in redis-py,
        which warns. Needs the ``xxhash`` package (else
        ``NotImplementedError``, as redis-py)."""
        _warn_experimental("digest_local")
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
        elif isinstance(value, str):
            data = value.encode("utf-8")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            data = repr(value).encode()
        else:
            raise DataError(f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first.")
        digest = _xxh3_hex(data)
        return digest if _decodes(self) else digest.encode("ascii")  # type: ignore[return-value]

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
        if start is None and end is not None:
            raise DataError("bitpos: end needs start")
        # As redis-py sends them: the server judges a mode without an end.
        for given in (start, end, mode):
            if given is not None:
                args += (given,)
        return self._command(args)

    def bitop(self, operation: str, dest: Key, *keys: Key) -> int:
        return self._command(("BITOP", operation, dest) + keys)

    @at_once
    def bitfield(self, key: Key, default_overflow: Optional[str] = None) -> BitFieldOperation:
        """A :class:`BitFieldOperation` on ``key``: chain ``set``/``get``/
        ``incrby``/``overflow`` and send them as one ``BITFIELD`` with its
        ``execute()`` (made at once, on an asyncio client too)."""
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    def bitfield_ro(
        self, key: Key, encoding: str, offset: BitfieldOffset, items: Optional[List[Tuple[str, BitfieldOffset]]] = None
    ) -> List[int]:
        """``BITFIELD_RO key GET encoding offset [GET encoding offset ...]``
        (``items``: the further ``(encoding, offset)`` pairs): the values."""
        args: Tuple[Any, ...] = ("BITFIELD_RO", key, "GET", encoding, offset)
        for more_encoding, more_offset in items or []:
            args += ("GET", more_encoding, more_offset)
        return self._command(args)

    def bitrangeintarray(
        self,
        key: Key,
        start: int,
        end: int,
        mode: Optional[str] = None,
        limit: Optional[int] = None,
        zeros: bool = False,
    ) -> List[int]:
        """``BITRANGEINTARRAY key start end [BYTE|BIT] [LIMIT n] [ZEROS]``
        (servers that have it): the offsets of the set bits (clear ones with
        ``zeros``) in the range, in order."""
        args: Tuple[Any, ...] = ("BITRANGEINTARRAY", key, start, end)
        if mode is not None:
            args += (mode,)
        if limit is not None:
            args += ("LIMIT", limit)
        if zeros:
            args += ("ZEROS",)
        return self._command(args)

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


def _xxh3_hex(data: bytes) -> str:
    """XXH3-64 of ``data`` as 16 hex digits (as ``DIGEST`` computes it),
    with the optional ``xxhash`` package, as redis-py."""
    try:
        # Optional, as for redis-py (imported by name: typed or not).
        xxhash = importlib.import_module("xxhash")
    except ImportError:
        raise NotImplementedError("digest_local needs the optional 'xxhash' package: pip install xxhash") from None
    return str(xxhash.xxh3_64(data).hexdigest())

"""Commands on arrays (``AR…``, Redis 8.x servers that have them): sparse
arrays of values by unsigned index, with an insert cursor
(``ARINSERT``/``ARNEXT``/``ARSEEK``) and ring buffers (``ARRING``).

``AROP``'s operation and ``ARGREP``'s predicates and combinator are
members of the enums below, as redis-py's (``redis.commands.core``'s, which
are taken too), or their words as strings."""

from enum import Enum
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, overload

from .replies import Key, Sender, Value, _S, _str_keyed


class ArrayAggregateOperations(Enum):
    """``AROP``'s operations."""

    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    AND = "AND"
    OR = "OR"
    XOR = "XOR"
    MATCH = "MATCH"
    USED = "USED"


class ArrayPredicateType(Enum):
    """How an ``ARGREP`` predicate matches a value."""

    EXACT = "EXACT"
    MATCH = "MATCH"
    GLOB = "GLOB"
    RE = "RE"


class ArrayPredicateCombinator(Enum):
    """How ``ARGREP`` combines several predicates."""

    AND = "AND"
    OR = "OR"


#: An option word: a member of one of the enums above (redis-py's too), or
#: the word itself.
ArrayWord = Union[Enum, str]
#: ``[index, value]``, as ``ARSCAN`` and ``ARGREP … WITHVALUES`` give them.
IndexedValue = List[Union[int, _S]]


def _word(option: ArrayWord) -> Any:
    """An enum member's word (its ``value``), a string as it is."""
    return option.value if isinstance(option, Enum) else option


class ArrayCommands(Sender[_S]):
    def arset(self, name: Key, index: int, *values: Value) -> int:
        """``ARSET``: ``values`` at ``index`` and the indices after it; how
        many of those slots were empty."""
        return self._command(("ARSET", name, index) + values)

    def armset(self, name: Key, mapping: Mapping[int, Value]) -> int:
        """``ARMSET`` of ``{index: value}``: how many of those slots were
        empty."""
        args: Tuple[Any, ...] = ("ARMSET", name)
        for index, value in mapping.items():
            args += (index, value)
        return self._command(args)

    def arget(self, name: Key, index: int) -> Optional[_S]:
        """``ARGET``: the value at ``index`` (``None``: none, or no array)."""
        return self._command(("ARGET", name, index))

    def armget(self, name: Key, *indices: int) -> List[Optional[_S]]:
        """``ARMGET``: the value at each index, in their order (``None``
        where there is none)."""
        return self._command(("ARMGET", name) + indices)

    def argetrange(self, name: Key, start: int, end: int) -> List[Optional[_S]]:
        """``ARGETRANGE``: the slots from ``start`` to ``end`` included
        (``None`` for an empty one), backwards when ``start > end``."""
        return self._command(("ARGETRANGE", name, start, end))

    def arscan(self, name: Key, start: int, end: int, limit: Optional[int] = None) -> List[IndexedValue[_S]]:
        """``ARSCAN [LIMIT limit]``: ``[[index, value], ...]`` of the
        filled slots from ``start`` to ``end`` included."""
        args: Tuple[Any, ...] = ("ARSCAN", name, start, end)
        if limit is not None:
            args += ("LIMIT", limit)
        return self._command(args)

    @overload
    def argrep(
        self,
        name: Key,
        start: int,
        end: int,
        predicates: Iterable[Tuple[ArrayWord, Value]],
        combinator: Optional[ArrayWord] = ...,
        limit: Optional[int] = ...,
        withvalues: Literal[False] = ...,
        nocase: bool = ...,
    ) -> List[int]: ...

    @overload
    def argrep(
        self,
        name: Key,
        start: int,
        end: int,
        predicates: Iterable[Tuple[ArrayWord, Value]],
        combinator: Optional[ArrayWord] = ...,
        limit: Optional[int] = ...,
        *,
        withvalues: Literal[True],
        nocase: bool = ...,
    ) -> List[IndexedValue[_S]]: ...

    @overload
    def argrep(
        self,
        name: Key,
        start: int,
        end: int,
        predicates: Iterable[Tuple[ArrayWord, Value]],
        combinator: Optional[ArrayWord],
        limit: Optional[int],
        withvalues: Literal[True],
        nocase: bool = ...,
    ) -> List[IndexedValue[_S]]: ...

    @overload
    def argrep(
        self,
        name: Key,
        start: int,
        end: int,
        predicates: Iterable[Tuple[ArrayWord, Value]],
        combinator: Optional[ArrayWord] = ...,
        limit: Optional[int] = ...,
        withvalues: bool = ...,
        nocase: bool = ...,
    ) -> Union[List[int], List[IndexedValue[_S]]]: ...

    def argrep(
        self,
        name: Key,
        start: int,
        end: int,
        predicates: Iterable[Tuple[ArrayWord, Value]],
        combinator: Optional[ArrayWord] = None,
        limit: Optional[int] = None,
        withvalues: bool = False,
        nocase: bool = False,
    ) -> Union[List[int], List[IndexedValue[_S]]]:
        """``ARGREP``: the indices from ``start`` to ``end`` whose values
        match the ``(type, value)`` predicates (``EXACT``, ``MATCH``,
        ``GLOB``, ``RE``), combined by ``combinator`` (``AND``/``OR``;
        the server's default: ``OR``); ``[[index, value], ...]`` with
        ``withvalues``."""
        args: Tuple[Any, ...] = ("ARGREP", name, start, end)
        for kind, value in predicates:
            args += (_word(kind), value)
        if combinator is not None:
            args += (_word(combinator),)
        if limit is not None:
            args += ("LIMIT", limit)
        if withvalues:
            args += ("WITHVALUES",)
        if nocase:
            args += ("NOCASE",)
        return self._command(args)

    def ardel(self, name: Key, *indices: int) -> int:
        """``ARDEL``: how many of the slots at ``indices`` were deleted."""
        return self._command(("ARDEL", name) + indices)

    def ardelrange(self, name: Key, *ranges: Tuple[int, int]) -> int:
        """``ARDELRANGE`` of ``(start, end)`` ranges (each included): how
        many slots were deleted."""
        args: Tuple[Any, ...] = ("ARDELRANGE", name)
        for start, end in ranges:
            args += (start, end)
        return self._command(args)

    def arcount(self, name: Key) -> int:
        """``ARCOUNT``: how many slots are filled."""
        return self._command(("ARCOUNT", name))

    def arlen(self, name: Key) -> int:
        """``ARLEN``: the highest filled index plus one."""
        return self._command(("ARLEN", name))

    def arinfo(self, name: Key, full: bool = False) -> Dict[str, Union[int, float, _S]]:
        """``ARINFO [FULL]``: ``{field: value}`` (``count``, ``len``,
        ``slices``, ...; with ``full``, the slices' statistics too, their
        averages strings as RESP2 gives them)."""
        return self._command(("ARINFO", name, "FULL") if full else ("ARINFO", name), _str_keyed)

    def arnext(self, name: Key) -> Optional[int]:
        """``ARNEXT``: the index ``ARINSERT`` would fill next (``None``:
        none left)."""
        return self._command(("ARNEXT", name))

    def arseek(self, name: Key, index: int) -> int:
        """``ARSEEK``: moves the insert cursor to ``index``; 1, or 0 when
        there is no array."""
        return self._command(("ARSEEK", name, index))

    def arinsert(self, name: Key, *values: Value) -> int:
        """``ARINSERT``: ``values`` from the insert cursor on; the last
        index filled."""
        return self._command(("ARINSERT", name) + values)

    def arring(self, name: Key, size: int, *values: Value) -> int:
        """``ARRING``: ``values`` inserted in a ring of ``size`` slots; the
        last index filled."""
        return self._command(("ARRING", name, size) + values)

    def arlastitems(self, name: Key, count: int, rev: bool = False) -> List[Optional[_S]]:
        """``ARLASTITEMS [REV]``: the ``count`` values inserted last,
        oldest first (newest first with ``rev``)."""
        return self._command(("ARLASTITEMS", name, count, "REV") if rev else ("ARLASTITEMS", name, count))

    def arop(
        self, name: Key, start: int, end: int, operation: ArrayWord, value: Optional[Value] = None
    ) -> Union[_S, int, None]:
        """``AROP``: ``operation`` over the slots from ``start`` to ``end``
        (``value``: what ``MATCH`` compares with); a string for ``SUM``,
        ``MIN`` and ``MAX``, an integer for the others, ``None`` when
        nothing matched."""
        args: Tuple[Any, ...] = ("AROP", name, start, end, _word(operation))
        if value is not None:
            args += (value,)
        return self._command(args)

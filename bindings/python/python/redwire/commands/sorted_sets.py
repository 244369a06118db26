"""Commands on sorted sets."""

from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Literal, Mapping, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import (
    Key,
    Sender,
    Value,
    _blocking_popped_with_score,
    _flat_scored,
    _float,
    _keys,
    _optional_floats,
    _popped_from,
    _popped_with_scores,
    _S,
    _scored,
    _weighted,
    _with_score_rank,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVar
else:
    import typing

    def TypeVar(name: str, default: Any = None) -> Any:
        """``typing.TypeVar``; its ``default`` (Python 3.13's) is for type
        checkers only."""
        return typing.TypeVar(name)


Keys = Union[Key, Iterable[Key]]
#: A score as ``score_cast_func`` makes it: a ``float`` without one.
_Score = TypeVar("_Score", default=float)


def _limit(start: Optional[int], num: Optional[int]) -> Tuple[Any, ...]:
    """``LIMIT start num``, both or neither."""
    if (start is None) != (num is None):
        raise DataError("give start and num together, or neither")
    return () if start is None else ("LIMIT", start, num)


def _moved(reply: Any) -> Any:
    """``ZMOVE``-like replies: ``[[member, float(score)], ...]``, or ``None``."""
    return None if reply is None else [[member, float(score)] for member, score in reply]


class SortedSetCommands(Sender[_S]):
    @overload
    def zadd(
        self,
        name: Key,
        mapping: Mapping[Key, Value],
        nx: bool = ...,
        xx: bool = ...,
        ch: bool = ...,
        incr: Literal[False] = ...,
        gt: bool = ...,
        lt: bool = ...,
    ) -> int: ...

    @overload
    def zadd(
        self,
        name: Key,
        mapping: Mapping[Key, Value],
        nx: bool = ...,
        xx: bool = ...,
        ch: bool = ...,
        incr: Literal[True] = ...,
        gt: bool = ...,
        lt: bool = ...,
    ) -> Optional[float]: ...

    @overload
    def zadd(
        self,
        name: Key,
        mapping: Mapping[Key, Value],
        nx: bool = ...,
        xx: bool = ...,
        ch: bool = ...,
        incr: bool = ...,
        gt: bool = ...,
        lt: bool = ...,
    ) -> Union[int, float, None]: ...

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
    ) -> Union[int, float, None]:
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

    def zrem(self, name: Key, *values: Value) -> int:
        return self._command(("ZREM", name) + values)

    def zincrby(self, name: Key, amount: float, value: Value) -> float:
        return self._command(("ZINCRBY", name, amount, value), _float)

    def zscore(self, name: Key, value: Value) -> Optional[float]:
        return self._command(("ZSCORE", name, value), _float)

    def zmscore(self, key: Key, members: Iterable[Value]) -> List[Optional[float]]:
        if isinstance(members, (bytes, str)):
            # Not one member's characters: a list, as redis-py (TypeError).
            raise TypeError("zmscore: members is a list of members, not one")
        names = tuple(members)
        if not names:
            raise DataError("zmscore: no member given")
        return self._command(("ZMSCORE", key) + names, _optional_floats)

    def zcard(self, name: Key) -> int:
        return self._command(("ZCARD", name))

    def zcount(self, name: Key, min: Any, max: Any) -> int:
        return self._command(("ZCOUNT", name, min, max))

    def zlexcount(self, name: Key, min: Any, max: Any) -> int:
        return self._command(("ZLEXCOUNT", name, min, max))

    @overload
    def zrank(
        self, name: Key, value: Value, withscore: Literal[False] = ..., score_cast_func: Callable[[Any], Any] = ...
    ) -> Optional[int]: ...

    @overload
    def zrank(
        self, name: Key, value: Value, withscore: Literal[True], score_cast_func: Callable[[Any], _Score] = ...
    ) -> Optional[List[Union[int, _Score]]]: ...

    @overload
    def zrank(
        self, name: Key, value: Value, withscore: bool = ..., score_cast_func: Callable[[Any], Any] = ...
    ) -> Union[int, List[Any], None]: ...

    def zrank(
        self, name: Key, value: Value, withscore: bool = False, score_cast_func: Callable[[Any], Any] = float
    ) -> Union[int, List[Any], None]:
        """``ZRANK [WITHSCORE]``: the rank, or ``[rank, score]``."""
        if withscore:
            return self._command(("ZRANK", name, value, "WITHSCORE"), _with_score_rank(score_cast_func))
        return self._command(("ZRANK", name, value))

    @overload
    def zrevrank(
        self, name: Key, value: Value, withscore: Literal[False] = ..., score_cast_func: Callable[[Any], Any] = ...
    ) -> Optional[int]: ...

    @overload
    def zrevrank(
        self, name: Key, value: Value, withscore: Literal[True], score_cast_func: Callable[[Any], _Score] = ...
    ) -> Optional[List[Union[int, _Score]]]: ...

    @overload
    def zrevrank(
        self, name: Key, value: Value, withscore: bool = ..., score_cast_func: Callable[[Any], Any] = ...
    ) -> Union[int, List[Any], None]: ...

    def zrevrank(
        self, name: Key, value: Value, withscore: bool = False, score_cast_func: Callable[[Any], Any] = float
    ) -> Union[int, List[Any], None]:
        if withscore:
            return self._command(("ZREVRANK", name, value, "WITHSCORE"), _with_score_rank(score_cast_func))
        return self._command(("ZREVRANK", name, value))

    @overload
    def zrange(
        self,
        name: Key,
        start: Any,
        end: Any,
        desc: bool = ...,
        withscores: Literal[False] = ...,
        score_cast_func: Callable[[Any], Any] = ...,
        byscore: bool = ...,
        bylex: bool = ...,
        offset: Optional[int] = ...,
        num: Optional[int] = ...,
        use_rev: bool = ...,
    ) -> List[_S]: ...

    @overload
    def zrange(
        self,
        name: Key,
        start: Any,
        end: Any,
        desc: bool = ...,
        withscores: Literal[True] = ...,
        score_cast_func: Callable[[Any], _Score] = ...,
        byscore: bool = ...,
        bylex: bool = ...,
        offset: Optional[int] = ...,
        num: Optional[int] = ...,
        use_rev: bool = ...,
    ) -> List[Tuple[_S, _Score]]: ...

    @overload
    def zrange(
        self,
        name: Key,
        start: Any,
        end: Any,
        desc: bool = ...,
        withscores: bool = ...,
        score_cast_func: Callable[[Any], Any] = ...,
        byscore: bool = ...,
        bylex: bool = ...,
        offset: Optional[int] = ...,
        num: Optional[int] = ...,
        use_rev: bool = ...,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]: ...

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
    ) -> Union[List[_S], List[Tuple[_S, Any]]]:
        """``ZRANGE`` by rank, or ``byscore``/``bylex`` (with ``offset`` and
        ``num``), reversed with ``desc``; ``withscores`` gives
        ``(member, score_cast_func(score))`` pairs. By rank and reversed
        without ``use_rev``, ``ZREVRANGE``, as redis-py sends."""
        args = _range_args("ZRANGE", (name,), start, end, desc, byscore, bylex, offset, num, use_rev, withscores)
        return self._command(args, _scored(score_cast_func) if withscores else None)

    def zrangestore(
        self,
        dest: Key,
        name: Key,
        start: Any,
        end: Any,
        byscore: bool = False,
        bylex: bool = False,
        desc: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> int:
        args = _range_args("ZRANGESTORE", (dest, name), start, end, desc, byscore, bylex, offset, num, True, False)
        return self._command(args)

    @overload
    def zrevrange(
        self,
        name: Key,
        start: int,
        end: int,
        withscores: Literal[False] = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> List[_S]: ...

    @overload
    def zrevrange(
        self, name: Key, start: int, end: int, withscores: Literal[True], score_cast_func: Callable[[Any], _Score] = ...
    ) -> List[Tuple[_S, _Score]]: ...

    @overload
    def zrevrange(
        self, name: Key, start: int, end: int, withscores: bool = ..., score_cast_func: Callable[[Any], Any] = ...
    ) -> Union[List[_S], List[Tuple[_S, Any]]]: ...

    def zrevrange(
        self, name: Key, start: int, end: int, withscores: bool = False, score_cast_func: Callable[[Any], Any] = float
    ) -> Union[List[_S], List[Tuple[_S, Any]]]:
        args: Tuple[Any, ...] = ("ZREVRANGE", name, start, end)
        if withscores:
            return self._command(args + ("WITHSCORES",), _scored(score_cast_func))
        return self._command(args)

    @overload
    def zrangebyscore(
        self,
        name: Key,
        min: Any,
        max: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: Literal[False] = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> List[_S]: ...

    @overload
    def zrangebyscore(
        self,
        name: Key,
        min: Any,
        max: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: Literal[True] = ...,
        score_cast_func: Callable[[Any], _Score] = ...,
    ) -> List[Tuple[_S, _Score]]: ...

    @overload
    def zrangebyscore(
        self,
        name: Key,
        min: Any,
        max: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: bool = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]: ...

    def zrangebyscore(
        self,
        name: Key,
        min: Any,
        max: Any,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: Callable[[Any], Any] = float,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]:
        args: Tuple[Any, ...] = ("ZRANGEBYSCORE", name, min, max)
        if withscores:
            args += ("WITHSCORES",)
        args += _limit(start, num)
        return self._command(args, _scored(score_cast_func) if withscores else None)

    @overload
    def zrevrangebyscore(
        self,
        name: Key,
        max: Any,
        min: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: Literal[False] = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> List[_S]: ...

    @overload
    def zrevrangebyscore(
        self,
        name: Key,
        max: Any,
        min: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: Literal[True] = ...,
        score_cast_func: Callable[[Any], _Score] = ...,
    ) -> List[Tuple[_S, _Score]]: ...

    @overload
    def zrevrangebyscore(
        self,
        name: Key,
        max: Any,
        min: Any,
        start: Optional[int] = ...,
        num: Optional[int] = ...,
        withscores: bool = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]: ...

    def zrevrangebyscore(
        self,
        name: Key,
        max: Any,
        min: Any,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: Callable[[Any], Any] = float,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]:
        args: Tuple[Any, ...] = ("ZREVRANGEBYSCORE", name, max, min)
        if withscores:
            args += ("WITHSCORES",)
        args += _limit(start, num)
        return self._command(args, _scored(score_cast_func) if withscores else None)

    def zrangebylex(
        self, name: Key, min: Any, max: Any, start: Optional[int] = None, num: Optional[int] = None
    ) -> List[_S]:
        return self._command(("ZRANGEBYLEX", name, min, max) + _limit(start, num))

    def zrevrangebylex(
        self, name: Key, max: Any, min: Any, start: Optional[int] = None, num: Optional[int] = None
    ) -> List[_S]:
        return self._command(("ZREVRANGEBYLEX", name, max, min) + _limit(start, num))

    def zremrangebyrank(self, name: Key, min: int, max: int) -> int:
        return self._command(("ZREMRANGEBYRANK", name, min, max))

    def zremrangebyscore(self, name: Key, min: Any, max: Any) -> int:
        return self._command(("ZREMRANGEBYSCORE", name, min, max))

    def zremrangebylex(self, name: Key, min: Any, max: Any) -> int:
        return self._command(("ZREMRANGEBYLEX", name, min, max))

    def zpopmin(self, name: Key, count: Optional[int] = None) -> List[Tuple[_S, float]]:
        """``ZPOPMIN``: ``[(member, score), ...]``."""
        args: Tuple[Any, ...] = ("ZPOPMIN", name) if count is None else ("ZPOPMIN", name, count)
        return self._command(args, _popped_with_scores)

    def zpopmax(self, name: Key, count: Optional[int] = None) -> List[Tuple[_S, float]]:
        args: Tuple[Any, ...] = ("ZPOPMAX", name) if count is None else ("ZPOPMAX", name, count)
        return self._command(args, _popped_with_scores)

    def bzpopmin(self, keys: Keys, timeout: Optional[float] = 0) -> Optional[Tuple[_S, _S, float]]:
        """``BZPOPMIN``: ``(key, member, score)``, or ``None`` after
        ``timeout`` seconds (a pooled connection of its own)."""
        return self._command(("BZPOPMIN",) + _keys(keys, ()) + (timeout or 0,), _blocking_popped_with_score)

    def bzpopmax(self, keys: Keys, timeout: Optional[float] = 0) -> Optional[Tuple[_S, _S, float]]:
        return self._command(("BZPOPMAX",) + _keys(keys, ()) + (timeout or 0,), _blocking_popped_with_score)

    def zmpop(
        self, num_keys: int, keys: Iterable[Key], min: bool = False, max: bool = False, count: int = 1
    ) -> Optional[List[Union[_S, List[List[_S]]]]]:
        """``ZMPOP``: ``[key, [[member, score], ...]]`` (the scores as the
        server wrote them), or ``None`` when every set is empty."""
        if min == max:
            raise DataError("zmpop: give one of min and max")
        args: Tuple[Any, ...] = ("ZMPOP", num_keys) + tuple(keys) + ("MIN" if min else "MAX",)
        if count != 1:
            args += ("COUNT", count)
        return self._command(args, _popped_from)

    def bzmpop(
        self,
        timeout: float,
        numkeys: int,
        keys: List[Key],
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = 1,
    ) -> Optional[List[Union[_S, List[List[_S]]]]]:
        """``BZMPOP``: :meth:`zmpop`, waiting up to ``timeout`` seconds (0:
        for ever); ``None`` when nothing came (a pooled connection of its
        own)."""
        if bool(min) == bool(max):
            raise DataError("bzmpop: give one of min and max")
        args: Tuple[Any, ...] = ("BZMPOP", timeout, numkeys) + tuple(keys) + ("MIN" if min else "MAX",)
        if count is not None:
            args += ("COUNT", count)
        return self._command(args, _popped_from)

    def zmove(
        self,
        source: Key,
        destination: Key,
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        byscore: Optional[Tuple[Any, Any]] = None,
        count: Optional[int] = None,
    ) -> Optional[List[List[Union[_S, float]]]]:
        """``ZMOVE source destination MIN|MAX|BYSCORE min max [COUNT n]``
        (servers that have it): the members moved, ``[[member, score],
        ...]``, or ``None``."""
        if bool(min) + bool(max) + (byscore is not None) != 1:
            raise DataError("zmove: give one of min, max and byscore")
        args: Tuple[Any, ...] = ("ZMOVE", source, destination)
        if byscore is not None:
            low, high = byscore
            args += ("BYSCORE", low, high)
        else:
            args += ("MIN" if min else "MAX",)
        if count is not None:
            args += ("COUNT", count)
        return self._command(args, _moved)

    def bzmove(
        self,
        source: Key,
        destination: Key,
        timeout: float,
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = None,
    ) -> Optional[List[List[Union[_S, float]]]]:
        """``BZMOVE``: :meth:`zmove` of the lowest or highest members, waiting
        up to ``timeout`` seconds; ``None`` when nothing came."""
        if bool(min) == bool(max):
            raise DataError("bzmove: give one of min and max")
        args: Tuple[Any, ...] = ("BZMOVE", source, destination, "MIN" if min else "MAX", timeout)
        if count is not None:
            args += ("COUNT", count)
        return self._command(args, _moved)

    def zmovemember(
        self,
        source: Key,
        destination: Key,
        members: Union[Value, Iterable[Value]],
        nx: bool = False,
        xx: bool = False,
    ) -> Optional[List[List[Union[_S, float]]]]:
        """``ZMOVEMEMBER source destination [NX|XX] MEMBERS n member ...``
        (servers that have it): the members moved, ``[[member, score],
        ...]``, or ``None``."""
        if nx and xx:
            raise DataError("zmovemember: give nx or xx, not both")
        if isinstance(members, (bytes, str, bytearray, memoryview)) or not isinstance(members, Iterable):
            names: Tuple[Any, ...] = (members,)
        else:
            names = tuple(members)
        args: Tuple[Any, ...] = ("ZMOVEMEMBER", source, destination)
        if nx:
            args += ("NX",)
        elif xx:
            args += ("XX",)
        return self._command(args + ("MEMBERS", len(names)) + names, _moved)

    @overload
    def zrandmember(self, key: Key, count: None = ..., withscores: Literal[False] = ...) -> Optional[_S]: ...

    @overload
    def zrandmember(self, key: Key, count: int, withscores: bool = ...) -> List[_S]: ...

    @overload
    def zrandmember(
        self, key: Key, count: Optional[int] = ..., withscores: bool = ...
    ) -> Union[_S, List[_S], None]: ...

    def zrandmember(self, key: Key, count: Optional[int] = None, withscores: bool = False) -> Union[_S, List[_S], None]:
        """``ZRANDMEMBER``: a member (``None`` for no set); with ``count``, a
        list of them (with ``withscores``, each followed by its score as
        the server wrote it)."""
        args: Tuple[Any, ...] = ("ZRANDMEMBER", key)
        if count is not None:
            args += (count,)
        if withscores:
            args += ("WITHSCORES",)
        return self._command(args, _flat_scored)

    def zunionstore(self, dest: Key, keys: Any, aggregate: Optional[str] = None) -> int:
        """``ZUNIONSTORE``: ``keys`` a list, or ``{key: weight}``."""
        return self._command(_weighted("ZUNIONSTORE", (dest,), keys, aggregate))

    def zinterstore(self, dest: Key, keys: Any, aggregate: Optional[str] = None) -> int:
        return self._command(_weighted("ZINTERSTORE", (dest,), keys, aggregate))

    @overload
    def zunion(
        self,
        keys: Any,
        aggregate: Optional[str] = ...,
        withscores: Literal[False] = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> List[_S]: ...

    @overload
    def zunion(
        self,
        keys: Any,
        aggregate: Optional[str] = ...,
        withscores: Literal[True] = ...,
        score_cast_func: Callable[[Any], _Score] = ...,
    ) -> List[Tuple[_S, _Score]]: ...

    @overload
    def zunion(
        self,
        keys: Any,
        aggregate: Optional[str] = ...,
        withscores: bool = ...,
        score_cast_func: Callable[[Any], Any] = ...,
    ) -> Union[List[_S], List[Tuple[_S, Any]]]: ...

    def zunion(
        self, keys: Any, aggregate: Optional[str] = None, withscores: bool = False, score_cast_func: Callable[[Any], Any] = float
    ) -> Union[List[_S], List[Tuple[_S, Any]]]:
        args = _weighted("ZUNION", (), keys, aggregate)
        if withscores:
            return self._command(args + ("WITHSCORES",), _scored(score_cast_func))
        return self._command(args)

    @overload
    def zinter(self, keys: Any, aggregate: Optional[str] = ..., withscores: Literal[False] = ...) -> List[_S]: ...

    @overload
    def zinter(
        self, keys: Any, aggregate: Optional[str] = ..., withscores: Literal[True] = ...
    ) -> List[Tuple[_S, float]]: ...

    @overload
    def zinter(
        self, keys: Any, aggregate: Optional[str] = ..., withscores: bool = ...
    ) -> Union[List[_S], List[Tuple[_S, float]]]: ...

    def zinter(
        self, keys: Any, aggregate: Optional[str] = None, withscores: bool = False
    ) -> Union[List[_S], List[Tuple[_S, float]]]:
        args = _weighted("ZINTER", (), keys, aggregate)
        if withscores:
            return self._command(args + ("WITHSCORES",), _scored())
        return self._command(args)

    def zdiff(self, keys: Iterable[Key], withscores: bool = False) -> List[_S]:
        """``ZDIFF``: the members (with ``withscores``, each followed by its
        score as the server wrote it)."""
        names = tuple(keys)
        args: Tuple[Any, ...] = ("ZDIFF", len(names)) + names
        return self._command(args + ("WITHSCORES",), _flat_scored) if withscores else self._command(args)

    def zdiffstore(self, dest: Key, keys: Iterable[Key]) -> int:
        names = tuple(keys)
        return self._command(("ZDIFFSTORE", dest, len(names)) + names)

    def zintercard(self, numkeys: int, keys: Iterable[Key], limit: int = 0) -> int:
        return self._command(("ZINTERCARD", numkeys) + tuple(keys) + ("LIMIT", limit))


def _range_args(
    command: str,
    head: Tuple[Any, ...],
    start: Any,
    end: Any,
    desc: bool,
    byscore: bool,
    bylex: bool,
    offset: Optional[int],
    num: Optional[int],
    use_rev: bool,
    withscores: bool,
) -> Tuple[Any, ...]:
    """``ZRANGE``/``ZRANGESTORE`` arguments, refused as redis-py refuses
    them; reversed by rank without ``use_rev``, ``ZREVRANGE``."""
    if byscore and bylex:
        raise DataError("zrange: byscore and bylex exclude each other")
    if (offset is None) != (num is None):
        raise DataError("zrange: give offset and num together")
    if bylex and withscores:
        raise DataError("zrange: bylex has no scores to give")
    args: Tuple[Any, ...]
    if command == "ZRANGE" and desc and not (byscore or bylex or offset is not None or use_rev):
        args = ("ZREVRANGE",) + head + (start, end)
    else:
        args = (command,) + head + (start, end)
        if byscore:
            args += ("BYSCORE",)
        if bylex:
            args += ("BYLEX",)
        if desc:
            args += ("REV",)
        if offset is not None:
            args += ("LIMIT", offset, num)
    return args + ("WITHSCORES",) if withscores else args

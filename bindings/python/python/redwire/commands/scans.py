"""``SCAN``, ``HSCAN``, ``SSCAN`` and ``ZSCAN``, one step at a time (a
cursor in, the next cursor and a batch out). The ``*_iter`` walks are the
clients' own (a generator, or an async one)."""

from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, Union, overload

from .replies import Key, Sender, _S, _pairs_to_dict, _scan, _scored
from .sorted_sets import _Score


def _options(match: Any, count: Optional[int], kind: Optional[str] = None) -> Tuple[Any, ...]:
    args: Tuple[Any, ...] = ()
    if match is not None:
        args += ("MATCH", match)
    if count is not None:
        args += ("COUNT", count)
    if kind is not None:
        args += ("TYPE", kind)
    return args


class ScanCommands(Sender[_S]):
    def scan(
        self, cursor: int = 0, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any
    ) -> Tuple[int, List[_S]]:
        """``SCAN``: ``(next cursor, keys)``. (On a cluster client, walk the
        keys with :meth:`scan_iter`.)"""
        return self._command(("SCAN", cursor) + _options(match, count, _type), _scan, **kwargs)

    @overload
    def hscan(
        self,
        name: Key,
        cursor: int = ...,
        match: Any = ...,
        count: Optional[int] = ...,
        no_values: Optional[Literal[False]] = ...,
    ) -> Tuple[int, Dict[_S, _S]]: ...

    @overload
    def hscan(
        self, name: Key, cursor: int = ..., match: Any = ..., count: Optional[int] = ..., no_values: Literal[True] = ...
    ) -> Tuple[int, List[_S]]: ...

    @overload
    def hscan(
        self,
        name: Key,
        cursor: int = ...,
        match: Any = ...,
        count: Optional[int] = ...,
        no_values: Optional[bool] = ...,
    ) -> Tuple[int, Union[Dict[_S, _S], List[_S]]]: ...

    def hscan(
        self, name: Key, cursor: int = 0, match: Any = None, count: Optional[int] = None, no_values: Optional[bool] = None
    ) -> Tuple[int, Union[Dict[_S, _S], List[_S]]]:
        """``HSCAN``: ``(next cursor, {field: value})`` (a list of fields
        with ``no_values``)."""
        args = ("HSCAN", name, cursor) + _options(match, count) + (("NOVALUES",) if no_values else ())
        if no_values:
            return self._command(args, _scan)
        return self._command(args, lambda reply: (int(reply[0]), _pairs_to_dict(reply[1])))

    def sscan(self, name: Key, cursor: int = 0, match: Any = None, count: Optional[int] = None) -> Tuple[int, List[_S]]:
        return self._command(("SSCAN", name, cursor) + _options(match, count), _scan)

    @overload
    def zscan(
        self, name: Key, cursor: int = ..., match: Any = ..., count: Optional[int] = ...
    ) -> Tuple[int, List[Tuple[_S, float]]]: ...

    @overload
    def zscan(
        self,
        name: Key,
        cursor: int = ...,
        match: Any = ...,
        count: Optional[int] = ...,
        score_cast_func: Callable[[Any], _Score] = ...,
    ) -> Tuple[int, List[Tuple[_S, _Score]]]: ...

    def zscan(
        self,
        name: Key,
        cursor: int = 0,
        match: Any = None,
        count: Optional[int] = None,
        score_cast_func: Callable[[Any], Any] = float,
    ) -> Tuple[int, List[Tuple[_S, Any]]]:
        """``ZSCAN``: ``(next cursor, [(member, score), ...])``."""
        scored = _scored(score_cast_func)
        return self._command(
            ("ZSCAN", name, cursor) + _options(match, count), lambda reply: (int(reply[0]), scored(reply[1]))
        )

"""Commands on lists, blocking ones included (those take a pooled
connection of their own)."""

from typing import Any, Iterable, List, Literal, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import Key, Sender, Value, _S, _keys, _ok, _tuple_or_none


class ListCommands(Sender[_S]):
    def lpush(self, name: Key, *values: Value) -> int:
        return self._command(("LPUSH", name) + values)

    def rpush(self, name: Key, *values: Value) -> int:
        return self._command(("RPUSH", name) + values)

    def lpushx(self, name: Key, *values: Value) -> int:
        return self._command(("LPUSHX", name) + values)

    def rpushx(self, name: Key, *values: Value) -> int:
        return self._command(("RPUSHX", name) + values)

    @overload
    def lpop(self, name: Key, count: None = None) -> Optional[_S]: ...

    @overload
    def lpop(self, name: Key, count: int) -> Optional[List[_S]]: ...

    def lpop(self, name: Key, count: Optional[int] = None) -> Union[_S, List[_S], None]:
        """``LPOP``: the first element; with ``count``, a list of up to so many."""
        return self._command(("LPOP", name) if count is None else ("LPOP", name, count))

    @overload
    def rpop(self, name: Key, count: None = None) -> Optional[_S]: ...

    @overload
    def rpop(self, name: Key, count: int) -> Optional[List[_S]]: ...

    def rpop(self, name: Key, count: Optional[int] = None) -> Union[_S, List[_S], None]:
        return self._command(("RPOP", name) if count is None else ("RPOP", name, count))

    def lrange(self, name: Key, start: int, end: int) -> List[_S]:
        return self._command(("LRANGE", name, start, end))

    def llen(self, name: Key) -> int:
        return self._command(("LLEN", name))

    def lindex(self, name: Key, index: int) -> Optional[_S]:
        return self._command(("LINDEX", name, index))

    def linsert(self, name: Key, where: str, refvalue: Value, value: Value) -> int:
        """``LINSERT name BEFORE|AFTER refvalue value``."""
        return self._command(("LINSERT", name, where, refvalue, value))

    def lset(self, name: Key, index: int, value: Value) -> bool:
        return self._command(("LSET", name, index, value), _ok)

    def lrem(self, name: Key, count: int, value: Value) -> int:
        return self._command(("LREM", name, count, value))

    def ltrim(self, name: Key, start: int, end: int) -> bool:
        return self._command(("LTRIM", name, start, end), _ok)

    @overload
    def lpos(
        self, name: Key, value: Value, rank: Optional[int] = None, count: None = None, maxlen: Optional[int] = None
    ) -> Optional[int]: ...

    @overload
    def lpos(
        self, name: Key, value: Value, rank: Optional[int] = None, *, count: int, maxlen: Optional[int] = None
    ) -> List[int]: ...

    @overload
    def lpos(
        self, name: Key, value: Value, rank: Optional[int] = None, count: Optional[int] = None, maxlen: Optional[int] = None
    ) -> Union[int, List[int], None]: ...

    def lpos(
        self, name: Key, value: Value, rank: Optional[int] = None, count: Optional[int] = None, maxlen: Optional[int] = None
    ) -> Union[int, List[int], None]:
        """``LPOS [RANK r] [COUNT c] [MAXLEN m]``: an index, ``None``, or
        (with ``count``) a list of them."""
        args: Tuple[Any, ...] = ("LPOS", name, value)
        for option, given in (("RANK", rank), ("COUNT", count), ("MAXLEN", maxlen)):
            if given is not None:
                args += (option, given)
        return self._command(args)

    def rpoplpush(self, src: Key, dst: Key) -> Optional[_S]:
        return self._command(("RPOPLPUSH", src, dst))

    def lmove(self, first_list: Key, second_list: Key, src: str = "LEFT", dest: str = "RIGHT") -> Optional[_S]:
        return self._command(("LMOVE", first_list, second_list, src, dest))

    def lmovem(
        self,
        first_list: Key,
        second_list: Key,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[Literal["COUNT", "EXACTLY"]] = None,
        ordering: Optional[Literal["OBO", "BULK"]] = None,
    ) -> Optional[List[_S]]:
        """``LMOVEM`` (servers that have it): moves one element, or with
        ``count`` up to so many (``mode="EXACTLY"``: so many or none) in
        ``ordering`` ``OBO`` (one by one) or ``BULK`` (their order kept):
        the elements moved, or ``None``."""
        return self._command(("LMOVEM", first_list, second_list, src, dest) + _move_many(count, mode, ordering))

    def lmpop(self, num_keys: int, *args: Key, direction: str, count: int = 1) -> Optional[List[Union[_S, List[_S]]]]:
        """``LMPOP num_keys key ... LEFT|RIGHT [COUNT c]``: ``[key, [values]]``
        or ``None``."""
        command: Tuple[Any, ...] = ("LMPOP", num_keys) + args + (direction,)
        if count != 1:
            command += ("COUNT", count)
        return self._command(command)

    # Blocking: a pooled connection each, so that they hold up no one.

    def blpop(self, keys: Union[Key, Iterable[Key]], timeout: Optional[float] = 0) -> Optional[Tuple[_S, _S]]:
        """``BLPOP``: ``(key, value)``, or ``None`` after ``timeout`` seconds."""
        return self._command(("BLPOP",) + _keys(keys, ()) + (timeout or 0,), _tuple_or_none)

    def brpop(self, keys: Union[Key, Iterable[Key]], timeout: Optional[float] = 0) -> Optional[Tuple[_S, _S]]:
        return self._command(("BRPOP",) + _keys(keys, ()) + (timeout or 0,), _tuple_or_none)

    def brpoplpush(self, src: Key, dst: Key, timeout: Optional[float] = 0) -> Optional[_S]:
        return self._command(("BRPOPLPUSH", src, dst, timeout or 0))

    def blmove(
        self, first_list: Key, second_list: Key, timeout: float, src: str = "LEFT", dest: str = "RIGHT"
    ) -> Optional[_S]:
        return self._command(("BLMOVE", first_list, second_list, src, dest, timeout))

    def blmovem(
        self,
        first_list: Key,
        second_list: Key,
        timeout: float,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[Literal["COUNT", "EXACTLY"]] = None,
        ordering: Optional[Literal["OBO", "BULK"]] = None,
    ) -> Optional[List[_S]]:
        """``BLMOVEM``: :meth:`lmovem`, waiting up to ``timeout`` seconds
        (0: for ever) for elements; ``None`` when none came."""
        args = ("BLMOVEM", first_list, second_list, src, dest, timeout)
        return self._command(args + _move_many(count, mode, ordering))

    def blmpop(
        self, timeout: float, numkeys: int, *args: Key, direction: str, count: int = 1
    ) -> Optional[List[Union[_S, List[_S]]]]:
        command: Tuple[Any, ...] = ("BLMPOP", timeout, numkeys) + args + (direction,)
        if count != 1:
            command += ("COUNT", count)
        return self._command(command)


def _move_many(count: Optional[int], mode: Optional[str], ordering: Optional[str]) -> Tuple[Any, ...]:
    """``LMOVEM``'s ``COUNT|EXACTLY n OBO|BULK``: ``ordering`` needed with
    ``count``, and neither it nor ``mode`` without."""
    if count is None:
        if mode is not None or ordering is not None:
            raise DataError("give count with mode or ordering")
        return ()
    if ordering is None:
        raise DataError("give ordering (OBO or BULK) with count")
    return (mode or "COUNT", count, ordering)

"""Commands on keys of any type: existence, expiry, renaming, copying,
serialising."""

from typing import Any, Iterable, List, Literal, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import Duration, Key, Sender, When, _S, _bool, _expire_flags, _milliseconds, _ok, _seconds, _unix_time
from .strings import _warn_experimental


class KeyCommands(Sender[_S]):
    def delete(self, *names: Key) -> int:
        """``DEL``: how many of the keys existed."""
        return self._command(("DEL",) + names)

    def delex(
        self,
        name: Key,
        ifeq: Optional[Union[bytes, str]] = None,
        ifne: Optional[Union[bytes, str]] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> int:
        """``DELEX`` (servers that have it; experimental in redis-py, which
        warns): deletes the key if its value equals ``ifeq``, differs from
        ``ifne``, or its digest (see ``digest_local``) equals ``ifdeq`` or
        differs from ``ifdne`` (one condition at most, else a
        ``ValueError``); with none, as ``DEL``. 1 if it was deleted, else 0."""
        _warn_experimental("delex")
        conditions = (("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne))
        given = [(word, value) for word, value in conditions if value is not None]
        if len(given) > 1:
            raise ValueError("delex: give at most one of ifeq, ifne, ifdeq and ifdne")
        return self._command(("DELEX", name) + (given[0] if given else ()))

    def unlink(self, *names: Key) -> int:
        return self._command(("UNLINK",) + names)

    def exists(self, *names: Key) -> int:
        return self._command(("EXISTS",) + names)

    def touch(self, *args: Key) -> int:
        return self._command(("TOUCH",) + args)

    def expire(
        self, name: Key, time: Duration, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool:
        """``EXPIRE`` (``time``: seconds or a ``timedelta``) with the
        ``NX``/``XX``/``GT``/``LT`` conditions: whether it was set."""
        return self._command(("EXPIRE", name, _seconds(time)) + _expire_flags(nx, xx, gt, lt), _bool)

    def pexpire(
        self, name: Key, time: Duration, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool:
        return self._command(("PEXPIRE", name, _milliseconds(time)) + _expire_flags(nx, xx, gt, lt), _bool)

    def expireat(
        self, name: Key, when: When, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool:
        """``EXPIREAT`` (``when``: a Unix time or a ``datetime``)."""
        return self._command(("EXPIREAT", name, _unix_time(when, 1)) + _expire_flags(nx, xx, gt, lt), _bool)

    def pexpireat(
        self, name: Key, when: When, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool:
        return self._command(
            ("PEXPIREAT", name, _unix_time(when, 1000)) + _expire_flags(nx, xx, gt, lt), _bool
        )

    def expiretime(self, key: Key) -> int:
        return self._command(("EXPIRETIME", key))

    def pexpiretime(self, key: Key) -> int:
        return self._command(("PEXPIRETIME", key))

    def persist(self, name: Key) -> bool:
        return self._command(("PERSIST", name), _bool)

    def ttl(self, name: Key) -> int:
        return self._command(("TTL", name))

    def pttl(self, name: Key) -> int:
        return self._command(("PTTL", name))

    def watch(self, *names: Key) -> None:
        """``WATCH`` would leave the client's shared connection watching:
        refused (:class:`~redwire.RedisError`, nothing sent). Watch from a
        pipeline (``pipe.watch(...)``) or with :meth:`transaction`, as
        redis-py asks too."""
        return self._command(("WATCH",) + names, _ok)

    def unwatch(self) -> None:
        """``UNWATCH``: refused on the client as :meth:`watch` is (a
        pipeline's ``unwatch`` is there for it)."""
        return self._command(("UNWATCH",), _ok)

    def type(self, name: Key) -> _S:
        return self._command(("TYPE", name))

    def keys(self, pattern: Key = "*", **kwargs: Any) -> List[_S]:
        return self._command(("KEYS", pattern), **kwargs)

    def randomkey(self, **kwargs: Any) -> Optional[_S]:
        return self._command(("RANDOMKEY",), **kwargs)

    def rename(self, src: Key, dst: Key) -> bool:
        return self._command(("RENAME", src, dst), _ok)

    def renamenx(self, src: Key, dst: Key) -> bool:
        return self._command(("RENAMENX", src, dst), _bool)

    def copy(self, source: Key, destination: Key, destination_db: Optional[int] = None, replace: bool = False) -> bool:
        """``COPY [DB db] [REPLACE]``: whether it was copied."""
        args: Tuple[Any, ...] = ("COPY", source, destination)
        if destination_db is not None:
            args += ("DB", destination_db)
        if replace:
            args += ("REPLACE",)
        return self._command(args, _bool)

    def move(self, name: Key, db: int) -> bool:
        return self._command(("MOVE", name, db), _bool)

    def object(self, infotype: str, key: Key, **kwargs: Any) -> Optional[Union[_S, int]]:
        """``OBJECT infotype key`` (``ENCODING``, ``REFCOUNT``, ``IDLETIME``,
        ``FREQ``)."""
        return self._command(("OBJECT", infotype, key), **kwargs)

    def dump(self, name: Key) -> Optional[bytes]:
        """``DUMP``: the serialized value, never decoded (as redis-py)."""
        return self._command(("DUMP", name), NEVER_DECODE=[])

    def restore(
        self,
        name: Key,
        ttl: int,
        value: bytes,
        replace: bool = False,
        absttl: bool = False,
        idletime: Optional[int] = None,
        frequency: Optional[int] = None,
    ) -> _S:
        args: Tuple[Any, ...] = ("RESTORE", name, ttl, value)
        if replace:
            args += ("REPLACE",)
        if absttl:
            args += ("ABSTTL",)
        if idletime is not None:
            args += ("IDLETIME", idletime)
        if frequency is not None:
            args += ("FREQ", frequency)
        return self._command(args)

    @overload
    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: None = None,
        desc: bool = False,
        alpha: bool = False,
        store: None = None,
        groups: Literal[False] = False,
    ) -> List[_S]: ...

    @overload
    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        *,
        get: Union[Key, Iterable[Key]],
        desc: bool = False,
        alpha: bool = False,
        store: None = None,
        groups: Literal[False] = False,
    ) -> List[Optional[_S]]: ...

    @overload
    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        *,
        get: Union[Key, Iterable[Key]],
        desc: bool = False,
        alpha: bool = False,
        store: None = None,
        groups: Literal[True],
    ) -> List[Tuple[Optional[_S], ...]]: ...

    @overload
    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
        *,
        store: Key,
        groups: Literal[False] = False,
    ) -> int: ...

    @overload
    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
        store: Any = None,
        groups: bool = False,
    ) -> Union[List[_S], List[Optional[_S]], List[Tuple[Optional[_S], ...]], int]: ...

    def sort(
        self,
        name: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
        store: Any = None,
        groups: bool = False,
    ) -> Union[List[_S], List[Optional[_S]], List[Tuple[Optional[_S], ...]], int]:
        """``SORT``: the elements (or ``get``'s, in tuples of them with
        ``groups``), or how many were stored in ``store``."""
        return self._sort("SORT", name, start, num, by, get, desc, alpha, store, groups)

    @overload
    def sort_ro(
        self,
        key: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: None = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> List[_S]: ...

    @overload
    def sort_ro(
        self,
        key: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        *,
        get: Union[Key, Iterable[Key]],
        desc: bool = False,
        alpha: bool = False,
    ) -> List[Optional[_S]]: ...

    @overload
    def sort_ro(
        self,
        key: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> Union[List[_S], List[Optional[_S]]]: ...

    def sort_ro(
        self,
        key: Key,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> Union[List[_S], List[Optional[_S]]]:
        return self._sort("SORT_RO", key, start, num, by, get, desc, alpha, None, False)

    def _sort(
        self,
        command: str,
        name: Key,
        start: Optional[int],
        num: Optional[int],
        by: Any,
        get: Any,
        desc: bool,
        alpha: bool,
        store: Any,
        groups: bool,
    ) -> Any:
        if (start is None) != (num is None):
            raise DataError("sort: give start and num together, or neither")
        gets = [] if get is None else [get] if isinstance(get, (str, bytes)) else list(get)
        if groups and len(gets) < 2:
            raise DataError("sort: groups needs at least two get patterns")
        args: Tuple[Any, ...] = (command, name)
        if by is not None:
            args += ("BY", by)
        if start is not None:
            args += ("LIMIT", start, num)
        for pattern in gets:
            args += ("GET", pattern)
        if desc:
            args += ("DESC",)
        if alpha:
            args += ("ALPHA",)
        if store is not None:
            args += ("STORE", store)
        if groups:
            size = len(gets)
            return self._command(args, lambda reply: list(zip(*[iter(reply)] * size)) if reply else reply)
        return self._command(args)

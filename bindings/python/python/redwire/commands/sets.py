"""Commands on sets."""

from typing import Any, Iterable, List, Optional, Set, Tuple, Union, overload

from .replies import Key, Sender, Value, _S, _bool, _keys, _set


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


def _set_or_empty(reply: Any) -> Any:
    return set(reply) if reply else set()

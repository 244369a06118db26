"""Commands on sets."""

from typing import Any, Iterable, Tuple, Union

from .replies import Key, Sender, Value, _S, _bool, _keys, _set


class SetCommands(Sender[_S]):
    def sadd(self, name: Key, *values: Value) -> Any:
        return self._command(("SADD", name) + values)

    def srem(self, name: Key, *values: Value) -> Any:
        return self._command(("SREM", name) + values)

    def smembers(self, name: Key) -> Any:
        """``SMEMBERS`` as a set."""
        return self._command(("SMEMBERS", name), _set)

    def sismember(self, name: Key, value: Value) -> Any:
        return self._command(("SISMEMBER", name, value))

    def smismember(self, name: Key, values: Union[Value, Iterable[Value]], *args: Value) -> Any:
        return self._command(("SMISMEMBER", name) + _keys(values, args))  # type: ignore[arg-type]

    def scard(self, name: Key) -> Any:
        return self._command(("SCARD", name))

    def smove(self, src: Key, dst: Key, value: Value) -> Any:
        return self._command(("SMOVE", src, dst, value), _bool)

    def spop(self, name: Key, count: Union[int, None] = None) -> Any:
        return self._command(("SPOP", name) if count is None else ("SPOP", name, count))

    def srandmember(self, name: Key, number: Union[int, None] = None) -> Any:
        return self._command(("SRANDMEMBER", name) if number is None else ("SRANDMEMBER", name, number))

    def sinter(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SINTER",) + _keys(keys, args), _set_or_empty)

    def sunion(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SUNION",) + _keys(keys, args), _set_or_empty)

    def sdiff(self, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SDIFF",) + _keys(keys, args), _set_or_empty)

    def sinterstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SINTERSTORE", dest) + _keys(keys, args))

    def sunionstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SUNIONSTORE", dest) + _keys(keys, args))

    def sdiffstore(self, dest: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> Any:
        return self._command(("SDIFFSTORE", dest) + _keys(keys, args))

    def sintercard(self, numkeys: int, keys: Iterable[Key], limit: int = 0) -> Any:
        args: Tuple[Any, ...] = ("SINTERCARD", numkeys) + tuple(keys) + ("LIMIT", limit)
        return self._command(args)


def _set_or_empty(reply: Any) -> Any:
    return set(reply) if reply else set()

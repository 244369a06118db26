"""Commands on hashes."""

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import Key, Sender, Value, _S, _bool, _float, _keys, _pairs_to_dict


class HashCommands(Sender[_S]):
    def hget(self, name: Key, key: Key) -> Optional[_S]:
        return self._command(("HGET", name, key))

    def hset(
        self,
        name: Key,
        key: Optional[Key] = None,
        value: Optional[Value] = None,
        mapping: Optional[Mapping[Key, Value]] = None,
        items: Optional[Iterable[Any]] = None,
    ) -> int:
        """``HSET`` of ``key``/``value``, a ``mapping`` and/or flat ``items``:
        how many fields were added."""
        args: List[Any] = ["HSET", name]
        if key is not None:
            args += [key, value]
        if mapping:
            for field, field_value in mapping.items():
                args += [field, field_value]
        if items:
            args += list(items)
        if len(args) == 2:
            raise DataError("hset: give key and value, a mapping or items")
        return self._command(tuple(args))

    def hsetnx(self, name: Key, key: Key, value: Value) -> int:
        return self._command(("HSETNX", name, key, value))

    def hmget(self, name: Key, keys: Union[Key, Iterable[Key]], *args: Key) -> List[Optional[_S]]:
        """``HMGET``: the fields one by one or as one list."""
        return self._command(("HMGET", name) + _keys(keys, args))

    def hgetall(self, name: Key) -> Dict[_S, _S]:
        """``HGETALL`` as a dict."""
        return self._command(("HGETALL", name), _pairs_to_dict)

    def hdel(self, name: Key, *keys: Key) -> int:
        return self._command(("HDEL", name) + keys)

    def hexists(self, name: Key, key: Key) -> bool:
        return self._command(("HEXISTS", name, key), _bool)

    def hlen(self, name: Key) -> int:
        return self._command(("HLEN", name))

    def hstrlen(self, name: Key, key: Key) -> int:
        return self._command(("HSTRLEN", name, key))

    def hkeys(self, name: Key) -> List[_S]:
        return self._command(("HKEYS", name))

    def hvals(self, name: Key) -> List[_S]:
        return self._command(("HVALS", name))

    def hincrby(self, name: Key, key: Key, amount: int = 1) -> int:
        return self._command(("HINCRBY", name, key, amount))

    def hincrbyfloat(self, name: Key, key: Key, amount: float = 1.0) -> float:
        return self._command(("HINCRBYFLOAT", name, key, amount), _float)

    @overload
    def hrandfield(self, key: Key, count: None = None, withvalues: bool = False) -> Optional[_S]: ...

    @overload
    def hrandfield(self, key: Key, count: int, withvalues: bool = False) -> List[_S]: ...

    def hrandfield(self, key: Key, count: Optional[int] = None, withvalues: bool = False) -> Union[_S, List[_S], None]:
        """``HRANDFIELD [count [WITHVALUES]]``."""
        args: Tuple[Any, ...] = ("HRANDFIELD", key)
        if count is not None:
            args += (count,)
        if withvalues:
            args += ("WITHVALUES",)
        return self._command(args)

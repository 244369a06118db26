"""Lua scripts and functions."""

from typing import Any, Dict, List, Optional, Tuple, Union

from ..exceptions import DataError
from .replies import Sender, Value, _S, _ok, _text


class ScriptingCommands(Sender[_S]):
    def eval(self, script: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVAL", script, numkeys) + keys_and_args)

    def eval_ro(self, script: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVAL_RO", script, numkeys) + keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVALSHA", sha, numkeys) + keys_and_args)

    def evalsha_ro(self, sha: str, numkeys: int, *keys_and_args: Value) -> Any:
        return self._command(("EVALSHA_RO", sha, numkeys) + keys_and_args)

    def script_load(self, script: Union[str, bytes]) -> str:
        """``SCRIPT LOAD``: the script's SHA1 as ``str``."""
        return self._command(("SCRIPT", "LOAD", script), _text)

    def script_exists(self, *args: str) -> List[bool]:
        """``SCRIPT EXISTS sha ...``: a bool per script."""
        return self._command(("SCRIPT", "EXISTS") + args, lambda reply: [bool(r) for r in reply])

    def script_flush(self, sync_type: Optional[str] = None) -> bool:
        """``SCRIPT FLUSH [SYNC|ASYNC]``."""
        if sync_type not in ("SYNC", "ASYNC", None):
            raise DataError(f"script_flush: sync_type is 'SYNC', 'ASYNC' or None, not {sync_type!r}")
        return self._command(("SCRIPT", "FLUSH") + ((sync_type,) if sync_type else ()), _ok)

    def script_kill(self) -> bool:
        """``SCRIPT KILL``: stops the script running (none: ``NOTBUSY``)."""
        return self._command(("SCRIPT", "KILL"), _ok)

    def script_debug(self, *args: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("SCRIPT DEBUG is intentionally not implemented in the client.")

    def fcall(self, function: str, numkeys: int, *keys_and_args: Any) -> Any:
        return self._command(("FCALL", function, numkeys) + keys_and_args)

    def fcall_ro(self, function: str, numkeys: int, *keys_and_args: Any) -> Any:
        return self._command(("FCALL_RO", function, numkeys) + keys_and_args)

    def function_load(self, code: str, replace: Optional[bool] = False) -> _S:
        """``FUNCTION LOAD [REPLACE] code``: the library's name."""
        args: Tuple[Any, ...] = ("FUNCTION", "LOAD") + (("REPLACE",) if replace else ()) + (code,)
        return self._command(args)

    def function_delete(self, library: str) -> bool:
        return self._command(("FUNCTION", "DELETE", library), _ok)

    def function_flush(self, mode: str = "SYNC") -> bool:
        return self._command(("FUNCTION", "FLUSH", mode), _ok)

    def function_list(self, library: Optional[str] = "*", withcode: Optional[bool] = False) -> List[Any]:
        """``FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`` (``library``
        ``None``: every library): one flat ``[b"library_name", name,
        b"engine", ..., b"functions", [[b"name", ...], ...]]`` per library,
        as RESP2 gives it (RESP3's maps flattened so)."""
        args: Tuple[Any, ...] = ("FUNCTION", "LIST") + (() if library is None else ("LIBRARYNAME", library))
        if withcode:
            args += ("WITHCODE",)
        return self._command(args, _libraries)

    def function_dump(self) -> bytes:
        """``FUNCTION DUMP``: the libraries serialised (``bytes``, never
        decoded)."""
        return self._command(("FUNCTION", "DUMP"), NEVER_DECODE=[])

    def function_restore(self, payload: Union[str, bytes], policy: Optional[str] = "APPEND") -> bool:
        """``FUNCTION RESTORE payload [APPEND|REPLACE|FLUSH]`` (``policy``
        ``None``: left out, the server's ``APPEND``)."""
        return self._command(("FUNCTION", "RESTORE", payload) + ((policy,) if policy is not None else ()), _ok)

    def function_kill(self) -> _S:
        """``FUNCTION KILL``: stops the function running (none: ``NOTBUSY``)."""
        return self._command(("FUNCTION", "KILL"))

    def function_stats(self) -> Any:
        """``FUNCTION STATS``: the flat ``[b"running_script", ..., b"engines",
        [engine, [stat, value, ...], ...]]`` RESP2 gives (RESP3's maps
        flattened so)."""
        return self._command(("FUNCTION", "STATS"), _flat_stats)


def _flat(reply: Dict[Any, Any]) -> List[Any]:
    return [word for pair in reply.items() for word in pair]


def _libraries(reply: Any) -> Any:
    """``FUNCTION LIST``: RESP3's libraries and functions (maps) as RESP2's
    flat lists."""
    if reply is None:
        return None
    libraries = []
    for library in reply:
        if isinstance(library, dict):
            library = _flat({
                name: [_flat(function) if isinstance(function, dict) else function for function in value]
                if _text(name) == "functions"
                else value
                for name, value in library.items()
            })
        libraries.append(library)
    return libraries


def _flat_stats(reply: Any) -> Any:
    """``FUNCTION STATS``: RESP3's maps as RESP2's flat lists."""
    if not isinstance(reply, dict):
        return reply
    stats: Dict[Any, Any] = {}
    for name, value in reply.items():
        if isinstance(value, dict):
            if _text(name) == "engines":
                value = _flat({engine: _flat(used) if isinstance(used, dict) else used for engine, used in value.items()})
            else:
                value = _flat(value)
        stats[name] = value
    return _flat(stats)

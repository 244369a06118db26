"""Lua scripts and functions."""

from typing import Any, List, Optional, Tuple, Union

from ..exceptions import DataError
from .replies import Key, Sender, Value, _S, _ok, _text


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

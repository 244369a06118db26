"""Server modules (``MODULE …``)."""

from typing import Any, Dict, List, Optional, Tuple

from .replies import Sender, _S, _pairs_to_dict


class ModuleCommands(Sender[_S]):
    def module_load(self, path: str, *args: Any) -> bool:
        """``MODULE LOAD path [arg ...]`` → ``True``."""
        return self._command(("MODULE", "LOAD", path) + args, bool)

    def module_loadex(self, path: str, options: Optional[List[str]] = None, args: Optional[List[str]] = None) -> _S:
        """``MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]``;
        ``options`` are the ``CONFIG`` words, as redis-py takes them."""
        words: Tuple[Any, ...] = ("MODULE", "LOADEX", path)
        if options is not None:
            words += ("CONFIG",) + tuple(options)
        if args is not None:
            words += ("ARGS",) + tuple(args)
        return self._command(words)

    def module_unload(self, name: str) -> bool:
        """``MODULE UNLOAD name`` → ``True``."""
        return self._command(("MODULE", "UNLOAD", name), bool)

    def module_list(self) -> List[Dict[_S, Any]]:
        """``MODULE LIST``: one ``{b"name": ..., b"ver": ..., ...}`` per
        module."""
        return self._command(("MODULE", "LIST"), lambda reply: [_pairs_to_dict(module) for module in reply])

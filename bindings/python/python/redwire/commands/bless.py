"""Per-key flags that change how the server treats a key (``BLESS …``, servers that have them).

``NO-EVICT`` (the one flag so far) keeps a key from being evicted."""

from typing import Any, List, Literal, Optional, Tuple

from .replies import Key, Sender, _S, _scan

#: A flag ``BLESS`` sets, clears or scans for.
BlessFlag = Literal["NO-EVICT"]


class BlessCommands(Sender[_S]):
    def bless_get(self, name: Key) -> List[_S]:
        """``BLESS GET``: the flags set on ``name`` (a key that does not
        exist: ``ResponseError``)."""
        return self._command(("BLESS", "GET", name))

    def bless_set(self, name: Key, flag: BlessFlag) -> int:
        """``BLESS SET``: 1 if ``flag`` was set, 0 if it was already."""
        return self._command(("BLESS", "SET", name, flag))

    def bless_clear(self, name: Key, flag: BlessFlag) -> int:
        """``BLESS CLEAR``: 1 if ``flag`` was cleared, 0 if it was not set."""
        return self._command(("BLESS", "CLEAR", name, flag))

    def bless_scan(self, cursor: int, flag: BlessFlag, count: Optional[int] = None, **kwargs: Any) -> Tuple[int, List[_S]]:
        """``BLESS SCAN cursor flag [COUNT count]``: ``(next cursor, keys
        with flag)``."""
        args: Tuple[Any, ...] = ("BLESS", "SCAN", cursor, flag)
        if count is not None:
            args += ("COUNT", count)
        return self._command(args, _scan, **kwargs)

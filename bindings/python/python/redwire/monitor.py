"""``MONITOR`` as redis-py's ``Monitor`` reads it: every command the server
runs, on a connection of its own."""

import re
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional

from .exceptions import ConnectionError, RedisError

if TYPE_CHECKING:
    from . import _native

#: A monitor line after its time: ``[db client] "command" "arg" ...``.
_LINE = re.compile(r"\[(\d+) (.*?)\] (.*)")
#: One quoted word of the command (a quote inside escaped).
_WORD = re.compile(r'"(.*?)(?<!\\)"')


class Monitor:
    """Started by ``with client.monitor() as m:`` (``MONITOR`` sent, its
    ``OK`` read); :meth:`next_command` and :meth:`listen` give each command
    as redis-py's do: ``{"time", "db", "client_address", "client_port",
    "client_type", "command"}``. Leaving the ``with`` closes the connection.
    A lost connection raises :class:`~redwire.ConnectionError`, then every
    read after it (and after leaving the ``with``) too: monitor again with
    a new ``Monitor``."""

    def __init__(self, native: "_native.NativePubSub") -> None:
        self._native = native
        # Why reads are over, once they are: lost, or closed.
        self._over: Optional[str] = None

    def __enter__(self) -> "Monitor":
        if self._over is not None:
            raise ConnectionError(self._over)
        self._native.execute(("MONITOR",))
        _started(self._read(), self._native)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._over = "the monitor was closed"
        self._native.close()

    def _read(self) -> Any:
        if self._over is not None:
            raise ConnectionError(self._over)
        try:
            frame = self._native.get_message(None)
        except ConnectionError:
            self._over = "the monitor's connection was lost"
            raise
        if self._over is not None:  # closed while reading
            raise ConnectionError(self._over)
        return frame

    def next_command(self) -> Dict[str, Any]:
        """The next command the server runs, waiting for it."""
        return _parsed(self._read())

    def listen(self) -> Iterator[Dict[str, Any]]:
        """Every command the server runs, waiting for each."""
        while True:
            yield self.next_command()


def _started(reply: Any, native: "_native.NativePubSub") -> None:
    """``MONITOR``'s reply: ``OK``, else the connection is closed and the
    refusal raised (its ``ResponseError``, as redis-py raises it)."""
    if reply in (b"OK", "OK"):
        return
    native.close()
    if isinstance(reply, RedisError):
        raise reply
    raise RedisError(f"MONITOR failed: {reply!r}")


def _parsed(line: Any) -> Dict[str, Any]:
    """A monitor line as redis-py's ``Monitor.next_command`` gives it."""
    if line is None:
        raise ConnectionError("the monitor was closed")
    if isinstance(line, bytes):
        line = line.decode(errors="replace")
    when, rest = line.split(" ", 1)
    found = _LINE.match(rest)
    if found is None:
        raise RedisError(f"MONITOR sent a line it should not: {line!r}")
    db, client, command = found.groups()
    words = " ".join(_WORD.findall(command)).replace('\\"', '"')
    if client == "lua":
        address, port, kind = "lua", "", "lua"
    elif client.startswith("unix"):
        address, port, kind = "unix", client[5:], "unix"
    elif client == "":
        address, port, kind = "", "", "unknown"
    else:
        address, port = client.rsplit(":", 1)
        kind = "tcp"
    return {
        "time": float(when),
        "db": int(db),
        "client_address": address,
        "client_port": port,
        "client_type": kind,
        "command": words,
    }

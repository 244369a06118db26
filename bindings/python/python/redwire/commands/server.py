"""Server and connection commands: any command, ``PING``, ``INFO``,
``CONFIG``, ``CLIENT``, ``TIME``, persistence.

``**kwargs`` of these methods are redis-py's cluster routing hints
(``target_nodes``, ...), passed on: a :class:`~redwire.RedisCluster`
reads them, a client of one server does not."""

import datetime
from typing import Any, Dict, List, Optional, Tuple, Union

from ..exceptions import DataError
from .replies import (
    Sender,
    Value,
    by_name,
    _S,
    _bool,
    _client_info,
    _client_list,
    _config,
    _info,
    _ok,
    _text,
    _tracking_info,
)


class ServerCommands(Sender[_S]):
    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Sends any command, its name and arguments given in order; its
        reply read as redis-py's ``execute_command`` reads it (``INFO`` a
        dict, ``SET`` ``True``, ...). ``options`` are redis-py's routing
        hints (``target_nodes``, ...): accepted, not used."""
        callback = by_name(args)
        # A name of several words ("CONFIG GET") is sent as its words.
        if args and isinstance(args[0], str) and " " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        return self._command(args, callback, **options)

    def execute(self, *args: Any) -> Any:
        """Sends any command and returns its reply as it came."""
        return self._command(args)

    def ping(self, **kwargs: Any) -> bool:
        """``PING`` → ``True``."""
        return self._command(("PING",), lambda reply: reply in (b"PONG", "PONG"), **kwargs)

    def echo(self, value: Value, **kwargs: Any) -> _S:
        return self._command(("ECHO", value), **kwargs)

    def info(self, section: Optional[str] = None, *args: str, **kwargs: Any) -> Dict[str, Any]:
        """``INFO [section ...]`` parsed into a dict."""
        sections: Tuple[Any, ...] = () if section is None else (section,) + args
        return self._command(("INFO",) + sections, _info, **kwargs)

    def dbsize(self, **kwargs: Any) -> int:
        return self._command(("DBSIZE",), **kwargs)

    def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        return self._command(("FLUSHDB", "ASYNC") if asynchronous else ("FLUSHDB",), _ok, **kwargs)

    def flushall(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        return self._command(("FLUSHALL", "ASYNC") if asynchronous else ("FLUSHALL",), _ok, **kwargs)

    def time(self, **kwargs: Any) -> Tuple[int, int]:
        """``TIME``: ``(seconds, microseconds)``."""
        return self._command(("TIME",), lambda reply: (int(reply[0]), int(reply[1])), **kwargs)

    def lastsave(self, **kwargs: Any) -> datetime.datetime:
        """``LASTSAVE`` as a local ``datetime``."""
        return self._command(("LASTSAVE",), lambda reply: datetime.datetime.fromtimestamp(int(reply)), **kwargs)

    def save(self, **kwargs: Any) -> bool:
        return self._command(("SAVE",), _ok, **kwargs)

    def bgsave(self, schedule: bool = True, **kwargs: Any) -> bool:
        """``BGSAVE [SCHEDULE]`` → ``True``."""
        return self._command(("BGSAVE", "SCHEDULE") if schedule else ("BGSAVE",), lambda reply: True, **kwargs)

    def config_get(self, pattern: str = "*", *args: str, **kwargs: Any) -> Dict[str, str]:
        """``CONFIG GET pattern ...`` as ``{name: value}`` (``str``)."""
        return self._command(("CONFIG", "GET", pattern) + args, _config, **kwargs)

    def config_set(self, name: str, value: Value, *args: Value, **kwargs: Any) -> bool:
        """``CONFIG SET name value [name value ...]`` → ``True``."""
        return self._command(("CONFIG", "SET", name, value) + args, _ok, **kwargs)

    def config_resetstat(self, **kwargs: Any) -> bool:
        return self._command(("CONFIG", "RESETSTAT"), _ok, **kwargs)

    def client_id(self, **kwargs: Any) -> int:
        return self._command(("CLIENT", "ID"), **kwargs)

    def client_getname(self, **kwargs: Any) -> Optional[str]:
        """``CLIENT GETNAME`` as ``str`` (``None``: no name)."""
        return self._command(("CLIENT", "GETNAME"), _text, **kwargs)

    def client_list(self, _type: Optional[str] = None, client_id: Any = [], **kwargs: Any) -> List[Dict[str, str]]:  # noqa: B006 - redis-py's default
        """``CLIENT LIST [TYPE type] [ID id ...]``: one ``{field: value}``
        (``str``) per connection."""
        args: Tuple[Any, ...] = ("CLIENT", "LIST")
        if _type is not None:
            args += ("TYPE", _type)
        if client_id:
            ids = client_id if isinstance(client_id, (list, tuple)) else [client_id]
            args += ("ID",) + tuple(ids)
        return self._command(args, _client_list, **kwargs)

    def client_info(self, **kwargs: Any) -> Dict[str, Any]:
        """``CLIENT INFO``: this connection's ``{field: value}`` (``str``,
        the numeric fields ``int``)."""
        return self._command(("CLIENT", "INFO"), _client_info, **kwargs)

    def memory_usage(self, key: Any, samples: Optional[int] = None, **kwargs: Any) -> Optional[int]:
        args: Tuple[Any, ...] = ("MEMORY", "USAGE", key)
        if samples is not None:
            args += ("SAMPLES", samples)
        return self._command(args, **kwargs)

    def role(self) -> List[Any]:
        return self._command(("ROLE",))

    def lolwut(self, *version_numbers: Any, **kwargs: Any) -> _S:
        args: Tuple[Any, ...] = ("LOLWUT",) + (("VERSION",) + version_numbers if version_numbers else ())
        return self._command(args, **kwargs)

    def swapdb(self, first: int, second: int, **kwargs: Any) -> bool:
        return self._command(("SWAPDB", first, second), _ok, **kwargs)

    def slowlog_len(self, **kwargs: Any) -> int:
        return self._command(("SLOWLOG", "LEN"), **kwargs)

    def slowlog_reset(self, **kwargs: Any) -> bool:
        return self._command(("SLOWLOG", "RESET"), _ok, **kwargs)

    def command_count(self, **kwargs: Any) -> int:
        return self._command(("COMMAND", "COUNT"), **kwargs)

    def command_list(self, module: Optional[str] = None, category: Optional[str] = None, pattern: Optional[str] = None) -> List[_S]:
        """``COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN x]`` (the server
        takes one filter)."""
        args: Tuple[Any, ...] = ("COMMAND", "LIST")
        for name, given in (("MODULE", module), ("ACLCAT", category), ("PATTERN", pattern)):
            if given:
                args += ("FILTERBY", name, given)
        return self._command(args)

    def command_getkeys(self, *args: Any) -> List[str]:
        return self._command(("COMMAND", "GETKEYS") + args, _texts)

    def memory_purge(self, **kwargs: Any) -> bool:
        return self._command(("MEMORY", "PURGE"), _ok, **kwargs)

    def memory_doctor(self, **kwargs: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("MEMORY DOCTOR is intentionally not implemented in the client.")

    def latency_latest(self) -> List[List[Any]]:
        return self._command(("LATENCY", "LATEST"))

    def latency_reset(self, *events: str) -> int:
        return self._command(("LATENCY", "RESET") + events)

    def client_kill(self, address: str, **kwargs: Any) -> bool:
        """``CLIENT KILL addr``: ``True``."""
        return self._command(("CLIENT", "KILL", address), _killed, **kwargs)

    def client_kill_filter(
        self,
        _id: Any = None,
        _type: Optional[str] = None,
        addr: Optional[str] = None,
        skipme: Optional[bool] = None,
        laddr: Optional[str] = None,
        user: Optional[str] = None,
        maxage: Optional[int] = None,
        **kwargs: Any,
    ) -> int:
        """``CLIENT KILL`` by filters: how many were killed."""
        args: Tuple[Any, ...] = ("CLIENT", "KILL")
        for option, given in (("ID", _id), ("TYPE", _type), ("ADDR", addr), ("LADDR", laddr), ("USER", user), ("MAXAGE", maxage)):
            if given is not None:
                args += (option, given)
        if skipme is not None:
            args += ("SKIPME", "yes" if skipme else "no")
        if len(args) == 2:
            raise DataError("client_kill_filter: give at least one filter")
        return self._command(args, _killed, **kwargs)

    def client_pause(self, timeout: int, all: bool = True, **kwargs: Any) -> bool:
        """``CLIENT PAUSE timeout [WRITE]`` (``all=False``: writes only)."""
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            raise DataError("client_pause: timeout is an int of milliseconds")
        return self._command(("CLIENT", "PAUSE", timeout) + (() if all else ("WRITE",)), _ok, **kwargs)

    def client_unpause(self, **kwargs: Any) -> _S:
        return self._command(("CLIENT", "UNPAUSE"), **kwargs)

    def client_trackinginfo(self, **kwargs: Any) -> List[Any]:
        return self._command(("CLIENT", "TRACKINGINFO"), _tracking_info, **kwargs)

    def client_unblock(self, client_id: int, error: bool = False, **kwargs: Any) -> bool:
        return self._command(("CLIENT", "UNBLOCK", client_id) + (("ERROR",) if error else ()), _bool, **kwargs)

    def acl_whoami(self, **kwargs: Any) -> str:
        return self._command(("ACL", "WHOAMI"), _text, **kwargs)

    def acl_users(self, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "USERS"), _texts, **kwargs)

    def acl_list(self, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "LIST"), _texts, **kwargs)

    def acl_cat(self, category: Optional[str] = None, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "CAT") + ((category,) if category else ()), _texts, **kwargs)

    def acl_genpass(self, bits: Optional[int] = None, **kwargs: Any) -> str:
        return self._command(("ACL", "GENPASS") + ((bits,) if bits is not None else ()), _text, **kwargs)

    def acl_deluser(self, *username: str, **kwargs: Any) -> int:
        return self._command(("ACL", "DELUSER") + username, **kwargs)


def _killed(reply: Any) -> Any:
    """``CLIENT KILL``: a count, or ``True`` for ``OK``."""
    return reply if isinstance(reply, int) else _text(reply) == "OK"


def _texts(reply: Any) -> Any:
    return [_text(item) for item in reply]

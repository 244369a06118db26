"""Server and connection commands: any command, ``PING``, ``INFO``,
``CONFIG``, ``CLIENT``, ``TIME``, persistence.

``**kwargs`` of these methods are redis-py's cluster routing hints
(``target_nodes``, ...), passed on: a :class:`~redwire.RedisCluster`
reads them, a client of one server does not."""

import datetime
import enum
import inspect
from typing import Any, Coroutine, Dict, Iterable, Iterator, List, Literal, Optional, Sequence, Tuple, Union

from ..exceptions import ConnectionError, DataError, RedisError
from .replies import (
    Key,
    Sender,
    Value,
    _S,
    _bool,
    _client_info,
    _client_records,
    _client_records_iter,
    _config,
    _items,
    _listed,
    _info,
    _ok,
    _pairs_to_dict,
    _text,
    _texts,
    _tracking_info,
)


class HotkeysMetricsTypes(enum.Enum):
    """What ``HOTKEYS START`` measures keys by (redis-py's enum of that
    name; its members, or their names, are taken)."""

    CPU = "CPU"
    NET = "NET"


#: A metric of ``hotkeys_start``: a :class:`HotkeysMetricsTypes` (redis-py's
#: or this one) or its name.
HotkeysMetric = Union[HotkeysMetricsTypes, str]


class ServerCommands(Sender[_S]):
    def readonly(self, **kwargs: Any) -> bool:
        """``READONLY``: it keeps state on its connection (refused here
        before anything is sent, as the connection is shared; a cluster
        client reads from replicas with ``read_from_replicas=True``)."""
        return self._command(("READONLY",), _ok, **kwargs)

    def readwrite(self, **kwargs: Any) -> bool:
        """``READWRITE`` (refused as ``readonly`` is)."""
        return self._command(("READWRITE",), _ok, **kwargs)

    def ping(self, **kwargs: Any) -> bool:
        """``PING`` → ``True``."""
        return self._command(("PING",), lambda reply: reply in (b"PONG", "PONG"), **kwargs)

    def echo(self, value: Value, **kwargs: Any) -> _S:
        return self._command(("ECHO", value), **kwargs)

    def info(self, section: Optional[str] = None, *args: str, **kwargs: Any) -> Dict[str, Any]:
        """``INFO [section ...]`` parsed into a dict (read as bytes and
        decoded leniently, as redis-py: a key another client named with
        bytes that are not UTF-8 does not break it)."""
        sections: Tuple[Any, ...] = () if section is None else (section,) + args
        return self._command(("INFO",) + sections, _info, NEVER_DECODE=[], **kwargs)

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

    def client_list(self, _type: Optional[str] = None, client_id: List[Value] = [], **kwargs: Any) -> List[Dict[str, str]]:  # noqa: B006 - redis-py's default
        """``CLIENT LIST [TYPE type] [ID id ...]``: one ``{field: value}``
        (``str``) per connection. ``client_id`` is a list (anything else a
        ``DataError``, as in redis-py)."""
        return self._command(_client_list_args(_type, client_id), _client_records, **kwargs)

    def client_list_iter(
        self, _type: Optional[str] = None, client_id: List[Value] = [], **kwargs: Any  # noqa: B006 - redis-py's default
    ) -> Iterator[Dict[str, str]]:
        """:meth:`client_list` as an iterator, each connection's fields
        parsed when it is reached."""
        return self._command(_client_list_args(_type, client_id), _client_records_iter, as_iter=True, **kwargs)

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
        _client_type(_type, _CLIENT_TYPES + ("slave",), "CLIENT KILL")
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

    # Connection state: refused before anything is sent (redwire shares
    # its connections; see the class's documentation), kept with
    # redis-py's signatures.

    def auth(self, password: str, username: Optional[str] = None, **kwargs: Any) -> bool:
        """``AUTH [username] password``: refused (``RedisError``), as it
        would change the shared connection's user; give ``username`` and
        ``password`` to the client instead."""
        args: Tuple[Any, ...] = ("AUTH",) + ((username,) if username is not None else ()) + (password,)
        return self._command(args, bool, **kwargs)

    def select(self, index: int, **kwargs: Any) -> bool:
        """``SELECT index``: refused (``RedisError``); give ``db`` to the
        client instead."""
        return self._command(("SELECT", index), _ok, **kwargs)

    def hello(self) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("HELLO is intentionally not implemented in the client.")

    def reset(self) -> str:
        """``RESET``: refused (``RedisError``)."""
        return self._command(("RESET",), _text)

    def quit(self, **kwargs: Any) -> bool:
        """``QUIT``: refused (``RedisError``); close the client instead."""
        return self._command(("QUIT",), _ok, **kwargs)

    def client_setname(self, name: str, **kwargs: Any) -> bool:
        """``CLIENT SETNAME``: refused (``RedisError``); give
        ``client_name`` to the client instead."""
        return self._command(("CLIENT", "SETNAME", name), _ok, **kwargs)

    def client_setinfo(self, attr: str, value: str, **kwargs: Any) -> bool:
        """``CLIENT SETINFO attr value``: refused (``RedisError``)."""
        return self._command(("CLIENT", "SETINFO", attr, value), _ok, **kwargs)

    def client_reply(self, reply: Literal["ON", "OFF", "SKIP"], **kwargs: Any) -> _S:
        """``CLIENT REPLY ON|OFF|SKIP``: refused (``RedisError``), as the
        shared connection's other callers would miss their replies."""
        if reply not in ("ON", "OFF", "SKIP"):
            raise DataError(f"CLIENT REPLY must be one of {['ON', 'OFF', 'SKIP']!r}")
        return self._command(("CLIENT", "REPLY", reply), **kwargs)

    def client_no_evict(self, mode: str) -> _S:
        """``CLIENT NO-EVICT ON|OFF``: refused (``RedisError``)."""
        return self._command(("CLIENT", "NO-EVICT", mode))

    def client_no_touch(self, mode: str) -> _S:
        """``CLIENT NO-TOUCH ON|OFF``: refused (``RedisError``)."""
        return self._command(("CLIENT", "NO-TOUCH", mode))

    def client_tracking(
        self,
        on: bool = True,
        clientid: Optional[int] = None,
        prefix: Sequence[Key] = [],  # noqa: B006 - redis-py's default
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
        **kwargs: Any,
    ) -> _S:
        """``CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST]
        [OPTIN] [OPTOUT] [NOLOOP]``: refused (``RedisError``), as tracking
        is the connection's."""
        if len(prefix) != 0 and not bcast:
            raise DataError("Prefix can only be used with bcast")
        args: Tuple[Any, ...] = ("CLIENT", "TRACKING", "ON" if on else "OFF")
        if clientid is not None:
            args += ("REDIRECT", clientid)
        for given in prefix:
            args += ("PREFIX", given)
        args += tuple(flag for flag, set_ in (("BCAST", bcast), ("OPTIN", optin), ("OPTOUT", optout), ("NOLOOP", noloop)) if set_)
        return self._command(args, **kwargs)

    def client_tracking_on(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[Key] = [],  # noqa: B006 - redis-py's default
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> _S:
        """:meth:`client_tracking` ``ON``."""
        return self.client_tracking(True, clientid, prefix, bcast, optin, optout, noloop)

    def client_tracking_off(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[Key] = [],  # noqa: B006 - redis-py's default
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> _S:
        """:meth:`client_tracking` ``OFF``."""
        return self.client_tracking(False, clientid, prefix, bcast, optin, optout, noloop)

    def client_getredir(self, **kwargs: Any) -> int:
        """``CLIENT GETREDIR``: where tracking notifications go (``-1``:
        tracking is off)."""
        return self._command(("CLIENT", "GETREDIR"), **kwargs)

    # Replication and the server's life.

    def sync(self) -> bytes:
        """``SYNC``: refused (``RedisError``), as the connection would
        become a replication stream."""
        return self._command(("SYNC",), NEVER_DECODE=[])

    def psync(self, replicationid: str, offset: int) -> bytes:
        """``PSYNC replicationid offset``: refused (``RedisError``), as
        :meth:`sync`."""
        return self._command(("PSYNC", replicationid, offset), NEVER_DECODE=[])

    def replicaof(self, *args: Any, **kwargs: Any) -> _S:
        """``REPLICAOF host port`` or ``REPLICAOF NO ONE``, the words given
        in order."""
        return self._command(("REPLICAOF",) + args, **kwargs)

    def slaveof(self, host: Optional[str] = None, port: Optional[int] = None, **kwargs: Any) -> bool:
        """``SLAVEOF host port``; without both, ``SLAVEOF NO ONE`` (the
        server becomes a master)."""
        if host is None and port is None:
            return self._command(("SLAVEOF", "NO", "ONE"), _ok, **kwargs)
        return self._command(("SLAVEOF", host, port), _ok, **kwargs)

    def wait(self, num_replicas: int, timeout: int, **kwargs: Any) -> int:
        """``WAIT numreplicas timeout``: how many replicas acknowledged the
        writes made before it on its connection (send it in a pipeline
        after them: alone, it counts none)."""
        return self._command(("WAIT", num_replicas, timeout), **kwargs)

    def waitaof(self, num_local: int, num_replicas: int, timeout: int, **kwargs: Any) -> List[int]:
        """``WAITAOF numlocal numreplicas timeout``: ``[local, replicas]``
        that fsynced the writes before it on its connection (as
        :meth:`wait`)."""
        return self._command(("WAITAOF", num_local, num_replicas, timeout), **kwargs)

    def failover(self) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("FAILOVER is intentionally not implemented in the client.")

    def shutdown(
        self,
        save: bool = False,
        nosave: bool = False,
        now: bool = False,
        force: bool = False,
        abort: bool = False,
        **kwargs: Any,
    ) -> None:
        """``SHUTDOWN [SAVE|NOSAVE] [NOW] [FORCE] [ABORT]``: ``None`` when
        the server closed the connection (it is going down); a reply means
        it is not, raised as ``RedisError`` (an error reply as itself)."""
        if save and nosave:
            raise DataError("SHUTDOWN save and nosave cannot both be set")
        flags = (("SAVE", save), ("NOSAVE", nosave), ("NOW", now), ("FORCE", force), ("ABORT", abort))
        args = ("SHUTDOWN",) + tuple(flag for flag, set_ in flags if set_)
        try:
            outcome = self._command(args, _shutdown_failed, **kwargs)
        except ConnectionError:
            return None
        if inspect.iscoroutine(outcome):
            # An asyncio client's: the connection's end is awaited.
            outcome = _shut_down(outcome)
        # (A pipeline's: the pipeline, the command queued.)
        return outcome

    def bgrewriteaof(self, **kwargs: Any) -> bool:
        """``BGREWRITEAOF`` → ``True``."""
        return self._command(("BGREWRITEAOF",), lambda reply: True, **kwargs)

    def config_rewrite(self, **kwargs: Any) -> _S:
        return self._command(("CONFIG", "REWRITE"), **kwargs)

    def migrate(
        self,
        host: str,
        port: int,
        keys: Union[Key, Iterable[Key]],
        destination_db: int,
        timeout: int,
        copy: bool = False,
        replace: bool = False,
        auth: Optional[str] = None,
        **kwargs: Any,
    ) -> _S:
        """``MIGRATE host port "" db timeout [COPY] [REPLACE] [AUTH pw]
        KEYS key ...``: ``OK``, or ``NOKEY`` when none of the keys exists."""
        names = _listed(keys)
        if not names:
            raise DataError("MIGRATE requires at least one key")
        args: Tuple[Any, ...] = ("MIGRATE", host, port, "", destination_db, timeout)
        args += tuple(flag for flag, set_ in (("COPY", copy), ("REPLACE", replace)) if set_)
        if auth:
            args += ("AUTH", auth)
        return self._command(args + ("KEYS",) + tuple(names), **kwargs)

    def debug_object(self, key: Key, **kwargs: Any) -> Dict[str, Union[str, int]]:
        """``DEBUG OBJECT key`` as ``{field: value}``, the value's type
        under ``type`` and the counters ``int``."""
        return self._command(("DEBUG", "OBJECT", key), _debug_object, **kwargs)

    def debug_segfault(self, **kwargs: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("DEBUG SEGFAULT is intentionally not implemented in the client.")

    # Introspection.

    def command(self, **kwargs: Any) -> Dict[str, Dict[str, Any]]:
        """``COMMAND``: ``{name: {"name", "arity", "flags", "first_key_pos",
        "last_key_pos", "step_count", "acl_categories", "tips",
        "key_specifications", "subcommands"}}``, the names, flags and
        categories ``str``, the last three as the server sent them."""
        return self._command(("COMMAND",), _commands, **kwargs)

    def command_info(self, **kwargs: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("COMMAND INFO is intentionally not implemented in the client.")

    def command_docs(self, *args: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("COMMAND DOCS is intentionally not implemented in the client.")

    def command_getkeysandflags(self, *args: str) -> List[List[Union[_S, List[_S]]]]:
        """``COMMAND GETKEYSANDFLAGS command arg ...``: ``[[key, [flag,
        ...]], ...]``."""
        return self._command(("COMMAND", "GETKEYSANDFLAGS") + args)

    def memory_stats(self, **kwargs: Any) -> Dict[str, Any]:
        """``MEMORY STATS`` as ``{name: value}`` (``str`` names), numbers
        as numbers (the ratios ``float``), ``db.N`` a dict."""
        return self._command(("MEMORY", "STATS"), _memory_stats, **kwargs)

    def memory_malloc_stats(self, **kwargs: Any) -> _S:
        return self._command(("MEMORY", "MALLOC-STATS"), **kwargs)

    def memory_help(self, **kwargs: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("MEMORY HELP is intentionally not implemented in the client.")

    def slowlog_get(self, num: Optional[int] = None, **kwargs: Any) -> List[Dict[str, Any]]:
        """``SLOWLOG GET [num]``: one dict per entry (``id``,
        ``start_time``, ``duration``, ``command``, ``client_address``,
        ``client_name``; ``complexity`` where the server gives it), the
        text ``bytes`` whatever ``decode_responses`` says, as in redis-py."""
        args: Tuple[Any, ...] = ("SLOWLOG", "GET") + ((num,) if num is not None else ())
        return self._command(args, _slowlog, NEVER_DECODE=[], **kwargs)

    def latency_history(self, event: str) -> List[List[int]]:
        """``LATENCY HISTORY event``: ``[[timestamp, latency], ...]``."""
        return self._command(("LATENCY", "HISTORY", event))

    def latency_doctor(self) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("LATENCY DOCTOR is intentionally not implemented in the client.")

    def latency_graph(self) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("LATENCY GRAPH is intentionally not implemented in the client.")

    def latency_histogram(self, *args: Any) -> None:
        """Refused with ``NotImplementedError``, as redis-py refuses it."""
        raise NotImplementedError("LATENCY HISTOGRAM is intentionally not implemented in the client.")

    # Hot keys (HOTKEYS, Redis 8.6).

    def hotkeys_start(
        self,
        metrics: List[HotkeysMetric],
        count: Optional[int] = None,
        duration: Optional[int] = None,
        sample_ratio: Optional[int] = None,
        slots: Optional[List[int]] = None,
        **kwargs: Any,
    ) -> _S:
        """``HOTKEYS START METRICS n metric ... [COUNT n] [DURATION s]
        [SAMPLE ratio] [SLOTS n slot ...]`` (an empty ``slots``: none)."""
        names = tuple(str(metric.value) if isinstance(metric, enum.Enum) else str(metric) for metric in metrics)
        args: Tuple[Any, ...] = ("HOTKEYS", "START", "METRICS", len(metrics)) + names
        for option, given in (("COUNT", count), ("DURATION", duration), ("SAMPLE", sample_ratio)):
            if given is not None:
                args += (option, given)
        if slots:
            args += ("SLOTS", len(slots)) + tuple(slots)
        return self._command(args, **kwargs)

    def hotkeys_stop(self, **kwargs: Any) -> _S:
        return self._command(("HOTKEYS", "STOP"), **kwargs)

    def hotkeys_reset(self, **kwargs: Any) -> _S:
        return self._command(("HOTKEYS", "RESET"), **kwargs)

    def hotkeys_get(self, **kwargs: Any) -> Optional[List[Dict[_S, Any]]]:
        """``HOTKEYS GET``: one dict per session's results (``None``: no
        session)."""
        return self._command(("HOTKEYS", "GET"), _hotkeys, **kwargs)

    # Backups (BACKUP).

    def backup_start(self, **kwargs: Any) -> _S:
        return self._command(("BACKUP", "START"), **kwargs)

    def backup_status(self, **kwargs: Any) -> Dict[_S, Any]:
        """``BACKUP STATUS`` as ``{field: value}``."""
        return self._command(("BACKUP", "STATUS"), _pairs_to_dict, **kwargs)

    def backup_list(self, **kwargs: Any) -> List[_S]:
        return self._command(("BACKUP", "LIST"), **kwargs)

    def backup_seal(self, **kwargs: Any) -> _S:
        return self._command(("BACKUP", "SEAL"), **kwargs)

    def backup_abort(self, **kwargs: Any) -> _S:
        return self._command(("BACKUP", "ABORT"), **kwargs)

    def backup_cleanup(self, **kwargs: Any) -> _S:
        return self._command(("BACKUP", "CLEANUP"), **kwargs)


#: The client types ``CLIENT LIST TYPE`` takes, as redis-py checks them.
_CLIENT_TYPES = ("normal", "master", "replica", "pubsub")


def _client_type(_type: Optional[str], types: Tuple[str, ...], command: str) -> None:
    """Refuses, as redis-py does before sending, a client type ``command``
    does not take."""
    if _type is not None and str(_type).lower() not in types:
        raise DataError(f"{command} type must be one of {types!r}")


def _client_list_args(_type: Optional[str], client_id: Any) -> Tuple[Any, ...]:
    args: Tuple[Any, ...] = ("CLIENT", "LIST")
    _client_type(_type, _CLIENT_TYPES, "CLIENT LIST")
    if _type is not None:
        args += ("TYPE", _type)
    if not isinstance(client_id, list):
        raise DataError("client_id must be a list")
    if client_id:
        args += ("ID",) + tuple(client_id)
    return args


def _shutdown_failed(reply: Any) -> Any:
    """``SHUTDOWN`` answered: the server is not going down."""
    raise RedisError("SHUTDOWN seems to have failed.")


async def _shut_down(outcome: Coroutine[Any, Any, Any]) -> None:
    """An asyncio client's ``SHUTDOWN``: the connection's end is success."""
    try:
        await outcome
    except ConnectionError:
        return None


#: The ``DEBUG OBJECT`` fields redis-py reads as integers.
_DEBUG_INTEGERS = ("refcount", "serializedlength", "lru", "lru_seconds_idle")


def _debug_object(reply: Any) -> Any:
    """``DEBUG OBJECT``: ``Value at:0x.. refcount:1 ...`` as a dict, the
    first word under ``type``."""
    fields: Dict[str, Any] = dict(item.split(":", 1) for item in ("type:" + _text(reply)).split())
    for name in _DEBUG_INTEGERS:
        if name in fields:
            fields[name] = int(fields[name])
    return fields


def _commands(reply: Any) -> Any:
    """``COMMAND``: each command's description by its name."""
    commands: Dict[str, Dict[str, Any]] = {}
    for command in reply:
        name = _text(command[0])
        described: Dict[str, Any] = {
            "name": name,
            "arity": int(command[1]),
            "flags": [_text(flag) for flag in command[2]],
            "first_key_pos": command[3],
            "last_key_pos": command[4],
            "step_count": command[5],
        }
        if len(command) > 6:
            described["acl_categories"] = [_text(category) for category in command[6]]
        if len(command) > 7:
            described["tips"], described["key_specifications"], described["subcommands"] = command[7:10]
        commands[name] = described
    return commands


def _memory_stats(reply: Any) -> Any:
    """``MEMORY STATS``: ``str`` names; a ratio RESP2 sends as text a
    ``float`` (as RESP3 sends it); ``db.N`` a dict of its own."""
    stats: Dict[str, Any] = {}
    for name, value in _items(reply):
        name = _text(name)
        if name.startswith("db.") and isinstance(value, (list, dict)):
            value = {_text(field): number for field, number in _items(value)}
        elif isinstance(value, (bytes, str)):
            try:
                value = float(value)
            except ValueError:
                pass
        stats[name] = value
    return stats


def _joined(words: List[Any]) -> Any:
    """A logged command's words joined by spaces (``bytes``, unless the
    words came decoded)."""
    return b" ".join(words) if all(isinstance(word, bytes) for word in words) else " ".join(map(_text, words))


def _slowlog(reply: Any) -> Any:
    """``SLOWLOG GET``: a dict per entry; an entry with a complexity
    (Redis Enterprise's) has it before the command."""
    entries: List[Dict[str, Any]] = []
    for item in reply:
        entry: Dict[str, Any] = {"id": item[0], "start_time": int(item[1]), "duration": int(item[2])}
        at = 3
        if not isinstance(item[3], list):
            entry["complexity"] = item[3]
            at = 4
        entry["command"] = _joined(item[at])
        if len(item) >= at + 3:
            entry["client_address"] = item[at + 1]
            entry["client_name"] = item[at + 2]
        entries.append(entry)
    return entries


def _hotkeys(reply: Any) -> Any:
    return None if reply is None else [_pairs_to_dict(session) for session in reply]


def _killed(reply: Any) -> Any:
    """``CLIENT KILL``: a count, or ``True`` for ``OK``."""
    return reply if isinstance(reply, int) else _text(reply) == "OK"


def _cluster_info(reply: Any) -> Dict[str, str]:
    """``CLUSTER INFO``: its ``field:value`` lines as a dict of text."""
    return dict(line.split(":", 1) for line in _text(reply).splitlines() if line)


def _cluster_nodes(reply: Any) -> Dict[str, Dict[str, Any]]:
    """``CLUSTER NODES`` (or ``REPLICAS``' lines): each node by its address,
    as redis-py reads it."""
    lines = _text(reply).splitlines() if isinstance(reply, (bytes, str)) else [_text(line) for line in reply]
    return dict(_node_line(line) for line in lines if line)


def _node_line(line: str) -> Tuple[str, Dict[str, Any]]:
    node_id, address, flags, master_id, ping, pong, epoch, link = line.split(" ")[:8]
    announced = address.split("@")
    node: Dict[str, Any] = {
        "node_id": node_id,
        "hostname": announced[1].split(",")[1] if len(announced) > 1 and "," in announced[1] else "",
        "flags": flags,
        "master_id": master_id,
        "last_ping_sent": ping,
        "last_pong_rcvd": pong,
        "epoch": epoch,
        "slots": [],
        "migrations": [],
        "connected": link == "connected",
    }
    for part in line.split(" ")[8:]:
        if "->-" in part:
            slot, to = part[1:-1].split("->-", 1)
            node["migrations"].append({"slot": slot, "node_id": to, "state": "migrating"})
        elif "-<-" in part:
            slot, source = part[1:-1].split("-<-", 1)
            node["migrations"].append({"slot": slot, "node_id": source, "state": "importing"})
        else:
            node["slots"].append(part.split("-"))
    return announced[0], node

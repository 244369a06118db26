"""redwire's management commands against redis-py's: the server and
connection commands, ACL, modules, sentinels, scripts and functions.

Three kinds of comparison, as the commands allow:

- for real, side by side on one server (a sentinel for the ``sentinel_*``
  readers), bytes and ``decode_responses=True``, the replies compared with
  their types and checked against the declared return types;
- what is SENT, for the commands the test server (Redis 7.0) lacks, those
  that would harm it (``SHUTDOWN``, ``REPLICAOF host``, ``MODULE LOAD``,
  ``SENTINEL FAILOVER``, ...) and those redwire refuses because they would
  leave state on a shared connection: redis-py's ``execute_command`` and
  redwire's ``_command`` record the arguments instead of sending them;
- how a REPLY is read: for realistic raw replies, redwire's reading of
  them and redis-py's (its response callback for the command)."""

import asyncio
import contextlib
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
import redis.asyncio

import redwire
import redwire.asyncio
from test_redis_py_behaviour import _check_declared_type, _normalised

Call = Tuple[str, Tuple[Any, ...], Dict[str, Any]]


class _Sent(Exception):
    """Raised in place of sending a command: its arguments were recorded."""


def _word(arg: Any) -> bytes:
    """An argument as it goes on the wire (redis-py's encoder)."""
    if isinstance(arg, (bytes, memoryview)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode()
    if isinstance(arg, (int, float)):
        return str(arg).encode()
    raise TypeError(f"not an argument: {arg!r}")


def _wire(args: Tuple[Any, ...]) -> List[bytes]:
    """A command's words: redis-py's two-word names (``"CONFIG GET"``) split."""
    first = args[0].split() if isinstance(args[0], str) else [args[0]]
    return [_word(arg) for arg in (*first, *args[1:])]


def _theirs_sent(name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """What redis-py's ``name(*args, **kwargs)`` hands ``execute_command``
    (``args``, ``options``), nothing sent."""
    record: Dict[str, Any] = {}

    def execute_command(self: Any, *command: Any, **options: Any) -> Any:
        record.update(args=command, options=options)
        raise _Sent

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redis.Redis, "execute_command", execute_command)
        client = redis.Redis(host="127.0.0.1", port=1, protocol=2)
        with pytest.raises(_Sent):
            getattr(client, name)(*args, **kwargs)
    return record


def _ours_sent(client: redwire.Redis, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """What redwire's ``name(*args, **kwargs)`` hands ``_command``
    (``args``, ``callback``, ``options``), nothing sent."""
    record: Dict[str, Any] = {}

    def _command(command: Tuple[Any, ...], callback: Any = None, **options: Any) -> Any:
        record.update(args=command, callback=callback, options=options)
        raise _Sent

    client._command = _command  # type: ignore[method-assign]
    try:
        with pytest.raises(_Sent):
            getattr(client, name)(*args, **kwargs)
    finally:
        del client._command
    return record


@pytest.fixture
def idle(server: Dict[str, Any]) -> Iterator[redwire.Redis]:
    """A client whose commands are only recorded."""
    with redwire.Redis(host=server["host"], port=server["port"], db=14) as client:
        yield client


# --- What is sent -----------------------------------------------------------

#: Calls compared by the words they send (and, for the NEVER_DECODE ones,
#: that the reply is read as bytes).
SENT: List[Call] = [
    # Connection state (refused by redwire before anything is sent).
    ("auth", ("secret",), {}),
    ("auth", ("secret", "alice"), {}),
    ("select", (3,), {}),
    ("reset", (), {}),
    ("quit", (), {}),
    ("client_setname", ("worker-1",), {}),
    ("client_setinfo", ("lib-name", "redwire"), {}),
    ("client_reply", ("SKIP",), {}),
    ("client_no_evict", ("on",), {}),
    ("client_no_touch", ("off",), {}),
    ("client_tracking", (), {}),
    ("client_tracking", (False, 12, ["a:", "b:"], True, False, False, True), {}),
    ("client_tracking", (), {"optin": True, "noloop": True}),
    ("client_tracking_on", (7,), {"prefix": ["p"], "bcast": True}),
    ("client_tracking_on", (), {"optout": True}),
    ("client_tracking_off", (), {}),
    ("client_getredir", (), {}),
    ("client_list_iter", (), {}),
    ("client_list_iter", ("pubsub", [1, 2]), {}),
    ("client_list", ("normal", [5]), {}),
    ("sync", (), {}),
    ("psync", ("8a7c3f0e9d", 1234), {}),
    # Replication, the server's life.
    ("replicaof", ("10.0.0.2", 6380), {}),
    ("replicaof", ("NO", "ONE"), {}),
    ("slaveof", ("10.0.0.2", 6380), {}),
    ("slaveof", (), {}),
    ("wait", (1, 500), {}),
    ("waitaof", (1, 0, 500), {}),
    ("shutdown", (), {}),
    ("shutdown", (), {"save": True, "now": True, "force": True}),
    ("shutdown", (), {"nosave": True, "abort": True}),
    ("bgrewriteaof", (), {}),
    ("config_rewrite", (), {}),
    ("migrate", ("10.0.0.2", 6380, "k", 2, 1000), {}),
    ("migrate", ("10.0.0.2", 6380, ["k1", b"k2"], 0, 500), {"copy": True, "replace": True, "auth": "pw"}),
    ("debug_object", ("k",), {}),
    # Introspection.
    ("command", (), {}),
    ("command_getkeysandflags", ("LMOVE", "a", "b", "LEFT", "RIGHT"), {}),
    ("memory_stats", (), {}),
    ("memory_malloc_stats", (), {}),
    ("slowlog_get", (), {}),
    ("slowlog_get", (5,), {}),
    ("latency_history", ("command",), {}),
    # Hot keys and backups (Redis 8.6).
    ("hotkeys_start", ([redis.commands.core.HotkeysMetricsTypes.CPU],), {}),
    (
        "hotkeys_start",
        ([redis.commands.core.HotkeysMetricsTypes.CPU, redis.commands.core.HotkeysMetricsTypes.NET],),
        {"count": 10, "duration": 60, "sample_ratio": 4, "slots": [0, 5, 16383]},
    ),
    ("hotkeys_start", ([redis.commands.core.HotkeysMetricsTypes.NET],), {"slots": []}),
    ("hotkeys_stop", (), {}),
    ("hotkeys_reset", (), {}),
    ("hotkeys_get", (), {}),
    ("backup_start", (), {}),
    ("backup_status", (), {}),
    ("backup_list", (), {}),
    ("backup_seal", (), {}),
    ("backup_abort", (), {}),
    ("backup_cleanup", (), {}),
    # ACL.
    ("acl_dryrun", ("alice", "set", "k", "v"), {}),
    ("acl_getuser", ("alice",), {}),
    ("acl_help", (), {}),
    ("acl_load", (), {}),
    ("acl_save", (), {}),
    ("acl_log", (), {}),
    ("acl_log", (10,), {}),
    ("acl_log_reset", (), {}),
    ("acl_genpass", (), {}),
    ("acl_genpass", (128,), {}),
    ("acl_genpass", ("64",), {}),
    ("acl_setuser", ("alice",), {}),
    (
        "acl_setuser",
        ("alice",),
        {
            "enabled": True,
            "passwords": ["+pass1", "-pass2"],
            "hashed_passwords": ["+" + "a" * 64, "-" + "b" * 64],
            "categories": ["+@read", "-@dangerous", "+write", "-admin"],
            "commands": ["+get", "-flushall", "+client|id"],
            "keys": ["cache:*", "~user:*", "%R~ro:*", b"raw:*"],
            "channels": ["news", "chat:*"],
            "selectors": [("+set", "sel:*"), ("-get", "%W~w:*"), ("+get +set", "~app:*")],
            "reset": True,
            "reset_keys": True,
            "reset_channels": True,
            "reset_passwords": True,
        },
    ),
    ("acl_setuser", ("bob",), {"enabled": True, "nopass": True, "passwords": None}),
    ("acl_setuser", ("bob",), {"passwords": "+only-one"}),
    ("acl_setuser", ("bob",), {"hashed_passwords": "-" + "c" * 64}),
    # Modules.
    ("module_load", ("/opt/mod.so",), {}),
    ("module_load", ("/opt/mod.so", "arg1", 2), {}),
    ("module_loadex", ("/opt/mod.so",), {}),
    ("module_loadex", ("/opt/mod.so",), {"options": ["max-size", "10"], "args": ["a", "b"]}),
    ("module_loadex", ("/opt/mod.so",), {"options": [], "args": []}),
    ("module_unload", ("mod",), {}),
    ("module_list", (), {}),
    # Sentinels.
    ("sentinel_get_master_addr_by_name", ("mymaster",), {}),
    ("sentinel_get_master_addr_by_name", ("mymaster", True), {}),
    ("sentinel_master", ("mymaster",), {}),
    ("sentinel_master", ("mymaster",), {"return_responses": True}),
    ("sentinel_masters", (), {}),
    ("sentinel_slaves", ("mymaster",), {}),
    ("sentinel_sentinels", ("mymaster",), {}),
    ("sentinel_ckquorum", ("mymaster",), {}),
    ("sentinel_monitor", ("other", "10.0.0.9", 6379, 2), {}),
    ("sentinel_remove", ("other",), {}),
    ("sentinel_set", ("mymaster", "down-after-milliseconds", 5000), {}),
    ("sentinel_reset", ("my*",), {}),
    ("sentinel_failover", ("mymaster",), {}),
    ("sentinel_flushconfig", (), {}),
    # Scripts and functions.
    ("script_kill", (), {}),
    ("function_dump", (), {}),
    ("function_kill", (), {}),
    ("function_list", (), {}),
    ("function_list", ("lib*", True), {}),
    ("function_list", (None,), {"withcode": True}),
    ("function_restore", (b"\xf5\x00payload",), {}),
    ("function_restore", (b"\xf5\x00payload", "REPLACE"), {}),
    ("function_restore", (b"\xf5\x00payload", None), {}),
    ("function_stats", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", SENT, ids=[f"{c[0]}-{i}" for i, c in enumerate(SENT)])
def test_the_same_words_are_sent(idle: redwire.Redis, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
    theirs = _theirs_sent(name, args, kwargs)
    ours = _ours_sent(idle, name, args, kwargs)
    assert _wire(ours["args"]) == _wire(theirs["args"])
    if "NEVER_DECODE" in theirs["options"]:
        assert "NEVER_DECODE" in ours["options"], f"{name}: redis-py reads the reply as bytes"


def test_slowlog_get_reads_bytes_whatever_the_client_decodes(server: Dict[str, Any]) -> None:
    # redis-py asks for bytes when the client decodes (and gets them anyway
    # when it does not).
    with redwire.Redis(host=server["host"], port=server["port"], decode_responses=True) as client:
        assert "NEVER_DECODE" in _ours_sent(client, "slowlog_get", (), {})["options"]


#: Calls redis-py refuses before sending: redwire raises the same class.
REFUSED: List[Call] = [
    ("client_reply", ("MAYBE",), {}),
    ("client_tracking", (), {"prefix": ["a:"]}),
    ("client_tracking_on", (), {"prefix": ["a:"]}),
    ("client_list_iter", ("bogus",), {}),
    ("client_list_iter", (None, 5), {}),
    ("client_list", ("bogus",), {}),
    ("client_list", (None, (1, 2)), {}),
    ("shutdown", (), {"save": True, "nosave": True}),
    ("migrate", ("10.0.0.2", 6380, [], 0, 100), {}),
    ("acl_log", ("3",), {}),
    ("acl_genpass", (5000,), {}),
    ("acl_genpass", (-1,), {}),
    ("acl_genpass", ("many",), {}),
    ("acl_setuser", ("u",), {"nopass": True, "passwords": ["+p"]}),
    ("acl_setuser", ("u",), {"nopass": True, "hashed_passwords": "+" + "a" * 64}),
    ("acl_setuser", ("u",), {"passwords": ["p"]}),
    ("acl_setuser", ("u",), {"passwords": ["+p", "q"]}),
    ("acl_setuser", ("u",), {"hashed_passwords": ["x" * 64]}),
    ("acl_setuser", ("u",), {"categories": ["read"]}),
    ("acl_setuser", ("u",), {"commands": ["get"]}),
    ("acl_setuser", ("u",), {"selectors": [("get", "k")]}),
    ("acl_setuser", ("u",), {"keys": [True]}),
    ("command_info", (), {}),
    ("command_docs", ("get",), {}),
    ("debug_segfault", (), {}),
    ("hello", (), {}),
    ("failover", (), {}),
    ("latency_doctor", (), {}),
    ("latency_graph", (), {}),
    ("latency_histogram", ("get",), {}),
    ("memory_help", (), {}),
    ("script_debug", ("YES",), {}),
]


@pytest.mark.parametrize("name,args,kwargs", REFUSED, ids=[f"{c[0]}-{i}" for i, c in enumerate(REFUSED)])
def test_what_redis_py_refuses_is_refused_alike(idle: redwire.Redis, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
    # Nothing may be sent: both record a command as a failure.
    with pytest.raises(Exception) as reference:
        _theirs_sent(name, args, kwargs)
    with pytest.raises(Exception) as refused:
        _ours_sent(idle, name, args, kwargs)
    assert type(refused.value).__name__ == type(reference.value).__name__, f"{refused.value!r} vs {reference.value!r}"
    assert not isinstance(reference.value, _Sent) and not isinstance(refused.value, _Sent)


def test_sentinel_only_warns_as_redis_py(idle: redwire.Redis) -> None:
    with pytest.warns(DeprecationWarning, match="sentinel_"):
        assert redis.Redis(host="127.0.0.1", port=1).sentinel("MASTERS") is None
    with pytest.warns(DeprecationWarning, match="sentinel_"):
        assert _ours_sent_nothing(idle, "sentinel", ("MASTERS",)) is None


def _ours_sent_nothing(client: redwire.Redis, name: str, args: Tuple[Any, ...]) -> Any:
    def _command(*_: Any, **__: Any) -> Any:
        raise AssertionError(f"{name} sent something")

    client._command = _command  # type: ignore[method-assign]
    try:
        return getattr(client, name)(*args)
    finally:
        del client._command


# --- How replies are read ---------------------------------------------------

CLIENTS = (
    b"id=3 addr=/tmp/redis sock/redis.sock:0 laddr=/tmp/redis sock/redis.sock:0 fd=8 name=a=b age=12 idle=0 "
    b"flags=U db=0 sub=0 psub=0 multi=-1 qbuf=26 qbuf-free=20448 obl=0 oll=0 omem=0 events=r cmd=client|list "
    b"user=default resp=2\n"
    b"id=4 addr=127.0.0.1:50112 laddr=127.0.0.1:6379 fd=9 name= age=3 idle=3 flags=N db=2 sub=0 psub=0 "
    b"multi=-1 cmd=get user=default\n"
)
SENTINEL_MASTER = [
    b"name", b"mymaster", b"ip", b"127.0.0.1", b"port", b"6379", b"runid", b"d3167c0a012f99a51559a3a736ee4287",
    b"flags", b"master", b"link-pending-commands", b"0", b"link-refcount", b"1", b"last-ping-sent", b"0",
    b"last-ok-ping-reply", b"167", b"last-ping-reply", b"167", b"down-after-milliseconds", b"1000",
    b"info-refresh", b"1432", b"role-reported", b"master", b"role-reported-time", b"11491", b"config-epoch", b"0",
    b"num-slaves", b"2", b"num-other-sentinels", b"2", b"quorum", b"2", b"failover-timeout", b"3000",
    b"parallel-syncs", b"1",
]
SENTINEL_REPLICA = [
    b"name", b"127.0.0.1:6380", b"ip", b"127.0.0.1", b"port", b"6380", b"runid", b"", b"flags",
    b"s_down,slave,disconnected", b"link-pending-commands", b"100", b"link-refcount", b"1", b"last-ping-sent",
    b"1200", b"last-ok-ping-reply", b"1200", b"last-ping-reply", b"1200", b"s-down-time", b"200",
    b"down-after-milliseconds", b"1000", b"info-refresh", b"0", b"role-reported", b"slave", b"role-reported-time",
    b"1500", b"master-link-down-time", b"0", b"master-link-status", b"err", b"master-host", b"127.0.0.1",
    b"master-port", b"6379", b"slave-priority", b"100", b"slave-repl-offset", b"not-a-number", b"replica-announced",
    b"1",
]
SENTINEL_PEER = [
    b"name", b"4d2b5b2a1c", b"ip", b"127.0.0.1", b"port", b"26380", b"runid", b"4d2b5b2a1c", b"flags", b"sentinel",
    b"link-pending-commands", b"0", b"link-refcount", b"1", b"last-ping-sent", b"0", b"last-ok-ping-reply", b"400",
    b"last-ping-reply", b"400", b"down-after-milliseconds", b"1000", b"last-hello-message", b"450",
    b"voted-leader", b"?", b"voted-leader-epoch", b"0",
]
ACL_USER = [
    b"flags", [b"on", b"sanitize-payload"], b"passwords", [b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    b"commands", b"-@all +@read +set", b"keys", b"~k:* %R~r:*", b"channels", b"&ch",
    b"selectors", [[b"commands", b"-@all +get", b"keys", b"~x:*", b"channels", b""]],
]
ACL_LOG = [
    [
        b"count", 2, b"reason", b"auth", b"context", b"toplevel", b"object", b"AUTH", b"username", b"someuser",
        b"age-seconds", b"4.0960000000000001",
        b"client-info", b"id=6 addr=127.0.0.1:63026 laddr=127.0.0.1:6379 fd=8 name=app age=0 idle=0 flags=N db=0 "
        b"sub=0 psub=0 ssub=0 multi=-1 qbuf=48 qbuf-free=16842 argv-mem=25 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 "
        b"omem=0 tot-mem=18737 events=r cmd=auth user=default redir=-1 resp=2",
        b"entry-id", 0, b"timestamp-created", 1675361492408, b"timestamp-last-updated", 1675361492408,
    ],
]
FUNCTIONS = [[
    b"library_name", b"mylib", b"engine", b"LUA", b"functions",
    [[b"name", b"f2", b"description", None, b"flags", []], [b"name", b"f1", b"description", b"one", b"flags", [b"no-writes"]]],
]]
FUNCTION_STATS = [
    b"running_script", [b"name", b"f1", b"command", [b"fcall", b"f1", b"0"], b"duration_ms", 5020],
    b"engines", [b"LUA", [b"libraries_count", 1, b"functions_count", 2]],
]
COMMANDS = [
    [
        b"get", 2, [b"readonly", b"fast"], 1, 1, 1, [b"@read", b"@string", b"@fast"], [],
        [[b"flags", [b"RO", b"access"], b"begin_search", [b"type", b"index", b"spec", [b"index", 1]],
          b"find_keys", [b"type", b"range", b"spec", [b"lastkey", 0, b"keystep", 1, b"limit", 0]]]],
        [],
    ],
    [b"ping", -1, [b"fast", b"sentinel"], 0, 0, 0],
    [b"dbsize", b"1", [b"readonly", b"fast"], 0, 0, 0, [b"@keyspace"]],
]
SLOWLOG = [
    [14, 1700000000, 12000, [b"SET", b"k", b"v"], b"127.0.0.1:50000", b"worker"],
    [13, b"1699999999", b"11000", [b"GET", b"k"], b"127.0.0.1:50001", b""],
    [12, 1699999998, 10, [b"PING"]],
]
SLOWLOG_ENTERPRISE = [[5, 1700000000, 12000, 3, [b"MGET", b"a", b"b", b"c"], b"10.0.0.1:6000", b"app"], [4, 1, 2, 1, [b"PING"]]]

#: (call, raw RESP2 reply, whether a decoding client reads it decoded too):
#: redwire's reading and redis-py's (``protocol=2``) must agree.
READS: List[Tuple[Call, Any, bool]] = [
    (("auth", ("pw",), {}), b"OK", True),
    (("select", (1,), {}), b"OK", True),
    (("reset", (), {}), b"RESET", True),
    (("quit", (), {}), b"OK", True),
    (("client_setname", ("n",), {}), b"OK", True),
    (("client_setinfo", ("lib-name", "x"), {}), b"OK", True),
    (("client_reply", ("ON",), {}), b"OK", True),
    (("client_no_evict", ("on",), {}), b"OK", True),
    (("client_no_touch", ("on",), {}), b"OK", True),
    (("client_tracking", (), {}), b"OK", True),
    (("client_tracking_off", (), {}), b"OK", True),
    (("client_getredir", (), {}), -1, True),
    (("client_getredir", (), {}), 42, True),
    (("client_list", (), {}), CLIENTS, True),
    (("client_list_iter", (), {}), CLIENTS, True),
    (("client_list_iter", (), {}), b"", True),
    (("sync", (), {}), b"REDIS0011\xfa\tredis-ver", False),
    (("psync", ("?", -1), {}), b"REDIS0011\xfa\tredis-ver", False),
    (("replicaof", ("NO", "ONE"), {}), b"OK", True),
    (("slaveof", (), {}), b"OK", True),
    (("slaveof", ("h", 1), {}), b"OK", True),
    (("wait", (1, 100), {}), 1, True),
    (("waitaof", (1, 1, 100), {}), [1, 0], True),
    (("bgrewriteaof", (), {}), b"Background append only file rewriting started", True),
    (("config_rewrite", (), {}), b"OK", True),
    (("migrate", ("h", 1, "k", 0, 10), {}), b"NOKEY", True),
    (("migrate", ("h", 1, "k", 0, 10), {}), b"OK", True),
    (("debug_object", ("k",), {}), b"Value at:0x7f3c2e8a1b40 refcount:1 encoding:embstr serializedlength:2 lru:14198123 lru_seconds_idle:3", True),
    (("debug_object", ("k",), {}), b"Value at:0x7f3c2e8a1b40 refcount:2147483647 encoding:listpack ql_nodes:1", True),
    (("command", (), {}), COMMANDS, True),
    (("command_getkeysandflags", ("SET", "a", "b"), {}), [[b"a", [b"OW", b"update"]]], True),
    (("memory_malloc_stats", (), {}), b"___ Begin jemalloc statistics ___\nVersion: 5.3.0\n", True),
    (("slowlog_get", (), {}), SLOWLOG, False),
    (("slowlog_get", (2,), {}), SLOWLOG_ENTERPRISE, False),
    (("slowlog_get", (), {}), [], False),
    (("latency_history", ("command",), {}), [[1700000000, 12], [1700000060, 7]], True),
    (("hotkeys_start", ([redis.commands.core.HotkeysMetricsTypes.CPU],), {}), b"OK", True),
    (("hotkeys_stop", (), {}), b"OK", True),
    (("hotkeys_reset", (), {}), b"OK", True),
    (("hotkeys_get", (), {}), None, True),
    (
        ("hotkeys_get", (), {}),
        [[b"tracking-active", 1, b"sample-ratio", 1, b"selected-slots", [[0, 16383]], b"all-commands-all-slots-us", 230,
          b"by-cpu-time-us", [b"user:1", 120, b"user:2", 40], b"by-net-bytes", [b"user:1", 1024]]],
        True,
    ),
    (("backup_start", (), {}), b"OK", True),
    (("backup_status", (), {}), [b"state", b"incrementing", b"error", b"", b"start_time", 1700000000, b"end_time", 0], True),
    (("backup_list", (), {}), [b"/data/backup/base.rdb", b"/data/backup/incr-1.aof"], True),
    (("backup_seal", (), {}), b"OK", True),
    (("backup_abort", (), {}), b"OK", True),
    (("backup_cleanup", (), {}), b"OK", True),
    (("acl_dryrun", ("u", "set", "k", "v"), {}), b"This user has no permissions to run the 'set' command", True),
    (("acl_getuser", ("u",), {}), ACL_USER, True),
    (("acl_getuser", ("u",), {}), None, True),
    (("acl_getuser", ("u",), {}), [b"flags", [b"off"], b"passwords", [], b"commands", b"-@all", b"keys", b"", b"channels", b""], True),
    (("acl_getuser", ("u",), {}), [b"flags", [b"on"], b"passwords", [], b"commands", b"+@all", b"keys", [b"*"]], True),
    (("acl_help", (), {}), [b"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", b"CAT [<category>]"], True),
    (("acl_load", (), {}), b"OK", True),
    (("acl_save", (), {}), b"OK", True),
    (("acl_log", (), {}), ACL_LOG, True),
    (("acl_log", (1,), {}), [], True),
    (("acl_log_reset", (), {}), b"OK", True),
    (("acl_setuser", ("u",), {}), b"OK", True),
    (("module_load", ("/opt/mod.so",), {}), b"OK", True),
    (("module_loadex", ("/opt/mod.so",), {}), b"OK", True),
    (("module_unload", ("mod",), {}), b"OK", True),
    (("module_list", (), {}), [], True),
    (
        ("module_list", (), {}),
        [[b"name", b"search", b"ver", 20809, b"path", b"/usr/lib/redis/modules/redisearch.so", b"args", []],
         [b"name", b"json", b"ver", 20600, b"path", b"/opt/json.so", b"args", [b"x"]]],
        True,
    ),
    (("sentinel_get_master_addr_by_name", ("mymaster",), {}), [b"127.0.0.1", b"6379"], True),
    (("sentinel_get_master_addr_by_name", ("mymaster", True), {}), None, True),
    (("sentinel_master", ("mymaster",), {}), SENTINEL_MASTER, True),
    (("sentinel_masters", (), {}), [SENTINEL_MASTER, [b"name", b"other", b"flags", b"master,o_down,s_down", b"quorum", b"x"]], True),
    (("sentinel_slaves", ("mymaster",), {}), [SENTINEL_REPLICA], True),
    (("sentinel_sentinels", ("mymaster",), {}), [SENTINEL_PEER], True),
    (("sentinel_ckquorum", ("mymaster",), {}), b"OK 3 usable Sentinels. Quorum and failover authorization can be reached", True),
    (("sentinel_ckquorum", ("mymaster",), {}), b"OK", True),
    (("sentinel_monitor", ("m", "h", 1, 2), {}), b"OK", True),
    (("sentinel_remove", ("m",), {}), b"OK", True),
    (("sentinel_set", ("m", "quorum", 2), {}), b"OK", True),
    (("sentinel_reset", ("*",), {}), 1, True),
    (("sentinel_failover", ("m",), {}), b"OK", True),
    (("sentinel_flushconfig", (), {}), b"OK", True),
    (("script_kill", (), {}), b"OK", True),
    (("function_dump", (), {}), b"\xf5\xc3@X@]\x1f#library", False),
    (("function_kill", (), {}), b"OK", True),
    (("function_list", (), {}), FUNCTIONS, True),
    (("function_list", (), {}), [], True),
    (("function_restore", (b"p",), {}), b"OK", True),
    (("function_stats", (), {}), FUNCTION_STATS, True),
    (("function_stats", (), {}), [b"running_script", None, b"engines", [b"LUA", [b"libraries_count", 0, b"functions_count", 0]]], True),
]


def _decoded(raw: Any) -> Any:
    """A raw reply as a decoding client's connection gives it."""
    if isinstance(raw, bytes):
        return raw.decode()
    if isinstance(raw, list):
        return [_decoded(item) for item in raw]
    if isinstance(raw, dict):
        return {_decoded(key): _decoded(value) for key, value in raw.items()}
    if isinstance(raw, set):
        return {_decoded(item) for item in raw}
    return raw


def _read_both(idle: redwire.Redis, call: Call, raw: Any, protocol: Optional[int]) -> Tuple[Any, Any]:
    """``raw`` read by redwire's callback for ``call`` and by redis-py's
    (its response callback for the command, on a client of ``protocol``)."""
    name, args, kwargs = call
    theirs = _theirs_sent(name, args, kwargs)
    ours = _ours_sent(idle, name, args, kwargs)
    options = {k: v for k, v in theirs["options"].items() if k != "NEVER_DECODE"}
    reference = redis.Redis(host="127.0.0.1", port=1, protocol=protocol).response_callbacks.get(theirs["args"][0])
    expected = reference(_copy(raw), **options) if reference is not None else raw
    callback: Optional[Callable[[Any], Any]] = ours["callback"]
    got = callback(_copy(raw)) if callback is not None else raw
    if isinstance(expected, Iterator) or isinstance(got, Iterator):
        assert isinstance(expected, Iterator) and isinstance(got, Iterator), f"{name}: one is no iterator"
        expected, got = list(expected), list(got)
    return got, expected


def _copy(raw: Any) -> Any:
    """A fresh copy (a callback may change the lists it reads)."""
    if isinstance(raw, list):
        return [_copy(item) for item in raw]
    if isinstance(raw, dict):
        return {key: _copy(value) for key, value in raw.items()}
    return raw


@pytest.mark.parametrize("call,raw,decoded_too", READS, ids=[f"{r[0][0]}-{i}" for i, r in enumerate(READS)])
def test_replies_are_read_as_redis_py_reads_them(idle: redwire.Redis, call: Call, raw: Any, decoded_too: bool) -> None:
    for reply, strings in ((raw, bytes), (_decoded(raw), str)) if decoded_too else ((raw, bytes),):
        got, expected = _read_both(idle, call, reply, protocol=2)
        assert _normalised(got) == _normalised(expected), f"{call}: redwire {got!r}, redis-py {expected!r}"
        if call[0] != "client_list_iter":
            _check_declared_type(call[0], got, strings)


#: RESP3 raw replies (redwire's ``protocol=3``), read by redwire and by
#: redis-py's default client (RESP3 read into RESP2's shapes).
READS3: List[Tuple[Call, Any]] = [
    (("acl_getuser", ("u",), {}), {
        b"flags": [b"on"], b"passwords": [], b"commands": b"-@all +get", b"keys": b"~k:*", b"channels": b"",
        b"selectors": [{b"commands": b"-@all +set", b"keys": b"~x:*", b"channels": b"&c"}],
    }),
    (("acl_log", (), {}), [{
        b"count": 1, b"reason": b"command", b"context": b"toplevel", b"object": b"get", b"username": b"u",
        b"age-seconds": 1.5, b"client-info": b"id=7 addr=127.0.0.1:1 laddr=127.0.0.1:6379 fd=8 name= age=1 idle=0 db=0",
    }]),
    (("memory_stats", (), {}), {
        b"peak.allocated": 1084016, b"total.allocated": 1064216, b"db.0": {b"overhead.hashtable.main": 72, b"overhead.hashtable.expires": 0},
        b"dataset.percentage": 99.85549163818359, b"peak.percentage": 98.1734619140625, b"fragmentation": 13.58,
    }),
    (("sentinel_master", ("m",), {}), dict(zip(SENTINEL_MASTER[::2], SENTINEL_MASTER[1::2]))),
    (("sentinel_masters", (), {}), [dict(zip(SENTINEL_MASTER[::2], SENTINEL_MASTER[1::2]))]),
    (("sentinel_slaves", ("m",), {}), [dict(zip(SENTINEL_REPLICA[::2], SENTINEL_REPLICA[1::2]))]),
    (("sentinel_sentinels", ("m",), {}), [dict(zip(SENTINEL_PEER[::2], SENTINEL_PEER[1::2]))]),
    (("function_list", (), {}), [{
        b"library_name": b"mylib", b"engine": b"LUA",
        b"functions": [{b"name": b"f1", b"description": None, b"flags": {b"no-writes"}}, {b"name": b"f2", b"description": None, b"flags": set()}],
    }]),
    (("function_stats", (), {}), {
        b"running_script": {b"name": b"f1", b"command": [b"fcall", b"f1", b"0"], b"duration_ms": 5020},
        b"engines": {b"LUA": {b"libraries_count": 1, b"functions_count": 2}},
    }),
    (("function_stats", (), {}), {b"running_script": None, b"engines": {b"LUA": {b"libraries_count": 0, b"functions_count": 0}}}),
    (("module_list", (), {}), [{b"name": b"search", b"ver": 20809, b"path": b"/opt/s.so", b"args": []}]),
    (("backup_status", (), {}), {b"state": b"idle", b"error": b"", b"start_time": 0, b"end_time": 0}),
    (("hotkeys_get", (), {}), [{b"tracking-active": 0, b"by-cpu-time-us": [b"k", 3]}]),
]


@pytest.mark.parametrize("call,raw", READS3, ids=[f"{r[0][0]}-{i}" for i, r in enumerate(READS3)])
def test_resp3_replies_are_read_into_redis_py_s_shapes(idle: redwire.Redis, call: Call, raw: Any) -> None:
    for reply in (raw, _decoded(raw)):
        got, expected = _read_both(idle, call, reply, protocol=None)
        assert _normalised(got) == _normalised(expected), f"{call}: redwire {got!r}, redis-py {expected!r}"


def test_memory_stats_reads_resp2_as_redis_py_reads_resp3(idle: redwire.Redis) -> None:
    # redis-py's default client speaks RESP3, whose doubles are floats; a
    # RESP2 reply sends them as text: read as floats, as redis-py's.
    resp2 = [
        b"peak.allocated", 1084016, b"total.allocated", 1064216,
        b"db.0", [b"overhead.hashtable.main", 72, b"overhead.hashtable.expires", 0],
        b"dataset.percentage", b"99.85549163818359", b"peak.percentage", b"98.1734619140625", b"fragmentation", b"13.58",
    ]
    resp3 = READS3[2][1]
    read = _ours_sent(idle, "memory_stats", (), {})["callback"]
    for ours_raw, their_raw, strings in ((resp2, resp3, bytes), (_decoded(resp2), _decoded(resp3), str)):
        got = read(_copy(ours_raw))
        _, expected = _read_both(idle, ("memory_stats", (), {}), their_raw, protocol=None)
        assert _normalised(got) == _normalised(expected)
        assert isinstance(got["fragmentation"], float) and isinstance(got["db.0"], dict)
        _check_declared_type("memory_stats", got, strings)


# --- For real ---------------------------------------------------------------


def _pair(server: Dict[str, Any], decode: bool) -> Tuple[redis.Redis, redwire.Redis]:
    return (
        redis.Redis(host=server["host"], port=server["port"], db=13, decode_responses=decode),
        redwire.Redis(host=server["host"], port=server["port"], db=14, decode_responses=decode),
    )


def _same(theirs: Any, ours: Any, name: str, *args: Any, view: Callable[[Any], Any] = lambda reply: reply, **kwargs: Any) -> Any:
    """``name(*args, **kwargs)`` on both: the same reply (seen through
    ``view``), of the declared type; or the same exception class."""
    try:
        expected = ("reply", _normalised(view(getattr(theirs, name)(*args, **kwargs))))
    except redis.RedisError as error:
        expected = ("raises", type(error).__name__)
    try:
        reply = getattr(ours, name)(*args, **kwargs)
        got = ("reply", _normalised(view(reply)))
        _check_declared_type(name, reply, str if _decodes(ours) else bytes)
    except redwire.RedisError as error:
        got = ("raises", type(error).__name__)
        reply = error
    assert got == expected, f"{name}{args} {kwargs}: redwire {got!r}, redis-py {expected!r}"
    return reply


def _decodes(client: redwire.Redis) -> bool:
    return bool(client._native.decode_responses)


@pytest.mark.parametrize("decode", [False, True])
def test_server_commands_side_by_side(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _pair(server, decode)
    _same(theirs, ours, "client_getredir")
    _same(theirs, ours, "command_getkeysandflags", "LMOVE", "a", "b", "LEFT", "RIGHT")
    _same(theirs, ours, "command_getkeysandflags", "SET", "a", "b")
    _same(theirs, ours, "latency_history", "command")
    _same(theirs, ours, "config_rewrite")
    _same(theirs, ours, "debug_object", "nokey")  # DEBUG is off on the test server: refused alike
    _same(theirs, ours, "migrate", "127.0.0.1", 1, ["no-such-key", "nor-this"], 0, 100)  # NOKEY: nothing to move
    _same(theirs, ours, "slaveof")  # SLAVEOF NO ONE on a master: nothing changes
    _same(theirs, ours, "replicaof", "NO", "ONE")
    _same(theirs, ours, "shutdown", abort=True)  # no shutdown to abort: refused
    _same(theirs, ours, "memory_malloc_stats", view=lambda reply: reply[:33])
    # The sizes change from call to call; the names and their types not.
    _same(theirs, ours, "memory_stats", view=lambda stats: {name: type(value).__name__ for name, value in stats.items()})
    stats = ours.memory_stats()
    assert isinstance(stats["peak.allocated"], int) and isinstance(stats["dataset.percentage"], float)
    for name in ("hello", "failover", "latency_doctor", "latency_graph", "latency_histogram", "memory_help", "command_info",
                 "command_docs", "debug_segfault"):
        with pytest.raises(NotImplementedError):
            getattr(theirs, name)()
        with pytest.raises(NotImplementedError):
            getattr(ours, name)()
    theirs.close()
    ours.close()


@pytest.mark.parametrize("decode", [False, True])
def test_command_is_read_as_redis_py_reads_it(server: Dict[str, Any], decode: bool) -> None:
    ours = redwire.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    described = _same(
        redis.Redis(host=server["host"], port=server["port"], decode_responses=decode, protocol=2), ours, "command"
    )
    assert described["get"]["arity"] == 2 and "readonly" in described["get"]["flags"]
    # redis-py's default client speaks RESP3: its flags and categories come
    # as sets (listed in any order), its key specifications as maps.
    default = redis.Redis(host=server["host"], port=server["port"], decode_responses=decode).command()
    top = ("name", "arity", "first_key_pos", "last_key_pos", "step_count")
    assert set(described) == set(default)
    for name, info in described.items():
        assert {k: info[k] for k in top} == {k: default[name][k] for k in top}, name
        for listed in ("flags", "acl_categories"):
            assert sorted(info[listed]) == sorted(default[name][listed]), (name, listed)
    ours.close()


@pytest.mark.parametrize("decode", [False, True])
def test_client_list_iter_side_by_side(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _pair(server, decode)
    their_id, our_id = theirs.client_id(), ours.client_id()
    their_records, our_records = theirs.client_list_iter(client_id=[their_id]), ours.client_list_iter(client_id=[our_id])
    assert isinstance(their_records, Iterator) and isinstance(our_records, Iterator)
    (their_record,), (our_record,) = list(their_records), list(our_records)
    assert our_record["id"] == str(our_id) and their_record["id"] == str(their_id)
    # (redis-py's default client speaks RESP3, adding nothing to the fields.)
    assert set(our_record) == set(their_record) and all(isinstance(v, str) for v in our_record.values())
    assert [r["id"] for r in ours.client_list_iter(_type="normal")] == [r["id"] for r in ours.client_list(_type="normal")]
    theirs.close()
    ours.close()


@pytest.mark.parametrize("decode", [False, True])
def test_slowlog_get_side_by_side(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _pair(server, decode)
    before = theirs.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
    try:
        theirs.slowlog_reset()
        theirs.config_set("slowlog-log-slower-than", 0)
        theirs.set("slow:key", "v")
        ours.set("slow:key", "w")
        # Logging off again: the log stays as it is while both read it.
        theirs.config_set("slowlog-log-slower-than", -1)
        log = _same(theirs, ours, "slowlog_get")
        logged = [entry["command"] for entry in log]
        assert b"SET slow:key w" in logged and b"SET slow:key v" in logged
        assert all(isinstance(entry["client_address"], bytes) for entry in log)
        _same(theirs, ours, "slowlog_get", 1)
    finally:
        theirs.config_set("slowlog-log-slower-than", before)
        theirs.close()
        ours.close()


def _aof_rewrite_done(client: redis.Redis) -> None:
    deadline = time.monotonic() + 30
    while True:
        persistence = client.info("persistence")
        if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
            return
        assert time.monotonic() < deadline, "the AOF rewrite did not end"
        time.sleep(0.05)


def test_bgrewriteaof_side_by_side(server: Dict[str, Any]) -> None:
    theirs, ours = _pair(server, False)
    _aof_rewrite_done(theirs)
    assert theirs.bgrewriteaof() is True
    _aof_rewrite_done(theirs)
    assert ours.bgrewriteaof() is True
    _aof_rewrite_done(theirs)
    theirs.close()
    ours.close()


def test_wait_goes_after_the_writes_in_a_pipeline(server: Dict[str, Any]) -> None:
    theirs, ours = _pair(server, False)
    expected = theirs.pipeline(transaction=False).set("w", 1).wait(0, 100).execute()
    assert ours.pipeline(transaction=False).set("w", 1).wait(0, 100).execute() == expected == [True, 0]
    # Alone it would count no write: refused before anything is sent.
    for name, args in (("wait", (0, 100)), ("waitaof", (0, 0, 100))):
        with pytest.raises(redwire.RedisError, match=name.upper()) as refused:
            getattr(ours, name)(*args)
        assert type(refused.value) is redwire.RedisError
    theirs.close()
    ours.close()


#: Commands that would leave state on the connection they go on: redwire
#: refuses them (its connections are shared), naming the command.
STATEFUL: List[Tuple[str, Tuple[Any, ...], Dict[str, Any], str]] = [
    ("auth", ("secret",), {}, "AUTH"),
    ("auth", ("secret", "default"), {}, "AUTH"),
    ("select", (1,), {}, "SELECT"),
    ("reset", (), {}, "RESET"),
    ("quit", (), {}, "QUIT"),
    ("client_setname", ("n",), {}, "CLIENT"),
    ("client_setinfo", ("lib-name", "x"), {}, "CLIENT"),
    ("client_reply", ("ON",), {}, "CLIENT"),
    ("client_no_evict", ("on",), {}, "CLIENT"),
    ("client_no_touch", ("on",), {}, "CLIENT"),
    ("client_tracking", (), {}, "CLIENT"),
    ("client_tracking_on", (), {}, "CLIENT"),
    ("client_tracking_off", (), {}, "CLIENT"),
    ("sync", (), {}, "SYNC"),
    ("psync", ("?", -1), {}, "PSYNC"),
]


@pytest.mark.parametrize("name,args,kwargs,word", STATEFUL, ids=[s[0] + str(i) for i, s in enumerate(STATEFUL)])
def test_commands_keeping_state_are_refused(client: redwire.Redis, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any], word: str) -> None:
    with pytest.raises(redwire.RedisError, match=word) as refused:
        getattr(client, name)(*args, **kwargs)
    assert type(refused.value) is redwire.RedisError
    assert client.ping()


# --- ACL ----------------------------------------------------------------------

SETUSER: Dict[str, Any] = {
    "enabled": True,
    "passwords": ["+first-secret", "+second-secret"],
    "hashed_passwords": ["+" + "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"],
    "categories": ["+@read", "-@dangerous", "+hash"],
    "commands": ["+set", "-get", "+client|id"],
    "keys": ["cache:*", "~user:*", "%R~ro:*"],
    "channels": ["news", "chat:*"],
    "selectors": [("+set", "sel:*"), ("+get +hget", "%R~app:*")],
    "reset": True,
}


@pytest.mark.parametrize("decode", [False, True])
def test_acl_side_by_side(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _pair(server, decode)
    try:
        # Each client makes its own user with the same rules: each reads
        # both users as the other does.
        assert theirs.acl_setuser("rp-user", **SETUSER) is True
        assert _same(theirs, ours, "acl_setuser", "rw-user", **SETUSER) is True
        for user in ("rp-user", "rw-user"):
            got = _same(theirs, ours, "acl_getuser", user)
        assert got["enabled"] is True and got["keys"] == ["~cache:*", "~user:*", "%R~ro:*"]
        assert got["channels"] == ["&news", "&chat:*"] and {"+set", "+client|id"} <= set(got["commands"])
        assert "+@hash" in got["categories"] and len(got["passwords"]) == 3
        assert got["selectors"][0] == ["commands", "-@all +set", "keys", "~sel:*", "channels", ""]
        assert ours.acl_getuser("rp-user") == ours.acl_getuser("rw-user")
        # Updates (each client its user) without a reset keep what was there.
        for update in (
            dict(enabled=False, passwords="-first-secret", reset_channels=True, keys=["more:*"]),
            dict(nopass=True, reset_passwords=True, reset_keys=True, commands=["-set"], categories=["-hash"]),
        ):
            assert theirs.acl_setuser("rp-user", **update) is True
            assert ours.acl_setuser("rw-user", **update) is True
            for user in ("rp-user", "rw-user"):
                got = _same(theirs, ours, "acl_getuser", user)
            assert theirs.acl_getuser("rp-user") == got
        assert got["enabled"] is False and "nopass" in got["flags"] and got["keys"] == [] and got["channels"] == []
        _same(theirs, ours, "acl_getuser", "no-such-user")
        _same(theirs, ours, "acl_dryrun", "rw-user", "get", "k")
        _same(theirs, ours, "acl_dryrun", "default", "get", "k")
        _same(theirs, ours, "acl_help")
        _same(theirs, ours, "acl_load")  # no aclfile: refused alike
        _same(theirs, ours, "acl_save")
        # A refused login is logged: both read the same log.
        _same(theirs, ours, "acl_log_reset")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host=server["host"], port=server["port"], username="rw-user-x", password="wrong").ping()
        age = lambda log: [dict(entry, **{"age-seconds": type(entry["age-seconds"]).__name__}) for entry in log]  # noqa: E731
        log = _same(theirs, ours, "acl_log", view=age)
        assert log and log[0]["reason"] == "auth" and isinstance(log[0]["client-info"]["id"], int)
        _same(theirs, ours, "acl_log", 1, view=age)
    finally:
        theirs.acl_deluser("rp-user", "rw-user")
        theirs.close()
        ours.close()


# --- Modules, scripts and functions -------------------------------------------

LIBRARY = """#!lua name=mgmtlib
redis.register_function{function_name='mgmt_ro', callback=function(keys, args) return 1 end, flags={'no-writes'}}
redis.register_function('mgmt_rw', function(keys, args) return 2 end)
"""


@pytest.mark.parametrize("decode", [False, True])
def test_modules_scripts_and_functions_side_by_side(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _pair(server, decode)
    try:
        _same(theirs, ours, "module_list")
        # MODULE LOAD/UNLOAD are off on the test server: refused alike.
        _same(theirs, ours, "module_load", "/no/such/module.so")
        _same(theirs, ours, "module_loadex", "/no/such/module.so", ["a", "1"], ["x"])
        _same(theirs, ours, "module_unload", "nomodule")
        _same(theirs, ours, "script_kill")  # nothing running: NOTBUSY
        _same(theirs, ours, "function_kill")
        theirs.function_load(LIBRARY, replace=True)
        _same(theirs, ours, "function_list")
        _same(theirs, ours, "function_list", "mgmt*", True)
        _same(theirs, ours, "function_list", None)
        _same(theirs, ours, "function_list", "none*")
        _same(theirs, ours, "function_stats")
        dump = _same(theirs, ours, "function_dump")
        assert isinstance(dump, bytes) and dump == theirs.function_dump()
        _same(theirs, ours, "function_restore", dump)  # the library is there already: refused
        _same(theirs, ours, "function_restore", dump, "REPLACE")
        _same(theirs, ours, "function_restore", dump, None)
        # Restored where it is missing: each client after a delete.
        for restores in (theirs, ours):
            theirs.function_delete("mgmtlib")
            assert restores.function_restore(dump) is True
        assert [library[1] for library in ours.function_list()] == ([b"mgmtlib"] if not decode else ["mgmtlib"])
    finally:
        theirs.function_flush()
        theirs.close()
        ours.close()


# --- Sentinels ----------------------------------------------------------------

#: The fields of a sentinel's state that change from one read to the next.
VOLATILE = ("ping", "refresh", "-time", "hello", "offset", "link-", "pending")


def _steady(state: Dict[str, Any]) -> Dict[str, Any]:
    """A state's volatile fields as their types only."""
    return {k: (type(v).__name__ if any(part in k for part in VOLATILE) else v) for k, v in state.items()}


@pytest.mark.parametrize("decode", [False, True])
def test_sentinel_commands_on_a_sentinel(sentinel_set: Dict[str, Any], decode: bool) -> None:
    name = sentinel_set["master_name"]
    where = sentinel_set["sentinels"][0]
    options = dict(host=where["host"], port=where["port"], username="watcher", password="watch-secret", decode_responses=decode)
    theirs, ours = redis.Redis(**options), redwire.Redis(**options)
    host, port = sentinel_set["master"]["host"], sentinel_set["master"]["port"]
    address = _same(theirs, ours, "sentinel_get_master_addr_by_name", name)
    assert address == (host if decode else host.encode(), port)
    _same(theirs, ours, "sentinel_get_master_addr_by_name", name, True)
    _same(theirs, ours, "sentinel_get_master_addr_by_name", "no-such-service")
    state = _same(theirs, ours, "sentinel_master", name, view=_steady)
    assert state["is_master"] is True and state["port"] == port and state["flags"] == "master"
    _same(theirs, ours, "sentinel_master", "no-such-service")
    _same(theirs, ours, "sentinel_masters", view=lambda masters: {n: _steady(s) for n, s in masters.items()})
    replicas = _same(theirs, ours, "sentinel_slaves", name, view=lambda states: sorted(map(repr, map(_steady, states))))
    assert len(replicas) == len(sentinel_set["replicas"]) and all(r["is_slave"] for r in replicas)
    peers = _same(theirs, ours, "sentinel_sentinels", name, view=lambda states: sorted(map(repr, map(_steady, states))))
    assert len(peers) == len(sentinel_set["sentinels"]) - 1
    # A healthy set answers more than a bare OK: False, as redis-py reads it.
    assert _same(theirs, ours, "sentinel_ckquorum", name) is False
    _same(theirs, ours, "sentinel_ckquorum", "no-such-service")
    theirs.close()
    ours.close()


# --- SHUTDOWN -----------------------------------------------------------------


@contextlib.contextmanager
def _spare_server(directory: Path) -> Iterator[Tuple[int, "subprocess.Popen[bytes]"]]:
    """A server of its own on a free port, for a test that stops it; stopped
    here if it still runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the spare server did not start"
            time.sleep(0.02)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_shutdown_returns_none_once_the_server_is_gone(tmp_path: Path) -> None:
    with _spare_server(tmp_path) as (port, process):
        assert redis.Redis(port=port).shutdown(nosave=True) is None
        assert process.wait(timeout=10) == 0
    with _spare_server(tmp_path) as (port, process):
        client = redwire.Redis(port=port)
        assert client.ping() is True
        assert client.shutdown(nosave=True) is None
        assert process.wait(timeout=10) == 0
        client.close()

    async def asyncio_shutdown(port: int) -> Any:
        client = redwire.asyncio.Redis(port=port)
        try:
            assert await client.ping() is True
            return await client.shutdown(nosave=True, now=True)
        finally:
            await client.close()

    with _spare_server(tmp_path) as (port, process):
        assert asyncio.run(asyncio_shutdown(port)) is None
        assert process.wait(timeout=10) == 0


def test_shutdown_answered_means_it_failed(idle: redwire.Redis) -> None:
    # A reply (the server stays up): RedisError; the connection dropping:
    # None; an error reply: itself. As redis-py's, given the same outcome.
    outcomes: List[Tuple[Callable[[], Any], Any]] = [
        (lambda: b"OK", redis.RedisError),
        (lambda: (_ for _ in ()).throw(redis.ConnectionError("gone")), None),
        (lambda: (_ for _ in ()).throw(redis.ResponseError("Errors trying to SHUTDOWN")), redis.ResponseError),
    ]
    ours_outcomes: List[Callable[[], Any]] = [
        lambda: b"OK",
        lambda: (_ for _ in ()).throw(redwire.ConnectionError("gone")),
        lambda: (_ for _ in ()).throw(redwire.ResponseError("Errors trying to SHUTDOWN")),
    ]
    for (theirs_outcome, expected), ours_outcome in zip(outcomes, ours_outcomes):
        def execute_command(self: Any, *args: Any, **options: Any) -> Any:
            reply = theirs_outcome()
            return self.response_callbacks["SHUTDOWN"](reply)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(redis.Redis, "execute_command", execute_command)
            reference = redis.Redis(host="127.0.0.1", port=1)
            if expected is None:
                assert reference.shutdown() is None
            else:
                with pytest.raises(expected):
                    reference.shutdown()

        def _command(args: Tuple[Any, ...], callback: Any = None, **options: Any) -> Any:
            reply = ours_outcome()
            return callback(reply) if callback is not None else reply

        idle._command = _command  # type: ignore[method-assign]
        try:
            if expected is None:
                assert idle.shutdown() is None
            else:
                with pytest.raises(getattr(redwire, expected.__name__)) as raised:
                    idle.shutdown()
                assert type(raised.value).__name__ == expected.__name__
        finally:
            del idle._command


# --- asyncio --------------------------------------------------------------------


def test_the_asyncio_client_awaits_them(server: Dict[str, Any]) -> None:
    async def main() -> None:
        theirs = redis.asyncio.Redis(host=server["host"], port=server["port"], decode_responses=True)
        ours = redwire.asyncio.Redis(host=server["host"], port=server["port"], decode_responses=True)
        try:
            assert await ours.acl_getuser("default") == await theirs.acl_getuser("default")
            assert await ours.acl_help() == await theirs.acl_help()
            assert await ours.client_getredir() == await theirs.client_getredir() == -1
            assert await ours.module_list() == await theirs.module_list() == []
            stats = await ours.memory_stats()
            assert set(stats) == set(await theirs.memory_stats())
            with pytest.raises(redwire.ResponseError):
                await ours.shutdown(abort=True)
            with pytest.raises(redis.ResponseError):
                await theirs.shutdown(abort=True)
            with pytest.raises(redwire.RedisError, match="SELECT"):
                await ours.select(1)
            with pytest.warns(DeprecationWarning):
                assert await theirs.sentinel("MASTERS") is None
            with pytest.warns(DeprecationWarning):
                assert await ours.sentinel("MASTERS") is None
        finally:
            await theirs.aclose()
            await ours.close()

    asyncio.run(main())


def test_hotkeys_start_takes_metric_names_too(idle: redwire.Redis) -> None:
    # redwire's own HotkeysMetricsTypes (no redis import needed) and plain
    # names send what redis-py's enum sends.
    from redwire.commands.server import HotkeysMetricsTypes

    expected = _wire(_theirs_sent("hotkeys_start", ([redis.commands.core.HotkeysMetricsTypes.NET],), {"count": 3})["args"])
    for metric in (HotkeysMetricsTypes.NET, "NET"):
        assert _wire(_ours_sent(idle, "hotkeys_start", ([metric],), {"count": 3})["args"]) == expected

"""``execute_command``: any command, its name and arguments given in
order, its reply read by the command's name as redis-py's
``execute_command`` reads it (``INFO`` a dict, ``SET`` ``True``, ...):
the readings of the families' methods, by name, in one table."""

import datetime
from typing import Any, Callable, Dict, Optional, Tuple

from .acl import _acl_log, _acl_user
from .replies import (
    Sender,
    _S,
    _blocking_popped_with_score,
    _bool,
    _client_info,
    _client_records,
    _config,
    _dicts,
    _entries,
    _flat_map,
    _flat_pairs,
    _flat_scored,
    _float,
    _info,
    _ok,
    _optional_floats,
    _pairs_to_dict,
    _popped_from,
    _popped_with_scores,
    _scan,
    _scored,
    _set,
    _set_result,
    _str_keyed,
    _streams,
    _text,
    _texts,
    _tuple_or_none,
)
from .scripting import _flat_stats, _libraries
from .sentinels import _master_address, _sentinel_masters, _sentinel_state, _sentinel_states
from .server import _cluster_info, _cluster_nodes, _commands, _debug_object, _killed, _memory_stats, _slowlog


class ExecuteCommands(Sender[_S]):
    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Sends any command, its name and arguments given in order; its
        reply read as redis-py's ``execute_command`` reads it (``INFO`` a
        dict, ``SET`` ``True``, ...). ``options`` are redis-py's routing
        hints (``target_nodes``, ...), passed on."""
        callback = by_name(args)
        if callback is _info:
            # Read as bytes, decoded leniently (see ``info``).
            options = {"NEVER_DECODE": [], **options}
        # A name of several words ("CONFIG GET") is sent as its words.
        if args and isinstance(args[0], str) and " " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        return self._command(args, callback, **options)

    def execute(self, *args: Any) -> Any:
        """Sends any command and returns its reply as it came."""
        return self._command(args)


    def cluster(self, cluster_arg: str, *args: Any, **kwargs: Any) -> Any:
        """``CLUSTER <cluster_arg> ...`` read as redis-py reads it (``INFO``
        a dict, ``NODES`` a dict by address, the others as they come)."""
        return self.execute_command(f"CLUSTER {cluster_arg.upper()}", *args, **kwargs)


#: How ``execute_command`` reads the reply of a command named alone (its
#: options unknown), as redis-py's does; a command not here gives its
#: reply as it is.
BY_NAME: Dict[str, Callable[[Any], Any]] = {
    "INFO": _info,
    "PING": lambda reply: reply in (b"PONG", "PONG"),
    "TIME": lambda reply: (int(reply[0]), int(reply[1])),
    "LASTSAVE": lambda reply: datetime.datetime.fromtimestamp(int(reply)),
    "SET": _set_result,
    "HGETALL": _pairs_to_dict,
    "SMEMBERS": _set,
    "SINTER": _set,
    "SUNION": _set,
    "SDIFF": _set,
    "SCAN": _scan,
    "BLESS SCAN": _scan,
    "ARINFO": _str_keyed,
    "ZDIFF": _flat_scored,
    "ZRANDMEMBER": _flat_scored,
    "HRANDFIELD": _flat_pairs,
    "ZMPOP": _popped_from,
    "BZMPOP": _popped_from,
    "LCS": _flat_map,
    "SSCAN": _scan,
    "HSCAN": lambda reply: (int(reply[0]), _pairs_to_dict(reply[1])),
    "ZSCAN": lambda reply: (int(reply[0]), _scored()(reply[1])),
    "BLPOP": _tuple_or_none,
    "BRPOP": _tuple_or_none,
    "BZPOPMIN": _blocking_popped_with_score,
    "BZPOPMAX": _blocking_popped_with_score,
    "ZPOPMIN": _popped_with_scores,
    "ZPOPMAX": _popped_with_scores,
    "ZMSCORE": _optional_floats,
    "XRANGE": _entries,
    "XREVRANGE": _entries,
    "XREAD": _streams,
    "XREADGROUP": _streams,
    "XINFO GROUPS": lambda reply: _dicts(reply),
    "XINFO CONSUMERS": lambda reply: _dicts(reply),
    "CONFIG GET": _config,
    "CLIENT LIST": _client_records,
    "CLIENT INFO": _client_info,
    "CLIENT GETNAME": _text,
    "ACL WHOAMI": _text,
    "SCRIPT LOAD": _text,
    "SCRIPT EXISTS": lambda reply: [bool(r) for r in reply],
    "PUBSUB NUMSUB": lambda reply: list(zip(reply[::2], reply[1::2])),
    "GEOPOS": lambda reply: [None if p is None else (float(p[0]), float(p[1])) for p in reply],
    "GEOHASH": lambda reply: [_text(h) for h in reply],
    **{name: _ok for name in (
        "FLUSHALL", "FLUSHDB", "MSET", "RENAME", "LSET", "LTRIM", "PFMERGE", "SAVE", "CONFIG SET",
        "CONFIG RESETSTAT", "SCRIPT FLUSH", "FUNCTION FLUSH", "FUNCTION DELETE", "XGROUP CREATE", "XGROUP SETID",
    )},
    **{name: _bool for name in (
        "COPY", "EXPIRE", "EXPIREAT", "PEXPIRE", "PEXPIREAT", "PERSIST", "RENAMENX", "HEXISTS", "MOVE",
        "MSETNX", "PSETEX", "SETEX", "SETNX", "SMOVE", "XGROUP DESTROY",
    )},
    **{name: _float for name in ("INCRBYFLOAT", "HINCRBYFLOAT", "ZSCORE", "ZINCRBY", "GEODIST")},
    # Management, read by the readers of their methods.
    "COMMAND": _commands,
    "COMMAND GETKEYS": _texts,
    "SLOWLOG GET": _slowlog,
    "MEMORY STATS": _memory_stats,
    "DEBUG OBJECT": _debug_object,
    "ACL GETUSER": _acl_user,
    "ACL LOG": _acl_log,
    "ACL HELP": _texts,
    "ACL USERS": _texts,
    "ACL LIST": _texts,
    "ACL CAT": _texts,
    "CLIENT KILL": _killed,
    "FUNCTION LIST": _libraries,
    "FUNCTION STATS": _flat_stats,
    "SENTINEL GET-MASTER-ADDR-BY-NAME": _master_address,
    "SENTINEL MASTER": _sentinel_state,
    "SENTINEL MASTERS": _sentinel_masters,
    "SENTINEL SLAVES": _sentinel_states,
    "SENTINEL SENTINELS": _sentinel_states,
    "CLUSTER INFO": _cluster_info,
    **{name: _cluster_nodes for name in ("CLUSTER NODES", "CLUSTER REPLICAS", "CLUSTER SLAVES")},
    **{name: _ok for name in (
        "BGREWRITEAOF", "RESET", "ACL SAVE", "ACL LOAD", "ACL SETUSER", "MODULE LOAD", "MODULE UNLOAD",
        "CLUSTER ADDSLOTS", "CLUSTER ADDSLOTSRANGE", "CLUSTER DELSLOTS", "CLUSTER DELSLOTSRANGE", "CLUSTER FAILOVER",
        "CLUSTER FORGET", "CLUSTER MEET", "CLUSTER REPLICATE", "CLUSTER RESET", "CLUSTER SAVECONFIG",
        "CLUSTER SET-CONFIG-EPOCH", "CLUSTER SETSLOT",
    )},
}

def by_name(args: Tuple[Any, ...]) -> Optional[Callable[[Any], Any]]:
    """The reading of ``BY_NAME`` for a command, by its first argument
    only, as redis-py picks it (``"CONFIG GET"`` given as one argument is
    one name; ``"CONFIG", "GET"`` is ``CONFIG``, read as it comes)."""
    first = args[0] if args else None
    name = first.decode(errors="replace") if isinstance(first, bytes) else first
    if not isinstance(name, str):
        return None
    name = name.upper()
    if name in _WITH_SCORES and any(_is_word(arg, "WITHSCORES") for arg in args[1:]):
        return _score_pairs
    return BY_NAME.get(name)


def _score_pairs(reply: Any) -> Any:
    """``WITHSCORES`` replies read by name: ``[[member, score], ...]``, as
    redis-py's ``execute_command`` gives them."""
    return [list(pair) for pair in _scored()(reply)] if reply else reply


#: Commands whose reply has scores when ``WITHSCORES`` is among their arguments.
_WITH_SCORES = frozenset({"ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZUNION", "ZINTER"})


def _is_word(arg: Any, word: str) -> bool:
    if isinstance(arg, bytes):
        arg = arg.decode(errors="replace")
    return isinstance(arg, str) and arg.upper() == word

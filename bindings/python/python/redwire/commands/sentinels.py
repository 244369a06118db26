"""Commands to a sentinel (``SENTINEL …``), on a client connected to one.

As on redis-py's ``Redis`` (not its ``Sentinel``), ``return_responses``
changes nothing: the reply of the one sentinel asked is read."""

import warnings
from typing import Any, Dict, List, Optional, Tuple

from .replies import Sender, _S, _items, _ok, _text


class SentinelCommands(Sender[_S]):
    def sentinel(self, *args: Any) -> None:
        """Sends nothing: a ``DeprecationWarning`` (use the ``sentinel_*``
        methods), as in redis-py (on an asyncio client, awaited to
        ``None``)."""
        warnings.warn(DeprecationWarning("Use the individual sentinel_* methods"))
        if getattr(self, "_asyncio", False):
            nothing: Any = _nothing()
            return nothing
        return None

    def sentinel_get_master_addr_by_name(self, service_name: str, return_responses: bool = False) -> Optional[Tuple[_S, int]]:
        """``SENTINEL GET-MASTER-ADDR-BY-NAME``: ``(host, port)``, or
        ``None`` for a service the sentinel does not know."""
        return self._command(("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service_name), _master_address)

    def sentinel_master(self, service_name: str, return_responses: bool = False) -> Dict[str, Any]:
        """``SENTINEL MASTER``: the master's state (see
        :meth:`sentinel_masters`)."""
        return self._command(("SENTINEL", "MASTER", service_name), _sentinel_state)

    def sentinel_masters(self) -> Dict[str, Dict[str, Any]]:
        """``SENTINEL MASTERS``: each master's state by its name: ``str``
        fields, the numeric ones ``int``, ``flags`` as sent and
        ``is_master``, ``is_slave``, ``is_sdown``, ``is_odown``,
        ``is_sentinel``, ``is_disconnected``, ``is_master_down`` read from
        them."""
        return self._command(("SENTINEL", "MASTERS"), _sentinel_masters)

    def sentinel_slaves(self, service_name: str) -> List[Dict[str, Any]]:
        """``SENTINEL SLAVES``: each replica's state."""
        return self._command(("SENTINEL", "SLAVES", service_name), _sentinel_states)

    def sentinel_sentinels(self, service_name: str, return_responses: bool = False) -> List[Dict[str, Any]]:
        """``SENTINEL SENTINELS``: each other sentinel's state."""
        return self._command(("SENTINEL", "SENTINELS", service_name), _sentinel_states)

    def sentinel_ckquorum(self, new_master_name: str) -> bool:
        """``SENTINEL CKQUORUM``: ``True`` for a bare ``OK`` (a sentinel
        that can reach the quorum says more: ``False``, as in redis-py)."""
        return self._command(("SENTINEL", "CKQUORUM", new_master_name), _ok)

    def sentinel_monitor(self, name: str, ip: str, port: int, quorum: int) -> bool:
        return self._command(("SENTINEL", "MONITOR", name, ip, port, quorum), _ok)

    def sentinel_remove(self, name: str) -> bool:
        return self._command(("SENTINEL", "REMOVE", name), _ok)

    def sentinel_set(self, name: str, option: str, value: Any) -> bool:
        return self._command(("SENTINEL", "SET", name, option, value), _ok)

    def sentinel_reset(self, pattern: str) -> bool:
        """``SENTINEL RESET pattern``: the server answers a count, read as
        redis-py reads it (``False``)."""
        return self._command(("SENTINEL", "RESET", pattern), _ok)

    def sentinel_failover(self, new_master_name: str) -> bool:
        return self._command(("SENTINEL", "FAILOVER", new_master_name), _ok)

    def sentinel_flushconfig(self) -> bool:
        return self._command(("SENTINEL", "FLUSHCONFIG"), _ok)


async def _nothing() -> None:
    return None


def _master_address(reply: Any) -> Any:
    return (reply[0], int(reply[1])) if reply else None


#: The fields of a sentinel's state read as integers.
_INTEGERS = frozenset({
    "can-failover-its-master", "config-epoch", "down-after-milliseconds", "failover-timeout", "info-refresh",
    "last-hello-message", "last-ok-ping-reply", "last-ping-reply", "last-ping-sent", "master-link-down-time",
    "master-port", "num-other-sentinels", "num-slaves", "o-down-time", "pending-commands", "parallel-syncs", "port",
    "quorum", "role-reported-time", "s-down-time", "slave-priority", "slave-repl-offset", "voted-leader-epoch",
})

#: The booleans read from a state's flags.
_FLAGGED = (
    ("is_master", "master"), ("is_slave", "slave"), ("is_sdown", "s_down"), ("is_odown", "o_down"),
    ("is_sentinel", "sentinel"), ("is_disconnected", "disconnected"), ("is_master_down", "master_down"),
)


def _sentinel_state(reply: Any) -> Dict[str, Any]:
    """One master's, replica's or sentinel's state (a flat list or a RESP3
    map) as redis-py reads it."""
    state: Dict[str, Any] = {}
    for name, value in _items(reply):
        name, value = _text(name), _text(value)
        if name in _INTEGERS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                pass
        state[name] = value
    flags = set(state["flags"].split(","))
    for field, flag in _FLAGGED:
        state[field] = flag in flags
    return state


def _sentinel_states(reply: Any) -> List[Dict[str, Any]]:
    return [_sentinel_state(item) for item in reply]


def _sentinel_masters(reply: Any) -> Dict[str, Dict[str, Any]]:
    """Each master's state by its name."""
    return {state["name"]: state for state in map(_sentinel_state, reply)}

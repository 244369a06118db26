"""redis-py's ``RedisCluster`` and ``ClusterNode``, as redwire's cluster
client: commands go to the node of their key and follow ``MOVED``/``ASK``
(see the project README); those redis-py sends to every primary or splits
by slot are sent so, and ``target_nodes`` is honoured. What differs from
redis-py's cluster client is listed in COMPATIBILITY.md."""

import random
from typing import Any, Callable, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, Union, overload

from . import _native
from .client import Client
from .commands import Callback, Key, Value, _S
from .commands.replies import _command_name
from .commands.scans import _options as _scan_options
from .exceptions import DataError, RedisClusterException

#: redis-py's names for sets of nodes (``target_nodes=RedisCluster.PRIMARIES``).
PRIMARIES = "primaries"
REPLICAS = "replicas"
ALL_NODES = "all"
RANDOM = "random"
DEFAULT_NODE = "default-node"

#: Commands redis-py sends to every primary when no ``target_nodes`` is
#: given (its ``COMMAND_FLAGS``; ``SCAN`` walks with ``scan_iter``).
_TO_PRIMARIES = frozenset({
    "FLUSHALL", "FLUSHDB", "FUNCTION DELETE", "FUNCTION FLUSH", "FUNCTION LIST", "FUNCTION LOAD",
    "FUNCTION RESTORE", "SCRIPT EXISTS", "SCRIPT FLUSH", "SCRIPT LOAD",
})
#: Commands of one key or more that redis-py splits by slot, adding up
#: what each part counts.
_SPLIT_BY_SLOT = frozenset({"DEL", "EXISTS", "TOUCH", "UNLINK"})



def _merged_lists(replies: Dict[str, Any]) -> Any:
    return list({item for reply in replies.values() for item in reply})


def _summed_numsub(replies: Dict[str, Any]) -> Any:
    counts: Dict[Any, int] = {}
    for pairs in replies.values():
        for channel, count in pairs:
            counts[channel] = counts.get(channel, 0) + count
    return list(counts.items())


#: How the replies of several nodes make one, by command (redis-py's
#: ``RESULT_CALLBACKS``); a command not here gives ``{node name: reply}``,
#: or the one node's reply.
_MERGED: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    **{name: _merged_lists for name in ("KEYS", "PUBSUB CHANNELS", "PUBSUB SHARDCHANNELS")},
    **{name: lambda replies: all(replies.values()) for name in (
        "PING", "CONFIG SET", "CONFIG REWRITE", "CONFIG RESETSTAT", "CLIENT SETNAME", "BGSAVE", "SLOWLOG RESET",
        "SAVE", "MEMORY PURGE", "CLIENT PAUSE", "CLIENT UNPAUSE", "SCRIPT FLUSH",
    )},
    **{name: lambda replies: sum(replies.values()) for name in ("DBSIZE", "WAIT", "PUBSUB NUMPAT")},
    "CLIENT UNBLOCK": lambda replies: 1 if sum(replies.values()) > 0 else 0,
    "SCRIPT LOAD": lambda replies: list(replies.values()).pop(),
    "SCRIPT EXISTS": lambda replies: [all(found) for found in zip(*replies.values())],
    "SCAN": lambda replies: (
        {node: cursor for node, (cursor, _) in replies.items()},
        [key for _, keys in replies.values() for key in keys],
    ),
    "PUBSUB NUMSUB": _summed_numsub,
    "PUBSUB SHARDNUMSUB": _summed_numsub,
}


class ClusterNode:
    """A node's address, as redis-py's ``ClusterNode`` gives it
    (``server_type``: ``"primary"`` or ``"replica"``)."""

    def __init__(self, host: str, port: int = 6379, server_type: Optional[str] = None, redis_connection: Any = None):
        self.host = host
        self.port = int(port)
        self.server_type = server_type
        self.name = f"{host}:{self.port}"

    def __repr__(self) -> str:
        return f"ClusterNode({self.host!r}, {self.port})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterNode) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


#: What ``target_nodes`` may be: one of the names above, a node, or nodes.
TargetNodes = Union[str, ClusterNode, Sequence[ClusterNode], Mapping[Any, ClusterNode]]


def _cluster_url(
    host: Optional[str], port: int, startup_nodes: Optional[Sequence[ClusterNode]], url: Optional[str]
) -> str:
    """The ``redis+cluster://`` URL of ``RedisCluster``'s arguments: a URL
    (any node), or ``host``/``port`` and ``startup_nodes``."""
    nodes: List[str] = [node.name for node in startup_nodes or ()]
    if url is not None:
        scheme, _, rest = url.partition("://")
        if "+cluster" not in scheme:
            scheme += "+cluster"
        return f"{scheme}://{rest}"
    if host is not None:
        nodes.insert(0, f"{host}:{port}")
    if not nodes:
        raise RedisClusterException("RedisCluster needs host and port, startup_nodes or a URL")
    return "redis+cluster://" + ",".join(nodes)


#: redis-py's tuning options, accepted and not used: the core bounds its
#: redirections and retries itself.
_ACCEPTED = (
    "cluster_error_retry_attempts",
    "require_full_coverage",
    "reinitialize_steps",
    "load_balancing_strategy",
    "dynamic_startup_nodes",
    "address_remap",
)


def _merged(name: str, replies: Dict[str, Any]) -> Any:
    """The replies of several nodes as redis-py gives them: merged for the
    commands it merges, else ``{node name: reply}`` (one node: its reply)."""
    if name in _MERGED:
        return _MERGED[name](replies)
    return next(iter(replies.values())) if len(replies) == 1 else replies


class Routing:
    """What the sync and asyncio cluster clients share: where a command
    goes (:meth:`_route`), the nodes, slots. ``_native`` is the client's."""

    _native: "_native.NativeClient"

    PRIMARIES = PRIMARIES
    REPLICAS = REPLICAS
    ALL_NODES = ALL_NODES
    RANDOM = RANDOM
    DEFAULT_NODE = DEFAULT_NODE

    def _route(
        self, args: Tuple[Any, ...], options: Dict[str, Any]
    ) -> Tuple[str, Optional[List[ClusterNode]], Optional[List[Tuple[Any, ...]]]]:
        """A command's name, and either the nodes it goes to (``target_nodes``,
        or every primary for the commands redis-py sends so), or the parts
        it is split into by slot; neither: where the core routes it."""
        name = _command_name(args)
        target = options.get("target_nodes")
        if target is None and name in _TO_PRIMARIES:
            target = PRIMARIES
        if target is not None:
            return name, self._targets(target), None
        if name in _SPLIT_BY_SLOT and len(args) > 2:
            keys = args[1:]
            groups = self._by_slot(keys)
            if len(groups) > 1:
                return name, None, [(args[0], *[keys[i] for i in group]) for group in groups]
        return name, None, None

    def _targets(self, target: TargetNodes) -> List[ClusterNode]:
        """The nodes ``target_nodes`` names."""
        if isinstance(target, ClusterNode):
            return [target]
        if isinstance(target, Mapping):
            return list(target.values())
        if isinstance(target, str):
            sets: Dict[str, Callable[[], List[ClusterNode]]] = {
                PRIMARIES: self.get_primaries,
                REPLICAS: self.get_replicas,
                ALL_NODES: self.get_nodes,
                RANDOM: lambda: [self.get_random_node()],
                DEFAULT_NODE: lambda: [self.get_default_node()],
            }
            chosen = sets.get(target)
            if chosen is None:
                raise RedisClusterException(f"target_nodes: unknown set of nodes {target!r}")
            return chosen()
        nodes = list(target)
        if not all(isinstance(node, ClusterNode) for node in nodes):
            raise RedisClusterException("target_nodes: give a ClusterNode, a list of them, or a name of a set")
        return nodes

    def _by_slot(self, keys: Sequence[Key]) -> List[List[int]]:
        """The positions of ``keys``, grouped by the keys' hash slot."""
        groups: Dict[int, List[int]] = {}
        for position, key in enumerate(keys):
            groups.setdefault(self.keyslot(key), []).append(position)
        return list(groups.values())

    def _mset_parts(self, mapping: Mapping[Key, Value]) -> List[Tuple[Any, ...]]:
        """``MSET`` commands, one per slot, of ``mapping``."""
        if not mapping:
            raise DataError("mset_nonatomic: give at least one key and value")
        keys = list(mapping)
        parts: List[Tuple[Any, ...]] = []
        for group in self._by_slot(keys):
            pairs: List[Any] = []
            for i in group:
                pairs += [keys[i], mapping[keys[i]]]
            parts.append(("MSET", *pairs))
        return parts

    def keyslot(self, key: Key) -> int:
        """The hash slot of ``key`` (``CLUSTER KEYSLOT``, computed here)."""
        if isinstance(key, str):
            key = key.encode()
        elif isinstance(key, (memoryview, bytearray)):
            key = bytes(key)
        elif not isinstance(key, bytes):
            key = str(key).encode()
        slot: int = _native.keyslot(key)
        return slot

    def get_primaries(self) -> List[ClusterNode]:
        """The primaries, as the slot map names them now."""
        return [ClusterNode(*_address(name), server_type="primary") for name in self._native.nodes()[0]]

    def get_replicas(self) -> List[ClusterNode]:
        """The replicas, as the slot map names them now."""
        return [ClusterNode(*_address(name), server_type="replica") for name in self._native.nodes()[1]]

    def get_nodes(self) -> List[ClusterNode]:
        """Every node: the primaries, then the replicas."""
        return self.get_primaries() + self.get_replicas()

    def get_random_node(self) -> ClusterNode:
        return random.choice(self.get_nodes())

    def get_default_node(self) -> ClusterNode:
        """The node ``target_nodes=DEFAULT_NODE`` names: the first primary
        in slot order. (A keyless command without ``target_nodes`` goes
        where the core routes it: a primary.)"""
        return self.get_primaries()[0]

    def get_node(
        self, host: Optional[str] = None, port: Optional[int] = None, node_name: Optional[str] = None
    ) -> Optional[ClusterNode]:
        """The node at ``host``:``port`` (or named ``node_name``), or ``None``."""
        wanted = node_name if node_name is not None else f"{host}:{port}"
        return next((node for node in self.get_nodes() if node.name == wanted), None)


def _names(keys: Union[Key, Sequence[Key]], args: Tuple[Key, ...]) -> List[Key]:
    """``mget_nonatomic``'s keys: a list, or keys given one by one."""
    return [keys, *args] if isinstance(keys, (bytes, str, memoryview)) else [*keys, *args]


class RedisCluster(Routing, Client[_S]):
    """A cluster client from ``host``/``port``, ``startup_nodes`` or a
    ``redis://`` URL (any node of the cluster: the others are found).
    redis-py's tuning options (``cluster_error_retry_attempts``,
    ``reinitialize_steps``, ``require_full_coverage``,
    ``dynamic_startup_nodes``, ...) are accepted and not used: the core
    bounds its redirections and retries itself.

    As redis-py's: ``FLUSHDB``, ``FLUSHALL``, ``SCRIPT LOAD``/``EXISTS``/
    ``FLUSH`` and the ``FUNCTION`` commands go to every primary;
    ``delete``, ``exists``, ``touch`` and ``unlink`` of keys in several
    slots are split by slot (the counts added up); ``mget_nonatomic`` and
    ``mset_nonatomic`` split by slot; ``scan_iter`` walks every primary; a
    method's ``target_nodes`` (``RedisCluster.PRIMARIES``, ``REPLICAS``,
    ``ALL_NODES``, ``RANDOM``, ``DEFAULT_NODE``, a :class:`ClusterNode` or a
    list of them) sends it to those nodes, the replies merged as redis-py
    merges them (``KEYS`` concatenated, ``DBSIZE`` added up, ``PING`` all
    true, ...) or given as ``{node name: reply}``."""

    @overload
    def __init__(
        self: "RedisCluster[str]",
        host: Optional[str] = None,
        port: int = 6379,
        startup_nodes: Optional[Sequence[ClusterNode]] = None,
        *,
        decode_responses: Literal[True],
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: "RedisCluster[bytes]",
        host: Optional[str] = None,
        port: int = 6379,
        startup_nodes: Optional[Sequence[ClusterNode]] = None,
        *,
        decode_responses: Literal[False] = False,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: "RedisCluster[Any]",
        host: Optional[str] = None,
        port: int = 6379,
        startup_nodes: Optional[Sequence[ClusterNode]] = None,
        *,
        decode_responses: bool,
        **kwargs: Any,
    ) -> None: ...

    def __init__(
        self,
        host: Optional[str] = None,
        port: int = 6379,
        startup_nodes: Optional[Sequence[ClusterNode]] = None,
        read_from_replicas: bool = False,
        url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        for name in _ACCEPTED:
            kwargs.pop(name, None)
        url = _cluster_url(host, port, startup_nodes, url)
        super().__init__(url=url, read_from_replicas=read_from_replicas or None, **kwargs)

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[True], **kwargs: Any) -> "RedisCluster[str]": ...

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[False] = False, **kwargs: Any) -> "RedisCluster[bytes]": ...

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: bool, **kwargs: Any) -> "RedisCluster[Any]": ...

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisCluster[Any]":
        return cls(url=url, **kwargs)

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        name, nodes, parts = self._route(args, options)
        if nodes is not None:
            if self.response_callbacks:
                callback = self._reading(args, callback, options)
            return _merged(name, {node.name: self._on(node, args, callback) for node in nodes})
        if parts is not None:
            counted = 0
            for part in parts:
                counted += super()._command(part, callback)
            return counted
        return super()._command(args, callback, **options)

    def _on(self, node: ClusterNode, args: Tuple[Any, ...], callback: Callback) -> Any:
        """Runs a command on ``node`` as it is (not redirected)."""
        reply = self._native.execute_on(node.name, args)
        return callback(reply) if callback is not None else reply

    def client(self) -> "RedisCluster[_S]":
        """Refused: a cluster client has no one connection to give (redis-py's
        ``RedisCluster`` has no ``client()`` either)."""
        raise RedisClusterException("client(): a cluster client has no single connection to give")

    def mget_nonatomic(self, keys: Union[Key, Sequence[Key]], *args: Key) -> List[Optional[_S]]:
        """``MGET`` of keys in any slots: one per slot, the values in the
        order of the keys."""
        names = _names(keys, args)
        values: List[Any] = [None] * len(names)
        for group in self._by_slot(names):
            part: List[Any] = [names[i] for i in group]
            for position, value in zip(group, super()._command(("MGET", *part))):
                values[position] = value
        return values

    def mset_nonatomic(self, mapping: Mapping[Key, Value]) -> List[bool]:
        """``MSET`` of keys in any slots: one per slot; ``True`` for each."""
        return [super(RedisCluster, self)._command(part, lambda reply: True) for part in self._mset_parts(mapping)]

    def scan_iter(
        self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any
    ) -> Iterator[Any]:
        """Every key of every primary (see ``redwire::Cluster::scan``: keys
        moved by a reshard meanwhile are not missed)."""
        walk = self._native.scan(_scan_options(match, count, _type))
        while True:
            batch = walk.next_batch()
            if batch is None:
                return
            yield from batch


def _address(name: str) -> Tuple[str, int]:
    host, _, port = name.rpartition(":")
    return host.strip("[]"), int(port)

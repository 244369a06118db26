"""redis-py's ``RedisCluster`` and ``ClusterNode``, as redwire's cluster
client: commands go to the node of their key and follow ``MOVED``/``ASK``
(see the project README). What differs from redis-py's cluster client is
listed in COMPATIBILITY.md."""

from typing import Any, List, Literal, Optional, Sequence, overload

from .client import Client
from .commands import _S
from .exceptions import RedisClusterException


class ClusterNode:
    """A node's address, as redis-py's ``ClusterNode`` gives it."""

    def __init__(self, host: str, port: int = 6379, server_type: Optional[str] = None, redis_connection: Any = None):
        self.host = host
        self.port = int(port)
        self.server_type = server_type
        self.name = f"{host}:{self.port}"

    def __repr__(self) -> str:
        return f"ClusterNode({self.host!r}, {self.port})"


class RedisCluster(Client[_S]):
    """A cluster client from ``host``/``port``, ``startup_nodes`` or a
    ``redis://`` URL (any node of the cluster: the others are found).
    redis-py's tuning options (``cluster_error_retry_attempts``,
    ``reinitialize_steps``, ``require_full_coverage``,
    ``dynamic_startup_nodes``, ...) are accepted and not used: the core
    bounds its redirections and retries itself."""

    _ACCEPTED = (
        "cluster_error_retry_attempts",
        "require_full_coverage",
        "reinitialize_steps",
        "load_balancing_strategy",
        "dynamic_startup_nodes",
        "address_remap",
    )

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
        for name in self._ACCEPTED:
            kwargs.pop(name, None)
        nodes: List[str] = [node.name for node in startup_nodes or ()]
        if url is not None:
            scheme, _, rest = url.partition("://")
            if "+cluster" not in scheme:
                scheme += "+cluster"
            url = f"{scheme}://{rest}"
        elif host is not None:
            nodes.insert(0, f"{host}:{port}")
        if url is None:
            if not nodes:
                raise RedisClusterException("RedisCluster needs host and port, startup_nodes or a URL")
            url = "redis+cluster://" + ",".join(nodes)
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

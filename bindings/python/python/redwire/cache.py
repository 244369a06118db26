"""Client-side caching, with redis-py's names (``redis.cache``).

``Redis(protocol=3, cache_config=CacheConfig())`` keeps the replies of
reads in the core's cache: the server tells of the keys that change
(``CLIENT TRACKING`` on RESP3), a write sent through the client drops the
keys among its arguments before its reply is returned, and every
connection lost or failover empties it. ``client.get_cache()`` gives its
size, counters and ``flush``. The same cache, with the same guarantees,
serves the Rust and Lua clients; the differences from redis-py's are listed
in COMPATIBILITY.md.

>>> import redwire
>>> from redwire.cache import CacheConfig
>>> r = redwire.Redis(protocol=3, cache_config=CacheConfig(max_size=1000))  # doctest: +SKIP
>>> r.get("greeting"); r.get("greeting")  # the second from the cache  # doctest: +SKIP
>>> r.get_cache().stats()["hits"]  # doctest: +SKIP
1
"""

from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from .exceptions import ConfigError, RedisError

if TYPE_CHECKING:
    from ._native import NativeClient

#: The commands whose replies are kept (lower case), each sent alone.
CACHED_COMMANDS: Sequence[str] = tuple(_native.CACHED_COMMANDS)


class EvictionPolicy(Enum):
    """How room is made: the least recently used replies go first."""

    LRU = "lru"


class TrackingMode(Enum):
    """How the server tracks what the cache's connections read."""

    PLAIN = "plain"
    """``CLIENT TRACKING ON``: every read is tracked."""
    OPTIN = "optin"
    """``CLIENT TRACKING ON OPTIN``: only the reads kept, each after
    ``CLIENT CACHING YES``."""
    OPTOUT = "optout"
    """redis-py's; not supported by redwire (a ``ConfigError``)."""
    BCAST = "bcast"
    """redwire's: ``CLIENT TRACKING ON BCAST`` with ``prefixes``: only keys
    under a prefix are kept, and the server tracks nothing per connection."""


class CacheConfig:
    """What redis-py's ``CacheConfig`` takes, and redwire's bounds:
    ``max_bytes`` (keys, commands and replies, with their bookkeeping) and
    ``ttl`` (seconds a reply is used, if not until it is invalidated).
    ``cache_class`` and ``cache_predicate`` are redis-py's extension points:
    the core's cache has none (a ``ConfigError`` unless left out)."""

    DEFAULT_MAX_SIZE = 10000
    DEFAULT_MAX_BYTES = 64 << 20
    DEFAULT_EVICTION_POLICY = EvictionPolicy.LRU

    def __init__(
        self,
        max_size: int = DEFAULT_MAX_SIZE,
        cache_class: Any = None,
        eviction_policy: EvictionPolicy = DEFAULT_EVICTION_POLICY,
        tracking_mode: TrackingMode = TrackingMode.PLAIN,
        cache_predicate: Optional[Callable[[str, Tuple[Any, ...]], bool]] = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl: Optional[float] = None,
        prefixes: Sequence[str] = (),
    ) -> None:
        if not isinstance(tracking_mode, TrackingMode):
            raise TypeError(f"tracking_mode must be a redwire.cache.TrackingMode member, got {tracking_mode!r}")
        if tracking_mode is TrackingMode.OPTOUT:
            raise ConfigError("cache tracking_mode OPTOUT: not supported by redwire (see COMPATIBILITY.md)")
        if cache_class is not None:
            raise ConfigError("cache cache_class: redwire's cache is the core's (see COMPATIBILITY.md)")
        if cache_predicate is not None:
            raise ConfigError("cache cache_predicate: not supported by redwire (see COMPATIBILITY.md)")
        if not isinstance(eviction_policy, EvictionPolicy):
            raise ConfigError(f"cache eviction_policy: EvictionPolicy.LRU, not {eviction_policy!r}")
        if prefixes and tracking_mode is not TrackingMode.BCAST:
            raise ConfigError("cache prefixes: they need tracking_mode=TrackingMode.BCAST")
        self._max_size = max_size
        self._max_bytes = max_bytes
        self._ttl = ttl
        self._eviction_policy = eviction_policy
        self._tracking_mode = tracking_mode
        self._prefixes = list(prefixes)

    def get_max_size(self) -> int:
        return self._max_size

    def get_max_bytes(self) -> int:
        return self._max_bytes

    def get_ttl(self) -> Optional[float]:
        return self._ttl

    def get_eviction_policy(self) -> EvictionPolicy:
        return self._eviction_policy

    def get_tracking_mode(self) -> TrackingMode:
        return self._tracking_mode

    def get_prefixes(self) -> List[str]:
        return list(self._prefixes)

    def is_exceeds_max_size(self, count: int) -> bool:
        return count > self._max_size

    def is_allowed_to_cache(self, command: str) -> bool:
        """Whether replies to ``command`` are kept."""
        return command.lower() in CACHED_COMMANDS

    def options(self) -> Dict[str, Any]:
        """The native client's options for it."""
        return {
            "cache_max_entries": self._max_size,
            "cache_max_bytes": self._max_bytes,
            "cache_ttl": self._ttl,
            "cache_tracking": self._tracking_mode.value,
            "cache_prefixes": self._prefixes or None,
        }


def cache_options(options: Dict[str, Any]) -> None:
    """Replaces redis-py's ``cache_config`` (and ``cache``, refused) in
    ``options`` with the native client's options; RESP3 only, as
    redis-py."""
    config = options.pop("cache_config", None)
    for name in options:
        if name.startswith("cache_"):
            raise ConfigError(f"unknown option {name}")
    if options.pop("cache", None) is not None:
        raise ConfigError("option cache: redwire's cache is the core's; give cache_config (see COMPATIBILITY.md)")
    if config is None:
        return
    if not isinstance(config, CacheConfig):
        raise ConfigError(f"option cache_config: a redwire.cache.CacheConfig, not {type(config).__name__}")
    if str(options.get("protocol")) != "3":
        raise RedisError("Client caching is only supported with RESP version 3")
    options.update(config.options())


class Cache:
    """A client's cache (``client.get_cache()``), shared by the clients
    made from the same pool or options object."""

    def __init__(self, native: "NativeClient", config: CacheConfig) -> None:
        self._native = native
        self._config = config

    @property
    def config(self) -> CacheConfig:
        return self._config

    @property
    def eviction_policy(self) -> EvictionPolicy:
        return self._config.get_eviction_policy()

    @property
    def size(self) -> int:
        """How many replies it holds."""
        return self.stats().get("entries", 0)

    def stats(self) -> Dict[str, int]:
        """``hits``, ``misses``, ``invalidations``, ``evictions``,
        ``flushes``, ``entries`` and ``bytes``."""
        stats = self._native.cache_stats()
        return stats if stats is not None else {}

    def flush(self) -> int:
        """Drops every reply: how many it held."""
        return self._native.cache_flush()

    def delete_by_redis_keys(self, redis_keys: Iterable[Union[str, bytes]]) -> List[bool]:
        """Drops the replies that read any of ``redis_keys``: for each key,
        whether it had any (or a read of it under way)."""
        keys = [key.encode() if isinstance(key, str) else bytes(key) for key in redis_keys]
        return self._native.cache_invalidate(keys)

    def is_cachable(self, command: str) -> bool:
        """Whether replies to ``command`` are kept."""
        return self._config.is_allowed_to_cache(command)

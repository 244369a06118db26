"""Type stubs of the native part of redwire (``redwire._native``)."""

from typing import Any, Dict, List, Optional, Tuple

class NativeClient:
    """A client on the redwire core's ``Client``."""

    def __init__(self, options: Dict[str, Any], asyncio: bool = False) -> None: ...
    def execute(self, args: Tuple[Any, ...], raw: bool = False) -> Any:
        """Sends one command and returns its reply."""
    def submit(self, completions: "Completions", id: int, args: Tuple[Any, ...], raw: bool = False) -> bool:
        """Starts ``execute`` as asyncio request ``id``; ``True`` when
        ``completions.flush()`` is due at the end of the loop's turn."""
    def pipeline_execute(
        self, commands: List[Tuple[Any, ...]], transaction: bool
    ) -> Tuple[List[Any], bool]:
        """Sends commands in one round trip: the replies, error replies in
        place, and whether one is an error."""
    def submit_pipeline(
        self, completions: "Completions", id: int, commands: List[Tuple[Any, ...]], transaction: bool
    ) -> None:
        """Starts ``pipeline_execute`` as asyncio request ``id``."""
    def pubsub(self) -> "NativePubSub":
        """A pub/sub connection of its own."""
    def close(self) -> None:
        """Lets its connections go (or releases a held one)."""
    def hold(self) -> "NativeClient":
        """A client whose requests all go on one pooled connection."""
    def is_cluster(self) -> bool:
        """Whether it is a cluster client."""
    @property
    def decode_responses(self) -> bool:
        """Whether its replies are decoded, its options resolved."""
        ...
    def pool_stats(self) -> Dict[str, int]:
        """The pools' counters (blocking commands, ``WATCH``)."""
    def cache_stats(self) -> Optional[Dict[str, int]]:
        """Its cache's counters, or ``None`` without a cache."""
    def cache_flush(self) -> int:
        """Empties its cache: how many replies it held."""
    def cache_invalidate(self, keys: List[bytes]) -> List[bool]:
        """Drops the replies that read any of ``keys``: whether each had any."""

    def nodes(self) -> Tuple[List[str], List[str]]:
        """A cluster's masters and replicas (``host:port``)."""
    def execute_on(self, node: str, args: Tuple[Any, ...]) -> Any:
        """One command on one cluster node, as it is."""
    def submit_on(self, completions: "Completions", id: int, node: str, args: Tuple[Any, ...]) -> None:
        """``execute_on`` as asyncio request ``id``."""
    def scan(self, options: Tuple[Any, ...]) -> "NativeScan":
        """A walk over every key of the cluster."""

class NativeScan:
    def next_batch(self) -> Optional[List[Any]]:
        """The next keys, or ``None`` once the walk is over."""
    def submit(self, completions: "Completions", id: int) -> None:
        """``next_batch`` as asyncio request ``id``."""

CACHED_COMMANDS: List[str]

def keyslot(key: bytes) -> int:
    """The hash slot of ``key``."""

class NativePubSub:
    """A connection for subscriptions."""

    def execute(self, args: Tuple[Any, ...]) -> None:
        """Sends a (un)subscribe command; its confirmations are messages."""
    def submit(self, completions: "Completions", id: int, args: Tuple[Any, ...]) -> None:
        """Starts ``execute`` as asyncio request ``id``."""
    def get_message(self, timeout: Optional[float] = None) -> Optional[List[Any]]:
        """The next message, or None after ``timeout`` seconds."""
    def submit_message(self, completions: "Completions", id: int, timeout: Optional[float] = None) -> None:
        """Starts ``get_message`` as asyncio request ``id``."""
    def subscribed(self) -> bool:
        """Whether a subscription was asked for and not given up."""
    def close(self) -> None:
        """Closes the connection and forgets the subscriptions."""

class Completions:
    """Outcomes of asyncio requests, drained on the event loop's thread."""

    def __init__(self, decode: bool) -> None: ...
    def flush(self) -> None:
        """Sends the commands gathered for the shared connection."""
    def discard(self) -> None:
        """Drops the gathered commands unsent."""
    def fileno(self) -> int:
        """The descriptor that becomes readable when outcomes are queued."""
    def drain(self, futures: Dict[int, Any]) -> None:
        """Resolves the future (``futures[id]``) of every queued outcome."""
    def cancel(self, id: int) -> None:
        """Cancels request ``id``; its connection is closed."""

def forked() -> None:
    """Called in a forked child (registered with ``os.register_at_fork``):
    what the parent made is left alone, and made again on first use."""

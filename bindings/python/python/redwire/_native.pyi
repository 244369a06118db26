"""Type stubs of the native part of redwire (``redwire._native``)."""

from typing import Any, Dict, List, Optional, Tuple

class NativeClient:
    """A pooled (or cluster) client on the redwire core."""

    def __init__(self, options: Dict[str, Any]) -> None: ...
    def execute(self, args: Tuple[Any, ...]) -> Any:
        """Sends one command and returns its reply."""
    def pipeline_execute(self, commands: List[Tuple[Any, ...]], transaction: bool) -> List[Any]:
        """Sends commands in one round trip; error replies in place."""
    def pubsub(self) -> "NativePubSub":
        """A pub/sub connection of its own."""
    def close(self) -> None:
        """Closes the pooled connections."""
    def pool_stats(self) -> Dict[str, int]:
        """The pool's counters."""

class NativePubSub:
    """A connection for subscriptions."""

    def execute(self, args: Tuple[Any, ...]) -> Any:
        """Sends a (un)subscribe command; returns its first confirmation."""
    def get_message(self, timeout: Optional[float] = None) -> Optional[List[Any]]:
        """The next message, or None after ``timeout`` seconds."""
    def close(self) -> None:
        """Closes the connection."""

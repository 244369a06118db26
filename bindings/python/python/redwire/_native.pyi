"""Type stubs of the native part of redwire (``redwire._native``)."""

from typing import Any, Awaitable, Dict, List, Optional, Tuple

class NativeClient:
    """A pooled (or cluster) client on the redwire core."""

    def __init__(self, options: Dict[str, Any]) -> None: ...
    def execute(self, args: Tuple[Any, ...]) -> Any:
        """Sends one command and returns its reply."""
    def execute_async(self, args: Tuple[Any, ...]) -> Awaitable[Any]:
        """``execute`` as an asyncio awaitable."""
    def pipeline_execute(self, commands: List[Tuple[Any, ...]], transaction: bool) -> List[Any]:
        """Sends commands in one round trip; error replies in place."""
    def pipeline_execute_async(self, commands: List[Tuple[Any, ...]], transaction: bool) -> Awaitable[List[Any]]:
        """``pipeline_execute`` as an asyncio awaitable."""
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
    def execute_async(self, args: Tuple[Any, ...]) -> Awaitable[Any]:
        """``execute`` as an asyncio awaitable."""
    def get_message(self, timeout: Optional[float] = None) -> Optional[List[Any]]:
        """The next message, or None after ``timeout`` seconds."""
    def get_message_async(self, timeout: Optional[float] = None) -> Awaitable[Optional[List[Any]]]:
        """``get_message`` as an asyncio awaitable."""
    def close(self) -> None:
        """Closes the connection."""

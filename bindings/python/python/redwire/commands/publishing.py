"""Publishing, and what the server knows of channels (subscribing is the
:class:`~redwire.PubSub` object's)."""

from typing import Any

from .replies import Key, Sender, Value, _S


class PublishingCommands(Sender[_S]):
    def publish(self, channel: Key, message: Value, **kwargs: Any) -> Any:
        """``PUBLISH``: how many subscribers received it."""
        return self._command(("PUBLISH", channel, message))

    def spublish(self, shard_channel: Key, message: Value) -> Any:
        """``SPUBLISH``: to a shard channel (Redis 7)."""
        return self._command(("SPUBLISH", shard_channel, message))

    def pubsub_channels(self, pattern: Key = "*", **kwargs: Any) -> Any:
        return self._command(("PUBSUB", "CHANNELS", pattern))

    def pubsub_numpat(self, **kwargs: Any) -> Any:
        return self._command(("PUBSUB", "NUMPAT"))

    def pubsub_numsub(self, *args: Key, **kwargs: Any) -> Any:
        """``PUBSUB NUMSUB channel ...``: ``[(channel, count), ...]``."""
        return self._command(("PUBSUB", "NUMSUB") + args, lambda reply: list(zip(reply[::2], reply[1::2])))

"""Publishing, and what the server knows of channels (subscribing is the
:class:`~redwire.PubSub` object's)."""

from typing import Any, List, Tuple

from .replies import Key, Sender, Value, _S


class PublishingCommands(Sender[_S]):
    def publish(self, channel: Key, message: Value, **kwargs: Any) -> int:
        """``PUBLISH``: how many subscribers received it."""
        return self._command(("PUBLISH", channel, message), **kwargs)

    def spublish(self, shard_channel: Key, message: Value) -> int:
        """``SPUBLISH``: to a shard channel (Redis 7)."""
        return self._command(("SPUBLISH", shard_channel, message))

    def pubsub_channels(self, pattern: Key = "*", **kwargs: Any) -> List[_S]:
        return self._command(("PUBSUB", "CHANNELS", pattern), **kwargs)

    def pubsub_numpat(self, **kwargs: Any) -> int:
        return self._command(("PUBSUB", "NUMPAT"), **kwargs)

    def pubsub_numsub(self, *args: Key, **kwargs: Any) -> List[Tuple[_S, int]]:
        """``PUBSUB NUMSUB channel ...``: ``[(channel, count), ...]``."""
        return self._command(("PUBSUB", "NUMSUB") + args, _counts, **kwargs)

    def pubsub_shardchannels(self, pattern: Key = "*", **kwargs: Any) -> List[_S]:
        """``PUBSUB SHARDCHANNELS [pattern]``: the shard channels with
        subscribers (Redis 7)."""
        return self._command(("PUBSUB", "SHARDCHANNELS", pattern), **kwargs)

    def pubsub_shardnumsub(self, *args: Key, **kwargs: Any) -> List[Tuple[_S, int]]:
        """``PUBSUB SHARDNUMSUB shard_channel ...``: ``[(channel, count),
        ...]`` (Redis 7)."""
        return self._command(("PUBSUB", "SHARDNUMSUB") + args, _counts, **kwargs)


def _counts(reply: Any) -> Any:
    """``[channel, count, ...]`` as ``[(channel, count), ...]``."""
    return list(zip(reply[::2], reply[1::2]))

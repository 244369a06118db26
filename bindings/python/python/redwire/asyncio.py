"""The asyncio client: :mod:`redwire`'s API with every request awaitable.

>>> import redwire.asyncio
>>> async def main():                                                   # doctest: +SKIP
...     client = redwire.asyncio.connect("redis://127.0.0.1:6379/0")
...     await client.set("greeting", "hello")
...     return await client.get("greeting")

Requests run on redwire's runtime, not the event loop's thread. Cancelling
a task while it awaits a request drops that request: its connection is
closed, so its reply can never reach another caller.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import client as sync
from .commands import Callback, Key, Value
from .exceptions import NoScriptError

__all__ = ["Client", "Pipeline", "PubSub", "Script", "connect"]


class Client(sync.Client):
    """:class:`redwire.Client` with awaitable requests (same options)."""

    async def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        reply = await self._native.execute_async(args)
        return callback(reply) if callback is not None else reply

    def pipeline(self, transaction: bool = True) -> "Pipeline":  # type: ignore[override]
        """A pipeline whose :meth:`Pipeline.execute` is awaited."""
        return Pipeline(self, transaction)

    def register_script(self, script: str) -> "Script":  # type: ignore[override]
        """An awaitable script (``EVALSHA``, reloaded after ``NOSCRIPT``)."""
        return Script(self, script)

    def pubsub(self) -> "PubSub":  # type: ignore[override]
        """A pub/sub object whose calls are awaited."""
        return PubSub(self._native.pubsub())

    async def aclose(self) -> None:
        """Closes the pooled connections."""
        self.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()


def connect(url: Optional[str] = None, **options: Any) -> Client:
    """An asyncio :class:`Client` for ``url`` and the keyword options."""
    sync._options(url, options)
    return Client(url, **options)


class Pipeline(sync.Pipeline):
    """Commands queued for one round trip; ``await pipe.execute()``."""

    async def execute(self, raise_on_error: bool = True) -> List[Any]:  # type: ignore[override]
        """Sends the queued commands; the replies in order."""
        commands, self._commands = self._commands, []
        scripts, self._scripts = self._scripts, []
        for script in scripts:
            await script._load()
        replies = await self._client._native.pipeline_execute_async(
            [args for args, _ in commands], self._transaction
        )
        return sync._results(commands, replies, raise_on_error)

    async def __aenter__(self) -> "Pipeline":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.reset()


class Script(sync.Script):
    """An awaitable Lua script run with ``EVALSHA``."""

    async def _load(self) -> None:  # type: ignore[override]
        await self._client.script_load(self.script)

    async def __call__(  # type: ignore[override]
        self,
        keys: Sequence[Key] = (),
        args: Sequence[Value] = (),
        client: Optional[Union[Client, Pipeline]] = None,
    ) -> Any:
        """Runs the script (queued when ``client`` is a pipeline)."""
        target = self._client if client is None else client
        call = (len(keys),) + tuple(keys) + tuple(args)
        if isinstance(target, Pipeline):
            target._scripts.append(self)
            return target.evalsha(self.sha, *call)
        try:
            return await target.evalsha(self.sha, *call)
        except NoScriptError:
            await self._load()
            return await target.evalsha(self.sha, *call)


class PubSub(sync.PubSub):
    """Subscriptions whose calls are awaited; ``async for message in pubsub``."""

    async def _send(self, *args: Key) -> None:  # type: ignore[override]
        self._pending.append(self._message(await self._native.execute_async(args)))

    async def subscribe(self, *channels: Key) -> None:  # type: ignore[override]
        await self._send("SUBSCRIBE", *channels)

    async def psubscribe(self, *patterns: Key) -> None:  # type: ignore[override]
        await self._send("PSUBSCRIBE", *patterns)

    async def unsubscribe(self, *channels: Key) -> None:  # type: ignore[override]
        await self._send("UNSUBSCRIBE", *channels)

    async def punsubscribe(self, *patterns: Key) -> None:  # type: ignore[override]
        await self._send("PUNSUBSCRIBE", *patterns)

    async def get_message(  # type: ignore[override]
        self, timeout: Optional[float] = 0.0, ignore_subscribe_messages: bool = False
    ) -> Optional[Dict[str, Any]]:
        """The next message, or ``None`` after ``timeout`` seconds."""
        while True:
            if self._pending:
                message = self._pending.pop(0)
            else:
                reply = await self._native.get_message_async(timeout)
                if reply is None:
                    return None
                message = self._message(reply)
            if ignore_subscribe_messages and message["type"] not in ("message", "pmessage"):
                continue
            return message

    async def listen(self):  # type: ignore[override]
        """Every message, waiting for each."""
        while True:
            message = await self.get_message(timeout=None)
            if message is not None:
                yield message

    def __aiter__(self):
        return self.listen()

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> "PubSub":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()

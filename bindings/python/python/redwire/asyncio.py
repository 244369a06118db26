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

import asyncio
import itertools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from . import client as sync
from .commands import Callback, Key, Value
from .exceptions import NoScriptError

__all__ = ["Client", "Pipeline", "PubSub", "Script", "connect"]


class _Requests:
    """Requests in flight and their futures. Outcomes are queued by
    redwire's runtime and drained here, on the event loop's thread, when
    the loop sees the queue's descriptor readable: the runtime never
    takes the GIL."""

    def __init__(self, decode: bool) -> None:
        self._native = _native.Completions(decode)
        self._futures: Dict[int, "asyncio.Future[Any]"] = {}
        self._ids = itertools.count(1)
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def run(self, start: Callable[[Any, int], None]) -> Any:
        """Starts a request (``start(completions, id)``) and awaits its
        outcome; a cancelled wait cancels the request (its connection is
        closed, its reply reaches no one)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._native.fileno())
            loop.add_reader(self._native.fileno(), self._drain)
            self._loop = loop
        request = next(self._ids)
        future = loop.create_future()
        self._futures[request] = future
        try:
            start(self._native, request)
            return await future
        except asyncio.CancelledError:
            self._native.cancel(request)
            raise
        finally:
            self._futures.pop(request, None)

    def _drain(self) -> None:
        for request, ok, value in self._native.drain():
            future = self._futures.get(request)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class Client(sync.Client):
    """:class:`redwire.Client` with awaitable requests (same options)."""

    _asyncio = True

    def __init__(self, url: Optional[str] = None, **options: Any) -> None:
        super().__init__(url, **options)
        self._requests = _Requests(bool(options.get("decode_responses")))

    async def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        reply = await self._requests.run(lambda done, request: self._native.submit(done, request, args))
        return callback(reply) if callback is not None else reply

    def pipeline(self, transaction: bool = True) -> "Pipeline":  # type: ignore[override]
        """A pipeline whose :meth:`Pipeline.execute` is awaited."""
        return Pipeline(self, transaction)

    def register_script(self, script: str) -> "Script":  # type: ignore[override]
        """An awaitable script (``EVALSHA``, reloaded after ``NOSCRIPT``)."""
        return Script(self, script)

    def pubsub(self) -> "PubSub":  # type: ignore[override]
        """A pub/sub object whose calls are awaited."""
        return PubSub(self._native.pubsub(), self._requests)

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
        native, batch = self._client._native, [args for args, _ in commands]
        replies = await self._client._requests.run(
            lambda done, request: native.submit_pipeline(done, request, batch, self._transaction)
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

    def __init__(self, native: "_native.NativePubSub", requests: _Requests) -> None:
        super().__init__(native)
        self._requests = requests

    async def _send(self, *args: Key) -> None:  # type: ignore[override]
        reply = await self._requests.run(lambda done, request: self._native.submit(done, request, args))
        self._pending.append(self._message(reply))

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
                reply = await self._requests.run(
                    lambda done, request: self._native.submit_message(done, request, timeout)
                )
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

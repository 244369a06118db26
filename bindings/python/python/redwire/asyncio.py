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
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from . import client as sync
from .commands import Callback, Key, Value
from .exceptions import NoScriptError

__all__ = ["Client", "Pipeline", "PubSub", "Script", "connect"]


class _LoopRequests:
    """The requests of one event loop: outcomes are queued by redwire's
    runtime and drained on the loop's own thread when the loop sees the
    queue's descriptor readable, so the runtime never takes the GIL."""

    def __init__(self, loop: asyncio.AbstractEventLoop, decode: bool) -> None:
        self.loop = loop
        self.native = _native.Completions(decode)
        self.futures: Dict[int, "asyncio.Future[Any]"] = {}
        loop.add_reader(self.native.fileno(), self._drain)

    def _drain(self) -> None:
        for request, ok, value in self.native.drain():
            future = self.futures.get(request)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.remove_reader(self.native.fileno())


class _Requests:
    """Requests in flight, by event loop (a client may serve several)."""

    def __init__(self, decode: bool) -> None:
        self._decode = decode
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopRequests]" = (
            weakref.WeakKeyDictionary()
        )
        self._ids = itertools.count(1)

    async def run(self, start: Callable[[Any, int], None]) -> Any:
        """Starts a request (``start(completions, id)``) and awaits its
        outcome. However the wait ends early (a cancelled task, a closed
        loop), the request is cancelled: its connection is closed and its
        reply reaches no one."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopRequests(loop, self._decode)
        request = next(self._ids)
        future = loop.create_future()
        state.futures[request] = future
        try:
            start(state.native, request)
            return await future
        except BaseException:
            state.native.cancel(request)
            raise
        finally:
            state.futures.pop(request, None)

    def close(self) -> None:
        """Stops watching every loop's queue."""
        for state in list(self._loops.values()):
            state.close()
        self._loops.clear()


class Client(sync.Client):
    """:class:`redwire.Client` with awaitable requests (same options)."""

    _asyncio = True

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._requests = _Requests(bool(options.get("decode_responses")))

    async def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        reply = await self._requests.run(lambda done, request: self._native.submit(done, request, args))
        return callback(reply) if callback is not None else reply

    def pipeline(self, transaction: Optional[bool] = None) -> "Pipeline":  # type: ignore[override]
        """A pipeline whose :meth:`Pipeline.execute` is awaited."""
        if transaction is None:
            transaction = not self._native.is_cluster()
        return Pipeline(self, transaction)

    def register_script(self, script: str) -> "Script":  # type: ignore[override]
        """An awaitable script (``EVALSHA``, reloaded after ``NOSCRIPT``)."""
        return Script(self, script)

    def pubsub(self) -> "PubSub":  # type: ignore[override]
        """A pub/sub object whose calls are awaited."""
        return PubSub(self._native.pubsub(), self._requests)

    def close(self) -> None:
        """Closes the pooled connections and stops watching the loops."""
        super().close()
        self._requests.close()

    async def aclose(self) -> None:
        """Closes the pooled connections (as :meth:`close`)."""
        self.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()


def connect(url: Optional[str] = None, **options: Any) -> Client:
    """An asyncio :class:`Client` for ``url`` and the keyword options."""
    sync._options(url, options)
    return Client(url=url, **options)


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

"""The asyncio client: :mod:`redwire`'s API with every request awaitable.

>>> import redwire.asyncio
>>> async def main():                                                   # doctest: +SKIP
...     client = redwire.asyncio.connect("redis://127.0.0.1:6379/0")
...     await client.set("greeting", "hello")
...     return await client.get("greeting")

Requests run on redwire's runtime, not the event loop's thread. The
commands that neither block nor keep state on their connection (``GET``,
``SET``, ``EVALSHA``, ...) of every task share one connection: those made
in one turn of the loop are written together (automatic pipelining), and
so are pipelines and transactions of such commands. Blocking commands
(``BLPOP``, ...) and ``WATCH`` take a pooled connection of their own. Cancelling a task while it awaits a
request drops that request: on the shared connection its reply is dropped
when it comes; a pooled connection is closed. Either way its reply never
reaches another caller. The shared connection is let go (the next requests
take a new one) only when it has answered nothing for a second and since
the request was made: a peer gone silent. redis.asyncio closes the
connection of every cancelled request; a connection that answers is kept
here, so that cancellations under load do not make it connect again.
"""

import asyncio
import inspect
import itertools
import os
import time
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
    overload,
)

from . import _native
from . import client as sync
from . import pubsub
from .commands import Callback, Key, Value, _ok, _S
from .commands.bless import BlessFlag
from .monitor import _parsed, _started
from . import exceptions
from .client import BlockingConnectionPool, ConnectionPool
from .cluster import _ACCEPTED, ClusterNode, Routing, _cluster_url, _merged, _names
from .commands.scans import _options as _scan_options
from .exceptions import *  # noqa: F401,F403 - redis.asyncio has them at its top too
from .lock import AsyncLock
from .exceptions import ConnectionError, NoScriptError, WatchError

__all__ = [
    "Client",
    "RedisCluster",
    "ClusterNode",
    "Redis",
    "StrictRedis",
    "Pipeline",
    "PubSub",
    "Script",
    "connect",
    "from_url",
    "ConnectionPool",
    "BlockingConnectionPool",
    *exceptions.__all__,
]


class _LoopRequests:
    """The requests of one event loop: outcomes are queued by redwire's
    runtime and drained on the loop's own thread when the loop sees the
    queue's descriptor readable, so the runtime never takes the GIL."""

    def __init__(self, loop: asyncio.AbstractEventLoop, decode: bool) -> None:
        # Weak: the loop is this object's key in a WeakKeyDictionary.
        self.loop = weakref.ref(loop)
        self.native = _native.Completions(decode)
        self.futures: Dict[int, "asyncio.Future[Any]"] = {}
        # The native side resolves the futures itself.
        loop.add_reader(self.native.fileno(), self.native.drain, self.futures)
        # A client dropped without closing: once nothing of it is left (no
        # request in flight either), the loop stops watching its queue, and
        # the queue's descriptors close.
        self.pid = os.getpid()
        self._unwatch = weakref.finalize(self, _stop_watching, self.loop, self.native.fileno(), self.pid)

    def _close_here(self) -> None:
        """On the loop's thread: drops the commands gathered and not sent,
        fails what is still waiting, then stops watching the queue."""
        self._unwatch.detach()
        self.native.discard()
        for request, future in list(self.futures.items()):
            self.native.cancel(request)
            if not future.done():
                future.set_exception(ConnectionError("the client was closed"))
        _stop_watching(self.loop, self.native.fileno(), self.pid)

    def close(self) -> None:
        _on_loop(self.loop, self._close_here)


def _on_loop(
    loop_ref: "weakref.ReferenceType[asyncio.AbstractEventLoop]", function: Callable[..., Any], *args: Any
) -> None:
    """Runs ``function(*args)`` on the loop's thread, from any thread: at
    once when it is this thread's running loop, else soon; not at all when
    the loop is gone or closed."""
    loop = loop_ref()
    if loop is None or loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        function(*args)
    else:
        loop.call_soon_threadsafe(function, *args)


def _stop_watching(loop_ref: "weakref.ReferenceType[asyncio.AbstractEventLoop]", fileno: int, pid: int) -> None:
    """Has the loop stop watching a queue's descriptor, from any thread; not
    in a process forked after it started (the loop's epoll is the parent's
    too: removing the descriptor there would blind the parent)."""
    loop = loop_ref()
    if loop is not None and os.getpid() == pid:
        _on_loop(loop_ref, loop.remove_reader, fileno)


class _Requests:
    """Requests in flight, by event loop (a client may serve several)."""

    def __init__(self, decode: bool) -> None:
        self._decode = decode
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopRequests]" = (
            weakref.WeakKeyDictionary()
        )
        self._ids = itertools.count(1)
        # The loop of the last request and its state, looked up first.
        self._last: Tuple[Any, Optional[_LoopRequests]] = (None, None)

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopRequests:
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopRequests(loop, self._decode)
        self._last = (weakref.ref(loop), state)
        return state

    async def run(self, start: Callable[..., Any], callback: Callback, *args: Any) -> Any:
        """Starts a request (``start(completions, id, *args)``) and awaits
        its outcome, given to ``callback`` if any. However the wait ends
        early (a cancelled task, a closed loop), the request is cancelled:
        its reply reaches no one, its pooled connection is closed, and the
        shared connection it may have gone on (a command or a pipeline) is
        let go when it answered nothing for a second and since the request
        was made."""
        loop = asyncio.get_running_loop()
        last, state = self._last
        if last is None or last() is not loop or state is None:
            state = self._state(loop)
        request = next(self._ids)
        future = loop.create_future()
        state.futures[request] = future
        try:
            if start(state.native, request, *args):
                # The first command of a batch for the shared connection:
                # sent with the others queued in this turn of the loop.
                loop.call_soon(state.native.flush)
            reply = await future
        except BaseException:
            state.native.cancel(request)
            raise
        finally:
            del state.futures[request]
        return reply if callback is None else callback(reply)

    def close(self) -> None:
        """Fails what still waits, and stops watching every loop's queue."""
        for state in list(self._loops.values()):
            state.close()
        self._loops.clear()
        self._last = (None, None)


if TYPE_CHECKING:
    from .commands.awaited import AwaitedCommands

    class _Client(AwaitedCommands[_S], sync.Client[_S]):  # type: ignore[misc]
        """The sync client with its command methods awaited, for type
        checkers (at run time the command methods are the same; its
        ``_command`` makes them awaitable)."""

else:
    _Client = sync.Client


class Client(_Client[_S]):
    """:class:`redwire.Client` with awaitable requests (same options). A
    cluster client connects on its first request, not in the constructor,
    so that the event loop never blocks. Typed as ``Client[bytes]``, or
    ``Client[str]`` with ``decode_responses=True``."""

    _asyncio = True
    _lock_class = AsyncLock

    @overload
    def __init__(self: "Client[str]", *args: Any, decode_responses: Literal[True], **options: Any) -> None: ...

    @overload
    def __init__(
        self: "Client[bytes]", *args: Any, decode_responses: Literal[False] = False, **options: Any
    ) -> None: ...

    @overload
    def __init__(self: "Client[Any]", *args: Any, decode_responses: bool, **options: Any) -> None: ...

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._requests = _Requests(self._native.decode_responses)

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        if self.response_callbacks:
            callback = self._reading(args, callback, options)
        # No coroutine of its own: the caller awaits the request's.
        return self._requests.run(self._native.submit, callback, args, "NEVER_DECODE" in options)

    def client(self) -> "Client[_S]":
        """A client of one connection of its own (see
        :meth:`redwire.Client.client`), awaited."""
        held = cast("Client[_S]", super().client())
        held._requests = _Requests(self._native.decode_responses)
        return held

    def monitor(self) -> "Monitor":  # type: ignore[override]
        """An awaited :class:`Monitor` (``async with client.monitor() as m:
        async for command in m.listen()``)."""
        return Monitor(self._native.pubsub(), self._requests)

    def pipeline(self, transaction: Optional[bool] = None) -> "Pipeline[_S]":
        """A pipeline whose :meth:`Pipeline.execute` is awaited."""
        if transaction is None:
            transaction = not self._native.is_cluster()
        return Pipeline(self, transaction)

    async def transaction(  # type: ignore[override]
        self,
        func: Callable[["Pipeline[_S]"], Any],
        *watches: Key,
        shard_hint: Optional[str] = None,
        value_from_callable: bool = False,
        watch_delay: Optional[float] = None,
    ) -> Any:
        """:meth:`redwire.Client.transaction`, awaited; ``func`` may be a
        coroutine function. (``shard_hint`` is accepted, not used.)"""
        async with self.pipeline(True) as pipe:
            while True:
                try:
                    if watches:
                        await pipe.watch(*watches)
                    value = func(pipe)
                    if inspect.isawaitable(value):
                        value = await value
                    replies = await pipe.execute()
                    return value if value_from_callable else replies
                except WatchError:
                    if watch_delay:
                        await asyncio.sleep(watch_delay)

    def scan_iter(  # type: ignore[override]
        self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Every key, as :meth:`redwire.Client.scan_iter`, awaited."""
        return _walk(lambda cursor: self.scan(cursor, match, count, _type))

    def hscan_iter(  # type: ignore[override]
        self, name: Key, match: Any = None, count: Optional[int] = None, no_values: Optional[bool] = None
    ) -> AsyncIterator[Any]:
        async def step(cursor: int) -> Any:
            return sync._hash_items(await self.hscan(name, cursor, match, count, no_values), no_values)

        return _walk(step)

    def sscan_iter(  # type: ignore[override]
        self, name: Key, match: Any = None, count: Optional[int] = None
    ) -> AsyncIterator[Any]:
        return _walk(lambda cursor: self.sscan(name, cursor, match, count))

    def zscan_iter(  # type: ignore[override]
        self,
        name: Key,
        match: Any = None,
        count: Optional[int] = None,
        score_cast_func: Callable[[Any], Any] = float,
    ) -> AsyncIterator[Any]:
        return _walk(lambda cursor: self.zscan(name, cursor, match, count, score_cast_func))

    def bless_scan_iter(  # type: ignore[override]
        self, flag: BlessFlag, count: Optional[int] = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Every key with the BLESS ``flag``, awaited."""
        return _walk(lambda cursor: self.bless_scan(cursor, flag, count, **kwargs))

    def register_script(self, script: str) -> "Script":
        """An awaitable script (``EVALSHA``, reloaded after ``NOSCRIPT``)."""
        return Script(self, script)

    def pubsub(self, **kwargs: Any) -> "PubSub":
        """A pub/sub object whose calls are awaited (options as
        :meth:`redwire.Client.pubsub`'s), closed with the client."""
        made = PubSub(self._native.pubsub(), self._requests, **self._pubsub_options(kwargs))
        self._pubsubs.add(made)
        return made

    @overload
    @classmethod
    def from_url(
        cls,
        url: str,
        single_connection_client: bool = False,
        auto_close_connection_pool: Optional[bool] = None,
        *,
        decode_responses: Literal[True],
        **kwargs: Any,
    ) -> "Client[str]": ...

    @overload
    @classmethod
    def from_url(
        cls,
        url: str,
        single_connection_client: bool = False,
        auto_close_connection_pool: Optional[bool] = None,
        *,
        decode_responses: Literal[False] = False,
        **kwargs: Any,
    ) -> "Client[bytes]": ...

    @overload
    @classmethod
    def from_url(
        cls,
        url: str,
        single_connection_client: bool = False,
        auto_close_connection_pool: Optional[bool] = None,
        *,
        decode_responses: bool,
        **kwargs: Any,
    ) -> "Client[Any]": ...

    @classmethod
    def from_url(
        cls,
        url: str,
        single_connection_client: bool = False,
        auto_close_connection_pool: Optional[bool] = None,
        **kwargs: Any,
    ) -> "Client[Any]":
        """A client for ``url``, as ``redis.asyncio``'s ``from_url``
        (``single_connection_client`` and ``auto_close_connection_pool``
        are accepted, not used: its tasks share one connection already,
        and it closes what it opened)."""
        return cls(url=url, **kwargs)

    async def aclose(self, close_connection_pool: Optional[bool] = None) -> None:
        """Lets the connections go (see ``Client.close``) and closes the
        pub/sub objects it made; requests still waiting raise
        :class:`~redwire.ConnectionError`. Later requests open new ones."""
        for made in list(self._pubsubs):
            pubsub.PubSub.close(made)
        if self._owns_native if close_connection_pool is None else close_connection_pool:
            self._native.close()
        if self._owned_pool is not None:
            self._owned_pool.disconnect()
        self._requests.close()

    async def close(self) -> None:  # type: ignore[override]
        """The same as :meth:`aclose` (as in ``redis.asyncio``)."""
        await self.aclose()

    async def __aenter__(self) -> "Client[_S]":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    def __await__(self) -> Generator[Any, None, "Client[_S]"]:
        """``await Client(...)`` (and ``await connect(...)``) gives the
        client, as ``redis.asyncio`` clients are awaitable."""

        async def ready() -> "Client[_S]":
            return self

        return ready().__await__()

    def __enter__(self) -> "Client[_S]":
        """Refused: an asyncio client closes with ``async with``."""
        raise TypeError("redwire.asyncio.Client: use 'async with', not 'with'")

    def __exit__(self, *exc_info: Any) -> None:
        raise TypeError("redwire.asyncio.Client: use 'async with', not 'with'")


async def _walk(step: Callable[[int], Awaitable[Tuple[int, Any]]]) -> AsyncIterator[Any]:
    """The items of ``await step(cursor)`` from cursor 0 until it gives 0
    back."""
    cursor = 0
    while True:
        cursor, items = await step(cursor)
        for item in items:
            yield item
        if cursor == 0:
            return


#: redis.asyncio's names for the client.
Redis = Client
StrictRedis = Client


@overload
def from_url(url: str, *, decode_responses: Literal[True], **kwargs: Any) -> Client[str]: ...


@overload
def from_url(url: str, *, decode_responses: Literal[False] = False, **kwargs: Any) -> Client[bytes]: ...


@overload
def from_url(url: str, *, decode_responses: bool, **kwargs: Any) -> Client[Any]: ...


def from_url(url: str, **kwargs: Any) -> Client[Any]:
    """An asyncio client for ``url``, as ``redis.asyncio.from_url``."""
    return Client.from_url(url, **kwargs)


@overload
def connect(url: Optional[str] = None, *, decode_responses: Literal[True], **options: Any) -> Client[str]: ...


@overload
def connect(url: Optional[str] = None, *, decode_responses: Literal[False] = False, **options: Any) -> Client[bytes]: ...


@overload
def connect(url: Optional[str] = None, *, decode_responses: bool, **options: Any) -> Client[Any]: ...


def connect(url: Optional[str] = None, **options: Any) -> Client[Any]:
    """An asyncio :class:`Client` for ``url`` and the keyword options."""
    return Client(url=url, **options)


class RedisCluster(Routing, Client[_S]):  # type: ignore[misc]
    """``redis.asyncio``'s ``RedisCluster``: :class:`redwire.RedisCluster`
    with awaited requests (the same routing: every primary for the
    commands redis-py sends so, ``target_nodes``, split by slot). It reads
    the topology on its first request; ``get_nodes`` and the like before
    that wait for it."""

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
        for name in _ACCEPTED:
            kwargs.pop(name, None)
        url = _cluster_url(host, port, startup_nodes, url)
        super().__init__(url=url, read_from_replicas=read_from_replicas or None, **kwargs)

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        name, nodes, parts = self._route(args, options)
        if nodes is not None:
            if self.response_callbacks:
                callback = self._reading(args, callback, options)
            return self._on_nodes(name, nodes, args, callback)
        if parts is not None:
            return self._counted(parts, callback)
        return super()._command(args, callback, **options)

    async def _on_nodes(
        self, name: str, nodes: List[ClusterNode], args: Tuple[Any, ...], callback: Callback
    ) -> Any:
        """Runs a command on each of ``nodes`` as it is; the replies merged."""
        replies = await asyncio.gather(
            *(self._requests.run(self._native.submit_on, callback, node.name, args) for node in nodes)
        )
        return _merged(name, {node.name: reply for node, reply in zip(nodes, replies)})

    async def initialize(self) -> "RedisCluster[_S]":
        """Reads the topology (as ``redis.asyncio``'s; it is read on the
        first request otherwise)."""
        await Client._command(self, ("PING",))
        return self

    def client(self) -> "RedisCluster[_S]":
        """Refused, as on :class:`redwire.RedisCluster`."""
        raise exceptions.RedisClusterException("client(): a cluster client has no single connection to give")

    async def _counted(self, parts: List[Tuple[Any, ...]], callback: Callback) -> int:
        counts = await asyncio.gather(*(Client._command(self, part, callback) for part in parts))
        return sum(counts)

    async def mget_nonatomic(self, keys: Union[Key, Sequence[Key]], *args: Key) -> List[Optional[_S]]:
        """``MGET`` of keys in any slots: one per slot, the values in the
        order of the keys."""
        names = _names(keys, args)
        groups = self._by_slot(names)
        parts: List[Tuple[Any, ...]] = []
        for group in groups:
            part: List[Any] = [names[i] for i in group]
            parts.append(("MGET", *part))
        replies = await asyncio.gather(*(Client._command(self, part) for part in parts))
        values: List[Any] = [None] * len(names)
        for group, reply in zip(groups, replies):
            for position, value in zip(group, reply):
                values[position] = value
        return values

    async def mset_nonatomic(self, mapping: Mapping[Key, Value]) -> List[bool]:
        """``MSET`` of keys in any slots: one per slot; ``True`` for each."""
        parts = self._mset_parts(mapping)
        return list(await asyncio.gather(*(Client._command(self, part, lambda reply: True) for part in parts)))

    async def scan_iter(  # type: ignore[override]
        self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Every key of every primary, as :meth:`redwire.RedisCluster.scan_iter`."""
        walk = self._native.scan(_scan_options(match, count, _type))
        while True:
            batch = await self._requests.run(walk.submit, None)
            if batch is None:
                return
            for key in batch:
                yield key


class Pipeline(sync.Pipeline[_S]):
    """Commands queued for one round trip; ``await pipe.execute()``. After
    ``await pipe.watch(...)``, commands are awaited at once until
    :meth:`multi`. ``await pipe.get(...)`` works either way: a pipeline is
    awaitable (to itself)."""

    _client: "Client[_S]"

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        if self._client.response_callbacks:
            callback = self._client._reading(args, callback, options)
        if self.watching and self._held is not None:
            return self._at_once(self._held, args, callback)
        self._commands.append((args, callback))
        return self

    def __await__(self) -> Generator[Any, None, "Pipeline[_S]"]:
        async def itself() -> "Pipeline[_S]":
            return self

        return itself().__await__()

    def _at_once(self, native: Any, args: Tuple[Any, ...], callback: Callback) -> Any:
        return self._client._requests.run(native.submit, callback, args)

    async def watch(self, *names: Key) -> Any:
        """``WATCH``es ``names`` on the pipeline's own connection."""
        watched = await self._at_once(self._start_watch(), ("WATCH",) + names, _ok)
        self.watching = True
        return watched

    async def unwatch(self) -> Any:
        """``UNWATCH``; commands queue again."""
        if self._held is None:
            return True
        self.watching = False
        return await self._at_once(self._held, ("UNWATCH",), _ok)

    async def execute(self, raise_on_error: bool = True) -> List[Any]:  # type: ignore[override]
        """Sends the queued commands; the replies in order."""
        try:
            for script in self._scripts:
                await self._client.script_load(script.script)
            commands, transaction = self._batch()
            if not commands:
                return []
            batch = [args for args, _ in commands]
            replies = await self._client._requests.run(
                self._target().submit_pipeline, None, batch, transaction
            )
        finally:
            sync.Pipeline.reset(self)
        return sync._results(commands, replies, raise_on_error)

    async def reset(self) -> None:  # type: ignore[override]
        """Discards the queued commands and gives back a held connection
        (awaitable, as in ``redis.asyncio``)."""
        sync.Pipeline.reset(self)

    async def __aenter__(self) -> "Pipeline[_S]":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        sync.Pipeline.reset(self)


class Script(sync.Script):
    """An awaitable Lua script run with ``EVALSHA``."""

    async def __call__(  # type: ignore[override]
        self,
        keys: Sequence[Key] = (),
        args: Sequence[Value] = (),
        client: Optional[Union[Client[Any], Pipeline[Any]]] = None,
    ) -> Any:
        """Runs the script (queued when ``client`` is a pipeline)."""
        target, call, queued = self._route(keys, args, client)
        if queued:
            return target.evalsha(self.sha, *call)
        try:
            return await target.evalsha(self.sha, *call)
        except NoScriptError:
            await target.script_load(self.script)
            return await target.evalsha(self.sha, *call)


class _Read:
    """One native read of a frame, and whether a caller took its frame."""

    def __init__(self, task: "asyncio.Task[Any]") -> None:
        self.task = task
        self.taken = False


def _retrieved(task: "asyncio.Task[Any]") -> None:
    """Marks a read's failure as seen (a read its caller left may fail
    when no one waits for it any more)."""
    if not task.cancelled():
        task.exception()


class _Frames:
    """The frames of a pub/sub or ``MONITOR`` connection, read for awaiting
    callers. A read whose caller stopped waiting (``wait_for``, a cancelled
    task) goes on, and the next caller takes its frame: none is lost; each
    frame goes to one caller, however many read at once. :meth:`close`
    ends the reads: their callers get ``None``."""

    def __init__(self, native: "_native.NativePubSub", requests: _Requests) -> None:
        self._native = native
        self._requests = requests
        self._pending: Optional[_Read] = None
        # Counts the closes: a read begun before one ends with it.
        self._closes = 0

    def close(self) -> None:
        self._closes += 1
        self._pending = None

    async def next(self, wait: Optional[float]) -> Any:
        """The next frame, or ``None`` when none comes within ``wait``
        seconds (``None``: wait for one) or the reads are closed."""
        loop = asyncio.get_running_loop()
        deadline = None if wait is None else loop.time() + wait
        closes = self._closes
        while self._closes == closes:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            read = self._pending
            if read is not None and (read.task.get_loop() is not loop or read.task.cancelled()):
                read = self._pending = None  # another loop's, or cancelled with it
            inherited = read is not None
            if read is None:
                task = loop.create_task(self._requests.run(self._native.submit_message, None, left))
                task.add_done_callback(_retrieved)
                read = self._pending = _Read(task)
            try:
                # This call's own read waits as long as asked (natively);
                # one it takes over, only as long as this call may.
                if inherited:
                    frame = await asyncio.wait_for(asyncio.shield(read.task), left)
                else:
                    frame = await asyncio.shield(read.task)
            except asyncio.TimeoutError:
                return None
            except asyncio.CancelledError:
                raise  # the read is kept for the next caller
            except BaseException:
                if self._pending is read:
                    self._pending = None  # its failure, raised once
                if self._closes != closes:
                    return None  # failed by the close
                raise
            if self._pending is read:
                self._pending = None
            if read.taken:
                continue  # another caller of the same read took its frame
            read.taken = True
            if self._closes != closes:
                return None
            # An earlier caller's read may end before this call's wait.
            if frame is not None or not inherited or (deadline is not None and loop.time() >= deadline):
                return frame
        return None


class PubSub(pubsub.PubSub):
    """Subscriptions whose calls are awaited; ``async for message in
    pubsub``. A handler may be a coroutine function (awaited); :meth:`run`
    serves the handlers until cancelled."""

    def __init__(self, native: "_native.NativePubSub", requests: _Requests, **options: Any) -> None:
        super().__init__(native, **options)
        self._requests = requests
        self._frames = _Frames(native, requests)

    async def _send(self, *args: Any) -> None:  # type: ignore[override]
        await self._requests.run(self._native.submit, None, args)

    async def subscribe(self, *args: Any, **kwargs: pubsub.Handler) -> None:  # type: ignore[override]
        await self._send(*self._subscribe("channels", args, kwargs))

    async def psubscribe(self, *args: Any, **kwargs: pubsub.Handler) -> None:  # type: ignore[override]
        await self._send(*self._subscribe("patterns", args, kwargs))

    async def ssubscribe(  # type: ignore[override]
        self, *args: Any, target_node: Any = None, **kwargs: pubsub.Handler
    ) -> None:
        await self._send(*self._subscribe("shard_channels", args, kwargs))

    async def unsubscribe(self, *args: Any) -> None:  # type: ignore[override]
        await self._send(*self._unsubscribe("channels", args))

    async def punsubscribe(self, *args: Any) -> None:  # type: ignore[override]
        await self._send(*self._unsubscribe("patterns", args))

    async def sunsubscribe(self, *args: Any, target_node: Any = None) -> None:  # type: ignore[override]
        await self._send(*self._unsubscribe("shard_channels", args))

    async def ping(self, message: Optional[str] = None) -> None:  # type: ignore[override]
        await self._send("PING", *(() if message is None else (message,)))

    async def get_message(  # type: ignore[override]
        self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0
    ) -> Optional[Dict[str, Any]]:
        """The next message, or ``None`` after ``timeout`` seconds; a
        message with a handler goes to it (awaited if a coroutine)."""
        deadline = pubsub._deadline(timeout, time.monotonic())
        reconnected = False
        while True:
            if self._health_check_due(time.monotonic()):
                await self._send("PING", self.HEALTH_CHECK_MESSAGE)
            wait, health_check = self._wait(deadline, time.monotonic())
            try:
                reply = await self._frames.next(wait)
            except ConnectionError as e:
                # As the sync one: connected and subscribed again once
                # (not when closed meanwhile).
                if reconnected or not self.subscribed:
                    raise
                pubsub._lost(e)
                reconnected = True
                continue
            if reply is None:
                if health_check and self.subscribed:
                    continue
                return None
            message, handler = self._handle(reply, ignore_subscribe_messages)
            if message is not None and handler is not None:
                handled = handler(message)
                if inspect.isawaitable(handled):
                    await handled
            elif message is not None:
                return message

    async def get_sharded_message(  # type: ignore[override]
        self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0
    ) -> Optional[Dict[str, Any]]:
        return await self.get_message(ignore_subscribe_messages, timeout)

    async def listen(self) -> AsyncIterator[Dict[str, Any]]:  # type: ignore[override]
        """Every message, waiting for each, while subscribed."""
        while self.subscribed:
            message = await self.get_message(timeout=None)
            if message is not None:
                yield message

    def __aiter__(self) -> AsyncIterator[Dict[str, Any]]:
        return self.listen()

    async def run(
        self,
        *,
        exception_handler: Optional[Callable[..., Any]] = None,
        poll_timeout: float = 1.0,
        pubsub: Optional["PubSub"] = None,
    ) -> None:
        """Gives every message to its handler (each subscription needs one,
        else :class:`~redwire.PubSubError`) until the task is cancelled, as
        ``redis.asyncio``'s: ``task = asyncio.create_task(p.run())``. An
        exception goes to ``exception_handler(error, pubsub)`` (awaited if
        a coroutine) if given, else ends it."""
        self._handlers_missing()
        source = self if pubsub is None else pubsub
        while True:
            try:
                await source.get_message(ignore_subscribe_messages=True, timeout=poll_timeout)
            except asyncio.CancelledError:
                raise
            except BaseException as error:
                if exception_handler is None:
                    raise
                handled = exception_handler(error, self)
                if inspect.isawaitable(handled):
                    await handled

    def _forget(self) -> None:
        super()._forget()
        self._frames.close()

    async def aclose(self) -> None:
        """Closes the connection and forgets the subscriptions; never waits.
        A read waiting in another task returns ``None``."""
        pubsub.PubSub.close(self)

    async def close(self) -> None:  # type: ignore[override]
        """The same as :meth:`aclose` (as in ``redis.asyncio``)."""
        pubsub.PubSub.close(self)

    async def reset(self) -> None:  # type: ignore[override]
        """The same as :meth:`aclose`."""
        pubsub.PubSub.close(self)

    async def __aenter__(self) -> "PubSub":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        pubsub.PubSub.close(self)


class Monitor:
    """``MONITOR`` awaited, as ``redis.asyncio``'s: ``async with
    client.monitor() as m`` sends it; :meth:`next_command` and
    :meth:`listen` give each command the server runs (see
    :class:`redwire.monitor.Monitor`)."""

    def __init__(self, native: "_native.NativePubSub", requests: _Requests) -> None:
        self._native = native
        self._requests = requests
        self._frames = _Frames(native, requests)
        # Why reads are over, once they are: lost, or closed.
        self._over: Optional[str] = None

    async def _read(self) -> Any:
        if self._over is not None:
            raise ConnectionError(self._over)
        try:
            frame = await self._frames.next(None)
        except ConnectionError:
            self._over = "the monitor's connection was lost"
            raise
        if self._over is not None:  # closed while reading
            raise ConnectionError(self._over)
        return frame

    async def __aenter__(self) -> "Monitor":
        if self._over is not None:
            raise ConnectionError(self._over)
        await self._requests.run(self._native.submit, None, ("MONITOR",))
        _started(await self._read(), self._native)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self._over = "the monitor was closed"
        self._frames.close()
        self._native.close()

    async def next_command(self) -> Dict[str, Any]:
        """The next command the server runs, waiting for it."""
        return _parsed(await self._read())

    async def listen(self) -> AsyncIterator[Dict[str, Any]]:
        """Every command the server runs, waiting for each."""
        while True:
            yield await self.next_command()

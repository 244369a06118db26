"""The synchronous client, its pipelines, scripts and pub/sub; the asyncio
client (:mod:`redwire.asyncio`) builds on them."""

import functools
import hashlib
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Literal, Optional, Sequence, Tuple, Union, overload

from . import _native
from .commands import Callback, Commands, Key, Value, _ok, _S
from .commands.bless import BlessFlag
from .commands.replies import _command_name, _text
from .lock import Lock
from .monitor import Monitor as Monitor
from .pubsub import PubSub as PubSub
from .pubsub import PubSubWorkerThread as PubSubWorkerThread
from .cache import Cache, CacheConfig
from .options import split_url, translate, url_wins
from .exceptions import ConnectionError, DataError, NoScriptError, RedisError, ResponseError, WatchError

def _callback_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """The options a ``set_response_callback`` callback gets: the method's,
    without those used here, as redis-py takes them out (``NEVER_DECODE``,
    a cluster's ``target_nodes``, ``keys``)."""
    return {name: value for name, value in options.items() if name not in ("NEVER_DECODE", "target_nodes", "keys")}


class Encoder:
    """redis-py's ``Encoder``: arguments to bytes, replies to ``str`` when
    decoding."""

    def __init__(self, encoding: str, encoding_errors: str, decode_responses: bool) -> None:
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        self.decode_responses = decode_responses

    def encode(self, value: Any) -> bytes:
        if isinstance(value, (bytes, memoryview)):
            return bytes(value)
        if isinstance(value, bool):
            raise DataError("Invalid input of type: 'bool'. Convert to a bytes, string, int or float first.")
        if isinstance(value, (int, float)):
            return repr(value).encode()
        if not isinstance(value, str):
            raise DataError(f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first.")
        return value.encode(self.encoding, self.encoding_errors)

    def decode(self, value: Any, force: bool = False) -> Any:
        if (self.decode_responses or force) and isinstance(value, (bytes, memoryview)):
            return bytes(value).decode(self.encoding, self.encoding_errors)
        return value


if TYPE_CHECKING:
    from .commands.queued import QueuedCommands as _PipelineCommands
else:
    _PipelineCommands = Commands


class Client(Commands[_S]):
    """A Redis client, safe to share between threads, on redwire's core
    client: commands that neither block nor keep state on their connection
    (``GET``, ``SET``, pipelines of them, ...) share one connection, those of
    concurrent threads written together; blocking ones (``BLPOP``, ...) and a
    pipeline's ``WATCH`` take a pooled connection and give it back. A command
    that would leave state on a shared connection (``SELECT``, ``WATCH`` or
    ``MULTI`` sent alone) raises :class:`~redwire.RedisError` before anything
    is sent. The GIL is released while a request waits on the network.

    ``url`` is ``redis://[[user]:[password]@]host[:port][/db]``,
    ``rediss://`` (TLS), ``unix:///path/to.sock``,
    ``sentinel://[[user]:[password]@]master_name:role[/db]`` (with
    ``sentinels=[(host, port), ...]``; role ``m`` or ``s``) or
    ``redis+cluster://host:port,host:port`` (a cluster client); the
    keyword options override it. The pool holds ``max_connections``
    (default: ``REDIS_CLIENT_POOL_SIZE``, else 20). Replies are ``bytes``
    unless ``decode_responses=True``. An option that cannot be used raises
    :class:`~redwire.ConfigError` naming it.

    For type checkers the client is generic in what its replies' strings
    are: ``Client[bytes]``, or ``Client[str]`` when made with
    ``decode_responses=True`` (a bare ``Client`` is ``Client[bytes]``).

    >>> import redwire
    >>> client = redwire.Client(host="127.0.0.1", port=6379, db=0)  # doctest: +SKIP
    >>> client.set("greeting", "hello")                             # doctest: +SKIP
    True
    """

    #: Whether requests are awaited (:mod:`redwire.asyncio`): they then run
    #: on redwire's runtime threads; else the calling thread drives them.
    _asyncio = False
    #: The lock :meth:`lock` makes by default.
    _lock_class: Any = Lock

    @overload
    def __init__(
        self: "Client[str]",
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: Optional[int] = None,
        *,
        decode_responses: Literal[True],
        **options: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: "Client[bytes]",
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: Optional[int] = None,
        *,
        decode_responses: Literal[False] = False,
        **options: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: "Client[Any]",
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: Optional[int] = None,
        *,
        decode_responses: bool,
        **options: Any,
    ) -> None: ...

    def __init__(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: Optional[int] = None,
        *,
        url: Optional[str] = None,
        unix_socket_path: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        ssl: Optional[bool] = None,
        ssl_ca_certs: Optional[str] = None,
        ssl_certfile: Optional[str] = None,
        ssl_keyfile: Optional[str] = None,
        ssl_cert_reqs: Any = "required",
        socket_timeout: Optional[float] = None,
        socket_connect_timeout: Optional[float] = None,
        client_name: Optional[str] = None,
        protocol: Optional[int] = None,
        max_connections: Optional[int] = None,
        pool_timeout: Optional[float] = None,
        sentinels: Optional[Sequence[Tuple[str, int]]] = None,
        service_name: Optional[str] = None,
        sentinel_role: Optional[str] = None,
        sentinel_username: Optional[str] = None,
        sentinel_password: Optional[str] = None,
        read_from_replicas: Optional[bool] = None,
        decode_responses: bool = False,
        **other: Any,
    ) -> None:
        options = dict(locals())
        del options["self"], options["other"]
        pool = other.pop("connection_pool", None)
        # An unknown option is named by the ConfigError the native side raises.
        options.update(other)
        if isinstance(url, str):
            options = url_wins(url, options)
            options["url"], query = split_url(url)
            options.update(query)
        # Read here (a keyword, the URL's query or the pool's): what the
        # pub/sub objects do (see PubSub).
        health = options.get("health_check_interval") or (pool.connection_kwargs if pool else {}).get(
            "health_check_interval"
        )
        self._health_check_interval = float(health or 0)
        # A pool's clients share its cache, as redis-py's: one given here
        # beside a pool is checked against the pool's protocol only.
        self._cache_config: Optional[CacheConfig] = options.get("cache_config")
        if pool is not None:
            if options.pop("cache_config", None) is not None and str(pool.connection_kwargs.get("protocol")) != "3":
                raise RedisError("Client caching is only supported with RESP version 3")
            self._cache_config = pool.connection_kwargs.get("cache_config")
        if sentinels is not None:
            options["sentinels"] = [tuple(address) for address in sentinels]
        if options.get("ssl_cert_reqs") == "required":
            del options["ssl_cert_reqs"]
        options = translate(options)
        chosen = {name: value for name, value in options.items() if value is not None}
        self._native: _native.NativeClient
        if pool is not None:
            self._native = pool._native_client(self._asyncio)
        else:
            self._native = _native.NativeClient(chosen, self._asyncio)
        self._started(options, owns_native=pool is None)

    def _started(self, options: Dict[str, Any], owns_native: bool) -> None:
        """What a client keeps beside its native one (``owns_native``:
        whether closing the client closes it, not a pool's)."""
        self._owns_native = owns_native
        # The pub/sub objects it made, closed with it.
        self._pubsubs: "weakref.WeakSet[PubSub]" = weakref.WeakSet()
        self._connection_kwargs = {name: value for name, value in options.items() if value is not None}
        #: Readings of replies by command name, as ``set_response_callback``
        #: sets them (``callback(reply, **options)``); they win over the
        #: method's own.
        self.response_callbacks: Dict[str, Callable[..., Any]] = {}
        # A pool this client owns (``from_pool``), closed with it.
        self._owned_pool: Optional[ConnectionPool] = None

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[True], **kwargs: Any) -> "Client[str]": ...

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[False] = False, **kwargs: Any) -> "Client[bytes]": ...

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: bool, **kwargs: Any) -> "Client[Any]": ...

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "Client[Any]":
        """A client for ``url``, as redis-py's ``from_url``."""
        return cls(url=url, **kwargs)

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        # NEVER_DECODE (redis-py's option): the reply as bytes (DUMP's).
        reply = self._native.execute(args, "NEVER_DECODE" in options) if options else self._native.execute(args)
        if self.response_callbacks:
            callback = self._reading(args, callback, options)
        return callback(reply) if callback is not None else reply

    def _reading(self, args: Tuple[Any, ...], callback: Callback, options: Dict[str, Any]) -> Callback:
        """How a command's reply is read: by the callback
        ``set_response_callback`` set for its name (given the method's
        options), else by ``callback``."""
        name = _command_name(args)
        custom = self.response_callbacks.get(name)
        if custom is None:
            return callback
        reading = functools.partial(custom, **_callback_options(options))
        if name == "INFO" and "NEVER_DECODE" in options and self._native.decode_responses:
            # INFO is read as bytes for leniency only: a decoding client's
            # callback gets text, as redis-py's.
            return lambda reply: reading(_text(reply))
        return reading

    @classmethod
    def from_pool(cls, connection_pool: "ConnectionPool") -> "Client[Any]":
        """A client on ``connection_pool`` that owns it: closing the client
        disconnects the pool, as redis-py's."""
        client = cls(connection_pool=connection_pool)
        client._owned_pool = connection_pool
        return client

    def client(self) -> "Client[_S]":
        """A client of its own connection, taken from this client's pool on
        its first request and given back by :meth:`close` (redis-py's
        ``single_connection_client``): commands that keep state on their
        connection (``SELECT``, ``CLIENT SETNAME``, ...) run there. A
        connection whose state changed is closed rather than pooled again.
        Not on a cluster client."""
        held = type(self).__new__(type(self))
        held._native = self._native.hold()
        held._health_check_interval = self._health_check_interval
        held._cache_config = self._cache_config
        held._started(self._connection_kwargs, owns_native=True)
        return held

    def monitor(self) -> Monitor:
        """A :class:`~redwire.monitor.Monitor` of every command the server
        runs, on a connection of its own (``with client.monitor() as m:``)."""
        return Monitor(self._native.pubsub())

    def get_cache(self) -> Optional[Cache]:
        """Its client-side cache (``cache_config=``), or ``None``."""
        config = getattr(self, "_cache_config", None)
        return Cache(self._native, config) if config is not None else None

    def get_connection_kwargs(self) -> Dict[str, Any]:
        """The options the client was made with (those given)."""
        return self._connection_kwargs

    def get_encoder(self) -> Encoder:
        """How arguments are encoded and replies decoded, as redis-py's."""
        return Encoder("utf-8", "strict", self._native.decode_responses)

    def get_retry(self) -> Any:
        """The ``retry`` given (accepted and not used: see COMPATIBILITY.md)."""
        return self._connection_kwargs.get("retry")

    def set_retry(self, retry: Any) -> None:
        """Keeps ``retry`` for :meth:`get_retry` (not used: the core retries
        what surely was not sent)."""
        self._connection_kwargs["retry"] = retry

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Reads the replies of ``command`` (a name as redis-py gives it:
        ``"GET"``, ``"CONFIG GET"``) with ``callback(reply, **options)``
        from now on, in every method that sends it."""
        self.response_callbacks[command.upper()] = callback

    def load_external_module(self, funcname: str, func: Any) -> None:
        """Adds ``func`` as the attribute ``funcname`` (redis-py's way to add
        a module's commands)."""
        setattr(self, funcname, func)

    def pipeline(self, transaction: Optional[bool] = None) -> "Pipeline[_S]":
        """A pipeline: commands queue until :meth:`Pipeline.execute` sends
        them in one round trip; with ``transaction`` between ``MULTI`` and
        ``EXEC``. The default, as in redis-py: a transaction, except on a
        cluster client (whose commands go to several nodes)."""
        if transaction is None:
            transaction = not self._native.is_cluster()
        return Pipeline(self, transaction)

    def transaction(self, func: Callable[["Pipeline[_S]"], Any], *watches: Key, **kwargs: Any) -> Any:
        """Optimistic locking, as redis-py's: ``WATCH``es ``watches``, calls
        ``func(pipe)`` (which reads at once, calls ``pipe.multi()``, then
        queues), and runs the transaction; when a watched key changed
        meanwhile, starts again (after ``watch_delay`` seconds). Returns the
        transaction's replies, or ``func``'s value with
        ``value_from_callable=True``. (``shard_hint`` is accepted, not used.)"""
        value_from_callable, watch_delay = _transaction_options(kwargs)
        with self.pipeline(True) as pipe:
            while True:
                try:
                    if watches:
                        pipe.watch(*watches)
                    value = func(pipe)
                    replies = pipe.execute()
                    return value if value_from_callable else replies
                except WatchError:
                    if watch_delay:
                        time.sleep(watch_delay)

    def lock(
        self,
        name: Key,
        timeout: Optional[float] = None,
        sleep: float = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[float] = None,
        lock_class: Any = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> Any:
        """A :class:`~redwire.lock.Lock` named ``name`` (an
        :class:`~redwire.lock.AsyncLock` on an asyncio client; or of
        ``lock_class``), as redis-py's."""
        cls = self._lock_class if lock_class is None else lock_class
        return cls(self, name, timeout, sleep, blocking, blocking_timeout, thread_local, raise_on_release_error)

    def register_script(self, script: str) -> "Script":
        """A callable running ``script`` by its SHA1 (``EVALSHA``), loading
        it again when the server answers ``NOSCRIPT``."""
        return Script(self, script)

    def pubsub(self, **kwargs: Any) -> "PubSub":
        """A pub/sub object on a connection of its own, closed with the
        client; ``ignore_subscribe_messages=True`` leaves the confirmations
        out of :meth:`PubSub.get_message` (redis-py's other options,
        ``shard_hint`` and ``push_handler_func``, are accepted, not used)."""
        pubsub = PubSub(self._native.pubsub(), **self._pubsub_options(kwargs))
        self._pubsubs.add(pubsub)
        return pubsub

    def _pubsub_options(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """``pubsub``'s keyword options, as ``PubSub`` takes them, and the
        client's that it uses; another raises ``TypeError``."""
        unknown = set(kwargs) - {"ignore_subscribe_messages", "shard_hint", "push_handler_func"}
        if unknown:
            raise TypeError(f"pubsub() got unexpected keyword arguments: {sorted(unknown)}")
        return {
            "ignore_subscribe_messages": bool(kwargs.get("ignore_subscribe_messages", False)),
            "decode": self._native.decode_responses,
            "health_check_interval": self._health_check_interval,
        }

    def pool_stats(self) -> Dict[str, int]:
        """The pool's counters (``idle``, ``in_use``, ``created``, ...; summed
        over a cluster's nodes): the connections of blocking commands and
        ``WATCH``, not the shared one."""
        return self._native.pool_stats()

    def close(self) -> None:
        """Lets the connections go (the shared one once its replies are
        read, pooled ones as they come back) and closes the pub/sub objects
        it made; later requests open new ones. A client given a
        ``connection_pool`` leaves the pool's connections to the pool (as
        redis-py's), unless made by :meth:`from_pool`."""
        for pubsub in list(self._pubsubs):
            pubsub.close()
        if self._owns_native:
            self._native.close()
        if self._owned_pool is not None:
            self._owned_pool.disconnect()

    def __enter__(self) -> "Client[_S]":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # Walks with SCAN and its kin, as redis-py's generators: every item,
    # some maybe twice, as the cursor commands give them.

    def scan_iter(
        self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any
    ) -> Iterator[Any]:
        return _walk(lambda cursor: self.scan(cursor, match, count, _type))

    def hscan_iter(
        self, name: Key, match: Any = None, count: Optional[int] = None, no_values: Optional[bool] = None
    ) -> Iterator[Any]:
        """Every ``(field, value)`` of a hash (every field with ``no_values``)."""
        return _walk(lambda cursor: _hash_items(self.hscan(name, cursor, match, count, no_values), no_values))

    def sscan_iter(self, name: Key, match: Any = None, count: Optional[int] = None) -> Iterator[Any]:
        return _walk(lambda cursor: self.sscan(name, cursor, match, count))

    def zscan_iter(
        self, name: Key, match: Any = None, count: Optional[int] = None, score_cast_func: Callable[[Any], Any] = float
    ) -> Iterator[Any]:
        return _walk(lambda cursor: self.zscan(name, cursor, match, count, score_cast_func))

    def bless_scan_iter(self, flag: "BlessFlag", count: Optional[int] = None, **kwargs: Any) -> Iterator[_S]:
        """Every key with the BLESS ``flag``, walked with ``bless_scan``."""
        return _walk(lambda cursor: self.bless_scan(cursor, flag, count, **kwargs))

    # Dict-style access, as redis-py's.

    def __getitem__(self, name: Key) -> Any:
        """``GET``; a missing key raises ``KeyError``."""
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: Key, value: Value) -> None:
        self.set(name, value)

    def __delitem__(self, name: Key) -> None:
        self.delete(name)

    def __contains__(self, name: Key) -> bool:
        return bool(self.exists(name))


def _walk(step: Callable[[int], Tuple[int, Any]]) -> Iterator[Any]:
    """The items of ``step(cursor)`` from cursor 0 until it gives 0 back."""
    cursor = 0
    while True:
        cursor, items = step(cursor)
        yield from items
        if cursor == 0:
            return


def _hash_items(step: Tuple[int, Any], no_values: Optional[bool]) -> Tuple[int, Any]:
    """An ``HSCAN`` step's items: the fields, or ``(field, value)`` pairs."""
    cursor, data = step
    return cursor, data if no_values else data.items()


def _transaction_options(kwargs: Dict[str, Any]) -> Tuple[bool, Optional[float]]:
    """``transaction``'s keyword options: ``value_from_callable`` and
    ``watch_delay`` (``shard_hint``: accepted, not used); another raises
    ``TypeError``."""
    unknown = set(kwargs) - {"value_from_callable", "watch_delay", "shard_hint"}
    if unknown:
        raise TypeError(f"transaction() got unexpected keyword arguments: {sorted(unknown)}")
    return bool(kwargs.get("value_from_callable", False)), kwargs.get("watch_delay")


@overload
def from_url(url: str, *, decode_responses: Literal[True], **kwargs: Any) -> Client[str]: ...


@overload
def from_url(url: str, *, decode_responses: Literal[False] = False, **kwargs: Any) -> Client[bytes]: ...


@overload
def from_url(url: str, *, decode_responses: bool, **kwargs: Any) -> Client[Any]: ...


def from_url(url: str, **kwargs: Any) -> Client[Any]:
    """A client for ``url``, as ``redis.from_url``."""
    return Client.from_url(url, **kwargs)


@overload
def connect(url: Optional[str] = None, *, decode_responses: Literal[True], **options: Any) -> Client[str]: ...


@overload
def connect(url: Optional[str] = None, *, decode_responses: Literal[False] = False, **options: Any) -> Client[bytes]: ...


@overload
def connect(url: Optional[str] = None, *, decode_responses: bool, **options: Any) -> Client[Any]: ...


def connect(url: Optional[str] = None, **options: Any) -> Client[Any]:
    """A :class:`Client` for ``url`` (default ``redis://127.0.0.1:6379/0``)
    and the keyword options; an unknown option raises
    :class:`~redwire.ConfigError`."""
    return Client(url=url, **options)


class Pipeline(_PipelineCommands[_S]):
    """Commands queued for one round trip. Each command method returns the
    pipeline (so calls chain); :meth:`execute` sends them and returns the
    replies in order. As a context manager it discards what was not sent.

    Optimistic locking, as in redis-py: after :meth:`watch`, the pipeline
    holds one connection and commands run at once (to read what the
    transaction depends on) until :meth:`multi`; :meth:`execute` then runs
    the queued ones between ``MULTI`` and ``EXEC`` on that connection and
    raises :class:`~redwire.WatchError` if a watched key changed. The
    connection goes back to the pool after ``execute`` or :meth:`reset` (a
    connection still watching keys is closed instead)."""

    def __init__(self, client: Client[_S], transaction: bool) -> None:
        self._client: Client[_S] = client
        self._transaction = transaction
        self._commands: List[Tuple[Tuple[Any, ...], Callback]] = []
        self._scripts: List["Script"] = []
        # From watch() until execute() or reset(): the client holding one connection.
        self._held: Optional["_native.NativeClient"] = None
        #: Whether keys are watched and commands still run at once (from
        #: :meth:`watch` until :meth:`multi` or :meth:`unwatch`).
        self.watching = False
        self._multi = False

    def _command(self, args: Tuple[Any, ...], callback: Callback = None, **options: Any) -> Any:
        if self._client.response_callbacks:
            callback = self._client._reading(args, callback, options)
        if self.watching and self._held is not None:
            reply = self._held.execute(args)
            return callback(reply) if callback is not None else reply
        self._commands.append((args, callback))
        return self

    def _target(self) -> "_native.NativeClient":
        """Where commands go: the held connection, else the client's pool."""
        return self._held if self._held is not None else self._client._native

    def _start_watch(self) -> "_native.NativeClient":
        """The held connection, taken from the pool on the first ``watch``."""
        if self._multi or self._commands:
            raise RedisError("WATCH must come before MULTI and the queued commands")
        if self._held is None:
            self._held = self._client._native.hold()
        return self._held

    def watch(self, *names: Key) -> Any:
        """``WATCH``es ``names`` on the pipeline's own connection; commands
        run at once from now until :meth:`multi`."""
        watched = _ok(self._start_watch().execute(("WATCH",) + names))
        self.watching = True
        return watched

    def unwatch(self) -> Any:
        """``UNWATCH``: forgets the watched keys (``True``); commands queue
        again."""
        if self._held is None:
            return True
        self.watching = False
        return _ok(self._held.execute(("UNWATCH",)))

    def multi(self) -> None:
        """Starts queueing the transaction after :meth:`watch`."""
        if self._multi:
            raise RedisError("MULTI is already in effect")
        if self._commands:
            raise RedisError("MULTI must come before the queued commands")
        self._multi = True
        self.watching = False

    def __len__(self) -> int:
        return len(self._commands)

    def __bool__(self) -> bool:
        """A pipeline is true even when empty, as redis-py's (``len`` counts
        its commands)."""
        return True

    def _batch(self) -> Tuple[List[Tuple[Tuple[Any, ...], Callback]], bool]:
        """Takes the queued commands; whether they form a transaction."""
        commands, self._commands = self._commands, []
        self._scripts = []
        return commands, self._transaction or self._multi

    def execute(self, raise_on_error: bool = True) -> List[Any]:
        """Sends the queued commands and returns their replies in order.
        With ``raise_on_error`` the first error reply is raised (naming the
        command); else each stays in its place as a
        :class:`~redwire.ResponseError`. Nothing queued: nothing sent."""
        try:
            for script in self._scripts:
                self._client.script_load(script.script)
            commands, transaction = self._batch()
            if not commands:
                return []
            replies = self._target().pipeline_execute([args for args, _ in commands], transaction)
        finally:
            self.reset()
        return _results(commands, replies, raise_on_error)

    def reset(self) -> None:
        """Discards the queued commands and gives back a held connection."""
        self._commands = []
        self._scripts = []
        self._multi = False
        self.watching = False
        held, self._held = self._held, None
        if held is not None:
            held.close()

    def __enter__(self) -> "Pipeline[_S]":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.reset()


def _results(
    commands: List[Tuple[Tuple[Any, ...], Callback]],
    outcome: Tuple[List[Any], bool],
    raise_on_error: bool,
) -> List[Any]:
    """A pipeline's replies (``outcome``: the replies, and whether one is
    an error), each through its command's callback; the first error raised
    (naming its command) with ``raise_on_error``. As in redis-py, an error
    reply about the connection (``NOAUTH``) is raised either way."""
    replies, failed = outcome
    if not failed:
        return [
            reply if callback is None else callback(reply)
            for (_, callback), reply in zip(commands, replies)
        ]
    for reply in replies:
        if isinstance(reply, ConnectionError):
            raise reply
    results: List[Any] = []
    for index, ((args, callback), reply) in enumerate(zip(commands, replies)):
        if isinstance(reply, RedisError):
            if raise_on_error:
                name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
                raise type(reply)(f"command {index + 1} ({name}) failed: {reply}")
            results.append(reply)
        else:
            results.append(reply if callback is None else callback(reply))
    return results


class Script:
    """A Lua script run with ``EVALSHA``; ``NOSCRIPT`` (after ``SCRIPT
    FLUSH`` or a restart) loads it again and retries once."""

    def __init__(self, client: Client[Any], script: Union[str, bytes]) -> None:
        self._client = client
        self.script = script
        source = script.encode() if isinstance(script, str) else script
        self.sha = hashlib.sha1(source).hexdigest()

    def _route(
        self, keys: Sequence[Key], args: Sequence[Value], client: Optional[Union[Client, "Pipeline"]]
    ) -> Tuple[Any, Tuple[Any, ...], bool]:
        """Where the script runs (``client``, else the registering client),
        its ``EVALSHA`` arguments, and whether it is queued in a pipeline
        (which loads it before it sends its commands)."""
        target = self._client if client is None else client
        call = (len(keys),) + tuple(keys) + tuple(args)
        if isinstance(target, Pipeline):
            target._scripts.append(self)
            return target, call, True
        return target, call, False

    def __call__(
        self,
        keys: Sequence[Key] = (),
        args: Sequence[Value] = (),
        client: Optional[Union[Client, Pipeline]] = None,
    ) -> Any:
        """Runs the script with ``keys`` and ``args`` on ``client`` (the
        registering client by default; in a pipeline it is queued)."""
        target, call, queued = self._route(keys, args, client)
        if queued:
            return target.evalsha(self.sha, *call)
        try:
            return target.evalsha(self.sha, *call)
        except NoScriptError:
            target.script_load(self.script)
            return target.evalsha(self.sha, *call)


class ConnectionPool:
    """redis-py's ``ConnectionPool``, as redwire has it: the options of the
    clients made with ``connection_pool=pool``, which share one native
    client (its shared connection and its pool of connections for blocking
    commands). ``max_connections`` bounds that pool."""

    def __init__(self, connection_class: Any = None, max_connections: Optional[int] = None, **connection_kwargs: Any):
        self.connection_kwargs = dict(connection_kwargs)
        if getattr(connection_class, "__name__", "") == "SSLConnection":
            self.connection_kwargs["ssl"] = True
        self.max_connections = max_connections
        # The native client, by whether it is asyncio's; made on first use.
        self._clients: Dict[bool, "_native.NativeClient"] = {}

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "ConnectionPool":
        base, query = split_url(url)
        return cls(url=base, **{**kwargs, **query})

    def _native_client(self, asyncio: bool) -> "_native.NativeClient":
        if asyncio not in self._clients:
            options = {"max_connections": self.max_connections, **self.connection_kwargs}
            if options.get("ssl_cert_reqs", "required") == "required":
                options.pop("ssl_cert_reqs", None)
            options = translate(options)
            chosen = {name: value for name, value in options.items() if value is not None}
            self._clients[asyncio] = _native.NativeClient(chosen, asyncio)
        return self._clients[asyncio]

    def disconnect(self, inuse_connections: bool = True) -> None:
        """Lets every connection go; the clients open new ones."""
        for native in self._clients.values():
            native.close()

    def close(self) -> None:
        self.disconnect()


class BlockingConnectionPool(ConnectionPool):
    """redis-py's ``BlockingConnectionPool``: a checkout waits up to
    ``timeout`` seconds for a connection (redwire's pools always wait,
    ``pool_timeout``)."""

    def __init__(
        self,
        max_connections: int = 50,
        timeout: Optional[float] = 20,
        connection_class: Any = None,
        queue_class: Any = None,
        **connection_kwargs: Any,
    ):
        # None: wait as long as it takes (a year is as long here).
        wait = 365 * 24 * 3600.0 if timeout is None else timeout
        super().__init__(connection_class, max_connections, pool_timeout=wait, **connection_kwargs)

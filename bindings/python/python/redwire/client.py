"""The synchronous client, its pipelines, scripts and pub/sub; the asyncio
client (:mod:`redwire.asyncio`) builds on them."""

import hashlib
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _native
from .commands import Callback, Commands, Key, Value
from .exceptions import ConfigError, NoScriptError, ResponseError

#: The options ``connect`` and :class:`Client` take.
OPTIONS = (
    "host",
    "port",
    "unix_socket_path",
    "db",
    "username",
    "password",
    "ssl",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_cert_reqs",
    "socket_timeout",
    "socket_connect_timeout",
    "client_name",
    "protocol",
    "max_connections",
    "pool_timeout",
    "sentinels",
    "service_name",
    "sentinel_role",
    "sentinel_username",
    "sentinel_password",
    "read_from_replicas",
    "decode_responses",
)


def _options(url: Optional[str], options: Dict[str, Any]) -> Dict[str, Any]:
    """The options to give the native client: the URL and those set."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError("unknown option " + ", ".join(unknown))
    chosen = {name: value for name, value in options.items() if value is not None}
    if url is not None:
        chosen["url"] = url
    return chosen


class Client(Commands):
    """A Redis client on a pool of connections, safe to share between
    threads: each request takes a pooled connection and gives it back; the
    GIL is released while it waits on the network.

    ``url`` is ``redis://[[user]:[password]@]host[:port][/db]``,
    ``rediss://`` (TLS), ``unix:///path/to.sock``,
    ``sentinel://[[user]:[password]@]master_name:role[/db]`` (with
    ``sentinels=[(host, port), ...]``; role ``m`` or ``s``) or
    ``redis+cluster://host:port,host:port`` (a cluster client); the
    keyword options override it. The pool holds ``max_connections``
    (default: ``REDIS_CLIENT_POOL_SIZE``, else 20). Replies are ``bytes``
    unless ``decode_responses=True``. An option that cannot be used raises
    :class:`~redwire.ConfigError` naming it.

    >>> import redwire
    >>> client = redwire.Client(host="127.0.0.1", port=6379, db=0)  # doctest: +SKIP
    >>> client.set("greeting", "hello")                             # doctest: +SKIP
    True
    """

    #: Whether requests are awaited (:mod:`redwire.asyncio`): they then run
    #: on redwire's runtime threads; else the calling thread drives them.
    _asyncio = False

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
        ssl_cert_reqs: Optional[str] = None,
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
    ) -> None:
        options = dict(locals())
        del options["self"], options["url"]
        if sentinels is not None:
            options["sentinels"] = [tuple(address) for address in sentinels]
        self._native = _native.NativeClient(_options(url, options), self._asyncio)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "Client":
        """A client for ``url``, as redis-py's ``from_url``."""
        _options(url, options)
        return cls(url=url, **options)

    def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> Any:
        reply = self._native.execute(args)
        return callback(reply) if callback is not None else reply

    def pipeline(self, transaction: Optional[bool] = None) -> "Pipeline":
        """A pipeline: commands queue until :meth:`Pipeline.execute` sends
        them in one round trip; with ``transaction`` between ``MULTI`` and
        ``EXEC``. The default, as in redis-py: a transaction, except on a
        cluster client (whose commands go to several nodes)."""
        if transaction is None:
            transaction = not self._native.is_cluster()
        return Pipeline(self, transaction)

    def register_script(self, script: str) -> "Script":
        """A callable running ``script`` by its SHA1 (``EVALSHA``), loading
        it again when the server answers ``NOSCRIPT``."""
        return Script(self, script)

    def pubsub(self) -> "PubSub":
        """A pub/sub object on a connection of its own."""
        return PubSub(self._native.pubsub())

    def pool_stats(self) -> Dict[str, int]:
        """The pool's counters (``idle``, ``in_use``, ``created``, ...)."""
        return self._native.pool_stats()

    def close(self) -> None:
        """Closes the pooled connections; later requests open new ones."""
        self._native.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def connect(url: Optional[str] = None, **options: Any) -> Client:
    """A :class:`Client` for ``url`` (default ``redis://127.0.0.1:6379/0``)
    and the keyword options; an unknown option raises
    :class:`~redwire.ConfigError`."""
    _options(url, options)
    return Client(url=url, **options)


class Pipeline(Commands):
    """Commands queued for one round trip. Each command method returns the
    pipeline (so calls chain); :meth:`execute` sends them and returns the
    replies in order. As a context manager it discards what was not sent."""

    def __init__(self, client: Client, transaction: bool) -> None:
        self._client = client
        self._transaction = transaction
        self._commands: List[Tuple[Tuple[Any, ...], Callback]] = []
        self._scripts: List["Script"] = []

    def _command(self, args: Tuple[Any, ...], callback: Callback = None) -> "Pipeline":
        self._commands.append((args, callback))
        return self

    def __len__(self) -> int:
        return len(self._commands)

    def execute(self, raise_on_error: bool = True) -> List[Any]:  # type: ignore[override]
        """Sends the queued commands and returns their replies in order.
        With ``raise_on_error`` the first error reply is raised (naming the
        command); else each stays in its place as a
        :class:`~redwire.ResponseError`."""
        commands, self._commands = self._commands, []
        for script in self._scripts:
            script._load()
        self._scripts = []
        replies = self._client._native.pipeline_execute(
            [args for args, _ in commands], self._transaction
        )
        return _results(commands, replies, raise_on_error)

    def reset(self) -> None:
        """Discards the queued commands."""
        self._commands = []
        self._scripts = []

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.reset()


def _results(
    commands: List[Tuple[Tuple[Any, ...], Callback]], replies: List[Any], raise_on_error: bool
) -> List[Any]:
    """A pipeline's replies, each through its command's callback; the first
    error raised (naming its command) with ``raise_on_error``."""
    results = []
    for index, ((args, callback), reply) in enumerate(zip(commands, replies)):
        if isinstance(reply, ResponseError):
            if raise_on_error:
                name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
                raise type(reply)(f"command {index + 1} ({name}) failed: {reply}")
            results.append(reply)
        else:
            results.append(callback(reply) if callback is not None else reply)
    return results


class Script:
    """A Lua script run with ``EVALSHA``; ``NOSCRIPT`` (after ``SCRIPT
    FLUSH`` or a restart) loads it again and retries once."""

    def __init__(self, client: Client, script: Union[str, bytes]) -> None:
        self._client = client
        self.script = script
        source = script.encode() if isinstance(script, str) else script
        self.sha = hashlib.sha1(source).hexdigest()

    def _load(self) -> None:
        self._client.script_load(self.script)

    def __call__(
        self,
        keys: Sequence[Key] = (),
        args: Sequence[Value] = (),
        client: Optional[Union[Client, Pipeline]] = None,
    ) -> Any:
        """Runs the script with ``keys`` and ``args`` on ``client`` (the
        registering client by default; in a pipeline it is queued)."""
        target = self._client if client is None else client
        call = (len(keys),) + tuple(keys) + tuple(args)
        if isinstance(target, Pipeline):
            target._scripts.append(self)
            return target.evalsha(self.sha, *call)
        try:
            return target.evalsha(self.sha, *call)
        except NoScriptError:
            self._load()
            return target.evalsha(self.sha, *call)


class PubSub:
    """Subscriptions on a connection of their own. Messages come as dicts
    ``{"type", "pattern", "channel", "data"}``, as in redis-py."""

    def __init__(self, native: "_native.NativePubSub") -> None:
        self._native = native
        # The first confirmation of each (un)subscribe, read with its reply.
        self._pending: List[Dict[str, Any]] = []

    @staticmethod
    def _message(reply: List[Any]) -> Dict[str, Any]:
        kind = reply[0].decode() if isinstance(reply[0], bytes) else reply[0]
        if kind == "pmessage":
            return {"type": kind, "pattern": reply[1], "channel": reply[2], "data": reply[3]}
        return {"type": kind, "pattern": None, "channel": reply[1], "data": reply[2]}

    def _send(self, *args: Key) -> None:
        self._pending.append(self._message(self._native.execute(args)))

    def subscribe(self, *channels: Key) -> None:
        """Subscribes to ``channels``; each confirmation is a message."""
        self._send("SUBSCRIBE", *channels)

    def psubscribe(self, *patterns: Key) -> None:
        """Subscribes to channels matching ``patterns``."""
        self._send("PSUBSCRIBE", *patterns)

    def unsubscribe(self, *channels: Key) -> None:
        """Unsubscribes from ``channels`` (all when none is given)."""
        self._send("UNSUBSCRIBE", *channels)

    def punsubscribe(self, *patterns: Key) -> None:
        """Unsubscribes from ``patterns`` (all when none is given)."""
        self._send("PUNSUBSCRIBE", *patterns)

    def get_message(
        self, timeout: Optional[float] = 0.0, ignore_subscribe_messages: bool = False
    ) -> Optional[Dict[str, Any]]:
        """The next message, or ``None`` when none arrives within ``timeout``
        seconds (``0``: do not wait; ``None``: wait for one)."""
        while True:
            if self._pending:
                message = self._pending.pop(0)
            else:
                reply = self._native.get_message(timeout)
                if reply is None:
                    return None
                message = self._message(reply)
            if ignore_subscribe_messages and message["type"] not in ("message", "pmessage"):
                continue
            return message

    def listen(self) -> Iterator[Dict[str, Any]]:
        """Every message, waiting for each."""
        while True:
            message = self.get_message(timeout=None)
            if message is not None:
                yield message

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return self.listen()

    def close(self) -> None:
        self._native.close()

    def __enter__(self) -> "PubSub":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

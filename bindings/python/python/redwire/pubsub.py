"""Pub/sub as redis-py has it: :class:`PubSub` (subscriptions on a
connection of their own, messages read as dicts, handlers, health checks)
and :class:`PubSubWorkerThread` (:meth:`PubSub.run_in_thread`). The
asyncio twin (:class:`redwire.asyncio.PubSub`) shares what is not I/O."""

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from .exceptions import ConnectionError, DataError, PubSubError, ResponseError

if TYPE_CHECKING:
    from . import _native

#: What a handler gets: the message dict. Its return value is not used.
Handler = Callable[[Dict[str, Any]], Any]
Message = Dict[str, Any]

#: Each family of subscriptions: the attribute holding it (name → handler),
#: its (un)subscribe commands, and how :meth:`PubSub.run_in_thread` names
#: one without a handler.
_FAMILIES = {
    "channels": ("SUBSCRIBE", "UNSUBSCRIBE", "Channel"),
    "patterns": ("PSUBSCRIBE", "PUNSUBSCRIBE", "Pattern"),
    "shard_channels": ("SSUBSCRIBE", "SUNSUBSCRIBE", "Shard Channel"),
}
#: The confirmation kinds; their data counts the subscriptions left.
_CONFIRMATIONS = ("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe")
#: Which family an unsubscribe confirmation ends a subscription of.
_ENDS = {"unsubscribe": "channels", "punsubscribe": "patterns", "sunsubscribe": "shard_channels"}
#: Published messages, and the family whose handler each goes to (by
#: pattern for ``pmessage``).
_PUBLISHED = {"message": "channels", "pmessage": "patterns", "smessage": "shard_channels"}


_LOG = logging.getLogger("redwire.pubsub")


def _lost(error: ConnectionError) -> None:
    """Says that a read lost its connection and subscribes again: what was
    published meanwhile (or left in the server's output buffer when it
    dropped a reader too slow for it) is gone, and this is where a program
    hears of it (redis-py says nothing)."""
    _LOG.warning("pub/sub connection lost (%s): subscribing again; messages published meanwhile are lost", error)


def _deadline(timeout: Optional[float], now: float) -> Optional[float]:
    """When a wait of ``timeout`` seconds from ``now`` ends: ``None`` for no
    end (``None`` or infinity); a timeout that is no number is refused."""
    if timeout is None or timeout == float("inf"):
        return None
    if timeout != timeout:
        raise DataError("timeout must be a number of seconds or None, got nan")
    return now + timeout


class PubSub:
    """Subscriptions on a connection of their own, as redis-py's: the
    (un)subscribe methods send and return; their confirmations and the
    messages come from :meth:`get_message` (or iteration) as dicts
    ``{"type", "pattern", "channel", "data"}``. A channel or pattern
    subscribed with a handler (``subscribe(news=handler)``, or a redis-py
    ``Subscription``) has its messages given to the handler instead:
    :meth:`get_message` calls it and goes on waiting. One thread may listen
    while another subscribes. If the connection fails, the read connects
    again and subscribes again to every channel, pattern and shard channel
    (messages published meanwhile are lost, as pub/sub has no memory); when
    that fails too it raises :class:`~redwire.ConnectionError`.

    With the client's ``health_check_interval`` (seconds), a reader that
    has waited that long sends a ``PING`` (whose pong it leaves out), as
    redis-py's does, so that an idle link carries traffic."""

    #: The message of the health check's ``PING`` (redis-py's).
    HEALTH_CHECK_MESSAGE = "redis-py-health-check"

    def __init__(
        self,
        native: "_native.NativePubSub",
        ignore_subscribe_messages: bool = False,
        decode: bool = False,
        health_check_interval: float = 0,
    ) -> None:
        self._native = native
        #: Whether :meth:`get_message` leaves confirmations out.
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self._decode = decode
        #: Subscribed channels, patterns and shard channels, each with its
        #: handler or ``None`` (names as replies have them: ``bytes``, or
        #: ``str`` when decoding).
        self.channels: Dict[Any, Optional[Handler]] = {}
        self.patterns: Dict[Any, Optional[Handler]] = {}
        self.shard_channels: Dict[Any, Optional[Handler]] = {}
        # Names whose unsubscribe was sent and not yet confirmed, by family.
        self._leaving: Dict[str, Set[Any]] = {family: set() for family in _FAMILIES}
        # The count of subscriptions in the last confirmation read.
        self._confirmed = 0
        self._health_check_interval = health_check_interval
        self._next_health_check = time.monotonic() + health_check_interval
        # Health-check pongs due.
        self._health_checks = 0

    @property
    def subscribed(self) -> bool:
        """Whether a subscription is asked for, or confirmations still say
        one is in effect (as redis-py's: an unsubscribe counts once its
        confirmations are read)."""
        return self._native.subscribed() or self._confirmed > 0

    def _name(self, name: Any) -> Any:
        """``name`` as replies have it: ``bytes``, or ``str`` when decoding."""
        if isinstance(name, memoryview):
            name = name.tobytes()
        if self._decode:
            return name.decode() if isinstance(name, bytes) else name
        return name.encode() if isinstance(name, str) else name

    def _subscriptions(self, args: Tuple[Any, ...], kwargs: Dict[str, Handler]) -> Dict[Any, Optional[Handler]]:
        """The names (a first argument may be a list of them, as in
        redis-py; an object with ``name`` and ``handler``, such as redis-py's
        ``Subscription``, brings its handler) and handlers of a subscribe."""
        subscriptions: Dict[Any, Optional[Handler]] = {}
        for arg in _flattened(args):
            if hasattr(arg, "name") and hasattr(arg, "handler"):
                subscriptions[arg.name] = arg.handler
            else:
                subscriptions[arg] = None
        subscriptions.update(kwargs)
        return subscriptions

    def _subscribe(self, family: str, args: Tuple[Any, ...], kwargs: Dict[str, Handler]) -> Tuple[Any, ...]:
        """Notes a subscribe of ``family`` and gives its command."""
        subscriptions = self._subscriptions(args, kwargs)
        named = {self._name(name): handler for name, handler in subscriptions.items()}
        getattr(self, family).update(named)
        self._leaving[family].difference_update(named)
        return (_FAMILIES[family][0], *subscriptions)

    def _unsubscribe(self, family: str, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
        """Notes an unsubscribe of ``family`` (none named: all of it) and
        gives its command."""
        names = _flattened(args)
        leaving = [self._name(name) for name in names] if names else list(getattr(self, family))
        self._leaving[family].update(leaving)
        return (_FAMILIES[family][1], *names)

    def _handle(self, reply: Any, ignore_subscribe_messages: bool) -> Tuple[Optional[Message], Optional[Handler]]:
        """A frame read: its message (``None``: none for the reader) and
        the handler to call with it instead of giving it (``None``: none)."""
        if isinstance(reply, ResponseError):
            raise reply
        if isinstance(reply, (bytes, str)):
            # A pong while nothing is subscribed: PONG, or the PING's message.
            reply = ["pong", reply[:0] if reply in (b"PONG", "PONG") else reply]
        kind = reply[0].decode() if isinstance(reply[0], bytes) else reply[0]
        if kind == "pong":
            if self._health_checks and self._name(reply[1]) == self._name(self.HEALTH_CHECK_MESSAGE):
                self._health_checks -= 1
                return None, None
            return {"type": kind, "pattern": None, "channel": None, "data": reply[1]}, None
        message: Message
        if kind == "pmessage":
            message = {"type": kind, "pattern": reply[1], "channel": reply[2], "data": reply[3]}
        else:
            message = {"type": kind, "pattern": None, "channel": reply[1], "data": reply[2]}
        if kind in _CONFIRMATIONS:
            self._confirmed = reply[2]
            family = _ENDS.get(kind)
            if family is not None and reply[1] in self._leaving[family]:
                self._leaving[family].discard(reply[1])
                getattr(self, family).pop(reply[1], None)
            ignored = ignore_subscribe_messages or self.ignore_subscribe_messages
            return (None if ignored else message), None
        family = _PUBLISHED.get(kind)
        handler = None
        if family is not None:
            handler = getattr(self, family).get(message["pattern"] if kind == "pmessage" else message["channel"])
        return message, handler

    def _health_check_due(self, now: float) -> bool:
        """Whether a health check is due (and counted as sent)."""
        if not self._health_check_interval or now < self._next_health_check or not self.subscribed:
            return False
        self._next_health_check = now + self._health_check_interval
        self._health_checks += 1
        return True

    def _wait(self, deadline: Optional[float], now: float) -> Tuple[Optional[float], bool]:
        """How long a read may wait (until ``deadline``, and no longer than
        the next health check while subscribed), and whether the health
        check cut it short (then a read that got nothing reads again)."""
        left = None if deadline is None else max(0.0, deadline - now)
        if not self._health_check_interval or not self.subscribed:
            return left, False
        until_check = max(0.0, self._next_health_check - now)
        if left is not None and left <= until_check:
            return left, False
        return until_check, True

    def _handlers_missing(self) -> None:
        """Raises :class:`~redwire.PubSubError` naming a subscription
        without a handler (a worker would drop its messages)."""
        for family, (_, _, what) in _FAMILIES.items():
            for name, handler in getattr(self, family).items():
                if handler is None:
                    raise PubSubError(f"{what}: '{name}' has no handler registered")

    def _send(self, *args: Any) -> None:
        self._native.execute(args)

    def subscribe(self, *args: Any, **kwargs: Handler) -> None:
        """Subscribes to channels (``name=handler`` with a handler); each
        confirmation is a message."""
        self._send(*self._subscribe("channels", args, kwargs))

    def psubscribe(self, *args: Any, **kwargs: Handler) -> None:
        """Subscribes to channels matching patterns."""
        self._send(*self._subscribe("patterns", args, kwargs))

    def ssubscribe(self, *args: Any, target_node: Any = None, **kwargs: Handler) -> None:
        """Subscribes to shard channels (``SSUBSCRIBE``, Redis 7);
        ``target_node`` is accepted, not used."""
        self._send(*self._subscribe("shard_channels", args, kwargs))

    def unsubscribe(self, *args: Any) -> None:
        """Unsubscribes from channels (all when none is given)."""
        self._send(*self._unsubscribe("channels", args))

    def punsubscribe(self, *args: Any) -> None:
        """Unsubscribes from patterns (all when none is given)."""
        self._send(*self._unsubscribe("patterns", args))

    def sunsubscribe(self, *args: Any, target_node: Any = None) -> None:
        """Unsubscribes from shard channels (all when none is given)."""
        self._send(*self._unsubscribe("shard_channels", args))

    def ping(self, message: Optional[str] = None) -> None:
        """Sends ``PING`` on the subscriptions' connection; its pong comes
        as a message ``{"type": "pong", "data": message}``."""
        self._send("PING", *(() if message is None else (message,)))

    def get_message(self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0) -> Optional[Message]:
        """The next message, or ``None`` when none arrives within ``timeout``
        seconds (``0``: do not wait; ``None`` or infinity: wait for one);
        confirmations left out with ``ignore_subscribe_messages`` (here or
        given to ``pubsub()``). A message with a handler goes to it."""
        deadline = _deadline(timeout, time.monotonic())
        reconnected = False
        while True:
            now = time.monotonic()
            if self._health_check_due(now):
                self._send("PING", self.HEALTH_CHECK_MESSAGE)
            wait, health_check = self._wait(deadline, now)
            try:
                reply = self._native.get_message(wait)
            except ConnectionError as e:
                # Lost: the next read connects and subscribes again (as
                # redis-py's does); a second loss in a row is raised, and
                # so is one after a close.
                if reconnected or not self.subscribed:
                    raise
                _lost(e)
                reconnected = True
                continue
            if reply is None:
                # Read again after a health check, unless closed meanwhile.
                if health_check and self.subscribed:
                    continue
                return None
            message, handler = self._handle(reply, ignore_subscribe_messages)
            if message is not None and handler is not None:
                handler(message)
            elif message is not None:
                return message

    def get_sharded_message(
        self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0
    ) -> Optional[Message]:
        """:meth:`get_message` (shard channels' messages come the same way)."""
        return self.get_message(ignore_subscribe_messages, timeout)

    def listen(self) -> Iterator[Message]:
        """Every message, waiting for each, while subscribed."""
        while self.subscribed:
            message = self.get_message(timeout=None)
            if message is not None:
                yield message

    def __iter__(self) -> Iterator[Message]:
        return self.listen()

    def run_in_thread(
        self,
        sleep_time: float = 0.0,
        daemon: bool = False,
        exception_handler: Optional[Callable[..., Any]] = None,
        pubsub: Optional["PubSub"] = None,
        sharded_pubsub: bool = False,
    ) -> "PubSubWorkerThread":
        """A started thread giving every message to its handler (each
        subscription needs one, else :class:`~redwire.PubSubError`), waiting
        up to ``sleep_time`` seconds per read, until
        :meth:`PubSubWorkerThread.stop`; it closes the pub/sub when it ends.
        An exception goes to ``exception_handler(error, pubsub, thread)``
        if given, else ends the thread."""
        self._handlers_missing()
        worker = PubSubWorkerThread(self if pubsub is None else pubsub, sleep_time, daemon, exception_handler)
        worker.start()
        return worker

    def close(self) -> None:
        """Closes the connection and forgets the subscriptions; never
        waits. A read waiting in another thread returns ``None``."""
        self._native.close()
        self._forget()

    def _forget(self) -> None:
        self._confirmed = 0
        self._health_checks = 0
        for family in _FAMILIES:
            getattr(self, family).clear()
            self._leaving[family].clear()

    def reset(self) -> None:
        """The same as :meth:`close` (as redis-py's)."""
        self.close()

    def __enter__(self) -> "PubSub":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _flattened(args: Tuple[Any, ...]) -> List[Any]:
    """Names given as redis-py takes them: ``*names``, or a first argument
    that is a list (or other iterable that is no string) of names."""
    if not args:
        return []
    first, rest = args[0], list(args[1:])
    if isinstance(first, (bytes, str, bytearray, memoryview)) or not isinstance(first, Iterable):
        return [first, *rest]
    return [*first, *rest]


class PubSubWorkerThread(threading.Thread):
    """A thread reading a :class:`PubSub`'s messages for their handlers
    (:meth:`PubSub.run_in_thread`), as redis-py's."""

    def __init__(
        self,
        pubsub: PubSub,
        sleep_time: float,
        daemon: bool = False,
        exception_handler: Optional[Callable[..., Any]] = None,
        sharded_pubsub: bool = False,
    ) -> None:
        super().__init__(daemon=daemon)
        self.pubsub = pubsub
        self.sleep_time = sleep_time
        self.exception_handler = exception_handler
        self._running = threading.Event()
        self._running.set()

    def run(self) -> None:
        while self._running.is_set():
            try:
                self.pubsub.get_message(ignore_subscribe_messages=True, timeout=self.sleep_time)
            except BaseException as error:
                if self.exception_handler is None:
                    raise
                self.exception_handler(error, self.pubsub, self)
        self.pubsub.close()

    def stop(self, timeout: Optional[float] = None) -> None:
        """Ends the thread after its current read (it closes the pub/sub)
        and waits for it (up to ``timeout`` seconds), except from the
        thread itself (an exception handler)."""
        self._running.clear()
        if threading.current_thread() is not self and self.is_alive():
            self.join(timeout)

"""Pub/sub beside redis-py's on one server: the same calls give the same
messages, handlers get the same dicts, ``run_in_thread`` (and the asyncio
``run``) serve handlers, ``ping`` and shard channels read as redis-py's,
and health checks ping an idle subscription without showing their pongs."""

import asyncio
import threading
import time
from typing import Any, Callable, Dict, List

import pytest
import redis
import redis.asyncio

import redwire
import redwire.asyncio


def _clients(server: Dict[str, Any], decode: bool, **options: Any) -> List[Any]:
    return [
        module.Redis(host=server["host"], port=server["port"], decode_responses=decode, **options)
        for module in (redis, redwire)
    ]


def _messages(pubsub: Any, count: int) -> List[Any]:
    """The next ``count`` messages ``get_message`` gives (each call waiting
    up to a second; redis-py gives ``None`` for a frame it does not show,
    redwire waits on for the next: ``None`` is passed over, ten at most)."""
    messages: List[Any] = []
    for _ in range(10 + count):
        if len(messages) == count:
            break
        message = pubsub.get_message(timeout=1)
        if message is not None:
            messages.append(message)
    return messages


def _session(client: Any, tag: str) -> List[Any]:
    """One program's use of pub/sub; what it saw, in order."""
    seen: List[Any] = []
    handled: List[Any] = []
    publisher = client
    p = client.pubsub()
    p.subscribe([f"{tag}:a", f"{tag}:b"])
    p.psubscribe(**{f"{tag}:h*": handled.append})
    seen += _messages(p, 3)
    publisher.publish(f"{tag}:a", "one")
    publisher.publish(f"{tag}:hx", "two")  # to the handler, not to get_message
    publisher.publish(f"{tag}:b", "three")
    seen += _messages(p, 2)
    p.ping()
    p.ping("hello")
    seen += _messages(p, 2)
    seen.append(sorted(p.channels.items()))
    p.unsubscribe(f"{tag}:a")
    seen += _messages(p, 1)
    seen.append(sorted(p.channels.items()))
    p.ssubscribe(f"{tag}:s")
    seen += _messages(p, 1)
    publisher.spublish(f"{tag}:s", "sharded")
    seen.append(p.get_sharded_message(timeout=1))
    p.sunsubscribe()
    seen += _messages(p, 1)
    seen.append(sorted(p.shard_channels.items()))
    seen.append(p.subscribed)
    seen.append(handled)
    p.close()
    return seen


@pytest.mark.parametrize("decode", [False, True])
def test_the_same_pubsub_program_sees_the_same_messages(server: Dict[str, Any], decode: bool) -> None:
    theirs, ours = _clients(server, decode)
    expected = _session(theirs, "ps")
    got = _session(ours, "ps")
    assert got == expected
    assert len(got[-1]) == 1, "the handler got the pattern's message"
    theirs.close()
    ours.close()


def test_a_pong_before_any_subscription_is_given_at_once(server: Dict[str, Any]) -> None:
    """A difference listed in COMPATIBILITY.md: redis-py gives ``None``
    until something is subscribed, and the pong after that."""
    client = redwire.Redis(host=server["host"], port=server["port"])
    p = client.pubsub()
    p.ping("early")
    assert p.get_message(timeout=1) == {"type": "pong", "pattern": None, "channel": None, "data": b"early"}
    p.ping()
    assert p.get_message(timeout=1) == {"type": "pong", "pattern": None, "channel": None, "data": b""}
    p.close()
    client.close()


def test_run_in_thread_serves_handlers_until_stopped(server: Dict[str, Any]) -> None:
    for client in _clients(server, decode=True):
        got: List[Any] = []
        arrived = threading.Event()

        def handler(message: Dict[str, Any]) -> None:
            got.append(message["data"])
            if len(got) == 3:
                arrived.set()

        p = client.pubsub()
        p.subscribe(**{"rit:news": handler})
        p.subscribe("rit:plain")
        with pytest.raises(Exception) as missing:
            p.run_in_thread(sleep_time=0.05)
        assert type(missing.value).__name__ == "PubSubError"
        assert "'rit:plain' has no handler registered" in str(missing.value)
        p.unsubscribe("rit:plain")
        while p.get_message(timeout=0.5) is not None:
            pass
        worker = p.run_in_thread(sleep_time=0.05, daemon=True)
        for data in ("1", "2", "3"):
            client.publish("rit:news", data)
        assert arrived.wait(5), f"{type(client)}: {got}"
        worker.stop(timeout=5)
        assert not worker.is_alive()
        assert got == ["1", "2", "3"]
        client.close()


def test_an_exception_in_a_worker_goes_to_its_handler(server: Dict[str, Any]) -> None:
    client = redwire.Redis(host=server["host"], port=server["port"])
    errors: List[Any] = []

    def handler(message: Dict[str, Any]) -> None:
        raise ValueError(message["data"])

    def on_error(error: BaseException, pubsub: Any, thread: Any) -> None:
        errors.append(error)
        thread.stop()

    p = client.pubsub()
    p.subscribe(**{"rit:bad": handler})
    assert p.get_message(timeout=1)["type"] == "subscribe"
    worker = p.run_in_thread(sleep_time=0.05, exception_handler=on_error)
    client.publish("rit:bad", "boom")
    worker.join(5)
    assert not worker.is_alive()
    assert [str(e) for e in errors] == ["b'boom'"]
    client.close()


def _pings(client: Any) -> int:
    stats = client.info("commandstats").get("cmdstat_ping", {})
    return int(stats.get("calls", 0))


@pytest.mark.parametrize("decode", [False, True])
def test_health_checks_ping_an_idle_subscription_and_hide_their_pongs(server: Dict[str, Any], decode: bool) -> None:
    _, ours = _clients(server, decode, health_check_interval=0.2)
    watcher = redwire.Redis(host=server["host"], port=server["port"], decode_responses=True)
    p = ours.pubsub(ignore_subscribe_messages=True)
    p.subscribe("hc:quiet")
    before = _pings(watcher)
    # Waits 1.1 s for a message that never comes: about five health checks.
    assert p.get_message(timeout=1.1) is None
    sent = _pings(watcher) - before
    assert 3 <= sent <= 7, sent
    # Their pongs never reach the reader; a message still does.
    ours.publish("hc:quiet", "now")
    assert p.get_message(timeout=1)["data"] == ("now" if decode else b"now")
    assert p.get_message(timeout=0.5) is None
    # A user's own ping is seen.
    p.ping("mine")
    assert p.get_message(timeout=1)["data"] == ("mine" if decode else b"mine")
    p.close()
    ours.close()
    watcher.close()


def test_a_reader_waiting_for_ever_returns_on_close_with_health_checks(server: Dict[str, Any]) -> None:
    client = redwire.Redis(host=server["host"], port=server["port"], health_check_interval=0.1)
    p = client.pubsub(ignore_subscribe_messages=True)
    p.subscribe("hc:closing")
    results: List[Any] = []
    reader = threading.Thread(target=lambda: results.append(p.get_message(timeout=None)))
    reader.start()
    time.sleep(0.4)
    p.close()
    reader.join(5)
    assert not reader.is_alive() and results == [None]
    client.close()


def test_asyncio_handlers_run_and_ping(server: Dict[str, Any]) -> None:
    async def program(module: Any) -> List[Any]:
        client = module.Redis(host=server["host"], port=server["port"], decode_responses=True)
        got: List[Any] = []
        done = asyncio.Event()

        async def coroutine_handler(message: Dict[str, Any]) -> None:
            got.append(("async", message["channel"], message["data"]))
            done.set()

        p = client.pubsub()
        await p.subscribe(**{"ah:c": coroutine_handler})
        await p.psubscribe(**{"ah:p*": lambda m: got.append(("plain", m["pattern"], m["data"]))})
        await p.ping("hi")
        while True:
            message = await p.get_message(timeout=1)
            if message is None or message["type"] == "pong":
                got.append(message)
                break
        task = asyncio.ensure_future(p.run(poll_timeout=0.1))
        await client.publish("ah:px", "one")
        await client.publish("ah:c", "two")
        await asyncio.wait_for(done.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await p.aclose()
        await client.aclose()
        return got

    expected = asyncio.run(program(redis.asyncio))
    got = asyncio.run(program(redwire.asyncio))
    assert got == expected
    assert got[-1] == ("async", "ah:c", "two")


def test_the_pubsub_methods_have_redis_py_s_signatures() -> None:
    import inspect

    def signature(cls: Any, name: str) -> List[Any]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(getattr(cls, name)).parameters.values()]

    names = (
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
        "get_message", "get_sharded_message", "ping", "run_in_thread", "close", "reset",
    )
    for name in names:
        assert signature(redwire.PubSub, name) == signature(redis.client.PubSub, name), name
    for name in names[:-3] + ("run", "aclose"):
        assert signature(redwire.asyncio.PubSub, name) == signature(redis.asyncio.client.PubSub, name), name

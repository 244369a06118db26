"""Faults a real server never makes on its own, through the testkit's
fault proxy (``redwire-testkit proxy``): a server gone silent with its
socket open is noticed within the peer timeout, by sync and asyncio
clients, and left behind."""

import asyncio
import json
import logging
import subprocess
import threading
import time
from typing import Any, Dict, Iterator

import pytest

import redwire
import redwire.asyncio

from conftest import TESTKIT


class Proxy:
    """A ``redwire-testkit proxy`` process; commands go on its stdin."""

    def __init__(self, host: str, port: int) -> None:
        self.process = subprocess.Popen(
            [TESTKIT, "proxy", f"{host}:{port}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(json.loads(self.process.stdout.readline())["port"])

    def command(self, line: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def proxy(server: Dict[str, Any]) -> Iterator[Proxy]:
    proxy = Proxy(server["host"], server["port"])
    try:
        yield proxy
    finally:
        proxy.stop()


def test_a_silent_server_is_noticed_within_the_peer_timeout(proxy: Proxy) -> None:
    client = redwire.Redis(port=proxy.port, peer_timeout=0.3)
    client.set("faults:k", "v")
    proxy.command("stall 3000")
    started = time.monotonic()
    with pytest.raises(redwire.exceptions.TimeoutError):
        client.get("faults:k")
    assert 0.25 < time.monotonic() - started < 2
    proxy.command("clear")
    assert client.get("faults:k") == b"v"
    client.close()


def test_asyncio_tasks_on_a_silent_server_each_hear_the_timeout(proxy: Proxy) -> None:
    async def main() -> None:
        client = redwire.asyncio.Redis(port=proxy.port, peer_timeout=0.3)
        await client.set("faults:k", "v")
        proxy.command("stall 3000")
        started = time.monotonic()
        results = await asyncio.gather(*(client.get("faults:k") for _ in range(50)), return_exceptions=True)
        assert 0.25 < time.monotonic() - started < 2
        assert all(isinstance(r, redwire.exceptions.TimeoutError) for r in results), results[:3]
        proxy.command("clear")
        assert await client.get("faults:k") == b"v"
        await client.aclose()

    asyncio.run(main())


def test_drill_1_requests_cancelled_on_a_slow_link_never_get_another_callers_reply(proxy: Proxy) -> None:
    """Through 5 ms each way, asyncio tasks cancelled at random points and
    sync calls timed out: every reply that arrives is its own caller's."""
    proxy.command("latency 5 60000")
    outcome = {"answered": 0, "cancelled": 0}

    async def main() -> None:
        client = redwire.asyncio.Redis(port=proxy.port)

        async def one(n: int) -> None:
            try:
                reply = await asyncio.wait_for(client.echo(f"request {n}"), timeout=(n * 7919 % 16) / 1000)
            except asyncio.TimeoutError:
                outcome["cancelled"] += 1
            else:
                assert reply == f"request {n}".encode()
                outcome["answered"] += 1

        for start in range(0, 3000, 100):
            await asyncio.gather(*(one(n) for n in range(start, start + 100)))
        assert await client.echo("last") == b"last"
        await client.aclose()

    asyncio.run(main())
    assert outcome["cancelled"] > 300 and outcome["answered"] > 300, outcome
    sync = redwire.Redis(port=proxy.port, socket_timeout=0.008)
    timed_out = 0
    for n in range(300):
        try:
            assert sync.echo(f"sync {n}") == f"sync {n}".encode()
        except redwire.exceptions.TimeoutError:
            timed_out += 1
    assert timed_out > 0
    # The link fast again: no late reply reaches a later call.
    proxy.command("clear")
    for n in range(100):
        assert sync.echo(f"after {n}") == f"after {n}".encode()
    sync.close()
    print(
        f"drill 1 (Python): 3000 asyncio tasks through 5 ms each way: {outcome['cancelled']} cancelled, "
        f"{outcome['answered']} answered, 0 wrong; 300 sync calls with an 8 ms timeout: "
        f"{timed_out} timed out, the rest and 100 calls after them right"
    )


def test_drill_3_a_write_that_timed_out_is_reported_and_never_sent_twice(server: Dict[str, Any]) -> None:
    """``DEBUG SLEEP`` past the socket timeout while ``INCR``s are sent, with
    redis-py's ``retry_on_timeout=True``: each timed-out write raises
    ``TimeoutError`` and is not sent again (it may have been applied: only
    the caller knows whether twice is harmless); the counter is the number
    of writes made."""
    sleeper = redwire.Redis(host=server["host"], port=server["port"])
    key = "faults:drill3"
    sleeper.delete(key)
    outcome = {"succeeded": 0, "timed_out": 0}

    def count(results: Any) -> None:
        for result in results:
            if isinstance(result, redwire.exceptions.TimeoutError):
                outcome["timed_out"] += 1
            else:
                assert isinstance(result, int), result
                outcome["succeeded"] += 1

    async def main() -> None:
        client = redwire.asyncio.Redis(
            host=server["host"], port=server["port"], socket_timeout=0.2, retry_on_timeout=True
        )
        for _ in range(5):
            sleep = asyncio.get_running_loop().run_in_executor(None, sleeper.execute_command, "DEBUG", "SLEEP", "0.5")
            await asyncio.sleep(0.05)
            count(await asyncio.gather(*(client.incr(key) for _ in range(20)), return_exceptions=True))
            await sleep
            count([await client.incr(key)])
        await client.aclose()

    asyncio.run(main())
    sync = redwire.Redis(host=server["host"], port=server["port"], socket_timeout=0.2, retry_on_timeout=True)
    for _ in range(3):
        sleep = threading.Thread(target=sleeper.execute_command, args=("DEBUG", "SLEEP", "0.5"))
        sleep.start()
        time.sleep(0.05)
        try:
            count([sync.incr(key)])
        except redwire.exceptions.TimeoutError as e:
            count([e])
        sleep.join()
    assert outcome["timed_out"] >= 100, outcome
    counter = int(sleeper.get(key) or 0)
    assert counter == outcome["succeeded"] + outcome["timed_out"], (counter, outcome)
    print(
        f"drill 3 (Python): {outcome['timed_out']} writes timed out during DEBUG SLEEP past the socket timeout "
        f"(asyncio and sync, retry_on_timeout=True), {outcome['succeeded']} succeeded; counter {counter} = every "
        "write once, none sent again"
    )
    sync.close()
    sleeper.close()


def test_drill_5_a_reply_cut_at_any_byte_is_a_connection_error_and_the_next_pipeline_succeeds(proxy: Proxy) -> None:
    client = redwire.Redis(port=proxy.port, socket_timeout=5)
    text = "a longer bulk reply, to cut in the middle of"

    def run() -> Any:
        pipe = client.pipeline(transaction=False)
        pipe.set("faults:cut", "hello").get("faults:cut").echo(text).client_id()
        return pipe.execute()

    last_id = run()[3]
    # "+OK\r\n$5\r\nhello\r\n$44\r\n…\r\n", then the connection's id.
    length = 5 + 11 + 5 + len(text) + 2
    started = time.monotonic()
    for offset in range(length):
        proxy.command(f"cut {offset}")
        with pytest.raises(redwire.exceptions.ConnectionError):
            run()
        replies = run()
        assert replies[:3] == [True, b"hello", text.encode()]
        # On a new connection: the cut one was not used again.
        assert replies[3] != last_id, offset
        last_id = replies[3]
    assert time.monotonic() - started < 30
    print(
        f"drill 5 (Python): a 4-command pipeline's replies cut at each of {length} byte offsets: {length} "
        "ConnectionErrors, no hang, the next pipeline answered on a new connection each time"
    )
    client.close()


def _resident_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_drill_4_a_subscriber_that_does_not_read_stays_bounded_and_hears_its_loss(
    server: Dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A million messages of 100 bytes published to a ``PubSub`` nobody
    reads: the binding holds at most its backlog and stops reading, the
    server drops the subscriber once its output buffer passes its limit,
    and the next read says so (a warning on ``redwire.pubsub``), subscribes
    again and reads on."""
    publisher = redwire.Redis(host=server["host"], port=server["port"])
    subscriber = redwire.Redis(host=server["host"], port=server["port"])
    p = subscriber.pubsub(ignore_subscribe_messages=True)
    p.subscribe("faults:flood")
    assert p.get_message(timeout=1) is None
    before = _resident_kb()
    started = time.monotonic()
    payload = "m" * 100
    for _ in range(100):
        pipe = publisher.pipeline(transaction=False)
        for _ in range(10_000):
            pipe.publish("faults:flood", payload)
        pipe.execute()
    grown = _resident_kb() - before
    received = 0
    with caplog.at_level(logging.WARNING, logger="redwire.pubsub"):
        while p.get_message(timeout=0.5) is not None:
            received += 1
        publisher.publish("faults:flood", "after")
        message = p.get_message(timeout=5)
    assert message is not None and message["data"] == b"after"
    lost = [r for r in caplog.records if "connection lost" in r.getMessage()]
    assert received < 1_000_000 and len(lost) == 1, (received, caplog.records)
    assert grown < 50_000, f"grew {grown} kB"
    print(
        f"drill 4 (Python): 1000000 messages of 100 bytes published to a PubSub nobody read "
        f"({time.monotonic() - started:.1f} s): {received} read after, the loss said once (a warning), "
        f"subscribed again and read on; resident memory grew {grown} kB"
    )
    p.close()
    publisher.close()
    subscriber.close()

"""Faults a real server never makes on its own, through the testkit's
fault proxy (``redwire-testkit proxy``): a server gone silent with its
socket open is noticed within the peer timeout, by sync and asyncio
clients, and left behind."""

import asyncio
import json
import subprocess
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

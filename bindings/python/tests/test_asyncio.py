"""The asyncio client: concurrency, cancellation and timeouts on a real server."""

import asyncio

import pytest

import redwire
import redwire.asyncio


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_same_api_awaited(server: dict) -> None:
    async def main() -> None:
        async with redwire.asyncio.Client(host=server["host"], port=server["port"], db=10) as client:
            await client.flushdb()
            assert await client.set("a:k", "v", ex=60) is True
            assert await client.get("a:k") == b"v"
            assert await client.hset("a:h", mapping={"f": 1}) == 1
            assert await client.hgetall("a:h") == {b"f": b"1"}
            assert await client.execute("INCRBY", "a:n", 5) == 5
            with pytest.raises(redwire.ResponseError, match="WRONGTYPE"):
                await client.hget("a:k", "f")
            async with client.pipeline(transaction=False) as pipe:
                pipe.incr("a:n").get("a:n").hget("a:k", "f")
                results = await pipe.execute(raise_on_error=False)
            assert results[:2] == [6, b"6"]
            assert isinstance(results[2], redwire.ResponseError)
            assert await client.pipeline().set("a:t", 1).incr("a:t").execute() == [True, 2]
            script = client.register_script("return redis.call('INCR', KEYS[1])")
            assert await script(keys=["a:s"]) == 1
            await client.script_flush()
            assert await script(keys=["a:s"]) == 2
            pubsub = client.pubsub()
            await pubsub.subscribe("a:news")
            assert (await pubsub.get_message(timeout=1))["type"] == "subscribe"
            await client.publish("a:news", "hi")
            assert (await pubsub.get_message(timeout=1))["data"] == b"hi"
            assert await pubsub.get_message(timeout=0.05) is None
            await pubsub.aclose()
        with pytest.raises(redwire.ConfigError, match="unknown option"):
            redwire.asyncio.connect("redis://127.0.0.1:6379", bogus=1)

    run(main())


def test_two_hundred_tasks_never_cross_replies(server: dict) -> None:
    async def main() -> None:
        client = redwire.asyncio.connect(f"redis://{server['host']}:{server['port']}/10")

        async def task(n: int) -> int:
            for i in range(500):
                value = f"{n}:{i}"
                got = await (client.echo(value) if i % 2 else client.execute("ECHO", value))
                if got != value.encode():
                    raise AssertionError(f"{value} got {got!r}")
            return n

        done = await asyncio.gather(*(task(n) for n in range(200)))
        assert done == list(range(200))
        stats = client.pool_stats()
        assert stats["in_use"] == 0
        assert stats["created"] <= 20
        await client.close()

    run(main())


def test_a_cancelled_request_drops_its_connection(server: dict) -> None:
    async def main() -> None:
        client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=10, max_connections=1)
        other = redwire.Client(host=server["host"], port=server["port"], db=10)
        other.delete("a:queue")

        def blocked_connections() -> int:
            lines = other.execute("CLIENT", "LIST").splitlines()
            return sum(b" db=10 " in line and b" cmd=blpop " in line for line in lines)

        blocked = asyncio.ensure_future(client.blpop("a:queue", 0))
        await asyncio.sleep(0.2)
        assert blocked_connections() == 1
        blocked.cancel()
        with pytest.raises(asyncio.CancelledError):
            await blocked
        # The request's task is aborted on the runtime right after; then its
        # connection is gone: the value pushed now stays for the next
        # caller, and the pool (of one) has room for a new connection.
        await asyncio.sleep(0.2)
        other.rpush("a:queue", "kept")
        await asyncio.sleep(0.1)
        assert other.lrange("a:queue", 0, -1) == [b"kept"]
        assert blocked_connections() == 0
        assert await client.blpop("a:queue", 1) == (b"a:queue", b"kept")
        assert await client.echo("after") == b"after"
        other.close()

    run(main())


def test_timeouts_raise_timeout_error(server: dict) -> None:
    async def main() -> None:
        client = redwire.asyncio.Client(host=server["host"], port=server["port"], socket_timeout=0.2)
        with pytest.raises(redwire.TimeoutError):
            await client.blpop("a:never", 0)
        assert await client.ping() is True
        with pytest.raises(redwire.ConnectionError):
            await redwire.asyncio.Client(port=1).get("x")

    run(main())


def test_one_client_on_several_loops(server: dict) -> None:
    client = redwire.asyncio.Client.from_url(f"redis://{server['host']}:{server['port']}/10")
    assert isinstance(client, redwire.asyncio.Client)

    async def use(value: str) -> bytes:
        await client.set("a:loops", value)
        return await client.get("a:loops")

    # Each asyncio.run is a new event loop; the client serves each.
    assert run(use("first")) == b"first"
    assert run(use("second")) == b"second"
    run(client.aclose())
    assert run(use("after close")) == b"after close"
    run(client.aclose())


def test_watch_and_transactions_awaited(server: dict) -> None:
    async def main() -> None:
        async with redwire.asyncio.Client(host=server["host"], port=server["port"], db=10) as client:
            await client.set("a:w", 1)
            async with client.pipeline() as pipe:
                assert await pipe.watch("a:w") is True
                assert await pipe.get("a:w") == b"1"
                pipe.multi()
                await pipe.incr("a:w")  # queued: a pipeline awaits to itself
                assert await pipe.execute() == [2]

            async def increment(pipe: redwire.asyncio.Pipeline) -> int:
                value = int(await pipe.get("a:w"))
                pipe.multi()
                pipe.set("a:w", value + 1)
                return value + 1

            assert await client.transaction(increment, "a:w", value_from_callable=True) == 3
            assert await client.get("a:w") == b"3"
            assert client.pool_stats()["in_use"] == 0

    run(main())


def test_a_cluster_client_connects_on_first_use(cluster: dict) -> None:
    async def main() -> None:
        # Nothing listens there: the constructor does not block or fail.
        unreachable = redwire.asyncio.connect("redis+cluster://127.0.0.1:1")
        with pytest.raises(redwire.ConnectionError):
            await unreachable.get("x")
        seeds = ",".join(f"{node['host']}:{node['port']}" for node in cluster["nodes"][:2])
        client = redwire.asyncio.connect(f"redis+cluster://{seeds}")
        await asyncio.gather(*(client.set(f"ac:{i}", i) for i in range(50)))
        assert await asyncio.gather(*(client.get(f"ac:{i}") for i in range(50))) == [
            str(i).encode() for i in range(50)
        ]
        await client.aclose()

    run(main())


def test_close_fails_waiting_requests_and_pubsub_closes_without_blocking(server: dict) -> None:
    async def main() -> None:
        client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=10)
        blocked = asyncio.ensure_future(client.blpop("a:closing", 0))
        await asyncio.sleep(0.2)
        await client.close()
        with pytest.raises(redwire.ConnectionError, match="closed"):
            await blocked
        assert await client.ping() is True
        pubsub = client.pubsub()
        await pubsub.subscribe("a:quiet")
        listener = asyncio.ensure_future(pubsub.get_message(timeout=None, ignore_subscribe_messages=True))
        await asyncio.sleep(0.2)
        started = asyncio.get_running_loop().time()
        await pubsub.aclose()
        # The close ends the listener's wait (no timeout was given).
        assert await asyncio.wait_for(listener, 1) is None
        assert asyncio.get_running_loop().time() - started < 0.5
        await client.aclose()

    run(main())


def test_tasks_share_one_connection_and_blocking_commands_get_their_own(server: dict) -> None:
    async def main() -> None:
        client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=10, client_name="a-shared")
        observer = redwire.Client(host=server["host"], port=server["port"], db=10)
        observer.delete("a:shared", "a:blocked")

        def connections() -> int:
            return observer.execute("CLIENT", "LIST").count(b" name=a-shared ")

        counts = await asyncio.gather(*(client.incr("a:shared") for _ in range(500)))
        assert sorted(counts) == list(range(1, 501))
        assert await client.get("a:shared") == b"500"
        # Every task's commands went on one shared connection, none pooled.
        assert connections() == 1
        assert client.pool_stats()["created"] == 0
        # A blocking command takes a pooled connection of its own: the
        # shared one is not held up behind it.
        loop = asyncio.get_running_loop()
        blocked = asyncio.ensure_future(client.blpop("a:blocked", 0))
        await asyncio.sleep(0.1)
        started = loop.time()
        assert await client.ping() is True
        assert loop.time() - started < 0.5
        assert client.pool_stats()["in_use"] == 1
        observer.rpush("a:blocked", "x")
        assert await blocked == (b"a:blocked", b"x")
        # Cancelled shared requests: their replies reach no one; the others
        # get their own.
        pending = [asyncio.ensure_future(client.echo(f"c{i}")) for i in range(40)]
        await asyncio.sleep(0)
        for cancelled in pending[::2]:
            cancelled.cancel()
        results = await asyncio.gather(*pending, return_exceptions=True)
        for i, result in enumerate(results):
            if i % 2:
                assert result == f"c{i}".encode()
            else:
                assert isinstance(result, asyncio.CancelledError)
        assert await client.echo("after") == b"after"
        await client.aclose()
        observer.close()

    run(main())

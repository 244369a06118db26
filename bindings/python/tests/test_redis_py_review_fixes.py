"""What reviews of the redis-py drop-in found, each fixed with the test
that failed before: clusters' pub/sub, monitor and key walks, messages
never lost to a cancelled read, pub/sub surviving a lost connection,
closing a pool's borrower, callbacks everywhere, options from the URL."""

import asyncio
import threading
import time
from typing import Any, Dict, List

import pytest
import redis
import redis.asyncio

import redwire
import redwire.asyncio


def _cluster(cluster: Dict[str, Any], module: Any = redwire, **options: Any) -> Any:
    node = cluster["nodes"][0]
    return module.RedisCluster(host=node["host"], port=node["port"], **options)


def test_a_cluster_client_has_pub_sub_and_monitor(cluster: Dict[str, Any]) -> None:
    client = _cluster(cluster, decode_responses=True)
    p = client.pubsub(ignore_subscribe_messages=True)
    p.subscribe("cl:news")
    assert p.get_message(timeout=1) is None
    client.publish("cl:news", "hello")
    assert p.get_message(timeout=2)["data"] == "hello"
    p.close()
    with client.monitor() as monitor:
        # The monitor is on the first master: a command sent there.
        client.echo("watched", target_nodes=client.get_primaries()[0])
        command = monitor.next_command()["command"]
    assert command == "ECHO watched"
    client.close()

    async def asynchronously() -> Any:
        a = _cluster(cluster, redwire.asyncio, decode_responses=True)
        ap = a.pubsub(ignore_subscribe_messages=True)
        await ap.subscribe("cl:anews")
        await ap.get_message(timeout=1)
        await a.publish("cl:anews", "hi")
        message = await ap.get_message(timeout=2)
        await ap.aclose()
        await a.aclose()
        return message["data"]

    assert asyncio.run(asynchronously()) == "hi"


def test_a_cluster_walk_with_no_options(cluster: Dict[str, Any]) -> None:
    client = _cluster(cluster)
    client.flushall()
    client.mset_nonatomic({f"w{i}": i for i in range(30)})
    assert sorted(client.scan_iter()) == sorted(f"w{i}".encode() for i in range(30))

    async def walk() -> List[Any]:
        a = await _cluster(cluster, redwire.asyncio).initialize()
        keys = [key async for key in a.scan_iter()]
        await a.aclose()
        return keys

    assert sorted(asyncio.run(walk())) == sorted(f"w{i}".encode() for i in range(30))
    assert client.keyslot(bytearray(b"foo")) == client.keyslot(b"foo") == 12182
    with pytest.raises(redwire.RedisClusterException, match="client()"):
        client.client()
    client.close()


def test_a_message_is_never_lost_to_a_cancelled_read(server: Dict[str, Any]) -> None:
    count = 2000

    async def main() -> int:
        client = redwire.asyncio.Redis(host=server["host"], port=server["port"])
        p = client.pubsub(ignore_subscribe_messages=True)
        await p.subscribe("lost:c")
        await p.get_message(timeout=1)

        async def publish() -> None:
            for i in range(count):
                await client.publish("lost:c", str(i))

        publisher = asyncio.ensure_future(publish())
        received: List[bytes] = []
        cancelled = 0
        deadline = time.monotonic() + 30
        while len(received) < count and time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(p.get_message(timeout=None), 0.0005)
            except asyncio.TimeoutError:
                cancelled += 1
                continue
            received.append(message["data"])
        await publisher
        await p.aclose()
        await client.aclose()
        assert cancelled > 0, "no read was cancelled: the test proves nothing"
        assert received == [str(i).encode() for i in range(count)]
        return cancelled

    asyncio.run(main())


def _kill_pubsub_connections(server: Dict[str, Any]) -> int:
    killer = redis.Redis(host=server["host"], port=server["port"])
    killed = int(killer.execute_command("CLIENT", "KILL", "TYPE", "pubsub"))
    killer.close()
    return killed


def test_a_worker_survives_a_lost_connection_as_redis_py_s(server: Dict[str, Any]) -> None:
    for module in (redis, redwire):
        client = module.Redis(host=server["host"], port=server["port"])
        got: List[bytes] = []
        p = client.pubsub()
        p.subscribe(**{"lost:w": lambda message: got.append(message["data"])})
        worker = p.run_in_thread(sleep_time=0.05, daemon=True)
        time.sleep(0.2)
        client.publish("lost:w", "1")
        time.sleep(0.2)
        assert _kill_pubsub_connections(server) >= 1
        # Published until the worker has subscribed again.
        for _ in range(100):
            client.publish("lost:w", "2")
            time.sleep(0.05)
            if b"2" in got:
                break
        assert worker.is_alive(), module.__name__
        worker.stop(timeout=5)
        assert got[0] == b"1" and b"2" in got, (module.__name__, got)
        client.close()


def test_the_asyncio_client_of_its_own_connection(server: Dict[str, Any]) -> None:
    async def main() -> Any:
        a = redwire.asyncio.Redis(host=server["host"], port=server["port"])
        own = a.client()
        await own.execute_command("CLIENT", "SETNAME", "own-async")
        name = await own.execute_command("CLIENT", "GETNAME")
        await own.aclose()
        await a.aclose()
        return name

    assert asyncio.run(main()) == b"own-async"


def test_a_monitor_left_raises_instead_of_waiting(server: Dict[str, Any]) -> None:
    client = redwire.Redis(host=server["host"], port=server["port"])
    with client.monitor() as monitor:
        pass
    outcome: List[Any] = []

    def read() -> None:
        try:
            monitor.next_command()
        except Exception as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(3)
    assert not reader.is_alive() and isinstance(outcome[0], redwire.ConnectionError)
    client.close()


def test_a_refused_monitor_raises_redis_py_s_error(server: Dict[str, Any]) -> None:
    admin = redis.Redis(host=server["host"], port=server["port"])
    admin.acl_setuser("nomon", enabled=True, passwords=["+nomon-secret"], commands=["+@all", "-monitor"], keys=["*"])
    try:
        for module in (redis, redwire):
            client = module.Redis(host=server["host"], port=server["port"], username="nomon", password="nomon-secret")
            with pytest.raises(Exception) as refused:
                with client.monitor():
                    pass
            assert type(refused.value).__name__ == "NoPermissionError", (module.__name__, refused.value)
            client.close()
    finally:
        admin.acl_deluser("nomon")
        admin.close()


def test_callbacks_read_pipelines_and_node_replies(server: Dict[str, Any], cluster: Dict[str, Any]) -> None:
    for client in (redis.Redis(host=server["host"], port=server["port"]),
                   redwire.Redis(host=server["host"], port=server["port"])):
        client.set("cbp:k", "v")
        client.set_response_callback("GET", lambda reply, **options: b"read:" + reply)
        assert client.pipeline().get("cbp:k").execute() == [b"read:v"]
        client.close()
    theirs, ours = _cluster(cluster, redis), _cluster(cluster)
    for client in (theirs, ours):
        client.set_response_callback("ECHO", lambda reply, **options: b"cb:" + reply)
        assert client.echo("y", target_nodes=client.get_primaries()[0]) == b"cb:y"
        client.close()


def test_health_checks_from_the_url(server: Dict[str, Any]) -> None:
    client = redwire.from_url(f"redis://{server['host']}:{server['port']}/0?health_check_interval=1")
    watcher = redis.Redis(host=server["host"], port=server["port"], decode_responses=True)
    p = client.pubsub(ignore_subscribe_messages=True)
    p.subscribe("hcu:quiet")
    before = int(watcher.info("commandstats").get("cmdstat_ping", {}).get("calls", 0))
    assert p.get_message(timeout=2.5) is None
    sent = int(watcher.info("commandstats").get("cmdstat_ping", {}).get("calls", 0)) - before
    assert sent >= 2, sent
    p.close()
    client.close()
    watcher.close()


def _connections(server: Dict[str, Any]) -> int:
    counter = redis.Redis(host=server["host"], port=server["port"])
    count = len(counter.client_list()) - 1
    counter.close()
    return count


def test_closing_a_client_of_a_pool_leaves_the_pool_s_connections(server: Dict[str, Any]) -> None:
    pool = redwire.ConnectionPool(host=server["host"], port=server["port"], db=3)
    a, b = redwire.Redis(connection_pool=pool), redwire.Redis(connection_pool=pool)
    assert a.ping() and b.ping()
    b.set("pool:k", "v")
    before = _connections(server)
    shared = b.client_id()
    a.close()
    assert b.client_id() == shared, "b's connection was closed by a's close()"
    assert _connections(server) == before
    pool.disconnect()
    b.close()


def test_asyncio_pub_sub_reads_one_frame_to_one_reader(server: Dict[str, Any]) -> None:
    async def main() -> None:
        client = redwire.asyncio.Redis(host=server["host"], port=server["port"])
        p = client.pubsub(ignore_subscribe_messages=True)
        await p.subscribe("one:c")
        await asyncio.sleep(0.2)
        assert await p.get_message() is None  # the confirmation, left out
        # A frame already there is given at once with the default timeout 0.
        await client.publish("one:c", "first")
        await asyncio.sleep(0.1)
        assert (await p.get_message())["data"] == b"first"
        # Two readers at once: the message goes to one of them.
        readers = asyncio.gather(p.get_message(timeout=1), p.get_message(timeout=1))
        await asyncio.sleep(0.05)
        await client.publish("one:c", "only")
        got = [m["data"] for m in await readers if m is not None]
        assert got == [b"only"], got
        await p.aclose()
        await client.aclose()

    asyncio.run(main())


def test_asyncio_readers_end_when_closed(server: Dict[str, Any]) -> None:
    unretrieved: List[Any] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: unretrieved.append(context))
        client = redwire.asyncio.Redis(host=server["host"], port=server["port"])
        p = client.pubsub()
        await p.subscribe("end:c")

        async def listen() -> List[Any]:
            return [m async for m in p.listen()]

        listener = asyncio.ensure_future(listen())
        # A read left by a timed-out caller, taken over by another.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(p.get_message(timeout=None), 0.3)
        taker = asyncio.ensure_future(p.get_message(timeout=None))
        await asyncio.sleep(0.1)
        await client.aclose()
        assert await asyncio.wait_for(taker, 3) is None
        heard = await asyncio.wait_for(listener, 3)  # ended, not waiting on
        assert [m["type"] for m in heard] in ([], ["subscribe"])
        # A monitor whose read was taken over by another ends too.
        monitor_client = redwire.asyncio.Redis(host=server["host"], port=server["port"])
        monitor = monitor_client.monitor()
        await monitor.__aenter__()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(monitor.next_command(), 0.2)
        second = asyncio.ensure_future(monitor.next_command())
        await asyncio.sleep(0.05)
        await monitor.__aexit__(None, None, None)
        with pytest.raises(redwire.ConnectionError):
            await asyncio.wait_for(second, 3)
        await monitor_client.aclose()
        import gc

        gc.collect()
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert unretrieved == []


def test_a_pub_sub_read_in_two_event_loops(server: Dict[str, Any]) -> None:
    client = redwire.asyncio.Redis(host=server["host"], port=server["port"])
    p = client.pubsub(ignore_subscribe_messages=True)

    async def first() -> None:
        await p.subscribe("loops:c")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(p.get_message(timeout=None), 0.2)

    async def second() -> Any:
        await client.publish("loops:c", "later")
        return await p.get_message(timeout=2)

    asyncio.run(first())
    assert asyncio.run(second())["data"] == b"later"


def test_callbacks_get_what_redis_py_s_get(server: Dict[str, Any], cluster: Dict[str, Any]) -> None:
    seen = []
    for module in (redis, redwire):
        rc = _cluster(cluster, module)
        rc.set_response_callback("ECHO", lambda reply, **options: sorted(options))
        seen.append(rc.echo("x", target_nodes=rc.get_primaries()[0]))
        rc.close()
    assert seen[1] == seen[0]
    for module in (redis, redwire):
        client = module.Redis(host=server["host"], port=server["port"], decode_responses=True)
        client.set_response_callback("INFO", lambda reply, **options: type(reply).__name__)
        assert client.info("server") == "str", module.__name__
        client.close()


def test_a_monitor_entered_again_is_refused_and_leaves_nothing_open(server: Dict[str, Any]) -> None:
    client = redwire.Redis(host=server["host"], port=server["port"])
    monitor = client.monitor()
    with monitor:
        pass
    before = _connections(server)
    with pytest.raises(redwire.ConnectionError):
        with monitor:
            pass
    assert _connections(server) == before
    client.close()

"""Client-side caching: redis-py's ``cache_config`` and ``get_cache()``,
compared with redis-py's own cache where both can be asked, sync and
asyncio, on a real server."""

import asyncio
import multiprocessing
import os
import threading
from typing import Any, Dict, List

import pytest
import redis
import redis.cache

import redwire
import redwire.asyncio
from redwire.cache import CacheConfig, TrackingMode


# redis-py's cache refuses servers before 7.4 by policy; Debian's is 7.0,
# whose tracking it works with: the check is lowered to compare with it.
redis.connection.CacheProxyConnection.MIN_ALLOWED_VERSION = "7.0.0"


def _url(server: Dict[str, Any], db: int = 11) -> str:
    return f"redis://{server['host']}:{server['port']}/{db}"


@pytest.fixture
def cached(server: Dict[str, Any]) -> Any:
    with redwire.Redis.from_url(_url(server), protocol=3, cache_config=CacheConfig()) as client:
        client.flushdb()
        client.get_cache().flush()
        yield client


@pytest.fixture
def writer(server: Dict[str, Any]) -> Any:
    with redis.Redis.from_url(_url(server)) as other:
        yield other


def test_reads_are_kept_until_another_connection_writes_as_in_redis_py(
    server: Dict[str, Any], cached: Any, writer: Any
) -> None:
    anchor = redis.Redis.from_url(_url(server), protocol=3, cache_config=redis.cache.CacheConfig())
    try:
        writer.set("a", "1")
        writer.hset("h", mapping={"f": "x"})
        for client in (cached, anchor):
            assert client.get("a") == b"1"
            assert client.get("a") == b"1"
            assert client.hgetall("h") == {b"f": b"x"}
            assert client.hgetall("h") == {b"f": b"x"}
            assert client.get_cache().size == 2
        assert cached.get_cache().stats()["hits"] == 2
        writer.set("a", "2")
        for client in (cached, anchor):
            client.ping()  # the invalidation comes before this reply
            assert client.get("a") == b"2"
        # A write of the client's own is seen at once, as redis-py's.
        for client in (cached, anchor):
            client.set("a", "3")
            assert client.get("a") == b"3"
        # What neither keeps: a read that depends on the clock.
        cached.ttl("a")
        assert cached.get_cache().config.is_allowed_to_cache("GET")
        assert not cached.get_cache().config.is_allowed_to_cache("TTL")
        # Dropped by hand, by key; and everything.
        cached.get("a")
        cached.get_cache().delete_by_redis_keys(["a"])
        assert cached.get_cache().size == 1
        assert cached.get_cache().flush() == 1
        assert cached.get_cache().size == 0
    finally:
        anchor.close()


def test_the_cache_needs_resp3_and_says_so_as_redis_py(server: Dict[str, Any]) -> None:
    errors: List[str] = []
    for module in (redis, redwire):
        with pytest.raises(module.exceptions.RedisError) as raised:
            module.Redis.from_url(_url(server), protocol=2, cache_config=module.cache.CacheConfig())
        errors.append(str(raised.value))
    assert errors[0] == errors[1] == "Client caching is only supported with RESP version 3"
    # redis-py 8 negotiates RESP3 when no protocol is given, keeping its
    # RESP2 shapes; redwire's default is RESP2: protocol=3 must be said.
    with pytest.raises(redwire.exceptions.RedisError, match="RESP version 3"):
        redwire.Redis.from_url(_url(server), cache_config=CacheConfig())
    # redis-py's extension points the core's cache has not.
    with pytest.raises(redwire.exceptions.ConfigError, match="cache_predicate"):
        CacheConfig(tracking_mode=TrackingMode.OPTIN, cache_predicate=lambda name, keys: True)
    with pytest.raises(redwire.exceptions.ConfigError, match="OPTOUT"):
        CacheConfig(tracking_mode=TrackingMode.OPTOUT)
    with pytest.raises(TypeError, match="tracking_mode"):
        CacheConfig(tracking_mode="optin")  # type: ignore[arg-type]
    with pytest.raises(redwire.exceptions.ConfigError, match="max_bytes"):
        redwire.Redis(protocol=3, cache_config=CacheConfig(max_bytes=10))
    assert redwire.Redis(protocol=3).get_cache() is None


def test_modes_bound_and_ttl(server: Dict[str, Any], writer: Any) -> None:
    config = CacheConfig(tracking_mode=TrackingMode.BCAST, prefixes=["user:"], max_size=3)
    with redwire.Redis.from_url(_url(server), protocol=3, cache_config=config) as client:
        writer.set("user:1", "ada")
        client.ping()
        for _ in range(2):
            assert client.get("user:1") == b"ada"
            client.get("session:1")
        assert client.get_cache().stats()["hits"] == 1
        for i in range(10):
            client.get(f"user:{i}")
        stats = client.get_cache().stats()
        assert stats["entries"] == 3 and stats["evictions"] >= 7, stats
    with redwire.Redis.from_url(_url(server), protocol=3, cache_config=CacheConfig(ttl=0.05)) as client:
        client.get("user:1")
        client.get("user:1")
        threading.Event().wait(0.1)
        client.get("user:1")
        assert client.get_cache().stats()["hits"] == 1


def test_asyncio_clients_share_the_same_cache(server: Dict[str, Any], writer: Any) -> None:
    async def main() -> Dict[str, int]:
        async with redwire.asyncio.Redis.from_url(_url(server), protocol=3, cache_config=CacheConfig()) as client:
            writer.set("n", 0)
            await client.get("n")
            reads = await asyncio.gather(*(client.get("n") for _ in range(100)))
            assert set(reads) == {b"0"}
            # Writes from concurrent tasks and another client; each task
            # reads its own write or a later one, never an older one.
            async def task(i: int) -> None:
                await client.set(f"t:{i}", i)
                assert await client.get(f"t:{i}") == str(i).encode()
                await client.get(f"t:{i}")

            await asyncio.gather(*(task(i) for i in range(50)))
            writer.set("n", 1)
            await client.ping()
            assert await client.get("n") == b"1"
            cache = client.get_cache()
            assert cache is not None
            return cache.stats()

    stats = asyncio.run(main())
    assert stats["hits"] >= 150, stats


def _child(url: str, queue: Any) -> None:
    with redwire.Redis.from_url(url, protocol=3, cache_config=CacheConfig()) as client:
        queue.put(client.get("forked"))


def test_a_forked_child_starts_with_an_empty_cache(server: Dict[str, Any], cached: Any, writer: Any) -> None:
    writer.set("forked", "before")
    assert cached.get("forked") == b"before"
    assert cached.get_cache().size == 1
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    pid = os.fork()
    if pid == 0:  # the child: its cache is its own, empty
        code = 0 if cached.get_cache().size == 0 else 1
        writer.set("forked", "after")
        code |= 0 if cached.get("forked") == b"after" else 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    cached.ping()
    assert cached.get("forked") == b"after"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(_url(server), queue))
    process.start()
    assert queue.get(timeout=30) == b"after"
    process.join(30)


def test_a_cluster_client_keeps_each_node_s_keys(cluster: Dict[str, Any]) -> None:
    node = cluster["nodes"][0]
    with redwire.RedisCluster(host=node["host"], port=node["port"], protocol=3, cache_config=CacheConfig()) as client:
        keys = [f"c:{i}" for i in range(20)]  # on every node
        for key in keys:
            client.set(key, 1)
            assert client.get(key) == b"1"
            assert client.get(key) == b"1"
        cache = client.get_cache()
        assert cache is not None and cache.stats()["hits"] == 20
        with redis.RedisCluster(host=node["host"], port=node["port"]) as writer:
            for key in keys:
                writer.set(key, 2)
        # One round trip to each node: its invalidations came before.
        for name in client.get_nodes():
            client.ping(target_nodes=name)
        assert [client.get(key) for key in keys] == [b"2"] * 20


def test_writes_on_a_held_connection_are_seen_at_once(cached: Any) -> None:
    # redis-py's check-and-set: WATCH, read, MULTI, write, EXEC, on a
    # connection the pipeline holds.
    for i in range(50):
        cached.set("balance", i)
        assert cached.get("balance") == str(i).encode()
        assert cached.get("balance") == str(i).encode()

        def add_one(pipe: Any) -> None:
            value = int(pipe.get("balance"))
            pipe.multi()
            pipe.set("balance", value + 1)

        cached.transaction(add_one, "balance")
        assert cached.get("balance") == str(i + 1).encode()
    # A held client shares the cache, and its writes drop what they change.
    held = cached.client()
    assert held.get_cache() is not None
    cached.get("balance")
    held.set("balance", "held")
    assert cached.get("balance") == b"held"
    # A transaction sent command by command: read meanwhile, dropped at EXEC.
    held.execute_command("MULTI")
    held.execute_command("SET", "balance", "exec")
    assert cached.get("balance") == b"held"
    assert cached.get("balance") == b"held"
    held.execute_command("EXEC")
    assert cached.get("balance") == b"exec"
    held.close()


def test_a_sync_client_reading_only_kept_replies_still_sees_changes(cached: Any, writer: Any) -> None:
    # Nothing runs the sync client's connection between its calls: each
    # read first takes in what came (as redis-py reads its socket first).
    for i in range(20):
        writer.set("flag", i)
        threading.Event().wait(0.02)
        assert cached.get("flag") == str(i).encode()
        assert cached.get("flag") == str(i).encode()
    assert cached.get_cache().stats()["hits"] >= 20


def test_a_pool_s_clients_share_its_cache(server: Dict[str, Any]) -> None:
    pool = redwire.ConnectionPool.from_url(_url(server), protocol=3, cache_config=CacheConfig())
    first, second = redwire.Redis(connection_pool=pool), redwire.Redis(connection_pool=pool)
    first.get("shared")
    second.get("shared")
    assert first.get_cache().stats()["hits"] == 1
    assert second.get_cache().size == 1
    # A cache asked for beside a RESP2 pool is refused as redis-py does.
    plain = redwire.ConnectionPool.from_url(_url(server))
    with pytest.raises(redwire.exceptions.RedisError, match="RESP version 3"):
        redwire.Redis(connection_pool=plain, cache_config=CacheConfig())
    assert redwire.Redis(connection_pool=plain).get_cache() is None
    assert first.get_cache().delete_by_redis_keys(["shared", "never"]) == [True, False]
    with pytest.raises(redwire.exceptions.ConfigError, match="cache_max_entries"):
        redwire.Redis(protocol=3, cache_max_entries=5)

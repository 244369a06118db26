"""redwire against redis-py (hiredis), redis.asyncio and valkey-glide, in one
run on one local redis-server: sequential GET (beside a raw socket polled
without sleeping: the machine's floor for one request at a time),
pipelines of 100 SET + 100 GET, 50 concurrent asyncio tasks doing
GETs, and a hot key's GET through the client-side caches (redwire's and
redis-py's own, both on RESP3). The clients take turns, 5
rounds with the order rotated each round; each keeps its best round. Prints
one Markdown row per workload and peer. Run by benches/python/run."""

import asyncio
import os
import socket
import time

import redis
import redis.asyncio
import redis.cache

import redwire
import redwire.asyncio
import redwire.cache

# redis-py's cache refuses servers before 7.4 by policy; Debian's is 7.0,
# whose tracking it works with.
redis.connection.CacheProxyConnection.MIN_ALLOWED_VERSION = "7.0.0"

PORT = int(os.environ["REDIS_PORT"])
SEQUENTIAL = 10_000
CACHED = 200_000
PIPELINES = 1_000
TASKS, PER_TASK = 50, 400
ROUNDS = 5
VALUE = b"0123456789abcdef"


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def sequential(client):
    def go():
        for _ in range(SEQUENTIAL):
            client.get("bench:key")
    return go


def cached_gets(client):
    def go():
        for _ in range(CACHED):
            client.get("bench:key")
    return go


def polled_socket():
    """The machine's floor for one GET at a time: a raw socket, the request
    written and the reply polled for without sleeping (no client at all)."""
    sock = socket.create_connection(("127.0.0.1", PORT))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    request = b"*2\r\n$3\r\nGET\r\n$9\r\nbench:key\r\n"

    def go():
        for _ in range(SEQUENTIAL):
            sock.send(request)
            while True:
                try:
                    if sock.recv(65536):
                        break
                except BlockingIOError:
                    pass
    return go


def pipelined(client):
    def go():
        for _ in range(PIPELINES):
            pipe = client.pipeline(transaction=False)
            for i in range(100):
                pipe.set(f"bench:{i}", VALUE)
            for i in range(100):
                pipe.get(f"bench:{i}")
            assert len(pipe.execute()) == 200
    return go


async def glide_client():
    from glide import GlideClient, GlideClientConfiguration, NodeAddress

    return await GlideClient.create(GlideClientConfiguration([NodeAddress("127.0.0.1", PORT)]))


def tasks(make_client):
    """50 tasks, each awaiting PER_TASK GETs, on one client."""

    def go():
        async def main():
            client = await make_client()
            async def task():
                for _ in range(PER_TASK):
                    await client.get("bench:key")
            await asyncio.gather(*(task() for _ in range(TASKS)))
            close = getattr(client, "aclose", None) or getattr(client, "close")
            result = close()
            if asyncio.iscoroutine(result):
                await result
        asyncio.run(main())
    return go


async def make_redwire():
    return redwire.asyncio.Client(host="127.0.0.1", port=PORT, max_connections=50)


async def make_redis_asyncio():
    return redis.asyncio.Redis(host="127.0.0.1", port=PORT, max_connections=50)


def best(contenders, rounds=ROUNDS):
    names = list(contenders)
    results = {name: float("inf") for name in names}
    for round_ in range(rounds):
        order = names[round_ % len(names):] + names[: round_ % len(names)]
        for name in order:
            results[name] = min(results[name], timed(contenders[name]))
    return results


def main():
    mine = redwire.Client(host="127.0.0.1", port=PORT)
    peer = redis.Redis(host="127.0.0.1", port=PORT)
    assert redis.utils.HIREDIS_AVAILABLE, "redis-py without hiredis"
    mine.set("bench:key", VALUE)
    rows = []
    seq = best({"redwire": sequential(mine), "redis-py": sequential(peer), "floor": polled_socket()})
    rows.append(("sequential GET (ops/s)", "redis-py + hiredis", SEQUENTIAL, seq["redwire"], seq["redis-py"]))
    # The best one-at-a-time rate here: what bounds the ratio above.
    rows.append(("sequential GET (ops/s)", "a raw socket polled (the floor)", SEQUENTIAL, seq["redwire"], seq["floor"]))
    pipe = best({"redwire": pipelined(mine), "redis-py": pipelined(peer)})
    rows.append(("pipeline 100 SET + 100 GET (commands/s)", "redis-py + hiredis", PIPELINES * 200, pipe["redwire"], pipe["redis-py"]))
    contenders = {"redwire": tasks(make_redwire), "redis.asyncio": tasks(make_redis_asyncio)}
    try:
        import glide  # noqa: F401

        contenders["valkey-glide"] = tasks(glide_client)
    except ImportError:
        pass
    many = best(contenders)
    for name in contenders:
        if name != "redwire":
            rows.append((f"{TASKS} asyncio tasks × {PER_TASK} GET (ops/s)", name, TASKS * PER_TASK, many["redwire"], many[name]))
    mine_cached = redwire.Client(host="127.0.0.1", port=PORT, protocol=3, cache_config=redwire.cache.CacheConfig())
    peer_cached = redis.Redis(host="127.0.0.1", port=PORT, protocol=3, cache_config=redis.cache.CacheConfig())
    hot = best({"redwire": cached_gets(mine_cached), "redis-py": cached_gets(peer_cached), "uncached": cached_gets(mine)})
    assert mine_cached.get_cache().stats()["hits"] >= CACHED * ROUNDS - 1
    assert peer_cached.get_cache().size == 1
    rows.append(("hot key GET, cached (ops/s)", "redis-py + hiredis, its own cache", CACHED, hot["redwire"], hot["redis-py"]))
    rows.append(("hot key GET, cached (ops/s)", "redwire without its cache", CACHED, hot["redwire"], hot["uncached"]))
    print("| workload | peer | redwire | peer | redwire / peer |")
    print("|---|---|---:|---:|---:|")
    for workload, name, operations, mine_s, theirs_s in rows:
        print(f"| {workload} | {name} | {operations / mine_s:.0f} | {operations / theirs_s:.0f} | {theirs_s / mine_s:.2f}× |")


if __name__ == "__main__":
    main()

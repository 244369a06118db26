"""The client's own objects and methods beside redis-py's: ``monitor()``,
``client()`` (one connection of its own), ``set_response_callback``,
``get_encoder``, ``get_connection_kwargs``, ``from_pool``, retries kept."""

import asyncio
from typing import Any, Dict, List

import redis
import redis.asyncio

import redwire
import redwire.asyncio


def _clients(server: Dict[str, Any], **options: Any) -> List[Any]:
    return [module.Redis(host=server["host"], port=server["port"], **options) for module in (redis, redwire)]


def _comparable(command: Dict[str, Any]) -> Dict[str, Any]:
    """A monitored command without what differs between two runs."""
    return {key: value for key, value in command.items() if key not in ("time", "client_port")}


def test_monitor_sees_what_redis_py_s_sees(server: Dict[str, Any]) -> None:
    seen = []
    for client, other in zip(_clients(server, db=5), _clients(server, db=5)):
        other.ping()  # connected before: its handshake is not monitored
        with client.monitor() as monitor:
            other.ping()
            other.set("mon:k", 'with "quotes" and spaces')
            other.execute_command("EVAL", "return redis.call('GET', KEYS[1])", 1, "mon:k")
            commands = [_comparable(monitor.next_command()) for _ in range(4)]
        seen.append(commands)
        assert commands[1]["command"] == 'SET mon:k with "quotes" and spaces'
        assert commands[3]["client_type"] == "lua"
        other.close()
        client.close()
    assert seen[1] == seen[0]


def test_the_asyncio_monitor(server: Dict[str, Any]) -> None:
    async def run(module: Any) -> List[Dict[str, Any]]:
        client = module.Redis(host=server["host"], port=server["port"])
        other = module.Redis(host=server["host"], port=server["port"], db=6)
        await other.ping()
        async with client.monitor() as monitor:
            await other.set("amon:k", "v")
            listening = monitor.listen()
            command = await listening.__anext__()
        await other.aclose()
        await client.aclose()
        return [_comparable(command)]

    assert asyncio.run(run(redwire.asyncio)) == asyncio.run(run(redis.asyncio))


def test_client_gives_a_connection_of_its_own(server: Dict[str, Any]) -> None:
    for pooled in _clients(server, db=7, decode_responses=True):
        pooled.set("own:k", "in 7")
        own = pooled.client()
        own.execute_command("CLIENT", "SETNAME", "own-connection")
        assert own.execute_command("CLIENT", "GETNAME") == "own-connection"
        own.execute_command("SELECT", 8)
        assert own.get("own:k") is None
        assert pooled.get("own:k") == "in 7", "the pool's client keeps its database"
        own_id = own.client_id()
        assert own.client_id() == own_id, "every request on one connection"
        own.close()
        if isinstance(pooled, redwire.Redis):
            # A connection whose state changed is not handed to another
            # client (redis-py pools it as it is: listed in COMPATIBILITY.md).
            again = pooled.client()
            assert again.execute_command("CLIENT", "GETNAME") is None
            assert again.get("own:k") == "in 7"
            again.close()
        pooled.close()


def test_a_response_callback_reads_every_reply_of_its_command(server: Dict[str, Any]) -> None:
    results = []
    for client in _clients(server, db=7):
        client.set("cb:k", "v")
        client.set_response_callback("GET", lambda reply, **options: (b"read:" + reply) if reply else reply)
        client.set_response_callback("CONFIG GET", lambda reply, **options: len(reply))
        results.append(
            (client.get("cb:k"), client.get("cb:none"), client.execute_command("GET", "cb:k"),
             client.config_get("maxmemory") if client.__module__.startswith("redwire") else None)
        )
        client.close()
    theirs, ours = results
    assert ours[:3] == theirs[:3] == (b"read:v", None, b"read:v")
    assert ours[3] == 2


def test_encoder_and_connection_kwargs(server: Dict[str, Any]) -> None:
    theirs, ours = _clients(server, db=3, decode_responses=True)
    for value in ("text", b"bytes", 7, 1.5):
        assert ours.get_encoder().encode(value) == theirs.get_encoder().encode(value)
    for bad in (True, None, [1]):
        for client in (theirs, ours):
            try:
                client.get_encoder().encode(bad)
            except Exception as error:
                assert type(error).__name__ == "DataError"
            else:
                raise AssertionError(f"{bad!r} encoded")
    assert ours.get_encoder().decode(b"x") == theirs.get_encoder().decode(b"x") == "x"
    assert ours.get_connection_kwargs()["port"] == theirs.get_connection_kwargs()["port"] == server["port"]
    assert ours.get_connection_kwargs()["db"] == 3
    retry = redis.retry.Retry(redis.backoff.NoBackoff(), 1)
    ours.set_retry(retry)
    assert ours.get_retry() is retry
    ours.load_external_module("shout", lambda: "HI")
    assert ours.shout() == "HI"
    assert ours.get_cache() is None
    theirs.close()
    ours.close()


def test_from_pool_owns_the_pool(server: Dict[str, Any]) -> None:
    disconnects = []

    class Pool(redwire.ConnectionPool):
        def disconnect(self, inuse_connections: bool = True) -> None:
            disconnects.append(inuse_connections)
            super().disconnect(inuse_connections)

    pool = Pool(host=server["host"], port=server["port"], db=2)
    client = redwire.Redis.from_pool(pool)
    assert client.ping()
    client.close()
    assert disconnects == [True]
    # A client given the pool (not made from it) leaves it open.
    borrower = redwire.Redis(connection_pool=pool)
    assert borrower.ping()
    borrower.close()
    assert disconnects == [True]

"""redwire and redis-py side by side on one server: the same calls give
the same replies and raise the same exception classes; and what redis-py
programs do beyond commands (dict access, awaiting, closing)."""

import asyncio
import datetime
from typing import Any, Dict, List, Tuple

import pytest
import redis

import redwire
import redwire.asyncio

Call = Tuple[str, Tuple[Any, ...], Dict[str, Any]]

#: Calls made in order on each client, each on a database of its own.
CALLS: List[Call] = [
    ("set", ("s", "v"), {}),
    ("set", ("s", "w"), {"nx": True}),
    ("set", ("s", "w"), {"xx": True, "get": True}),
    ("set", ("t", "1"), {"exat": 4102444800}),
    ("set", ("t2", "1"), {"pxat": datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)}),
    ("ttl", ("t",), {}),
    ("get", ("s",), {}),
    ("append", ("s", "!"), {}),
    ("setex", ("e", datetime.timedelta(seconds=50), "x"), {}),
    ("expire", ("e", 100), {"gt": True}),
    ("expire", ("e", 10), {"gt": True}),
    ("expire", ("nokey", 10), {}),
    ("pexpire", ("e", 5000), {"lt": True}),
    ("mget", (["s", "nokey", "e"],), {}),
    ("mget", ("s", "e"), {}),
    ("hset", ("h",), {"mapping": {"name": "ada", "age": "36"}}),
    ("hmget", ("h", "name", "age"), {}),
    ("hmget", ("h", ["age", "name", "none"]), {}),
    ("rpush", ("l", "a", "b", "c", "d"), {}),
    ("lpop", ("l",), {}),
    ("lpop", ("l", 2), {}),
    ("rpop", ("l", 5), {}),
    ("lpop", ("l", 1), {}),
    ("zadd", ("z", {"a": 1, "b": 2, "c": 3}), {}),
    ("zadd", ("z", {"a": 5}), {"xx": True, "ch": True}),
    ("zadd", ("z", {"b": 1}), {"gt": True, "ch": True}),
    ("zadd", ("z", {"d": 4}), {"incr": True}),
    ("zadd", ("z", {"zz": 4}), {"xx": True, "incr": True}),
    ("zscore", ("z", "a"), {}),
    ("zrange", ("z", 0, -1), {}),
    ("zrange", ("z", 0, -1, True), {}),
    ("zrange", ("z", 0, -1, False, True), {}),
    ("zrange", ("z", 0, 1), {"desc": True, "withscores": True, "score_cast_func": int}),
    ("zrange", ("z", 2, 4), {"byscore": True, "withscores": True}),
    ("zrange", ("z", "+inf", "-inf"), {"byscore": True, "desc": True, "offset": 1, "num": 2}),
    ("zrange", ("z", 0, 1), {"desc": True, "use_rev": True}),
    ("script_flush", (), {}),
    ("script_flush", ("ASYNC",), {}),
    ("dbsize", (), {}),
    ("exists", ("s", "h", "nokey"), {}),
    ("delete", ("s", "nokey"), {}),
]

#: Calls both refuse before sending, with the same exception class.
REFUSED: List[Call] = [
    ("set", ("k", "v"), {"ex": 10.0}),
    ("set", ("k", "v"), {"ex": 1, "px": 1000}),
    ("set", ("k", "v"), {"nx": True, "xx": True}),
    ("set", ("k", True), {}),
    ("set", ("k", None), {}),
    ("zadd", ("z", {}), {}),
    ("zadd", ("z", {"a": 1}), {"nx": True, "xx": True}),
    ("zadd", ("z", {"a": 1, "b": 2}), {"incr": True}),
    ("zrange", ("z", 0, 1), {"byscore": True, "bylex": True}),
    ("zrange", ("z", 0, 1), {"offset": 1}),
    ("script_flush", ("SOMETIMES",), {}),
    ("expire", ("k", 1.5), {}),
]


def _normalised(value: Any) -> Any:
    """Replies compared as values (a redis-py tuple and a redwire list of
    scored members alike)."""
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    return value


def test_the_same_calls_give_the_same_replies(server: Dict[str, Any]) -> None:
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14)
    theirs.flushdb()
    ours.flushdb()
    for name, args, kwargs in CALLS:
        expected = _normalised(getattr(theirs, name)(*args, **kwargs))
        got = _normalised(getattr(ours, name)(*args, **kwargs))
        assert got == expected, f"{name}{args} {kwargs}: redwire {got!r}, redis-py {expected!r}"
    for name, args, kwargs in REFUSED:
        with pytest.raises(Exception) as reference:
            getattr(theirs, name)(*args, **kwargs)
        with pytest.raises(Exception) as refused:
            getattr(ours, name)(*args, **kwargs)
        assert type(refused.value).__name__ == type(reference.value).__name__, f"{name}{args} {kwargs}: {refused.value!r} vs {reference.value!r}"
    theirs.close()
    ours.close()


def test_dict_style_access(client: redwire.Client) -> None:
    client["d"] = "v"
    assert client["d"] == b"v"
    assert "d" in client and "nokey" not in client
    del client["d"]
    with pytest.raises(KeyError):
        client["d"]


def test_arguments_redis_py_takes(client: redwire.Client) -> None:
    client.set("mv", memoryview(b"bytes"))
    assert client.get("mv") == b"bytes"
    with pytest.raises(redwire.DataError):
        client.mget([])
    assert client.info("server", "clients")["connected_clients"] >= 1
    # An empty pipeline is true, as redis-py's.
    pipe = client.pipeline()
    assert pipe and len(pipe) == 0


def test_get_message_takes_redis_py_s_argument_order(client: redwire.Client) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("order")
    # Positionally: ignore_subscribe_messages first, then timeout.
    assert pubsub.get_message(True, 0.5) is None
    client.publish("order", "hi")
    assert pubsub.get_message(True, 1)["data"] == b"hi"
    pubsub.close()
    quiet = client.pubsub(ignore_subscribe_messages=True)
    quiet.subscribe("order")
    client.publish("order", "again")
    assert quiet.get_message(timeout=1)["data"] == b"again"
    quiet.close()


def test_closing_a_client_closes_its_pubsubs(server: Dict[str, Any]) -> None:
    observer = redwire.Client(host=server["host"], port=server["port"])

    def subscribed() -> int:
        return sum(b" sub=1 " in line for line in observer.execute("CLIENT", "LIST").splitlines())

    before = subscribed()
    client = redwire.Client(host=server["host"], port=server["port"])
    pubsub = client.pubsub()
    pubsub.subscribe("closing")
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    assert subscribed() == before + 1
    client.close()
    for _ in range(50):
        if subscribed() == before:
            break
        asyncio.run(asyncio.sleep(0.02))
    assert subscribed() == before
    observer.close()


def test_the_asyncio_client_is_awaitable_and_refuses_plain_with(server: Dict[str, Any]) -> None:
    async def main() -> None:
        url = f"redis://{server['host']}:{server['port']}/14"
        client = await redwire.asyncio.connect(url)
        assert await client.ping() is True
        client = await redwire.asyncio.Redis.from_url(url)
        async with client:
            assert await client.set("aw", 1) is True
        with pytest.raises(TypeError, match="async with"):
            with client:
                pass

    asyncio.run(main())

"""Pipelines, transactions, scripts and pub/sub against a real server."""

import pytest

import redwire


def test_pipeline_replies_in_order_with_errors(client: redwire.Client) -> None:
    with client.pipeline(transaction=False) as pipe:
        pipe.set("p:k", "v").incr("p:k").get("p:k").hget("p:none", "f").get("p:missing")
        assert len(pipe) == 5
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], redwire.ResponseError)
    assert "not an integer" in str(results[1])
    assert results[2:] == [b"v", None, None]
    with client.pipeline(transaction=False) as pipe:
        pipe.set("p:k", "v").incr("p:k").get("p:k")
        with pytest.raises(redwire.ResponseError, match=r"command 2 \(INCR\) failed: ERR value is not an integer"):
            pipe.execute()
    assert client.pipeline().execute() == []


def test_a_thousand_commands_in_one_pipeline(client: redwire.Client) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(500):
        pipe.set(f"p:{i}", i)
    for i in range(500):
        pipe.get(f"p:{i}")
    results = pipe.execute()
    assert results[:500] == [True] * 500
    assert results[500:] == [str(i).encode() for i in range(500)]


def test_transactions(client: redwire.Client) -> None:
    with client.pipeline() as pipe:
        results = pipe.set("t:k", 1).incr("t:k").hget("t:k", "f").execute(raise_on_error=False)
    assert results[:2] == [True, 2]
    assert isinstance(results[2], redwire.ResponseError)
    # A command the server refuses to queue aborts the whole transaction.
    with pytest.raises(redwire.ResponseError, match="EXECABORT.*command 2 failed"):
        client.pipeline().set("t:k", 5).execute_command("SET", "only-key").execute()
    assert client.get("t:k") == b"2"


def test_watch_conflicts_raise_watch_error(server: dict) -> None:
    with redwire.Client(host=server["host"], port=server["port"], db=9, max_connections=1) as client:
        # WATCH, a change from elsewhere, then the transaction on the same
        # connection (a pool of one).
        other = redwire.Client(host=server["host"], port=server["port"], db=9)
        client.execute("WATCH", "w:k")
        other.set("w:k", "changed")
        with pytest.raises(redwire.WatchError):
            client.pipeline().set("w:k", "mine").execute()
        assert client.get("w:k") == b"changed"
        other.close()


def test_scripts_survive_script_flush(client: redwire.Client) -> None:
    script = client.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
    assert script(keys=["sc:n"], args=["a"]) == [b"sc:n", b"a", 1]
    client.script_flush()
    assert script(keys=["sc:n"], args=["b"]) == [b"sc:n", b"b", 2]
    client.script_flush()
    pipe = client.pipeline(transaction=False)
    script(keys=["sc:n"], args=["c"], client=pipe)
    pipe.get("sc:n")
    assert pipe.execute() == [[b"sc:n", b"c", 3], b"3"]
    with pytest.raises(redwire.ResponseError):
        client.register_script("return redis.call('NOSUCH')")()


def test_pubsub_messages(client: redwire.Client) -> None:
    with client.pubsub() as pubsub:
        pubsub.subscribe("news", "sport")
        assert pubsub.get_message(timeout=1) == {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1}
        assert pubsub.get_message(timeout=1) == {"type": "subscribe", "pattern": None, "channel": b"sport", "data": 2}
        assert pubsub.get_message(timeout=0.05) is None
        pubsub.psubscribe("we*")
        assert client.publish("news", "hello") == 1
        assert client.publish("weather", b"sun") == 1
        messages = [pubsub.get_message(timeout=1, ignore_subscribe_messages=True) for _ in range(2)]
        assert messages == [
            {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"},
            {"type": "pmessage", "pattern": b"we*", "channel": b"weather", "data": b"sun"},
        ]
        pubsub.unsubscribe()
        kinds = [pubsub.get_message(timeout=1)["type"] for _ in range(2)]
        assert kinds == ["unsubscribe", "unsubscribe"]
        client.publish("news", "unheard")
        pubsub.punsubscribe()
        assert pubsub.get_message(timeout=1)["type"] == "punsubscribe"
        assert pubsub.get_message(timeout=0.1) is None
        pubsub.subscribe("again")
        listener = iter(pubsub)
        assert next(listener)["type"] == "subscribe"
        client.publish("again", "x")
        assert next(listener)["data"] == b"x"

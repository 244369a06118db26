"""Pipelines, transactions, scripts and pub/sub against a real server."""

import threading
import time

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


def test_watch_reads_at_once_then_runs_the_transaction_on_its_connection(server: dict) -> None:
    with redwire.Client(host=server["host"], port=server["port"], db=9) as client:
        other = redwire.Client(host=server["host"], port=server["port"], db=9)
        client.set("w:k", 1)
        with client.pipeline() as pipe:
            assert pipe.watch("w:k") is True
            assert pipe.watching
            # Between WATCH and MULTI, commands run at once on the held connection.
            held = pipe.execute_command("CLIENT", "ID")
            assert pipe.get("w:k") == b"1"
            pipe.multi()
            assert pipe.set("w:k", 2) is pipe
            assert pipe.execute() == [True]
        # Released to the pool: EXEC ended the watch, so it is reused.
        assert client.pool_stats()["in_use"] == 0
        with client.pipeline() as pipe:
            pipe.watch("w:k")
            assert pipe.execute_command("CLIENT", "ID") == held
            pipe.unwatch()
        # A change from elsewhere between WATCH and EXEC: WatchError.
        with client.pipeline() as pipe:
            pipe.watch("w:k")
            other.set("w:k", "changed")
            pipe.multi()
            pipe.set("w:k", "mine")
            with pytest.raises(redwire.WatchError):
                pipe.execute()
        assert client.get("w:k") == b"changed"
        # Left while watching (reset without EXEC): closed, not pooled again.
        pipe = client.pipeline()
        pipe.watch("w:k")
        left = pipe.execute_command("CLIENT", "ID")
        pipe.reset()
        with client.pipeline() as pipe:
            pipe.watch("w:k")
            assert pipe.execute_command("CLIENT", "ID") != left
            pipe.unwatch()
        with pytest.raises(redwire.RedisError, match="WATCH must come before MULTI"):
            client.pipeline().set("w:k", 1).watch("w:k")
        # After UNWATCH, commands queue again, as in redis-py.
        with client.pipeline() as pipe:
            pipe.watch("w:k")
            assert pipe.unwatch() is True
            assert not pipe.watching
            assert pipe.set("w:k", "queued") is pipe
            assert client.get("w:k") == b"changed"
            assert pipe.execute() == [True]
        assert client.get("w:k") == b"queued"
        other.close()


def test_a_command_that_keeps_state_is_refused_before_it_is_sent(server: dict) -> None:
    # Its connection is shared or picked per request: a WATCH, MULTI or
    # SELECT there would reach other callers. Refused, nothing sent.
    with redwire.Client(host=server["host"], port=server["port"], db=9, max_connections=1) as client:
        other = redwire.Client(host=server["host"], port=server["port"], db=9)
        shared = "leaves state on its connection, which this client shares:"
        for command, message in (
            (("WATCH", "w:plain"), f"^WATCH {shared} use a pipeline"),
            (("MULTI",), f"^MULTI {shared} use a pipeline"),
            (("SELECT", "2"), f"^SELECT {shared} make a client with db="),
            (("CLIENT", "SETNAME", "x"), f"^CLIENT {shared} set it with the client's options"),
            (("WAIT", "1", "0"), "^WAIT counts the writes made before it on its connection: send it after"),
        ):
            with pytest.raises(redwire.RedisError, match=message):
                client.execute(*command)
        other.set("w:plain", "changed")
        assert client.pipeline().set("w:plain", "mine").execute() == [True]
        assert client.get("w:plain") == b"mine"
        assert other.execute("CLIENT", "LIST").count(b" db=2 ") == 0
        other.close()


def test_transaction_retries_until_no_watched_key_changed(client: redwire.Client, server: dict) -> None:
    other = redwire.Client(host=server["host"], port=server["port"], db=9)
    client.set("w:counter", 10)
    attempts = []

    def double(pipe: redwire.Pipeline) -> int:
        value = int(pipe.get("w:counter"))
        attempts.append(value)
        if len(attempts) == 1:
            other.incr("w:counter")  # spoils the first attempt
        pipe.multi()
        pipe.set("w:counter", value * 2)
        return value

    assert client.transaction(double, "w:counter") == [True]
    assert attempts == [10, 11]
    assert client.get("w:counter") == b"22"
    assert client.transaction(double, "w:counter", value_from_callable=True) == 22
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


def test_one_thread_listens_while_another_subscribes(client: redwire.Client) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("l:first")
    received = []

    def listen() -> None:
        for message in pubsub.listen():
            received.append((message["type"], message["channel"], message["data"]))

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.2)
    # The listener waits inside a read: subscribing does not wait for it.
    started = time.monotonic()
    pubsub.subscribe("l:second")
    assert time.monotonic() - started < 1
    deadline = time.monotonic() + 5
    while client.publish("l:second", "hello") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    pubsub.unsubscribe()
    listener.join(timeout=5)
    # Unsubscribed from everything, listen() ended by itself.
    assert not listener.is_alive()
    assert received[:3] == [
        ("subscribe", b"l:first", 1),
        ("subscribe", b"l:second", 2),
        ("message", b"l:second", b"hello"),
    ]
    # Unsubscribing from every channel: the server picks the order.
    assert [(kind, count) for kind, _, count in received[3:]] == [("unsubscribe", 1), ("unsubscribe", 0)]
    assert {channel for _, channel, _ in received[3:]} == {b"l:first", b"l:second"}
    assert not pubsub.subscribed
    # Nothing subscribed: listen() ends at once.
    assert list(pubsub.listen()) == []
    pubsub.close()


def test_close_ends_a_waiting_listener(client: redwire.Client) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("l:quiet")
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    heard = []
    listener = threading.Thread(target=lambda: heard.extend(pubsub.listen()))
    listener.start()
    time.sleep(0.2)
    started = time.monotonic()
    pubsub.close()
    listener.join(timeout=5)
    # The listener waited with no timeout: the close itself ended it.
    assert not listener.is_alive()
    assert time.monotonic() - started < 0.5
    assert heard == []
    # The server sees the connection go (a moment later).
    deadline = time.monotonic() + 2
    while client.publish("l:quiet", "unheard") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.publish("l:quiet", "unheard") == 0, "the connection was closed"


def test_listening_goes_on_across_an_unsubscribe_and_a_subscribe(client: redwire.Client) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("l:old")
    # Unsubscribed from the only channel, then subscribed to another: the
    # confirmation counting none left is read while l:new is asked for,
    # so the listener goes on.
    pubsub.unsubscribe("l:old")
    pubsub.subscribe("l:new")
    heard = []
    listener = threading.Thread(target=lambda: heard.extend((m["type"], m["data"]) for m in pubsub.listen()))
    listener.start()
    deadline = time.monotonic() + 5
    while client.publish("l:new", "hello") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    while ("message", b"hello") not in heard and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.is_alive()
    pubsub.unsubscribe()
    listener.join(timeout=5)
    assert not listener.is_alive()
    assert heard == [
        ("subscribe", 1),
        ("unsubscribe", 0),
        ("subscribe", 1),
        ("message", b"hello"),
        ("unsubscribe", 0),
    ]
    pubsub.close()


def test_an_error_reply_to_a_subscription_is_raised(client: redwire.Client) -> None:
    with client.pubsub() as pubsub:
        pubsub.subscribe()
        with pytest.raises(redwire.ResponseError, match="wrong number of arguments"):
            pubsub.get_message(timeout=1)


def test_messages_wait_past_the_socket_timeout(server: dict) -> None:
    with redwire.Client(host=server["host"], port=server["port"], socket_timeout=0.2) as client:
        with client.pubsub() as pubsub:
            pubsub.subscribe("t:slow")
            assert pubsub.get_message(timeout=1)["type"] == "subscribe"
            started = time.monotonic()
            # No message for longer than the socket timeout: no error.
            assert pubsub.get_message(timeout=0.6) is None
            assert time.monotonic() - started >= 0.5
            client.publish("t:slow", "late")
            assert pubsub.get_message(timeout=1)["data"] == b"late"


def test_a_lost_connection_is_resubscribed_as_redis_py_s(client: redwire.Client) -> None:
    with client.pubsub() as pubsub:
        pubsub.subscribe("r:news")
        pubsub.psubscribe("r:p*")
        assert [pubsub.get_message(timeout=1)["type"] for _ in range(2)] == ["subscribe", "psubscribe"]
        assert client.execute("CLIENT", "KILL", "TYPE", "pubsub") >= 1
        # The read connects again and subscribes again to both.
        again = sorted(pubsub.get_message(timeout=2)["type"] for _ in range(2))
        assert again == ["psubscribe", "subscribe"]
        assert client.publish("r:news", "back") == 1
        assert client.publish("r:pattern", "too") == 1
        messages = [pubsub.get_message(timeout=1) for _ in range(2)]
        assert [(m["type"], m["data"]) for m in messages] == [("message", b"back"), ("pmessage", b"too")]

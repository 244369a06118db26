"""The sync client against a real server: commands, replies, options, errors."""

import _thread
import builtins
import datetime
import signal
import socket
import threading
import time

import pytest

import redwire


def test_strings_and_set_options(client: redwire.Client) -> None:
    assert client.set("s:k", "v1") is True
    assert client.get("s:k") == b"v1"
    assert client.get("s:missing") is None
    assert client.set("s:k", "v2", nx=True) is None
    assert client.set("s:k", "v3", xx=True) is True
    assert client.set("s:new", "v", xx=True) is None
    assert client.set("s:k", "v4", get=True) == b"v3"
    assert client.set("s:ttl", "v", ex=100) is True
    assert 95 <= client.ttl("s:ttl") <= 100
    assert client.set("s:pttl", "v", px=100000) is True
    assert 95000 <= client.pttl("s:pttl") <= 100000
    assert client.incr("s:n") == 1
    assert client.incr("s:n", 5) == 6
    assert client.decr("s:n", 2) == 4
    assert client.incrbyfloat("s:f", 1.5) == 1.5
    assert client.mset({"s:a": 1, "s:b": b"two"}) is True
    assert client.mget("s:a", "s:b", "s:none") == [b"1", b"two", None]
    assert client.append("s:a", "0") == 2
    assert client.strlen("s:a") == 2
    assert client.delete("s:a", "s:b", "s:none") == 2
    assert client.exists("s:k", "s:a") == 1
    assert client.expire("s:k", 50) is True
    assert client.expire("s:none", 50) is False
    assert client.persist("s:k") is True
    assert client.type("s:k") == b"string"
    assert client.rename("s:k", "s:k2") is True
    assert sorted(client.keys("s:k*")) == [b"s:k2"]
    assert client.setex("s:ex", 10, "v") is True
    assert client.setnx("s:ex", "w") is False
    # Times to live as timedelta, as redis-py takes them; keys as one list.
    assert client.set("s:td", "v", ex=datetime.timedelta(minutes=2)) is True
    assert 115 <= client.ttl("s:td") <= 120
    assert client.set("s:td", "v", px=datetime.timedelta(seconds=30)) is True
    assert 29000 <= client.pttl("s:td") <= 30000
    assert client.expire("s:td", datetime.timedelta(hours=1)) is True
    assert 3590 <= client.ttl("s:td") <= 3600
    assert client.setex("s:td", datetime.timedelta(seconds=40), "v") is True
    assert 35 <= client.ttl("s:td") <= 40
    assert client.mget(["s:td", "s:none"]) == [b"v", None]


def test_hashes_sets_lists_and_sorted_sets(client: redwire.Client) -> None:
    assert client.hset("h", "f", 1) == 1
    assert client.hset("h", mapping={"g": "x", "h": 2.5}) == 2
    assert client.hgetall("h") == {b"f": b"1", b"g": b"x", b"h": b"2.5"}
    assert client.hget("h", "g") == b"x"
    assert client.hmget("h", ["f", "nope"]) == [b"1", None]
    assert client.hexists("h", "f") is True
    assert client.hincrby("h", "f", 4) == 5
    assert client.hincrbyfloat("h", "h", 0.5) == 3.0
    assert client.hlen("h") == 3
    assert sorted(client.hkeys("h")) == [b"f", b"g", b"h"]
    assert client.hdel("h", "f", "nope") == 1
    with pytest.raises(redwire.DataError):
        client.hset("h")
    assert client.sadd("set", "a", "b", "a") == 2
    assert client.smembers("set") == {b"a", b"b"}
    # An integer, as redis-py gives it.
    assert client.sismember("set", "a") == 1
    assert client.sismember("set", "z") == 0
    assert client.scard("set") == 2
    assert client.srem("set", "a") == 1
    assert client.lpush("list", "b", "a") == 2
    assert client.rpush("list", "c") == 3
    assert client.lrange("list", 0, -1) == [b"a", b"b", b"c"]
    assert client.llen("list") == 3
    assert client.lpop("list") == b"a"
    assert client.rpop("list") == b"c"
    assert client.blpop("list", 1) == (b"list", b"b")
    assert client.blpop(["list"], 0.1) is None
    assert client.zadd("z", {"a": 1, "b": 2.5}) == 2
    assert client.zscore("z", "b") == 2.5
    assert client.zrange("z", 0, -1) == [b"a", b"b"]
    assert client.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.5)]
    assert client.zcard("z") == 2


def test_any_command_and_reply_types(client: redwire.Client) -> None:
    # execute_command reads the reply as redis-py's; execute gives it as it came.
    assert client.execute_command("SET", "k", 42) is True
    assert client.execute("SET", "k", 42) == b"OK"
    assert client.execute("GET", "k") == b"42"
    assert client.execute("INCRBY", "k", -2) == 40
    nested = client.execute("EVAL", "return {1, {2, 'x'}, false, 'end'}", 0)
    assert nested == [1, [2, b"x"], None, b"end"]
    # Big ints and floats as Python writes them.
    client.set("big", 2**70)
    assert client.get("big") == str(2**70).encode()
    client.set("flt", 0.1)
    assert client.get("flt") == b"0.1"
    assert client.ping() is True
    assert client.echo(b"\x00\xff") == b"\x00\xff"
    assert client.dbsize() == 3
    info = client.info("server")
    assert isinstance(info["redis_version"], str) and info["tcp_port"] > 0
    with pytest.raises(redwire.DataError, match="argument 3 is a bool"):
        client.execute("SET", "k", True)
    with pytest.raises(redwire.DataError, match="argument 3 is a list"):
        client.execute("SET", "k", [1])
    with pytest.raises(TypeError):
        client.execute()


def test_resp3_types(server: dict) -> None:
    with redwire.Client(host=server["host"], port=server["port"], db=9, protocol=3) as client:
        client.hset("r3", mapping={"a": 1})
        assert client.execute("HGETALL", "r3") == {b"a": b"1"}
        assert client.hgetall("r3") == {b"a": b"1"}
        client.sadd("r3s", "x", "y")
        # A RESP3 set comes as a list, as redis-py reads it (its members may
        # be maps); smembers() makes it a set.
        raw = client.execute("SMEMBERS", "r3s")
        assert isinstance(raw, list) and sorted(raw) == [b"x", b"y"]
        assert client.smembers("r3s") == {b"x", b"y"}
        client.zadd("r3z", {"m": 1.5})
        assert client.execute("ZSCORE", "r3z", "m") == 1.5
        assert client.execute("EVAL", "return {double=3.5}", 0) == 3.5
        assert client.execute("EVAL", "redis.setresp(3); return true", 0) is True
        assert client.execute("EVAL", "redis.setresp(3); return false", 0) is False
        big = client.execute("EVAL", "return {big_number='12345678901234567890123'}", 0)
        assert big == 12345678901234567890123


def test_decode_responses(server: dict) -> None:
    url = f"redis://{server['host']}:{server['port']}/9"
    with redwire.connect(url, decode_responses=True) as client:
        client.set("d", "héllo")
        assert client.get("d") == "héllo"
        client.hset("dh", mapping={"f": "v"})
        assert client.hgetall("dh") == {"f": "v"}
        # Binary data is never silently altered.
        client.set("bin", b"\xff\xfe")
        with pytest.raises(UnicodeDecodeError):
            client.get("bin")
        assert client.ping() is True


def test_host_port_and_db_positionally_and_from_url(server: dict) -> None:
    with redwire.Client(server["host"], server["port"], 6) as client:
        assert " db=6 " in client.execute("CLIENT", "INFO").decode()
    with redwire.Client.from_url(f"redis://{server['host']}:{server['port']}/7") as client:
        assert type(client) is redwire.Client
        assert " db=7 " in client.execute("CLIENT", "INFO").decode()


def test_server_errors_keep_the_message(client: redwire.Client) -> None:
    client.set("wrong", "x")
    with pytest.raises(redwire.ResponseError) as caught:
        client.hget("wrong", "f")
    assert str(caught.value).startswith("WRONGTYPE Operation against a key holding the wrong kind")
    with pytest.raises(redwire.ResponseError, match="unknown command"):
        client.execute("NOSUCHCOMMAND")
    with pytest.raises(redwire.NoScriptError):
        client.evalsha("0" * 40, 0)
    # The connection is still good after error replies.
    assert client.ping() is True


def test_url_forms_and_options(server: dict) -> None:
    host, port = server["host"], server["port"]
    with redwire.connect(f"redis://{host}:{port}/3") as client:
        assert " db=3 " in client.execute("CLIENT", "INFO").decode()
    # What the URL says wins over the keywords, as in redis-py.
    with redwire.connect(f"redis://{host}:{port}/3", db=4) as client:
        assert " db=3 " in client.execute("CLIENT", "INFO").decode()
    with redwire.Client.from_url(f"unix://{server['unix_socket']}", db=5) as client:
        info = client.execute("CLIENT", "INFO").decode()
        assert " db=5 " in info and "addr=/" in info
    with redwire.Client(unix_socket_path=server["unix_socket"], client_name="py-test") as client:
        assert client.execute("CLIENT", "GETNAME") == b"py-test"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"port": 0}, "invalid option port: expected an int 1..65535, got 0"),
        ({"port": "6379"}, "invalid option port: expected an int 1..65535, got '6379'"),
        ({"db": -1}, "invalid option db: expected an int 0..4294967295, got -1"),
        ({"socket_timeout": 0}, "invalid option socket_timeout: expected a positive number of seconds, got 0"),
        ({"protocol": 4}, "invalid option protocol: expected an int 2..3, got 4"),
        ({"service_name": "m"}, "invalid option service_name: it needs sentinels=[(host, port), …]"),
        ({"sentinels": [("h", 0)]}, "invalid option sentinels: expected a list of (host, port) pairs, got ('h', 0)"),
        ({"username": "u"}, "invalid option username: it needs a password"),
        ({"bogus": 1}, "unknown option bogus"),
        (
            {"sentinels": [("h", 1)], "sentinel_username": "u"},
            "invalid option sentinel_username: it needs sentinel_password",
        ),
        ({"password": 1234}, "invalid option password: expected a str, got int"),
        ({"max_connections": 0}, "invalid option max_connections: expected an int 1..100000, got 0"),
        ({"pool_timeout": 1e-10}, "invalid option pool_timeout: expected a positive number of seconds, got 1e-10"),
    ],
)
def test_bad_options_name_the_option(options: dict, message: str) -> None:
    with pytest.raises(redwire.ConfigError) as caught:
        redwire.Client(**options)
    assert str(caught.value) == message


def test_bad_urls_and_unknown_options() -> None:
    with pytest.raises(redwire.ConfigError, match="unknown option colour"):
        redwire.connect("redis://127.0.0.1:6379", colour="blue")
    with pytest.raises(redwire.ConfigError, match="port"):
        redwire.connect("redis://127.0.0.1:99999")
    with pytest.raises(redwire.ConfigError, match="scheme"):
        redwire.connect("ftp://127.0.0.1")
    with pytest.raises(redwire.ConfigError) as caught:
        redwire.connect("redis://user:s3cr3t@127.0.0.1:0")
    assert "s3cr3t" not in str(caught.value)

    class Url:
        def __repr__(self) -> str:
            return "Url('redis://user:s3cr3t@host')"

    with pytest.raises(redwire.ConfigError) as caught:
        redwire.Client(url=Url())
    assert "s3cr3t" not in str(caught.value)
    with pytest.raises(redwire.ConfigError, match="sentinels"):
        redwire.connect("sentinel://mymaster:m")
    assert issubclass(redwire.ConfigError, ValueError)


def test_connection_errors_and_timeouts(server: dict) -> None:
    with pytest.raises(redwire.ConnectionError) as caught:
        redwire.Client(port=1).get("x")
    assert "127.0.0.1:1" in str(caught.value)
    with redwire.Client(host=server["host"], port=server["port"], socket_timeout=0.2) as client:
        started = time.monotonic()
        with pytest.raises(redwire.TimeoutError) as timed_out:
            client.blpop("never", 0)
        assert time.monotonic() - started < 5
        assert isinstance(timed_out.value, builtins.TimeoutError)
        assert isinstance(timed_out.value, redwire.RedisError)
        # The timed-out connection was dropped; the next request works.
        assert client.ping() is True


def test_a_connect_timeout_is_a_timeout_error() -> None:
    # Accepted by the kernel, never answered: the handshake (SELECT) stalls.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = redwire.Client(port=port, db=1, socket_connect_timeout=0.2)
        started = time.monotonic()
        with pytest.raises(redwire.TimeoutError, match="select timed out after 200ms for 127.0.0.1"):
            client.get("x")
        assert time.monotonic() - started < 2


def test_ctrl_c_interrupts_a_blocking_call(server: dict) -> None:
    # A process a shell starts in the background ignores SIGINT, and then
    # `interrupt_main` does nothing: Python's handler is installed here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with redwire.Client(host=server["host"], port=server["port"], db=9) as client:
            timer = threading.Timer(0.3, _thread.interrupt_main)
            timer.start()
            started = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                client.blpop("i:never", 0)
            assert time.monotonic() - started < 2
            timer.join()
            # The interrupted request's connection was dropped; the client works.
            assert client.ping() is True
            assert client.pool_stats()["in_use"] == 0
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_pool_reuses_and_bounds_connections(server: dict) -> None:
    with redwire.Client(host=server["host"], port=server["port"], max_connections=2, pool_timeout=0.3) as client:
        # Commands that may share a connection share one, outside the pool.
        ids = {client.execute("CLIENT", "ID") for _ in range(20)}
        assert len(ids) == 1
        assert client.pool_stats()["created"] == 0
        # Blocking commands take pooled connections: two blocked leave none
        # for a third, and hold up no shared command.
        import threading

        blockers = [threading.Thread(target=client.blpop, args=("blocked", 1)) for _ in range(2)]
        for thread in blockers:
            thread.start()
        time.sleep(0.2)
        with pytest.raises(redwire.PoolExhaustedError):
            client.blpop("blocked", 1)
        assert client.get("x") is None
        for thread in blockers:
            thread.join()
        # Given back and reused.
        for _ in range(3):
            assert client.blpop("blocked", 0.01) is None
        assert client.pool_stats()["created"] == 2
        assert client.pool_stats()["in_use"] == 0


def test_pool_size_defaults_to_the_environment(server: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_CLIENT_POOL_SIZE", "1")
    with redwire.Client(host=server["host"], port=server["port"], pool_timeout=0.3) as client:
        import threading

        blocker = threading.Thread(target=client.blpop, args=("blocked-env", 1))
        blocker.start()
        time.sleep(0.2)
        # The pool's one connection is taken: a second blocking command
        # waits for it in vain (a GET would share the multiplexed one).
        with pytest.raises(redwire.PoolExhaustedError):
            client.blpop("blocked-env", 1)
        assert client.get("x") is None
        blocker.join()


def test_close_and_context_manager(server: dict) -> None:
    client = redwire.Client(host=server["host"], port=server["port"])
    first = client.execute("CLIENT", "ID")
    client.close()
    assert client.execute("CLIENT", "ID") != first
    with client:
        assert client.ping() is True

"""TLS, ACL users, sentinel sets and a cluster."""

import pytest

import redwire
from conftest import addresses


def test_acl_users_and_wrong_passwords(acl_server: dict) -> None:
    host, port = acl_server["host"], acl_server["port"]
    with redwire.Client(host=host, port=port, username="app", password="app-secret") as client:
        assert client.execute("ACL", "WHOAMI") == b"app"
    with redwire.connect(f"redis://app:app-secret@{host}:{port}") as client:
        assert client.execute("ACL", "WHOAMI") == b"app"
    with pytest.raises(redwire.AuthenticationError) as caught:
        redwire.Client(host=host, port=port, username="app", password="not-it").ping()
    assert "WRONGPASS" in str(caught.value)
    assert "not-it" not in str(caught.value)


def test_tls(tls_server: dict) -> None:
    host, port, ca = tls_server["host"], tls_server["port"], tls_server["tls"]["ca_cert"]
    with redwire.Client(host=host, port=port, password="secret", ssl=True, ssl_ca_certs=ca, db=2) as client:
        assert client.set("tls", "yes") is True
        assert client.get("tls") == b"yes"
    with redwire.connect(f"rediss://:secret@{host}:{port}", ssl_ca_certs=ca) as client:
        assert client.ping() is True
    # Not trusting the testkit's CA: the handshake fails.
    with pytest.raises(redwire.ConnectionError):
        redwire.connect(f"rediss://:secret@{host}:{port}").ping()
    with redwire.connect(f"rediss://:secret@{host}:{port}", ssl_cert_reqs="none") as client:
        assert client.ping() is True


def test_sentinel_master_and_replica(sentinel_set: dict) -> None:
    options = dict(
        sentinels=addresses(sentinel_set["sentinels"]),
        password="data-secret",
        sentinel_username="watcher",
        sentinel_password="watch-secret",
    )
    with redwire.connect("sentinel://mymaster:m", **options) as master:
        assert master.execute("ROLE")[0] == b"master"
        assert master.info("server")["tcp_port"] == sentinel_set["master"]["port"]
        # WAIT counts the writes before it on its connection: in one pipeline.
        assert master.pipeline(transaction=False).set("sentinel:k", "v").execute_command("WAIT", 2, 5000).execute() == [True, 2]
    with redwire.Client(service_name="mymaster", sentinel_role="replica", **options) as replica:
        assert replica.execute("ROLE")[0] == b"slave"
        assert replica.get("sentinel:k") == b"v"
    with pytest.raises(redwire.ConnectionError):
        redwire.Client(service_name="nosuchmaster", **options).ping()
    wrong = dict(options, sentinel_password="wrong-one")
    with pytest.raises(redwire.RedisError) as caught:
        redwire.Client(service_name="mymaster", **wrong).ping()
    assert "wrong-one" not in str(caught.value)


def test_cluster(cluster: dict) -> None:
    seeds = ",".join(f"{node['host']}:{node['port']}" for node in cluster["nodes"][:2])
    with redwire.connect(f"redis+cluster://{seeds}") as client:
        for i in range(200):
            client.set(f"c:{i}", i)
        assert [client.get(f"c:{i}") for i in range(200)] == [str(i).encode() for i in range(200)]
        # A cluster pipeline is not a transaction unless asked for.
        pipe = client.pipeline()
        for i in range(200):
            pipe.incr(f"c:{i}")
        assert pipe.execute() == list(range(1, 201))
        with pytest.raises(redwire.ResponseError, match="CROSSSLOT"):
            client.mget("c:1", "c:2")
        assert client.mget("{c}1", "{c}2") == [None, None]
    with pytest.raises(redwire.ConfigError, match="db"):
        redwire.connect(f"redis+cluster://{seeds}/3")

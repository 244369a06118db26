"""redis-py's constructor options: honoured, accepted as documented no-ops,
or refused by name; ConnectionPool shared by the clients made with it."""

import socket
import ssl
from typing import Any, Dict

import pytest
import redis

import redwire


def test_the_options_django_celery_and_rq_pass_are_accepted(server: Dict[str, Any]) -> None:
    client = redwire.Redis(
        host=server["host"],
        port=server["port"],
        db=9,
        health_check_interval=30,
        retry_on_timeout=True,
        retry=redis.retry.Retry(redis.backoff.NoBackoff(), 3),
        socket_keepalive=True,
        socket_keepalive_options={},
        encoding="utf-8",
        encoding_errors="strict",
        single_connection_client=False,
        lib_name="redwire",
        lib_version="0",
        socket_read_size=65536,
    )
    assert client.ping() is True
    client.close()


@pytest.mark.parametrize(
    "option, value",
    [
        ("encoding", "latin-1"),
        ("encoding_errors", "replace"),
        ("cache_config", object()),
        ("redis_connect_func", print),
        ("ssl_ca_data", "-----BEGIN CERTIFICATE-----"),
        ("ssl_cert_reqs", "sometimes"),
        ("ssl_check_hostname", False),
    ],
)
def test_an_option_without_its_behaviour_is_refused_by_name(server: Dict[str, Any], option: str, value: Any) -> None:
    # TLS options on a TLS client (on a plain one they mean nothing, as in redis-py).
    tls = {"ssl": True} if option.startswith("ssl_") else {}
    with pytest.raises(redwire.ConfigError, match=option):
        redwire.Redis(host=server["host"], port=server["port"], **tls, **{option: value})


def test_a_credential_provider_gives_the_credentials(acl_server: Dict[str, Any]) -> None:
    provider = redis.UsernamePasswordCredentialProvider("app", "app-secret")
    client = redwire.Redis(host=acl_server["host"], port=acl_server["port"], credential_provider=provider)
    assert client.execute_command("ACL WHOAMI") == "app"
    client.close()


@pytest.mark.parametrize("unverified", [None, "none", ssl.CERT_NONE])
def test_ssl_cert_reqs_none_verifies_nothing_as_in_redis_py(tls_server: Dict[str, Any], unverified: Any) -> None:
    # No CA given: only an unverified connection gets through.
    options = dict(host=tls_server["host"], port=tls_server["port"], password="secret", ssl=True)
    client = redwire.Redis(ssl_cert_reqs=unverified, ssl_check_hostname=False, **options)
    assert client.ping() is True
    client.close()
    if unverified is None:
        with pytest.raises(redwire.ConnectionError):
            redwire.Redis(**options).ping()


def test_clients_of_one_connection_pool_share_its_connections(server: Dict[str, Any]) -> None:
    pool = redwire.ConnectionPool(host=server["host"], port=server["port"], db=9, max_connections=3)
    first, second = redwire.Redis(connection_pool=pool), redwire.Redis(connection_pool=pool)
    assert first.execute_command("CLIENT", "ID") == second.execute_command("CLIENT", "ID")
    other = redwire.Redis(connection_pool=redwire.ConnectionPool.from_url(f"redis://{server['host']}:{server['port']}/9"))
    assert other.execute_command("CLIENT", "ID") != first.execute_command("CLIENT", "ID")
    before = first.execute_command("CLIENT", "ID")
    pool.disconnect()
    assert first.execute_command("CLIENT", "ID") != before
    blocking = redwire.BlockingConnectionPool(max_connections=1, timeout=0.2, host=server["host"], port=server["port"])
    assert redwire.Redis(connection_pool=blocking).ping() is True


def test_sentinel_gives_clients_of_the_master_and_a_replica(sentinel_set: Dict[str, Any]) -> None:
    sentinels = [(s["host"], s["port"]) for s in sentinel_set["sentinels"]]
    sentinel = redwire.Sentinel(
        sentinels, sentinel_kwargs={"username": "watcher", "password": "watch-secret"}, password="data-secret"
    )
    assert sentinel.discover_master("mymaster") == (sentinel_set["master"]["host"], sentinel_set["master"]["port"])
    replicas = sentinel.discover_slaves("mymaster")
    assert replicas and all(isinstance(port, int) for _, port in replicas)
    master = sentinel.master_for("mymaster", socket_timeout=5)
    assert master.info("server")["tcp_port"] == sentinel_set["master"]["port"]
    replica = sentinel.slave_for("mymaster", decode_responses=True)
    assert replica.execute("ROLE")[0] == "slave"
    master.close()
    replica.close()
    with pytest.raises(redwire.ConfigError, match="sentinel_kwargs"):
        redwire.Sentinel(sentinels, sentinel_kwargs={"ssl_ciphers": "x"})


def test_redis_cluster_from_a_node_nodes_or_a_url(cluster: Dict[str, Any]) -> None:
    node = cluster["nodes"][0]
    for client in (
        redwire.RedisCluster(host=node["host"], port=node["port"], require_full_coverage=True),
        redwire.RedisCluster(startup_nodes=[redwire.ClusterNode(n["host"], n["port"]) for n in cluster["nodes"][:2]]),
        redwire.RedisCluster.from_url(f"redis://{node['host']}:{node['port']}"),
    ):
        for i in range(20):
            client.set(f"rc:{i}", i)
        assert [client.get(f"rc:{i}") for i in range(20)] == [str(i).encode() for i in range(20)]
        client.close()
    with pytest.raises(redwire.RedisClusterException):
        redwire.RedisCluster()


def _keepalive_timer(client: Any) -> int:
    """The kernel's keepalive timer of the client's connection, in clock
    ticks (0 when keepalive is off), read from /proc/net/tcp by the local
    port the server sees."""
    local_port = int(client.client_info()["addr"].rsplit(":", 1)[1])
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            # Established (01): an older socket of the port may linger in TIME_WAIT.
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port and fields[3] == "01":
                timer, remaining = fields[5].split(":")
                return int(remaining, 16) if timer == "02" else 0
    raise AssertionError(f"no socket on local port {local_port}")


def test_socket_keepalive_is_on_by_default_and_follows_redis_pys_options(server: Dict[str, Any]) -> None:
    address = {"host": server["host"], "port": server["port"]}
    default = redwire.Redis(**address)
    # Probes after 15 s of quiet (1500 ticks of 10 ms; less on a connection
    # kept a while).
    assert 0 < _keepalive_timer(default) <= 1500
    off = redwire.Redis(**address, socket_keepalive=False)
    assert _keepalive_timer(off) == 0
    longer = redwire.Redis(**address, socket_keepalive=True, socket_keepalive_options={socket.TCP_KEEPIDLE: 60})
    assert 1500 < _keepalive_timer(longer) <= 6000
    with pytest.raises(redwire.exceptions.ConfigError, match="socket_keepalive_options"):
        redwire.Redis(**address, socket_keepalive_options={socket.SO_REUSEADDR: 1})
    for client in (default, off, longer):
        client.close()

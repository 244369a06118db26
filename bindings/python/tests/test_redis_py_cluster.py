"""``RedisCluster`` beside redis-py's on one real cluster: commands redis-py
sends to every primary, splits by slot or sends where ``target_nodes``
says give the same replies."""

from typing import Any, Dict, List

import pytest
import redis

import redwire


def _program(client: Any) -> List[Any]:
    """One program's use of a cluster; what it saw, in order (lists merged
    from several nodes sorted: their order is the nodes')."""
    primaries = client.PRIMARIES
    seen: List[Any] = [client.flushall()]
    seen.append(client.mset_nonatomic({"a": 1, "b": 2, "c": 3, "{a}x": 4, "k:1": 5}))
    seen.append(client.mget_nonatomic(["a", "b", "nokey", "c"], "{a}x"))
    seen.append(client.exists("a", "b", "nokey", "c", "{a}x"))
    seen.append(client.touch("a", "b", "nokey"))
    seen.append(client.delete("a", "b", "nokey"))
    seen.append(client.unlink("c", "{a}x"))
    seen.append(client.exists("a", "b", "c"))
    for i in range(40):
        client.set(f"k:{i}", i)
    seen.append(sorted(client.keys("k:*", target_nodes=primaries)))
    seen.append(client.dbsize(target_nodes=primaries))
    seen.append(sorted(client.scan_iter(match="k:*", count=7)))
    seen.append(client.ping(target_nodes=client.ALL_NODES))
    seen.append(client.config_resetstat(target_nodes=primaries))
    sha = client.script_load("return 7")
    seen.append(sha)
    seen.append(client.script_exists(sha, "0" * 40))
    seen.append(client.script_flush())
    seen.append(client.script_exists(sha))
    seen.append(sorted(client.pubsub_channels(target_nodes=primaries)))
    seen.append(client.pubsub_numsub("nobody", target_nodes=primaries))
    seen.append(client.keyslot("foo"))
    seen.append(sorted(node.name for node in client.get_primaries()))
    seen.append(sorted(node.name for node in client.get_nodes()))
    # One node named: its reply alone.
    first = client.get_primaries()[0]
    seen.append(client.dbsize(target_nodes=first) == client.dbsize(target_nodes=[first]))
    seen.append(client.get_node(first.host, first.port) == first)
    seen.append(client.get_node("nowhere", 1))
    # Several nodes, no merging: {node name: reply}.
    echoed = client.echo("hi", target_nodes=primaries)
    seen.append(sorted(echoed.items()))
    infos = client.info("server", target_nodes=primaries)
    seen.append(sorted(infos) == sorted(node.name for node in client.get_primaries()))
    seen.append(all("redis_version" in info for info in infos.values()))
    flushed = client.flushdb()
    seen.append(sorted(flushed.items()) if isinstance(flushed, dict) else flushed)
    seen.append(client.dbsize(target_nodes=primaries))
    return seen


@pytest.mark.parametrize("decode", [False, True])
def test_the_same_cluster_program_gives_the_same_replies(cluster: Dict[str, Any], decode: bool) -> None:
    node = cluster["nodes"][0]
    theirs = redis.RedisCluster(host=node["host"], port=node["port"], decode_responses=decode)
    expected = _program(theirs)
    theirs.close()
    ours = redwire.RedisCluster(host=node["host"], port=node["port"], decode_responses=decode)
    got = _program(ours)
    ours.close()
    assert got == expected


def test_target_nodes_that_name_nothing_known_are_refused(cluster: Dict[str, Any]) -> None:
    node = cluster["nodes"][0]
    client = redwire.RedisCluster(host=node["host"], port=node["port"])
    with pytest.raises(redwire.RedisClusterException, match="unknown set of nodes 'everyone'"):
        client.dbsize(target_nodes="everyone")
    with pytest.raises(redwire.RedisClusterException, match="give a ClusterNode"):
        client.dbsize(target_nodes=[("127.0.0.1", 1)])
    with pytest.raises(redwire.RedisError, match="node"):
        client.dbsize(target_nodes=redwire.ClusterNode("127.0.0.1", 1))
    client.close()


async def _async_program(client: Any) -> List[Any]:
    """The asyncio twin of ``_program``'s main steps."""
    primaries = client.PRIMARIES
    seen: List[Any] = [await client.flushall()]
    seen.append(await client.mset_nonatomic({"a": 1, "b": 2, "c": 3, "{a}x": 4}))
    seen.append(await client.mget_nonatomic(["a", "b", "nokey", "c"], "{a}x"))
    seen.append(await client.exists("a", "b", "nokey", "c", "{a}x"))
    seen.append(await client.delete("a", "b", "nokey"))
    for i in range(30):
        await client.set(f"k:{i}", i)
    seen.append(sorted(await client.keys("k:*", target_nodes=primaries)))
    seen.append(await client.dbsize(target_nodes=primaries))
    seen.append(sorted([key async for key in client.scan_iter(match="k:*", count=5)]))
    seen.append(await client.ping(target_nodes=client.ALL_NODES))
    sha = await client.script_load("return 7")
    seen.append(await client.script_exists(sha, "0" * 40))
    seen.append(await client.script_flush())
    echoed = await client.echo("hi", target_nodes=primaries)
    seen.append(sorted(echoed.items()))
    seen.append(sorted((await client.flushdb()).items()))
    return seen


def test_the_asyncio_cluster_client_too(cluster: Dict[str, Any]) -> None:
    import asyncio

    import redis.asyncio

    import redwire.asyncio

    node = cluster["nodes"][0]

    async def run(module: Any) -> List[Any]:
        client = module.RedisCluster(host=node["host"], port=node["port"], decode_responses=True)
        try:
            return await _async_program(client)
        finally:
            await client.aclose()

    assert asyncio.run(run(redwire.asyncio)) == asyncio.run(run(redis.asyncio))


@pytest.mark.parametrize("decode", [False, True])
def test_a_client_of_one_node_reads_cluster_replies_as_redis_py(cluster: Dict[str, Any], decode: bool) -> None:
    node = cluster["nodes"][0]
    theirs = redis.Redis(host=node["host"], port=node["port"], decode_responses=decode)
    ours = redwire.Redis(host=node["host"], port=node["port"], decode_responses=decode)
    info = ours.cluster("info")
    assert sorted(info) == sorted(theirs.cluster("info")) and info["cluster_state"] == "ok"
    nodes, their_nodes = ours.cluster("nodes"), theirs.cluster("nodes")
    # What changes between two reads (ping times) compared by type only.
    moving = {"last_ping_sent", "last_pong_rcvd"}
    assert {address: {k: v for k, v in n.items() if k not in moving} for address, n in nodes.items()} == {
        address: {k: v for k, v in n.items() if k not in moving} for address, n in their_nodes.items()
    }
    assert sum(len(n["slots"]) > 0 for n in nodes.values()) == 3
    assert ours.cluster("keyslot", "foo") == theirs.cluster("keyslot", "foo") == 12182
    # READONLY/READWRITE keep state on their connection: refused before sending.
    for method in (ours.readonly, ours.readwrite):
        with pytest.raises(redwire.RedisError, match="READ"):
            method()
    theirs.close()
    ours.close()

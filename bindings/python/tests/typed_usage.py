"""Ordinary redis-py user code, checked by ``mypy --strict`` (see
test_typing.py): each ``assert_type`` says what a reply's type must be,
``bytes`` or ``str`` by ``decode_responses``, with overloads on the flags
that change a reply's shape. Never run."""

import asyncio
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from typing_extensions import assert_type

import redwire
import redwire.asyncio

r = redwire.Redis(host="127.0.0.1")
assert_type(r.get("k"), Optional[bytes])
d = redwire.Redis(decode_responses=True)
assert_type(d.get("k"), Optional[str])
u = redwire.from_url("redis://x", decode_responses=True)
assert_type(u.get("k"), Optional[str])
p = r.pipeline()
p.set("a", 1).get("a")
c = redwire.RedisCluster(host="x", decode_responses=True)
assert_type(c.get("k"), Optional[str])

def f(client: redwire.Redis) -> Optional[bytes]:
    return client.get("k")

async def main() -> None:
    a = redwire.asyncio.Redis(decode_responses=True)
    assert_type(await a.get("k"), Optional[str])
    b = await redwire.asyncio.from_url("redis://x")
    assert_type(await b.get("k"), Optional[bytes])
    async with a.pipeline() as pipe:
        pipe.get("x")
        await pipe.execute()

flag: bool = bool(len("x"))
n: Optional[int] = None
assert_type(r.set("k", "v"), Optional[bool])
assert_type(r.set("k", "v", nx=True), Optional[bool])
assert_type(d.set("k", "v", get=True), Optional[str])
assert_type(r.set("k", "v", ex=5, get=True), Optional[bytes])
r.set("k", "v", get=flag)
assert_type(r.lcs("a", "b"), bytes)
assert_type(d.lcs("a", "b", len=True), int)
assert_type(d.lcs("a", "b", True), int)
r.lcs("a", "b", idx=True)[1]
assert_type(d.mget("a", "b"), List[Optional[str]])
assert_type(d.hgetall("h"), Dict[str, str])
assert_type(r.smembers("s"), Set[bytes])
assert_type(r.lpop("l"), Optional[bytes])
assert_type(d.lpop("l", 2), Optional[List[str]])
r.lpop("l", n)
assert_type(d.spop("s"), Optional[str])
assert_type(d.spop("s", 3), List[str])
assert_type(d.srandmember("s", 3), List[str])
assert_type(d.hrandfield("h"), Optional[str])
assert_type(d.hrandfield("h", 2, withvalues=True), List[str])
assert_type(r.lpos("l", "a"), Optional[int])
assert_type(r.lpos("l", "a", count=0), List[int])
r.lpos("l", "a", None, 3)
assert_type(d.sort("l"), List[str])
assert_type(d.sort("l", get="w_*"), List[Optional[str]])
assert_type(d.sort("l", get=["#", "w_*"], groups=True), List[Tuple[Optional[str], ...]])
assert_type(d.sort("l", store="dst"), int)
assert_type(d.sort("l", get="#", store="dst"), int)
assert_type(d.sort_ro("l"), List[str])
assert_type(d.sort_ro("l", get="x"), List[Optional[str]])
assert_type(r.incrbyfloat("f"), float)
assert_type(r.expire("k", 3), bool)
assert_type(d.type("k"), str)
assert_type(d.dump("k"), Optional[bytes])
popped = d.blpop(["a", "b"], 1)
if popped is not None:
    key, value = popped
    assert_type(value, str)
for x in d.lrange("l", 0, -1):
    assert_type(x, str)

async def main_a() -> None:
    a = redwire.asyncio.Redis(decode_responses=True)
    assert_type(await a.set("k", "v", get=True), Optional[str])
    assert_type(await a.lpop("l", 2), Optional[List[str]])
    assert_type(await a.hgetall("h"), Dict[str, str])
    assert_type(await a.sort("l"), List[str])

assert_type(r.zadd("z", {"a": 1}), int)
assert_type(r.zadd("z", {"a": 1}, incr=True), Optional[float])
assert_type(r.zadd("z", {"a": 1}, xx=True, ch=True), int)
assert_type(d.zrange("z", 0, -1), List[str])
assert_type(d.zrange("z", 0, -1, True), List[str])
assert_type(d.zrange("z", 0, -1, withscores=True), List[Tuple[str, float]])
assert_type(d.zrange("z", 0, -1, False, True), List[Tuple[str, float]])
assert_type(r.zrange("z", 0, -1, withscores=True, score_cast_func=int), List[Tuple[bytes, int]])
for member, score in r.zrange("z", 0, -1, withscores=True):
    assert_type(member, bytes)
    assert_type(score, float)
def with_flag(b: bool) -> None:
    assert_type(r.zrange("z", 0, -1, withscores=b), Union[List[bytes], List[Tuple[bytes, Any]]])
assert_type(r.zrank("z", "a"), Optional[int])
assert_type(r.zrank("z", "a", withscore=True), Optional[List[Union[int, float]]])
assert_type(r.zrevrange("z", 0, -1, withscores=True), List[Tuple[bytes, float]])
assert_type(r.zrevrange("z", 0, -1), List[bytes])
assert_type(r.zrangebyscore("z", 0, 1, withscores=True), List[Tuple[bytes, float]])
assert_type(r.zrevrangebyscore("z", 1, 0, withscores=True, score_cast_func=int), List[Tuple[bytes, int]])
assert_type(r.zrangebyscore("z", 0, 1, 0, 5), List[bytes])
assert_type(r.zunion(["a", "b"], withscores=True), List[Tuple[bytes, float]])
assert_type(r.zinter(["a", "b"], withscores=True), List[Tuple[bytes, float]])
assert_type(r.zinter(["a", "b"]), List[bytes])
assert_type(r.zrandmember("z"), Optional[bytes])
assert_type(r.zrandmember("z", 3), List[bytes])
assert_type(r.zrandmember("z", 3, withscores=True), List[bytes])
assert_type(r.zpopmin("z"), List[Tuple[bytes, float]])
assert_type(d.bzpopmin("z", 1), Optional[Tuple[str, str, float]])
assert_type(r.zscore("z", "a"), Optional[float])
assert_type(r.zmscore("z", ["a"]), List[Optional[float]])
assert_type(r.scan(0), Tuple[int, List[bytes]])
assert_type(d.hscan("h"), Tuple[int, Dict[str, str]])
assert_type(d.hscan("h", no_values=True), Tuple[int, List[str]])
assert_type(d.zscan("z"), Tuple[int, List[Tuple[str, float]]])
assert_type(d.zscan("z", score_cast_func=int), Tuple[int, List[Tuple[str, int]]])
assert_type(d.geosearch("g", member="a", radius=1), List[str])
assert_type(d.geosearch("g", member="a", radius=1, withdist=True), List[List[Union[str, float, int, Tuple[float, float]]]])
assert_type(d.georadius("g", 1, 2, 3, "km"), List[str])
assert_type(d.georadius("g", 1, 2, 3, "km", withhash=True), List[List[Union[str, float, int, Tuple[float, float]]]])
assert_type(d.georadius("g", 1, 2, 3, "km", store="x"), int)
assert_type(d.georadiusbymember("g", "m", 3, store_dist="x"), int)
assert_type(d.geohash("g", "a"), List[Optional[str]])
assert_type(d.geopos("g", "a"), List[Optional[Tuple[float, float]]])
assert_type(d.pubsub_numsub("c"), List[Tuple[str, int]])
assert_type(d.script_exists("x"), List[bool])
assert_type(d.function_load("x"), str)
assert_type(r.eval("return 1", 0), Any)

async def main_b() -> None:
    a = redwire.asyncio.Redis(decode_responses=True)
    assert_type(await a.zrange("z", 0, -1, withscores=True), List[Tuple[str, float]])
    assert_type(await a.zscan("z"), Tuple[int, List[Tuple[str, float]]])
    async with a.pipeline() as pipe:
        pipe.zrange("z", 0, -1, withscores=True).zadd("z", {"a": 1})
        await pipe.execute()


def pubsub_loop(client: "redwire.Redis[str]") -> Optional[str]:
    p = client.pubsub(ignore_subscribe_messages=True)
    p.subscribe("news", alerts=lambda message: None)
    message = p.get_message(timeout=1.0)
    worker = p.run_in_thread(sleep_time=0.1, daemon=True)
    worker.stop()
    return None if message is None else str(message["data"])


def cluster_use() -> int:
    cluster = redwire.RedisCluster(host="127.0.0.1", port=7000, decode_responses=True)
    assert_type(cluster.mget_nonatomic(["a", "b"]), List[Optional[str]])
    total: int = cluster.dbsize(target_nodes=redwire.RedisCluster.PRIMARIES)
    for key in cluster.scan_iter(match="user:*"):
        print(key)
    return total + cluster.keyslot("foo")


def greeting(r: "redwire.Redis[str]") -> str:
    return r.get("greeting") or "none"


def worker_with_handler(client: "redwire.Redis[bytes]") -> None:
    from redwire.client import Monitor, PubSub, PubSubWorkerThread

    def on_error(error: Exception, pubsub: PubSub, thread: PubSubWorkerThread) -> None:
        thread.stop()

    p: PubSub = client.pubsub()
    p.subscribe(jobs=lambda message: None)
    p.run_in_thread(sleep_time=0.1, exception_handler=on_error)
    with client.monitor() as monitor:
        assert isinstance(monitor, Monitor)
        print(monitor.next_command()["command"])


async def cluster_initialized() -> None:
    cluster = await redwire.asyncio.RedisCluster(host="127.0.0.1", port=7000).initialize()
    assert_type(await cluster.get("k"), Optional[bytes])

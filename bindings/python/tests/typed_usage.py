import asyncio
from typing import Optional
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

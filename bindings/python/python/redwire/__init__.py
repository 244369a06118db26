"""redwire: a fast Redis and Valkey client on the redwire Rust core.

>>> import redwire
>>> client = redwire.connect("redis://127.0.0.1:6379/0")   # doctest: +SKIP
>>> client.set("greeting", "hello", ex=60)                 # doctest: +SKIP
True
>>> client.get("greeting")                                 # doctest: +SKIP
b'hello'
"""

from . import exceptions
from .client import BlockingConnectionPool, Client, ConnectionPool, Pipeline, Script, connect, from_url
from .pubsub import PubSub
from .cluster import ClusterNode, RedisCluster
from .lock import Lock
from .sentinel import Sentinel
from .exceptions import *  # noqa: F401,F403 - redis-py's are at its top level too

#: redis-py's names for the client.
Redis = Client
StrictRedis = Client

__all__ = [
    "Client",
    "Redis",
    "StrictRedis",
    "Pipeline",
    "PubSub",
    "Script",
    "Lock",
    "Sentinel",
    "RedisCluster",
    "ClusterNode",
    "ConnectionPool",
    "BlockingConnectionPool",
    "connect",
    "from_url",
    *exceptions.__all__,
]

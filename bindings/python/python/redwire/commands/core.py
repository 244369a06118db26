"""The enums of redis-py's ``redis.commands.core``, where its programs
reach them (``redis.commands.core.DataPersistOptions.NX`` with ``import
redwire as redis``); each is defined by its command family."""

from .arrays import ArrayAggregateOperations, ArrayPredicateCombinator, ArrayPredicateType
from .hashes import HashDataPersistOptions
from .server import HotkeysMetricsTypes
from .sets import SetDataPersistOptions
from .strings import DataPersistOptions

__all__ = [
    "ArrayAggregateOperations",
    "ArrayPredicateCombinator",
    "ArrayPredicateType",
    "DataPersistOptions",
    "HashDataPersistOptions",
    "HotkeysMetricsTypes",
    "SetDataPersistOptions",
]

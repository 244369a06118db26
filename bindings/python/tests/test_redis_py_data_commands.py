"""The data commands redis-py 8.2 added (field and member expiry of hashes
and sets, ``HGETEX``/``HSETEX``, ``ZMOVE``, ``XACKDEL``, ``INCREX``,
``MSETEX``, ``DELEX``/``DIGEST``, ``LMOVEM``, ...) and the older ones
redwire lacked (``BITFIELD``'s builder, ``BITFIELD_RO``, ``BZMPOP``,
``PUBSUB SHARD*``, ``HMSET``, ``STRALGO``, ``WATCH`` on a client) against
redis-py.

What the 7.0 test server has is compared for real, the same calls on both
clients, bytes and ``decode_responses=True``. The rest is compared by what
each client would send (redis-py's ``execute_command`` and redwire's
``_command`` stopped before anything goes out) and by how each reads a
realistic RESP2 reply (redis-py's callback for the command with
``protocol=2``, whose replies are RESP2's as redwire's are, or the reply as
it is, against the callback redwire passes); and by what each refuses
before sending."""

import asyncio
import datetime
import inspect
import sys
import warnings
from enum import Enum
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
import xxhash
import redis.commands.core as their_core

import redwire
import redwire.asyncio
from redwire.commands.hashes import HashDataPersistOptions
from redwire.commands.sets import SetDataPersistOptions
from redwire.commands.strings import BitFieldOperation, DataPersistOptions
from test_redis_py_behaviour import _check_declared_type, _normalised

Call = Tuple[str, Tuple[Any, ...], Dict[str, Any]]

UTC = datetime.timezone.utc
WHEN = datetime.datetime(2031, 5, 17, 10, 30, 15, 123456, tzinfo=UTC)
NAIVE = datetime.datetime(2031, 5, 17, 10, 30, 15, 999999)
THEIR_NX = their_core.DataPersistOptions.NX
THEIR_FNX = their_core.HashDataPersistOptions.FNX
THEIR_FXX = their_core.HashDataPersistOptions.FXX
THEIR_MNX = their_core.SetDataPersistOptions.MNX
THEIR_MXX = their_core.SetDataPersistOptions.MXX

#: Every method the 7.0 server lacks, with every option that changes what is
#: sent; redis-py's enums where it takes them.
CALLS: List[Call] = [
    # Hashes.
    ("hexpire", ("h", 100, "f1", "f2"), {}),
    ("hexpire", ("h", datetime.timedelta(seconds=90, milliseconds=999), "f1"), {"nx": True}),
    ("hexpire", ("h", 5), {"xx": True}),
    ("hpexpire", ("h", 1500, "f1"), {"gt": True}),
    ("hpexpire", ("h", datetime.timedelta(seconds=1.001), "f1"), {"lt": True}),
    ("hpexpire", ("h", datetime.timedelta(microseconds=-1500), "f1"), {}),
    ("hexpireat", ("h", WHEN, "f1", b"f2"), {}),
    ("hexpireat", ("h", 1900000000, "f1"), {"xx": True}),
    ("hpexpireat", ("h", WHEN, "f1"), {"nx": True}),
    ("hpexpireat", ("h", NAIVE, "f1"), {}),
    ("hpexpireat", ("h", 1900000000123, "f1"), {"gt": True}),
    ("hpersist", ("h", "a", "b"), {}),
    ("hexpiretime", ("h", "a"), {}),
    ("hpexpiretime", ("h", "a", "b"), {}),
    ("httl", ("h", "a"), {}),
    ("hpttl", ("h", "a", "b", "c"), {}),
    ("hgetdel", ("h", "a", "b"), {}),
    ("hgetex", ("h", "a"), {}),
    ("hgetex", ("h", "a", "b"), {"ex": 10}),
    ("hgetex", ("h", "a"), {"ex": "60"}),
    ("hgetex", ("h", "a"), {"ex": datetime.timedelta(minutes=2)}),
    ("hgetex", ("h", "a"), {"px": datetime.timedelta(seconds=1.001)}),
    ("hgetex", ("h", "a"), {"px": "1500"}),
    ("hgetex", ("h", "a"), {"exat": WHEN}),
    ("hgetex", ("h", "a"), {"pxat": WHEN}),
    ("hgetex", ("h", "a"), {"pxat": 1900000000000}),
    ("hgetex", ("h", "a"), {"persist": True}),
    ("hsetex", ("h", "k", "v"), {}),
    ("hsetex", ("h",), {"mapping": {"a": 1, b"b": 2.5}, "items": ["x", "y"], "key": "k", "value": "v", "ex": 5}),
    ("hsetex", ("h", "k", "v"), {"px": datetime.timedelta(milliseconds=1500), "data_persist_option": THEIR_FNX}),
    ("hsetex", ("h", "k", "v"), {"exat": WHEN, "data_persist_option": THEIR_FXX}),
    ("hsetex", ("h", "k", "v"), {"pxat": NAIVE}),
    ("hsetex", ("h",), {"items": ["a", 1, "b", 2], "keepttl": True, "data_persist_option": THEIR_FXX}),
    ("hmset", ("h", {"a": 1, "b": b"x"}), {}),
    # Sets.
    ("saddex", ("s", "a", "b"), {}),
    ("saddex", ("s", "a", 2), {"ex": 10, "data_persist_option": THEIR_MNX}),
    ("saddex", ("s", "a"), {"px": datetime.timedelta(seconds=2.5)}),
    ("saddex", ("s", "a"), {"exat": WHEN, "data_persist_option": THEIR_MXX}),
    ("saddex", ("s", "a"), {"pxat": WHEN}),
    ("saddex", ("s", "a"), {"keepttl": True}),
    ("sdiffcard", (2, ["a", "b"]), {}),
    ("sdiffcard", (3, ["a", "b", "c"]), {"limit": 5}),
    ("sunioncard", (2, ["a", "b"]), {}),
    ("sunioncard", (2, ["a", "b"]), {"limit": 3, "approx": True}),
    ("sexpire", ("s", 10, "a", "b"), {}),
    ("sexpire", ("s", datetime.timedelta(hours=1), "a"), {"nx": True}),
    ("spexpire", ("s", datetime.timedelta(seconds=1.001), "a"), {"xx": True}),
    ("spexpire", ("s", 2500, "a"), {}),
    ("sexpireat", ("s", WHEN, "a"), {"gt": True}),
    ("sexpireat", ("s", 1900000000, "a"), {}),
    ("spexpireat", ("s", WHEN, "a"), {"lt": True}),
    ("spexpireat", ("s", NAIVE, "a", "b"), {}),
    ("spersist", ("s", "a", "b"), {}),
    ("sexpiretime", ("s", "a"), {}),
    ("spexpiretime", ("s", "a", "b"), {}),
    ("sttl", ("s", "a"), {}),
    ("spttl", ("s", "a", "b"), {}),
    # Sorted sets.
    ("zmove", ("a", "b"), {"min": True}),
    ("zmove", ("a", "b"), {"max": True, "count": 3}),
    ("zmove", ("a", "b"), {"byscore": (1, "(5"), "count": 2}),
    ("zmove", ("a", "b"), {"byscore": ("-inf", "+inf")}),
    ("bzmove", ("a", "b", 0.5), {"min": True}),
    ("bzmove", ("a", "b", 0), {"max": True, "count": 2}),
    ("zmovemember", ("a", "b", ["m1", "m2"]), {}),
    ("zmovemember", ("a", "b", "m1"), {"nx": True}),
    ("zmovemember", ("a", "b", b"m1"), {"xx": True}),
    ("zmovemember", ("a", "b", 5), {}),
    ("zmovemember", ("a", "b", ("x", 1.5)), {}),
    ("bzmpop", (1, 2, ["a", "b"]), {"min": True}),
    ("bzmpop", (0.5, 1, ["a"]), {"max": True, "count": None}),
    ("bzmpop", (0, 1, ["a"]), {"max": True, "count": 3}),
    # Streams.
    ("xackdel", ("st", "g", "1-0", "2-0"), {}),
    ("xackdel", ("st", "g", "1-0"), {"ref_policy": "ACKED"}),
    ("xdelex", ("st", "1-0"), {}),
    ("xdelex", ("st", "1-0", "2-1"), {"ref_policy": "DELREF"}),
    ("xnack", ("st", "g", "SILENT", "1-0"), {}),
    ("xnack", ("st", "g", "FAIL", "1-0", "2-0"), {"retrycount": 3, "force": True}),
    ("xnack", ("st", "g", "FATAL", "1-0"), {"retrycount": 0}),
    ("xcfgset", ("st",), {"idmp_duration": 100}),
    ("xcfgset", ("st",), {"idmp_maxsize": 1000000}),
    ("xcfgset", ("st", 1, 1), {}),
    # Strings and keys.
    ("bitrangeintarray", ("k", 0, -1), {}),
    ("bitrangeintarray", ("k", 0, 100), {"mode": "BIT", "limit": 3, "zeros": True}),
    ("bitrangeintarray", ("k", 2, 5, "byte"), {"limit": 0}),
    ("delex", ("k",), {}),
    ("delex", ("k",), {"ifeq": "v"}),
    ("delex", ("k",), {"ifne": b"v"}),
    ("delex", ("k",), {"ifdeq": "0123456789abcdef"}),
    ("delex", ("k",), {"ifdne": "0123456789abcdef"}),
    ("digest", ("k",), {}),
    ("increx", ("k",), {}),
    ("increx", ("k",), {"byfloat": 1.5, "lbound": 0, "ubound": 10.5, "saturate": True, "ex": 10, "enx": True}),
    ("increx", ("k",), {"byint": -3, "px": datetime.timedelta(seconds=2)}),
    ("increx", ("k",), {"byint": 2, "exat": WHEN}),
    ("increx", ("k",), {"pxat": WHEN, "enx": True}),
    ("increx", ("k",), {"persist": True, "ubound": 100}),
    ("increx", ("k",), {"ex": "30"}),
    ("lmovem", ("a", "b"), {}),
    ("lmovem", ("a", "b", "RIGHT", "LEFT"), {"count": 3, "mode": "EXACTLY", "ordering": "BULK"}),
    ("lmovem", ("a", "b"), {"count": 2, "ordering": "OBO"}),
    ("blmovem", ("a", "b", 1.5), {}),
    ("blmovem", ("a", "b", 0, "LEFT", "LEFT"), {"count": 2, "mode": "COUNT", "ordering": "BULK"}),
    ("msetex", ({"a": 1, "b": "x"},), {}),
    ("msetex", ({"a": 1},), {"data_persist_option": THEIR_NX, "ex": 10}),
    ("msetex", ({"a": 1, b"c": 2.5},), {"px": datetime.timedelta(seconds=1.001)}),
    ("msetex", ({"a": 1},), {"exat": WHEN}),
    ("msetex", ({"a": 1},), {"pxat": NAIVE, "data_persist_option": their_core.DataPersistOptions.XX}),
    ("msetex", ({"a": 1},), {"keepttl": True}),
    ("msetex", ({},), {}),
    ("stralgo", ("LCS", "ohmytext", "mynewtext"), {}),
    ("stralgo", ("LCS", "k1", "k2", "keys"), {"len": True}),
    ("stralgo", ("LCS", "ohmytext", "mynewtext"), {"idx": True, "minmatchlen": 2}),
    ("stralgo", ("LCS", "ohmytext", "mynewtext"), {"idx": True, "withmatchlen": True, "minmatchlen": 0}),
    ("stralgo", ("LCS", b"a", b"b", "strings", False, True, None, True), {}),
    ("pubsub_shardchannels", (), {}),
    ("pubsub_shardchannels", ("news.*",), {}),
    ("pubsub_shardnumsub", ("a", "b"), {}),
    ("pubsub_shardnumsub", (), {}),
    ("bitfield_ro", ("bf", "u8", 0), {}),
    ("bitfield_ro", ("bf", "i5", "#2", [("u4", 3), ("i8", "#1")]), {}),
    # Durations and times in milliseconds, with integers only, as redis-py
    # (1.001 s is 1001 ms, where a float product gives 1000).
    ("set", ("k", "v"), {"px": datetime.timedelta(seconds=1.001)}),
    ("set", ("k", "v"), {"pxat": WHEN}),
    ("psetex", ("k", datetime.timedelta(seconds=1.001), "v"), {}),
    ("pexpire", ("k", datetime.timedelta(seconds=1.001)), {}),
    ("pexpireat", ("k", WHEN), {}),
    ("getex", ("k",), {"px": datetime.timedelta(seconds=1.001)}),
    # A mode is sent without an end, as redis-py sends it (the server judges).
    ("bitpos", ("k", 1), {"start": 1, "mode": "BIT"}),
    # The fields in redis-py's order (the last value of a field repeated wins).
    ("hset", ("h", "f", "1"), {"mapping": {"f": "2"}, "items": ["f", "3"]}),
]

#: Realistic RESP2 replies, by call.
REPLIES: List[Tuple[Call, Any]] = [
    (("hexpire", ("h", 100, "f1", "f2", "f3", "f4"), {}), [1, 0, -2, 2]),
    (("hpexpireat", ("h", 1, "f1"), {}), [2]),
    (("hpersist", ("h", "a", "b"), {}), [1, -1]),
    (("hexpiretime", ("h", "a", "b"), {}), [1900000000, -2]),
    (("hpexpiretime", ("h", "a"), {}), [1900000000123]),
    (("httl", ("h", "a", "b"), {}), [99, -1]),
    (("hpttl", ("h", "a"), {}), [-2]),
    (("hgetdel", ("h", "a", "b"), {}), [b"1", None]),
    (("hgetex", ("h", "a", "b"), {"ex": 5}), [None, b"v"]),
    (("hsetex", ("h", "k", "v"), {}), 1),
    (("hsetex", ("h", "k", "v"), {"data_persist_option": THEIR_FNX}), 0),
    (("hmset", ("h", {"a": 1}), {}), b"OK"),
    (("saddex", ("s", "a", "b"), {}), 2),
    (("sdiffcard", (2, ["a", "b"]), {}), 3),
    (("sunioncard", (2, ["a", "b"]), {"approx": True}), 1000),
    (("sexpire", ("s", 10, "a", "b"), {}), [1, -2]),
    (("spexpire", ("s", 10, "a"), {"nx": True}), [0]),
    (("sexpireat", ("s", 10, "a"), {}), [2]),
    (("spexpireat", ("s", 10, "a"), {}), [1]),
    (("spersist", ("s", "a", "b"), {}), [1, -1]),
    (("sexpiretime", ("s", "a"), {}), [1900000000]),
    (("spexpiretime", ("s", "a"), {}), [-1]),
    (("sttl", ("s", "a", "b"), {}), [10, -2]),
    (("spttl", ("s", "a"), {}), [9999]),
    (("zmove", ("a", "b"), {"min": True}), [[b"m", b"1.5"]]),
    (("zmove", ("a", "b"), {"byscore": (1, 5), "count": 2}), [[b"x", b"1"], [b"y", b"-inf"]]),
    (("zmove", ("a", "b"), {"max": True}), None),
    (("bzmove", ("a", "b", 1), {"max": True, "count": 2}), [[b"z", b"3e+20"], [b"y", b"2"]]),
    (("bzmove", ("a", "b", 1), {"min": True}), None),
    (("zmovemember", ("a", "b", ["m1", "m2"]), {}), [[b"m2", b"0.25"]]),
    (("zmovemember", ("a", "b", "m1"), {"nx": True}), None),
    (("bzmpop", (1, 1, ["a"]), {"min": True}), [b"a", [[b"m", b"1.5"], [b"n", b"2"]]]),
    (("bzmpop", (1, 1, ["a"]), {"min": True}), None),
    (("xackdel", ("st", "g", "1-0", "2-0", "3-0"), {}), [1, -1, 2]),
    (("xdelex", ("st", "1-0"), {}), [2]),
    (("xnack", ("st", "g", "FAIL", "1-0", "2-0"), {}), 2),
    (("xcfgset", ("st",), {"idmp_duration": 100}), b"OK"),
    (("bitrangeintarray", ("k", 0, -1), {}), [1, 5, 17]),
    (("bitrangeintarray", ("k", 0, -1), {"limit": 0}), []),
    (("delex", ("k",), {"ifeq": "v"}), 1),
    (("delex", ("k",), {}), 0),
    (("digest", ("k",), {}), b"a1b2c3d4e5f60718"),
    (("digest", ("k",), {}), None),
    (("increx", ("k",), {}), [6, 1]),
    (("increx", ("k",), {"byfloat": 1.5}), [b"3.5", b"1.5"]),
    (("increx", ("k",), {"byint": 5, "ubound": 7}), [5, 0]),
    (("lmovem", ("a", "b"), {}), [b"x"]),
    (("lmovem", ("a", "b"), {"count": 3, "mode": "EXACTLY", "ordering": "BULK"}), None),
    (("blmovem", ("a", "b", 1), {"count": 2, "ordering": "OBO"}), [b"b", b"a"]),
    (("msetex", ({"a": 1},), {"ex": 5}), 1),
    (("msetex", ({"a": 1},), {"data_persist_option": THEIR_NX}), 0),
    (("stralgo", ("LCS", "ohmytext", "mynewtext"), {}), b"mytext"),
    (("stralgo", ("LCS", "k1", "k2", "keys"), {"len": True}), 6),
    (
        ("stralgo", ("LCS", "ohmytext", "mynewtext"), {"idx": True}),
        [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6],
    ),
    (
        ("stralgo", ("LCS", "ohmytext", "mynewtext"), {"idx": True, "withmatchlen": True}),
        [b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6],
    ),
    (("stralgo", ("LCS", "a", "b"), {"idx": True}), [b"matches", [], b"len", 0]),
    (("pubsub_shardchannels", (), {}), [b"a", b"news.1"]),
    (("pubsub_shardnumsub", ("a", "b"), {}), [b"a", 1, b"b", 0]),
    (("bitfield_ro", ("bf", "u8", 0, [("i4", 8)]), {}), [7, -1]),
]

#: What redis-py refuses before sending (each client raises the same error).
REFUSED: List[Call] = [
    ("hexpire", ("h", 1, "a"), {"nx": True, "xx": True}),
    ("hpexpire", ("h", 1, "a"), {"gt": True, "lt": True}),
    ("hexpireat", ("h", 1, "a"), {"nx": True, "gt": True}),
    ("hpexpireat", ("h", 1, "a"), {"xx": True, "lt": True}),
    ("hgetdel", ("h",), {}),
    ("hgetex", ("h",), {"ex": 1}),
    ("hgetex", ("h", "a"), {"ex": 1, "px": 1}),
    ("hgetex", ("h", "a"), {"exat": 1, "persist": True}),
    ("hgetex", ("h", "a"), {"ex": 1.5}),
    ("hgetex", ("h", "a"), {"px": "1.5"}),
    ("hsetex", ("h",), {}),
    ("hsetex", ("h",), {"items": ["a", 1, "b"]}),
    ("hsetex", ("h", "k", "v"), {"ex": 1, "keepttl": True}),
    ("hsetex", ("h", "k", "v"), {"ex": [1]}),
    ("hmset", ("h", {}), {}),
    ("saddex", ("s", "a"), {"ex": 1, "pxat": 2}),
    ("saddex", ("s", "a"), {"px": 1.25}),
    ("sexpire", ("s", 1, "a"), {"nx": True, "xx": True}),
    ("spexpire", ("s", 1, "a"), {"gt": True, "lt": True}),
    ("sexpireat", ("s", 1, "a"), {"nx": True, "lt": True}),
    ("spexpireat", ("s", 1, "a"), {"xx": True, "gt": True}),
    ("zmove", ("a", "b"), {}),
    ("zmove", ("a", "b"), {"min": True, "max": True}),
    ("zmove", ("a", "b"), {"min": True, "byscore": (1, 2)}),
    ("bzmove", ("a", "b", 1), {}),
    ("bzmove", ("a", "b", 1), {"min": True, "max": True}),
    ("zmovemember", ("a", "b", "m"), {"nx": True, "xx": True}),
    ("bzmpop", (1, 1, ["a"]), {}),
    ("bzmpop", (1, 1, ["a"]), {"min": True, "max": True}),
    ("xackdel", ("st", "g"), {}),
    ("xackdel", ("st", "g", "1-0"), {"ref_policy": "NONE"}),
    ("xdelex", ("st",), {}),
    ("xdelex", ("st", "1-0"), {"ref_policy": "keepref"}),
    ("xnack", ("st", "g", "FAIL"), {}),
    ("xnack", ("st", "g", "LOUD", "1-0"), {}),
    ("xnack", ("st", "g", "FAIL", "1-0"), {"retrycount": -1}),
    ("xcfgset", ("st",), {}),
    ("xcfgset", ("st",), {"idmp_duration": 0}),
    ("xcfgset", ("st",), {"idmp_duration": 301}),
    ("xcfgset", ("st",), {"idmp_duration": "5"}),
    ("xcfgset", ("st",), {"idmp_maxsize": 1000001}),
    ("delex", ("k",), {"ifeq": "a", "ifne": "b"}),
    ("delex", ("k",), {"ifdeq": "a", "ifdne": "b"}),
    ("increx", ("k",), {"byfloat": 1, "byint": 1}),
    ("increx", ("k",), {"ex": 1, "persist": True}),
    ("increx", ("k",), {"px": 1, "pxat": 1}),
    ("increx", ("k",), {"enx": True}),
    ("increx", ("k",), {"ex": "ten"}),
    ("lmovem", ("a", "b"), {"mode": "COUNT"}),
    ("lmovem", ("a", "b"), {"ordering": "OBO"}),
    ("lmovem", ("a", "b"), {"count": 2}),
    ("blmovem", ("a", "b", 1), {"count": 2, "mode": "EXACTLY"}),
    ("msetex", ({"a": 1},), {"ex": 1, "keepttl": True}),
    ("msetex", ({"a": 1},), {"exat": 1, "pxat": 1}),
    ("msetex", ({"a": 1},), {"px": datetime.datetime(2030, 1, 1)}),
    ("stralgo", ("LCS2", "a", "b"), {}),
    ("stralgo", ("LCS", "a", "b", "values"), {}),
    ("stralgo", ("LCS", "a", "b"), {"len": True, "idx": True}),
    ("stralgo", ("LCS", "a", "b"), {"idx": True, "minmatchlen": "two"}),
]

#: The methods compared here; the four HIMPORT ones are left out (see
#: COMPATIBILITY.md: redis-py's per-connection fieldset registry).
METHODS = {
    "hexpire", "hexpireat", "hexpiretime", "hgetdel", "hgetex", "hmset", "hpersist", "hpexpire", "hpexpireat",
    "hpexpiretime", "hpttl", "hsetex", "httl",
    "saddex", "sdiffcard", "sexpire", "sexpireat", "sexpiretime", "spersist", "spexpire", "spexpireat",
    "spexpiretime", "spttl", "sttl", "sunioncard",
    "bzmove", "bzmpop", "zmove", "zmovemember",
    "xackdel", "xcfgset", "xdelex", "xnack",
    "bitfield", "bitfield_ro", "bitrangeintarray", "delex", "digest", "digest_local", "increx", "lmovem", "blmovem",
    "msetex", "stralgo", "watch", "unwatch",
    "pubsub_shardchannels", "pubsub_shardnumsub",
}  # fmt: skip


def _ours(value: Any) -> Any:
    """redis-py's enum members as redwire's."""
    for theirs, mine in (
        (their_core.DataPersistOptions, DataPersistOptions),
        (their_core.HashDataPersistOptions, HashDataPersistOptions),
        (their_core.SetDataPersistOptions, SetDataPersistOptions),
    ):
        if isinstance(value, theirs):
            return mine(value.value)
    return value


def _as_word(value: Any) -> Any:
    """redis-py's enum members as their words."""
    return value.value if isinstance(value, Enum) else value


def _wire(args: Tuple[Any, ...]) -> List[bytes]:
    """Arguments as they go out: bytes, numbers as ``str(x)`` (redis-py's
    encoder), a name of two words given as one (``"PUBSUB SHARDNUMSUB"``)
    split."""
    words: List[bytes] = []
    for position, arg in enumerate(args):
        if position == 0 and isinstance(arg, str) and " " in arg:
            words += [word.encode() for word in arg.split()]
        elif isinstance(arg, (bytes, bytearray, memoryview)):
            words.append(bytes(arg))
        elif isinstance(arg, str):
            words.append(arg.encode())
        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
            words.append(str(arg).encode())
        else:
            raise AssertionError(f"not an argument redis-py's encoder takes: {arg!r}")
    return words


def _decoded(reply: Any) -> Any:
    """A reply as ``decode_responses=True`` gives it."""
    if isinstance(reply, bytes):
        return reply.decode()
    if isinstance(reply, list):
        return [_decoded(item) for item in reply]
    return reply


class _Stop(Exception):
    """Raised where a command would be sent."""


class Sent:
    """What each client would send: redis-py's ``execute_command`` and
    redwire's ``_command`` record it and raise :class:`_Stop`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.theirs: List[Tuple[Tuple[Any, ...], Dict[str, Any]]] = []
        self.ours: List[Tuple[Tuple[Any, ...], Any, Dict[str, Any]]] = []
        sent = self

        def execute_command(self: redis.Redis, *args: Any, **options: Any) -> Any:
            sent.theirs.append((args, options))
            raise _Stop

        def command(self: redwire.Redis, args: Tuple[Any, ...], callback: Any = None, **options: Any) -> Any:
            sent.ours.append((args, callback, options))
            raise _Stop

        monkeypatch.setattr(redis.Redis, "execute_command", execute_command)
        monkeypatch.setattr(redwire.Redis, "_command", command)


@pytest.fixture
def clients(server: Dict[str, Any]) -> Iterator[Tuple[redis.Redis, redwire.Redis]]:
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13, protocol=2)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14)
    yield theirs, ours
    theirs.close()
    ours.close()


def _quietly(call: Callable[[], Any]) -> Any:
    """``call()`` without redis-py's experimental-method warnings (they are
    compared apart)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return call()


def test_every_method_is_there_and_compared() -> None:
    assert METHODS <= set(dir(redis.Redis)) and METHODS <= set(dir(redwire.Redis))
    sent = {name for name, _, _ in CALLS}
    compared_apart = {"bitfield", "digest_local", "watch", "unwatch"}
    # Older methods whose durations go through the same conversions.
    conversions = {"set", "psetex", "pexpire", "pexpireat", "getex", "hset", "bitpos"}
    assert sent | compared_apart == METHODS | conversions
    assert {name for (name, _, _), _ in REPLIES} <= sent


@pytest.mark.parametrize("name, args, kwargs", CALLS)
@pytest.mark.parametrize("enums", ["redis-py's", "redwire's", "words"])
def test_the_same_command_is_sent(
    monkeypatch: pytest.MonkeyPatch,
    clients: Tuple[redis.Redis, redwire.Redis],
    name: str,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
    enums: str,
) -> None:
    theirs, ours = clients
    sent = Sent(monkeypatch)
    with pytest.raises(_Stop):
        _quietly(lambda: getattr(theirs, name)(*args, **kwargs))
    convert: Callable[[Any], Any] = {"redis-py's": lambda value: value, "redwire's": _ours, "words": _as_word}[enums]
    with pytest.raises(_Stop):
        _quietly(lambda: getattr(ours, name)(*args, **{key: convert(value) for key, value in kwargs.items()}))
    [(their_args, their_options)] = sent.theirs
    [(our_args, _, our_options)] = sent.ours
    assert _wire(our_args) == _wire(their_args), f"{name}{args} {kwargs}"
    # What redis-py passes on to execute_command besides its reading
    # options (keys=, for its cache; stralgo's len=... for its callback).
    reading = {"keys", "len", "idx", "minmatchlen", "withmatchlen"}
    assert our_options == {key: value for key, value in their_options.items() if key not in reading}


def test_the_options_of_a_cluster_client_are_passed_on(
    monkeypatch: pytest.MonkeyPatch, clients: Tuple[redis.Redis, redwire.Redis]
) -> None:
    _, ours = clients
    sent = Sent(monkeypatch)
    for call in (
        lambda: ours.pubsub_shardchannels("a*", target_nodes="all"),
        lambda: ours.pubsub_shardnumsub("a", target_nodes="primaries"),
        lambda: ours.stralgo("LCS", "a", "b", target_nodes="random"),
    ):
        with pytest.raises(_Stop):
            call()
    assert [options for _, _, options in sent.ours] == [
        {"target_nodes": "all"},
        {"target_nodes": "primaries"},
        {"target_nodes": "random"},
    ]


@pytest.mark.parametrize("call, reply", REPLIES)
@pytest.mark.parametrize("decode", [False, True])
def test_a_reply_is_read_as_redis_py_reads_it(
    monkeypatch: pytest.MonkeyPatch, server: Dict[str, Any], call: Call, reply: Any, decode: bool
) -> None:
    name, args, kwargs = call
    theirs = redis.Redis(host=server["host"], port=server["port"], decode_responses=decode, protocol=2)
    ours = redwire.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    sent = Sent(monkeypatch)
    with pytest.raises(_Stop):
        _quietly(lambda: getattr(theirs, name)(*args, **kwargs))
    with pytest.raises(_Stop):
        _quietly(lambda: getattr(ours, name)(*args, **kwargs))
    [(their_args, their_options)] = sent.theirs
    [(_, our_callback, _)] = sent.ours
    raw = _decoded(reply) if decode else reply
    their_callback = theirs.response_callbacks.get(their_args[0])
    options = {key: value for key, value in their_options.items() if key != "keys"}
    # (Each reads a copy: redis-py's ZMOVE callback converts in place.)
    expected = their_callback(_copy(raw), **options) if their_callback is not None else raw
    got = our_callback(_copy(raw)) if our_callback is not None else raw
    assert _normalised(got) == _normalised(expected), f"{name}{args} {kwargs} of {raw!r}"
    _check_declared_type(name, got, str if decode else bytes)
    theirs.close()
    ours.close()


def _copy(reply: Any) -> Any:
    return [_copy(item) for item in reply] if isinstance(reply, list) else reply


@pytest.mark.parametrize("name, args, kwargs", REFUSED)
def test_what_redis_py_refuses_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
    clients: Tuple[redis.Redis, redwire.Redis],
    name: str,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> None:
    theirs, ours = clients
    sent = Sent(monkeypatch)
    with pytest.raises(Exception) as reference:
        _quietly(lambda: getattr(theirs, name)(*args, **kwargs))
    with pytest.raises(Exception) as refused:
        _quietly(lambda: getattr(ours, name)(*args, **kwargs))
    assert not isinstance(reference.value, _Stop), "redis-py sent it"
    assert type(refused.value).__name__ == type(reference.value).__name__, f"{refused.value!r} vs {reference.value!r}"
    assert sent.ours == []


def test_the_persist_options_are_redis_py_s_enums() -> None:
    for theirs, mine in (
        (their_core.DataPersistOptions, DataPersistOptions),
        (their_core.HashDataPersistOptions, HashDataPersistOptions),
        (their_core.SetDataPersistOptions, SetDataPersistOptions),
    ):
        assert [(member.name, member.value) for member in mine] == [(m.name, m.value) for m in theirs]


def test_the_experimental_methods_warn_as_redis_py_s(
    monkeypatch: pytest.MonkeyPatch, clients: Tuple[redis.Redis, redwire.Redis]
) -> None:
    theirs, ours = clients
    Sent(monkeypatch)
    for client in (theirs, ours):
        for name, args in (("delex", ("k",)), ("digest", ("k",)), ("hmset", ("h", {"a": 1}))):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with pytest.raises(_Stop):
                    getattr(client, name)(*args)
            warned = [(warning.category, "experimental" in str(warning.message)) for warning in caught]
            # hmset: no warning in redis-py 8.2.
            assert warned == ([] if name == "hmset" else [(UserWarning, True)]), (client, name)
    with pytest.warns(UserWarning, match="experimental method digest_local"):
        ours.digest_local("v")
    with pytest.warns(UserWarning, match="experimental method digest_local"):
        try:
            theirs.digest_local("v")
        except NotImplementedError:  # without the xxhash package
            pass


# Real replies: what the 7.0 server has.


@pytest.fixture
def shard_subscriber(server: Dict[str, Any]) -> Iterator[None]:
    """A shard channel subscriber (``news.1``), as ``PUBSUB SHARD*`` see."""
    client = redis.Redis(host=server["host"], port=server["port"])
    pubsub = client.pubsub()
    pubsub.ssubscribe("news.1")
    assert pubsub.get_sharded_message(timeout=2)["type"] == "ssubscribe"
    yield
    pubsub.close()
    client.close()


REAL: List[Call] = [
    ("hmset", ("h", {"a": 1, "b": b"x", "c": 2.5}), {}),
    ("hgetall", ("h",), {}),
    ("set", ("bf", b"\x07\xff\x81"), {}),
    ("bitfield_ro", ("bf", "u8", 0), {}),
    ("bitfield_ro", ("bf", "i5", "#2", [("u4", 3), ("i8", "#1"), ("u16", 4)]), {}),
    ("bitfield_ro", ("none", "u8", 0, []), {}),
    ("zadd", ("z1", {"a": 1, "b": 2.5, "c": -3}), {}),
    ("bzmpop", (1, 2, ["z0", "z1"]), {"min": True}),
    ("bzmpop", (1, 2, ["z0", "z1"]), {"max": True, "count": 5}),
    ("bzmpop", (0.05, 1, ["z1"]), {"min": True}),
    ("pubsub_shardchannels", (), {}),
    ("pubsub_shardchannels", ("news.*",), {}),
    ("pubsub_shardchannels", ("none.*",), {}),
    ("pubsub_shardnumsub", ("news.1", "none"), {}),
    ("pubsub_shardnumsub", (), {}),
]


@pytest.mark.parametrize("decode", [False, True])
def test_the_same_calls_give_the_same_replies(
    server: Dict[str, Any], shard_subscriber: None, decode: bool
) -> None:
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13, decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14, decode_responses=decode)
    theirs.flushdb()
    ours.flushdb()
    for name, args, kwargs in REAL:
        expected = _normalised(getattr(theirs, name)(*args, **kwargs))
        reply = getattr(ours, name)(*args, **kwargs)
        assert _normalised(reply) == expected, f"{name}{args} {kwargs}: redwire {reply!r}"
        _check_declared_type(name, reply, str if decode else bytes)
    theirs.close()
    ours.close()


def _chain(client: Any) -> Any:
    """The same ``BITFIELD`` operations on any client."""
    return (
        client.bitfield("bf", default_overflow="sat")
        .set("u8", 0, 250)
        .incrby("u8", 0, 10)
        .get("u8", 0)
        .overflow("FAIL")
        .incrby("u8", 0, 10)
        .overflow("wrap")
        .incrby("i8", "#1", 200, overflow="WRAP")
        .set("i4", 20, 7)
        .get("u16", "#0")
    )


@pytest.mark.parametrize("decode", [False, True])
def test_bitfield_builds_and_sends_what_redis_py_s_does(server: Dict[str, Any], decode: bool) -> None:
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13, decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14, decode_responses=decode)
    theirs.flushdb()
    ours.flushdb()
    their_operation, our_operation = _chain(theirs), _chain(ours)
    assert isinstance(our_operation, BitFieldOperation)
    assert _wire(tuple(our_operation.command)) == _wire(tuple(their_operation.command))
    assert our_operation.operations == their_operation.operations
    expected = their_operation.execute()
    got = our_operation.execute()
    assert got == expected == [0, 255, 255, None, -56, 0, 0xFFC8]
    # Executing forgets the operations, the default overflow kept.
    assert our_operation.command == their_operation.command == ["BITFIELD", "bf", "OVERFLOW", "SAT"]
    assert ours.bitfield("empty").execute() == theirs.bitfield("empty").execute() == []
    their_operation.reset()
    our_operation.reset()
    assert our_operation.operations == their_operation.operations
    # In a pipeline: queued, its values among the pipeline's.
    their_pipe, our_pipe = theirs.pipeline(), ours.pipeline()
    for pipe in (their_pipe, our_pipe):
        pipe.bitfield("bf2").incrby("u4", 0, 3).get("u4", 0).execute()
        pipe.get("bf2")
    assert _normalised(our_pipe.execute()) == _normalised(their_pipe.execute())
    theirs.close()
    ours.close()


def test_bitfield_on_the_asyncio_client(server: Dict[str, Any]) -> None:
    async def main() -> Tuple[Any, Any]:
        client = redwire.asyncio.Redis(host=server["host"], port=server["port"], db=14)
        await client.delete("abf")
        operation = client.bitfield("abf")  # made at once, not awaited
        assert isinstance(operation, BitFieldOperation)
        values = await operation.set("u8", 0, 42).incrby("u8", 0, 1).execute()
        digest = client.digest_local(b"abc")  # computed at once too
        await client.aclose()
        return values, digest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        values, digest = asyncio.run(main())
    assert values == [0, 43]
    assert digest == xxhash.xxh3_64(b"abc").hexdigest().encode()


def test_bitfield_operation_has_redis_py_s_methods() -> None:
    def shape(function: Any) -> List[Tuple[str, str, Any]]:
        return [
            (p.name, p.kind.name, p.default if p.default is not inspect.Parameter.empty else "<required>")
            for p in inspect.signature(function).parameters.values()
        ]

    theirs = their_core.BitFieldOperation
    public = {name for name in vars(theirs) if not name.startswith("_")}
    assert public == {name for name in vars(BitFieldOperation) if not name.startswith("_")}
    for name in public | {"__init__"}:
        if callable(getattr(theirs, name)):
            assert shape(getattr(BitFieldOperation, name)) == shape(getattr(theirs, name)), name
    assert isinstance(BitFieldOperation.command, property)


# WATCH on a client: refused, nothing sent.


def _watch_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("watch", "unwatch"))


def test_watch_and_unwatch_on_a_client_are_refused_before_anything_is_sent(server: Dict[str, Any]) -> None:
    observer = redis.Redis(host=server["host"], port=server["port"])
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14)
    before = _watch_calls(observer)
    with pytest.raises(redwire.RedisError, match="WATCH") as watched:
        ours.watch("k1", "k2")
    with pytest.raises(redwire.RedisError, match="UNWATCH") as unwatched:
        ours.unwatch()
    assert not isinstance(watched.value, redwire.ResponseError)
    assert not isinstance(unwatched.value, redwire.ResponseError)

    async def on_asyncio() -> None:
        client = redwire.asyncio.Redis(host=server["host"], port=server["port"], db=14)
        with pytest.raises(redwire.RedisError, match="WATCH"):
            await client.watch("k1")
        with pytest.raises(redwire.RedisError, match="UNWATCH"):
            await client.unwatch()
        await client.aclose()

    asyncio.run(on_asyncio())
    assert _watch_calls(observer) == before
    # A pipeline watches (on a connection of its own), as redis-py's.
    with ours.pipeline() as pipe:
        assert pipe.watch("k1") is True
        assert pipe.unwatch() is True
    assert _watch_calls(observer) == before + 2
    observer.close()
    ours.close()


# digest_local: XXH3-64 with the xxhash package, as redis-py's.


def test_digest_local_without_xxhash_is_refused_as_redis_py_refuses_it(
    server: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "xxhash", None)  # an import of it fails
    ours = redwire.Redis(host=server["host"], port=server["port"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(NotImplementedError, match="xxhash"):
            ours.digest_local("v")
    ours.close()


@pytest.mark.parametrize("decode", [False, True])
def test_digest_local_gives_the_digest_as_text_or_bytes(server: Dict[str, Any], decode: bool) -> None:
    theirs = redis.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for value in ("héllo", b"\x00\xff" * 300, ""):
            digest = ours.digest_local(value)
            assert digest == theirs.digest_local(value)
            assert len(digest) == 16
            _check_declared_type("digest_local", digest, str if decode else bytes)
        # A pipeline's is computed at once, not queued.
        assert ours.pipeline().digest_local("x") == ours.digest_local("x")
    theirs.close()
    ours.close()

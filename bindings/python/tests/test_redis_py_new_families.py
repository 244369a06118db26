"""The array (``AR…``) and ``BLESS`` commands against redis-py. The test
server (Redis 7.0) has none of them, so the two clients are compared by
what they would send (redis-py's ``execute_command`` and redwire's
``_command`` stopped before anything goes out) and by how each reads a
realistic reply (redis-py's response callback for the command, or the
reply as it is, against the callback redwire passes); on the server both
raise ``ResponseError``, and both refuse what redis-py's encoder refuses
(``None``, a bool) with ``DataError`` before sending."""

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
from redis.commands.core import ArrayAggregateOperations as TheirOperations
from redis.commands.core import ArrayPredicateCombinator as TheirCombinator
from redis.commands.core import ArrayPredicateType as TheirPredicate

import redwire
from redwire.commands.arrays import ArrayAggregateOperations, ArrayPredicateCombinator, ArrayPredicateType
from test_redis_py_behaviour import _check_declared_type, _normalised

Call = Tuple[str, Tuple[Any, ...], Dict[str, Any]]

#: Every method with every option that changes what is sent; redis-py's
#: enums where it takes them.
CALLS: List[Call] = [
    ("arset", ("a", 0, "x"), {}),
    ("arset", ("a", 5, "x", b"y", 3, 1.5), {}),
    ("armset", ("a", {0: "a", 100: b"c", 7: 2}), {}),
    ("armset", ("a", {}), {}),
    ("arget", ("a", 3), {}),
    ("armget", ("a", 0, 7, 100), {}),
    ("armget", ("a",), {}),
    ("argetrange", ("a", 0, 10), {}),
    ("argetrange", ("a", 10, 0), {}),
    ("arscan", ("a", 0, 100), {}),
    ("arscan", ("a", 100, 0), {"limit": 2}),
    ("arscan", ("a", 0, 100, 0), {}),
    ("argrep", ("a", 0, 100, [(TheirPredicate.EXACT, "x")]), {}),
    (
        "argrep",
        ("a", 0, 100, [(TheirPredicate.GLOB, "he*"), (TheirPredicate.RE, "^h.l+o$"), (TheirPredicate.MATCH, "ell")]),
        {"combinator": TheirCombinator.AND},
    ),
    ("argrep", ("a", 0, 100, [(TheirPredicate.EXACT, 5)]), {"combinator": TheirCombinator.OR, "limit": 3}),
    ("argrep", ("a", 100, 0, [(TheirPredicate.MATCH, b"x")]), {"withvalues": True}),
    ("argrep", ("a", 0, 100, [(TheirPredicate.MATCH, "X")]), {"nocase": True}),
    (
        "argrep",
        ("a", 0, 100, [(TheirPredicate.EXACT, "x"), (TheirPredicate.EXACT, "y")], TheirCombinator.OR, 10, True, True),
        {},
    ),
    ("argrep", ("a", 0, 100, []), {"limit": 0}),
    ("ardel", ("a", 1, 5, 100), {}),
    ("ardel", ("a",), {}),
    ("ardelrange", ("a", (0, 3), (10, 5)), {}),
    ("ardelrange", ("a",), {}),
    ("arcount", ("a",), {}),
    ("arlen", ("a",), {}),
    ("arinfo", ("a",), {}),
    ("arinfo", ("a",), {"full": True}),
    ("arinfo", ("a", False), {}),
    ("arnext", ("a",), {}),
    ("arseek", ("a", 42), {}),
    ("arinsert", ("a", "x", 2, 2.5, b"z"), {}),
    ("arinsert", ("a",), {}),
    ("arring", ("a", 4, "x", "y"), {}),
    ("arlastitems", ("a", 3), {}),
    ("arlastitems", ("a", 3), {"rev": True}),
    ("arlastitems", ("a", 3, False), {}),
    ("arop", ("a", 0, 100, TheirOperations.SUM), {}),
    ("arop", ("a", 100, 0, TheirOperations.MATCH, "x"), {}),
    ("arop", ("a", 0, 100, TheirOperations.MATCH), {"value": 0}),
    ("arop", ("a", 0, 100, TheirOperations.USED), {}),
    ("bless_get", ("k",), {}),
    ("bless_set", ("k", "NO-EVICT"), {}),
    ("bless_clear", ("k", "NO-EVICT"), {}),
    ("bless_scan", (0, "NO-EVICT"), {}),
    ("bless_scan", (17, "NO-EVICT"), {"count": 100}),
    ("bless_scan", (), {"cursor": 3, "flag": "NO-EVICT", "count": 0}),
    ("bless_scan", (0, "NO-EVICT"), {"target_nodes": "primaries"}),
    ("bless_scan_iter", ("NO-EVICT",), {}),
    ("bless_scan_iter", ("NO-EVICT",), {"count": 5}),
    ("bless_scan_iter", ("NO-EVICT", 5), {"target_nodes": "primaries"}),
]

#: Every method's name in CALLS, to check that none is left out.
ARRAY_METHODS = {
    "arcount", "ardel", "ardelrange", "arget", "argetrange", "argrep", "arinfo", "arinsert", "arlastitems", "arlen",
    "armget", "armset", "arnext", "arop", "arring", "arscan", "arseek", "arset",
}
BLESS_METHODS = {"bless_clear", "bless_get", "bless_scan", "bless_scan_iter", "bless_set"}


def _ours(value: Any) -> Any:
    """A redis-py enum member as redwire's own (the same word)."""
    for theirs, mine in (
        (TheirOperations, ArrayAggregateOperations),
        (TheirPredicate, ArrayPredicateType),
        (TheirCombinator, ArrayPredicateCombinator),
    ):
        if isinstance(value, theirs):
            return mine(value.value)
    if isinstance(value, (list, tuple)):
        return type(value)(_ours(item) for item in value)
    return value


def _as_words(value: Any) -> Any:
    """Every redis-py enum member as its word (a plain string)."""
    if isinstance(value, (TheirOperations, TheirPredicate, TheirCombinator)):
        return value.value
    if isinstance(value, (list, tuple)):
        return type(value)(_as_words(item) for item in value)
    return value


def _wire(args: Tuple[Any, ...]) -> List[bytes]:
    """Arguments as they go out: bytes, numbers as ``str(x)`` (redis-py's
    encoder), a name of two words given as one (``"BLESS SCAN"``) split."""
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


class _Stop(Exception):
    """Raised where a command would be sent."""


class Sent:
    """The commands each client would send: redis-py's
    ``execute_command`` and redwire's ``_command`` record them and raise
    :class:`_Stop` (or give the next of ``replies``, read as each client
    reads it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, replies: Optional[List[Any]] = None) -> None:
        self.theirs: List[Tuple[Tuple[Any, ...], Dict[str, Any]]] = []
        self.ours: List[Tuple[Tuple[Any, ...], Any, Dict[str, Any]]] = []
        their_replies = list(replies) if replies is not None else None
        our_replies = list(replies) if replies is not None else None
        sent = self

        def execute_command(self: redis.Redis, *args: Any, **options: Any) -> Any:
            sent.theirs.append((args, options))
            if their_replies is None:
                raise _Stop
            reply = their_replies.pop(0)
            callback = self.response_callbacks.get(args[0])
            return callback(reply, **options) if callback is not None else reply

        def command(self: redwire.Redis, args: Tuple[Any, ...], callback: Any = None, **options: Any) -> Any:
            sent.ours.append((args, callback, options))
            if our_replies is None:
                raise _Stop
            reply = our_replies.pop(0)
            return callback(reply) if callback is not None else reply

        monkeypatch.setattr(redis.Redis, "execute_command", execute_command)
        monkeypatch.setattr(redwire.Redis, "_command", command)


def _call(client: Any, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """``client.name(*args, **kwargs)``, a generator (``*_iter``) run to
    its end."""
    result = getattr(client, name)(*args, **kwargs)
    return list(result) if isinstance(result, Iterator) else result


@pytest.fixture
def clients(server: Dict[str, Any]) -> Iterator[Tuple[redis.Redis, redwire.Redis]]:
    theirs = redis.Redis(host=server["host"], port=server["port"], db=13)
    ours = redwire.Redis(host=server["host"], port=server["port"], db=14)
    yield theirs, ours
    theirs.close()
    ours.close()


def test_every_method_is_called() -> None:
    assert {name for name, _, _ in CALLS} == ARRAY_METHODS | BLESS_METHODS
    assert ARRAY_METHODS | BLESS_METHODS <= set(dir(redis.Redis))


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
        _call(theirs, name, args, kwargs)
    convert: Callable[[Any], Any] = {"redis-py's": lambda value: value, "redwire's": _ours, "words": _as_words}[enums]
    with pytest.raises(_Stop):
        _call(ours, name, convert(args), {key: convert(value) for key, value in kwargs.items()})
    [(their_args, their_options)] = sent.theirs
    [(our_args, _, our_options)] = sent.ours
    assert _wire(our_args) == _wire(their_args), f"{name}{args} {kwargs}"
    # The routing hints (target_nodes, ...) are passed on as redis-py's are.
    assert our_options == their_options


#: Realistic RESP2 replies (and RESP3 maps where they differ), by call.
REPLIES: List[Tuple[Call, Any]] = [
    (("arset", ("a", 0, "x", "y"), {}), 2),
    (("armset", ("a", {0: "a", 1: "b", 100: "c"}), {}), 3),
    (("arget", ("a", 0), {}), b"a"),
    (("arget", ("a", 50), {}), None),
    (("armget", ("a", 0, 50, 100), {}), [b"a", None, b"c"]),
    (("argetrange", ("a", 0, 3), {}), [b"a", b"b", None, None]),
    (("argetrange", ("a", 0, 3), {}), []),
    (("arscan", ("a", 0, 100), {}), [[0, b"a"], [1, b"b"], [100, b"c"]]),
    (("arscan", ("a", 100, 0), {"limit": 1}), [[100, b"c"]]),
    (("arscan", ("a", 0, 100), {}), []),
    (("argrep", ("a", 0, 100, [(TheirPredicate.GLOB, "he*")]), {}), [0, 5]),
    (("argrep", ("a", 0, 100, [(TheirPredicate.GLOB, "he*")]), {}), []),
    (("argrep", ("a", 0, 100, [(TheirPredicate.GLOB, "he*")]), {"withvalues": True}), [[0, b"hello"], [5, b"help"]]),
    (("ardel", ("a", 1, 5), {}), 1),
    (("ardelrange", ("a", (0, 3)), {}), 4),
    (("arcount", ("a",), {}), 3),
    (("arlen", ("a",), {}), 101),
    (
        ("arinfo", ("a",), {}),
        [
            b"count", 3, b"len", 101, b"next-insert-index", 1, b"slices", 1, b"directory-size", 1,
            b"super-dir-entries", 0, b"slice-size", 4096,
        ],
    ),
    (
        ("arinfo", ("a",), {"full": True}),
        [
            b"count", 3, b"len", 101, b"next-insert-index", 1, b"slices", 1, b"directory-size", 1,
            b"super-dir-entries", 0, b"slice-size", 4096, b"dense-slices", 1, b"sparse-slices", 0,
            b"avg-dense-size", b"101", b"avg-dense-fill", b"0.029702970297029702", b"avg-sparse-size", b"0",
        ],
    ),
    # A RESP3 map (protocol=3), its averages doubles.
    (
        ("arinfo", ("a",), {"full": True}),
        {b"count": 3, b"len": 101, b"dense-slices": 1, b"avg-dense-fill": 0.0297, b"avg-sparse-size": 0.0},
    ),
    (("arnext", ("a",), {}), 2),
    (("arnext", ("a",), {}), None),
    (("arseek", ("a", 7), {}), 1),
    (("arseek", ("none", 7), {}), 0),
    (("arinsert", ("a", "x", "y"), {}), 8),
    (("arring", ("a", 4, "x"), {}), 3),
    (("arlastitems", ("a", 2), {}), [b"x", b"y"]),
    (("arlastitems", ("a", 2), {"rev": True}), [b"y", None]),
    (("arop", ("a", 0, 100, TheirOperations.SUM), {}), b"6.5"),
    (("arop", ("a", 0, 100, TheirOperations.USED), {}), 3),
    (("arop", ("a", 0, 100, TheirOperations.MAX), {}), None),
    (("bless_get", ("k",), {}), [b"NO-EVICT"]),
    (("bless_get", ("k",), {}), []),
    (("bless_set", ("k", "NO-EVICT"), {}), 1),
    (("bless_clear", ("k", "NO-EVICT"), {}), 0),
    (("bless_scan", (0, "NO-EVICT"), {}), [b"17", [b"session:1", b"session:2"]]),
    (("bless_scan", (17, "NO-EVICT"), {"count": 10}), [b"0", []]),
]


def _decoded(reply: Any) -> Any:
    """A reply as ``decode_responses=True`` gives it."""
    if isinstance(reply, bytes):
        return reply.decode()
    if isinstance(reply, list):
        return [_decoded(item) for item in reply]
    if isinstance(reply, dict):
        return {_decoded(key): _decoded(value) for key, value in reply.items()}
    return reply


@pytest.mark.parametrize("call, reply", REPLIES)
@pytest.mark.parametrize("decode", [False, True])
def test_a_reply_is_read_as_redis_py_reads_it(
    monkeypatch: pytest.MonkeyPatch, server: Dict[str, Any], call: Call, reply: Any, decode: bool
) -> None:
    name, args, kwargs = call
    theirs = redis.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    sent = Sent(monkeypatch)
    with pytest.raises(_Stop):
        _call(theirs, name, args, kwargs)
    with pytest.raises(_Stop):
        _call(ours, name, args, kwargs)
    [(their_args, their_options)] = sent.theirs
    [(_, our_callback, _)] = sent.ours
    raw = _decoded(reply) if decode else reply
    their_callback = theirs.response_callbacks.get(their_args[0])
    expected = their_callback(raw, **their_options) if their_callback is not None else raw
    got = our_callback(raw) if our_callback is not None else raw
    assert _normalised(got) == _normalised(expected), f"{name}{args} {kwargs} of {raw!r}"
    _check_declared_type(name, got, str if decode else bytes)
    theirs.close()
    ours.close()


@pytest.mark.parametrize("decode", [False, True])
def test_bless_scan_iter_walks_the_cursor_as_redis_py(
    monkeypatch: pytest.MonkeyPatch, server: Dict[str, Any], decode: bool
) -> None:
    replies = [[b"17", [b"a", b"b"]], [b"4", []], [b"0", [b"c", b"a"]]]
    replies = _decoded(replies) if decode else replies
    theirs = redis.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    ours = redwire.Redis(host=server["host"], port=server["port"], decode_responses=decode)
    sent = Sent(monkeypatch, replies)
    walk = ours.bless_scan_iter("NO-EVICT", count=2)
    assert sent.ours == [], "a generator sends nothing before it is asked for a key"
    got = list(walk)
    expected = list(theirs.bless_scan_iter("NO-EVICT", count=2))
    assert _normalised(got) == _normalised(expected)
    keys = [b"a", b"b", b"c", b"a"]
    assert got == (_decoded(keys) if decode else keys)
    assert [_wire(args) for args, _, _ in sent.ours] == [_wire(args) for args, _ in sent.theirs]
    assert [_wire(args)[2] for args, _, _ in sent.ours] == [b"0", b"17", b"4"]
    theirs.close()
    ours.close()


#: One call of every method, which the 7.0 server answers with an error.
ON_THE_SERVER: List[Call] = [
    ("arset", ("a", 0, "x"), {}),
    ("armset", ("a", {0: "x"}), {}),
    ("arget", ("a", 0), {}),
    ("armget", ("a", 0, 1), {}),
    ("argetrange", ("a", 0, 1), {}),
    ("arscan", ("a", 0, 1), {"limit": 1}),
    ("argrep", ("a", 0, 1, [(TheirPredicate.EXACT, "x")]), {"withvalues": True}),
    ("ardel", ("a", 0), {}),
    ("ardelrange", ("a", (0, 1)), {}),
    ("arcount", ("a",), {}),
    ("arlen", ("a",), {}),
    ("arinfo", ("a",), {"full": True}),
    ("arnext", ("a",), {}),
    ("arseek", ("a", 1), {}),
    ("arinsert", ("a", "x"), {}),
    ("arring", ("a", 2, "x"), {}),
    ("arlastitems", ("a", 1), {}),
    ("arop", ("a", 0, 1, TheirOperations.SUM), {}),
    ("bless_get", ("k",), {}),
    ("bless_set", ("k", "NO-EVICT"), {}),
    ("bless_clear", ("k", "NO-EVICT"), {}),
    ("bless_scan", (0, "NO-EVICT"), {}),
    ("bless_scan_iter", ("NO-EVICT",), {}),
]

#: What redis-py's encoder refuses before sending (``DataError``).
REFUSED: List[Call] = [
    ("arset", ("a", 0, None), {}),
    ("arset", ("a", 0, "x", True), {}),
    ("armset", ("a", {0: None}), {}),
    ("arget", ("a", None), {}),
    ("armget", ("a", 0, False), {}),
    ("arscan", ("a", 0, 1), {"limit": True}),
    ("argrep", ("a", 0, 1, [(TheirPredicate.EXACT, None)]), {}),
    ("arinsert", ("a", {"x": 1}), {}),
    ("arring", ("a", 2, None), {}),
    ("arop", ("a", 0, 1, TheirOperations.MATCH, True), {}),
    ("bless_set", ("k", None), {}),
    ("bless_scan", (None, "NO-EVICT"), {}),
]


def test_on_the_7_0_server_both_raise_the_same_errors(clients: Tuple[redis.Redis, redwire.Redis]) -> None:
    theirs, ours = clients
    assert {name for name, _, _ in ON_THE_SERVER} == ARRAY_METHODS | BLESS_METHODS
    for name, args, kwargs in ON_THE_SERVER:
        with pytest.raises(redis.ResponseError, match="unknown command"):
            _call(theirs, name, args, kwargs)
        with pytest.raises(redwire.ResponseError, match="unknown command"):
            _call(ours, name, _ours(args), kwargs)
    for name, args, kwargs in REFUSED:
        with pytest.raises(redis.DataError):
            _call(theirs, name, args, kwargs)
        with pytest.raises(redwire.DataError):
            _call(ours, name, _ours(args), kwargs)
    # Nothing was refused for a dropped connection: both still answer.
    assert theirs.ping() and ours.ping()

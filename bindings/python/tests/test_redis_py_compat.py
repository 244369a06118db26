"""redwire against redis-py itself (installed in the test environment as
the reference): the same names, parameters (order, kinds, defaults) for
every method both have, except the differences listed in
COMPATIBILITY.md."""

import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import redis
import redis.asyncio

import redwire
import redwire.asyncio

COMPATIBILITY = Path(__file__).resolve().parents[1] / "COMPATIBILITY.md"


def _listed(section: str) -> Set[str]:
    """The method names of a section of COMPATIBILITY.md (its table's first
    column)."""
    text = COMPATIBILITY.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    return set(re.findall(r"^\| `([a-z_]+)`", body, flags=re.MULTILINE))


def _shape(function: Any) -> List[Tuple[str, str, Any]]:
    """A signature without annotations: each parameter's name, kind and
    default."""
    return [
        (p.name, p.kind.name, p.default if p.default is not inspect.Parameter.empty else "<required>")
        for p in inspect.signature(function).parameters.values()
    ]


def _methods(cls: type) -> Dict[str, Any]:
    return {
        name: getattr(cls, name)
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name)) and not isinstance(getattr(cls, name), type)
    }


def _differences(ours: type, theirs: type) -> Dict[str, Tuple[Any, Any]]:
    reference = _methods(theirs)
    return {
        name: (_shape(method), _shape(reference[name]))
        for name, method in _methods(ours).items()
        if name in reference and _shape(method) != _shape(reference[name])
    }


def test_the_names_redis_py_programs_import_are_there() -> None:
    assert redwire.Redis is redwire.Client
    assert redwire.StrictRedis is redwire.Client
    assert redwire.asyncio.Redis is redwire.asyncio.Client


def test_every_shared_method_has_redis_py_s_signature_unless_listed() -> None:
    listed = _listed("Signatures that differ")
    unlisted = {name: shapes for name, shapes in _differences(redwire.Redis, redis.Redis).items() if name not in listed}
    assert unlisted == {}, "\n".join(f"{name}:\n  ours   {o}\n  theirs {t}" for name, (o, t) in unlisted.items())


def test_the_asyncio_client_too() -> None:
    listed = _listed("Signatures that differ")
    unlisted = {
        name: shapes
        for name, shapes in _differences(redwire.asyncio.Redis, redis.asyncio.Redis).items()
        if name not in listed
    }
    assert unlisted == {}, "\n".join(f"{name}:\n  ours   {o}\n  theirs {t}" for name, (o, t) in unlisted.items())


def test_the_listed_differences_are_real() -> None:
    # A difference fixed is taken off the list.
    actual = set(_differences(redwire.Redis, redis.Redis)) | set(_differences(redwire.asyncio.Redis, redis.asyncio.Redis))
    assert _listed("Signatures that differ") <= actual


def test_coverage_is_reported() -> None:
    theirs = set(_methods(redis.Redis))
    ours = set(_methods(redwire.Redis))
    covered = len(theirs & ours)
    print(f"\nredwire.Redis has {covered} of redis.Redis's {len(theirs)} public methods")
    assert covered > 0


def test_every_redis_py_exception_is_there_with_its_bases() -> None:
    import redis.exceptions

    import redwire.exceptions

    theirs = {
        name: cls
        for name, cls in vars(redis.exceptions).items()
        if isinstance(cls, type) and issubclass(cls, BaseException)
    }
    for name, cls in theirs.items():
        ours = getattr(redwire.exceptions, name, None)
        assert ours is not None, f"redwire.exceptions has no {name}"
        their_bases = {base.__name__ for base in cls.__mro__}
        our_bases = {base.__name__ for base in ours.__mro__}
        assert their_bases <= our_bases, f"{name}: {sorted(their_bases - our_bases)} missing"
        assert getattr(redwire, name, None) is ours, f"redwire.{name}"


def test_the_locks_have_redis_py_s_signatures() -> None:
    import redis.asyncio.lock
    import redis.lock

    import redwire.lock

    assert _differences(redwire.lock.Lock, redis.lock.Lock) == {}
    assert _differences(redwire.lock.AsyncLock, redis.asyncio.lock.Lock) == {}
    # (redis-py keeps its registered scripts on the class, `lua_*`, once one
    # lock was made; redwire's are the instance's.)
    theirs = {name for name in _methods(redis.lock.Lock) if not name.startswith("lua_")}
    assert theirs <= set(_methods(redwire.lock.Lock))


def test_redis_py_s_command_enums_are_where_its_programs_reach_them() -> None:
    import redis.commands.core as theirs

    ours = redwire.commands.core
    for name in ours.__all__:
        their_enum, our_enum = getattr(theirs, name), getattr(ours, name)
        assert {m.name: m.value for m in our_enum} == {m.name: m.value for m in their_enum}, name

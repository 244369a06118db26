"""A lock on one key, as redis-py's ``Lock``: ``SET name token NX PX``
takes it, scripts compare the token before they release, extend or renew
it, so only its owner can. It interoperates with redis-py's (same key,
same token scheme): a redis-py process and a redwire one exclude each
other."""

import threading
import time
import uuid
from types import SimpleNamespace
from typing import Any, Optional, Union

from .exceptions import LockError, LockNotOwnedError

#: Deletes the key if it holds the token: 1, else 0.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""

#: Adds ARGV[2] ms to the key's time to live (sets it, when ARGV[3] is
#: "1") if it holds the token and expires: 1, else 0.
EXTEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then return 0 end
local ttl = tonumber(ARGV[2])
if ARGV[3] ~= '1' then ttl = ttl + left end
-- A time to live of nothing would delete the key: left as it is.
if ttl <= 0 then return 1 end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""

#: Sets the key's time to live to ARGV[2] ms if it holds the token.
REACQUIRE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) <= 0 then return 1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

Token = Union[str, bytes]


def _bytes(token: Any) -> Any:
    """A token, or a value read back (``str`` with ``decode_responses``), as
    bytes."""
    return token.encode() if isinstance(token, str) else token


class Lock:
    """A lock named ``name`` on ``redis`` (see the module docs).
    ``timeout`` (seconds): how long it is held at most; ``None``: until
    released. ``blocking``/``blocking_timeout``/``sleep``: how
    :meth:`acquire` waits. ``thread_local``: each thread has its own
    token (a lock taken in one thread cannot be released in another).
    ``raise_on_release_error``: whether releasing a lock no longer owned
    raises :class:`~redwire.LockNotOwnedError`."""

    def __init__(
        self,
        redis: Any,
        name: Any,
        timeout: Optional[float] = None,
        sleep: float = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[float] = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> None:
        self.redis = redis
        self.name = name
        # No time at all is no expiry, as in redis-py.
        self.timeout = timeout or None
        self.sleep = sleep
        self.blocking = blocking
        self.blocking_timeout = blocking_timeout
        self.thread_local = bool(thread_local)
        self.raise_on_release_error = raise_on_release_error
        self.local: Any = threading.local() if self.thread_local else SimpleNamespace()
        self.local.token = None
        self.register_scripts()

    def register_scripts(self) -> None:
        self.lua_release = self.redis.register_script(RELEASE)
        self.lua_extend = self.redis.register_script(EXTEND)
        self.lua_reacquire = self.redis.register_script(REACQUIRE)

    def _token(self) -> Optional[bytes]:
        return getattr(self.local, "token", None)

    def __enter__(self) -> "Lock":
        if self.acquire():
            return self
        raise LockError(f"lock {self.name!r} not acquired within its blocking timeout")

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.release()
        except LockError:
            if self.raise_on_release_error:
                raise

    def acquire(
        self,
        sleep: Optional[float] = None,
        blocking: Optional[bool] = None,
        blocking_timeout: Optional[float] = None,
        token: Optional[Token] = None,
    ) -> bool:
        """Takes the lock: ``True``; ``False`` when not blocking and it is
        held, or when ``blocking_timeout`` seconds passed."""
        sleep = self.sleep if sleep is None else sleep
        blocking = self.blocking if blocking is None else blocking
        blocking_timeout = self.blocking_timeout if blocking_timeout is None else blocking_timeout
        mine = uuid.uuid1().hex.encode() if token is None else _bytes(token)
        deadline = None if blocking_timeout is None else time.monotonic() + blocking_timeout
        while True:
            if self.do_acquire(mine):
                self.local.token = mine
                return True
            if not blocking or (deadline is not None and time.monotonic() + sleep > deadline):
                return False
            time.sleep(sleep)

    def do_acquire(self, token: bytes) -> bool:
        px = None if self.timeout is None else int(self.timeout * 1000)
        return bool(self.redis.set(self.name, token, nx=True, px=px))

    def locked(self) -> bool:
        """Whether anyone holds it."""
        return self.redis.get(self.name) is not None

    def owned(self) -> bool:
        """Whether this lock (this thread, with ``thread_local``) holds it."""
        token = self._token()
        return token is not None and _bytes(self.redis.get(self.name)) == token

    def release(self) -> None:
        """Releases it; one not held here raises :class:`~redwire.LockError`,
        one held by another now (it expired) :class:`~redwire.LockNotOwnedError`
        (unless ``raise_on_release_error`` is off)."""
        token = self._token()
        if token is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to release", lock_name=self.name)
        self.do_release(token)
        self.local.token = None

    def do_release(self, expected_token: bytes) -> None:
        if not self.lua_release(keys=[self.name], args=[expected_token]):
            self.local.token = None
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")

    def extend(self, additional_time: float, replace_ttl: bool = False) -> bool:
        """Adds ``additional_time`` seconds to its time to live (sets it to
        that, with ``replace_ttl``)."""
        if self._token() is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to extend")
        if self.timeout is None:
            raise LockError(f"lock {self.name!r} has no timeout to extend")
        return self.do_extend(additional_time, replace_ttl)

    def do_extend(self, additional_time: float, replace_ttl: bool) -> bool:
        extended = self.lua_extend(
            keys=[self.name], args=[self._token(), int(additional_time * 1000), "1" if replace_ttl else "0"]
        )
        if not extended:
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")
        return True

    def reacquire(self) -> bool:
        """Sets its time to live back to ``timeout``."""
        if self._token() is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to reacquire")
        if self.timeout is None:
            raise LockError(f"lock {self.name!r} has no timeout to reset")
        return self.do_reacquire()

    def do_reacquire(self) -> bool:
        if not self.lua_reacquire(keys=[self.name], args=[self._token(), int(self.timeout * 1000)]):  # type: ignore[operator]
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")
        return True


class AsyncLock(Lock):
    """:class:`Lock` for :mod:`redwire.asyncio` clients: its methods are
    awaited, and it is an ``async with`` context; the token is per task
    group as in ``redis.asyncio`` (thread-local storage, one loop thread)."""

    async def __aenter__(self) -> "AsyncLock":
        if await self.acquire():
            return self
        raise LockError(f"lock {self.name!r} not acquired within its blocking timeout")

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.release()
        except LockError:
            if self.raise_on_release_error:
                raise

    async def acquire(  # type: ignore[override]
        self,
        blocking: Optional[bool] = None,
        blocking_timeout: Optional[float] = None,
        token: Optional[Token] = None,
        *,
        sleep: Optional[float] = None,
    ) -> bool:
        import asyncio

        sleep = self.sleep if sleep is None else sleep
        blocking = self.blocking if blocking is None else blocking
        blocking_timeout = self.blocking_timeout if blocking_timeout is None else blocking_timeout
        mine = uuid.uuid1().hex.encode() if token is None else _bytes(token)
        deadline = None if blocking_timeout is None else time.monotonic() + blocking_timeout
        while True:
            if await self.do_acquire(mine):
                self.local.token = mine
                return True
            if not blocking or (deadline is not None and time.monotonic() + sleep > deadline):
                return False
            await asyncio.sleep(sleep)

    async def do_acquire(self, token: bytes) -> bool:  # type: ignore[override]
        px = None if self.timeout is None else int(self.timeout * 1000)
        return bool(await self.redis.set(self.name, token, nx=True, px=px))

    async def locked(self) -> bool:  # type: ignore[override]
        return await self.redis.get(self.name) is not None

    async def owned(self) -> bool:  # type: ignore[override]
        token = self._token()
        return token is not None and _bytes(await self.redis.get(self.name)) == token

    async def release(self) -> None:  # type: ignore[override]
        token = self._token()
        if token is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to release", lock_name=self.name)
        await self.do_release(token)
        self.local.token = None

    async def do_release(self, expected_token: bytes) -> None:  # type: ignore[override]
        if not await self.lua_release(keys=[self.name], args=[expected_token]):
            self.local.token = None
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")

    async def extend(self, additional_time: float, replace_ttl: bool = False) -> bool:  # type: ignore[override]
        if self._token() is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to extend")
        if self.timeout is None:
            raise LockError(f"lock {self.name!r} has no timeout to extend")
        return await self.do_extend(additional_time, replace_ttl)

    async def do_extend(self, additional_time: float, replace_ttl: bool) -> bool:  # type: ignore[override]
        extended = await self.lua_extend(
            keys=[self.name], args=[self._token(), int(additional_time * 1000), "1" if replace_ttl else "0"]
        )
        if not extended:
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")
        return True

    async def reacquire(self) -> bool:  # type: ignore[override]
        if self._token() is None:
            raise LockError(f"lock {self.name!r} is not held here: nothing to reacquire")
        if self.timeout is None:
            raise LockError(f"lock {self.name!r} has no timeout to reset")
        return await self.do_reacquire()

    async def do_reacquire(self) -> bool:  # type: ignore[override]
        if not await self.lua_reacquire(keys=[self.name], args=[self._token(), int(self.timeout * 1000)]):  # type: ignore[operator]
            raise LockNotOwnedError(f"lock {self.name!r} is no longer held by this owner")
        return True

"""The exceptions redwire raises; all are :class:`RedisError`."""

import builtins

__all__ = [
    "RedisError",
    "ConnectionError",
    "TimeoutError",
    "AuthenticationError",
    "ResponseError",
    "NoScriptError",
    "WatchError",
    "ProtocolError",
    "ConfigError",
    "PoolExhaustedError",
    "DataError",
]


class RedisError(Exception):
    """The base of every redwire error."""


class ConnectionError(RedisError):
    """The server could not be reached, or the connection failed."""


class TimeoutError(RedisError, builtins.TimeoutError):
    """A connect, send or read took longer than its timeout."""


class AuthenticationError(ConnectionError):
    """The server refused the credentials (WRONGPASS, NOAUTH, ...)."""


class ResponseError(RedisError):
    """The server answered with an error reply; ``str(error)`` is its message."""


class NoScriptError(ResponseError):
    """EVALSHA named a script the server does not have (NOSCRIPT)."""


class WatchError(RedisError):
    """A WATCHed key changed: the transaction did not run."""


class ProtocolError(ConnectionError):
    """The server sent bytes that are not RESP; the connection was dropped."""


class ConfigError(RedisError, ValueError):
    """An option or URL cannot be used; the message names it."""


class PoolExhaustedError(ConnectionError):
    """No pooled connection came free within ``pool_timeout``."""


class DataError(RedisError):
    """An argument the client refuses before sending anything (as redis-py's)."""

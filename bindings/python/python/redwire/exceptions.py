"""The exceptions redwire raises: redis-py's classes, with redis-py's names
and hierarchy (``import redwire as redis`` keeps ``except`` clauses
working), and redwire's own (:class:`ConfigError`,
:class:`PoolExhaustedError`)."""

import builtins

__all__ = [
    "RedisError",
    "ConnectionError",
    "TimeoutError",
    "AuthenticationError",
    "AuthorizationError",
    "AuthenticationWrongNumberOfArgsError",
    "BusyLoadingError",
    "MaxClientsReachedError",
    "MaxConnectionsError",
    "ExternalAuthProviderError",
    "InvalidResponse",
    "ResponseError",
    "DataError",
    "PubSubError",
    "WatchError",
    "NoScriptError",
    "OutOfMemoryError",
    "ExecAbortError",
    "ReadOnlyError",
    "NoPermissionError",
    "ModuleError",
    "NoSuchFieldsetError",
    "LockError",
    "LockNotOwnedError",
    "ChildDeadlockedError",
    "RedisClusterException",
    "ClusterError",
    "ClusterDownError",
    "MasterDownError",
    "ClusterCrossSlotError",
    "TryAgainError",
    "AskError",
    "MovedError",
    "SlotNotCoveredError",
    "RedisClusterUnreachableError",
    "CrossSlotTransactionError",
    "InvalidPipelineStack",
    "IncorrectPolicyType",
    "ProtocolError",
    "ConfigError",
    "PoolExhaustedError",
]


class RedisError(Exception):
    """The base of every redwire error."""


class ConnectionError(RedisError):
    """The server could not be reached, or the connection failed."""


class TimeoutError(RedisError, builtins.TimeoutError):
    """A connect, send or read took longer than its timeout (also the
    builtin ``TimeoutError``)."""


class AuthenticationError(ConnectionError):
    """The server refused the credentials (WRONGPASS, NOAUTH, ...)."""


class AuthorizationError(ConnectionError):
    """The server refused what the credentials allow."""


class BusyLoadingError(ConnectionError):
    """The server is loading its data set (LOADING)."""


class MaxClientsReachedError(ConnectionError):
    """The server has as many clients as it takes."""


class MaxConnectionsError(ConnectionError):
    """The pool has as many connections as it may make."""


class ExternalAuthProviderError(ConnectionError):
    """A credential provider failed."""


class InvalidResponse(RedisError):
    """A reply that could not be read."""


class ResponseError(RedisError):
    """The server answered with an error reply; ``str(error)`` is its message."""


class AuthenticationWrongNumberOfArgsError(ResponseError):
    """AUTH with a username on a server that takes a password only."""


class DataError(RedisError):
    """An argument the client refuses before sending anything."""


class PubSubError(RedisError):
    """A pub/sub object used the wrong way."""


class WatchError(RedisError):
    """A WATCHed key changed: the transaction did not run."""


class NoScriptError(ResponseError):
    """EVALSHA named a script the server does not have (NOSCRIPT)."""


class OutOfMemoryError(ResponseError):
    """The server is over its ``maxmemory`` and refuses writes (OOM)."""


class ExecAbortError(ResponseError):
    """EXEC discarded a transaction a command of which was refused (EXECABORT)."""


class ReadOnlyError(ResponseError):
    """A write sent to a replica (READONLY)."""


class NoPermissionError(ResponseError):
    """The user's ACL does not allow it (NOPERM)."""


class ModuleError(ResponseError):
    """A module could not be loaded or unloaded."""


class NoSuchFieldsetError(ResponseError):
    """A fieldset a command named does not exist."""


class LockError(RedisError, ValueError):
    """A lock could not be acquired or released; ``lock_name`` names it."""

    def __init__(self, message: object = None, lock_name: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.lock_name = lock_name


class LockNotOwnedError(LockError):
    """A lock released or extended by one that does not own it."""


class ChildDeadlockedError(Exception):
    """A forked child would deadlock on a lock its parent held."""


class RedisClusterException(Exception):
    """The base of the cluster client's own errors."""


class ClusterError(RedisError):
    """A cluster could not serve the command."""


class ClusterDownError(ClusterError, ResponseError):
    """The cluster is down (CLUSTERDOWN)."""


class MasterDownError(ClusterDownError):
    """A replica's master is down (MASTERDOWN)."""


class ClusterCrossSlotError(ResponseError):
    """Keys of one command in different slots (CROSSSLOT)."""


class TryAgainError(ResponseError):
    """A slot is being moved: try again later (TRYAGAIN)."""


class AskError(ResponseError):
    """A key being moved is asked for elsewhere (ASK)."""


class MovedError(AskError):
    """A slot is served elsewhere (MOVED)."""


class SlotNotCoveredError(RedisClusterException):
    """No node serves a slot."""


class RedisClusterUnreachableError(RedisClusterException):
    """No node of the cluster could be reached."""


class CrossSlotTransactionError(RedisClusterException):
    """A cluster transaction over keys of several slots."""


class InvalidPipelineStack(RedisClusterException):
    """A cluster pipeline that cannot be sent as it is."""


class IncorrectPolicyType(Exception):
    """A request policy of the wrong type."""


class ProtocolError(ConnectionError):
    """The server sent bytes that are not RESP; the connection was dropped."""


class ConfigError(RedisError, ValueError):
    """An option or URL cannot be used; the message names it."""


class PoolExhaustedError(MaxConnectionsError):
    """No pooled connection came free within ``pool_timeout``."""

"""redis-py's ``Sentinel``: clients of the master or a replica of a
service that sentinels watch. The clients are redwire's own sentinel
clients: they find their server through the sentinels and follow a
failover (see the project README)."""

from typing import Any, Iterable, List, Mapping, Optional, Tuple

from .client import Client
from .exceptions import ConfigError, ConnectionError, ResponseError


class MasterNotFoundError(ConnectionError):
    """No sentinel knows a master for the service."""


class SlaveNotFoundError(ConnectionError):
    """No sentinel knows a healthy replica for the service."""


class Sentinel:
    """The sentinels at ``sentinels`` (``[(host, port), ...]``);
    ``sentinel_kwargs`` are the options of the connections to the
    sentinels (``username``, ``password``), ``connection_kwargs`` those of
    the clients it makes. ``min_other_sentinels`` and ``force_master_ip``
    are accepted and not used (the core asks the sentinels in turn and
    checks the server's role)."""

    def __init__(
        self,
        sentinels: Iterable[Tuple[str, int]],
        min_other_sentinels: int = 0,
        sentinel_kwargs: Optional[Mapping[str, Any]] = None,
        force_master_ip: Optional[str] = None,
        **connection_kwargs: Any,
    ) -> None:
        self.sentinels: List[Tuple[str, int]] = [(host, int(port)) for host, port in sentinels]
        self.sentinel_kwargs = dict(sentinel_kwargs or {})
        unknown = set(self.sentinel_kwargs) - {"username", "password", "socket_timeout", "socket_connect_timeout"}
        if unknown:
            raise ConfigError(f"sentinel_kwargs: {sorted(unknown)} not supported")
        self.connection_kwargs = connection_kwargs

    def _client(self, service_name: str, role: str, redis_class: Any, kwargs: Mapping[str, Any]) -> Any:
        options = {**self.connection_kwargs, **kwargs}
        cls = Client if redis_class is None else redis_class
        return cls(
            sentinels=self.sentinels,
            service_name=service_name,
            sentinel_role=role,
            sentinel_username=self.sentinel_kwargs.get("username"),
            sentinel_password=self.sentinel_kwargs.get("password"),
            **options,
        )

    def master_for(
        self, service_name: str, redis_class: Any = None, connection_pool_class: Any = None, **kwargs: Any
    ) -> Any:
        """A client of ``service_name``'s master, following failovers."""
        return self._client(service_name, "master", redis_class, kwargs)

    def slave_for(
        self, service_name: str, redis_class: Any = None, connection_pool_class: Any = None, **kwargs: Any
    ) -> Any:
        """A client of one of ``service_name``'s healthy replicas."""
        return self._client(service_name, "replica", redis_class, kwargs)

    def _ask(self, *args: Any) -> Any:
        """``args`` asked of each sentinel in turn: the first answer."""
        errors: List[str] = []
        for host, port in self.sentinels:
            sentinel = Client(host=host, port=port, **self.sentinel_kwargs)
            try:
                return sentinel.execute(*args)
            except Exception as error:  # noqa: BLE001 - the next sentinel is asked
                errors.append(f"{host}:{port}: {error}")
            finally:
                sentinel.close()
        raise ResponseError(f"no sentinel answered {args[0]} {args[1]}: {'; '.join(errors)}")

    def discover_master(self, service_name: str) -> Tuple[str, int]:
        """``(host, port)`` of ``service_name``'s master, as a sentinel says."""
        try:
            reply = self._ask("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service_name)
        except ResponseError as error:
            raise MasterNotFoundError(f"no master found for {service_name!r}: {error}") from error
        if not reply:
            raise MasterNotFoundError(f"no master found for {service_name!r}")
        host, port = reply
        return (host.decode() if isinstance(host, bytes) else host), int(port)

    def discover_slaves(self, service_name: str) -> List[Tuple[str, int]]:
        """``[(host, port), ...]`` of ``service_name``'s healthy replicas."""
        replies = self._ask("SENTINEL", "REPLICAS", service_name)
        replicas = []
        for flat in replies:
            fields = {
                (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in zip(flat[::2], flat[1::2])
            }
            flags = fields.get("flags", "").split(",")
            if not {"s_down", "o_down", "disconnected"} & set(flags):
                replicas.append((fields["ip"], int(fields["port"])))
        return replicas

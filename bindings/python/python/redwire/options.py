"""redis-py's constructor options as redwire's core takes them: those it
honours are translated, those that cannot mean anything here are accepted
and not used (each listed, with why, in COMPATIBILITY.md), and those whose
behaviour redwire does not have yet are refused with a ``ConfigError``
naming them, never silently dropped."""

import socket
import ssl
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from .cache import cache_options
from .exceptions import ConfigError

#: Accepted, not used: the core does it its own way, or it does not apply.
NOT_USED = frozenset(
    {
        "socket_read_size",
        "health_check_interval",
        "retry",
        "retry_on_timeout",
        "retry_on_error",
        "single_connection_client",
        "lib_name",
        "lib_version",
        "driver_info",
        "event_dispatcher",
        "maint_notifications_config",
        "oss_cluster_maint_notifications_handler",
        "metadata_resolver",
        "legacy_responses",
        "ssl_validate_ocsp_stapled",
        "connection_class",
    }
)

#: Refused unless left at redis-py's default (``None`` or ``False``).
NOT_YET = frozenset(
    {
        "redis_connect_func",
        "ssl_password",
        "ssl_ca_path",
        "ssl_ca_data",
        "ssl_validate_ocsp",
        "ssl_ocsp_context",
        "ssl_ocsp_expected_cert",
        "ssl_min_version",
        "ssl_ciphers",
        "ssl_include_verify_flags",
        "ssl_exclude_verify_flags",
    }
)

_UNVERIFIED = (None, "none", ssl.CERT_NONE)
_VERIFIED = ("required", "optional", ssl.CERT_REQUIRED, ssl.CERT_OPTIONAL)


def translate(options: Dict[str, Any]) -> Dict[str, Any]:
    """``options`` (redis-py's names) as the native client takes them."""
    options = dict(options)
    cache_options(options)
    for name in NOT_USED:
        options.pop(name, None)
    for name in NOT_YET:
        value = options.pop(name, None)
        if value not in (None, False):
            raise ConfigError(f"option {name}: not supported by redwire yet (see COMPATIBILITY.md)")
    encoding = options.pop("encoding", "utf-8")
    if str(encoding).lower().replace("-", "") != "utf8":
        raise ConfigError(f"option encoding: redwire decodes UTF-8 only, not {encoding!r}")
    errors = options.pop("encoding_errors", "strict")
    if errors != "strict":
        raise ConfigError(f"option encoding_errors: redwire decodes strictly, not {errors!r}")
    provider = options.pop("credential_provider", None)
    if provider is not None:
        credentials = provider.get_credentials()
        if len(credentials) == 1:
            options["password"] = credentials[0]
        else:
            options["username"], options["password"] = credentials
    _keepalive(options)
    tls = bool(options.get("ssl")) or str(options.get("url") or "").startswith("rediss")
    if not tls:
        # As redis-py: TLS options mean nothing on a plain connection.
        for name in [name for name in options if name.startswith("ssl_")]:
            del options[name]
    if "ssl_cert_reqs" in options:
        reqs = options.pop("ssl_cert_reqs")
        if reqs in _UNVERIFIED:
            options["ssl_cert_reqs"] = "none"
        elif reqs in _VERIFIED:
            options["ssl_cert_reqs"] = "required"
        else:
            raise ConfigError(f"option ssl_cert_reqs: none, optional or required, not {reqs!r}")
    if options.pop("ssl_check_hostname", True) is False and options.get("ssl_cert_reqs") != "none":
        raise ConfigError(
            "option ssl_check_hostname=False: redwire checks the name with the certificate; "
            "give ssl_cert_reqs=None to check neither"
        )
    return options


#: The core's keepalive: probes after 15 s of quiet, every 5 s, 3 unanswered.
_KEEPALIVE = {"idle": 15.0, "interval": 5.0, "count": 3}

#: ``socket_keepalive_options`` keys, where the platform has them.
_KEEPALIVE_KEYS = {
    getattr(socket, name): field
    for name, field in (("TCP_KEEPIDLE", "idle"), ("TCP_KEEPINTVL", "interval"), ("TCP_KEEPCNT", "count"))
    if hasattr(socket, name)
}


def _keepalive(options: Dict[str, Any]) -> None:
    """redis-py's ``socket_keepalive`` and ``socket_keepalive_options`` as
    the core's keepalive (on by default, unlike redis-py: see
    COMPATIBILITY.md); ``False`` turns it off. ``TCP_USER_TIMEOUT`` (in
    milliseconds, as the socket option) sets the core's user timeout."""
    keepalive = options.pop("socket_keepalive", None)
    settings = options.pop("socket_keepalive_options", None) or {}
    if keepalive is False:
        options["tcp_keepalive"] = False
        return
    if not settings:
        return
    if not isinstance(settings, dict):
        raise ConfigError(f"option socket_keepalive_options: a dict of socket options, not {settings!r}")
    chosen = dict(_KEEPALIVE)
    for key, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"option socket_keepalive_options: {key!r} takes a non-negative number, not {value!r}")
        if key in _KEEPALIVE_KEYS:
            chosen[_KEEPALIVE_KEYS[key]] = value
        elif key == getattr(socket, "TCP_USER_TIMEOUT", None):
            options["tcp_user_timeout"] = value / 1000 if value else False
        else:
            raise ConfigError(
                f"option socket_keepalive_options: {key!r} is not TCP_KEEPIDLE, TCP_KEEPINTVL, "
                "TCP_KEEPCNT or TCP_USER_TIMEOUT"
            )
    options["tcp_keepalive"] = (chosen["idle"], chosen["interval"], chosen["count"])


def _flag(value: str) -> Optional[bool]:
    """A URL's ``true``/``false`` as redis-py reads it (``0``, ``f``,
    ``false``, ``n``, ``no`` are false; an empty value is none)."""
    if value == "":
        return None
    return value.upper() not in ("0", "F", "FALSE", "N", "NO")


#: How a URL's query parameters are read; another is passed as its text.
QUERY: Dict[str, Callable[[str], Any]] = {
    "db": int,
    "socket_timeout": float,
    "socket_connect_timeout": float,
    "socket_read_size": int,
    "socket_keepalive": _flag,
    "retry_on_timeout": _flag,
    "max_connections": int,
    "health_check_interval": int,
    "ssl_check_hostname": _flag,
    "ssl_validate_ocsp": _flag,
    "ssl_validate_ocsp_stapled": _flag,
    "timeout": float,  # a blocking pool's wait: pool_timeout
    "protocol": int,
    "decode_responses": _flag,
    "legacy_responses": _flag,
    "peer_timeout": float,
}


def split_url(url: str) -> Tuple[str, Dict[str, Any]]:
    """``url`` without its query, and the query's options (as redis-py,
    they win over the keyword options)."""
    base, _, query = url.partition("?")
    options: Dict[str, Any] = {}
    # Unquoted once, blank values left out, as redis-py reads them.
    for name, values in parse_qs(query).items():
        value = values[0]
        read = QUERY.get(name)
        try:
            options["pool_timeout" if name == "timeout" else name] = read(value) if read is not None else value
        except ValueError:
            raise ConfigError(f"URL parameter {name}: {value!r} is not what it takes") from None
    return base, options


def url_wins(url: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """``options`` without what ``url`` says itself: its host and port,
    its db (a path), its credentials (as in redis-py, the URL's win)."""
    parts = urlsplit(url)
    won = {"host", "port", "unix_socket_path"}
    # A unix:// URL's path is its socket: its db comes from its query.
    if parts.scheme != "unix" and parts.path.strip("/"):
        won.add("db")
    if parts.username:
        won.add("username")
    if parts.password:
        won.add("password")
    return {name: value for name, value in options.items() if name not in won}

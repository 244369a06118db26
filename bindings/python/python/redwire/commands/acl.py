"""Access control lists (``ACL …``): users, their rules, the log."""

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ..exceptions import DataError
from .replies import Key, Sender, _S, _client_fields, _client_numbers, _items, _listed, _ok, _text, _texts


class AclCommands(Sender[_S]):
    def acl_whoami(self, **kwargs: Any) -> str:
        return self._command(("ACL", "WHOAMI"), _text, **kwargs)

    def acl_users(self, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "USERS"), _texts, **kwargs)

    def acl_list(self, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "LIST"), _texts, **kwargs)

    def acl_cat(self, category: Optional[str] = None, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "CAT") + ((category,) if category else ()), _texts, **kwargs)

    def acl_genpass(self, bits: Optional[int] = None, **kwargs: Any) -> str:
        """``ACL GENPASS [bits]``: a random password (``bits`` from 0 to
        4096, else a ``DataError``)."""
        args: Tuple[Any, ...] = ("ACL", "GENPASS")
        if bits is not None:
            try:
                count = int(bits)
            except ValueError:
                count = -1
            if not 0 <= count <= 4096:
                raise DataError("genpass optionally accepts a bits argument, between 0 and 4096.")
            args += (count,)
        return self._command(args, _text, **kwargs)

    def acl_deluser(self, *username: str, **kwargs: Any) -> int:
        return self._command(("ACL", "DELUSER") + username, **kwargs)

    def acl_dryrun(self, username: str, *args: Any, **kwargs: Any) -> _S:
        """``ACL DRYRUN username command arg ...``: ``OK``, or why the user
        may not run it."""
        return self._command(("ACL", "DRYRUN", username) + args, **kwargs)

    def acl_getuser(self, username: str, **kwargs: Any) -> Optional[Dict[str, Any]]:
        """``ACL GETUSER``: the user's rules (``None``: no such user) as
        redis-py gives them: ``flags``, ``passwords``, ``keys``,
        ``channels``, ``commands``, ``categories`` lists of ``str``,
        ``selectors`` a flat ``[name, value, ...]`` list each, ``enabled``
        a bool."""
        return self._command(("ACL", "GETUSER", username), _acl_user, **kwargs)

    def acl_help(self, **kwargs: Any) -> List[str]:
        return self._command(("ACL", "HELP"), _texts, **kwargs)

    def acl_load(self, **kwargs: Any) -> bool:
        """``ACL LOAD`` (from the server's ``aclfile``)."""
        return self._command(("ACL", "LOAD"), _ok, **kwargs)

    def acl_save(self, **kwargs: Any) -> bool:
        """``ACL SAVE`` (to the server's ``aclfile``)."""
        return self._command(("ACL", "SAVE"), _ok, **kwargs)

    def acl_log(self, count: Optional[int] = None, **kwargs: Any) -> List[Dict[str, Any]]:
        """``ACL LOG [count]``: the refusals logged, newest first, each a
        dict of ``str`` (``age-seconds`` a float, ``client-info`` a dict as
        :meth:`client_info` gives it)."""
        if count is not None and not isinstance(count, int):
            raise DataError("ACL LOG count must be an integer")
        return self._command(("ACL", "LOG") + ((count,) if count is not None else ()), _acl_log, **kwargs)

    def acl_log_reset(self, **kwargs: Any) -> bool:
        """``ACL LOG RESET`` → ``True``."""
        return self._command(("ACL", "LOG", "RESET"), _acl_log, **kwargs)

    def acl_setuser(
        self,
        username: str,
        enabled: bool = False,
        nopass: bool = False,
        passwords: Union[str, Iterable[str], None] = None,
        hashed_passwords: Union[str, Iterable[str], None] = None,
        categories: Optional[Iterable[str]] = None,
        commands: Optional[Iterable[str]] = None,
        keys: Optional[Iterable[Key]] = None,
        channels: Optional[Iterable[Key]] = None,
        selectors: Optional[Iterable[Tuple[str, Key]]] = None,
        reset: bool = False,
        reset_keys: bool = False,
        reset_channels: bool = False,
        reset_passwords: bool = False,
        **kwargs: Any,
    ) -> bool:
        """``ACL SETUSER`` built as redis-py builds it: the resets first,
        ``on``/``off``, then ``passwords`` (``"+pw"`` adds, ``"-pw"``
        removes; one string or several), ``hashed_passwords`` (the same,
        SHA-256 hex), ``nopass``, ``categories`` (``"+@read"``, ``"-read"``,
        ...), ``commands`` (``"+get"``, ``"-set"``), ``keys`` (patterns,
        ``~`` added unless they start with ``~`` or ``%``), ``channels``
        (``&`` added) and ``selectors`` (``(command, key)`` pairs, each one
        ``(command ~key)`` rule). A rule without its ``+``/``-`` raises
        ``DataError`` before anything is sent."""
        rules: List[Any] = [username]
        for word, set_ in (
            (b"reset", reset), (b"resetkeys", reset_keys), (b"resetchannels", reset_channels),
            (b"resetpass", reset_passwords),
        ):
            if set_:
                rules.append(word)
        rules.append(b"on" if enabled else b"off")
        if (passwords or hashed_passwords) and nopass:
            raise DataError("Cannot set 'nopass' and supply 'passwords' or 'hashed_passwords'")
        for kind, given, add, remove in (
            ("Password", passwords, b">", b"<"),
            ("Hashed password", hashed_passwords, b"#", b"!"),
        ):
            for i, password in enumerate(_listed(given) if given else []):
                encoded = _encoded(password)
                if encoded.startswith(b"+"):
                    rules.append(add + encoded[1:])
                elif encoded.startswith(b"-"):
                    rules.append(remove + encoded[1:])
                else:
                    raise DataError(f'{kind} {i} must be prefixed with a "+" to add or a "-" to remove')
        if nopass:
            rules.append(b"nopass")
        for category in categories or []:
            encoded = _encoded(category)
            if encoded[:1] not in (b"+", b"-"):
                raise DataError(f'Category "{encoded.decode(errors="replace")}" must be prefixed with "+" or "-"')
            rules.append(encoded if encoded[1:2] == b"@" else encoded[:1] + b"@" + encoded[1:])
        for command in commands or []:
            rules.append(_signed_command(command))
        for key in keys or []:
            rules.append(_key_pattern(key))
        for channel in channels or []:
            rules.append(b"&" + _encoded(channel))
        for command, key in selectors or []:
            rules.append(b"(" + _signed_command(command) + b" " + _key_pattern(key) + b")")
        return self._command(("ACL", "SETUSER") + tuple(rules), _ok, **kwargs)


def _encoded(value: Any) -> bytes:
    """A rule's text as redis-py's encoder makes it: ``bytes`` as they are,
    ``str`` in UTF-8, a number as written; anything else (a bool) a
    ``DataError``."""
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if isinstance(value, bool):
        raise DataError("Invalid input of type: 'bool'. Convert to a bytes, string, int or float first.")
    if isinstance(value, (int, float)):
        return repr(value).encode()
    if isinstance(value, str):
        return value.encode()
    raise DataError(f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first.")


def _signed_command(command: Any) -> bytes:
    encoded = _encoded(command)
    if encoded[:1] not in (b"+", b"-"):
        raise DataError(f'Command "{encoded.decode(errors="replace")}" must be prefixed with "+" or "-"')
    return encoded


def _key_pattern(key: Any) -> bytes:
    encoded = _encoded(key)
    return encoded if encoded[:1] in (b"~", b"%") else b"~" + encoded


def _words(value: Any) -> Any:
    """``keys``/``channels`` as a list: one string of patterns split at
    spaces (none: ``[]``)."""
    if isinstance(value, (bytes, str)):
        value = _text(value).split(" ")
    return [] if value == [""] else value


def _acl_user(reply: Any) -> Any:
    """``ACL GETUSER`` as redis-py reads it (RESP3 selectors flattened)."""
    if reply is None:
        return None
    user: Dict[str, Any] = {_text(name): value for name, value in _items(reply)}
    user["flags"] = _texts(user["flags"])
    user["passwords"] = _texts(user["passwords"])
    user["keys"] = _words(user["keys"])
    if "channels" in user:
        user["channels"] = _words(user["channels"])
    if user.get("selectors"):
        user["selectors"] = [
            [_text(word) for pair in _items(selector) for word in pair] if isinstance(selector, dict) else _texts(selector)
            for selector in user["selectors"]
        ]
    rules = _text(user["commands"]).split(" ")
    user["commands"] = [rule for rule in rules if "@" not in rule]
    user["categories"] = [rule for rule in rules if "@" in rule]
    user["enabled"] = "on" in user["flags"]
    return user


def _acl_log(reply: Any) -> Any:
    """``ACL LOG``: a dict per entry; ``ACL LOG RESET``'s ``OK``: ``True``."""
    if reply is None:
        return None
    if not isinstance(reply, list):
        return _text(reply) == "OK"
    entries = []
    for entry in reply:
        fields: Dict[str, Any] = {_text(name): _text(value) for name, value in _items(entry)}
        fields["client-info"] = _client_numbers(_client_fields(_text(fields.get("client-info", "")).strip()))
        fields["age-seconds"] = float(fields["age-seconds"])
        entries.append(fields)
    return entries

"""Commands on streams and their consumer groups."""

from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, overload

from ..exceptions import DataError
from .replies import Key, Sender, _S, _bool, _dicts, _entries, _ok, _pairs_to_dict, _streams, _text

REF_POLICIES = ("KEEPREF", "DELREF", "ACKED")


def _positive(name: str, value: Any, least: int = 1) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        kind = "a positive" if least else "a non-negative"
        raise DataError(f"{name} must be {kind} integer")
    return str(value)


def _trim(maxlen: Optional[int], approximate: bool, minid: Any, limit: Optional[int]) -> Tuple[Any, ...]:
    """``MAXLEN|MINID [~] threshold [LIMIT n]``."""
    args: Tuple[Any, ...] = ()
    if maxlen is not None and minid is not None:
        raise DataError("give maxlen or minid, not both")
    if maxlen is not None:
        args += ("MAXLEN",) + (("~",) if approximate else ()) + (_positive("maxlen", maxlen, 0),)
    if minid is not None:
        args += ("MINID",) + (("~",) if approximate else ()) + (minid,)
    if limit is not None:
        args += ("LIMIT", limit)
    return args


def _read_options(count: Optional[int], max_count: Optional[int], max_size: Optional[int]) -> Tuple[Any, ...]:
    args: Tuple[Any, ...] = ()
    if count is not None:
        args += ("COUNT", _positive("count", count))
    if max_count is not None:
        if count is not None and max_count < count:
            raise DataError("max_count must be at least count")
        args += ("MAXCOUNT", _positive("max_count", max_count))
    if max_size is not None:
        args += ("MAXSIZE", _positive("max_size", max_size))
    return args


def _stream_ids(streams: Any) -> Tuple[Any, ...]:
    """``STREAMS key ... id ...`` of a ``{stream: last id}`` dict."""
    if not isinstance(streams, dict) or not streams:
        raise DataError("streams must be a dict of stream names and ids, not empty")
    return ("STREAMS",) + tuple(streams.keys()) + tuple(streams.values())


class StreamCommands(Sender[_S]):
    @overload
    def xadd(
        self,
        name: Key,
        fields: Mapping[Any, Any],
        id: Any = ...,
        maxlen: Optional[int] = ...,
        approximate: bool = ...,
        nomkstream: Literal[False] = ...,
        minid: Any = ...,
        limit: Optional[int] = ...,
        ref_policy: Optional[str] = ...,
        idmpauto: Any = ...,
        idmp: Any = ...,
    ) -> _S: ...

    @overload
    def xadd(
        self,
        name: Key,
        fields: Mapping[Any, Any],
        id: Any = ...,
        maxlen: Optional[int] = ...,
        approximate: bool = ...,
        nomkstream: bool = ...,
        minid: Any = ...,
        limit: Optional[int] = ...,
        ref_policy: Optional[str] = ...,
        idmpauto: Any = ...,
        idmp: Any = ...,
    ) -> Optional[_S]: ...

    def xadd(
        self,
        name: Key,
        fields: Mapping[Any, Any],
        id: Any = "*",
        maxlen: Optional[int] = None,
        approximate: bool = True,
        nomkstream: bool = False,
        minid: Any = None,
        limit: Optional[int] = None,
        ref_policy: Optional[str] = None,
        idmpauto: Any = None,
        idmp: Any = None,
    ) -> Optional[_S]:
        """``XADD``: the new entry's id (``None`` with ``nomkstream`` and no
        stream). ``ref_policy``, ``idmpauto`` and ``idmp`` need a server
        that has them."""
        if idmpauto is not None and idmp is not None:
            raise DataError("xadd: give idmpauto or idmp, not both")
        if (idmpauto is not None or idmp is not None) and id != "*":
            raise DataError("xadd: idmpauto and idmp go with id='*'")
        if ref_policy is not None and ref_policy not in REF_POLICIES:
            raise DataError(f"xadd: ref_policy is one of {', '.join(REF_POLICIES)}")
        if not isinstance(fields, dict) or not fields:
            raise DataError("xadd: fields must be a dict, not empty")
        args: Tuple[Any, ...] = ("XADD", name)
        if nomkstream:
            args += ("NOMKSTREAM",)
        if ref_policy is not None:
            args += (ref_policy,)
        if idmpauto is not None:
            args += ("IDMPAUTO", idmpauto)
        if idmp is not None:
            if not isinstance(idmp, tuple) or len(idmp) != 2:
                raise DataError("xadd: idmp is a (producer id, idempotent id) tuple")
            args += ("IDMP",) + idmp
        args += _trim(maxlen, approximate, minid, limit) + (id,)
        for field, value in fields.items():
            args += (field, value)
        return self._command(args)

    def xlen(self, name: Key) -> int:
        return self._command(("XLEN", name))

    def xrange(
        self, name: Key, min: Any = "-", max: Any = "+", count: Optional[int] = None
    ) -> List[Tuple[_S, Dict[_S, _S]]]:
        """``XRANGE``: ``[(id, {field: value}), ...]``."""
        args: Tuple[Any, ...] = ("XRANGE", name, min, max)
        if count is not None:
            args += ("COUNT", _positive("count", count))
        return self._command(args, _entries)

    def xrevrange(
        self, name: Key, max: Any = "+", min: Any = "-", count: Optional[int] = None
    ) -> List[Tuple[_S, Dict[_S, _S]]]:
        args: Tuple[Any, ...] = ("XREVRANGE", name, max, min)
        if count is not None:
            args += ("COUNT", _positive("count", count))
        return self._command(args, _entries)

    def xread(
        self,
        streams: Dict[Any, Any],
        count: Optional[int] = None,
        block: Optional[int] = None,
        max_count: Optional[int] = None,
        max_size: Optional[int] = None,
    ) -> Union[List[List[Any]], Dict[_S, List[List[Tuple[_S, Dict[_S, _S]]]]]]:
        """``XREAD``: ``[[stream, entries], ...]`` (``{stream: [entries]}``
        with ``protocol=3``); with ``block`` (milliseconds), on a pooled
        connection of its own."""
        args: Tuple[Any, ...] = ("XREAD",)
        if block is not None:
            args += ("BLOCK", _positive("block", block, 0))
        args += _read_options(count, max_count, max_size) + _stream_ids(streams)
        return self._command(args, _streams)

    def xreadgroup(
        self,
        groupname: Any,
        consumername: Any,
        streams: Dict[Any, Any],
        count: Optional[int] = None,
        block: Optional[int] = None,
        noack: bool = False,
        claim_min_idle_time: Optional[int] = None,
        max_count: Optional[int] = None,
        max_size: Optional[int] = None,
    ) -> Union[List[List[Any]], Dict[_S, List[List[Tuple[Any, ...]]]]]:
        args: Tuple[Any, ...] = ("XREADGROUP", "GROUP", groupname, consumername)
        args += _read_options(count, max_count, max_size)
        if block is not None:
            args += ("BLOCK", _positive("block", block, 0))
        if noack:
            args += ("NOACK",)
        if claim_min_idle_time is not None:
            args += ("CLAIM", _positive("claim_min_idle_time", claim_min_idle_time, 0))
        return self._command(args + _stream_ids(streams), _streams)

    def xack(self, name: Key, groupname: Any, *ids: Any) -> int:
        return self._command(("XACK", name, groupname) + ids)

    def xdel(self, name: Key, *ids: Any) -> int:
        return self._command(("XDEL", name) + ids)

    def xackdel(self, name: Key, groupname: Any, *ids: Any, ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF") -> List[int]:
        """``XACKDEL name group KEEPREF|DELREF|ACKED IDS n id ...`` (Redis
        8.2): acknowledges and deletes the entries; for each id -1 (no such
        entry), 1 (acknowledged and deleted) or 2 (acknowledged, kept for
        other groups)."""
        if not ids:
            raise DataError("xackdel: give at least one id")
        if ref_policy not in REF_POLICIES:
            raise DataError(f"xackdel: ref_policy is one of {', '.join(REF_POLICIES)}")
        return self._command(("XACKDEL", name, groupname, ref_policy, "IDS", len(ids)) + ids)

    def xdelex(self, name: Key, *ids: Any, ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF") -> List[int]:
        """``XDELEX name KEEPREF|DELREF|ACKED IDS n id ...`` (Redis 8.2): for
        each id -1 (no such entry), 1 (deleted) or 2 (kept: not acknowledged
        by every group)."""
        if not ids:
            raise DataError("xdelex: give at least one id")
        if ref_policy not in REF_POLICIES:
            raise DataError(f"xdelex: ref_policy is one of {', '.join(REF_POLICIES)}")
        return self._command(("XDELEX", name, ref_policy, "IDS", len(ids)) + ids)

    def xnack(
        self,
        name: Key,
        groupname: Any,
        mode: Literal["SILENT", "FAIL", "FATAL"],
        *ids: Any,
        retrycount: Optional[int] = None,
        force: bool = False,
    ) -> int:
        """``XNACK name group SILENT|FAIL|FATAL IDS n id ... [RETRYCOUNT n]
        [FORCE]`` (servers that have it): how many entries were given back."""
        if not ids:
            raise DataError("xnack: give at least one id")
        if mode not in ("SILENT", "FAIL", "FATAL"):
            raise DataError("xnack: mode is one of SILENT, FAIL, FATAL")
        args: Tuple[Any, ...] = ("XNACK", name, groupname, mode, "IDS", len(ids)) + ids
        if retrycount is not None:
            if retrycount < 0:
                raise DataError("xnack: retrycount must be >= 0")
            args += ("RETRYCOUNT", retrycount)
        if force:
            args += ("FORCE",)
        return self._command(args)

    def xcfgset(self, name: Key, idmp_duration: Optional[int] = None, idmp_maxsize: Optional[int] = None) -> _S:
        """``XCFGSET name [IDMP-DURATION s] [IDMP-MAXSIZE n]`` (servers that
        have it): ``OK``, as the server wrote it."""
        if idmp_duration is None and idmp_maxsize is None:
            raise DataError("xcfgset: give idmp_duration, idmp_maxsize or both")
        args: Tuple[Any, ...] = ("XCFGSET", name)
        for word, given, most in (("IDMP-DURATION", idmp_duration, 300), ("IDMP-MAXSIZE", idmp_maxsize, 1000000)):
            if given is None:
                continue
            if not isinstance(given, int) or given < 1 or given > most:
                raise DataError(f"xcfgset: {word.lower()} is an integer from 1 to {most}")
            args += (word, given)
        return self._command(args)

    def xtrim(
        self,
        name: Key,
        maxlen: Optional[int] = None,
        approximate: bool = True,
        minid: Any = None,
        limit: Optional[int] = None,
        ref_policy: Optional[str] = None,
    ) -> int:
        if maxlen is None and minid is None:
            raise DataError("xtrim: give maxlen or minid")
        if ref_policy is not None and ref_policy not in REF_POLICIES:
            raise DataError(f"xtrim: ref_policy is one of {', '.join(REF_POLICIES)}")
        args = ("XTRIM", name) + _trim(maxlen, approximate, minid, limit)
        return self._command(args + ((ref_policy,) if ref_policy else ()))

    def xgroup_create(
        self, name: Key, groupname: Any, id: Any = "$", mkstream: bool = False, entries_read: Optional[int] = None
    ) -> bool:
        args: Tuple[Any, ...] = ("XGROUP", "CREATE", name, groupname, id)
        if mkstream:
            args += ("MKSTREAM",)
        if entries_read is not None:
            args += ("ENTRIESREAD", entries_read)
        return self._command(args, _ok)

    def xgroup_destroy(self, name: Key, groupname: Any) -> bool:
        return self._command(("XGROUP", "DESTROY", name, groupname), _bool)

    def xgroup_setid(self, name: Key, groupname: Any, id: Any, entries_read: Optional[int] = None) -> bool:
        args: Tuple[Any, ...] = ("XGROUP", "SETID", name, groupname, id)
        if entries_read is not None:
            args += ("ENTRIESREAD", entries_read)
        return self._command(args, _ok)

    def xgroup_delconsumer(self, name: Key, groupname: Any, consumername: Any) -> int:
        return self._command(("XGROUP", "DELCONSUMER", name, groupname, consumername))

    def xgroup_createconsumer(self, name: Key, groupname: Any, consumername: Any) -> int:
        return self._command(("XGROUP", "CREATECONSUMER", name, groupname, consumername))

    def xpending(self, name: Key, groupname: Any) -> Dict[str, Any]:
        """``XPENDING`` summary: ``{"pending", "min", "max", "consumers":
        [{"name", "pending"}]}``."""

        def summary(reply: Any) -> Any:
            consumers = [{"name": n, "pending": int(p)} for n, p in reply[3] or []]
            return {"pending": reply[0], "min": reply[1], "max": reply[2], "consumers": consumers}

        return self._command(("XPENDING", name, groupname), summary)

    def xpending_range(
        self,
        name: Key,
        groupname: Any,
        min: Any,
        max: Any,
        count: int,
        consumername: Any = None,
        idle: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """``XPENDING`` detail: ``[{"message_id", "consumer",
        "time_since_delivered", "times_delivered"}, ...]``."""
        if min is None or max is None or count is None:
            raise DataError("xpending_range: give min, max and count")
        args: Tuple[Any, ...] = ("XPENDING", name, groupname)
        if idle is not None:
            args += ("IDLE", idle)
        args += (min, max, count) + ((consumername,) if consumername is not None else ())
        fields = ("message_id", "consumer", "time_since_delivered", "times_delivered")
        return self._command(args, lambda reply: [dict(zip(fields, row)) for row in reply])

    @overload
    def xclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        message_ids: Iterable[Any],
        idle: Optional[int] = ...,
        time: Optional[int] = ...,
        retrycount: Optional[int] = ...,
        force: bool = ...,
        *,
        justid: Literal[True],
    ) -> List[_S]: ...

    @overload
    def xclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        message_ids: Iterable[Any],
        idle: Optional[int] = ...,
        time: Optional[int] = ...,
        retrycount: Optional[int] = ...,
        force: bool = ...,
        justid: Literal[False] = ...,
    ) -> List[Tuple[_S, Dict[_S, _S]]]: ...

    @overload
    def xclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        message_ids: Iterable[Any],
        idle: Optional[int] = ...,
        time: Optional[int] = ...,
        retrycount: Optional[int] = ...,
        force: bool = ...,
        justid: bool = ...,
    ) -> Union[List[Tuple[_S, Dict[_S, _S]]], List[_S]]: ...

    def xclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        message_ids: Iterable[Any],
        idle: Optional[int] = None,
        time: Optional[int] = None,
        retrycount: Optional[int] = None,
        force: bool = False,
        justid: bool = False,
    ) -> Union[List[Tuple[_S, Dict[_S, _S]]], List[_S]]:
        """``XCLAIM``: the claimed entries (their ids with ``justid``)."""
        ids = tuple(message_ids) if not isinstance(message_ids, (str, bytes)) else (message_ids,)
        if not ids:
            raise DataError("xclaim: no message id given")
        args: Tuple[Any, ...] = ("XCLAIM", name, groupname, consumername, min_idle_time) + ids
        for option, given in (("IDLE", idle), ("TIME", time), ("RETRYCOUNT", retrycount)):
            if given is not None:
                args += (option, given)
        if force:
            args += ("FORCE",)
        if justid:
            return self._command(args + ("JUSTID",))
        return self._command(args, _entries)

    @overload
    def xautoclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        start_id: Any = ...,
        count: Optional[int] = ...,
        *,
        justid: Literal[True],
    ) -> List[_S]: ...

    @overload
    def xautoclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        start_id: Any = ...,
        count: Optional[int] = ...,
        justid: bool = ...,
    ) -> List[Any]: ...

    def xautoclaim(
        self,
        name: Key,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        start_id: Any = "0-0",
        count: Optional[int] = None,
        justid: bool = False,
    ) -> List[Any]:
        """``XAUTOCLAIM``: ``[next id, entries, deleted ids]`` (the claimed
        ids alone with ``justid``)."""
        args: Tuple[Any, ...] = ("XAUTOCLAIM", name, groupname, consumername, min_idle_time, start_id)
        if count is not None:
            args += ("COUNT", _positive("count", count))
        if justid:
            return self._command(args + ("JUSTID",), lambda reply: reply[1])
        return self._command(args, lambda reply: [reply[0], _entries(reply[1])] + list(reply[2:]))

    def xinfo_stream(self, name: Key, full: bool = False) -> Dict[str, Any]:
        """``XINFO STREAM [FULL]`` as a dict (``str`` keys)."""

        def info(reply: Any) -> Any:
            data = {_text(k): v for k, v in (_pairs_to_dict(reply) or {}).items()}
            if full:
                data["entries"] = {entry_id: _pairs_to_dict(entry) for entry_id, entry in data["entries"]}
                groups = [{_text(k): v for k, v in _pairs_to_dict(group).items()} for group in data["groups"]]
                for group in groups:
                    if group.get("consumers") and group["consumers"][0] is not None:
                        group["consumers"] = _dicts(group["consumers"])
                data["groups"] = groups
                return data
            for end in ("first-entry", "last-entry"):
                entry = data.get(end)
                if entry is not None and entry[0] is not None:
                    data[end] = (entry[0], _pairs_to_dict(entry[1]))
            return data

        return self._command(("XINFO", "STREAM", name) + (("FULL",) if full else ()), info)

    def xinfo_groups(self, name: Key) -> List[Dict[str, Any]]:
        return self._command(("XINFO", "GROUPS", name), _dicts)

    def xinfo_consumers(self, name: Key, groupname: Any) -> List[Dict[str, Any]]:
        return self._command(("XINFO", "CONSUMERS", name, groupname), _dicts)

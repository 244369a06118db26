"""Geospatial commands (sorted sets of places)."""

from typing import Any, Callable, List, Literal, Optional, Sequence, Tuple, Union, overload

from ..exceptions import DataError
from .replies import Key, Sender, _S, _float, _text

UNITS = ("m", "km", "mi", "ft")
#: A place a search found, with ``withdist``/``withhash``/``withcoord``:
#: ``[name, distance, geohash, (longitude, latitude)]``, as asked.
Place = List[Union[_S, float, int, Tuple[float, float]]]


def _unit(unit: Optional[str]) -> Tuple[Any, ...]:
    if unit is None:
        return ()
    if unit.lower() not in UNITS:
        raise DataError(f"GEO unit is one of {', '.join(UNITS)}, not {unit!r}")
    return (unit,)


def _places(withdist: bool, withhash: bool, withcoord: bool) -> Callable[[Any], Any]:
    """A place search's reply: the names; with any of ``withdist``,
    ``withhash``, ``withcoord``, a list per place: ``[name, dist, hash,
    (lon, lat)]`` as asked, in that order."""

    def parse(reply: Any) -> Any:
        places = reply if isinstance(reply, list) else [reply]
        if not (withdist or withhash or withcoord):
            return places
        casts: List[Callable[[Any], Any]] = [lambda name: name]
        if withdist:
            casts.append(float)
        if withhash:
            casts.append(int)
        if withcoord:
            casts.append(lambda coord: (float(coord[0]), float(coord[1])))
        return [[cast(item) for cast, item in zip(casts, place)] for place in places]

    return parse


def _positions(reply: Any) -> Any:
    return [None if position is None else (float(position[0]), float(position[1])) for position in reply]


class GeoCommands(Sender[_S]):
    def geoadd(self, name: Key, values: Sequence[Any], nx: bool = False, xx: bool = False, ch: bool = False) -> int:
        """``GEOADD``: ``values`` flat ``(longitude, latitude, name, ...)``."""
        if nx and xx:
            raise DataError("geoadd: nx and xx exclude each other")
        if len(values) % 3 != 0:
            raise DataError("geoadd: values come as longitude, latitude, name triples")
        flags = tuple(flag for flag, on in (("NX", nx), ("XX", xx), ("CH", ch)) if on)
        return self._command(("GEOADD", name) + flags + tuple(values))

    def geodist(self, name: Key, place1: Any, place2: Any, unit: Optional[str] = None) -> Optional[float]:
        return self._command(("GEODIST", name, place1, place2) + _unit(unit), _float)

    def geohash(self, name: Key, *values: Any) -> List[Optional[str]]:
        return self._command(("GEOHASH", name) + values, lambda reply: [_text(h) for h in reply])

    def geopos(self, name: Key, *values: Any) -> List[Optional[Tuple[float, float]]]:
        return self._command(("GEOPOS", name) + values, _positions)

    @overload
    def geosearch(
        self,
        name: Key,
        member: Any = ...,
        longitude: Any = ...,
        latitude: Any = ...,
        unit: str = ...,
        radius: Any = ...,
        width: Any = ...,
        height: Any = ...,
        sort: Optional[str] = ...,
        count: Optional[int] = ...,
        any: bool = ...,
        withcoord: Literal[False] = ...,
        withdist: Literal[False] = ...,
        withhash: Literal[False] = ...,
    ) -> List[_S]: ...

    @overload
    def geosearch(
        self,
        name: Key,
        member: Any = ...,
        longitude: Any = ...,
        latitude: Any = ...,
        unit: str = ...,
        radius: Any = ...,
        width: Any = ...,
        height: Any = ...,
        sort: Optional[str] = ...,
        count: Optional[int] = ...,
        any: bool = ...,
        *,
        withcoord: Literal[True],
        withdist: bool = ...,
        withhash: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def geosearch(
        self,
        name: Key,
        member: Any = ...,
        longitude: Any = ...,
        latitude: Any = ...,
        unit: str = ...,
        radius: Any = ...,
        width: Any = ...,
        height: Any = ...,
        sort: Optional[str] = ...,
        count: Optional[int] = ...,
        any: bool = ...,
        *,
        withcoord: bool = ...,
        withdist: Literal[True],
        withhash: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def geosearch(
        self,
        name: Key,
        member: Any = ...,
        longitude: Any = ...,
        latitude: Any = ...,
        unit: str = ...,
        radius: Any = ...,
        width: Any = ...,
        height: Any = ...,
        sort: Optional[str] = ...,
        count: Optional[int] = ...,
        any: bool = ...,
        *,
        withcoord: bool = ...,
        withdist: bool = ...,
        withhash: Literal[True],
    ) -> List[Place[_S]]: ...

    @overload
    def geosearch(
        self,
        name: Key,
        member: Any = ...,
        longitude: Any = ...,
        latitude: Any = ...,
        unit: str = ...,
        radius: Any = ...,
        width: Any = ...,
        height: Any = ...,
        sort: Optional[str] = ...,
        count: Optional[int] = ...,
        any: bool = ...,
        withcoord: bool = ...,
        withdist: bool = ...,
        withhash: bool = ...,
    ) -> Union[List[_S], List[Place[_S]]]: ...

    def geosearch(
        self,
        name: Key,
        member: Any = None,
        longitude: Any = None,
        latitude: Any = None,
        unit: str = "m",
        radius: Any = None,
        width: Any = None,
        height: Any = None,
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        withcoord: bool = False,
        withdist: bool = False,
        withhash: bool = False,
    ) -> Union[List[_S], List[Place[_S]]]:
        """``GEOSEARCH`` from a ``member`` or a ``longitude``/``latitude``,
        by ``radius`` or a ``width`` × ``height`` box."""
        args = ("GEOSEARCH", name) + _search(member, longitude, latitude, unit, radius, width, height, sort, count, any)
        args += tuple(flag for flag, on in (("WITHCOORD", withcoord), ("WITHDIST", withdist), ("WITHHASH", withhash)) if on)
        return self._command(args, _places(withdist, withhash, withcoord))

    def geosearchstore(
        self,
        dest: Key,
        name: Key,
        member: Any = None,
        longitude: Any = None,
        latitude: Any = None,
        unit: str = "m",
        radius: Any = None,
        width: Any = None,
        height: Any = None,
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        storedist: bool = False,
    ) -> int:
        args = ("GEOSEARCHSTORE", dest, name)
        args += _search(member, longitude, latitude, unit, radius, width, height, sort, count, any)
        return self._command(args + (("STOREDIST",) if storedist else ()))

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: Literal[False] = ...,
        withcoord: Literal[False] = ...,
        withhash: Literal[False] = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[_S]: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: Literal[True],
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: bool = ...,
        withcoord: Literal[True],
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: Literal[True],
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        *,
        store: Key,
        store_dist: None = ...,
        any: bool = ...,
    ) -> int: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        *,
        store: None = ...,
        store_dist: Key,
        any: bool = ...,
    ) -> int: ...

    @overload
    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: Any = ...,
        store_dist: Any = ...,
        any: bool = ...,
    ) -> Union[List[_S], List[Place[_S]], int]: ...

    def georadius(
        self,
        name: Key,
        longitude: Any,
        latitude: Any,
        radius: Any,
        unit: Optional[str] = None,
        withdist: bool = False,
        withcoord: bool = False,
        withhash: bool = False,
        count: Optional[int] = None,
        sort: Optional[str] = None,
        store: Any = None,
        store_dist: Any = None,
        any: bool = False,
    ) -> Union[List[_S], List[Place[_S]], int]:
        args = ("GEORADIUS", name, longitude, latitude, radius)
        return self._radius(args, unit, withdist, withcoord, withhash, count, sort, store, store_dist, any)

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: Literal[False] = ...,
        withcoord: Literal[False] = ...,
        withhash: Literal[False] = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[_S]: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: Literal[True],
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: bool = ...,
        withcoord: Literal[True],
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        *,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: Literal[True],
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: None = ...,
        store_dist: None = ...,
        any: bool = ...,
    ) -> List[Place[_S]]: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        *,
        store: Key,
        store_dist: None = ...,
        any: bool = ...,
    ) -> int: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        *,
        store: None = ...,
        store_dist: Key,
        any: bool = ...,
    ) -> int: ...

    @overload
    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = ...,
        withdist: bool = ...,
        withcoord: bool = ...,
        withhash: bool = ...,
        count: Optional[int] = ...,
        sort: Optional[str] = ...,
        store: Any = ...,
        store_dist: Any = ...,
        any: bool = ...,
    ) -> Union[List[_S], List[Place[_S]], int]: ...

    def georadiusbymember(
        self,
        name: Key,
        member: Any,
        radius: Any,
        unit: Optional[str] = None,
        withdist: bool = False,
        withcoord: bool = False,
        withhash: bool = False,
        count: Optional[int] = None,
        sort: Optional[str] = None,
        store: Any = None,
        store_dist: Any = None,
        any: bool = False,
    ) -> Union[List[_S], List[Place[_S]], int]:
        args = ("GEORADIUSBYMEMBER", name, member, radius)
        return self._radius(args, unit, withdist, withcoord, withhash, count, sort, store, store_dist, any)

    def _radius(
        self,
        head: Tuple[Any, ...],
        unit: Optional[str],
        withdist: bool,
        withcoord: bool,
        withhash: bool,
        count: Optional[int],
        sort: Optional[str],
        store: Any,
        store_dist: Any,
        any: bool,
    ) -> Any:
        """``GEORADIUS``/``GEORADIUSBYMEMBER`` options and reply."""
        if store is not None and store_dist is not None:
            raise DataError("georadius: store and store_dist exclude each other")
        args = head + (_unit(unit) or ("m",))
        args += tuple(flag for flag, on in (("WITHDIST", withdist), ("WITHCOORD", withcoord), ("WITHHASH", withhash)) if on)
        args += _count_and_sort(count, any, sort)
        if store is not None:
            return self._command(args + ("STORE", store))
        if store_dist is not None:
            return self._command(args + ("STOREDIST", store_dist))
        return self._command(args, _places(withdist, withhash, withcoord))


def _count_and_sort(count: Optional[int], any: bool, sort: Optional[str]) -> Tuple[Any, ...]:
    args: Tuple[Any, ...] = ()
    if any and count is None:
        raise DataError("GEO any needs count")
    if count is not None:
        args += ("COUNT", count) + (("ANY",) if any else ())
    if sort is not None:
        if sort.upper() not in ("ASC", "DESC"):
            raise DataError("GEO sort is ASC or DESC")
        args += (sort.upper(),)
    return args


def _search(
    member: Any,
    longitude: Any,
    latitude: Any,
    unit: str,
    radius: Any,
    width: Any,
    height: Any,
    sort: Optional[str],
    count: Optional[int],
    any: bool,
) -> Tuple[Any, ...]:
    """``FROMMEMBER``/``FROMLONLAT``, ``BYRADIUS``/``BYBOX``, and ``COUNT``
    and sort, as ``GEOSEARCH`` and ``GEOSEARCHSTORE`` take them."""
    if member is not None and (longitude is not None or latitude is not None):
        raise DataError("GEOSEARCH: member and longitude or latitude can't be set together")
    if member is None and (longitude is None or latitude is None):
        raise DataError("GEOSEARCH: give member, or longitude and latitude")
    if radius is not None and (width is not None or height is not None):
        raise DataError("GEOSEARCH: radius and width or height can't be set together")
    if radius is None and (width is None or height is None):
        raise DataError("GEOSEARCH: give radius, or width and height")
    args: Tuple[Any, ...] = ("FROMMEMBER", member) if member is not None else ("FROMLONLAT", longitude, latitude)
    args += ("BYRADIUS", radius) if radius is not None else ("BYBOX", width, height)
    args += _unit(unit)
    return args + _count_and_sort(count, any, sort)

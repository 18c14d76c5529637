"""Place records that have an address but no coordinates on the registry's roads.

12345 hotline exports often carry only an address (``控江路1500号``, ``政通路与国定路交叉口``).
The address is matched to road names of the registry's ``roads`` layer: every road name
found in the address, longest first at each position (so ``长阳路1567弄`` beats ``长阳路``).
One road: the record is placed at the middle of that road's merged centre line. Two roads
joined by 与/和/交叉/路口: at their crossing (or the closest points of the two roads). The
placement is flagged ``location_precision = "road"`` by the loader; coordinates from the file
are ``"point"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import nearest_points

from .. import settings
from ..crs import parse_crs, transform_geometries
from ..errors import Problem, ValidationError

__all__ = ["RoadMatch", "fill_from_addresses", "locate_on_roads", "match_road_names"]

_PREFIXES = re.compile(r"^(上海市|上海)?(杨浦区)?")
_JUNCTION = re.compile(r"与|和|交叉|路口|交汇")


@dataclass(frozen=True)
class RoadMatch:
    """Road names found in one address, in the order they appear."""

    names: tuple[str, ...]

    @property
    def junction(self) -> bool:
        return len(self.names) >= 2


def _pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({n for n in names if isinstance(n, str) and n.strip()}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(n) for n in unique))


def match_road_names(addresses: pd.Series, road_names: Iterable[str]) -> pd.Series:
    """Road names each address mentions.

    Parameters
    ----------
    addresses : pandas.Series of str
    road_names : iterable of str
        Names of the registry's roads.

    Returns
    -------
    pandas.Series of RoadMatch or None
        None where no road name occurs in the address. A second road counts only when the
        address says it is a junction (与, 和, 交叉, 路口).

    Examples
    --------
    >>> s = match_road_names(pd.Series(["杨浦区控江路1500号", "政通路与国定路交叉口", "某小区"]),
    ...                      ["控江路", "政通路", "国定路"])
    >>> [m.names if m else None for m in s]
    [('控江路',), ('政通路', '国定路'), None]
    """
    pattern = _pattern(road_names)

    def one(address: object) -> RoadMatch | None:
        if pattern is None or not isinstance(address, str):
            return None
        text = _PREFIXES.sub("", address.strip())
        found = list(dict.fromkeys(pattern.findall(text)))
        if not found:
            return None
        if len(found) >= 2 and _JUNCTION.search(text):
            return RoadMatch(tuple(found[:2]))
        return RoadMatch((found[0],))

    return pd.Series([one(a) for a in addresses], index=addresses.index, dtype=object)


def _merged(roads: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    lines = {}
    for name, group in roads.groupby("name", sort=True):
        merged = shapely.line_merge(shapely.union_all(group.geometry.values))
        lines[name] = merged
    return lines


def _middle(line: shapely.Geometry) -> shapely.Geometry:
    if line.geom_type == "MultiLineString":  # pieces that do not join: the longest one
        line = max(line.geoms, key=lambda g: g.length)
    return shapely.line_interpolate_point(line, 0.5, normalized=True)


def _crossing(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry:
    meet = shapely.intersection(a, b)
    if not meet.is_empty:
        first = shapely.get_parts(meet)[0]
        return first if first.geom_type == "Point" else first.representative_point()
    pa, pb = nearest_points(a, b)  # roads that do not quite meet: halfway between them
    return shapely.Point((pa.x + pb.x) / 2, (pa.y + pb.y) / 2)


def locate_on_roads(addresses: pd.Series, roads: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Points for addresses, on the named road (or the crossing of two named roads).

    Parameters
    ----------
    addresses : pandas.Series of str
    roads : GeoDataFrame
        The registry's ``roads`` (``name`` column), any projected CRS.

    Returns
    -------
    GeoSeries
        In ``roads``' CRS, aligned with ``addresses``; None where nothing matched.
    """
    matches = match_road_names(addresses, roads["name"])
    needed = {n for m in matches if m is not None for n in m.names}
    lines = _merged(roads[roads["name"].isin(needed)])
    cache: dict[tuple[str, ...], shapely.Geometry] = {}
    out = np.full(len(addresses), None, dtype=object)
    for i, m in enumerate(matches):
        if m is None:
            continue
        if m.names not in cache:
            cache[m.names] = (_crossing(lines[m.names[0]], lines[m.names[1]]) if m.junction
                              else _middle(lines[m.names[0]]))
        out[i] = cache[m.names]
    return gpd.GeoSeries(out, index=addresses.index, crs=roads.crs)


def fill_from_addresses(raw, layer, roads: gpd.GeoDataFrame, *, crs=None, mapping=None,
                        skip_unlocated: bool = False):
    """Give rows without coordinates a point on the road their address names.

    Sets ``location_precision`` (``point`` for rows with coordinates, ``road`` for rows
    placed by address) unless the source has that column. Located points are expressed in
    the source's CRS, so the rest of the load treats every row alike.

    Parameters
    ----------
    raw : yangpu_gis.io.RawSource
        Modified in place and returned.
    layer : Layer
        A catalogue layer with ``address`` and ``location_precision`` columns.
    roads : GeoDataFrame
        The registry's ``roads`` (``name``), in the working CRS.
    crs : str, optional
        ``--crs`` of the load.
    mapping : dict, optional
        ``--map`` of the load (to find the address column).
    skip_unlocated : bool
        Leave out rows that cannot be located (listed in ``raw.skipped``) instead of
        refusing the load.

    Raises
    ------
    ValidationError
        Rows without coordinates whose address names no road (unless ``skip_unlocated``),
        or rows without coordinates and no address column at all.
    """
    from .validate import resolve_columns

    frame = raw.frame
    geom = frame.geometry.name
    applied = resolve_columns([c for c in frame.columns if c != geom], layer, mapping or {},
                              raw.path)
    missing = np.asarray(shapely.is_missing(frame.geometry.values))
    if "location_precision" not in applied.values():
        frame["location_precision"] = np.where(missing, "road", "point")
    if not missing.any():
        return raw
    address = next((src for src, dst in applied.items() if dst == "address"), None)
    rows = raw.rows
    if address is None:
        raise ValidationError(
            "rows without coordinates, and no address column to locate them by",
            source=raw.path,
            problems=[Problem("no coordinates", rows=rows[missing].tolist(), field="geometry",
                              row_label=raw.row_label)],
            hint="add coordinates, or an address column (地址) naming the road")
    if roads.empty:
        raise ValidationError(
            f"{int(missing.sum())} rows have no coordinates and the registry has no roads to "
            "place them on", source=raw.path, hint="load the roads layer first")
    points = locate_on_roads(frame.loc[missing, address], roads)
    unmatched = missing.copy()
    unmatched[missing] = points.isna().to_numpy()
    if unmatched.any() and not skip_unlocated:
        examples = ", ".join(repr(a) for a in frame.loc[unmatched, address].head(3))
        raise ValidationError(
            f"{int(unmatched.sum())} rows have no coordinates and their address names no road "
            "of the registry; nothing was loaded",
            source=raw.path,
            problems=[Problem(f"cannot be located (e.g. {examples})",
                              rows=rows[unmatched].tolist(), field=address,
                              row_label=raw.row_label,
                              hint="add coordinates, or write the road name as in the roads "
                              "layer; --skip-unlocated loads the others and lists these")])
    working = parse_crs(settings.working_crs)
    src = parse_crs(crs) if crs else raw.crs
    if src is None and not (~missing).any():
        src = raw.crs = working
    located = missing & ~unmatched
    target = working if src is None else src
    values = np.asarray(frame.geometry.values, dtype=object)
    values[located] = transform_geometries(points.dropna().to_numpy(), working, target)
    frame[geom] = gpd.GeoSeries(values, index=frame.index, crs=frame.crs)
    raw.notes.append(f"{int(located.sum())} rows without coordinates placed on the road their "
                     "address names (location_precision = road)")
    if unmatched.any():
        raw.skipped = rows[unmatched].tolist()
        raw.notes.append(f"{int(unmatched.sum())} rows could not be located and were left out "
                         "(skip_unlocated): see skipped_rows")
        keep = ~unmatched
        raw.frame = frame[keep].reset_index(drop=True)
        raw.rows = rows[keep]
    return raw

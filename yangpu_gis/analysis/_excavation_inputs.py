"""Plumbing of :mod:`yangpu_gis.analysis.excavation`: checked inputs and the spatial joins.

Nothing here is public API. Every function takes GeoDataFrames already in one metric CRS and
returns NumPy arrays of positions (row numbers), never labels, so the public functions can
build their tables in one vectorised step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import settings
from ..errors import CRSError, Problem, ValidationError

#: Road widths (m) assumed for a road whose ``width_m`` is missing, by ``road_class``. They
#: are typical red-line-to-kerb widths of Shanghai streets of each class, an assumption of
#: this package rather than a figure from a standard: load ``width_m`` to override them.
DEFAULT_ROAD_WIDTH_M: dict[str, float] = {
    "expressway": 30.0,
    "arterial": 30.0,
    "secondary": 20.0,
    "branch": 12.0,
    "alley": 5.0,
    "internal": 5.0,
}
#: Width (m) for a road whose class is not in :data:`DEFAULT_ROAD_WIDTH_M` either.
FALLBACK_ROAD_WIDTH_M = 8.0

_EPOCH = np.datetime64("1970-01-01", "D")

#: Permit statuses the excavation analyses leave out by default: a revoked, cancelled or
#: withdrawn permit digs nothing (compared without case and surrounding blanks).
EXCLUDED_STATUS: tuple[str, ...] = ("已撤销", "撤销", "作废", "cancelled", "revoked", "withdrawn")


def active_permits(
    permits: gpd.GeoDataFrame, exclude_status: Sequence[str] = EXCLUDED_STATUS
) -> gpd.GeoDataFrame:
    """Permits whose ``status`` is not one of ``exclude_status`` (all when it is empty or the
    frame has no ``status`` column); the one place the excavation analyses filter.

    The kept rows keep their index labels, so results stay aligned with the input frame.
    """
    if isinstance(exclude_status, str):
        raise ValidationError("exclude_status is a list of statuses, not one string",
                              hint=f"e.g. exclude_status=({exclude_status!r},)")
    if "status" not in permits.columns or not exclude_status:
        return permits
    wanted = {str(s).strip().casefold() for s in exclude_status}
    status = permits["status"].map(lambda v: v.strip().casefold() if isinstance(v, str) else v)
    keep = ~status.isin(wanted).to_numpy()
    return permits if keep.all() else permits[keep]


def gas_clearances(
    gas_clearance_m: float | None = None, gas_high_pressure_clearance_m: float | None = None
) -> tuple[float, float]:
    """The gas clearances (m) to use: those given, else ``settings``' values read now.

    ``settings.gas_clearance_m`` and ``settings.gas_high_pressure_clearance_m`` (defined
    there with their source) are read at each call, not when a module is imported, so a
    changed setting takes effect at once.
    """
    return (
        settings.gas_clearance_m if gas_clearance_m is None else gas_clearance_m,
        settings.gas_high_pressure_clearance_m
        if gas_high_pressure_clearance_m is None
        else gas_high_pressure_clearance_m,
    )


@dataclass(frozen=True)
class PermitArrays:
    """Permits as aligned arrays: ids (str), footprints, first and last day (days since 1970)."""

    ids: np.ndarray
    geoms: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def require_columns(gdf: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Raise :class:`ValidationError` naming the missing columns of ``gdf``."""
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValidationError(
            f"{what}: missing column(s) {', '.join(missing)}",
            hint=f"needed: {', '.join(columns)}; columns present: "
            + ", ".join(map(str, gdf.columns)),
        )


def check_crs(*frames: gpd.GeoDataFrame | None) -> pyproj.CRS | None:
    """The common metric CRS of the frames, or :class:`CRSError`.

    Distances and widths are metres, so a geographic CRS (lon/lat degrees) is refused, and
    so are frames in different CRSs (the registry gives every layer in EPSG:4549).
    """
    crss = [f.crs for f in frames if f is not None and len(f.columns)]
    known = [c for c in crss if c is not None]
    if not known:
        return None
    first = pyproj.CRS.from_user_input(known[0])
    if first.is_geographic:
        raise CRSError(
            f"excavation analyses need a metric CRS, got {first.name} (degrees)",
            hint="reproject first: gdf.to_crs('EPSG:4549'); registry layers already are",
        )
    for other in known[1:]:
        if not first.equals(other):
            raise CRSError(
                f"inputs are in different CRSs ({first.name} and "
                f"{pyproj.CRS.from_user_input(other).name})",
                hint="reproject every input to the working CRS, EPSG:4549",
            )
    return first


def day_numbers(values: pd.Series, column: str, what: str) -> np.ndarray:
    """Dates (datetime64, date objects or ISO strings) as int64 days since 1970-01-01."""
    parsed = pd.to_datetime(values, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise ValidationError(
            f"{len(bad)} {what} have no valid {column}",
            problems=[Problem("missing or unreadable date", rows=(bad + 1).tolist(), field=column)],
            hint="dates are ISO 8601, YYYY-MM-DD",
        )
    days = parsed.to_numpy().astype("datetime64[D]")
    return (days - _EPOCH).astype(np.int64)


def as_dates(days: np.ndarray) -> np.ndarray:
    """int64 days since 1970 -> ``datetime64[ns]`` (midnight), for output tables."""
    return (np.asarray(days, dtype=np.int64).astype("timedelta64[D]") + _EPOCH).astype(
        "datetime64[ns]"
    )


def permit_arrays(permits: gpd.GeoDataFrame, what: str = "permits") -> PermitArrays:
    """Check a permits frame and turn it into :class:`PermitArrays`.

    Raises
    ------
    ValidationError
        Missing columns or dates, duplicate ids, an end before its start, no geometry.
    """
    require_columns(permits, ("permit_id", "planned_start", "planned_end"), what)
    ids = permits["permit_id"].astype(str).to_numpy(dtype=object)
    dup = pd.Index(ids).duplicated(keep=False)
    if dup.any():
        rows = np.flatnonzero(dup)
        raise ValidationError(
            f"{what}: permit_id is not unique",
            problems=[Problem(f"duplicate ids, e.g. {ids[rows[0]]!r}", rows=(rows + 1).tolist(),
                              field="permit_id")],
        )
    start = day_numbers(permits["planned_start"], "planned_start", what)
    end = day_numbers(permits["planned_end"], "planned_end", what)
    backwards = np.flatnonzero(end < start)
    if len(backwards):
        raise ValidationError(
            f"{what}: planned_end before planned_start",
            problems=[Problem("end before start", rows=(backwards + 1).tolist(),
                              field="planned_end")],
            hint="intervals are [planned_start, planned_end], both days included",
        )
    geoms = np.asarray(permits.geometry.values, dtype=object)
    empty = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(empty):
        raise ValidationError(
            f"{what}: {len(empty)} permits have no geometry",
            problems=[Problem("empty footprint", rows=(empty + 1).tolist(), field="geometry")],
        )
    return PermitArrays(ids, geoms, start, end)


def pair_gaps(
    start_a: np.ndarray, end_a: np.ndarray, start_b: np.ndarray, end_b: np.ndarray
) -> np.ndarray:
    """Days from the end of the earlier interval to the start of the later one.

    ``<= 0`` when the inclusive intervals share at least one day (the overlap, negated);
    ``1`` when one ends the day before the other starts.
    """
    return np.maximum(start_b - end_a, start_a - end_b)


def spatial_pairs(
    tree: shapely.STRtree, query: np.ndarray, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(query position, tree position) of every pair within ``distance_m`` (inclusive).

    ``distance_m == 0`` uses the robust ``intersects`` predicate (exact for touching
    footprints); a positive distance uses ``dwithin``.
    """
    if len(query) == 0 or len(tree.geometries) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if distance_m == 0:
        q, t = tree.query(query, predicate="intersects")
    else:
        q, t = tree.query(query, predicate="dwithin", distance=float(distance_m))
    return q.astype(np.int64), t.astype(np.int64)


def candidate_pairs(
    tree: shapely.STRtree, query: np.ndarray, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(query, tree) positions whose envelopes, grown by ``distance_m``, intersect: a cheap
    superset of :func:`spatial_pairs`, to be filtered (by time first) then :func:`close`."""
    if len(query) == 0 or len(tree.geometries) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    b = shapely.bounds(query)
    d = float(distance_m)
    q, t = tree.query(shapely.box(b[:, 0] - d, b[:, 1] - d, b[:, 2] + d, b[:, 3] + d))
    return q.astype(np.int64), t.astype(np.int64)


def close(a: np.ndarray, b: np.ndarray, distance_m: float) -> np.ndarray:
    """Element-wise: are ``a[k]`` and ``b[k]`` within ``distance_m`` (see spatial_pairs)?"""
    if distance_m == 0:
        return shapely.intersects(a, b)
    return shapely.dwithin(a, b, float(distance_m))


def road_widths(roads: gpd.GeoDataFrame, default_width_m: Mapping[str, float]) -> np.ndarray:
    """``width_m`` of each road, or the class default where it is missing."""
    n = len(roads)
    width = (pd.to_numeric(roads["width_m"], errors="coerce").to_numpy(dtype=float)
             if "width_m" in roads.columns else np.full(n, np.nan))
    if "road_class" in roads.columns:
        cls = roads["road_class"].astype(object).to_numpy()
        fallback = np.array([default_width_m.get(c, FALLBACK_ROAD_WIDTH_M) for c in cls],
                            dtype=float)
    else:
        fallback = np.full(n, FALLBACK_ROAD_WIDTH_M)
    return np.where(np.isfinite(width) & (width > 0), width, fallback)


def road_surfaces(roads: gpd.GeoDataFrame, default_width_m: Mapping[str, float]) -> np.ndarray:
    """Carriageway footprints: each centre line buffered by half its width, flat ends."""
    centre = np.asarray(roads.geometry.values, dtype=object)
    return shapely.buffer(centre, road_widths(roads, default_width_m) / 2, cap_style="flat",
                          join_style="mitre")


def permit_road_pairs(
    permit_geoms: np.ndarray, roads: gpd.GeoDataFrame, default_width_m: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Permits that intersect a road's surface, and the metres of road each one digs.

    Returns
    -------
    permit_pos, road_pos : ndarray of int
        One entry per (permit, road) pair whose footprints intersect (touching counts).
    metres : ndarray of float
        Length of the road's centre line alongside the dug part: the extent of the part of
        the permit inside the road surface, projected onto the centre line.
    """
    if len(roads) == 0 or len(permit_geoms) == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0)
    surfaces = road_surfaces(roads, default_width_m)
    tree = shapely.STRtree(surfaces)
    p, r = tree.query(permit_geoms, predicate="intersects")
    centre = np.asarray(roads.geometry.values, dtype=object)
    dug = shapely.intersection(permit_geoms[p], surfaces[r])
    xy, owner = shapely.get_coordinates(dug, return_index=True)
    metres = np.zeros(len(p))
    if len(xy):
        pos = shapely.line_locate_point(centre[r][owner], shapely.points(xy))
        lo = np.full(len(p), np.inf)
        hi = np.full(len(p), -np.inf)
        np.minimum.at(lo, owner, pos)
        np.maximum.at(hi, owner, pos)
        has = np.isfinite(lo)
        metres[has] = hi[has] - lo[has]
    return p.astype(np.int64), r.astype(np.int64), metres

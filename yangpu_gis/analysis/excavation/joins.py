"""The spatial joins of the excavation analyses: permit pairs and permits on road surfaces.

Pairs are found with a spatial index (:class:`shapely.STRtree`), never by comparing every
permit with every other one. Every function returns positions (row numbers).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs import require_columns
from .defaults import FALLBACK_ROAD_WIDTH_M

__all__ = ["candidate_pairs", "close", "permit_road_pairs", "permit_roads", "road_surfaces",
           "road_widths", "spatial_pairs"]


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


def permit_roads(
    permits: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None, default_width_m: dict[str, float]
) -> pd.DataFrame:
    """``permit_id, road_id, metres`` for every permit touching a road's surface.

    Without ``roads``, the permits' own ``road_id`` column (metres unknown, NaN).
    """
    if roads is None:
        if "road_id" not in permits.columns:
            return pd.DataFrame({"permit_id": [], "road_id": [], "metres": []})
        sub = permits[["permit_id", "road_id"]].dropna()
        return pd.DataFrame({"permit_id": sub["permit_id"].astype(str).to_numpy(dtype=object),
                             "road_id": sub["road_id"].astype(str).to_numpy(dtype=object),
                             "metres": np.nan})
    require_columns(roads, ("road_id",), "roads")
    p, r, metres = permit_road_pairs(np.asarray(permits.geometry.values, dtype=object), roads,
                                     default_width_m)
    return pd.DataFrame({
        "permit_id": permits["permit_id"].astype(str).to_numpy(dtype=object)[p],
        "road_id": roads["road_id"].astype(str).to_numpy(dtype=object)[r],
        "metres": metres,
    })

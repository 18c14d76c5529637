"""Geometry bookkeeping shared by the coverage analyses: ids, grouping, exploding, overlays.

Every function works on numpy arrays of shapely geometries (vectorised shapely 2).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ...catalogue import CATALOGUE

__all__ = [
    "EPS",
    "KIND_NAMES",
    "explode_parts",
    "group_parts",
    "ids_of",
    "measure_of",
    "merge_lines",
    "overlay",
    "parts_frame",
    "polygonal",
]

#: Geometry kind by dimension.
KIND_NAMES = {0: "point", 1: "line", 2: "polygon"}
#: Metres below which an interval or a stretch is empty.
EPS = 1e-6


def ids_of(gdf: gpd.GeoDataFrame, column: str | None) -> np.ndarray:
    if column is None:
        column = next(
            (lyr.id_column for lyr in CATALOGUE.values() if lyr.id_column in gdf.columns), None
        ) or next((c for c in gdf.columns if str(c).endswith("_id")), None)
    if column is not None and column in gdf.columns:
        return gdf[column].astype(object).to_numpy()
    return np.asarray(gdf.index.astype(str), dtype=object)


def group_parts(parts: np.ndarray, index: np.ndarray, n: int, kind: str) -> np.ndarray:
    """One multi-geometry per group ``0..n-1`` (``None`` where a group has no parts)."""
    out = np.full(n, None, dtype=object)
    if not len(parts):
        return out
    order = np.argsort(index, kind="stable")
    maker = {
        "polygon": shapely.multipolygons,
        "line": shapely.multilinestrings,
        "point": shapely.multipoints,
    }[kind]
    return maker(parts[order], indices=index[order], out=out)


def explode_parts(geoms: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Single parts of dimension ``dim`` and the position of the geometry each came from."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, src = shapely.get_parts(geoms[ok], return_index=True)
    src = np.flatnonzero(ok)[src]
    # collections (e.g. a line touching a polygon) hold parts of lower dimension
    nested = shapely.get_type_id(parts) == 7
    if nested.any():
        sub, k = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        src = np.concatenate([src[~nested], src[nested][k]])
    keep = (shapely.get_dimensions(parts) == dim) & ~shapely.is_empty(parts)
    return parts[keep], src[keep]


def measure_of(geoms: np.ndarray, dim: int) -> np.ndarray:
    return shapely.area(geoms) if dim == 2 else shapely.length(geoms)



def parts_frame(parts: np.ndarray, rows: np.ndarray, ids: np.ndarray, crs) -> gpd.GeoDataFrame:
    dims = shapely.get_dimensions(parts) if len(parts) else np.empty(0, int)
    return gpd.GeoDataFrame(
        {
            "target_id": ids[rows] if len(rows) else np.empty(0, object),
            "target_row": rows.astype(np.int64),
            "length_m": np.where(dims == 1, shapely.length(parts), np.nan) if len(parts) else [],
            "area_m2": np.where(dims == 2, shapely.area(parts), np.nan) if len(parts) else [],
        },
        geometry=gpd.GeoSeries(parts, crs=crs) if len(parts) else gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def overlay(
    geoms: np.ndarray,
    rows: np.ndarray,
    dim: int,
    region: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Covered and uncovered single parts of ``geoms`` by ``region`` (disjoint polygons).

    Returns ``(covered parts, their rows, uncovered parts, their rows)``.
    """
    n = len(geoms)
    if not n:
        e = np.empty(0, dtype=object)
        return e, np.empty(0, np.int64), e, np.empty(0, np.int64)
    if len(region):
        ti, rj = shapely.STRtree(region).query(geoms, predicate="intersects")
    else:
        ti = rj = np.empty(0, np.int64)
    local = group_parts(region[rj], ti, n, "polygon")
    hit = ~shapely.is_missing(local)
    cov = np.full(n, None, dtype=object)
    unc = geoms.copy()
    if hit.any():
        cov[hit] = shapely.intersection(geoms[hit], local[hit])
        unc[hit] = shapely.difference(geoms[hit], local[hit])
    cp, ci = explode_parts(cov, dim)
    up, ui = explode_parts(unc, dim)
    return cp, rows[ci], up, rows[ui]


def merge_lines(parts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join the line parts of each row where they meet (:func:`shapely.line_merge`)."""
    if not len(parts):
        return parts, rows
    uniq, inv = np.unique(rows, return_inverse=True)
    merged = shapely.line_merge(group_parts(parts, inv, len(uniq), "line"))
    out, k = explode_parts(merged, 1)
    return out, uniq[k]



def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal part of each geometry (intersections may add edges and points)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, src = explode_parts(geoms, 2)
    out = group_parts(parts, src, len(geoms), "polygon")
    return np.where(shapely.is_missing(out), shapely.Polygon(), out) if len(out) else out

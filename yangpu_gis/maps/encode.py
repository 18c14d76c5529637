"""Geometry preparation and compact encoding of features for the browser.

A layer travels to the page as one JSON object instead of a GeoJSON FeatureCollection:

* coordinates are rounded to ``precision`` decimals of a degree (6 ≈ 0.1 m) and stored as
  integers; every path stores its first vertex relative to the layer's origin and the rest
  as differences from the previous vertex (small numbers, few characters);
* geometries nest as Leaflet wants them: a line feature is a list of paths, a polygon
  feature a list of polygons, each a list of rings; a point feature is one ``[x, y]`` pair;
* large layers may pack each path into a string (``packed=True``, :func:`pack_ints`): a
  zigzag varint of 5 bits per character, about half the characters of the JSON numbers
  and one string for the browser to parse instead of hundreds of numbers;
* only the attributes the popup shows are kept, as columns, already HTML-escaped
  (:func:`yangpu_gis.maps.safe.escape_html`).

The decoder is ``assets/yangpu_layers.js``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from ..errors import CRSError, Problem, ValidationError
from .safe import escape_html, js_json

__all__ = [
    "PACK_ALPHABET",
    "encode_geometries",
    "format_value",
    "js_json",
    "pack_ints",
    "to_display_crs",
]

#: Characters of packed paths: index ``k`` carries 5 bits (``k % 32``) and, from 32 on, "more
#: follow". Letters, digits, ``-`` and ``_``: nothing JSON, HTML or Jinja would touch.
PACK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_PACK_BYTES = np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)


def pack_ints(values: np.ndarray, counts: np.ndarray) -> list[str]:
    """Pack runs of integers into strings: ``counts[i]`` values each, zigzag varints.

    Each value ``v`` becomes ``z = 2v`` (``v ≥ 0``) or ``-2v - 1``, written 5 bits at a time,
    lowest first, with :data:`PACK_ALPHABET` (a character from the upper half means more
    follow). The runtime's ``unpack`` reverses it.

    Examples
    --------
    >>> pack_ints(np.array([0, -1, 1, 16, 400]), np.array([2, 3]))
    ['AB', 'CgBgZ']
    """
    v = np.asarray(values, dtype=np.int64)
    z = np.where(v >= 0, v << 1, (-v << 1) - 1).astype(np.uint64)
    if len(z) == 0:
        return ["" for _ in counts]
    groups = np.ones(len(z), dtype=np.int64)
    for k in range(1, 13):  # 5-bit groups beyond the first (64-bit values need 13)
        groups += z >= np.uint64(1 << (5 * k))
    width = int(groups.max())
    j = np.arange(width, dtype=np.uint64)
    chunks = ((z[:, None] >> (np.uint64(5) * j[None, :])) & np.uint64(31)).astype(np.int64)
    more = np.arange(width)[None, :] < (groups[:, None] - 1)
    keep = np.arange(width)[None, :] < groups[:, None]
    chars = _PACK_BYTES[chunks + 32 * more][keep].tobytes().decode("ascii")
    per_value = np.concatenate([[0], np.cumsum(groups)])
    run_end = np.cumsum(np.asarray(counts, dtype=np.int64))
    cut = per_value[np.concatenate([[0], run_end])]
    return [chars[cut[i]:cut[i + 1]] for i in range(len(cut) - 1)]


def to_display_crs(
    gdf: gpd.GeoDataFrame, *, shift: str | None = None, simplify_m: float = 0.0
) -> gpd.GeoSeries:
    """Geometries in WGS84 lon/lat (or GCJ-02 for Amap tiles), optionally simplified.

    Parameters
    ----------
    gdf : GeoDataFrame
        Any CRS pyproj knows; the registry stores EPSG:4549.
    shift : {None, "gcj02"}
        ``"gcj02"`` applies :func:`yangpu_gis.crs.wgs84_to_gcj02` after reprojection, so the
        data lines up with Amap/Gaode tiles.
    simplify_m : float
        Topology-preserving simplification tolerance in metres, applied in the working CRS
        before reprojection; 0 leaves the geometries alone.

    Returns
    -------
    GeoSeries
        In EPSG:4326 (its coordinates are GCJ-02 when ``shift="gcj02"``).

    Raises
    ------
    CRSError
        If the GeoDataFrame has no CRS.
    ValidationError
        If coordinates are not finite, or fall outside the globe once in lon/lat (a CRS
        that does not fit the numbers).
    """
    if gdf.crs is None:
        raise CRSError(
            "cannot draw a GeoDataFrame without a CRS",
            hint="set one with gdf.set_crs('EPSG:4549') (registry layers) or 'EPSG:4326'",
        )
    geoms = gdf.geometry
    if simplify_m > 0:
        work = _crs.working_crs()
        metric = geoms.to_crs(work) if not gdf.crs.equals(work) else geoms
        metric = metric.simplify(simplify_m, preserve_topology=True)
        geoms = metric
    wgs84 = geoms.to_crs("EPSG:4326")
    _check_lonlat(wgs84)
    if shift is None:
        return wgs84
    arr = _crs.transform_geometries(wgs84.values, wgs84.crs, shift)
    return gpd.GeoSeries(arr, index=gdf.index, crs="EPSG:4326")


def _check_lonlat(wgs84: gpd.GeoSeries) -> None:
    """Refuse features whose lon/lat are NaN, infinite or off the globe (rows 1-based)."""
    arr = np.asarray(wgs84.values, dtype=object)
    present = np.array([isinstance(g, shapely.Geometry) for g in arr], dtype=bool)
    if not present.any():
        return
    xy, owner = shapely.get_coordinates(arr[present], return_index=True)
    with np.errstate(invalid="ignore"):
        bad_xy = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180)
                   & (np.abs(xy[:, 1]) <= 90))
    if not bad_xy.any():
        return
    rows = np.flatnonzero(present)[np.unique(owner[bad_xy])] + 1
    nonfinite = not np.isfinite(xy[bad_xy]).all()
    raise ValidationError(
        "cannot draw features whose coordinates are "
        + ("not finite numbers (NaN or infinite)" if nonfinite else "off the globe in lon/lat"),
        problems=[Problem("coordinates not drawable", rows=rows.tolist(), field="geometry",
                          row_label="feature")],
        hint="repair the geometries" if nonfinite
        else "the file's CRS does not fit its numbers: set the right CRS",
    )


def _split(values: np.ndarray, index: np.ndarray, n: int) -> list[np.ndarray]:
    """Split ``values`` (sorted by ``index``) into ``n`` groups, empty groups included."""
    bounds = np.searchsorted(index, np.arange(n + 1))
    return [values[bounds[i] : bounds[i + 1]] for i in range(n)]


def encode_geometries(
    geoms: Sequence | np.ndarray, *, precision: int = 6, packed: bool = False
) -> tuple[list[int], str, list]:
    """Encode geometries compactly (see the module docstring).

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Lon/lat; ``None`` and empty geometries become empty features.
    precision : int
        Decimals of a degree kept; 6 ≈ 0.1 m, 5 ≈ 1 m.
    packed : bool
        Paths (and points) as :func:`pack_ints` strings instead of lists of numbers; a
        point feature is then a list of one string per point.

    Returns
    -------
    origin : list of int
        ``[x0, y0]`` in units of 10^-precision degree.
    types : str
        One character per feature: ``P`` point, ``L`` line, ``A`` polygon, ``-`` empty.
    geometries : list
        One nested list per feature.

    Examples
    --------
    >>> from shapely import LineString
    >>> encode_geometries([LineString([(121.5, 31.3), (121.500001, 31.300002)])])
    ([121500000, 31300000], 'L', [[[0, 0, 1, 2]]])
    """
    empty = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = [g if isinstance(g, shapely.Geometry) else empty for g in geoms]
    n = len(arr)
    scale = 10**precision
    type_ids = shapely.get_type_id(arr)
    types = "".join(
        {0: "P", 1: "L", 2: "L", 3: "A", 4: "P", 5: "L", 6: "A"}.get(int(t), "-")
        for t in type_ids
    )
    allxy = shapely.get_coordinates(arr)
    if len(allxy) == 0:
        return [0, 0], "-" * n, [[] for _ in range(n)]
    q_all = np.rint(allxy * scale).astype(np.int64)
    origin = q_all.min(axis=0)

    # parts (points, lines, polygons) -> rings/paths -> vertices, with their owners
    parts, part_owner = shapely.get_parts(arr, return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    paths = np.empty(0, dtype=object)
    path_part = np.empty(0, dtype=np.int64)
    path_list, owner_list = [], []
    poly_idx = np.flatnonzero(is_poly)
    if len(poly_idx):
        rings, ring_owner = shapely.get_rings(parts[poly_idx], return_index=True)
        path_list.append(rings)
        owner_list.append(poly_idx[ring_owner])
    other_idx = np.flatnonzero(~is_poly)
    if len(other_idx):
        path_list.append(parts[other_idx])
        owner_list.append(other_idx)
    if path_list:
        paths = np.concatenate(path_list)
        path_part = np.concatenate(owner_list)
        order = np.argsort(path_part, kind="stable")
        paths, path_part = paths[order], path_part[order]

    xy, vertex_path = shapely.get_coordinates(paths, return_index=True)
    q = np.rint(xy * scale).astype(np.int64) - origin
    delta = q.copy()
    delta[1:] -= q[:-1]
    first = np.ones(len(q), dtype=bool)
    first[1:] = vertex_path[1:] != vertex_path[:-1]
    delta[first] = q[first]
    # drop vertices that rounding made identical to their predecessor (keep path starts)
    keep = first | np.any(delta != 0, axis=1)
    delta, vertex_path = delta[keep], vertex_path[keep]
    if packed:
        per_path = np.bincount(vertex_path, minlength=len(paths)) * 2
        flat_by_path = pack_ints(delta.ravel(), per_path)
    else:
        flat_by_path = [d.ravel().tolist() for d in _split(delta, vertex_path, len(paths))]

    # nest: feature -> parts -> (rings for polygons | flat path for lines | xy for points)
    part_paths: list[list] = [[] for _ in range(len(parts))]
    for flat, p in zip(flat_by_path, path_part.tolist(), strict=True):
        part_paths[p].append(flat)
    out: list[list] = [[] for _ in range(n)]
    for p, (owner, poly) in enumerate(zip(part_owner.tolist(), is_poly.tolist(), strict=True)):
        if poly:
            out[owner].append(part_paths[p])
        elif part_paths[p] and part_paths[p][0]:
            if types[owner] == "P" and not packed:
                out[owner].extend(part_paths[p][0])
            else:
                out[owner].append(part_paths[p][0])
    return origin.tolist(), types, out


def format_value(value: object) -> str | None:
    """Text shown in a popup for one attribute value, HTML-escaped; ``None`` for missing.

    Examples
    --------
    >>> format_value("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> format_value("{{ 7*7 }}")
    '&#123;&#123; 7*7 &#125;&#125;'
    >>> format_value(3.50), format_value(float("nan")), format_value(True)
    ('3.5', None, '是')
    """
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        text = format(float(value), ".10g")
    elif isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, pd.Timestamp | _dt.datetime):
        if pd.isna(value):
            return None
        text = value.isoformat()
    elif isinstance(value, _dt.date):
        text = value.isoformat()
    else:
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        text = str(value)
    return str(escape_html(text))

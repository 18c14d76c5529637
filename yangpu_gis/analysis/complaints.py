"""12345 hotline work orders: merge duplicates, route cases, hot spots, density and trends.

The plan asks that the same problem reported many times become one case before dispatch
(甄别归并), that each case go to the responsible subdistrict, grid and department, and that
places where the same kind of problem keeps coming back be found. Every function here is
pure: GeoDataFrames and plain parameters in, tidy (Geo)DataFrames out, in the working CRS
(EPSG:4549, metres). The CLI (``yangpu-gis analyze complaints``) does the I/O.

Pipeline (:func:`analyze_complaints` runs all of it):

1. :func:`merge_duplicates` — work orders of the same category within ``distance_m`` metres
   *and* ``hours`` hours of another are one case; links chain (single linkage in
   space–time), so a case is a connected component of the "near in space and time" graph.
   Pairs come from a k-d tree over (x, y, t·distance_m/hours) queried with the Chebyshev
   metric (a box of ±distance_m, ±distance_m, ±hours around each order), filtered to the
   exact disc × interval, and joined with :func:`scipy.sparse.csgraph.connected_components`:
   O(n log n + pairs), never all pairs.
2. :func:`route_cases` — subdistrict and grid cell by point-in-polygon, department by the
   category table (:mod:`yangpu_gis.analysis.categories`); cases outside every grid cell,
   within ``boundary_tolerance_m`` of a subdistrict border, on an edge shared by two cells,
   of an unknown category, or placed on a road only (``location_precision = road``) go to
   manual dispatch.
3. :func:`hot_spots` — Getis-Ord Gi* (``esda.G_Local``, ``star=True``, binary queen
   contiguity plus the cell itself) of the number of cases per cell and category, with
   permutation inference and a Benjamini–Hochberg false-discovery-rate cut (``esda.fdr``);
   :func:`recurring_spots` — cells with cases of a category in at least N of the last M
   months.
4. :func:`kernel_density` — Gaussian kernel density of cases per category on a regular
   raster (cases per km²), written to GeoTIFF by :meth:`DensityRaster.to_geotiff`.
5. :func:`weekly_trends` and :func:`handling_times`.

Defaults are ours, not from a standard: 50 m and 72 h for duplicates (the issue's values:
the same pothole or stall reported along one block within three days), 15 m border
tolerance (half a two-lane road), FDR α = 0.05 with 9999 permutations (999, PySAL's usual
number, cannot reach the FDR cut α/n for a few hundred cells),
3 of the last 6 months for recurrence, 150 m bandwidth (one or two street blocks) on a
25 m raster for the density.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import ValidationError
from .categories import DEFAULT_CATEGORY_TABLE, CategoryTable

__all__ = [
    "DEFAULT_BANDWIDTH_M",
    "DEFAULT_BOUNDARY_TOLERANCE_M",
    "DEFAULT_CELL_SIZE_M",
    "DEFAULT_DISTANCE_M",
    "DEFAULT_HEX_SIZE_M",
    "DEFAULT_HOURS",
    "DEFAULT_PERMUTATIONS",
    "ComplaintsResult",
    "DensityRaster",
    "MergeResult",
    "analyze_complaints",
    "cell_weights",
    "handling_times",
    "hex_grid",
    "hot_spots",
    "kernel_density",
    "locate",
    "merge_duplicates",
    "pseudo_p_value",
    "recurring_spots",
    "route_cases",
    "space_time_labels",
    "space_time_pairs",
    "weekly_trends",
]

#: Duplicate work orders: same category within this distance (metres) ...
DEFAULT_DISTANCE_M = 50.0
#: ... and this many hours of another order (issue 10).
DEFAULT_HOURS = 72.0
#: A case this close (metres) to a subdistrict border is dispatched by hand.
DEFAULT_BOUNDARY_TOLERANCE_M = 15.0
#: Hexagon size (centre to vertex, metres) of :func:`hex_grid`.
DEFAULT_HEX_SIZE_M = 250.0
#: Gaussian kernel standard deviation (metres) of :func:`kernel_density`.
DEFAULT_BANDWIDTH_M = 150.0
#: Conditional permutations of :func:`hot_spots`. Not PySAL's usual 999: the smallest
#: pseudo p-value is 1/(permutations+1), and the Benjamini–Hochberg cut for the most
#: significant of n cells is α/n (0.05/416 = 1.2e-4 for the demo's grid cells), which 999
#: permutations can never reach.
DEFAULT_PERMUTATIONS = 9999
#: Raster cell size (metres) of :func:`kernel_density`.
DEFAULT_CELL_SIZE_M = 25.0

_NS_PER_HOUR = 3_600_000_000_000
_EPS_M = 1e-6  # "within distance_m" is inclusive, to a micrometre


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _as_datetime(values: pd.Series) -> pd.Series:
    """Tz-aware datetimes (Asia/Shanghai when naive), nanosecond unit."""
    s = pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype | np.dtypes.DateTime64DType):
        try:
            s = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError):  # mixed offsets
            s = pd.to_datetime(s, format="ISO8601", utc=True)
    if s.dt.tz is None:
        s = s.dt.tz_localize("Asia/Shanghai")
    return s.dt.tz_convert("Asia/Shanghai").dt.as_unit("ns")


def _ns(values: pd.Series) -> np.ndarray:
    return _as_datetime(values).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view("i8")


def _check_positive(**kw: float) -> None:
    for name, value in kw.items():
        if not (value > 0 and np.isfinite(value)):
            raise ValidationError(f"{name} must be a positive number, not {value!r}")


def _metric(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValidationError(f"{what} has no CRS", hint="set one, e.g. gdf.set_crs('EPSG:4549')")
    if gdf.crs.is_geographic:
        return gdf.to_crs(settings.working_crs)
    return gdf


def _require(gdf: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValidationError(f"{what} lacks the column(s) {', '.join(missing)}",
                              hint="read the layer from the registry or add the columns")


# --------------------------------------------------------------------------------------------
# 1. merge duplicates
# --------------------------------------------------------------------------------------------

def space_time_pairs(
    x: np.ndarray,
    y: np.ndarray,
    t_ns: np.ndarray,
    group: np.ndarray | None = None,
    *,
    distance_m: float = DEFAULT_DISTANCE_M,
    hours: float = DEFAULT_HOURS,
) -> np.ndarray:
    """Pairs of points of the same group within ``distance_m`` and ``hours`` of each other.

    Parameters
    ----------
    x, y : ndarray of float
        Coordinates in metres. Rows with a NaN coordinate are never linked.
    t_ns : ndarray of int64
        Times in nanoseconds (any epoch).
    group : ndarray, optional
        Only points with equal group values are linked (the category).
    distance_m : float, keyword-only
        Spatial threshold in metres, inclusive (Euclidean distance ≤ distance_m).
    hours : float, keyword-only
        Temporal threshold in hours, inclusive (|Δt| ≤ hours).

    Returns
    -------
    ndarray of int64, shape (k, 2)
        Row positions ``i < j`` of every linked pair.

    Notes
    -----
    One k-d tree per group over (x, y, t·distance_m/hours), queried with the Chebyshev
    metric at radius distance_m: a box that holds the exact disc × interval (the box is
    4/π larger than the cylinder), then filtered exactly (times compared as integers).
    Cost O(n log n + candidate pairs); the pairs are the true neighbours, so the cost is
    quadratic only if every order really is near every other one.
    """
    from scipy.spatial import cKDTree

    _check_positive(distance_m=distance_m, hours=hours)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    t = np.asarray(t_ns, dtype=np.int64)
    n = len(x)
    ok = np.isfinite(x) & np.isfinite(y)
    if group is None:
        codes = np.zeros(n, dtype=np.int64)
    else:
        codes = pd.factorize(np.asarray(group))[0]  # hashing: no sort of the strings
    order = np.flatnonzero(ok)
    order = order[np.argsort(codes[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    t0 = t[ok].min() if ok.any() else 0
    scale = distance_m / hours
    limit_ns = round(hours * _NS_PER_HOUR)
    out = []
    for idx in np.split(order, bounds):
        if len(idx) < 2:
            continue
        th = (t[idx] - t0) / _NS_PER_HOUR * scale
        tree = cKDTree(np.column_stack([x[idx], y[idx], th]))
        p = tree.query_pairs(distance_m * (1 + 1e-9) + _EPS_M, p=np.inf, output_type="ndarray")
        if not len(p):
            continue
        i, j = idx[p[:, 0]], idx[p[:, 1]]
        d2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
        keep = (d2 <= (distance_m + _EPS_M) ** 2) & (np.abs(t[i] - t[j]) <= limit_ns)
        out.append(np.column_stack([np.minimum(i, j), np.maximum(i, j)])[keep])
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


def space_time_labels(
    x: np.ndarray,
    y: np.ndarray,
    t_ns: np.ndarray,
    group: np.ndarray | None = None,
    *,
    distance_m: float = DEFAULT_DISTANCE_M,
    hours: float = DEFAULT_HOURS,
) -> np.ndarray:
    """Single-linkage space–time clusters: the connected components of :func:`space_time_pairs`.

    Parameters
    ----------
    x, y, t_ns, group, distance_m, hours
        As in :func:`space_time_pairs`.

    Returns
    -------
    ndarray of int64
        A cluster label per point, ``0 … k-1``, numbered in order of each cluster's
        earliest point (ties by position).
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    n = len(x)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pairs = space_time_pairs(x, y, t_ns, group, distance_m=distance_m, hours=hours)
    graph = coo_array((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                      shape=(n, n)).tocsr()
    _, raw = connected_components(graph, directed=False)
    # renumber by (earliest time, first position) of each component
    by_time = np.lexsort((np.arange(n), np.asarray(t_ns, dtype=np.int64)))
    _, first_seen = np.unique(raw[by_time], return_index=True)  # per component id 0..k-1
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen)] = np.arange(len(first_seen))
    return rank[raw]


@dataclass
class MergeResult:
    """Cases made of merged work orders.

    Attributes
    ----------
    cases : GeoDataFrame
        One row per case: ``case_id, category, first_received_at, last_received_at,
        n_orders, subdistrict_id, grid_id`` then ``first_complaint_id, address,
        location_precision, x, y``; geometry the mean location of its orders (EPSG:4549).
    orders : DataFrame
        ``complaint_id, case_id``, one row per work order, in input order.
    """

    cases: gpd.GeoDataFrame
    orders: pd.DataFrame


def merge_duplicates(
    orders: gpd.GeoDataFrame,
    *,
    distance_m: float = DEFAULT_DISTANCE_M,
    hours: float = DEFAULT_HOURS,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
) -> MergeResult:
    """Merge work orders that report the same problem into cases (甄别归并).

    Two orders are linked when they have the same ``category``, lie within ``distance_m``
    of each other and were received within ``hours`` of each other (both inclusive); links
    chain, so a case is a connected component (single linkage in space–time).

    Orders flagged ``location_precision == "road"`` (placed on a road from their address
    only) and orders without a location are never linked: each is its own case.

    Parameters
    ----------
    orders : GeoDataFrame
        The ``complaints`` layer: ``complaint_id, received_at, category``, point geometry;
        optional ``address``, ``location_precision``.
    distance_m : float, keyword-only
        Spatial threshold in metres (default 50).
    hours : float, keyword-only
        Temporal threshold in hours (default 72).
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        When given, each case gets its ``subdistrict_id`` and ``grid_id`` (:func:`locate`).

    Returns
    -------
    MergeResult

    Raises
    ------
    ValidationError
        Missing columns or a non-positive threshold.

    Examples
    --------
    >>> reg = yangpu_gis.open_registry("data/demo/assets.gpkg")          # doctest: +SKIP
    >>> merged = merge_duplicates(reg.read("complaints"))                # doctest: +SKIP
    >>> merged.cases["n_orders"].max()                                   # doctest: +SKIP
    7
    """
    _require(orders, ["complaint_id", "received_at", "category"], "the complaints layer")
    _check_positive(distance_m=distance_m, hours=hours)
    orders = _metric(orders, "the complaints layer") if len(orders) else orders
    n = len(orders)
    received = _as_datetime(orders["received_at"]).reset_index(drop=True)
    t = _ns(received) if n else np.empty(0, dtype=np.int64)
    geoms = orders.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    x = np.where(empty, np.nan, shapely.get_x(np.where(empty, None, geoms)))
    y = np.where(empty, np.nan, shapely.get_y(np.where(empty, None, geoms)))
    if n == 0:
        return _empty_merge(orders.crs)
    if "location_precision" in orders.columns:
        road = orders["location_precision"].astype("string").fillna("point").to_numpy() == "road"
    else:
        road = np.zeros(n, dtype=bool)
    lx, ly = np.where(road, np.nan, x), np.where(road, np.nan, y)
    cats = orders["category"].astype("string").fillna("").to_numpy(dtype=object)
    labels = space_time_labels(lx, ly, t, cats, distance_m=distance_m, hours=hours)
    k = int(labels.max()) + 1 if n else 0
    width = max(6, len(str(k)))
    case_ids = np.array([f"C{i + 1:0{width}d}" for i in range(k)], dtype=object)
    frame = pd.DataFrame({"label": labels, "t": t, "x": x, "y": y, "road": road,
                          "pos": np.arange(n)})
    g = frame.groupby("label", sort=True)
    first_pos = frame.sort_values(["t", "pos"]).groupby("label", sort=True)["pos"].first()
    has_xy = frame[np.isfinite(frame["x"])].groupby("label")[["x", "y"]].mean()
    cx = has_xy["x"].reindex(range(k)).to_numpy()
    cy = has_xy["y"].reindex(range(k)).to_numpy()
    fp = first_pos.to_numpy()
    tz = received.dt.tz
    cases = pd.DataFrame({
        "case_id": case_ids,
        "category": cats[fp],
        "first_received_at": pd.to_datetime(g["t"].min().to_numpy(), utc=True).tz_convert(tz),
        "last_received_at": pd.to_datetime(g["t"].max().to_numpy(), utc=True).tz_convert(tz),
        "n_orders": g.size().to_numpy(),
        "subdistrict_id": pd.array([None] * k, dtype="string"),
        "grid_id": pd.array([None] * k, dtype="string"),
        "first_complaint_id": orders["complaint_id"].astype(str).to_numpy()[fp],
        "address": (orders["address"].to_numpy()[fp] if "address" in orders.columns
                    else pd.array([None] * k, dtype="string")),
        "location_precision": np.where(g["road"].any().to_numpy(), "road", "point"),
        "x": cx,
        "y": cy,
    })
    pts = np.where(np.isfinite(cx), shapely.points(cx, cy), None)
    cases = gpd.GeoDataFrame(cases, geometry=pts, crs=orders.crs or settings.working_crs)
    if subdistricts is not None or grid_cells is not None:
        loc = locate(cases, subdistricts=subdistricts, grid_cells=grid_cells)
        cases["subdistrict_id"] = loc["subdistrict_id"].to_numpy()
        cases["grid_id"] = loc["grid_id"].to_numpy()
    order_map = pd.DataFrame({"complaint_id": orders["complaint_id"].astype(str).to_numpy(),
                              "case_id": case_ids[labels]})
    return MergeResult(cases=cases, orders=order_map)


CASE_COLUMNS = ["case_id", "category", "first_received_at", "last_received_at", "n_orders",
                "subdistrict_id", "grid_id", "first_complaint_id", "address",
                "location_precision", "x", "y"]


def _empty_merge(crs: Any) -> MergeResult:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in CASE_COLUMNS})
    for c in ("first_received_at", "last_received_at"):
        frame[c] = pd.Series([], dtype="datetime64[ns, Asia/Shanghai]")
    frame["n_orders"] = frame["n_orders"].astype(np.int64)
    cases = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs or settings.working_crs))
    return MergeResult(cases, pd.DataFrame({"complaint_id": pd.Series([], dtype=object),
                                            "case_id": pd.Series([], dtype=object)}))


# --------------------------------------------------------------------------------------------
# 2. routing
# --------------------------------------------------------------------------------------------

def _first_container(points: np.ndarray, polys: gpd.GeoDataFrame,
                     id_column: str) -> tuple[np.ndarray, np.ndarray]:
    """Id of the first polygon containing each point (boundary included), and how many do."""
    n = len(points)
    ids = np.full(n, None, dtype=object)
    counts = np.zeros(n, dtype=np.int64)
    if polys is None or not len(polys) or not n:
        return ids, counts
    tree = shapely.STRtree(polys.geometry.to_numpy())
    valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
    pi, gi = tree.query(np.where(valid, points, None), predicate="intersects")
    if len(pi):
        counts = np.bincount(pi, minlength=n)
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        ids[pi[first]] = polys[id_column].astype(str).to_numpy()[gi[first]]
    return ids, counts


def locate(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Subdistrict and grid cell of each point by point-in-polygon.

    A point on an edge shared by two polygons lies in both; it gets the first of them (in
    the polygons' order) and a count of 2 (:func:`route_cases` sends it to manual
    dispatch).

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Points, same CRS as the polygons.
    subdistricts : GeoDataFrame, optional, keyword-only
        ``subdistrict_id``, polygons.
    grid_cells : GeoDataFrame, optional, keyword-only
        ``grid_id, subdistrict_id``, polygons. Without ``subdistricts``, a point's
        subdistrict is its grid cell's.

    Returns
    -------
    DataFrame
        ``subdistrict_id, grid_id, n_subdistricts, n_grids``, aligned to ``points``.
    """
    geoms = points.geometry.to_numpy() if hasattr(points, "geometry") else points.to_numpy()
    crs = points.crs
    subs = _align(subdistricts, crs, "subdistricts")
    grid = _align(grid_cells, crs, "grid_cells")
    if subs is not None:
        _require(subs, ["subdistrict_id"], "subdistricts")
    if grid is not None:
        _require(grid, ["grid_id"], "grid_cells")
    sub_id, n_sub = _first_container(geoms, subs, "subdistrict_id")
    grid_id, n_grid = _first_container(geoms, grid, "grid_id")
    if subs is None and grid is not None and "subdistrict_id" in grid.columns:
        lookup = dict(zip(grid["grid_id"].astype(str), grid["subdistrict_id"].astype(str),
                          strict=True))
        sub_id = np.array([lookup.get(g) if g is not None else None for g in grid_id],
                          dtype=object)
        n_sub = (sub_id != None).astype(np.int64)  # noqa: E711 - elementwise
    return pd.DataFrame({
        "subdistrict_id": pd.array(sub_id, dtype="string"),
        "grid_id": pd.array(grid_id, dtype="string"),
        "n_subdistricts": n_sub,
        "n_grids": n_grid,
    }, index=points.index)


def _align(gdf: gpd.GeoDataFrame | None, crs: Any, what: str) -> gpd.GeoDataFrame | None:
    if gdf is None or not len(gdf):
        return None if gdf is None else gdf
    if crs is not None and gdf.crs is not None and not gdf.crs.equals(crs):
        return gdf.to_crs(crs)
    return gdf


def route_cases(
    cases: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None,
    grid_cells: gpd.GeoDataFrame | None,
    categories: CategoryTable | None = None,
    boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M,
) -> pd.DataFrame:
    """Send each case to its subdistrict, grid cell and department, or to manual dispatch.

    Parameters
    ----------
    cases : GeoDataFrame
        From :func:`merge_duplicates` (``case_id, category``, points in metres).
    subdistricts : GeoDataFrame or None, keyword-only
        ``subdistrict_id, name``, polygons.
    grid_cells : GeoDataFrame or None, keyword-only
        ``grid_id``, polygons.
    categories : CategoryTable, optional, keyword-only
        Category → department (default
        :data:`~yangpu_gis.analysis.categories.DEFAULT_CATEGORY_TABLE`).
    boundary_tolerance_m : float, keyword-only
        Cases within this many metres of a subdistrict border (including the district's
        outer edge, where a neighbouring district may be responsible) are dispatched by hand;
        0 disables the check. Default 15 m (half a two-lane road).

    Returns
    -------
    DataFrame
        One row per case: ``case_id, category, department, subdistrict_id,
        subdistrict_name, grid_id, n_orders, first_received_at, border_distance_m, dispatch``
        (``auto`` or ``manual``) and ``reason`` (``;``-joined: ``no_location,
        outside_subdistrict, outside_grid, several_grids, boundary, unknown_category,
        road_precision``).

    Examples
    --------
    >>> routing = route_cases(merged.cases, subdistricts=subs, grid_cells=grid)  # doctest: +SKIP
    >>> routing[routing["dispatch"] == "manual"]["reason"].value_counts()         # doctest: +SKIP
    """
    _require(cases, ["case_id", "category"], "cases")
    if boundary_tolerance_m < 0:
        raise ValidationError("boundary_tolerance_m must be ≥ 0")
    table = categories or DEFAULT_CATEGORY_TABLE
    cases = _metric(cases, "cases") if len(cases) else cases
    loc = locate(cases, subdistricts=subdistricts, grid_cells=grid_cells)
    n = len(cases)
    geoms = cases.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    border = np.full(n, np.nan)
    subs = _align(subdistricts, cases.crs, "subdistricts")
    if subs is not None and len(subs) and n:
        lines = shapely.boundary(subs.geometry.to_numpy())
        tree = shapely.STRtree(lines)
        (pi, _), dist = tree.query_nearest(np.where(missing, None, geoms), return_distance=True,
                                           all_matches=False)
        border[pi] = dist
    dept = [table.department(str(c)) for c in cases["category"]]
    names = {}
    if subs is not None and len(subs) and "name" in subs.columns:
        names = dict(zip(subs["subdistrict_id"].astype(str), subs["name"], strict=True))
    precision = (cases["location_precision"].astype(str).to_numpy()
                 if "location_precision" in cases.columns else np.full(n, "point"))
    reasons: list[str] = []
    for i in range(n):
        r = []
        if missing[i]:
            r.append("no_location")
        else:
            if subs is not None and loc["n_subdistricts"].iat[i] == 0:
                r.append("outside_subdistrict")
            if grid_cells is not None and loc["n_grids"].iat[i] == 0:
                r.append("outside_grid")
            if loc["n_grids"].iat[i] > 1:
                r.append("several_grids")
            if boundary_tolerance_m > 0 and border[i] <= boundary_tolerance_m:
                r.append("boundary")
        if dept[i] is None:
            r.append("unknown_category")
        if precision[i] == "road":
            r.append("road_precision")
        reasons.append(";".join(r))
    sub_ids = loc["subdistrict_id"]
    out = pd.DataFrame({
        "case_id": cases["case_id"].to_numpy(),
        "category": cases["category"].to_numpy(),
        "department": pd.array(dept, dtype="string"),
        "subdistrict_id": sub_ids.to_numpy(),
        "subdistrict_name": pd.array([names.get(s) if isinstance(s, str) else None
                                      for s in sub_ids], dtype="string"),
        "grid_id": loc["grid_id"].to_numpy(),
        "n_orders": (cases["n_orders"].to_numpy() if "n_orders" in cases.columns
                     else np.ones(n, dtype=np.int64)),
        "first_received_at": (cases["first_received_at"].to_numpy()
                              if "first_received_at" in cases.columns else pd.NaT),
        "border_distance_m": np.round(border, 2),
        "dispatch": np.where([bool(r) for r in reasons], "manual", "auto") if n else [],
        "reason": reasons,
    })
    if "first_received_at" in cases.columns:
        out["first_received_at"] = cases["first_received_at"].to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# 3. hot spots
# --------------------------------------------------------------------------------------------

def hex_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    size_m: float = DEFAULT_HEX_SIZE_M,
) -> gpd.GeoDataFrame:
    """A regular grid of pointy-top hexagons covering ``area`` (cells that touch it).

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        Polygons in a metric CRS (e.g. the subdistricts).
    size_m : float, keyword-only
        Distance from a hexagon's centre to its vertices, metres (default 250 m: a cell of
        about 0.16 km², the size of a few blocks).

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (``H<row>_<col>``) and polygon geometry, same CRS as ``area``.
    """
    _check_positive(size_m=size_m)
    area = _metric(gpd.GeoDataFrame(geometry=area.geometry), "area")
    minx, miny, maxx, maxy = area.total_bounds
    w = np.sqrt(3) * size_m  # width of a pointy-top hexagon
    dy = 1.5 * size_m
    rows = np.arange(int(np.floor(miny / dy)) - 1, int(np.ceil(maxy / dy)) + 2)
    cols = np.arange(int(np.floor(minx / w)) - 1, int(np.ceil(maxx / w)) + 2)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    cx = cc * w + (rr % 2) * w / 2
    cy = rr * dy
    ang = np.deg2rad(30 + 60 * np.arange(6))
    vx = cx[:, None] + size_m * np.cos(ang)[None, :]
    vy = cy[:, None] + size_m * np.sin(ang)[None, :]
    # round to the millimetre so that neighbours share their vertices exactly (contiguity)
    ring = np.round(np.stack([vx, vy], axis=-1), 3)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polys = shapely.polygons(ring)
    union = shapely.union_all(area.geometry.to_numpy())
    keep = shapely.intersects(polys, union)
    ids = np.array([f"H{r}_{c}" for r, c in zip(rr[keep], cc[keep], strict=True)], dtype=object)
    return gpd.GeoDataFrame({"cell_id": ids}, geometry=polys[keep], crs=area.crs)


def cell_weights(cells: gpd.GeoDataFrame):
    """Binary queen-contiguity weights of ``cells`` (ids are row positions).

    Parameters
    ----------
    cells : GeoDataFrame
        Polygons (grid cells or :func:`hex_grid`).

    Returns
    -------
    libpysal.weights.W
        Binary (transform ``B``); Gi* adds each cell to its own neighbourhood.
    """
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # islands, disconnected components
        w = Queen.from_dataframe(cells.reset_index(drop=True), use_index=False,
                                 silence_warnings=True)
    w.transform = "B"
    return w


def _cell_id_column(cells: gpd.GeoDataFrame, cell_id_column: str | None) -> str:
    if cell_id_column is not None:
        _require(cells, [cell_id_column], "cells")
        return cell_id_column
    for c in ("cell_id", "grid_id"):
        if c in cells.columns:
            return c
    raise ValidationError("cells need a cell_id or grid_id column",
                          hint="pass cell_id_column=")


def case_counts(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    cell_id_column: str | None = None,
) -> pd.DataFrame:
    """Number of cases per cell (rows, in cell order) and category (columns)."""
    col = _cell_id_column(cells, cell_id_column)
    cells = _align(cells, cases.crs, "cells")
    ids, _ = _first_container(cases.geometry.to_numpy(), cells, col)
    frame = pd.DataFrame({"cell_id": ids, "category": cases["category"].astype(str).to_numpy()})
    frame = frame[frame["cell_id"].notna()]
    counts = pd.crosstab(frame["cell_id"], frame["category"])
    return counts.reindex(cells[col].astype(str).to_numpy(), fill_value=0)


def hot_spots(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    cell_id_column: str | None = None,
    weights: Any = None,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = 2021,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots of cases per cell and category, FDR-corrected.

    For each category, ``esda.G_Local(n_cases, w, transform="B", star=True,
    permutations=permutations, seed=seed)`` on binary queen contiguity (each cell is also
    its own neighbour: Gi*). ``gi_z`` is esda's analytic z-score ``Zs``; ``p_sim`` the
    one-sided pseudo p-value from esda's conditional permutations with ties counted as
    extreme (:func:`pseudo_p_value`; equal to esda's ``p_sim`` when there are no ties);
    cells without neighbours get ``p_sim = 1``. A cell is significant when ``p_sim`` is at
    most the Benjamini–Hochberg threshold ``esda.fdr(p_sim, alpha)`` of its category (one
    family of tests per category). Significant cells with ``gi_z > 0`` are ``hot``, with
    ``gi_z < 0`` ``cold``; the rest ``none``.

    Parameters
    ----------
    cases : GeoDataFrame
        Cases (or orders) with ``category``, points.
    cells : GeoDataFrame
        Grid cells (``grid_id``) or :func:`hex_grid` (``cell_id``), polygons.
    cell_id_column : str, optional, keyword-only
        Id column of ``cells`` (default ``cell_id``, else ``grid_id``).
    weights : libpysal.weights.W, optional, keyword-only
        Spatial weights over the cells' row positions (default :func:`cell_weights`).
    permutations : int, keyword-only
        Conditional permutations for ``p_sim`` (default :data:`DEFAULT_PERMUTATIONS`,
        9999: with 999 the smallest p_sim, 0.001, cannot pass the FDR cut α/n once there
        are more than 50 cells).
    seed : int or None, keyword-only
        Seed of the permutations (reproducible output).
    alpha : float, keyword-only
        False-discovery rate (default 0.05).

    Returns
    -------
    DataFrame
        ``cell_id, category, n_cases, gi_z, p_sim, class``, one row per cell and category;
        ``gi_z`` and ``p_sim`` are NaN (class ``none``) where a category's counts do not
        vary across cells.
    """
    import esda

    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be in (0, 1), not {alpha!r}")
    counts = case_counts(cases, cells, cell_id_column=cell_id_column)
    w = weights if weights is not None else cell_weights(cells)
    isolated = np.zeros(len(counts), dtype=bool)
    isolated[[i for i, c in enumerate(w.id_order) if w.cardinalities[c] == 0]] = True
    frames = []
    for cat in sorted(counts.columns):
        y = counts[cat].to_numpy(dtype=float)
        z = np.full(len(y), np.nan)
        p = np.full(len(y), np.nan)
        cls = np.full(len(y), "none", dtype=object)
        if len(y) > 2 and y.std() > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", DeprecationWarning)  # esda's future default
                g = esda.G_Local(y, w, transform="B", star=True, permutations=permutations,
                                 seed=seed, keep_simulations=True, n_jobs=1)
            z = np.asarray(g.Zs, dtype=float)
            p = pseudo_p_value(np.asarray(g.Gs, dtype=float), np.asarray(g.rGs, dtype=float))
            p[isolated] = 1.0
            thr = esda.fdr(p, alpha)
            sig = p <= thr
            cls[sig & (z > 0)] = "hot"
            cls[sig & (z < 0)] = "cold"
        frames.append(pd.DataFrame({
            "cell_id": counts.index.to_numpy(), "category": cat,
            "n_cases": y.astype(np.int64), "gi_z": z, "p_sim": p, "class": cls,
        }))
    if not frames:
        return pd.DataFrame(columns=["cell_id", "category", "n_cases", "gi_z", "p_sim", "class"])
    return pd.concat(frames, ignore_index=True)


def pseudo_p_value(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """One-sided permutation p-value in the direction of the observed statistic, ties counted.

    ``(min(#{sim ≥ obs}, #{sim ≤ obs}) + 1) / (permutations + 1)``, ties by
    :func:`numpy.isclose`. Without ties this is esda's ``p_sim`` exactly; with ties (sparse
    counts: a cell whose whole neighbourhood is empty has Gi* = 0, the least value any
    permutation can give) esda's folding counts the ties as *less* extreme and reports
    p = 1/(permutations+1), which would mark every empty neighbourhood a cold spot.

    Parameters
    ----------
    observed : ndarray, shape (n,)
    simulated : ndarray, shape (n, permutations)

    Returns
    -------
    ndarray, shape (n,)
    """
    obs = observed[:, None]
    tie = np.isclose(simulated, obs, rtol=1e-9, atol=1e-12)
    ge = ((simulated > obs) | tie).sum(axis=1)
    le = ((simulated < obs) | tie).sum(axis=1)
    return (np.minimum(ge, le) + 1.0) / (simulated.shape[1] + 1.0)


def recurring_spots(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    min_months: int = 3,
    last_months: int = 6,
    as_of: _dt.date | str | None = None,
    cell_id_column: str | None = None,
) -> pd.DataFrame:
    """Cells where a category's cases come back: cases in ≥ ``min_months`` of the last months.

    Parameters
    ----------
    cases : GeoDataFrame
        ``category, first_received_at``, points.
    cells : GeoDataFrame
        Grid cells or :func:`hex_grid`.
    min_months : int, keyword-only
        Calendar months with at least one case needed (N, default 3).
    last_months : int, keyword-only
        Window length in calendar months ending with the month of ``as_of`` (M, default 6).
    as_of : date or str, optional, keyword-only
        End of the window (default: the latest case).
    cell_id_column : str, optional, keyword-only
        As in :func:`hot_spots`.

    Returns
    -------
    DataFrame
        ``cell_id, category, months_with_cases, n_cases, months`` (``;``-joined
        ``YYYY-MM``), only recurring cells, most persistent first.
    """
    if not (1 <= min_months <= last_months):
        raise ValidationError("need 1 ≤ min_months ≤ last_months",
                              hint=f"got min_months={min_months}, last_months={last_months}")
    cols = ["cell_id", "category", "months_with_cases", "n_cases", "months"]
    col = _cell_id_column(cells, cell_id_column)
    if not len(cases):
        return pd.DataFrame(columns=cols)
    when = _as_datetime(cases["first_received_at"]).dt.tz_localize(None)
    end = pd.Period(pd.Timestamp(as_of) if as_of is not None else when.max(), freq="M")
    start = end - (last_months - 1)
    month = when.dt.to_period("M")
    in_window = ((month >= start) & (month <= end)).to_numpy()
    ids, _ = _first_container(cases.geometry.to_numpy(), _align(cells, cases.crs, "cells"), col)
    frame = pd.DataFrame({"cell_id": ids, "category": cases["category"].astype(str).to_numpy(),
                          "month": month.astype(str).to_numpy()})[in_window]
    frame = frame[frame["cell_id"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    g = frame.groupby(["cell_id", "category"])
    out = pd.DataFrame({
        "months_with_cases": g["month"].nunique(),
        "n_cases": g.size(),
        "months": g["month"].agg(lambda m: ";".join(sorted(set(m)))),
    }).reset_index()
    out = out[out["months_with_cases"] >= min_months]
    return out.sort_values(["months_with_cases", "n_cases", "cell_id"],
                           ascending=[False, False, True]).reset_index(drop=True)[cols]


# --------------------------------------------------------------------------------------------
# 4. density raster
# --------------------------------------------------------------------------------------------

@dataclass
class DensityRaster:
    """A kernel density raster (cases per km²) in a metric CRS.

    Attributes
    ----------
    category : str
    values : ndarray of float32, shape (rows, cols)
        Row 0 is the northern edge.
    transform : affine.Affine
        Pixel → map coordinates (rasterio convention).
    crs : str
    bandwidth_m, cell_size_m : float
    n_cases : int
    """

    category: str
    values: np.ndarray
    transform: Any
    crs: str
    bandwidth_m: float
    cell_size_m: float
    n_cases: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the raster."""
        rows, cols = self.values.shape
        t = self.transform
        return (t.c, t.f + rows * t.e, t.c + cols * t.a, t.f)

    def total(self) -> float:
        """Integral of the density over the raster (≈ ``n_cases`` when it covers them)."""
        return float(self.values.sum(dtype=float) * self.cell_size_m ** 2 / 1e6)

    def to_geotiff(self, path: str | PathLike[str]) -> Path:
        """Write a single-band float32 GeoTIFF (deflate) with its CRS, for QGIS."""
        import rasterio

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with rasterio.open(
            path, "w", driver="GTiff", height=self.values.shape[0],
            width=self.values.shape[1], count=1, dtype="float32", crs=self.crs,
            transform=self.transform, compress="deflate", nodata=None,
        ) as dst:
            dst.write(self.values.astype(np.float32), 1)
            dst.update_tags(category=self.category, units="cases per km2",
                            kernel="gaussian", bandwidth_m=str(self.bandwidth_m),
                            cell_size_m=str(self.cell_size_m), n_cases=str(self.n_cases))
            dst.set_band_description(1, f"{self.category} 案件密度 (件/km²)")
        return path


def _kde(x: np.ndarray, y: np.ndarray, xs: np.ndarray, ys: np.ndarray, h: float,
         weights: np.ndarray | None = None, chunk: int = 4096) -> np.ndarray:
    """Σ_k w_k N(x | x_k, h²) N(y | y_k, h²) on the grid ys × xs (separable, exact)."""
    out = np.zeros((len(ys), len(xs)))
    c = 1.0 / (2 * np.pi * h * h)
    for s in range(0, len(x), chunk):
        gx = np.exp(-0.5 * ((xs[None, :] - x[s:s + chunk, None]) / h) ** 2)
        gy = np.exp(-0.5 * ((ys[None, :] - y[s:s + chunk, None]) / h) ** 2)
        if weights is not None:
            gy = gy * weights[s:s + chunk, None]
        out += gy.T @ gx
    return out * c


def kernel_density(
    cases: gpd.GeoDataFrame,
    *,
    bandwidth_m: float = DEFAULT_BANDWIDTH_M,
    cell_size_m: float = DEFAULT_CELL_SIZE_M,
    bounds: tuple[float, float, float, float] | None = None,
    by: str | None = "category",
    weight_column: str | None = None,
) -> dict[str, DensityRaster]:
    """Gaussian kernel density of cases, per category, as rasters in cases per km².

    ``density(p) = Σ_k w_k · exp(−|p − p_k|² / 2h²) / (2πh²) · 10⁶`` evaluated at cell
    centres (exact, separable kernel; no binning), so the raster integrates to Σ w_k when it
    covers the cases with a margin of ~4h.

    Parameters
    ----------
    cases : GeoDataFrame
        Points in a metric CRS.
    bandwidth_m : float, keyword-only
        Kernel standard deviation h in metres (default 150 m, one or two street blocks).
    cell_size_m : float, keyword-only
        Raster cell size in metres (default 25 m).
    bounds : tuple, optional, keyword-only
        Raster extent (minx, miny, maxx, maxy); default the cases' extent plus 4h. It is
        snapped outwards to multiples of ``cell_size_m`` so rasters of one run align.
    by : str or None, keyword-only
        Column to split by (default ``category``); ``None`` gives one raster ``"all"``.
    weight_column : str, optional, keyword-only
        Weight per case (e.g. ``n_orders``); default 1.

    Returns
    -------
    dict of str to DensityRaster
    """
    from rasterio.transform import from_origin

    _check_positive(bandwidth_m=bandwidth_m, cell_size_m=cell_size_m)
    cases = _metric(cases, "cases")
    geoms = cases.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    cases, geoms = cases[ok], geoms[ok]
    if bounds is None:
        if not len(cases):
            return {}
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        pad = 4 * bandwidth_m
        bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    c = cell_size_m
    minx, miny = np.floor(bounds[0] / c) * c, np.floor(bounds[1] / c) * c
    maxx, maxy = np.ceil(bounds[2] / c) * c, np.ceil(bounds[3] / c) * c
    ncols, nrows = round((maxx - minx) / c), round((maxy - miny) / c)
    xs = minx + (np.arange(ncols) + 0.5) * c
    ys = maxy - (np.arange(nrows) + 0.5) * c
    transform = from_origin(minx, maxy, c, c)
    crs = cases.crs.to_string() if cases.crs is not None else settings.working_crs
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    w = cases[weight_column].to_numpy(dtype=float) if weight_column else None
    keys = cases[by].astype(str).to_numpy() if by else np.full(len(cases), "all", dtype=object)
    out = {}
    for key in sorted(set(keys)):
        sel = keys == key
        dens = _kde(x[sel], y[sel], xs, ys, bandwidth_m, None if w is None else w[sel]) * 1e6
        out[key] = DensityRaster(key, dens.astype(np.float32), transform, crs,
                                 float(bandwidth_m), float(c), int(sel.sum()))
    return out


# --------------------------------------------------------------------------------------------
# 5. trends
# --------------------------------------------------------------------------------------------

def weekly_trends(cases: pd.DataFrame) -> pd.DataFrame:
    """Cases (and the orders merged into them) per week, subdistrict and category.

    Parameters
    ----------
    cases : DataFrame
        ``first_received_at, category, n_orders, subdistrict_id``.

    Returns
    -------
    DataFrame
        ``week_start`` (Monday, ``YYYY-MM-DD``, Asia/Shanghai), ``subdistrict_id``
        (``unknown`` outside every subdistrict), ``category, n_cases, n_orders``.
    """
    cols = ["week_start", "subdistrict_id", "category", "n_cases", "n_orders"]
    if not len(cases):
        return pd.DataFrame(columns=cols)
    when = _as_datetime(cases["first_received_at"]).dt.tz_localize(None)
    frame = pd.DataFrame({
        "week_start": when.dt.to_period("W-SUN").dt.start_time.dt.strftime("%Y-%m-%d"),
        "subdistrict_id": cases["subdistrict_id"].astype("string").fillna("unknown").to_numpy(),
        "category": cases["category"].astype(str).to_numpy(),
        "n_orders": cases["n_orders"].to_numpy() if "n_orders" in cases.columns else 1,
    })
    g = frame.groupby(["week_start", "subdistrict_id", "category"], sort=True)
    return pd.DataFrame({"n_cases": g.size(), "n_orders": g["n_orders"].sum()}).reset_index()[cols]


def handling_times(
    orders: pd.DataFrame,
    order_cases: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Handling time (received → closed, hours) of work orders with a closing time.

    Parameters
    ----------
    orders : DataFrame
        ``complaint_id, received_at, category``, optional ``closed_at``.
    order_cases, cases : DataFrame, optional
        :attr:`MergeResult.orders` and :attr:`MergeResult.cases`: give each order its case's
        subdistrict.

    Returns
    -------
    DataFrame
        ``subdistrict_id, category, n_orders, n_closed, median_hours, mean_hours,
        p90_hours``; the row ``subdistrict_id = "all"`` sums each category over the
        district. Orders closed before they were received are left out of the times.
    """
    cols = ["subdistrict_id", "category", "n_orders", "n_closed", "median_hours",
            "mean_hours", "p90_hours"]
    if not len(orders):
        return pd.DataFrame(columns=cols)
    received = _as_datetime(orders["received_at"]).reset_index(drop=True)
    if "closed_at" in orders.columns and orders["closed_at"].notna().any():
        closed = _as_datetime(orders["closed_at"]).reset_index(drop=True)
        hours = (closed - received).dt.total_seconds().to_numpy() / 3600.0
    else:
        hours = np.full(len(orders), np.nan)
    hours = np.where(hours >= 0, hours, np.nan)
    sub = np.full(len(orders), "unknown", dtype=object)
    if order_cases is not None and cases is not None:
        case_sub = cases.set_index("case_id")["subdistrict_id"].astype("string").fillna("unknown")
        by_order = order_cases.set_index("complaint_id")["case_id"].map(case_sub)
        sub = by_order.reindex(orders["complaint_id"].astype(str).to_numpy()).fillna(
            "unknown").to_numpy(dtype=object)
    frame = pd.DataFrame({"subdistrict_id": sub,
                          "category": orders["category"].astype(str).to_numpy(),
                          "hours": hours})
    both = pd.concat([frame, frame.assign(subdistrict_id="all")], ignore_index=True)
    g = both.groupby(["subdistrict_id", "category"], sort=True)["hours"]
    out = pd.DataFrame({
        "n_orders": g.size(), "n_closed": g.count(), "median_hours": g.median(),
        "mean_hours": g.mean(), "p90_hours": g.quantile(0.9),
    }).reset_index()
    return out[cols].round({"median_hours": 2, "mean_hours": 2, "p90_hours": 2})


# --------------------------------------------------------------------------------------------
# everything
# --------------------------------------------------------------------------------------------

@dataclass
class ComplaintsResult:
    """All outputs of :func:`analyze_complaints`."""

    cases: gpd.GeoDataFrame
    orders: pd.DataFrame
    routing: pd.DataFrame
    cells: gpd.GeoDataFrame
    hotspots: pd.DataFrame
    recurring: pd.DataFrame
    density: dict[str, DensityRaster]
    weekly: pd.DataFrame
    handling: pd.DataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def manual(self) -> pd.DataFrame:
        """Cases for manual dispatch (rows of :attr:`routing`)."""
        return self.routing[self.routing["dispatch"] == "manual"].reset_index(drop=True)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        hs = self.hotspots
        return {
            "orders": int(len(self.orders)),
            "cases": int(len(self.cases)),
            "merged_orders": int(len(self.orders) - len(self.cases)),
            "largest_case": int(self.cases["n_orders"].max()) if len(self.cases) else 0,
            "manual_dispatch": int(len(self.manual)),
            "manual_reasons": (self.manual["reason"].str.split(";").explode()
                               .value_counts().to_dict() if len(self.manual) else {}),
            "hot_cells": int((hs["class"] == "hot").sum()) if len(hs) else 0,
            "cold_cells": int((hs["class"] == "cold").sum()) if len(hs) else 0,
            "recurring_spots": int(len(self.recurring)),
            "categories": sorted(self.cases["category"].astype(str).unique().tolist())
            if len(self.cases) else [],
            "parameters": self.parameters,
            "notes": self.notes,
        }


def analyze_complaints(
    orders: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    cells: str | gpd.GeoDataFrame = "grid",
    categories: CategoryTable | None = None,
    distance_m: float = DEFAULT_DISTANCE_M,
    hours: float = DEFAULT_HOURS,
    boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M,
    hex_size_m: float = DEFAULT_HEX_SIZE_M,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = 2021,
    alpha: float = 0.05,
    min_months: int = 3,
    last_months: int = 6,
    bandwidth_m: float = DEFAULT_BANDWIDTH_M,
    cell_size_m: float = DEFAULT_CELL_SIZE_M,
) -> ComplaintsResult:
    """Run the whole complaints pipeline: merge, route, hot spots, recurrence, density, trends.

    Parameters
    ----------
    orders : GeoDataFrame
        The ``complaints`` layer.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Registry layers for routing (and the hot-spot cells).
    cells : {"grid", "hex"} or GeoDataFrame, keyword-only
        Hot-spot and recurrence units: the grid cells (default; hexagons when the registry
        has none), a :func:`hex_grid` of ``hex_size_m``, or your own polygons.
    categories : CategoryTable, optional, keyword-only
        Category → department.
    distance_m, hours : float, keyword-only
        Duplicate thresholds (:func:`merge_duplicates`).
    boundary_tolerance_m : float, keyword-only
        :func:`route_cases`.
    hex_size_m : float, keyword-only
        :func:`hex_grid`.
    permutations, seed, alpha : keyword-only
        :func:`hot_spots`.
    min_months, last_months : int, keyword-only
        :func:`recurring_spots`.
    bandwidth_m, cell_size_m : float, keyword-only
        :func:`kernel_density`; rasters cover the subdistricts (else the cases).

    Returns
    -------
    ComplaintsResult

    Examples
    --------
    >>> with yangpu_gis.open_registry("yangpu.gpkg") as reg:             # doctest: +SKIP
    ...     result = analyze_complaints(reg.read("complaints"),
    ...                                 subdistricts=reg.read("subdistricts"),
    ...                                 grid_cells=reg.read("grid_cells"))
    >>> result.summary()["cases"]                                        # doctest: +SKIP
    """
    notes: list[str] = []
    subdistricts = subdistricts if subdistricts is not None and len(subdistricts) else None
    grid_cells = grid_cells if grid_cells is not None and len(grid_cells) else None
    merged = merge_duplicates(orders, distance_m=distance_m, hours=hours,
                              subdistricts=subdistricts, grid_cells=grid_cells)
    cases = merged.cases
    routing = route_cases(cases, subdistricts=subdistricts, grid_cells=grid_cells,
                          categories=categories, boundary_tolerance_m=boundary_tolerance_m)
    if isinstance(cells, str):
        if cells not in ("grid", "hex"):
            raise ValidationError(f"unknown cells {cells!r}", hint="grid, hex or polygons")
        if cells == "grid" and grid_cells is None:
            notes.append("the registry has no grid cells: hot spots on a hexagon grid")
            cells = "hex"
        if cells == "grid":
            unit = grid_cells[["grid_id", "geometry"]].rename(columns={"grid_id": "cell_id"})
            cell_kind = "grid"
        else:
            area = subdistricts if subdistricts is not None else gpd.GeoDataFrame(
                geometry=[shapely.box(*cases.total_bounds).buffer(hex_size_m)], crs=cases.crs)
            unit = hex_grid(area, size_m=hex_size_m)
            cell_kind = f"hex {hex_size_m:g} m"
    else:
        col = _cell_id_column(cells, None)
        unit = cells[[col, "geometry"]].rename(columns={col: "cell_id"})
        cell_kind = "custom"
    unit = _align(unit.reset_index(drop=True), cases.crs, "cells")
    located = cases[cases.geometry.notna()]
    hs = hot_spots(located, unit, cell_id_column="cell_id", permutations=permutations,
                   seed=seed, alpha=alpha)
    rec = recurring_spots(located, unit, min_months=min_months, last_months=last_months,
                          cell_id_column="cell_id")
    bounds = tuple(subdistricts.to_crs(cases.crs).total_bounds) if subdistricts is not None \
        else None
    density = kernel_density(located, bandwidth_m=bandwidth_m, cell_size_m=cell_size_m,
                             bounds=bounds) if len(located) else {}
    if len(located):
        density["all"] = kernel_density(located, bandwidth_m=bandwidth_m,
                                        cell_size_m=cell_size_m, bounds=bounds, by=None)["all"]
    weekly = weekly_trends(cases)
    handling = handling_times(orders, merged.orders, cases)
    if len(orders) and ("closed_at" not in orders.columns or orders["closed_at"].isna().all()):
        notes.append("no work order has a closing time: handling times are empty")
    table = categories or DEFAULT_CATEGORY_TABLE
    unknown = sorted(set(cases["category"].astype(str)) - set(table.departments))
    if unknown:
        notes.append("categories without a department (manual dispatch): " + ", ".join(unknown))
    params = {
        "distance_m": distance_m, "hours": hours,
        "boundary_tolerance_m": boundary_tolerance_m, "cells": cell_kind,
        "permutations": permutations, "seed": seed, "fdr_alpha": alpha,
        "recurring_min_months": min_months, "recurring_last_months": last_months,
        "kde_bandwidth_m": bandwidth_m, "kde_cell_size_m": cell_size_m,
        "crs": str(cases.crs.to_string() if cases.crs is not None else settings.working_crs),
    }
    return ComplaintsResult(cases=cases, orders=merged.orders, routing=routing, cells=unit,
                            hotspots=hs, recurring=rec, density=density, weekly=weekly,
                            handling=handling, parameters=params, notes=notes)

"""Merge duplicate work orders into cases (甄别归并).

Work orders of the same category within ``distance_m`` metres *and* ``hours`` hours of
another are one case; links chain (single linkage in space–time), so a case is a connected
component of the "near in space and time" graph. Pairs come from a k-d tree over
(x, y, t·distance_m/hours) queried with the Chebyshev metric (a box of ±distance_m,
±distance_m, ±hours around each order), filtered to the exact disc × interval, and joined
with :func:`scipy.sparse.csgraph.connected_components`: O(n log n + pairs), never all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ... import settings
from ..inputs import metric, require_columns
from .common import as_datetime, check_positive, to_ns
from .defaults import COMPLAINTS_DEFAULTS
from .route import locate

__all__ = ["CASE_COLUMNS", "MergeResult", "distributed_pairs", "merge_duplicates",
           "space_time_labels", "space_time_pairs"]

_NS_PER_HOUR = 3_600_000_000_000
_EPS_M = 1e-6  # "within distance_m" is inclusive, to a micrometre


def space_time_pairs(
    x: np.ndarray,
    y: np.ndarray,
    t_ns: np.ndarray,
    group: np.ndarray | None = None,
    *,
    distance_m: float = COMPLAINTS_DEFAULTS.distance_m,
    hours: float = COMPLAINTS_DEFAULTS.hours,
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
    check_positive(distance_m=distance_m, hours=hours)
    x, y, t, codes, t0 = _prepare(x, y, t_ns, group)
    return _pairs_of(x, y, t, codes, t0, distance_m, hours)


def _prepare(x, y, t_ns, group):
    """Float coordinates, int64 times, integer group codes and the time origin."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    t = np.asarray(t_ns, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    if group is None:
        codes = np.zeros(len(x), dtype=np.int64)
    else:
        codes = pd.factorize(np.asarray(group))[0]  # hashing: no sort of the strings
    t0 = t[ok].min() if ok.any() else 0
    return x, y, t, codes, t0


def _pairs_of(x: np.ndarray, y: np.ndarray, t: np.ndarray, codes: np.ndarray, t0: int,
              distance_m: float, hours: float) -> np.ndarray:
    """:func:`space_time_pairs` of prepared arrays (``t0``: the time origin of the k-d tree)."""
    from scipy.spatial import cKDTree

    ok = np.isfinite(x) & np.isfinite(y)
    order = np.flatnonzero(ok)
    order = order[np.argsort(codes[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
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


def _strip_pairs(arrays: tuple, n_owned: int, t0: int, distance_m: float,
                 hours: float) -> np.ndarray:
    """One strip's task: the pairs (global positions) whose first row the strip owns.

    ``arrays`` holds the strip's ``x, y, t, codes`` and their global positions ``rows``.
    """
    x, y, t, codes, rows = arrays
    p = _pairs_of(x, y, t, codes, t0, distance_m, hours)
    gi, gj = rows[p[:, 0]], rows[p[:, 1]]
    first_local = np.where(gi < gj, p[:, 0], p[:, 1])
    keep = first_local < n_owned
    return np.column_stack([np.minimum(gi, gj), np.maximum(gi, gj)])[keep]


def distributed_pairs(
    x: np.ndarray,
    y: np.ndarray,
    t_ns: np.ndarray,
    group: np.ndarray | None = None,
    *,
    distance_m: float = COMPLAINTS_DEFAULTS.distance_m,
    hours: float = COMPLAINTS_DEFAULTS.hours,
    client: Any,
    partitions: int | None = None,
) -> np.ndarray:
    """:func:`space_time_pairs` on a dask.distributed ``client``: the same pairs, sorted.

    The points are cut into strips along x (:func:`~yangpu_gis.analysis.engine.strips`);
    each task gets its strip and every point within ``distance_m`` of it (the halo) and
    returns the pairs whose first point (the smaller position) it owns, so every pair is
    found exactly once, with the same arithmetic as the single-process path.

    Parameters
    ----------
    x, y, t_ns, group, distance_m, hours
        As in :func:`space_time_pairs`.
    client : distributed.Client, keyword-only
        Where the strips run.
    partitions : int, optional, keyword-only
        Number of strips [default :func:`~yangpu_gis.analysis.engine.default_partitions`].

    Returns
    -------
    ndarray of int64, shape (k, 2)
        The pairs of :func:`space_time_pairs`, sorted by ``(i, j)``.
    """
    from ..engine import default_partitions, run_tasks, strips

    check_positive(distance_m=distance_m, hours=hours)
    x, y, t, codes, t0 = _prepare(x, y, t_ns, group)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    parts = partitions or default_partitions(client, len(ok))
    halo = distance_m * (1 + 1e-6) + 1e-3
    payloads = []
    for s in strips(x[ok], x[ok], parts=parts, halo=halo):
        rows = ok[s.rows]
        arrays = client.scatter([(x[rows], y[rows], t[rows], codes[rows], rows)],
                                hash=False)[0]
        payloads.append((arrays, s.n_owned, t0, distance_m, hours))
    found = run_tasks(client, _strip_pairs, payloads)
    return _sorted_pairs(found)


def _sorted_pairs(found: list[np.ndarray]) -> np.ndarray:
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def space_time_labels(
    x: np.ndarray,
    y: np.ndarray,
    t_ns: np.ndarray,
    group: np.ndarray | None = None,
    *,
    distance_m: float = COMPLAINTS_DEFAULTS.distance_m,
    hours: float = COMPLAINTS_DEFAULTS.hours,
    client: Any = None,
    partitions: int | None = None,
) -> np.ndarray:
    """Single-linkage space–time clusters: the connected components of :func:`space_time_pairs`.

    Parameters
    ----------
    x, y, t_ns, group, distance_m, hours
        As in :func:`space_time_pairs`.
    client : distributed.Client, optional, keyword-only
        Find the pairs on this cluster (:func:`distributed_pairs`, the same pairs); the
        components and their numbering are computed here either way.
    partitions : int, optional, keyword-only
        Strips of :func:`distributed_pairs` (with ``client`` only).

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
    if client is None:
        pairs = space_time_pairs(x, y, t_ns, group, distance_m=distance_m, hours=hours)
    else:
        pairs = distributed_pairs(x, y, t_ns, group, distance_m=distance_m, hours=hours,
                                  client=client, partitions=partitions)
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
    distance_m: float = COMPLAINTS_DEFAULTS.distance_m,
    hours: float = COMPLAINTS_DEFAULTS.hours,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    scheduler: Any = None,
    partitions: int | None = None,
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
    scheduler : str or distributed.Client, optional, keyword-only
        Find the duplicate pairs on dask.distributed: ``"local"``, ``"local:N"``,
        ``"tcp://HOST:PORT"`` or a Client (:func:`~yangpu_gis.analysis.engine.dask_client`).
        The result is identical to the default single-process path.
    partitions : int, optional, keyword-only
        Number of strips with ``scheduler`` [default: about 250 000 orders each, at least
        two per worker].

    Returns
    -------
    MergeResult

    Raises
    ------
    ValidationError
        Missing columns or a non-positive threshold.
    CRSError
        Orders in lon/lat degrees or without a CRS (:func:`~yangpu_gis.analysis.inputs.metric`).

    Examples
    --------
    >>> reg = yangpu_gis.open_registry("data/demo/assets.gpkg")          # doctest: +SKIP
    >>> merged = merge_duplicates(reg.read("complaints"))                # doctest: +SKIP
    >>> merged.cases["n_orders"].max()                                   # doctest: +SKIP
    7
    """
    require_columns(orders, ["complaint_id", "received_at", "category"],
                    "work orders (the complaints layer)")
    check_positive(distance_m=distance_m, hours=hours)
    orders = metric(orders, "work orders (the complaints layer)") if len(orders) else orders
    n = len(orders)
    received = as_datetime(orders["received_at"]).reset_index(drop=True)
    t = to_ns(received) if n else np.empty(0, dtype=np.int64)
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
    if scheduler is None:
        labels = space_time_labels(lx, ly, t, cats, distance_m=distance_m, hours=hours)
    else:
        from ..engine import dask_client

        with dask_client(scheduler) as client:
            labels = space_time_labels(lx, ly, t, cats, distance_m=distance_m, hours=hours,
                                       client=client, partitions=partitions)
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

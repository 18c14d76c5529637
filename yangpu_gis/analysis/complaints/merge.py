"""Merge duplicate work orders into cases (甄别归并).

Work orders of the same category within ``distance_m`` metres *and* ``hours`` hours of
another are one case; links chain (single linkage in space–time), so a case is a connected
component of the "near in space and time" graph. Candidate pairs come from a grid of
columns (category × cells a little over ``distance_m`` wide) swept along time with one sort
and binary searches (one k-d tree per category over (x, y, t·distance_m/hours) when the
grid's 64-bit keys would overflow), are filtered to the exact disc × interval, and joined
with :func:`scipy.sparse.csgraph.connected_components`: O(n log n + pairs), never all pairs.
The case table is then built from arrays (integer category codes, ``bincount`` group-bys,
one buffer of case ids), with the same values and dtypes as pandas' group-bys gave.
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
from .common import as_datetime, check_positive
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
    Candidates: the points of the same group in the same or a neighbouring grid column
    (cells a little over distance_m wide) within hours (plus a quarter) of each other,
    found by one sort of 64-bit keys (column, coarse time) and binary searches; when the
    keys would overflow, one k-d tree per group over (x, y, t·distance_m/hours) with the
    Chebyshev metric. Both are filtered exactly (times compared as integers), so the pairs
    are the same set. Cost O(n log n + candidate pairs); the candidates are about the true
    neighbours, so the cost is quadratic only if every order really is near every other.
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
    """:func:`space_time_pairs` of prepared arrays (``t0``: the time origin of the k-d tree).

    Candidates come from a grid (:func:`_grid_pairs`), or from one k-d tree per group when
    the grid's keys would not fit in 64 bits; both are filtered by :func:`_near`, so the
    pairs are the same set either way (in another order).
    """
    pairs = _grid_pairs(x, y, t, codes, distance_m, hours)
    if pairs is None:
        pairs = _tree_pairs(x, y, t, codes, t0, distance_m, hours)
    return pairs


def _near(i: np.ndarray, j: np.ndarray, x: np.ndarray, y: np.ndarray, t: np.ndarray,
          distance_m: float, hours: float) -> np.ndarray:
    """Which candidate pairs ``(i, j)`` are within the thresholds (the exact test)."""
    limit_ns = round(hours * _NS_PER_HOUR)
    d2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
    return (d2 <= (distance_m + _EPS_M) ** 2) & (np.abs(t[i] - t[j]) <= limit_ns)


def _tree_pairs(x: np.ndarray, y: np.ndarray, t: np.ndarray, codes: np.ndarray, t0: int,
                distance_m: float, hours: float) -> np.ndarray:
    """Candidates from one k-d tree per group over (x, y, t·distance_m/hours)."""
    from scipy.spatial import cKDTree

    ok = np.isfinite(x) & np.isfinite(y)
    order = np.flatnonzero(ok)
    order = order[np.argsort(codes[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    scale = distance_m / hours
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
        keep = _near(i, j, x, y, t, distance_m, hours)
        out.append(np.column_stack([np.minimum(i, j), np.maximum(i, j)])[keep])
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


#: Column offsets (dx, dy) of the grid searched from each column: half of the eight
#: neighbours (the other half finds the same pairs from the other side) and the column itself.
_FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))
_CHUNK = 4_000_000  # candidate pairs tested at once


def _grid_pairs(x: np.ndarray, y: np.ndarray, t: np.ndarray, codes: np.ndarray,
                distance_m: float, hours: float) -> np.ndarray | None:
    """Candidates from a grid of columns ``distance_m`` wide, swept along time.

    Each located point gets a key ``column · span + coarse time``, where the column is its
    group and grid cell (cells a little wider than the threshold, so a pair lies in the
    same or neighbouring columns) and the coarse time is in units of a quarter of the
    threshold. After one sort, the candidates of a point in a column are the keys within
    ± the threshold (plus one unit) of its own time in that column: two binary searches
    with sorted queries per column searched. Every pair is proposed once. Returns None when
    the keys would not fit in 64 bits (huge extents or time spans): use the k-d trees.
    """
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(ok) < 2:
        return np.empty((0, 2), dtype=np.int64)
    limit_ns = round(hours * _NS_PER_HOUR)
    side = (distance_m + _EPS_M) * (1 + 1e-6)
    t_lo, t_hi = int(t[ok].min()), int(t[ok].max())
    unit = max(1, limit_ns // 4)
    reach = limit_ns // unit + 1  # |Δt| <= limit_ns  =>  |Δ coarse time| <= reach
    cx, cy = np.floor(x[ok] / side), np.floor(y[ok] / side)
    g = codes[ok].astype(np.int64)
    g -= g.min()
    nx = float(cx.max() - cx.min()) + 3
    ny = float(cy.max() - cy.min()) + 3
    span = (t_hi - t_lo) // unit + 2 * reach + 1
    if t_hi - t_lo >= 2**62 or (float(g.max()) + 1) * nx * ny * span >= 2**62:
        return None
    ny_i, span_i = int(ny), int(span)
    col = (g * int(nx) + (cx - cx.min() + 1).astype(np.int64)) * ny_i
    col += (cy - cy.min() + 1).astype(np.int64)
    del cx, cy, g
    key = col * span_i + ((t[ok] - t_lo) // unit + reach)
    del col
    order = np.argsort(key)
    key = key[order]
    rows = ok[order]
    del order
    out = [_proposed(np.arange(1, len(key) + 1),
                     np.searchsorted(key, key + reach, side="right"),
                     rows, x, y, t, distance_m, hours)]
    for dx, dy in _FORWARD:
        shift = (dx * ny_i + dy) * span_i
        lo = np.searchsorted(key, key + (shift - reach), side="left")
        hi = np.searchsorted(key, key + (shift + reach), side="right")
        out.append(_proposed(lo, hi, rows, x, y, t, distance_m, hours))
    return np.concatenate(out)


def _proposed(lo: np.ndarray, hi: np.ndarray, rows: np.ndarray, x: np.ndarray,
              y: np.ndarray, t: np.ndarray, distance_m: float, hours: float) -> np.ndarray:
    """The near pairs among ``(rows[a], rows[b])`` for ``lo[a] <= b < hi[a]``, ``i < j``."""
    count = np.maximum(hi - lo, 0)
    has = np.flatnonzero(count)
    if not len(has):
        return np.empty((0, 2), dtype=np.int64)
    lo, count = lo[has], count[has]
    ends = np.cumsum(count)
    out = []
    first = 0
    while first < len(has):
        last = int(np.searchsorted(ends, ends[first] - count[first] + _CHUNK, side="right"))
        last = max(last, first + 1)
        c = count[first:last]
        a = np.repeat(has[first:last], c)
        step = np.arange(len(a)) - np.repeat(np.cumsum(c) - c, c)
        b = np.repeat(lo[first:last], c) + step
        i, j = rows[a], rows[b]
        keep = _near(i, j, x, y, t, distance_m, hours)
        i, j = i[keep], j[keep]
        out.append(np.column_stack([np.minimum(i, j), np.maximum(i, j)]))
        first = last
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
    labels, _ = _labels_and_firsts(x, y, t_ns, group, distance_m=distance_m, hours=hours,
                                   client=client, partitions=partitions)
    return labels


def _labels_and_firsts(x, y, t_ns, group, *, distance_m, hours, client=None,
                       partitions=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`space_time_labels` and the position of each cluster's earliest point."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    n = len(x)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if client is None:
        pairs = space_time_pairs(x, y, t_ns, group, distance_m=distance_m, hours=hours)
    else:
        pairs = distributed_pairs(x, y, t_ns, group, distance_m=distance_m, hours=hours,
                                  client=client, partitions=partitions)
    graph = coo_array((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                      shape=(n, n)).tocsr()
    del pairs
    _, raw = connected_components(graph, directed=False)
    del graph
    return _ordered_components(raw, np.asarray(t_ns, dtype=np.int64))


def _ordered_components(raw: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber component ids ``0 … k-1`` in order of each component's earliest point.

    Parameters
    ----------
    raw : ndarray of int
        A component id per point, ``0 … k-1`` in any order (every id used).
    t : ndarray of int64
        Times; ties are broken by position.

    Returns
    -------
    labels : ndarray of int64
        The new id of each point's component.
    firsts : ndarray of int64
        Position of each component's earliest point (ties: the first position), by new id.
    """
    n = len(raw)
    by_time = np.argsort(t, kind="stable")  # by (t, position)
    raw_by_time = raw[by_time]
    first_rank = np.full(int(raw.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first_rank, raw_by_time, np.arange(n))
    del raw_by_time
    opens = np.zeros(n, dtype=bool)
    opens[first_rank] = True
    new_id = (np.cumsum(opens) - 1)[first_rank]
    return new_id[raw], by_time[opens]


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
    if n == 0:
        return _empty_merge(orders.crs)
    received = as_datetime(orders["received_at"])
    tz = received.dt.tz
    t = np.asarray(received.array.asi8)  # UTC nanoseconds (NaT: the smallest int64)
    del received
    x, y = _coordinates(orders.geometry.to_numpy())
    if "location_precision" in orders.columns:
        road = (orders["location_precision"].astype("string").eq("road").fillna(False)
                .to_numpy(dtype=bool))
    else:
        road = np.zeros(n, dtype=bool)
    codes, names = _category_codes(orders["category"])
    lx, ly = np.where(road, np.nan, x), np.where(road, np.nan, y)
    if scheduler is None:
        labels, fp = _labels_and_firsts(lx, ly, t, codes, distance_m=distance_m, hours=hours)
    else:
        from ..engine import dask_client

        with dask_client(scheduler) as client:
            labels, fp = _labels_and_firsts(lx, ly, t, codes, distance_m=distance_m,
                                            hours=hours, client=client, partitions=partitions)
    del lx, ly
    k = len(fp)
    case_ids = _case_ids(k)
    last_t = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_t, labels, t)
    located = np.isfinite(x)
    cx = _group_mean(labels[located], x[located], k)
    cy = _group_mean(labels[located], y[located], k)
    del located
    any_road = np.zeros(k, dtype=bool)
    any_road[labels[road]] = True
    complaint_ids = orders["complaint_id"].astype(str)
    cases = {
        "case_id": case_ids,
        "category": _inferred_text(names).take(codes[fp]),
        "first_received_at": _stamps(t[fp], tz),
        "last_received_at": _stamps(last_t, tz),
        "n_orders": np.bincount(labels, minlength=k).astype(np.int64),
        "subdistrict_id": _missing_text(k),
        "grid_id": _missing_text(k),
        "first_complaint_id": _taken(complaint_ids, fp),
        "address": (_taken(orders["address"], fp) if "address" in orders.columns
                    else _missing_text(k)),
        "location_precision": _inferred_text(np.array(["point", "road"], dtype=object))
        .take(any_road.astype(np.intp)),
        "x": cx,
        "y": cy,
    }
    del last_t, any_road, x, y, t, road
    pts = np.full(k, None, dtype=object)
    fin = np.isfinite(cx)
    pts[fin] = shapely.points(cx[fin], cy[fin])
    cases = gpd.GeoDataFrame(cases, geometry=pts, crs=orders.crs or settings.working_crs)
    del pts, fin
    if subdistricts is not None or grid_cells is not None:
        loc = locate(cases, subdistricts=subdistricts, grid_cells=grid_cells)
        cases["subdistrict_id"] = loc["subdistrict_id"].to_numpy()
        cases["grid_id"] = loc["grid_id"].to_numpy()
    order_map = pd.DataFrame({"complaint_id": _taken(complaint_ids, None),
                              "case_id": case_ids.take(labels)})
    return MergeResult(cases=cases, orders=order_map)


def _coordinates(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of point geometries; NaN for missing and empty ones."""
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        geoms = np.where(empty, None, geoms)
    x = np.where(empty, np.nan, shapely.get_x(geoms))
    y = np.where(empty, np.nan, shapely.get_y(geoms))
    return x, y


def _category_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and names of the categories as text (a missing one is ``""``).

    ``names[codes]`` equals ``values.astype("string").fillna("")``; each distinct value is
    converted once (categorical columns and columns of text are not cast row by row).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        each = pd.Categorical.from_codes(np.arange(len(values.cat.categories)),
                                         dtype=values.dtype)
        names = pd.Series(each).astype("string").to_numpy(dtype=object, na_value="")
    elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(values)
        codes = codes.astype(np.int64)
        names = np.asarray(uniques, dtype=object)
    else:  # numbers and mixed objects: equal as Python values is not equal as text
        text = values.astype("string").fillna("").to_numpy(dtype=object)
        codes, names = pd.factorize(text)
        return codes.astype(np.int64), np.asarray(names, dtype=object)
    codes[codes < 0] = len(names)  # missing: ""
    again, names = pd.factorize(np.append(names, "").astype(object))  # "" and NA, "1" and 1
    return again.astype(np.int64)[codes], np.asarray(names, dtype=object)


def _inferred_text(values: np.ndarray) -> Any:
    """``values`` (text, as objects) as the array a DataFrame column infers from them."""
    return pd.Series(values, copy=False).array


def _taken(values: pd.Series, rows: np.ndarray | None) -> Any:
    """``values.to_numpy()[rows]`` as a DataFrame column infers it, without the objects.

    A column of the inferred text dtype is taken directly (the round trip through an
    object array gives back the same dtype unless every value taken is missing).
    """
    arr = values.array
    taken = arr if rows is None else arr.take(rows)
    probe = _inferred_text(np.array(["a"], dtype=object))
    if taken.dtype == probe.dtype and not taken.isna().all():
        return taken
    return values.to_numpy() if rows is None else values.to_numpy()[rows]


def _missing_text(k: int) -> Any:
    """``pd.array([None] * k, dtype="string")``, without the list."""
    return pd.array([None], dtype="string").take(np.zeros(k, dtype=np.intp))


def _stamps(t_ns: np.ndarray, tz: Any) -> pd.Series:
    """UTC nanoseconds (the smallest int64: NaT) as tz-aware timestamps in ``tz``."""
    utc = pd.Series(t_ns.view("M8[ns]"), copy=False).dt.tz_localize("UTC")
    return utc.dt.tz_convert(tz).array


def _case_ids(k: int) -> Any:
    """``C000001 … C{k}``: zero-padded to six digits or the digits of ``k``, as text.

    Built as one buffer of ASCII digits (every id has the same length), not one by one.
    """
    import pyarrow as pa

    width = max(6, len(str(k)))
    number = np.arange(1, k + 1, dtype=np.int64)
    chars = np.empty((k, width + 1), dtype=np.uint8)
    chars[:, 0] = ord("C")
    for col in range(width, 0, -1):
        chars[:, col] = number % 10 + ord("0")
        number //= 10
    offsets = np.arange(0, (k + 1) * (width + 1), width + 1, dtype=np.int64)
    ids = pa.LargeStringArray.from_buffers(k, pa.py_buffer(offsets), pa.py_buffer(chars))
    probe = _inferred_text(np.array(["C"], dtype=object))
    if isinstance(probe.dtype, pd.StringDtype) and probe.dtype.storage == "pyarrow":
        return pd.array(ids, dtype=probe.dtype)
    return _inferred_text(np.asarray(ids.to_pylist(), dtype=object))


def _group_mean(labels: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``values`` per label ``0 … k-1``, bit for bit as pandas' ``groupby().mean()``.

    NaN values are skipped; a label without values gets NaN. pandas sums each group in row
    order with Kahan compensation; for one or two values that is the plain sum (a
    ``bincount``), so only groups of three or more are summed again, the i-th values of all
    of them at once.

    Parameters
    ----------
    labels : ndarray of int
        Label of each value, in ``0 … k-1``.
    values : ndarray of float
    k : int
        Number of labels.

    Returns
    -------
    ndarray of float64, shape (k,)
    """
    ok = ~np.isnan(values)
    labels, values = labels[ok], values[ok]
    count = np.bincount(labels, minlength=k)
    total = np.bincount(labels, weights=values, minlength=k)
    big = count[labels] >= 3
    if big.any():
        rows = np.flatnonzero(big)
        rows = rows[np.argsort(labels[rows], kind="stable")]  # by label, in row order
        groups, start, size = np.unique(labels[rows], return_index=True, return_counts=True)
        total[groups] = _kahan_sums(values[rows], start, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    mean[count == 0] = np.nan
    return mean


def _kahan_sums(values: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Compensated sums of the runs ``values[start:start+size]`` (pandas' group_mean)."""
    total = np.zeros(len(start))
    comp = np.zeros(len(start))
    active = np.arange(len(start))
    for i in range(int(size.max())):
        active = active[size[active] > i]
        v = values[start[active] + i]
        yv = v - comp[active]
        s = total[active]
        tv = s + yv
        with np.errstate(invalid="ignore"):
            c = tv - s - yv
        c[np.isnan(c)] = 0.0  # an infinite value: keep the infinity, not NaN
        comp[active] = c
        total[active] = tv
    return total


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

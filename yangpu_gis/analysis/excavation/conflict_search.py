"""Concurrent and repeated digs (同期冲突, 反复掘路): every pair of permits close in space and time.

Pairs are found with a spatial index (:class:`shapely.STRtree`): envelopes grown by
``distance_m`` first, then the time rule, then the exact predicate on prepared geometries
(``intersects`` for 0 m, ``dwithin`` beyond). Every date interval ``[planned_start,
planned_end]`` includes both days.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> permits = gpd.GeoDataFrame(
...     {"permit_id": ["P1", "P2", "P3"], "applicant": ["水务", "燃气", "电力"],
...      "utility": ["water", "gas", "power"],
...      "planned_start": ["2024-03-01", "2024-03-20", "2024-09-01"],
...      "planned_end": ["2024-03-20", "2024-04-10", "2024-09-30"]},
...     geometry=[box(0, 0, 50, 3), box(50, 0, 90, 3), box(10, 0, 30, 3)], crs="EPSG:4549")
>>> conflicts(permits)[["permit_a", "permit_b", "kind", "days_apart"]]
  permit_a permit_b        kind  days_apart
0       P1       P2  concurrent           0
1       P1       P3      repeat         165
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .defaults import EXCAVATION_DEFAULTS
from .inputs import check_thresholds, metric_crs, pair_gaps, permit_arrays
from .joins import candidate_pairs, close

__all__ = ['CONFLICT_COLUMNS', 'conflicts']

#: Columns of a conflicts table, in order.
CONFLICT_COLUMNS = ["permit_a", "permit_b", "kind", "distance_m", "days_apart"]


def _pairs_table(
    ids_a: np.ndarray, ids_b: np.ndarray, gaps: np.ndarray, dist: np.ndarray
) -> pd.DataFrame:
    """The conflicts table of positional pairs, ``permit_a < permit_b``, sorted."""
    a = ids_a.astype(str)
    b = ids_b.astype(str)
    swap = a > b
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    table = pd.DataFrame({
        "permit_a": pd.Series(a, dtype="str"),
        "permit_b": pd.Series(b, dtype="str"),
        "kind": pd.Series(np.where(gaps <= 0, "concurrent", "repeat"), dtype="str"),
        "distance_m": dist.astype(float),
        "days_apart": np.maximum(gaps, 0).astype(np.int64),
    }, columns=CONFLICT_COLUMNS)
    return table.sort_values(["permit_a", "permit_b"], kind="stable").reset_index(drop=True)


def conflicts(
    permits: gpd.GeoDataFrame,
    *,
    distance_m: float = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: int = EXCAVATION_DEFAULTS.repeat_days,
    client: Any = None,
    partitions: int | None = None,
) -> pd.DataFrame:
    """Concurrent and repeated digs: every pair of permits close in space and time.

    A pair is *concurrent* when the footprints are within ``distance_m`` of each other and
    the inclusive intervals ``[planned_start, planned_end]`` share at least one day; it is a
    *repeat* (反复掘路) when they are that close, do not overlap, and the later one starts
    at most ``repeat_days`` after the earlier one ends.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits``: ``permit_id`` (unique), ``planned_start``, ``planned_end``
        (dates, datetimes or ISO strings), footprints in a metric CRS.
    distance_m : float, default 0.0
        Largest gap between footprints, in metres; 0 means touching or overlapping (the
        issue's rule: the same stretch of road).
    repeat_days : int, default ``EXCAVATION_DEFAULTS.repeat_days`` (one year)
        Longest wait, in days, from the end of one dig to the start of the next for the
        pair to count as a repeat: one year, the plan's "months later" complaint and the
        usual reinstatement guarantee period. A wait of exactly ``repeat_days`` counts.
    client : distributed.Client, optional, keyword-only
        Search strip by strip on this dask.distributed cluster (each strip with a halo of
        ``distance_m``); the table is identical.
    partitions : int, optional, keyword-only
        Number of strips with ``client`` [default: about 250 000 permits each, at least two
        per worker].

    Returns
    -------
    pandas.DataFrame
        ``permit_a, permit_b`` (``permit_a < permit_b`` as strings), ``kind``
        (``concurrent`` or ``repeat``), ``distance_m`` (0 when touching), ``days_apart``
        (0 for concurrent, else days from the earlier end to the later start), sorted by
        ``permit_a, permit_b``.

    Raises
    ------
    ValidationError
        Missing columns or dates, duplicate ids, an end before its start, a negative
        threshold.
    CRSError
        A geographic (degrees) CRS.
    """
    check_thresholds(distance_m=distance_m, repeat_days=repeat_days)
    metric_crs(permits)
    arr = permit_arrays(permits)
    if client is None:
        i, j, gaps, dist = _pairs_of(arr.geoms, arr.start, arr.end, distance_m, repeat_days)
    else:
        i, j, gaps, dist = _distributed_pairs(arr, distance_m, repeat_days, client, partitions)
    return _pairs_table(arr.ids[i], arr.ids[j], gaps, dist)


def _pairs_of(geoms: np.ndarray, start: np.ndarray, end: np.ndarray, distance_m: float,
              repeat_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions ``i < j``, day gaps and distances of every conflicting pair."""
    # envelopes first, then the cheap time rule, then the exact (prepared) spatial predicate
    i, j = candidate_pairs(shapely.STRtree(geoms), geoms, distance_m)
    keep = i < j
    i, j = i[keep], j[keep]
    gaps = pair_gaps(start[i], end[i], start[j], end[j])
    keep = gaps <= repeat_days
    i, j, gaps = i[keep], j[keep], gaps[keep]
    shapely.prepare(geoms)
    keep = close(geoms[i], geoms[j], distance_m)
    i, j, gaps = i[keep], j[keep], gaps[keep]
    # footprints that intersect are 0 m apart by definition
    dist = (shapely.distance(geoms[i], geoms[j]) if distance_m > 0
            else np.zeros(len(i)))
    return i, j, gaps, dist


def _strip_pairs(arrays: tuple, rows: np.ndarray, n_owned: int, distance_m: float,
                 repeat_days: int) -> tuple[np.ndarray, ...]:
    """One strip's task: the pairs (global positions) whose first permit the strip owns."""
    geoms, start, end = arrays
    i, j, gaps, dist = _pairs_of(geoms, start, end, distance_m, repeat_days)
    gi, gj = rows[i], rows[j]
    keep = np.where(gi < gj, i, j) < n_owned
    return (np.minimum(gi, gj)[keep], np.maximum(gi, gj)[keep], gaps[keep], dist[keep])


def _distributed_pairs(arr, distance_m: float, repeat_days: int, client: Any,
                       partitions: int | None) -> tuple[np.ndarray, ...]:
    """:func:`_pairs_of` strip by strip on ``client`` (halo: ``distance_m``): the same pairs."""
    from ..engine import default_partitions, run_tasks, strips

    b = shapely.bounds(arr.geoms)
    parts = partitions or default_partitions(client, len(arr.geoms))
    halo = distance_m * (1 + 1e-6) + 1e-3
    payloads = []
    for s in strips(b[:, 0], b[:, 2], parts=parts, halo=halo):
        arrays = client.scatter([(arr.geoms[s.rows], arr.start[s.rows], arr.end[s.rows])],
                                hash=False)[0]
        payloads.append((arrays, s.rows, s.n_owned, distance_m, repeat_days))
    found = run_tasks(client, _strip_pairs, payloads)
    if not found:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, np.empty(0)
    i, j, gaps, dist = (np.concatenate([f[k] for f in found]) for k in range(4))
    order = np.lexsort((j, i))
    return i[order], j[order], gaps[order], dist[order]

"""Candidate causes of work orders and the choice of one per order.

:func:`candidates_near` finds, with an STR-tree, every (order, cause) pair closer than a
distance (and, for causes with a period, dated inside it); :func:`pick_causes` keeps, per
order, the candidate of the first kind its category's rule names, nearest first. Pure
functions on arrays: :func:`~yangpu_gis.analysis.causes.analyze_causes` assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

__all__ = ["CANDIDATE_COLUMNS", "candidates_near", "pick_causes"]

#: Columns of a candidates frame.
CANDIDATE_COLUMNS = ("row", "cause_kind", "cause", "distance_m", "days")

def candidates_near(
    points: np.ndarray,
    rows: np.ndarray,
    targets: np.ndarray,
    distance_m: float,
    kind: str,
    *,
    day: np.ndarray | None = None,
    start: np.ndarray | None = None,
    end: np.ndarray | None = None,
    margin_days: int = 0,
) -> pd.DataFrame:
    """Every (order, target) pair at most ``distance_m`` apart (and inside the period).

    Parameters
    ----------
    points : numpy.ndarray of shapely Points
        The orders tried for this kind.
    rows : numpy.ndarray of int
        The orders' positions in the whole frame (the ``row`` column of the output).
    targets : numpy.ndarray of shapely geometries
        Permit footprints, depression polygons or road lines (metric CRS, as ``points``).
    distance_m : float
        Largest distance from an order to a target's geometry (0 = touching or inside).
    kind : str
        The ``cause_kind`` written into the output.
    day, start, end : numpy.ndarray of int, optional
        The orders' local days and the targets' first and last day (days since 1970): when
        given, a pair is kept only when ``start - margin_days <= day <= end + margin_days``.
    margin_days : int
        See ``day``.

    Returns
    -------
    pandas.DataFrame
        :data:`CANDIDATE_COLUMNS`; ``cause`` is the target's position in ``targets``,
        ``days`` the order's day minus the target's start (NaN without periods).
    """
    if not len(points) or not len(targets):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            CANDIDATE_COLUMNS, ("int64", "object", "int64", "float64", "float64"),
            strict=True)})
    tree = shapely.STRtree(targets)
    pi, ti = tree.query(points, predicate="dwithin", distance=float(distance_m))
    days = np.full(len(pi), np.nan)
    if day is not None and start is not None and end is not None:
        d = day[pi]
        ok = (d >= start[ti] - margin_days) & (d <= end[ti] + margin_days)
        pi, ti = pi[ok], ti[ok]
        days = (d[ok] - start[ti]).astype(float)
    dist = shapely.distance(points[pi], targets[ti])
    return pd.DataFrame({"row": rows[pi].astype(np.int64), "cause_kind": kind,
                         "cause": ti.astype(np.int64), "distance_m": dist, "days": days})


def pick_causes(candidates: pd.DataFrame, categories: np.ndarray,
                rules: Mapping[str, tuple[str, ...]], cause_ids: Mapping[str, np.ndarray]
                ) -> pd.DataFrame:
    """One cause per order: the first kind of its rule with a candidate, then the nearest.

    Ties in distance go to the cause whose period began closest to the order (smallest
    ``|days|``), then to the smallest id, so the choice never depends on input order.

    Parameters
    ----------
    candidates : DataFrame
        Concatenated outputs of :func:`candidates_near`.
    categories : numpy.ndarray
        Category of every order (indexed by ``row``).
    rules : mapping
        Category -> kinds in order of preference.
    cause_ids : mapping
        Kind -> the ids of its targets (indexed by ``cause``).

    Returns
    -------
    pandas.DataFrame
        ``row, cause_kind, cause, cause_id, distance_m, days``, one row per linked order,
        sorted by ``row``.
    """
    if not len(candidates):
        return candidates.assign(cause_id=pd.Series(dtype=object))
    c = candidates.copy()
    cat = categories[c["row"].to_numpy()]
    c["preference"] = [rules.get(k, ()).index(kind) if kind in rules.get(k, ()) else -1
                       for k, kind in zip(cat, c["cause_kind"], strict=True)]
    c = c[c["preference"] >= 0]
    c["cause_id"] = [str(cause_ids[k][i]) for k, i in
                     zip(c["cause_kind"], c["cause"], strict=True)]
    c["abs_days"] = c["days"].abs().fillna(0.0)
    c = c.sort_values(["row", "preference", "distance_m", "abs_days", "cause_id"],
                      kind="mergesort")
    c = c.drop_duplicates("row", keep="first")
    return c.drop(columns=["preference", "abs_days"]).reset_index(drop=True)

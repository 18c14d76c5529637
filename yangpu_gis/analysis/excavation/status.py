"""Each permit's conflict status (:func:`permit_status`) and the repeat-dig hot roads (:func:`hot_roads`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import ValidationError
from ..inputs import require_columns
from .result import ExcavationResult

__all__ = ['HOT_ROAD_COLUMNS', 'STATUS_LABELS', 'hot_roads', 'permit_status']

#: Chinese labels of a permit's conflict status, most serious first.
STATUS_LABELS = {
    "moratorium": "违反禁挖期",
    "concurrent": "同期冲突",
    "repeat": "反复开挖",
    "none": "无冲突",
}



def permit_status(
    permits: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    moratorium: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Conflict status of every permit, for maps and the permits layer of the GeoPackage.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits``.
    pairs : DataFrame
        :func:`conflicts`.
    moratorium : DataFrame, optional
        :func:`moratorium_breaches`.
    groups : DataFrame, optional
        :func:`coordination_groups`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``permits.index``: ``permit_id``, ``conflict_status``
        (``moratorium``, ``concurrent``, ``repeat`` or ``none``, the most serious that
        applies), ``conflict_label`` (:data:`STATUS_LABELS`), ``concurrent``, ``repeats``,
        ``breaches`` (counts), ``group_id``, then the permit's ``planned_start`` and
        ``planned_end`` (dates) and ``year`` (of ``planned_start``; nullable ``Int64``
        only where a start date is missing), so that a table of one
        year's permits needs no join back to ``permits``.

    Examples
    --------
    >>> st = permit_status(permits, pairs)                              # doctest: +SKIP
    >>> st[st["year"] == 2024]["conflict_label"].value_counts()         # doctest: +SKIP
    """
    ids = permits["permit_id"].astype(str)
    out = pd.DataFrame({"permit_id": ids.to_numpy(dtype=object)}, index=permits.index)
    for kind, col in (("concurrent", "concurrent"), ("repeat", "repeats")):
        sub = pairs[pairs["kind"] == kind]
        n = pd.concat([sub["permit_a"], sub["permit_b"]]).value_counts()
        out[col] = n.reindex(ids).fillna(0).astype(np.int64).to_numpy()
    if moratorium is not None and len(moratorium):
        n = moratorium["permit_id"].value_counts()
        out["breaches"] = n.reindex(ids).fillna(0).astype(np.int64).to_numpy()
    else:
        out["breaches"] = 0
    status = np.select([out["breaches"] > 0, out["concurrent"] > 0, out["repeats"] > 0],
                       ["moratorium", "concurrent", "repeat"], "none")
    out.insert(1, "conflict_status", status.astype(object))
    out.insert(2, "conflict_label", out["conflict_status"].map(STATUS_LABELS).astype(object))
    gid = pd.Series(dtype=object)
    if groups is not None and len(groups):
        gid = pd.Series({pid: g for g, ids_ in zip(groups["group_id"], groups["permit_ids"],
                                                   strict=True) for pid in ids_.split(",")})
    out["group_id"] = gid.reindex(ids).to_numpy(dtype=object)
    for col in ("planned_start", "planned_end"):
        out[col] = (pd.to_datetime(permits[col], errors="coerce").dt.normalize()
                    .astype("datetime64[ns]").to_numpy() if col in permits.columns
                    else np.datetime64("NaT", "ns"))
    year = out["planned_start"].dt.year
    out["year"] = year.astype("Int64" if year.isna().any() else np.int64)
    return out


#: Columns of :func:`hot_roads`, in order.
HOT_ROAD_COLUMNS = ["road_id", "name", "road_class", "digs", "repeats", "concurrent", "years",
                    "first_year", "last_year", "metres_dug", "utilities"]


def hot_roads(
    result_or_summary: ExcavationResult | pd.DataFrame, *, top: int | None = 10
) -> pd.DataFrame:
    """Repeat-dig hot roads (马路拉链): every road segment over all years, worst first.

    Sums :func:`roads_summary` over the years of each road segment (``road_id``) and ranks
    the segments by repeat pairs, then by digs (then by ``road_id``, for a stable order).
    A long road is several segments, each ranked on its own.

    Parameters
    ----------
    result_or_summary : ExcavationResult or DataFrame
        :func:`analyze_excavation`'s result, or a :func:`roads_summary` table (e.g. one
        filtered to some years first).
    top : int or None, keyword-only, default 10
        Rows kept; ``None`` keeps every road with at least one dig.

    Returns
    -------
    pandas.DataFrame
        ``road_id, name, road_class``, the sums ``digs, repeats, concurrent``, ``years``
        (years with at least one dig), ``first_year``, ``last_year``, ``metres_dug`` (sum)
        and ``utilities`` (every utility that dug it, comma-separated), best first, with a
        fresh index.

    Examples
    --------
    >>> res = analyze_excavation(permits, roads, pipelines)            # doctest: +SKIP
    >>> hot_roads(res, top=5)                                           # doctest: +SKIP
    """
    summary = (result_or_summary.roads_summary
               if isinstance(result_or_summary, ExcavationResult) else result_or_summary)
    require_columns(summary, ("road_id", "year", "digs", "repeats", "concurrent"),
                    "the roads summary")
    if top is not None and (isinstance(top, bool) or int(top) != top or top < 0):
        raise ValidationError(f"top must be a whole number >= 0 or None, got {top!r}")
    s = summary.copy()
    for col in ("name", "road_class", "utilities"):
        if col not in s.columns:
            s[col] = None
    if "metres_dug" not in s.columns:
        s["metres_dug"] = np.nan
    # name and class belong to the segment: the first non-missing value of each
    info = s.groupby("road_id", sort=False)[["name", "road_class"]].first()
    out = s.groupby("road_id", sort=False).agg(
        digs=("digs", "sum"), repeats=("repeats", "sum"), concurrent=("concurrent", "sum"),
        years=("year", "nunique"), first_year=("year", "min"), last_year=("year", "max"),
        metres_dug=("metres_dug", lambda v: v.sum(min_count=1)),
        utilities=("utilities", lambda v: ",".join(sorted(
            {u for x in v.dropna() for u in str(x).split(",") if u}))),
    )
    out = out.join(info).reset_index()
    for col in ("digs", "repeats", "concurrent", "years", "first_year", "last_year"):
        out[col] = out[col].astype(np.int64)
    out = out.sort_values(["repeats", "digs", "road_id"], ascending=[False, False, True],
                          kind="stable")
    if top is not None:
        out = out.head(int(top))
    return out[HOT_ROAD_COLUMNS].reset_index(drop=True)

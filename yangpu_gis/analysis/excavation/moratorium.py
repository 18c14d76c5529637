"""Excavation moratorium (禁挖期): 城市道路管理条例 Art. 33 breaches and protection windows."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..inputs import require_columns
from .defaults import DEFAULT_ROAD_WIDTH_M, EXCAVATION_DEFAULTS
from .inputs import as_dates, check_thresholds, metric_crs, permit_arrays
from .joins import permit_road_pairs

__all__ = ['MORATORIUM_COLUMNS', 'moratorium_breaches', 'moratorium_windows']

#: Columns of a moratorium table: the four of the issue, then context.
MORATORIUM_COLUMNS = ["permit_id", "road_id", "rule", "protected_until", "protected_since",
                      "road_name", "planned_start", "planned_end"]


def moratorium_breaches(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    new_road_years: int = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: int = EXCAVATION_DEFAULTS.major_repair_years,
    default_width_m: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Permits that dig a road inside its excavation moratorium (禁挖期).

    城市道路管理条例 (Urban Road Management Regulations) Art. 33: a newly built, extended or
    reconstructed road may not be dug up within 5 years of opening, nor a road within 3 years
    of a major repair (except with the city government's approval). A permit breaches a rule
    when its footprint intersects the road's surface (see :func:`roads_summary`) and its
    ``planned_start`` falls on or after the road's ``built_date`` (or
    ``last_major_repair_date``) and less than ``new_road_years`` (``major_repair_years``)
    calendar years after it.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits`` (see :func:`conflicts`).
    roads : GeoDataFrame
        ``roads`` with ``road_id`` and, where known, ``built_date`` and
        ``last_major_repair_date``; a road missing a date is not protected by that rule.
    new_road_years : int, default 5
        Protection after opening a new, extended or reconstructed road (Art. 33).
    major_repair_years : int, default 3
        Protection after a major repair (Art. 33).
    default_width_m : dict, optional
        Road width by class where ``width_m`` is missing (see :func:`roads_summary`).

    Returns
    -------
    pandas.DataFrame
        ``permit_id, road_id, rule`` (``new_road`` or ``major_repair``),
        ``protected_until`` (the last protected day; digging may start the day after),
        then ``protected_since, road_name, planned_start, planned_end``. A permit breaching
        both rules, or on two protected roads, has one row per breach.
    """
    check_thresholds(new_road_years=new_road_years, major_repair_years=major_repair_years)
    metric_crs(permits, roads)
    arr = permit_arrays(permits)
    require_columns(roads, ("road_id",), "roads")
    p, r, _ = permit_road_pairs(arr.geoms, roads, default_width_m or DEFAULT_ROAD_WIDTH_M)
    start = pd.Series(as_dates(arr.start[p]))
    frames = []
    for rule, column, years in (("new_road", "built_date", new_road_years),
                                ("major_repair", "last_major_repair_date", major_repair_years)):
        if column not in roads.columns:
            continue
        since = pd.to_datetime(roads[column], errors="coerce").dt.normalize()
        since = pd.Series(since.to_numpy()[r]).astype("datetime64[ns]")
        until = since + pd.DateOffset(years=int(years)) - pd.Timedelta(days=1)
        hit = ((since <= start) & (start <= until)).to_numpy()
        frames.append(pd.DataFrame({
            "permit_id": arr.ids[p[hit]],
            "road_id": roads["road_id"].astype(str).to_numpy(dtype=object)[r[hit]],
            "rule": rule,
            "protected_until": until.to_numpy()[hit],
            "protected_since": since.to_numpy()[hit],
            "road_name": (roads["name"].to_numpy(dtype=object)[r[hit]] if "name" in roads
                          else None),
            "planned_start": start.to_numpy()[hit],
            "planned_end": as_dates(arr.end[p[hit]]),
        }))
    if not frames:
        return pd.DataFrame({c: [] for c in MORATORIUM_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["rule"] = out["rule"].astype(object)
    return out[MORATORIUM_COLUMNS].sort_values(["permit_id", "road_id", "rule"]).reset_index(
        drop=True)


def moratorium_windows(
    roads: gpd.GeoDataFrame, *, new_road_years: int = EXCAVATION_DEFAULTS.new_road_years, major_repair_years: int = EXCAVATION_DEFAULTS.major_repair_years
) -> pd.DataFrame:
    """The protection windows of every road (城市道路管理条例 Art. 33), for maps and checks.

    Parameters
    ----------
    roads : GeoDataFrame or DataFrame
        ``roads`` with ``road_id`` and ``built_date`` / ``last_major_repair_date``.
    new_road_years : int, default 5
        See :func:`moratorium_breaches`.
    major_repair_years : int, default 3
        See :func:`moratorium_breaches`.

    Returns
    -------
    pandas.DataFrame
        One row per (road, rule) with a date: ``road_id, rule, protected_since,
        protected_until`` (inclusive) and ``row``, the road's position in ``roads``.
    """
    frames = []
    for rule, column, years in (("new_road", "built_date", new_road_years),
                                ("major_repair", "last_major_repair_date", major_repair_years)):
        if column not in roads.columns:
            continue
        since = pd.to_datetime(roads[column], errors="coerce").dt.normalize().reset_index(drop=True)
        since = since.astype("datetime64[ns]")
        has = since.notna().to_numpy()
        frames.append(pd.DataFrame({
            "road_id": roads["road_id"].astype(str).to_numpy(dtype=object)[has],
            "rule": rule,
            "protected_since": since[has].to_numpy(),
            "protected_until": (since[has] + pd.DateOffset(years=int(years))
                                - pd.Timedelta(days=1)).to_numpy(),
            "row": np.flatnonzero(has),
        }))
    if not frames:
        return pd.DataFrame({c: [] for c in ("road_id", "rule", "protected_since",
                                             "protected_until", "row")})
    out = pd.concat(frames, ignore_index=True)
    out["rule"] = out["rule"].astype(object)
    return out

"""Excavation coordination (掘路协调): conflicts, repeated digging, moratorium breaches,
pipelines at risk and coordination groups, from the ``excavation_permits`` layer.

Pure functions on GeoDataFrames, no I/O. Inputs are registry layers (or any frames with the
catalogue's columns) in one metric CRS: the registry gives EPSG:4549, so every distance is
in metres. Every date interval ``[planned_start, planned_end]`` includes both days.

Pairs of permits are found with a spatial index (:class:`shapely.STRtree`): envelopes
grown by ``distance_m`` first, then the time rule, then the exact predicate on prepared
geometries (``intersects`` for 0 m, ``dwithin`` beyond), never by comparing every permit with
every other one.
:func:`check_permit` (in :mod:`.excavation_check`, re-exported here) tests one application
against the registry; :mod:`.excavation_postgis` computes :func:`conflicts` in PostGIS SQL.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..errors import ValidationError
from ._excavation_inputs import (
    DEFAULT_ROAD_WIDTH_M,
    EXCLUDED_STATUS,
    active_permits,
    as_dates,
    candidate_pairs,
    check_crs,
    close,
    gas_clearances,
    pair_gaps,
    permit_arrays,
    permit_road_pairs,
    require_columns,
    spatial_pairs,
)

if TYPE_CHECKING:  # re-exported lazily, see __getattr__ at the end of this module
    from .excavation_check import check_permit, trench_along

__all__ = [
    "CONFLICT_COLUMNS",
    "DEFAULT_ROAD_WIDTH_M",
    "EXCLUDED_STATUS",
    "ExcavationResult",
    "STATUS_LABELS",
    "active_permits",
    "analyze_excavation",
    "check_permit",
    "conflicts",
    "coordination_groups",
    "hot_roads",
    "moratorium_breaches",
    "moratorium_windows",
    "permit_status",
    "pipelines_at_risk",
    "roads_summary",
    "trench_along",
]

#: Columns of a conflicts table, in order.
CONFLICT_COLUMNS = ["permit_a", "permit_b", "kind", "distance_m", "days_apart"]
#: Columns of a moratorium table: the four of the issue, then context.
MORATORIUM_COLUMNS = ["permit_id", "road_id", "rule", "protected_until", "protected_since",
                      "road_name", "planned_start", "planned_end"]
#: Columns of a pipelines-at-risk table.
AT_RISK_COLUMNS = ["permit_id", "pipe_id", "utility", "distance_m", "clearance_m"]

#: ``pressure_class`` values treated as high pressure (次高压 is not: it is in the 6 m group).
HIGH_PRESSURE_CLASSES = ("高压", "超高压", "high", "very_high")

#: Chinese labels of a permit's conflict status, most serious first.
STATUS_LABELS = {
    "moratorium": "违反禁挖期",
    "concurrent": "同期冲突",
    "repeat": "反复开挖",
    "none": "无冲突",
}


def _check_thresholds(**values: float) -> None:
    for name, v in values.items():
        if not np.isfinite(v) or v < 0:
            raise ValidationError(f"{name} must be a number >= 0, got {v!r}")


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
    permits: gpd.GeoDataFrame, *, distance_m: float = 0.0, repeat_days: int = 365
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
    repeat_days : int, default 365
        Longest wait, in days, from the end of one dig to the start of the next for the
        pair to count as a repeat: one year, the plan's "months later" complaint and the
        usual reinstatement guarantee period. A wait of exactly ``repeat_days`` counts.

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
    _check_thresholds(distance_m=distance_m, repeat_days=repeat_days)
    check_crs(permits)
    arr = permit_arrays(permits)
    # envelopes first, then the cheap time rule, then the exact (prepared) spatial predicate
    i, j = candidate_pairs(shapely.STRtree(arr.geoms), arr.geoms, distance_m)
    keep = i < j
    i, j = i[keep], j[keep]
    gaps = pair_gaps(arr.start[i], arr.end[i], arr.start[j], arr.end[j])
    keep = gaps <= repeat_days
    i, j, gaps = i[keep], j[keep], gaps[keep]
    shapely.prepare(arr.geoms)
    keep = close(arr.geoms[i], arr.geoms[j], distance_m)
    i, j, gaps = i[keep], j[keep], gaps[keep]
    # footprints that intersect are 0 m apart by definition
    dist = (shapely.distance(arr.geoms[i], arr.geoms[j]) if distance_m > 0
            else np.zeros(len(i)))
    return _pairs_table(arr.ids[i], arr.ids[j], gaps, dist)


def _permit_roads(
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


def roads_summary(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pairs: pd.DataFrame | None = None,
    *,
    distance_m: float = 0.0,
    repeat_days: int = 365,
    default_width_m: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Digs per road per year, with repeats, concurrent pairs and metres dug.

    A permit digs a road when its footprint intersects the road's surface: the centre line
    buffered by half its ``width_m`` (or the class default, :data:`DEFAULT_ROAD_WIDTH_M`). A
    permit across two roads counts for both. A dig belongs to the year of its
    ``planned_start``.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits`` (see :func:`conflicts`).
    roads : GeoDataFrame
        ``roads``: ``road_id``, centre lines; ``name``, ``road_class``, ``width_m`` used
        when present.
    pairs : DataFrame, optional
        The result of :func:`conflicts`; computed with ``distance_m`` and ``repeat_days``
        when omitted.
    distance_m : float, default 0.0
        See :func:`conflicts`.
    repeat_days : int, default 365
        See :func:`conflicts`.
    default_width_m : dict, optional
        Road width by class where ``width_m`` is missing; default
        :data:`DEFAULT_ROAD_WIDTH_M`.

    Returns
    -------
    pandas.DataFrame
        One row per (road, year) with at least one dig: ``road_id, name, road_class, year,
        digs, repeats`` (repeat pairs whose two permits both dig the road, in the year of
        the later start), ``concurrent`` (concurrent pairs on the road, in the year of the
        earlier start), ``metres_dug`` (sum over digs of the length of road centre line
        alongside each dig) and ``utilities`` (comma-separated), sorted by road and year.
    """
    check_crs(permits, roads)
    arr = permit_arrays(permits)
    if pairs is None:
        pairs = conflicts(permits, distance_m=distance_m, repeat_days=repeat_days)
    pr = _permit_roads(permits, roads, default_width_m or DEFAULT_ROAD_WIDTH_M)
    start = pd.Series(as_dates(arr.start), index=arr.ids)
    pr["year"] = start.loc[pr["permit_id"]].dt.year.to_numpy()
    utility = (permits["utility"].astype(str).to_numpy(dtype=object) if "utility" in permits
               else np.full(len(permits), "", dtype=object))
    pr["utility"] = pd.Series(utility, index=arr.ids).loc[pr["permit_id"]].to_numpy()
    out = pr.groupby(["road_id", "year"], sort=True).agg(
        digs=("permit_id", "size"), metres_dug=("metres", "sum"),
        utilities=("utility", lambda s: ",".join(sorted(set(s) - {""}))),
    ).reset_index()
    for kind, pick in (("repeats", np.maximum), ("concurrent", np.minimum)):
        sub = pairs[pairs["kind"] == ("repeat" if kind == "repeats" else "concurrent")]
        both = (sub.merge(pr[["permit_id", "road_id"]], left_on="permit_a", right_on="permit_id")
                .drop(columns="permit_id")
                .merge(pr[["permit_id", "road_id"]], left_on=["permit_b", "road_id"],
                       right_on=["permit_id", "road_id"]))
        year = pick(start.loc[both["permit_a"]].dt.year.to_numpy(),
                    start.loc[both["permit_b"]].dt.year.to_numpy())
        counts = pd.DataFrame({"road_id": both["road_id"].to_numpy(), "year": year})
        counts = counts.groupby(["road_id", "year"]).size().rename(kind).reset_index()
        out = out.merge(counts, on=["road_id", "year"], how="left")
        out[kind] = out[kind].fillna(0).astype(np.int64)
    info = roads.drop_duplicates("road_id").set_index(roads["road_id"].astype(str).drop_duplicates())
    for col in ("name", "road_class"):
        out[col] = (info[col].reindex(out["road_id"]).to_numpy(dtype=object)
                    if col in info.columns else None)
    out["year"] = out["year"].astype(np.int64)
    cols = ["road_id", "name", "road_class", "year", "digs", "repeats", "concurrent",
            "metres_dug", "utilities"]
    return out[cols].sort_values(["road_id", "year"]).reset_index(drop=True)


def moratorium_breaches(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    new_road_years: int = 5,
    major_repair_years: int = 3,
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
    _check_thresholds(new_road_years=new_road_years, major_repair_years=major_repair_years)
    check_crs(permits, roads)
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
    roads: gpd.GeoDataFrame, *, new_road_years: int = 5, major_repair_years: int = 3
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


def _pipe_clearances(
    pipelines: gpd.GeoDataFrame, clearance_m: float, gas_clearance_m: float,
    gas_high_pressure_clearance_m: float,
) -> np.ndarray:
    utility = pipelines["utility"].astype(str).to_numpy(dtype=object)
    gas = utility == "gas"
    out = np.where(gas, gas_clearance_m, clearance_m).astype(float)
    if "pressure_class" in pipelines.columns:
        pressure = pipelines["pressure_class"].astype(str).to_numpy(dtype=object)
        high = gas & np.isin(pressure, HIGH_PRESSURE_CLASSES)
        out[high] = gas_high_pressure_clearance_m
    return out


def pipelines_at_risk(
    permits: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    *,
    clearance_m: float = 1.0,
    gas_clearance_m: float | None = None,
    gas_high_pressure_clearance_m: float | None = None,
) -> pd.DataFrame:
    """Pipelines within their clearance of each permit's footprint.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits`` (``permit_id`` and footprints).
    pipelines : GeoDataFrame
        ``pipelines``: ``pipe_id``, ``utility``, centre lines; ``pressure_class`` if known.
    clearance_m : float, default 1.0
        Clearance for every utility but gas, in metres from the pipe's centre line (the
        issue's default: a trench this close exposes the pipe).
    gas_clearance_m : float, optional
        Clearance for gas mains; default ``settings.gas_clearance_m`` (6.0, read at call
        time; 上海市燃气管道设施保护办法: safety control range of low/medium/sub-high-pressure
        mains).
    gas_high_pressure_clearance_m : float, optional
        Clearance for high-pressure gas mains (``pressure_class`` in
        :data:`HIGH_PRESSURE_CLASSES`); default ``settings.gas_high_pressure_clearance_m``
        (50.0, read at call time).

    Returns
    -------
    pandas.DataFrame
        ``permit_id, pipe_id, utility, distance_m, clearance_m`` (distance 0 when the
        footprint crosses or covers the pipe), sorted by permit and distance.
    """
    gas_clearance_m, gas_high_pressure_clearance_m = gas_clearances(
        gas_clearance_m, gas_high_pressure_clearance_m)
    _check_thresholds(clearance_m=clearance_m, gas_clearance_m=gas_clearance_m,
                      gas_high_pressure_clearance_m=gas_high_pressure_clearance_m)
    check_crs(permits, pipelines)
    require_columns(permits, ("permit_id",), "permits")
    require_columns(pipelines, ("pipe_id", "utility"), "pipelines")
    clear = _pipe_clearances(pipelines, clearance_m, gas_clearance_m,
                             gas_high_pressure_clearance_m)
    geoms = np.asarray(permits.geometry.values, dtype=object)
    pipes = np.asarray(pipelines.geometry.values, dtype=object)
    reach = float(clear.max()) if len(clear) else 0.0
    p, q = spatial_pairs(shapely.STRtree(pipes), geoms, reach)
    dist = shapely.distance(geoms[p], pipes[q]) if len(p) else np.empty(0)
    keep = dist <= clear[q]
    p, q, dist = p[keep], q[keep], dist[keep]
    out = pd.DataFrame({
        "permit_id": permits["permit_id"].astype(str).to_numpy(dtype=object)[p],
        "pipe_id": pipelines["pipe_id"].astype(str).to_numpy(dtype=object)[q],
        "utility": pipelines["utility"].astype(str).to_numpy(dtype=object)[q],
        "distance_m": dist.astype(float),
        "clearance_m": clear[q],
    }, columns=AT_RISK_COLUMNS)
    return out.sort_values(["permit_id", "distance_m", "pipe_id"]).reset_index(drop=True)


def coordination_groups(
    permits: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    roads: gpd.GeoDataFrame | None = None,
    *,
    default_width_m: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Permits linked by conflicts or repeats, as groups to plan as one joint work (同步施工).

    The groups are the connected components (:func:`networkx.connected_components`) of the
    graph whose nodes are permits and whose edges are the pairs of :func:`conflicts`. Planning
    a group as one joint work would replace its ``n`` separate digs by one, saving
    ``n - 1``; groups are ranked by that, then by their number of concurrent pairs, then by
    their start date.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits``.
    pairs : DataFrame
        The result of :func:`conflicts`.
    roads : GeoDataFrame, optional
        ``roads``, to name the roads each group digs; without it the permits' own
        ``road_id`` column is used.
    default_width_m : dict, optional
        Road width by class where ``width_m`` is missing (see :func:`roads_summary`).

    Returns
    -------
    pandas.DataFrame
        One row per group, best first: ``group_id`` (``G001`` …), ``rank``, ``permits``,
        ``digs_saved``, ``concurrent_pairs``, ``repeat_pairs``, ``start``, ``end``,
        ``span_days`` (inclusive), ``utilities``, ``applicants``, ``road_ids``,
        ``road_names`` and ``permit_ids`` (lists joined by ``,`` / ``、``).
    """
    arr = permit_arrays(permits)
    graph = nx.Graph()
    graph.add_edges_from(zip(pairs["permit_a"], pairs["permit_b"], strict=True))
    comps = [sorted(c) for c in nx.connected_components(graph)]
    cols = ["group_id", "rank", "permits", "digs_saved", "concurrent_pairs", "repeat_pairs",
            "start", "end", "span_days", "utilities", "applicants", "road_ids", "road_names",
            "permit_ids"]
    if not comps:
        return pd.DataFrame({c: [] for c in cols})
    member = pd.Series({pid: k for k, comp in enumerate(comps) for pid in comp})
    pos = pd.Series(np.arange(len(arr)), index=arr.ids)
    idx = pos.loc[member.index].to_numpy()
    df = pd.DataFrame({
        "permit_id": member.index.to_numpy(dtype=object), "g": member.to_numpy(),
        "start": arr.start[idx], "end": arr.end[idx],
        "utility": (permits["utility"].astype(str).to_numpy(dtype=object)[idx]
                    if "utility" in permits else ""),
        "applicant": (permits["applicant"].astype(str).to_numpy(dtype=object)[idx]
                      if "applicant" in permits else ""),
    })
    g = df.groupby("g")
    out = pd.DataFrame({
        "permits": g.size(),
        "start": g["start"].min(),
        "end": g["end"].max(),
        "utilities": g["utility"].agg(lambda s: ",".join(sorted(set(s) - {""}))),
        "applicants": g["applicant"].agg(lambda s: "、".join(sorted(set(s) - {""}))),
        "permit_ids": g["permit_id"].agg(lambda s: ",".join(sorted(s))),
    })
    kinds = pairs.assign(g=member.loc[pairs["permit_a"]].to_numpy())
    counts = kinds.groupby(["g", "kind"]).size().unstack(fill_value=0)
    out["concurrent_pairs"] = counts.get("concurrent", pd.Series(dtype=int)).reindex(
        out.index, fill_value=0).astype(np.int64)
    out["repeat_pairs"] = counts.get("repeat", pd.Series(dtype=int)).reindex(
        out.index, fill_value=0).astype(np.int64)
    pr = _permit_roads(permits[permits["permit_id"].astype(str).isin(member.index)], roads,
                       default_width_m or DEFAULT_ROAD_WIDTH_M)
    pr["g"] = member.loc[pr["permit_id"]].to_numpy() if len(pr) else []
    road_ids = pr.groupby("g")["road_id"].agg(lambda s: ",".join(sorted(set(s)))).to_dict()
    out["road_ids"] = [road_ids.get(k, "") for k in out.index]
    if roads is not None and "name" in roads.columns and len(pr):
        names = pd.Series(roads["name"].to_numpy(dtype=object),
                          index=roads["road_id"].astype(str).to_numpy(dtype=object))
        names = names[~names.index.duplicated()]
        pr["name"] = names.reindex(pr["road_id"]).to_numpy()
        road_names = pr.dropna(subset=["name"]).groupby("g")["name"].agg(
            lambda s: "、".join(sorted(set(s)))).to_dict()
        out["road_names"] = [road_names.get(k, "") for k in out.index]
    else:
        out["road_names"] = ""
    out["digs_saved"] = out["permits"] - 1
    out["span_days"] = (out["end"] - out["start"] + 1).astype(np.int64)
    out["start"], out["end"] = as_dates(out["start"].to_numpy()), as_dates(out["end"].to_numpy())
    out = out.sort_values(["digs_saved", "concurrent_pairs", "start", "permit_ids"],
                          ascending=[False, False, True, True]).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out["group_id"] = [f"G{k:03d}" for k in out["rank"]]
    return out[cols]


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


@dataclass
class ExcavationResult:
    """Every table of the excavation analysis (see :func:`analyze_excavation`)."""

    conflicts: pd.DataFrame
    roads_summary: pd.DataFrame
    moratorium: pd.DataFrame
    pipelines_at_risk: pd.DataFrame
    groups: pd.DataFrame
    permit_status: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    #: The permits analysed (after ``exclude_status``), and how many were left out.
    permits: gpd.GeoDataFrame | None = None
    excluded: int = 0

    def counts(self) -> dict[str, int]:
        """Headline numbers, for the CLI and JSON output."""
        c = self.conflicts
        return {
            "concurrent_pairs": int((c["kind"] == "concurrent").sum()),
            "repeat_pairs": int((c["kind"] == "repeat").sum()),
            "moratorium_breaches": len(self.moratorium),
            "permits_breaching": int(self.moratorium["permit_id"].nunique()),
            "pipelines_at_risk": len(self.pipelines_at_risk),
            "groups": len(self.groups),
            "digs_saved": int(self.groups["digs_saved"].sum()) if len(self.groups) else 0,
        }


def analyze_excavation(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    *,
    distance_m: float = 0.0,
    repeat_days: int = 365,
    new_road_years: int = 5,
    major_repair_years: int = 3,
    clearance_m: float = 1.0,
    gas_clearance_m: float | None = None,
    gas_high_pressure_clearance_m: float | None = None,
    exclude_status: Sequence[str] = EXCLUDED_STATUS,
    pairs: pd.DataFrame | None = None,
) -> ExcavationResult:
    """Run every excavation analysis (what ``yangpu-gis analyze excavation`` writes).

    The same call gives the same answer in a notebook, the CLI and the demo: they all call
    this function, which leaves out revoked permits itself.

    Parameters
    ----------
    permits, roads, pipelines : GeoDataFrame
        The registry layers ``excavation_permits``, ``roads`` and ``pipelines``.
    exclude_status : sequence of str, default :data:`EXCLUDED_STATUS`
        Permits whose ``status`` is one of these (revoked, cancelled, withdrawn: they dig
        nothing) are left out; ``()`` analyses every permit (``--include-revoked``).
    distance_m, repeat_days : see :func:`conflicts`.
    new_road_years, major_repair_years : see :func:`moratorium_breaches`.
    clearance_m, gas_clearance_m, gas_high_pressure_clearance_m : see
        :func:`pipelines_at_risk`.
    pairs : DataFrame, optional
        Conflicts computed elsewhere (e.g. :func:`.excavation_postgis.conflicts_postgis`,
        called with the same ``exclude_status``).

    Returns
    -------
    ExcavationResult
        Its ``permits`` are the permits analysed, ``excluded`` how many were left out.

    Examples
    --------
    >>> from yangpu_gis import open_registry                           # doctest: +SKIP
    >>> with open_registry("yangpu.gpkg") as reg:                       # doctest: +SKIP
    ...     res = analyze_excavation(reg.read("excavation_permits"), reg.read("roads"),
    ...                              reg.read("pipelines"))
    >>> res.counts()["concurrent_pairs"] > 0                             # doctest: +SKIP
    True
    """
    gas_clearance_m, gas_high_pressure_clearance_m = gas_clearances(
        gas_clearance_m, gas_high_pressure_clearance_m)
    params = {"distance_m": distance_m, "repeat_days": repeat_days,
              "new_road_years": new_road_years, "major_repair_years": major_repair_years,
              "clearance_m": clearance_m, "gas_clearance_m": gas_clearance_m,
              "gas_high_pressure_clearance_m": gas_high_pressure_clearance_m,
              "exclude_status": list(exclude_status)}
    analysed = active_permits(permits, exclude_status)
    excluded = len(permits) - len(analysed)
    permits = analysed
    if pairs is None:
        pairs = conflicts(permits, distance_m=distance_m, repeat_days=repeat_days)
    summary = roads_summary(permits, roads, pairs)
    breaches = moratorium_breaches(permits, roads, new_road_years=new_road_years,
                                   major_repair_years=major_repair_years)
    at_risk = pipelines_at_risk(permits, pipelines, clearance_m=clearance_m,
                                gas_clearance_m=gas_clearance_m,
                                gas_high_pressure_clearance_m=gas_high_pressure_clearance_m)
    groups = coordination_groups(permits, pairs, roads)
    status = permit_status(permits, pairs, breaches, groups)
    return ExcavationResult(pairs, summary, breaches, at_risk, groups, status, params,
                            permits, excluded)


#: Names this module re-exports from :mod:`.excavation_check`, which builds on this module's
#: rules: resolved on first access (PEP 562), so neither module imports the other while it
#: is being initialised, whichever of the two is imported first.
_FROM_CHECK = ("check_permit", "trench_along")


def __getattr__(name: str):
    if name in _FROM_CHECK:
        from . import excavation_check

        return getattr(excavation_check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_CHECK})

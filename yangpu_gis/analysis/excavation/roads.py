"""Digs per road per year (:func:`roads_summary`): repeats, concurrent pairs, metres dug."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .conflict_search import conflicts
from .defaults import DEFAULT_ROAD_WIDTH_M, EXCAVATION_DEFAULTS
from .inputs import as_dates, metric_crs, permit_arrays
from .joins import permit_roads

__all__ = ['ROADS_SUMMARY_COLUMNS', 'roads_summary']

#: Columns of a roads summary, in order.
ROADS_SUMMARY_COLUMNS = ["road_id", "name", "road_class", "year", "digs", "repeats",
                         "concurrent", "metres_dug", "utilities"]


def roads_summary(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pairs: pd.DataFrame | None = None,
    *,
    distance_m: float = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: int = EXCAVATION_DEFAULTS.repeat_days,
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
    repeat_days : int, default ``EXCAVATION_DEFAULTS.repeat_days`` (one year)
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
    metric_crs(permits, roads)
    arr = permit_arrays(permits)
    if pairs is None:
        pairs = conflicts(permits, distance_m=distance_m, repeat_days=repeat_days)
    pr = permit_roads(permits, roads, default_width_m or DEFAULT_ROAD_WIDTH_M)
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
    return out[ROADS_SUMMARY_COLUMNS].sort_values(["road_id", "year"]).reset_index(drop=True)

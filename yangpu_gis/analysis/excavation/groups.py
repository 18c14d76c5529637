"""Coordination groups (同步施工): permits linked by conflicts, to plan as one joint work."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .defaults import DEFAULT_ROAD_WIDTH_M
from .inputs import as_dates, permit_arrays
from .joins import permit_roads

__all__ = ['GROUP_COLUMNS', 'coordination_groups']

#: Columns of a groups table, in order.
GROUP_COLUMNS = ["group_id", "rank", "permits", "digs_saved", "concurrent_pairs",
                 "repeat_pairs", "start", "end", "span_days", "utilities", "applicants",
                 "road_ids", "road_names", "permit_ids"]


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
    if not comps:
        return pd.DataFrame({c: [] for c in GROUP_COLUMNS})
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
    pr = permit_roads(permits[permits["permit_id"].astype(str).isin(member.index)], roads,
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
    return out[GROUP_COLUMNS]

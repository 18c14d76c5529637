"""美丽街区 along streets: the share of street length inside or near a beautiful block."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..inputs import metric, require_columns
from .defaults import COVERAGE_DEFAULTS, RANKED_CLASSES, STREET_CLASSES
from .general import service_coverage
from .report import PresetReport
from .totals import choropleth_zones, line_stretches, target_table, zone_tables

__all__ = ["beautiful_streets"]


def _subdistrict_totals(subdistricts: gpd.GeoDataFrame, by_class: pd.DataFrame) -> pd.DataFrame:
    """Street totals per subdistrict (all classes) from ``by_subdistrict`` of the report."""
    sums = by_class.groupby("subdistrict_id")[["n_targets", "total", "covered"]].sum()
    out = pd.DataFrame({"subdistrict_id": subdistricts["subdistrict_id"].to_numpy(object)})
    if "name" in subdistricts.columns:
        out["name"] = subdistricts["name"].to_numpy(object)
    sums = sums.reindex(out["subdistrict_id"])
    out["n_streets"] = sums["n_targets"].fillna(0).astype(np.int64).to_numpy()
    out["street_m"] = sums["total"].fillna(0.0).to_numpy()
    out["covered_m"] = sums["covered"].fillna(0.0).to_numpy()
    out["uncovered_m"] = out["street_m"] - out["covered_m"]
    out["covered_share"] = out["covered_m"] / out["street_m"].where(out["street_m"] > 0)
    return out


def beautiful_streets(
    roads: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    buffer_m: float = COVERAGE_DEFAULTS.beautiful_buffer_m,
    road_classes: Sequence[str] = STREET_CLASSES,
    ranked_classes: Sequence[str] = RANKED_CLASSES,
    top_n: int = 20,
) -> PresetReport:
    """美丽街区 along streets: the share of street length within or near a beautiful block.

    A street is covered where it lies inside a ``beautiful_blocks`` polygon or within
    ``buffer_m`` of one (straight line, by definition of the programme's reach).

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    blocks : GeoDataFrame
        The ``beautiful_blocks`` layer.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Zones for the totals (lengths split exactly at their boundaries).
    buffer_m : float, keyword-only
        Reach of a block beyond its polygon, metres (default 20 m, issue 6).
    road_classes : sequence of str, keyword-only
        Street classes counted (default all but compound-internal roads).
    ranked_classes : sequence of str, keyword-only
        Classes whose longest uncovered stretches are ranked (arterial, secondary).
    top_n : int, keyword-only
        Stretches kept in the ranking.

    Returns
    -------
    PresetReport
        Tables ``by_subdistrict`` (subdistrict × road class), ``subdistrict_totals`` (one
        row per subdistrict, every class together: ``subdistrict_id``, ``name``,
        ``n_streets``, ``street_m``, ``covered_m``, ``uncovered_m``, ``covered_share``;
        a subdistrict without streets has 0 m and an empty share), ``by_class``
        (district), ``by_grid_cell``, ``streets`` (per road), ``uncovered_stretches``
        (ranked). The two subdistrict tables need ``subdistricts``.

    Examples
    --------
    >>> r = beautiful_streets(roads, blocks, subdistricts=subs)           # doctest: +SKIP
    >>> r.tables["subdistrict_totals"].sort_values("covered_share")      # doctest: +SKIP
    """
    roads = metric(roads, "roads")
    require_columns(roads, ["road_class"], "roads")
    streets = (
        roads[roads["road_class"].isin(list(road_classes))] if "road_class" in roads else roads
    )
    result = service_coverage(
        streets,
        blocks,
        service_m=buffer_m,
        distance="euclidean",
        target_id="road_id" if "road_id" in streets else None,
        provider_id="block_id" if "block_id" in blocks else None,
    )
    tables = zone_tables(result, subdistricts, grid_cells, by=["road_class"])
    t = result.targets
    by_class = t.groupby("road_class", as_index=False).agg(
        n_roads=("target_id", "size"),
        length_m=("length_m", "sum"),
        covered_m=("covered_length_m", "sum"),
    )
    by_class["uncovered_m"] = by_class["length_m"] - by_class["covered_m"]
    by_class["covered_share"] = by_class["covered_m"] / by_class["length_m"]
    order = {c: i for i, c in enumerate(STREET_CLASSES)}
    by_class = by_class.sort_values("road_class", key=lambda c: c.map(order).fillna(99))
    tables["by_class"] = by_class.reset_index(drop=True)
    tables["streets"] = target_table(result, ["name", "road_class"])
    ranked_rows = t["road_class"].isin(list(ranked_classes)).to_numpy()
    unc = result.uncovered_parts
    unc_ranked = unc[ranked_rows[unc["target_row"].to_numpy()]] if len(unc) else unc
    stretches = line_stretches(unc_ranked, t, by=("name", "road_class")).head(top_n)
    tables["uncovered_stretches"] = pd.DataFrame(stretches.drop(columns="geometry"))
    layers = {
        "beautiful_blocks": result.providers,
        "covered_streets": result.covered_parts,
        "uncovered_streets": result.uncovered_parts,
        "uncovered_stretches": stretches,
    }
    if "by_subdistrict" in tables:
        tot = (
            tables["by_subdistrict"]
            .groupby("subdistrict_id", as_index=False)[["total", "covered"]]
            .sum()
        )
        tot["covered_share"] = tot["covered"] / tot["total"]
        tables["subdistrict_totals"] = _subdistrict_totals(subdistricts, tables["by_subdistrict"])
        z = choropleth_zones(
            subdistricts,
            tot,
            "subdistrict_id",
            {"covered_share": "covered_share", "street_m": "total"},
        )
        if z is not None:
            layers["subdistricts"] = z
    total = float(t["length_m"].sum())
    cov = float(t["covered_length_m"].sum())
    summary = {
        "preset": "beautiful-streets",
        "buffer_m": buffer_m,
        "streets": int(len(t)),
        "blocks": int(len(blocks)),
        "street_length_m": round(total, 1),
        "covered_length_m": round(cov, 1),
        "covered_share": round(cov / total, 4) if total else None,
        "by_class": {
            r.road_class: round(float(r.covered_share), 4)
            for r in by_class.itertuples()
            if r.length_m > 0
        },
        "longest_uncovered": [
            {
                "rank": int(r["rank"]),
                "name": r.get("name"),
                "road_class": r.get("road_class"),
                "length_m": round(float(r["length_m"]), 1),
            }
            for _, r in tables["uncovered_stretches"].head(5).iterrows()
        ],
    }
    return PresetReport(
        "beautiful-streets", "美丽街区沿街覆盖", tables, layers, summary, result, list(result.notes)
    )

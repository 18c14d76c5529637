"""Totals per zone (subdistrict, grid cell), continuous stretches of line parts, and the
per-target and per-zone tables the reports share."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs import require_columns
from .general import ServiceCoverage
from .parts import explode_parts, group_parts, measure_of

__all__ = ["choropleth_zones", "line_stretches", "target_table", "zone_tables", "zone_totals"]


def zone_totals(
    result: ServiceCoverage,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Covered and total length/area/count of the targets per zone (subdistrict, grid cell).

    Lines and polygons, and their covered parts, are cut exactly at zone boundaries
    (:func:`shapely.intersection`); points count in every zone that contains them.

    Parameters
    ----------
    result : ServiceCoverage
    zones : GeoDataFrame
        Polygons with ``zone_id`` (and optionally ``name``).
    zone_id : str, keyword-only
        Id column of ``zones``; named so in the output.
    by : sequence of str, keyword-only
        Target columns to break the totals down by (e.g. ``["road_class"]``).

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``name`` (when zones have it), ``*by``, ``measure``
        (``length_m``/``area_m2``/``count``), ``n_targets``, ``total``, ``covered``,
        ``uncovered``, ``covered_share``; one row per zone, group and measure with targets.
    """
    t = result.targets
    zones = zones.to_crs(t.crs) if zones.crs != t.crs else zones
    zg = zones.geometry.to_numpy()
    require_columns(zones, [zone_id], "zones")
    zid = zones[zone_id].to_numpy(object)
    tree = shapely.STRtree(zg)
    by = list(by)
    frames = []
    kinds = t["kind"].to_numpy(object)
    for kind, measure, dim in (
        ("line", "length_m", 1),
        ("polygon", "area_m2", 2),
        ("point", "count", 0),
    ):
        rows = np.flatnonzero(kinds == kind)
        if not len(rows):
            continue
        geoms = t.geometry.to_numpy()[rows]
        i, j = tree.query(geoms, predicate="intersects")
        if dim == 0:
            tot = np.ones(len(i))
            cov = t["covered"].to_numpy(bool)[rows][i].astype(float)
        else:
            tot = measure_of(shapely.intersection(geoms[i], zg[j]), dim)
            parts = result.covered_parts
            pk = parts["target_row"].isin(rows).to_numpy()
            pg = parts.geometry.to_numpy()[pk]
            pr = parts["target_row"].to_numpy()[pk]
            pi, pj = tree.query(pg, predicate="intersects") if len(pg) else (np.empty(0, int),) * 2
            cm = measure_of(shapely.intersection(pg[pi], zg[pj]), dim) if len(pi) else np.empty(0)
            cov_frame = (
                pd.DataFrame({"row": pr[pi], "z": pj, "c": cm})
                .groupby(["row", "z"], as_index=False)["c"]
                .sum()
            )
            base = pd.DataFrame({"row": rows[i], "z": j})
            cov = base.merge(cov_frame, on=["row", "z"], how="left")["c"].fillna(0.0).to_numpy()
        f = pd.DataFrame({"row": rows[i], "z": j, "total": tot, "covered": cov})
        f = f[f["total"] > 0]
        for c in by:
            f[c] = t[c].to_numpy(object)[f["row"].to_numpy()] if c in t.columns else None
        g = f.groupby(["z", *by], dropna=False, as_index=False).agg(
            n_targets=("row", "nunique"), total=("total", "sum"), covered=("covered", "sum")
        )
        g["measure"] = measure
        frames.append(g)
    cols = [
        zone_id,
        *(["name"] if "name" in zones.columns else []),
        *by,
        "measure",
        "n_targets",
        "total",
        "covered",
        "uncovered",
        "covered_share",
    ]
    if not frames:
        return pd.DataFrame(columns=cols)
    g = pd.concat(frames, ignore_index=True)
    g["covered"] = np.minimum(g["covered"], g["total"])
    g["uncovered"] = g["total"] - g["covered"]
    g["covered_share"] = g["covered"] / g["total"]
    g[zone_id] = zid[g["z"].to_numpy()]
    if "name" in zones.columns:
        g["name"] = zones["name"].to_numpy(object)[g["z"].to_numpy()]
    g = g.sort_values(["z", *by, "measure"], kind="stable")
    return g[cols].reset_index(drop=True)


def line_stretches(
    parts: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    by: Sequence[str] = ("name", "road_class"),
    min_length_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Join line parts of targets with the same ``by`` values into continuous stretches.

    A road is usually stored as many segments; an uncovered stretch of 政通路 may span
    several. Parts are grouped by the targets' ``by`` columns, merged where they meet
    (:func:`shapely.line_merge`) and ranked by length.

    Parameters
    ----------
    parts : GeoDataFrame
        ``covered_parts`` or ``uncovered_parts`` of a :class:`ServiceCoverage`.
    targets : GeoDataFrame
        ``ServiceCoverage.targets`` (for the ``by`` columns).
    by : sequence of str, keyword-only
        Columns that must agree for parts to join (those missing are ignored).
    min_length_m : float, keyword-only
        Shorter stretches are left out.

    Returns
    -------
    GeoDataFrame
        ``rank``, ``*by``, ``length_m``, ``target_ids`` (``;``-joined), line geometry.
    """
    by = [c for c in by if c in targets.columns]
    lines = parts[parts.geom_type.isin(["LineString", "MultiLineString"])]
    cols = ["rank", *by, "length_m", "target_ids"]
    if not len(lines):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=parts.crs)
    rows = lines["target_row"].to_numpy()
    key = (
        pd.DataFrame({c: targets[c].to_numpy(object)[rows] for c in by})
        .astype(str)
        .agg("\x1f".join, axis=1)
        if by
        else pd.Series([""] * len(rows))
    )
    codes, uniq = pd.factorize(key)
    merged = shapely.line_merge(group_parts(lines.geometry.to_numpy(), codes, len(uniq), "line"))
    pieces, g = explode_parts(merged, 1)
    # which targets each stretch runs along
    tree = shapely.STRtree(lines.geometry.to_numpy())
    pi, lj = tree.query(pieces, predicate="intersects")
    same = codes[lj] == g[pi]
    ids = lines["target_id"].to_numpy(object)
    tid = pd.DataFrame({"p": pi[same], "t": ids[lj[same]]}).drop_duplicates()
    tid_s = tid.groupby("p")["t"].agg(lambda x: ";".join(map(str, x)))
    first_row = pd.Series(rows).groupby(codes).first().to_numpy()
    out = gpd.GeoDataFrame(
        {c: targets[c].to_numpy(object)[first_row[g]] for c in by},
        geometry=gpd.GeoSeries(pieces, crs=parts.crs),
        crs=parts.crs,
    )
    out["length_m"] = shapely.length(pieces)
    out["target_ids"] = tid_s.reindex(np.arange(len(pieces))).to_numpy()
    out = out[out["length_m"] >= min_length_m]
    out = out.sort_values("length_m", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[[*cols, "geometry"]]


def zone_tables(
    result: ServiceCoverage, subdistricts, grid_cells, by=()
) -> dict[str, pd.DataFrame]:
    """``by_subdistrict`` and ``by_grid_cell`` :func:`zone_totals` for the zones given."""
    out = {}
    if subdistricts is not None and len(subdistricts):
        out["by_subdistrict"] = zone_totals(result, subdistricts, zone_id="subdistrict_id", by=by)
    if grid_cells is not None and len(grid_cells):
        out["by_grid_cell"] = zone_totals(result, grid_cells, zone_id="grid_id", by=by)
    return out


def target_table(result: ServiceCoverage, keep: Sequence[str]) -> pd.DataFrame:
    """One row per target: its id, the ``keep`` columns present and the coverage columns."""
    t = result.targets
    cols = [c for c in keep if c in t.columns] + [
        "kind",
        "length_m",
        "covered_length_m",
        "area_m2",
        "covered_area_m2",
        "covered_share",
        "covered",
        "reached",
        "status",
        "nearest_provider_id",
        "nearest_distance_m",
    ]
    return pd.DataFrame(t[["target_id", *cols]])


def choropleth_zones(
    zones: gpd.GeoDataFrame | None, table: pd.DataFrame | None, zone_id: str, values: dict[str, str]
) -> gpd.GeoDataFrame | None:
    """The zones with columns of ``table`` for a choropleth (``values``: new name -> column)."""
    if zones is None or table is None or not len(zones):
        return None
    z = zones[[zone_id, *(["name"] if "name" in zones.columns else []), "geometry"]].copy()
    t = table.set_index(zone_id)
    for new, col in values.items():
        z[new] = t[col].reindex(z[zone_id]).to_numpy() if col in t.columns else np.nan
    return z

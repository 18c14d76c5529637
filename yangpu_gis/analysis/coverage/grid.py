"""Grid completeness: gaps between grid cells, overlapping cells, cells beyond the district,
and roads no single subdistrict clearly owns (三不管)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..inputs import metric, require_columns
from .defaults import COVERAGE_DEFAULTS, INTERNAL_CLASS
from .parts import ids_of, polygonal
from .report import PresetReport

__all__ = ["grid_completeness", "road_subdistricts"]


def road_subdistricts(
    roads: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    *,
    min_part_m: float = COVERAGE_DEFAULTS.min_part_m,
    include_internal: bool = False,
) -> gpd.GeoDataFrame:
    """Roads that lie in no subdistrict, partly outside all, or straddle several (三不管).

    Lengths are split exactly at subdistrict boundaries. A centre line that runs along a
    boundary lies in both subdistricts; that length is reported as ``on_boundary_m``.
    Compound-internal roads (``road_class`` ``internal``, 小区内部道路) are left out by
    default: the compound's property manager looks after them whichever subdistrict they
    cross, so they are not 三不管 streets.

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    subdistricts : GeoDataFrame
        The ``subdistricts`` layer.
    min_part_m : float, keyword-only
        A road counts as in a subdistrict (or outside all) when at least this many metres
        of it are; shorter parts are a road end drawn across a line.
    include_internal : bool, keyword-only, default False
        Check compound-internal roads (``road_class == "internal"``) as well.

    Returns
    -------
    GeoDataFrame
        One row per road with an issue: ``road_id``, ``name``, ``road_class``,
        ``maintainer`` (when present), ``length_m``, ``n_subdistricts``,
        ``subdistrict_ids`` and ``subdistrict_lengths_m`` (``;``-joined), ``outside_m``,
        ``on_boundary_m``, ``no_subdistrict``, ``partly_outside``, ``straddles``,
        ``on_boundary`` (bool), ``issue`` (the first of them), geometry.
    """
    roads = metric(roads, "roads")
    if not include_internal and "road_class" in roads.columns:
        roads = roads[roads["road_class"].astype(str) != INTERNAL_CLASS]
    require_columns(subdistricts, ["subdistrict_id"], "subdistricts")
    subdistricts = subdistricts.to_crs(roads.crs)
    rg = roads.geometry.to_numpy()
    sg = subdistricts.geometry.to_numpy()
    sid = subdistricts["subdistrict_id"].to_numpy(object)
    n = len(rg)
    length = shapely.length(rg)
    i, j = shapely.STRtree(sg).query(rg, predicate="intersects")
    part = shapely.length(shapely.intersection(rg[i], sg[j]))
    f = pd.DataFrame({"r": i, "s": sid[j], "m": part})
    f = f[f["m"] > 0].sort_values(["r", "m"], ascending=[True, False], kind="stable")
    big = f[f["m"] >= min_part_m]
    n_sub = np.bincount(big["r"].to_numpy(), minlength=n)
    ids = big.groupby("r")["s"].agg(lambda x: ";".join(map(str, x)))
    lens = big.groupby("r")["m"].agg(lambda x: ";".join(f"{v:.1f}" for v in x))
    union = shapely.union_all(sg) if len(sg) else shapely.Polygon()
    inside = shapely.length(shapely.intersection(rg, union))
    outside = np.maximum(length - inside, 0.0)
    summed = np.bincount(f["r"].to_numpy(), weights=f["m"].to_numpy(), minlength=n)
    boundary = np.maximum(summed - inside, 0.0)
    out = gpd.GeoDataFrame(
        {
            c: roads[c].to_numpy(object)
            for c in ("road_id", "name", "road_class", "maintainer")
            if c in roads.columns
        },
        geometry=rg,
        crs=roads.crs,
    )
    out["length_m"] = length
    out["n_subdistricts"] = n_sub
    out["subdistrict_ids"] = ids.reindex(np.arange(n)).to_numpy()
    out["subdistrict_lengths_m"] = lens.reindex(np.arange(n)).to_numpy()
    out["outside_m"] = outside
    out["on_boundary_m"] = boundary
    out["no_subdistrict"] = inside < min_part_m
    out["partly_outside"] = (outside >= min_part_m) & ~out["no_subdistrict"]
    out["straddles"] = n_sub >= 2
    out["on_boundary"] = boundary >= min_part_m
    flags = ["no_subdistrict", "partly_outside", "straddles", "on_boundary"]
    issue = np.full(n, None, dtype=object)
    for fl in reversed(flags):
        issue = np.where(out[fl].to_numpy(), fl, issue)
    out["issue"] = issue
    out = out[out[flags].any(axis=1)]
    cols = [c for c in out.columns if c != "geometry"] + ["geometry"]
    return out[cols].reset_index(drop=True)


def grid_completeness(
    grid_cells: gpd.GeoDataFrame,
    *,
    district: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    min_area_m2: float = COVERAGE_DEFAULTS.min_area_m2,
    min_part_m: float = COVERAGE_DEFAULTS.min_part_m,
    include_internal: bool = False,
) -> PresetReport:
    """Grid completeness: gaps between grid cells, overlapping cells, 三不管 roads.

    Parameters
    ----------
    grid_cells : GeoDataFrame
        The ``grid_cells`` layer.
    district : GeoDataFrame, optional, keyword-only
        The district outline (``districts`` layer); default the union of ``subdistricts``.
    subdistricts : GeoDataFrame, optional, keyword-only
        The ``subdistricts`` layer: gaps are attributed to them, and roads are checked
        against them.
    roads : GeoDataFrame, optional, keyword-only
        The ``roads`` layer, for :func:`road_subdistricts`.
    min_area_m2 : float, keyword-only
        Gaps, overlaps and parts outside the district smaller than this are ignored.
    min_part_m : float, keyword-only
        See :func:`road_subdistricts`.
    include_internal : bool, keyword-only, default False
        Check compound-internal roads too (see :func:`road_subdistricts`).

    Returns
    -------
    PresetReport
        Layers and tables ``gaps`` (part of the district in no grid cell: ``gap_id``,
        ``area_m2``, ``subdistrict_id`` holding most of it), ``overlaps`` (``grid_id_a``,
        ``grid_id_b``, their subdistricts, ``area_m2``), ``outside`` (grid cell parts
        beyond the district), ``roads`` (三不管 roads), ``by_subdistrict``.

    Raises
    ------
    ValidationError
        If neither ``district`` nor ``subdistricts`` is given.
    """
    grid = metric(grid_cells, "grid_cells")
    crs = grid.crs
    if district is not None and len(district):
        area = shapely.union_all(district.to_crs(crs).geometry.to_numpy())
    elif subdistricts is not None and len(subdistricts):
        area = shapely.union_all(subdistricts.to_crs(crs).geometry.to_numpy())
    else:
        raise ValidationError(
            "grid completeness needs the district outline or subdistricts",
            hint="load the districts or subdistricts layer",
        )
    subs = subdistricts.to_crs(crs) if subdistricts is not None and len(subdistricts) else None
    if subs is not None:
        require_columns(subs, ["subdistrict_id"], "subdistricts")
    cg = grid.geometry.to_numpy()
    gid = grid["grid_id"].to_numpy(object) if "grid_id" in grid else ids_of(grid, None)
    gsub = (
        grid["subdistrict_id"].to_numpy(object)
        if "subdistrict_id" in grid
        else np.full(len(grid), None, dtype=object)
    )
    cover = shapely.union_all(cg) if len(cg) else shapely.Polygon()

    def _pieces(geom) -> np.ndarray:
        p = shapely.get_parts(geom)
        p = p[shapely.get_dimensions(p) == 2] if len(p) else p
        return p[shapely.area(p) >= min_area_m2] if len(p) else p

    gaps = _pieces(shapely.difference(area, cover))
    gap_sub = np.full(len(gaps), None, dtype=object)
    if subs is not None and len(gaps):
        i, j = shapely.STRtree(subs.geometry.to_numpy()).query(gaps, predicate="intersects")
        a = shapely.area(shapely.intersection(gaps[i], subs.geometry.to_numpy()[j]))
        f = pd.DataFrame({"i": i, "s": subs["subdistrict_id"].to_numpy(object)[j], "a": a})
        f = f.sort_values(["i", "a"], ascending=[True, False]).drop_duplicates("i")
        gap_sub[f["i"].to_numpy()] = f["s"].to_numpy()
    gaps_gdf = gpd.GeoDataFrame(
        {
            "gap_id": [f"GAP{k + 1:04d}" for k in range(len(gaps))],
            "area_m2": shapely.area(gaps),
            "subdistrict_id": gap_sub,
        },
        geometry=gpd.GeoSeries(gaps, crs=crs),
        crs=crs,
    )
    gaps_gdf = gaps_gdf.sort_values("area_m2", ascending=False, kind="stable").reset_index(
        drop=True
    )

    i, j = shapely.STRtree(cg).query(cg, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(cg[i], cg[j])
    ov = inter
    a = shapely.area(ov)
    big = a >= min_area_m2
    overlaps = gpd.GeoDataFrame(
        {
            "grid_id_a": gid[i[big]],
            "grid_id_b": gid[j[big]],
            "subdistrict_a": gsub[i[big]],
            "subdistrict_b": gsub[j[big]],
            "area_m2": a[big],
        },
        geometry=gpd.GeoSeries(polygonal(ov[big]), crs=crs),
        crs=crs,
    )
    overlaps = overlaps.sort_values("area_m2", ascending=False, kind="stable").reset_index(
        drop=True
    )

    oi = np.flatnonzero(~shapely.covered_by(cg, area)) if len(cg) else np.empty(0, int)
    outside_geom = shapely.difference(cg[oi], area) if len(oi) else np.empty(0, dtype=object)
    oa = shapely.area(outside_geom) if len(oi) else np.empty(0)
    ok = oa >= min_area_m2
    outside = gpd.GeoDataFrame(
        {"grid_id": gid[oi[ok]], "subdistrict_id": gsub[oi[ok]], "area_m2": oa[ok]},
        geometry=gpd.GeoSeries(polygonal(outside_geom[ok]), crs=crs),
        crs=crs,
    )
    tables: dict[str, pd.DataFrame] = {
        "gaps": pd.DataFrame(gaps_gdf.drop(columns="geometry")),
        "overlaps": pd.DataFrame(overlaps.drop(columns="geometry")),
        "outside": pd.DataFrame(outside.drop(columns="geometry")),
    }
    layers: dict[str, gpd.GeoDataFrame] = {
        "grid_cells": grid,
        "gaps": gaps_gdf,
        "overlaps": overlaps,
        "outside": outside,
    }
    bad_roads = None
    if roads is not None and subs is not None and len(roads):
        bad_roads = road_subdistricts(
            roads, subs, min_part_m=min_part_m, include_internal=include_internal
        )
        tables["roads"] = pd.DataFrame(bad_roads.drop(columns="geometry"))
        layers["roads"] = bad_roads
    if subs is not None:
        per = pd.DataFrame({"subdistrict_id": subs["subdistrict_id"].to_numpy(object)})
        if "name" in subs:
            per["name"] = subs["name"].to_numpy(object)
        per["grid_cells"] = (
            per["subdistrict_id"].map(pd.Series(gsub).value_counts()).fillna(0).astype(int)
        )
        per["gap_m2"] = (
            per["subdistrict_id"]
            .map(gaps_gdf.groupby("subdistrict_id")["area_m2"].sum())
            .fillna(0.0)
        )
        # an overlap counts once in each subdistrict it involves
        ov_a = overlaps[["subdistrict_a", "area_m2"]].rename(columns={"subdistrict_a": "s"})
        ov_b = overlaps.loc[
            overlaps["subdistrict_b"] != overlaps["subdistrict_a"], ["subdistrict_b", "area_m2"]
        ].rename(columns={"subdistrict_b": "s"})
        per["overlap_m2"] = (
            per["subdistrict_id"]
            .map(pd.concat([ov_a, ov_b]).groupby("s")["area_m2"].sum())
            .fillna(0.0)
        )
        if bad_roads is not None:
            exploded = bad_roads.assign(s=bad_roads["subdistrict_ids"].str.split(";")).explode("s")
            per["sanbuguan_roads"] = (
                per["subdistrict_id"]
                .map(exploded.groupby("s")["road_id"].nunique())
                .fillna(0)
                .astype(int)
            )
        tables["by_subdistrict"] = per
    summary = {
        "preset": "grid-completeness",
        "grid_cells": int(len(grid)),
        "district_area_m2": round(float(area.area), 1),
        "gaps": int(len(gaps_gdf)),
        "gap_area_m2": round(float(gaps_gdf["area_m2"].sum()), 1),
        "overlaps": int(len(overlaps)),
        "overlap_area_m2": round(float(overlaps["area_m2"].sum()), 1),
        "outside_parts": int(len(outside)),
        "outside_area_m2": round(float(outside["area_m2"].sum()), 1),
    }
    if bad_roads is not None:
        for fl in ("no_subdistrict", "partly_outside", "straddles", "on_boundary"):
            summary[f"roads_{fl}"] = int(bad_roads[fl].sum())
    return PresetReport("grid-completeness", "网格全覆盖检查", tables, layers, summary, None, [])

"""Locate and route cases: subdistrict, grid cell and department, or manual dispatch.

Subdistrict and grid cell by point-in-polygon, department by the category table
(:mod:`.categories`); cases outside every grid cell, within ``boundary_tolerance_m`` of a
subdistrict border, on an edge shared by two cells, of an unknown category, or placed on a
road only (``location_precision = road``) go to manual dispatch.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..inputs import metric, require_columns
from .categories import DEFAULT_CATEGORY_TABLE, CategoryTable
from .common import align, first_container
from .defaults import COMPLAINTS_DEFAULTS

__all__ = ["locate", "route_cases"]


def locate(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Subdistrict and grid cell of each point by point-in-polygon.

    A point on an edge shared by two polygons lies in both; it gets the first of them (in
    the polygons' order) and a count of 2 (:func:`route_cases` sends it to manual
    dispatch).

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Points, same CRS as the polygons.
    subdistricts : GeoDataFrame, optional, keyword-only
        ``subdistrict_id``, polygons.
    grid_cells : GeoDataFrame, optional, keyword-only
        ``grid_id, subdistrict_id``, polygons. Without ``subdistricts``, a point's
        subdistrict is its grid cell's.

    Returns
    -------
    DataFrame
        ``subdistrict_id, grid_id, n_subdistricts, n_grids``, aligned to ``points``.
    """
    geoms = points.geometry.to_numpy() if hasattr(points, "geometry") else points.to_numpy()
    crs = points.crs
    subs = align(subdistricts, crs)
    grid = align(grid_cells, crs)
    if subs is not None:
        require_columns(subs, ["subdistrict_id"], "subdistricts")
    if grid is not None:
        require_columns(grid, ["grid_id"], "grid cells")
    sub_id, n_sub = first_container(geoms, subs, "subdistrict_id")
    grid_id, n_grid = first_container(geoms, grid, "grid_id")
    if subs is None and grid is not None and "subdistrict_id" in grid.columns:
        lookup = dict(zip(grid["grid_id"].astype(str), grid["subdistrict_id"].astype(str),
                          strict=True))
        sub_id = np.array([lookup.get(g) if g is not None else None for g in grid_id],
                          dtype=object)
        n_sub = (sub_id != None).astype(np.int64)  # noqa: E711 - elementwise
    return pd.DataFrame({
        "subdistrict_id": pd.array(sub_id, dtype="string"),
        "grid_id": pd.array(grid_id, dtype="string"),
        "n_subdistricts": n_sub,
        "n_grids": n_grid,
    }, index=points.index)


def route_cases(
    cases: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None,
    grid_cells: gpd.GeoDataFrame | None,
    categories: CategoryTable | None = None,
    boundary_tolerance_m: float = COMPLAINTS_DEFAULTS.boundary_tolerance_m,
) -> pd.DataFrame:
    """Send each case to its subdistrict, grid cell and department, or to manual dispatch.

    Parameters
    ----------
    cases : GeoDataFrame
        From :func:`merge_duplicates` (``case_id, category``, points in metres).
    subdistricts : GeoDataFrame or None, keyword-only
        ``subdistrict_id, name``, polygons.
    grid_cells : GeoDataFrame or None, keyword-only
        ``grid_id``, polygons.
    categories : CategoryTable, optional, keyword-only
        Category → department (default
        :data:`~yangpu_gis.analysis.complaints.categories.DEFAULT_CATEGORY_TABLE`).
    boundary_tolerance_m : float, keyword-only
        Cases within this many metres of a subdistrict border (including the district's
        outer edge, where a neighbouring district may be responsible) are dispatched by hand;
        0 disables the check. Default 15 m (half a two-lane road).

    Returns
    -------
    DataFrame
        One row per case: ``case_id, category, department, subdistrict_id,
        subdistrict_name, grid_id, n_orders, first_received_at, border_distance_m, dispatch``
        (``auto`` or ``manual``) and ``reason`` (``;``-joined: ``no_location,
        outside_subdistrict, outside_grid, several_grids, boundary, unknown_category,
        road_precision``).

    Examples
    --------
    >>> routing = route_cases(merged.cases, subdistricts=subs, grid_cells=grid)  # doctest: +SKIP
    >>> routing[routing["dispatch"] == "manual"]["reason"].value_counts()         # doctest: +SKIP
    """
    require_columns(cases, ["case_id", "category"], "cases")
    if boundary_tolerance_m < 0:
        raise ValidationError("boundary_tolerance_m must be ≥ 0")
    table = categories or DEFAULT_CATEGORY_TABLE
    cases = metric(cases, "cases") if len(cases) else cases
    loc = locate(cases, subdistricts=subdistricts, grid_cells=grid_cells)
    n = len(cases)
    geoms = cases.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    border = np.full(n, np.nan)
    subs = align(subdistricts, cases.crs)
    if subs is not None and len(subs) and n:
        lines = shapely.boundary(subs.geometry.to_numpy())
        tree = shapely.STRtree(lines)
        (pi, _), dist = tree.query_nearest(np.where(missing, None, geoms), return_distance=True,
                                           all_matches=False)
        border[pi] = dist
    dept = [table.department(str(c)) for c in cases["category"]]
    names = {}
    if subs is not None and len(subs) and "name" in subs.columns:
        names = dict(zip(subs["subdistrict_id"].astype(str), subs["name"], strict=True))
    precision = (cases["location_precision"].astype(str).to_numpy()
                 if "location_precision" in cases.columns else np.full(n, "point"))
    reasons: list[str] = []
    for i in range(n):
        r = []
        if missing[i]:
            r.append("no_location")
        else:
            if subs is not None and loc["n_subdistricts"].iat[i] == 0:
                r.append("outside_subdistrict")
            if grid_cells is not None and loc["n_grids"].iat[i] == 0:
                r.append("outside_grid")
            if loc["n_grids"].iat[i] > 1:
                r.append("several_grids")
            if boundary_tolerance_m > 0 and border[i] <= boundary_tolerance_m:
                r.append("boundary")
        if dept[i] is None:
            r.append("unknown_category")
        if precision[i] == "road":
            r.append("road_precision")
        reasons.append(";".join(r))
    sub_ids = loc["subdistrict_id"]
    out = pd.DataFrame({
        "case_id": cases["case_id"].to_numpy(),
        "category": cases["category"].to_numpy(),
        "department": pd.array(dept, dtype="string"),
        "subdistrict_id": sub_ids.to_numpy(),
        "subdistrict_name": pd.array([names.get(s) if isinstance(s, str) else None
                                      for s in sub_ids], dtype="string"),
        "grid_id": loc["grid_id"].to_numpy(),
        "n_orders": (cases["n_orders"].to_numpy() if "n_orders" in cases.columns
                     else np.ones(n, dtype=np.int64)),
        "first_received_at": (cases["first_received_at"].to_numpy()
                              if "first_received_at" in cases.columns else pd.NaT),
        "border_distance_m": np.round(border, 2),
        "dispatch": np.where([bool(r) for r in reasons], "manual", "auto") if n else [],
        "reason": reasons,
    })
    if "first_received_at" in cases.columns:
        out["first_received_at"] = cases["first_received_at"].to_numpy()
    return out

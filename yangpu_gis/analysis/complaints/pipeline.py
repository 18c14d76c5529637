"""The whole complaints pipeline: merge, route, hot spots, recurrence, density, trends.

:func:`analyze_complaints` runs every step on the registry's layers (or any frames in a
metric CRS) and returns a :class:`~.result.ComplaintsResult`; it writes nothing
(:func:`yangpu_gis.runs.run_complaints` reads a registry and writes the outputs).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from ... import settings
from ...errors import ValidationError
from .categories import DEFAULT_CATEGORY_TABLE, CategoryTable
from .common import align, id_column_of
from .defaults import COMPLAINTS_DEFAULTS
from .density import kernel_density
from .hotspots import hex_grid, hot_spots, recurring_spots
from .merge import merge_duplicates
from .result import ComplaintsResult
from .route import route_cases
from .trends import handling_times, weekly_trends

__all__ = ["analyze_complaints"]


def analyze_complaints(
    orders: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    cells: str | gpd.GeoDataFrame = COMPLAINTS_DEFAULTS.cells,
    categories: CategoryTable | None = None,
    distance_m: float = COMPLAINTS_DEFAULTS.distance_m,
    hours: float = COMPLAINTS_DEFAULTS.hours,
    boundary_tolerance_m: float = COMPLAINTS_DEFAULTS.boundary_tolerance_m,
    hex_size_m: float = COMPLAINTS_DEFAULTS.hex_size_m,
    permutations: int = COMPLAINTS_DEFAULTS.permutations,
    seed: int | None = COMPLAINTS_DEFAULTS.seed,
    alpha: float = COMPLAINTS_DEFAULTS.alpha,
    min_months: int = COMPLAINTS_DEFAULTS.min_months,
    last_months: int = COMPLAINTS_DEFAULTS.last_months,
    bandwidth_m: float = COMPLAINTS_DEFAULTS.bandwidth_m,
    cell_size_m: float = COMPLAINTS_DEFAULTS.cell_size_m,
    scheduler: Any = None,
) -> ComplaintsResult:
    """Run the whole complaints pipeline: merge, route, hot spots, recurrence, density, trends.

    Parameters
    ----------
    orders : GeoDataFrame
        The ``complaints`` layer.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Registry layers for routing (and the hot-spot cells).
    cells : {"grid", "hex"} or GeoDataFrame, keyword-only
        Hot-spot and recurrence units: the grid cells (default; hexagons when the registry
        has none), a :func:`hex_grid` of ``hex_size_m``, or your own polygons.
    categories : CategoryTable, optional, keyword-only
        Category → department.
    distance_m, hours : float, keyword-only
        Duplicate thresholds (:func:`merge_duplicates`).
    boundary_tolerance_m : float, keyword-only
        :func:`route_cases`.
    hex_size_m : float, keyword-only
        :func:`hex_grid`.
    permutations, seed, alpha : keyword-only
        :func:`hot_spots`.
    min_months, last_months : int, keyword-only
        :func:`recurring_spots`.
    bandwidth_m, cell_size_m : float, keyword-only
        :func:`kernel_density`; rasters cover the subdistricts (else the cases).
    scheduler : str or distributed.Client, optional, keyword-only
        Merge duplicates on dask.distributed (:func:`merge_duplicates`); identical results.

    Returns
    -------
    ComplaintsResult

    Examples
    --------
    >>> with yangpu_gis.open_registry("yangpu.gpkg") as reg:             # doctest: +SKIP
    ...     result = analyze_complaints(reg.read("complaints"),
    ...                                 subdistricts=reg.read("subdistricts"),
    ...                                 grid_cells=reg.read("grid_cells"))
    >>> result.summary()["cases"]                                        # doctest: +SKIP
    """
    notes: list[str] = []
    subdistricts = subdistricts if subdistricts is not None and len(subdistricts) else None
    grid_cells = grid_cells if grid_cells is not None and len(grid_cells) else None
    merged = merge_duplicates(orders, distance_m=distance_m, hours=hours,
                              subdistricts=subdistricts, grid_cells=grid_cells,
                              scheduler=scheduler)
    cases = merged.cases
    routing = route_cases(cases, subdistricts=subdistricts, grid_cells=grid_cells,
                          categories=categories, boundary_tolerance_m=boundary_tolerance_m)
    if isinstance(cells, str):
        if cells not in ("grid", "hex"):
            raise ValidationError(f"unknown cells {cells!r}", hint="grid, hex or polygons")
        if cells == "grid" and grid_cells is None:
            notes.append("the registry has no grid cells: hot spots on a hexagon grid")
            cells = "hex"
        if cells == "grid":
            unit = grid_cells[["grid_id", "geometry"]].rename(columns={"grid_id": "cell_id"})
            cell_kind = "grid"
        else:
            area = subdistricts if subdistricts is not None else gpd.GeoDataFrame(
                geometry=[shapely.box(*cases.total_bounds).buffer(hex_size_m)], crs=cases.crs)
            unit = hex_grid(area, size_m=hex_size_m)
            cell_kind = f"hex {hex_size_m:g} m"
    else:
        col = id_column_of(cells, None)
        unit = cells[[col, "geometry"]].rename(columns={col: "cell_id"})
        cell_kind = "custom"
    unit = align(unit.reset_index(drop=True), cases.crs)
    located = cases[cases.geometry.notna()]
    hs = hot_spots(located, unit, cell_id_column="cell_id", permutations=permutations,
                   seed=seed, alpha=alpha)
    rec = recurring_spots(located, unit, min_months=min_months, last_months=last_months,
                          cell_id_column="cell_id")
    bounds = tuple(subdistricts.to_crs(cases.crs).total_bounds) if subdistricts is not None \
        else None
    density = kernel_density(located, bandwidth_m=bandwidth_m, cell_size_m=cell_size_m,
                             bounds=bounds) if len(located) else {}
    if len(located):
        density["all"] = kernel_density(located, bandwidth_m=bandwidth_m,
                                        cell_size_m=cell_size_m, bounds=bounds, by=None)["all"]
    weekly = weekly_trends(cases)
    handling = handling_times(orders, merged.orders, cases)
    if len(orders) and ("closed_at" not in orders.columns or orders["closed_at"].isna().all()):
        notes.append("no work order has a closing time: handling times are empty")
    table = categories or DEFAULT_CATEGORY_TABLE
    unknown = sorted(set(cases["category"].astype(str)) - set(table.departments))
    if unknown:
        notes.append("categories without a department (manual dispatch): " + ", ".join(unknown))
    params = {
        "distance_m": distance_m, "hours": hours,
        "boundary_tolerance_m": boundary_tolerance_m, "cells": cell_kind,
        "permutations": permutations, "seed": seed, "fdr_alpha": alpha,
        "recurring_min_months": min_months, "recurring_last_months": last_months,
        "kde_bandwidth_m": bandwidth_m, "kde_cell_size_m": cell_size_m,
        "crs": str(cases.crs.to_string() if cases.crs is not None else settings.working_crs),
    }
    return ComplaintsResult(cases=cases, orders=merged.orders, routing=routing, cells=unit,
                            hotspots=hs, recurring=rec, density=density, weekly=weekly,
                            handling=handling, parameters=params, notes=notes)

"""12345 hotline work orders: merge duplicates, route cases, hot spots, density and trends.

The plan asks that the same problem reported many times become one case before dispatch
(甄别归并), that each case go to the responsible subdistrict, grid and department, and that
places where the same kind of problem keeps coming back be found. Every function here is
pure: GeoDataFrames and plain parameters in, tidy (Geo)DataFrames and rasters out, in a
metric CRS (the registry's working CRS, EPSG:4549); frames in lon/lat are refused
(:mod:`yangpu_gis.analysis.inputs`). :func:`yangpu_gis.runs.run_complaints` reads a
registry and writes the outputs; ``yangpu-gis analyze complaints`` calls it.

Pipeline (:func:`analyze_complaints`, module :mod:`.pipeline`, runs all of it):

1. :func:`merge_duplicates` (:mod:`.merge`) — work orders of the same category within
   ``distance_m`` metres *and* ``hours`` hours of another are one case; links chain
   (single linkage in space–time), found with a grid swept along time, never all pairs.
2. :func:`route_cases` (:mod:`.route`) — subdistrict and grid cell by point-in-polygon,
   department by the category table (:mod:`.categories`); doubtful cases go to manual
   dispatch.
3. :func:`hot_spots` (:mod:`.hotspots`) — Getis-Ord Gi* per cell and category with
   permutation inference and a Benjamini–Hochberg FDR cut; :func:`recurring_spots` — cells
   with cases of a category in at least N of the last M months.
4. :func:`kernel_density` (:mod:`.density`) — Gaussian kernel density of cases per category
   on a regular raster (cases per km²), as :class:`~yangpu_gis.rasters.RasterData`.
5. :func:`weekly_trends` and :func:`handling_times` (:mod:`.trends`).

Every default (50 m and 72 h for duplicates, 15 m border tolerance, FDR α = 0.05 with 9999
permutations, 3 of the last 6 months, 150 m bandwidth on a 25 m raster) lives once, with
its unit and source, in :data:`COMPLAINTS_DEFAULTS` (:mod:`.defaults`).

The names below are imported on first use, so that the command line can read
:data:`COMPLAINTS_DEFAULTS` without loading geopandas.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = [
    "CASE_COLUMNS",
    "COMPLAINTS_DEFAULTS",
    "DEFAULT_CATEGORY_TABLE",
    "CategoryTable",
    "ComplaintsDefaults",
    "ComplaintsResult",
    "MergeResult",
    "analyze_complaints",
    "case_counts",
    "cell_weights",
    "density_total",
    "department_for",
    "handling_times",
    "hex_grid",
    "hot_spots",
    "kernel_density",
    "load_category_table",
    "locate",
    "merge_duplicates",
    "pseudo_p_value",
    "recurring_spots",
    "route_cases",
    "space_time_labels",
    "space_time_pairs",
    "weekly_trends",
]

#: Public name -> module of this package that defines it.
_WHERE = {
    "CASE_COLUMNS": "merge",
    "COMPLAINTS_DEFAULTS": "defaults",
    "DEFAULT_CATEGORY_TABLE": "categories",
    "CategoryTable": "categories",
    "ComplaintsDefaults": "defaults",
    "ComplaintsResult": "result",
    "MergeResult": "merge",
    "analyze_complaints": "pipeline",
    "case_counts": "hotspots",
    "cell_weights": "hotspots",
    "density_total": "density",
    "department_for": "categories",
    "handling_times": "trends",
    "hex_grid": "hotspots",
    "hot_spots": "hotspots",
    "kernel_density": "density",
    "load_category_table": "categories",
    "locate": "route",
    "merge_duplicates": "merge",
    "pseudo_p_value": "hotspots",
    "recurring_spots": "hotspots",
    "route_cases": "route",
    "space_time_labels": "merge",
    "space_time_pairs": "merge",
    "weekly_trends": "trends",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

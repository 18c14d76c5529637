"""Coverage gaps (全覆盖 / 空白点): which streets, compounds, grid cells and river stretches
no service or programme reaches.

Pure functions on GeoDataFrames (no I/O). :func:`analyze_coverage` is the entry point: it
returns a :class:`CoverageResult` (tables, layers, parameters) of the general form or of the
district's four reports. :func:`service_coverage` is the general analysis; the reports are
presets built on it, each returning a :class:`PresetReport`: :func:`beautiful_streets`,
:func:`parking_reach`, :func:`grid_completeness` and :func:`river_monitoring`.

Modules: ``defaults`` (:class:`CoverageDefaults`), ``parts`` (geometry bookkeeping),
``service`` (straight line), ``network`` (along a network), ``general``
(:func:`service_coverage`), ``totals`` (zones, stretches), ``report``, one module per preset
(``streets``, ``parking``, ``rivers``, ``grid``) and ``analyze`` (:func:`analyze_coverage`).

Method
------
**Straight line** (``distance="euclidean"``). Every provider is buffered by its service
distance (vectorised :func:`shapely.buffer`, ``quad_segs`` segments per quarter circle:
the default 16 keeps a 300 m circle within 0.4 m of the true one), the buffers are
dissolved once (:func:`shapely.union_all`) and split into their disjoint parts. An
:class:`shapely.STRtree` of the parts finds the few parts that touch each target; the
target is intersected with (and differenced from) only those. Because the parts are
disjoint, the covered length or area is an exact sum. Point targets are tested exactly
(``distance(point, provider) <= service_m`` of that provider), without the polygonal buffer.

**Along the network** (``distance="network"``). The network (the roads for walking, the
river centre lines for monitoring) is a :class:`~yangpu_gis.analysis.network.WalkingGraph`.
Providers are snapped to it (:func:`~yangpu_gis.analysis.network.snap_points`); their
straight access distance counts against their service distance. One multi-source
Dijkstra (SciPy, compiled) from all providers gives, for every node ``v``, the largest
remaining reach ``r(v) = max_p (s_p - d(p, v))`` — providers with their own service
distance ``s_p`` start from a stub edge of length ``access_p + (S - s_p)`` with
``S = max s_p``, so one search serves all. A point at distance ``x`` along an edge
``(u, v)`` of length ``L`` is then within reach exactly when ``x <= r(u)``, or
``L - x <= r(v)``, or it lies within ``s_p - access_p`` of a provider snapped onto that
edge. Each edge is cut at these reach points (interval union per edge), which gives the
covered and uncovered stretches exactly, without sampling. A line target that is itself
part of the network (roads covered along roads, rivers along rivers) collects the
stretches of its own edges; other lines are overlaid on the reached network with a
tolerance of ``on_network_m``. Point targets are inserted into the graph like the
providers (their own access distance counts too); polygon targets are reached at their
representative point (:func:`shapely.point_on_surface`), so their share is 0 or 1.

**Zone totals** (:func:`zone_totals`) split every target and every covered part exactly at
subdistrict or grid-cell boundaries (:func:`shapely.intersection`), so lengths and areas
per zone add up to the district's.

Defaults (:data:`COVERAGE_DEFAULTS`) name their source; the service distances of the
district reports come from issue 6 or are planning choices that a caller overrides.
"""

from __future__ import annotations

from .analyze import PRESET_LAYERS, PRESET_NEEDS, CoverageResult, analyze_coverage, resolve_presets
from .defaults import (
    COVERAGE_DEFAULTS,
    INTERNAL_CLASS,
    PRESETS,
    PUBLIC_PARKING_KINDS,
    RANKED_CLASSES,
    STREET_CLASSES,
    CoverageDefaults,
    Distance,
)
from .general import ServiceCoverage, service_coverage
from .grid import grid_completeness, road_subdistricts
from .parking import parking_reach
from .report import PresetReport, custom_report
from .rivers import river_monitoring, synthetic_stations
from .service import service_areas
from .streets import beautiful_streets
from .totals import line_stretches, zone_totals

__all__ = [
    "COVERAGE_DEFAULTS",
    "INTERNAL_CLASS",
    "PRESETS",
    "PRESET_LAYERS",
    "PRESET_NEEDS",
    "PUBLIC_PARKING_KINDS",
    "RANKED_CLASSES",
    "STREET_CLASSES",
    "CoverageDefaults",
    "CoverageResult",
    "Distance",
    "PresetReport",
    "ServiceCoverage",
    "analyze_coverage",
    "beautiful_streets",
    "custom_report",
    "grid_completeness",
    "line_stretches",
    "parking_reach",
    "resolve_presets",
    "river_monitoring",
    "road_subdistricts",
    "service_areas",
    "service_coverage",
    "synthetic_stations",
    "zone_totals",
]

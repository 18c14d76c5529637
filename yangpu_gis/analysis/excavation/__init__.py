"""Excavation coordination (掘路协调): conflicts, repeated digging, moratorium breaches,
pipelines at risk and coordination groups, from the ``excavation_permits`` layer.

Pure functions on GeoDataFrames, no I/O. Inputs are registry layers (or any frames with the
catalogue's columns) in one metric CRS: the registry gives EPSG:4549, so every distance is
in metres. Every date interval ``[planned_start, planned_end]`` includes both days. Every
default is in :data:`EXCAVATION_DEFAULTS`.

One module per job:

* :mod:`.defaults` — :class:`ExcavationDefaults` (units, sources), road widths, statuses;
* :mod:`.inputs` — the active permits, permits as checked arrays of days;
* :mod:`.joins` — the spatial-index joins (permit pairs, permits on road surfaces);
* :mod:`.conflict_search` — concurrent and repeated digs (:func:`conflicts`; the module is
  not named ``conflicts`` so that it cannot hide the function of the lazy package);
* :mod:`.roads` — digs per road per year (:func:`roads_summary`);
* :mod:`.moratorium` — 禁挖期 breaches and windows (城市道路管理条例 Art. 33);
* :mod:`.pipelines` — pipelines within clearance (:func:`pipelines_at_risk`);
* :mod:`.groups` — coordination groups (:func:`coordination_groups`);
* :mod:`.status` — each permit's status, the hot roads;
* :mod:`.result` — :class:`ExcavationResult`; :mod:`.analyze` — :func:`analyze_excavation`;
* :mod:`.check` — one application against the registry (:func:`check_permit`,
  :func:`trench_along`).

The registry's SQL path (PostGIS) computes the same :func:`conflicts` pairs.

The names below are imported on first use, so that the command line can read
:data:`EXCAVATION_DEFAULTS` without loading geopandas.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = [
    "APPLICATION_ID",
    "APPLICATION_STATUS",
    "AT_RISK_COLUMNS",
    "CONFLICT_COLUMNS",
    "DEFAULT_ROAD_WIDTH_M",
    "EXCAVATION_DEFAULTS",
    "EXCLUDED_STATUS",
    "GROUP_COLUMNS",
    "HIGH_PRESSURE_CLASSES",
    "HOT_ROAD_COLUMNS",
    "MORATORIUM_COLUMNS",
    "ROADS_SUMMARY_COLUMNS",
    "STATUS_LABELS",
    "VERDICTS",
    "ExcavationDefaults",
    "ExcavationResult",
    "PermitCheck",
    "active_permits",
    "analyze_excavation",
    "check_permit",
    "conflicts",
    "coordination_groups",
    "gas_clearances",
    "hot_roads",
    "moratorium_breaches",
    "moratorium_windows",
    "permit_status",
    "pipelines_at_risk",
    "roads_summary",
    "trench_along",
]

#: Public name -> module of this package that defines it.
_WHERE = {
    "APPLICATION_ID": "check",
    "APPLICATION_STATUS": "check",
    "AT_RISK_COLUMNS": "pipelines",
    "CONFLICT_COLUMNS": "conflict_search",
    "DEFAULT_ROAD_WIDTH_M": "defaults",
    "EXCAVATION_DEFAULTS": "defaults",
    "EXCLUDED_STATUS": "defaults",
    "GROUP_COLUMNS": "groups",
    "HIGH_PRESSURE_CLASSES": "pipelines",
    "HOT_ROAD_COLUMNS": "status",
    "MORATORIUM_COLUMNS": "moratorium",
    "ROADS_SUMMARY_COLUMNS": "roads",
    "STATUS_LABELS": "status",
    "VERDICTS": "check",
    "ExcavationDefaults": "defaults",
    "ExcavationResult": "result",
    "PermitCheck": "check",
    "active_permits": "inputs",
    "analyze_excavation": "analyze",
    "check_permit": "check",
    "conflicts": "conflict_search",
    "coordination_groups": "groups",
    "gas_clearances": "defaults",
    "hot_roads": "status",
    "moratorium_breaches": "moratorium",
    "moratorium_windows": "moratorium",
    "permit_status": "status",
    "pipelines_at_risk": "pipelines",
    "roads_summary": "roads",
    "trench_along": "check",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

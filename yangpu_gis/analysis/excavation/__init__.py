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
* :mod:`.conflicts` — concurrent and repeated digs (:func:`conflicts`);
* :mod:`.roads` — digs per road per year (:func:`roads_summary`);
* :mod:`.moratorium` — 禁挖期 breaches and windows (城市道路管理条例 Art. 33);
* :mod:`.pipelines` — pipelines within clearance (:func:`pipelines_at_risk`);
* :mod:`.groups` — coordination groups (:func:`coordination_groups`);
* :mod:`.status` — each permit's status, the hot roads;
* :mod:`.result` — :class:`ExcavationResult`; :mod:`.analyze` — :func:`analyze_excavation`;
* :mod:`.check` — one application against the registry (:func:`check_permit`,
  :func:`trench_along`).

The registry's SQL path (PostGIS) computes the same :func:`conflicts` pairs.
"""

from __future__ import annotations

from .analyze import analyze_excavation
from .check import (
    APPLICATION_ID,
    APPLICATION_STATUS,
    VERDICTS,
    PermitCheck,
    check_permit,
    trench_along,
)
from .conflicts import CONFLICT_COLUMNS, conflicts
from .defaults import (
    DEFAULT_ROAD_WIDTH_M,
    EXCAVATION_DEFAULTS,
    EXCLUDED_STATUS,
    ExcavationDefaults,
    gas_clearances,
)
from .groups import GROUP_COLUMNS, coordination_groups
from .inputs import active_permits
from .moratorium import MORATORIUM_COLUMNS, moratorium_breaches, moratorium_windows
from .pipelines import AT_RISK_COLUMNS, HIGH_PRESSURE_CLASSES, pipelines_at_risk
from .result import ExcavationResult
from .roads import ROADS_SUMMARY_COLUMNS, roads_summary
from .status import HOT_ROAD_COLUMNS, STATUS_LABELS, hot_roads, permit_status

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

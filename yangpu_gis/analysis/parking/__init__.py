"""Parking supply versus demand (停车难): zone balances, 2SFCA accessibility, candidates.

Pure functions on GeoDataFrames (no I/O); :func:`analyze_parking` runs the whole chain.

Model
-----
**Demand** (:func:`parking_demand`) by day and by night, from the provision ratios of
Shanghai's DG/TJ 08-7-2021 (上海市建筑工程交通设计及停车库(场)设置标准), kept as the
overridable defaults of :data:`PARKING_DEFAULTS` (see :meth:`ParkingDefaults.table` for each
figure, its unit and source): residential compounds (households × spaces per household),
hospitals (per 100 m² floor area; per bed when the area is missing), schools (per staff
member, plus optional pick-up bays per 100 students), offices and commerce (per 100 m²).
Residents park at home at night and partly by day; the other uses by day.

**Supply** (:func:`classify_supply`) from ``parking_facilities``. Each kind serves either
everyone (``public``) or only its own compound/building (``own``) in each period:

========== ============ ==============================================================
kind       day          night
========== ============ ==============================================================
public     everyone     everyone
on_street  everyone     everyone
commercial everyone     own building (none modelled at night) — everyone if shared
office     own building own building — everyone if ``shared_offpeak`` (错峰共享)
hospital   own building own building — everyone if shared
school     own building own building — everyone if shared
residential own compound own compound; a shared compound garage serves everyone by day
========== ============ ==============================================================

A compound's own spaces are its ``parking_spaces`` (or the capacity of the residential
facilities matched to it, when larger — the two often list the same spaces).

**Accessibility** (:func:`two_step_fca`, :func:`parking_accessibility`): the demand a place
cannot meet with its own spaces competes for the public spaces within a walking catchment
(default 500 m), by the two-step floating catchment area method (2SFCA, Luo & Wang 2003),
optionally with Gaussian distance decay (E2SFCA, Luo & Qi 2009), by straight-line or
network distance. Per demand location and period: ``access_ratio`` = (own spaces +
accessible public spaces) / demand, and ``shortfall`` in spaces.

**Candidates** (:func:`rank_candidates`): office, commercial, school and hospital garages
not yet shared at night, ranked by the night shortfall they could cover within the
catchment; compounds ranked by night shortfall for 挖潜 (:func:`rank_compounds`); a
what-if opens the top N at night and recomputes (:func:`what_if_open`).

Every frame must be in a metric CRS (the registry's working CRS, EPSG:4549); frames in
lon/lat are refused (:mod:`yangpu_gis.analysis.inputs`).

One module per job: :mod:`.defaults` (:class:`ParkingDefaults`, the service rules),
:mod:`.supply` (demand and supply), :mod:`.zones` (zone balances), :mod:`.access`
(distances and 2SFCA), :mod:`.candidates` (candidates, 挖潜, what-if), :mod:`.result`
(:class:`ParkingResult`) and :mod:`.analyze` (:func:`analyze_parking`, the whole chain).

The names below are imported on first use, so that the command line can read
:data:`PARKING_DEFAULTS` without loading geopandas.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = [
    "CANDIDATE_KINDS",
    "OFFPEAK",
    "PARKING_DEFAULTS",
    "PERIODS",
    "ParkingDefaults",
    "ParkingResult",
    "SERVICE_RULES",
    "WHAT_IF_TOP_N",
    "access_points",
    "analyze_parking",
    "classify_supply",
    "demand_locations",
    "parking_accessibility",
    "parking_demand",
    "parking_distances",
    "parking_walking_graph",
    "rank_candidates",
    "rank_compounds",
    "two_step_fca",
    "what_if_open",
    "wide_balance",
    "with_defaults",
    "zone_balance",
]

#: Public name -> module of this package that defines it.
_WHERE = {
    "CANDIDATE_KINDS": "defaults",
    "OFFPEAK": "defaults",
    "PARKING_DEFAULTS": "defaults",
    "PERIODS": "defaults",
    "ParkingDefaults": "defaults",
    "ParkingResult": "result",
    "SERVICE_RULES": "defaults",
    "WHAT_IF_TOP_N": "defaults",
    "access_points": "access",
    "analyze_parking": "analyze",
    "classify_supply": "supply",
    "demand_locations": "supply",
    "parking_accessibility": "access",
    "parking_demand": "supply",
    "parking_distances": "access",
    "parking_walking_graph": "access",
    "rank_candidates": "candidates",
    "rank_compounds": "candidates",
    "two_step_fca": "access",
    "what_if_open": "candidates",
    "wide_balance": "zones",
    "with_defaults": "defaults",
    "zone_balance": "zones",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

"""Every excavation analysis in one call: :func:`analyze_excavation`.

What ``yangpu-gis analyze excavation``, the demo and a notebook compute: they all call this
function (through :func:`yangpu_gis.runs.run_excavation` for the files), which leaves out
revoked permits itself, so they cannot give different answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from ..engine import dask_client
from .conflict_search import conflicts
from .defaults import EXCAVATION_DEFAULTS, gas_clearances
from .groups import coordination_groups
from .inputs import active_permits
from .moratorium import moratorium_breaches
from .pipelines import pipelines_at_risk
from .result import ExcavationResult
from .roads import roads_summary
from .status import permit_status

__all__ = ["analyze_excavation"]


def analyze_excavation(
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    *,
    distance_m: float = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: int = EXCAVATION_DEFAULTS.repeat_days,
    new_road_years: int = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: int = EXCAVATION_DEFAULTS.major_repair_years,
    clearance_m: float = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: float | None = None,
    gas_high_pressure_clearance_m: float | None = None,
    exclude_status: Sequence[str] = EXCAVATION_DEFAULTS.exclude_status,
    pairs: pd.DataFrame | None = None,
    scheduler: Any = None,
) -> ExcavationResult:
    """Run every excavation analysis (what ``yangpu-gis analyze excavation`` writes).

    The same call gives the same answer in a notebook, the CLI and the demo: they all call
    this function, which leaves out revoked permits itself.

    Parameters
    ----------
    permits, roads, pipelines : GeoDataFrame
        The registry layers ``excavation_permits``, ``roads`` and ``pipelines``.
    exclude_status : sequence of str, default :data:`~.defaults.EXCLUDED_STATUS`
        Permits whose ``status`` is one of these (revoked, cancelled, withdrawn: they dig
        nothing) are left out; ``()`` analyses every permit (``--include-revoked``).
    distance_m, repeat_days : see :func:`conflicts`.
    new_road_years, major_repair_years : see :func:`moratorium_breaches`.
    clearance_m, gas_clearance_m, gas_high_pressure_clearance_m : see
        :func:`pipelines_at_risk`.
    pairs : DataFrame, optional
        Conflicts computed elsewhere (e.g. the registry's SQL path, ``permit_conflict_pairs``,
        called with the same ``exclude_status``).
    scheduler : str or distributed.Client, optional
        Find the conflicts on dask.distributed (``local``, ``local:N``, ``tcp://HOST:PORT``
        or a Client; :func:`~yangpu_gis.analysis.engine.dask_client`); identical results.

    Returns
    -------
    ExcavationResult
        Its ``permits`` are the permits analysed, ``excluded`` how many were left out.

    Examples
    --------
    >>> from yangpu_gis import open_registry                           # doctest: +SKIP
    >>> with open_registry("yangpu.gpkg") as reg:                       # doctest: +SKIP
    ...     res = analyze_excavation(reg.read("excavation_permits"), reg.read("roads"),
    ...                              reg.read("pipelines"))
    >>> res.counts()["concurrent_pairs"] > 0                             # doctest: +SKIP
    True
    """
    gas_clearance_m, gas_high_pressure_clearance_m = gas_clearances(
        gas_clearance_m, gas_high_pressure_clearance_m)
    params = {"distance_m": distance_m, "repeat_days": repeat_days,
              "new_road_years": new_road_years, "major_repair_years": major_repair_years,
              "clearance_m": clearance_m, "gas_clearance_m": gas_clearance_m,
              "gas_high_pressure_clearance_m": gas_high_pressure_clearance_m,
              "exclude_status": list(exclude_status)}
    analysed = active_permits(permits, exclude_status)
    excluded = len(permits) - len(analysed)
    permits = analysed
    if pairs is None:
        with dask_client(scheduler) as client:
            pairs = conflicts(permits, distance_m=distance_m, repeat_days=repeat_days,
                              client=client)
    summary = roads_summary(permits, roads, pairs)
    breaches = moratorium_breaches(permits, roads, new_road_years=new_road_years,
                                   major_repair_years=major_repair_years)
    at_risk = pipelines_at_risk(permits, pipelines, clearance_m=clearance_m,
                                gas_clearance_m=gas_clearance_m,
                                gas_high_pressure_clearance_m=gas_high_pressure_clearance_m)
    groups = coordination_groups(permits, pairs, roads)
    status = permit_status(permits, pairs, breaches, groups)
    return ExcavationResult(pairs, summary, breaches, at_risk, groups, status, params,
                            permits, excluded, roads, pipelines)

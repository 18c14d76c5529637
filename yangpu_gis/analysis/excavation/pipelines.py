"""Pipelines at risk: pipelines within their clearance of a permit's footprint."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs import require_columns
from .defaults import EXCAVATION_DEFAULTS, gas_clearances
from .inputs import check_thresholds, metric_crs
from .joins import spatial_pairs

__all__ = ['AT_RISK_COLUMNS', 'HIGH_PRESSURE_CLASSES', 'pipelines_at_risk']

#: Columns of a pipelines-at-risk table.
AT_RISK_COLUMNS = ["permit_id", "pipe_id", "utility", "distance_m", "clearance_m"]

#: ``pressure_class`` values treated as high pressure (次高压 is not: it is in the 6 m group).
HIGH_PRESSURE_CLASSES = ("高压", "超高压", "high", "very_high")


def _pipe_clearances(
    pipelines: gpd.GeoDataFrame, clearance_m: float, gas_clearance_m: float,
    gas_high_pressure_clearance_m: float,
) -> np.ndarray:
    utility = pipelines["utility"].astype(str).to_numpy(dtype=object)
    gas = utility == "gas"
    out = np.where(gas, gas_clearance_m, clearance_m).astype(float)
    if "pressure_class" in pipelines.columns:
        pressure = pipelines["pressure_class"].astype(str).to_numpy(dtype=object)
        high = gas & np.isin(pressure, HIGH_PRESSURE_CLASSES)
        out[high] = gas_high_pressure_clearance_m
    return out


def pipelines_at_risk(
    permits: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    *,
    clearance_m: float = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: float | None = None,
    gas_high_pressure_clearance_m: float | None = None,
) -> pd.DataFrame:
    """Pipelines within their clearance of each permit's footprint.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits`` (``permit_id`` and footprints).
    pipelines : GeoDataFrame
        ``pipelines``: ``pipe_id``, ``utility``, centre lines; ``pressure_class`` if known.
    clearance_m : float, default 1.0
        Clearance for every utility but gas, in metres from the pipe's centre line (the
        issue's default: a trench this close exposes the pipe).
    gas_clearance_m : float, optional
        Clearance for gas mains; default ``settings.gas_clearance_m`` (6.0, read at call
        time; 上海市燃气管道设施保护办法: safety control range of low/medium/sub-high-pressure
        mains).
    gas_high_pressure_clearance_m : float, optional
        Clearance for high-pressure gas mains (``pressure_class`` in
        :data:`HIGH_PRESSURE_CLASSES`); default ``settings.gas_high_pressure_clearance_m``
        (50.0, read at call time).

    Returns
    -------
    pandas.DataFrame
        ``permit_id, pipe_id, utility, distance_m, clearance_m`` (distance 0 when the
        footprint crosses or covers the pipe), sorted by permit and distance.
    """
    gas_clearance_m, gas_high_pressure_clearance_m = gas_clearances(
        gas_clearance_m, gas_high_pressure_clearance_m)
    check_thresholds(clearance_m=clearance_m, gas_clearance_m=gas_clearance_m,
                      gas_high_pressure_clearance_m=gas_high_pressure_clearance_m)
    metric_crs(permits, pipelines)
    require_columns(permits, ("permit_id",), "permits")
    require_columns(pipelines, ("pipe_id", "utility"), "pipelines")
    clear = _pipe_clearances(pipelines, clearance_m, gas_clearance_m,
                             gas_high_pressure_clearance_m)
    geoms = np.asarray(permits.geometry.values, dtype=object)
    pipes = np.asarray(pipelines.geometry.values, dtype=object)
    reach = float(clear.max()) if len(clear) else 0.0
    p, q = spatial_pairs(shapely.STRtree(pipes), geoms, reach)
    dist = shapely.distance(geoms[p], pipes[q]) if len(p) else np.empty(0)
    keep = dist <= clear[q]
    p, q, dist = p[keep], q[keep], dist[keep]
    out = pd.DataFrame({
        "permit_id": permits["permit_id"].astype(str).to_numpy(dtype=object)[p],
        "pipe_id": pipelines["pipe_id"].astype(str).to_numpy(dtype=object)[q],
        "utility": pipelines["utility"].astype(str).to_numpy(dtype=object)[q],
        "distance_m": dist.astype(float),
        "clearance_m": clear[q],
    }, columns=AT_RISK_COLUMNS)
    return out.sort_values(["permit_id", "distance_m", "pipe_id"]).reset_index(drop=True)

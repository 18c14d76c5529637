"""Run the excavation analysis on a registry: read, analyse, write (CLI, demo and notebooks);
and check one permit application against a registry (``check-permit``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from .. import settings
from ..analysis.engine import check_scheduler
from ..analysis.excavation import (
    EXCAVATION_DEFAULTS,
    PermitCheck,
    analyze_excavation,
    check_permit,
    gas_clearances,
    moratorium_windows,
)
from ..errors import ValidationError
from ..io.application import read_application
from .writer import Run, default_out, write_result

__all__ = ["LAYERS", "check_application", "run_excavation"]

#: Registry layers the excavation analysis reads.
LAYERS = ("excavation_permits", "roads", "pipelines")
#: Metres read around an application beyond the largest clearance (roads it digs).
CHECK_MARGIN_M = 50.0


def _sql_pairs(registry, exclude_status: Sequence[str], distance_m: float, repeat_days: int):
    """Conflicts computed by the registry's SQL backend (a GeoPackage registry refuses)."""
    return registry.permit_conflict_pairs(distance_m=distance_m, repeat_days=repeat_days,
                                          exclude_status=list(exclude_status))


def run_excavation(
    registry,
    out_dir: str | Path | None = None,
    *,
    distance_m: float = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: int = EXCAVATION_DEFAULTS.repeat_days,
    new_road_years: int = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: int = EXCAVATION_DEFAULTS.major_repair_years,
    clearance_m: float = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: float | None = EXCAVATION_DEFAULTS.gas_clearance_m,
    gas_high_pressure_clearance_m: float | None = EXCAVATION_DEFAULTS.gas_high_pressure_clearance_m,
    exclude_status: Sequence[str] = EXCAVATION_DEFAULTS.exclude_status,
    use_sql: bool = False,
    offline: bool = True,
    map_name: str = "excavation_map.html",
    scheduler: Any = None,
) -> Run:
    """Read the registry, analyse excavation coordination, write every output into ``out_dir``.

    Writes the five CSV tables (``conflicts``, ``roads_summary``, ``moratorium``,
    ``pipelines_at_risk``, ``groups``), ``parameters.csv``, ``excavation.gpkg`` and the map.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path, optional
        Output folder [default ``excavation_out``].
    distance_m, repeat_days, new_road_years, major_repair_years, clearance_m
        Thresholds of :func:`~yangpu_gis.analysis.excavation.analyze_excavation` [defaults
        from ``EXCAVATION_DEFAULTS``].
    gas_clearance_m, gas_high_pressure_clearance_m : float, optional
        Gas clearances (m) [default: ``settings``, read at call time].
    exclude_status : sequence of str
        Permit statuses left out [default ``EXCAVATION_DEFAULTS.exclude_status``: revoked
        permits]; ``()`` keeps every permit.
    use_sql : bool
        Find the conflicts in the database (``registry.permit_conflict_pairs``, PostGIS).
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.
    map_name : str
        File name of the HTML map.
    scheduler : str or distributed.Client, optional
        Find the conflicts on dask.distributed (``local``, ``local:N``, ``tcp://HOST:PORT``
        or a Client; :mod:`~yangpu_gis.analysis.engine`); the outputs are identical.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.excavation.ExcavationResult` and the files written.

    Raises
    ------
    RegistryError
        ``use_sql`` on a registry without SQL (GeoPackage).
    ValidationError
        An unknown scheduler, dask missing, or ``use_sql`` with a scheduler.
    """
    check_scheduler(scheduler)
    if use_sql and scheduler is not None:
        raise ValidationError("--sql and --scheduler exclude each other",
                              hint="the database finds the conflicts itself with --sql")
    frames = registry.read_layers(*LAYERS)
    roads, pipelines = frames["roads"], frames["pipelines"]
    pairs = _sql_pairs(registry, exclude_status, distance_m, repeat_days) if use_sql else None
    # the pure function filters (the same call a notebook makes); the SQL path was given
    # the same statuses
    result = analyze_excavation(
        frames["excavation_permits"], roads, pipelines, pairs=pairs,
        distance_m=distance_m, repeat_days=repeat_days, new_road_years=new_road_years,
        major_repair_years=major_repair_years, clearance_m=clearance_m,
        gas_clearance_m=gas_clearance_m,
        gas_high_pressure_clearance_m=gas_high_pressure_clearance_m,
        exclude_status=exclude_status, scheduler=scheduler)
    data_date = registry.data_date()

    def draw():
        from ..maps.excavation import excavation_map

        p = result.parameters
        windows = moratorium_windows(roads, new_road_years=p["new_road_years"],
                                     major_repair_years=p["major_repair_years"])
        return excavation_map(result.permits, result.permit_status, roads, windows, pipelines,
                              result.pipelines_at_risk, offline=offline, data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("excavation")
    return Run(result, write_result(result, out, draw=draw, map_name=map_name))


def check_application(
    registry,
    application: str | Path | gpd.GeoDataFrame,
    *,
    crs: str | None = None,
    source: str | None = None,
    exclude_status: Sequence[str] = EXCAVATION_DEFAULTS.exclude_status,
    **thresholds: Any,
) -> PermitCheck:
    """Check one application against the registry (``yangpu-gis check-permit``).

    Only the roads and pipelines around the application are read.

    Parameters
    ----------
    registry : Registry
        An open registry.
    application : path or GeoDataFrame
        The proposed permit: a file (GeoJSON or any vector file, read with
        :func:`~yangpu_gis.io.application.read_application`) or a frame already read.
    crs : str, optional
        CRS of a file without one (default WGS84); ``gcj02`` / ``bd09`` for Amap / Baidu.
    source : str, optional
        The file the application came from, named by its refusals (default: ``application``
        when it is a path).
    exclude_status : sequence of str
        Registered permits left out (default: revoked ones).
    **thresholds
        Keyword thresholds of :func:`~yangpu_gis.analysis.excavation.check_permit`.

    Returns
    -------
    PermitCheck

    Raises
    ------
    SourceError
        A missing or unreadable file.
    ValidationError
        The application's own refusals name its file.
    """
    if not isinstance(application, gpd.GeoDataFrame):
        source = source or str(application)
        application = read_application(application, crs)
    app = application.to_crs(settings.working_crs) if application.crs is not None \
        else application
    clearance = thresholds.get("clearance_m", EXCAVATION_DEFAULTS.clearance_m)
    reach = max(clearance, *gas_clearances(
        thresholds.get("gas_clearance_m", EXCAVATION_DEFAULTS.gas_clearance_m),
        thresholds.get("gas_high_pressure_clearance_m",
                       EXCAVATION_DEFAULTS.gas_high_pressure_clearance_m)))
    reach += CHECK_MARGIN_M
    minx, miny, maxx, maxy = app.total_bounds
    bbox = (minx - reach, miny - reach, maxx + reach, maxy + reach)
    permits = registry.read("excavation_permits")
    roads = registry.read("roads", bbox=bbox)
    pipelines = registry.read("pipelines", bbox=bbox)
    try:
        return check_permit(app, permits, roads, pipelines, exclude_status=exclude_status,
                            **thresholds)
    except ValidationError as exc:  # the application's own refusals name its file
        if exc.message.startswith("the application") and not exc.source and source:
            exc.source = source
        raise

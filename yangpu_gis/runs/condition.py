"""Run the condition analyses on a registry — waterlogging (积水), water quality (GB 3838)
and road condition (好路率): read, analyse, write (CLI, demo and notebooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import settings
from ..analysis.engine import check_scheduler
from ..analysis.road_condition import (
    DEFAULT_PCI_GRADES,
    ROAD_CONDITION_DEFAULTS,
    analyze_road_condition,
)
from ..analysis.water_quality import WATER_QUALITY_DEFAULTS, analyze_water_quality, period_bounds
from ..analysis.waterlogging import (
    WATERLOGGING_DEFAULTS,
    analyze_waterlogging,
    tile_size_for_run,
)
from ..errors import ValidationError
from ..io.analysis_tables import PLAIN_TABLE_SUFFIXES, read_grade_table, read_station_table
from .writer import Run, default_out, write_result

__all__ = ["run_road_condition", "run_water_quality", "run_waterlogging",
           "water_quality_needs_registry"]


def run_waterlogging(registry, out_dir: str | Path | None = None, *, layer: str = "dem",
                     min_depth_m: float = WATERLOGGING_DEFAULTS.min_depth_m,
                     min_area_m2: float = WATERLOGGING_DEFAULTS.min_area_m2,
                     tile_size: int | None = None,
                     offline: bool = True, map_name: str = "waterlogging.html",
                     scheduler: Any = None) -> Run:
    """Read the DEM and layers, find depressions and what lies in them, write the outputs.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path, optional
        Output folder [default ``waterlogging_out``].
    layer : str
        Elevation raster layer.
    min_depth_m, min_area_m2, tile_size
        See :func:`~yangpu_gis.analysis.waterlogging.analyze_waterlogging`.
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.
    scheduler : str or distributed.Client, optional
        Fill the DEM's tiles as tasks on dask.distributed (``local``, ``local:N``,
        ``tcp://HOST:PORT`` or a Client); the outputs are identical.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.waterlogging.WaterloggingResult` and the files.

    Raises
    ------
    ValidationError
        An unknown scheduler, dask missing, or ``tile_size=0`` with a scheduler (before
        the registry is read).
    """
    check_scheduler(scheduler)
    if scheduler is not None:
        tile_size_for_run((0, 0), tile_size, scheduler)
    dem = registry.read_raster(layer)
    frames = registry.read_layers("roads", "residential_compounds", "subdistricts")
    data_date = registry.data_date()
    result = analyze_waterlogging(dem, frames["roads"], frames["residential_compounds"],
                                  min_depth_m=min_depth_m, min_area_m2=min_area_m2,
                                  tile_size=tile_size, scheduler=scheduler)

    def draw():
        from ..maps.condition import waterlogging_map

        return waterlogging_map(result, subdistricts=frames["subdistricts"], offline=offline,
                                data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("waterlogging")
    return Run(result, write_result(result, out, draw=draw, map_name=map_name))


def water_quality_needs_registry(stations: str | Path | None,
                                 samples: str | Path | None) -> bool:
    """Whether :func:`run_water_quality` reads the registry: unless both files are given and
    the stations file is a plain table (no geometry, so no rivers map either)."""
    return (stations is None or samples is None
            or Path(stations).suffix.lower() not in PLAIN_TABLE_SUFFIXES)


def _water_inputs(registry, stations: str | Path | None, samples: str | Path | None):
    """Stations and samples: from the files named, else the registry's layers."""
    if stations is not None and samples is not None:
        return read_station_table(stations), read_station_table(samples)
    if registry is None:
        raise ValidationError("no registry to read water_stations and water_samples from",
                              hint="pass --registry, or both --stations and --samples")
    st = registry.read("water_stations") if stations is None else read_station_table(stations)
    sm = registry.read("water_samples") if samples is None else read_station_table(samples)
    for name, frame, given in (("water_stations", st, stations), ("water_samples", sm, samples)):
        if given is None and not len(frame):
            raise ValidationError(f"the registry holds no {name}",
                                  hint=f"load them (yangpu-gis load FILE {name}) or pass "
                                  f"--{name.split('_')[1]} FILE")
    return st, sm


def run_water_quality(registry, out_dir: str | Path | None = None, *,
                      stations: str | Path | None = None, samples: str | Path | None = None,
                      period: int | str | None = WATER_QUALITY_DEFAULTS.period,
                      target_class: str = WATER_QUALITY_DEFAULTS.target_class,
                      offline: bool = True, map_name: str = "water_quality.html") -> Run:
    """Class samples, stations and rivers by GB 3838-2002 and write the outputs.

    Parameters
    ----------
    registry : Registry or None
        An open registry; its ``water_stations`` / ``water_samples`` are used unless
        ``stations`` / ``samples`` name files, and its ``rivers`` for the map. None when
        both files are given and the stations have no geometry (no map then).
    out_dir : path, optional
        Output folder [default ``water_quality_out``].
    stations, samples : path, optional
        A stations file (GeoPackage/GeoJSON/CSV) and a samples table (CSV/XLSX).
    period, target_class
        See :func:`~yangpu_gis.analysis.water_quality.classify_stations`.
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.water_quality.WaterQualityResult` and the files
        (a map only when the stations have geometry and the registry has rivers).

    Raises
    ------
    ValidationError
        For a bad ``period`` (before anything is read), or a registry without the layers.
    """
    import geopandas as gpd

    if period is not None:
        period_bounds(period)  # a bad period is refused before any reading
    st, sm = _water_inputs(registry, stations, samples)
    rivers = data_date = None
    if isinstance(st, gpd.GeoDataFrame) and st.crs is not None:
        st = st.to_crs(settings.working_crs)  # a stations file may be in lon/lat
        if registry is not None:
            rivers = registry.read("rivers")
            data_date = registry.data_date()
    result = analyze_water_quality(sm, st, rivers=rivers, period=period,
                                   target_class=target_class)

    def draw():
        from ..maps.condition import water_quality_map

        return water_quality_map(result.rivers, result.station_points, offline=offline,
                                 data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("water_quality")
    return Run(result, write_result(result, out, map_name=map_name,
                                    draw=draw if result.rivers is not None else None))


def run_road_condition(registry, out_dir: str | Path | None = None, *,
                       target: float = ROAD_CONDITION_DEFAULTS.target_rate,
                       grades: str | Path | None = None, offline: bool = True,
                       map_name: str = "road_condition.html") -> Run:
    """Grade the roads by PCI, compute 好路率 by subdistrict and district, write the outputs.

    Parameters
    ----------
    registry : Registry
        An open registry (``roads`` with ``pci``, ``subdistricts``).
    out_dir : path, optional
        Output folder [default ``road_condition_out``].
    target : float
        Target good-road rate (0–1).
    grades : path, optional
        CSV ``road_class,excellent,good,fair`` overriding rows of the PCI grade table.
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.road_condition.RoadConditionResult` and the files.
    """
    table = dict(DEFAULT_PCI_GRADES)
    if grades is not None:
        table.update(read_grade_table(grades))
    frames = registry.read_layers("roads", "subdistricts")
    data_date = registry.data_date()
    result = analyze_road_condition(frames["roads"], frames["subdistricts"], grades=table,
                                    target_rate=target)

    def draw():
        from ..maps.condition import road_condition_map

        return road_condition_map(result.subdistricts, result.roads, offline=offline,
                                  data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("road_condition")
    return Run(result, write_result(result, out, draw=draw, map_name=map_name))

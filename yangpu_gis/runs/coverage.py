"""Run the coverage analysis on a registry: read, analyse, write (CLI, demo and notebooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from .. import settings
from ..analysis.coverage import PRESET_LAYERS, PRESET_NEEDS, PRESETS, analyze_coverage
from ..analysis.engine import check_scheduler
from ..catalogue import get_layer
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_coverage"]


def _need(frames: dict, *names: str, what: str | None = None, extra: str = "") -> None:
    for name in names:
        g = frames.get(name)
        if g is None or not len(g):
            raise ValidationError(
                f"the registry has no {what or name}",
                hint=f"load it first (yangpu-gis load FILE --layer {name}){extra}",
            )


def _read_stations(stations: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if isinstance(stations, gpd.GeoDataFrame):
        st = stations
        if st.crs is None:
            raise ValidationError("the stations have no CRS", hint="set_crs(...) first")
    else:
        st = gpd.read_file(stations)
        if st.crs is None:
            raise ValidationError(f"{stations} has no CRS", hint="use a file with a .prj / CRS")
    return st.to_crs(settings.working_crs)


def run_coverage(
    registry,
    out_dir: str | Path | None = None,
    *,
    preset: str | None = None,
    distance: str | None = None,
    targets: str | None = None,
    providers: str | None = None,
    service_m: float | None = None,
    service_column: str | None = None,
    stations: str | Path | gpd.GeoDataFrame | None = None,
    offline: bool = True,
    scheduler: Any = None,
) -> Run:
    """Read the registry, analyse coverage, write every output into ``out_dir``.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path, optional
        Output folder [default ``coverage_out``].
    preset : str, optional
        ``beautiful-streets``, ``parking-reach``, ``grid-completeness``,
        ``river-monitoring`` or ``all`` [default: all, unless ``targets`` is given].
    distance : {"euclidean", "network"}, optional
        Overrides the presets' own distance.
    targets, providers : str, optional
        The general form: catalogue layer names.
    service_m, service_column
        See :func:`~yangpu_gis.analysis.coverage.analyze_coverage`.
    stations : path or GeoDataFrame, optional
        River monitoring: stations [default: the registry's ``water_stations``].
    offline : bool
        Self-contained maps (default) or CDN scripts and web tiles.
    scheduler : str or distributed.Client, optional
        Test point targets against the providers on dask.distributed (``local``,
        ``local:N``, ``tcp://HOST:PORT`` or a Client); the outputs are identical.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.coverage.CoverageResult` and the files written
        (``<preset>_<table>``, ``parameters``, ``gpkg``, ``map_coverage_<preset>``).

    Raises
    ------
    ValidationError
        Unknown distance or preset, an incomplete general form, a layer the registry lacks.
    """
    check_scheduler(scheduler)
    if distance not in (None, "euclidean", "network"):
        raise ValidationError(f"unknown --distance {distance!r}", hint="euclidean or network")
    general = targets is not None or providers is not None
    if general:
        if not (targets and providers):
            raise ValidationError("the general form needs --targets and --providers")
        if preset not in (None, "custom"):
            raise ValidationError("--preset and --targets/--providers exclude each other")
        if service_m is None and service_column is None:
            raise ValidationError("the general form needs --service-m or --service-column")
        names = [targets, providers, "subdistricts", "grid_cells"]
        if distance == "network":
            names.append("roads")
    else:
        chosen = list(PRESETS) if preset in (None, "all") else [preset]
        for p in chosen:
            if p not in PRESETS:
                raise ValidationError(f"unknown --preset {p!r}", hint=", ".join([*PRESETS, "all"]))
        names = sorted({n for p in chosen for n in PRESET_LAYERS[p]})
    for n in names:
        get_layer(n)
    frames = {n: registry.read(n) for n in dict.fromkeys(names)}
    data_date = registry.data_date()
    if general:
        _need(frames, targets, providers)
        result = analyze_coverage(
            frames[targets], frames[providers], distance=distance, service_m=service_m,
            service_column=service_column, roads=frames.get("roads"),
            subdistricts=frames["subdistricts"], grid_cells=frames["grid_cells"],
            scheduler=scheduler)
    else:
        st = _read_stations(stations) if stations is not None else None
        for p in chosen:
            _need(frames, *PRESET_NEEDS[p])
            if p == "river-monitoring" and st is None:
                _need(frames, "water_stations", what="water-quality stations (water_stations)",
                      extra=" or pass --stations FILE")
        result = analyze_coverage(preset=chosen, layers=frames, distance=distance,
                                  service_m=service_m, stations=st, scheduler=scheduler)

    def drawer(report):
        def draw():
            from ..maps.coverage import coverage_map

            return coverage_map(report, offline=offline, data_date=data_date)

        return draw

    maps = {f"coverage_{r.stem}.html": drawer(r) for r in result.reports}
    out = Path(out_dir) if out_dir is not None else default_out("coverage")
    return Run(result, write_result(result, out, maps=maps))


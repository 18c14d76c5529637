"""Run the root-cause analysis on a registry: read, analyse, write (CLI, demo and notebooks)."""

from __future__ import annotations

from pathlib import Path

from ..analysis.causes.defaults import CAUSES_DEFAULTS as D
from ..analysis.causes.rules import load_cause_rules
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_causes"]

#: Registry layers the root-cause analysis reads (and the DEM, when there is one).
LAYERS = ("complaints", "excavation_permits", "roads", "subdistricts")


def run_causes(
    registry,
    out_dir: str | Path | None = None,
    *,
    rules: str | Path | dict | None = None,
    dem_layer: str = "dem",
    permit_distance_m: float = D.permit_distance_m,
    permit_margin_days: int = D.permit_margin_days,
    depression_distance_m: float = D.depression_distance_m,
    road_distance_m: float = D.road_distance_m,
    min_depth_m: float = D.min_depth_m,
    write_map: bool = True,
    offline: bool = True,
    map_name: str = "causes_map.html",
) -> Run:
    """Link the registry's 12345 work orders to permits, DEM depressions and bad roads.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS), possibly as of a batch or date.
    out_dir : path, optional
        Output folder [default ``causes_out``].
    rules : path or mapping, optional
        A TOML file with a ``[causes]`` table (:func:`~yangpu_gis.analysis.causes.
        load_cause_rules`) or the rules themselves; default
        :data:`~yangpu_gis.analysis.causes.DEFAULT_CAUSE_RULES`.
    dem_layer : str
        Elevation raster whose depressions explain 积水 (skipped, with a note, when the
        registry has none).
    permit_distance_m, permit_margin_days, depression_distance_m, road_distance_m
        See :func:`~yangpu_gis.analysis.causes.analyze_causes`.
    min_depth_m : float
        Fill depth of a depression cell (as ``analyze waterlogging``).
    write_map, offline : bool
        Write the HTML map; self-contained (default) or CDN scripts and web tiles.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.causes.CausesResult` and the files written.

    Raises
    ------
    ValidationError
        A registry without complaints, a bad rules file, bad thresholds.
    """
    from ..analysis.causes.analyze import analyze_causes

    table = load_cause_rules(rules) if isinstance(rules, str | Path) else rules
    frames = registry.read_layers(*LAYERS)
    if frames["complaints"].empty:
        raise ValidationError("the registry has no complaints",
                              hint="load them first (yangpu-gis load … -l complaints)")
    depressions = None
    if registry.raster_meta(dem_layer) is not None:
        from ..analysis.waterlogging import find_depressions

        dem = registry.read_raster(dem_layer)
        depressions = find_depressions(dem.values, dem.transform, min_depth_m=min_depth_m,
                                       catchments=False, crs=dem.crs).polygons()
    result = analyze_causes(
        frames["complaints"], permits=frames["excavation_permits"], depressions=depressions,
        roads=frames["roads"], subdistricts=frames["subdistricts"], rules=table,
        permit_distance_m=permit_distance_m, permit_margin_days=permit_margin_days,
        depression_distance_m=depression_distance_m, road_distance_m=road_distance_m)
    result.parameters["min_depth_m"] = min_depth_m
    if depressions is None:
        result.notes.append(f"the registry has no raster {dem_layer!r}: 积水 is not linked")
    subs = frames["subdistricts"]
    data_date = registry.data_date()

    def draw():
        from ..maps.causes import causes_map

        return causes_map(result, subdistricts=subs if len(subs) else None, offline=offline,
                          data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("causes")
    return Run(result, write_result(result, out, draw=draw if write_map else None,
                                    map_name=map_name))

"""Run the pipeline renewal priority on a registry: read, analyse, write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..analysis.pipelines.defaults import PIPELINES_DEFAULTS as D
from ..analysis.pipelines.tables import RenewalTables, load_renewal_tables
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_pipelines"]

#: Registry layers the renewal priority reads.
LAYERS = ("pipelines", "excavation_permits", "complaints", "pois", "residential_compounds",
          "subdistricts")


def _newest_day(frames) -> str | None:
    """ISO day of the newest work order or permit start (Shanghai), or None."""
    from ..analysis.complaints.common import local_days

    days = [local_days(frames[layer][column]).max()
            for layer, column in (("complaints", "received_at"),
                                  ("excavation_permits", "planned_start"))
            if len(frames[layer])]
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(max(days)))).isoformat() if days \
        else None


def run_pipelines(
    registry,
    out_dir: str | Path | None = None,
    *,
    as_of_date: str | dt.date | None = None,
    tables: str | Path | RenewalTables | None = None,
    damage_distance_m: float = D.damage_distance_m,
    damage_years: int = D.damage_years,
    complaint_distance_m: float = D.complaint_distance_m,
    complaint_years: int = D.complaint_years,
    stake_distance_m: float = D.stake_distance_m,
    safety_distance_m: float = D.safety_distance_m,
    write_map: bool = True,
    offline: bool = True,
    map_name: str = "pipelines_map.html",
) -> Run:
    """Score and rank every pipeline segment of the registry for renewal; write the outputs.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS), possibly as of a batch or date.
    out_dir : path, optional
        Output folder [default ``pipelines_out``].
    as_of_date : date or str, optional
        Date the ages and recent-years windows count from; default the day of the newest
        work order or permit start in the registry (the date its data stands at, even when
        it was loaded later), else today.
    tables : path or RenewalTables, optional
        A TOML file of weights and factor tables (:func:`~yangpu_gis.analysis.pipelines.
        load_renewal_tables`), or the tables.
    damage_distance_m, damage_years, complaint_distance_m, complaint_years, \
stake_distance_m, safety_distance_m
        See :func:`~yangpu_gis.analysis.pipelines.analyze_pipelines`.
    write_map, offline : bool
        Write the HTML map; self-contained (default) or CDN scripts and web tiles.

    Returns
    -------
    Run
    """
    from ..analysis.pipelines.analyze import analyze_pipelines

    t = load_renewal_tables(tables) if isinstance(tables, str | Path) else tables
    frames = registry.read_layers(*LAYERS)
    if frames["pipelines"].empty:
        raise ValidationError("the registry has no pipelines",
                              hint="load them first (yangpu-gis load … -l pipelines)")
    data_date = registry.data_date()
    day = as_of_date or _newest_day(frames) or dt.date.today().isoformat()
    result = analyze_pipelines(
        frames["pipelines"], as_of=day, permits=frames["excavation_permits"],
        complaints=frames["complaints"], pois=frames["pois"],
        compounds=frames["residential_compounds"], subdistricts=frames["subdistricts"],
        tables=t, damage_distance_m=damage_distance_m, damage_years=damage_years,
        complaint_distance_m=complaint_distance_m, complaint_years=complaint_years,
        stake_distance_m=stake_distance_m, safety_distance_m=safety_distance_m)
    subs = frames["subdistricts"]

    def draw():
        from ..maps.renewal import renewal_map

        return renewal_map(result, subdistricts=subs if len(subs) else None, offline=offline,
                           data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("pipelines")
    return Run(result, write_result(result, out, draw=draw if write_map else None,
                                    map_name=map_name))

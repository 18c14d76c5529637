"""``yangpu-gis analyze pipelines``: renewal priority of every pipeline segment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...analysis.pipelines.defaults import PIPELINES_DEFAULTS as D
from ...terminal import say
from ..common import (
    AsOfOpt,
    DistrictOpt,
    JsonOpt,
    OfflineOpt,
    RegistryOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    out_option,
    print_json,
)

__all__ = ["pipelines"]


def pipelines(
    out_dir: Annotated[Path | None, out_option("pipelines")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    date: Annotated[str | None, typer.Option("--date", metavar="YYYY-MM-DD", help="Analysis date: ages and the recent-years windows count back from it [default: the newest work order or permit start in the registry].")] = None,
    tables: Annotated[Path | None, typer.Option("--tables", help="TOML file of weights and factor tables ([weights], [material], [pressure], [renewal_age], [complaint_categories]).")] = None,
    damage_distance_m: Annotated[float, typer.Option("--damage-distance-m", help="Permits this close (metres) to a pipe …")] = D.damage_distance_m,
    damage_years: Annotated[int, typer.Option("--damage-years", help="… started in the last N years: third-party damage exposure.")] = D.damage_years,
    complaint_distance_m: Annotated[float, typer.Option("--complaint-distance-m", help="Complaints of the utility's categories this close (metres) …")] = D.complaint_distance_m,
    complaint_years: Annotated[int, typer.Option("--complaint-years", help="… in the last N years.")] = D.complaint_years,
    stake_distance_m: Annotated[float, typer.Option("--stake-distance-m", help="Schools, hospitals and compounds this close (metres) are at stake.")] = D.stake_distance_m,
    safety_distance_m: Annotated[float, typer.Option("--safety-distance-m", help="Gas safety view: cast-iron mains this close (metres) to a school or hospital first.")] = D.safety_distance_m,
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Pipeline renewal priority: score, rank, totals per utility and subdistrict, gas safety."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_pipelines(
                reg, out_dir, as_of_date=date, tables=tables,
                damage_distance_m=damage_distance_m, damage_years=damage_years,
                complaint_distance_m=complaint_distance_m, complaint_years=complaint_years,
                stake_distance_m=stake_distance_m, safety_distance_m=safety_distance_m,
                write_map=not no_map, offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]管线更新[/] {:,} segments as of {}: {:,} due for renewal ({} km)",
            s["segments"], s["as_of"], s["due_segments"], s["due_length_km"])
        for t in s["top"][:3]:
            say(out, "  renew first: {} ({}) score {}", t["pipe_id"], t["utility"], t["score"])
        say(out, "  gas cast-iron mains: {}, of which {} near a school or hospital",
            s["gas_cast_iron"], s["gas_cast_iron_near_schools_hospitals"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

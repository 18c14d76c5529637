"""``yangpu-gis analyze homes``: 美丽家园 progress against the plan's targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...analysis.homes.defaults import HOMES_DEFAULTS as D
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

__all__ = ["homes"]

_LABELS = {"compounds": "小区", "floor_area_m2": "建筑面积 m²",
           "misconnections_fixed": "雨污混接改造点位", "elevators_completed": "加装电梯竣工"}


def homes(
    out_dir: Annotated[Path | None, out_option("homes")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    targets: Annotated[Path | None, typer.Option("--targets", help="TOML file with a [targets] table (compounds, floor_area_m2, misconnections_fixed, elevators_completed).")] = None,
    first_year: Annotated[int, typer.Option("--first-year", help="First year of the plan period.")] = D.first_year,
    last_year: Annotated[int, typer.Option("--last-year", help="Last year of the plan period.")] = D.last_year,
    area_per_household: Annotated[float, typer.Option("--m2-per-household", help="Floor area per household where compounds have no floor_area_m2.")] = D.floor_area_per_household_m2,
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """美丽家园 progress: compounds renovated, misconnections fixed, elevators, what is left."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_homes(reg, out_dir, targets=targets, first_year=first_year,
                                 last_year=last_year,
                                 floor_area_per_household_m2=area_per_household,
                                 write_map=not no_map, offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]美丽家园[/] {}", s["period"])
        for item, v in s["targets"].items():
            if item in _LABELS:
                say(out, "  {}: {:,.0f} of {:,.0f} ({:,.0f} left)", _LABELS[item],
                    v["achieved"], v["target"], v["left"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

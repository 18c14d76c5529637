"""``yangpu-gis analyze overhead``: 架空线入地 progress per year, road and subdistrict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
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

__all__ = ["overhead"]


def overhead(
    out_dir: Annotated[Path | None, out_option("overhead")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    year: Annotated[int | None, typer.Option("--year", min=1990, max=2200, help="Current year: lines planned before it and not done are overdue [default: the year of the newest buried_date].")] = None,
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """架空线入地: overhead length buried or removed per year, road and subdistrict; what is left."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_overhead(reg, out_dir, year=year, write_map=not no_map,
                                    offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]架空线入地[/] {:,} lines, {} km: {} km buried or removed ({:.0%}), "
            "{} km left ({} lines overdue)", s["lines"], s["total_km"], s["done_km"],
            s["share_done"] or 0, s["left_km"], s["overdue_lines"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

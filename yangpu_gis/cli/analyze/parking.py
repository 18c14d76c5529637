"""``yangpu-gis analyze parking``: parking supply versus demand from a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...analysis.parking.defaults import PARKING_DEFAULTS, WHAT_IF_TOP_N
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

__all__ = ["parking"]



def parking(
    out_dir: Annotated[Path | None, out_option("parking")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    distance: Annotated[str, typer.Option(help="network (walk along roads) | euclidean (straight line); straight line when the registry has no roads.")] = "network",
    catchment_m: Annotated[float, typer.Option("--catchment-m", help="Walking catchment in metres.")] = PARKING_DEFAULTS.catchment_m,
    decay: Annotated[str, typer.Option(help="none (2SFCA) | gaussian (E2SFCA).")] = "none",
    sigma_m: Annotated[float | None, typer.Option("--sigma-m", help="Gaussian width in metres [default: catchment/2].")] = None,
    top_n: Annotated[int, typer.Option("--top-n", help="Candidates opened in the what-if.")] = WHAT_IF_TOP_N,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Parking supply versus demand: zone balances, 2SFCA accessibility, candidates, map."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_parking(reg, out_dir, distance=distance, catchment_m=catchment_m,
                                   decay=decay, sigma_m=sigma_m, top_n=top_n, offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]停车供需[/] {} demand locations, {} facilities; {} distance, {:g} m "
            "catchment, decay {}", s["demand_locations"], s["facilities"], s["distance"],
            s["catchment_m"], s["decay"])
        for p, cn in (("night", "夜间"), ("day", "日间")):
            say(out, "  {}: demand {:,.0f}, shortfall {:,.0f} spaces at {} locations", cn,
                s[f"demand_{p}"], s[f"shortfall_{p}"], s[f"locations_short_{p}"])
        for row in s["what_if"][1:]:
            say(out, "  what-if {}: night shortfall {:,.0f}", row["scenario"],
                row["shortfall_night"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

"""``yangpu-gis analyze complaints``: merge, route and map 12345 work orders from a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...analysis.complaints.defaults import COMPLAINTS_DEFAULTS as D
from ...terminal import say
from ..common import (
    AsOfOpt,
    DistrictOpt,
    JsonOpt,
    OfflineOpt,
    RegistryOpt,
    SchedulerOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    out_option,
    print_json,
)

__all__ = ["complaints"]


def complaints(
    out_dir: Annotated[Path | None, out_option("complaints")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    distance_m: Annotated[float, typer.Option("--distance-m", help="Duplicates: same category within this many metres …")] = D.distance_m,
    hours: Annotated[float, typer.Option("--hours", help="… and this many hours of another work order.")] = D.hours,
    boundary_m: Annotated[float, typer.Option("--boundary-m", help="Cases this close to a subdistrict border (metres) go to manual dispatch; 0 disables.")] = D.boundary_tolerance_m,
    cells: Annotated[str, typer.Option(help="Hot-spot units: grid (the registry's grid cells) or hex.")] = D.cells,
    hex_size_m: Annotated[float, typer.Option("--hex-size-m", help="Hexagon size (centre to vertex, metres) with --cells hex.")] = D.hex_size_m,
    permutations: Annotated[int, typer.Option(help="Gi* conditional permutations.")] = D.permutations,
    seed: Annotated[int, typer.Option(help="Seed of the permutations.")] = D.seed,
    alpha: Annotated[float, typer.Option(help="False-discovery rate of the hot-spot test.")] = D.alpha,
    min_months: Annotated[int, typer.Option("--min-months", help="Recurring spot: cases in at least N …")] = D.min_months,
    last_months: Annotated[int, typer.Option("--last-months", help="… of the last M months.")] = D.last_months,
    bandwidth_m: Annotated[float, typer.Option("--bandwidth-m", help="Density kernel standard deviation, metres.")] = D.bandwidth_m,
    cell_size_m: Annotated[float, typer.Option("--cell-size-m", help="Density raster cell size, metres.")] = D.cell_size_m,
    category_table: Annotated[Path | None, typer.Option("--categories", help="CSV or TOML category → department table (adds to / overrides the defaults).")] = None,
    map_cases: Annotated[str, typer.Option("--cases", help="Cases on the map: cluster (clustered, details on click), all (every case at once, heavy for a year) or none (counts per cell only).")] = "cluster",
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
    offline: OfflineOpt = True,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """12345 work orders: merge duplicates, route cases, Gi* hot spots, density, trends, map."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_complaints(
                reg, out_dir, categories=category_table, cells=cells, distance_m=distance_m,
                hours=hours, boundary_tolerance_m=boundary_m, hex_size_m=hex_size_m,
                permutations=permutations, seed=seed, alpha=alpha, min_months=min_months,
                last_months=last_months, bandwidth_m=bandwidth_m, cell_size_m=cell_size_m,
                write_map=not no_map, map_cases=map_cases, offline=offline,
                scheduler=scheduler)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]12345工单[/] {} work orders → {} cases ({} merged; largest {} orders; "
            "{:g} m / {:g} h)", s["orders"], s["cases"], s["merged_orders"], s["largest_case"],
            distance_m, hours)
        reasons = ", ".join(f"{k} {v}" for k, v in s["manual_reasons"].items())
        say(out, "  manual dispatch: {} cases{}", s["manual_dispatch"],
            f" ({reasons})" if reasons else "")
        say(out, "  Gi* ({}): {} hot, {} cold cell-categories; {} recurring spots",
            s["parameters"]["cells"], s["hot_cells"], s["cold_cells"], s["recurring_spots"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

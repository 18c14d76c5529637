"""``yangpu-gis analyze causes``: link 12345 work orders to works, depressions and bad roads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...analysis.causes.defaults import CAUSES_DEFAULTS as D
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

__all__ = ["causes"]

_KIND_LABELS = {"permit": "掘路许可", "depression": "洼地", "road": "路况差道路"}


def causes(
    out_dir: Annotated[Path | None, out_option("causes")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="TOML file with a [causes] table: category → cause kinds in order (adds to / overrides the defaults).")] = None,
    permit_distance_m: Annotated[float, typer.Option("--permit-distance-m", help="Works: orders this close (metres) to a permit's footprint …")] = D.permit_distance_m,
    permit_margin_days: Annotated[int, typer.Option("--permit-margin-days", help="… received within its planned dates widened by this many days.")] = D.permit_margin_days,
    depression_distance_m: Annotated[float, typer.Option("--depression-distance-m", help="积水: orders in or this close (metres) to a DEM depression.")] = D.depression_distance_m,
    road_distance_m: Annotated[float, typer.Option("--road-distance-m", help="道路破损: orders this close (metres) to a road graded 中 or 差.")] = D.road_distance_m,
    dem: Annotated[str, typer.Option("--dem", help="Elevation raster layer for the depressions.")] = "dem",
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """12345 root causes: which permits, depressions and bad roads explain the orders."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_causes(
                reg, out_dir, rules=rules, dem_layer=dem, permit_distance_m=permit_distance_m,
                permit_margin_days=permit_margin_days,
                depression_distance_m=depression_distance_m, road_distance_m=road_distance_m,
                write_map=not no_map, offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]诉求成因[/] {} of {} work orders linked to a cause ({} cases)",
            s["linked"], s["orders_with_rule"], s["cases_linked"])
        say(out, "  by cause: {}", ", ".join(f"{_KIND_LABELS[k]} {v}"
                                             for k, v in s["by_kind"].items()))
        say(out, "  share explained: {}", ", ".join(
            f"{k} {v:.0%}" for k, v in s["share_by_category"].items()))
        for a in s["top_applicants"]:
            say(out, "  {}: {} orders near its works", a["applicant"], a["n_complaints"])
        for note in s["notes"]:
            say(out, "  [yellow]note[/] {}", note)
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)

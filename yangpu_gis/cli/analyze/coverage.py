"""``yangpu-gis analyze coverage``: coverage gaps (全覆盖 / 空白点) from a registry."""

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
    SchedulerOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    out_option,
    print_json,
)

__all__ = ["SERVICE_M", "coverage"]

#: The presets' service distances (m) shown in ``--service-m``'s help: those of
#: ``CoverageDefaults`` (kept equal by a test; the analysis is not imported for ``--help``).
SERVICE_M = {"beautiful-streets": 20.0, "parking-reach": 300.0, "river-monitoring": 1000.0}
_SERVICE_HELP = ("Service distance in metres (overrides a preset's default: "
                 + ", ".join(f"{v:g} m {k}" for k, v in SERVICE_M.items()) + ").")


def _report_outputs(run) -> dict[str, dict[str, str]]:
    """Per preset: table name -> CSV, ``gpkg`` and ``map`` (the files a report wrote)."""
    paths: dict[str, dict[str, str]] = {}
    for r in run.result.reports:
        mine = {name: run.outputs[f"{r.stem}_{name}"] for name in r.tables}
        mine["gpkg"] = run.outputs["gpkg"]
        mine["map"] = run.outputs[f"map_coverage_{r.stem}"]
        paths[r.preset] = mine
    return paths


def coverage(
    out_dir: Annotated[Path | None, out_option("coverage")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    preset: Annotated[str | None, typer.Option(help="beautiful-streets | parking-reach | grid-completeness | river-monitoring | all [default: all, unless --targets is given].")] = None,
    distance: Annotated[str | None, typer.Option(help="euclidean | network (along roads; along rivers for river-monitoring) [default: the preset's own: network for parking-reach, else euclidean].")] = None,
    targets: Annotated[str | None, typer.Option(help="General form: target layer (any catalogue layer).")] = None,
    providers: Annotated[str | None, typer.Option(help="General form: provider layer.")] = None,
    service_m: Annotated[float | None, typer.Option("--service-m", help=_SERVICE_HELP)] = None,
    service_column: Annotated[str | None, typer.Option("--service-column", help="General form: provider column with each provider's own service distance (m).")] = None,
    stations: Annotated[Path | None, typer.Option(help="river-monitoring: vector file of water-quality stations [default: the registry's water_stations].")] = None,
    offline: OfflineOpt = True,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage gaps: streets, compounds, grid cells and river stretches no service reaches."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_coverage(reg, out_dir, preset=preset, distance=distance,
                                    targets=targets, providers=providers, service_m=service_m,
                                    service_column=service_column, stations=stations,
                                    offline=offline, scheduler=scheduler)
        paths = _report_outputs(run)
        reports = run.result.reports
        if as_json:
            print_json({"reports": [{**r.summary, "notes": r.notes, "outputs": paths[r.preset]}
                                    for r in reports]})
            return
        for r in reports:
            say(out, "[bold]{}[/] ({})", r.title, r.preset)
            for k, v in r.summary.items():
                if k not in ("preset", "notes") and not isinstance(v, list | dict):
                    say(out, "  {}: {}", k, v)
            for note in r.notes:
                say(out, "  [yellow]note[/] {}", note)
            say(out, "  wrote {} tables, map {}", len(paths[r.preset]) - 2, paths[r.preset]["map"])
        say(out, "layers in {}", Path(run.outputs["gpkg"]))

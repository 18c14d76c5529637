"""``yangpu-gis demo``: the main job on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..terminal import say
from .common import JsonOpt, errors_to_exit, out, print_json, progress

__all__ = ["demo"]


def demo(
    registry: Annotated[str, typer.Option("--registry", "-r", help="Where to build the demo registry.")] = "yangpu.gpkg",
    output: Annotated[Path, typer.Option("--output", "-o", help="Overview map (HTML).")] = Path("yangpu_overview.html"),
    offline: Annotated[bool, typer.Option("--offline/--online", help="Self-contained map that opens without internet (default), or CDN scripts and web tiles.")] = True,
    analyses: Annotated[Path, typer.Option("--analyses", help="Folder for the first analyses (excavation, parking).")] = Path("yangpu_analyses"),
    as_json: JsonOpt = False,
) -> None:
    """Build a registry from the demo dataset, write an overview map and the first analyses."""
    from ..demo import run_demo

    with errors_to_exit(as_json):
        with progress(not as_json, "demo") as stage:  # run_demo creates the registry
            result = run_demo(registry, map_path=output, offline=offline, analyses_dir=analyses,
                              on_file=lambda e: stage(f"{e.layer} ← {e.file.name}"))
        if as_json:
            print_json({"registry": result.registry,
                         "layers": result.layers.to_dict(orient="records"),
                         "loads": [r.as_dict() for r in result.loads],
                         "maps": [str(p) for p in result.maps]})
            return
        for r in result.loads:
            say(out, "loaded {:>7,} {:<22} from {} ({}{})", r.rows_read, r.layer,
                Path(r.source).name, r.details.get("source_crs"),
                f", {r.details['encoding']}" if r.details.get("encoding") else "")
            if r.details.get("skipped_rows"):
                say(out, "  [yellow]left out[/] {} rows without coordinates whose address "
                    "names no road (listed with --json)", len(r.details["skipped_rows"]))
        say(out, "[bold green]demo registry[/] {}", result.registry)
        for p in result.maps:
            say(out, "[bold green]map[/] {}", p.resolve())


"""The ``yangpu-gis`` application: every command group registered in one place.

Command modules define plain functions; this module alone binds them to the typer apps, so
no command module imports the app (and none imports another command module).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import analyze, catalogue, demo, history, maps, registry
from .common import capture_warnings, state

__all__ = ["analyze_app", "app", "catalogue_app", "main"]

app = typer.Typer(
    help="杨浦区城市资产登记与空间分析 — Yangpu urban-asset registry and GIS toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: …]" stays as written
)
analyze_app = typer.Typer(
    help="Analyses on a registry; results as CSV, GeoPackage and HTML maps in --out.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

catalogue_app = typer.Typer(
    help="The layer catalogue: built-in layers, and the layers the district defines itself.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and raw "
                                              "library warnings.")] = False) -> None:
    state["debug"] = debug
    capture_warnings(debug)


for _name in ("init", "load", "validate", "layers", "export", "info", "upgrade", "batches"):
    app.command(_name)(getattr(registry, _name))
app.command("load-raster")(registry.load_raster)
for _name in ("diff", "history", "revert"):
    app.command(_name)(getattr(history, _name))
app.command("map")(maps.map_command)
app.command("demo")(demo.demo)
for _name, _command in analyze.TOP_LEVEL.items():
    app.command(_name)(_command)
app.add_typer(analyze_app, name="analyze")
for _name, _command in analyze.COMMANDS.items():
    analyze_app.command(_name)(_command)
app.add_typer(catalogue_app, name="catalogue")
catalogue_app.command("add")(catalogue.add)
catalogue_app.command("list")(catalogue.list_layers)
catalogue_app.command("show")(catalogue.show)


def main() -> None:
    """Console-script entry point."""
    app()

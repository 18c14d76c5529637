"""``yangpu-gis analyze complaints``: merge, route and map 12345 work orders from a registry.

No ``from __future__ import annotations`` here: typer evaluates the command's annotations,
which refer to names bound inside :func:`register`.
"""

from pathlib import Path
from typing import Annotated

import typer

from ..output import out_folder, writes_results
from ..terminal import say

__all__ = ["register", "write_outputs"]


@writes_results("out_dir")
def write_outputs(result, out_dir: Path, *, subdistricts=None, offline: bool = True,
                  data_date: object = None, map_name: str = "complaints_map.html",
                  write_map: bool = True) -> dict[str, str]:
    """Write the CSVs, GeoTIFFs, GeoPackage and HTML map of a ``ComplaintsResult``.

    Files (CSV in UTF-8 with BOM, for Excel): ``cases.csv``, ``orders.csv``,
    ``routing.csv`` (every case), ``manual_dispatch.csv``, ``hotspots.csv``,
    ``recurring.csv``, ``trends_weekly.csv``, ``handling_time.csv``, ``parameters.csv``,
    ``density/<category>.tif`` (and ``density/all.tif``), ``complaints.gpkg`` (layers
    ``cases``, ``hotspot_cells``, ``manual_dispatch``) and the map.

    Returns
    -------
    dict
        Output name -> path.
    """
    import pandas as pd

    out_folder(out_dir)
    kw = {"index": False, "encoding": "utf-8-sig"}
    paths: dict[str, Path] = {}

    def csv(name: str, frame: pd.DataFrame) -> None:
        paths[name] = out_dir / f"{name}.csv"
        frame.to_csv(paths[name], **kw)

    cases = result.cases
    case_table = pd.DataFrame(cases.drop(columns="geometry"))
    for c in ("first_received_at", "last_received_at"):
        case_table[c] = case_table[c].map(lambda t: t.isoformat() if pd.notna(t) else None)
    csv("cases", case_table)
    csv("orders", result.orders)
    routing = result.routing.copy()
    routing["first_received_at"] = pd.Series(routing["first_received_at"]).map(
        lambda t: t.isoformat() if pd.notna(t) else None)
    csv("routing", routing)
    csv("manual_dispatch", routing[routing["dispatch"] == "manual"])
    csv("hotspots", result.hotspots)
    csv("recurring", result.recurring)
    csv("trends_weekly", result.weekly)
    csv("handling_time", result.handling)
    csv("parameters", pd.DataFrame([{"parameter": k, "value": v}
                                    for k, v in result.parameters.items()]))
    density_dir = out_dir / "density"
    for key, raster in result.density.items():
        paths[f"density_{key}"] = raster.to_geotiff(density_dir / f"{_safe(key)}.tif")
    gpkg = out_dir / "complaints.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    located = cases[cases.geometry.notna()]
    if len(located):
        layer = located.copy()
        for c in ("first_received_at", "last_received_at"):
            layer[c] = layer[c].map(lambda t: t.isoformat())
        layer = layer.merge(result.routing[["case_id", "department", "dispatch", "reason"]],
                            on="case_id", how="left")
        layer.to_file(gpkg, layer="cases", driver="GPKG", engine="pyogrio")
        manual = layer[layer["dispatch"] == "manual"]
        if len(manual):
            manual.to_file(gpkg, layer="manual_dispatch", driver="GPKG", engine="pyogrio")
    hs = result.hotspots
    if len(hs):
        wide = hs.pivot(index="cell_id", columns="category", values="class")
        wide.columns = [f"class_{c}" for c in wide.columns]
        n = hs.pivot(index="cell_id", columns="category", values="n_cases")
        n.columns = [f"n_{c}" for c in n.columns]
        cells = result.cells.merge(wide.join(n), left_on="cell_id", right_index=True,
                                   how="left")
        cells.to_file(gpkg, layer="hotspot_cells", driver="GPKG", engine="pyogrio")
    paths["gpkg"] = gpkg
    if write_map:
        from .. import maps
        from ..maps.complaints import complaints_map

        paths["map"] = out_dir / map_name
        maps.save(complaints_map(result, subdistricts=subdistricts, offline=offline,
                                 data_date=data_date), paths["map"])
    return {k: str(v) for k, v in paths.items()}


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "category"


def register(app: typer.Typer, analyze_app: typer.Typer) -> None:
    """Add ``analyze complaints`` to the command line."""
    from .. import cli

    RegistryOption = getattr(cli, "RegistryOption", cli.RegistryOpt)  # noqa: N806
    JsonOption = getattr(cli, "JsonOption", cli.JsonOpt)  # noqa: N806

    @analyze_app.command("complaints")
    def complaints(
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("complaints_out"),
        registry: RegistryOption = None,
        distance_m: Annotated[float, typer.Option("--distance-m", help="Duplicates: same category within this many metres …")] = 50.0,
        hours: Annotated[float, typer.Option("--hours", help="… and this many hours of another work order.")] = 72.0,
        boundary_m: Annotated[float, typer.Option("--boundary-m", help="Cases this close to a subdistrict border (metres) go to manual dispatch; 0 disables.")] = 15.0,
        cells: Annotated[str, typer.Option(help="Hot-spot units: grid (the registry's grid cells) or hex.")] = "grid",
        hex_size_m: Annotated[float, typer.Option("--hex-size-m", help="Hexagon size (centre to vertex, metres) with --cells hex.")] = 250.0,
        permutations: Annotated[int, typer.Option(help="Gi* conditional permutations.")] = 9999,
        seed: Annotated[int, typer.Option(help="Seed of the permutations.")] = 2021,
        alpha: Annotated[float, typer.Option(help="False-discovery rate of the hot-spot test.")] = 0.05,
        min_months: Annotated[int, typer.Option("--min-months", help="Recurring spot: cases in at least N …")] = 3,
        last_months: Annotated[int, typer.Option("--last-months", help="… of the last M months.")] = 6,
        bandwidth_m: Annotated[float, typer.Option("--bandwidth-m", help="Density kernel standard deviation, metres.")] = 150.0,
        cell_size_m: Annotated[float, typer.Option("--cell-size-m", help="Density raster cell size, metres.")] = 25.0,
        category_table: Annotated[Path | None, typer.Option("--categories", help="CSV or TOML category → department table (adds to / overrides the defaults).")] = None,
        no_map: Annotated[bool, typer.Option("--no-map", help="Skip the HTML map.")] = False,
        offline: Annotated[bool, typer.Option("--offline/--online", help="Self-contained map (default) or CDN scripts and tiles.")] = True,
        as_json: JsonOption = False,
    ) -> None:
        """12345 work orders: merge duplicates, route cases, Gi* hot spots, density, trends, map."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..errors import ValidationError
        from .categories import load_category_table
        from .complaints import analyze_complaints

        with errors_to_exit(as_json):
            if cells not in ("grid", "hex"):
                raise ValidationError(f"unknown --cells {cells!r}", hint="grid or hex")
            table = load_category_table(category_table) if category_table else None
            with open_cli_registry(registry) as reg:
                orders = reg.read("complaints")
                subs = reg.read("subdistricts")
                grid = reg.read("grid_cells")
                data_date = reg.data_date()
            if orders.empty:
                raise ValidationError("the registry has no complaints",
                                      hint="load them first (yangpu-gis load … -l complaints)")
            result = analyze_complaints(
                orders, subdistricts=subs, grid_cells=grid, cells=cells, categories=table,
                distance_m=distance_m, hours=hours, boundary_tolerance_m=boundary_m,
                hex_size_m=hex_size_m, permutations=permutations, seed=seed, alpha=alpha,
                min_months=min_months, last_months=last_months, bandwidth_m=bandwidth_m,
                cell_size_m=cell_size_m,
            )
            paths = write_outputs(result, out, subdistricts=subs if len(subs) else None,
                                  offline=offline, data_date=data_date, write_map=not no_map)
            s = result.summary()
            if as_json:
                print_json({**s, "outputs": paths})
                return
            say(console, "[bold]12345工单[/] {} work orders → {} cases ({} merged; largest {} orders; {:g} m / {:g} h)", s['orders'], s['cases'], s['merged_orders'], s['largest_case'], distance_m, hours)
            reasons = ", ".join(f"{k} {v}" for k, v in s["manual_reasons"].items())
            say(console, "  manual dispatch: {} cases{}", s["manual_dispatch"],
                f" ({reasons})" if reasons else "")
            say(console, "  Gi* ({}): {} hot, {} cold cell-categories; {} recurring spots", s['parameters']['cells'], s['hot_cells'], s['cold_cells'], s['recurring_spots'])
            for note in s["notes"]:
                say(console, "  [yellow]note[/] {}", note)
            for name, path in paths.items():
                say(console, "  wrote {}: {}", name, path)

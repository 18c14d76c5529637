"""``yangpu-gis analyze parking``: parking supply versus demand from a registry.

No ``from __future__ import annotations`` here: typer evaluates the command's annotations,
which refer to names bound inside :func:`register`.
"""

from pathlib import Path
from typing import Annotated

import typer

from ..output import out_folder, writes_results
from ..terminal import say

__all__ = ["register", "run_parking", "write_outputs"]


def run_parking(reg, out_dir: Path, *, distance: str = "network", catchment_m=None,
                decay: str = "none", sigma_m=None, top_n: int = 10, offline: bool = True):
    """Read the registry, analyse parking, write every output into ``out_dir``.

    Shared by ``yangpu-gis analyze parking`` and ``yangpu-gis demo``.

    Returns
    -------
    (ParkingResult, dict)
        The result, and output name -> path.

    Raises
    ------
    ValidationError
        For an unknown ``distance`` or ``decay``, or a registry without demand.
    """
    from ..errors import ValidationError
    from .parking import analyze_parking

    if distance not in ("network", "euclidean"):
        raise ValidationError(f"unknown --distance {distance!r}", hint="network or euclidean")
    if decay not in ("none", "gaussian"):
        raise ValidationError(f"unknown --decay {decay!r}", hint="none or gaussian")
    frames = reg.read_layers("residential_compounds", "parking_facilities", "pois",
                             "subdistricts", "grid_cells")
    roads = reg.read("roads") if distance == "network" else None
    if frames["residential_compounds"].empty and frames["pois"].empty:
        raise ValidationError("the registry has no residential_compounds or pois",
                              hint="load them first (yangpu-gis load … -l residential_compounds)")
    result = analyze_parking(
        frames["residential_compounds"], frames["parking_facilities"],
        pois=frames["pois"], roads=roads, subdistricts=frames["subdistricts"],
        grid_cells=frames["grid_cells"], distance=distance, catchment_m=catchment_m,
        decay=decay, sigma_m=sigma_m, what_if_top_n=top_n,
    )
    return result, write_outputs(result, Path(out_dir), offline=offline,
                                 data_date=reg.data_date())


@writes_results("out_dir")
def write_outputs(result, out_dir: Path, *, offline: bool = True, data_date: object = None,
                  map_name: str = "parking_map.html") -> dict[str, str]:
    """Write the CSVs, the GeoPackage and the HTML map of a ``ParkingResult`` to ``out_dir``.

    Returns
    -------
    dict
        Output name -> path.
    """
    from .. import maps
    from ..maps.parking import parking_map

    out_folder(out_dir)
    paths = {
        "zones": out_dir / "zones.csv",
        "accessibility": out_dir / "accessibility.csv",
        "candidates": out_dir / "candidates.csv",
        "compounds": out_dir / "compounds_wajian.csv",
        "what_if": out_dir / "what_if.csv",
        "parameters": out_dir / "parameters.csv",
        "gpkg": out_dir / "parking.gpkg",
        "map": out_dir / map_name,
    }
    kw = {"index": False, "encoding": "utf-8-sig"}
    result.zones.to_csv(paths["zones"], **kw)
    result.accessibility_csv().to_csv(paths["accessibility"], **kw)
    result.candidates.drop(columns="geometry").to_csv(paths["candidates"], **kw)
    result.compounds.drop(columns="geometry").to_csv(paths["compounds"], **kw)
    result.what_if.to_csv(paths["what_if"], **kw)
    import pandas as pd

    pd.DataFrame([{"parameter": k, "value": v} for k, v in result.parameters.items()]).to_csv(
        paths["parameters"], **kw)
    gpkg = paths["gpkg"]
    if gpkg.exists():
        gpkg.unlink()
    loc = result.locations.copy()
    acc = result.accessibility.pivot(index="demand_id", columns="period",
                                     values=["access_ratio", "shortfall", "public_access"])
    acc.columns = [f"{a}_{b}" for a, b in acc.columns]
    for c in acc.columns:
        loc[c] = acc[c].reindex(loc["demand_id"]).to_numpy()
    layers = {
        "demand_locations": loc,
        "facilities": result.supply,
        "candidates": result.candidates,
        "compounds_wajian": result.compounds,
        "grid_balance": result.grid_balance,
        "subdistrict_balance": result.subdistrict_balance,
    }
    for name, gdf in layers.items():
        if gdf is not None and len(gdf):
            gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    maps.save(parking_map(result, offline=offline, data_date=data_date), paths["map"])
    return {k: str(v) for k, v in paths.items()}


def register(app: typer.Typer, analyze_app: typer.Typer) -> None:
    """Add ``analyze parking`` to the command line."""
    from .. import cli

    # cli.py binds the public aliases after registering topic commands: fall back to the
    # originals they alias while it is still being imported
    RegistryOption = cli.RegistryOption  # noqa: N806
    JsonOption = cli.JsonOption  # noqa: N806

    @analyze_app.command("parking")
    def parking(
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("parking_out"),
        registry: RegistryOption = None,
        distance: Annotated[str, typer.Option(help="network (walk along roads) | euclidean (straight line); straight line when the registry has no roads.")] = "network",
        catchment_m: Annotated[float, typer.Option("--catchment-m", help="Walking catchment in metres.")] = 500.0,
        decay: Annotated[str, typer.Option(help="none (2SFCA) | gaussian (E2SFCA).")] = "none",
        sigma_m: Annotated[float | None, typer.Option("--sigma-m", help="Gaussian width in metres [default: catchment/2].")] = None,
        top_n: Annotated[int, typer.Option("--top-n", help="Candidates opened in the what-if.")] = 10,
        offline: Annotated[bool, typer.Option("--offline/--online", help="Self-contained map (default) or CDN scripts and tiles.")] = True,
        as_json: JsonOption = False,
    ) -> None:
        """Parking supply versus demand: zone balances, 2SFCA accessibility, candidates, map."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console

        with errors_to_exit(as_json):
            with open_cli_registry(registry) as reg:
                result, paths = run_parking(reg, out, distance=distance, catchment_m=catchment_m,
                                            decay=decay, sigma_m=sigma_m, top_n=top_n,
                                            offline=offline)
            if as_json:
                print_json({**result.summary(), "outputs": paths})
                return
            s = result.summary()
            say(console, "[bold]停车供需[/] {} demand locations, {} facilities; {} distance, {:g} m catchment, decay {}", s['demand_locations'], s['facilities'], s['distance'], s['catchment_m'], s['decay'])
            for p, cn in (("night", "夜间"), ("day", "日间")):
                say(console, "  {}: demand {:,.0f}, shortfall {:,.0f} spaces at {} locations", cn, s[f'demand_{p}'], s[f'shortfall_{p}'], s[f'locations_short_{p}'])
            for row in s["what_if"][1:]:
                say(console, "  what-if {}: night shortfall {:,.0f}", row['scenario'], row['shortfall_night'])
            for note in s["notes"]:
                say(console, "  [yellow]note[/] {}", note)
            for name, path in paths.items():
                say(console, "  wrote {}: {}", name, path)

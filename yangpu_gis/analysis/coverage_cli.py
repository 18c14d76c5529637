"""``yangpu-gis analyze coverage``: coverage gaps (全覆盖 / 空白点) from a registry.

No ``from __future__ import annotations`` here: typer evaluates the command's annotations,
which refer to names bound inside :func:`register`.
"""

from pathlib import Path
from typing import Annotated

import typer

from ..output import out_folder, writes_results
from ..terminal import say

__all__ = ["register", "run_presets", "write_outputs"]

#: Layers each preset reads from the registry.
_PRESET_LAYERS = {
    "beautiful-streets": ("roads", "beautiful_blocks", "subdistricts", "grid_cells"),
    "parking-reach": (
        "residential_compounds",
        "parking_facilities",
        "roads",
        "subdistricts",
        "grid_cells",
    ),
    "grid-completeness": ("grid_cells", "districts", "subdistricts", "roads"),
    "river-monitoring": ("rivers", "water_stations", "subdistricts", "grid_cells"),
}


@writes_results("out_dir")
def write_outputs(
    reports: list, out_dir: Path, *, offline: bool = True, data_date: object = None
) -> dict[str, dict[str, str]]:
    """Write every report's CSVs, its layers in ``coverage.gpkg`` and its HTML map.

    Returns
    -------
    dict
        Preset -> output name -> path.
    """
    from .. import maps
    from ..maps.coverage import coverage_map

    out_folder(out_dir)
    gpkg = out_dir / "coverage.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    paths: dict[str, dict[str, str]] = {}
    for report in reports:
        stem = report.preset.replace("-", "_")
        mine: dict[str, str] = {}
        for name, table in report.tables.items():
            path = out_dir / f"{stem}_{name}.csv"
            table.to_csv(path, index=False, encoding="utf-8-sig")
            mine[name] = str(path)
        for name, gdf in report.layers.items():
            if gdf is None or not len(gdf):
                continue
            frame = gdf.drop(columns=[c for c in ("batch_id",) if c in gdf.columns])
            frame = frame.copy()
            for c in frame.columns:
                if c != frame.geometry.name and frame[c].dtype == object:
                    frame[c] = frame[c].map(lambda v: None if v is None else str(v))
            frame.to_file(gpkg, layer=f"{stem}_{name}", driver="GPKG", engine="pyogrio")
        mine["gpkg"] = str(gpkg)
        path = out_dir / f"coverage_{stem}.html"
        maps.save(coverage_map(report, offline=offline, data_date=data_date), path)
        mine["map"] = str(path)
        paths[report.preset] = mine
    return paths


def run_presets(
    frames: dict,
    presets: list[str],
    *,
    distance: str | None = None,
    service_m: float | None = None,
    stations=None,
) -> list:
    """Run the named presets on registry layers (``frames``: layer name -> GeoDataFrame).

    ``distance`` overrides each preset's default (beautiful streets are straight-line by
    definition); ``service_m`` overrides its service distance; without ``stations`` the
    river report uses the registry's ``water_stations`` (``frames["water_stations"]``) and
    refuses when there are none: it never invents stations.
    """
    from . import coverage as cov

    def get(name):
        g = frames.get(name)
        return g if g is not None and len(g) else None

    reports = []
    for preset in presets:
        if preset == "beautiful-streets":
            kw = {"buffer_m": service_m} if service_m is not None else {}
            _need(frames, "roads", "beautiful_blocks")
            r = cov.beautiful_streets(
                frames["roads"],
                frames["beautiful_blocks"],
                subdistricts=get("subdistricts"),
                grid_cells=get("grid_cells"),
                **kw,
            )
            if distance == "network":
                r.notes.append(
                    "美丽街区 reach is straight-line by definition (within 20 m of a "
                    "block); --distance network does not apply"
                )
        elif preset == "parking-reach":
            _need(frames, "residential_compounds", "parking_facilities")
            kw = {"service_m": service_m} if service_m is not None else {}
            r = cov.parking_reach(
                frames["residential_compounds"],
                frames["parking_facilities"],
                roads=get("roads"),
                distance=distance or "network",
                subdistricts=get("subdistricts"),
                grid_cells=get("grid_cells"),
                **kw,
            )
        elif preset == "grid-completeness":
            _need(frames, "grid_cells")
            r = cov.grid_completeness(
                frames["grid_cells"],
                district=get("districts"),
                subdistricts=get("subdistricts"),
                roads=get("roads"),
            )
        elif preset == "river-monitoring":
            _need(frames, "rivers")
            if stations is None:
                _need(frames, "water_stations", what="water-quality stations (water_stations)",
                      extra=" or pass --stations FILE")
                stations = frames["water_stations"]
            kw = {"service_m": service_m} if service_m is not None else {}
            r = cov.river_monitoring(
                frames["rivers"],
                stations,
                distance=distance or "euclidean",
                subdistricts=get("subdistricts"),
                grid_cells=get("grid_cells"),
                **kw,
            )
        else:
            from ..errors import ValidationError

            raise ValidationError(
                f"unknown preset {preset!r}",
                hint="beautiful-streets, parking-reach, grid-completeness, river-monitoring or all",
            )
        reports.append(r)
    return reports


def _need(frames: dict, *names: str, what: str | None = None, extra: str = "") -> None:
    from ..errors import ValidationError

    for name in names:
        g = frames.get(name)
        if g is None or not len(g):
            raise ValidationError(
                f"the registry has no {what or name}",
                hint=f"load it first (yangpu-gis load FILE --layer {name}){extra}",
            )


def register(app: typer.Typer, analyze_app: typer.Typer) -> None:
    """Add ``analyze coverage`` to the command line."""
    from .. import cli

    RegistryOption = cli.RegistryOption  # noqa: N806
    JsonOption = cli.JsonOption  # noqa: N806

    @analyze_app.command("coverage")
    def coverage_cmd(
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
            "coverage_out"
        ),
        registry: RegistryOption = None,
        preset: Annotated[
            str | None,
            typer.Option(
                help="beautiful-streets | parking-reach | grid-completeness | river-monitoring | all [default: all, unless --targets is given]."
            ),
        ] = None,
        distance: Annotated[
            str | None,
            typer.Option(
                help="euclidean | network (along roads; along rivers for river-monitoring) [default: the preset's own: network for parking-reach, else euclidean]."
            ),
        ] = None,
        targets: Annotated[
            str | None, typer.Option(help="General form: target layer (any catalogue layer).")
        ] = None,
        providers: Annotated[str | None, typer.Option(help="General form: provider layer.")] = None,
        service_m: Annotated[
            float | None,
            typer.Option(
                "--service-m", help="Service distance in metres (overrides a preset's default)."
            ),
        ] = None,
        service_column: Annotated[
            str | None,
            typer.Option(
                "--service-column",
                help="General form: provider column with each provider's own service distance (m).",
            ),
        ] = None,
        stations: Annotated[
            Path | None,
            typer.Option(
                help="river-monitoring: vector file of water-quality stations [default: the registry's water_stations]."
            ),
        ] = None,
        offline: Annotated[
            bool,
            typer.Option(
                "--offline/--online", help="Self-contained maps (default) or CDN scripts and tiles."
            ),
        ] = True,
        as_json: JsonOption = False,
    ) -> None:
        """Coverage gaps: streets, compounds, grid cells and river stretches no service reaches."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..errors import ValidationError
        from . import coverage as cov

        with errors_to_exit(as_json):
            if distance not in (None, "euclidean", "network"):
                raise ValidationError(
                    f"unknown --distance {distance!r}", hint="euclidean or network"
                )
            general = targets is not None or providers is not None
            if general:
                if not (targets and providers):
                    raise ValidationError("the general form needs --targets and --providers")
                if preset not in (None, "custom"):
                    raise ValidationError("--preset and --targets/--providers exclude each other")
                if service_m is None and service_column is None:
                    raise ValidationError("the general form needs --service-m or --service-column")
                names = [targets, providers, "subdistricts", "grid_cells"]
                if distance == "network":
                    names.append("roads")
            else:
                chosen = list(cov.PRESETS) if preset in (None, "all") else [preset]
                for p in chosen:
                    if p not in cov.PRESETS:
                        raise ValidationError(
                            f"unknown --preset {p!r}", hint=", ".join([*cov.PRESETS, "all"])
                        )
                names = sorted({n for p in chosen for n in _PRESET_LAYERS[p]})
            from ..catalogue import get_layer

            for n in names:
                get_layer(n)
            with open_cli_registry(registry) as reg:
                frames = {n: reg.read(n) for n in dict.fromkeys(names)}
                data_date = reg.data_date()
            if general:
                _need(frames, targets, providers)
                reports = [
                    cov.coverage_report(
                        frames[targets],
                        frames[providers],
                        service_m=service_m,
                        service_column=service_column,
                        distance=distance or "euclidean",
                        roads=frames.get("roads") if distance == "network" else None,
                        subdistricts=frames["subdistricts"]
                        if len(frames["subdistricts"])
                        else None,
                        grid_cells=frames["grid_cells"] if len(frames["grid_cells"]) else None,
                    )
                ]
            else:
                st = None
                if stations is not None:
                    import geopandas as gpd

                    from .. import settings

                    st = gpd.read_file(stations)
                    if st.crs is None:
                        raise ValidationError(
                            f"{stations} has no CRS", hint="use a file with a .prj / CRS"
                        )
                    st = st.to_crs(settings.working_crs)
                reports = run_presets(
                    frames, chosen, distance=distance, service_m=service_m, stations=st
                )
            paths = write_outputs(reports, out, offline=offline, data_date=data_date)
            if as_json:
                print_json(
                    {
                        "reports": [
                            {**r.summary, "notes": r.notes, "outputs": paths[r.preset]}
                            for r in reports
                        ]
                    }
                )
                return
            for r in reports:
                say(console, "[bold]{}[/] ({})", r.title, r.preset)
                for k, v in r.summary.items():
                    if k not in ("preset", "notes") and not isinstance(v, list | dict):
                        say(console, "  {}: {}", k, v)
                for note in r.notes:
                    say(console, "  [yellow]note[/] {}", note)
                say(console, "  wrote {} tables, map {}", len(paths[r.preset]) - 2, paths[r.preset]['map'])
            say(console, "layers in {}", out / 'coverage.gpkg')

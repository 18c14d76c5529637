"""``yangpu-gis load-raster`` and ``analyze waterlogging | water-quality | road-condition``.

No ``from __future__ import annotations`` here: typer evaluates the command's annotations.
"""

from pathlib import Path
from typing import Annotated

import typer

from ..output import out_folder, writes_results
from ..terminal import say

__all__ = ["register", "write_frames"]


@writes_results("out")
def write_frames(out: Path, tables: dict, layers: dict, gpkg_name: str) -> dict:
    """CSV per table (UTF-8 with BOM, for Excel) and every non-empty layer in one GeoPackage."""
    out_folder(out)
    paths = {}
    for name, table in tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False, encoding="utf-8-sig")
        paths[name] = str(path)
    gpkg = out / gpkg_name
    if gpkg.exists():
        gpkg.unlink()
    for name, gdf in layers.items():
        if gdf is not None and len(gdf):
            frame = gdf.copy()
            for c in frame.columns:
                if c != frame.geometry.name and frame[c].dtype == object:
                    frame[c] = frame[c].map(lambda v: None if v is None else str(v))
            frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    paths["gpkg"] = str(gpkg)
    return paths


def _data_date(reg):
    b = reg.batches()
    return b["loaded_at"].max().date().isoformat() if len(b) else None


def _read_table(path: Path):
    import geopandas as gpd
    import pandas as pd

    from ..errors import SourceError

    if not path.exists():
        raise SourceError("file not found", source=str(path))
    if path.suffix.lower() in (".csv", ".txt"):
        return pd.read_csv(path, encoding="utf-8-sig", dtype={"station_id": str})
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype={"station_id": str})
    return gpd.read_file(path)


def register(app: typer.Typer, analyze_app: typer.Typer) -> None:
    """Add ``load-raster`` and the three condition analyses to the command line."""
    from .. import cli

    RegistryOption = cli.RegistryOption  # noqa: N806
    JsonOption = cli.JsonOption  # noqa: N806
    Offline = Annotated[bool, typer.Option("--offline/--online",  # noqa: N806
                                           help="Self-contained map (default) or CDN/tiles.")]

    @app.command("load-raster")
    def load_raster_cmd(
        source: Annotated[Path, typer.Argument(help="GeoTIFF or any GDAL raster.")],
        layer: Annotated[str, typer.Option("--layer", "-l", help="Raster layer (dem).")] = "dem",
        registry: RegistryOption = None,
        crs: Annotated[str | None, typer.Option(help="CRS of the file (EPSG code) if it has none or a wrong one.")] = None,
        resolution_m: Annotated[float | None, typer.Option("--resolution-m", help="Stored cell size in metres [default: the source's].")] = None,
        units: Annotated[str, typer.Option(help="Units of the values: m, cm, mm, ft, us-ft.")] = "m",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Validate a raster and store it in the registry (replacing the layer)."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..rasters import load_raster

        with errors_to_exit(as_json), open_cli_registry(registry) as reg:
            res = load_raster(reg, source, layer, crs=crs, resolution_m=resolution_m,
                              units=units, dry_run=dry_run)
            if as_json:
                print_json(res.as_dict())
                return
            d = res.details
            verb = "would load" if dry_run else "loaded"
            say(console, "[bold green]{}[/] raster {} into [bold]{}[/]: {}×{} cells at {:g} m, values {}…{}", verb, source, layer, d['width'], d['height'], d['resolution_m'], d['value_min'], d['value_max'])
            if not dry_run:
                say(console, "  batch {}: {:,} valid cells, {:,} replaced, in {:.2f} s", res.batch_id, res.rows_inserted, res.rows_deleted, res.seconds)
            say(console, "  read as {}", d['source_crs'])
            for note in d.get("notes", []):
                say(console, "  note: {}", note)

    @analyze_app.command("waterlogging")
    def waterlogging_cmd(
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("waterlogging_out"),
        registry: RegistryOption = None,
        layer: Annotated[str, typer.Option(help="Elevation raster layer.")] = "dem",
        min_depth_m: Annotated[float, typer.Option("--min-depth-m", help="Fill depth (m) above which a cell is in a depression.")] = 0.05,
        min_area_m2: Annotated[float, typer.Option("--min-area-m2", help="Smallest depression reported (m²).")] = 0.0,
        offline: Offline = True,
        as_json: JsonOption = False,
    ) -> None:
        """积水风险: depressions of the DEM, and the roads and compounds in them."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..maps import save
        from ..maps.condition import waterlogging_map
        from ..rasters import read_raster
        from .waterlogging import waterlogging

        with errors_to_exit(as_json):
            with open_cli_registry(registry) as reg:
                dem = read_raster(reg, layer)
                roads = reg.read("roads")
                compounds = reg.read("residential_compounds")
                subs = reg.read("subdistricts")
                date = _data_date(reg)
            rep = waterlogging(dem, roads, compounds, min_depth_m=min_depth_m,
                               min_area_m2=min_area_m2)
            layers = {"depressions": rep.depressions, "roads_at_risk": rep.roads,
                      "compounds_at_risk": rep.compounds}
            paths = write_frames(out, rep.tables(), layers, "waterlogging.gpkg")
            paths["map"] = str(save(waterlogging_map(rep, subdistricts=subs, offline=offline,
                                                     data_date=date), out / "waterlogging.html"))
            if as_json:
                print_json({**rep.summary, "outputs": paths})
                return
            for k, v in rep.summary.items():
                say(console, "  {}: {}", k, v)
            say(console, "wrote {}", ', '.join(paths.values()))

    @analyze_app.command("water-quality")
    def water_quality_cmd(
        stations: Annotated[Path | None, typer.Option(help="water_stations file (GeoPackage/GeoJSON/CSV with station_id, water_body …) [default: the registry's water_stations].")] = None,
        samples: Annotated[Path | None, typer.Option(help="water_samples table (CSV/XLSX) [default: the registry's water_samples].")] = None,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("water_quality_out"),
        registry: RegistryOption = None,
        period: Annotated[str | None, typer.Option(help="Year (2025) or START/END dates [default: last calendar year].")] = None,
        target_class: Annotated[str, typer.Option(help="Target class where stations have no target_class column.")] = "III",
        offline: Offline = True,
        as_json: JsonOption = False,
    ) -> None:
        """GB 3838-2002 classes of samples and stations; rivers coloured by nearest station.

        Stations and samples come from the registry's water_stations and water_samples
        layers unless --stations / --samples name files.
        """
        import geopandas as gpd

        from .. import settings
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..maps import save
        from ..maps.condition import water_quality_map
        from . import water_quality as wq

        with errors_to_exit(as_json):
            if period is not None:
                wq.period_bounds(period)  # a bad --period is refused before any reading
            if stations is None or samples is None:
                with open_cli_registry(registry) as reg:
                    st = reg.read("water_stations") if stations is None else _read_table(stations)
                    sm = reg.read("water_samples") if samples is None else _read_table(samples)
                for name, frame, given in (("water_stations", st, stations),
                                           ("water_samples", sm, samples)):
                    if given is None and not len(frame):
                        from ..errors import ValidationError

                        raise ValidationError(
                            f"the registry holds no {name}",
                            hint=f"load them (yangpu-gis load FILE {name}) or pass "
                            f"--{name.split('_')[1]} FILE")
            else:
                st = _read_table(stations)
                sm = _read_table(samples)
            per = period  # a year or START/END: classify_stations checks it
            sample_cls = wq.classify_samples(sm, st)
            station_cls = wq.classify_stations(sm, st, period=per, target_class=target_class)
            tables = {"samples": sample_cls, "stations": station_cls}
            layers = {}
            html = None
            if isinstance(st, gpd.GeoDataFrame) and st.crs is not None:
                with open_cli_registry(registry) as reg:
                    rivers = reg.read("rivers")
                    date = _data_date(reg)
                st_w = st.to_crs(settings.working_crs)
                st_w["station_id"] = st_w["station_id"].astype(str)
                st_map = st_w.merge(station_cls[["station_id", "class", "worst_parameter",
                                                  "compliant"]], on="station_id", how="left")
                layers["stations"] = st_map
                if len(rivers):
                    rc = wq.river_classes(rivers, st_w, station_cls)
                    layers["rivers"] = rc
                    html = save(water_quality_map(rc, st_map, offline=offline, data_date=date),
                                out / "water_quality.html")
            paths = write_frames(out, tables, layers, "water_quality.gpkg")
            if html:
                paths["map"] = str(html)
            summary = {
                "samples": len(sample_cls), "stations": len(station_cls),
                "period": station_cls["period"].iloc[0] if len(station_cls) else None,
                "stations_compliant": int(station_cls["compliant"].fillna(False).sum()),
                "stations_worse_than_V": int((station_cls["class"] == "劣V").sum()),
                "outputs": paths,
            }
            if as_json:
                print_json(summary)
                return
            for k, v in summary.items():
                say(console, "  {}: {}", k, v)

    @analyze_app.command("road-condition")
    def road_condition_cmd(
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("road_condition_out"),
        registry: RegistryOption = None,
        target: Annotated[float, typer.Option(help="Target good-road rate (0–1).")] = 0.95,
        grades: Annotated[Path | None, typer.Option(help="CSV road_class,excellent,good,fair overriding the PCI grade table.")] = None,
        offline: Offline = True,
        as_json: JsonOption = False,
    ) -> None:
        """好路率: PCI grades by road class, good-road rate by subdistrict and district."""
        from ..cli import errors_to_exit, open_cli_registry, print_json
        from ..cli import out as console
        from ..maps import save
        from ..maps.condition import road_condition_map
        from .road_condition import DEFAULT_PCI_GRADES, road_condition

        with errors_to_exit(as_json):
            table = dict(DEFAULT_PCI_GRADES)
            if grades is not None:
                table.update(_read_grades(grades))
            with open_cli_registry(registry) as reg:
                roads = reg.read("roads")
                subs = reg.read("subdistricts")
                date = _data_date(reg)
            rep = road_condition(roads, subs, grades=table, target_rate=target)
            by_sub = rep.table[rep.table["road_class"] == "all"]
            subs_map = subs.merge(by_sub[["subdistrict_id", "length_m", "good_length_m",
                                          "good_rate"]], on="subdistrict_id", how="left")
            tables = {"road_condition": rep.table, "worst_roads": rep.worst}
            layers = {"subdistricts": subs_map, "roads": rep.roads}
            paths = write_frames(out, tables, layers, "road_condition.gpkg")
            paths["map"] = str(save(road_condition_map(subs_map, rep.roads, offline=offline,
                                                       data_date=date),
                                    out / "road_condition.html"))
            if as_json:
                print_json({**rep.summary, "outputs": paths})
                return
            s = rep.summary
            say(console, "好路率 {:.2%} (target {:.0%}, gap {:.2f} pp, {:,.0f} m of good road still needed)", s['good_rate'], s['target_rate'], s['gap_pp'], s['good_length_needed_m'])
            say(console, "wrote {}", ', '.join(paths.values()))


def _read_grades(path: Path) -> dict[str, tuple[float, float, float]]:
    """The ``--grades`` CSV (``road_class,excellent,good,fair``, UTF-8) as a grade table.

    Raises
    ------
    SourceError
        If the file is missing, unreadable, not UTF-8 CSV, or a threshold is not a number
        (with its line and column).
    """
    import csv

    from ..errors import Problem, SourceError

    hint = "a CSV with the header road_class,excellent,good,fair and one line per road class"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError("file not found", source=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise SourceError("this is a folder, not a CSV file", source=str(path), hint=hint) from None
    except UnicodeDecodeError:
        raise SourceError("not a UTF-8 text file", source=str(path),
                          hint="save it as CSV UTF-8") from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}", source=str(path)) from None
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2 or len(rows[0]) < 4:
        raise SourceError("no grade table in it", source=str(path), hint=hint)
    header = [h.strip() for h in rows[0][:4]]
    table: dict[str, tuple[float, float, float]] = {}
    problems = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        if len(row) < 4:
            problems.append(Problem("fewer than four values", rows=[line], row_label="line"))
            continue
        values = []
        for name, v in zip(header[1:], row[1:4], strict=True):
            try:
                number = float(v)
            except ValueError:
                problems.append(Problem(f"{v!r} is not a number", rows=[line], field=name,
                                        row_label="line"))
                continue
            if number != number or number in (float("inf"), float("-inf")):
                problems.append(Problem(f"{v!r} is not a finite number", rows=[line],
                                        field=name, row_label="line"))
                continue
            values.append(number)
        if len(values) == 3:
            table[row[0].strip()] = (values[0], values[1], values[2])
    if problems:
        raise SourceError("the grade table has values that are not numbers", source=str(path),
                          problems=problems, hint=hint)
    return table

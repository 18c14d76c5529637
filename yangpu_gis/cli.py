"""``yangpu-gis``: the command line. Thin: parses options, calls the library, formats output.

Errors of the package (:class:`yangpu_gis.YangpuGisError`) are printed without a traceback
and exit non-zero (2 for refused input, 1 otherwise); ``--debug`` shows the traceback.
``--json`` prints machine-readable results for scripts.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import settings
from .errors import CRSError, SourceError, ValidationError, YangpuGisError
from .terminal import dumps, escape, plain, say

app = typer.Typer(
    help="杨浦区城市资产登记与空间分析 — Yangpu urban-asset registry and GIS toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
analyze_app = typer.Typer(
    help="Analyses on a registry; results as CSV, GeoPackage and HTML maps in --out.",
    no_args_is_help=True,
)
app.add_typer(analyze_app, name="analyze")
out = Console()
err = Console(stderr=True)
_state = {"debug": False}

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="GeoPackage path or postgresql:// URL "
                 "[default: $YANGPU_GIS_REGISTRY or ./yangpu.gpkg]"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def open_cli_registry(value: str | None, *, create: bool = False):
    """Open ``--registry`` (or the default) for a command; shared by analysis commands.

    A reading command refuses a registry that does not exist (a mistyped path is not an
    empty registry); only ``load`` and ``demo`` create one (``create=True``).
    """
    return _registry(value, create=create)


def _registry(value: str | None, *, create: bool = False):
    from .registry import open_registry

    return open_registry(value or settings.default_registry, create=create)


def _print_json(data: Any) -> None:
    """Strict JSON on stdout (NaN and NaT as null, never ``NaN``; see :func:`.terminal.dumps`)."""
    sys.stdout.write(dumps(data) + "\n")
    sys.stdout.flush()


@contextmanager
def _errors(as_json: bool = False):
    try:
        yield
    except YangpuGisError as exc:
        if _state["debug"]:
            raise
        if as_json:
            _print_json(exc.as_dict())
        else:
            say(err, "[bold red]error:[/] {}", exc.render())
        code = 2 if isinstance(exc, (ValidationError, SourceError, CRSError)) else 1
        raise typer.Exit(code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        # not a refusal the package made on purpose: a bug, said in one line (and as a JSON
        # error object for scripts); --debug shows the traceback
        if _state["debug"]:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        hint = "this is a bug in yangpu-gis: run the command again with --debug for the traceback"
        if as_json:
            _print_json({"error": "InternalError", "message": f"{type(exc).__name__}: {message}",
                         "source": None, "problems": [], "hint": hint})
        else:
            say(err, "[bold red]error:[/] unexpected {}: {}\n  hint: {}", type(exc).__name__,
                message, hint)
        raise typer.Exit(1) from None


@contextmanager
def _progress(enabled: bool, label: str):
    """A spinner with the current stage, shown on a terminal only."""
    if not enabled or not err.is_terminal:
        yield lambda _stage: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(escape(label))
        yield lambda stage: bar.update(task, description=escape(f"{label}: {stage}"))


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and raw "
                                              "library warnings.")] = False) -> None:
    _state["debug"] = debug
    _capture_warnings(debug)


def _capture_warnings(debug: bool) -> None:
    """Warnings on the terminal: the package's as one clean line each; third-party noise
    (numpy ``RuntimeWarning``, pandas, shapely, GDAL via pyogrio/rasterio) silenced.
    ``--debug`` shows every warning raw."""
    import logging
    import warnings

    if debug:
        warnings.simplefilter("default")
        return
    for name in ("pyogrio", "rasterio", "fiona", "numexpr", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if _package_file(filename):
            text = " ".join(str(message).split())
            say(err, "[yellow]warning:[/] {}", text)

    warnings.showwarning = show


def _package_file(filename: str) -> bool:
    here = Path(__file__).resolve().parent
    try:
        return Path(filename).resolve().is_relative_to(here)
    except (OSError, ValueError):
        return False


def _load_options(crs, encoding, mapping, map_file, value, repair, source_layer, x, y,
                  where, skip_unlocated=False, strict_crs=False) -> dict[str, Any]:
    from .io import parse_mapping, parse_value_mapping

    return {
        "crs": crs,
        "encoding": encoding,
        "mapping": parse_mapping(mapping),
        "mapping_file": map_file,
        "values": parse_value_mapping(value),
        "repair": repair,
        "source_layer": source_layer,
        "x": x,
        "y": y,
        "where": where,
        "skip_unlocated": skip_unlocated,
        "strict_crs": True if strict_crs else None,  # None: settings.strict_crs decides
    }


def _report(result, as_json: bool) -> None:
    data = result.as_dict()
    if as_json:
        _print_json(data)
        return
    verb = "would load" if result.dry_run else "loaded"
    say(out, "[bold green]{}[/] {} rows from {} into [bold]{}[/] (mode {})", verb,
        result.rows_read, result.source, result.layer, result.mode)
    if not result.dry_run:
        say(out, "  batch {}: {} inserted, {} updated, {} unchanged, {} replaced in {:.2f} s",
            result.batch_id, result.rows_inserted, result.rows_updated, result.rows_unchanged,
            result.rows_deleted, result.seconds)
    for note in data.get("notes", []):
        say(out, "  {}", note)
    if data.get("skipped_rows"):
        from .errors import format_rows

        say(out, "  [yellow]left out[/] rows {} (no coordinates, address matches no road)",
            format_rows(data["skipped_rows"]))
    say(out, "  coordinates read as {}", data.get("source_crs"))
    if data.get("mapping"):
        pairs = ", ".join(f"{k}→{v}" for k, v in data["mapping"].items())
        say(out, "  columns mapped: {}", pairs)
    if data.get("ignored_columns"):
        say(out, "  columns not in the catalogue (not stored): {}",
            ", ".join(map(str, data["ignored_columns"])))
    for rep in data.get("repairs", []):
        from .errors import format_rows

        say(out, "  [yellow]repaired[/] rows {}: {}", format_rows(rep["rows"]), rep["message"])


#: Files `load` hands to the raster loader.
RASTER_SUFFIXES = (".tif", ".tiff", ".asc", ".img", ".vrt")

_crs_help = "CRS of the coordinates: EPSG code, or gcj02 (Amap/Tencent) / bd09 (Baidu)."


@app.command()
def load(
    source: Annotated[Path, typer.Argument(help="Shapefile (.shp/.zip), GeoPackage, GeoJSON, CSV or XLSX.")],
    layer: Annotated[str, typer.Option("--layer", "-l", help="Catalogue layer to load into.")],
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help=_crs_help)] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (overrides .cpg / detection).")] = None,
    mode: Annotated[str, typer.Option(help="append | replace | upsert")] = "append",
    mapping: Annotated[list[str] | None, typer.Option("--map", help="SOURCE=TARGET column mapping (repeatable).")] = None,
    map_file: Annotated[Path | None, typer.Option(help="Mapping file (TOML, JSON or 2-column CSV).")] = None,
    value: Annotated[list[str] | None, typer.Option("--value", help="COLUMN:SOURCE=TARGET value translation (repeatable).")] = None,
    repair: Annotated[bool, typer.Option("--repair", help="Repair geometries and report the changes.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    source_layer: Annotated[str | None, typer.Option(help="GeoPackage/OSM layer or workbook sheet.")] = None,
    x: Annotated[str | None, typer.Option("--x", help="x / longitude column (CSV, XLSX).")] = None,
    y: Annotated[str | None, typer.Option("--y", help="y / latitude column (CSV, XLSX).")] = None,
    where: Annotated[str | None, typer.Option(help="OGR SQL attribute filter (vector files).")] = None,
    skip_unlocated: Annotated[bool, typer.Option("--skip-unlocated", help="Complaints: leave out (and list) rows that have no coordinates and no road-matching address.")] = False,
    as_json: JsonOpt = False,
    strict_crs: Annotated[bool, typer.Option("--strict-crs", help="Refuse lon/lat that match the registry better as GCJ-02/BD-09 (default: a warning; $YANGPU_GIS_STRICT_CRS=1).")] = False,
) -> None:
    """Validate a file and load it into a registry layer, all or nothing (rasters: DEM.tif)."""
    from .rasters import RASTER_CATALOGUE

    if layer in RASTER_CATALOGUE or source.suffix.lower() in RASTER_SUFFIXES:
        with _errors(as_json), _registry(registry, create=True) as reg:
            result = reg.load_raster(source, layer, crs=crs, dry_run=dry_run)
            _report(result, as_json)
        return
    with _errors(as_json):
        options = _load_options(crs, encoding, mapping, map_file, value, repair, source_layer, x,
                                y, where, skip_unlocated, strict_crs)
        with _registry(registry, create=True) as reg, \
                _progress(not as_json, f"loading {source.name}") as stage:
            result = reg.load(source, layer, mode=mode, dry_run=dry_run, on_stage=stage, **options)
        _report(result, as_json)


@app.command()
def validate(
    source: Annotated[Path, typer.Argument(help="File to check.")],
    layer: Annotated[str, typer.Option("--layer", "-l", help="Catalogue layer.")],
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help=_crs_help)] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding.")] = None,
    mode: Annotated[str, typer.Option(help="append | replace | upsert")] = "append",
    mapping: Annotated[list[str] | None, typer.Option("--map", help="SOURCE=TARGET (repeatable).")] = None,
    map_file: Annotated[Path | None, typer.Option(help="Mapping file.")] = None,
    value: Annotated[list[str] | None, typer.Option("--value", help="COLUMN:SOURCE=TARGET.")] = None,
    repair: Annotated[bool, typer.Option("--repair")] = False,
    source_layer: Annotated[str | None, typer.Option(help="GeoPackage/OSM layer or sheet.")] = None,
    x: Annotated[str | None, typer.Option("--x")] = None,
    y: Annotated[str | None, typer.Option("--y")] = None,
    where: Annotated[str | None, typer.Option(help="OGR SQL attribute filter.")] = None,
    skip_unlocated: Annotated[bool, typer.Option("--skip-unlocated")] = False,
    as_json: JsonOpt = False,
    strict_crs: Annotated[bool, typer.Option("--strict-crs", help="Refuse lon/lat that look like GCJ-02/BD-09.")] = False,
) -> None:
    """Check a file as `load` would, without writing (a dry run)."""
    load(source, layer, registry, crs, encoding, mode, mapping, map_file, value, repair, True,
         source_layer, x, y, where, skip_unlocated, as_json, strict_crs)


@app.command()
def layers(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Feature counts per catalogue layer."""
    with _errors(as_json), _registry(registry) as reg:
        from .rasters import raster_layers

        table = reg.layers()
        rasters = raster_layers(reg)
        if as_json:
            rows = table.to_dict(orient="records")
            for r in rasters.to_dict(orient="records"):
                rows.append({"layer": r["layer"], "label": r["label"], "geometry": "raster",
                             "features": 0, **{k: r.get(k) for k in (
                                 "loaded", "units", "width", "height", "resolution_m",
                                 "value_min", "value_max", "batch_id")}})
            _print_json(rows)
            return
        t = Table(title=plain(reg.target))
        for c in ("layer", "图层", "geometry", "features"):
            t.add_column(c, justify="right" if c == "features" else "left")
        for r in table.itertuples():
            t.add_row(plain(r.layer), plain(r.label), plain(r.geometry), plain(f"{r.features:,}"))
        for r in rasters.itertuples():
            size = f"{r.width}×{r.height} @ {r.resolution_m:g} m" if r.loaded else "0"
            t.add_row(plain(r.layer), plain(r.label), plain("raster"), plain(size))
        out.print(t)


@app.command()
def export(
    layer: Annotated[str, typer.Argument(help="Catalogue layer.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.gpkg, .geojson, .shp, .csv; .tif for a raster).")],
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help="Output CRS (default the working CRS); gcj02 for Amap.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a layer to a file (.gpkg, .geojson, .shp, .csv; .tif for a raster layer)."""
    with _errors(as_json), _registry(registry) as reg:
        from .rasters import RASTER_CATALOGUE

        path = reg.export(layer, output, crs=crs)
        if layer in RASTER_CATALOGUE:
            h, w = reg.read_raster(layer, verify=False).values.shape
            what, data = f"a {w}×{h} raster of {layer}", {"width": w, "height": h}
        else:
            n = len(reg.read(layer, columns=[]))
            what, data = f"{n} features of {layer}", {"features": n}
        if as_json:
            _print_json({"layer": layer, "output": str(path), **data})
        else:
            say(out, "wrote {} to {}", what, path)


@app.command()
def info(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Backend, working CRS, layer counts and recent loads."""
    with _errors(as_json), _registry(registry) as reg:
        data = reg.info()
        batches = reg.batches()
        data["recent_batches"] = batches.tail(5).to_dict(orient="records")
        if as_json:
            _print_json(data)
            return
        say(out, "[bold]{}[/] registry {}", data["backend"], data["target"])
        say(out, "working CRS {}; {} loads recorded", data["working_crs"], data["batches"])
        for name, n in data["layers"].items():
            say(out, "  {:<24}{:>10,}", name, n)
        for name, r in data.get("rasters", {}).items():
            say(out, "  {:<24}{}×{} @ {:g} m (raster, {}: {})", name, r["width"], r["height"],
                r["resolution_m"], r["storage"], r["location"])
        for b in data["recent_batches"]:
            say(out, "  batch {}: {} {} {} rows from {} by {} at {}", b["batch_id"], b["layer"],
                b["mode"], b["rows_read"], b["source"], b["os_user"], b["loaded_at"])


@app.command()
def upgrade(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Bring an older registry up to date: rasters from the `.gpkg.rasters/` folder into the
    `.gpkg` itself (all or nothing); PostGIS rasters get their raster constraints."""
    from .rasters import upgrade_registry

    with _errors(as_json), _registry(registry) as reg:
        report = upgrade_registry(reg)
        if as_json:
            _print_json(report)
            return
        for note in report["notes"] or [f"{reg.target} is up to date"]:
            say(out, "{}", note)


@app.command()
def batches(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Every recorded load (source, checksum, counts, mode, time, user)."""
    with _errors(as_json), _registry(registry) as reg:
        table = reg.batches()
        if as_json:
            _print_json(table.to_dict(orient="records"))
            return
        say(out, "{}", table.to_string(index=False))


@app.command()
def demo(
    registry: Annotated[str, typer.Option("--registry", "-r", help="Where to build the demo registry.")] = "yangpu.gpkg",
    output: Annotated[Path, typer.Option("--output", "-o", help="Overview map (HTML).")] = Path("yangpu_overview.html"),
    offline: Annotated[bool, typer.Option("--offline/--online", help="Self-contained map that opens without internet (default), or CDN scripts and web tiles.")] = True,
    analyses: Annotated[Path, typer.Option("--analyses", help="Folder for the first analyses (excavation, parking).")] = Path("yangpu_analyses"),
    as_json: JsonOpt = False,
) -> None:
    """Build a registry from the demo dataset, write an overview map and the first analyses."""
    from .demo import run_demo

    with _errors(as_json):
        with _progress(not as_json, "demo") as stage:  # run_demo creates the registry
            result = run_demo(registry, map_path=output, offline=offline, analyses_dir=analyses,
                              on_file=lambda e: stage(f"{e.layer} ← {e.file.name}"))
        if as_json:
            _print_json({"registry": result.registry,
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


def _read_result(p: Path, sub: str):
    """An analysis result file (CSV, or any vector format GDAL reads) as a frame."""
    import warnings

    import pandas as pd
    import pyogrio

    try:
        if p.is_dir() and p.suffix.lower() in (".csv", ".gpkg", ".geojson", ".json"):
            raise SourceError("is a folder, not a result file", source=str(p))
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, encoding="utf-8-sig")
        with warnings.catch_warnings():
            # GEOS warns on NaN coordinates; the map refuses them by feature (maps.encode)
            warnings.simplefilter("ignore", RuntimeWarning)
            return pyogrio.read_dataframe(p, layer=sub or None, use_arrow=True)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not a UTF-8 CSV file (byte {exc.start + 1} does not decode)",
                          source=str(p), hint="save the table as CSV UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"cannot read it as CSV: {exc}", source=str(p),
                          hint="write the result again (yangpu-gis analyze …)") from None
    except pyogrio.errors.DataLayerError as exc:
        layers = []
        try:
            layers = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
        except (pyogrio.errors.DataSourceError, OSError):
            pass
        raise SourceError(f"cannot read {'layer ' + repr(sub) if sub else 'its features'}: "
                          f"{exc}", source=str(p),
                          hint=("layers: " + ", ".join(layers)) if layers else None) from None
    except pyogrio.errors.DataSourceError:
        raise SourceError("not a vector file GDAL can read (damaged, empty or another format)",
                          source=str(p), hint="a result is a .gpkg, .geojson, .shp or .csv file "
                          "as yangpu-gis analyze writes it") from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}", source=str(p)) from None


def _map_input(target: str, reg, join: str | None):
    """A catalogue layer from the registry, or an analysis result file (``path[:layer]``),
    optionally joined to a registry layer by that layer's id column."""
    import geopandas as gpd
    import pandas as pd

    from .catalogue import CATALOGUE, get_layer

    if target in CATALOGUE:
        if not CATALOGUE[target].has_geometry:
            raise ValidationError(f"layer {target} has no geometry to map",
                                  hint="map the layer it refers to (water_stations), or an "
                                  "analysis result")
        return reg.read(target), target
    path, _, sub = target.partition(":") if not Path(target).exists() else (target, "", "")
    p = Path(path)
    if not p.exists():
        raise ValidationError(f"{target!r} is neither a catalogue layer nor a file",
                              hint="layers: all, " + ", ".join(CATALOGUE))
    frame = _read_result(p, sub)
    if join:
        spec = get_layer(join)
        if spec.id_column not in frame.columns:
            raise ValidationError(f"{p.name} has no column {spec.id_column!r} to join {join}",
                                  source=str(p), hint="columns: " + ", ".join(map(str, frame.columns)))
        base = reg.read(join)
        frame[spec.id_column] = frame[spec.id_column].astype(str)
        data = pd.DataFrame(frame.drop(columns=[c for c in frame.columns
                                                if c == "geometry" or c in base.columns
                                                and c != spec.id_column]))
        merged = base.merge(data, on=spec.id_column, how="left")
        return gpd.GeoDataFrame(merged, geometry=base.geometry.name, crs=base.crs), join
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ValidationError(f"{p.name} has no geometry",
                              hint="join it to a layer with --join subdistricts (or grid_cells …)")
    return frame, None


@contextmanager
def _about(source: str | None):
    """Name ``source`` (the file drawn) in a refusal that does not name one yet."""
    try:
        yield
    except YangpuGisError as exc:
        if source is not None and exc.source is None:
            exc.source = source
        raise


def _draw_one(maps, gdf, layer, output: Path, *, column, scheme, k, title, data_date, offline,
              basemap) -> None:
    """Write the map of one frame: PNG, choropleth of ``column``, or the layer's style."""
    from .catalogue import CATALOGUE

    if output.suffix.lower() == ".png":
        maps.static_map({layer or output.stem: gdf}, output,
                        title=title or "杨浦区" + (CATALOGUE[layer].label if layer else ""),
                        data_date=data_date)
    elif column:
        if column not in gdf.columns:
            raise ValidationError(f"no column {column!r}",
                                  hint="columns: " + ", ".join(map(str, gdf.columns)))
        maps.save(maps.choropleth_map(gdf, column, scheme=scheme, k=k, layer=layer,
                                      title=title, data_date=data_date, offline=offline,
                                      basemap=basemap), output)
    else:
        maps.save(maps.layer_map(gdf, layer, title=title, data_date=data_date,
                                 offline=offline, basemap=basemap), output)


@app.command("map")
def map_command(
    target: Annotated[str, typer.Argument(help="A catalogue layer, 'all', or a result file (path.gpkg[:layer], .geojson, .csv with --join).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="map.html (interactive) or map.png (static).")] = Path("map.html"),
    registry: RegistryOpt = None,
    column: Annotated[str | None, typer.Option(help="Numeric column for a choropleth.")] = None,
    scheme: Annotated[str, typer.Option(help="mapclassify scheme for --column.")] = "FisherJenks",
    k: Annotated[int, typer.Option(help="Number of classes for --column.")] = 5,
    join: Annotated[str | None, typer.Option(help="Join a table to this layer by its id column.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="One self-contained file that opens without internet.")] = False,
    basemap: Annotated[str | None, typer.Option(help="osm | amap (shifts data to GCJ-02) | none | tile URL template.")] = None,
    title: Annotated[str | None, typer.Option(help="Map title.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a layer, all layers, or an analysis result as an HTML (or PNG) map."""
    from . import maps
    from .catalogue import CATALOGUE
    from .maps.output import check_target

    with _errors(as_json), _registry(registry) as reg:
        check_target(output, (".html", ".htm", ".png"))
        data_date = reg.data_date()
        if target == "all":
            layers = {n: reg.read(n) for n, spec in CATALOGUE.items() if spec.has_geometry}
            layers = {n: g for n, g in layers.items() if len(g)}
            if output.suffix.lower() == ".png":
                from .maps.styles import DENSE_LAYERS

                layers = {n: g for n, g in layers.items() if n not in DENSE_LAYERS}
                maps.static_map(layers, output, title=title or "杨浦区城市资产分布图",
                                data_date=data_date)
            else:
                maps.save(maps.overview_map(layers, offline=offline, basemap=basemap,
                                            data_date=data_date, **({"title": title} if title else {})),
                          output)
            n = sum(len(g) for g in layers.values())
        else:
            gdf, layer = _map_input(target, reg, join)
            with _about(None if target in CATALOGUE else target):
                _draw_one(maps, gdf, layer, output, column=column, scheme=scheme, k=k,
                          title=title, data_date=data_date, offline=offline, basemap=basemap)
            n = len(gdf)
        if as_json:
            _print_json({"target": target, "output": str(output), "features": n})
        else:
            say(out, "wrote {} ({:,} features)", output, n)


def _register_topic_commands() -> None:
    """Add the commands of every ``yangpu_gis.analysis.<topic>_cli`` module."""
    import importlib
    import pkgutil

    from . import analysis

    for mod in sorted(pkgutil.iter_modules(analysis.__path__), key=lambda m: m.name):
        if mod.name.endswith("_cli"):
            importlib.import_module(f"{analysis.__name__}.{mod.name}").register(app, analyze_app)


#: Public helpers for topic command modules (defined before they are imported).
errors_to_exit = _errors
print_json = _print_json
RegistryOption = RegistryOpt
JsonOption = JsonOpt

_register_topic_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()

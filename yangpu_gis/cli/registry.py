"""Commands on the registry itself: ``init``, ``load``, ``load-raster``, ``validate``, ``layers``,
``export``, ``info``, ``upgrade`` and ``batches``. Each is thin: it parses options, calls the registry, prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .. import settings
from ..errors import format_rows
from ..terminal import plain, say
from .common import (
    AsOfOpt,
    DistrictOpt,
    JsonOpt,
    RegistryOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    print_json,
    progress,
)

__all__ = ["CHANGE_COLUMNS", "batches", "change_counts", "export", "info", "init", "layers", "load", "load_raster", "upgrade", "validate"]


def _load_options(crs, encoding, mapping, map_file, value, repair, source_layer, x, y,
                  where, skip_unlocated=False, strict_crs=False) -> dict[str, Any]:
    from ..io import parse_mapping, parse_value_mapping

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
        print_json(data)
        return
    verb = "would load" if result.dry_run else "loaded"
    say(out, "[bold green]{}[/] {} rows from {} into [bold]{}[/] (mode {})", verb,
        result.rows_read, result.source, result.layer, result.mode)
    if not result.dry_run:
        say(out, "  batch {}: {:,} added, {:,} modified, {:,} removed, {:,} unchanged in "
            "{:.2f} s", result.batch_id, *change_counts(result.as_dict()), result.seconds)
    for note in data.get("notes", []):
        say(out, "  {}", note)
    if data.get("skipped_rows"):

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

        say(out, "  [yellow]repaired[/] rows {}: {}", format_rows(rep["rows"]), rep["message"])


#: Files `load` hands to the raster loader.
RASTER_SUFFIXES = (".tif", ".tiff", ".asc", ".img", ".vrt")

_crs_help = "CRS of the coordinates: EPSG code, or gcj02 (Amap/Tencent) / bd09 (Baidu)."


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
    from ..rasters import RASTER_CATALOGUE

    if layer in RASTER_CATALOGUE or source.suffix.lower() in RASTER_SUFFIXES:
        with errors_to_exit(as_json), open_cli_registry(registry, create=True) as reg:
            result = reg.load_raster(source, layer, crs=crs, dry_run=dry_run)
            _report(result, as_json)
        return
    with errors_to_exit(as_json):
        options = _load_options(crs, encoding, mapping, map_file, value, repair, source_layer, x,
                                y, where, skip_unlocated, strict_crs)
        with open_cli_registry(registry, create=True) as reg, \
                progress(not as_json, f"loading {source.name}") as stage:
            result = reg.load(source, layer, mode=mode, dry_run=dry_run, on_stage=stage, **options)
        _report(result, as_json)


def load_raster(
    source: Annotated[Path, typer.Argument(help="GeoTIFF or any GDAL raster.")],
    layer: Annotated[str, typer.Option("--layer", "-l", help="Raster layer (dem).")] = "dem",
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help="CRS of the file (EPSG code) if it has none or a wrong one.")] = None,
    resolution_m: Annotated[float | None, typer.Option("--resolution-m", help="Stored cell size in metres [default: the source's].")] = None,
    units: Annotated[str, typer.Option(help="Units of the values: m, cm, mm, ft, us-ft.")] = "m",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Validate a raster and store it in the registry (replacing the layer)."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        res = reg.load_raster(source, layer, crs=crs, resolution_m=resolution_m, units=units,
                              dry_run=dry_run)
        if as_json:
            print_json(res.as_dict())
            return
        d = res.details
        verb = "would load" if dry_run else "loaded"
        say(out, "[bold green]{}[/] raster {} into [bold]{}[/]: {}×{} cells at {:g} m, values "
            "{}…{}", verb, source, layer, d["width"], d["height"], d["resolution_m"],
            d["value_min"], d["value_max"])
        if not dry_run:
            say(out, "  batch {}: {:,} valid cells, {:,} replaced, in {:.2f} s", res.batch_id,
                res.rows_inserted, res.rows_deleted, res.seconds)
        say(out, "  read as {}", d["source_crs"])
        for note in d.get("notes", []):
            say(out, "  note: {}", note)


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


def layers(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Feature counts per catalogue layer."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        table = reg.layers()
        rasters = reg.raster_layers()
        if as_json:
            rows = table.to_dict(orient="records")
            for r in rasters.to_dict(orient="records"):
                rows.append({"layer": r["layer"], "label": r["label"], "geometry": "raster",
                             "features": 0, **{k: r.get(k) for k in (
                                 "loaded", "units", "width", "height", "resolution_m",
                                 "value_min", "value_max", "batch_id")}})
            print_json(rows)
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


def export(
    layer: Annotated[str, typer.Argument(help="Catalogue layer.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.gpkg, .geojson, .shp, .csv; .tif for a raster).")],
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help="Output CRS (default the working CRS); gcj02 for Amap.")] = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a layer to a file (.gpkg, .geojson, .shp, .csv; .tif for a raster layer)."""
    with errors_to_exit(as_json), open_cli_registry(registry, as_of=as_of, district=district) as reg:
        from ..rasters import RASTER_CATALOGUE

        path = reg.export(layer, output, crs=crs)
        if layer in RASTER_CATALOGUE:
            h, w = reg.read_raster(layer, verify=False).values.shape
            what, data = f"a {w}×{h} raster of {layer}", {"width": w, "height": h}
        else:
            n = len(reg.read(layer, columns=[]))
            what, data = f"{n} features of {layer}", {"features": n}
        if as_json:
            print_json({"layer": layer, "output": str(path), **data})
        else:
            say(out, "wrote {} to {}", what, path)


def init(
    district_outline: Annotated[Path, typer.Option("--district-outline", help="GeoJSON outline of the district (a DataV file such as 310000.json; one feature, or several with --code).")],
    registry: RegistryOpt = None,
    crs: Annotated[str | None, typer.Option(help="CRS of the outline's coordinates: gcj02 for Aliyun DataV / Amap, bd09 for Baidu [default: the file's, else WGS84].")] = None,
    code: Annotated[str | None, typer.Option(help="Administrative code (310109): picks that feature of several; a code they all share (310000) takes them all as one city outline.")] = None,
    name: Annotated[str | None, typer.Option(help="District name (虹口区) [default: the feature's name].")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the district the registry serves: loads refuse records outside its outline
    (+ 100 m), maps open on it, --district picks one of a city registry's districts."""
    from ..io.outline import read_outline

    with errors_to_exit(as_json), open_cli_registry(registry, create=True) as reg:
        district = read_outline(district_outline, crs=crs, code=code, name=name)
        stored = reg.record_district(district, str(district_outline))
        minx, miny, maxx, maxy = district.bounds_lonlat()
        data = {"registry": reg.target, "code": district.code, "name": district.name,
                "area_km2": round(district.area_km2(), 3),
                "bounds_lonlat": [round(v, 6) for v in (minx, miny, maxx, maxy)],
                "parts": [{"code": p.code, "name": p.name} for p in district.parts],
                "margin_m": settings.district_outline_margin_m, "recorded": stored}
        if as_json:
            print_json(data)
            return
        verb = "now serves" if stored else "already serves"
        say(out, "[bold]{}[/] {} [bold]{}[/]: outline {:.2f} km², lon {:.4f}–{:.4f}, "
            "lat {:.4f}–{:.4f}", reg.target, verb, district.describe(), data["area_km2"],
            minx, maxx, miny, maxy)
        if district.parts:
            say(out, "  {} districts: {}", len(district.parts),
                ", ".join(p.name for p in district.parts))
        say(out, "  loads refuse records more than {:g} m outside the outline",
            settings.district_outline_margin_m)


def info(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Backend, working CRS, layer counts and recent loads."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        data = reg.info()
        batches = reg.batches()
        data["recent_batches"] = batches.tail(5).to_dict(orient="records")
        if as_json:
            print_json(data)
            return
        say(out, "[bold]{}[/] registry {}", data["backend"], data["target"])
        say(out, "working CRS {}; {} loads recorded", data["working_crs"], data["batches"])
        if data.get("district"):
            say(out, "district {} ({}), {} parts", data["district"]["name"],
                data["district"]["code"], len(data["district"]["parts"]))
        for name, n in data["layers"].items():
            say(out, "  {:<24}{:>10,}", name, n)
        for name, r in data.get("rasters", {}).items():
            say(out, "  {:<24}{}×{} @ {:g} m (raster, {}: {})", name, r["width"], r["height"],
                r["resolution_m"], r["storage"], r["location"])
        for b in data["recent_batches"]:
            say(out, "  batch {}: {} {} {} rows from {} by {} at {}", b["batch_id"], b["layer"],
                b["mode"], b["rows_read"], b["source"], b["os_user"], b["loaded_at"])


def upgrade(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Bring an older registry up to date: rasters from the `.gpkg.rasters/` folder into the
    `.gpkg` itself (all or nothing); PostGIS rasters get their raster constraints."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        report = reg.upgrade()
        if as_json:
            print_json(report)
            return
        for note in report["notes"] or [f"{reg.target} is up to date"]:
            say(out, "{}", note)


#: The batches table's counts, as the table view heads them: what each load changed.
CHANGE_COLUMNS = {"rows_inserted": "新增 added", "rows_updated": "修改 modified",
                  "rows_deleted": "删除 removed", "rows_unchanged": "未变 unchanged"}


def change_counts(record: dict[str, Any]) -> list[int]:
    """Added, modified, removed and unchanged features of a load (a batch or LoadResult
    record; a missing count, as an older registry's ``rows_unchanged``, is 0)."""
    import pandas as pd

    return [0 if pd.isna(record.get(c)) else int(record[c]) for c in CHANGE_COLUMNS]


def batches(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Every recorded load: layer, mode, source, what it changed (added, modified, removed,
    unchanged features), time and user. ``--json`` gives every column of the batches table."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        import pandas as pd

        from ..io.types import TIMEZONE

        table = reg.batches()
        if as_json:
            print_json(table.to_dict(orient="records"))
            return
        t = Table(title=plain(reg.target))
        heads = ["批次 batch", "图层 layer", "方式 mode", "来源 source", "读入 read",
                 *CHANGE_COLUMNS.values(), "时间 loaded", "用户 user"]
        for h in heads:
            t.add_column(h, justify="right" if h.split()[-1] in (
                "batch", "read", "added", "modified", "removed", "unchanged") else "left")
        for r in table.to_dict(orient="records"):
            when = pd.Timestamp(r["loaded_at"])
            when = (when.tz_convert(TIMEZONE) if when.tzinfo else when).strftime("%Y-%m-%d %H:%M")
            t.add_row(plain(r["batch_id"]), plain(r["layer"]), plain(r["mode"]),
                      plain(r["source"]), plain(f"{int(r['rows_read']):,}"),
                      *(plain(f"{n:,}") for n in change_counts(r)), plain(when),
                      plain(r["os_user"]))
        out.print(t)
        if not len(table):
            say(out, "no loads recorded yet")



"""Commands ``yangpu-gis analyze excavation`` and ``yangpu-gis check-permit``.

Thin: options in, library calls (:mod:`.excavation_report`, :mod:`.excavation_check`), text
or JSON out. :mod:`yangpu_gis.cli` calls :func:`register` while it is being imported, so its
shared helpers are looked up when a command runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..terminal import say

__all__ = ["read_application", "register"]

# Filled in by register() from yangpu_gis.cli (for typer's annotations).
RegistryOption = JsonOption = None

DistanceOpt = Annotated[float, typer.Option(
    "--distance-m", help="Largest gap between footprints (m); 0 = touching or overlapping.")]
RepeatOpt = Annotated[int, typer.Option(
    "--repeat-days", help="A later dig starting at most this many days after an earlier one "
    "ends is a repeat.")]
NewRoadOpt = Annotated[int, typer.Option(
    "--new-road-years", help="Moratorium after a new/extended/reconstructed road opens "
    "(城市道路管理条例 Art. 33).")]
RepairOpt = Annotated[int, typer.Option(
    "--major-repair-years", help="Moratorium after a major repair (Art. 33).")]
ClearanceOpt = Annotated[float, typer.Option(
    "--clearance-m", help="Pipelines within this distance (m) of a dig are at risk.")]
GasOpt = Annotated[float | None, typer.Option(
    "--gas-clearance-m", help="Clearance for gas mains (m): 上海市燃气管道设施保护办法 safety "
    "control range.", show_default="settings.gas_clearance_m: $YANGPU_GIS_GAS_CLEARANCE_M or 6.0")]
RevokedOpt = Annotated[bool, typer.Option(
    "--include-revoked", help="Also analyse permits whose status is revoked (已撤销).")]


def read_application(path: Path, crs: str | None = None):
    """Read an application file (GeoJSON or any vector file) as a GeoDataFrame.

    A file without a CRS is taken as ``crs`` or, by default, WGS84 (GeoJSON's CRS);
    ``gcj02`` / ``bd09`` shift Amap / Baidu coordinates back to WGS84 first.
    """
    import geopandas as gpd
    import pyproj

    from ..crs import parse_crs, transform_geometries
    from ..errors import SourceError

    if not path.exists():
        raise SourceError(f"no such file: {path}", hint="give the application as GeoJSON")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise SourceError(f"cannot read {path.name}: {exc}", source=str(path)) from exc
    target = parse_crs(crs) if crs else None
    WGS84 = pyproj.CRS.from_epsg(4326)  # noqa: N806
    if isinstance(target, str):  # gcj02 / bd09 lon/lat
        gdf = gdf.set_geometry(transform_geometries(gdf.geometry.values, target, WGS84),
                               crs="EPSG:4326")
    elif target is not None:
        gdf = gdf.set_crs(target, allow_override=True)
    elif gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    return gdf


def _print_run(run, out_dir: Path) -> None:
    from ..cli import out

    c = run.result.counts()
    say(out, "[bold]掘路协调分析[/] {} permits{}", run.permits,
        f" ({run.excluded} revoked left out)" if run.excluded else "")
    say(out, "  concurrent pairs {}, repeat pairs {}, moratorium breaches {} ({} permits), pipelines at risk {}", c['concurrent_pairs'], c['repeat_pairs'], c['moratorium_breaches'], c['permits_breaching'], c['pipelines_at_risk'])
    say(out, "  coordination groups {} (joint works would save {} digs)", c['groups'], c['digs_saved'])
    for p in run.files:
        say(out, "  wrote {}", p)


def excavation(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "excavation"),
    registry: RegistryOption = None,
    distance_m: DistanceOpt = 0.0,
    repeat_days: RepeatOpt = 365,
    new_road_years: NewRoadOpt = 5,
    major_repair_years: RepairOpt = 3,
    clearance_m: ClearanceOpt = 1.0,
    gas_clearance_m: GasOpt = None,
    include_revoked: RevokedOpt = False,
    sql: Annotated[bool, typer.Option(
        "--sql", help="Find conflicts with PostGIS ST_DWithin (PostGIS registries).")] = False,
    offline: Annotated[bool, typer.Option(
        "--offline/--online", help="Self-contained map (default) or CDN scripts and tiles.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Excavation coordination: conflicts, repeats, moratorium, pipelines at risk, groups, map."""
    from ..cli import errors_to_exit, open_cli_registry, print_json
    from .excavation_report import EXCLUDED_STATUS, run_excavation

    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        run = run_excavation(
            reg, out_dir, exclude_status=() if include_revoked else EXCLUDED_STATUS,
            use_sql=sql, offline=offline, distance_m=distance_m, repeat_days=repeat_days,
            new_road_years=new_road_years, major_repair_years=major_repair_years,
            clearance_m=clearance_m, gas_clearance_m=gas_clearance_m)
        if as_json:
            print_json(run.as_dict())
        else:
            _print_run(run, out_dir)


def check_permit_command(
    application: Annotated[Path, typer.Argument(help="The proposed permit (GeoJSON): a "
                                                "footprint with planned_start, planned_end.")],
    registry: RegistryOption = None,
    crs: Annotated[str | None, typer.Option(
        help="CRS of a file without one (default WGS84); gcj02 / bd09 for Amap / Baidu.")
    ] = None,
    distance_m: DistanceOpt = 0.0,
    repeat_days: RepeatOpt = 365,
    new_road_years: NewRoadOpt = 5,
    major_repair_years: RepairOpt = 3,
    clearance_m: ClearanceOpt = 1.0,
    gas_clearance_m: GasOpt = None,
    include_revoked: RevokedOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Check a proposed excavation permit against the registry; prints a verdict line.

    Exit code 0 whatever the verdict (read it from the line, or ``verdict`` in --json).
    """
    from .. import settings
    from ..cli import errors_to_exit, open_cli_registry, out, print_json
    from ..errors import ValidationError
    from ._excavation_inputs import gas_clearances
    from .excavation import check_permit  # the documented path (loads excavation_check last)
    from .excavation_report import EXCLUDED_STATUS

    started = time.perf_counter()
    with errors_to_exit(as_json):
        app = read_application(application, crs).to_crs(settings.working_crs)
        reach = max(clearance_m, *gas_clearances(gas_clearance_m)) + 50.0
        minx, miny, maxx, maxy = app.total_bounds
        bbox = (minx - reach, miny - reach, maxx + reach, maxy + reach)
        with open_cli_registry(registry) as reg:
            permits = reg.read("excavation_permits")
            roads = reg.read("roads", bbox=bbox)
            pipelines = reg.read("pipelines", bbox=bbox)
        try:
            result = check_permit(app, permits, roads, pipelines, distance_m=distance_m,
                                  repeat_days=repeat_days, new_road_years=new_road_years,
                                  major_repair_years=major_repair_years,
                                  clearance_m=clearance_m, gas_clearance_m=gas_clearance_m,
                                  exclude_status=() if include_revoked else EXCLUDED_STATUS)
        except ValidationError as exc:  # the application's own refusals name its file
            if exc.message.startswith("the application") and not exc.source:
                exc.source = str(application)
            raise
        seconds = time.perf_counter() - started
        if as_json:
            print_json({**result.as_dict(), "seconds": round(seconds, 3)})
            return
        _print_check(result, out)
        say(out, "[dim]checked in {:.2f} s[/]", seconds)


def _print_check(result, out) -> None:
    colour = {"refuse": "red", "coordinate": "yellow", "conditions": "cyan",
              "approve": "green"}[result.verdict]
    for _, b in result.moratorium.iterrows():
        say(out, "  禁挖期 {}: road {} {} protected {:%Y-%m-%d} – {:%Y-%m-%d}", b['rule'], b['road_id'], b['road_name'] or '', b['protected_since'], b['protected_until'])
    for _, c in result.conflicts.iterrows():
        say(out, "  {:<10} {} {} {:%Y-%m-%d}–{:%Y-%m-%d} distance {:.1f} m, {} days apart", c['kind'], c['permit_id'], c.get('utility', ''), c['planned_start'], c['planned_end'], c['distance_m'], c['days_apart'])
    if len(result.group) > len(result.conflicts):
        say(out, "  coordination group: {} registered permits ({}{})", len(result.group),
            ", ".join(map(str, result.group["permit_id"].head(10))),
            " …" if len(result.group) > 10 else "")
    for _, p in result.pipelines.head(20).iterrows():
        say(out, "  pipeline {} {} at {:.1f} m (clearance {:g} m)", p['pipe_id'], p['utility'], p['distance_m'], p['clearance_m'])
    if len(result.pipelines) > 20:
        say(out, "  … {} more pipelines", len(result.pipelines) - 20)
    say(out, "[bold {}]{}[/]", colour, result.verdict_line)


def register(app: typer.Typer, analyze_app: typer.Typer) -> None:
    """Add ``analyze excavation`` and ``check-permit`` (called by :mod:`yangpu_gis.cli`)."""
    from .. import cli

    global RegistryOption, JsonOption
    RegistryOption = getattr(cli, "RegistryOption", None) or cli.RegistryOpt
    JsonOption = getattr(cli, "JsonOption", None) or cli.JsonOpt
    analyze_app.command("excavation")(excavation)
    app.command("check-permit")(check_permit_command)

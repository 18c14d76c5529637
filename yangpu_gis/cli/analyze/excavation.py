"""``yangpu-gis analyze excavation`` and ``yangpu-gis check-permit``: excavation coordination
(掘路协调) from a registry, and one application checked against it.

The thresholds' defaults are read from :data:`EXCAVATION_DEFAULTS` (the one source of
each number; its module loads no heavy library, which keeps ``yangpu-gis --help`` fast), so
``--help`` shows them. The gas clearance left out is not passed on: the analysis reads
``settings`` at call time. ``parameters`` in the output gives the values used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ... import runs
from ...analysis.excavation.defaults import EXCAVATION_DEFAULTS
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

__all__ = ["check_permit", "excavation"]

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


def _thresholds(include_revoked: bool, **given: Any) -> dict[str, Any]:
    """The thresholds (a gas clearance left out is not passed on: the analysis reads the
    settings), and ``exclude_status=()`` if asked."""
    kw = {k: v for k, v in given.items() if v is not None}
    if include_revoked:
        kw["exclude_status"] = ()
    return kw


def excavation(
    out_dir: Annotated[Path | None, out_option("excavation")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    distance_m: DistanceOpt = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: RepeatOpt = EXCAVATION_DEFAULTS.repeat_days,
    new_road_years: NewRoadOpt = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: RepairOpt = EXCAVATION_DEFAULTS.major_repair_years,
    clearance_m: ClearanceOpt = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: GasOpt = None,
    include_revoked: RevokedOpt = False,
    sql: Annotated[bool, typer.Option(
        "--sql", help="Find conflicts in the database (PostGIS registries).")] = False,
    offline: OfflineOpt = True,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Excavation coordination: conflicts, repeats, moratorium, pipelines at risk, groups, map."""
    kw = _thresholds(include_revoked, distance_m=distance_m, repeat_days=repeat_days,
                     new_road_years=new_road_years, major_repair_years=major_repair_years,
                     clearance_m=clearance_m, gas_clearance_m=gas_clearance_m)
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_excavation(reg, out_dir, use_sql=sql, offline=offline,
                                      scheduler=scheduler, **kw)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "[bold]掘路协调分析[/] {} permits{}", s["permits"],
            f" ({s['excluded_permits']} revoked left out)" if s["excluded_permits"] else "")
        say(out, "  concurrent pairs {}, repeat pairs {}, moratorium breaches {} ({} permits), "
            "pipelines at risk {}", s["concurrent_pairs"], s["repeat_pairs"],
            s["moratorium_breaches"], s["permits_breaching"], s["pipelines_at_risk"])
        say(out, "  coordination groups {} (joint works would save {} digs)", s["groups"],
            s["digs_saved"])
        for name, path in run.outputs.items():
            say(out, "  wrote {}: {}", name, path)


def check_permit(
    application: Annotated[Path, typer.Argument(help="The proposed permit (GeoJSON): a "
                                                "footprint with planned_start, planned_end.")],
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    crs: Annotated[str | None, typer.Option(
        help="CRS of a file without one (default WGS84); gcj02 / bd09 for Amap / Baidu.")
    ] = None,
    distance_m: DistanceOpt = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: RepeatOpt = EXCAVATION_DEFAULTS.repeat_days,
    new_road_years: NewRoadOpt = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: RepairOpt = EXCAVATION_DEFAULTS.major_repair_years,
    clearance_m: ClearanceOpt = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: GasOpt = None,
    include_revoked: RevokedOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a proposed excavation permit against the registry; prints a verdict line.

    Exit code 0 whatever the verdict (read it from the line, or ``verdict`` in --json).
    """
    kw = _thresholds(include_revoked, distance_m=distance_m, repeat_days=repeat_days,
                     new_road_years=new_road_years, major_repair_years=major_repair_years,
                     clearance_m=clearance_m, gas_clearance_m=gas_clearance_m)
    started = time.perf_counter()
    with errors_to_exit(as_json):
        from ...io.application import read_application
        from ...runs.excavation import check_application

        # the file first: a missing application is named before the registry is opened
        app = read_application(application, crs)
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            result = check_application(reg, app, source=str(application), **kw)
        seconds = time.perf_counter() - started
        if as_json:
            print_json({**result.as_dict(), "seconds": round(seconds, 3)})
            return
        _print_check(result)
        say(out, "[dim]checked in {:.2f} s[/]", seconds)


def _print_check(result) -> None:
    colour = {"refuse": "red", "coordinate": "yellow", "conditions": "cyan",
              "approve": "green"}[result.verdict]
    for _, b in result.moratorium.iterrows():
        say(out, "  禁挖期 {}: road {} {} protected {:%Y-%m-%d} – {:%Y-%m-%d}", b["rule"],
            b["road_id"], b["road_name"] or "", b["protected_since"], b["protected_until"])
    for _, c in result.conflicts.iterrows():
        say(out, "  {:<10} {} {} {:%Y-%m-%d}–{:%Y-%m-%d} distance {:.1f} m, {} days apart",
            c["kind"], c["permit_id"], c.get("utility", ""), c["planned_start"],
            c["planned_end"], c["distance_m"], c["days_apart"])
    if len(result.group) > len(result.conflicts):
        say(out, "  coordination group: {} registered permits ({}{})", len(result.group),
            ", ".join(map(str, result.group["permit_id"].head(10))),
            " …" if len(result.group) > 10 else "")
    for _, p in result.pipelines.head(20).iterrows():
        say(out, "  pipeline {} {} at {:.1f} m (clearance {:g} m)", p["pipe_id"], p["utility"],
            p["distance_m"], p["clearance_m"])
    if len(result.pipelines) > 20:
        say(out, "  … {} more pipelines", len(result.pipelines) - 20)
    say(out, "[bold {}]{}[/]", colour, result.verdict_line)

"""``yangpu-gis analyze waterlogging | water-quality | road-condition``: the condition topics."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from ... import runs
from ...errors import ValidationError
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

__all__ = ["road_condition", "water_quality", "waterlogging"]

#: Option defaults, equal to ``WaterloggingDefaults``, ``WaterQualityDefaults`` and
#: ``RoadConditionDefaults`` (kept equal by a test; literal here so ``--help`` stays fast).
MIN_DEPTH_M = 0.05
MIN_AREA_M2 = 0.0
TILE_ABOVE_CELLS = 100_000_000
TILE_SIZE = 4096
TARGET_CLASS = "III"
TARGET_RATE = 0.95


def waterlogging(
    out_dir: Annotated[Path | None, out_option("waterlogging")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    layer: Annotated[str, typer.Option(help="Elevation raster layer.")] = "dem",
    min_depth_m: Annotated[float, typer.Option("--min-depth-m", help="Fill depth (m) above which a cell is in a depression.")] = MIN_DEPTH_M,
    min_area_m2: Annotated[float, typer.Option("--min-area-m2", help="Smallest depression reported (m²).")] = MIN_AREA_M2,
    tile_size: Annotated[int | None, typer.Option("--tile-size", help=f"Fill tile by tile, tiles of N × N cells (0: untiled) [default: untiled up to {TILE_ABOVE_CELLS:,} cells, else {TILE_SIZE}]; the results do not depend on it.")] = None,
    offline: OfflineOpt = True,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """积水风险: depressions of the DEM, and the roads and compounds in them."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_waterlogging(reg, out_dir, layer=layer, min_depth_m=min_depth_m,
                                        min_area_m2=min_area_m2, tile_size=tile_size,
                                        offline=offline, scheduler=scheduler)
        if as_json:
            print_json(run.summary())
            return
        for k, v in run.result.summary().items():
            say(out, "  {}: {}", k, v)
        say(out, "wrote {}", ", ".join(run.outputs.values()))


def water_quality(
    stations: Annotated[Path | None, typer.Option(help="water_stations file (GeoPackage/GeoJSON/CSV with station_id, water_body …) [default: the registry's water_stations].")] = None,
    samples: Annotated[Path | None, typer.Option(help="water_samples table (CSV/XLSX) [default: the registry's water_samples].")] = None,
    out_dir: Annotated[Path | None, out_option("water_quality")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    period: Annotated[str | None, typer.Option(help="Year (2025) or START/END dates [default: last calendar year].")] = None,
    target_class: Annotated[str, typer.Option(help="Target class where stations have no target_class column.")] = TARGET_CLASS,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """GB 3838-2002 classes of samples and stations; rivers coloured by nearest station.

    Stations and samples come from the registry's water_stations and water_samples
    layers unless --stations / --samples name files.
    """
    with errors_to_exit(as_json):
        needed = runs.water_quality_needs_registry(stations, samples)
        if as_of is not None and not needed:
            raise ValidationError("--as-of reads the registry, but --stations and --samples "
                                  "name plain tables: nothing is read from the registry",
                                  hint="leave out --as-of, or one of --stations / --samples")
        with open_cli_registry(registry, as_of=as_of, district=district) if needed else nullcontext() as reg:
            run = runs.run_water_quality(reg, out_dir, stations=stations, samples=samples,
                                         period=period, target_class=target_class,
                                         offline=offline)
        summary = run.summary()
        if as_json:
            print_json(summary)
            return
        for k, v in summary.items():
            say(out, "  {}: {}", k, v)


def road_condition(
    out_dir: Annotated[Path | None, out_option("road_condition")] = None,
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    target: Annotated[float, typer.Option(help="Target good-road rate (0–1).")] = TARGET_RATE,
    grades: Annotated[Path | None, typer.Option(help="CSV road_class,excellent,good,fair overriding the PCI grade table.")] = None,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """好路率: PCI grades by road class, good-road rate by subdistrict and district."""
    with errors_to_exit(as_json):
        with open_cli_registry(registry, as_of=as_of, district=district) as reg:
            run = runs.run_road_condition(reg, out_dir, target=target, grades=grades,
                                          offline=offline)
        if as_json:
            print_json(run.summary())
            return
        s = run.result.summary()
        say(out, "好路率 {:.2%} (target {:.0%}, gap {:.2f} pp, {:,.0f} m of good road still "
            "needed)", s["good_rate"], s["target_rate"], s["gap_pp"], s["good_length_needed_m"])
        say(out, "wrote {}", ", ".join(run.outputs.values()))

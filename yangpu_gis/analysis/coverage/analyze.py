"""The one entry point of the coverage topic: :func:`analyze_coverage` runs the general form
or the district presets and returns a :class:`CoverageResult`, whose tables, layers and
parameters the one writer of outputs writes (``<preset>_<table>.csv``, ``coverage.gpkg``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd

from ...errors import ValidationError
from ..engine import check_scheduler, dask_client
from ..result import AnalysisResult, parameters_frame
from .defaults import COVERAGE_DEFAULTS, PRESETS
from .grid import grid_completeness
from .parking import parking_reach
from .report import PresetReport, custom_report
from .rivers import river_monitoring
from .streets import beautiful_streets

__all__ = [
    "PRESET_LAYERS",
    "PRESET_NEEDS",
    "CoverageResult",
    "analyze_coverage",
    "resolve_presets",
]

#: Layers each preset reads (those it cannot do without are in :data:`PRESET_NEEDS`).
PRESET_LAYERS: dict[str, tuple[str, ...]] = {
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
#: Layers a preset needs (river monitoring needs ``water_stations`` unless given stations).
PRESET_NEEDS: dict[str, tuple[str, ...]] = {
    "beautiful-streets": ("roads", "beautiful_blocks"),
    "parking-reach": ("residential_compounds", "parking_facilities"),
    "grid-completeness": ("grid_cells",),
    "river-monitoring": ("rivers",),
}
#: The default each preset's ``service_m`` overrides.
_SERVICE_FIELD = {
    "beautiful-streets": "beautiful_buffer_m",
    "parking-reach": "parking_service_m",
    "river-monitoring": "river_service_m",
}


@dataclass
class CoverageResult(AnalysisResult):
    """What :func:`analyze_coverage` found: one :class:`PresetReport` per preset run.

    Attributes
    ----------
    reports : list of PresetReport
        In the order run (``custom`` for the general form).
    parameters : dict
        The options given and every default used (``parameters.csv``).
    """

    reports: list[PresetReport]
    parameters: dict = field(default_factory=dict)

    topic: ClassVar[str] = "coverage"

    def report(self, preset: str) -> PresetReport:
        """The report of ``preset`` (KeyError when it was not run)."""
        for r in self.reports:
            if r.preset == preset:
                return r
        raise KeyError(preset)

    @property
    def notes(self) -> list[str]:
        """Every report's notes."""
        return [n for r in self.reports for n in r.notes]

    def tables(self) -> dict[str, pd.DataFrame]:
        """``<preset>_<table>`` (e.g. ``beautiful_streets_by_class``) -> frame."""
        return {f"{r.stem}_{name}": t for r in self.reports for name, t in r.tables.items()}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``<preset>_<layer>`` -> GeoDataFrame (without the registry's ``batch_id``)."""
        out = {}
        for r in self.reports:
            for name, gdf in r.layers.items():
                if gdf is None or not len(gdf):
                    continue
                out[f"{r.stem}_{name}"] = gdf.drop(
                    columns=[c for c in ("batch_id",) if c in gdf.columns]
                )
        return out

    def parameters_table(self) -> pd.DataFrame:
        """Every parameter used, with the unit and source of each default."""
        return parameters_frame(self.parameters, COVERAGE_DEFAULTS)

    def summary(self) -> dict[str, Any]:
        """One entry per report: its headline figures and notes (``--json``)."""
        return {"reports": [{**r.summary, "notes": list(r.notes)} for r in self.reports]}


def resolve_presets(preset: str | Sequence[str] | None) -> list[str]:
    """The presets named by ``preset`` (None or ``all``: every preset, in order).

    Raises
    ------
    ValidationError
        For an unknown preset name.
    """
    if preset is None or preset == "all":
        return list(PRESETS)
    chosen = [preset] if isinstance(preset, str) else list(preset)
    for p in chosen:
        if p not in PRESETS:
            raise ValidationError(f"unknown preset {p!r}", hint=", ".join([*PRESETS, "all"]))
    return chosen


def _present(layers: Mapping[str, gpd.GeoDataFrame | None], name: str):
    g = layers.get(name)
    return g if g is not None and len(g) else None


def _run_preset(
    preset: str,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    *,
    distance: str | None,
    service_m: float | None,
    stations: gpd.GeoDataFrame | None,
) -> PresetReport:
    def get(name):
        return _present(layers, name)

    for name in PRESET_NEEDS[preset]:
        if get(name) is None:
            raise ValidationError(f"the {preset} preset needs the {name} layer",
                                  hint=f"pass layers={{{name!r}: …}}")
    if preset == "beautiful-streets":
        kw = {"buffer_m": service_m} if service_m is not None else {}
        r = beautiful_streets(layers["roads"], layers["beautiful_blocks"],
                              subdistricts=get("subdistricts"), grid_cells=get("grid_cells"),
                              **kw)
        if distance == "network":
            r.notes.append(
                "美丽街区 reach is straight-line by definition (within 20 m of a "
                "block); --distance network does not apply"
            )
        return r
    if preset == "parking-reach":
        kw = {"service_m": service_m} if service_m is not None else {}
        return parking_reach(layers["residential_compounds"], layers["parking_facilities"],
                             roads=get("roads"), distance=distance or "network",
                             subdistricts=get("subdistricts"), grid_cells=get("grid_cells"),
                             **kw)
    if preset == "grid-completeness":
        return grid_completeness(layers["grid_cells"], district=get("districts"),
                                 subdistricts=get("subdistricts"), roads=get("roads"))
    if stations is None:
        stations = get("water_stations")
        if stations is None:
            raise ValidationError("river monitoring needs water-quality stations",
                                  hint="pass stations= or layers={'water_stations': …}")
    kw = {"service_m": service_m} if service_m is not None else {}
    return river_monitoring(layers["rivers"], stations, distance=distance or "euclidean",
                            subdistricts=get("subdistricts"), grid_cells=get("grid_cells"),
                            **kw)


def analyze_coverage(
    targets: gpd.GeoDataFrame | None = None,
    providers: gpd.GeoDataFrame | None = None,
    *,
    preset: str | Sequence[str] | None = None,
    layers: Mapping[str, gpd.GeoDataFrame | None] | None = None,
    distance: str | None = None,
    service_m: float | None = None,
    service_column: str | None = None,
    stations: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    target_id: str | None = None,
    provider_id: str | None = None,
    scheduler: Any = None,
) -> CoverageResult:
    """Coverage gaps: the general form (``targets`` and ``providers``) or the presets.

    Parameters
    ----------
    targets, providers : GeoDataFrame, optional
        The general form (see :func:`~.general.service_coverage`): needs ``service_m`` or
        ``service_column``; ``roads`` is walked for ``distance="network"``, ``subdistricts``
        and ``grid_cells`` give the zone totals.
    preset : str or sequence of str, optional, keyword-only
        Without ``targets``: ``beautiful-streets``, ``parking-reach``,
        ``grid-completeness``, ``river-monitoring`` or ``all`` (default).
    layers : mapping, optional, keyword-only
        Presets: catalogue layer name -> GeoDataFrame (see :data:`PRESET_LAYERS`; missing
        or empty layers are left out).
    distance : {"euclidean", "network"}, optional, keyword-only
        Overrides each preset's own (network for parking reach, else straight line;
        beautiful streets are straight-line by definition). General form: euclidean.
    service_m : float, optional, keyword-only
        Service distance in metres (overrides a preset's default).
    service_column : str, optional, keyword-only
        General form: provider column with each provider's own service distance.
    stations : GeoDataFrame, optional, keyword-only
        River monitoring: stations [default ``layers["water_stations"]``; never invented].
    roads, subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        General form: network and zones.
    target_id, provider_id : str, optional, keyword-only
        General form: id columns.
    scheduler : str or distributed.Client, optional, keyword-only
        Test straight-line point targets (e.g. compounds in ``parking-reach`` with
        ``distance="euclidean"``) against the providers strip by strip on dask.distributed
        (``local``, ``local:N``, ``tcp://HOST:PORT`` or a Client; the halo is the largest
        service distance); identical results. Lines, polygons and network distances stay
        in this process.

    Returns
    -------
    CoverageResult

    Raises
    ------
    ValidationError
        Unknown distance or preset, an incomplete general form, or a missing layer.

    Examples
    --------
    >>> layers = reg.read_layers(*PRESET_LAYERS["grid-completeness"])  # doctest: +SKIP
    >>> r = analyze_coverage(preset="grid-completeness", layers=layers)  # doctest: +SKIP
    >>> r.tables()["grid_completeness_gaps"]                            # doctest: +SKIP
    """
    if distance not in (None, "euclidean", "network"):
        raise ValidationError(f"unknown distance {distance!r}", hint="euclidean or network")
    check_scheduler(scheduler)
    with dask_client(scheduler):
        return _analyze(targets, providers, preset=preset, layers=layers, distance=distance,
                        service_m=service_m, service_column=service_column, stations=stations,
                        roads=roads, subdistricts=subdistricts, grid_cells=grid_cells,
                        target_id=target_id, provider_id=provider_id)


def _analyze(targets, providers, *, preset, layers, distance, service_m, service_column,
             stations, roads, subdistricts, grid_cells, target_id, provider_id
             ) -> CoverageResult:
    values: dict[str, Any] = {"distance": distance, "service_m": service_m}
    if targets is not None or providers is not None:
        if targets is None or providers is None:
            raise ValidationError("the general form needs targets and providers")
        if preset not in (None, "custom"):
            raise ValidationError("a preset and targets/providers exclude each other")
        if service_m is None and service_column is None:
            raise ValidationError("the general form needs service_m or service_column")
        reports = [custom_report(
            targets, providers, service_m=service_m, service_column=service_column,
            distance=distance or "euclidean",
            roads=roads if distance == "network" else None,
            subdistricts=subdistricts if subdistricts is not None and len(subdistricts) else None,
            grid_cells=grid_cells if grid_cells is not None and len(grid_cells) else None,
            target_id=target_id, provider_id=provider_id,
        )]
        params = {"preset": "custom", **values, "service_column": service_column,
                  "connect_dangling_m": COVERAGE_DEFAULTS.connect_dangling_m,
                  "on_network_m": COVERAGE_DEFAULTS.on_network_m,
                  "quad_segs": COVERAGE_DEFAULTS.quad_segs}
        return CoverageResult(reports, params)
    chosen = resolve_presets(preset)
    layers = dict(layers or {})
    reports = [_run_preset(p, layers, distance=distance, service_m=service_m, stations=stations)
               for p in chosen]
    used = COVERAGE_DEFAULTS.as_dict()
    used.pop("station_spacing_m")
    if service_m is not None:
        for p in chosen:
            if p in _SERVICE_FIELD:
                used[_SERVICE_FIELD[p]] = float(service_m)
    return CoverageResult(reports, {"preset": ";".join(chosen), **values, **used})

"""One district report (:class:`PresetReport`) and the general analysis as a report
(:func:`custom_report`); the presets build their reports in their own modules."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .defaults import COVERAGE_DEFAULTS, Distance
from .general import ServiceCoverage, service_coverage
from .totals import choropleth_zones, target_table, zone_tables

__all__ = ["PresetReport", "custom_report"]


@dataclass
class PresetReport:
    """One district report: tables for CSV, layers for the GeoPackage and map, a summary.

    Attributes
    ----------
    preset : str
        ``beautiful-streets``, ``parking-reach``, ``grid-completeness``,
        ``river-monitoring`` or ``custom``.
    title : str
        Chinese title (map and report).
    tables : dict of str -> DataFrame
        Written as ``<preset>_<name>.csv``.
    layers : dict of str -> GeoDataFrame
        Written to ``coverage.gpkg`` as ``<preset>_<name>`` and drawn on the map.
    summary : dict
        Headline figures (``--json``).
    coverage : ServiceCoverage, optional
        The underlying general result.
    notes : list of str
    """

    preset: str
    title: str
    tables: dict[str, pd.DataFrame]
    layers: dict[str, gpd.GeoDataFrame]
    summary: dict
    coverage: ServiceCoverage | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """File-name stem of the report's tables and layers (``beautiful_streets``)."""
        return self.preset.replace("-", "_")


def custom_report(
    targets: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    *,
    service_m: float | None = None,
    service_column: str | None = None,
    distance: Distance = "euclidean",
    roads: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    target_id: str | None = None,
    provider_id: str | None = None,
    connect_dangling_m: float = COVERAGE_DEFAULTS.connect_dangling_m,
) -> PresetReport:
    """The general analysis as a report (``yangpu-gis analyze coverage --targets …``).

    Parameters
    ----------
    targets, providers : GeoDataFrame
        Any layers (see :func:`service_coverage`).
    service_m, service_column : keyword-only
        Service distance in metres, or the provider column holding it.
    distance : {"euclidean", "network"}, keyword-only
        Network distance walks along ``roads`` (or along line targets when no roads).
    roads : GeoDataFrame, optional, keyword-only
        Network for ``distance="network"``.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Zones for the totals.
    target_id, provider_id : str, optional, keyword-only
    connect_dangling_m : float, keyword-only
        Walking graph repair (metres).

    Returns
    -------
    PresetReport
    """
    result = service_coverage(
        targets,
        providers,
        service_m=service_m,
        service_column=service_column,
        distance=distance,
        network_lines=roads,
        target_id=target_id,
        provider_id=provider_id,
        connect_dangling_m=connect_dangling_m,
    )
    tables = {
        "targets": target_table(result, ["name", "road_class"]),
        **zone_tables(result, subdistricts, grid_cells),
    }
    layers = {
        "providers": result.providers,
        "covered": result.covered_parts,
        "uncovered": result.uncovered_parts,
        "service_area": result.service_area,
        "targets": result.targets,
    }
    if "by_subdistrict" in tables:
        z = choropleth_zones(
            subdistricts,
            tables["by_subdistrict"],
            "subdistrict_id",
            {"covered_share": "covered_share"},
        )
        if z is not None:
            layers["subdistricts"] = z
    return PresetReport(
        "custom",
        "覆盖分析",
        tables,
        layers,
        {"preset": "custom", **result.summary()},
        result,
        list(result.notes),
    )

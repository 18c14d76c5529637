"""What :func:`~yangpu_gis.analysis.complaints.analyze_complaints` returns, and what is written.

:class:`ComplaintsResult` tells the one writer (:func:`yangpu_gis.runs.writer.write_result`)
its tables (``cases.csv``, ``orders.csv``, ``routing.csv``, ``manual_dispatch.csv``,
``hotspots.csv``, ``recurring.csv``, ``trends_weekly.csv``, ``handling_time.csv``), its
layers (``complaints.gpkg``: ``cases``, ``manual_dispatch``, ``hotspot_cells``), its rasters
(``density/<category>.tif`` and ``density/all.tif``) and ``parameters.csv`` (with the unit
and source of each default, :mod:`.defaults`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd

from ...rasters import RasterData
from ..result import AnalysisResult, parameters_frame
from .defaults import COMPLAINTS_DEFAULTS

__all__ = ["ComplaintsResult", "file_stem"]


def file_stem(name: str) -> str:
    """A category as a file name: letters (Chinese included), digits, ``-`` and ``_`` kept."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "category"


def _iso(values: pd.Series) -> pd.Series:
    """Timestamps as ISO 8601 text (with their offset); missing ones as None."""
    return pd.Series(values).map(lambda t: t.isoformat() if pd.notna(t) else None)


@dataclass
class ComplaintsResult(AnalysisResult):
    """All outputs of :func:`~yangpu_gis.analysis.complaints.analyze_complaints`.

    Attributes
    ----------
    cases : GeoDataFrame
        Merged cases (:attr:`~yangpu_gis.analysis.complaints.MergeResult.cases`).
    orders : DataFrame
        ``complaint_id, case_id``.
    routing : DataFrame
        :func:`~yangpu_gis.analysis.complaints.route_cases`, one row per case.
    cells : GeoDataFrame
        The hot-spot units (``cell_id``, polygons).
    hotspots, recurring : DataFrame
        :func:`~yangpu_gis.analysis.complaints.hot_spots`,
        :func:`~yangpu_gis.analysis.complaints.recurring_spots`.
    density : dict of str to RasterData
        :func:`~yangpu_gis.analysis.complaints.kernel_density` per category, and ``"all"``.
    weekly, handling : DataFrame
        :func:`~yangpu_gis.analysis.complaints.weekly_trends`,
        :func:`~yangpu_gis.analysis.complaints.handling_times`.
    parameters : dict
        Every parameter used (``parameters.csv``).
    notes : list of str
        What the user should know (hexagons instead of grid cells, no closing times …).
    """

    cases: gpd.GeoDataFrame
    orders: pd.DataFrame
    routing: pd.DataFrame
    cells: gpd.GeoDataFrame
    hotspots: pd.DataFrame
    recurring: pd.DataFrame
    density: dict[str, RasterData]
    weekly: pd.DataFrame
    handling: pd.DataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "complaints"

    @property
    def manual(self) -> pd.DataFrame:
        """Cases for manual dispatch (rows of :attr:`routing`)."""
        return self.routing[self.routing["dispatch"] == "manual"].reset_index(drop=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``cases, orders, routing, manual_dispatch, hotspots, recurring, trends_weekly,
        handling_time``; times as ISO 8601 text."""
        case_table = pd.DataFrame(self.cases.drop(columns="geometry"))
        for c in ("first_received_at", "last_received_at"):
            case_table[c] = _iso(case_table[c])
        routing = self.routing.copy()
        routing["first_received_at"] = _iso(routing["first_received_at"])
        return {
            "cases": case_table,
            "orders": self.orders,
            "routing": routing,
            "manual_dispatch": routing[routing["dispatch"] == "manual"],
            "hotspots": self.hotspots,
            "recurring": self.recurring,
            "trends_weekly": self.weekly,
            "handling_time": self.handling,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame | None]:
        """``cases`` (located ones, with department and dispatch), ``manual_dispatch`` and
        ``hotspot_cells`` (class and count per category)."""
        out: dict[str, gpd.GeoDataFrame | None] = {"cases": None, "manual_dispatch": None,
                                                   "hotspot_cells": None}
        located = self.cases[self.cases.geometry.notna()]
        if len(located):
            layer = located.copy()
            for c in ("first_received_at", "last_received_at"):
                layer[c] = layer[c].map(lambda t: t.isoformat())
            layer = layer.merge(self.routing[["case_id", "department", "dispatch", "reason"]],
                                on="case_id", how="left")
            out["cases"] = layer
            out["manual_dispatch"] = layer[layer["dispatch"] == "manual"]
        hs = self.hotspots
        if len(hs):
            wide = hs.pivot(index="cell_id", columns="category", values="class")
            wide.columns = [f"class_{c}" for c in wide.columns]
            n = hs.pivot(index="cell_id", columns="category", values="n_cases")
            n.columns = [f"n_{c}" for c in n.columns]
            out["hotspot_cells"] = self.cells.merge(wide.join(n), left_on="cell_id",
                                                    right_index=True, how="left")
        return out

    def rasters(self) -> dict[str, RasterData]:
        """``density/<category>`` (and ``density/all``) -> the density raster."""
        return {f"density/{file_stem(key)}": raster for key, raster in self.density.items()}

    def parameters_table(self) -> pd.DataFrame:
        """``parameter, value, unit, source``: every parameter used, in the order used."""
        table = parameters_frame(self.parameters)
        meta = [COMPLAINTS_DEFAULTS.metadata(p) for p in table["parameter"]]
        table["unit"] = [m["unit"] for m in meta]
        table["source"] = [m["source"] for m in meta]
        return table

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        hs = self.hotspots
        return {
            "orders": int(len(self.orders)),
            "cases": int(len(self.cases)),
            "merged_orders": int(len(self.orders) - len(self.cases)),
            "largest_case": int(self.cases["n_orders"].max()) if len(self.cases) else 0,
            "manual_dispatch": int(len(self.manual)),
            "manual_reasons": (self.manual["reason"].str.split(";").explode()
                               .value_counts().to_dict() if len(self.manual) else {}),
            "hot_cells": int((hs["class"] == "hot").sum()) if len(hs) else 0,
            "cold_cells": int((hs["class"] == "cold").sum()) if len(hs) else 0,
            "recurring_spots": int(len(self.recurring)),
            "categories": sorted(self.cases["category"].astype(str).unique().tolist())
            if len(self.cases) else [],
            "parameters": self.parameters,
            "notes": self.notes,
        }

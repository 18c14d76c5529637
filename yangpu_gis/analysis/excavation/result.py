"""What :func:`~.analyze.analyze_excavation` returns: :class:`ExcavationResult`.

Its :meth:`~ExcavationResult.tables` are the five CSV tables, its
:meth:`~ExcavationResult.layers` the same results with geometries for QGIS (permits with
their status, conflict links, breaching permits, pipelines at risk, roads, group hulls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..result import AnalysisResult
from .defaults import EXCAVATION_DEFAULTS, ExcavationDefaults

__all__ = ["TABLES", "ExcavationResult"]

#: The tables written as CSV, in order (``<name>.csv``).
TABLES = ("conflicts", "roads_summary", "moratorium", "pipelines_at_risk", "groups")


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ``YYYY-MM-DD`` text (the CSV form)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def _text_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Object columns as pandas strings (missing values stay NULL in the GeoPackage)."""
    frame = gdf.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


@dataclass
class ExcavationResult(AnalysisResult):
    """Every table of the excavation analysis (see :func:`~.analyze.analyze_excavation`).

    Attributes
    ----------
    conflicts, roads_summary, moratorium, pipelines_at_risk, groups : DataFrame
        The five tables (one CSV each).
    permit_status : DataFrame
        Each analysed permit's conflict status, aligned to ``permits``.
    parameters : dict
        Every threshold used (the gas clearances as read from settings).
    permits : GeoDataFrame
        The permits analysed (after ``exclude_status``); ``excluded`` how many were left out.
    roads, pipelines : GeoDataFrame
        The roads and pipelines the result was computed from (for :meth:`layers`).
    """

    topic: ClassVar[str] = "excavation"
    float_format: ClassVar[str | None] = "%.3f"

    conflicts: pd.DataFrame
    roads_summary: pd.DataFrame
    moratorium: pd.DataFrame
    pipelines_at_risk: pd.DataFrame
    groups: pd.DataFrame
    permit_status: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    permits: gpd.GeoDataFrame | None = None
    excluded: int = 0
    roads: gpd.GeoDataFrame | None = None
    pipelines: gpd.GeoDataFrame | None = None

    @property
    def defaults(self) -> ExcavationDefaults:
        """The defaults whose metadata give ``parameters.csv`` its units and sources."""
        return EXCAVATION_DEFAULTS

    def counts(self) -> dict[str, int]:
        """Headline numbers, for the CLI and JSON output."""
        c = self.conflicts
        return {
            "concurrent_pairs": int((c["kind"] == "concurrent").sum()),
            "repeat_pairs": int((c["kind"] == "repeat").sum()),
            "moratorium_breaches": len(self.moratorium),
            "permits_breaching": int(self.moratorium["permit_id"].nunique()),
            "pipelines_at_risk": len(self.pipelines_at_risk),
            "groups": len(self.groups),
            "digs_saved": int(self.groups["digs_saved"].sum()) if len(self.groups) else 0,
        }

    def summary(self) -> dict[str, Any]:
        """Permits analysed and left out, :meth:`counts` and the parameters (``--json``)."""
        return {"permits": 0 if self.permits is None else len(self.permits),
                "excluded_permits": self.excluded, **self.counts(),
                "parameters": dict(self.parameters)}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five CSV tables, dates as ``YYYY-MM-DD``."""
        return {name: _dates_as_text(getattr(self, name)) for name in TABLES}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The results as GeoDataFrames for ``excavation.gpkg`` (needs ``permits``, ``roads``
        and ``pipelines``; none without permits)."""
        permits, roads, pipelines = self.permits, self.roads, self.pipelines
        if permits is None:
            return {}
        crs = permits.crs
        geom_of = pd.Series(np.asarray(permits.geometry.values, dtype=object),
                            index=permits["permit_id"].astype(str).to_numpy())
        layers: dict[str, gpd.GeoDataFrame] = {}
        # the permits already carry their id and dates (permit_status repeats them for tables)
        st = self.permit_status.drop(columns=["permit_id", "planned_start", "planned_end",
                                              "year"], errors="ignore")
        layers["permits"] = gpd.GeoDataFrame(
            pd.concat([permits.drop(columns=["batch_id"], errors="ignore"), st], axis=1),
            geometry=permits.geometry.name, crs=crs)
        c = self.conflicts
        a = shapely.point_on_surface(geom_of.reindex(c["permit_a"]).to_numpy())
        b = shapely.point_on_surface(geom_of.reindex(c["permit_b"]).to_numpy())
        link = shapely.linestrings(np.stack([shapely.get_coordinates(a),
                                             shapely.get_coordinates(b)], axis=1)) \
            if len(c) else []
        layers["conflicts"] = gpd.GeoDataFrame(c, geometry=list(link), crs=crs)
        layers["moratorium"] = gpd.GeoDataFrame(
            self.moratorium, geometry=list(geom_of.reindex(self.moratorium["permit_id"])),
            crs=crs)
        if pipelines is not None:
            pipes = pd.Series(np.asarray(pipelines.geometry.values, dtype=object),
                              index=pipelines["pipe_id"].astype(str).to_numpy())
            layers["pipelines_at_risk"] = gpd.GeoDataFrame(
                self.pipelines_at_risk,
                geometry=list(pipes.reindex(self.pipelines_at_risk["pipe_id"])), crs=crs)
        if roads is not None:
            rd = pd.Series(np.asarray(roads.geometry.values, dtype=object),
                           index=roads["road_id"].astype(str).to_numpy())
            rd = rd[~rd.index.duplicated()]
            layers["roads_summary"] = gpd.GeoDataFrame(
                self.roads_summary, geometry=list(rd.reindex(self.roads_summary["road_id"])),
                crs=crs)
        hulls = [shapely.convex_hull(shapely.union_all(geom_of.reindex(ids.split(",")).to_numpy()))
                 for ids in self.groups["permit_ids"]]
        layers["groups"] = gpd.GeoDataFrame(self.groups, geometry=hulls, crs=crs)
        return {name: _text_columns(layer) for name, layer in layers.items()}

"""Run the excavation analysis on a registry and write its files (the I/O around the pure
functions of :mod:`yangpu_gis.analysis.excavation`).

:func:`run_excavation` is what ``yangpu-gis analyze excavation`` does, and what a demo or a
notebook calls to get the same files: five CSV tables, ``excavation.gpkg`` with the results
as layers for QGIS, and the HTML map ``excavation_map.html``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..output import out_folder, writes_results
from ._excavation_inputs import EXCLUDED_STATUS, active_permits
from .excavation import ExcavationResult, analyze_excavation, moratorium_windows

__all__ = ["EXCLUDED_STATUS", "ExcavationRun", "active_permits", "read_inputs", "run_excavation",
           "write_outputs"]

#: CSV files written, by table.
CSV_FILES = {
    "conflicts": "conflicts.csv",
    "roads_summary": "roads_summary.csv",
    "moratorium": "moratorium.csv",
    "pipelines_at_risk": "pipelines_at_risk.csv",
    "groups": "groups.csv",
}
GPKG_FILE = "excavation.gpkg"
MAP_FILE = "excavation_map.html"


@dataclass
class ExcavationRun:
    """What :func:`run_excavation` computed and wrote."""

    result: ExcavationResult
    files: list[Path] = field(default_factory=list)
    permits: int = 0
    excluded: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"permits": self.permits, "excluded_permits": self.excluded,
                **self.result.counts(), "parameters": self.result.parameters,
                "files": [str(p) for p in self.files]}


def read_inputs(reg) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``excavation_permits``, ``roads`` and ``pipelines`` from a registry."""
    return reg.read("excavation_permits"), reg.read("roads"), reg.read("pipelines")


def _csv(df: pd.DataFrame, path: Path) -> Path:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, encoding="utf-8-sig", float_format="%.3f")
    return path


def _layers(result: ExcavationResult, permits, roads, pipelines) -> dict[str, gpd.GeoDataFrame]:
    """The results as GeoDataFrames for the GeoPackage."""
    crs = permits.crs
    geom_of = pd.Series(np.asarray(permits.geometry.values, dtype=object),
                        index=permits["permit_id"].astype(str).to_numpy())
    layers: dict[str, gpd.GeoDataFrame] = {}
    # the permits already carry their id and dates (permit_status repeats them for tables)
    st = result.permit_status.drop(columns=["permit_id", "planned_start", "planned_end", "year"],
                                   errors="ignore")
    layers["permits"] = gpd.GeoDataFrame(pd.concat([permits.drop(columns=["batch_id"],
                                                                  errors="ignore"), st], axis=1),
                                         geometry=permits.geometry.name, crs=crs)
    c = result.conflicts
    a = shapely.point_on_surface(geom_of.reindex(c["permit_a"]).to_numpy())
    b = shapely.point_on_surface(geom_of.reindex(c["permit_b"]).to_numpy())
    link = shapely.linestrings(np.stack([shapely.get_coordinates(a), shapely.get_coordinates(b)],
                                        axis=1)) if len(c) else []
    layers["conflicts"] = gpd.GeoDataFrame(c, geometry=list(link), crs=crs)
    layers["moratorium"] = gpd.GeoDataFrame(
        result.moratorium, geometry=list(geom_of.reindex(result.moratorium["permit_id"])), crs=crs)
    pipes = pd.Series(np.asarray(pipelines.geometry.values, dtype=object),
                      index=pipelines["pipe_id"].astype(str).to_numpy())
    layers["pipelines_at_risk"] = gpd.GeoDataFrame(
        result.pipelines_at_risk,
        geometry=list(pipes.reindex(result.pipelines_at_risk["pipe_id"])), crs=crs)
    rd = pd.Series(np.asarray(roads.geometry.values, dtype=object),
                   index=roads["road_id"].astype(str).to_numpy())
    rd = rd[~rd.index.duplicated()]
    layers["roads_summary"] = gpd.GeoDataFrame(
        result.roads_summary, geometry=list(rd.reindex(result.roads_summary["road_id"])), crs=crs)
    hulls = [shapely.convex_hull(shapely.union_all(geom_of.reindex(ids.split(",")).to_numpy()))
             for ids in result.groups["permit_ids"]]
    layers["groups"] = gpd.GeoDataFrame(result.groups, geometry=hulls, crs=crs)
    return layers


@writes_results("out_dir")
def write_outputs(
    result: ExcavationResult,
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    map_file: str | None = MAP_FILE,
    offline: bool = True,
    data_date: object = None,
) -> list[Path]:
    """Write the CSV tables, ``excavation.gpkg`` and the HTML map into ``out_dir``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out_folder(out)
    files = [_csv(getattr(result, name), out / fname) for name, fname in CSV_FILES.items()]
    gpkg = out / GPKG_FILE
    gpkg.unlink(missing_ok=True)
    for name, layer in _layers(result, permits, roads, pipelines).items():
        frame = layer.copy()
        for col in frame.columns:
            if frame[col].dtype == object and col != frame.geometry.name:
                frame[col] = frame[col].astype("string")
        mixed = frame.geometry.geom_type.nunique() > 1
        pyogrio.write_dataframe(frame, gpkg, layer=name, append=gpkg.exists(),
                                **({"geometry_type": "Unknown"} if mixed else {}))
    files.append(gpkg)
    if map_file:
        from ..maps import save
        from ..maps.excavation import excavation_map

        p = result.parameters
        windows = moratorium_windows(roads, new_road_years=p.get("new_road_years", 5),
                                     major_repair_years=p.get("major_repair_years", 3))
        m = excavation_map(permits, result.permit_status, roads, windows, pipelines,
                           result.pipelines_at_risk, offline=offline, data_date=data_date)
        files.append(save(m, out / map_file))
    return files


def run_excavation(
    reg,
    out_dir: str | Path,
    *,
    exclude_status: Sequence[str] = EXCLUDED_STATUS,
    use_sql: bool = False,
    map_file: str | None = MAP_FILE,
    offline: bool = True,
    **thresholds: Any,
) -> ExcavationRun:
    """Read the registry, analyse, write every output file into ``out_dir``.

    Parameters
    ----------
    reg : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path
        Output folder (created).
    exclude_status : sequence of str
        Permit statuses left out (default :data:`EXCLUDED_STATUS`, revoked permits).
    use_sql : bool
        Compute conflicts in PostGIS (:func:`.excavation_postgis.conflicts_postgis`); the
        registry must be PostGIS.
    map_file : str, optional
        Name of the HTML map in ``out_dir``; None for no map.
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.
    **thresholds
        Keyword thresholds of :func:`~.excavation.analyze_excavation`.

    Returns
    -------
    ExcavationRun
    """
    raw, roads, pipelines = read_inputs(reg)
    pairs = None
    if use_sql:
        pairs = reg.permit_conflict_pairs(distance_m=thresholds.get("distance_m", 0.0),
                                          repeat_days=thresholds.get("repeat_days", 365),
                                          exclude_status=exclude_status)
    # the pure function filters (the same call a notebook makes); the SQL path was given
    # the same statuses
    result = analyze_excavation(raw, roads, pipelines, pairs=pairs,
                                exclude_status=exclude_status, **thresholds)
    permits = result.permits
    data_date = reg.data_date()
    files = write_outputs(result, permits, roads, pipelines, out_dir, map_file=map_file,
                          offline=offline, data_date=data_date)
    return ExcavationRun(result, files, len(permits), result.excluded)

"""The one writer of analysis outputs.

Every topic's run writes the same way into its output folder:

* ``<table>.csv`` for each of the result's :meth:`~yangpu_gis.analysis.result.AnalysisResult.tables`
  (UTF-8 with BOM, so Excel reads the Chinese names);
* ``parameters.csv``: every parameter used, with unit and source;
* ``<topic>.gpkg``: every non-empty result layer, for QGIS (rewritten whole);
* ``<stem>.tif`` for each raster (e.g. ``density/all.tif``);
* the HTML map.

A failure half-way (a full disk) removes the files of this run again
(:func:`yangpu_gis.output.writes_results`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.result import AnalysisResult
from ..output import out_folder, writes_results

__all__ = ["Run", "default_out", "write_result"]


@dataclass
class Run:
    """What a ``run_<topic>`` did: the result, and output name -> file written."""

    result: Any
    outputs: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The result's summary with the outputs, for ``--json``."""
        return {**self.result.summary(), "outputs": dict(self.outputs)}


def default_out(topic: str) -> Path:
    """The default output folder of a topic: ``./<topic>_out``."""
    return Path(f"{topic}_out")


def _layer_frame(gdf):
    """Object columns as text (GDAL has no mixed-type field); None stays NULL."""
    frame = gdf.copy()
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].map(lambda v: None if v is None else str(v))
    return frame


def _geometry_type(frame) -> dict[str, Any]:
    """LineString with MultiLineString is stored as MultiLineString (as GDAL promotes);
    really different kinds (points with polygons) as a layer of type Unknown."""
    kinds = set(frame.geometry.geom_type.dropna())
    if len({k.removeprefix("Multi") for k in kinds}) > 1:
        return {"geometry_type": "Unknown"}
    if len(kinds) > 1:
        return {"promote_to_multi": True}
    return {}


@writes_results("out_dir")
def write_result(
    result: AnalysisResult,
    out_dir: str | Path,
    *,
    draw: Callable[[], Any] | None = None,
    map_name: str | None = None,
    gpkg_name: str | None = None,
    maps: dict[str, Callable[[], Any]] | None = None,
) -> dict[str, str]:
    """Write every output of ``result`` into ``out_dir`` (made when missing).

    Parameters
    ----------
    result : AnalysisResult
        A topic's result.
    out_dir : path
        The output folder.
    draw : callable, optional
        Returns the folium map to save as ``map_name`` (None: no map).
    map_name : str, optional
        File name of the map [default ``<topic>_map.html``].
    gpkg_name : str, optional
        File name of the GeoPackage [default ``<topic>.gpkg``].
    maps : dict, optional
        Several maps: file name -> callable returning the folium map (written as outputs
        ``map_<file stem>``), beside or instead of ``draw``.

    Returns
    -------
    dict
        Output name -> path (tables by name, ``parameters``, ``gpkg``, rasters as
        ``<stem>``, ``map``).
    """
    import pyogrio

    out = out_folder(out_dir)
    paths: dict[str, Path] = {}
    for name, table in result.tables().items():
        paths[name] = out / f"{name}.csv"
        pd.DataFrame(table).to_csv(paths[name], index=False, encoding="utf-8-sig",
                                   float_format=result.float_format)
    params = result.parameters_table()
    if params is not None:
        paths["parameters"] = out / "parameters.csv"
        params.to_csv(paths["parameters"], index=False, encoding="utf-8-sig")
    for stem, raster in result.rasters().items():
        paths[stem] = raster.write(out / f"{stem}.tif", cog=False)
    gpkg = out / (gpkg_name or f"{result.topic}.gpkg")
    gpkg.unlink(missing_ok=True)
    for name, gdf in result.layers().items():
        if gdf is None or not len(gdf):
            continue
        frame = _layer_frame(gdf)
        pyogrio.write_dataframe(frame, gpkg, layer=name, append=gpkg.exists(),
                                **_geometry_type(frame))
    paths["gpkg"] = gpkg
    if draw is not None:
        from ..maps import save

        paths["map"] = out / (map_name or f"{result.topic}_map.html")
        save(draw(), paths["map"])
    for name, make in (maps or {}).items():
        from ..maps import save

        paths[f"map_{Path(name).stem}"] = out / name
        save(make(), out / name)
    return {k: str(v) for k, v in paths.items()}

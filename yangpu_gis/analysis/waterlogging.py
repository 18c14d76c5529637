"""Waterlogging risk (积水风险) from an elevation raster: depressions, their catchments, and
the roads and residential compounds that lie in them.

Method
------
1. Fill the depressions with priority-flood (Barnes et al. 2014; :mod:`.fill`, numba),
   8-connected; water leaves the raster at its outer edge (the first and last valid cell
   of each row and column). The filled surface is ``pysheds``' ``Grid.fill_depressions``'
   value for value. Large rasters (``WaterloggingDefaults.tile_above_cells``) or a given
   ``tile_size`` are filled tile by tile with the perimeter spill graph of Barnes (2016)
   — the same surface exactly, whatever the tiles (see :mod:`.fill`).
2. ``depth = filled − original`` on the raised cells only; cells deeper than
   ``min_depth_m`` (default 0.05 m) are grouped, 8-connected, into depressions: area,
   maximum depth and storage volume (Σ depth × cell area over those cells), computed from
   those cells' labels rather than full-grid passes.
3. Catchment (:func:`.fill.drainage_labels`, numba): a priority-flood with watershed
   labels (Barnes, Lehman & Mulla 2014) of the *conditioned surface* — the DEM inside the
   depressions, the filled DEM elsewhere, nodata walls — seeded at once with the raster's
   outer edge cells (label 0: the water leaves the raster) and every depression cell
   (label: its depression). Every other cell takes the label of the neighbour that floods
   it: a cell drains to its lowest neighbour, and flats (filled sub-threshold pits,
   plateaus) drain toward their nearest outlet in flood order (breadth-first from all
   the flat's cells that have a lower neighbour at once, ties in flood order). ``catchment_m2`` = cells labelled with the depression
   (its own cells included) × cell area. Every depression found is a sink, also those
   later dropped by ``min_area_m2``; cells cut off by nodata drain nowhere. (Until issue
   16 the catchments came from pysheds' ``resolve_flats`` + D8 ``flowdir`` +
   ``accumulation``; flats were drained differently there, so the values differ.)
4. Roads (length inside, deepest point along them) and compounds (area inside, deepest
   cell) in each depression.

Nodata cells inside the raster are walls (pysheds' convention); give rivers a water level
rather than nodata so they drain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy import ndimage

from ..errors import ValidationError
from ..rasters.data import RasterData
from .defaults import TopicDefaults
from .engine import dask_client
from .fill import drainage_labels, priority_flood, tiled_fill
from .inputs import metric, require_columns
from .result import AnalysisResult, parameters_frame

__all__ = [
    "WATERLOGGING_DEFAULTS",
    "DepressionResult",
    "WaterloggingDefaults",
    "WaterloggingResult",
    "analyze_waterlogging",
    "compounds_at_risk",
    "fill_depressions",
    "find_depressions",
    "roads_at_risk",
    "tile_size_for",
    "tile_size_for_run",
]


#: Literal defaults of the tiling (the CLI repeats them; a test keeps them equal).
TILE_ABOVE_CELLS = 100_000_000
TILE_SIZE = 4096


@dataclass(frozen=True)
class WaterloggingDefaults(TopicDefaults):
    """The thresholds of the waterlogging analysis, with unit and source.

    ``analyze waterlogging``'s options and :func:`analyze_waterlogging` read their defaults
    here; ``parameters.csv`` lists them.
    """

    #: Fill depth above which a cell belongs to a depression.
    min_depth_m: float = field(default=0.05, metadata={
        "unit": "m", "source": "assumed: shallower fills are within DEM noise and do not "
        "pond noticeably"})
    #: Smallest depression reported.
    min_area_m2: float = field(default=0.0, metadata={
        "unit": "m²", "source": "default: every depression is reported"})
    #: Rasters larger than this are filled tile by tile when no tile size is given.
    tile_above_cells: int = field(default=TILE_ABOVE_CELLS, metadata={
        "unit": "cells", "source": "measured (benchmarks/README_waterlogging.md): at 30 M "
        "cells the tiled fill took 1.7× the untiled one with no lower peak memory, so "
        "rasters are tiled only when this large, where the untiled fill's queues (up to "
        "12 bytes a cell) start to matter; tiles are also the unit of windowed and "
        "parallel runs"})
    #: Tile side of a tiled fill.
    tile_size: int = field(default=TILE_SIZE, metadata={
        "unit": "cells", "source": "assumed: 4096² tiles (64 MB of float32) keep the "
        "spill graph small (one label per perimeter cell, ≈16 k a tile) and a tile's "
        "memory modest; results do not depend on it"})


WATERLOGGING_DEFAULTS = WaterloggingDefaults()

def fill_depressions(dem: np.ndarray, transform: Affine | None = None, *,
                     tile_size: int | None = None, client: Any = None) -> np.ndarray:
    """Priority-flood fill of every depression, NaN for nodata (:mod:`.fill`).

    Equal value for value to ``pysheds``' ``Grid.fill_depressions`` (the tests check it).

    Parameters
    ----------
    dem : numpy.ndarray
        2-D elevations; NaN is nodata.
    transform : affine.Affine, optional
        Unused (kept for callers of the former pysheds wrapper).
    tile_size : int, optional
        Fill tile by tile (Barnes 2016) with tiles of this side in cells; ``None``:
        :func:`tile_size_for` the raster.
    client : distributed.Client, optional
        Fill the tiles as tasks on its workers (:func:`.fill.tiled_fill`); needs a tile
        size > 0 and is then used even when one tile covers the raster.

    Returns
    -------
    numpy.ndarray
        Filled elevations (≥ ``dem``) of ``dem``'s dtype (float32 or float64; other
        dtypes become float64), NaN where ``dem`` is NaN.
    """
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    tile = tile_size_for(dem.shape) if tile_size is None else tile_size
    if tile and (client is not None or tile < max(dem.shape)):
        return tiled_fill(dem, tile, client=client)
    return priority_flood(dem)


def tile_size_for_run(shape: tuple[int, int], tile_size: int | None, scheduler: Any) -> int:
    """The tile side of a run: ``tile_size`` when given, else :func:`tile_size_for` (with a
    scheduler: ``WaterloggingDefaults.tile_size``, tiles being its tasks).

    Raises
    ------
    ValidationError
        A negative side or 1, or 0 (untiled) with a scheduler.
    """
    if tile_size is None:
        return WATERLOGGING_DEFAULTS.tile_size if scheduler is not None else tile_size_for(shape)
    tile = int(tile_size)
    if tile < 0 or tile == 1:
        raise ValidationError(f"tile size {tile} is not valid",
                              hint="give 0 (untiled) or a side of at least 2 cells")
    if tile == 0 and scheduler is not None:
        raise ValidationError("--tile-size 0 (untiled) leaves nothing for --scheduler to run",
                              hint="leave --tile-size out (tiles of "
                              f"{WATERLOGGING_DEFAULTS.tile_size}) or give a side ≥ 2")
    return tile


def tile_size_for(shape: tuple[int, int]) -> int:
    """The tile side used when none is given: 0 (untiled) up to
    ``WaterloggingDefaults.tile_above_cells`` cells, else ``WaterloggingDefaults.tile_size``."""
    if shape[0] * shape[1] <= WATERLOGGING_DEFAULTS.tile_above_cells:
        return 0
    return WATERLOGGING_DEFAULTS.tile_size


@dataclass
class DepressionResult:
    """Depressions of a DEM.

    Attributes
    ----------
    table : DataFrame
        ``depression_id, area_m2, max_depth_m, volume_m3, catchment_m2`` (+ ``cells``,
        ``spill_elevation_m``, ``x``, ``y`` of the deepest cell).
    labels : numpy.ndarray
        int32 depression id of every cell (0 outside).
    depth : numpy.ndarray
        float32 fill depth of every cell (0 where not deeper than ``min_depth_m``).
    filled : numpy.ndarray
    transform : affine.Affine
    """

    table: pd.DataFrame
    labels: np.ndarray
    depth: np.ndarray
    filled: np.ndarray
    transform: Affine
    crs: object = None

    def polygons(self) -> gpd.GeoDataFrame:
        """Depressions as valid polygons (cell outlines merged), with the table's columns.

        A depression (8-connected cells) is the union of its 4-connected parts: a Polygon,
        or a MultiPolygon of parts that touch only at cell corners — valid as built, so
        the overlays need not repair them (``make_valid`` of an 8-connected outline with
        thousands of holes took most of the analysis' time at 30 M cells).
        """
        from rasterio.features import shapes

        geoms, ids = [], []
        for geom, value in shapes(self.labels, mask=self.labels > 0,
                                  transform=self.transform, connectivity=4):
            geoms.append(shapely.geometry.shape(geom))
            ids.append(int(value))
        ids_a = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids_a, kind="stable")
        uid, start = np.unique(ids_a[order], return_index=True)
        parts = np.split(np.asarray(geoms, dtype=object)[order], start[1:]) if len(ids) else []
        merged = [p[0] if len(p) == 1 else shapely.MultiPolygon(list(p)) for p in parts]
        gdf = gpd.GeoDataFrame({"depression_id": uid}, geometry=merged, crs=self.crs)
        return gdf.merge(self.table, on="depression_id").sort_values("depression_id",
                                                                     ignore_index=True)


def find_depressions(
    dem: np.ndarray,
    transform: Affine,
    *,
    min_depth_m: float = WATERLOGGING_DEFAULTS.min_depth_m,
    min_area_m2: float = WATERLOGGING_DEFAULTS.min_area_m2,
    catchments: bool = True,
    crs: object = None,
    tile_size: int | None = None,
    scheduler: Any = None,
) -> DepressionResult:
    """Fill, measure and group the depressions of a DEM.

    Parameters
    ----------
    dem : numpy.ndarray
        Elevations in metres, NaN for nodata; square cells, north up.
    transform : affine.Affine
    min_depth_m : float
        Cells filled deeper than this belong to a depression (default 0.05 m: less is
        within DEM noise and does not pond noticeably).
    min_area_m2 : float
        Depressions smaller than this are dropped (default keep all).
    catchments : bool
        Compute each depression's catchment (:func:`.fill.drainage_labels`).
    crs : optional
        CRS, kept for :meth:`DepressionResult.polygons`.
    tile_size : int, optional
        Tile side (cells) of a tiled fill, 0 untiled; default :func:`tile_size_for`.
        The results do not depend on it.
    scheduler : str or distributed.Client, optional
        Fill the tiles as tasks on dask.distributed (``local``, ``local:N``,
        ``tcp://HOST:PORT`` or a Client; :func:`~yangpu_gis.analysis.engine.dask_client`);
        needs a tile size > 0. The results are the same.

    Returns
    -------
    DepressionResult

    Examples
    --------
    >>> dem = np.full((5, 5), 3.0); dem[2, 2] = 2.0
    >>> find_depressions(dem, Affine(1, 0, 0, 0, -1, 5)).table[["area_m2", "max_depth_m"]].values.tolist()
    [[1.0, 1.0]]
    """
    if dem.ndim != 2:
        raise ValidationError("the DEM must be a 2-D array")
    if abs(abs(transform.a) - abs(transform.e)) > 1e-9 * abs(transform.a) or transform.b or transform.d:
        raise ValidationError("the DEM needs square, north-up cells",
                              hint="load it into the registry (it is warped to such a grid)")
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    with dask_client(scheduler) as client:
        filled = fill_depressions(dem, transform, tile_size=tile_size, client=client)
    # only raised cells can be in a depression: depths (float64, as pysheds' float64 fill
    # minus the DEM) and all statistics come from them, not from full-grid passes
    raised = np.flatnonzero(filled > dem)
    depth_v = filled.ravel()[raised].astype(np.float64) - dem.ravel()[raised].astype(np.float64)
    keep = depth_v > min_depth_m
    cells_i, depth_v = raised[keep], depth_v[keep]
    del raised, keep
    in_dep = np.zeros(dem.shape, dtype=bool)
    in_dep.ravel()[cells_i] = True
    labels = np.zeros(dem.shape, dtype=np.int32)
    n = int(ndimage.label(in_dep, structure=np.ones((3, 3), bool), output=labels))
    del in_dep
    lab_v = labels.ravel()[cells_i]
    cell = abs(transform.a * transform.e)
    idx = np.arange(1, n + 1)
    cells = np.bincount(lab_v, minlength=n + 1)[1:]
    vol = np.bincount(lab_v, weights=depth_v, minlength=n + 1)[1:] * cell
    # deepest cell of each depression: the first in raster order (ndimage.maximum_position)
    order = np.lexsort((cells_i, -depth_v, lab_v))
    first = order[np.r_[True, lab_v[order][1:] != lab_v[order][:-1]]] if n else order[:0]
    maxd = depth_v[first]
    spill = np.full(n + 1, -np.inf)
    np.maximum.at(spill, lab_v, filled.ravel()[cells_i].astype(np.float64))
    spill = spill[1:]
    deepest = np.divmod(cells_i[first], dem.shape[1])
    xy = [(transform.c + (c + 0.5) * transform.a, transform.f + (r + 0.5) * transform.e)
          for r, c in zip(*deepest, strict=True)]
    table = pd.DataFrame({
        "depression_id": idx.astype(np.int64),
        "area_m2": cells * cell,
        "max_depth_m": np.round(np.asarray(maxd, dtype=float), 4),
        "volume_m3": np.round(vol, 3),
        "catchment_m2": np.nan,
        "cells": cells,
        "spill_elevation_m": np.round(np.asarray(spill, dtype=float), 4),
        "x": [p[0] for p in xy],
        "y": [p[1] for p in xy],
    })
    if catchments and n:
        # every depression (also those min_area_m2 drops below) is a sink of the flood
        table["catchment_m2"] = drainage_labels(dem, filled, labels)[1][1:] * cell
    if min_area_m2 > 0 and n:
        keep = table["area_m2"] >= min_area_m2
        remap = np.zeros(n + 1, dtype=np.int32)
        remap[idx[keep.to_numpy()]] = np.arange(1, int(keep.sum()) + 1)
        lab_v = remap[lab_v]
        labels.ravel()[cells_i] = lab_v  # only depression cells are labelled
        table = table[keep].assign(depression_id=np.arange(1, int(keep.sum()) + 1))
        table = table.reset_index(drop=True)
        kept = lab_v > 0
        cells_i, depth_v = cells_i[kept], depth_v[kept]
    depth32 = np.zeros(dem.shape, dtype=np.float32)
    depth32.ravel()[cells_i] = depth_v
    return DepressionResult(table, labels, depth32, filled, transform, crs)


def _sample(depth: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    c = (np.asarray(x) - transform.c) / transform.a
    r = (np.asarray(y) - transform.f) / transform.e
    r = np.clip(np.floor(r).astype(np.int64), 0, depth.shape[0] - 1)
    c = np.clip(np.floor(c).astype(np.int64), 0, depth.shape[1] - 1)
    return depth[r, c]


def roads_at_risk(roads: gpd.GeoDataFrame, result: DepressionResult,
                  polygons: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Road stretches inside depressions: ``road_id, depression_id, length_m, max_depth_m``.

    ``max_depth_m`` is the deepest cell along the stretch (sampled every half cell).
    """
    polys = result.polygons() if polygons is None else polygons
    cols = ["road_id", "depression_id", "length_m", "max_depth_m"]
    if not len(polys) or not len(roads):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=result.crs)
    r = roads[["road_id", *[c for c in ("name", "road_class") if c in roads.columns],
               roads.geometry.name]].to_crs(polys.crs)
    pieces = gpd.overlay(r, polys[["depression_id", polys.geometry.name]], how="intersection",
                         keep_geom_type=True)
    pieces["length_m"] = pieces.geometry.length
    pieces = pieces[pieces["length_m"] > 0].reset_index(drop=True)
    step = abs(result.transform.a) / 2
    n = np.maximum(np.ceil(pieces["length_m"].to_numpy() / step).astype(int), 1) + 1
    owner = np.repeat(np.arange(len(pieces)), n)
    start = np.cumsum(n) - n
    frac = (np.arange(n.sum()) - np.repeat(start, n)) / np.repeat(np.maximum(n - 1, 1), n)
    pts = shapely.line_interpolate_point(np.asarray(pieces.geometry.values)[owner], frac,
                                         normalized=True)
    d = _sample(result.depth, result.transform, shapely.get_x(pts), shapely.get_y(pts))
    pieces["max_depth_m"] = np.round(pd.Series(d).groupby(owner).max().to_numpy(), 4)
    pieces["length_m"] = pieces["length_m"].round(2)
    order = [*cols, *[c for c in ("name", "road_class") if c in pieces.columns]]
    return pieces[[*order, pieces.geometry.name]].sort_values(
        ["depression_id", "road_id"], ignore_index=True)


def _exact_grid(transform: Affine) -> bool:
    """True when the grid's cell edges are integers (origin and cell size), so a window's
    edges are the whole grid's edges exactly in floating point."""
    vals = (transform.a, transform.e, transform.c, transform.f)
    return all(float(v).is_integer() and abs(v) < 2.0**40 for v in vals)


def _depth_window(result: DepressionResult, bounds, crs) -> RasterData:
    """The depth grid, NaN where 0, over the cells under ``bounds`` with one cell of margin
    (``_exact_grid`` transforms only: the window's cells are the whole grid's exactly)."""
    t = result.transform
    h, w = result.depth.shape
    minx, miny, maxx, maxy = bounds
    c0 = max(int(np.floor((minx - t.c) / t.a)) - 1, 0)
    c1 = max(min(int(np.ceil((maxx - t.c) / t.a)) + 1, w), c0 + 1)
    r0 = max(int(np.floor((maxy - t.f) / t.e)) - 1, 0)
    r1 = max(min(int(np.ceil((miny - t.f) / t.e)) + 1, h), r0 + 1)
    d = result.depth[r0:r1, c0:c1]
    return RasterData(np.where(d > 0, d, np.float32(np.nan)),
                      Affine(t.a, 0, t.c + c0 * t.a, 0, t.e, t.f + r0 * t.e), crs)


def _max_depth(result: DepressionResult, parts: gpd.GeoDataFrame, crs) -> np.ndarray:
    """Deepest cell touching each part (exactextract ``max``): one depression's parts at a
    time over their window of the depth grid when the grid is exact, else over the whole
    grid at once (a float64 copy of it: zonal statistics' input)."""
    from ..rasters.zonal import zonal_stats

    if not _exact_grid(result.transform):
        whole = np.where(result.depth > 0, result.depth, np.float32(np.nan))
        return zonal_stats(RasterData(whole, result.transform, crs), parts,
                           stats=("max",))["max"].to_numpy()
    out = np.full(len(parts), np.nan)
    for idx in parts.groupby("depression_id").indices.values():
        sub = parts.iloc[idx]
        out[idx] = zonal_stats(_depth_window(result, sub.total_bounds, crs), sub,
                               stats=("max",))["max"].to_numpy()
    return out


def compounds_at_risk(compounds: gpd.GeoDataFrame, result: DepressionResult,
                      polygons: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Parts of compounds inside depressions: ``compound_id, depression_id, area_m2,
    max_depth_m`` (deepest cell touching the part, by ``exactextract``)."""
    polys = result.polygons() if polygons is None else polygons
    cols = ["compound_id", "depression_id", "area_m2", "max_depth_m"]
    if not len(polys) or not len(compounds):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=result.crs)
    c = compounds[["compound_id", *[k for k in ("name", "households") if k in compounds.columns],
                   compounds.geometry.name]].to_crs(polys.crs)
    parts = gpd.overlay(c, polys[["depression_id", polys.geometry.name]], how="intersection",
                        keep_geom_type=True)
    parts["area_m2"] = parts.geometry.area.round(2)
    parts = parts[parts["area_m2"] > 0].reset_index(drop=True)
    import pyproj

    parts["max_depth_m"] = np.round(_max_depth(result, parts,
                                               pyproj.CRS.from_user_input(polys.crs)), 4)
    extra = [k for k in ("name", "households") if k in parts.columns]
    return parts[[*cols, *extra, parts.geometry.name]].sort_values(
        ["depression_id", "compound_id"], ignore_index=True)


@dataclass
class WaterloggingResult(AnalysisResult):
    """Everything :func:`analyze_waterlogging` computes: tables for CSV and layers for maps.

    Attributes
    ----------
    depressions : GeoDataFrame
        Depression polygons with ``depression_id, area_m2, max_depth_m, volume_m3,
        catchment_m2`` (+ ``cells``, ``spill_elevation_m``, ``x``, ``y``).
    roads : GeoDataFrame
        :func:`roads_at_risk`.
    compounds : GeoDataFrame
        :func:`compounds_at_risk`.
    result : DepressionResult
        The depression grids (labels, depth, filled DEM).
    parameters : dict
        The thresholds used.
    figures : dict
        Key figures (see :meth:`summary`).
    """

    depressions: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    result: DepressionResult
    parameters: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    topic: ClassVar[str] = "waterlogging"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``depressions``, ``roads_at_risk``, ``compounds_at_risk``."""
        return {
            "depressions": pd.DataFrame(self.depressions.drop(columns="geometry"))[
                ["depression_id", "area_m2", "max_depth_m", "volume_m3", "catchment_m2"]],
            "roads_at_risk": pd.DataFrame(self.roads.drop(columns="geometry"))[
                ["road_id", "depression_id", "length_m", "max_depth_m"]],
            "compounds_at_risk": pd.DataFrame(self.compounds.drop(columns="geometry"))[
                ["compound_id", "depression_id", "area_m2", "max_depth_m"]],
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``depressions``, ``roads_at_risk``, ``compounds_at_risk`` (into ``waterlogging.gpkg``)."""
        return {"depressions": self.depressions, "roads_at_risk": self.roads,
                "compounds_at_risk": self.compounds}

    def parameters_table(self) -> pd.DataFrame:
        """Every parameter used, with the unit and source of each default."""
        return parameters_frame(self.parameters, WATERLOGGING_DEFAULTS)

    def summary(self) -> dict:
        """Depressions, their area and storage, roads and compounds at risk."""
        return dict(self.figures)


def analyze_waterlogging(
    dem: RasterData,
    roads: gpd.GeoDataFrame | None = None,
    compounds: gpd.GeoDataFrame | None = None,
    *,
    min_depth_m: float = WATERLOGGING_DEFAULTS.min_depth_m,
    min_area_m2: float = WATERLOGGING_DEFAULTS.min_area_m2,
    tile_size: int | None = None,
    scheduler: Any = None,
) -> WaterloggingResult:
    """Depressions of a DEM and the roads and compounds at risk of waterlogging.

    Parameters
    ----------
    dem : RasterData
        From :func:`yangpu_gis.rasters.read_raster` (``values``, ``transform``, ``crs``).
    roads, compounds : GeoDataFrame, optional
        ``roads`` and ``residential_compounds`` layers.
    min_depth_m : float
        Fill depth above which a cell is in a depression (default 0.05 m).
    min_area_m2 : float
        Smallest depression reported (default all).
    tile_size : int, optional
        Fill tile by tile with tiles of this side (cells); 0 untiled; default untiled up
        to ``WaterloggingDefaults.tile_above_cells`` cells, else tiles of
        ``WaterloggingDefaults.tile_size``. Every output is the same whatever the tiles.
    scheduler : str or distributed.Client, optional
        Fill the tiles as tasks on dask.distributed (``local``, ``local:N``,
        ``tcp://HOST:PORT`` or a Client); the tile size then defaults to
        ``WaterloggingDefaults.tile_size`` whatever the raster's size, and 0 is refused.
        The outputs are the same as without it.

    Returns
    -------
    WaterloggingResult

    Raises
    ------
    ValidationError
        If roads lack ``road_id`` or compounds lack ``compound_id``, a tile size is not
        valid, or a scheduler is unknown, unreachable or given with tile size 0.
    CRSError
        If roads or compounds are not in a metric CRS.

    Examples
    --------
    >>> rep = analyze_waterlogging(read_raster(reg, "dem"), reg.read("roads"),
    ...                            reg.read("residential_compounds"))  # doctest: +SKIP
    >>> rep.tables()["roads_at_risk"].head()                           # doctest: +SKIP
    """
    has_roads = roads is not None and len(roads)
    has_compounds = compounds is not None and len(compounds)
    if has_roads:
        require_columns(roads, ("road_id",), "roads")
        metric(roads, "roads")
    if has_compounds:
        require_columns(compounds, ("compound_id",), "residential compounds")
        metric(compounds, "residential compounds")
    tile = tile_size_for_run(dem.values.shape, tile_size, scheduler)
    res = find_depressions(dem.values, dem.transform, min_depth_m=min_depth_m,
                           min_area_m2=min_area_m2, crs=dem.crs, tile_size=tile,
                           scheduler=scheduler)
    polys = res.polygons()
    empty_r = gpd.GeoDataFrame(columns=["road_id", "depression_id", "length_m", "max_depth_m",
                                        "geometry"], geometry="geometry", crs=dem.crs)
    empty_c = gpd.GeoDataFrame(columns=["compound_id", "depression_id", "area_m2",
                                        "max_depth_m", "geometry"], geometry="geometry",
                               crs=dem.crs)
    r = roads_at_risk(roads, res, polys) if has_roads else empty_r
    c = compounds_at_risk(compounds, res, polys) if has_compounds else empty_c
    summary = {
        "depressions": len(res.table),
        "depression_area_m2": round(float(res.table["area_m2"].sum()), 1),
        "storage_m3": round(float(res.table["volume_m3"].sum()), 1),
        "max_depth_m": float(res.table["max_depth_m"].max()) if len(res.table) else 0.0,
        "roads_at_risk": int(r["road_id"].nunique()) if len(r) else 0,
        "road_length_at_risk_m": round(float(r["length_m"].sum()), 1) if len(r) else 0.0,
        "compounds_at_risk": int(c["compound_id"].nunique()) if len(c) else 0,
        "min_depth_m": min_depth_m,
        "resolution_m": float(dem.transform.a),
    }
    return WaterloggingResult(polys, r, c, res,
                              parameters={"min_depth_m": min_depth_m, "min_area_m2": min_area_m2,
                                          "tile_size": tile},
                              figures=summary)

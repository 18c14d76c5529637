"""A plausible, deterministic demo DEM of Yangpu, made from the demo dataset's layers.

Synthetic, like the rest of :mod:`yangpu_gis.datasets.demo`; built to look like the
district's real surface, not measured. Heights in metres above the national height datum:

* low, flat ground of about 3.5–4.5 m, rising gently towards the Huangpu (the riverside is
  older, raised land) with centimetre-scale undulation;
* the Huangpu water surface at about 2.2 m and the inner waterways (杨树浦港, 虬江,
  走马塘 …) at about 2.4 m (draining to the Huangpu), cut through the flood wall where they join the Huangpu
  (sluice gates);
* the Huangpu flood wall (防汛墙) at 7.0 m along the district's riverside edge, and river
  banks raised about 0.8 m, with drainage gaps every few hundred metres;
* depressions of real size where the demo's roads and compounds lie: road low points and
  underpasses (0.4–0.9 m deep, 25–50 m across) and old compounds built below road level
  (0.3–0.6 m lower than the streets around them).

:func:`write_demo_dem` writes it as a 10 m Cloud-Optimized GeoTIFF (deflate, ~1–2 MB).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
from affine import Affine
from rasterio.features import rasterize
from scipy import ndimage

from ... import settings
from ...rasters import RasterData

__all__ = ["DEMO_DEM_RESOLUTION_M", "demo_dem", "road_pits", "write_demo_dem"]

#: Cell size of the demo DEM (m).
DEMO_DEM_RESOLUTION_M = 10.0
_MARGIN_M = 300.0
_SEED = 9


def _burn(geoms, shape, transform, value=1.0, all_touched=True) -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(shape, dtype=np.float32)
    return rasterize(((g, value) for g in geoms), out_shape=shape, transform=transform,
                     fill=0, all_touched=all_touched, dtype="float32")


def _grid(bounds: tuple[float, float, float, float], r: float
          ) -> tuple[Affine, tuple[int, int]]:
    """Transform and shape of the DEM around the district's bounds."""
    minx, miny, maxx, maxy = bounds
    left = np.floor((minx - _MARGIN_M) / r) * r
    top = np.ceil((maxy + _MARGIN_M) / r) * r
    w = int(np.ceil((maxx + _MARGIN_M - left) / r))
    h = int(np.ceil((top - (miny - _MARGIN_M)) / r))
    return Affine(r, 0, left, 0, -r, top), (h, w)


def _pits(rng: np.random.Generator, roads: gpd.GeoDataFrame
          ) -> list[tuple[float, float, float, float]]:
    """Road low points: ``(x, y, radius, depth)`` at the middle of 30 random roads."""
    pick = rng.choice(len(roads), size=min(30, len(roads)), replace=False)
    out = []
    for i in np.sort(pick):
        p = roads.geometry.iloc[i].interpolate(0.5, normalized=True)
        out.append((p.x, p.y, rng.uniform(12, 25), rng.uniform(0.4, 0.9)))
    return out


def road_pits(districts: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *,
              resolution_m: float = DEMO_DEM_RESOLUTION_M, seed: int = _SEED
              ) -> list[tuple[float, float, float, float]]:
    """The road low points :func:`demo_dem` digs, ``(x, y, radius, depth)``, without the DEM.

    The demo's 积水 orders on storm days are planted there (:mod:`.caused`); the random
    stream is replayed as :func:`demo_dem` draws it, so both see the same pits.
    """
    rng = np.random.default_rng(seed)
    _t, shape = _grid(districts.geometry.union_all().bounds, resolution_m)
    rng.normal(0, 1, shape)  # the undulation's draw, as in demo_dem
    return _pits(rng, roads)


def demo_dem(layers: dict[str, gpd.GeoDataFrame], *,
             resolution_m: float = DEMO_DEM_RESOLUTION_M, seed: int = _SEED) -> RasterData:
    """The demo DEM as :class:`~yangpu_gis.rasters.RasterData` (EPSG:4549).

    Parameters
    ----------
    layers : dict
        Layers of :func:`yangpu_gis.datasets.demo.generate` (``districts``, ``roads``,
        ``residential_compounds`` and ``rivers`` are used).
    resolution_m : float
        Cell size in metres.
    seed : int
        Seed of the undulation and of the choice of depressions.

    Returns
    -------
    RasterData
    """
    rng = np.random.default_rng(seed)
    district = layers["districts"].geometry.union_all()
    minx, miny, maxx, maxy = district.bounds
    r = resolution_m
    t, shape = _grid(district.bounds, r)
    h, w = shape
    left, top = t.c, t.f
    cols, rows = np.meshgrid(np.arange(w), np.arange(h))
    x = left + (cols + 0.5) * r
    y = top - (rows + 0.5) * r

    # ground: 3.5–4.5 m, rising towards the Huangpu (south-east), gentle undulation
    u = (x - minx) / (maxx - minx) - (y - miny) / (maxy - miny)
    ground = 3.9 + 0.35 * u
    noise = ndimage.gaussian_filter(rng.normal(0, 1, shape), 40 / r * 4)
    ground += 0.04 * noise / (noise.std() or 1)

    # depressions at road low points and old compounds
    for px, py, radius, depth in _pits(rng, layers["roads"]):
        d2 = (x - px) ** 2 + (y - py) ** 2
        ground -= depth * np.exp(-d2 / (2 * radius**2)) * (d2 < (3 * radius) ** 2)
    comps = layers["residential_compounds"]
    old = comps[comps["built_year"].fillna(2000) < 1990] if "built_year" in comps else comps
    choice = old.iloc[np.sort(rng.choice(len(old), size=min(20, len(old)), replace=False))]
    for geom in choice.geometry:
        bowl = ndimage.gaussian_filter(_burn([geom], shape, t, all_touched=False), 1.0)
        ground -= rng.uniform(0.3, 0.6) * bowl

    rivers = layers["rivers"]
    huangpu = rivers[rivers["name"] == "黄浦江"].geometry.union_all()
    inner = rivers[rivers["name"] != "黄浦江"]
    channels = [g.buffer(12) if g.geom_type.endswith("LineString") else g
                for g in inner.geometry]
    # river banks raised ~0.8 m, broken by drainage gaps
    banks = _burn([g.buffer(30).difference(g) for g in channels], shape, t)
    gaps = ((np.floor(x / 150) + np.floor(y / 150)) % 3) == 0
    ground += 0.8 * ndimage.gaussian_filter(banks * ~gaps, 0.8)
    # Huangpu flood wall along the riverside edge of the district
    wall = _burn([huangpu.buffer(25).difference(huangpu).intersection(district)],
                 shape, t)
    dem = np.where(wall > 0, 7.0, ground)
    # the river itself: the district ends mid-stream; the far half and beyond is water too
    water = huangpu.union(huangpu.buffer(1500).difference(district))
    dem = np.where(_burn([water], shape, t, all_touched=False) > 0, 2.2, dem)
    dem = np.where(_burn(channels, shape, t) > 0, 2.4, dem)
    dem = np.round(dem, 2).astype(np.float32)
    return RasterData(dem, t, pyproj.CRS.from_user_input(settings.working_crs), "dem", "m")


def write_demo_dem(path: str | Path, *, layers: dict[str, gpd.GeoDataFrame],
                   resolution_m: float = DEMO_DEM_RESOLUTION_M) -> Path:
    """Write the demo DEM as a Cloud-Optimized GeoTIFF (float32, deflate, nodata −9999).

    Parameters
    ----------
    path : str or pathlib.Path
        File to write (its folder is created if needed).
    layers : dict
        Layers of :func:`yangpu_gis.datasets.demo.generate`.
    resolution_m : float
        Cell size in metres.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from yangpu_gis.datasets import demo
    >>> write_demo_dem("demo_dem.tif", layers=demo.generate())   # doctest: +SKIP
    >>> load_raster(open_registry("yangpu.gpkg"), "demo_dem.tif", "dem")  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return demo_dem(layers, resolution_m=resolution_m).write(path)


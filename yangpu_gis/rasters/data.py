"""The one raster container of the package: values, transform, CRS (and how to write them).

A raster read from a registry (``Registry.read_raster``) and a raster an
analysis computes (the complaint density surfaces) are both a :class:`RasterData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
from affine import Affine

from .prepare import NODATA

__all__ = ["COG_BLOCK", "RasterData"]

#: Block size of COGs written by :meth:`RasterData.write` (and of the old sidecar COGs).
COG_BLOCK = 512


@dataclass
class RasterData:
    """A raster read from the registry: values with their transform and CRS.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float32; NaN where there is no data.
    transform : affine.Affine
        North-up transform of ``values`` in ``crs``.
    crs : pyproj.CRS
        The working CRS.
    name, units : str
    """

    values: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    name: str = ""
    units: str = ""
    #: GDAL metadata written into a GeoTIFF (method, bandwidth …), and the band's description.
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def resolution_m(self) -> float:
        return float(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.values.shape
        left, top = self.transform.c, self.transform.f
        return (left, top + h * self.transform.e, left + w * self.transform.a, top)

    def to_xarray(self):
        """The raster as an ``xarray.DataArray`` with ``rio`` CRS and transform (rioxarray).

        Examples
        --------
        >>> read_raster(reg, "dem").to_xarray().rio.crs   # doctest: +SKIP
        CRS.from_epsg(4549)
        """
        import rioxarray  # noqa: F401 - registers the .rio accessor
        import xarray as xr

        h, w = self.values.shape
        t = self.transform
        x = t.c + (np.arange(w) + 0.5) * t.a
        y = t.f + (np.arange(h) + 0.5) * t.e
        da = xr.DataArray(self.values, coords={"y": y, "x": x}, dims=("y", "x"), name=self.name,
                          attrs={"units": self.units})
        da = da.rio.write_crs(self.crs.to_wkt()).rio.write_transform(t)
        return da.rio.write_nodata(np.nan, encoded=False)

    def write(self, path: str | Path, *, cog: bool = True) -> Path:
        """Write as a (Cloud-Optimized) GeoTIFF, nodata ``-9999``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_geotiff(path, self.values, self.transform, self.crs, cog=cog, tags=self.tags,
                       description=self.description)
        return path


def _write_geotiff(path: Path, values: np.ndarray, transform: Affine, crs: Any, *,
                   cog: bool = True, tags: dict[str, str] | None = None,
                   description: str = "") -> None:
    h, w = values.shape
    data = np.where(np.isfinite(values), values, NODATA).astype(np.float32)
    opts: dict[str, Any] = {"compress": "deflate", "predictor": 3}
    if cog:
        opts.update(driver="COG", blocksize=COG_BLOCK)
    else:
        opts.update(driver="GTiff", tiled=True, blockxsize=256, blockysize=256)
    crs_obj = rasterio.crs.CRS.from_wkt(crs.to_wkt()) if isinstance(crs, pyproj.CRS) else crs
    with rasterio.open(path, "w", width=w, height=h, count=1, dtype="float32", crs=crs_obj,
                       transform=transform, nodata=NODATA, **opts) as dst:
        dst.write(data, 1)
        if tags:
            dst.update_tags(**tags)
        if description:
            dst.set_band_description(1, description)

"""Rasters, backend-agnostic: elevation (``dem``) and other grids.

Preparing and validating (:mod:`.prepare`), the raster kinds (:mod:`.kinds`), the container
(:mod:`.data`), the records a registry keeps (:mod:`.records`), the PostGIS WKB tile codec
(:mod:`.wkb`) and zonal statistics (:mod:`.zonal`). Storage lives in the registry's backends
(``reg.load_raster``, ``reg.read_raster``, ``reg.raster_layers()``, ``reg.upgrade()``:
GeoPackage tiles inside the ``.gpkg``, ``GPKG:file.gpkg:dem``; PostGIS ``postgis_raster``
tiles with raster constraints); this package never imports the registry.

* :func:`prepare_raster` — read any GDAL raster, validate (CRS, extent, nodata, plausible
  values) and warp it to the working CRS;
* :class:`RasterData` — the one raster container (values, transform, CRS, tags);
* :func:`zonal_stats` — statistics of a raster over polygons, with ``exactextract``.
"""

from __future__ import annotations

from ..lazy import lazy_exports
from .kinds import RASTER_CATALOGUE, RasterKind, get_raster_kind

# the raster kinds are light; everything else imports rasterio, so it is imported on first
# use (a vector load never needs it)
__getattr__, __dir__ = lazy_exports(__name__, {
    "NODATA": "prepare", "PreparedRaster": "prepare", "prepare_raster": "prepare",
    "RasterData": "data", "zonal_stats": "zonal"})

__all__ = [
    "NODATA",
    "RASTER_CATALOGUE",
    "PreparedRaster",
    "RasterData",
    "RasterKind",
    "get_raster_kind",
    "prepare_raster",
    "zonal_stats",
]

"""Kept so that ``from yangpu_gis.rasters.store import RasterData`` still works.

Raster storage moved into the registry's backends (``registry/geopackage/rasters.py``,
``registry/postgis/rasters.py``); the container is :mod:`yangpu_gis.rasters.data`.
"""

from __future__ import annotations

from .data import RasterData

__all__ = ["RasterData"]

"""Raster functions taking a registry, as thin calls of its methods.

Kept for notebooks and scripts written against ``yangpu_gis.rasters``; the storage itself
lives in the registry's backends (``reg.load_raster``, ``reg.read_raster``,
``reg.raster_layers``, ``reg.raster_meta``, ``reg.upgrade``). Nothing here imports the
registry: ``reg`` is any object with those methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .data import RasterData

__all__ = ["load_raster", "raster_layers", "raster_meta", "read_raster", "upgrade_registry"]


def load_raster(reg: Any, source: str | Path, layer: str = "dem", **options: Any) -> Any:
    """``reg.load_raster(source, layer, **options)``: validate a raster and store it.

    Examples
    --------
    >>> load_raster(reg, "dem.tif", "dem")            # doctest: +SKIP
    """
    return reg.load_raster(source, layer, **options)


def read_raster(reg: Any, name: str = "dem", **options: Any) -> RasterData:
    """``reg.read_raster(name, **options)`` (``bbox``, ``bbox_crs``, ``verify``)."""
    return reg.read_raster(name, **options)


def raster_layers(reg: Any) -> pd.DataFrame:
    """``reg.raster_layers()``: one row per raster catalogue layer."""
    return reg.raster_layers()


def raster_meta(reg: Any, layer: str) -> dict[str, Any] | None:
    """``reg.raster_meta(layer)``: the registry's record of a raster, or None."""
    return reg.raster_meta(layer)


def upgrade_registry(reg: Any) -> dict[str, Any]:
    """``reg.upgrade()``: bring a registry written by an older version up to date."""
    return reg.upgrade()

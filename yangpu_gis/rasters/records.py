"""What a registry records about a stored raster, backend-agnostic.

The row of the registry's rasters table (:data:`RECORD_FIELDS`: grid, checksums,
statistics, batch), the checksum of a grid's values, and the window of a stored grid that
covers a bounding box. The backends (``yangpu_gis.registry.geopackage`` /
``yangpu_gis.registry.postgis``) store and read these; nothing here touches storage.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np
from affine import Affine
from rasterio.windows import Window

from .. import settings
from ..errors import ValidationError
from .prepare import NODATA, PreparedRaster

__all__ = ["RECORD_FIELDS", "raster_record", "values_sha256", "window_for"]

#: Columns of the registry's rasters table, in order.
RECORD_FIELDS = ("layer", "label", "units", "storage", "location", "sha256", "values_sha256",
                 "crs", "width", "height", "transform", "resolution_m", "nodata", "value_min",
                 "value_max", "value_mean", "valid_cells", "batch_id", "source")


def values_sha256(values: np.ndarray) -> str:
    """SHA-256 of a grid's values (NaN as the nodata value, float32 little-endian) and shape."""
    data = np.where(np.isfinite(values), values, np.float32(NODATA)).astype("<f4")
    digest = hashlib.sha256(f"{data.shape[0]}x{data.shape[1]}:".encode())
    digest.update(data.tobytes())
    return digest.hexdigest()


def raster_record(prepared: PreparedRaster, storage: str, location: str, sha: str,
                  batch_id: int) -> dict[str, Any]:
    """The rasters-table row of ``prepared`` stored as ``storage`` at ``location``.

    Parameters
    ----------
    prepared : PreparedRaster
    storage : str
        How the backend keeps it (``gpkg``, ``in-db``, ``cog`` for an old sidecar file).
    location : str
        Its tile table (or file).
    sha : str
        Checksum of what is stored (tiles or file).
    batch_id : int
        The load's batch.
    """
    h, w = prepared.values.shape
    s = prepared.stats()
    t = prepared.transform
    return {"layer": prepared.kind.name, "label": prepared.kind.label,
            "units": prepared.kind.units, "storage": storage, "location": location,
            "sha256": sha, "values_sha256": values_sha256(prepared.values),
            "crs": settings.working_crs, "width": w, "height": h,
            "transform": json.dumps([t.a, t.b, t.c, t.d, t.e, t.f]),
            "resolution_m": float(t.a), "nodata": NODATA, "value_min": s["min"],
            "value_max": s["max"], "value_mean": s["mean"], "valid_cells": prepared.valid_cells,
            "batch_id": batch_id, "source": prepared.source}


def window_for(record: dict[str, Any],
               bbox: tuple[float, float, float, float] | None) -> tuple[Window, Affine]:
    """The window of a stored grid covering ``bbox`` (working CRS; None: all) and its transform.

    Raises
    ------
    ValidationError
        If ``bbox`` does not overlap the grid.
    """
    t = Affine(*json.loads(record["transform"]))
    w, h = int(record["width"]), int(record["height"])
    if bbox is None:
        return Window(0, 0, w, h), t
    minx, miny, maxx, maxy = bbox
    c0 = max(0, math.floor((minx - t.c) / t.a))
    c1 = min(w, math.ceil((maxx - t.c) / t.a))
    r0 = max(0, math.floor((t.f - maxy) / -t.e))
    r1 = min(h, math.ceil((t.f - miny) / -t.e))
    if c1 <= c0 or r1 <= r0:
        raise ValidationError(f"the bbox {tuple(bbox)} does not overlap raster "
                              f"{record['layer']}", hint="raster bounds (working CRS): "
                              f"{(t.c, t.f + h * t.e, t.c + w * t.a, t.f)}")
    return Window(c0, r0, c1 - c0, r1 - r0), t @ Affine.translation(c0, r0)

"""The batch record of a load (every vector and raster load is one row of the batches table).

Built here once for both kinds of load; the backends store it
(``geopackage/batches.py``, ``postgis/batches.py``).
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..io import Prepared
from ..io.types import TIMEZONE
from ..version import __version__

__all__ = ["BATCH_FIELDS", "os_user", "raster_batch", "revert_batch", "vector_batch"]

#: Columns of the batches table (every load is recorded), in order.
BATCH_FIELDS = (
    "batch_id",
    "layer",
    "mode",
    "source",
    "source_sha256",
    "rows_read",
    "rows_inserted",
    "rows_updated",
    "rows_deleted",
    "rows_unchanged",
    "encoding",
    "source_crs",
    "repaired_rows",
    "os_user",
    "tool_version",
    "loaded_at",
)


def os_user() -> str:
    """The login name recorded with a load (``unknown`` if it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def vector_batch(prepared: Prepared, layer: str, mode: str) -> dict[str, Any]:
    """The batch record of loading ``prepared`` into ``layer`` as ``mode`` (counts later)."""
    return {
        "layer": layer,
        "mode": mode,
        "source": prepared.raw.path,
        "source_sha256": prepared.raw.sha256,
        "rows_read": len(prepared.frame),
        "encoding": prepared.raw.encoding.display if prepared.raw.encoding else None,
        "source_crs": prepared.source_crs,
        "repaired_rows": len({r for p in prepared.repairs for r in p.rows}),
        "os_user": os_user(),
        "tool_version": __version__,
        "loaded_at": datetime.now(ZoneInfo(TIMEZONE)),
    }


def raster_batch(prepared: Any) -> dict[str, Any]:
    """The batch record of a raster load (a :class:`~yangpu_gis.rasters.PreparedRaster`;
    a raster load always replaces the layer; ``rows_*`` count cells)."""
    h, w = prepared.values.shape
    return {"layer": prepared.kind.name, "mode": "replace", "source": prepared.source,
            "source_sha256": prepared.source_sha256, "rows_read": h * w, "encoding": None,
            "source_crs": prepared.source_crs, "repaired_rows": 0, "os_user": os_user(),
            "tool_version": __version__, "loaded_at": datetime.now(ZoneInfo(TIMEZONE))}


def revert_batch(prepared: Prepared, layer: str, reverted: int) -> dict[str, Any]:
    """The batch record of reverting batch ``reverted`` of ``layer`` (``prepared``: the
    features as they will stand)."""
    return {**vector_batch(prepared, layer, "revert"), "source": f"revert of batch {reverted}",
            "source_sha256": None, "encoding": None, "source_crs": None}

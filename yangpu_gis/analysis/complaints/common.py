"""What the steps of the complaints pipeline share: times, thresholds, polygons and cells."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..inputs import require_columns

__all__ = ["align", "as_datetime", "check_positive", "first_container", "id_column_of",
           "local_days"]

_EPOCH = np.datetime64("1970-01-01", "D")


def as_datetime(values: pd.Series) -> pd.Series:
    """Tz-aware datetimes (Asia/Shanghai when naive), nanosecond unit."""
    s = pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype | np.dtypes.DateTime64DType):
        try:
            s = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError):  # mixed offsets
            s = pd.to_datetime(s, format="ISO8601", utc=True)
    if s.dt.tz is None:
        s = s.dt.tz_localize("Asia/Shanghai")
    return s.dt.tz_convert("Asia/Shanghai").dt.as_unit("ns")


def local_days(values: pd.Series) -> np.ndarray:
    """Calendar day (days since 1970-01-01) in Asia/Shanghai of timestamps or dates.

    Timestamps with an offset are converted to Shanghai time first, so an order received at
    23:30 on the last day of a permit (Shanghai time) counts on that day, whatever the offset
    it was stored with; naive timestamps and dates are taken as Shanghai time.
    """
    s = pd.Series(values)
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    local = as_datetime(s).dt.tz_localize(None)
    return (local.to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int64)


def check_positive(**kw: float) -> None:
    """Refuse a threshold that is not a positive finite number.

    Raises
    ------
    ValidationError
        Naming the keyword.
    """
    for name, value in kw.items():
        if not (value > 0 and np.isfinite(value)):
            raise ValidationError(f"{name} must be a positive number, not {value!r}")


def align(gdf: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs`` (polygons given in another CRS than the cases are reprojected)."""
    if gdf is None or not len(gdf):
        return gdf
    if crs is not None and gdf.crs is not None and not gdf.crs.equals(crs):
        return gdf.to_crs(crs)
    return gdf


def first_container(points: np.ndarray, polys: gpd.GeoDataFrame | None,
                    id_column: str) -> tuple[np.ndarray, np.ndarray]:
    """Id of the first polygon containing each point (boundary included), and how many do."""
    n = len(points)
    ids = np.full(n, None, dtype=object)
    counts = np.zeros(n, dtype=np.int64)
    if polys is None or not len(polys) or not n:
        return ids, counts
    tree = shapely.STRtree(polys.geometry.to_numpy())
    valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
    pi, gi = tree.query(np.where(valid, points, None), predicate="intersects")
    if len(pi):
        counts = np.bincount(pi, minlength=n)
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        ids[pi[first]] = polys[id_column].astype(str).to_numpy()[gi[first]]
    return ids, counts


def id_column_of(cells: gpd.GeoDataFrame, column: str | None) -> str:
    """The id column of hot-spot cells: ``column``, else ``cell_id``, else ``grid_id``.

    Raises
    ------
    ValidationError
        If the cells have none of them.
    """
    if column is not None:
        require_columns(cells, [column], "cells")
        return column
    for c in ("cell_id", "grid_id"):
        if c in cells.columns:
            return c
    raise ValidationError("cells need a cell_id or grid_id column",
                          hint="pass cell_id_column=")

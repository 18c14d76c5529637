"""Checked permit inputs: the active permits, and permits as aligned arrays of days.

Every function takes frames already in one metric CRS (:func:`metric_crs`) and returns NumPy
arrays of positions (row numbers), never labels, so the analyses can build their tables in
one vectorised step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ...errors import Problem, ValidationError
from ..inputs import common_metric_crs, require_columns
from .defaults import EXCLUDED_STATUS

__all__ = ["PermitArrays", "active_permits", "as_dates", "check_thresholds", "day_numbers",
           "metric_crs", "pair_gaps", "permit_arrays"]

_EPOCH = np.datetime64("1970-01-01", "D")


def check_thresholds(**values: float) -> None:
    """Refuse a threshold that is not a finite number >= 0."""
    for name, v in values.items():
        if not np.isfinite(v) or v < 0:
            raise ValidationError(f"{name} must be a number >= 0, got {v!r}")


def metric_crs(*frames: gpd.GeoDataFrame | None) -> pyproj.CRS | None:
    """The common metric CRS of the excavation inputs (see :func:`..inputs.common_metric_crs`)."""
    return common_metric_crs(*frames, what="excavation inputs")


def active_permits(
    permits: gpd.GeoDataFrame, exclude_status: Sequence[str] = EXCLUDED_STATUS
) -> gpd.GeoDataFrame:
    """Permits whose ``status`` is not one of ``exclude_status`` (all when it is empty or the
    frame has no ``status`` column); the one place the excavation analyses filter.

    The kept rows keep their index labels, so results stay aligned with the input frame.
    """
    if isinstance(exclude_status, str):
        raise ValidationError("exclude_status is a list of statuses, not one string",
                              hint=f"e.g. exclude_status=({exclude_status!r},)")
    if "status" not in permits.columns or not exclude_status:
        return permits
    wanted = {str(s).strip().casefold() for s in exclude_status}
    status = permits["status"].map(lambda v: v.strip().casefold() if isinstance(v, str) else v)
    keep = ~status.isin(wanted).to_numpy()
    return permits if keep.all() else permits[keep]



@dataclass(frozen=True)
class PermitArrays:
    """Permits as aligned arrays: ids (str), footprints, first and last day (days since 1970)."""

    ids: np.ndarray
    geoms: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)



def day_numbers(values: pd.Series, column: str, what: str) -> np.ndarray:
    """Dates (datetime64, date objects or ISO strings) as int64 days since 1970-01-01."""
    parsed = pd.to_datetime(values, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise ValidationError(
            f"{len(bad)} {what} have no valid {column}",
            problems=[Problem("missing or unreadable date", rows=(bad + 1).tolist(), field=column)],
            hint="dates are ISO 8601, YYYY-MM-DD",
        )
    days = parsed.to_numpy().astype("datetime64[D]")
    return (days - _EPOCH).astype(np.int64)


def as_dates(days: np.ndarray) -> np.ndarray:
    """int64 days since 1970 -> ``datetime64[ns]`` (midnight), for output tables."""
    return (np.asarray(days, dtype=np.int64).astype("timedelta64[D]") + _EPOCH).astype(
        "datetime64[ns]"
    )


def permit_arrays(permits: gpd.GeoDataFrame, what: str = "permits") -> PermitArrays:
    """Check a permits frame and turn it into :class:`PermitArrays`.

    Raises
    ------
    ValidationError
        Missing columns or dates, duplicate ids, an end before its start, no geometry.
    """
    require_columns(permits, ("permit_id", "planned_start", "planned_end"), what)
    ids = permits["permit_id"].astype(str).to_numpy(dtype=object)
    dup = pd.Index(ids).duplicated(keep=False)
    if dup.any():
        rows = np.flatnonzero(dup)
        raise ValidationError(
            f"{what}: permit_id is not unique",
            problems=[Problem(f"duplicate ids, e.g. {ids[rows[0]]!r}", rows=(rows + 1).tolist(),
                              field="permit_id")],
        )
    start = day_numbers(permits["planned_start"], "planned_start", what)
    end = day_numbers(permits["planned_end"], "planned_end", what)
    backwards = np.flatnonzero(end < start)
    if len(backwards):
        raise ValidationError(
            f"{what}: planned_end before planned_start",
            problems=[Problem("end before start", rows=(backwards + 1).tolist(),
                              field="planned_end")],
            hint="intervals are [planned_start, planned_end], both days included",
        )
    geoms = np.asarray(permits.geometry.values, dtype=object)
    empty = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(empty):
        raise ValidationError(
            f"{what}: {len(empty)} permits have no geometry",
            problems=[Problem("empty footprint", rows=(empty + 1).tolist(), field="geometry")],
        )
    return PermitArrays(ids, geoms, start, end)


def pair_gaps(
    start_a: np.ndarray, end_a: np.ndarray, start_b: np.ndarray, end_b: np.ndarray
) -> np.ndarray:
    """Days from the end of the earlier interval to the start of the later one.

    ``<= 0`` when the inclusive intervals share at least one day (the overlap, negated);
    ``1`` when one ends the day before the other starts.
    """
    return np.maximum(start_b - end_a, start_a - end_b)



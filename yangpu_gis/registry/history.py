"""Feature history: what a delivery changed, the registry as of a batch, and diffs.

Every feature version is kept with the batch that created it (``batch_id``) and the batch
that ended it (``ended_batch``). A layer's table holds the live versions; its history table
(:func:`~.tables.history_table`) holds the ended ones. A ``replace`` or ``upsert`` keeps the
previous versions: a stored feature equal to the delivered one in every attribute and its
geometry is left as it is (its batch unchanged), a different one is ended and the new
version stored, and a feature missing from a ``replace`` is ended, not erased. So storage
grows with changes, not with deliveries.

The layer as of batch ``b`` is every version with ``batch_id <= b`` that was not ended by a
batch ``<= b``. This module holds the pure parts both backends share: which stored
features a delivery changes (:func:`changed_fields`), the batch an ``as_of`` value names
(:func:`resolve_as_of`) and the difference of two snapshots (:func:`diff_frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..catalogue import BATCH_COLUMN, Layer
from ..errors import RegistryError
from ..io.types import TIMEZONE
from ..terminal import jsonable

__all__ = ["ENDED_COLUMN", "AsOf", "LayerDiff", "changed_fields", "diff_frames",
           "resolve_as_of", "same_rows"]

#: Column of a history table: the batch that ended the version.
ENDED_COLUMN = "ended_batch"

#: What ``as_of`` may be: a batch id, a date (the end of that day, Asia/Shanghai), a
#: datetime (naive: Asia/Shanghai), or a string of either (``"12"``, ``"2024-12-31"``).
AsOf = int | str | date | datetime


def _cutoff(value: date | datetime) -> pd.Timestamp:
    zone = ZoneInfo(TIMEZONE)
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=zone)
    else:
        stamp = datetime.combine(value + timedelta(days=1), time(0), zone) - timedelta(
            microseconds=1)
    return pd.Timestamp(stamp)


def _parse(as_of: AsOf) -> int | pd.Timestamp:
    if isinstance(as_of, bool):
        raise TypeError
    if isinstance(as_of, (int, np.integer)):
        return int(as_of)
    if isinstance(as_of, (date, datetime)):
        return _cutoff(as_of)
    text = str(as_of).strip()
    if text.isdigit():
        return int(text)
    if len(text) == 10:
        return _cutoff(date.fromisoformat(text))
    return _cutoff(datetime.fromisoformat(text))


def resolve_as_of(batches: pd.DataFrame, as_of: AsOf | None) -> int | None:
    """The batch id that ``as_of`` names: None for "now"; 0 for a time before every load.

    Parameters
    ----------
    batches : pandas.DataFrame
        The registry's batches table (``batch_id``, ``loaded_at``).
    as_of : int, str, date or datetime, optional
        A batch id, or a date / datetime: the last batch loaded at or before it (a date
        means the end of that day, Asia/Shanghai).

    Raises
    ------
    RegistryError
        For a batch id the registry does not have, or text that is neither a batch id nor
        an ISO date.

    Examples
    --------
    >>> b = pd.DataFrame({"batch_id": [1, 2], "loaded_at": pd.to_datetime(
    ...     ["2024-05-01T10:00:00+08:00", "2025-05-01T10:00:00+08:00"])})
    >>> resolve_as_of(b, "2024-12-31"), resolve_as_of(b, 2), resolve_as_of(b, "2020-01-01")
    (1, 2, 0)
    >>> resolve_as_of(b, 0)      # before any load
    0
    """
    if as_of is None:
        return None
    try:
        wanted = _parse(as_of)
    except (TypeError, ValueError):
        raise RegistryError(
            f"--as-of {str(as_of)!r} is neither a batch id nor a date",
            hint="give a batch id (yangpu-gis batches lists them), a date such as 2024-12-31 "
            "or a time such as 2024-12-31T18:00",
        ) from None
    ids = pd.to_numeric(batches["batch_id"]).astype("int64")
    if isinstance(wanted, int):
        if wanted == 0:  # before any load: the empty registry
            return 0
        if wanted not in set(ids.tolist()):
            raise RegistryError(
                f"the registry has no batch {wanted}",
                hint="yangpu-gis batches lists the batches" + (
                    f" (1 to {int(ids.max())})" if len(ids) else " (there are none yet)"))
        return wanted
    loaded = pd.to_datetime(batches["loaded_at"], utc=True)
    before = ids[(loaded <= wanted.tz_convert("UTC")).to_numpy()]
    return int(before.max()) if len(before) else 0


def _values_equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise equality of two aligned columns; two missing values are equal."""
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    try:  # vectorised in the columns' own dtypes (no boxing to Python objects)
        values = a.eq(b).to_numpy(dtype=bool, na_value=False)
    except TypeError:  # dtypes pandas cannot compare directly: compare the Python values
        both = ~na_a & ~na_b
        values = np.zeros(len(a), dtype=bool)
        values[both] = np.asarray(a[both].astype(object).to_numpy()
                                  == b[both].astype(object).to_numpy(), dtype=bool)
    return (na_a & na_b) | (values & ~na_a & ~na_b)


def changed_fields(old: pd.DataFrame, new: pd.DataFrame, spec: Layer) -> dict[str, np.ndarray]:
    """For two aligned frames (row i of ``old`` and ``new`` are the same feature): which
    rows differ, per catalogue column (not the id) and ``"geometry"``.

    Values compare equal when both are missing or both are equal; geometries when their
    coordinates are exactly equal, in the same order (``shapely.equals_exact``, tolerance
    0), as PostGIS's ``=`` compares them.
    """
    out: dict[str, np.ndarray] = {}
    for name in spec.column_names:
        if name != spec.id_column:
            out[name] = ~_values_equal(old[name].reset_index(drop=True),
                                       new[name].reset_index(drop=True))
    if spec.has_geometry:
        ga = np.asarray(old.geometry.values, dtype=object)
        gb = np.asarray(new.geometry.values, dtype=object)
        same = np.asarray(shapely.equals_exact(ga, gb, tolerance=0.0), dtype=bool) | (
            shapely.is_missing(ga) & shapely.is_missing(gb))
        out["geometry"] = ~same
    return out


def same_rows(old: pd.DataFrame, new: pd.DataFrame, spec: Layer) -> np.ndarray:
    """For each row of ``new``: is it stored in ``old`` (same id) with equal attributes and
    geometry (see :func:`changed_fields`)? Both frames in catalogue dtypes."""
    idc = spec.id_column
    stored = old.drop_duplicates(idc).set_index(idc)
    present = new[idc].isin(stored.index).to_numpy()
    same = present.copy()
    if not present.any():
        return same
    sub_new = new[present].reset_index(drop=True)
    sub_old = stored.loc[sub_new[idc]].reset_index()
    changed = changed_fields(sub_old, sub_new, spec)
    same[present] = ~np.logical_or.reduce(list(changed.values())) if changed else True
    return same


@dataclass
class LayerDiff:
    """What changed in a layer between two batches (see :meth:`Registry.diff`).

    Attributes
    ----------
    layer : str
    from_batch, to_batch : int
        The two states compared (0: the empty registry before any load).
    added : GeoDataFrame
        Features in ``to`` whose id was not in ``from`` (their ``to`` version).
    removed : GeoDataFrame
        Features in ``from`` whose id is not in ``to`` (their ``from`` version).
    modified : pandas.DataFrame
        One row per feature in both whose attributes or geometry differ: the id column,
        ``fields`` (``{column: {"old", "new"}}``), ``geometry_changed``, ``hausdorff_m``,
        ``length_change_m``, ``area_change_m2`` (new minus old; NaN where not meaningful).
    old, new : GeoDataFrame
        The ``from`` and ``to`` versions of the modified features, in the order of
        ``modified``.
    unchanged : int
        Features equal in both.
    """

    layer: str
    id_column: str
    from_batch: int
    to_batch: int
    added: pd.DataFrame
    removed: pd.DataFrame
    modified: pd.DataFrame
    old: pd.DataFrame
    new: pd.DataFrame
    unchanged: int
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """``{"added", "removed", "modified", "unchanged"}``."""
        return {"added": len(self.added), "removed": len(self.removed),
                "modified": len(self.modified), "unchanged": self.unchanged}

    def as_dict(self) -> dict[str, Any]:
        """The ``diff --json`` object: ``layer, from, to, added, removed, modified,
        unchanged`` (values as JSON: dates as ISO text, missing values as null)."""
        idc = self.id_column
        modified = []
        for row in self.modified.itertuples(index=False):
            geometry = {"changed": bool(row.geometry_changed),
                        "hausdorff_m": _number(row.hausdorff_m),
                        "length_change_m": _number(row.length_change_m),
                        "area_change_m2": _number(row.area_change_m2)}
            modified.append({"id": getattr(row, idc),
                             "fields": jsonable(row.fields), "geometry": geometry})
        return {"layer": self.layer, "from": self.from_batch, "to": self.to_batch,
                "added": self.added[idc].tolist(), "removed": self.removed[idc].tolist(),
                "modified": modified, "unchanged": self.unchanged}

    def to_frame(self) -> gpd.GeoDataFrame | pd.DataFrame:
        """One row per change: ``change`` (``added``/``removed``/``modified``), the id,
        ``changed_fields`` (``name: old → new; …``), the geometry measures, and the geometry
        (the new version; the old one for a removed feature). For ``diff -o``."""
        idc = self.id_column
        parts = []
        for kind, frame in (("added", self.added), ("removed", self.removed)):
            part = pd.DataFrame({"change": kind, idc: frame[idc].to_numpy()})
            if "geometry" in frame:
                part["geometry"] = frame.geometry.to_numpy()
            parts.append(part)
        mod = pd.DataFrame({"change": "modified", idc: self.modified[idc].to_numpy()})
        mod["changed_fields"] = [describe_fields(f, self.labels) for f in self.modified["fields"]]
        for name in ("geometry_changed", "hausdorff_m", "length_change_m", "area_change_m2"):
            mod[name] = self.modified[name].to_numpy()
        if "geometry" in self.new:
            mod["geometry"] = self.new.geometry.to_numpy()
        parts.append(mod)
        out = pd.concat(parts, ignore_index=True)
        out["changed_fields"] = out["changed_fields"].fillna("") if "changed_fields" in out \
            else ""
        crs = getattr(self.new, "crs", None) or getattr(self.added, "crs", None) or getattr(
            self.removed, "crs", None)
        if "geometry" in out:
            return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
        return out


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def describe_fields(fields: dict[str, dict[str, Any]], labels: dict[str, str] | None = None
                    ) -> str:
    """``道路名称: 国权路 → 国权北路; …`` for a modified feature's changed fields."""
    labels = labels or {}

    def text(v: Any) -> str:
        return "（空）" if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) \
            else str(v.isoformat() if hasattr(v, "isoformat") else v)

    return "; ".join(f"{labels.get(k, k)}: {text(v['old'])} → {text(v['new'])}"
                     for k, v in fields.items())


def _measures(old: gpd.GeoSeries, new: gpd.GeoSeries) -> dict[str, np.ndarray]:
    a = np.asarray(old.values, dtype=object)
    b = np.asarray(new.values, dtype=object)
    haus = np.asarray(shapely.hausdorff_distance(a, b), dtype=float)
    dims = shapely.get_dimensions(b)
    length = np.where(dims == 1, shapely.length(b) - shapely.length(a), np.nan)
    area = np.where(dims == 2, shapely.area(b) - shapely.area(a), np.nan)
    return {"hausdorff_m": haus, "length_change_m": length, "area_change_m2": area}


def diff_frames(old: pd.DataFrame, new: pd.DataFrame, spec: Layer, *, from_batch: int,
                to_batch: int) -> LayerDiff:
    """The difference between two snapshots of a layer (catalogue frames, metric CRS).

    Features are matched by id; a matched feature is modified when any catalogue column or
    its geometry differs (:func:`changed_fields`). ``batch_id`` is not compared: a feature
    changed and changed back is unchanged.

    Examples
    --------
    >>> from yangpu_gis.catalogue import get_layer
    >>> from shapely import LineString
    >>> spec = get_layer("roads")
    >>> def roads(names, x):
    ...     return gpd.GeoDataFrame({"road_id": ["R1", "R2"][:len(names)], "name": names,
    ...         "road_class": "branch"} | {c: None for c in spec.column_names[3:]},
    ...         geometry=[LineString([(0, 0), (x, 0)])] * len(names), crs="EPSG:4549")
    >>> d = diff_frames(roads(["甲路", "乙路"], 100), roads(["甲路北"], 103), spec,
    ...                 from_batch=1, to_batch=2)
    >>> d.counts
    {'added': 0, 'removed': 1, 'modified': 1, 'unchanged': 0}
    >>> d.as_dict()["modified"][0]["fields"], d.as_dict()["modified"][0]["geometry"]["hausdorff_m"]
    ({'name': {'old': '甲路', 'new': '甲路北'}}, 3.0)
    """
    idc = spec.id_column
    old_ids, new_ids = pd.Index(old[idc]), pd.Index(new[idc])
    added = new[~new[idc].isin(old_ids)].sort_values(idc).reset_index(drop=True)
    removed = old[~old[idc].isin(new_ids)].sort_values(idc).reset_index(drop=True)
    both = sorted(set(old_ids) & set(new_ids))
    o = old.set_index(idc).loc[both].reset_index()
    n = new.set_index(idc).loc[both].reset_index()
    changed = changed_fields(o, n, spec)
    any_change = np.logical_or.reduce(list(changed.values())) if changed else \
        np.zeros(len(both), dtype=bool)
    rows = np.flatnonzero(any_change)
    o_mod, n_mod = o.iloc[rows].reset_index(drop=True), n.iloc[rows].reset_index(drop=True)
    attrs = [c for c in changed if c != "geometry"]
    fields = [{c: {"old": _plain(o_mod.at[i, c]), "new": _plain(n_mod.at[i, c])}
               for c in attrs if changed[c][r]} for i, r in enumerate(rows)]
    modified = pd.DataFrame({idc: n_mod[idc].to_numpy(), "fields": fields})
    if spec.has_geometry:
        # no feature in both snapshots (e.g. from the empty layer, batch 0): nothing moved
        geometry_changed = changed.get("geometry", np.zeros(len(both), dtype=bool))[rows]
        measures = _measures(o_mod.geometry, n_mod.geometry) if len(rows) else {
            k: np.array([], dtype=float)
            for k in ("hausdorff_m", "length_change_m", "area_change_m2")}
        modified["geometry_changed"] = geometry_changed
        for name, values in measures.items():
            modified[name] = np.where(geometry_changed, values, 0.0 if name == "hausdorff_m"
                                      else np.where(np.isnan(values), np.nan, 0.0))
    else:
        modified["geometry_changed"] = False
        for name in ("hausdorff_m", "length_change_m", "area_change_m2"):
            modified[name] = np.nan
    added, removed, o_mod, n_mod = (
        frame.drop(columns=BATCH_COLUMN) if BATCH_COLUMN in frame else frame
        for frame in (added, removed, o_mod, n_mod))
    return LayerDiff(spec.name, idc, from_batch, to_batch, added, removed, modified, o_mod,
                     n_mod, int(len(both) - len(rows)), labels=spec.labels())


def _plain(value: Any) -> Any:
    """A stored value as a plain Python value (None for missing)."""
    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value

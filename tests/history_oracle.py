"""An independent replay of deliveries of the roads layer, for the history tests.

Plain Python and shapely, none of the registry's own functions: a snapshot is a dict
``road_id -> Road`` and each delivery is applied with its mode's meaning (``append`` adds
new ids, ``upsert`` adds or replaces the delivered ids, ``replace`` makes the layer exactly
the delivery, ``revert`` makes it the given target state). Every step records which
feature versions it created and ended, so reads, diffs, batch counts and stored versions
can all be checked against it.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

#: A point well inside Yangpu in EPSG:4549 (the working CRS, so no reprojection).
X0, Y0 = 644700.0, 3465200.0
#: Attribute columns of ``roads`` the replay varies (``road_id`` is the key).
FIELDS = ("name", "road_class", "width_m", "maintainer", "built_date", "pci")
DATES = ("built_date",)


@dataclass(frozen=True)
class Road:
    """One version of a road: its attributes (None = missing) and its vertices."""

    name: str
    road_class: str
    width_m: float | None
    maintainer: str | None
    built_date: date | None
    pci: float | None
    coords: tuple[tuple[float, float], ...]

    def values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}

    @property
    def line(self) -> shapely.LineString:
        return shapely.LineString(self.coords)


@dataclass
class Step:
    """One batch of the replay: its mode, the snapshot after it and what it did."""

    batch: int
    mode: str
    delivered: int
    after: dict[str, Road]
    added: list[str]
    modified: list[str]
    removed: list[str]
    unchanged: int


@dataclass
class Replay:
    """The deliveries so far, oldest first; ``snapshot(0)`` is the empty layer."""

    steps: list[Step] = field(default_factory=list)
    #: (road_id, created batch) -> [Road, ended batch or None]
    versions: dict[tuple[str, int], list[Any]] = field(default_factory=dict)

    def snapshot(self, batch: int) -> dict[str, Road]:
        """The layer as it stood after ``batch`` (batches are 1, 2, … in order)."""
        return {} if batch == 0 else self.steps[batch - 1].after

    @property
    def current(self) -> dict[str, Road]:
        return self.snapshot(len(self.steps))

    def apply(self, mode: str, rows: dict[str, Road]) -> Step:
        """Record one load (``rows``: the delivered features; for ``revert``: the target)."""
        before = self.current
        if mode == "append":
            assert not set(rows) & set(before), "an append of live ids is refused"
            after = {**before, **rows}
        elif mode == "upsert":
            after = {**before, **rows}
        elif mode in ("replace", "revert"):
            after = dict(rows)
        else:  # pragma: no cover - the generator makes only these
            raise AssertionError(mode)
        batch = len(self.steps) + 1
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        modified = sorted(i for i in set(after) & set(before) if after[i] != before[i])
        unchanged = sum(1 for i in rows if i in before and before[i] == rows[i])
        for i in modified + removed:
            created = max(b for (j, b), v in self.versions.items() if j == i and v[1] is None)
            self.versions[(i, created)][1] = batch
        for i in added + modified:
            self.versions[(i, batch)] = [after[i], None]
        step = Step(batch, mode, len(rows), after, added, modified, removed, unchanged)
        self.steps.append(step)
        return step

    def touched(self, batch: int) -> set[str]:
        """Ids whose version batch ``batch`` created or ended."""
        s = self.steps[batch - 1]
        return set(s.added) | set(s.modified) | set(s.removed)


# --------------------------------------------------------------------------- conversions
def frame_of(rows: dict[str, Road]) -> gpd.GeoDataFrame:
    """A delivery as a bureau would send it (EPSG:4549, dates as ISO text)."""
    ids = list(rows)
    data: dict[str, list[Any]] = {"road_id": ids}
    for f in FIELDS:
        vals = [getattr(rows[i], f) for i in ids]
        data[f] = [None if v is None else v.isoformat() for v in vals] if f in DATES else vals
    return gpd.GeoDataFrame(pd.DataFrame(data, dtype=object),
                            geometry=[rows[i].line for i in ids], crs="EPSG:4549")


def _plain(value: Any, name: str) -> Any:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    if name in DATES:
        return pd.Timestamp(value).date()
    if hasattr(value, "item"):
        return value.item()
    return value


def roads_of(frame: pd.DataFrame) -> dict[str, Road]:
    """A frame the registry returned, as ``road_id -> Road`` (ids must be unique)."""
    assert frame["road_id"].is_unique, "a snapshot holds each id once"
    out = {}
    for row, geom in zip(frame.to_dict("records"), frame.geometry.values, strict=True):
        coords = tuple(map(tuple, shapely.get_coordinates(geom).tolist()))
        out[row["road_id"]] = Road(**{f: _plain(row[f], f) for f in FIELDS}, coords=coords)
    return out


def expected_diff(old: dict[str, Road], new: dict[str, Road]) -> dict[str, Any]:
    """Brute-force comparison of two snapshots, feature by feature."""
    modified = {}
    for i in sorted(set(old) & set(new)):
        a, b = old[i], new[i]
        if a == b:
            continue
        fields = {f: {"old": getattr(a, f), "new": getattr(b, f)}
                  for f in FIELDS if getattr(a, f) != getattr(b, f)}
        moved = a.coords != b.coords
        modified[i] = {
            "fields": fields, "geometry_changed": moved,
            "hausdorff_m": shapely.hausdorff_distance(a.line, b.line) if moved else 0.0,
            "length_change_m": (b.line.length - a.line.length) if moved else 0.0}
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)),
            "modified": modified,
            "unchanged": sum(1 for i in set(old) & set(new) if old[i] == new[i])}


# --------------------------------------------------------------------------- registries
@contextmanager
def fresh_registry(backend: str, folder, pg_database: str | None):
    """A new, empty registry of ``backend`` (a new .gpkg in ``folder``, or a new PostGIS
    schema in ``pg_database``), dropped afterwards. Hypothesis runs many examples in one
    test call, so each example makes its own instead of using the function-scoped
    ``registry`` fixture."""
    from yangpu_gis import open_registry

    name = uuid.uuid4().hex[:10]
    if backend == "geopackage":
        reg = open_registry(str(folder / f"h_{name}.gpkg"), create=True)
        try:
            yield reg
        finally:
            reg.close()
        return
    from urllib.parse import urlsplit

    import psycopg

    from .conftest import ADMIN_URL, _with_db

    schema = f"h_{name}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = urlsplit(pg_database).path.lstrip("/")
    reg = open_registry(_with_db(ADMIN_URL, db, schema))
    try:
        yield reg
    finally:
        reg.close()
        with psycopg.connect(pg_database, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

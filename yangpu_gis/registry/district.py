"""The district a registry serves, kept in the registry itself, for both backends.

``yangpu-gis init --district-outline FILE`` reads the outline
(:func:`yangpu_gis.io.outline.read_outline`) and :func:`record_district` stores it in
:data:`~.tables.DISTRICT_TABLE`: one ``district`` row (code, name, outline as lon/lat WKB)
and, for a city registry, one ``part`` row per district. Each backend provides a
:class:`DistrictStore` (``geopackage/district.py``, ``postgis/district.py``).

The district is a setting of the registry, not of the code: once recorded it cannot change
(the rows were checked against it), and recording it is refused while the registry holds
rows outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from ..catalogue import CATALOGUE
from ..errors import Problem, ValidationError
from ..io.district import District, active_district
from ..io.types import TIMEZONE
from .batches import os_user

__all__ = ["DISTRICT_FIELDS", "DistrictStore", "district_of", "district_rows",
           "enter_district", "exit_district", "record_district"]

#: Columns of the district table, in order (``outline``: WKB, WGS84 lon/lat).
DISTRICT_FIELDS = ("role", "code", "name", "outline", "source", "added_at", "os_user")


@runtime_checkable
class DistrictStore(Protocol):
    """What a backend offers for its district table."""

    def stored(self) -> list[dict[str, Any]]:
        """The table's rows (``role, code, name, outline`` at least), district row first;
        empty when nothing is recorded (or the registry does not exist yet)."""

    def write(self, rows: list[dict[str, Any]],
              check: Callable[[list[dict[str, Any]]], bool]) -> bool:
        """Under the registry's write lock: ``check(rows stored now)``; store ``rows`` if it
        returned True. Whether they were stored."""


def district_rows(district: District, source: str) -> list[dict[str, Any]]:
    """The table rows of ``district`` (its own row, then one per part)."""
    now = datetime.now(ZoneInfo(TIMEZONE))
    user = os_user()
    return [{"role": role, "code": d.code, "name": d.name, "outline": d.outline_wkb,
             "source": source, "added_at": now, "os_user": user}
            for role, d in [("district", district), *(("part", p) for p in district.parts)]]


def district_of(rows: list[dict[str, Any]]) -> District | None:
    """The District the stored ``rows`` describe, or None for none."""
    main = [r for r in rows if r["role"] == "district"]
    if not main:
        return None
    parts = tuple(District(str(r["code"]), str(r["name"]), bytes(r["outline"]))
                  for r in rows if r["role"] == "part")
    m = main[0]
    return District(str(m["code"]), str(m["name"]), bytes(m["outline"]), parts)


def _same(a: District, b: District) -> bool:
    def key(d: District) -> tuple:
        return (d.code, d.name, shapely.normalize(d.outline_lonlat).wkb)

    return key(a) == key(b) and sorted(map(key, a.parts)) == sorted(map(key, b.parts))


def _rows_outside(registry: Any, district: District) -> list[Problem]:
    """One problem per layer whose stored rows lie outside ``district``'s outline."""
    problems = []
    for name, spec in CATALOGUE.items():
        if not spec.has_geometry:
            continue
        frame = registry.read(name, columns=[])
        if not len(frame):
            continue
        geoms = np.asarray(frame.geometry.values, dtype=object)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        outside = district.outside(geoms[present])
        if outside.any():
            ids = frame[spec.id_column].to_numpy()[present][outside]
            problems.append(Problem(
                f"{int(outside.sum())} stored feature(s) lie outside it (e.g. "
                f"{', '.join(map(repr, [str(i) for i in ids[:3]]))})", field=name,
                hint=f"record the district in a new registry, or export {name} and load the "
                "rows inside it"))
    return problems


def record_district(store: DistrictStore, registry: Any, district: District,
                    source: str) -> bool:
    """Store ``district`` as the district ``registry`` serves; whether anything was stored
    (False: the same district was already recorded).

    Raises
    ------
    ValidationError
        If the registry already records another district, or holds rows outside this one;
        nothing is changed.
    """
    def new(stored: list[dict[str, Any]]) -> bool:
        old = district_of(stored)
        if old is None:
            return True
        if _same(old, district):
            return False
        raise ValidationError(
            f"the registry already serves {old.describe()}; nothing was changed",
            source=source,
            hint="a registry's district cannot change once recorded (its rows were checked "
            f"against it): make a new registry for {district.describe()}")

    if not new(store.stored()):
        return False
    problems = _rows_outside(registry, district)
    if problems:
        raise ValidationError(f"the registry holds rows outside {district.describe()}; "
                              "nothing was recorded", source=registry.target,
                              problems=problems)
    return store.write(district_rows(district, source), new)


def enter_district(registry: Any) -> None:
    """``with registry:`` activates its district for the block (maps open on it and carry
    its name: :func:`~yangpu_gis.io.district.active_district`)."""
    scope = active_district(registry.district)
    scope.__enter__()
    registry.__dict__.setdefault("_district_scopes", []).append(scope)


def exit_district(registry: Any) -> None:
    """The end of the block :func:`enter_district` began."""
    scopes = registry.__dict__.get("_district_scopes")
    if scopes:
        scopes.pop().__exit__(None, None, None)

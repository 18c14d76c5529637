"""The district a registry serves: its code, name and outline (issue 16, "Any district").

A registry records its district with ``yangpu-gis init --district-outline FILE``
(:func:`yangpu_gis.io.outline.read_outline` reads the file,
:meth:`yangpu_gis.registry.base.Registry.record_district` stores it). From then on

* a load refuses records farther than ``settings.district_outline_margin_m`` (100 m) outside
  the outline (:func:`yangpu_gis.io.extent.to_working`);
* maps open on the district and carry its name (:func:`active_district`);
* ``--district NAME`` selects one of its parts (a city registry holds the 16 districts of
  Shanghai as parts of one outline: :meth:`District.part`).

A registry without a recorded district stays the Yangpu registry it always was: the fixed
extent ``settings.district_bounds_lonlat`` grown by ``settings.district_margin_m``.

The outline is kept in WGS84 lon/lat (EPSG:4326, after any GCJ-02 / BD-09 inverse), so it
does not depend on the working CRS; :meth:`District.outline` gives it in the working CRS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pyproj
import shapely

from .. import settings
from ..crs import transform_geometries
from ..errors import ValidationError

__all__ = ["DEFAULT_DISTRICT_NAME", "District", "active_district", "current_district",
           "district_bounds_lonlat", "district_name", "district_title"]

#: The name maps and messages use for a registry that records no district.
DEFAULT_DISTRICT_NAME = "杨浦区"


@cache
def _working(wkb: bytes, crs: str) -> shapely.Geometry:
    """``wkb`` (lon/lat) in ``crs``, prepared for fast predicates (cached per CRS)."""
    geom = transform_geometries(np.array([shapely.from_wkb(wkb)]), pyproj.CRS.from_epsg(4326),
                                pyproj.CRS.from_user_input(crs))[0]
    shapely.prepare(geom)
    return geom


@cache
def _grown(wkb: bytes, crs: str, margin_m: float) -> shapely.Geometry:
    geom = shapely.buffer(_working(wkb, crs), margin_m, quad_segs=4) if margin_m > 0 \
        else _working(wkb, crs)
    shapely.prepare(geom)
    return geom


@dataclass(frozen=True)
class District:
    """A district (or a city made of districts): administrative code, name, outline.

    Parameters
    ----------
    code : str
        Administrative code (GB/T 2260), e.g. ``310109``.
    name : str
        e.g. ``虹口区``.
    outline_wkb : bytes
        (Multi)polygon in WGS84 lon/lat, as WKB.
    parts : tuple of District
        The districts a city outline is made of (empty for a single district).
    """

    code: str
    name: str
    outline_wkb: bytes = field(repr=False)
    parts: tuple[District, ...] = ()

    @property
    def outline_lonlat(self) -> shapely.Geometry:
        """The outline in WGS84 lon/lat."""
        return shapely.from_wkb(self.outline_wkb)

    def outline(self, crs: str | None = None) -> shapely.Geometry:
        """The outline in ``crs`` (default ``settings.working_crs``), prepared."""
        return _working(self.outline_wkb, crs or settings.working_crs)

    def grown(self, margin_m: float | None = None) -> shapely.Geometry:
        """The outline in the working CRS grown by ``margin_m`` (default
        ``settings.district_outline_margin_m``), prepared."""
        margin = settings.district_outline_margin_m if margin_m is None else margin_m
        return _grown(self.outline_wkb, settings.working_crs, float(margin))

    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the outline in WGS84 lon/lat."""
        return tuple(float(v) for v in shapely.bounds(self.outline_lonlat))  # type: ignore[return-value]

    def area_km2(self) -> float:
        """Area of the outline in the working CRS, km²."""
        return float(shapely.area(self.outline())) / 1e6

    def outside(self, geoms: np.ndarray, margin_m: float | None = None) -> np.ndarray:
        """Which of ``geoms`` (working CRS, none missing) lie farther than ``margin_m``
        outside the outline (touching the grown outline counts as inside)."""
        return ~shapely.intersects(np.asarray(geoms, dtype=object), self.grown(margin_m))

    def part(self, key: str) -> District:
        """This district or one of its parts, by name (``虹口区``, ``虹口``) or code.

        Raises
        ------
        ValidationError
            If no part has that name or code; the hint lists them.
        """
        wanted = str(key).strip()
        for d in (self, *self.parts):
            if wanted in (d.code, d.name) or (len(wanted) >= 2 and d.name.rstrip("区县市") ==
                                              wanted.rstrip("区县市")):
                return d
        choices = ", ".join(f"{d.code} {d.name}" for d in (self, *self.parts))
        raise ValidationError(f"--district: the registry has no district {wanted!r}",
                              hint=f"give one of: {choices}")

    def describe(self) -> str:
        """``虹口区 (310109)``."""
        return f"{self.name} ({self.code})"


_ACTIVE: ContextVar[District | None] = ContextVar("yangpu_gis_district", default=None)


@contextmanager
def active_district(district: District | None) -> Iterator[None]:
    """Within the block, maps open on ``district`` and carry its name (None: keep the
    current one). A registry used as a context manager (``with open_registry(...) as reg``)
    activates its district this way."""
    if district is None:
        yield
        return
    token = _ACTIVE.set(district)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def current_district() -> District | None:
    """The district activated by :func:`active_district`, or None."""
    return _ACTIVE.get()


def district_bounds_lonlat() -> tuple[float, float, float, float]:
    """The active district's lon/lat bounds, else ``settings.district_bounds_lonlat``."""
    d = _ACTIVE.get()
    return d.bounds_lonlat() if d is not None else settings.district_bounds_lonlat


def district_name() -> str:
    """The active district's name, else :data:`DEFAULT_DISTRICT_NAME`."""
    d = _ACTIVE.get()
    return d.name if d is not None else DEFAULT_DISTRICT_NAME


def district_title(title: str) -> str:
    """``title`` naming the active district: a leading ``杨浦区`` (the builders' default
    titles) becomes the active district's name; unchanged when none is active."""
    d = _ACTIVE.get()
    if d is None or not title.startswith(DEFAULT_DISTRICT_NAME):
        return title
    return d.name + title[len(DEFAULT_DISTRICT_NAME):]

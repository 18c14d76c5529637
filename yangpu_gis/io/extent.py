"""Put geometries in the working CRS, and refuse data that cannot be in Yangpu.

The mistakes users really make with coordinates are a missing ``.prj``, swapped lon/lat,
projected metres labelled as degrees, the wrong Gauss-Kruger zone or its zone-prefixed
variant (false easting 40 500 000), and web-map offsets. When data falls outside the
district, every plausible reinterpretation is tried and the one that puts the data inside is
named in the hint.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely

from .. import settings
from ..crs import crs_label, transform_geometries
from ..errors import CRSError, Problem
from .district import District

__all__ = ["CANDIDATE_CRS", "district_box", "guess_crs", "to_working"]

#: Interpretations tried when data lands outside the district (label, CRS, swap axes).
CANDIDATE_CRS: tuple[tuple[str, str, bool], ...] = (
    ("EPSG:4326", "EPSG:4326", False),
    ("EPSG:4326 with lon/lat swapped", "EPSG:4326", True),
    ("EPSG:4549", "EPSG:4549", False),
    ("EPSG:4528", "EPSG:4528", False),
    ("EPSG:4550", "EPSG:4550", False),
    ("EPSG:4529", "EPSG:4529", False),
    ("EPSG:3857", "EPSG:3857", False),
    ("EPSG:4549 with x/y swapped", "EPSG:4549", True),
)


def district_box(margin_m: float | None = None, district: District | None = None
                 ) -> tuple[float, float, float, float]:
    """The district's lon/lat extent grown by ``margin_m`` (default ``settings``): the
    bounds of ``district``'s outline if given, else ``settings.district_bounds_lonlat``."""
    margin = settings.district_margin_m if margin_m is None else margin_m
    minx, miny, maxx, maxy = (district.bounds_lonlat() if district is not None
                              else settings.district_bounds_lonlat)
    dlat = margin / 111_320.0
    dlon = margin / (111_320.0 * math.cos(math.radians((miny + maxy) / 2)))
    return minx - dlon, miny - dlat, maxx + dlon, maxy + dlat


def _inside(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])


def _lonlat(x: np.ndarray, y: np.ndarray, crs: pyproj.CRS | str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if isinstance(crs, pyproj.CRS) and x.size and np.isfinite(x).all() and np.isfinite(y).all():
        # what transform_geometries does to points, without making 200,000 points
        wgs84 = pyproj.CRS.from_epsg(4326)
        if crs.equals(wgs84):
            return x.copy(), y.copy()
        tr = pyproj.Transformer.from_crs(crs, wgs84, always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = tr.transform(x, y)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    pts = shapely.points(x, y)
    with np.errstate(all="ignore"):
        out = transform_geometries(pts, crs, pyproj.CRS.from_epsg(4326))
    return shapely.get_x(out), shapely.get_y(out)


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = shapely.bounds(geoms)
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def guess_crs(x: np.ndarray, y: np.ndarray, *, share: float = 0.5,
              district: District | None = None) -> list[str]:
    """Candidate CRS labels under which at least ``share`` of the points fall in the district
    (``district``'s outline bounds if given, else the Yangpu extent), best first."""
    box = district_box(district=district)
    found = []
    for label, code, swap in CANDIDATE_CRS:
        xs, ys = (y, x) if swap else (x, y)
        lon, lat = _lonlat(xs, ys, pyproj.CRS.from_user_input(code))
        fraction = float(_inside(lon, lat, box).mean()) if len(lon) else 0.0
        if fraction >= share:
            found.append((fraction, label))
    return [label for _, label in sorted(found, key=lambda t: -t[0])]


def _describe(x: np.ndarray, y: np.ndarray) -> str:
    if np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90):
        return "the numbers look like degrees"
    if np.all(np.abs(x) <= 90) and np.all(np.abs(y) <= 180):
        return "the numbers look like degrees with latitude first"
    if np.nanmedian(np.abs(x)) > 10_000_000:
        return "x has a zone prefix (e.g. 40 500 000), i.e. zone-numbered Gauss-Kruger metres"
    return "the numbers look like projected metres"


def to_working(
    geoms: np.ndarray,
    src: pyproj.CRS | str | None,
    rows: np.ndarray,
    *,
    source: str,
    declared: pyproj.CRS | None,
    row_label: str = "row",
    district: District | None = None,
) -> tuple[np.ndarray, list[Problem]]:
    """Transform ``geoms`` from ``src`` to the working CRS and check they lie in the district.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
    src : pyproj.CRS, ``"gcj02"``, ``"bd09"`` or None
        The CRS to interpret the coordinates in (``--crs`` or the file's).
    rows : numpy.ndarray
        User-facing row numbers.
    source : str
        File name, for messages.
    declared : pyproj.CRS or None
        What the file itself says, for the hint.
    district : District, optional
        The registry's recorded district: a geometry farther than
        ``settings.district_outline_margin_m`` outside its outline is refused. Without one,
        the Yangpu extent ``settings.district_bounds_lonlat`` grown by
        ``settings.district_margin_m`` (geometries' bounding-box centres).

    Returns
    -------
    geoms : numpy.ndarray
        In ``settings.working_crs``.
    problems : list of Problem
        Rows outside the district (with margin), with the likely cause as hint.

    Raises
    ------
    CRSError
        If there is no CRS at all; the hint suggests one from the numbers.
    """
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    x, y = _centres(geoms[present]) if present.any() else (np.array([]), np.array([]))
    if src is None:
        guesses = guess_crs(x, y) if x.size else []
        hint = "pass --crs with the file's coordinate system"
        if guesses:
            hint += f"; the numbers fit {guesses[0]}"
            if guesses[0] == "EPSG:4326":
                hint += " (use --crs gcj02 if the points come from Amap/Gaode or Tencent, " \
                        "--crs bd09 from Baidu)"
        raise CRSError(f"no coordinate system ({_describe(x, y) if x.size else 'no geometries'})",
                       source=source, hint=hint)
    working = pyproj.CRS.from_user_input(settings.working_crs)
    with np.errstate(all="ignore"):
        out = transform_geometries(geoms, src, working)
    if not x.size:
        return out, []
    lon, lat = _lonlat(x, y, src)
    if district is not None:
        with np.errstate(all="ignore"):
            outside = district.outside(out[present])
        place, margin = district.name, settings.district_outline_margin_m
        extent = f"its recorded outline + {margin:g} m"
    else:
        outside = ~_inside(lon, lat, district_box())
        place, margin = "Yangpu", settings.district_margin_m
        extent = f"district extent + {margin:g} m"
    if not outside.any():
        return out, []
    guesses = [g for g in guess_crs(x[outside], y[outside], district=district)
               if g != crs_label(src)]
    said = crs_label(src) + (" (given with --crs)" if declared is None or
                             not isinstance(src, pyproj.CRS) or not src.equals(declared) else "")
    hint = f"the coordinates were read as {said}; {_describe(x[outside], y[outside])}"
    if guesses:
        hint += f"; read as {guesses[0]} they fall inside {place}"
        if "swapped" in guesses[0]:
            hint += " — lon and lat are swapped: exchange the columns or pass --x/--y"
        else:
            hint += f": pass --crs {guesses[0].split(' ')[0]}"
    else:
        hint += f"; check the CRS, and that the file is of {place}"
    if district is not None:
        hint += (f" (the registry serves {district.describe()}, recorded by yangpu-gis init: "
                 "records of another district belong in that district's registry)")
    finite = np.isfinite(lon) & np.isfinite(lat)
    where = ""
    if (outside & finite).any():
        i = np.flatnonzero(outside & finite)[0]
        where = f" (e.g. at lon {lon[i]:.4f}, lat {lat[i]:.4f})"
    problem = Problem(
        f"lies outside {place} ({extent}){where}",
        rows=rows[present][outside].tolist(),
        field="geometry",
        hint=hint,
        row_label=row_label,
    )
    return out, [problem]


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


def district_box(margin_m: float | None = None) -> tuple[float, float, float, float]:
    """The district's lon/lat extent grown by ``margin_m`` (default ``settings``)."""
    margin = settings.district_margin_m if margin_m is None else margin_m
    minx, miny, maxx, maxy = settings.district_bounds_lonlat
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


def guess_crs(x: np.ndarray, y: np.ndarray, *, share: float = 0.5) -> list[str]:
    """Candidate CRS labels under which at least ``share`` of the points fall in the district,
    best first."""
    box = district_box()
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
) -> tuple[np.ndarray, list[Problem]]:
    """Transform ``geoms`` from ``src`` to the working CRS and check they lie in Yangpu.

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
    outside = ~_inside(lon, lat, district_box())
    if not outside.any():
        return out, []
    guesses = [g for g in guess_crs(x[outside], y[outside]) if g != crs_label(src)]
    said = crs_label(src) + (" (given with --crs)" if declared is None or
                             not isinstance(src, pyproj.CRS) or not src.equals(declared) else "")
    hint = f"the coordinates were read as {said}; {_describe(x[outside], y[outside])}"
    if guesses:
        hint += f"; read as {guesses[0]} they fall inside Yangpu"
        if "swapped" in guesses[0]:
            hint += " — lon and lat are swapped: exchange the columns or pass --x/--y"
        else:
            hint += f": pass --crs {guesses[0].split(' ')[0]}"
    else:
        hint += "; check the CRS, and that the file is of Yangpu"
    finite = np.isfinite(lon) & np.isfinite(lat)
    where = ""
    if (outside & finite).any():
        i = np.flatnonzero(outside & finite)[0]
        where = f" (e.g. at lon {lon[i]:.4f}, lat {lat[i]:.4f})"
    margin = settings.district_margin_m
    problem = Problem(
        f"lies outside Yangpu (district extent + {margin:g} m){where}",
        rows=rows[present][outside].tolist(),
        field="geometry",
        hint=hint,
        row_label=row_label,
    )
    return out, [problem]


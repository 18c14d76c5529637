"""Coordinate systems: the working CRS, GCJ-02 and BD-09 transforms, CRS parsing.

GCJ-02 ("Mars coordinates") is the obfuscated lon/lat that Amap/Gaode, Tencent and most
Chinese web maps use; BD-09 is Baidu's further offset on top of it. Both are defined only by
their published forward formulas (DOMAIN.md, "Coordinate systems"):

* GCJ-02 uses the Krasovsky ellipsoid (a = 6378245 m, e² = 0.00669342162296594323).
* BD-09 uses x_pi = π·3000/180 (copied code that uses π itself is off by tens of metres).

The inverses have no closed form; they are solved by fixed-point iteration, which converges
to well under a millimetre inside Yangpu in a few steps.

All functions are vectorised over NumPy arrays and accept scalars.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyproj
import shapely

from . import settings
from .errors import CRSError

__all__ = [
    "OFFSET_CRS",
    "bbox_in_working",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "parse_crs",
    "transform_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "working_crs",
]

#: Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
GCJ_A = 6378245.0
GCJ_EE = 0.00669342162296594323
#: BD-09 constant x_pi = π·3000/180.
X_PI = math.pi * 3000.0 / 180.0

#: Names accepted for the Chinese web-map offsets, mapped to a canonical key.
OFFSET_CRS = {
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "mars": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}


def working_crs() -> pyproj.CRS:
    """The working CRS for storage and metric analysis (``settings.working_crs``)."""
    return pyproj.CRS.from_user_input(settings.working_crs)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _out(lon: np.ndarray, lat: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _as_arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"), scalar


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Forward GCJ-02 offset of WGS84 lon/lat (the published formula, Krasovsky ellipsoid).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS84 (or CGCS2000) longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        GCJ-02 longitude and latitude.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.5112, 31.3021)   # 五角场
    >>> round(lon - 121.5112, 4), round(lat - 31.3021, 4)
    (0.0044, -0.002)
    """
    x, y, scalar = _as_arrays(lon, lat)
    dlat = _transform_lat(x - 105.0, y - 35.0)
    dlon = _transform_lon(x - 105.0, y - 35.0)
    radlat = y / 180.0 * math.pi
    magic = 1 - GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (GCJ_A / sqrtmagic * np.cos(radlat) * math.pi)
    return _out(x + dlon, y + dlat, scalar)


def _invert(forward, lon: Any, lat: Any) -> tuple[Any, Any]:
    """Fixed-point inverse of a forward offset: x_{k+1} = x_k - (f(x_k) - target)."""
    tx, ty, scalar = _as_arrays(lon, lat)
    x, y = tx.copy(), ty.copy()
    for _ in range(settings.gcj_inverse_max_iter):
        fx, fy = forward(x, y)
        dx, dy = fx - tx, fy - ty
        x = x - dx
        y = y - dy
        if np.all(np.abs(dx) < settings.gcj_inverse_tol_deg) and np.all(
            np.abs(dy) < settings.gcj_inverse_tol_deg
        ):
            break
    return _out(x, y, scalar)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Inverse GCJ-02: from Amap/Tencent lon/lat to WGS84, by fixed-point iteration.

    Accurate to far better than 0.05 m inside Yangpu (tested against the forward formula).

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(121.5, 31.3))
    >>> abs(lon - 121.5) < 1e-9 and abs(lat - 31.3) < 1e-9
    True
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Forward BD-09 offset of GCJ-02 lon/lat (Baidu's published formula, x_pi = π·3000/180)."""
    x, y, scalar = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Inverse BD-09 to GCJ-02 by fixed-point iteration on :func:`gcj02_to_bd09`."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """WGS84 to BD-09 (GCJ-02 offset, then Baidu's)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """BD-09 to WGS84, iterating on the composed forward formula."""
    return _invert(wgs84_to_bd09, lon, lat)


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def parse_crs(value: Any) -> pyproj.CRS | str:
    """Interpret a user's CRS: an EPSG code, ``EPSG:xxxx``, WKT, or ``gcj02`` / ``bd09``.

    Returns
    -------
    pyproj.CRS or str
        A pyproj CRS, or the canonical offset key ``"gcj02"`` / ``"bd09"``.

    Raises
    ------
    CRSError
        If the value is not a CRS pyproj knows and not one of the offset names.
    """
    if isinstance(value, pyproj.CRS):
        return value
    text = str(value).strip()
    key = text.lower()
    if key in OFFSET_CRS:
        return OFFSET_CRS[key]
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"unknown CRS {value!r}",
            hint="use an EPSG code such as EPSG:4326 (WGS84 lon/lat), EPSG:4490 (CGCS2000), "
            "EPSG:4549 (CGCS2000 GK CM 120E), or gcj02 (Amap/Tencent) / bd09 (Baidu)",
        ) from exc


def crs_label(crs: pyproj.CRS | str | None) -> str:
    """Short label for messages: ``EPSG:4549``, ``gcj02`` or the CRS name."""
    if crs is None:
        return "none"
    if isinstance(crs, str):
        return crs
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def _transform_xy(geoms: np.ndarray, func) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1])))


def transform_geometries(
    geoms: Any, src: pyproj.CRS | str, dst: pyproj.CRS | str
) -> np.ndarray:
    """Transform an array of shapely geometries between CRSs, offsets included.

    Parameters
    ----------
    geoms : array-like of shapely geometries
    src, dst : pyproj.CRS or ``"gcj02"`` / ``"bd09"``
        Offset systems are lon/lat; they pass through WGS84 (EPSG:4326).

    Returns
    -------
    numpy.ndarray of shapely geometries
        Two-dimensional: Z values are dropped (the loader refuses Z unless ``--repair``).
    """
    arr = np.asarray(geoms, dtype=object)
    wgs84 = pyproj.CRS.from_epsg(4326)
    if isinstance(src, str):
        arr = _transform_xy(arr, _TO_WGS84[src])
        src = wgs84
    if isinstance(dst, str):
        arr = transform_geometries(arr, src, wgs84)
        return _transform_xy(arr, _FROM_WGS84[dst])
    if src.equals(dst):
        return arr
    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return _transform_xy(arr, lambda x, y: tr.transform(x, y))


def bbox_in_working(bbox: tuple[float, float, float, float],
                    bbox_crs: Any = None) -> tuple[float, float, float, float]:
    """A bounding box given in ``bbox_crs`` (None: already the working CRS) as the bounds of
    its (densified) outline in the working CRS.

    Examples
    --------
    >>> bbox_in_working((121.50, 31.29, 121.52, 31.31), "EPSG:4326")  # doctest: +SKIP
    """
    if bbox_crs is None:
        return tuple(bbox)
    src = parse_crs(bbox_crs)
    box = shapely.box(*bbox)
    dense = shapely.segmentize(box, max_segment_length=(bbox[2] - bbox[0]) / 16 or 1)
    out = transform_geometries([dense], src, pyproj.CRS.from_user_input(settings.working_crs))[0]
    return tuple(out.bounds)

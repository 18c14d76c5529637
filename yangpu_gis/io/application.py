"""Read an excavation permit application (GeoJSON or any vector file) for ``check-permit``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj

from ..crs import parse_crs, transform_geometries
from ..errors import SourceError

__all__ = ["read_application"]


def read_application(path: str | Path, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read an application file as a GeoDataFrame.

    Parameters
    ----------
    path : path
        The proposed permit: a footprint with ``planned_start`` and ``planned_end``.
    crs : str, optional
        CRS of a file without one; by default WGS84 (GeoJSON's CRS). ``gcj02`` / ``bd09``
        shift Amap / Baidu coordinates back to WGS84 first.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    SourceError
        A missing or unreadable file.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"no such file: {path}", hint="give the application as GeoJSON")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise SourceError(f"cannot read {path.name}: {exc}", source=str(path)) from exc
    target = parse_crs(crs) if crs else None
    wgs84 = pyproj.CRS.from_epsg(4326)
    if isinstance(target, str):  # gcj02 / bd09 lon/lat
        gdf = gdf.set_geometry(transform_geometries(gdf.geometry.values, target, wgs84),
                               crs="EPSG:4326")
    elif target is not None:
        gdf = gdf.set_crs(target, allow_override=True)
    elif gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    return gdf

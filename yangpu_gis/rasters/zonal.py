"""Zonal statistics of a registry raster over any polygon layer, with ``exactextract``.

exactextract weights every cell by the exact fraction of it the polygon covers, so small
polygons (compounds) and polygon edges are measured right, which a cell-centre loop is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ValidationError

__all__ = ["DEFAULT_STATS", "zonal_stats"]

#: Default statistics: exactextract operation names.
DEFAULT_STATS = ("mean", "min", "max", "count")


def zonal_stats(
    raster,
    polygons: gpd.GeoDataFrame,
    *,
    stats: Sequence[str] = DEFAULT_STATS,
    id_column: str | None = None,
    prefix: str = "",
) -> pd.DataFrame:
    """Statistics of ``raster`` within each polygon, aligned to ``polygons``' index.

    Parameters
    ----------
    raster : RasterData
        From ``Registry.read_raster`` (values, transform, CRS).
    polygons : GeoDataFrame
        Polygons in any CRS (reprojected to the raster's).
    stats : sequence of str
        exactextract operations: ``mean``, ``min``, ``max``, ``count`` (covered cells,
        fractional), ``sum``, ``median``, ``stdev``, ``quantile(q=0.9)``, ``coverage`` …
    id_column : str, optional
        Column copied into the result (e.g. ``subdistrict_id``).
    prefix : str
        Prefix of the statistics' column names (``elev_``).

    Returns
    -------
    pandas.DataFrame
        One row per polygon, columns ``[id_column] + stats`` (prefixed), index of
        ``polygons``. Polygons outside the raster get NaN (count 0).

    Examples
    --------
    >>> zonal_stats(read_raster(reg, "dem"), reg.read("subdistricts"),
    ...             id_column="subdistrict_id")            # doctest: +SKIP
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    if not len(polygons):
        return pd.DataFrame(columns=[*([id_column] if id_column else []),
                                     *[prefix + s for s in stats]])
    if not polygons.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise ValidationError("zonal statistics need polygons",
                              hint="buffer lines or points first")
    gdf = polygons.to_crs(raster.crs) if polygons.crs is not None else polygons
    vec = gpd.GeoDataFrame({"_row": np.arange(len(gdf))}, geometry=gdf.geometry.values,
                           crs=gdf.crs)
    values = np.ma.masked_invalid(raster.values.astype(np.float64))
    left, bottom, right, top = raster.bounds
    src = NumPyRasterSource(values, left, bottom, right, top, nodata=None,
                            srs_wkt=raster.crs.to_wkt())
    res = exact_extract(src, vec, list(stats), include_cols=["_row"], output="pandas")
    res = res.sort_values("_row").set_index(polygons.index[res["_row"].to_numpy()])
    res = res.drop(columns="_row")
    res.columns = [prefix + c for c in res.columns]
    if id_column:
        res.insert(0, id_column, polygons[id_column])
    return res

"""Frames in and out of storage: one place that fixes column order and dtypes.

Both backends store exactly the catalogue columns, then ``batch_id``, then the geometry, and
read them back through :func:`from_storage`, so a layer read from GeoPackage equals the same
layer read from PostGIS. An attribute-table layer (no geometry) has no geometry column and is
a plain :class:`pandas.DataFrame` in and out.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj

from .. import settings
from ..catalogue import BATCH_COLUMN, CATALOGUE, Layer
from ..crs import parse_crs, transform_geometries
from ..io.types import coerce

__all__ = ["GEOMETRY_COLUMN", "empty_frame", "empty_layers_table", "from_storage", "ids_in",
           "select_columns", "to_storage"]

#: Name of the geometry column in both backends.
GEOMETRY_COLUMN = "geom"


def select_columns(layer: Layer, columns: list[str] | None) -> list[str]:
    """Catalogue columns to read: the id column always, then those asked for (all if None).

    Raises
    ------
    KeyError
        For a column the layer does not have.
    """
    if columns is None:
        return [*layer.column_names, BATCH_COLUMN]
    unknown = [c for c in columns if c not in layer.column_names and c != BATCH_COLUMN]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [layer.id_column, *[c for c in columns if c != layer.id_column]]


def to_storage(frame: pd.DataFrame, layer: Layer, batch_id: int | None) -> pd.DataFrame:
    """Catalogue frame -> storage frame (dates as Arrow date32 so GeoPackage gets DATE fields).

    ``batch_id`` None keeps the frame's own ``batch_id`` column (rows already stored).
    """
    out = pd.DataFrame(index=frame.index)
    for col in layer.columns:
        values = frame[col.name]
        if col.type == "date":
            values = pd.Series(values.dt.date.where(values.notna(), None), index=frame.index,
                               dtype=pd.ArrowDtype(pa.date32()))
        out[col.name] = values
    out[BATCH_COLUMN] = (frame[BATCH_COLUMN] if batch_id is None else
                         pd.Series(batch_id, index=frame.index)).astype("int64")
    if not layer.has_geometry:
        return out
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(frame.geometry.values, index=frame.index),
                            crs=frame.crs).rename_geometry(GEOMETRY_COLUMN)


def from_storage(
    df: pd.DataFrame, geoms, layer: Layer, columns: list[str], crs: str | pyproj.CRS | None
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Backend rows -> catalogue frame in the requested CRS (working CRS by default).

    For an attribute-table layer ``geoms`` and ``crs`` are ignored and the result is a plain
    DataFrame.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for name in columns:
        values = df[name].reset_index(drop=True)
        if name == BATCH_COLUMN:
            out[name] = values.astype("Int64")
            continue
        col = layer.column(name)
        converted = coerce(values, col)[0]
        out[name] = converted.astype(object) if col.type == "str" else converted
    if not layer.has_geometry:
        return out
    working = pyproj.CRS.from_user_input(settings.working_crs)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(list(geoms), crs=working), crs=working)
    if crs is not None:

        target = parse_crs(crs)
        if isinstance(target, str):
            gdf = gdf.set_geometry(transform_geometries(gdf.geometry.values, working, target),
                                   crs="EPSG:4326")
        else:
            gdf = gdf.to_crs(target)
    return gdf


def empty_frame(layer: Layer, columns: list[str],
                crs: str | pyproj.CRS | None) -> gpd.GeoDataFrame | pd.DataFrame:
    """The frame :func:`from_storage` gives for a layer that holds nothing yet."""
    return from_storage(pd.DataFrame({c: [] for c in columns}), [], layer, columns, crs)


def empty_layers_table(counts: dict[str, int]) -> pd.DataFrame:
    """The ``layers()`` table from a name -> count dict (0 for layers never loaded)."""

    rows = [
        {"layer": name, "label": spec.label, "geometry": spec.storage_geometry or "None",
         "features": int(counts.get(name, 0))}
        for name, spec in CATALOGUE.items()
    ]
    return pd.DataFrame(rows)


def ids_in(values: np.ndarray, wanted: list[str]) -> set[str]:
    """Members of ``wanted`` present in ``values``."""
    return set(pd.Index(values).intersection(pd.Index(wanted)).tolist())

"""Vector layers of a GeoPackage registry: write a layer, its ids, its datetimes.

A layer without geometry (``water_samples``) is a GeoPackage ``attributes`` table, written
and replaced the same way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ..storage import ids_in
from .file import unsynced_gdal, working_connection

__all__ = ["geoms_of", "gpkg_datetimes_to_standard", "stored_ids", "write_layer"]


def stored_ids(path: Path, spec, ids: list[str]) -> set[str]:
    """Which of ``ids`` layer ``spec`` of the GeoPackage at ``path`` holds (layer must exist)."""
    df = pyogrio.read_dataframe(path, layer=spec.name, columns=[spec.id_column],
                                read_geometry=False, use_arrow=True)
    return ids_in(df[spec.id_column].astype(object).to_numpy(), ids)


def geoms_of(df: pd.DataFrame, spec) -> Any:
    """The geometries read with ``df``; None for a layer without geometry."""
    return df.geometry.values if spec.has_geometry else None



def write_layer(path: Path, stored: gpd.GeoDataFrame | pd.DataFrame, spec, *,
                append: bool, table: str | None = None) -> None:
    """Write (or append) a layer; a layer without geometry becomes an ``attributes`` table.

    ``table`` writes another table of the same columns (a history table, whose id column
    is indexed but not unique) instead of the layer's own.
    """
    target = table or spec.name
    geometry_type = {None: None, "Geometry": "Unknown"}.get(spec.storage_geometry,
                                                             spec.storage_geometry)
    datetimes = [c.name for c in spec.columns if c.type == "datetime"]
    if datetimes:
        stored = stored.copy()
        for name in datetimes:
            stored[name] = pd.to_datetime(stored[name], utc=True)
    with unsynced_gdal():  # a working copy (see .file.locked_copy)
        pyogrio.write_dataframe(
            stored,
            path,
            layer=target,
            driver="GPKG",
            **({"geometry_type": geometry_type} if geometry_type else {}),
            append=append,
            use_arrow=True,
            layer_options={"FID": "fid", "DESCRIPTION": spec.label if table is None
                           else f"{spec.label}（历史版本）"},
        )
    # names are catalogue identifiers (checked when the layer was defined), never data
    unique = "UNIQUE " if table is None else ""
    suffix = "key" if table is None else "idx"
    if not append:
        with working_connection(path) as con, con:
            con.execute(
                f'CREATE {unique}INDEX IF NOT EXISTS "{target}_{spec.id_column}_{suffix}" '
                f'ON "{target}" ("{spec.id_column}")'
            )
    if datetimes:
        gpkg_datetimes_to_standard(path, target, datetimes)


def gpkg_datetimes_to_standard(path: Path, table: str, columns: list[str]) -> None:
    """Rewrite DATETIME columns as GeoPackage 1.3 Req. 5 says: UTC ``YYYY-MM-DDTHH:MM:SS.SSSZ``.

    GDAL writes a UTC value with ``Z`` but without milliseconds when they are zero; this adds
    them. Values must already be UTC (written from UTC timestamps). ``table`` and
    ``columns`` are catalogue names (constant identifiers), never data.
    """
    with working_connection(path) as con, con:
        _refuse_geometry_functions(con)
        for name in columns:
            con.execute(
                f'UPDATE "{table}" SET "{name}" = '  # noqa: S608
                f"strftime('%Y-%m-%dT%H:%M:%fZ', \"{name}\") "
                f'WHERE "{name}" IS NOT NULL AND "{name}" NOT LIKE \'%.___Z\' '
                f"AND strftime('%Y-%m-%dT%H:%M:%fZ', \"{name}\") IS NOT NULL"
            )
    con.close()


def _geometry_function_called(*_args: object) -> None:
    raise sqlite3.OperationalError("a geometry trigger ran during an attribute update")


def _refuse_geometry_functions(con: sqlite3.Connection) -> None:
    """Let SQLite prepare GDAL's R-tree triggers for an attribute-only ``UPDATE``.

    The triggers name ``ST_IsEmpty``/``ST_MinX``… (GDAL's SQL functions, absent from plain
    SQLite); they only fire when the geometry or the fid changes, which an attribute update
    never does. Should one fire anyway, it raises and the load fails as a whole.
    """
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, _geometry_function_called)



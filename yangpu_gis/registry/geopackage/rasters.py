"""Rasters inside a GeoPackage registry: tile tables in the ``.gpkg`` itself.

GDAL's GeoPackage raster driver (the OGC *2D Gridded Coverage* extension, float32 TIFF tiles
of 256 × 256 cells, LZW, nodata ``-9999`` as the coverage's ``data_null``), named after the
layer, so the file alone carries the DEM and GDAL/QGIS open it as ``GPKG:yangpu.gpkg:dem``.
The SHA-256 of its tiles, the grid and statistics are a row of the rasters table
(:data:`~yangpu_gis.registry.tables.RASTERS_TABLE`). Writes go into the registry's
copy-on-write working copy, are read back and checked against the prepared values before
the copy is swapped in.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
from affine import Affine
from rasterio.windows import Window

from ...errors import RegistryError
from ...rasters import NODATA, RASTER_CATALOGUE
from ...rasters.records import RECORD_FIELDS, raster_record, values_sha256
from ..tables import RASTERS_TABLE
from .file import working_connection

__all__ = ["GPKG_TILE", "STORAGE_COG", "STORAGE_GPKG", "gpkg_tiles_sha256", "init_geopackage",
           "open_gpkg_raster", "put_in_gpkg", "raster_rows", "read_gpkg_window", "rows_of",
           "store_raster_in", "tiles_sha256", "write_gpkg_raster", "write_meta"]

#: Tile size of GeoPackage rasters (cells per side; GDAL's default).
GPKG_TILE = 256
#: ``storage`` of a raster kept inside the ``.gpkg`` / of an old sidecar COG.
STORAGE_GPKG = "gpkg"
STORAGE_COG = "cog"

_RASTERS_DDL = f"""
CREATE TABLE IF NOT EXISTS {RASTERS_TABLE} (
    layer TEXT PRIMARY KEY, label TEXT, units TEXT, storage TEXT NOT NULL,
    location TEXT NOT NULL, sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL, crs TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, transform TEXT NOT NULL,
    resolution_m REAL NOT NULL, nodata REAL, value_min REAL, value_max REAL, value_mean REAL,
    valid_cells INTEGER, batch_id INTEGER NOT NULL, source TEXT
)"""

_GPKG_INIT = """
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10400;
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
  m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def init_geopackage(path: Path) -> None:
    """An empty, valid GeoPackage (GeoPackage 1.4 core tables), for a raster loaded first."""
    con = sqlite3.connect(path)
    try:
        con.executescript(_GPKG_INIT)
        con.commit()
    finally:
        con.close()


def raster_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Every ``yangpu_rasters`` row of the GeoPackage at ``path``, by layer."""
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as con:
        return rows_of(con)


def rows_of(con: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every rasters-table row through an open connection, by layer."""
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                         (RASTERS_TABLE,)).fetchone()
    if not exists:
        return {}
    cur = con.execute(f"SELECT * FROM {RASTERS_TABLE}")  # noqa: S608 - constant name
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _quoted(name: str) -> str:
    """An SQLite identifier (raster layer names come from the catalogue; quoted anyway)."""
    return '"' + name.replace('"', '""') + '"'


def _drop_gpkg_raster(path: Path, table: str) -> None:
    """Remove tile table ``table`` and its rows in the GeoPackage metadata tables."""
    with working_connection(path) as con, con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for meta_table, column in (("gpkg_2d_gridded_tile_ancillary", "tpudt_name"),
                                   ("gpkg_2d_gridded_coverage_ancillary", "tile_matrix_set_name"),
                                   ("gpkg_tile_matrix", "table_name"),
                                   ("gpkg_tile_matrix_set", "table_name"),
                                   ("gpkg_extensions", "table_name"),
                                   ("gpkg_metadata_reference", "table_name"),
                                   ("gpkg_contents", "table_name")):
            if meta_table in tables:
                con.execute(f"DELETE FROM {meta_table} WHERE lower({column}) = lower(?)",  # noqa: S608
                            (table,))
        con.execute(f"DROP TABLE IF EXISTS {_quoted(table)}")


def write_gpkg_raster(path: Path, table: str, values: np.ndarray, transform: Affine, crs: Any,
                       *, label: str = "", units: str = "") -> None:
    """Write ``values`` as tile table ``table`` of the GeoPackage at ``path`` (replacing it).

    Float32 through the 2D Gridded Coverage extension (TIFF tiles: values stored exactly).
    GDAL takes the nodata value only before the grid is registered, so the CRS and transform
    are set after opening; it does not record it as the coverage's ``data_null``, which is
    therefore written here.
    """
    h, w = values.shape
    data = np.where(np.isfinite(values), values, NODATA).astype(np.float32)
    crs_obj = rasterio.crs.CRS.from_wkt(crs.to_wkt()) if isinstance(crs, pyproj.CRS) else crs
    if path.exists():
        _drop_gpkg_raster(path, table)
    with warnings.catch_warnings(), rasterio.Env(OGR_SQLITE_SYNCHRONOUS="OFF"):  # as above
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GPKG", width=w, height=h, count=1,
                           dtype="float32", nodata=NODATA, RASTER_TABLE=table,
                           APPEND_SUBDATASET="YES", TILE_FORMAT="TIFF", BLOCKSIZE=GPKG_TILE,
                           GRID_CELL_ENCODING="grid-value-is-area", UOM=units,
                           RASTER_IDENTIFIER=table, RASTER_DESCRIPTION=label or table) as dst:
            dst.crs = crs_obj
            dst.transform = transform
            dst.write(data, 1)
    with working_connection(path) as con, con:
        con.execute("UPDATE gpkg_2d_gridded_coverage_ancillary SET data_null = ? "
                    "WHERE tile_matrix_set_name = ?", (NODATA, table))


def gpkg_tiles_sha256(path: Path, table: str) -> str:
    """SHA-256 of a tile table's tiles and their scale/offset (what the values depend on)."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        return tiles_sha256(con, table)


def tiles_sha256(con: sqlite3.Connection, table: str) -> str:
    digest = hashlib.sha256()
    null = con.execute("SELECT data_null, scale, offset FROM "
                       "gpkg_2d_gridded_coverage_ancillary WHERE tile_matrix_set_name = ?",
                       (table,)).fetchone()
    digest.update(repr(null).encode())
    cur = con.execute(
        f"SELECT t.zoom_level, t.tile_column, t.tile_row, t.tile_data, a.scale, a.offset "  # noqa: S608
        f"FROM {_quoted(table)} t LEFT JOIN gpkg_2d_gridded_tile_ancillary a "
        "ON a.tpudt_name = ? AND a.tpudt_id = t.id "
        "ORDER BY t.zoom_level, t.tile_row, t.tile_column", (table,))
    for zoom, col, row, blob, scale, offset in cur:
        digest.update(struct.pack("<qqqq", zoom, col, row, len(blob)))
        digest.update(blob)
        digest.update(repr((scale, offset)).encode())
    return digest.hexdigest()


def open_gpkg_raster(path: Path, table: str):
    """The tile table as a rasterio dataset (``GPKG:path:table`` without parsing the path).

    Opened without SQLite locking (``NOLOCK``, read-only; 10 ms less per open): the registry
    never changes a file in place — a write builds a copy and swaps it in — so an open file
    cannot change under the reader.
    """
    return rasterio.open(path, driver="GPKG", TABLE=table, NOLOCK="YES")


def read_gpkg_window(path: Path, table: str, window: Window | None = None) -> np.ndarray:
    with open_gpkg_raster(path, table) as src:
        values = src.read(1, window=window).astype(np.float32, copy=False)
        values[values == src.nodata] = np.nan
    return values


def put_in_gpkg(tmp: Path, layer: str, values: np.ndarray, transform: Affine, crs: Any,
                 expected_values_sha256: str) -> str:
    """Write a raster into the working copy, read it back, check it; the tiles' SHA-256."""
    kind = RASTER_CATALOGUE.get(layer)
    write_gpkg_raster(tmp, layer, values, transform, crs, label=kind.label if kind else "",
                       units=kind.units if kind else "")
    back = read_gpkg_window(tmp, layer)
    if back.shape != values.shape or values_sha256(back) != expected_values_sha256:
        raise RegistryError(f"raster {layer} read back from the GeoPackage differs from what "
                            "was written; nothing was changed", source=str(tmp),
                            hint="report this with the output of `gdalinfo --version`")
    with open_gpkg_raster(tmp, layer) as src:
        if src.transform != transform:
            raise RegistryError(f"raster {layer} was stored with transform {src.transform} "
                                f"instead of {transform}; nothing was changed", source=str(tmp))
    return gpkg_tiles_sha256(tmp, layer)


def write_meta(tmp: Path, meta: dict[str, Any]) -> None:
    with working_connection(tmp) as con, con:
        con.execute(_RASTERS_DDL)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description) VALUES (?, 'attributes', ?, ?)",
            (RASTERS_TABLE, RASTERS_TABLE, "栅格图层 (raster layers and their tile tables)"))
        con.execute(
            f"INSERT OR REPLACE INTO {RASTERS_TABLE} ({', '.join(RECORD_FIELDS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in RECORD_FIELDS)})",
            [meta[f] for f in RECORD_FIELDS])


def store_raster_in(tmp: Path, prepared: Any, batch_id: int) -> dict[str, int]:
    """Write prepared raster ``prepared`` (a :class:`~yangpu_gis.rasters.PreparedRaster`) and
    its rasters-table row into working copy ``tmp``; the counts of its batch."""
    layer = prepared.kind.name
    old = raster_rows(tmp).get(layer)
    sha = put_in_gpkg(tmp, layer, prepared.values, prepared.transform, prepared.crs,
                      values_sha256(prepared.values))
    write_meta(tmp, raster_record(prepared, STORAGE_GPKG, layer, sha, batch_id))
    return {"inserted": prepared.valid_cells, "updated": 0,
            "deleted": int(old["valid_cells"]) if old else 0}

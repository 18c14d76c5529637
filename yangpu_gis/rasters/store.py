"""Rasters in the registry, one API for both backends.

GeoPackage mode
    The raster is a tile table inside the ``.gpkg`` itself (GDAL's GeoPackage raster driver:
    the OGC *2D Gridded Coverage* extension, float32 TIFF tiles of 256 × 256 cells, LZW,
    nodata ``-9999`` as the coverage's ``data_null``), named after the layer, so the file
    alone carries the DEM and GDAL/QGIS open it as ``GPKG:yangpu.gpkg:dem``. The SHA-256 of
    its tiles, the grid and statistics are a row of the ``yangpu_rasters`` table, and the load
    is a row of ``yangpu_batches``. The load takes the registry's lock and writes into the same
    copy-on-write working copy vector loads use (:meth:`GeoPackageRegistry._locked_copy`),
    reads the tiles back and checks them against the prepared values, and the ``.gpkg`` is
    swapped in one ``os.replace`` only then: a refused or failed load leaves the registry
    byte-for-byte as it was.

    Registries written before this kept each raster as a Cloud-Optimized GeoTIFF in a sidecar
    folder ``<name>.gpkg.rasters/``; :func:`upgrade_registry` (``yangpu-gis upgrade``, and
    automatically on the first raster read or load) moves it into the ``.gpkg`` the same
    all-or-nothing way and removes the folder only once the file holds the same values.
PostGIS mode
    ``postgis_raster`` in-database tiles (256 × 256, float32, WKB sent by ``COPY``, as
    ``raster2pgsql -t 256x256 -P`` would: edge tiles padded with nodata) in the table
    ``raster_<name>``, with a GiST index on each tile's convex hull and the raster constraints
    (``AddRasterConstraints``: SRID, scale, block size, alignment, bands, pixel type, nodata,
    extent) that make ``raster_columns`` — and so QGIS — list it, the same ``yangpu_rasters``
    row and a batch, all in one transaction under the layer's advisory lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import sqlite3
import struct
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyproj
import rasterio
from affine import Affine
from rasterio.windows import Window

from .. import __version__, settings
from ..errors import RegistryError, ValidationError
from ..io.sources import sha256_file
from ..io.types import TIMEZONE
from ..registry.base import LoadResult, Registry, _os_user
from .data import RasterData
from .kinds import RASTER_CATALOGUE, get_raster_kind
from .prepare import NODATA, PreparedRaster, prepare_raster
from .wkb import decode_tile, encode_tile, tiles

__all__ = ["RASTERS_TABLE", "RasterData", "load_raster", "raster_layers", "read_raster",
           "store_raster", "upgrade_registry"]

RASTERS_TABLE = "yangpu_rasters"
#: Tile size of in-database PostGIS rasters (cells per side), as raster2pgsql ``-t 256x256``.
PG_TILE = 256
#: Tile size of GeoPackage rasters (cells per side; GDAL's default).
GPKG_TILE = 256
#: ``yangpu_rasters.storage`` of a raster kept inside the ``.gpkg`` / of an old sidecar COG.
STORAGE_GPKG = "gpkg"
STORAGE_COG = "cog"

_META_FIELDS = ("layer", "label", "units", "storage", "location", "sha256", "values_sha256",
                "crs", "width", "height", "transform", "resolution_m", "nodata", "value_min",
                "value_max", "value_mean", "valid_cells", "batch_id", "source")


def _values_sha256(values: np.ndarray) -> str:
    data = np.where(np.isfinite(values), values, np.float32(NODATA)).astype("<f4")
    digest = hashlib.sha256(f"{data.shape[0]}x{data.shape[1]}:".encode())
    digest.update(data.tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- loading
def load_raster(
    reg: Registry,
    source: str | Path,
    layer: str = "dem",
    *,
    crs: str | None = None,
    resolution_m: float | None = None,
    units: str = "m",
    plausible: tuple[float, float] | None = None,
    dry_run: bool = False,
) -> LoadResult:
    """Validate a raster file and store it as registry raster ``layer`` (replacing it).

    Parameters
    ----------
    reg : Registry
        GeoPackage or PostGIS registry.
    source : path
        Any GDAL raster.
    layer : str
        Raster catalogue layer (:data:`~yangpu_gis.rasters.RASTER_CATALOGUE`).
    crs, resolution_m, units, plausible
        See :func:`~yangpu_gis.rasters.prepare_raster`.
    dry_run : bool
        Validate only.

    Returns
    -------
    LoadResult
        ``rows_*`` count cells; ``details`` has the grid, statistics and notes.

    Raises
    ------
    yangpu_gis.YangpuGisError
        Any refusal; the registry is then unchanged.

    Examples
    --------
    >>> load_raster(reg, "dem.tif", "dem")            # doctest: +SKIP
    """
    started = time.perf_counter()
    prepared = prepare_raster(source, layer, crs=crs, resolution_m=resolution_m, units=units,
                              plausible=plausible)
    h, w = prepared.values.shape
    result = LoadResult(layer, "replace", prepared.source, h * w, dry_run=dry_run,
                        details=prepared.summary())
    if not dry_run:
        counts = store_raster(reg, prepared)
        result.batch_id = counts["batch_id"]
        result.rows_inserted = counts["inserted"]
        result.rows_deleted = counts["deleted"]
    result.seconds = time.perf_counter() - started
    return result


def _batch(prepared: PreparedRaster) -> dict[str, Any]:
    h, w = prepared.values.shape
    return {"layer": prepared.kind.name, "mode": "replace", "source": prepared.source,
            "source_sha256": prepared.source_sha256, "rows_read": h * w, "encoding": None,
            "source_crs": prepared.source_crs, "repaired_rows": 0, "os_user": _os_user(),
            "tool_version": __version__, "loaded_at": datetime.now(ZoneInfo(TIMEZONE))}


def _meta(prepared: PreparedRaster, storage: str, location: str, sha: str,
          batch_id: int) -> dict[str, Any]:
    h, w = prepared.values.shape
    s = prepared.stats()
    t = prepared.transform
    return {"layer": prepared.kind.name, "label": prepared.kind.label,
            "units": prepared.kind.units, "storage": storage, "location": location,
            "sha256": sha, "values_sha256": _values_sha256(prepared.values),
            "crs": settings.working_crs, "width": w, "height": h,
            "transform": json.dumps([t.a, t.b, t.c, t.d, t.e, t.f]),
            "resolution_m": float(t.a), "nodata": NODATA, "value_min": s["min"],
            "value_max": s["max"], "value_mean": s["mean"], "valid_cells": prepared.valid_cells,
            "batch_id": batch_id, "source": prepared.source}


def store_raster(reg: Registry, prepared: PreparedRaster) -> dict[str, int]:
    """Write a prepared raster and its batch, all or nothing; return counts and ``batch_id``."""
    if reg.kind == "geopackage":
        return _store_geopackage(reg, prepared)
    if reg.kind == "postgis":
        return _store_postgis(reg, prepared)
    raise RegistryError(f"rasters are not supported by {reg.kind} registries")


def _before_commit(reg: Registry, prepared: PreparedRaster) -> None:
    """Hook called after everything is written and before the commit (tests inject failures)."""


# --------------------------------------------------------------------------- GeoPackage
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


def rasters_dir(reg: Registry) -> Path:
    """The old sidecar folder of a GeoPackage registry's COGs, ``<name>.gpkg.rasters``.

    Nothing writes it any more: :func:`upgrade_registry` moves what it holds into the file.
    """
    path = Path(reg.path)  # type: ignore[attr-defined]
    return path.with_name(path.name + ".rasters")


def _init_geopackage(path: Path) -> None:
    """An empty, valid GeoPackage (GeoPackage 1.4 core tables), for a raster loaded first."""
    con = sqlite3.connect(path)
    try:
        con.executescript(_GPKG_INIT)
        con.commit()
    finally:
        con.close()


def _gpkg_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Every ``yangpu_rasters`` row of the GeoPackage at ``path``, by layer."""
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as con:
        return _rows(con)


def _rows(con: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                         (RASTERS_TABLE,)).fetchone()
    if not exists:
        return {}
    cur = con.execute(f"SELECT * FROM {RASTERS_TABLE}")  # noqa: S608 - constant name
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _gpkg_meta(path: Path, layer: str) -> dict[str, Any] | None:
    return _gpkg_rows(path).get(layer)


def _working(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """A connection to a working copy, without an fsync per commit: the copy is fsynced once
    before it replaces the registry, and a crash leaves only the copy, which is discarded."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    return contextlib.closing(con)


def _quoted(name: str) -> str:
    """An SQLite identifier (raster layer names come from the catalogue; quoted anyway)."""
    return '"' + name.replace('"', '""') + '"'


def _drop_gpkg_raster(path: Path, table: str) -> None:
    """Remove tile table ``table`` and its rows in the GeoPackage metadata tables."""
    with _working(path) as con, con:
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


def _write_gpkg_raster(path: Path, table: str, values: np.ndarray, transform: Affine, crs: Any,
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
    with _working(path) as con, con:
        con.execute("UPDATE gpkg_2d_gridded_coverage_ancillary SET data_null = ? "
                    "WHERE tile_matrix_set_name = ?", (NODATA, table))


def _gpkg_tiles_sha256(path: Path, table: str) -> str:
    """SHA-256 of a tile table's tiles and their scale/offset (what the values depend on)."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        return _tiles_sha256(con, table)


def _tiles_sha256(con: sqlite3.Connection, table: str) -> str:
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


def _open_gpkg_raster(path: Path, table: str):
    """The tile table as a rasterio dataset (``GPKG:path:table`` without parsing the path).

    Opened without SQLite locking (``NOLOCK``, read-only; 10 ms less per open): the registry
    never changes a file in place — a write builds a copy and swaps it in — so an open file
    cannot change under the reader.
    """
    return rasterio.open(path, driver="GPKG", TABLE=table, NOLOCK="YES")


def _read_gpkg_window(path: Path, table: str, window: Window | None = None) -> np.ndarray:
    with _open_gpkg_raster(path, table) as src:
        values = src.read(1, window=window).astype(np.float32, copy=False)
        values[values == src.nodata] = np.nan
    return values


def _put_in_gpkg(tmp: Path, layer: str, values: np.ndarray, transform: Affine, crs: Any,
                 expected_values_sha256: str) -> str:
    """Write a raster into the working copy, read it back, check it; the tiles' SHA-256."""
    kind = RASTER_CATALOGUE.get(layer)
    _write_gpkg_raster(tmp, layer, values, transform, crs, label=kind.label if kind else "",
                       units=kind.units if kind else "")
    back = _read_gpkg_window(tmp, layer)
    if back.shape != values.shape or _values_sha256(back) != expected_values_sha256:
        raise RegistryError(f"raster {layer} read back from the GeoPackage differs from what "
                            "was written; nothing was changed", source=str(tmp),
                            hint="report this with the output of `gdalinfo --version`")
    with _open_gpkg_raster(tmp, layer) as src:
        if src.transform != transform:
            raise RegistryError(f"raster {layer} was stored with transform {src.transform} "
                                f"instead of {transform}; nothing was changed", source=str(tmp))
    return _gpkg_tiles_sha256(tmp, layer)


def _write_meta(tmp: Path, meta: dict[str, Any]) -> None:
    with _working(tmp) as con, con:
        con.execute(_RASTERS_DDL)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description) VALUES (?, 'attributes', ?, ?)",
            (RASTERS_TABLE, RASTERS_TABLE, "栅格图层 (raster layers and their tile tables)"))
        con.execute(
            f"INSERT OR REPLACE INTO {RASTERS_TABLE} ({', '.join(_META_FIELDS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in _META_FIELDS)})",
            [meta[f] for f in _META_FIELDS])


def _store_geopackage(reg: Registry, prepared: PreparedRaster) -> dict[str, int]:
    from ..registry.geopackage import _finish_batch, _insert_batch

    layer = prepared.kind.name
    with reg._locked_copy() as tmp:  # type: ignore[attr-defined]
        if not tmp.exists():
            _init_geopackage(tmp)
        _migrate_into(reg, tmp, skip={layer})  # other rasters of an old registry, same swap
        old = _gpkg_meta(tmp, layer)
        batch_id = _insert_batch(tmp, _batch(prepared))
        values_sha = _values_sha256(prepared.values)
        sha = _put_in_gpkg(tmp, layer, prepared.values, prepared.transform, prepared.crs,
                           values_sha)
        meta = _meta(prepared, STORAGE_GPKG, layer, sha, batch_id)
        counts = {"inserted": prepared.valid_cells, "updated": 0,
                  "deleted": int(old["valid_cells"]) if old else 0}
        _write_meta(tmp, meta)
        _finish_batch(tmp, batch_id, counts)
        _before_commit(reg, prepared)
    with contextlib.suppress(RegistryError, OSError):
        _remove_sidecar(reg)  # an old registry's COG, now superseded
    return {**counts, "batch_id": batch_id}


# --------------------------------------------------------------------------- upgrade
_SIDECAR_FILE = re.compile(r"^[a-z][a-z0-9_]*_b\d+\.tif(\.part)?$")


def _before_upgrade_commit(reg: Registry) -> None:
    """Hook called after an upgrade is written and before the swap (tests inject failures)."""


def upgrade_registry(reg: Registry) -> dict[str, Any]:
    """Bring a registry written by an older version up to the current layout.

    GeoPackage: rasters kept as COGs in the sidecar folder ``<name>.gpkg.rasters/`` move into
    the ``.gpkg`` (same values, grid, batch and statistics), under the registry's lock and all
    or nothing; the folder is removed only after the new file has been read back equal.
    PostGIS: raster tables get their raster constraints (``raster_columns`` lists them).
    Running it again does nothing.

    Parameters
    ----------
    reg : Registry

    Returns
    -------
    dict
        ``{"backend", "target", "rasters": [layer, ...] moved or constrained,
        "removed": [files removed], "notes": [...]}``.

    Raises
    ------
    RegistryError
        If a sidecar COG is missing or does not match its checksum; nothing is changed.

    Examples
    --------
    >>> upgrade_registry(open_registry("yangpu.gpkg"))    # doctest: +SKIP
    {'backend': 'geopackage', 'target': 'yangpu.gpkg', 'rasters': ['dem'], ...}
    """
    if reg.kind == "geopackage":
        return {"backend": reg.kind, "target": reg.target, **_upgrade_geopackage(reg)}
    if reg.kind == "postgis":
        return {"backend": reg.kind, "target": reg.target, **_upgrade_postgis(reg)}
    raise RegistryError(f"rasters are not supported by {reg.kind} registries")


def _legacy(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: m for k, m in rows.items() if m.get("storage") == STORAGE_COG}


def _read_cog(path: Path, meta: dict[str, Any], target: str) -> tuple[np.ndarray, Affine, Any]:
    """Values, transform and CRS of a sidecar COG, checked against its registry row."""
    layer = meta["layer"]
    if not path.exists():
        raise RegistryError(f"the file of raster {layer} is missing: {path}", source=target,
                            hint=f"put the folder {path.parent.name}/ back beside the registry "
                            "and run `yangpu-gis upgrade`, or reload the raster")
    if sha256_file(path) != meta["sha256"]:
        raise RegistryError(f"the file of raster {layer} does not match its checksum in the "
                            "registry (changed outside the registry?)", source=str(path),
                            hint="reload the raster")
    with rasterio.open(path) as src:
        values = src.read(1).astype(np.float32)
        if src.nodata is not None:
            values[values == src.nodata] = np.nan
        transform, crs = src.transform, src.crs
    if _values_sha256(values) != meta["values_sha256"]:
        raise RegistryError(f"the values of raster {layer} do not match the registry",
                            source=str(path), hint="reload the raster")
    return values, transform, crs


def _migrate_into(reg: Registry, tmp: Path, *, skip: set[str] = frozenset()) -> list[str]:
    """Move the sidecar COGs named in working copy ``tmp`` into it; the layers moved."""
    moved = []
    base = Path(reg.path).parent  # type: ignore[attr-defined]
    for layer, meta in _legacy(_gpkg_rows(tmp)).items():
        if layer in skip:
            continue
        values, transform, crs = _read_cog(base / meta["location"], meta, reg.target)
        sha = _put_in_gpkg(tmp, layer, values, transform, crs, meta["values_sha256"])
        _write_meta(tmp, {**meta, "storage": STORAGE_GPKG, "location": layer, "sha256": sha})
        moved.append(layer)
    return moved


def _upgrade_geopackage(reg: Registry) -> dict[str, Any]:
    """Move sidecar COGs into the ``.gpkg``; then remove the sidecar files (see above)."""
    path = Path(reg.path)  # type: ignore[attr-defined]
    moved: list[str] = []
    if _legacy(_gpkg_rows(path)):
        with reg._locked_copy() as tmp:  # type: ignore[attr-defined]
            moved = _migrate_into(reg, tmp)  # the rows are read again, under the lock
            _before_upgrade_commit(reg)
    removed = _remove_sidecar(reg)
    notes = [f"raster {m} moved into {path.name}" for m in moved]
    if removed:
        notes.append(f"removed {rasters_dir(reg).name}/ ({len(removed)} file(s))")
    if rasters_dir(reg).exists():
        notes.append(f"{rasters_dir(reg).name}/ holds other files and was left in place")
    return {"rasters": moved, "removed": removed, "notes": notes}


def _remove_sidecar(reg: Registry) -> list[str]:
    """Delete the sidecar COGs once the registry holds every raster in the file, verified."""
    folder = rasters_dir(reg)
    if not folder.is_dir():
        return []
    path = Path(reg.path)  # type: ignore[attr-defined]
    rows = _gpkg_rows(path)
    if _legacy(rows):
        return []  # still needed
    for layer, meta in rows.items():  # the data is safely in the file: read it back
        if _values_sha256(_read_gpkg_window(path, layer)) != meta["values_sha256"]:
            raise RegistryError(f"raster {layer} in {path.name} does not match the registry; "
                                f"{folder.name}/ was kept", source=str(path),
                                hint="reload the raster")
    removed = []
    for f in sorted(folder.iterdir()):
        if f.is_file() and _SIDECAR_FILE.match(f.name):
            f.unlink()
            removed.append(f.name)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only if empty: anything else in it is not ours
    return removed


def _upgrade_postgis(reg: Registry) -> dict[str, Any]:
    import psycopg

    conn = reg.conn  # type: ignore[attr-defined]
    done = []
    try:
        with conn.transaction():
            for layer in RASTER_CATALOGUE:
                table = _pg_table(layer)
                if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]:
                    continue
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                             [f"yangpu_gis:layer:{layer}"])
                if _pg_constrained(conn, table):
                    continue
                _pg_constrain(conn, table)
                done.append(layer)
    except psycopg.Error as exc:
        raise RegistryError(f"adding raster constraints failed and was rolled back: {exc}",
                            source=reg.target, hint="nothing was changed") from exc
    return {"rasters": done, "removed": [],
            "notes": [f"raster constraints added to {_pg_table(x)}" for x in done]}


# --------------------------------------------------------------------------- PostGIS
def _pg_table(layer: str) -> str:
    return f"raster_{layer}"


def ensure_postgis_raster(conn) -> None:
    """``CREATE EXTENSION postgis_raster`` in PostGIS's schema (needs the privilege)."""
    import psycopg

    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis_raster'").fetchone()
    if row:
        return
    schema = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension "
                          "WHERE extname = 'postgis'").fetchone()[0]
    from psycopg import sql

    try:
        conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS postgis_raster SCHEMA {}").format(
            sql.Identifier(schema)))
    except psycopg.Error as exc:
        raise RegistryError(
            f"the postgis_raster extension is not available: {exc}".strip(),
            hint="install it (Debian: postgresql-15-postgis-3) and let a superuser run "
            "CREATE EXTENSION postgis_raster") from exc


def _pg_ddl(layer: str):
    from psycopg import sql

    from ..registry.geopackage import BATCHES_TABLE

    tile = sql.Identifier(_pg_table(layer))
    return [
        sql.SQL("""CREATE TABLE IF NOT EXISTS {} (
            layer text PRIMARY KEY, label text, units text, storage text NOT NULL,
            location text NOT NULL, sha256 text NOT NULL, values_sha256 text NOT NULL,
            crs text NOT NULL, width integer NOT NULL, height integer NOT NULL,
            transform text NOT NULL, resolution_m double precision NOT NULL,
            nodata double precision, value_min double precision, value_max double precision,
            value_mean double precision, valid_cells bigint,
            batch_id integer NOT NULL REFERENCES {} (batch_id), source text)""").format(
            sql.Identifier(RASTERS_TABLE), sql.Identifier(BATCHES_TABLE)),
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (rid serial PRIMARY KEY, batch_id integer NOT "
                "NULL REFERENCES {} (batch_id), rast raster NOT NULL)").format(
            tile, sql.Identifier(BATCHES_TABLE)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (ST_ConvexHull(rast))").format(
            sql.Identifier(f"{_pg_table(layer)}_hull_gist"), tile),
    ]


def _store_postgis(reg: Registry, prepared: PreparedRaster) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    from ..registry.geopackage import BATCHES_TABLE
    from ..registry.postgis import _srid

    conn = reg.conn  # type: ignore[attr-defined]
    layer = prepared.kind.name
    srid = _srid()
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('yangpu_gis:schema'))")
            ensure_postgis_raster(conn)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                         [f"yangpu_gis:layer:{layer}"])
            for stmt in _pg_ddl(layer):
                conn.execute(stmt)
            batch = _batch(prepared)
            names = list(batch)
            batch_id = conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING batch_id").format(
                    sql.Identifier(BATCHES_TABLE),
                    sql.SQL(", ").join(sql.Identifier(n) for n in names),
                    sql.SQL(", ").join(sql.Placeholder() for _ in names)),
                [batch[n] for n in names]).fetchone()[0]
            old = conn.execute(sql.SQL("SELECT valid_cells FROM {} WHERE layer = %s").format(
                sql.Identifier(RASTERS_TABLE)), [layer]).fetchone()
            tile_table = sql.Identifier(_pg_table(layer))
            _pg_unconstrain(conn, _pg_table(layer))  # the new grid may differ from the old
            conn.execute(sql.SQL("DELETE FROM {}").format(tile_table))
            cur = conn.cursor()
            with cur.copy(sql.SQL("COPY {} (batch_id, rast) FROM STDIN").format(tile_table)) as cp:
                for block, t in tiles(prepared.values, prepared.transform, PG_TILE, pad=True):
                    cp.write(f"{batch_id}\t{encode_tile(block, t, srid, NODATA).hex()}\n")
            _pg_constrain(conn, _pg_table(layer))
            meta = _meta(prepared, "in-db", _pg_table(layer), _values_sha256(prepared.values),
                         batch_id)
            conn.execute(sql.SQL("DELETE FROM {} WHERE layer = %s").format(
                sql.Identifier(RASTERS_TABLE)), [layer])
            conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier(RASTERS_TABLE),
                sql.SQL(", ").join(sql.Identifier(f) for f in _META_FIELDS),
                sql.SQL(", ").join(sql.Placeholder() for _ in _META_FIELDS)),
                [meta[f] for f in _META_FIELDS])
            counts = {"inserted": prepared.valid_cells, "updated": 0,
                      "deleted": int(old[0]) if old else 0}
            conn.execute(sql.SQL("UPDATE {} SET rows_inserted = %s, rows_updated = 0, "
                                 "rows_deleted = %s WHERE batch_id = %s").format(
                sql.Identifier(BATCHES_TABLE)), [counts["inserted"], counts["deleted"], batch_id])
            _before_commit(reg, prepared)
    except psycopg.Error as exc:
        raise RegistryError(f"the raster load into {layer} failed and was rolled back: {exc}",
                            source=prepared.source,
                            hint="nothing was changed; fix the cause and load again") from exc
    return {**counts, "batch_id": batch_id}


#: The raster constraints of a tile table (``AddRasterConstraints`` keywords); regular
#: blocking is left out: tiles without any valid cell are not stored.
_PG_CONSTRAINTS = ("srid", "scale_x", "scale_y", "blocksize_x", "blocksize_y",
                   "same_alignment", "num_bands", "pixel_types", "nodata_values", "out_db",
                   "extent")


def _pg_schema(conn, table: str) -> str | None:
    row = conn.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE c.oid = to_regclass(%s)", [table]).fetchone()
    return row[0] if row else None


def _pg_constrain(conn, table: str) -> None:
    """``AddRasterConstraints`` on ``table.rast`` so ``raster_columns`` (and QGIS) list it."""
    from psycopg import sql

    if not conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(table))).fetchone()[0]:
        return  # an empty table (all nodata) has nothing to constrain to
    args = sql.SQL(", ").join(
        [sql.SQL("%s::name")] * 3
        + [sql.SQL("{} => true").format(sql.Identifier(c)) for c in _PG_CONSTRAINTS]
        + [sql.SQL("regular_blocking => false")])
    conn.execute(sql.SQL("SELECT AddRasterConstraints({})").format(args),
                 [_pg_schema(conn, table), table, "rast"])


def _pg_unconstrain(conn, table: str) -> None:
    if _pg_constrained(conn, table):
        conn.execute("SELECT DropRasterConstraints(%s::name, %s::name, %s::name)",
                     [_pg_schema(conn, table), table, "rast"])


def _pg_constrained(conn, table: str) -> bool:
    """Whether ``raster_columns`` shows the table's SRID (its constraints are in place)."""
    row = conn.execute("SELECT srid FROM raster_columns WHERE r_table_schema = %s AND "
                       "r_table_name = %s AND r_raster_column = 'rast'",
                       [_pg_schema(conn, table), table]).fetchone()
    return bool(row and row[0] and row[0] > 0)


def _pg_meta(reg: Registry, layer: str) -> dict[str, Any] | None:
    from psycopg import sql

    conn = reg.conn  # type: ignore[attr-defined]
    if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", [RASTERS_TABLE]).fetchone()[0]:
        return None
    cur = conn.execute(sql.SQL("SELECT {} FROM {} WHERE layer = %s").format(
        sql.SQL(", ").join(sql.Identifier(f) for f in _META_FIELDS),
        sql.Identifier(RASTERS_TABLE)), [layer])
    row = cur.fetchone()
    return dict(zip(_META_FIELDS, row, strict=True)) if row else None


# --------------------------------------------------------------------------- reading
def raster_meta(reg: Registry, layer: str) -> dict[str, Any] | None:
    """The ``yangpu_rasters`` row of a raster layer, or None if it was never loaded."""
    if reg.kind == "geopackage":
        reg._exists()  # type: ignore[attr-defined]  # a missing registry is refused, not empty
        return _gpkg_meta(Path(reg.path), layer)  # type: ignore[attr-defined]
    return _pg_meta(reg, layer)


def raster_layers(reg: Registry) -> pd.DataFrame:
    """One row per raster catalogue layer: ``layer, label, units, loaded, width, height,
    resolution_m, value_min, value_max, batch_id``."""
    rows = []
    for name, kind in RASTER_CATALOGUE.items():
        m = raster_meta(reg, name) or {}
        rows.append({"layer": name, "label": kind.label, "units": kind.units,
                     "loaded": bool(m), **{k: m.get(k) for k in (
                         "width", "height", "resolution_m", "value_min", "value_max",
                         "batch_id", "storage", "location")}})
    return pd.DataFrame(rows)


def _window(meta: dict[str, Any], bbox, bbox_crs) -> tuple[Window, Affine]:
    t = Affine(*json.loads(meta["transform"]))
    w, h = int(meta["width"]), int(meta["height"])
    if bbox is None:
        return Window(0, 0, w, h), t
    from ..registry.geopackage import _bbox_in_working

    minx, miny, maxx, maxy = _bbox_in_working(bbox, bbox_crs)
    c0 = max(0, math.floor((minx - t.c) / t.a))
    c1 = min(w, math.ceil((maxx - t.c) / t.a))
    r0 = max(0, math.floor((t.f - maxy) / -t.e))
    r1 = min(h, math.ceil((t.f - miny) / -t.e))
    if c1 <= c0 or r1 <= r0:
        raise ValidationError(f"the bbox {tuple(bbox)} does not overlap raster {meta['layer']}",
                              hint="raster bounds (working CRS): "
                              f"{(t.c, t.f + h * t.e, t.c + w * t.a, t.f)}")
    return Window(c0, r0, c1 - c0, r1 - r0), t @ Affine.translation(c0, r0)


def read_raster(
    reg: Registry,
    name: str = "dem",
    *,
    bbox: tuple[float, float, float, float] | None = None,
    bbox_crs: str | None = None,
    verify: bool = True,
) -> RasterData:
    """Read a registry raster (or the part of it covering ``bbox``).

    Parameters
    ----------
    reg : Registry
    name : str
        Raster layer.
    bbox : tuple, optional
        (minx, miny, maxx, maxy); the cells covering it (grown outward to whole cells).
    bbox_crs : str, optional
        CRS of ``bbox`` (default the working CRS).
    verify : bool
        GeoPackage mode: check the SHA-256 of the raster's tiles against the registry first.

    Returns
    -------
    RasterData
        Values (NaN for nodata), transform and CRS; ``.to_xarray()`` for an
        ``xarray.DataArray``.

    Raises
    ------
    RegistryError
        If the raster was never loaded or its checksum differs.

    Examples
    --------
    >>> dem = read_raster(reg, "dem", bbox=(121.50, 31.29, 121.52, 31.31), bbox_crs="EPSG:4326")  # doctest: +SKIP
    >>> dem.values.shape, dem.transform.a                    # doctest: +SKIP
    """
    kind = get_raster_kind(name)
    if reg.kind == "geopackage":
        reg._exists()  # type: ignore[attr-defined]  # a missing registry is refused, not empty
        return _read_geopackage(reg, kind, bbox, bbox_crs, verify=verify)
    meta = _pg_meta(reg, name)
    if meta is None:
        raise _never_loaded(reg, name)
    window, transform = _window(meta, bbox, bbox_crs)
    values = _read_postgis(reg, name, window, transform)
    return RasterData(values, transform, pyproj.CRS.from_user_input(meta["crs"]), name,
                      kind.units)


def _never_loaded(reg: Registry, name: str) -> RegistryError:
    return RegistryError(f"the registry has no raster {name}", source=reg.target,
                         hint=f"load one: yangpu-gis load-raster DEM.tif --layer {name}")


def _read_geopackage(reg: Registry, kind, bbox, bbox_crs, *, verify: bool) -> RasterData:
    name = kind.name
    path = Path(reg.path)  # type: ignore[attr-defined]
    if rasters_dir(reg).exists():
        _auto_upgrade(reg)  # an older registry: move its sidecar COGs into the file
    if not path.exists():
        raise _never_loaded(reg, name)
    with contextlib.closing(sqlite3.connect(path)) as con:  # one connection: meta + checksum
        meta = _rows(con).get(name)
        if meta is None:
            raise _never_loaded(reg, name)
        window, transform = _window(meta, bbox, bbox_crs)
        if meta["storage"] == STORAGE_GPKG and verify and \
                _tiles_sha256(con, meta["location"]) != meta["sha256"]:
            raise RegistryError(f"the tiles of raster {name} do not match their checksum in "
                                "the registry (changed outside the registry?)",
                                source=str(path), hint="reload the raster")
    if meta["storage"] == STORAGE_COG:  # not upgraded (read-only folder, missing COG)
        values = _read_sidecar(reg, meta, window, verify=verify)
    else:
        values = _read_gpkg_window(path, meta["location"], window)
    return RasterData(values, transform, pyproj.CRS.from_user_input(meta["crs"]), name,
                      kind.units)


def _auto_upgrade(reg: Registry) -> None:
    """Move an old registry's sidecar COGs into the file on first use; if that cannot be done
    here (read-only folder, missing file), warn and leave it as it is."""
    try:
        _upgrade_geopackage(reg)
    except (RegistryError, OSError, sqlite3.Error, rasterio.errors.RasterioError) as exc:
        warnings.warn(f"the registry {reg.target} keeps its rasters in the old sidecar folder "
                      f"and could not be upgraded here ({exc}); run `yangpu-gis upgrade`",
                      stacklevel=3)


def _read_sidecar(reg: Registry, meta: dict[str, Any], window: Window, *,
                  verify: bool) -> np.ndarray:
    """Read an old registry's sidecar COG (when it could not be upgraded)."""
    name = meta["layer"]
    path = Path(reg.path).parent / meta["location"]  # type: ignore[attr-defined]
    if not path.exists():
        raise RegistryError(f"the file of raster {name} is missing: {path}",
                            source=reg.target,
                            hint=f"put the folder {path.parent.name}/ back beside the registry "
                            "and run `yangpu-gis upgrade`, or reload the raster")
    if verify and sha256_file(path) != meta["sha256"]:
        raise RegistryError(f"the file of raster {name} does not match its checksum in "
                            "the registry (changed outside the registry?)",
                            source=str(path), hint="reload the raster")
    with rasterio.open(path) as src:
        values = src.read(1, window=window).astype(np.float32)
        values[values == src.nodata] = np.nan
    return values


def _read_postgis(reg: Registry, name: str, window: Window, transform: Affine) -> np.ndarray:
    from psycopg import sql

    from ..registry.postgis import _srid

    h, w = int(window.height), int(window.width)
    out = np.full((h, w), np.nan, dtype=np.float32)
    r = transform.a
    env = (transform.c, transform.f - h * r, transform.c + w * r, transform.f)
    eps = r * 1e-3
    query = sql.SQL("SELECT ST_AsBinary(rast) FROM {} WHERE ST_ConvexHull(rast) && "
                    "ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(sql.Identifier(_pg_table(name)))
    with reg.conn.cursor(binary=True) as cur:  # type: ignore[attr-defined]
        cur.execute(query, [env[0] + eps, env[1] + eps, env[2] - eps, env[3] - eps, _srid()])
        for (wkb,) in cur:
            block, t = decode_tile(bytes(wkb))
            c0 = round((t.c - transform.c) / r)
            r0 = round((transform.f - t.f) / r)
            bh, bw = block.shape
            rs, cs = max(0, -r0), max(0, -c0)
            re_, ce = min(bh, h - r0), min(bw, w - c0)
            if re_ > rs and ce > cs:
                out[r0 + rs:r0 + re_, c0 + cs:c0 + ce] = block[rs:re_, cs:ce]
    return out

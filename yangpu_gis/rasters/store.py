"""Rasters in the registry, one API for both backends.

GeoPackage mode
    The raster is a Cloud-Optimized GeoTIFF beside the registry, in ``<name>.gpkg.rasters/``
    (``dem_b<batch>.tif``: a new file per load, so the file the registry points to is never
    overwritten). Its SHA-256, grid and statistics are a row of the ``yangpu_rasters`` table
    inside the ``.gpkg``, and the load is a row of ``yangpu_batches``. The load takes the
    registry's lock and works on its copy-on-write copy (:meth:`GeoPackageRegistry._locked_copy`):
    the ``.gpkg`` is swapped in one ``os.replace`` only after the COG is written and
    checksummed, and a failure removes the new COG, so a refused or failed load leaves the
    registry exactly as it was. The superseded COG is deleted after the swap.
PostGIS mode
    ``postgis_raster`` in-database tiles (256 × 256, float32, WKB sent by ``COPY``, as
    ``raster2pgsql`` would) in the table ``raster_<name>``, with a GiST index on each tile's
    convex hull, the same ``yangpu_rasters`` row and a batch, all in one transaction under the
    layer's advisory lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import time
from dataclasses import dataclass
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
from .kinds import RASTER_CATALOGUE, get_raster_kind
from .prepare import NODATA, PreparedRaster, prepare_raster
from .wkb import decode_tile, encode_tile, tiles

__all__ = ["RASTERS_TABLE", "RasterData", "load_raster", "raster_layers", "read_raster",
           "store_raster"]

RASTERS_TABLE = "yangpu_rasters"
#: Tile size of in-database PostGIS rasters (cells per side), as raster2pgsql ``-t 256x256``.
PG_TILE = 256
#: Block size of the stored COGs.
COG_BLOCK = 512

_META_FIELDS = ("layer", "label", "units", "storage", "location", "sha256", "values_sha256",
                "crs", "width", "height", "transform", "resolution_m", "nodata", "value_min",
                "value_max", "value_mean", "valid_cells", "batch_id", "source")


@dataclass
class RasterData:
    """A raster read from the registry: values with their transform and CRS.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float32; NaN where there is no data.
    transform : affine.Affine
        North-up transform of ``values`` in ``crs``.
    crs : pyproj.CRS
        The working CRS.
    name, units : str
    """

    values: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    name: str = ""
    units: str = ""

    @property
    def resolution_m(self) -> float:
        return float(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.values.shape
        left, top = self.transform.c, self.transform.f
        return (left, top + h * self.transform.e, left + w * self.transform.a, top)

    def to_xarray(self):
        """The raster as an ``xarray.DataArray`` with ``rio`` CRS and transform (rioxarray).

        Examples
        --------
        >>> read_raster(reg, "dem").to_xarray().rio.crs   # doctest: +SKIP
        CRS.from_epsg(4549)
        """
        import rioxarray  # noqa: F401 - registers the .rio accessor
        import xarray as xr

        h, w = self.values.shape
        t = self.transform
        x = t.c + (np.arange(w) + 0.5) * t.a
        y = t.f + (np.arange(h) + 0.5) * t.e
        da = xr.DataArray(self.values, coords={"y": y, "x": x}, dims=("y", "x"), name=self.name,
                          attrs={"units": self.units})
        da = da.rio.write_crs(self.crs.to_wkt()).rio.write_transform(t)
        return da.rio.write_nodata(np.nan, encoded=False)

    def write(self, path: str | Path, *, cog: bool = True) -> Path:
        """Write as a (Cloud-Optimized) GeoTIFF, nodata ``-9999``."""
        path = Path(path)
        _write_geotiff(path, self.values, self.transform, self.crs, cog=cog)
        return path


def _write_geotiff(path: Path, values: np.ndarray, transform: Affine, crs: Any, *,
                   cog: bool = True) -> None:
    h, w = values.shape
    data = np.where(np.isfinite(values), values, NODATA).astype(np.float32)
    opts: dict[str, Any] = {"compress": "deflate", "predictor": 3}
    if cog:
        opts.update(driver="COG", blocksize=COG_BLOCK)
    else:
        opts.update(driver="GTiff", tiled=True, blockxsize=256, blockysize=256)
    crs_obj = rasterio.crs.CRS.from_wkt(crs.to_wkt()) if isinstance(crs, pyproj.CRS) else crs
    with rasterio.open(path, "w", width=w, height=h, count=1, dtype="float32", crs=crs_obj,
                       transform=transform, nodata=NODATA, **opts) as dst:
        dst.write(data, 1)


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
    """Folder of a GeoPackage registry's COGs: ``<name>.gpkg.rasters`` beside the file."""
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


def _gpkg_meta(path: Path, layer: str) -> dict[str, Any] | None:
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(path)) as con:
        exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                             (RASTERS_TABLE,)).fetchone()
        if not exists:
            return None
        cur = con.execute(f"SELECT * FROM {RASTERS_TABLE} WHERE layer = ?", (layer,))  # noqa: S608
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))


def _store_geopackage(reg: Registry, prepared: PreparedRaster) -> dict[str, int]:
    from ..registry.geopackage import _finish_batch, _insert_batch

    folder = rasters_dir(reg)
    layer = prepared.kind.name
    created: Path | None = None
    old: dict[str, Any] | None = None
    try:
        with reg._locked_copy() as tmp:  # type: ignore[attr-defined]
            if not tmp.exists():
                _init_geopackage(tmp)
            old = _gpkg_meta(tmp, layer)
            batch_id = _insert_batch(tmp, _batch(prepared))
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"{layer}_b{batch_id}.tif"
            part = final.with_name(final.name + ".part")
            created = part
            _write_geotiff(part, prepared.values, prepared.transform, prepared.crs)
            sha = sha256_file(part)
            os.replace(part, final)
            created = final
            meta = _meta(prepared, "cog", f"{folder.name}/{final.name}", sha, batch_id)
            counts = {"inserted": prepared.valid_cells, "updated": 0,
                      "deleted": int(old["valid_cells"]) if old else 0}
            with contextlib.closing(sqlite3.connect(tmp)) as con, con:
                con.execute(_RASTERS_DDL)
                con.execute(
                    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "description) VALUES (?, 'attributes', ?, ?)",
                    (RASTERS_TABLE, RASTERS_TABLE, "栅格图层 (raster layers and their files)"))
                con.execute(
                    f"INSERT OR REPLACE INTO {RASTERS_TABLE} ({', '.join(_META_FIELDS)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' for _ in _META_FIELDS)})",
                    [meta[f] for f in _META_FIELDS])
            _finish_batch(tmp, batch_id, counts)
            _before_commit(reg, prepared)
    except BaseException:
        if created is not None and created.exists():
            created.unlink()
        raise
    if old is not None:
        previous = Path(reg.path).parent / old["location"]  # type: ignore[attr-defined]
        if previous != created and previous.exists():
            previous.unlink()
    return {**counts, "batch_id": batch_id}


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
            conn.execute(sql.SQL("DELETE FROM {}").format(tile_table))
            cur = conn.cursor()
            with cur.copy(sql.SQL("COPY {} (batch_id, rast) FROM STDIN").format(tile_table)) as cp:
                for block, t in tiles(prepared.values, prepared.transform, PG_TILE):
                    cp.write(f"{batch_id}\t{encode_tile(block, t, srid, NODATA).hex()}\n")
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
        GeoPackage mode: check the COG's SHA-256 against the registry first.

    Returns
    -------
    RasterData
        Values (NaN for nodata), transform and CRS; ``.to_xarray()`` for an
        ``xarray.DataArray``.

    Raises
    ------
    RegistryError
        If the raster was never loaded, its file is missing or its checksum differs.

    Examples
    --------
    >>> dem = read_raster(reg, "dem", bbox=(121.50, 31.29, 121.52, 31.31), bbox_crs="EPSG:4326")  # doctest: +SKIP
    >>> dem.values.shape, dem.transform.a                    # doctest: +SKIP
    """
    kind = get_raster_kind(name)
    meta = raster_meta(reg, name)
    if meta is None:
        raise RegistryError(f"the registry has no raster {name}", source=reg.target,
                            hint=f"load one: yangpu-gis load-raster DEM.tif --layer {name}")
    window, transform = _window(meta, bbox, bbox_crs)
    crs = pyproj.CRS.from_user_input(meta["crs"])
    if reg.kind == "geopackage":
        path = Path(reg.path).parent / meta["location"]  # type: ignore[attr-defined]
        if not path.exists():
            raise RegistryError(f"the file of raster {name} is missing: {path}",
                                source=reg.target, hint="reload the raster")
        if verify and sha256_file(path) != meta["sha256"]:
            raise RegistryError(f"the file of raster {name} does not match its checksum in "
                                "the registry (changed outside the registry?)",
                                source=str(path), hint="reload the raster")
        with rasterio.open(path) as src:
            values = src.read(1, window=window).astype(np.float32)
            values[values == src.nodata] = np.nan
    else:
        values = _read_postgis(reg, name, window, transform)
    return RasterData(values, transform, crs, name, kind.units)


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

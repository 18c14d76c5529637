"""Rasters in a PostGIS registry: ``postgis_raster`` in-database tiles with raster constraints.

256 × 256 float32 tiles (WKB sent by ``COPY``, as ``raster2pgsql -t 256x256 -P`` would:
edge tiles padded with nodata) in the table ``raster_<name>``
(:func:`~yangpu_gis.registry.tables.pg_raster_table`), with a GiST index on each tile's
convex hull and the raster constraints (``AddRasterConstraints``: SRID, scale, block size,
alignment, bands, pixel type, nodata, extent) that make ``raster_columns`` — and so QGIS —
list it, and a row of the rasters table; all in the load's transaction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
from affine import Affine
from psycopg import sql
from rasterio.windows import Window

from ...errors import RegistryError
from ...rasters import NODATA, RASTER_CATALOGUE
from ...rasters.records import RECORD_FIELDS, raster_record, values_sha256
from ...rasters.wkb import decode_tile, encode_tile, tiles
from ..tables import BATCHES_TABLE, RASTERS_TABLE, SCHEMA_LOCK, layer_lock, pg_raster_table
from .connection import srid

__all__ = ["PG_TILE", "add_constraints", "constrained", "ensure_postgis_raster", "raster_meta",
           "read_window", "store_raster", "upgrade"]

#: Tile size of in-database PostGIS rasters (cells per side), as raster2pgsql ``-t 256x256``.
PG_TILE = 256
#: The raster constraints of a tile table (``AddRasterConstraints`` keywords); regular
#: blocking is left out: tiles without any valid cell are not stored.
_CONSTRAINTS = ("srid", "scale_x", "scale_y", "blocksize_x", "blocksize_y",
                "same_alignment", "num_bands", "pixel_types", "nodata_values", "out_db",
                "extent")


def ensure_postgis_raster(conn) -> None:
    """``CREATE EXTENSION postgis_raster`` in PostGIS's schema (needs the privilege)."""
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis_raster'").fetchone()
    if row:
        return
    schema = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension "
                          "WHERE extname = 'postgis'").fetchone()[0]
    try:
        conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS postgis_raster SCHEMA {}").format(
            sql.Identifier(schema)))
    except psycopg.Error as exc:
        raise RegistryError(
            f"the postgis_raster extension is not available: {exc}".strip(),
            hint="install it (Debian: postgresql-15-postgis-3) and let a superuser run "
            "CREATE EXTENSION postgis_raster") from exc


def _ddl(layer: str) -> list[sql.Composed]:
    tile = sql.Identifier(pg_raster_table(layer))
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
            sql.Identifier(f"{pg_raster_table(layer)}_hull_gist"), tile),
    ]


def store_raster(conn, prepared: Any, batch_id: int) -> dict[str, int]:
    """Write a :class:`~yangpu_gis.rasters.PreparedRaster` in the open transaction (the
    layer's lock held); the counts of its batch."""
    layer = prepared.kind.name
    table = pg_raster_table(layer)
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [SCHEMA_LOCK])
    ensure_postgis_raster(conn)
    for stmt in _ddl(layer):
        conn.execute(stmt)
    old = conn.execute(sql.SQL("SELECT valid_cells FROM {} WHERE layer = %s").format(
        sql.Identifier(RASTERS_TABLE)), [layer]).fetchone()
    tile_table = sql.Identifier(table)
    _unconstrain(conn, table)  # the new grid may differ from the old
    conn.execute(sql.SQL("DELETE FROM {}").format(tile_table))
    cur = conn.cursor()
    code = srid()
    with cur.copy(sql.SQL("COPY {} (batch_id, rast) FROM STDIN").format(tile_table)) as cp:
        for block, t in tiles(prepared.values, prepared.transform, PG_TILE, pad=True):
            cp.write(f"{batch_id}\t{encode_tile(block, t, code, NODATA).hex()}\n")
    add_constraints(conn, table)
    meta = raster_record(prepared, "in-db", table, values_sha256(prepared.values), batch_id)
    conn.execute(sql.SQL("DELETE FROM {} WHERE layer = %s").format(
        sql.Identifier(RASTERS_TABLE)), [layer])
    conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(RASTERS_TABLE),
        sql.SQL(", ").join(sql.Identifier(f) for f in RECORD_FIELDS),
        sql.SQL(", ").join(sql.Placeholder() for _ in RECORD_FIELDS)),
        [meta[f] for f in RECORD_FIELDS])
    return {"inserted": prepared.valid_cells, "updated": 0,
            "deleted": int(old[0]) if old else 0}


def _schema(conn, table: str) -> str | None:
    row = conn.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE c.oid = to_regclass(%s)", [table]).fetchone()
    return row[0] if row else None


def add_constraints(conn, table: str) -> None:
    """``AddRasterConstraints`` on ``table.rast`` so ``raster_columns`` (and QGIS) list it."""
    if not conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(table))).fetchone()[0]:
        return  # an empty table (all nodata) has nothing to constrain to
    args = sql.SQL(", ").join(
        [sql.SQL("%s::name")] * 3
        + [sql.SQL("{} => true").format(sql.Identifier(c)) for c in _CONSTRAINTS]
        + [sql.SQL("regular_blocking => false")])
    conn.execute(sql.SQL("SELECT AddRasterConstraints({})").format(args),
                 [_schema(conn, table), table, "rast"])


def _unconstrain(conn, table: str) -> None:
    if constrained(conn, table):
        conn.execute("SELECT DropRasterConstraints(%s::name, %s::name, %s::name)",
                     [_schema(conn, table), table, "rast"])


def constrained(conn, table: str) -> bool:
    """Whether ``raster_columns`` shows the table's SRID (its constraints are in place)."""
    row = conn.execute("SELECT srid FROM raster_columns WHERE r_table_schema = %s AND "
                       "r_table_name = %s AND r_raster_column = 'rast'",
                       [_schema(conn, table), table]).fetchone()
    return bool(row and row[0] and row[0] > 0)


def raster_meta(conn, layer: str) -> dict[str, Any] | None:
    """The rasters-table row of ``layer``, or None if it was never loaded."""
    if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", [RASTERS_TABLE]).fetchone()[0]:
        return None
    cur = conn.execute(sql.SQL("SELECT {} FROM {} WHERE layer = %s").format(
        sql.SQL(", ").join(sql.Identifier(f) for f in RECORD_FIELDS),
        sql.Identifier(RASTERS_TABLE)), [layer])
    row = cur.fetchone()
    return dict(zip(RECORD_FIELDS, row, strict=True)) if row else None


def read_window(conn, name: str, window: Window, transform: Affine) -> np.ndarray:
    """The cells of raster ``name`` in ``window`` (whose transform is ``transform``), NaN
    for nodata."""
    h, w = int(window.height), int(window.width)
    out = np.full((h, w), np.nan, dtype=np.float32)
    r = transform.a
    env = (transform.c, transform.f - h * r, transform.c + w * r, transform.f)
    eps = r * 1e-3
    query = sql.SQL("SELECT ST_AsBinary(rast) FROM {} WHERE ST_ConvexHull(rast) && "
                    "ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
        sql.Identifier(pg_raster_table(name)))
    with conn.cursor(binary=True) as cur:
        cur.execute(query, [env[0] + eps, env[1] + eps, env[2] - eps, env[3] - eps, srid()])
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


def upgrade(conn, target: str) -> dict[str, Any]:
    """Raster tables written by older versions get their raster constraints."""
    done = []
    try:
        with conn.transaction():
            for layer in RASTER_CATALOGUE:
                table = pg_raster_table(layer)
                if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]:
                    continue
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [layer_lock(layer)])
                if constrained(conn, table):
                    continue
                add_constraints(conn, table)
                done.append(layer)
    except psycopg.Error as exc:
        raise RegistryError(f"adding raster constraints failed and was rolled back: {exc}",
                            source=target, hint="nothing was changed") from exc
    return {"rasters": done, "removed": [],
            "notes": [f"raster constraints added to {pg_raster_table(x)}" for x in done]}

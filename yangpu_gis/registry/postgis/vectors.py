"""Vector and attribute layers of a PostGIS registry: read, ids, and the rows of a load.

A load's rows are COPYed inside the load's transaction (:meth:`PostGISRegistry.transaction`):
``replace`` deletes first, ``upsert`` goes through a temporary stage table and
``INSERT … ON CONFLICT``; a table created by the load gets its keys and indexes after the
rows are in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from psycopg import sql

from ...catalogue import BATCH_COLUMN, Layer
from ...io import Prepared
from ..storage import GEOMETRY_COLUMN, empty_frame, from_storage, to_storage
from . import copy as pg_copy
from .connection import srid
from .ddl import comment_ddl, create_table, index_ddl, keys_ddl, layer_ddl

__all__ = ["existing_ids", "read_layer", "write_rows"]


def existing_ids(conn, spec: Layer, ids: list[str]) -> set[str]:
    """Which of ``ids`` the layer's table holds (none if it does not exist)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [spec.name]).fetchone()[0]
    if not exists:
        return set()
    rows = conn.execute(
        sql.SQL("SELECT {0} FROM {1} WHERE {0} = ANY(%s)").format(
            sql.Identifier(spec.id_column), sql.Identifier(spec.name)), [list(ids)]).fetchall()
    return {r[0] for r in rows}


def read_layer(conn, spec: Layer, cols: list[str],
               bbox: tuple[float, float, float, float] | None, crs: Any,
               tables: set[str]) -> gpd.GeoDataFrame | pd.DataFrame:
    """Rows of a layer (``bbox`` in the working CRS), ordered by id, as catalogue frames."""
    layer = spec.name
    if layer not in tables:
        return empty_frame(spec, cols, crs)
    selected = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    if spec.has_geometry:
        query = sql.SQL("SELECT {}, ST_AsBinary({}) FROM {}").format(
            selected, sql.Identifier(GEOMETRY_COLUMN), sql.Identifier(layer))
    else:
        query = sql.SQL("SELECT {} FROM {}").format(selected, sql.Identifier(layer))
    params: list[Any] = []
    if bbox is not None:
        query += sql.SQL(" WHERE {} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
            sql.Identifier(GEOMETRY_COLUMN))
        params = [*bbox, srid()]
    query += sql.SQL(" ORDER BY {}").format(sql.Identifier(spec.id_column))
    with conn.cursor(binary=True) as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    if not spec.has_geometry:
        return from_storage(pd.DataFrame(rows, columns=cols), None, spec, cols, crs)
    df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
    return from_storage(df, geoms, spec, cols, crs)


def write_rows(conn, prepared: Prepared, mode: str, batch_id: int, *,
               refuse_existing: Callable[[Prepared, Layer, set[str]], None],
               after_chunk: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write a load's rows in the open transaction (layer lock held); the counts.

    ``refuse_existing`` re-checks an append's ids under the lock.
    """
    spec = prepared.layer
    table = sql.Identifier(spec.name)
    # pg_class read with this statement's snapshot, so a table another load committed while
    # this one waited for the lock is seen (to_regclass could answer from a stale cache)
    new_table = not conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class "
        "WHERE relname = %s AND relnamespace = current_schema()::regnamespace)",
        [spec.name]).fetchone()[0]
    # A table created by this load gets its keys and indexes after the rows are in: one bulk
    # build (and one foreign-key check) instead of one per row. Same transaction, so still
    # all or nothing; upsert needs the key for ON CONFLICT.
    after: list[sql.Composed] = []
    if new_table and mode != "upsert":
        create = [create_table(spec, srid(), keys=False), comment_ddl(spec)]
        after = [keys_ddl(spec), *index_ddl(spec)]
    else:
        create = layer_ddl(spec, srid())
    for stmt in create:
        conn.execute(stmt)
    if mode == "append":  # re-checked under the lock
        clash = existing_ids(conn, spec, prepared.frame[spec.id_column].tolist())
        refuse_existing(prepared, spec, clash)
    stored = to_storage(prepared.frame, spec, batch_id)
    counts = {"inserted": len(stored), "updated": 0, "unchanged": 0, "deleted": 0}
    columns = [*spec.column_names, BATCH_COLUMN,
               *([GEOMETRY_COLUMN] if spec.has_geometry else [])]
    if mode == "replace":
        counts["deleted"] = conn.execute(sql.SQL("DELETE FROM {}").format(table)).rowcount
    if mode == "upsert":
        stage = sql.Identifier(f"_stage_{spec.name}")
        conn.execute(sql.SQL(
            "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
        ).format(stage, table))
        pg_copy.copy_rows(conn, stage, columns, stored, spec, after_chunk)
        updates = sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
            for c in columns if c != spec.id_column)
        # a stored row equal in every attribute and its geometry (PostGIS "=": same
        # coordinates in the same order) is left as it is, with its batch
        compared = [c for c in columns if c not in (spec.id_column, BATCH_COLUMN)]
        changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
            sql.SQL(", ").join(sql.SQL("{}.{}").format(table, sql.Identifier(c))
                               for c in compared),
            sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c))
                               for c in compared))
        flags = conn.execute(sql.SQL(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} "
            "ON CONFLICT ({id}) DO UPDATE SET {upd} WHERE {changed} "
            "RETURNING (xmax = 0)"
        ).format(t=table, s=stage, id=sql.Identifier(spec.id_column), upd=updates,
                 changed=changed, cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        ).fetchall()
        counts["inserted"] = sum(1 for f in flags if f[0])
        counts["updated"] = len(flags) - counts["inserted"]
        counts["unchanged"] = len(stored) - len(flags)
    else:
        pg_copy.copy_rows(conn, table, columns, stored, spec, after_chunk)
    for stmt in after:
        conn.execute(stmt)
    return counts

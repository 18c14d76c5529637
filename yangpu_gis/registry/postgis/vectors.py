"""Vector and attribute layers of a PostGIS registry: read, ids, and the rows of a load.

A load's rows are COPYed inside the load's transaction (:meth:`PostGISRegistry.transaction`):
``replace`` deletes first, ``upsert`` goes through a temporary stage table and
``INSERT … ON CONFLICT``; a table created by the load gets its keys and indexes after the
rows are in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from psycopg import sql

from ...catalogue import BATCH_COLUMN, Layer
from ...io import Prepared
from ..history import ENDED_COLUMN
from ..storage import GEOMETRY_COLUMN, empty_frame, from_storage, select_columns, to_storage
from ..tables import history_table
from . import copy as pg_copy
from .connection import srid
from .ddl import comment_ddl, create_table, history_ddl, index_ddl, keys_ddl, layer_ddl

__all__ = ["existing_ids", "read_layer", "read_versions", "write_rows"]


def existing_ids(conn, spec: Layer, ids: list[str]) -> set[str]:
    """Which of ``ids`` the layer's table holds (none if it does not exist)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [spec.name]).fetchone()[0]
    if not exists:
        return set()
    rows = conn.execute(
        sql.SQL("SELECT {0} FROM {1} WHERE {0} = ANY(%s)").format(
            sql.Identifier(spec.id_column), sql.Identifier(spec.name)), [list(ids)]).fetchall()
    return {r[0] for r in rows}


def _select(spec: Layer, cols: list[str], source: str, *, extra: sql.Composable | None = None
            ) -> sql.Composed:
    selected = [sql.Identifier(c) for c in cols]
    if extra is not None:
        selected.append(extra)
    if spec.has_geometry:
        selected.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(GEOMETRY_COLUMN)))
    return sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(selected),
                                               sql.Identifier(source))


def _frame(rows: list, spec: Layer, cols: list[str], crs: Any) -> gpd.GeoDataFrame | pd.DataFrame:
    if not spec.has_geometry:
        return from_storage(pd.DataFrame(rows, columns=cols), None, spec, cols, crs)
    df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
    return from_storage(df, geoms, spec, cols, crs)


def read_layer(conn, spec: Layer, cols: list[str],
               bbox: tuple[float, float, float, float] | None, crs: Any,
               tables: set[str], as_of: int | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """Rows of a layer (``bbox`` in the working CRS), ordered by id, as catalogue frames;
    ``as_of`` a batch id: the versions live after that batch (:mod:`..history`)."""
    layer = spec.name
    if layer not in tables:
        return empty_frame(spec, cols, crs)
    where: list[sql.Composable] = []
    params: list[Any] = []
    if bbox is not None:
        where.append(sql.SQL("{} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
            sql.Identifier(GEOMETRY_COLUMN)))
        params += [*bbox, srid()]
    if as_of is not None:
        parts = [(_select(spec, cols, layer),
                  [sql.SQL("{} <= %s").format(sql.Identifier(BATCH_COLUMN))], [as_of])]
        if history_table(layer) in tables:
            parts.append((_select(spec, cols, history_table(layer)),
                          [sql.SQL("{} <= %s AND {} > %s").format(
                              sql.Identifier(BATCH_COLUMN), sql.Identifier(ENDED_COLUMN))],
                          [as_of, as_of]))
    else:
        parts = [(_select(spec, cols, layer), [], [])]
    queries, all_params = [], []
    for select, conditions, values in parts:
        conds = [*conditions, *where]
        queries.append(select + (sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds)
                                 if conds else sql.SQL("")))
        all_params += [*values, *params]
    query = sql.SQL(" UNION ALL ").join(queries) + sql.SQL(" ORDER BY {}").format(
        sql.Identifier(spec.id_column))
    with conn.cursor(binary=True) as cur:
        cur.execute(query, all_params)
        rows = cur.fetchall()
    return _frame(rows, spec, cols, crs)


def read_versions(conn, spec: Layer, ids: list[str] | None, columns: list[str] | None,
                  tables: set[str]) -> gpd.GeoDataFrame | pd.DataFrame:
    """Every version (live and ended) of ``spec``'s features, or of ``ids``."""
    cols = select_columns(spec, columns)
    if BATCH_COLUMN not in cols:
        cols = [*cols, BATCH_COLUMN]
    view = spec if columns is None else dataclasses.replace(spec, geometry=())
    queries = []
    for name, ended in ((spec.name, sql.SQL("NULL::integer")),
                        (history_table(spec.name), sql.Identifier(ENDED_COLUMN))):
        if name in tables:
            query = _select(view, cols, name, extra=ended)
            if ids is not None:
                query += sql.SQL(" WHERE {} = ANY(%s)").format(sql.Identifier(spec.id_column))
            queries.append(query)
    if not queries:
        out = empty_frame(view, cols, None)
        out.insert(len(cols), ENDED_COLUMN, pd.array([], dtype="Int64"))
        return out
    query = sql.SQL(" UNION ALL ").join(queries) + sql.SQL(" ORDER BY {}, {}").format(
        sql.Identifier(spec.id_column), sql.Identifier(BATCH_COLUMN))
    with conn.cursor(binary=True) as cur:
        cur.execute(query, [list(ids)] * len(queries) if ids is not None else [])
        rows = cur.fetchall()
    n = len(cols)
    ended_values = pd.array([r[n] for r in rows], dtype="Int64")
    trimmed = [(*r[:n], *r[n + 1:]) for r in rows]
    out = _frame(trimmed, view, cols, None)
    out.insert(n, ENDED_COLUMN, ended_values)
    return out


#: A stage table this large is analysed before the comparing DELETE; below it the planner's
#: estimate from the table's pages is enough, and ANALYZE cost more than it saved (0.020 s
#: of the 0.150 s of SQL in a re-delivery of the 2,356 demo roads, in the statement timings
#: of benchmarks/README_history.md). The bound itself is a judgement, not a measurement.
ANALYZE_ROWS = 20_000


def _exists(conn, name: str) -> bool:
    # pg_class read with this statement's snapshot, so a table another load committed while
    # this one waited for the lock is seen (to_regclass could answer from a stale cache)
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class "
        "WHERE relname = %s AND relnamespace = current_schema()::regnamespace)",
        [name]).fetchone()[0]


def write_rows(conn, prepared: Prepared, mode: str, batch_id: int, *,
               refuse_existing: Callable[[Prepared, Layer, set[str]], None],
               after_chunk: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write a load's rows in the open transaction (layer lock held), keeping history; the
    counts (see :meth:`~yangpu_gis.registry.backend.LoadTransaction.write_rows`).

    ``refuse_existing`` re-checks an append's ids under the lock.
    """
    spec = prepared.layer
    table = sql.Identifier(spec.name)
    new_table = not _exists(conn, spec.name)
    columns = [*spec.column_names, BATCH_COLUMN,
               *([GEOMETRY_COLUMN] if spec.has_geometry else [])]
    stored = to_storage(prepared.frame, spec, batch_id)

    def fill(target: sql.Identifier) -> None:
        pg_copy.copy_rows(conn, target, columns, stored, spec, after_chunk)
    if new_table:
        # A table created by this load gets its keys and indexes after the rows are in: one
        # bulk build (and one foreign-key check) instead of one per row. Same transaction,
        # so still all or nothing.
        for stmt in (create_table(spec, srid(), keys=False), comment_ddl(spec)):
            conn.execute(stmt)
        fill(table)
        for stmt in (keys_ddl(spec), *index_ddl(spec)):
            conn.execute(stmt)
        return {"inserted": len(stored), "updated": 0, "unchanged": 0, "deleted": 0}
    for stmt in layer_ddl(spec, srid()):
        conn.execute(stmt)
    if mode == "append":  # re-checked under the lock
        clash = existing_ids(conn, spec, prepared.frame[spec.id_column].tolist())
        refuse_existing(prepared, spec, clash)
        fill(table)
        return {"inserted": len(stored), "updated": 0, "unchanged": 0, "deleted": 0}
    return _write_versions(conn, spec, mode, batch_id, stored, columns, fill)


def _write_versions(conn, spec: Layer, mode: str, batch_id: int, stored: pd.DataFrame,
                    columns: list[str], fill: Callable[[sql.Identifier], None]
                    ) -> dict[str, int]:
    """replace / upsert / revert into an existing table: stage the delivery, move every
    stored version that differs (or, but for upsert, that the delivery lacks) to the history
    table with ``ended_batch``, insert the new versions; equal rows stay as they are."""
    table = sql.Identifier(spec.name)
    idc = sql.Identifier(spec.id_column)
    stage = sql.Identifier(f"_stage_{spec.name}")
    if not _exists(conn, history_table(spec.name)):  # made once, by the first re-delivery
        for stmt in history_ddl(spec):
            conn.execute(stmt)
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
    ).format(stage, table))
    fill(stage)
    conn.execute(sql.SQL("CREATE INDEX ON {} ({})").format(stage, idc))
    if len(stored) >= ANALYZE_ROWS:
        conn.execute(sql.SQL("ANALYZE {}").format(stage))
    # a stored row equal in every attribute and its geometry (PostGIS "=": same coordinates
    # in the same order) is left as it is, with its batch
    compared = [c for c in columns if c not in (spec.id_column, BATCH_COLUMN)]

    def row(alias: str) -> sql.Composed:
        return sql.SQL("({})").format(sql.SQL(", ").join(
            sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c)) for c in compared))

    differs = sql.SQL("EXISTS (SELECT 1 FROM {s} s WHERE s.{id} = t.{id} AND {a} IS DISTINCT "
                      "FROM {b})").format(s=stage, id=idc, a=row("t"), b=row("s"))
    if mode != "upsert":
        differs = sql.SQL("({}) OR NOT EXISTS (SELECT 1 FROM {} s WHERE s.{} = t.{})").format(
            differs, stage, idc, idc)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    ended, modified = conn.execute(sql.SQL(
        "WITH ended AS (DELETE FROM {t} t WHERE {differs} RETURNING t.*), "
        "moved AS (INSERT INTO {h} ({cols}, {end}) SELECT {cols}, %s FROM ended "
        "RETURNING {id}) "
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s} s "
        "WHERE s.{id} = moved.{id})) FROM moved"
    ).format(t=table, differs=differs, h=sql.Identifier(history_table(spec.name)), cols=cols,
             end=sql.Identifier(ENDED_COLUMN), id=idc, s=stage), [batch_id]).fetchone()
    new_versions = conn.execute(sql.SQL(
        "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} s "
        "WHERE NOT EXISTS (SELECT 1 FROM {t} t WHERE t.{id} = s.{id})"
    ).format(t=table, cols=cols, s=stage, id=idc)).rowcount
    conn.execute(sql.SQL("DROP TABLE {}").format(stage))
    return {"inserted": new_versions - modified, "updated": modified,
            "unchanged": len(stored) - new_versions, "deleted": ended - modified}

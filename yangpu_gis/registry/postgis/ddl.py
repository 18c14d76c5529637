"""DDL of the registry's tables, generated from the catalogue (:mod:`yangpu_gis.catalogue`).

Primary key on the id column, NOT NULL on required columns, CHECK constraints on
enumerations and bounds, ``geometry(<type>, <srid>)`` typmod and a GiST index; a layer
without geometry gets a table without geometry column and GiST index. All composed with
:mod:`psycopg.sql` identifiers and literals.
"""

from __future__ import annotations

from psycopg import sql

from ...catalogue import BATCH_COLUMN, Column, Layer
from ..history import ENDED_COLUMN
from ..storage import GEOMETRY_COLUMN
from ..tables import BATCHES_TABLE, history_table

__all__ = ["BATCHES_DDL", "batches_upgrade", "comment_ddl", "create_table", "history_ddl",
           "index_ddl", "keys_ddl", "layer_ddl"]

_PG_TYPES = {
    "str": "text",
    "int": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}



def _column_ddl(col: Column) -> sql.Composable:
    parts: list[sql.Composable] = [sql.Identifier(col.name), sql.SQL(_PG_TYPES[col.type])]
    if col.required:
        parts.append(sql.SQL("NOT NULL"))
    checks: list[sql.Composable] = []
    if col.allowed:
        checks.append(sql.SQL("{} IN ({})").format(
            sql.Identifier(col.name), sql.SQL(", ").join(sql.Literal(v) for v in col.allowed)))
    if col.min is not None:
        checks.append(sql.SQL("{} >= {}").format(sql.Identifier(col.name), sql.Literal(col.min)))
    if col.max is not None:
        checks.append(sql.SQL("{} <= {}").format(sql.Identifier(col.name), sql.Literal(col.max)))
    if checks:
        parts.append(sql.SQL("CHECK ({})").format(sql.SQL(" AND ").join(checks)))
    return sql.SQL(" ").join(parts)


def layer_ddl(spec: Layer, srid: int) -> list[sql.Composed]:
    """CREATE TABLE and index statements for a catalogue layer."""
    return [create_table(spec, srid, keys=True), *index_ddl(spec), comment_ddl(spec)]


def create_table(spec: Layer, srid: int, *, keys: bool) -> sql.Composed:
    """CREATE TABLE; ``keys=False`` leaves out the primary and foreign key (see :func:`keys_ddl`)."""
    cols = [_column_ddl(c) for c in spec.columns]
    cols.append(sql.SQL("{} integer NOT NULL").format(sql.Identifier(BATCH_COLUMN))
                + (sql.SQL(" REFERENCES {} (batch_id)").format(sql.Identifier(BATCHES_TABLE))
                   if keys else sql.SQL("")))
    if spec.has_geometry:
        cols.append(sql.SQL("{} geometry({}, {}) NOT NULL").format(
            sql.Identifier(GEOMETRY_COLUMN), sql.SQL(spec.storage_geometry), sql.Literal(srid)))
    if keys:
        cols.append(sql.SQL("PRIMARY KEY ({})").format(sql.Identifier(spec.id_column)))
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
        sql.Identifier(spec.name), sql.SQL(", ").join(cols))


def keys_ddl(spec: Layer) -> sql.Composed:
    """The primary and foreign key of :func:`create_table` added to a table made without them
    (the same constraints, with the same names)."""
    return sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({}), ADD FOREIGN KEY ({}) REFERENCES {} "
                   "(batch_id)").format(
        sql.Identifier(spec.name), sql.Identifier(spec.id_column), sql.Identifier(BATCH_COLUMN),
        sql.Identifier(BATCHES_TABLE))


def index_ddl(spec: Layer) -> list[sql.Composed]:
    table = sql.Identifier(spec.name)
    gist = [
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
            sql.Identifier(f"{spec.name}_{GEOMETRY_COLUMN}_gist"), table,
            sql.Identifier(GEOMETRY_COLUMN)),
    ] if spec.has_geometry else []
    return [
        *gist,
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
            sql.Identifier(f"{spec.name}_{BATCH_COLUMN}_idx"), table, sql.Identifier(BATCH_COLUMN)),
    ]


def comment_ddl(spec: Layer) -> sql.Composed:
    return sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(spec.name),
                                                       sql.Literal(spec.label))


def history_ddl(spec: Layer) -> list[sql.Composed]:
    """The layer's history table (its columns, types and NOT NULLs, plus ``ended_batch``) and
    its indexes: by id (``history``), by batch (as-of reads) and by geometry (``bbox``)."""
    table = history_table(spec.name)
    ident = sql.Identifier(table)
    out = [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (LIKE {}, {} integer NOT NULL REFERENCES {} "
                "(batch_id))").format(ident, sql.Identifier(spec.name),
                                      sql.Identifier(ENDED_COLUMN),
                                      sql.Identifier(BATCHES_TABLE)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({}, {})").format(
            sql.Identifier(f"{table}_id_idx"), ident, sql.Identifier(spec.id_column),
            sql.Identifier(BATCH_COLUMN)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({}, {})").format(
            sql.Identifier(f"{table}_batch_idx"), ident, sql.Identifier(BATCH_COLUMN),
            sql.Identifier(ENDED_COLUMN)),
        sql.SQL("COMMENT ON TABLE {} IS {}").format(ident, sql.Literal(
            f"{spec.label}（历史版本）")),
    ]
    if spec.has_geometry:
        out.append(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
            sql.Identifier(f"{table}_{GEOMETRY_COLUMN}_gist"), ident,
            sql.Identifier(GEOMETRY_COLUMN)))
    return out


#: Modes a batch may record.
BATCH_MODES = ("append", "replace", "upsert", "revert")

BATCHES_DDL = sql.SQL("""
CREATE TABLE IF NOT EXISTS {} (
    batch_id serial PRIMARY KEY,
    layer text NOT NULL,
    mode text NOT NULL CONSTRAINT yangpu_batches_mode_check CHECK (mode IN ({})),
    source text NOT NULL, source_sha256 text,
    rows_read integer, rows_inserted integer, rows_updated integer, rows_deleted integer,
    rows_unchanged integer, encoding text, source_crs text, repaired_rows integer, os_user text, tool_version text,
    loaded_at timestamptz NOT NULL DEFAULT now()
)""").format(sql.Identifier(BATCHES_TABLE),
                 sql.SQL(", ").join(sql.Literal(m) for m in BATCH_MODES))


def batches_upgrade(conn) -> None:
    """Bring a batches table written before history was kept up to date: the
    ``rows_unchanged`` column and the ``revert`` mode (only when missing: an ``ALTER`` takes
    an exclusive lock)."""
    has_column = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = %s AND column_name = 'rows_unchanged')",
        [BATCHES_TABLE]).fetchone()[0]
    if not has_column:
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN rows_unchanged integer").format(
            sql.Identifier(BATCHES_TABLE)))
    check = conn.execute(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = "
        "to_regclass(%s) AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%%mode%%'",
        [BATCHES_TABLE]).fetchall()
    if not any("revert" in r[0] for r in check):
        names = conn.execute(
            "SELECT conname FROM pg_constraint c WHERE c.conrelid = to_regclass(%s) AND "
            "c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%%mode%%'",
            [BATCHES_TABLE]).fetchall()
        for (name,) in names:
            conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(BATCHES_TABLE), sql.Identifier(name)))
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT yangpu_batches_mode_check "
                             "CHECK (mode IN ({}))").format(
            sql.Identifier(BATCHES_TABLE),
            sql.SQL(", ").join(sql.Literal(m) for m in BATCH_MODES)))


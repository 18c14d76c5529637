"""The batches table of a GeoPackage registry: one row per load, written in the working copy."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from ..batches import BATCH_FIELDS
from ..tables import BATCHES_TABLE
from .file import working_connection

__all__ = ["ensure_batches_table", "finish_batch", "insert_batch", "read_batches"]

_BATCH_INSERT_FIELDS = BATCH_FIELDS[1:]
# constant SQL: the table and column names are fixed here, never user input
_INSERT_BATCH = (
    f"INSERT INTO {BATCHES_TABLE} (" + ", ".join(_BATCH_INSERT_FIELDS) + ") VALUES ("  # noqa: S608
    + ", ".join("?" for _ in _BATCH_INSERT_FIELDS) + ")"
)
_FINISH_BATCH = (f"UPDATE {BATCHES_TABLE} SET rows_inserted=?, rows_updated=?, "  # noqa: S608
                 "rows_deleted=?, rows_unchanged=? WHERE batch_id=?")
_BATCHES_DDL = f"""
CREATE TABLE IF NOT EXISTS {BATCHES_TABLE} (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    layer TEXT NOT NULL, mode TEXT NOT NULL, source TEXT NOT NULL, source_sha256 TEXT,
    rows_read INTEGER, rows_inserted INTEGER, rows_updated INTEGER, rows_deleted INTEGER,
    rows_unchanged INTEGER, encoding TEXT, source_crs TEXT, repaired_rows INTEGER, os_user TEXT, tool_version TEXT,
    loaded_at TEXT NOT NULL
)"""


def _columns(con: sqlite3.Connection) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({BATCHES_TABLE})")]


def _ensure_batches(con: sqlite3.Connection) -> None:
    con.execute(_BATCHES_DDL)
    if "rows_unchanged" not in _columns(con):  # a registry written before history was kept
        con.execute(f"ALTER TABLE {BATCHES_TABLE} ADD COLUMN rows_unchanged INTEGER")
    con.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, '每次入库的记录 (one row per load)')",
        (BATCHES_TABLE, BATCHES_TABLE),
    )


def ensure_batches_table(con: sqlite3.Connection) -> None:
    """Create the batches table (and its gpkg_contents row) if the GeoPackage lacks it."""
    _ensure_batches(con)


def insert_batch(path: Path, batch: dict[str, Any]) -> int:
    """Record a load in the GeoPackage at ``path`` (its counts come later); its ``batch_id``."""
    with working_connection(path) as con, con:
        _ensure_batches(con)
        row = {**batch, "loaded_at": batch["loaded_at"].isoformat()}
        cur = con.execute(_INSERT_BATCH, [row.get(n) for n in _BATCH_INSERT_FIELDS])
        return int(cur.lastrowid)


def finish_batch(path: Path, batch_id: int, counts: dict[str, int]) -> None:
    """Write the counts of a load into its batch row."""
    with working_connection(path) as con, con:
        con.execute(_FINISH_BATCH, (counts["inserted"], counts["updated"], counts["deleted"],
                                    counts.get("unchanged", 0), batch_id))


def read_batches(path: Path) -> pd.DataFrame:
    """The batches table (empty, with its columns, if the file has none)."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        exists = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (BATCHES_TABLE,)
        ).fetchone()
        if not exists:
            return pd.DataFrame(columns=list(BATCH_FIELDS))
        present = set(_columns(con))
        # constant SQL: the fields are BATCH_FIELDS; an older registry lacks rows_unchanged
        select = ", ".join(f if f in present else f"NULL AS {f}" for f in BATCH_FIELDS)
        df = pd.read_sql_query(f"SELECT {select} FROM {BATCHES_TABLE} ORDER BY batch_id",  # noqa: S608
                               con)
    df["loaded_at"] = pd.to_datetime(df["loaded_at"], format="ISO8601")
    return df

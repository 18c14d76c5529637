"""The batches table of a PostGIS registry: one row per load, in the load's transaction."""

from __future__ import annotations

from typing import Any

import pandas as pd
from psycopg import sql

from ...io.types import TIMEZONE
from ..batches import BATCH_FIELDS
from ..tables import BATCHES_TABLE

__all__ = ["finish_batch", "insert_batch", "latest_batch", "read_batches"]


def insert_batch(conn, batch: dict[str, Any]) -> int:
    """Record a load (its counts come later); its ``batch_id``."""
    names = [f for f in BATCH_FIELDS if f in batch]
    return conn.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING batch_id").format(
            sql.Identifier(BATCHES_TABLE),
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.SQL(", ").join(sql.Placeholder() for _ in names)),
        [batch[n] for n in names]).fetchone()[0]


def finish_batch(conn, batch_id: int, counts: dict[str, int]) -> None:
    """Write the counts of a load into its batch row."""
    conn.execute(
        sql.SQL("UPDATE {} SET rows_inserted = %s, rows_updated = %s, rows_deleted = %s, "
                "rows_unchanged = %s WHERE batch_id = %s").format(sql.Identifier(BATCHES_TABLE)),
        [counts["inserted"], counts.get("updated", 0), counts["deleted"],
         counts.get("unchanged", 0), batch_id])


def read_batches(conn) -> pd.DataFrame:
    """The batches table, oldest first (``loaded_at`` in Asia/Shanghai)."""
    query = sql.SQL("SELECT {} FROM {} ORDER BY batch_id").format(
        sql.SQL(", ").join(sql.Identifier(f) for f in BATCH_FIELDS),
        sql.Identifier(BATCHES_TABLE))
    rows = conn.execute(query).fetchall()
    df = pd.DataFrame(rows, columns=list(BATCH_FIELDS))
    df["loaded_at"] = pd.to_datetime(df["loaded_at"], utc=True).dt.tz_convert(TIMEZONE)
    return df


def latest_batch(conn, layer: str) -> int | None:
    """The id of the last batch of ``layer`` (None if it was never loaded)."""
    return conn.execute(sql.SQL("SELECT max(batch_id) FROM {} WHERE layer = %s").format(
        sql.Identifier(BATCHES_TABLE)), [layer]).fetchone()[0]

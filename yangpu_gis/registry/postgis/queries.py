"""Query capabilities of the PostGIS backend: analyses computed by the server.

:func:`permit_conflict_pairs` is the conflict search of
:func:`yangpu_gis.analysis.excavation.conflicts` in SQL: one self-join of the
``excavation_permits`` table with ``ST_Intersects`` (distance 0) or ``ST_DWithin`` (a plain
self-join, no CTE, so the planner probes the table's GiST index), the time rule in SQL,
composed with :mod:`psycopg.sql` identifiers and bound parameters. It gives exactly the
rows of the in-memory version (the tests compare them); ``distance_m`` is ``ST_Distance``,
equal to shapely's to floating-point rounding.

Ids are compared with ``COLLATE "C"`` (code-point order, as Python compares ``str``), so
``permit_a < permit_b`` means the same on both paths whatever the database's collation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from psycopg import sql

from ...errors import ValidationError
from ..storage import GEOMETRY_COLUMN

__all__ = ["PAIR_COLUMNS", "conflicts_sql", "permit_conflict_pairs"]

#: Columns of :func:`permit_conflict_pairs` (those of ``analysis.excavation.CONFLICT_COLUMNS``).
PAIR_COLUMNS = ["permit_a", "permit_b", "kind", "distance_m", "days_apart"]

_QUERY = """
SELECT permit_a, permit_b,
       CASE WHEN gap <= 0 THEN 'concurrent' ELSE 'repeat' END AS kind,
       distance_m, GREATEST(gap, 0) AS days_apart
FROM (
    SELECT a.{id} AS permit_a, b.{id} AS permit_b,
           GREATEST(b.{start} - a.{end}, a.{start} - b.{end}) AS gap,
           ST_Distance(a.{geom}, b.{geom}) AS distance_m
    FROM {table} a JOIN {table} b
      ON a.{id} COLLATE "C" < b.{id} COLLATE "C"
     AND {near}
    WHERE (a.{status} IS NULL OR NOT (a.{status} = ANY(%(excluded)s)))
      AND (b.{status} IS NULL OR NOT (b.{status} = ANY(%(excluded)s)))
) AS pairs
WHERE gap <= %(repeat_days)s
ORDER BY permit_a COLLATE "C", permit_b COLLATE "C"
"""


def conflicts_sql(table: str = "excavation_permits", *, touching: bool = False) -> sql.Composed:
    """The composed SQL of :func:`permit_conflict_pairs` (parameters ``distance``,
    ``repeat_days``, ``excluded``), e.g. for ``EXPLAIN``.

    ``touching=True`` (distance 0) tests ``ST_Intersects``, the robust predicate the
    in-memory path uses too; otherwise ``ST_DWithin``. Both use the GiST index.
    """
    geom = sql.Identifier(GEOMETRY_COLUMN)
    near = (sql.SQL("ST_Intersects(a.{g}, b.{g})") if touching else
            sql.SQL("ST_DWithin(a.{g}, b.{g}, %(distance)s)")).format(g=geom)
    return sql.SQL(_QUERY).format(
        near=near, id=sql.Identifier("permit_id"), geom=geom,
        start=sql.Identifier("planned_start"), end=sql.Identifier("planned_end"),
        status=sql.Identifier("status"), table=sql.Identifier(table),
    )


def permit_conflict_pairs(
    conn,
    *,
    distance_m: float,
    repeat_days: int,
    exclude_status: Sequence[str] = (),
    table: str = "excavation_permits",
) -> pd.DataFrame:
    """Concurrent and repeated digs computed by PostGIS on the registry's permits table.

    Parameters
    ----------
    conn : psycopg.Connection
        The registry's connection (its ``search_path`` finds ``table``).
    distance_m : float, default 0.0
        See :func:`~yangpu_gis.analysis.excavation.conflicts`.
    repeat_days : int, default 365
        See :func:`~yangpu_gis.analysis.excavation.conflicts`.
    exclude_status : sequence of str
        Permits whose ``status`` is one of these are left out (e.g. ``("已撤销",)``).
    table : str
        The permits table.

    Returns
    -------
    pandas.DataFrame
        Same columns, order and rows as :func:`~yangpu_gis.analysis.excavation.conflicts`
        (empty, with the columns, when the table does not exist).

    Raises
    ------
    ValidationError
        For a negative or non-finite ``distance_m`` or negative ``repeat_days``.
    """
    if not np.isfinite(distance_m) or distance_m < 0 or repeat_days < 0:
        raise ValidationError("distance_m and repeat_days must be >= 0")
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]
    if not exists:
        return pd.DataFrame({c: [] for c in PAIR_COLUMNS})
    params = {"distance": float(distance_m), "repeat_days": int(repeat_days),
              "excluded": list(exclude_status)}
    rows = conn.execute(conflicts_sql(table, touching=distance_m == 0), params).fetchall()
    out = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    for c in ("permit_a", "permit_b", "kind"):
        out[c] = out[c].astype("str")
    out["distance_m"] = out["distance_m"].astype(float)
    out["days_apart"] = out["days_apart"].astype(np.int64)
    return out

"""The district of a PostGIS registry: a table beside the batches table.

Created (if missing) when the registry is opened, under the schema lock; the outline is a
real ``geometry(MultiPolygon|Polygon, 4326)`` column, so QGIS and SQL can use it. Recording
is one transaction under its own advisory lock, after checking again what the table holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from ...errors import RegistryError
from ..district import DISTRICT_FIELDS
from ..tables import DISTRICT_LOCK, DISTRICT_TABLE
from .connection import one_line

__all__ = ["DISTRICT_DDL", "PostGISDistrict"]

DISTRICT_DDL = sql.SQL("""
CREATE TABLE IF NOT EXISTS {} (
    fid serial PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('district', 'part')), code text NOT NULL,
    name text NOT NULL, outline geometry(Geometry, 4326) NOT NULL, source text,
    added_at timestamptz NOT NULL DEFAULT now(), os_user text
)""").format(sql.Identifier(DISTRICT_TABLE))


class PostGISDistrict:
    """The district table of ``reg`` (a PostGISRegistry); its DDL runs at open."""

    def __init__(self, reg: Any) -> None:
        self.reg = reg

    def stored(self) -> list[dict[str, Any]]:
        """The stored rows, district row first."""
        rows = self.reg.conn.execute(sql.SQL(
            "SELECT role, code, name, ST_AsBinary(outline) FROM {} "
            "ORDER BY role = 'part', fid").format(sql.Identifier(DISTRICT_TABLE))).fetchall()
        return [{"role": r, "code": c, "name": n, "outline": bytes(o)} for r, c, n, o in rows]

    def write(self, rows: list[dict[str, Any]],
              check: Callable[[list[dict[str, Any]]], bool]) -> bool:
        """Store ``rows`` in one transaction if ``check`` (given what the table holds) says so."""
        conn = self.reg.conn
        values = sql.SQL(", ").join(
            sql.SQL("ST_GeomFromWKB({}, 4326)").format(sql.Placeholder()) if f == "outline"
            else sql.Placeholder() for f in DISTRICT_FIELDS)
        insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(DISTRICT_TABLE),
            sql.SQL(", ").join(sql.Identifier(f) for f in DISTRICT_FIELDS), values)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [DISTRICT_LOCK])
                if not check(self.stored()):
                    return False
                with conn.cursor() as cur:
                    cur.executemany(insert, [[r[f] for f in DISTRICT_FIELDS] for r in rows])
        except psycopg.Error as exc:
            raise RegistryError(f"recording the district failed and was rolled back: "
                                f"{one_line(exc, self.reg.url)}", source=self.reg.target,
                                hint="nothing was changed; fix the cause and run init again"
                                ) from exc
        return True

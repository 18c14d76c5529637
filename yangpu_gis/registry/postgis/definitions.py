"""The layer definitions of a PostGIS registry: a table beside the batches table.

Created (if missing) and read when the registry is opened, under the schema lock; a new
definition is written in one transaction under its own advisory lock, after checking
again what the table holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from ...errors import RegistryError
from ..definitions import DEFINITION_FIELDS, register_stored
from ..tables import DEFINITIONS_LOCK, DEFINITIONS_TABLE, SCHEMA_LOCK
from .connection import one_line

__all__ = ["DEFINITIONS_DDL", "PostGISDefinitions"]

DEFINITIONS_DDL = sql.SQL("""
CREATE TABLE IF NOT EXISTS {} (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{{0,40}}$'),
    definition text NOT NULL, sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{{64}}$'),
    added_at timestamptz NOT NULL DEFAULT now(), os_user text
)""").format(sql.Identifier(DEFINITIONS_TABLE))


class PostGISDefinitions:
    """The definitions table of ``reg`` (a PostGISRegistry); registers what it holds."""

    def __init__(self, reg: Any) -> None:
        self.reg = reg
        try:
            with reg.conn.transaction():
                reg.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [SCHEMA_LOCK])
                reg.conn.execute(DEFINITIONS_DDL)
            register_stored(self.stored(), reg.target)
        except psycopg.Error as exc:
            reg.conn.close()
            raise RegistryError(f"cannot read the layer definitions: {one_line(exc, reg.url)}",
                                source=reg.target) from exc
        except Exception:
            reg.conn.close()
            raise

    def stored(self) -> dict[str, str]:
        """Layer name -> definition text."""
        rows = self.reg.conn.execute(sql.SQL("SELECT name, definition FROM {} ORDER BY name")
                                     .format(sql.Identifier(DEFINITIONS_TABLE))).fetchall()
        return {str(name): str(text) for name, text in rows}

    def write(self, row: dict[str, Any], check: Callable[[dict[str, str]], bool]) -> bool:
        """Store ``row`` in one transaction if ``check`` (given what the table holds) says so."""
        conn = self.reg.conn
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [DEFINITIONS_LOCK])
                if not check(self.stored()):
                    return False
                conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(DEFINITIONS_TABLE),
                    sql.SQL(", ").join(sql.Identifier(f) for f in DEFINITION_FIELDS),
                    sql.SQL(", ").join(sql.Placeholder() for _ in DEFINITION_FIELDS)),
                    [row[f] for f in DEFINITION_FIELDS])
        except psycopg.Error as exc:
            raise RegistryError(f"storing the definition of {row['name']} failed and was "
                                f"rolled back: {one_line(exc, self.reg.url)}",
                                source=self.reg.target,
                                hint="nothing was changed; fix the cause and add it again"
                                ) from exc
        return True

"""The district of a GeoPackage registry: an ``attributes`` table in the file.

Read when the registry first needs it; written under the registry's lock in a copy-on-write
working copy (:func:`.file.locked_copy`), like every other write, so a refused or failed
``init`` leaves the file byte-for-byte as it was. Recording the district of a registry that
does not exist yet creates it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

from ..district import DISTRICT_FIELDS
from ..tables import DISTRICT_TABLE
from .batches import ensure_batches_table
from .file import damage
from .rasters import init_geopackage

__all__ = ["GeoPackageDistrict"]

# constant SQL: the table and column names are fixed here, never user input
_DDL = f"""
CREATE TABLE IF NOT EXISTS {DISTRICT_TABLE} (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    role TEXT NOT NULL CHECK (role IN ('district', 'part')), code TEXT NOT NULL,
    name TEXT NOT NULL, outline BLOB NOT NULL, source TEXT, added_at TEXT NOT NULL,
    os_user TEXT
)"""
_INSERT = (f"INSERT INTO {DISTRICT_TABLE} (" + ", ".join(DISTRICT_FIELDS)  # noqa: S608
           + ") VALUES (" + ", ".join("?" for _ in DISTRICT_FIELDS) + ")")
_SELECT = (f"SELECT role, code, name, outline FROM {DISTRICT_TABLE} "  # noqa: S608
           "ORDER BY role = 'part', fid")


def _read(con: sqlite3.Connection) -> list[dict[str, Any]]:
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                         (DISTRICT_TABLE,)).fetchone()
    if not exists:
        return []
    return [{"role": r, "code": c, "name": n, "outline": bytes(o)}
            for r, c, n, o in con.execute(_SELECT)]


class GeoPackageDistrict:
    """The district table of ``reg`` (a GeoPackageRegistry)."""

    def __init__(self, reg: Any) -> None:
        self.reg = reg

    def stored(self) -> list[dict[str, Any]]:
        """The stored rows (empty for a registry not created yet or without a district)."""
        if not self.reg.path.exists():
            return []
        with damage(self.reg.target), contextlib.closing(
                sqlite3.connect(self.reg.path.resolve().as_uri() + "?mode=ro", uri=True)) as con:
            return _read(con)

    def write(self, rows: list[dict[str, Any]],
              check: Callable[[list[dict[str, Any]]], bool]) -> bool:
        """Store ``rows`` in a working copy if ``check`` (given what the copy holds) says so."""
        with self.reg.locked_copy() as tmp:
            if not tmp.exists():  # a brand-new registry: its first write creates it
                init_geopackage(tmp)
            with contextlib.closing(sqlite3.connect(tmp)) as con:
                if not check(_read(con)):
                    return False
                with con:
                    ensure_batches_table(con)
                    con.execute(_DDL)
                    con.execute(
                        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, "
                        "identifier, description) VALUES (?, 'attributes', ?, ?)",
                        (DISTRICT_TABLE, DISTRICT_TABLE,
                         "登记册所服务的区及其边界 (the district this registry serves)"))
                    con.executemany(_INSERT, [[r["added_at"].isoformat() if f == "added_at"
                                               else r[f] for f in DISTRICT_FIELDS]
                                              for r in rows])
        return True

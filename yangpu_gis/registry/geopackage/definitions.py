"""The layer definitions of a GeoPackage registry: an ``attributes`` table in the file.

Read when the registry is opened; written under the registry's lock in a copy-on-write
working copy (:func:`.file.locked_copy`), like every other write, so an add that fails
leaves the file byte-for-byte as it was. Adding a definition to a registry that does not
exist yet creates it (an empty GeoPackage with the batches table and the definition).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

from ..definitions import DEFINITION_FIELDS, register_stored
from ..tables import DEFINITIONS_TABLE
from .batches import ensure_batches_table
from .file import damage
from .rasters import init_geopackage

__all__ = ["GeoPackageDefinitions"]

# constant SQL: the table and column names are fixed here, never user input
_DDL = f"""
CREATE TABLE IF NOT EXISTS {DEFINITIONS_TABLE} (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE, definition TEXT NOT NULL, sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL, os_user TEXT
)"""
_INSERT = (f"INSERT INTO {DEFINITIONS_TABLE} (" + ", ".join(DEFINITION_FIELDS)  # noqa: S608
           + ") VALUES (" + ", ".join("?" for _ in DEFINITION_FIELDS) + ")")
_SELECT = f"SELECT name, definition FROM {DEFINITIONS_TABLE} ORDER BY fid"  # noqa: S608


def _read(con: sqlite3.Connection) -> dict[str, str]:
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                         (DEFINITIONS_TABLE,)).fetchone()
    if not exists:
        return {}
    return {str(name): str(text) for name, text in con.execute(_SELECT)}


class GeoPackageDefinitions:
    """The definitions table of ``reg`` (a GeoPackageRegistry); registers what it holds.

    Examples
    --------
    >>> reg.definitions.stored()            # doctest: +SKIP
    {'railways': '[layer]\\nname = "railways"\\n…'}
    """

    def __init__(self, reg: Any) -> None:
        self.reg = reg
        if reg.path.exists():
            register_stored(self.stored(), reg.target)

    def stored(self) -> dict[str, str]:
        """Layer name -> definition text (empty for a registry not created yet)."""
        if not self.reg.path.exists():
            return {}
        with damage(self.reg.target), contextlib.closing(
                sqlite3.connect(self.reg.path.resolve().as_uri() + "?mode=ro", uri=True)) as con:
            return _read(con)

    def write(self, row: dict[str, Any], check: Callable[[dict[str, str]], bool]) -> bool:
        """Store ``row`` in a working copy if ``check`` (given what the copy holds) says so."""
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
                        (DEFINITIONS_TABLE, DEFINITIONS_TABLE,
                         "区自定义图层的定义 (layers the district defined)"))
                    con.execute(_INSERT, [row["added_at"].isoformat() if f == "added_at"
                                          else row[f] for f in DEFINITION_FIELDS])
        return True

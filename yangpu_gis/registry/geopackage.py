"""The embedded default backend: one GeoPackage file, no server.

All-or-nothing by copy-on-write: a load works on a copy of the file beside it and replaces
the original with one atomic ``os.replace`` only after every write succeeded, so a failure
anywhere (bad row, full disk, killed process) leaves the registry byte-for-byte as it was.
Loads are serialised by an exclusive ``flock`` on ``<file>.lock``; readers never see a
half-written file. A layer without geometry (``water_samples``) is a GeoPackage
``attributes`` table, written and replaced the same way.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from .. import settings
from ..catalogue import get_layer
from ..crs import parse_crs, transform_geometries
from ..errors import RegistryError
from ..io import Prepared
from .base import BATCH_FIELDS, Registry, empty_layers_table, ids_in
from .storage import empty_frame, from_storage, select_columns, to_storage

__all__ = ["GeoPackageRegistry", "BATCHES_TABLE"]

BATCHES_TABLE = "yangpu_batches"

_BATCH_INSERT_FIELDS = BATCH_FIELDS[1:]
# constant SQL: the table and column names are fixed here, never user input
_SELECT_BATCHES = "SELECT " + ", ".join(BATCH_FIELDS) + " FROM yangpu_batches ORDER BY batch_id"  # noqa: S608
_INSERT_BATCH = (
    "INSERT INTO yangpu_batches (" + ", ".join(_BATCH_INSERT_FIELDS) + ") VALUES ("  # noqa: S608
    + ", ".join("?" for _ in _BATCH_INSERT_FIELDS) + ")"
)
_BATCHES_DDL = """
CREATE TABLE IF NOT EXISTS yangpu_batches (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    layer TEXT NOT NULL, mode TEXT NOT NULL, source TEXT NOT NULL, source_sha256 TEXT,
    rows_read INTEGER, rows_inserted INTEGER, rows_updated INTEGER, rows_deleted INTEGER,
    encoding TEXT, source_crs TEXT, repaired_rows INTEGER, os_user TEXT, tool_version TEXT,
    loaded_at TEXT NOT NULL
)"""


class GeoPackageRegistry(Registry):
    """Registry in a GeoPackage file (created on first load).

    Parameters
    ----------
    path : str or Path
        The ``.gpkg`` file.
    """

    kind = "geopackage"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.target = str(self.path)
        if self.path.exists() and self.path.is_dir():
            raise RegistryError("the registry path is a folder", source=str(self.path),
                                hint="name a .gpkg file")

    # ----------------------------------------------------------------- reading
    def _layer_names(self) -> list[str]:
        if not self.path.exists():
            return []
        return [str(n) for n in pyogrio.list_layers(self.path)[:, 0]]

    def layers(self) -> pd.DataFrame:
        names = set(self._layer_names())
        counts = {
            name: pyogrio.read_info(self.path, layer=name)["features"]
            for name in names
            if name != BATCHES_TABLE
        }
        return empty_layers_table(counts)

    def read(self, layer, *, bbox=None, bbox_crs=None, columns=None, crs=None) -> gpd.GeoDataFrame:
        spec, cols = self._read_plan(layer, columns, bbox)
        if layer not in self._layer_names():
            return empty_frame(spec, cols, crs)
        kwargs: dict[str, Any] = {}
        if bbox is not None:
            kwargs["bbox"] = _bbox_in_working(bbox, bbox_crs or crs)
        df = pyogrio.read_dataframe(self.path, layer=layer, columns=cols, use_arrow=True,
                                    read_geometry=spec.has_geometry, **kwargs)
        df = df.sort_values(spec.id_column, kind="stable")
        return from_storage(df, _geoms(df, spec), spec, cols, crs)

    def batches(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=list(BATCH_FIELDS))
        with sqlite3.connect(self.path) as con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (BATCHES_TABLE,)
            ).fetchone()
            if not exists:
                return pd.DataFrame(columns=list(BATCH_FIELDS))
            df = pd.read_sql_query(_SELECT_BATCHES, con)
        df["loaded_at"] = pd.to_datetime(df["loaded_at"], format="ISO8601")
        return df

    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        if layer not in self._layer_names():
            return set()
        return _stored_ids(self.path, get_layer(layer), ids)

    # ----------------------------------------------------------------- writing
    @contextmanager
    def _locked_copy(self) -> Iterator[Path]:
        """Exclusive lock, then a working copy that replaces the file only on success."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp.gpkg",
                                            dir=self.path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                if self.path.exists():
                    mode = self.path.stat().st_mode & 0o7777
                    shutil.copyfile(self.path, tmp)
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    mode = 0o666 & ~umask
                    tmp.unlink()
                yield tmp
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)  # mkstemp made it 0600: keep the registry's own mode
                os.replace(tmp, self.path)
            finally:
                if tmp.exists():
                    tmp.unlink()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, prepared: Prepared, mode: str, batch: dict[str, Any]) -> dict[str, int]:
        spec = prepared.layer
        with self._locked_copy() as tmp:
            existing = [str(n) for n in pyogrio.list_layers(tmp)[:, 0]] if tmp.exists() else []
            if mode == "append" and spec.name in existing:
                # re-checked under the lock: a concurrent load may have added these ids
                ids = prepared.frame[spec.id_column].tolist()
                self._refuse_existing_ids(prepared, spec, _stored_ids(tmp, spec, ids))
            batch_id = _insert_batch(tmp, batch) if tmp.exists() else None
            new = prepared.frame
            counts = {"inserted": len(new), "updated": 0, "deleted": 0}
            if batch_id is None:  # brand-new file: the layer creates it; its first batch is 1
                _write_layer(tmp, to_storage(new, spec, 1), spec, append=False)
                batch_id = _insert_batch(tmp, batch)
                if batch_id != 1:
                    raise RegistryError("new registry file did not start at batch 1",
                                        source=self.target)
            elif mode == "append" and spec.name in existing:
                _write_layer(tmp, to_storage(new, spec, batch_id), spec, append=True)
            elif mode == "upsert" and spec.name in existing:
                cols = select_columns(spec, None)
                old = pyogrio.read_dataframe(tmp, layer=spec.name, columns=cols, use_arrow=True,
                                             read_geometry=spec.has_geometry)
                old = from_storage(old, _geoms(old, spec), spec, cols, None)
                clash = old[spec.id_column].isin(new[spec.id_column]).to_numpy()
                counts["updated"] = int(clash.sum())
                counts["inserted"] = len(new) - counts["updated"]
                merged = pd.concat([to_storage(old[~clash], spec, None),
                                    to_storage(new, spec, batch_id)], ignore_index=True)
                _write_layer(tmp, merged, spec, append=False)
            else:  # replace, or first load of this layer
                if spec.name in existing:
                    counts["deleted"] = pyogrio.read_info(tmp, layer=spec.name)["features"]
                _write_layer(tmp, to_storage(new, spec, batch_id), spec, append=False)
            _finish_batch(tmp, batch_id, counts)
        return {**counts, "batch_id": batch_id}


def _stored_ids(path: Path, spec, ids: list[str]) -> set[str]:
    """Which of ``ids`` layer ``spec`` of the GeoPackage at ``path`` holds (layer must exist)."""
    df = pyogrio.read_dataframe(path, layer=spec.name, columns=[spec.id_column],
                                read_geometry=False, use_arrow=True)
    return ids_in(df[spec.id_column].astype(object).to_numpy(), ids)


def _geoms(df: pd.DataFrame, spec) -> Any:
    """The geometries read with ``df``; None for a layer without geometry."""
    return df.geometry.values if spec.has_geometry else None


def _bbox_in_working(bbox, bbox_crs) -> tuple[float, float, float, float]:
    if bbox_crs is None:
        return tuple(bbox)
    import shapely

    src = parse_crs(bbox_crs)
    box = shapely.box(*bbox)
    dense = shapely.segmentize(box, max_segment_length=(bbox[2] - bbox[0]) / 16 or 1)
    out = transform_geometries([dense], src, pyproj.CRS.from_user_input(settings.working_crs))[0]
    return tuple(out.bounds)


def _write_layer(path: Path, stored: gpd.GeoDataFrame | pd.DataFrame, spec, *,
                 append: bool) -> None:
    """Write (or append) a layer; a layer without geometry becomes an ``attributes`` table."""
    geometry_type = {None: None, "Geometry": "Unknown"}.get(spec.storage_geometry,
                                                             spec.storage_geometry)
    datetimes = [c.name for c in spec.columns if c.type == "datetime"]
    if datetimes:
        stored = stored.copy()
        for name in datetimes:
            stored[name] = pd.to_datetime(stored[name], utc=True)
    pyogrio.write_dataframe(
        stored,
        path,
        layer=spec.name,
        driver="GPKG",
        **({"geometry_type": geometry_type} if geometry_type else {}),
        append=append,
        use_arrow=True,
        layer_options={"FID": "fid", "DESCRIPTION": spec.label},
    )
    with sqlite3.connect(path) as con:
        if not append:
            con.execute(
                f'CREATE UNIQUE INDEX IF NOT EXISTS "{spec.name}_{spec.id_column}_key" '
                f'ON "{spec.name}" ("{spec.id_column}")'
            )
    if datetimes:
        gpkg_datetimes_to_standard(path, spec.name, datetimes)


def gpkg_datetimes_to_standard(path: Path, table: str, columns: list[str]) -> None:
    """Rewrite DATETIME columns as GeoPackage 1.3 Req. 5 says: UTC ``YYYY-MM-DDTHH:MM:SS.SSSZ``.

    GDAL writes a UTC value with ``Z`` but without milliseconds when they are zero; this adds
    them. Values must already be UTC (written from UTC timestamps). ``table`` and
    ``columns`` are catalogue names (constant identifiers), never data.
    """
    with sqlite3.connect(path) as con:
        _refuse_geometry_functions(con)
        for name in columns:
            con.execute(
                f'UPDATE "{table}" SET "{name}" = '  # noqa: S608
                f"strftime('%Y-%m-%dT%H:%M:%fZ', \"{name}\") "
                f'WHERE "{name}" IS NOT NULL AND "{name}" NOT LIKE \'%.___Z\' '
                f"AND strftime('%Y-%m-%dT%H:%M:%fZ', \"{name}\") IS NOT NULL"
            )
    con.close()


def _geometry_function_called(*_args: object) -> None:
    raise sqlite3.OperationalError("a geometry trigger ran during an attribute update")


def _refuse_geometry_functions(con: sqlite3.Connection) -> None:
    """Let SQLite prepare GDAL's R-tree triggers for an attribute-only ``UPDATE``.

    The triggers name ``ST_IsEmpty``/``ST_MinX``… (GDAL's SQL functions, absent from plain
    SQLite); they only fire when the geometry or the fid changes, which an attribute update
    never does. Should one fire anyway, it raises and the load fails as a whole.
    """
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, _geometry_function_called)


def _ensure_batches(con: sqlite3.Connection) -> None:
    con.execute(_BATCHES_DDL)
    con.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, '每次入库的记录 (one row per load)')",
        (BATCHES_TABLE, BATCHES_TABLE),
    )


def _insert_batch(path: Path, batch: dict[str, Any]) -> int:
    with sqlite3.connect(path) as con:
        _ensure_batches(con)
        row = {**batch, "loaded_at": batch["loaded_at"].isoformat()}
        cur = con.execute(_INSERT_BATCH, [row.get(n) for n in _BATCH_INSERT_FIELDS])
        return int(cur.lastrowid)


def _finish_batch(path: Path, batch_id: int, counts: dict[str, int]) -> None:
    with sqlite3.connect(path) as con:
        con.execute(
            "UPDATE yangpu_batches SET rows_inserted=?, rows_updated=?, rows_deleted=? "
            "WHERE batch_id=?",
            (counts["inserted"], counts["updated"], counts["deleted"], batch_id),
        )

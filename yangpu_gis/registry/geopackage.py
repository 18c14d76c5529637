"""The embedded default backend: one GeoPackage file, no server.

All-or-nothing by copy-on-write: a load works on a copy of the file beside it and replaces
the original with one atomic ``os.replace`` only after every write succeeded, so a failure
anywhere (bad row, full disk, killed process) leaves the registry byte-for-byte as it was.
Loads are serialised by an exclusive ``flock`` on ``<file>.lock``; readers never see a
half-written file. A layer without geometry (``water_samples``) is a GeoPackage
``attributes`` table, written and replaced the same way.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from .. import settings
from ..catalogue import get_layer
from ..crs import parse_crs, transform_geometries
from ..errors import RegistryError
from ..io import Prepared
from .base import BATCH_FIELDS, Registry, empty_layers_table, ids_in, unchanged_rows
from .storage import empty_frame, from_storage, select_columns, to_storage

__all__ = ["BATCHES_TABLE", "GeoPackageRegistry", "check_registry_file"]

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

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.target = str(path)
        # every lock, working copy and replacement is made on the real file: a load through a
        # symbolic link and one through the file itself share one lock, and the link stays
        self.path = Path(os.path.realpath(path))
        self.create = create
        self._writing = False
        if self.path.is_dir():
            raise RegistryError("the registry path is a folder", source=self.target,
                                hint="name a .gpkg file")
        if self.path.exists():
            check_registry_file(self.path, self.target)

    @contextmanager
    def _creating(self) -> Iterator[None]:
        was, self._writing = self._writing, True
        try:
            yield
        finally:
            self._writing = was

    def _exists(self) -> bool:
        """Whether the file exists; a reading call on a registry that does not exist (a
        mistyped path) is refused unless the registry was opened with ``create=True`` or a
        load is creating it."""
        if self.path.exists():
            return True
        if self.create or self._writing:
            return False
        raise RegistryError(
            "no registry here: the file does not exist", source=self.target,
            hint="check the path (and --registry / $YANGPU_GIS_REGISTRY); `yangpu-gis load` "
            "or `yangpu-gis demo` creates a registry",
        )

    # ----------------------------------------------------------------- reading
    def _layer_names(self) -> list[str]:
        if not self._exists():
            return []
        with _damage(self.target):
            return [str(n) for n in pyogrio.list_layers(self.path)[:, 0]]

    def layers(self) -> pd.DataFrame:
        names = set(self._layer_names())
        with _damage(self.target):
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
        with _damage(self.target):
            df = pyogrio.read_dataframe(self.path, layer=layer, columns=cols, use_arrow=True,
                                        read_geometry=spec.has_geometry, **kwargs)
        df = df.sort_values(spec.id_column, kind="stable")
        return from_storage(df, _geoms(df, spec), spec, cols, crs)

    def batches(self) -> pd.DataFrame:
        if not self._exists():
            return pd.DataFrame(columns=list(BATCH_FIELDS))
        with _damage(self.target), contextlib.closing(sqlite3.connect(self.path)) as con:
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
        with _damage(self.target):
            return _stored_ids(self.path, get_layer(layer), ids)

    # ----------------------------------------------------------------- writing
    @contextmanager
    def _locked_copy(self, needed: int = 0) -> Iterator[Path]:
        """Exclusive lock, then a working copy that replaces the file only on success.

        The working copy is named after this process (``.<name>.<pid>.<random>.tmp.gpkg``);
        copies and journals left by a killed load are removed under the lock (no other load
        of this registry can be running then). A full disk or an unwritable folder is one
        :class:`RegistryError`, and the registry is left as it was. ``needed`` estimates the
        bytes the writes add (GDAL reports a full disk as a failed COMMIT: a writer error with
        less free space than the copy and ``needed`` is a full disk).
        """
        with self._creating(), _registry_lock(self.path):
            _remove_stale_copies(self.path)
            tmp = self.path.with_name(
                f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp.gpkg")
            needed += self.path.stat().st_size if self.path.exists() else 0
            try:
                with _disk_errors(self.target, self.path, needed):
                    if self.path.exists():
                        check_registry_file(self.path, self.target)
                        mode = self.path.stat().st_mode & 0o7777
                        shutil.copyfile(self.path, tmp)
                    else:
                        umask = os.umask(0)
                        os.umask(umask)
                        mode = 0o666 & ~umask
                with _disk_errors(self.target, self.path, needed):
                    yield tmp
                with _disk_errors(self.target, self.path, needed):
                    with open(tmp, "rb+") as fh:
                        os.fsync(fh.fileno())
                    os.chmod(tmp, mode)
                    os.replace(tmp, self.path)
                    _fsync_dir(self.path.parent)
            finally:
                _remove_copy(tmp)

    def _write(self, prepared: Prepared, mode: str, batch: dict[str, Any]) -> dict[str, int]:
        with self._locked_copy(needed=_space_needed(prepared)) as tmp:
            return self._write_copy(tmp, prepared, mode, batch)

    def _write_copy(self, tmp: Path, prepared: Prepared, mode: str,
                    batch: dict[str, Any]) -> dict[str, int]:
        spec = prepared.layer
        existing = [str(n) for n in pyogrio.list_layers(tmp)[:, 0]] if tmp.exists() else []
        if mode == "append" and spec.name in existing:
            # re-checked under the lock: a concurrent load may have added these ids
            ids = prepared.frame[spec.id_column].tolist()
            self._refuse_existing_ids(prepared, spec, _stored_ids(tmp, spec, ids))
        batch_id = _insert_batch(tmp, batch) if tmp.exists() else None
        new = prepared.frame
        counts = {"inserted": len(new), "updated": 0, "unchanged": 0, "deleted": 0}
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
            same = unchanged_rows(old, new, spec)  # new rows equal to the stored ones
            clash = old[spec.id_column].isin(new[spec.id_column]).to_numpy()
            keep = ~clash | old[spec.id_column].isin(new[spec.id_column][same]).to_numpy()
            counts["unchanged"] = int(same.sum())
            counts["updated"] = int(clash.sum()) - counts["unchanged"]
            counts["inserted"] = len(new) - int(clash.sum())
            merged = pd.concat([to_storage(old[keep], spec, None),
                                to_storage(new[~same], spec, batch_id)], ignore_index=True)
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


# --------------------------------------------------------------------------- the file itself
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


def check_registry_file(path: Path, target: str | None = None) -> None:
    """Refuse a file that is not an intact yangpu registry GeoPackage, in one sentence.

    Checks, without reading the layers: a regular file, not empty, an SQLite database whose
    length matches its header (a truncated copy fails here), a GeoPackage (``gpkg_contents``),
    and a yangpu registry (``yangpu_batches``).

    Raises
    ------
    RegistryError
    """
    where = target or str(path)
    hint = ("restore the file from a backup, or give the right --registry; a new registry is "
            "made by `yangpu-gis load` or `yangpu-gis demo` at a path that does not exist yet")
    if not path.is_file():
        raise RegistryError("the registry path is not a regular file", source=where, hint=hint)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise RegistryError(f"cannot read the registry: {exc.strerror or exc}", source=where,
                            hint="check the file's permissions") from None
    if size == 0:
        raise RegistryError("the registry file is empty (0 bytes): it is damaged",
                            source=where, hint=hint)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise RegistryError("the registry file is damaged or not a GeoPackage (no SQLite "
                            "header)", source=where, hint=hint)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    change = int.from_bytes(header[24:28], "big")
    if pages and valid_for == change and size < pages * page_size:
        raise RegistryError(f"the registry file is truncated ({size:,} of "
                            f"{pages * page_size:,} bytes): it is damaged",
                            source=where, hint=hint)
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise RegistryError(f"the registry file is damaged: {exc}", source=where,
                            hint=hint) from None
    if "gpkg_contents" not in tables:
        raise RegistryError("the file is an SQLite database but not a GeoPackage",
                            source=where, hint=hint)
    if BATCHES_TABLE not in tables:
        raise RegistryError(f"the file is a GeoPackage but not a yangpu registry (it has no "
                            f"{BATCHES_TABLE} table)", source=where,
                            hint="give the registry with --registry; load this GeoPackage "
                            "into it with `yangpu-gis load FILE --layer …`")


@contextmanager
def _damage(target: str) -> Iterator[None]:
    """Errors from SQLite or GDAL while reading the registry: one RegistryError."""
    try:
        yield
    except (sqlite3.DatabaseError, pyogrio.errors.DataSourceError,
            pyogrio.errors.DataLayerError) as exc:
        raise RegistryError(f"the registry file is damaged: {_first_line(exc)}", source=target,
                            hint="restore the file from a backup") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_DISK_FULL_TEXT = re.compile(r"no space left|disk is full|disk full|quota exceeded|file too "
                             r"large", re.IGNORECASE)


@contextmanager
def _disk_errors(target: str, path: Path, needed: int = 0) -> Iterator[None]:
    """A full disk or an unwritable folder while copying or writing: one RegistryError."""
    from ..errors import YangpuGisError

    try:
        yield
    except YangpuGisError:
        raise
    except Exception as exc:
        full = ((isinstance(exc, OSError) and exc.errno in _DISK_FULL)
                or bool(_DISK_FULL_TEXT.search(str(exc)))
                # GDAL often reports a full disk as a failed COMMIT: ask the disk itself
                # (the working copy still fills it at this point)
                or (_writer_error(exc) and _nearly_full(path.parent, reserve=needed)))
        if full:
            raise RegistryError(
                f"the disk is full: the load could not be written beside the registry "
                f"({path.parent}); nothing was changed", source=target,
                hint="free space there (a load needs room for a copy of the registry plus "
                "the new rows) and load again") from exc
        if _writer_error(exc):
            raise RegistryError(
                f"writing the registry's working copy failed: {_first_line(exc)}; nothing was "
                "changed", source=target,
                hint="check the disk and the folder beside the registry, then load again"
            ) from exc
        if isinstance(exc, PermissionError | OSError) and not isinstance(exc, sqlite3.Error):
            raise RegistryError(
                f"cannot write beside the registry ({path.parent}): "
                f"{exc.strerror or _first_line(exc)}; nothing was changed", source=target,
                hint="check that the folder is writable") from exc
        raise


def _writer_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error | pyogrio.errors.DataSourceError
                      | pyogrio.errors.DataLayerError | pyogrio.errors.FieldError)


def _nearly_full(folder: Path, *, reserve: int = 0) -> bool:
    """Whether the file system of ``folder`` has less than ``reserve`` (at least 1 MiB) free."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < max(reserve, 1 << 20)


def _space_needed(prepared: Prepared) -> int:
    """A generous estimate of the bytes a load adds to the working copy: the geometries' WKB
    and the attributes, three times (pages, R-tree and unique index, rollback journal)."""
    frame = prepared.frame
    total = 0
    for name in frame.columns:
        col = frame[name]
        if name == getattr(frame, "_geometry_column_name", None):
            import shapely

            wkb = shapely.to_wkb(np.asarray(col.values, dtype=object))
            total += int(sum(len(b) for b in wkb if b is not None))
        elif col.dtype == object or str(col.dtype).startswith(("string", "str")):
            total += int(col.astype(str).str.len().sum())
        else:
            total += 16 * len(col)
    return 3 * total


# Working copies: .<name>.<pid>.<random>.tmp.gpkg (and, from older versions,
# .<name>.<random>.tmp.gpkg), each with the journals SQLite may leave beside it.
_COPY_SUFFIXES = ("", "-journal", "-wal", "-shm")


def _copy_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)\.)?[A-Za-z0-9_]+\.tmp\.gpkg"
                      r"(?:-journal|-wal|-shm)?")


def _remove_copy(tmp: Path) -> None:
    for suffix in _COPY_SUFFIXES:
        with contextlib.suppress(FileNotFoundError):
            tmp.with_name(tmp.name + suffix).unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_copies(path: Path) -> list[Path]:
    """Remove working copies (and journals) of ``path`` left by loads that were killed.

    Called with the registry's lock held: no load of this registry is running, so a copy is
    stale; one named after a process that is still alive is kept all the same.
    """
    pattern = _copy_pattern(path)
    removed = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return removed
    for name in names:
        m = pattern.fullmatch(name)
        if not m or (m.group(1) and _alive(int(m.group(1)))):
            continue
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            (path.parent / name).unlink()
            removed.append(path.parent / name)
    return removed


@contextmanager
def _registry_lock(path: Path) -> Iterator[int]:
    """An exclusive ``flock`` on ``<file>.lock`` beside the real file, removed on release.

    The lock file is unlinked while still locked; a process that was waiting on the old
    file sees that the path now names another file (or none) and locks again, so two loads
    never both hold the lock.
    """
    lock_path = path.with_name(path.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise RegistryError(f"cannot create the lock file {lock_path.name}: "
                                f"{exc.strerror or exc}", source=str(path),
                                hint="check that the registry's folder is writable") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield fd
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

"""The registry file itself: integrity check, lock, copy-on-write working copy, disk errors.

All-or-nothing by copy-on-write: a load works on a copy of the file beside it and replaces
the original with one atomic ``os.replace`` only after every write succeeded, so a failure
anywhere (bad row, full disk, killed process) leaves the registry byte-for-byte as it was.
Loads are serialised by an exclusive ``flock`` on ``<file>.lock``; readers never see a
half-written file.
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

import numpy as np
import pyogrio

from ...errors import RegistryError, YangpuGisError
from ...io import Prepared
from ..tables import BATCHES_TABLE

__all__ = ["check_registry_file", "damage", "first_line", "locked_copy", "remove_stale_copies",
           "space_needed"]

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
def damage(target: str) -> Iterator[None]:
    """Errors from SQLite or GDAL while reading the registry: one RegistryError."""
    try:
        yield
    except (sqlite3.DatabaseError, pyogrio.errors.DataSourceError,
            pyogrio.errors.DataLayerError) as exc:
        raise RegistryError(f"the registry file is damaged: {first_line(exc)}", source=target,
                            hint="restore the file from a backup") from exc


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_DISK_FULL_TEXT = re.compile(r"no space left|disk is full|disk full|quota exceeded|file too "
                             r"large", re.IGNORECASE)


@contextmanager
def _disk_errors(target: str, path: Path, needed: int = 0) -> Iterator[None]:
    """A full disk or an unwritable folder while copying or writing: one RegistryError."""

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
                f"writing the registry's working copy failed: {first_line(exc)}; nothing was "
                "changed", source=target,
                hint="check the disk and the folder beside the registry, then load again"
            ) from exc
        if isinstance(exc, PermissionError | OSError) and not isinstance(exc, sqlite3.Error):
            raise RegistryError(
                f"cannot write beside the registry ({path.parent}): "
                f"{exc.strerror or first_line(exc)}; nothing was changed", source=target,
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


def space_needed(prepared: Prepared) -> int:
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


def remove_stale_copies(path: Path) -> list[Path]:
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


def working_connection(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """A connection to a working copy, without an fsync per commit: the copy is fsynced once
    before it replaces the registry (:func:`locked_copy`), and a crash leaves only the copy,
    which is discarded. Use as ``with working_connection(tmp) as con, con:``."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    return contextlib.closing(con)


@contextmanager
def unsynced_gdal() -> Iterator[None]:
    """GDAL writes into a working copy without an fsync per commit (as
    :func:`working_connection`); the previous setting is restored afterwards."""
    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": before})


@contextmanager
def locked_copy(path: Path, target: str, needed: int = 0) -> Iterator[Path]:
    """Exclusive lock, then a working copy of ``path`` that replaces it only on success.

    The working copy is named after this process (``.<name>.<pid>.<random>.tmp.gpkg``);
    copies and journals left by a killed load are removed under the lock (no other load
    of this registry can be running then). A full disk or an unwritable folder is one
    :class:`RegistryError`, and the registry is left as it was. ``needed`` estimates the
    bytes the writes add (GDAL reports a full disk as a failed COMMIT: a writer error with
    less free space than the copy and ``needed`` is a full disk).
    """
    with _registry_lock(path):
        remove_stale_copies(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp.gpkg")
        needed += path.stat().st_size if path.exists() else 0
        try:
            with _disk_errors(target, path, needed):
                if path.exists():
                    check_registry_file(path, target)
                    mode = path.stat().st_mode & 0o7777
                    shutil.copyfile(path, tmp)
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    mode = 0o666 & ~umask
            with _disk_errors(target, path, needed):
                yield tmp
            if not tmp.exists():
                return  # nothing was written (a new registry that was never created)
            with _disk_errors(target, path, needed):
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, path)
                _fsync_dir(path.parent)
        finally:
            _remove_copy(tmp)

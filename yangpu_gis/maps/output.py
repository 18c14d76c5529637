"""Writing map files: whole or not at all, and a clear error when the path cannot be written."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from os import PathLike
from pathlib import Path

from ..errors import ValidationError, YangpuGisError

__all__ = ["check_target", "write_atomic"]

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or write the map elsewhere with -o",
    errno.EDQUOT: "the disk quota is used up: free some space, or write the map elsewhere",
    errno.EFBIG: "the file is larger than this system allows (ulimit -f) or the disk is full",
    errno.EACCES: "choose a folder you can write to (-o)",
    errno.EPERM: "choose a folder you can write to (-o)",
    errno.EROFS: "the file system is read-only: write the map elsewhere (-o)",
    errno.ENOTDIR: "part of the path is a file, not a folder: check the -o path",
    errno.ENAMETOOLONG: "use a shorter file name",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _error(exc: OSError, path: Path) -> YangpuGisError:
    reason = exc.strerror or str(exc)
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return YangpuGisError(f"cannot write the map: {blocker} is a file, not a folder",
                              source=str(path), hint="check the -o path")
    return YangpuGisError(f"cannot write the map: {reason}", source=str(path),
                          hint=_HINTS.get(exc.errno, "check the -o path"))


def check_target(path: str | PathLike, suffixes: tuple[str, ...] | None = None) -> Path:
    """Refuse an output path that is a folder (or of another kind than ``suffixes``), before
    any work is done; return it.

    Raises
    ------
    ValidationError
        If ``path`` is an existing folder, or its extension is not one of ``suffixes``.
    """
    path = Path(path)
    if path.is_dir():
        raise ValidationError("the map's output path is a folder", source=str(path),
                              hint=f"give a file name, e.g. -o {path / 'map.html'}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ValidationError(
            f"a map is written as {' or '.join(suffixes)}, not {path.suffix or 'a file without extension'}",
            source=str(path), hint=f"e.g. -o {path.with_suffix(suffixes[0]).name}")
    return path


def write_atomic(path: str | PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it onto ``path``.

    The target is replaced only once the file is complete (``os.replace``), so a failure
    (disk full, a killed process) never leaves a partial map; the temporary file is removed.

    Parameters
    ----------
    path : str or path-like
        The file to write; missing parent folders are created. A symbolic link is followed
        (the file it points to is replaced).
    write : callable
        Writes the whole content to the path it is given.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValidationError
        If ``path`` is an existing folder.
    YangpuGisError
        If the file cannot be written (permissions, disk full, read-only file system …),
        naming the path.
    """
    path = check_target(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise _error(exc, path) from exc
    finally:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass
    return path

"""The folder an analysis writes its results into: made when missing, refused clearly when not.

Every ``analyze`` command (and the demo) writes CSV tables, a GeoPackage and a map into one
``--out`` folder; this is where that folder is checked, once for all of them.
"""

from __future__ import annotations

import errno
import os
from os import PathLike
from pathlib import Path

from .errors import ValidationError, YangpuGisError

__all__ = ["out_folder"]

_HINTS = {
    errno.EACCES: "choose a folder you can write to (--out)",
    errno.EPERM: "choose a folder you can write to (--out)",
    errno.EROFS: "the file system is read-only: write the results elsewhere (--out)",
    errno.ENOSPC: "the disk is full: free some space, or write the results elsewhere (--out)",
    errno.ENAMETOOLONG: "use a shorter folder name",
}


def out_folder(path: str | PathLike) -> Path:
    """The results folder ``path``, created with its parents when missing.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValidationError
        If ``path`` (or a folder above it) is an existing file (exit code 2).
    YangpuGisError
        If the folder cannot be made or written into (permissions, read-only, disk full).
    """
    path = Path(path)
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ValidationError(f"the output folder cannot be made: {blocker} is a file",
                              source=str(path), hint="give a folder with --out (a new name is "
                              "created)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise YangpuGisError(f"cannot make the output folder: {exc.strerror or exc}",
                             source=str(path),
                             hint=_HINTS.get(exc.errno, "check the --out path")) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise YangpuGisError("cannot write into the output folder: permission denied",
                             source=str(path), hint=_HINTS[errno.EACCES])
    return path

"""The folder an analysis writes its results into: made when missing, refused clearly when not.

Every ``analyze`` command (and the demo) writes CSV tables, a GeoPackage and a map into one
``--out`` folder; this is where that folder is checked, once for all of them, and where a
writer that fails half-way (a full disk) takes back the files it had already written
(:func:`writes_results`).
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from .errors import ValidationError, YangpuGisError

__all__ = ["out_folder", "writes_results"]

F = TypeVar("F", bound=Callable[..., Any])

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


def _files_under(folder: Path) -> set[Path]:
    if not folder.is_dir():
        return set()
    return {p for p in folder.rglob("*")}


def writes_results(param: str) -> Callable[[F], F]:
    """Decorate a results writer so that a failure leaves no file of this run behind.

    The writer's ``param`` argument is its output folder. Files and folders the call
    created are removed again when it raises (files of an earlier run that it had not
    reached stay as they were), and an :class:`OSError` such as a full disk becomes one
    :class:`~yangpu_gis.errors.YangpuGisError` naming the folder.

    Parameters
    ----------
    param : str
        Name of the writer's output-folder parameter.
    """

    def decorate(writer: F) -> F:
        signature = inspect.signature(writer)

        @functools.wraps(writer)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            folder = Path(signature.bind(*args, **kwargs).arguments[param])
            missing = [p for p in (folder, *folder.parents) if not p.exists()]
            before = _files_under(folder)
            try:
                return writer(*args, **kwargs)
            except BaseException as exc:
                new = sorted(_files_under(folder) - before, key=lambda p: len(p.parts),
                             reverse=True)
                for path in [*new, *missing]:
                    try:
                        path.rmdir() if path.is_dir() else path.unlink()
                    except OSError:
                        pass
                if isinstance(exc, OSError):
                    reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) \
                        else (exc.strerror or str(exc))
                    raise YangpuGisError(
                        f"cannot write the results: {reason}; the files of this run were "
                        "removed", source=str(folder),
                        hint=_HINTS.get(exc.errno, "check the --out folder")) from exc
                raise

        return guarded  # type: ignore[return-value]

    return decorate

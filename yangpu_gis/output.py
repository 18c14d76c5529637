"""Writing files safely: the one place that turns a failed write into a clear refusal.

* :func:`out_folder` — the folder an analysis writes its results into: made when missing,
  refused clearly when it is a file or cannot be written;
* :func:`writes_results` — a results writer that fails half-way (a full disk) takes back
  the files it had already written;
* :func:`check_target` / :func:`write_atomic` — one output file (a map, an exported layer)
  written whole or not at all, through a temporary file beside it.

Every ``analyze`` command, the demo, ``map`` and ``export`` write through these.
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
import tempfile
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from .errors import ValidationError, YangpuGisError

__all__ = ["check_target", "out_folder", "write_atomic", "write_error", "writes_results"]

F = TypeVar("F", bound=Callable[..., Any])

#: Why a write failed, by ``errno``, in the words every refusal of the package uses.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is larger than this system allows (ulimit -f) or the disk is full",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the name is too long",
}
#: What to do about it; ``{option}`` is the option naming the output (``-o``, ``--out``).
_FIXES = {
    errno.ENOSPC: "free some space, or write elsewhere ({option})",
    errno.EDQUOT: "free some space, or write elsewhere ({option})",
    errno.EFBIG: "free some space, or write elsewhere ({option})",
    errno.EACCES: "choose a folder you can write to ({option})",
    errno.EPERM: "choose a folder you can write to ({option})",
    errno.EROFS: "write elsewhere ({option})",
    errno.ENAMETOOLONG: "use a shorter name ({option})",
}


def write_error(exc: OSError, path: str | PathLike, what: str, option: str = "-o",
                *, after: str = "", system_words: bool = True,
                hint: str | None = None) -> YangpuGisError:
    """The refusal for a failed write: ``cannot write <what>: <reason><after>``, with a hint.

    Parameters
    ----------
    exc : OSError
    path : path-like
        What was being written (the error's source).
    what : str
        ``"the map"``, ``"the export"``, ``"the results"``, ``"into the output folder"``.
    option : str
        The option that names the output, for the hint.
    after : str
        Appended to the reason (``"; the files of this run were removed"``).
    system_words : bool
        Add the system's own message in brackets when it says more than the reason
        (``the disk is full (No space left on device)``); GDAL's long messages are left out.
    hint : str, optional
        The hint, instead of the one for this ``errno``.
    """
    reason = _REASONS.get(exc.errno) or exc.strerror or str(exc)
    if system_words and exc.strerror and exc.strerror.lower() != reason.lower():
        reason += f" ({exc.strerror})"  # the system's own words, as a search engine knows them
    fix = hint or _FIXES.get(exc.errno, "check the {option} path").format(option=option)
    return YangpuGisError(f"cannot write {what}: {reason}{after}", source=str(path), hint=fix)


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
        raise write_error(exc, path, "into the output folder", "--out") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise write_error(OSError(errno.EACCES, "Permission denied"), path,
                          "into the output folder", "--out")
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
                    raise write_error(exc, folder, "the results", "--out",
                                      after="; the files of this run were removed") from exc
                raise

        return guarded  # type: ignore[return-value]

    return decorate


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _error(exc: OSError, path: Path, what: str) -> YangpuGisError:
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return YangpuGisError(f"cannot write {what}: {blocker} is a file, not a folder",
                              source=str(path), hint="check the -o path")
    return write_error(exc, path, what)


def check_target(path: str | PathLike, suffixes: tuple[str, ...] | None = None, *,
                 what: str = "map", example: str = "map.html") -> Path:
    """Refuse an output path that is a folder (or of another kind than ``suffixes``), before
    any work is done; return it.

    ``what`` names the output in the refusal (``map``, ``change list``) and ``example`` is
    the file name its hint suggests inside a folder.

    Raises
    ------
    ValidationError
        If ``path`` is an existing folder, or its extension is not one of ``suffixes``.
    """
    path = Path(path)
    if path.is_dir():
        raise ValidationError(f"the {what}'s output path is a folder", source=str(path),
                              hint=f"give a file name, e.g. -o {path / example}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ValidationError(
            f"a {what} is written as {' or '.join(suffixes)}, not {path.suffix or 'a file without extension'}",
            source=str(path), hint=f"e.g. -o {path.with_suffix(suffixes[0]).name}")
    return path


def write_atomic(path: str | PathLike, write: Callable[[Path], None], *,
                 what: str = "the map") -> Path:
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
    what : str
        What is written, for the refusal (``cannot write the map: the disk is full``).

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
        raise _error(exc, path, what) from exc
    finally:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass
    return path

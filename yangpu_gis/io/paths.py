"""Check that an input path names one readable file, before any reader touches it.

``Path.exists()`` raises for a name longer than the file system allows, and a file without
read permission only fails deep inside GDAL, hashlib or the DBF reader, as a traceback. Each
of those is a refusal naming the file and what to do.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import SourceError

__all__ = ["check_input_file", "check_readable"]


def check_input_file(p: Path) -> None:
    """Refuse ``p`` unless it is an existing, non-empty, readable regular file.

    Raises
    ------
    SourceError
        Not found, a folder, empty, not readable, or a name the system refuses.
    """
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise SourceError("file not found", source=str(p),
                          hint="check the path and its spelling") from None
    except OSError as exc:
        reasons = {
            errno.ENAMETOOLONG: "the file name is too long for this system",
            errno.ELOOP: "the path is a symbolic link loop",
            errno.ENOTDIR: "file not found (a part of the path is a file, not a folder)",
            errno.EACCES: "permission denied on a folder of the path",
        }
        raise SourceError(reasons.get(exc.errno, f"cannot open it: {exc.strerror}"),
                          source=str(p), hint="check the path and its permissions") from None
    if os.path.isdir(p):
        raise SourceError(
            "this is a folder", source=str(p), hint="name one file, or use scripts/load_folder.py"
        )
    if st.st_size == 0:
        raise SourceError("empty file (0 bytes)", source=str(p), hint="re-export or re-copy it")
    check_readable(p)


def check_readable(p: Path) -> None:
    """Refuse a file that cannot be opened for reading (permissions, a FIFO, …).

    Raises
    ------
    SourceError
        Naming the file and the system's reason.
    """
    if not os.path.isfile(p):
        raise SourceError("not a regular file", source=str(p),
                          hint="name a file (not a device, pipe or socket)")
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        raise SourceError("permission denied: the file cannot be read", source=str(p),
                          hint="ask for read access, or copy the file somewhere you may "
                          "read it (chmod a+r)") from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror}", source=str(p),
                          hint="check the file and its permissions") from None

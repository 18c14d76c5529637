"""Read a zipped shapefile safely: members from the archive only, names checked, size capped.

A zip is untrusted input like any other file. Its member names may climb out of the archive
(``../../elsewhere/roads.shp``), be absolute (``/etc/...``, ``C:\\...``), be symbolic links
or appear twice; its declared sizes may lie; it may expand a thousandfold (a zip bomb). The
members of the one shapefile to load are therefore copied, under sanitised flat names, into a
private temporary folder the caller owns, counting every byte written, and the archive is
refused with the member named when anything is off.
"""

from __future__ import annotations

import errno
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import settings
from ..errors import SourceError, YangpuGisError

__all__ = ["ZipMember", "check_members", "extract_shapefile", "open_zip"]

#: Below this many expanded bytes the compression ratio is not checked (a tiny file of
#: blanks compresses a lot without being a bomb).
RATIO_FLOOR_BYTES = 1 << 20
_CHUNK = 1 << 16
_MIB = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
#: Errors the standard library raises for damaged archives and members.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError,
              NotImplementedError, RuntimeError, OverflowError, IndexError, KeyError)
_RAISE_HINT = ("if the archive is genuine, raise the limit with $YANGPU_GIS_ZIP_MAX_MB / "
               "$YANGPU_GIS_ZIP_MAX_RATIO (or yangpu_gis.settings.zip_max_mb / zip_max_ratio)")


@dataclass(frozen=True)
class ZipMember:
    """One archive member: its stored entry and its checked, normalised path."""

    info: zipfile.ZipInfo
    path: PurePosixPath

    @property
    def name(self) -> str:
        """The member's name as stored (shown in messages)."""
        return self.info.filename


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip archive.

    Raises
    ------
    SourceError
        When it is not a readable zip archive (damaged, truncated, another format).
    """
    try:
        return zipfile.ZipFile(path)
    except (*ZIP_ERRORS, UnicodeDecodeError) as exc:
        raise SourceError(f"damaged zip archive ({exc})", source=str(path),
                          hint="the archive is truncated or not a zip; copy it again") from exc
    except OSError as exc:
        raise SourceError(f"cannot read the zip archive ({exc.strerror or exc})",
                          source=str(path)) from exc


def _refuse(path: Path, member: str, what: str, hint: str | None = None) -> SourceError:
    return SourceError(
        f"unsafe zip member {member!r}: {what}; nothing was extracted",
        source=str(path),
        hint=hint or "re-create the zip with the shapefile's files at its top level "
        "(or in plain sub-folders), e.g. `zip roads.zip roads.shp roads.shx roads.dbf roads.prj`",
    )


def _member_path(path: Path, info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's name as a relative POSIX path, or a refusal saying what is wrong."""
    name = info.filename
    if "\x00" in info.orig_filename:  # zipfile cuts the name there: "x.txt\0.shp" -> "x.txt"
        raise _refuse(path, info.orig_filename, "its name contains a NUL character")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise _refuse(path, name, "an absolute path (it would be read from outside the archive)")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _refuse(path, name, "its path climbs out of the archive with '..'")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse(path, name, "a symbolic link (it would point outside the archive)")
    if info.flag_bits & 0x1:
        raise SourceError(f"zip member {name!r} is password-protected", source=str(path),
                          hint="send the archive without a password")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def check_members(path: Path, archive: zipfile.ZipFile) -> list[ZipMember]:
    """Every file member of ``archive`` with its checked path (folders and ``__MACOSX``
    resources left out).

    Raises
    ------
    SourceError
        Naming the first member whose name is absolute, climbs out with ``..``, is a symbolic
        link, is encrypted, or appears twice.
    """
    members: list[ZipMember] = []
    seen: dict[str, str] = {}
    try:
        infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise SourceError(f"damaged zip archive ({exc})", source=str(path),
                          hint="copy it again") from exc
    for info in infos:
        member_path = _member_path(path, info)
        if info.is_dir() or stat.S_ISDIR(info.external_attr >> 16):
            continue
        key = member_path.as_posix().casefold()
        if key in seen:
            raise _refuse(path, info.filename, f"the archive holds it twice (also as "
                          f"{seen[key]!r}), so which one is meant is ambiguous",
                          hint="re-create the zip with each file once")
        seen[key] = info.filename
        if "__MACOSX" in member_path.parts or member_path.name.startswith("._"):
            continue
        members.append(ZipMember(info, member_path))
    return members


def _packed(path: Path, chosen: list[ZipMember]) -> int:
    """Compressed bytes of ``chosen``: as declared, but never more than the archive holds
    (a forged compressed size cannot hide a ratio)."""
    return min(sum(m.info.compress_size for m in chosen), path.stat().st_size)


def _check_declared(path: Path, chosen: list[ZipMember]) -> None:
    _check_limits(path, sum(m.info.file_size for m in chosen), _packed(path, chosen), "declares")


def _check_limits(path: Path, total: int, packed: int, verb: str) -> None:
    limit = settings.zip_max_mb * _MIB
    if total > limit:
        raise SourceError(
            f"the zip {verb} {total / _MIB:,.1f} MiB of expanded data, above the limit of "
            f"{settings.zip_max_mb:g} MiB (a possible zip bomb); nothing was loaded",
            source=str(path), hint=_RAISE_HINT,
        )
    ratio = total / max(packed, 1)
    if total > RATIO_FLOOR_BYTES and ratio > settings.zip_max_ratio:
        raise SourceError(
            f"the zip {verb} a compression ratio of {ratio:,.0f}:1, above the limit of "
            f"{settings.zip_max_ratio:g}:1 (a possible zip bomb); nothing was loaded",
            source=str(path), hint=_RAISE_HINT,
        )


def _copy_member(path: Path, archive: zipfile.ZipFile, member: ZipMember, out: Path,
                 written_before: int, packed: int) -> int:
    """Copy one member to ``out``, enforcing the limits on the bytes really produced."""
    written = 0
    with archive.open(member.info) as src, out.open("xb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > member.info.file_size:
                raise SourceError(
                    f"zip member {member.name!r} expands beyond the {member.info.file_size:,} "
                    "bytes it declares: the archive is damaged or forged",
                    source=str(path), hint="copy it again, or re-create the zip",
                )
            _check_limits(path, written_before + written, packed, "expands to")
            dst.write(chunk)
    return written


def extract_shapefile(path: Path, dest: Path, *, source_layer: str | None = None,
                      ) -> tuple[Path, str]:
    """Copy the one shapefile in the zip ``path`` into the folder ``dest``.

    Parameters
    ----------
    path : Path
        The archive.
    dest : Path
        An empty private folder (the caller creates and removes it).
    source_layer : str, optional
        The shapefile's name (stem) when the zip holds several.

    Returns
    -------
    (Path, str)
        The extracted ``.shp`` in ``dest`` and its member name in the archive.

    Raises
    ------
    SourceError
        Unsafe member names, limits exceeded (:data:`yangpu_gis.settings.zip_max_mb`,
        :data:`yangpu_gis.settings.zip_max_ratio`), damaged archive or members, not exactly
        one shapefile.
    YangpuGisError
        When the temporary folder cannot be written (e.g. the disk is full).
    """
    with open_zip(path) as archive:
        members = check_members(path, archive)
        # the whole archive's declared sizes first: a bomb beside a valid shapefile is refused
        # too, though its other members would never be extracted
        _check_declared(path, members)
        shps = [m for m in members if m.path.suffix.lower() == ".shp"]
        if source_layer:
            shps = [m for m in shps if m.path.stem == source_layer]
        if len(shps) != 1:
            names = ", ".join(m.path.stem for m in shps) or "none"
            raise SourceError(
                f"the zip must hold exactly one shapefile to load (found: {names})",
                source=str(path),
                hint="choose one with --source-layer NAME" if len(shps) > 1 else None,
            )
        shp = shps[0]
        chosen = [m for m in members
                  if m.path.parent == shp.path.parent and m.path.stem == shp.path.stem]
        _check_declared(path, chosen)
        packed = _packed(path, chosen)
        written = 0
        for member in chosen:
            # flat, sanitised names: the member's own file name only, never its folders
            out = dest / member.path.name
            try:
                written += _copy_member(path, archive, member, out, written, packed)
            except SourceError:
                raise
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise YangpuGisError(
                        f"the disk is full while extracting {member.name!r} to a temporary "
                        f"folder ({dest.parent}); nothing was loaded",
                        source=str(path),
                        hint="free some space, or point $TMPDIR at a disk with room",
                    ) from exc
                raise YangpuGisError(
                    f"cannot extract {member.name!r} to a temporary folder: "
                    f"{exc.strerror or exc}", source=str(path),
                    hint="check $TMPDIR is writable",
                ) from exc
            except ZIP_ERRORS as exc:
                raise SourceError(
                    f"damaged zip member {member.name!r} ({exc})", source=str(path),
                    hint="the archive is corrupt (bad checksum or truncated); copy it again",
                ) from exc
    return dest / shp.path.name, shp.name

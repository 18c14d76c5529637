"""Shapefile structure checks and DBF encoding detection, before GDAL reads anything.

GDAL opens a shapefile whose ``.dbf`` is missing (without attributes), silently stops at a
truncated ``.shp`` and, without a ``.cpg``, decodes GBK text as Latin-1. Each of those is a
silent loss for a registry, so the parts are checked here first and every problem named.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import settings
from ..errors import Problem, SourceError
from .encoding import EncodingGuess, cpg_to_codec, detect_bytes_encoding, normalise_codec

__all__ = ["ShapefileParts", "check_shapefile", "dbf_encoding", "declared_encoding"]

SHP_MAGIC = 9994


@dataclass(frozen=True)
class ShapefileParts:
    """Paths of one shapefile's component files (``None`` where absent)."""

    shp: Path
    shx: Path | None
    dbf: Path | None
    prj: Path | None
    cpg: Path | None


def _sibling(shp: Path, ext: str) -> Path | None:
    for candidate in shp.parent.glob(shp.stem + ".*"):
        if candidate.stem == shp.stem and candidate.suffix.lower() == ext:
            return candidate
    return None


def find_parts(shp: Path) -> ShapefileParts:
    """Locate the component files of ``shp`` (extensions matched case-insensitively)."""
    return ShapefileParts(
        shp=shp,
        shx=_sibling(shp, ".shx"),
        dbf=_sibling(shp, ".dbf"),
        prj=_sibling(shp, ".prj"),
        cpg=_sibling(shp, ".cpg"),
    )


def _dbf_header(path: Path) -> tuple[int, int, int, list[tuple[bytes, str, int, int]]]:
    """Record count, header length, record length and (raw name, type, offset, length) fields."""
    with path.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise ValueError("shorter than a DBF header")
        n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
        descriptors = fh.read(max(header_len - 32, 0))
    fields = []
    offset = 1  # byte 0 of every record is the deletion flag
    for i in range(0, len(descriptors) - 31, 32):
        desc = descriptors[i : i + 32]
        if desc[0] == 0x0D:
            break
        name = desc[:11].split(b"\x00", 1)[0]
        ftype = chr(desc[11])
        length = desc[16]
        fields.append((name, ftype, offset, length))
        offset += length
    return n_records, header_len, record_len, fields


def check_shapefile(shp: Path) -> ShapefileParts:
    """Check that a shapefile is whole: all parts present, none truncated, counts agreeing.

    Raises
    ------
    SourceError
        Naming the missing or damaged part and what to do.
    """
    parts = find_parts(shp)
    src = str(shp)
    missing = [ext for ext, p in ((".shx", parts.shx), (".dbf", parts.dbf)) if p is None]
    if missing:
        raise SourceError(
            "incomplete shapefile: " + " and ".join(f"{shp.stem}{e}" for e in missing)
            + " missing beside the .shp",
            source=src,
            hint="a shapefile is several files with the same name (.shp geometry, .shx index, "
            ".dbf attributes, .prj CRS, .cpg encoding); copy all of them, or send a zip",
        )
    size = shp.stat().st_size
    if size == 0:
        raise SourceError("empty file (0 bytes)", source=src, hint="re-export or re-copy it")
    with shp.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or struct.unpack(">i", header[:4])[0] != SHP_MAGIC:
        raise SourceError(
            "not a shapefile: the .shp header is missing or damaged",
            source=src,
            hint="re-export the layer as ESRI Shapefile, or check it is not another format renamed",
        )
    declared = struct.unpack(">i", header[24:28])[0] * 2
    if size < declared:
        raise SourceError(
            f"truncated .shp: its header declares {declared:,} bytes but the file has {size:,}",
            source=src,
            hint="the copy was cut off (interrupted download or full disk); copy the file again",
        )
    shx_size = parts.shx.stat().st_size
    n_shx = max((shx_size - 100) // 8, 0)
    if shx_size < 100 or (shx_size - 100) % 8:
        raise SourceError(
            f"damaged .shx index ({shx_size} bytes is not 100 + 8 per record)",
            source=str(parts.shx),
            hint="copy the .shx again; GDAL can also rebuild it (SHAPE_RESTORE_SHX=YES)",
        )
    if n_shx:
        with parts.shx.open("rb") as fh:
            fh.seek(100)
            index = np.frombuffer(fh.read(n_shx * 8), dtype=">i4").reshape(-1, 2).astype("int64")
        ends = (index[:, 0] + index[:, 1]) * 2 + 8
        beyond = np.flatnonzero(ends > size)
        if beyond.size:
            raise SourceError(
                f"truncated .shp: records {beyond[0] + 1}–{n_shx} lie beyond the end of the file "
                f"({size:,} bytes)",
                source=src,
                problems=[Problem("geometry missing", rows=(beyond + 1).tolist(), row_label="feature")],
                hint="the copy was cut off; copy the .shp again",
            )
    try:
        n_dbf, header_len, record_len, _ = _dbf_header(parts.dbf)
    except (ValueError, struct.error) as exc:
        raise SourceError(
            f"damaged .dbf attribute table ({exc})", source=str(parts.dbf), hint="copy it again"
        ) from exc
    dbf_size = parts.dbf.stat().st_size
    if dbf_size < header_len + n_dbf * record_len:
        raise SourceError(
            f"truncated .dbf: header declares {n_dbf:,} records of {record_len} bytes but the file "
            f"has {dbf_size:,} bytes",
            source=str(parts.dbf),
            hint="the copy was cut off; copy the .dbf again",
        )
    if n_dbf != n_shx:
        raise SourceError(
            f"the .dbf has {n_dbf:,} records but the .shx indexes {n_shx:,} shapes "
            f"({parts.dbf.name}, {parts.shx.name})",
            source=src,
            hint="one part was cut short, or the parts come from different exports; copy "
            ".shp, .shx and .dbf together again",
        )
    return parts


def _dbf_records(dbf: Path) -> tuple[np.ndarray, list[tuple[bytes, str, int, int]]]:
    """The records of a ``.dbf`` as one (n_records, record_length) uint8 array, and its
    fields (raw name, type, offset in the record, length)."""
    n, header_len, record_len, fields = _dbf_header(dbf)
    with dbf.open("rb") as fh:
        fh.seek(header_len)
        raw = np.frombuffer(fh.read(n * record_len), dtype=np.uint8)
    records = raw[: n * record_len].reshape(n, record_len) if n else raw.reshape(0, record_len)
    return records, fields


def _text_blocks(records: np.ndarray, fields: list[tuple[bytes, str, int, int]]
                 ) -> dict[bytes, np.ndarray]:
    return {name: records[:, off : off + length] for name, ftype, off, length in fields
            if ftype in "CM"}


def _text_columns(dbf: Path) -> dict[bytes, np.ndarray]:
    """Raw bytes of every character field: raw name -> (n_records, width) uint8 array."""
    return _text_blocks(*_dbf_records(dbf))


def _text_fields_utf8(records: np.ndarray, fields: list[tuple[bytes, str, int, int]]) -> bool:
    """Whether every character field of every record is well-formed UTF-8 (True), or that
    is not known without looking field by field (False).

    Each whole record is validated (by Arrow, in one pass over the file); in a well-formed
    record the characters start exactly at the bytes that are not continuation bytes
    (0x80-0xBF), so a field that starts at one and ends before one (or at the record's end)
    holds whole characters and is well-formed on its own.
    """
    if not len(records):
        return True
    if not _utf8_valid(records):
        return False
    width = records.shape[1]
    for _name, ftype, off, length in fields:
        if ftype not in "CM":
            continue
        for at in (off, off + length):
            if at < width and ((records[:, at] & 0xC0) == 0x80).any():
                return False
    return True


def _field_name(raw: bytes) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


#: Codecs for which values joined by ``b"\n"`` decode as a whole exactly when each value
#: decodes on its own: stateless, every character's length fixed by its own bytes, and 0x0A
#: never a byte inside a multibyte character (UTF-8 continuation bytes are 0x80-0xBF, GBK and
#: GB18030 trail bytes 0x30-0x39 and 0x40-0xFE, GB2312 0xA1-0xFE, Big5 0x40-0x7E and
#: 0xA1-0xFE), or single-byte. Nor are the padding bytes 0x20 and 0x00, so a value decodes
#: with its padding exactly when it decodes without. Other codecs go value by value.
JOINABLE_CODECS = frozenset(
    {"utf-8", "gb18030", "gbk", "gb2312", "big5", "ascii", "iso8859-1", "cp1252"}
)
_SEPARATOR = 0x0A
#: Values decoded together when a whole column does not decode (to find the bad rows).
_CHUNK_ROWS = 2048


def _non_ascii_rows(block: np.ndarray) -> np.ndarray:
    return np.flatnonzero((block >= 0x80).any(axis=1))


def _row_value(block: np.ndarray, r: int) -> bytes:
    """One stored value as the reader sees it: trailing blanks and NULs removed."""
    return bytes(block[r]).rstrip(b" \x00")


def _joined(block: np.ndarray) -> bytes:
    """The rows of ``block`` (padding included), each followed by ``b"\\n"``, as one byte
    string: row ``i`` starts at byte ``i * (width + 1)``."""
    n, width = block.shape
    joined = np.empty((n, width + 1), dtype=np.uint8)
    joined[:, :width] = block
    joined[:, width] = _SEPARATOR
    return joined.tobytes()


def _utf8_valid(block: np.ndarray) -> bool:
    """Whether every row of ``block`` (padding included) is well-formed UTF-8, checked by
    Arrow's validator on the rows as one binary array (no Python string is made).

    Exactly what decoding each row with Python's ``utf-8`` codec says: both accept only the
    well-formed sequences of the Unicode standard (no overlong forms, surrogates or code
    points above U+10FFFF), and the padding (0x20, 0x00) is ASCII.
    """
    n, width = block.shape
    data = np.ascontiguousarray(block)
    offsets = np.arange(n + 1, dtype=np.int64) * width
    rows = pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets),
                                                        pa.py_buffer(data)])
    try:
        rows.view(pa.large_string()).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decodes(data: bytes | memoryview, codec: str) -> bool:
    try:
        str(data, codec)
    except UnicodeDecodeError:
        return False
    return True


def _bad_rows_slow(block: np.ndarray, rows: np.ndarray, codec: str) -> list[int]:
    """0-based rows among ``rows`` whose value ``codec`` does not decode, one by one."""
    bad = []
    for r in rows:
        try:
            _row_value(block, r).decode(codec)
        except UnicodeDecodeError:
            bad.append(int(r))
    return bad


def _bad_rows(block: np.ndarray, codec: str) -> list[int]:
    """0-based rows of a character field whose (non-ASCII) value ``codec`` does not decode.

    For :data:`JOINABLE_CODECS` the values are decoded joined, a column at once (a chunk at a
    time when that fails, value by value only inside failing chunks); the rows found are
    exactly those :func:`_bad_rows_slow` finds.
    """
    name = codecs.lookup(codec).name
    if name not in JOINABLE_CODECS:
        return _bad_rows_slow(block, _non_ascii_rows(block), codec)
    if name == "utf-8" and _utf8_valid(block):
        return []
    # ASCII decodes in every joinable codec: the whole column first, ASCII rows and all
    if _decodes(_joined(block), codec):
        return []
    rows = _non_ascii_rows(block)
    view, step = memoryview(_joined(block[rows])), block.shape[1] + 1
    bad = []
    for start in range(0, len(rows), _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, len(rows))
        if not _decodes(view[start * step:stop * step], codec):
            bad.extend(_bad_rows_slow(block, rows[start:stop], codec))
    return bad


def _undecodable(columns: dict[bytes, np.ndarray], codec: str) -> list[Problem]:
    problems = []
    for raw_name, block in columns.items():
        bad = _bad_rows(block, codec)
        if bad:
            problems.append(
                Problem(f"text is not valid {codec}", rows=[r + 1 for r in bad],
                        field=_field_name(raw_name), row_label="feature")
            )
    return problems


def _detection_chunks(names: list[bytes], columns: dict[bytes, np.ndarray]) -> list[bytes]:
    """What :func:`detect_bytes_encoding` decodes: the non-ASCII field names and values.

    When every candidate codec is joinable, each column's non-ASCII values come joined as one
    chunk (it decodes exactly when all of them do), instead of one chunk per value.
    """
    joinable = all(codecs.lookup(c).name in JOINABLE_CODECS for c in settings.fallback_encodings)
    chunks = list(names)
    for block in columns.values():
        rows = _non_ascii_rows(block)
        if not rows.size:
            continue
        if joinable:
            chunks.append(_joined(block[rows]))
        else:
            chunks.extend(_row_value(block, r) for r in rows)
    return chunks


def declared_encoding(parts: ShapefileParts, override: str | None = None) -> EncodingGuess | None:
    """The encoding ``override`` or the ``.cpg`` names (not yet checked against the values),
    or ``None`` when there is neither and it must be detected (:func:`dbf_encoding`).

    Raises
    ------
    SourceError
        When the ``.cpg`` names an encoding Python does not know.
    LookupError
        When ``override`` is not an encoding name.
    """
    if override:
        return EncodingGuess(normalise_codec(override), "given with --encoding")
    if parts.cpg is not None:
        text = parts.cpg.read_text("ascii", "replace").strip()
        codec = cpg_to_codec(text)
        if codec is None:
            raise SourceError(
                f"the .cpg names an unknown encoding {text!r}",
                source=str(parts.cpg),
                hint="pass --encoding UTF-8 or --encoding GBK",
            )
        return EncodingGuess(codec, f"declared in {parts.cpg.name}")
    return None


def dbf_encoding(parts: ShapefileParts, override: str | None = None) -> EncodingGuess:
    """Decide the DBF text encoding: ``override``, else the ``.cpg``, else detection.

    Raises
    ------
    SourceError
        When the declared (or given) encoding does not decode some values, naming rows and
        fields, or when no candidate decodes them.
    """
    assert parts.dbf is not None
    records, fields = _dbf_records(parts.dbf)
    columns = _text_blocks(records, fields)
    guess = declared_encoding(parts, override)
    if guess is None:
        names = [f[0] for f in _dbf_header(parts.dbf)[3] if any(b >= 0x80 for b in f[0])]
        guess = detect_bytes_encoding(_detection_chunks(names, columns))
        if guess is None:
            raise SourceError(
                "cannot tell the text encoding of the .dbf (neither UTF-8 nor GBK/GB18030 "
                "decodes every value)",
                source=str(parts.dbf),
                problems=_undecodable(columns, "gb18030"),
                hint="pass --encoding with the encoding the file was written in",
            )
        return EncodingGuess(guess.codec, f"no .cpg; {guess.how}")
    if codecs.lookup(guess.codec).name == "utf-8" and _text_fields_utf8(records, fields):
        return guess  # what _undecodable finds then: nothing
    problems = _undecodable(columns, guess.codec)
    if problems:
        alt = next(
            (
                c
                for c in ("utf-8", "gb18030")
                if c != guess.codec and not _undecodable(columns, c)
            ),
            None,
        )
        raise SourceError(
            f"encoding mix-up: the text is not {guess.codec} ({guess.how})",
            source=str(parts.dbf),
            problems=problems,
            hint=(f"the values decode as {alt}: pass --encoding {alt}" if alt else
                  "pass --encoding with the encoding the file was written in")
            + (" (and fix or delete the .cpg)" if parts.cpg is not None else ""),
        )
    return guess

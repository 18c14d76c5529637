"""Rows to the server by ``COPY``: CSV built by Arrow (or pandas), EWKB geometries.

While the server parses one chunk (:data:`COPY_CHUNK_ROWS` rows) the next is built here.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from ...catalogue import BATCH_COLUMN, Layer
from ..storage import GEOMETRY_COLUMN
from .connection import srid as working_srid

__all__ = ["COPY_CHUNK_ROWS", "copy_csv", "copy_rows", "copy_text", "ewkb", "ewkb_slow",
           "hex_ewkb"]

#: Rows per COPY chunk written to the server (while the server parses one chunk, the next
#: is built).
COPY_CHUNK_ROWS = 25_000


def copy_text(stored: pd.DataFrame, layer: Layer) -> str:
    """CSV text for COPY: catalogue columns, batch id, hex EWKB geometry (if the layer has one)."""
    out = pd.DataFrame(index=stored.index)
    for col in layer.columns:
        v = stored[col.name]
        if col.type == "date":
            v = v.dt.strftime("%Y-%m-%d")
        elif col.type == "datetime":
            v = v.map(lambda t: t.isoformat() if pd.notna(t) else None)
        elif col.type == "bool":
            v = v.map({True: "t", False: "f"}).astype(object)
        out[col.name] = v
    out[BATCH_COLUMN] = stored[BATCH_COLUMN]
    if layer.has_geometry:
        geoms = shapely.set_srid(np.asarray(stored.geometry.values, dtype=object), working_srid())
        out[GEOMETRY_COLUMN] = shapely.to_wkb(geoms, hex=True, include_srid=True)
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False, na_rep="")
    return buf.getvalue()


def ewkb_slow(geoms: np.ndarray, srid: int) -> list[bytes]:
    return list(shapely.to_wkb(shapely.set_srid(geoms, srid), include_srid=True))


def ewkb(geoms: np.ndarray, srid: int) -> tuple[np.ndarray, np.ndarray]:
    """EWKB of ``geoms`` with ``srid``, as one byte array and ``n + 1`` offsets.

    What ``to_wkb(set_srid(geoms, srid), include_srid=True)`` gives, without cloning every
    geometry to set its SRID: GEOS's EWKB is the plain WKB with the SRID flag (0x20000000)
    in the outer type and the SRID after it. Little-endian WKB only; otherwise (and for SRID
    0, which GEOS does not write) the geometries are given their SRID.

    Raises
    ------
    TypeError
        For missing geometries.
    """
    simple = _simple_ewkb(geoms, srid)
    if simple is not None:
        return simple
    wkb = shapely.to_wkb(geoms)
    n = len(wkb)
    lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=n)
    plain = np.frombuffer(b"".join(wkb), dtype=np.uint8)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    if not srid or not (plain[starts[:-1]] == 1).all():
        wkb = ewkb_slow(geoms, srid)
        lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return np.frombuffer(b"".join(wkb), dtype=np.uint8), offsets
    offsets = starts + 4 * np.arange(n + 1, dtype=np.int64)
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    at = (offsets[:-1, None] + np.arange(5, 9)).ravel()  # the SRID, after order and type
    gap = np.zeros(len(out), dtype=bool)
    gap[at] = True
    out[~gap] = plain
    out[at] = np.tile(np.frombuffer(int(srid).to_bytes(4, "little"), dtype=np.uint8), n)
    out[offsets[:-1] + 4] |= 0x20  # high byte of the little-endian type: the SRID flag
    return out, offsets


#: WKB type codes of the geometries :func:`_simple_ewkb` writes (2D, little-endian).
_POINT, _LINESTRING = 1, 2
_SRID_FLAG = 0x20000000


def _simple_ewkb(geoms: np.ndarray, srid: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`ewkb` of an array of only 2D LineStrings or only non-empty 2D Points, written
    from their coordinates with numpy (no WKB made by GEOS); None for anything else.

    A LineString is ``01`` + type + SRID + point count + the coordinates, a Point ``01`` +
    type + SRID + x + y (all little-endian): exactly GEOS's EWKB.
    """
    n = len(geoms)
    if not n or not srid:
        return None
    types = shapely.get_type_id(geoms)
    shapely_type = int(types[0])
    if shapely_type not in (0, 1) or not (types == shapely_type).all():
        return None
    if shapely.has_z(geoms).any() or (hasattr(shapely, "has_m") and shapely.has_m(geoms).any()):
        return None
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(index, minlength=n)
    if shapely_type == 0:
        if not (counts == 1).all():  # an empty point (GEOS writes NaN, NaN)
            return None
        head = 9
        code = _POINT
    else:
        head = 13
        code = _LINESTRING
    header = np.empty((n, head), dtype=np.uint8)
    header[:, 0] = 1
    header[:, 1:5] = np.frombuffer((code | _SRID_FLAG).to_bytes(4, "little"), dtype=np.uint8)
    header[:, 5:9] = np.frombuffer(int(srid).to_bytes(4, "little"), dtype=np.uint8)
    if head == 13:
        header[:, 9:13] = counts.astype("<u4").view(np.uint8).reshape(n, 4)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(head + 16 * counts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    at = (offsets[:-1, None] + np.arange(head)).ravel()
    is_coord = np.ones(len(out), dtype=bool)
    is_coord[at] = False
    out[at] = header.ravel()
    out[is_coord] = np.ascontiguousarray(coords, dtype="<f8").view(np.uint8).ravel()
    return out, offsets


def hex_ewkb(geoms: np.ndarray, srid: int) -> pa.Array:
    """Hex EWKB of ``geoms`` with ``srid`` as an Arrow string array (no Python string per row)."""
    data, offsets = ewkb(geoms, srid)
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets * 2),
                                            pa.py_buffer(binascii.hexlify(data)))


def copy_csv(stored: pd.DataFrame, layer: Layer) -> bytes:
    """The rows :func:`copy_text` gives, as UTF-8 CSV built by Arrow (several times faster).

    Text is always quoted and missing values are empty and unquoted, so COPY reads NULL for
    missing values exactly as from :func:`copy_text`; numbers, dates and booleans are written
    in forms PostgreSQL parses to the same values.

    Raises
    ------
    TypeError, ValueError, pyarrow.ArrowException
        For values Arrow cannot take (the caller then falls back to :func:`copy_text`).
    """
    arrays: dict[str, pa.Array] = {}
    for col in layer.columns:
        v = stored[col.name]
        if col.type == "str":
            arrays[col.name] = pa.array(v.to_numpy(dtype=object), type=pa.string(),
                                        from_pandas=True)
        elif col.type == "datetime":
            text = v.map(lambda t: t.isoformat() if pd.notna(t) else None)
            arrays[col.name] = pa.array(text.to_numpy(dtype=object), type=pa.string(),
                                        from_pandas=True)
        else:
            arrays[col.name] = pa.array(v.array, from_pandas=True)
    arrays[BATCH_COLUMN] = pa.array(stored[BATCH_COLUMN].to_numpy(dtype=np.int64))
    if layer.has_geometry:
        arrays[GEOMETRY_COLUMN] = hex_ewkb(np.asarray(stored.geometry.values, dtype=object),
                                            working_srid())
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(arrays), sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()



def copy_rows(conn, table: sql.Identifier, columns: list[str], stored: pd.DataFrame,
              spec: Layer, after_chunk: Callable[[int], None] | None = None) -> None:
    """COPY the storage frame ``stored`` into ``table`` (``columns`` in order), in chunks.

    ``after_chunk`` is called with the rows written so far after each chunk.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table, sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    utf8 = conn.info.encoding == "utf-8"
    cur = conn.cursor()
    # the queued writer sends from a thread, so the server parses one chunk while the
    # next is built here
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for start in range(0, len(stored), COPY_CHUNK_ROWS):
            chunk = stored.iloc[start:start + COPY_CHUNK_ROWS]
            data: bytes | str | None = None
            if utf8:
                try:
                    data = copy_csv(chunk, spec)
                except (TypeError, ValueError, pa.ArrowException):
                    data = None
            copy.write(data if data is not None else copy_text(chunk, spec))
            if after_chunk is not None:
                after_chunk(start + len(chunk))

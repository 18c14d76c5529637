"""A file load streamed to the server: each chunk of rows is COPYed while the next is validated.

When ``settings.load_chunk_rows`` is set (``$YANGPU_GIS_LOAD_CHUNK_ROWS``; off by default,
see its comment), a file of more features than that, loaded into a layer with geometry (no
address placing, no ``--repair``), is read whole as before, then validated in chunks of
that many rows (:func:`yangpu_gis.io.chunks.split_source`). A writer thread turns each
validated chunk into COPY data and sends it into a temporary *spool* table (same columns and
checks as the layer), while the main thread validates the next chunk. Once every chunk has
passed, the whole-file checks run (duplicate ids, lon/lat offsets, ids already stored for an
append), the batch is recorded and the spooled rows move into the layer exactly as COPYed
rows would (:func:`.vectors.write_rows` with ``spool``): all in the one transaction that
holds the layer's lock from the first chunk on.

Any refusal rolls the transaction back (the spool, and anything else, is gone; no batch id
was taken, since the batch is recorded only after the last chunk) and the whole file is
validated again by the ordinary path, so the refusal is word for word the one an
unstreamed load gives.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
from psycopg import sql

from ... import settings
from ...catalogue import BATCH_COLUMN, Layer
from ...errors import YangpuGisError
from ...io import Prepared, prepare
from ...io.chunks import merge_prepared, split_source
from ..storage import GEOMETRY_COLUMN, to_storage
from . import copy as pg_copy
from .connection import srid
from .ddl import create_table

__all__ = ["SPOOL_PREFIX", "spool_rows", "streamable"]

#: Name prefix of the temporary spool table of a layer.
SPOOL_PREFIX = "_spool_"


def streamable(source: Any, spec: Layer, rows: int, options: dict[str, Any]) -> bool:
    """Whether a load of ``rows`` features from ``source`` is streamed (see the module)."""
    return (not isinstance(source, pd.DataFrame) and spec.has_geometry
            and "location_precision" not in spec.column_names
            and not options.get("repair") and 0 < settings.load_chunk_rows < rows)


class _Refused(Exception):
    """A chunk was refused (the whole file is validated again for the message)."""


def spool_rows(conn, raw, spec: Layer, maps: dict[str, str], vals: dict[str, dict[str, str]],
               *, crs: Any, district: Any,
               after_chunk: Callable[[int], None] | None = None) -> Prepared | None:
    """Validate ``raw`` chunk by chunk, COPYing each passed chunk into the layer's spool
    table while the next is validated (in the caller's open transaction).

    Returns
    -------
    Prepared or None
        The merged validated rows (their spool: ``SPOOL_PREFIX + spec.name``), or None when
        a chunk was refused or ids repeat across chunks: the caller then rolls back and
        validates the whole file again.
    """
    spool = SPOOL_PREFIX + spec.name
    conn.execute(create_table(spec, srid(), keys=False, spool=spool))
    columns = [*spec.column_names, BATCH_COLUMN, GEOMETRY_COLUMN]
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(spool), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    utf8 = conn.info.encoding == "utf-8"
    chunks: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []
    refused = threading.Event()  # nothing more is worth sending

    def write() -> None:
        cur = conn.cursor()
        written = 0
        try:
            with cur.copy(statement, writer=pg_copy.QueuedLibpqWriter(cur)) as copy:
                while (frame := chunks.get()) is not None:  # (a frame has no truth value)
                    if refused.is_set():
                        continue
                    stored = to_storage(frame, spec, 0)  # the batch id comes at the end
                    data: bytes | str | None = None
                    if utf8:
                        try:
                            data = pg_copy.copy_csv(stored, spec)
                        except (TypeError, ValueError, pg_copy.pa.ArrowException):
                            data = None
                    copy.write(data if data is not None else pg_copy.copy_text(stored, spec))
                    written += len(stored)
                    if after_chunk is not None:
                        after_chunk(written)
        except BaseException as exc:  # handed to the main thread
            failure.append(exc)
            while chunks.get() is not None:  # let the validating thread finish
                pass

    writer = threading.Thread(target=write, name="yangpu-copy", daemon=True)
    writer.start()
    parts: list[Prepared] = []
    try:
        for piece in split_source(raw, settings.load_chunk_rows):
            if failure:
                break
            try:
                part = prepare(piece, spec, crs=crs, mapping=maps, values=vals,
                               district=district)
            except YangpuGisError:
                raise _Refused from None
            if part.repairs:
                raise _Refused
            parts.append(part)
            chunks.put(part.frame)
    except _Refused:
        refused.set()
        return None
    finally:
        chunks.put(None)
        writer.join()
    if failure:
        raise failure[0]
    try:
        return merge_prepared(raw, parts)
    except YangpuGisError:
        return None

"""Feature history in a GeoPackage registry: ended versions, as-of reads, versioned writes.

A layer's table holds its live versions; ``yangpu_history_<layer>`` (same columns plus
``ended_batch``) its ended ones (see :mod:`yangpu_gis.registry.history`). Writes happen in
the load's working copy, so they are all or nothing with the rest of the load.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from ...catalogue import BATCH_COLUMN, Layer
from ...io import Prepared
from ..history import ENDED_COLUMN, same_rows
from ..storage import from_storage, select_columns, to_storage
from ..tables import history_table
from . import vectors
from .file import working_connection

__all__ = ["read_as_of", "read_versions", "write_versions"]


def _read(path: Path, table: str, spec: Layer, cols: list[str], **kwargs: Any) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=table, columns=cols, use_arrow=True,
                                  read_geometry=spec.has_geometry, **kwargs)


def read_as_of(path: Path, spec: Layer, cols: list[str], batch: int, names: list[str],
               **kwargs: Any) -> pd.DataFrame:
    """Storage rows of ``spec`` as they stood after ``batch`` (``batch`` is an int: the SQL
    filter holds no data value)."""
    b = int(batch)
    frames = [_read(path, spec.name, spec, cols, where=f"{BATCH_COLUMN} <= {b}", **kwargs)]
    table = history_table(spec.name)
    if table in names:
        frames.append(_read(path, table, spec, cols,
                            where=f"{BATCH_COLUMN} <= {b} AND {ENDED_COLUMN} > {b}", **kwargs))
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def read_versions(path: Path, spec: Layer, ids: list[str] | None, columns: list[str] | None,
                  names: list[str]) -> pd.DataFrame:
    """Every version (live and ended) of ``spec``'s features, or of ``ids``."""
    cols = select_columns(spec, columns)
    if BATCH_COLUMN not in cols:
        cols = [*cols, BATCH_COLUMN]
    geometry = columns is None and spec.has_geometry
    table = history_table(spec.name)
    parts = []
    for name, ended in ((spec.name, False), (table, True)):
        if name not in names:
            continue
        df = pyogrio.read_dataframe(path, layer=name, use_arrow=True, read_geometry=geometry,
                                    columns=[*cols, *([ENDED_COLUMN] if ended else [])])
        if not ended:
            df[ENDED_COLUMN] = pd.NA
        parts.append(df)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: [] for c in [*cols, ENDED_COLUMN]})
    if ids is not None:
        frame = frame[frame[spec.id_column].isin(list(ids))]
    frame = frame.sort_values([spec.id_column, BATCH_COLUMN], kind="stable")
    ended_values = pd.array(pd.to_numeric(frame[ENDED_COLUMN]), dtype="Int64")
    if geometry:
        out = from_storage(frame, frame.geometry.values, spec, cols, None)
    else:
        plain = dataclasses.replace(spec, geometry=())
        out = from_storage(frame, None, plain, cols, None)
    out.insert(list(out.columns).index(BATCH_COLUMN) + 1, ENDED_COLUMN, ended_values)
    return out


def _as_stored(frame: pd.DataFrame, spec: Layer) -> pd.DataFrame:
    """``frame`` at the precision the GeoPackage keeps, to compare with what it holds:
    datetimes to the millisecond (GeoPackage 1.3 Req. 5; GDAL rounds), so re-delivering a
    time with microseconds is not a change every time."""
    names = [c.name for c in spec.columns if c.type == "datetime" and c.name in frame]
    if not names:
        return frame
    out = frame.copy()
    for name in names:
        out[name] = pd.to_datetime(out[name]).dt.round("ms")
    return out


def write_versions(tmp: Path, prepared: Prepared, mode: str, batch_id: int,
                   names: list[str]) -> dict[str, int]:
    """Write a ``replace``/``upsert``/``revert`` into an existing layer, keeping history.

    Stored features equal to the delivered ones are left as they are; the others are
    deleted from the layer and appended to its history table with ``ended_batch``; the
    new versions are appended with ``batch_id``. Nothing is written when nothing changed.
    """
    spec, new = prepared.layer, prepared.frame
    idc = spec.id_column
    cols = select_columns(spec, None)
    raw = pyogrio.read_dataframe(tmp, layer=spec.name, columns=cols, use_arrow=True,
                                 read_geometry=spec.has_geometry, fid_as_index=True)
    fids = raw.index.to_numpy()
    old = from_storage(raw.reset_index(drop=True), vectors.geoms_of(raw, spec), spec, cols, None)
    same = same_rows(old, _as_stored(new, spec), spec)
    changed_ids = new.loc[~same, idc]
    modified = old[idc].isin(changed_ids).to_numpy()
    ended = modified.copy()
    if mode != "upsert":
        ended |= ~old[idc].isin(new[idc]).to_numpy()
    counts = {"inserted": int(len(changed_ids) - modified.sum()), "updated": int(modified.sum()),
              "unchanged": int(same.sum()), "deleted": int(ended.sum() - modified.sum())}
    if ended.any():
        gone = to_storage(old[ended], spec, None)
        gone.insert(list(gone.columns).index(BATCH_COLUMN) + 1, ENDED_COLUMN,
                    pd.Series(batch_id, index=gone.index, dtype="int64"))
        table = history_table(spec.name)
        vectors.write_layer(tmp, gone, spec, append=table in names, table=table)
        with working_connection(tmp) as con, con:
            # the layer name is a catalogue identifier; the fids are bound parameters
            con.executemany(f'DELETE FROM "{spec.name}" WHERE fid = ?',  # noqa: S608
                            [(int(f),) for f in fids[ended]])
    if (~same).any():
        vectors.write_layer(tmp, to_storage(new[~same], spec, batch_id), spec, append=True)
    return counts

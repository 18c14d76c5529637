"""A source validated in row chunks, so that a backend can write one chunk while the next
is checked (:mod:`yangpu_gis.registry.postgis.stream`).

:func:`prepare` checks each row on its own, except for the duplicate-id check (done again
on the merged ids by :func:`merge_prepared`) and the hints of a refusal, which look at the
whole file; so a caller that meets a refusal in any chunk validates the whole source again
with :func:`prepare` and raises what that raises, word for word.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import geopandas as gpd
import pandas as pd

from ..catalogue import Layer
from ..errors import Problem, ValidationError
from .sources import RawSource
from .validate import Prepared

__all__ = ["merge_prepared", "split_source"]


def split_source(raw: RawSource, rows: int) -> Iterator[RawSource]:
    """``raw`` as sources of at most ``rows`` features each, in file order.

    Each chunk has its own (empty) notes list, so that validating several chunks does not
    note the same thing several times: :func:`merge_prepared` keeps the first chunk's.
    """
    n = len(raw.frame)
    for start in range(0, n, rows):
        frame = raw.frame.iloc[start:start + rows]
        yield dataclasses.replace(raw, frame=frame, rows=raw.rows[start:start + rows], notes=[])


def merge_prepared(raw: RawSource, parts: list[Prepared]) -> Prepared:
    """One :class:`Prepared` of ``raw`` from its chunks' (what :func:`prepare` of the whole
    source gives when no chunk was refused).

    Raises
    ------
    ValidationError
        When ids repeat across chunks (the caller validates the whole source again for the
        message, which names every row).
    """
    first = parts[0]
    raw.notes.extend(first.raw.notes)
    frames = [p.frame for p in parts]
    if isinstance(first.frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=first.frame
                                 .geometry.name, crs=first.frame.crs)
    else:
        frame = pd.concat(frames, ignore_index=True)
    spec: Layer = first.layer
    ids = frame[spec.id_column]
    if (ids.duplicated(keep=False) & ids.notna()).any():
        raise ValidationError("duplicate ids across chunks", source=raw.path,
                              problems=[Problem("duplicate ids", field=spec.id_column)])
    return Prepared(spec, frame, raw, first.mapping, first.ignored,
                    [r for p in parts for r in p.repairs], first.source_crs)

"""Aggregation helpers for maps of many points: points per cell, round class breaks, codes.

A map of a year of 12345 cases cannot draw (and ship) every point with its own popup: the
complaints map counts cases per cell for a choropleth and ships the cases as compact
columns (:func:`factorize`, :func:`compact_ids`) that the page turns into popups itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["cell_of_points", "compact_ids", "factorize", "nice_breaks", "nice_number"]


def cell_of_points(points: gpd.GeoSeries, cells: gpd.GeoSeries) -> np.ndarray:
    """The position of the cell each point lies in (or on the edge of); -1 outside all cells.

    A point on the border of several cells goes to the first of them, so every point is
    counted once.

    Parameters
    ----------
    points : GeoSeries
        Points (missing geometries give -1).
    cells : GeoSeries
        Polygons, in the CRS of ``points``.

    Returns
    -------
    numpy.ndarray of int64
        One cell position (``0 … len(cells) - 1``) or -1 per point.

    Examples
    --------
    >>> from shapely import Point, box
    >>> cells = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> cell_of_points(gpd.GeoSeries([Point(0.5, 0.5), Point(1, 0.5), Point(5, 5)]), cells)
    array([ 0,  0, -1])
    """
    out = np.full(len(points), -1, dtype=np.int64)
    geoms = np.asarray(points.values, dtype=object)
    present = np.array([isinstance(g, shapely.Geometry) and not g.is_empty for g in geoms],
                       dtype=bool)
    if not present.any() or len(cells) == 0:
        return out
    tree = shapely.STRtree(np.asarray(cells.values, dtype=object))
    pt_idx, cell_idx = tree.query(geoms[present], predicate="intersects")
    if len(pt_idx):
        first = np.full(int(present.sum()), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, pt_idx, cell_idx)
        hit = first != np.iinfo(np.int64).max
        sub = np.full(int(present.sum()), -1, dtype=np.int64)
        sub[hit] = first[hit]
        out[present] = sub
    return out


def nice_number(x: float) -> int:
    """``x`` rounded to the nearest 1, 2 or 5 times a power of ten (at least 1).

    Examples
    --------
    >>> [nice_number(v) for v in (0.3, 3, 7.4, 13, 180, 420)]
    [1, 2, 5, 10, 200, 500]
    """
    if not x > 1:
        return 1
    power = 10 ** math.floor(math.log10(x))
    f = x / power
    step = 1 if f < 1.5 else 2 if f < 3.5 else 5 if f < 7.5 else 10
    return int(step * power)


def nice_breaks(counts: Sequence[int] | np.ndarray, *, k: int = 5) -> list[int]:
    """Lower bounds of up to ``k`` classes of positive counts, as round numbers.

    The bounds are quantiles of the positive counts rounded with :func:`nice_number`; the
    first is always 1, duplicates are dropped. Class ``i`` holds counts from ``b[i]`` to
    ``b[i + 1] - 1``; the last class is open (``≥ b[-1]``).

    Parameters
    ----------
    counts : array-like of int
        Counts per unit (zeros are ignored).
    k : int, keyword-only
        Largest number of classes.

    Returns
    -------
    list of int
        Increasing lower bounds, starting with 1 (``[1]`` when no count is positive).

    Examples
    --------
    >>> nice_breaks([1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144])
    [1, 2, 10, 20, 50]
    """
    v = np.asarray(counts, dtype=float)
    v = v[v > 0]
    if len(v) == 0:
        return [1]
    out = [1]
    for q in np.linspace(0, 1, k + 1)[1:-1]:
        b = nice_number(float(np.quantile(v, q)))
        if b > out[-1] and b <= v.max():
            out.append(b)
    return out


def factorize(values: Sequence | pd.Series) -> tuple[list[str], list[int]]:
    """Distinct texts (sorted) and one code per value; missing values get -1.

    Examples
    --------
    >>> factorize(["b", None, "a", "b"])
    (['a', 'b'], [1, -1, 0, 1])
    """
    s = pd.Series(list(values), dtype=object)
    missing = s.isna() | s.astype(str).isin(["", "nan", "<NA>"])
    text = s.where(~missing).astype(object)
    labels = sorted({str(x) for x in text[~missing]})
    pos = {lab: i for i, lab in enumerate(labels)}
    codes = [-1 if m else pos[str(x)] for x, m in zip(text, missing, strict=True)]
    return labels, codes


_ID = re.compile(r"^(.*?)(\d+)$", re.DOTALL)


def compact_ids(ids: Sequence[str]) -> dict:
    """Ids in few characters: a shared prefix and numbers, or the strings themselves.

    Returns ``{"p": prefix, "w": width, "n": [numbers]}`` when every id is ``prefix`` followed
    by a number written with ``width`` digits (zero padded), else ``{"s": [ids]}``. The page
    rebuilds ``prefix + String(n).padStart(width, "0")``.

    Examples
    --------
    >>> compact_ids(["C000001", "C000012"])
    {'p': 'C', 'w': 6, 'n': [1, 12]}
    >>> compact_ids(["A1", "B2"])
    {'s': ['A1', 'B2']}
    """
    texts = [str(i) for i in ids]
    parts = [_ID.match(t) for t in texts]
    if texts and all(parts):
        prefixes = {p.group(1) for p in parts}
        widths = {len(p.group(2)) for p in parts}
        if len(prefixes) == 1 and len(widths) == 1 and max(widths) <= 15:
            # zero padding to the one width gives each id back (15 digits: exact in JS)
            return {"p": prefixes.pop(), "w": widths.pop(), "n": [int(p.group(2)) for p in parts]}
    return {"s": texts}

"""Priority-flood depression filling (Barnes, Lehman & Mulla 2014), untiled and tiled
(Barnes 2016), compiled with numba.

The filled surface is the one of ``pysheds``' ``Grid.fill_depressions`` value for value
(tests compare them with ``np.array_equal``):

* 8-connected; NaN cells are nodata and act as walls (never entered, left NaN);
* water leaves the raster at its *seeds*: in every row the first and last valid cell, in
  every column the first and last valid cell (pysheds' ``_left/_right/_top/_bottom``). A
  nodata hole inside the raster is therefore no outlet, and valid cells cut off from every
  seed by nodata keep their elevation.

The filled value of a cell is the minimax ("lowest spill") elevation: the least, over all
8-connected paths of valid cells from the cell to a seed, of the highest elevation on the
path. It does not depend on the order in which equal cells are taken, so any correct
priority-flood reproduces pysheds exactly — no arithmetic is done on elevations, they are
only compared and copied.

Untiled
-------
:func:`priority_flood` — Improved Priority-Flood (Barnes et al. 2014, Algorithm 2): a binary
heap of (elevation, cell) seeded with the seeds, and a plain FIFO queue for cells raised to
their parent's level (flats and pits), which skips the heap's log-cost for them.

Drainage
--------
:func:`drainage_labels` — the same machinery (heap, FIFO) with watershed labels and no
raising: on the conditioned surface (the DEM inside given sinks, the fill elsewhere) from
the raster's outlets and the sink cells, each cell takes the label of the neighbour that
floods it — its lowest neighbour; flats breadth-first from all their lower edges at once.
The waterlogging analysis' catchments.

Tiled (Barnes 2016, "Parallel priority-flood depression filling for trillion cell DEMs")
---------------------------------------------------------------------------------------
Each tile is filled on its own from its *perimeter*, with watershed labels; a small graph
joins the tiles; its solution raises each tile's labels to their global spill level.

1. :func:`raster_seeds` (or :func:`edge_extents` per tile window, combined with
   :func:`combine_extents`, then :func:`seeds_in_window`): which cells are global seeds.
2. :func:`flood_tile` ``(dem_tile, seeds_tile) -> TileFlood`` — pure, one tile in, one out:
   every valid cell of the tile's perimeter and every global seed in the tile is a seed
   with its own label; the labelled priority-flood gives the tile-local fill ``filled``,
   ``labels`` (int32, 0 = not reached), the label-to-label spill edges met inside the tile
   (``edges``: a, b, weight = the higher filled elevation of the two touching cells, the
   least per pair), each label's outlet level (``outlet``: its seed's elevation if the
   seed is a global seed, else +inf), and the tile's perimeter ring (labels and
   elevations) for the next step.
3. :func:`solve_spill` ``(tiles, layout) -> list of per-tile spill arrays`` — the graph:
   nodes are the labels of all tiles (offset to be unique) and an *ocean* node; edges are
   the tiles' ``edges``, the ``outlet`` levels (label – ocean), and every pair of
   8-adjacent perimeter cells of neighbouring tiles (weight = the higher elevation).
   A priority-flood (minimax Dijkstra) from the ocean gives each label's spill level
   (+inf if no path: cut off by nodata).
4. :func:`apply_spill` ``(dem_tile, flood, spill) -> filled tile`` — pure:
   ``max(tile fill, spill[label])``; the original elevation where the label has no path
   to the ocean (pysheds leaves such cells untouched).

Why it is exact: along any path from a cell to a seed every cell's tile-local fill is at
most the path's highest elevation (the path leaves the tile through a perimeter cell, a
local seed), and every label boundary the path crosses is an edge of the graph, so
``max(local fill, spill)`` is at most the global fill; conversely the flood tree of each
label and the edges realise a path no higher than that value. The tests check it against
pysheds for random DEMs (nodata holes, flats, ties) and random tile sizes, including sizes
that do not divide the raster.

Steps 2 and 4 only read their tile (and 1 needs one cheap pass for the extents), so they
can run as independent tasks (dask, processes); step 3 only needs the small ``TileFlood``
summaries (edges, outlets, perimeter rings), not the tiles' grids. :func:`tiled_fill` runs
the steps in sequence in memory, or with ``client=`` steps 2 and 4 as tasks on a
dask.distributed cluster (each tile's grids stay on its worker between the two steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = [
    "TileFlood",
    "apply_spill",
    "combine_extents",
    "drainage_labels",
    "edge_extents",
    "flood_tile",
    "priority_flood",
    "raster_seeds",
    "seeds_in_window",
    "solve_spill",
    "tile_windows",
    "tiled_fill",
]

_DR = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)
_DC = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)


# --- a growable binary min-heap of (key, value) in numba --------------------------------

@njit(cache=True, inline="always")
def _heap_push(keys, vals, size, key, val):
    if size == keys.shape[0]:
        nk = np.empty(keys.shape[0] * 2, keys.dtype)
        nv = np.empty(vals.shape[0] * 2, vals.dtype)
        nk[:size] = keys[:size]
        nv[:size] = vals[:size]
        keys, vals = nk, nv
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val
    return keys, vals, size + 1


@njit(cache=True, inline="always")
def _heap_pop(keys, vals, size):
    key = keys[0]
    val = vals[0]
    size -= 1
    if size > 0:
        lk = keys[size]
        lv = vals[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and keys[c + 1] < keys[c]:
                c += 1
            if keys[c] >= lk:
                break
            keys[i] = keys[c]
            vals[i] = vals[c]
            i = c
        keys[i] = lk
        vals[i] = lv
    return key, val, size


@njit(cache=True, inline="always")
def _queue_push(q, n, val):
    if n == q.shape[0]:
        nq = np.empty(q.shape[0] * 2, q.dtype)
        nq[:n] = q[:n]
        q = nq
    q[n] = val
    return q, n + 1


# --- untiled ------------------------------------------------------------------------------

@njit(cache=True)
def _flood(out, seeds):
    """Improved Priority-Flood in place on ``out`` (NaN = wall) from the ``seeds`` cells."""
    h, w = out.shape
    closed = np.isnan(out)
    cap = max(1024, 2 * (h + w))
    keys = np.empty(cap, np.float64)
    vals = np.empty(cap, np.int64)
    size = 0
    for r in range(h):
        for c in range(w):
            if seeds[r, c] and not closed[r, c]:
                closed[r, c] = True
                keys, vals, size = _heap_push(keys, vals, size, np.float64(out[r, c]), r * w + c)
    q = np.empty(1024, np.int64)
    qn = 0
    qp = 0
    while size > 0 or qp < qn:
        if qp < qn:
            cell = q[qp]
            qp += 1
            if qp == qn:
                qp = 0
                qn = 0
        else:
            _, cell, size = _heap_pop(keys, vals, size)
        r = cell // w
        c = cell - r * w
        elv = out[r, c]
        for k in range(8):
            rr = r + _DR[k]
            cc = c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w or closed[rr, cc]:
                continue
            closed[rr, cc] = True
            if out[rr, cc] <= elv:
                out[rr, cc] = elv
                q, qn = _queue_push(q, qn, rr * w + cc)
            else:
                keys, vals, size = _heap_push(keys, vals, size, np.float64(out[rr, cc]),
                                              rr * w + cc)
    return out


def edge_extents(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First and last valid column of each row and row of each column (−1: none).

    Parameters
    ----------
    valid : numpy.ndarray
        Boolean, True where the DEM has data.

    Returns
    -------
    tuple of numpy.ndarray
        ``(row_first, row_last, col_first, col_last)``, int64, indices within ``valid``.
    """
    h, w = valid.shape
    rows = valid.any(axis=1)
    cols = valid.any(axis=0)
    rf = np.where(rows, valid.argmax(axis=1), -1)
    rl = np.where(rows, w - 1 - valid[:, ::-1].argmax(axis=1), -1)
    cf = np.where(cols, valid.argmax(axis=0), -1)
    cl = np.where(cols, h - 1 - valid[::-1, :].argmax(axis=0), -1)
    return (rf.astype(np.int64), rl.astype(np.int64), cf.astype(np.int64),
            cl.astype(np.int64))


def combine_extents(shape: tuple[int, int], parts) -> tuple[np.ndarray, ...]:
    """Raster-wide extents from :func:`edge_extents` of tile windows.

    Parameters
    ----------
    shape : tuple
        Raster shape.
    parts : iterable of ((row0, col0), extents)
        Each window's offset and its :func:`edge_extents`.
    """
    h, w = shape
    big = np.iinfo(np.int64).max
    rf = np.full(h, big)
    rl = np.full(h, -1)
    cf = np.full(w, big)
    cl = np.full(w, -1)
    for (r0, c0), (a, b, c, d) in parts:
        n, m = len(a), len(c)
        ok = a >= 0
        rf[r0:r0 + n] = np.minimum(rf[r0:r0 + n], np.where(ok, a + c0, big))
        rl[r0:r0 + n] = np.maximum(rl[r0:r0 + n], np.where(ok, b + c0, -1))
        ok = c >= 0
        cf[c0:c0 + m] = np.minimum(cf[c0:c0 + m], np.where(ok, c + r0, big))
        cl[c0:c0 + m] = np.maximum(cl[c0:c0 + m], np.where(ok, d + r0, -1))
    rf[rf == big] = -1
    cf[cf == big] = -1
    return rf, rl, cf, cl


def seeds_in_window(extents, window: tuple[slice, slice]) -> np.ndarray:
    """Boolean mask of the global seeds (pysheds' outlets) inside a window.

    Parameters
    ----------
    extents : tuple
        Raster-wide :func:`edge_extents` (or :func:`combine_extents`).
    window : (slice, slice)
        Rows and columns of the window, with explicit start and stop.
    """
    rf, rl, cf, cl = extents
    rs, cs = window
    h, w = rs.stop - rs.start, cs.stop - cs.start
    seeds = np.zeros((h, w), dtype=bool)
    rows = np.arange(rs.start, rs.stop)
    for col_of_row in (rf[rs], rl[rs]):
        ok = (col_of_row >= cs.start) & (col_of_row < cs.stop)
        seeds[(rows - rs.start)[ok], col_of_row[ok] - cs.start] = True
    cols = np.arange(cs.start, cs.stop)
    for row_of_col in (cf[cs], cl[cs]):
        ok = (row_of_col >= rs.start) & (row_of_col < rs.stop)
        seeds[row_of_col[ok] - rs.start, (cols - cs.start)[ok]] = True
    return seeds


def raster_seeds(dem: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells where water leaves the raster (pysheds' convention)."""
    valid = ~np.isnan(dem)
    return seeds_in_window(edge_extents(valid), (slice(0, dem.shape[0]), slice(0, dem.shape[1])))


def priority_flood(dem: np.ndarray) -> np.ndarray:
    """Fill every depression: pysheds' ``Grid.fill_depressions``, value for value.

    Parameters
    ----------
    dem : numpy.ndarray
        2-D float32 or float64 elevations; NaN is nodata (a wall).

    Returns
    -------
    numpy.ndarray
        Filled elevations, same dtype, NaN where ``dem`` is NaN.

    Examples
    --------
    >>> dem = np.full((3, 3), 2.0); dem[1, 1] = 1.0
    >>> float(priority_flood(dem)[1, 1])
    2.0
    """
    if dem.ndim != 2:
        raise ValueError("dem must be 2-D")
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    out = np.array(dem, copy=True, order="C")
    if out.size:
        _flood(out, raster_seeds(out))
    return out


@njit(cache=True)
def _flood_drainage(dem, filled, sinks, seeds, n):
    """Labelled priority-flood of the conditioned surface (``dem`` where ``sinks`` > 0,
    ``filled`` elsewhere, NaN walls) from the ``seeds`` (label 0) and every sink cell
    (label = its sink id); returns the labels (−1: nodata or unreached) and the cell count
    of each label 0 … ``n``."""
    h, w = dem.shape
    lab = np.full((h, w), -1, np.int32)
    counts = np.zeros(n + 1, np.int64)
    cap = max(1024, 2 * (h + w))
    keys = np.empty(cap, np.float64)
    vals = np.empty(cap, np.int64)
    size = 0
    for r in range(h):
        for c in range(w):
            if np.isnan(dem[r, c]):
                lab[r, c] = -2  # a wall: never entered (−1 again at the end)
                continue
            s = sinks[r, c]
            if s > 0:
                lab[r, c] = s
                counts[s] += 1
                keys, vals, size = _heap_push(keys, vals, size, np.float64(dem[r, c]), r * w + c)
            elif seeds[r, c]:
                lab[r, c] = 0
                counts[0] += 1
                keys, vals, size = _heap_push(keys, vals, size, np.float64(filled[r, c]),
                                              r * w + c)
    q = np.empty(1024, np.int64)
    qn = 0
    qp = 0
    level = -np.inf
    while size > 0 or qp < qn:
        if qp < qn:
            cell = q[qp]
            qp += 1
            if qp == qn:
                qp = 0
                qn = 0
        else:
            level, cell, size = _heap_pop(keys, vals, size)
            # the other cells of this level (each with a lower neighbour, or an outlet)
            # join the FIFO before any cell they flood: a flat is taken breadth-first
            # from all its lower edges at once
            while size > 0 and keys[0] == level:
                _, other, size = _heap_pop(keys, vals, size)
                q, qn = _queue_push(q, qn, other)
        r = cell // w
        c = cell - r * w
        a = lab[r, c]
        elv = level  # a FIFO cell is at the level of the heap cell that started its flat
        for k in range(8):
            rr = r + _DR[k]
            cc = c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w or lab[rr, cc] != -1:
                continue
            lab[rr, cc] = a
            counts[a] += 1
            z = filled[rr, cc]  # not a sink: every sink cell is a seed
            if z <= elv:
                q, qn = _queue_push(q, qn, rr * w + cc)
            else:
                keys, vals, size = _heap_push(keys, vals, size, np.float64(z), rr * w + cc)
    flat = lab.ravel()
    for i in range(flat.shape[0]):
        if flat[i] == -2:
            flat[i] = -1
    return lab, counts


def drainage_labels(dem: np.ndarray, filled: np.ndarray,
                    sinks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where every cell drains: off the raster (0) or into a sink (its id), by a
    priority-flood with watershed labels (Barnes, Lehman & Mulla 2014).

    The flood runs on the *conditioned surface* — ``dem`` inside the sinks, ``filled``
    elsewhere, NaN cells walls — from the raster's outlets (:func:`raster_seeds`, label 0)
    and every sink cell (label = its id) at once. Each other cell takes the label of the
    neighbour that floods it, which is its lowest neighbour (the flood pops cells in
    non-decreasing elevation: outside the sinks the conditioned surface has no pits, every
    cell has a non-rising path to a seed). On a flat (filled sub-threshold pits,
    plateaus) the cells with a lower neighbour, and outlets on it, are taken first, all
    together, then the flat breadth-first from them: a flat cell drains to the nearest
    (fewest 8-connected steps across the flat) of those, ties in flood order. Elevations
    are only compared, never changed or combined.

    Parameters
    ----------
    dem : numpy.ndarray
        2-D float32/float64 elevations, NaN nodata.
    filled : numpy.ndarray
        ``dem`` filled (:func:`priority_flood`), same shape and dtype.
    sinks : numpy.ndarray
        int32 sink id of every cell (1 … n), 0 outside the sinks; sink cells must be
        valid and raised by the fill (``filled > dem``), as depressions are.

    Returns
    -------
    labels : numpy.ndarray
        int32: 0 for cells that drain off the raster, the sink id for cells that drain
        into a sink (the sink's own cells included), −1 for nodata and for cells cut off
        from every outlet and sink by nodata.
    counts : numpy.ndarray
        int64, length n + 1: cells with each label (index 0: draining off the raster).

    Examples
    --------
    >>> dem = np.array([[3.0, 3, 3, 3], [3, 1, 2, 3], [3, 3, 3, 3]])
    >>> sinks = np.zeros(dem.shape, np.int32); sinks[1, 1:3] = 1  # both cells are raised
    >>> drainage_labels(dem, priority_flood(dem), sinks)[1].tolist()
    [10, 2]
    """
    if dem.shape != filled.shape or dem.shape != sinks.shape or dem.ndim != 2:
        raise ValueError("dem, filled and sinks must be 2-D arrays of one shape")
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    filled = np.ascontiguousarray(filled, dtype=dem.dtype)
    sinks = np.ascontiguousarray(sinks, dtype=np.int32)
    n = int(sinks.max()) if sinks.size else 0
    if not dem.size:
        return np.full(dem.shape, -1, np.int32), np.zeros(n + 1, np.int64)
    return _flood_drainage(np.ascontiguousarray(dem), filled, sinks, raster_seeds(dem), n)


# --- tiled ----------------------------------------------------------------------------------

@njit(cache=True)
def _flood_labels(out, seeds):
    """Labelled priority-flood of one tile in place on ``out`` from its perimeter and
    ``seeds``; returns labels, label count, outlet levels and the label-pair spill edges."""
    h, w = out.shape
    labels = np.zeros((h, w), np.int32)
    cap = max(1024, 2 * (h + w))
    keys = np.empty(cap, np.float64)
    vals = np.empty(cap, np.int64)
    size = 0
    outlet = np.empty(cap + 1, np.float64)
    outlet[0] = np.inf
    n = 0
    for r in range(h):
        for c in range(w):
            if np.isnan(out[r, c]):
                continue
            if r == 0 or r == h - 1 or c == 0 or c == w - 1 or seeds[r, c]:
                n += 1
                labels[r, c] = n
                if n == outlet.shape[0]:
                    no = np.empty(outlet.shape[0] * 2, np.float64)
                    no[:n] = outlet[:n]
                    outlet = no
                outlet[n] = np.float64(out[r, c]) if seeds[r, c] else np.inf
                keys, vals, size = _heap_push(keys, vals, size, np.float64(out[r, c]), r * w + c)
    ea = np.empty(1024, np.int64)
    eb = np.empty(1024, np.int64)
    ew = np.empty(1024, np.float64)
    ne = 0
    q = np.empty(1024, np.int64)
    qn = 0
    qp = 0
    while size > 0 or qp < qn:
        if qp < qn:
            cell = q[qp]
            qp += 1
            if qp == qn:
                qp = 0
                qn = 0
        else:
            _, cell, size = _heap_pop(keys, vals, size)
        r = cell // w
        c = cell - r * w
        elv = out[r, c]
        a = labels[r, c]
        for k in range(8):
            rr = r + _DR[k]
            cc = c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w or np.isnan(out[rr, cc]):
                continue
            b = labels[rr, cc]
            if b != 0:
                if b != a:
                    if ne == ea.shape[0]:
                        na = np.empty(ne * 2, np.int64)
                        nb = np.empty(ne * 2, np.int64)
                        nw = np.empty(ne * 2, np.float64)
                        na[:ne] = ea[:ne]
                        nb[:ne] = eb[:ne]
                        nw[:ne] = ew[:ne]
                        ea, eb, ew = na, nb, nw
                    ea[ne] = min(a, b)
                    eb[ne] = max(a, b)
                    ew[ne] = max(np.float64(elv), np.float64(out[rr, cc]))
                    ne += 1
                continue
            labels[rr, cc] = a
            if out[rr, cc] <= elv:
                out[rr, cc] = elv
                q, qn = _queue_push(q, qn, rr * w + cc)
            else:
                keys, vals, size = _heap_push(keys, vals, size, np.float64(out[rr, cc]),
                                              rr * w + cc)
    return labels, n, outlet[:n + 1].copy(), ea[:ne].copy(), eb[:ne].copy(), ew[:ne].copy()


def _min_edges(a: np.ndarray, b: np.ndarray, w: np.ndarray):
    """One edge per (a, b) pair, the least weight."""
    if not len(a):
        return a, b, w
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], w[first]


@dataclass
class TileFlood:
    """One tile filled from its perimeter, with watershed labels (:func:`flood_tile`).

    Attributes
    ----------
    filled : numpy.ndarray
        Tile-local fill (dtype of the DEM).
    labels : numpy.ndarray
        int32 label of every cell (1 … ``n_labels``; 0 for nodata and unreached cells).
    n_labels : int
    outlet : numpy.ndarray
        float64, length ``n_labels + 1``: the elevation at which label drains off the
        raster directly (its seed is a global seed), else +inf; index 0 unused.
    edges : tuple of numpy.ndarray
        ``(a, b, weight)``: label pairs that touch in the tile (a < b) and the least
        spill elevation between them.
    ring : dict
        ``"top", "bottom", "left", "right"`` → ``(labels, elevations)`` of the tile's
        edge rows and columns, for the cross-tile edges.
    """

    filled: np.ndarray
    labels: np.ndarray
    n_labels: int
    outlet: np.ndarray
    edges: tuple[np.ndarray, np.ndarray, np.ndarray]
    ring: dict

    def summary(self) -> TileFlood:
        """The same without the grids (what :func:`solve_spill` needs)."""
        return TileFlood(np.empty((0, 0)), np.empty((0, 0), np.int32), self.n_labels,
                         self.outlet, self.edges, self.ring)


def flood_tile(dem: np.ndarray, seeds: np.ndarray) -> TileFlood:
    """Fill one tile from its perimeter with watershed labels (step 2 of the module doc).

    Parameters
    ----------
    dem : numpy.ndarray
        The tile's elevations (float32/float64, NaN nodata).
    seeds : numpy.ndarray
        Boolean: global seeds in the tile (:func:`seeds_in_window`).

    Returns
    -------
    TileFlood
    """
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    out = np.array(dem, copy=True, order="C")
    labels, n, outlet, a, b, w = _flood_labels(out, np.ascontiguousarray(seeds, dtype=bool))
    ring = {"top": (labels[0, :].copy(), dem[0, :].astype(np.float64)),
            "bottom": (labels[-1, :].copy(), dem[-1, :].astype(np.float64)),
            "left": (labels[:, 0].copy(), dem[:, 0].astype(np.float64)),
            "right": (labels[:, -1].copy(), dem[:, -1].astype(np.float64))}
    return TileFlood(out, labels, int(n), outlet, _min_edges(a, b, w), ring)


@njit(cache=True)
def _minimax(indptr, dst, weight, n):
    best = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    keys = np.empty(1024, np.float64)
    vals = np.empty(1024, np.int64)
    best[0] = -np.inf
    keys, vals, size = _heap_push(keys, vals, 0, -np.inf, 0)
    while size > 0:
        key, u, size = _heap_pop(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        for e in range(indptr[u], indptr[u + 1]):
            v = dst[e]
            cand = max(key, weight[e])
            if cand < best[v]:
                best[v] = cand
                keys, vals, size = _heap_push(keys, vals, size, cand, v)
    return best


def tile_windows(shape: tuple[int, int], tile_size: int):
    """Row and column bounds of square tiles (the last ones smaller).

    Returns
    -------
    (rows, cols) : tuple of lists of (start, stop)
    """
    if tile_size < 2:
        raise ValueError("tile_size must be at least 2")
    h, w = shape
    rows = [(r, min(r + tile_size, h)) for r in range(0, h, tile_size)]
    cols = [(c, min(c + tile_size, w)) for c in range(0, w, tile_size)]
    return rows, cols


def _ring(flood: TileFlood, offset: int, side: str):
    """Global labels (0 stays 0) and elevations of one side of a tile."""
    lab, z = flood.ring[side]
    return np.where(lab > 0, lab.astype(np.int64) + offset, 0), z


def _cross_pairs(la, za, lb, zb):
    """Edges between two parallel strips of cells (8-adjacent: offsets −1, 0, +1)."""
    out_a, out_b, out_w = [], [], []
    n = len(la)
    for d in (-1, 0, 1):
        s = slice(max(0, -d), n - max(0, d))
        t = slice(s.start + d, s.stop + d)
        a, b = la[s], lb[t]
        ok = (a > 0) & (b > 0)
        out_a.append(np.minimum(a, b)[ok])
        out_b.append(np.maximum(a, b)[ok])
        out_w.append(np.maximum(za[s], zb[t])[ok])
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_w)


def solve_spill(floods: list[TileFlood], rows, cols) -> list[np.ndarray]:
    """Global spill level of every tile's labels (step 3 of the module docstring).

    Parameters
    ----------
    floods : list of TileFlood
        One per tile, row-major over ``rows`` × ``cols`` (grids not needed:
        :meth:`TileFlood.summary` is enough).
    rows, cols : lists of (start, stop)
        From :func:`tile_windows`.

    Returns
    -------
    list of numpy.ndarray
        Per tile, float64 of length ``n_labels + 1``: index 0 +inf, then each label's
        lowest level on a path to the raster's outlets (+inf if none).
    """
    ntr, ntc = len(rows), len(cols)
    offsets = np.concatenate([[0], np.cumsum([f.n_labels for f in floods])]).astype(np.int64)
    n = int(offsets[-1]) + 1
    ea, eb, ew = [], [], []
    for f, off in zip(floods, offsets[:-1], strict=False):
        a, b, w = f.edges
        ea.append(a + off)
        eb.append(b + off)
        ew.append(w)
        lab = np.nonzero(np.isfinite(f.outlet))[0]
        ea.append(np.zeros(len(lab), np.int64))
        eb.append(lab + off)
        ew.append(f.outlet[lab])

    def add(pairs):
        ea.append(pairs[0])
        eb.append(pairs[1])
        ew.append(pairs[2])

    def strip(ks, side):
        parts = [_ring(floods[k], int(offsets[k]), side) for k in ks]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    for j in range(ntc - 1):  # vertical tile borders, the whole raster height
        add(_cross_pairs(*strip([i * ntc + j for i in range(ntr)], "right"),
                         *strip([i * ntc + j + 1 for i in range(ntr)], "left")))
    for i in range(ntr - 1):  # horizontal tile borders, the whole raster width
        add(_cross_pairs(*strip([i * ntc + j for j in range(ntc)], "bottom"),
                         *strip([(i + 1) * ntc + j for j in range(ntc)], "top")))
    a = np.concatenate(ea).astype(np.int64)
    b = np.concatenate(eb).astype(np.int64)
    w = np.concatenate(ew).astype(np.float64)
    a, b, w = _min_edges(a, b, w)
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    wt = np.concatenate([w, w])
    order = np.argsort(src, kind="stable")
    dst, wt = dst[order], wt[order]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    best = _minimax(indptr, dst, wt, n)
    out = []
    for f, off in zip(floods, offsets[:-1], strict=False):
        s = np.empty(f.n_labels + 1)
        s[0] = np.inf
        s[1:] = best[off + 1:off + 1 + f.n_labels]
        out.append(s)
    return out


def apply_spill(dem: np.ndarray, flood: TileFlood, spill: np.ndarray) -> np.ndarray:
    """The tile's final fill: ``max(tile fill, spill[label])`` (step 4 of the module docstring).

    Cells whose label has no path to an outlet (cut off by nodata) and unreached cells
    keep their elevation, as in pysheds.
    """
    s = spill[flood.labels]
    out = np.where(np.isinf(s), dem, np.maximum(flood.filled, s))
    return out.astype(flood.filled.dtype, copy=False)


def tiled_fill(dem: np.ndarray, tile_size: int, *, client=None) -> np.ndarray:
    """:func:`priority_flood` computed tile by tile; equal to it value for value.

    Parameters
    ----------
    dem : numpy.ndarray
        2-D float32/float64 elevations, NaN nodata.
    tile_size : int
        Tile side in cells (≥ 2; edge tiles are smaller when it does not divide the raster).
    client : distributed.Client, optional
        Run steps 2 and 4 as tasks on its workers (:func:`_tiled_fill_on`); the tiles'
        grids stay on the workers between the steps, only the summaries travel.
    """
    if dem.dtype not in (np.float32, np.float64):
        dem = dem.astype(np.float64)
    rows, cols = tile_windows(dem.shape, tile_size)
    extents = edge_extents(~np.isnan(dem))
    wins = [(slice(r0, r1), slice(c0, c1)) for r0, r1 in rows for c0, c1 in cols]
    if client is not None:
        return _tiled_fill_on(client, dem, wins, extents, rows, cols)
    out = np.empty_like(dem)
    labels, summaries = [], []
    for win in wins:  # step 1: the tile-local fill goes straight into the output
        f = flood_tile(dem[win], seeds_in_window(extents, win))
        out[win] = f.filled
        labels.append(f.labels)
        summaries.append(f.summary())
        del f
    spills = solve_spill(summaries, rows, cols)
    for k, win in enumerate(wins):  # step 3, in place
        flood = TileFlood(out[win], labels[k], 0, summaries[k].outlet, summaries[k].edges, {})
        out[win] = apply_spill(dem[win], flood, spills[k])
        labels[k] = None
    return out


def _summary_of(flood: TileFlood) -> TileFlood:
    return flood.summary()


def _tiled_fill_on(client, dem: np.ndarray, wins, extents, rows, cols) -> np.ndarray:
    """Steps 2 and 4 as dask tasks, step 3 here: each tile's DEM is sent once, its
    :class:`TileFlood` stays on the worker that made it, and only the summaries come back
    before the filled tiles do."""
    tiles = [client.scatter(np.ascontiguousarray(dem[win])) for win in wins]
    floods = [client.submit(flood_tile, t, seeds_in_window(extents, win), pure=False)
              for t, win in zip(tiles, wins, strict=True)]
    summaries = client.gather([client.submit(_summary_of, f, pure=False) for f in floods])
    spills = solve_spill(summaries, rows, cols)
    # every tile's last step submitted at once, so the workers run them side by side;
    # each result is copied out and its tile's futures released as it is taken
    finals = [client.submit(apply_spill, t, f, s, pure=False)
              for t, f, s in zip(tiles, floods, spills, strict=True)]
    out = np.empty_like(dem)
    for k, win in enumerate(wins):
        out[win] = finals[k].result()
        for future in (finals[k], floods[k], tiles[k]):
            future.release()
    return out

"""Hot spots and recurring spots of cases on cells (grid cells or hexagons).

:func:`hot_spots`: Getis-Ord Gi* (``esda.G_Local``, ``star=True``, binary queen contiguity
plus the cell itself) of the number of cases per cell and category, with permutation
inference and a Benjamini–Hochberg false-discovery-rate cut (``esda.fdr``).
:func:`recurring_spots`: cells with cases of a category in at least N of the last M months.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..inputs import metric
from .common import align, as_datetime, check_positive, first_container, id_column_of
from .defaults import COMPLAINTS_DEFAULTS

__all__ = ["case_counts", "cell_weights", "hex_grid", "hot_spots", "pseudo_p_value",
           "recurring_spots"]


def hex_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    size_m: float = COMPLAINTS_DEFAULTS.hex_size_m,
) -> gpd.GeoDataFrame:
    """A regular grid of pointy-top hexagons covering ``area`` (cells that touch it).

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        Polygons in a metric CRS (e.g. the subdistricts).
    size_m : float, keyword-only
        Distance from a hexagon's centre to its vertices, metres (default 250 m: a cell of
        about 0.16 km², the size of a few blocks).

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (``H<row>_<col>``) and polygon geometry, same CRS as ``area``.
    """
    check_positive(size_m=size_m)
    area = metric(gpd.GeoDataFrame(geometry=area.geometry), "area polygons")
    minx, miny, maxx, maxy = area.total_bounds
    w = np.sqrt(3) * size_m  # width of a pointy-top hexagon
    dy = 1.5 * size_m
    rows = np.arange(int(np.floor(miny / dy)) - 1, int(np.ceil(maxy / dy)) + 2)
    cols = np.arange(int(np.floor(minx / w)) - 1, int(np.ceil(maxx / w)) + 2)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    cx = cc * w + (rr % 2) * w / 2
    cy = rr * dy
    ang = np.deg2rad(30 + 60 * np.arange(6))
    vx = cx[:, None] + size_m * np.cos(ang)[None, :]
    vy = cy[:, None] + size_m * np.sin(ang)[None, :]
    # round to the millimetre so that neighbours share their vertices exactly (contiguity)
    ring = np.round(np.stack([vx, vy], axis=-1), 3)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polys = shapely.polygons(ring)
    union = shapely.union_all(area.geometry.to_numpy())
    keep = shapely.intersects(polys, union)
    ids = np.array([f"H{r}_{c}" for r, c in zip(rr[keep], cc[keep], strict=True)], dtype=object)
    return gpd.GeoDataFrame({"cell_id": ids}, geometry=polys[keep], crs=area.crs)


def cell_weights(cells: gpd.GeoDataFrame):
    """Binary queen-contiguity weights of ``cells`` (ids are row positions).

    Parameters
    ----------
    cells : GeoDataFrame
        Polygons (grid cells or :func:`hex_grid`).

    Returns
    -------
    libpysal.weights.W
        Binary (transform ``B``); Gi* adds each cell to its own neighbourhood.
    """
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # islands, disconnected components
        w = Queen.from_dataframe(cells.reset_index(drop=True), use_index=False,
                                 silence_warnings=True)
    w.transform = "B"
    return w


def case_counts(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    cell_id_column: str | None = None,
) -> pd.DataFrame:
    """Number of cases per cell (rows, in cell order) and category (columns)."""
    col = id_column_of(cells, cell_id_column)
    cells = align(cells, cases.crs)
    ids, _ = first_container(cases.geometry.to_numpy(), cells, col)
    frame = pd.DataFrame({"cell_id": ids, "category": cases["category"].astype(str).to_numpy()})
    frame = frame[frame["cell_id"].notna()]
    counts = pd.crosstab(frame["cell_id"], frame["category"])
    return counts.reindex(cells[col].astype(str).to_numpy(), fill_value=0)


def hot_spots(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    cell_id_column: str | None = None,
    weights: Any = None,
    permutations: int = COMPLAINTS_DEFAULTS.permutations,
    seed: int | None = COMPLAINTS_DEFAULTS.seed,
    alpha: float = COMPLAINTS_DEFAULTS.alpha,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots of cases per cell and category, FDR-corrected.

    For each category, ``esda.G_Local(n_cases, w, transform="B", star=True,
    permutations=permutations, seed=seed)`` on binary queen contiguity (each cell is also
    its own neighbour: Gi*). ``gi_z`` is esda's analytic z-score ``Zs``; ``p_sim`` the
    one-sided pseudo p-value from esda's conditional permutations with ties counted as
    extreme (:func:`pseudo_p_value`; equal to esda's ``p_sim`` when there are no ties);
    cells without neighbours get ``p_sim = 1``. A cell is significant when ``p_sim`` is at
    most the Benjamini–Hochberg threshold ``esda.fdr(p_sim, alpha)`` of its category (one
    family of tests per category). Significant cells with ``gi_z > 0`` are ``hot``, with
    ``gi_z < 0`` ``cold``; the rest ``none``.

    Parameters
    ----------
    cases : GeoDataFrame
        Cases (or orders) with ``category``, points.
    cells : GeoDataFrame
        Grid cells (``grid_id``) or :func:`hex_grid` (``cell_id``), polygons.
    cell_id_column : str, optional, keyword-only
        Id column of ``cells`` (default ``cell_id``, else ``grid_id``).
    weights : libpysal.weights.W, optional, keyword-only
        Spatial weights over the cells' row positions (default :func:`cell_weights`).
    permutations : int, keyword-only
        Conditional permutations for ``p_sim`` (default ``COMPLAINTS_DEFAULTS.permutations``,
        9999: with 999 the smallest p_sim, 0.001, cannot pass the FDR cut α/n once there
        are more than 50 cells).
    seed : int or None, keyword-only
        Seed of the permutations (reproducible output).
    alpha : float, keyword-only
        False-discovery rate (default 0.05).

    Returns
    -------
    DataFrame
        ``cell_id, category, n_cases, gi_z, p_sim, class``, one row per cell and category;
        ``gi_z`` and ``p_sim`` are NaN (class ``none``) where a category's counts do not
        vary across cells.
    """
    import esda

    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be in (0, 1), not {alpha!r}")
    counts = case_counts(cases, cells, cell_id_column=cell_id_column)
    w = weights if weights is not None else cell_weights(cells)
    isolated = np.zeros(len(counts), dtype=bool)
    isolated[[i for i, c in enumerate(w.id_order) if w.cardinalities[c] == 0]] = True
    frames = []
    for cat in sorted(counts.columns):
        y = counts[cat].to_numpy(dtype=float)
        z = np.full(len(y), np.nan)
        p = np.full(len(y), np.nan)
        cls = np.full(len(y), "none", dtype=object)
        if len(y) > 2 and y.std() > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", DeprecationWarning)  # esda's future default
                g = esda.G_Local(y, w, transform="B", star=True, permutations=permutations,
                                 seed=seed, keep_simulations=True, n_jobs=1)
            z = np.asarray(g.Zs, dtype=float)
            p = pseudo_p_value(np.asarray(g.Gs, dtype=float), np.asarray(g.rGs, dtype=float))
            p[isolated] = 1.0
            thr = esda.fdr(p, alpha)
            sig = p <= thr
            cls[sig & (z > 0)] = "hot"
            cls[sig & (z < 0)] = "cold"
        frames.append(pd.DataFrame({
            "cell_id": counts.index.to_numpy(), "category": cat,
            "n_cases": y.astype(np.int64), "gi_z": z, "p_sim": p, "class": cls,
        }))
    if not frames:
        return pd.DataFrame(columns=["cell_id", "category", "n_cases", "gi_z", "p_sim", "class"])
    return pd.concat(frames, ignore_index=True)


def pseudo_p_value(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """One-sided permutation p-value in the direction of the observed statistic, ties counted.

    ``(min(#{sim ≥ obs}, #{sim ≤ obs}) + 1) / (permutations + 1)``, ties by
    :func:`numpy.isclose`. Without ties this is esda's ``p_sim`` exactly; with ties (sparse
    counts: a cell whose whole neighbourhood is empty has Gi* = 0, the least value any
    permutation can give) esda's folding counts the ties as *less* extreme and reports
    p = 1/(permutations+1), which would mark every empty neighbourhood a cold spot.

    Parameters
    ----------
    observed : ndarray, shape (n,)
    simulated : ndarray, shape (n, permutations)

    Returns
    -------
    ndarray, shape (n,)
    """
    obs = observed[:, None]
    tie = np.isclose(simulated, obs, rtol=1e-9, atol=1e-12)
    ge = ((simulated > obs) | tie).sum(axis=1)
    le = ((simulated < obs) | tie).sum(axis=1)
    return (np.minimum(ge, le) + 1.0) / (simulated.shape[1] + 1.0)


def recurring_spots(
    cases: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    min_months: int = COMPLAINTS_DEFAULTS.min_months,
    last_months: int = COMPLAINTS_DEFAULTS.last_months,
    as_of: _dt.date | str | None = None,
    cell_id_column: str | None = None,
) -> pd.DataFrame:
    """Cells where a category's cases come back: cases in ≥ ``min_months`` of the last months.

    Parameters
    ----------
    cases : GeoDataFrame
        ``category, first_received_at``, points.
    cells : GeoDataFrame
        Grid cells or :func:`hex_grid`.
    min_months : int, keyword-only
        Calendar months with at least one case needed (N, default 3).
    last_months : int, keyword-only
        Window length in calendar months ending with the month of ``as_of`` (M, default 6).
    as_of : date or str, optional, keyword-only
        End of the window (default: the latest case).
    cell_id_column : str, optional, keyword-only
        As in :func:`hot_spots`.

    Returns
    -------
    DataFrame
        ``cell_id, category, months_with_cases, n_cases, months`` (``;``-joined
        ``YYYY-MM``), only recurring cells, most persistent first.
    """
    if not (1 <= min_months <= last_months):
        raise ValidationError("need 1 ≤ min_months ≤ last_months",
                              hint=f"got min_months={min_months}, last_months={last_months}")
    cols = ["cell_id", "category", "months_with_cases", "n_cases", "months"]
    col = id_column_of(cells, cell_id_column)
    if not len(cases):
        return pd.DataFrame(columns=cols)
    when = as_datetime(cases["first_received_at"]).dt.tz_localize(None)
    end = pd.Period(pd.Timestamp(as_of) if as_of is not None else when.max(), freq="M")
    start = end - (last_months - 1)
    month = when.dt.to_period("M")
    in_window = ((month >= start) & (month <= end)).to_numpy()
    ids, _ = first_container(cases.geometry.to_numpy(), align(cells, cases.crs), col)
    frame = pd.DataFrame({"cell_id": ids, "category": cases["category"].astype(str).to_numpy(),
                          "month": month.astype(str).to_numpy()})[in_window]
    frame = frame[frame["cell_id"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    g = frame.groupby(["cell_id", "category"])
    out = pd.DataFrame({
        "months_with_cases": g["month"].nunique(),
        "n_cases": g.size(),
        "months": g["month"].agg(lambda m: ";".join(sorted(set(m)))),
    }).reset_index()
    out = out[out["months_with_cases"] >= min_months]
    return out.sort_values(["months_with_cases", "n_cases", "cell_id"],
                           ascending=[False, False, True]).reset_index(drop=True)[cols]

"""Straight-line service: each provider's service distance, its service area, and the
straight-line coverage of targets (exact point tests, overlays with the dissolved areas)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..engine import active_client
from ..inputs import require_columns
from .defaults import COVERAGE_DEFAULTS
from .parts import measure_of, merge_lines, overlay

__all__ = ["euclidean_coverage", "nearest_euclid", "service_areas", "service_distances"]


def service_distances(
    providers: gpd.GeoDataFrame, service_m: float | None, service_column: str | None
) -> np.ndarray:
    n = len(providers)
    if service_column is not None:
        require_columns(providers, [service_column], "providers")
        s = pd.to_numeric(providers[service_column], errors="coerce").to_numpy(float)
        if service_m is not None:
            s = np.where(np.isnan(s), service_m, s)
    elif service_m is None:
        raise ValidationError("no service distance", hint="pass service_m= or service_column=")
    else:
        s = np.full(n, float(service_m))
    if np.isnan(s).any():
        raise ValidationError(
            f"providers without a service distance in {service_column!r}",
            hint="fill the column or pass service_m=",
        )
    if (s < 0).any():
        raise ValidationError("negative service distance", hint="distances are metres >= 0")
    return s


def service_areas(
    providers: gpd.GeoDataFrame,
    *,
    service_m: float | None = None,
    service_column: str | None = None,
    quad_segs: int = COVERAGE_DEFAULTS.quad_segs,
) -> gpd.GeoSeries:
    """Straight-line service area of every provider: its geometry buffered by its distance.

    Parameters
    ----------
    providers : GeoDataFrame
        Points, lines or polygons in a metric CRS.
    service_m : float, optional, keyword-only
        Service distance in metres for every provider (and for those whose
        ``service_column`` is empty).
    service_column : str, optional, keyword-only
        Column with each provider's own service distance, metres.
    quad_segs : int, keyword-only
        Segments per quarter circle.

    Returns
    -------
    GeoSeries
        Aligned to ``providers``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> p = gpd.GeoDataFrame({"r": [10.0, 20.0]}, geometry=[Point(0, 0), Point(100, 0)],
    ...                      crs="EPSG:4549")
    >>> [round(a) for a in service_areas(p, service_column="r").area]
    [314, 1255]
    """
    s = service_distances(providers, service_m, service_column)
    return gpd.GeoSeries(
        shapely.buffer(providers.geometry.to_numpy(), s, quad_segs=quad_segs),
        index=providers.index,
        crs=providers.crs,
    )


def nearest_euclid(geoms: np.ndarray, pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(geoms)
    pos = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(ok) and len(pg):
        (i, j), d = shapely.STRtree(pg).query_nearest(
            geoms[ok], all_matches=False, return_distance=True
        )
        pos[ok[i]] = j
        dist[ok[i]] = d
    return pos, dist


def points_covered(points: np.ndarray, pg: np.ndarray, s: np.ndarray, reach: float
                   ) -> np.ndarray:
    """Is each point within its own service distance ``s[j]`` of some provider ``pg[j]``?

    ``reach`` (≥ every ``s``) is the index search radius; the test itself is exact.
    """
    covered = np.zeros(len(points), bool)
    if not len(points) or not len(pg):
        return covered
    i, j = shapely.STRtree(pg).query(points, predicate="dwithin", distance=reach)
    ok = shapely.distance(points[i], pg[j]) <= s[j] + 1e-9
    covered[np.unique(i[ok])] = True
    return covered


def _distributed_points_covered(points: np.ndarray, pg: np.ndarray, s: np.ndarray,
                                client) -> np.ndarray:
    """:func:`points_covered` strip by strip on a dask.distributed ``client``.

    Each task gets the points of one strip and every provider whose extent comes within the
    largest service distance of them (the halo), so each point meets every provider that can
    cover it: the flags are identical.
    """
    from ..engine import default_partitions, run_tasks, strips

    reach = float(s.max())
    halo = reach * (1 + 1e-6) + 1e-3
    x = shapely.get_x(points)
    pb = shapely.bounds(pg)
    parts = default_partitions(client, len(points))
    chunks, payloads = [], []
    for st in strips(x, x, parts=parts, halo=0.0):
        own = st.rows[: st.n_owned]
        ox = x[own][np.isfinite(x[own])]
        if len(ox):
            near = np.flatnonzero((pb[:, 2] >= ox.min() - halo) & (pb[:, 0] <= ox.max() + halo))
        else:
            near = np.empty(0, np.int64)
        arrays = client.scatter([(points[own], pg[near], s[near])], hash=False)[0]
        chunks.append(own)
        payloads.append((arrays, reach))
    covered = np.zeros(len(points), bool)
    for own, flags in zip(chunks, run_tasks(client, _strip_covered, payloads), strict=True):
        covered[own] = flags
    return covered


def _strip_covered(arrays: tuple, reach: float) -> np.ndarray:
    points, pg, s = arrays
    return points_covered(points, pg, s, reach)


def euclidean_coverage(geoms, dims, pg, s, quad_segs):
    """Straight-line coverage: (share, covered parts/rows, uncovered parts/rows, service area)."""
    n = len(geoms)
    share = np.zeros(n)
    buffers = shapely.buffer(pg, s, quad_segs=quad_segs)
    buffers = buffers[~(shapely.is_missing(buffers) | shapely.is_empty(buffers))]
    union = shapely.union_all(buffers) if len(buffers) else shapely.Polygon()
    region = shapely.get_parts(union)
    region = region[shapely.get_dimensions(region) == 2]
    cps, cis, ups, uis = [], [], [], []
    # points: exact distance test against each provider's own distance
    pts = np.flatnonzero(dims == 0)
    if len(pts):
        covered = np.zeros(len(pts), bool)
        if len(pg) and np.isfinite(s).any():
            client = active_client()
            if client is None:
                covered = points_covered(geoms[pts], pg, s, float(s.max()))
            else:
                covered = _distributed_points_covered(geoms[pts], pg, s, client)
        share[pts] = covered
        cps.append(geoms[pts][covered])
        cis.append(pts[covered])
        ups.append(geoms[pts][~covered])
        uis.append(pts[~covered])
    for dim in (1, 2):
        rows = np.flatnonzero(dims == dim)
        cp, ci, up, ui = overlay(geoms[rows], rows, dim, region)
        if dim == 1:
            cp, ci = merge_lines(cp, ci)
            up, ui = merge_lines(up, ui)
        total = measure_of(geoms[rows], dim)
        cov = np.bincount(ci, weights=measure_of(cp, dim), minlength=n)[rows] if len(cp) else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            share[rows] = np.where(
                total > 0, np.minimum(cov / np.where(total > 0, total, 1), 1.0), 0.0
            )
        cps.append(cp)
        cis.append(ci)
        ups.append(up)
        uis.append(ui)
    return (
        share,
        np.concatenate(cps),
        np.concatenate(cis).astype(np.int64),
        np.concatenate(ups),
        np.concatenate(uis).astype(np.int64),
        region,
    )


"""Administrative areas: the district, its 12 subdistricts (a power diagram sized to their
reference areas) and the ~420 m grid cells of grid management (网格化管理).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Point, Polygon

from ... import settings
from .base import Base
from .common import person_name, polygons_of, work_point
from .places import CENSUS_2020_POPULATION, REFERENCE_AREA_KM2, SUBDISTRICTS


def _half_plane(n: np.ndarray, c: float, radius: float = 1e5) -> Polygon:
    """The half-plane ``n · x <= c`` as a large polygon."""
    unit = n / np.hypot(*n)
    x0 = unit * (c / np.hypot(*n))
    d = np.array([-unit[1], unit[0]])
    return Polygon(
        [x0 + radius * d, x0 - radius * d, x0 - radius * (d + unit), x0 + radius * (d - unit)]
    )


def _power_cells(
    outline: Polygon, sites: np.ndarray, weights: np.ndarray
) -> list[shapely.Geometry]:
    """Power-diagram (weighted Voronoi) cells of ``sites`` clipped to ``outline``."""
    sq = (sites**2).sum(axis=1)
    cells = []
    for i in range(len(sites)):
        cell: shapely.Geometry = outline
        for j in range(len(sites)):
            if i != j:
                c = (sq[j] - sq[i] + weights[i] - weights[j]) / 2
                cell = shapely.intersection(cell, _half_plane(sites[j] - sites[i], c))
        cells.append(cell)
    return cells


def _subdistrict_cells(outline: Polygon, iterations: int = 40) -> list[shapely.Geometry]:
    """Subdistrict polygons: a power diagram of the hand-placed seeds, its weights tuned so that
    each cell's share of the district matches :data:`REFERENCE_AREA_KM2`."""
    origin = np.array(outline.centroid.coords[0])
    local = shapely.affinity.translate(outline, -origin[0], -origin[1])
    sites = np.array([work_point(lon, lat).coords[0] for _c, _n, lon, lat in SUBDISTRICTS]) - origin
    ref = np.array([REFERENCE_AREA_KM2[c] for c, *_ in SUBDISTRICTS])
    target = ref / ref.sum() * local.area
    weights = np.zeros(len(sites))
    for _ in range(iterations):
        area = np.array([g.area for g in _power_cells(local, sites, weights)])
        weights += 0.3 * (target - area)
    cells = _power_cells(local, sites, weights)
    return [shapely.affinity.translate(g, origin[0], origin[1]) for g in cells]


def subdistricts_layer(base: Base) -> gpd.GeoDataFrame:
    """The ``subdistricts`` layer: 12 polygons with code, name, 2020 population and area."""
    geoms = []
    for geom in _subdistrict_cells(base.outline):
        polys = polygons_of(geom)
        geoms.append(polys[0] if len(polys) == 1 else geom)
    area = np.array([g.area for g in geoms]) / 1e6
    return gpd.GeoDataFrame(
        {
            "subdistrict_id": [c for c, *_ in SUBDISTRICTS],
            "name": [n for _c, n, *_ in SUBDISTRICTS],
            "population": np.array([CENSUS_2020_POPULATION[c] for c, *_ in SUBDISTRICTS]),
            "area_km2": np.round(area, 3),
        },
        geometry=geoms,
        crs=settings.working_crs,
    )


def _merge_small_cells(pieces: list[shapely.Geometry], min_area: float) -> list[shapely.Geometry]:
    """Merge pieces smaller than ``min_area`` into the neighbour they share most boundary with."""
    pieces = list(pieces)
    while True:
        small = [i for i, p in enumerate(pieces) if p.area < min_area]
        if not small or len(pieces) == 1:
            return pieces
        i = min(small, key=lambda k: (pieces[k].area, k))
        shared = [
            (shapely.intersection(pieces[i].boundary, p.boundary).length, j)
            for j, p in enumerate(pieces)
            if j != i
        ]
        best_len, j = max(shared)
        if best_len <= 0:  # isolated sliver: keep it with the nearest piece anyway
            j = min((pieces[i].distance(p), k) for k, p in enumerate(pieces) if k != i)[1]
        pieces[j] = shapely.union(pieces[j], pieces[i])
        del pieces[i]


def grid_cells_layer(
    subs: gpd.GeoDataFrame, rng: np.random.Generator, size_m: float = 420.0
) -> gpd.GeoDataFrame:
    """The ``grid_cells`` layer: ~``size_m`` squares cut by subdistrict, slivers merged."""
    minx, miny, maxx, maxy = subs.total_bounds
    x0, y0 = math.floor(minx / 100) * 100, math.floor(miny / 100) * 100
    xs = np.arange(x0, maxx + size_m, size_m)
    ys = np.arange(y0, maxy + size_m, size_m)
    squares = shapely.box(
        *[a.ravel() for a in np.meshgrid(xs, ys)],
        *[a.ravel() + size_m for a in np.meshgrid(xs, ys)],
    )
    rows = []
    for code, name, sub in zip(subs["subdistrict_id"], subs["name"], subs.geometry, strict=True):
        cand = squares[shapely.intersects(squares, sub)]
        pieces = [g for g in shapely.intersection(cand, sub) if g.area > 0]
        pieces = [shapely.normalize(p) for p in _merge_small_cells(pieces, 0.2 * size_m**2)]
        order = sorted(
            range(len(pieces)),
            key=lambda k: (-round(pieces[k].centroid.y, -2), pieces[k].centroid.x),
        )
        short = name.removesuffix("街道")
        for n, k in enumerate(order, start=1):
            geom = pieces[k]
            parts = polygons_of(geom)
            rows.append(
                (
                    f"{code}-{n:03d}",
                    code,
                    f"{short}第{n}网格",
                    person_name(rng),
                    parts[0] if len(parts) == 1 else geom,
                )
            )
    ids, codes, names, managers, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"grid_id": ids, "subdistrict_id": codes, "name": names, "manager": managers},
        geometry=list(geoms),
        crs=settings.working_crs,
    )


def subdistrict_of(subs: gpd.GeoDataFrame, points: Sequence[Point]) -> np.ndarray:
    """Code of the subdistrict containing (else nearest to) each point."""
    pts = np.asarray(points, dtype=object)
    codes = np.full(pts.size, SUBDISTRICTS[0][0], dtype=object)
    dist = np.full(pts.size, np.inf)
    for code, geom in zip(subs["subdistrict_id"], subs.geometry, strict=True):
        d = shapely.distance(geom, pts)
        better = d < dist
        codes[better], dist[better] = code, d[better]
    return codes


def districts_layer(base: Base) -> gpd.GeoDataFrame:
    """The district itself (only used if the catalogue has a ``districts`` layer)."""
    return gpd.GeoDataFrame(
        {"district_id": ["310110"], "name": ["杨浦区"]},
        geometry=[base.outline],
        crs=settings.working_crs,
    )

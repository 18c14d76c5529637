"""Coverage gaps (全覆盖 / 空白点): which streets, compounds, grid cells and river stretches
no service or programme reaches.

Pure functions on GeoDataFrames (no I/O). :func:`coverage` is the general analysis; the
district's four reports are presets built on it: :func:`beautiful_streets`,
:func:`parking_reach`, :func:`grid_completeness` and :func:`river_monitoring`.

Method
------
**Straight line** (``distance="euclidean"``). Every provider is buffered by its service
distance (vectorised :func:`shapely.buffer`, ``quad_segs`` segments per quarter circle:
the default 16 keeps a 300 m circle within 0.4 m of the true one), the buffers are
dissolved once (:func:`shapely.union_all`) and split into their disjoint parts. An
:class:`shapely.STRtree` of the parts finds the few parts that touch each target; the
target is intersected with (and differenced from) only those. Because the parts are
disjoint, the covered length or area is an exact sum. Point targets are tested exactly
(``distance(point, provider) <= service_m`` of that provider), without the polygonal buffer.

**Along the network** (``distance="network"``). The network (the roads for walking, the
river centre lines for monitoring) is a :class:`~yangpu_gis.analysis.network.WalkingGraph`.
Providers are snapped to it (:func:`~yangpu_gis.analysis.network.snap_points`); their
straight access distance counts against their service distance. One multi-source
Dijkstra (SciPy, compiled) from all providers gives, for every node ``v``, the largest
remaining reach ``r(v) = max_p (s_p - d(p, v))`` — providers with their own service
distance ``s_p`` start from a stub edge of length ``access_p + (S - s_p)`` with
``S = max s_p``, so one search serves all. A point at distance ``x`` along an edge
``(u, v)`` of length ``L`` is then within reach exactly when ``x <= r(u)``, or
``L - x <= r(v)``, or it lies within ``s_p - access_p`` of a provider snapped onto that
edge. Each edge is cut at these reach points (interval union per edge), which gives the
covered and uncovered stretches exactly, without sampling. A line target that is itself
part of the network (roads covered along roads, rivers along rivers) collects the
stretches of its own edges; other lines are overlaid on the reached network with a
tolerance of ``on_network_m``. Point targets are inserted into the graph like the
providers (their own access distance counts too); polygon targets are reached at their
representative point (:func:`shapely.point_on_surface`), so their share is 0 or 1.

**Zone totals** (:func:`zone_totals`) split every target and every covered part exactly at
subdistrict or grid-cell boundaries (:func:`shapely.intersection`), so lengths and areas
per zone add up to the district's.

Defaults (:data:`COVERAGE_DEFAULTS`) name their source; the service distances of the
district reports come from issue 6 or are planning choices that a caller overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from .. import settings
from ..errors import ValidationError
from . import network

__all__ = [
    "COVERAGE_DEFAULTS",
    "PRESETS",
    "CoverageDefaults",
    "CoverageReport",
    "CoverageResult",
    "beautiful_streets",
    "coverage",
    "coverage_report",
    "grid_completeness",
    "line_stretches",
    "parking_reach",
    "river_monitoring",
    "road_subdistricts",
    "service_areas",
    "synthetic_stations",
    "zone_totals",
]

Distance = Literal["euclidean", "network"]
_ASSUMED = "planning assumption; override per report"


@dataclass(frozen=True)
class CoverageDefaults:
    """Documented, overridable defaults of the coverage reports (metres, square metres)."""

    #: 美丽街区 along streets: a street is covered inside a block or within this distance.
    beautiful_buffer_m: float = field(
        default=20.0,
        metadata={
            "unit": "m",
            "source": "issue 6: within a beautiful-block polygon or within 20 m of one",
        },
    )
    #: Parking reach: walking distance from a compound to a public or shared facility.
    parking_service_m: float = field(
        default=300.0, metadata={"unit": "m", "source": "issue 6: 300 m walking distance"}
    )
    #: River monitoring: a river stretch farther than this from every station is a gap.
    river_service_m: float = field(default=1000.0, metadata={"unit": "m", "source": _ASSUMED})
    #: Grid completeness: gaps and overlaps smaller than this are digitising noise.
    min_area_m2: float = field(
        default=1.0, metadata={"unit": "m2", "source": "data tolerance (slivers of shared edges)"}
    )
    #: 三不管 roads: a road counts as in a subdistrict when at least this much of it is.
    min_part_m: float = field(
        default=5.0,
        metadata={"unit": "m", "source": "data tolerance (a road end drawn across a boundary)"},
    )
    #: Walking graph: join dead ends to a road this close (as the parking analysis does).
    connect_dangling_m: float = field(
        default=50.0,
        metadata={
            "unit": "m",
            "source": "data repair for centre-line roads (network.walking_graph)",
        },
    )
    #: A line target lies on the network where it is within this distance of an edge.
    on_network_m: float = field(default=1.0, metadata={"unit": "m", "source": "data tolerance"})
    #: Segments per quarter circle of straight-line service areas.
    quad_segs: int = field(
        default=16, metadata={"unit": "count", "source": "accuracy: a 300 m circle within 0.4 m"}
    )
    #: Demo only: spacing of synthetic water-quality stations along rivers.
    station_spacing_m: float = field(
        default=1500.0, metadata={"unit": "m", "source": "demo: synthetic stations, not real data"}
    )

    def table(self) -> pd.DataFrame:
        """The defaults as a table: ``parameter, value, unit, source``."""
        return pd.DataFrame(
            [
                {
                    "parameter": f.name,
                    "value": getattr(self, f.name),
                    "unit": f.metadata["unit"],
                    "source": f.metadata["source"],
                }
                for f in fields(self)
            ]
        )

    def as_dict(self) -> dict[str, float]:
        """Parameter name -> value."""
        return asdict(self)


#: The defaults used unless a function is given others.
COVERAGE_DEFAULTS = CoverageDefaults()

#: Street classes of the 美丽街区 report (compound-internal roads are not streets).
STREET_CLASSES: tuple[str, ...] = ("expressway", "arterial", "secondary", "branch", "alley")
#: ``road_class`` of compound-internal roads (小区内部道路): not streets, not 三不管 roads.
INTERNAL_CLASS = "internal"
#: Classes whose uncovered stretches the 美丽街区 report ranks.
RANKED_CLASSES: tuple[str, ...] = ("arterial", "secondary")
#: Parking kinds open to everyone; any facility with ``shared_offpeak`` counts as well.
PUBLIC_PARKING_KINDS: tuple[str, ...] = ("public",)

_KIND_NAMES = {0: "point", 1: "line", 2: "polygon"}
_EPS = 1e-6


# ---------------------------------------------------------------------------------------
# small helpers


def _metric(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValidationError(f"{name} has no CRS", hint="set_crs(settings.working_crs)")
    return gdf.to_crs(settings.working_crs) if gdf.crs.is_geographic else gdf


def _ids(gdf: gpd.GeoDataFrame, column: str | None) -> np.ndarray:
    if column is None:
        from ..catalogue import CATALOGUE

        column = next(
            (lyr.id_column for lyr in CATALOGUE.values() if lyr.id_column in gdf.columns), None
        ) or next((c for c in gdf.columns if str(c).endswith("_id")), None)
    if column is not None and column in gdf.columns:
        return gdf[column].astype(object).to_numpy()
    return np.asarray(gdf.index.astype(str), dtype=object)


def _group(parts: np.ndarray, index: np.ndarray, n: int, kind: str) -> np.ndarray:
    """One multi-geometry per group ``0..n-1`` (``None`` where a group has no parts)."""
    out = np.full(n, None, dtype=object)
    if not len(parts):
        return out
    order = np.argsort(index, kind="stable")
    maker = {
        "polygon": shapely.multipolygons,
        "line": shapely.multilinestrings,
        "point": shapely.multipoints,
    }[kind]
    return maker(parts[order], indices=index[order], out=out)


def _explode(geoms: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Single parts of dimension ``dim`` and the position of the geometry each came from."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, src = shapely.get_parts(geoms[ok], return_index=True)
    src = np.flatnonzero(ok)[src]
    # collections (e.g. a line touching a polygon) hold parts of lower dimension
    nested = shapely.get_type_id(parts) == 7
    if nested.any():
        sub, k = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        src = np.concatenate([src[~nested], src[nested][k]])
    keep = (shapely.get_dimensions(parts) == dim) & ~shapely.is_empty(parts)
    return parts[keep], src[keep]


def _measure(geoms: np.ndarray, dim: int) -> np.ndarray:
    return shapely.area(geoms) if dim == 2 else shapely.length(geoms)


def _service(
    providers: gpd.GeoDataFrame, service_m: float | None, service_column: str | None
) -> np.ndarray:
    n = len(providers)
    if service_column is not None:
        if service_column not in providers.columns:
            raise ValidationError(
                f"providers have no column {service_column!r}",
                hint=f"columns: {', '.join(map(str, providers.columns))}",
            )
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
    s = _service(providers, service_m, service_column)
    return gpd.GeoSeries(
        shapely.buffer(providers.geometry.to_numpy(), s, quad_segs=quad_segs),
        index=providers.index,
        crs=providers.crs,
    )


# ---------------------------------------------------------------------------------------
# the general analysis


@dataclass
class CoverageResult:
    """What :func:`coverage` found.

    Attributes
    ----------
    targets : GeoDataFrame
        The targets with their columns and, aligned to their index: ``target_id``, ``kind``
        (point/line/polygon), ``length_m``, ``covered_length_m`` (lines), ``area_m2``,
        ``covered_area_m2`` (polygons), ``covered_share`` (0–1; 0 or 1 for points),
        ``covered`` (bool: the point is within reach, the whole line/polygon is),
        ``reached`` (bool: any part is), ``status`` (covered/partial/uncovered),
        ``nearest_provider_id`` and ``nearest_distance_m`` (straight or network distance
        to the nearest provider; missing when none can be reached at all).
    covered_parts, uncovered_parts : GeoDataFrame
        Single-part geometries with the ``target_id`` and ``target_row`` (position in
        ``targets``) they belong to, and ``length_m`` / ``area_m2``. Parts of one target
        are disjoint; network line parts of one target are merged where they meet.
    service_area : GeoDataFrame
        Straight line: the dissolved service area (disjoint polygons). Network: the
        reached stretches of the network (lines).
    providers : GeoDataFrame
        The providers with ``provider_id`` and ``service_m``.
    distance : str
        ``euclidean`` or ``network``.
    parameters : dict
    notes : list of str
    """

    targets: gpd.GeoDataFrame
    covered_parts: gpd.GeoDataFrame
    uncovered_parts: gpd.GeoDataFrame
    service_area: gpd.GeoDataFrame
    providers: gpd.GeoDataFrame
    distance: str
    parameters: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """District totals per kind of target, for reports and ``--json``."""
        t = self.targets
        out: dict = {
            "distance": self.distance,
            "targets": int(len(t)),
            "providers": int(len(self.providers)),
            **self.parameters,
        }
        for kind in ("point", "line", "polygon"):
            sub = t[t["kind"] == kind]
            if not len(sub):
                continue
            out[f"{kind}_targets"] = int(len(sub))
            out[f"{kind}_covered"] = int(sub["covered"].sum())
            out[f"{kind}_uncovered"] = int((sub["status"] == "uncovered").sum())
            if kind == "line":
                total, cov = sub["length_m"].sum(), sub["covered_length_m"].sum()
                out.update(length_m=round(float(total), 1), covered_length_m=round(float(cov), 1))
                out["line_covered_share"] = round(float(cov / total), 4) if total else None
            if kind == "polygon":
                total, cov = sub["area_m2"].sum(), sub["covered_area_m2"].sum()
                out.update(area_m2=round(float(total), 1), covered_area_m2=round(float(cov), 1))
                out["polygon_covered_share"] = round(float(cov / total), 4) if total else None
        out["notes"] = list(self.notes)
        return out


def _parts_frame(parts: np.ndarray, rows: np.ndarray, ids: np.ndarray, crs) -> gpd.GeoDataFrame:
    dims = shapely.get_dimensions(parts) if len(parts) else np.empty(0, int)
    return gpd.GeoDataFrame(
        {
            "target_id": ids[rows] if len(rows) else np.empty(0, object),
            "target_row": rows.astype(np.int64),
            "length_m": np.where(dims == 1, shapely.length(parts), np.nan) if len(parts) else [],
            "area_m2": np.where(dims == 2, shapely.area(parts), np.nan) if len(parts) else [],
        },
        geometry=gpd.GeoSeries(parts, crs=crs) if len(parts) else gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def _overlay(
    geoms: np.ndarray,
    rows: np.ndarray,
    dim: int,
    region: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Covered and uncovered single parts of ``geoms`` by ``region`` (disjoint polygons).

    Returns ``(covered parts, their rows, uncovered parts, their rows)``.
    """
    n = len(geoms)
    if not n:
        e = np.empty(0, dtype=object)
        return e, np.empty(0, np.int64), e, np.empty(0, np.int64)
    if len(region):
        ti, rj = shapely.STRtree(region).query(geoms, predicate="intersects")
    else:
        ti = rj = np.empty(0, np.int64)
    local = _group(region[rj], ti, n, "polygon")
    hit = ~shapely.is_missing(local)
    cov = np.full(n, None, dtype=object)
    unc = geoms.copy()
    if hit.any():
        cov[hit] = shapely.intersection(geoms[hit], local[hit])
        unc[hit] = shapely.difference(geoms[hit], local[hit])
    cp, ci = _explode(cov, dim)
    up, ui = _explode(unc, dim)
    return cp, rows[ci], up, rows[ui]


def _merge_lines(parts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join the line parts of each row where they meet (:func:`shapely.line_merge`)."""
    if not len(parts):
        return parts, rows
    uniq, inv = np.unique(rows, return_inverse=True)
    merged = shapely.line_merge(_group(parts, inv, len(uniq), "line"))
    out, k = _explode(merged, 1)
    return out, uniq[k]


def _nearest_euclid(geoms: np.ndarray, pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _euclidean(geoms, dims, pg, s, quad_segs):
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
            i, j = shapely.STRtree(pg).query(
                geoms[pts], predicate="dwithin", distance=float(s.max())
            )
            ok = shapely.distance(geoms[pts][i], pg[j]) <= s[j] + 1e-9
            covered[np.unique(i[ok])] = True
        share[pts] = covered
        cps.append(geoms[pts][covered])
        cis.append(pts[covered])
        ups.append(geoms[pts][~covered])
        uis.append(pts[~covered])
    for dim in (1, 2):
        rows = np.flatnonzero(dims == dim)
        cp, ci, up, ui = _overlay(geoms[rows], rows, dim, region)
        if dim == 1:
            cp, ci = _merge_lines(cp, ci)
            up, ui = _merge_lines(up, ui)
        total = _measure(geoms[rows], dim)
        cov = np.bincount(ci, weights=_measure(cp, dim), minlength=n)[rows] if len(cp) else 0.0
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


@dataclass
class _Reach:
    """Node reach of a network search: remaining budget and nearest provider per node."""

    graph: network.WalkingGraph
    remain: np.ndarray  # S - D(v) over original nodes (−inf unreached)
    near_d: np.ndarray  # plain distance to the nearest provider per original node
    near_p: np.ndarray  # its provider position (−1 when none)
    p_edge: np.ndarray  # per provider: snapped edge (−1)
    p_offset: np.ndarray
    p_budget: np.ndarray  # s_p − access_p
    p_access: np.ndarray
    t_dist: np.ndarray | None = None  # per point target: budget-distance D(t) − S (≤ 0 reached)
    t_near_d: np.ndarray | None = None
    t_near_p: np.ndarray | None = None


def _search(
    matrix: sp.csr_matrix, p_node: np.ndarray, p_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra from stubs of length ``p_start``; (distance, source position)."""
    n = matrix.shape[0]
    ok = np.flatnonzero(p_node >= 0)
    if not len(ok):
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    stubs = n + np.arange(len(ok))
    coo = matrix.tocoo()
    big = sp.csr_matrix(
        (np.r_[coo.data, p_start[ok]], (np.r_[coo.row, stubs], np.r_[coo.col, p_node[ok]])),
        shape=(n + len(ok), n + len(ok)),
    )
    dist, _pred, src = dijkstra(
        big, directed=False, indices=stubs, min_only=True, return_predecessors=True
    )
    dist = dist[:n]
    src = src[:n]
    pos = np.where(src >= n, ok[np.clip(src - n, 0, len(ok) - 1)], -1)
    pos[~np.isfinite(dist)] = -1
    return dist, pos


def _network_reach(
    graph: network.WalkingGraph, pg: np.ndarray, s: np.ndarray, targets: np.ndarray | None = None
) -> _Reach:
    p_snap = network.snap_points(graph, pg)
    snaps = [p_snap] if targets is None else [p_snap, network.snap_points(graph, targets)]
    matrix, nodes = network._augment(graph, snaps)
    p_node = nodes[0]
    ok = p_node >= 0
    big_s = float(s[ok].max()) if ok.any() else 0.0
    dist, _ = _search(matrix, p_node, np.where(ok, p_snap.access_m + (big_s - s), 0.0))
    if ok.any() and np.ptp(s[ok]) > 0:
        near_d, near_p = _search(matrix, p_node, np.where(ok, p_snap.access_m, 0.0))
    else:
        near_d, near_p = (
            _search(matrix, p_node, np.where(ok, p_snap.access_m, 0.0))
            if ok.any()
            else (dist, np.full(len(dist), -1))
        )
    n0 = graph.n_nodes
    reach = _Reach(
        graph=graph,
        remain=big_s - dist[:n0],
        near_d=near_d[:n0],
        near_p=near_p[:n0],
        p_edge=p_snap.edge,
        p_offset=p_snap.offset_m,
        p_budget=s - p_snap.access_m,
        p_access=p_snap.access_m,
    )
    if targets is not None:
        t_snap = snaps[1]
        t_node = nodes[1]
        good = t_node >= 0
        td = np.full(len(t_node), np.inf)
        td[good] = dist[t_node[good]] + t_snap.access_m[good]
        reach.t_dist = td - big_s
        nd = np.full(len(t_node), np.inf)
        nd[good] = near_d[t_node[good]] + t_snap.access_m[good]
        reach.t_near_d = nd
        npos = np.full(len(t_node), -1, dtype=np.int64)
        npos[good] = near_p[t_node[good]]
        npos[~np.isfinite(nd)] = -1
        reach.t_near_p = npos
    return reach


def _merge_intervals(
    e: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals ``[a, b]`` per edge ``e``: sorted, disjoint, non-touching."""
    if not len(e):
        return e, a, b
    order = np.lexsort((a, e))
    e, a, b = e[order], a[order], b[order]
    frame = pd.DataFrame({"e": e, "a": a, "b": b})
    run = frame.groupby("e", sort=False)["b"].cummax().to_numpy()
    prev = np.r_[-np.inf, run[:-1]]
    new = np.r_[True, e[1:] != e[:-1]] | (a > prev + _EPS)
    grp = np.cumsum(new) - 1
    out = frame.groupby(grp).agg(e=("e", "first"), a=("a", "min"), b=("b", "max"))
    return out["e"].to_numpy(), out["a"].to_numpy(float), out["b"].to_numpy(float)


def _edge_intervals(reach: _Reach) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covered intervals ``(edge, from_m, to_m)`` of every edge (merged, clipped)."""
    edges = reach.graph.edges
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    length = edges["length_m"].to_numpy(float)
    k = np.arange(len(edges))
    ru, rv = reach.remain[u], reach.remain[v]
    on = reach.p_edge >= 0
    pe, po, pb = reach.p_edge[on], reach.p_offset[on], reach.p_budget[on]
    e = np.concatenate([k, k, pe])
    a = np.concatenate([np.zeros(len(k)), length - rv, po - pb])
    b = np.concatenate([ru, length, po + pb])
    valid = np.concatenate([ru >= 0, rv >= 0, pb >= 0])
    e, a, b = e[valid], a[valid], b[valid]
    a = np.clip(a, 0.0, length[e])
    b = np.clip(b, 0.0, length[e])
    keep = b - a > _EPS
    return _merge_intervals(e[keep], a[keep], b[keep])


def _complement(e, a, b, length) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The uncovered intervals of every edge, given its merged covered intervals."""
    n = len(length)
    first = np.r_[True, e[1:] != e[:-1]] if len(e) else np.empty(0, bool)
    last = np.r_[e[1:] != e[:-1], True] if len(e) else np.empty(0, bool)
    touched = np.zeros(n, bool)
    touched[e] = True
    free = np.flatnonzero(~touched)
    ge = np.concatenate([free, e[first], e[last], e[~last]])
    ga = np.concatenate([np.zeros(len(free)), np.zeros(first.sum()), b[last], b[~last]])
    gb = np.concatenate(
        [length[free], a[first], length[e[last]], a[1:][~last[:-1]] if len(e) else np.empty(0)]
    )
    keep = gb - ga > _EPS
    return ge[keep], ga[keep], gb[keep]


def _substrings(
    lines: np.ndarray, e: np.ndarray, a: np.ndarray, b: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Pieces ``lines[e]`` from ``a`` to ``b`` metres (whole edges kept as they are)."""
    from shapely.ops import substring

    out = lines[e].copy()
    part = np.flatnonzero((a > _EPS) | (b < length[e] - _EPS))
    for i in part.tolist():
        out[i] = substring(lines[e[i]], float(a[i]), float(b[i]))
    return out


def _network_lines(reach: _Reach) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Covered and uncovered stretches of the network: (pieces, edge) twice."""
    edges = reach.graph.edges
    lines = edges.geometry.to_numpy()
    length = edges["length_m"].to_numpy(float)
    e, a, b = _edge_intervals(reach)
    ue, ua, ub = _complement(e, a, b, length)
    return _substrings(lines, e, a, b, length), e, _substrings(lines, ue, ua, ub, length), ue


def _edge_nearest(reach: _Reach) -> tuple[np.ndarray, np.ndarray]:
    """Network distance from each edge (its nearest point) to the nearest provider."""
    edges = reach.graph.edges
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    cand_d = np.stack([reach.near_d[u], reach.near_d[v]])
    cand_p = np.stack([reach.near_p[u], reach.near_p[v]])
    best = np.argmin(cand_d, axis=0)
    d = cand_d[best, np.arange(len(u))]
    p = cand_p[best, np.arange(len(u))]
    on = np.flatnonzero(reach.p_edge >= 0)
    if len(on):
        frame = pd.DataFrame({"e": reach.p_edge[on], "d": reach.p_access[on], "p": on})
        frame = frame.sort_values(["e", "d"], kind="stable").drop_duplicates("e")
        ee = frame["e"].to_numpy()
        better = frame["d"].to_numpy() < d[ee]
        d[ee[better]] = frame["d"].to_numpy()[better]
        p[ee[better]] = frame["p"].to_numpy()[better]
    p = np.where(np.isfinite(d), p, -1)
    return d, p


def coverage(
    targets: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    *,
    service_m: float | None = None,
    service_column: str | None = None,
    distance: Distance = "euclidean",
    network_lines: gpd.GeoDataFrame | None = None,
    graph: network.WalkingGraph | None = None,
    target_id: str | None = None,
    provider_id: str | None = None,
    exclude_classes: Sequence[str] = network.NOT_WALKABLE,
    connect_dangling_m: float = 0.0,
    on_network_m: float = COVERAGE_DEFAULTS.on_network_m,
    quad_segs: int = COVERAGE_DEFAULTS.quad_segs,
) -> CoverageResult:
    """Which targets, and how much of each, lie within the service distance of a provider.

    Capacity-free: a provider serves everything within its distance. See the module
    docstring for the method.

    Parameters
    ----------
    targets : GeoDataFrame
        Points, lines or polygons (mixed allowed) in a metric CRS (geographic CRSs are
        projected to ``settings.working_crs``).
    providers : GeoDataFrame
        Points, lines or polygons in the same CRS.
    service_m : float, optional, keyword-only
        Service distance in metres of every provider (and of those whose
        ``service_column`` is empty).
    service_column : str, optional, keyword-only
        Provider column with each provider's own service distance, metres.
    distance : {"euclidean", "network"}, keyword-only
        Straight line (default) or along ``network_lines`` / ``graph``.
    network_lines : GeoDataFrame, optional, keyword-only
        Lines to walk along (the ``roads`` layer, river centre lines). Default for
        ``distance="network"``: the line targets themselves.
    graph : WalkingGraph, optional, keyword-only
        A prebuilt graph of ``network_lines`` (reuse it across calls).
    target_id, provider_id : str, optional, keyword-only
        Id columns; default the catalogue id column present, else the first ``*_id``
        column, else the index.
    exclude_classes : sequence of str, keyword-only
        Road classes left out of the network (default: expressways, not walkable).
    connect_dangling_m : float, keyword-only
        See :func:`~yangpu_gis.analysis.network.walking_graph` (metres).
    on_network_m : float, keyword-only
        Network mode, line targets that are not themselves the network: a target is on
        the network where it lies within this distance (metres) of a reached stretch.
    quad_segs : int, keyword-only
        Segments per quarter circle of straight-line service areas.

    Returns
    -------
    CoverageResult

    Raises
    ------
    ValidationError
        Unknown ``distance``, missing service distance, or no network to walk along.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame({"road_id": ["R1"]}, geometry=[LineString([(0, 0), (1000, 0)])],
    ...                          crs="EPSG:4549")
    >>> stops = gpd.GeoDataFrame({"stop_id": ["S1"]}, geometry=[Point(200, 0)], crs="EPSG:4549")
    >>> r = coverage(roads, stops, service_m=300, provider_id="stop_id")
    >>> round(float(r.targets["covered_length_m"].iloc[0]), 3)
    500.0
    >>> r = coverage(roads, stops, service_m=300, distance="network")
    >>> round(float(r.targets["covered_share"].iloc[0]), 3)
    0.5
    """
    if distance not in ("euclidean", "network"):
        raise ValidationError(f"unknown distance {distance!r}", hint="euclidean or network")
    targets = _metric(targets, "targets")
    providers = _metric(providers, "providers")
    if providers.crs != targets.crs:
        providers = providers.to_crs(targets.crs)
    s = _service(providers, service_m, service_column)
    tids = _ids(targets, target_id)
    pids = _ids(providers, provider_id)
    geoms = targets.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    dims = np.where(missing, -1, shapely.get_dimensions(np.where(missing, None, geoms)))
    pg = providers.geometry.to_numpy()
    p_ok = ~(shapely.is_missing(pg) | shapely.is_empty(pg))
    notes: list[str] = []
    if missing.any():
        notes.append(f"{int(missing.sum())} targets without geometry are left out")

    if distance == "euclidean":
        share, cp, ci, up, ui, region = _euclidean(geoms, dims, pg[p_ok], s[p_ok], quad_segs)
        near_pos, near_d = _nearest_euclid(geoms, pg[p_ok])
        near_pos = np.where(near_pos >= 0, np.flatnonzero(p_ok)[np.clip(near_pos, 0, None)], -1)
        service = gpd.GeoDataFrame(
            {"kind": ["service_area"] * len(region)},
            geometry=gpd.GeoSeries(region, crs=targets.crs),
            crs=targets.crs,
        )
    else:
        share, cp, ci, up, ui, near_pos, near_d, service, more = _network_coverage(
            targets,
            geoms,
            dims,
            pg,
            s,
            p_ok,
            network_lines=network_lines,
            graph=graph,
            exclude_classes=exclude_classes,
            connect_dangling_m=connect_dangling_m,
            on_network_m=on_network_m,
        )
        notes.extend(more)

    out = targets.copy()
    out["target_id"] = tids
    out["kind"] = [_KIND_NAMES.get(int(d)) for d in dims]
    line = dims == 1
    poly = dims == 2
    out["length_m"] = np.where(line, shapely.length(geoms), np.nan)
    out["area_m2"] = np.where(poly, shapely.area(geoms), np.nan)
    out["covered_length_m"] = np.where(line, share * out["length_m"].to_numpy(), np.nan)
    out["covered_area_m2"] = np.where(poly, share * out["area_m2"].to_numpy(), np.nan)
    share = np.where(missing, np.nan, share)
    out["covered_share"] = share
    out["covered"] = np.nan_to_num(share) >= 1 - 1e-9
    out["reached"] = np.nan_to_num(share) > 1e-12
    out["status"] = np.where(
        out["covered"], "covered", np.where(out["reached"], "partial", "uncovered")
    )
    has = (near_pos >= 0) & np.isfinite(near_d)
    out["nearest_provider_id"] = np.where(
        has, pids[np.clip(near_pos, 0, None)] if len(pids) else None, None
    )
    out["nearest_distance_m"] = np.where(has, near_d, np.nan)
    prov = providers.copy()
    prov["provider_id"] = pids
    prov["service_m"] = s
    params = {
        "distance": distance,
        "service_m": float(service_m) if service_m is not None else None,
        "service_column": service_column,
    }
    return CoverageResult(
        targets=out,
        covered_parts=_parts_frame(cp, ci, tids, targets.crs),
        uncovered_parts=_parts_frame(up, ui, tids, targets.crs),
        service_area=service,
        providers=prov,
        distance=distance,
        parameters=params,
        notes=notes,
    )


def _network_coverage(
    targets,
    geoms,
    dims,
    pg,
    s,
    p_ok,
    *,
    network_lines,
    graph,
    exclude_classes,
    connect_dangling_m,
    on_network_m,
):
    n = len(geoms)
    notes: list[str] = []
    own = network_lines is None and graph is None
    if own:
        lines_rows = np.flatnonzero(dims == 1)
        if not len(lines_rows):
            raise ValidationError(
                "network distance needs lines to walk along",
                hint="pass network_lines= (e.g. the roads layer)",
            )
        net = gpd.GeoDataFrame(
            {
                "road_id": lines_rows.astype(object),
                "road_class": (
                    targets["road_class"].to_numpy(object)[lines_rows]
                    if "road_class" in targets.columns
                    else None
                ),
            },
            geometry=geoms[lines_rows],
            crs=targets.crs,
        )
    else:
        net = network_lines
    if graph is None:
        graph = network.walking_graph(
            _metric(net, "network_lines").to_crs(targets.crs),
            exclude_classes=exclude_classes,
            connect_dangling_m=connect_dangling_m,
        )
    pts_rows = np.flatnonzero((dims == 0) | (dims == 2))
    pos_ok = np.flatnonzero(p_ok)
    reach = _network_reach(
        graph, pg[pos_ok], s[pos_ok], targets=geoms[pts_rows] if len(pts_rows) else None
    )
    share = np.zeros(n)
    near_pos = np.full(n, -1, dtype=np.int64)
    near_d = np.full(n, np.nan)
    cps, cis, ups, uis = [], [], [], []
    if len(pts_rows):
        ok = reach.t_dist <= 1e-9
        share[pts_rows] = ok
        near_d[pts_rows] = np.where(np.isfinite(reach.t_near_d), reach.t_near_d, np.nan)
        near_pos[pts_rows] = np.where(
            reach.t_near_p >= 0, pos_ok[np.clip(reach.t_near_p, 0, None)], -1
        )
        cps.append(geoms[pts_rows][ok])
        cis.append(pts_rows[ok])
        ups.append(geoms[pts_rows][~ok])
        uis.append(pts_rows[~ok])
        if (dims == 2).any():
            notes.append(
                "network distance: polygon targets are reached at their representative "
                "point (share 0 or 1)"
            )
    cover, ce, free, fe = _network_lines(reach)
    edge_d, edge_p = _edge_nearest(reach)
    rows = np.flatnonzero(dims == 1)
    if len(rows):
        if own:
            src = graph.edges["road_id"].to_numpy(object)
            on_target = np.array([x is not None for x in src])
            src_row = np.where(on_target, src, -1).astype(np.int64)
            ck = on_target[ce]
            cp, ci = _merge_lines(cover[ck], src_row[ce[ck]])
            uk = on_target[fe]
            up, ui = _merge_lines(free[uk], src_row[fe[uk]])
            # nearest provider of a line: its best edge
            ek = np.flatnonzero(on_target & np.isfinite(edge_d))
            if len(ek):
                frame = pd.DataFrame({"r": src_row[ek], "d": edge_d[ek], "p": edge_p[ek]})
                frame = frame.sort_values(["r", "d"], kind="stable").drop_duplicates("r")
                rr = frame["r"].to_numpy()
                near_d[rr] = frame["d"].to_numpy()
                near_pos[rr] = pos_ok[frame["p"].to_numpy()]
            # the parts of targets not on the network (excluded classes) stay uncovered
            seen = np.zeros(n, bool)
            seen[src_row[on_target]] = True
            off = rows[~seen[rows]]
            if len(off):
                notes.append(
                    f"{len(off)} line targets are not on the network "
                    f"(e.g. excluded classes {tuple(exclude_classes)}): uncovered"
                )
                up = np.concatenate([up, geoms[off]])
                ui = np.concatenate([ui, off])
        else:
            zone = cover[~(shapely.is_empty(cover))]
            region = (
                shapely.get_parts(
                    shapely.union_all(shapely.buffer(zone, on_network_m, cap_style="flat"))
                )
                if len(zone)
                else np.empty(0, dtype=object)
            )
            (
                cp,
                ci,
                up,
                ui,
            ) = _overlay(geoms[rows], rows, 1, region)
            cp, ci = _merge_lines(cp, ci)
            up, ui = _merge_lines(up, ui)
            # nearest: the nearest edge to each line, and that edge's provider distance
            if len(graph.edges):
                (ti, ej), dd = shapely.STRtree(graph.edges.geometry.to_numpy()).query_nearest(
                    geoms[rows], all_matches=False, return_distance=True
                )
                ok = np.isfinite(edge_d[ej])
                near_d[rows[ti[ok]]] = edge_d[ej[ok]] + dd[ok]
                near_pos[rows[ti[ok]]] = pos_ok[edge_p[ej[ok]]]
        total = shapely.length(geoms[rows])
        cov = np.bincount(ci, weights=shapely.length(cp), minlength=n)[rows] if len(cp) else 0.0
        share[rows] = np.where(total > 0, np.minimum(cov / np.where(total > 0, total, 1), 1.0), 0.0)
        cps.append(cp)
        cis.append(ci)
        ups.append(up)
        uis.append(ui)
    service = gpd.GeoDataFrame(
        {"kind": ["reached_network"] * len(cover)},
        geometry=gpd.GeoSeries(cover, crs=graph.crs),
        crs=graph.crs,
    )
    cp = np.concatenate(cps) if cps else np.empty(0, object)
    ci = np.concatenate(cis).astype(np.int64) if cis else np.empty(0, np.int64)
    up = np.concatenate(ups) if ups else np.empty(0, object)
    ui = np.concatenate(uis).astype(np.int64) if uis else np.empty(0, np.int64)
    return share, cp, ci, up, ui, near_pos, near_d, service, notes


# ---------------------------------------------------------------------------------------
# totals per zone, stretches


def zone_totals(
    result: CoverageResult,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Covered and total length/area/count of the targets per zone (subdistrict, grid cell).

    Lines and polygons, and their covered parts, are cut exactly at zone boundaries
    (:func:`shapely.intersection`); points count in every zone that contains them.

    Parameters
    ----------
    result : CoverageResult
    zones : GeoDataFrame
        Polygons with ``zone_id`` (and optionally ``name``).
    zone_id : str, keyword-only
        Id column of ``zones``; named so in the output.
    by : sequence of str, keyword-only
        Target columns to break the totals down by (e.g. ``["road_class"]``).

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``name`` (when zones have it), ``*by``, ``measure``
        (``length_m``/``area_m2``/``count``), ``n_targets``, ``total``, ``covered``,
        ``uncovered``, ``covered_share``; one row per zone, group and measure with targets.
    """
    t = result.targets
    zones = zones.to_crs(t.crs) if zones.crs != t.crs else zones
    zg = zones.geometry.to_numpy()
    zid = zones[zone_id].to_numpy(object)
    tree = shapely.STRtree(zg)
    by = list(by)
    frames = []
    kinds = t["kind"].to_numpy(object)
    for kind, measure, dim in (
        ("line", "length_m", 1),
        ("polygon", "area_m2", 2),
        ("point", "count", 0),
    ):
        rows = np.flatnonzero(kinds == kind)
        if not len(rows):
            continue
        geoms = t.geometry.to_numpy()[rows]
        i, j = tree.query(geoms, predicate="intersects")
        if dim == 0:
            tot = np.ones(len(i))
            cov = t["covered"].to_numpy(bool)[rows][i].astype(float)
        else:
            tot = _measure(shapely.intersection(geoms[i], zg[j]), dim)
            parts = result.covered_parts
            pk = parts["target_row"].isin(rows).to_numpy()
            pg = parts.geometry.to_numpy()[pk]
            pr = parts["target_row"].to_numpy()[pk]
            pi, pj = tree.query(pg, predicate="intersects") if len(pg) else (np.empty(0, int),) * 2
            cm = _measure(shapely.intersection(pg[pi], zg[pj]), dim) if len(pi) else np.empty(0)
            cov_frame = (
                pd.DataFrame({"row": pr[pi], "z": pj, "c": cm})
                .groupby(["row", "z"], as_index=False)["c"]
                .sum()
            )
            base = pd.DataFrame({"row": rows[i], "z": j})
            cov = base.merge(cov_frame, on=["row", "z"], how="left")["c"].fillna(0.0).to_numpy()
        f = pd.DataFrame({"row": rows[i], "z": j, "total": tot, "covered": cov})
        f = f[f["total"] > 0]
        for c in by:
            f[c] = t[c].to_numpy(object)[f["row"].to_numpy()] if c in t.columns else None
        g = f.groupby(["z", *by], dropna=False, as_index=False).agg(
            n_targets=("row", "nunique"), total=("total", "sum"), covered=("covered", "sum")
        )
        g["measure"] = measure
        frames.append(g)
    cols = [
        zone_id,
        *(["name"] if "name" in zones.columns else []),
        *by,
        "measure",
        "n_targets",
        "total",
        "covered",
        "uncovered",
        "covered_share",
    ]
    if not frames:
        return pd.DataFrame(columns=cols)
    g = pd.concat(frames, ignore_index=True)
    g["covered"] = np.minimum(g["covered"], g["total"])
    g["uncovered"] = g["total"] - g["covered"]
    g["covered_share"] = g["covered"] / g["total"]
    g[zone_id] = zid[g["z"].to_numpy()]
    if "name" in zones.columns:
        g["name"] = zones["name"].to_numpy(object)[g["z"].to_numpy()]
    g = g.sort_values(["z", *by, "measure"], kind="stable")
    return g[cols].reset_index(drop=True)


def line_stretches(
    parts: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    by: Sequence[str] = ("name", "road_class"),
    min_length_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Join line parts of targets with the same ``by`` values into continuous stretches.

    A road is usually stored as many segments; an uncovered stretch of 政通路 may span
    several. Parts are grouped by the targets' ``by`` columns, merged where they meet
    (:func:`shapely.line_merge`) and ranked by length.

    Parameters
    ----------
    parts : GeoDataFrame
        ``covered_parts`` or ``uncovered_parts`` of a :class:`CoverageResult`.
    targets : GeoDataFrame
        ``CoverageResult.targets`` (for the ``by`` columns).
    by : sequence of str, keyword-only
        Columns that must agree for parts to join (those missing are ignored).
    min_length_m : float, keyword-only
        Shorter stretches are left out.

    Returns
    -------
    GeoDataFrame
        ``rank``, ``*by``, ``length_m``, ``target_ids`` (``;``-joined), line geometry.
    """
    by = [c for c in by if c in targets.columns]
    lines = parts[parts.geom_type.isin(["LineString", "MultiLineString"])]
    cols = ["rank", *by, "length_m", "target_ids"]
    if not len(lines):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=parts.crs)
    rows = lines["target_row"].to_numpy()
    key = (
        pd.DataFrame({c: targets[c].to_numpy(object)[rows] for c in by})
        .astype(str)
        .agg("\x1f".join, axis=1)
        if by
        else pd.Series([""] * len(rows))
    )
    codes, uniq = pd.factorize(key)
    merged = shapely.line_merge(_group(lines.geometry.to_numpy(), codes, len(uniq), "line"))
    pieces, g = _explode(merged, 1)
    # which targets each stretch runs along
    tree = shapely.STRtree(lines.geometry.to_numpy())
    pi, lj = tree.query(pieces, predicate="intersects")
    same = codes[lj] == g[pi]
    ids = lines["target_id"].to_numpy(object)
    tid = pd.DataFrame({"p": pi[same], "t": ids[lj[same]]}).drop_duplicates()
    tid_s = tid.groupby("p")["t"].agg(lambda x: ";".join(map(str, x)))
    first_row = pd.Series(rows).groupby(codes).first().to_numpy()
    out = gpd.GeoDataFrame(
        {c: targets[c].to_numpy(object)[first_row[g]] for c in by},
        geometry=gpd.GeoSeries(pieces, crs=parts.crs),
        crs=parts.crs,
    )
    out["length_m"] = shapely.length(pieces)
    out["target_ids"] = tid_s.reindex(np.arange(len(pieces))).to_numpy()
    out = out[out["length_m"] >= min_length_m]
    out = out.sort_values("length_m", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[[*cols, "geometry"]]


# ---------------------------------------------------------------------------------------
# reports (presets)


@dataclass
class CoverageReport:
    """One district report: tables for CSV, layers for the GeoPackage and map, a summary.

    Attributes
    ----------
    preset : str
        ``beautiful-streets``, ``parking-reach``, ``grid-completeness``,
        ``river-monitoring`` or ``custom``.
    title : str
        Chinese title (map and report).
    tables : dict of str -> DataFrame
        Written as ``<preset>_<name>.csv``.
    layers : dict of str -> GeoDataFrame
        Written to ``coverage.gpkg`` as ``<preset>_<name>`` and drawn on the map.
    summary : dict
        Headline figures (``--json``).
    coverage : CoverageResult, optional
        The underlying general result.
    notes : list of str
    """

    preset: str
    title: str
    tables: dict[str, pd.DataFrame]
    layers: dict[str, gpd.GeoDataFrame]
    summary: dict
    coverage: CoverageResult | None = None
    notes: list[str] = field(default_factory=list)


def _zone_tables(
    result: CoverageResult, subdistricts, grid_cells, by=()
) -> dict[str, pd.DataFrame]:
    out = {}
    if subdistricts is not None and len(subdistricts):
        out["by_subdistrict"] = zone_totals(result, subdistricts, zone_id="subdistrict_id", by=by)
    if grid_cells is not None and len(grid_cells):
        out["by_grid_cell"] = zone_totals(result, grid_cells, zone_id="grid_id", by=by)
    return out


def _target_table(result: CoverageResult, keep: Sequence[str]) -> pd.DataFrame:
    t = result.targets
    cols = [c for c in keep if c in t.columns] + [
        "kind",
        "length_m",
        "covered_length_m",
        "area_m2",
        "covered_area_m2",
        "covered_share",
        "covered",
        "reached",
        "status",
        "nearest_provider_id",
        "nearest_distance_m",
    ]
    return pd.DataFrame(t[["target_id", *cols]])


def _choropleth_zones(
    zones: gpd.GeoDataFrame | None, table: pd.DataFrame | None, zone_id: str, values: dict[str, str]
) -> gpd.GeoDataFrame | None:
    if zones is None or table is None or not len(zones):
        return None
    z = zones[[zone_id, *(["name"] if "name" in zones.columns else []), "geometry"]].copy()
    t = table.set_index(zone_id)
    for new, col in values.items():
        z[new] = t[col].reindex(z[zone_id]).to_numpy() if col in t.columns else np.nan
    return z


def coverage_report(
    targets: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    *,
    service_m: float | None = None,
    service_column: str | None = None,
    distance: Distance = "euclidean",
    roads: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    target_id: str | None = None,
    provider_id: str | None = None,
    connect_dangling_m: float = COVERAGE_DEFAULTS.connect_dangling_m,
) -> CoverageReport:
    """The general analysis as a report (``yangpu-gis analyze coverage --targets …``).

    Parameters
    ----------
    targets, providers : GeoDataFrame
        Any layers (see :func:`coverage`).
    service_m, service_column : keyword-only
        Service distance in metres, or the provider column holding it.
    distance : {"euclidean", "network"}, keyword-only
        Network distance walks along ``roads`` (or along line targets when no roads).
    roads : GeoDataFrame, optional, keyword-only
        Network for ``distance="network"``.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Zones for the totals.
    target_id, provider_id : str, optional, keyword-only
    connect_dangling_m : float, keyword-only
        Walking graph repair (metres).

    Returns
    -------
    CoverageReport
    """
    result = coverage(
        targets,
        providers,
        service_m=service_m,
        service_column=service_column,
        distance=distance,
        network_lines=roads,
        target_id=target_id,
        provider_id=provider_id,
        connect_dangling_m=connect_dangling_m,
    )
    tables = {
        "targets": _target_table(result, ["name", "road_class"]),
        **_zone_tables(result, subdistricts, grid_cells),
    }
    layers = {
        "providers": result.providers,
        "covered": result.covered_parts,
        "uncovered": result.uncovered_parts,
        "service_area": result.service_area,
        "targets": result.targets,
    }
    if "by_subdistrict" in tables:
        z = _choropleth_zones(
            subdistricts,
            tables["by_subdistrict"],
            "subdistrict_id",
            {"covered_share": "covered_share"},
        )
        if z is not None:
            layers["subdistricts"] = z
    return CoverageReport(
        "custom",
        "覆盖分析",
        tables,
        layers,
        {"preset": "custom", **result.summary()},
        result,
        list(result.notes),
    )


def _subdistrict_totals(subdistricts: gpd.GeoDataFrame, by_class: pd.DataFrame) -> pd.DataFrame:
    """Street totals per subdistrict (all classes) from ``by_subdistrict`` of the report."""
    sums = by_class.groupby("subdistrict_id")[["n_targets", "total", "covered"]].sum()
    out = pd.DataFrame({"subdistrict_id": subdistricts["subdistrict_id"].to_numpy(object)})
    if "name" in subdistricts.columns:
        out["name"] = subdistricts["name"].to_numpy(object)
    sums = sums.reindex(out["subdistrict_id"])
    out["n_streets"] = sums["n_targets"].fillna(0).astype(np.int64).to_numpy()
    out["street_m"] = sums["total"].fillna(0.0).to_numpy()
    out["covered_m"] = sums["covered"].fillna(0.0).to_numpy()
    out["uncovered_m"] = out["street_m"] - out["covered_m"]
    out["covered_share"] = out["covered_m"] / out["street_m"].where(out["street_m"] > 0)
    return out


def beautiful_streets(
    roads: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    buffer_m: float = COVERAGE_DEFAULTS.beautiful_buffer_m,
    road_classes: Sequence[str] = STREET_CLASSES,
    ranked_classes: Sequence[str] = RANKED_CLASSES,
    top_n: int = 20,
) -> CoverageReport:
    """美丽街区 along streets: the share of street length within or near a beautiful block.

    A street is covered where it lies inside a ``beautiful_blocks`` polygon or within
    ``buffer_m`` of one (straight line, by definition of the programme's reach).

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    blocks : GeoDataFrame
        The ``beautiful_blocks`` layer.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Zones for the totals (lengths split exactly at their boundaries).
    buffer_m : float, keyword-only
        Reach of a block beyond its polygon, metres (default 20 m, issue 6).
    road_classes : sequence of str, keyword-only
        Street classes counted (default all but compound-internal roads).
    ranked_classes : sequence of str, keyword-only
        Classes whose longest uncovered stretches are ranked (arterial, secondary).
    top_n : int, keyword-only
        Stretches kept in the ranking.

    Returns
    -------
    CoverageReport
        Tables ``by_subdistrict`` (subdistrict × road class), ``subdistrict_totals`` (one
        row per subdistrict, every class together: ``subdistrict_id``, ``name``,
        ``n_streets``, ``street_m``, ``covered_m``, ``uncovered_m``, ``covered_share``;
        a subdistrict without streets has 0 m and an empty share), ``by_class``
        (district), ``by_grid_cell``, ``streets`` (per road), ``uncovered_stretches``
        (ranked). The two subdistrict tables need ``subdistricts``.

    Examples
    --------
    >>> r = beautiful_streets(roads, blocks, subdistricts=subs)           # doctest: +SKIP
    >>> r.tables["subdistrict_totals"].sort_values("covered_share")      # doctest: +SKIP
    """
    roads = _metric(roads, "roads")
    streets = (
        roads[roads["road_class"].isin(list(road_classes))] if "road_class" in roads else roads
    )
    result = coverage(
        streets,
        blocks,
        service_m=buffer_m,
        distance="euclidean",
        target_id="road_id" if "road_id" in streets else None,
        provider_id="block_id" if "block_id" in blocks else None,
    )
    tables = _zone_tables(result, subdistricts, grid_cells, by=["road_class"])
    t = result.targets
    by_class = t.groupby("road_class", as_index=False).agg(
        n_roads=("target_id", "size"),
        length_m=("length_m", "sum"),
        covered_m=("covered_length_m", "sum"),
    )
    by_class["uncovered_m"] = by_class["length_m"] - by_class["covered_m"]
    by_class["covered_share"] = by_class["covered_m"] / by_class["length_m"]
    order = {c: i for i, c in enumerate(STREET_CLASSES)}
    by_class = by_class.sort_values("road_class", key=lambda c: c.map(order).fillna(99))
    tables["by_class"] = by_class.reset_index(drop=True)
    tables["streets"] = _target_table(result, ["name", "road_class"])
    ranked_rows = t["road_class"].isin(list(ranked_classes)).to_numpy()
    unc = result.uncovered_parts
    unc_ranked = unc[ranked_rows[unc["target_row"].to_numpy()]] if len(unc) else unc
    stretches = line_stretches(unc_ranked, t, by=("name", "road_class")).head(top_n)
    tables["uncovered_stretches"] = pd.DataFrame(stretches.drop(columns="geometry"))
    layers = {
        "beautiful_blocks": result.providers,
        "covered_streets": result.covered_parts,
        "uncovered_streets": result.uncovered_parts,
        "uncovered_stretches": stretches,
    }
    if "by_subdistrict" in tables:
        tot = (
            tables["by_subdistrict"]
            .groupby("subdistrict_id", as_index=False)[["total", "covered"]]
            .sum()
        )
        tot["covered_share"] = tot["covered"] / tot["total"]
        tables["subdistrict_totals"] = _subdistrict_totals(subdistricts, tables["by_subdistrict"])
        z = _choropleth_zones(
            subdistricts,
            tot,
            "subdistrict_id",
            {"covered_share": "covered_share", "street_m": "total"},
        )
        if z is not None:
            layers["subdistricts"] = z
    total = float(t["length_m"].sum())
    cov = float(t["covered_length_m"].sum())
    summary = {
        "preset": "beautiful-streets",
        "buffer_m": buffer_m,
        "streets": int(len(t)),
        "blocks": int(len(blocks)),
        "street_length_m": round(total, 1),
        "covered_length_m": round(cov, 1),
        "covered_share": round(cov / total, 4) if total else None,
        "by_class": {
            r.road_class: round(float(r.covered_share), 4)
            for r in by_class.itertuples()
            if r.length_m > 0
        },
        "longest_uncovered": [
            {
                "rank": int(r["rank"]),
                "name": r.get("name"),
                "road_class": r.get("road_class"),
                "length_m": round(float(r["length_m"]), 1),
            }
            for _, r in tables["uncovered_stretches"].head(5).iterrows()
        ],
    }
    return CoverageReport(
        "beautiful-streets", "美丽街区沿街覆盖", tables, layers, summary, result, list(result.notes)
    )


def parking_reach(
    compounds: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    distance: Distance = "network",
    service_m: float = COVERAGE_DEFAULTS.parking_service_m,
    public_kinds: Sequence[str] = PUBLIC_PARKING_KINDS,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    connect_dangling_m: float = COVERAGE_DEFAULTS.connect_dangling_m,
) -> CoverageReport:
    """Residential compounds with no public or shared parking facility within walking reach.

    Facilities count when their ``kind`` is in ``public_kinds`` or they are
    ``shared_offpeak`` (错峰共享). A compound is represented by its representative point
    (:func:`shapely.point_on_surface`) in both distance modes, so the two are comparable.

    Parameters
    ----------
    compounds : GeoDataFrame
        The ``residential_compounds`` layer.
    facilities : GeoDataFrame
        The ``parking_facilities`` layer.
    roads : GeoDataFrame, optional, keyword-only
        Walking network; required for ``distance="network"``.
    distance : {"network", "euclidean"}, keyword-only
    service_m : float, keyword-only
        Walking distance, metres (default 300 m, issue 6).
    public_kinds : sequence of str, keyword-only
        Kinds open to everyone (default ``("public",)``; add ``"on_street"`` to count
        kerbside parking).
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
    connect_dangling_m : float, keyword-only
        Walking graph repair, metres.

    Returns
    -------
    CoverageReport
        Tables ``compounds`` (all, with nearest facility and distance), ``unreached``
        (ranked by households), ``by_subdistrict``, ``by_grid_cell``.
    """
    compounds = _metric(compounds, "residential_compounds")
    facilities = _metric(facilities, "parking_facilities")
    kinds = facilities["kind"].isin(list(public_kinds)) if "kind" in facilities else True
    shared = (
        facilities["shared_offpeak"].fillna(False).astype(bool)
        if "shared_offpeak" in facilities
        else False
    )
    open_fac = facilities[kinds | shared]
    pts = compounds.copy()
    pts["geometry"] = shapely.point_on_surface(compounds.geometry.to_numpy())
    pts = pts.set_geometry("geometry")
    notes = []
    if distance == "network" and (roads is None or not len(roads)):
        notes.append("no roads: straight-line distance used")
        distance = "euclidean"
    result = coverage(
        pts,
        open_fac,
        service_m=service_m,
        distance=distance,
        network_lines=roads,
        target_id="compound_id" if "compound_id" in pts else None,
        provider_id="facility_id" if "facility_id" in open_fac else None,
        connect_dangling_m=connect_dangling_m,
    )
    t = result.targets
    fac = result.providers.set_index("provider_id")
    table = _target_table(result, ["name", "households", "built_year"])
    table = table.drop(
        columns=[
            "length_m",
            "covered_length_m",
            "area_m2",
            "covered_area_m2",
            "covered_share",
            "status",
        ]
    )
    near = t["nearest_provider_id"].to_numpy(object)
    for col, src in (("nearest_name", "name"), ("nearest_kind", "kind")):
        vals = fac[src].to_dict() if src in fac.columns else {}
        table[col] = [vals.get(x) if x is not None else None for x in near]
    households = pd.to_numeric(
        t.get("households", pd.Series(0, index=t.index)), errors="coerce"
    ).fillna(0)
    unreached = table[~t["covered"].to_numpy()].copy()
    unreached = (
        unreached.assign(_h=households[~t["covered"]].to_numpy())
        .sort_values(["_h", "nearest_distance_m"], ascending=[False, False], kind="stable")
        .drop(columns="_h")
    )
    unreached.insert(0, "rank", np.arange(1, len(unreached) + 1))
    tables = {"compounds": table, "unreached": unreached.reset_index(drop=True)}
    # households reached per zone: weight the point counts by households
    zt = _zone_tables(result, subdistricts, grid_cells)
    for key, zones, zid in (
        ("by_subdistrict", subdistricts, "subdistrict_id"),
        ("by_grid_cell", grid_cells, "grid_id"),
    ):
        if key not in zt:
            continue
        z = zt[key].rename(columns={"n_targets": "compounds", "covered": "compounds_reached"})
        z = z.drop(columns=["measure", "total"])
        z["compounds_unreached"] = z["uncovered"].astype(int)
        z = z.drop(columns=["uncovered"])
        hh = _households_per_zone(t, households, zones, zid)
        z = z.merge(hh, on=zid, how="left")
        tables[key] = z
    polys = compounds.loc[t.index[~t["covered"].to_numpy()]].copy()
    polys = (
        gpd.GeoDataFrame(
            unreached.drop(columns=["kind"]).reset_index(drop=True),
            geometry=polys.geometry.reindex(compounds.index[~t["covered"].to_numpy()]).to_numpy(),
            crs=compounds.crs,
        )
        if len(unreached)
        else gpd.GeoDataFrame(
            unreached, geometry=gpd.GeoSeries([], crs=compounds.crs), crs=compounds.crs
        )
    )
    reached_polys = compounds.loc[t["covered"].to_numpy()]
    layers = {
        "facilities": result.providers,
        "compounds_unreached": polys,
        "compounds_reached": reached_polys,
        "reach": result.service_area,
    }
    if "by_subdistrict" in tables:
        z = _choropleth_zones(
            subdistricts,
            tables["by_subdistrict"],
            "subdistrict_id",
            {
                "households_unreached": "households_unreached",
                "compounds_unreached": "compounds_unreached",
            },
        )
        if z is not None:
            layers["subdistricts"] = z
    n_un = int((~t["covered"]).sum())
    summary = {
        "preset": "parking-reach",
        "distance": result.distance,
        "service_m": service_m,
        "compounds": int(len(t)),
        "facilities_counted": int(len(open_fac)),
        "compounds_unreached": n_un,
        "households_unreached": int(households[~t["covered"]].sum()),
        "share_compounds_unreached": round(n_un / len(t), 4) if len(t) else None,
    }
    return CoverageReport(
        "parking-reach",
        f"停车设施{service_m:g}米步行可达",
        tables,
        layers,
        summary,
        result,
        notes + list(result.notes),
    )


def _households_per_zone(t, households, zones, zid) -> pd.DataFrame:
    pts = t.geometry.to_numpy()
    i, j = shapely.STRtree(zones.geometry.to_numpy()).query(pts, predicate="intersects")
    f = pd.DataFrame(
        {
            zid: zones[zid].to_numpy(object)[j],
            "h": households.to_numpy()[i],
            "un": ~t["covered"].to_numpy()[i],
        }
    )
    return f.groupby(zid, as_index=False).agg(
        households=("h", "sum"),
        households_unreached=("h", lambda x: float(x[f.loc[x.index, "un"]].sum())),
    )


def synthetic_stations(
    rivers: gpd.GeoDataFrame,
    *,
    spacing_m: float = COVERAGE_DEFAULTS.station_spacing_m,
    drop_every: int = 3,
) -> gpd.GeoDataFrame:
    """Demo water-quality stations along rivers (synthetic: there is no station layer yet).

    Stations are placed every ``spacing_m`` along each river line (along the bank of river
    polygons), starting half a spacing in, and every ``drop_every``-th one is left out so
    the demo shows blank spots. Deterministic.

    Parameters
    ----------
    rivers : GeoDataFrame
        The ``rivers`` layer.
    spacing_m : float, keyword-only
        Station spacing, metres.
    drop_every : int, keyword-only
        Leave out every n-th station (0 keeps all).

    Returns
    -------
    GeoDataFrame
        ``station_id``, ``name``, ``river_id``, ``source`` (``synthetic``), points.
    """
    rivers = _metric(rivers, "rivers")
    geoms = rivers.geometry.to_numpy()
    ref = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    rows, pts = [], []
    names = rivers["name"].to_numpy(object) if "name" in rivers else [None] * len(rivers)
    rids = _ids(rivers, "river_id" if "river_id" in rivers else None)
    k = 0
    for r, line in enumerate(ref):
        if line is None or line.is_empty:
            continue
        at = np.arange(spacing_m / 2, line.length, spacing_m)
        if not len(at):
            at = np.array([line.length / 2])
        for p in shapely.line_interpolate_point(line, at):
            k += 1
            if drop_every and k % drop_every == 0:
                continue
            rows.append(
                {
                    "station_id": f"WQ{k:03d}",
                    "name": f"{names[r]}监测点{k:03d}",
                    "river_id": rids[r],
                    "source": "synthetic",
                }
            )
            pts.append(p)
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["station_id", "name", "river_id", "source"]),
        geometry=gpd.GeoSeries(pts, crs=rivers.crs),
        crs=rivers.crs,
    )


def river_monitoring(
    rivers: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    service_m: float = COVERAGE_DEFAULTS.river_service_m,
    distance: Distance = "euclidean",
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    station_id: str | None = None,
    top_n: int = 20,
) -> CoverageReport:
    """River stretches farther than ``service_m`` from every water-quality station.

    Distance is downstream-agnostic: straight line, or with ``distance="network"`` along
    the river lines in both directions (stations snap to the nearest river line; their
    access distance counts). River polygons (wide rivers such as 黄浦江) have no centre
    line here and are always covered by straight-line distance.

    Parameters
    ----------
    rivers : GeoDataFrame
        The ``rivers`` layer (lines and/or polygons).
    stations : GeoDataFrame
        Station points (any layer or file: water-quality sections, outfall monitors).
    service_m : float, keyword-only
        Largest acceptable distance to a station, metres (default 1 000 m: a planning
        choice, not a standard).
    distance : {"euclidean", "network"}, keyword-only
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
    station_id : str, optional, keyword-only
        Id column of ``stations`` (default ``station_id`` when present).
    top_n : int, keyword-only
        Uncovered stretches kept in the ranking.

    Returns
    -------
    CoverageReport
        Tables ``rivers`` (per river), ``uncovered_stretches`` (ranked), ``by_subdistrict``,
        ``by_grid_cell``.
    """
    rivers = _metric(rivers, "rivers")
    stations = _metric(stations, "stations").to_crs(rivers.crs)
    sid = station_id or ("station_id" if "station_id" in stations else None)
    rid = "river_id" if "river_id" in rivers else None
    notes = []
    if distance == "network":
        dims = shapely.get_dimensions(rivers.geometry.to_numpy())
        line_rows = rivers[dims == 1]
        poly_rows = rivers[dims == 2]
        parts = []
        if len(line_rows):
            parts.append(
                coverage(
                    line_rows,
                    stations,
                    service_m=service_m,
                    distance="network",
                    target_id=rid,
                    provider_id=sid,
                    exclude_classes=(),
                )
            )
        if len(poly_rows):
            parts.append(
                coverage(poly_rows, stations, service_m=service_m, target_id=rid, provider_id=sid)
            )
            notes.append(
                f"{len(poly_rows)} river polygons: straight-line distance (no centre line)"
            )
        result = _concat_results(parts, rivers)
    else:
        result = coverage(rivers, stations, service_m=service_m, target_id=rid, provider_id=sid)
    tables = {"rivers": _target_table(result, ["name", "grade"])}
    t = result.targets
    unc = result.uncovered_parts
    lines = line_stretches(unc, t, by=("name",))
    polys = unc[unc.geom_type == "Polygon"].copy()
    if len(polys):
        polys["name"] = (
            t["name"].to_numpy(object)[polys["target_row"].to_numpy()] if "name" in t else None
        )
    stretch = pd.concat(
        [
            pd.DataFrame(lines.drop(columns="geometry")).assign(kind="line"),
            pd.DataFrame(polys.drop(columns="geometry"))
            .assign(kind="polygon")
            .rename(columns={"target_id": "target_ids"}),
        ],
        ignore_index=True,
    )
    stretch["_size"] = stretch["length_m"].fillna(stretch.get("area_m2"))
    stretch = stretch.sort_values(["kind", "_size"], ascending=[True, False], kind="stable")
    keep = [c for c in ["name", "kind", "length_m", "area_m2", "target_ids"] if c in stretch]
    stretch = stretch[keep].head(top_n).reset_index(drop=True)
    stretch.insert(0, "rank", np.arange(1, len(stretch) + 1))
    tables["uncovered_stretches"] = stretch
    tables.update(_zone_tables(result, subdistricts, grid_cells))
    layers = {
        "stations": result.providers,
        "rivers_covered": result.covered_parts,
        "rivers_uncovered": result.uncovered_parts,
        "uncovered_stretches": lines,
        "service_area": result.service_area,
    }
    s = result.summary()
    summary = {
        "preset": "river-monitoring",
        "distance": distance,
        "service_m": service_m,
        "stations": int(len(stations)),
        "rivers": int(len(t)),
        "line_length_m": s.get("length_m"),
        "line_covered_share": s.get("line_covered_share"),
        "polygon_area_m2": s.get("area_m2"),
        "polygon_covered_share": s.get("polygon_covered_share"),
        "uncovered_line_m": round(float(lines["length_m"].sum()), 1) if len(lines) else 0.0,
    }
    return CoverageReport(
        "river-monitoring",
        f"河道水质监测{service_m:g}米覆盖",
        tables,
        layers,
        summary,
        result,
        notes + list(result.notes),
    )


def _concat_results(parts: list[CoverageResult], like: gpd.GeoDataFrame) -> CoverageResult:
    if len(parts) == 1:
        r = parts[0]
        r.targets = r.targets.reindex(like.index.intersection(r.targets.index))
        return r
    # re-number target rows against the concatenation
    offsets = np.cumsum([0] + [len(p.targets) for p in parts[:-1]])
    targets = pd.concat([p.targets for p in parts])
    cov = pd.concat(
        [
            p.covered_parts.assign(target_row=p.covered_parts["target_row"] + o)
            for p, o in zip(parts, offsets, strict=True)
        ],
        ignore_index=True,
    )
    unc = pd.concat(
        [
            p.uncovered_parts.assign(target_row=p.uncovered_parts["target_row"] + o)
            for p, o in zip(parts, offsets, strict=True)
        ],
        ignore_index=True,
    )
    service = pd.concat([p.service_area for p in parts], ignore_index=True)
    return CoverageResult(
        targets=gpd.GeoDataFrame(targets, geometry="geometry", crs=like.crs),
        covered_parts=gpd.GeoDataFrame(cov, geometry="geometry", crs=like.crs),
        uncovered_parts=gpd.GeoDataFrame(unc, geometry="geometry", crs=like.crs),
        service_area=gpd.GeoDataFrame(service, geometry="geometry", crs=like.crs),
        providers=parts[0].providers,
        distance=parts[0].distance,
        parameters=parts[0].parameters,
        notes=[n for p in parts for n in p.notes],
    )


def road_subdistricts(
    roads: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    *,
    min_part_m: float = COVERAGE_DEFAULTS.min_part_m,
    include_internal: bool = False,
) -> gpd.GeoDataFrame:
    """Roads that lie in no subdistrict, partly outside all, or straddle several (三不管).

    Lengths are split exactly at subdistrict boundaries. A centre line that runs along a
    boundary lies in both subdistricts; that length is reported as ``on_boundary_m``.
    Compound-internal roads (``road_class`` ``internal``, 小区内部道路) are left out by
    default: the compound's property manager looks after them whichever subdistrict they
    cross, so they are not 三不管 streets.

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    subdistricts : GeoDataFrame
        The ``subdistricts`` layer.
    min_part_m : float, keyword-only
        A road counts as in a subdistrict (or outside all) when at least this many metres
        of it are; shorter parts are a road end drawn across a line.
    include_internal : bool, keyword-only, default False
        Check compound-internal roads (``road_class == "internal"``) as well.

    Returns
    -------
    GeoDataFrame
        One row per road with an issue: ``road_id``, ``name``, ``road_class``,
        ``maintainer`` (when present), ``length_m``, ``n_subdistricts``,
        ``subdistrict_ids`` and ``subdistrict_lengths_m`` (``;``-joined), ``outside_m``,
        ``on_boundary_m``, ``no_subdistrict``, ``partly_outside``, ``straddles``,
        ``on_boundary`` (bool), ``issue`` (the first of them), geometry.
    """
    roads = _metric(roads, "roads")
    if not include_internal and "road_class" in roads.columns:
        roads = roads[roads["road_class"].astype(str) != INTERNAL_CLASS]
    subdistricts = subdistricts.to_crs(roads.crs)
    rg = roads.geometry.to_numpy()
    sg = subdistricts.geometry.to_numpy()
    sid = subdistricts["subdistrict_id"].to_numpy(object)
    n = len(rg)
    length = shapely.length(rg)
    i, j = shapely.STRtree(sg).query(rg, predicate="intersects")
    part = shapely.length(shapely.intersection(rg[i], sg[j]))
    f = pd.DataFrame({"r": i, "s": sid[j], "m": part})
    f = f[f["m"] > 0].sort_values(["r", "m"], ascending=[True, False], kind="stable")
    big = f[f["m"] >= min_part_m]
    n_sub = np.bincount(big["r"].to_numpy(), minlength=n)
    ids = big.groupby("r")["s"].agg(lambda x: ";".join(map(str, x)))
    lens = big.groupby("r")["m"].agg(lambda x: ";".join(f"{v:.1f}" for v in x))
    union = shapely.union_all(sg) if len(sg) else shapely.Polygon()
    inside = shapely.length(shapely.intersection(rg, union))
    outside = np.maximum(length - inside, 0.0)
    summed = np.bincount(f["r"].to_numpy(), weights=f["m"].to_numpy(), minlength=n)
    boundary = np.maximum(summed - inside, 0.0)
    out = gpd.GeoDataFrame(
        {
            c: roads[c].to_numpy(object)
            for c in ("road_id", "name", "road_class", "maintainer")
            if c in roads.columns
        },
        geometry=rg,
        crs=roads.crs,
    )
    out["length_m"] = length
    out["n_subdistricts"] = n_sub
    out["subdistrict_ids"] = ids.reindex(np.arange(n)).to_numpy()
    out["subdistrict_lengths_m"] = lens.reindex(np.arange(n)).to_numpy()
    out["outside_m"] = outside
    out["on_boundary_m"] = boundary
    out["no_subdistrict"] = inside < min_part_m
    out["partly_outside"] = (outside >= min_part_m) & ~out["no_subdistrict"]
    out["straddles"] = n_sub >= 2
    out["on_boundary"] = boundary >= min_part_m
    flags = ["no_subdistrict", "partly_outside", "straddles", "on_boundary"]
    issue = np.full(n, None, dtype=object)
    for fl in reversed(flags):
        issue = np.where(out[fl].to_numpy(), fl, issue)
    out["issue"] = issue
    out = out[out[flags].any(axis=1)]
    cols = [c for c in out.columns if c != "geometry"] + ["geometry"]
    return out[cols].reset_index(drop=True)


def grid_completeness(
    grid_cells: gpd.GeoDataFrame,
    *,
    district: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    min_area_m2: float = COVERAGE_DEFAULTS.min_area_m2,
    min_part_m: float = COVERAGE_DEFAULTS.min_part_m,
    include_internal: bool = False,
) -> CoverageReport:
    """Grid completeness: gaps between grid cells, overlapping cells, 三不管 roads.

    Parameters
    ----------
    grid_cells : GeoDataFrame
        The ``grid_cells`` layer.
    district : GeoDataFrame, optional, keyword-only
        The district outline (``districts`` layer); default the union of ``subdistricts``.
    subdistricts : GeoDataFrame, optional, keyword-only
        The ``subdistricts`` layer: gaps are attributed to them, and roads are checked
        against them.
    roads : GeoDataFrame, optional, keyword-only
        The ``roads`` layer, for :func:`road_subdistricts`.
    min_area_m2 : float, keyword-only
        Gaps, overlaps and parts outside the district smaller than this are ignored.
    min_part_m : float, keyword-only
        See :func:`road_subdistricts`.
    include_internal : bool, keyword-only, default False
        Check compound-internal roads too (see :func:`road_subdistricts`).

    Returns
    -------
    CoverageReport
        Layers and tables ``gaps`` (part of the district in no grid cell: ``gap_id``,
        ``area_m2``, ``subdistrict_id`` holding most of it), ``overlaps`` (``grid_id_a``,
        ``grid_id_b``, their subdistricts, ``area_m2``), ``outside`` (grid cell parts
        beyond the district), ``roads`` (三不管 roads), ``by_subdistrict``.

    Raises
    ------
    ValidationError
        If neither ``district`` nor ``subdistricts`` is given.
    """
    grid = _metric(grid_cells, "grid_cells")
    crs = grid.crs
    if district is not None and len(district):
        area = shapely.union_all(district.to_crs(crs).geometry.to_numpy())
    elif subdistricts is not None and len(subdistricts):
        area = shapely.union_all(subdistricts.to_crs(crs).geometry.to_numpy())
    else:
        raise ValidationError(
            "grid completeness needs the district outline or subdistricts",
            hint="load the districts or subdistricts layer",
        )
    subs = subdistricts.to_crs(crs) if subdistricts is not None and len(subdistricts) else None
    cg = grid.geometry.to_numpy()
    gid = grid["grid_id"].to_numpy(object) if "grid_id" in grid else _ids(grid, None)
    gsub = (
        grid["subdistrict_id"].to_numpy(object)
        if "subdistrict_id" in grid
        else np.full(len(grid), None, dtype=object)
    )
    cover = shapely.union_all(cg) if len(cg) else shapely.Polygon()

    def _pieces(geom) -> np.ndarray:
        p = shapely.get_parts(geom)
        p = p[shapely.get_dimensions(p) == 2] if len(p) else p
        return p[shapely.area(p) >= min_area_m2] if len(p) else p

    gaps = _pieces(shapely.difference(area, cover))
    gap_sub = np.full(len(gaps), None, dtype=object)
    if subs is not None and len(gaps):
        i, j = shapely.STRtree(subs.geometry.to_numpy()).query(gaps, predicate="intersects")
        a = shapely.area(shapely.intersection(gaps[i], subs.geometry.to_numpy()[j]))
        f = pd.DataFrame({"i": i, "s": subs["subdistrict_id"].to_numpy(object)[j], "a": a})
        f = f.sort_values(["i", "a"], ascending=[True, False]).drop_duplicates("i")
        gap_sub[f["i"].to_numpy()] = f["s"].to_numpy()
    gaps_gdf = gpd.GeoDataFrame(
        {
            "gap_id": [f"GAP{k + 1:04d}" for k in range(len(gaps))],
            "area_m2": shapely.area(gaps),
            "subdistrict_id": gap_sub,
        },
        geometry=gpd.GeoSeries(gaps, crs=crs),
        crs=crs,
    )
    gaps_gdf = gaps_gdf.sort_values("area_m2", ascending=False, kind="stable").reset_index(
        drop=True
    )

    i, j = shapely.STRtree(cg).query(cg, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(cg[i], cg[j])
    ov = inter
    a = shapely.area(ov)
    big = a >= min_area_m2
    overlaps = gpd.GeoDataFrame(
        {
            "grid_id_a": gid[i[big]],
            "grid_id_b": gid[j[big]],
            "subdistrict_a": gsub[i[big]],
            "subdistrict_b": gsub[j[big]],
            "area_m2": a[big],
        },
        geometry=gpd.GeoSeries(_polygonal(ov[big]), crs=crs),
        crs=crs,
    )
    overlaps = overlaps.sort_values("area_m2", ascending=False, kind="stable").reset_index(
        drop=True
    )

    oi = np.flatnonzero(~shapely.covered_by(cg, area)) if len(cg) else np.empty(0, int)
    outside_geom = shapely.difference(cg[oi], area) if len(oi) else np.empty(0, dtype=object)
    oa = shapely.area(outside_geom) if len(oi) else np.empty(0)
    ok = oa >= min_area_m2
    outside = gpd.GeoDataFrame(
        {"grid_id": gid[oi[ok]], "subdistrict_id": gsub[oi[ok]], "area_m2": oa[ok]},
        geometry=gpd.GeoSeries(_polygonal(outside_geom[ok]), crs=crs),
        crs=crs,
    )
    tables: dict[str, pd.DataFrame] = {
        "gaps": pd.DataFrame(gaps_gdf.drop(columns="geometry")),
        "overlaps": pd.DataFrame(overlaps.drop(columns="geometry")),
        "outside": pd.DataFrame(outside.drop(columns="geometry")),
    }
    layers: dict[str, gpd.GeoDataFrame] = {
        "grid_cells": grid,
        "gaps": gaps_gdf,
        "overlaps": overlaps,
        "outside": outside,
    }
    bad_roads = None
    if roads is not None and subs is not None and len(roads):
        bad_roads = road_subdistricts(
            roads, subs, min_part_m=min_part_m, include_internal=include_internal
        )
        tables["roads"] = pd.DataFrame(bad_roads.drop(columns="geometry"))
        layers["roads"] = bad_roads
    if subs is not None:
        per = pd.DataFrame({"subdistrict_id": subs["subdistrict_id"].to_numpy(object)})
        if "name" in subs:
            per["name"] = subs["name"].to_numpy(object)
        per["grid_cells"] = (
            per["subdistrict_id"].map(pd.Series(gsub).value_counts()).fillna(0).astype(int)
        )
        per["gap_m2"] = (
            per["subdistrict_id"]
            .map(gaps_gdf.groupby("subdistrict_id")["area_m2"].sum())
            .fillna(0.0)
        )
        # an overlap counts once in each subdistrict it involves
        ov_a = overlaps[["subdistrict_a", "area_m2"]].rename(columns={"subdistrict_a": "s"})
        ov_b = overlaps.loc[
            overlaps["subdistrict_b"] != overlaps["subdistrict_a"], ["subdistrict_b", "area_m2"]
        ].rename(columns={"subdistrict_b": "s"})
        per["overlap_m2"] = (
            per["subdistrict_id"]
            .map(pd.concat([ov_a, ov_b]).groupby("s")["area_m2"].sum())
            .fillna(0.0)
        )
        if bad_roads is not None:
            exploded = bad_roads.assign(s=bad_roads["subdistrict_ids"].str.split(";")).explode("s")
            per["sanbuguan_roads"] = (
                per["subdistrict_id"]
                .map(exploded.groupby("s")["road_id"].nunique())
                .fillna(0)
                .astype(int)
            )
        tables["by_subdistrict"] = per
    summary = {
        "preset": "grid-completeness",
        "grid_cells": int(len(grid)),
        "district_area_m2": round(float(area.area), 1),
        "gaps": int(len(gaps_gdf)),
        "gap_area_m2": round(float(gaps_gdf["area_m2"].sum()), 1),
        "overlaps": int(len(overlaps)),
        "overlap_area_m2": round(float(overlaps["area_m2"].sum()), 1),
        "outside_parts": int(len(outside)),
        "outside_area_m2": round(float(outside["area_m2"].sum()), 1),
    }
    if bad_roads is not None:
        for fl in ("no_subdistrict", "partly_outside", "straddles", "on_boundary"):
            summary[f"roads_{fl}"] = int(bad_roads[fl].sum())
    return CoverageReport("grid-completeness", "网格全覆盖检查", tables, layers, summary, None, [])


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal part of each geometry (intersections may add edges and points)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, src = _explode(geoms, 2)
    out = _group(parts, src, len(geoms), "polygon")
    return np.where(shapely.is_missing(out), shapely.Polygon(), out) if len(out) else out


#: The district reports by name (CLI ``--preset``).
PRESETS: tuple[str, ...] = (
    "beautiful-streets",
    "parking-reach",
    "grid-completeness",
    "river-monitoring",
)

"""Walking networks from the ``roads`` layer and shortest network distances (shared module).

Pure functions, no I/O. The graph is built once from the road centre lines
(:func:`walking_graph`); points (compounds, facilities, POIs …) are snapped to their nearest
road edge with the straight access distance from the point to the road added
(:func:`snap_points`); distances are then computed with SciPy's compiled Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra`, bounded by ``limit=``), never with hand-written
shortest-path code. :meth:`WalkingGraph.to_networkx` gives the same graph as a
:class:`networkx.Graph` for notebooks, checks and the benchmark.

Conventions
-----------
* Coordinates in a metric CRS (the registry's working CRS, EPSG:4549); every distance is
  in metres and every threshold says so in its name (``cutoff_m``, ``snap_tolerance_m``).
* A network distance between two points is ``access_o + path + access_d``: the straight
  distances from each point to where it meets the network, plus the walk along the network
  from there. Two points snapped to the same edge can walk along that edge directly.
* Expressways (快速路/高架) are not walkable and are left out by default.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import LineString, Point
>>> roads = gpd.GeoDataFrame(
...     {"road_id": ["A", "B"], "road_class": ["branch", "branch"]},
...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])],
...     crs="EPSG:4549")
>>> g = walking_graph(roads)
>>> g.n_nodes, len(g.edges)
(3, 2)
>>> pts = gpd.GeoSeries([Point(10, 5), Point(105, 90)], crs="EPSG:4549")
>>> d = network_distances(g, pts.iloc[:1], pts.iloc[1:], cutoff_m=500)
>>> float(d["distance_m"].iloc[0])  # 5 + 90 + 90 + 5
190.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from ..errors import ValidationError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "NOT_WALKABLE",
    "SnappedPoints",
    "WalkingGraph",
    "augment",
    "euclidean_distances",
    "multi_source_distances",
    "network_distances",
    "snap_points",
    "walking_graph",
]

#: Road classes left out of a walking graph by default: expressways (快速路, often elevated)
#: have no footways. Pass ``exclude_classes=()`` to keep every road.
NOT_WALKABLE: tuple[str, ...] = ("expressway",)

#: Columns of a distance table.
DISTANCE_COLUMNS = ["origin", "destination", "distance_m"]


@dataclass(frozen=True)
class WalkingGraph:
    """An undirected road graph: nodes at line ends and junctions, edges with lengths.

    Attributes
    ----------
    nodes : numpy.ndarray
        ``(n, 2)`` node coordinates (x, y) in ``crs``.
    edges : geopandas.GeoDataFrame
        One row per edge: ``u``, ``v`` (node numbers), ``length_m``, ``road_id``,
        ``road_class`` and the edge's line geometry (running from node ``u`` to ``v``).
    crs : pyproj.CRS or None
        CRS of the coordinates.
    """

    nodes: np.ndarray
    edges: gpd.GeoDataFrame
    crs: object = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(len(self.nodes))

    def to_csgraph(self) -> sp.csr_matrix:
        """The graph as a sparse matrix of edge lengths (upper triangle, one entry per pair)."""
        return _csgraph(self.edges["u"].to_numpy(), self.edges["v"].to_numpy(),
                        self.edges["length_m"].to_numpy(), self.n_nodes)

    def to_networkx(self) -> nx.Graph:
        """The graph as a :class:`networkx.Graph` with edge attribute ``length`` (metres).

        Parallel edges keep the shortest; nodes carry ``x`` and ``y``.
        """
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(self.nodes))
        order = np.argsort(-self.edges["length_m"].to_numpy(), kind="stable")
        e = self.edges.iloc[order]
        g.add_weighted_edges_from(
            zip(e["u"].tolist(), e["v"].tolist(), e["length_m"].tolist(), strict=True),
            weight="length",
        )
        return g

    def components(self) -> np.ndarray:
        """Connected-component label of every node."""
        return connected_components(self.to_csgraph(), directed=False)[1]


@dataclass(frozen=True)
class SnappedPoints:
    """Where points meet a :class:`WalkingGraph`.

    Attributes
    ----------
    index : pandas.Index
        Labels of the input points.
    edge : numpy.ndarray
        Position (row number) in ``graph.edges`` of the nearest edge; ``-1`` when the point
        is farther than ``max_access_m`` from every edge or has no geometry.
    offset_m : numpy.ndarray
        Distance along the edge from its node ``u`` to the snapped point.
    access_m : numpy.ndarray
        Straight distance from the point to the edge (``inf`` when not snapped).
    """

    index: pd.Index
    edge: np.ndarray
    offset_m: np.ndarray
    access_m: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The snap as a table aligned to the input points."""
        return pd.DataFrame(
            {"edge": self.edge, "offset_m": self.offset_m, "access_m": self.access_m},
            index=self.index,
        )


def _csgraph(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Sparse length matrix with one entry per node pair (the shortest parallel edge)."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    frame = pd.DataFrame({"a": a[keep], "b": b[keep], "w": w[keep]})
    frame = frame.groupby(["a", "b"], sort=False, as_index=False)["w"].min()
    # explicit zeros are edges of length 0 for scipy.sparse.csgraph
    return sp.csr_matrix(
        (frame["w"].to_numpy(float), (frame["a"].to_numpy(), frame["b"].to_numpy())),
        shape=(n, n),
    )


def _as_points(geoms: gpd.GeoSeries | gpd.GeoDataFrame | Sequence) -> tuple[np.ndarray, pd.Index]:
    """Point geometries (representative points of lines/polygons) and the labels."""
    if isinstance(geoms, gpd.GeoDataFrame):
        geoms = geoms.geometry
    if isinstance(geoms, gpd.GeoSeries):
        index, values = geoms.index, geoms.to_numpy()
    else:
        values = np.asarray(geoms, dtype=object)
        index = pd.RangeIndex(len(values))
    values = np.asarray(values, dtype=object)
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    pts = values.copy()
    not_point = ~missing & (shapely.get_type_id(np.where(missing, None, values)) != 0)
    if not_point.any():
        pts[not_point] = shapely.point_on_surface(values[not_point])
    pts[missing] = None
    return pts, index


def _lines_of(roads: gpd.GeoDataFrame, exclude_classes: Sequence[str]) -> gpd.GeoDataFrame:
    keep = np.ones(len(roads), dtype=bool)
    if "road_class" in roads.columns and exclude_classes:
        keep &= ~roads["road_class"].isin(list(exclude_classes)).to_numpy()
    sub = roads.loc[keep]
    parts = sub.geometry.explode(index_parts=False)
    parts = parts[~(parts.is_empty | parts.isna())]
    parts = parts[parts.geom_type == "LineString"]
    ids = sub["road_id"] if "road_id" in sub.columns else pd.Series(sub.index.astype(str), sub.index)
    classes = sub["road_class"] if "road_class" in sub.columns else pd.Series(None, sub.index)
    return gpd.GeoDataFrame(
        {"road_id": ids.reindex(parts.index).to_numpy(),
         "road_class": classes.reindex(parts.index).to_numpy()},
        geometry=parts.to_numpy(), crs=roads.crs,
    )


def _split_at(lines: np.ndarray, line_idx: np.ndarray, at_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split ``lines[line_idx]`` at distances ``at_m``; return new pieces and their source."""
    from shapely.ops import substring

    pieces, source = [], []
    order = np.lexsort((at_m, line_idx))
    line_idx, at_m = line_idx[order], at_m[order]
    bounds = np.flatnonzero(np.diff(line_idx)) + 1
    done = set()
    for idx, cuts in zip(np.split(line_idx, bounds), np.split(at_m, bounds), strict=True):
        if not len(idx):
            continue
        k = int(idx[0])
        done.add(k)
        line = lines[k]
        stops = np.unique(np.concatenate([[0.0], cuts, [line.length]]))
        for a, b in zip(stops[:-1], stops[1:], strict=True):
            if b - a > 0:
                pieces.append(substring(line, a, b))
                source.append(k)
    untouched = np.array([i for i in range(len(lines)) if i not in done], dtype=np.int64)
    all_pieces = np.concatenate([lines[untouched], np.array(pieces, dtype=object)]) if pieces \
        else lines[untouched]
    return all_pieces, np.concatenate([untouched, np.array(source, dtype=np.int64)])


def _t_split(geoms: np.ndarray, source: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Split lines where another line's end lies within ``tol`` of their interior."""
    if not len(geoms) or tol <= 0:
        return geoms, source
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    own = np.concatenate([np.arange(len(geoms))] * 2)
    i, j = shapely.STRtree(geoms).query(ends, predicate="dwithin", distance=tol)
    other = own[i] != j
    i, j = i[other], j[other]
    at = shapely.line_locate_point(geoms[j], ends[i])
    length = shapely.length(geoms[j])
    interior = (at > tol) & (at < length - tol)
    if not interior.any():
        return geoms, source
    geoms, back = _split_at(geoms, j[interior], at[interior])
    return geoms, source[back]


def _cluster_ends(geoms: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Node number of each line end (starts, then ends) and node coordinates."""
    n = len(geoms)
    if not n:
        return np.empty(0, dtype=np.int64), np.empty((0, 2))
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    i, j = shapely.STRtree(ends).query(ends, predicate="dwithin", distance=max(tol, 0.0))
    adj = sp.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(2 * n, 2 * n))
    n_nodes, label = connected_components(adj, directed=False)
    xy = shapely.get_coordinates(ends)
    count = np.bincount(label)
    nodes = np.column_stack([np.bincount(label, weights=xy[:, 0]) / count,
                             np.bincount(label, weights=xy[:, 1]) / count])
    # number nodes in order of first appearance, for stable results
    first = np.full(n_nodes, 2 * n)
    np.minimum.at(first, label, np.arange(2 * n))
    order = np.argsort(first, kind="stable")
    rank = np.empty(n_nodes, dtype=np.int64)
    rank[order] = np.arange(n_nodes)
    return rank[label], nodes[order]


def _dangle_connectors(geoms: np.ndarray, label: np.ndarray, nodes: np.ndarray,
                       max_m: float) -> np.ndarray:
    """Straight connectors from each dead end to the nearest other line within ``max_m``."""
    n = len(geoms)
    deg = np.bincount(label, minlength=len(nodes))
    dead = np.flatnonzero(deg[label] == 1)  # line-end positions (0..2n) that are dead ends
    if not len(dead):
        return np.empty(0, dtype=object)
    own = dead % n
    pts = shapely.points(nodes[label[dead]])
    i, j = shapely.STRtree(geoms).query(pts, predicate="dwithin", distance=max_m)
    keep = j != own[i]
    i, j = i[keep], j[keep]
    if not len(i):
        return np.empty(0, dtype=object)
    dist = shapely.distance(pts[i], geoms[j])
    frame = pd.DataFrame({"i": i, "j": j, "d": dist}).sort_values(["i", "d"], kind="stable")
    frame = frame.drop_duplicates("i")
    frame = frame[frame["d"] > 0]
    a = pts[frame["i"].to_numpy()]
    b = shapely.line_interpolate_point(
        geoms[frame["j"].to_numpy()], shapely.line_locate_point(geoms[frame["j"].to_numpy()], a))
    return shapely.linestrings(np.stack([shapely.get_coordinates(a), shapely.get_coordinates(b)], axis=1))


def walking_graph(
    roads: gpd.GeoDataFrame,
    *,
    snap_tolerance_m: float = 1.0,
    connect_dangling_m: float = 0.0,
    exclude_classes: Sequence[str] = NOT_WALKABLE,
    split_at_intersections: bool = True,
) -> WalkingGraph:
    """Build an undirected walking graph from road centre lines.

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer (LineStrings in a metric CRS), with ``road_id`` and
        ``road_class`` when available.
    snap_tolerance_m : float, keyword-only
        Line ends closer than this (metres) become one node, and a line end this close to
        the middle of another line splits that line there (a T-junction drawn a little
        short or long). Default 1 m.
    connect_dangling_m : float, keyword-only
        Join every dead end that lies within this distance (metres) of another road to it
        by a straight connector (``road_class == "connector"``). Centre-line data often
        stops minor roads at the kerb of a major one, or a compound's internal roads short
        of its gate; a pedestrian walks across. Default 0 (off); the parking analysis uses
        ``PARKING_DEFAULTS.connect_dangling_m``.
    exclude_classes : sequence of str, keyword-only
        Road classes that cannot be walked; default ``NOT_WALKABLE`` (expressways).
    split_at_intersections : bool, keyword-only
        Node lines where they cross (at-grade crossings). Registry road layers are usually
        not noded; set ``False`` for data that is (and where crossings without a shared
        vertex are bridges).

    Returns
    -------
    WalkingGraph

    Raises
    ------
    ValidationError
        If the CRS is geographic (lengths would be in degrees).
    """
    if roads.crs is not None and roads.crs.is_geographic:
        raise ValidationError("walking_graph needs a projected (metric) CRS",
                              hint="roads.to_crs(settings.working_crs)")
    lines = _lines_of(roads, exclude_classes)
    n_roads = len(lines)
    geoms = lines.geometry.to_numpy()
    source = np.arange(len(geoms))
    if len(geoms) and split_at_intersections:
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
        mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        source = shapely.STRtree(geoms).query_nearest(mids, all_matches=False)[1]
        geoms = noded
    geoms, source = _t_split(np.asarray(geoms, dtype=object), source, snap_tolerance_m)
    label, nodes = _cluster_ends(geoms, snap_tolerance_m)
    if connect_dangling_m > 0 and len(geoms):
        links = _dangle_connectors(geoms, label, nodes, connect_dangling_m)
        if len(links):
            geoms = np.concatenate([geoms, links])
            source = np.concatenate([source, np.full(len(links), n_roads)])
            geoms, source = _t_split(geoms, source, snap_tolerance_m)
            label, nodes = _cluster_ends(geoms, snap_tolerance_m)
    length = shapely.length(geoms)
    n = len(geoms)
    road_id = np.append(lines["road_id"].to_numpy(dtype=object), None)
    road_class = np.append(lines["road_class"].to_numpy(dtype=object), "connector")
    edges = gpd.GeoDataFrame(
        {
            "u": label[:n],
            "v": label[n:],
            "length_m": length,
            "road_id": road_id[source],
            "road_class": road_class[source],
        },
        geometry=geoms,
        crs=roads.crs,
    )
    drop = ((edges["u"] == edges["v"]) | (edges["length_m"] <= 0)).to_numpy()
    edges = edges.loc[~drop].reset_index(drop=True)
    return WalkingGraph(nodes=nodes, edges=edges, crs=roads.crs)


def snap_points(
    graph: WalkingGraph,
    points: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    *,
    max_access_m: float | None = None,
) -> SnappedPoints:
    """Snap points to their nearest edge of ``graph``.

    Parameters
    ----------
    graph : WalkingGraph
    points : GeoSeries, GeoDataFrame or sequence of geometries
        Points in ``graph.crs``; lines and polygons are represented by
        :func:`shapely.point_on_surface`.
    max_access_m : float, optional, keyword-only
        Points farther than this (metres) from every edge are left unsnapped
        (``edge == -1``). Default: no limit.

    Returns
    -------
    SnappedPoints
    """
    pts, index = _as_points(points)
    m = len(pts)
    edge = np.full(m, -1, dtype=np.int64)
    offset = np.full(m, np.nan)
    access = np.full(m, np.inf)
    ok = np.flatnonzero(~shapely.is_missing(pts))
    if len(ok) and len(graph.edges):
        lines = graph.edges.geometry.to_numpy()
        tree = shapely.STRtree(lines)
        (qi, ei), dist = tree.query_nearest(pts[ok], all_matches=False, return_distance=True,
                                            max_distance=max_access_m)
        rows = ok[qi]
        edge[rows] = ei
        access[rows] = dist
        offset[rows] = shapely.line_locate_point(lines[ei], pts[rows])
    return SnappedPoints(index=index, edge=edge, offset_m=offset, access_m=access)


def augment(graph: WalkingGraph, snaps: Sequence[SnappedPoints]) -> tuple[sp.csr_matrix, list[np.ndarray]]:
    """The graph with one extra node per snapped point, its edge split there.

    Returns the length matrix and, per input, the node number of each point (``-1`` when
    not snapped).
    """
    n = graph.n_nodes
    e_u = graph.edges["u"].to_numpy()
    e_v = graph.edges["v"].to_numpy()
    e_len = graph.edges["length_m"].to_numpy()
    edge = np.concatenate([s.edge for s in snaps]) if snaps else np.empty(0, np.int64)
    offset = np.concatenate([s.offset_m for s in snaps]) if snaps else np.empty(0)
    virt = np.full(len(edge), -1, dtype=np.int64)
    good = np.flatnonzero(edge >= 0)
    virt[good] = n + np.arange(len(good))
    pe, po, pv = edge[good], np.clip(offset[good], 0, e_len[edge[good]]), virt[good]
    order = np.lexsort((po, pe))
    pe, po, pv = pe[order], po[order], pv[order]
    first = np.r_[True, pe[1:] != pe[:-1]] if len(pe) else np.empty(0, bool)
    last = np.r_[pe[1:] != pe[:-1], True] if len(pe) else np.empty(0, bool)
    prev_node = np.where(first, e_u[pe], np.r_[-1, pv[:-1]])
    prev_len = np.where(first, po, po - np.r_[0.0, po[:-1]])
    split = np.zeros(len(e_u), dtype=bool)
    split[pe] = True
    u = np.concatenate([e_u[~split], prev_node, pv[last]])
    v = np.concatenate([e_v[~split], pv, e_v[pe[last]]])
    w = np.concatenate([e_len[~split], prev_len, e_len[pe[last]] - po[last]])
    matrix = _csgraph(u, v, w, n + len(good))
    out, start = [], 0
    for s in snaps:
        out.append(virt[start:start + len(s.edge)])
        start += len(s.edge)
    return matrix, out


def _empty_distances() -> pd.DataFrame:
    return pd.DataFrame({"origin": pd.Series(dtype=object), "destination": pd.Series(dtype=object),
                         "distance_m": pd.Series(dtype=float)})


def network_distances(
    graph: WalkingGraph,
    origins: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    destinations: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    *,
    cutoff_m: float,
    max_access_m: float | None = None,
    method: str = "scipy",
    chunk_size: int = 256,
) -> pd.DataFrame:
    """Walking distances between every origin and destination within ``cutoff_m``.

    Both point sets are snapped to the graph (:func:`snap_points`) and inserted into it as
    extra nodes; distances are ``access_o + path + access_d``. Dijkstra runs from the
    smaller set, bounded by the cutoff.

    Parameters
    ----------
    graph : WalkingGraph
    origins, destinations : GeoSeries, GeoDataFrame or sequence of geometries
        Points in ``graph.crs``; their index labels identify them in the result.
    cutoff_m : float, keyword-only
        Largest distance kept, metres (inclusive).
    max_access_m : float, optional, keyword-only
        See :func:`snap_points`; points beyond it get no distances.
    method : {"scipy", "networkx"}, keyword-only
        ``"scipy"`` (default): :func:`scipy.sparse.csgraph.dijkstra` from blocks of
        sources with ``limit=cutoff_m``. ``"networkx"``:
        :func:`networkx.single_source_dijkstra_path_length` per source with ``cutoff``;
        same results, slower; kept for checks and the benchmark.
    chunk_size : int, keyword-only
        Sources per SciPy call (memory grows with ``chunk_size`` × nodes).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination`` (index labels), ``distance_m``; one row per pair within
        the cutoff, sorted by origin position then distance.
    """
    o_snap = snap_points(graph, origins, max_access_m=max_access_m)
    d_snap = snap_points(graph, destinations, max_access_m=max_access_m)
    matrix, (o_node, d_node) = augment(graph, [o_snap, d_snap])
    o_ok = np.flatnonzero((o_node >= 0) & (o_snap.access_m <= cutoff_m))
    d_ok = np.flatnonzero((d_node >= 0) & (d_snap.access_m <= cutoff_m))
    if not len(o_ok) or not len(d_ok):
        return _empty_distances()
    flip = len(d_ok) < len(o_ok)
    src, dst = (d_ok, o_ok) if flip else (o_ok, d_ok)
    src_node, dst_node = (d_node, o_node) if flip else (o_node, d_node)
    src_acc, dst_acc = (d_snap.access_m, o_snap.access_m) if flip else (o_snap.access_m, d_snap.access_m)
    rows_s, rows_d, dist = _one_to_many(matrix, src_node[src], dst_node[dst], cutoff_m, method,
                                        chunk_size)
    total = src_acc[src[rows_s]] + dist + dst_acc[dst[rows_d]]
    keep = total <= cutoff_m
    a, b = src[rows_s[keep]], dst[rows_d[keep]]
    o_pos, d_pos = (b, a) if flip else (a, b)
    out = pd.DataFrame({"o": o_pos, "distance_m": total[keep], "d": d_pos})
    out = out.sort_values(["o", "distance_m", "d"], kind="stable")
    return pd.DataFrame({
        "origin": o_snap.index.to_numpy()[out["o"].to_numpy()],
        "destination": d_snap.index.to_numpy()[out["d"].to_numpy()],
        "distance_m": out["distance_m"].to_numpy(),
    })


def _one_to_many(
    matrix: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray, cutoff_m: float,
    method: str, chunk_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source position, target position, path length) for every pair within the cutoff."""
    rs, rt, rd = [], [], []
    if method == "scipy":
        for start in range(0, len(sources), chunk_size):
            block = sources[start:start + chunk_size]
            dist = dijkstra(matrix, directed=False, indices=block, limit=cutoff_m)
            sub = dist[:, targets]
            i, j = np.nonzero(np.isfinite(sub))
            rs.append(i + start)
            rt.append(j)
            rd.append(sub[i, j])
    elif method == "networkx":
        import networkx as nx

        g = nx.from_scipy_sparse_array(matrix, edge_attribute="length")
        where: dict[int, list[int]] = {}
        for k, t in enumerate(targets.tolist()):
            where.setdefault(t, []).append(k)
        for k, s in enumerate(sources.tolist()):
            reach = nx.single_source_dijkstra_path_length(g, s, cutoff=cutoff_m, weight="length")
            for node, d in reach.items():
                for t in where.get(node, ()):
                    rs.append(np.array([k]))
                    rt.append(np.array([t]))
                    rd.append(np.array([d]))
    else:
        raise ValidationError(f"unknown method {method!r}", hint="scipy or networkx")
    if not rs:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(rs), np.concatenate(rt), np.concatenate(rd).astype(float)


def euclidean_distances(
    origins: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    destinations: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    *,
    cutoff_m: float,
) -> pd.DataFrame:
    """Straight-line distances between every origin and destination within ``cutoff_m``.

    Parameters
    ----------
    origins, destinations : GeoSeries, GeoDataFrame or sequence of geometries
        In one metric CRS; lines and polygons are represented by
        :func:`shapely.point_on_surface`.
    cutoff_m : float, keyword-only
        Largest distance kept, metres (inclusive).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination`` (index labels), ``distance_m``, sorted like
        :func:`network_distances`.
    """
    o, o_index = _as_points(origins)
    d, d_index = _as_points(destinations)
    o_ok = np.flatnonzero(~shapely.is_missing(o))
    d_ok = np.flatnonzero(~shapely.is_missing(d))
    if not len(o_ok) or not len(d_ok):
        return _empty_distances()
    i, j = shapely.STRtree(d[d_ok]).query(o[o_ok], predicate="dwithin", distance=cutoff_m)
    i, j = o_ok[i], d_ok[j]
    dist = shapely.distance(o[i], d[j])
    keep = dist <= cutoff_m
    out = pd.DataFrame({"o": i[keep], "distance_m": dist[keep], "d": j[keep]})
    out = out.sort_values(["o", "distance_m", "d"], kind="stable")
    return pd.DataFrame({
        "origin": o_index.to_numpy()[out["o"].to_numpy()],
        "destination": d_index.to_numpy()[out["d"].to_numpy()],
        "distance_m": out["distance_m"].to_numpy(),
    })


def multi_source_distances(
    graph: WalkingGraph,
    sources: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    targets: gpd.GeoSeries | gpd.GeoDataFrame | Sequence,
    *,
    cutoff_m: float,
    max_access_m: float | None = None,
) -> pd.DataFrame:
    """Walking distance from every target to its nearest source (e.g. service coverage).

    One multi-source Dijkstra (:func:`scipy.sparse.csgraph.dijkstra` with
    ``min_only=True``) from all sources at once, bounded by ``cutoff_m``.

    Parameters
    ----------
    graph : WalkingGraph
    sources, targets : GeoSeries, GeoDataFrame or sequence of geometries
        Points in ``graph.crs``.
    cutoff_m : float, keyword-only
        Largest distance, metres; targets farther from every source get ``inf``.
    max_access_m : float, optional, keyword-only
        See :func:`snap_points`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``targets``: ``distance_m`` (``inf`` beyond the cutoff) and
        ``source`` (label of the nearest source, missing beyond the cutoff).

    Notes
    -----
    Each source gets its own stub node joined to its snapped position by an edge as long as
    its access distance, and the search starts from the stubs, so source and target access
    distances are both counted, as in :func:`network_distances`.
    """
    s_snap = snap_points(graph, sources, max_access_m=max_access_m)
    t_snap = snap_points(graph, targets, max_access_m=max_access_m)
    matrix, (s_node, t_node) = augment(graph, [s_snap, t_snap])
    ok = np.flatnonzero(s_node >= 0)
    n = matrix.shape[0]
    result = pd.DataFrame({"distance_m": np.inf, "source": pd.Series([None] * len(t_node), dtype=object)},
                          index=t_snap.index)
    if not len(ok):
        return result
    # a stub node per source, joined by its access distance: start from the stubs
    stubs = n + np.arange(len(ok))
    coo = matrix.tocoo()
    big = sp.csr_matrix(
        (np.r_[coo.data, s_snap.access_m[ok]], (np.r_[coo.row, stubs], np.r_[coo.col, s_node[ok]])),
        shape=(n + len(ok), n + len(ok)),
    )
    dist, _pred, src = dijkstra(big, directed=False, indices=stubs, limit=cutoff_m,
                                min_only=True, return_predecessors=True)
    good = t_node >= 0
    d = np.full(len(t_node), np.inf)
    d[good] = dist[t_node[good]] + t_snap.access_m[good]
    reach = np.isfinite(d) & (d <= cutoff_m)
    d[~reach] = np.inf
    s_labels = s_snap.index.to_numpy()[ok]
    nearest = np.full(len(t_node), None, dtype=object)
    hit = np.flatnonzero(reach)
    nearest[hit] = s_labels[src[t_node[hit]] - n]
    result["distance_m"] = d
    result["source"] = nearest
    return result

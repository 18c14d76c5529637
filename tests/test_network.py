"""Walking graph and network distances, against networkx shortest paths on small graphs.

The oracle builds its own networkx graph from the segment coordinates, inserts each point by
splitting the edge it lies nearest to (found by brute force), and asks
``networkx.shortest_path_length``: no code is shared with ``yangpu_gis.analysis.network``.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString, Point
from shapely.ops import substring

from yangpu_gis.analysis.network import (
    euclidean_distances,
    multi_source_distances,
    network_distances,
    snap_points,
    walking_graph,
)

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_466_000.0


def _lattice(n: int = 4, step: float = 100.0, drop: tuple[int, ...] = ()) -> list[LineString]:
    """Unit segments of an n×n street lattice (one LineString per block side)."""
    segs = []
    for i in range(n):
        for j in range(n):
            x, y = X0 + i * step, Y0 + j * step
            if i < n - 1:
                segs.append(LineString([(x, y), (x + step, y)]))
            if j < n - 1:
                segs.append(LineString([(x, y), (x, y + step)]))
    return [s for k, s in enumerate(segs) if k not in drop]


def _roads(lines, classes=None) -> gpd.GeoDataFrame:
    classes = classes or ["branch"] * len(lines)
    return gpd.GeoDataFrame({"road_id": [f"R{k}" for k in range(len(lines))],
                             "road_class": classes}, geometry=lines, crs=CRS)


def _oracle(lines: list[LineString], origins: list[Point], dests: list[Point]) -> dict:
    """Network distance of every (origin, destination) pair by networkx on a hand-built graph."""
    g = nx.Graph()
    edges = []
    for ln in lines:
        a, b = ln.coords[0], ln.coords[-1]
        g.add_edge(a, b, length=ln.length)
        edges.append((a, b, ln))
    access = {}
    for key, p in [(("o", k), p) for k, p in enumerate(origins)] + [
        (("d", k), p) for k, p in enumerate(dests)
    ]:
        # nearest edge by brute force (first one on ties, as an STRtree would pick any)
        best = min(range(len(edges)), key=lambda e: edges[e][2].distance(p))
        a, b, ln = edges[best]
        t = ln.project(p)
        access[key] = ln.distance(p)
        if t <= 0:
            g.add_edge(key, a, length=0.0)
        elif t >= ln.length:
            g.add_edge(key, b, length=0.0)
        else:
            # split the edge at t; later points on the same edge split the pieces
            g.remove_edge(a, b)
            pa, pb = substring(ln, 0, t), substring(ln, t, ln.length)
            g.add_edge(a, key, length=pa.length)
            g.add_edge(key, b, length=pb.length)
            edges[best] = (a, key, pa)
            edges.append((key, b, pb))
    out = {}
    for i in range(len(origins)):
        lengths = nx.single_source_dijkstra_path_length(g, ("o", i), weight="length")
        for j in range(len(dests)):
            if ("d", j) in lengths:
                out[(i, j)] = access[("o", i)] + lengths[("d", j)] + access[("d", j)]
    return out


def _as_dict(table) -> dict:
    return {(int(o), int(d)): float(x) for o, d, x in table.itertuples(index=False)}


def test_lattice_distances_match_networkx():
    rng = np.random.default_rng(7)
    lines = _lattice(4, drop=(3, 10))  # two missing block sides force detours
    pts = [Point(X0 + rng.uniform(-20, 320), Y0 + rng.uniform(-20, 320)) for _ in range(14)]
    origins, dests = pts[:8], pts[8:]
    graph = walking_graph(_roads(lines))
    assert graph.n_nodes == 16
    got = network_distances(graph, gpd.GeoSeries(origins, crs=CRS), gpd.GeoSeries(dests, crs=CRS),
                            cutoff_m=10_000)
    want = _oracle(lines, origins, dests)
    got_d = _as_dict(got)
    assert got_d.keys() == want.keys()
    for k, v in want.items():
        assert got_d[k] == pytest.approx(v, rel=1e-9, abs=1e-9)


def test_points_on_same_edge_walk_along_it():
    lines = [LineString([(X0, Y0), (X0 + 400, Y0)])]
    o, d = Point(X0 + 50, Y0 + 3), Point(X0 + 120, Y0 - 4)
    graph = walking_graph(_roads(lines))
    got = network_distances(graph, [o], [d], cutoff_m=1000)
    assert got["distance_m"].tolist() == pytest.approx([3 + 70 + 4])
    assert _as_dict(got) == pytest.approx(_oracle(lines, [o], [d]))


def test_cutoff_and_both_methods_agree():
    rng = np.random.default_rng(3)
    lines = _lattice(5)
    pts = gpd.GeoSeries([Point(X0 + rng.uniform(0, 400), Y0 + rng.uniform(0, 400))
                         for _ in range(30)], crs=CRS)
    graph = walking_graph(_roads(lines))
    a = network_distances(graph, pts.iloc[:20], pts.iloc[20:], cutoff_m=250)
    b = network_distances(graph, pts.iloc[:20], pts.iloc[20:], cutoff_m=250, method="networkx")
    assert len(a) and (a["distance_m"] <= 250).all()
    assert _as_dict(a).keys() == _as_dict(b).keys()
    for k, v in _as_dict(a).items():
        assert _as_dict(b)[k] == pytest.approx(v, rel=1e-12)
    full = _oracle(lines, list(pts.iloc[:20]), list(pts.iloc[20:]))
    assert set(_as_dict(a)) == {(i, j + 20) for (i, j), v in full.items() if v <= 250}


def test_unnoded_crossing_and_short_t_junction_are_joined():
    # an X crossing without a shared vertex, and a T whose stem stops 0.4 m short
    lines = [
        LineString([(X0, Y0), (X0 + 200, Y0)]),
        LineString([(X0 + 100, Y0 - 100), (X0 + 100, Y0 + 100)]),
        LineString([(X0 + 50, Y0 + 0.4), (X0 + 50, Y0 + 80)]),
    ]
    graph = walking_graph(_roads(lines))
    o, d = Point(X0 + 50, Y0 + 80), Point(X0 + 100, Y0 - 100)
    got = network_distances(graph, [o], [d], cutoff_m=1000)["distance_m"].item()
    # stem 79.6 m, the 0.4 m gap closed by snapping, 50 m along, 100 m down the crossing line
    assert got == pytest.approx(79.6 + 50 + 100, abs=1e-6)
    apart = walking_graph(_roads(lines), split_at_intersections=False, snap_tolerance_m=0.1)
    assert network_distances(apart, [o], [d], cutoff_m=1000).empty


def test_expressway_not_walkable_and_dangles_connected():
    lines = [
        LineString([(X0, Y0), (X0, Y0 + 300)]),
        LineString([(X0, Y0 + 300), (X0 + 300, Y0 + 300)]),
        LineString([(X0 + 300, Y0 + 300), (X0 + 300, Y0)]),
        LineString([(X0, Y0), (X0 + 300, Y0)]),  # expressway shortcut
        LineString([(X0 + 150, Y0 + 320), (X0 + 150, Y0 + 400)]),  # stops 20 m short
    ]
    roads = _roads(lines, ["branch", "branch", "branch", "expressway", "alley"])
    o, d = Point(X0 + 5, Y0 + 10), Point(X0 + 295, Y0 + 10)
    walk = network_distances(walking_graph(roads), [o], [d], cutoff_m=5000)["distance_m"].item()
    assert walk == pytest.approx(5 + 290 + 300 + 290 + 5)
    drive = network_distances(walking_graph(roads, exclude_classes=()), [o], [d], cutoff_m=5000)
    assert drive["distance_m"].item() == pytest.approx(5 + 10 + 300 + 10 + 5)
    far = Point(X0 + 150, Y0 + 400)
    assert network_distances(walking_graph(roads), [far], [o], cutoff_m=5000).empty
    joined = walking_graph(roads, connect_dangling_m=25)
    got = network_distances(joined, [far], [o], cutoff_m=5000)["distance_m"].item()
    assert got == pytest.approx(80 + 20 + 150 + 290 + 5)
    assert (joined.edges["road_class"] == "connector").sum() == 1


def test_multi_source_is_min_of_one_to_many():
    rng = np.random.default_rng(11)
    lines = _lattice(5, drop=(5, 17))
    pts = gpd.GeoSeries([Point(X0 + rng.uniform(0, 400), Y0 + rng.uniform(0, 400))
                         for _ in range(25)], crs=CRS)
    graph = walking_graph(_roads(lines))
    src, tgt = pts.iloc[:5], pts.iloc[5:]
    ms = multi_source_distances(graph, src, tgt, cutoff_m=300)
    want = _oracle(lines, list(tgt), list(src))
    for k, label in enumerate(tgt.index):
        best = min((v for (i, _j), v in want.items() if i == k), default=np.inf)
        best = best if best <= 300 else np.inf
        assert ms.loc[label, "distance_m"] == pytest.approx(best, rel=1e-9)
        if np.isfinite(best):
            j = int(ms.loc[label, "source"])
            assert want[(k, list(src.index).index(j))] == pytest.approx(best, rel=1e-9)


def test_snap_and_euclidean_against_brute_force():
    lines = _lattice(3)
    graph = walking_graph(_roads(lines))
    pts = gpd.GeoSeries([Point(X0 + 30, Y0 + 7), Point(X0 + 900, Y0)], crs=CRS)
    snap = snap_points(graph, pts, max_access_m=100)
    assert snap.access_m[0] == pytest.approx(7)
    assert snap.edge[1] == -1
    rng = np.random.default_rng(5)
    a = [Point(rng.uniform(0, 500), rng.uniform(0, 500)) for _ in range(15)]
    b = [Point(rng.uniform(0, 500), rng.uniform(0, 500)) for _ in range(12)]
    got = _as_dict(euclidean_distances(a, b, cutoff_m=200))
    want = {(i, j): p.distance(q) for i, p in enumerate(a) for j, q in enumerate(b)
            if p.distance(q) <= 200}
    assert got == pytest.approx(want)


def test_networkx_export_matches():
    lines = _lattice(3)
    graph = walking_graph(_roads(lines))
    g = graph.to_networkx()
    assert g.number_of_nodes() == 9 and g.number_of_edges() == 12
    assert nx.shortest_path_length(g, 0, graph.n_nodes - 1, weight="length") == pytest.approx(400)

"""Benchmark: parking 2SFCA on the district's road network (not a test).

20,000 demand points and 3,000 facilities scattered over the demo district, 500 m walking
catchment on the demo road network. Times each step, and the network-distance step twice:
SciPy's compiled Dijkstra (``scipy.sparse.csgraph.dijkstra`` from blocks of sources with
``limit=``, what the analysis uses) against plain networkx Dijkstra per origin
(``single_source_dijkstra_path_length`` with ``cutoff``) on the same graph, checking that the
two give the same pairs and distances.

Run::

    /tmp/venv/bin/python benchmarks/bench_parking.py [--demand 20000] [--facilities 3000]
"""

from __future__ import annotations

import argparse
import platform
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yangpu_gis.analysis import network
from yangpu_gis.analysis.parking import PARKING_DEFAULTS, two_step_fca
from yangpu_gis.datasets import demo


def _scatter(area: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    out: list[np.ndarray] = []
    total = 0
    while total < n:
        pts = shapely.points(rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n))
        pts = pts[shapely.contains(area, pts)]
        out.append(pts)
        total += len(pts)
    return np.concatenate(out)[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--demand", type=int, default=20_000)
    ap.add_argument("--facilities", type=int, default=3_000)
    ap.add_argument("--catchment-m", type=float, default=500.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    times: dict[str, float] = {}

    t = time.perf_counter()
    layers = demo.generate()
    times["demo data (not part of the analysis)"] = time.perf_counter() - t
    roads, subs = layers["roads"], layers["subdistricts"]
    area = shapely.union_all(subs.geometry.to_numpy())
    demand_pts = gpd.GeoSeries(_scatter(area, args.demand, rng), crs=subs.crs)
    demand_pts.index = [f"D{i}" for i in range(len(demand_pts))]
    fac_pts = gpd.GeoSeries(_scatter(area, args.facilities, rng), crs=subs.crs)
    fac_pts.index = [f"F{i}" for i in range(len(fac_pts))]
    demand = pd.Series(rng.integers(20, 600, len(demand_pts)).astype(float), index=demand_pts.index)
    supply = pd.Series(rng.integers(10, 400, len(fac_pts)).astype(float), index=fac_pts.index)

    t = time.perf_counter()
    graph = network.walking_graph(roads, connect_dangling_m=PARKING_DEFAULTS.connect_dangling_m)
    times["walking graph"] = time.perf_counter() - t

    t = time.perf_counter()
    d_scipy = network.network_distances(graph, demand_pts, fac_pts, cutoff_m=args.catchment_m)
    times["network distances, scipy csgraph.dijkstra (limit=)"] = time.perf_counter() - t

    t = time.perf_counter()
    d_nx = network.network_distances(graph, demand_pts, fac_pts, cutoff_m=args.catchment_m,
                                     method="networkx")
    times["network distances, networkx Dijkstra per origin (cutoff=)"] = time.perf_counter() - t

    a = d_scipy.set_index(["origin", "destination"])["distance_m"].sort_index()
    b = d_nx.set_index(["origin", "destination"])["distance_m"].sort_index()
    same_pairs = a.index.equals(b.index)
    max_diff = float(np.abs(a.to_numpy() - b.to_numpy()).max()) if same_pairs and len(a) else None

    t = time.perf_counter()
    d_euc = network.euclidean_distances(demand_pts, fac_pts, cutoff_m=args.catchment_m)
    times["straight-line distances (STRtree dwithin)"] = time.perf_counter() - t

    t = time.perf_counter()
    acc = two_step_fca(demand, supply, d_scipy, catchment_m=args.catchment_m)
    times["2SFCA on network distances"] = time.perf_counter() - t
    t = time.perf_counter()
    two_step_fca(demand, supply, d_scipy, catchment_m=args.catchment_m, decay="gaussian")
    times["E2SFCA (Gaussian) on network distances"] = time.perf_counter() - t

    total = sum(v for k, v in times.items() if "networkx" not in k and "demo" not in k)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"graph: {graph.n_nodes:,} nodes, {len(graph.edges):,} edges "
          f"({(graph.edges['road_class'] == 'connector').sum():,} dead-end connectors)")
    print(f"{len(demand_pts):,} demand points, {len(fac_pts):,} facilities, "
          f"{args.catchment_m:g} m catchment")
    print(f"pairs within catchment: network {len(d_scipy):,}, straight line {len(d_euc):,}")
    print(f"scipy vs networkx: same pairs {same_pairs}, max |difference| {max_diff} m")
    print(f"demand points with some supply in reach: {(acc > 0).mean():.1%}")
    for k, v in times.items():
        print(f"  {k:<62} {v:8.2f} s")
    print(f"  {'analysis total (graph + scipy distances + 2SFCA + E2SFCA + euclid)':<62} {total:8.2f} s")


if __name__ == "__main__":
    main()

"""Benchmark: coverage of every street segment by a few hundred providers (not a test).

Straight line and along the walking network, on

* the real OpenStreetMap roads of north-west Yangpu
  (``../shared/data/real/osm_derived/yangpu_nw_osm_layers.gpkg``, layer ``roads``, when
  present; ODbL, © OpenStreetMap contributors), and
* the whole-district demo road network (:func:`yangpu_gis.datasets.demo.generate`).

Providers are random points (seeded) near the roads; each run is timed best of
``--repeat``. Run from the repository root::

    python benchmarks/bench_coverage.py [--providers 300] [--service-m 300] [--repeat 3]

Results are written up in ``benchmarks/README_coverage.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from yangpu_gis import settings
from yangpu_gis.analysis import network
from yangpu_gis.analysis.coverage import service_coverage

REPO = Path(__file__).resolve().parents[1]
OSM = REPO.parent / "shared" / "data" / "real" / "osm_derived" / "yangpu_nw_osm_layers.gpkg"


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _providers(roads: gpd.GeoDataFrame, n: int, seed: int = 6) -> gpd.GeoDataFrame:
    """``n`` points scattered up to 30 m off random points of the roads."""
    rng = np.random.default_rng(seed)
    lines = roads.geometry.to_numpy()
    pick = rng.choice(len(lines), n, p=shapely.length(lines) / shapely.length(lines).sum())
    pts = shapely.line_interpolate_point(lines[pick], rng.uniform(0, 1, n), normalized=True)
    xy = shapely.get_coordinates(pts) + rng.uniform(-30, 30, (n, 2))
    return gpd.GeoDataFrame(
        {"provider_id": [f"P{i:04d}" for i in range(n)]}, geometry=shapely.points(xy), crs=roads.crs
    )


def osm_roads() -> gpd.GeoDataFrame | None:
    if not OSM.exists():
        return None
    roads = gpd.read_file(OSM, layer="roads").to_crs(settings.working_crs)
    roads = roads[roads["in_yangpu"].astype(bool)] if "in_yangpu" in roads else roads
    roads = roads.explode(index_parts=False).reset_index(drop=True)
    roads["road_id"] = [f"OSM{i:05d}" for i in range(len(roads))]
    roads["road_class"] = "branch"  # every OSM way walkable here (motorways are absent)
    return roads[["road_id", "name", "road_class", "geometry"]]


def demo_roads() -> gpd.GeoDataFrame:
    from yangpu_gis.datasets.demo import generate

    return generate()["roads"]


def run(name: str, roads: gpd.GeoDataFrame, n: int, service_m: float, repeat: int) -> list[dict]:
    prov = _providers(roads, n)
    km = roads.length.sum() / 1000
    rows = []
    t_graph, _graph = _best(lambda: network.walking_graph(roads, exclude_classes=()), repeat)
    t_eu, r_eu = _best(lambda: service_coverage(roads, prov, service_m=service_m), repeat)
    t_net, r_net = _best(
        lambda: service_coverage(roads, prov, service_m=service_m, distance="network", exclude_classes=()),
        repeat,
    )
    for method, t, r in (("euclidean", t_eu, r_eu), ("network (incl. graph)", t_net, r_net)):
        rows.append(
            {
                "network": name,
                "segments": len(roads),
                "km": round(km, 1),
                "providers": n,
                "method": method,
                "seconds": round(t, 3),
                "covered_share": round(
                    float(r.targets["covered_length_m"].sum() / r.targets["length_m"].sum()), 4
                ),
            }
        )
    rows.append(
        {
            "network": name,
            "segments": len(roads),
            "km": round(km, 1),
            "providers": n,
            "method": "walking_graph only",
            "seconds": round(t_graph, 3),
            "covered_share": None,
        }
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--providers", type=int, default=300)
    ap.add_argument("--service-m", type=float, default=300.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    osm = osm_roads()
    if osm is not None:
        rows += run(
            "OSM north-west Yangpu (real)", osm, args.providers, args.service_m, args.repeat
        )
    else:
        print(f"no {OSM}: real OSM roads skipped")
    demo = demo_roads()
    rows += run("demo whole district", demo, args.providers, args.service_m, args.repeat)
    rows += run("demo whole district", demo, args.providers * 10, args.service_m, args.repeat)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("" if r[c] is None else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()

"""Benchmark: a city-scale year of 12345 work orders merged in one process and on dask.distributed.

Not a test. Synthetic year over Shanghai's 16 districts (the Aliyun DataV outline of 310000,
projected to EPSG:4549; 12 categories): ``uniform`` spreads the base orders over the land
area, ``clustered`` puts 60 % of them within ~150 m of 3 000 hot spots; in both, 25 % of the
orders are repeats of another order within an hour and ~10 m (duplicate chains). Each run is
a fresh process that builds the GeoDataFrame, then times
:func:`yangpu_gis.analysis.complaints.merge_duplicates` (the whole merge: cases, order map)
and the linkage core alone (:func:`space_time_labels`: pairs + components), either in this
process (``single``) or with ``scheduler=`` a client of a ``LocalCluster`` started before
the clock (``local:N``; its start-up time is reported apart). Peak memory is sampled every
0.1 s over the process *and its workers* (sum of RSS) and reported above the RSS once the
data were built.

Usage::

    python benchmarks/bench_city.py                          # 1M and 3M, both modes
    python benchmarks/bench_city.py --sizes 10000000 --modes single --layouts uniform
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

CATEGORIES = ("道路破损", "占道经营", "噪声", "积水", "违法停车", "垃圾", "井盖缺失", "路灯故障",
              "油烟扰民", "绿化养护", "群租", "掘路施工")
WEIGHTS = np.array([10, 10, 14, 6, 18, 10, 4, 5, 5, 4, 4, 6], dtype=float)
T0_NS = 1_735_660_800 * 10**9  # 2025-01-01 00:00 +08:00
#: Shanghai's districts (GCJ-02 outline; the offset does not matter for synthetic orders).
CITY = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / \
    "datav_geomapdata_cn" / "310000.json"


def _land():
    import geopandas as gpd
    import shapely

    if CITY.exists():
        city = gpd.read_file(CITY).to_crs(4549)
        land = shapely.union_all(city.geometry.to_numpy())
    else:  # without the outline: a 100 km x 60 km box (same order of land area)
        land = shapely.box(560_000, 3_420_000, 660_000, 3_480_000)
    shapely.prepare(land)
    return land


def synthetic_orders(n: int, layout: str, seed: int = 0):
    """x, y (m), t (ns), category codes of ``n`` orders over the city."""
    import shapely

    rng = np.random.default_rng(seed)
    land = _land()
    minx, miny, maxx, maxy = shapely.bounds(land)
    n_burst = int(0.25 * n)
    n_base = n - n_burst
    xs, ys, got = [], [], 0
    while got < n_base:
        k = int((n_base - got) * 2.5) + 1000
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(land, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        got += int(inside.sum())
    x = np.concatenate(xs)[:n_base]
    y = np.concatenate(ys)[:n_base]
    if layout == "clustered":
        hot = rng.random(n_base) < 0.6
        spots = rng.integers(0, n_base, 3000)
        which = spots[rng.integers(0, 3000, hot.sum())]
        x[hot] = x[which] + rng.normal(0, 150, hot.sum())
        y[hot] = y[which] + rng.normal(0, 150, hot.sum())
    cat = rng.choice(len(CATEGORIES), n_base, p=WEIGHTS / WEIGHTS.sum())
    day = rng.integers(0, 365, n_base)
    hour = np.clip(rng.normal(13, 4.5, n_base), 0, 23.999)
    t = T0_NS + day * 86_400 * 10**9 + (hour * 3600 * 10**9).astype(np.int64)
    src = rng.integers(0, n_base, n_burst)
    bx = x[src] + rng.normal(0, 8, n_burst)
    by = y[src] + rng.normal(0, 8, n_burst)
    bt = t[src] + rng.integers(60, 3600, n_burst) * 10**9
    return (np.concatenate([x, bx]), np.concatenate([y, by]), np.concatenate([t, bt]),
            np.concatenate([cat, cat[src]]))


class TreeRSS:
    """Peak of the summed RSS of this process and its children, sampled every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> float:
        import psutil

        total = self.proc.memory_info().rss
        for c in self.proc.children(recursive=True):
            try:
                total += c.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.now())

    def __enter__(self):
        self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def run_one(n: int, layout: str, mode: str) -> dict:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from yangpu_gis.analysis.complaints.merge import merge_duplicates, space_time_labels

    start = time.perf_counter()
    x, y, t, cat = synthetic_orders(n, layout)
    names = np.array(CATEGORIES, dtype=object)[cat]
    orders = gpd.GeoDataFrame(
        {"complaint_id": np.char.add("GD", np.arange(n).astype(str)).astype(object),
         "received_at": pd.to_datetime(t, utc=True).tz_convert("Asia/Shanghai"),
         "category": names},
        geometry=shapely.points(x, y), crs="EPSG:4549")
    built = time.perf_counter() - start
    client = cluster = None
    startup = 0.0
    if mode != "single":
        import distributed

        start = time.perf_counter()
        cluster = distributed.LocalCluster(n_workers=int(mode.split(":")[1]),
                                           threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
        client = distributed.Client(cluster)
        startup = time.perf_counter() - start
    row = {"n": n, "layout": layout, "mode": mode, "build_s": round(built, 1),
           "cluster_start_s": round(startup, 1)}
    try:
        with TreeRSS() as mem:
            base = mem.peak
            start = time.perf_counter()
            labels = space_time_labels(x, y, t, cat, distance_m=50, hours=72, client=client)
            row["linkage_s"] = round(time.perf_counter() - start, 2)
        row["linkage_peak_above_mb"] = round(mem.peak - base)
        del labels
        with TreeRSS() as mem:
            base = mem.peak
            start = time.perf_counter()
            merged = merge_duplicates(orders, distance_m=50, hours=72, scheduler=client)
            row["merge_s"] = round(time.perf_counter() - start, 2)
        row["cases"] = len(merged.cases)
        row["data_mb"] = round(base)
        row["merge_peak_mb"] = round(mem.peak)
        row["merge_peak_above_mb"] = round(mem.peak - base)
    finally:
        if client is not None:
            client.close()
            cluster.close()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,3000000")
    ap.add_argument("--layouts", default="uniform,clustered")
    ap.add_argument("--modes", default="single,local:2")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--one", nargs=3, metavar=("N", "LAYOUT", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1], args.one[2])))
        return
    for n in [int(float(s)) for s in args.sizes.split(",")]:
        for layout in args.layouts.split(","):
            for mode in args.modes.split(","):
                try:
                    proc = subprocess.run([sys.executable, __file__, "--one", str(n), layout,
                                           mode], capture_output=True, text=True,
                                          timeout=args.timeout, check=True)
                    row = json.loads(proc.stdout.strip().splitlines()[-1])
                except subprocess.TimeoutExpired:
                    row = {"n": n, "layout": layout, "mode": mode,
                           "error": f"timeout > {args.timeout:g} s"}
                except subprocess.CalledProcessError as exc:
                    row = {"n": n, "layout": layout, "mode": mode,
                           "error": exc.stderr.strip()[-300:]}
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

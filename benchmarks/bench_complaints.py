"""Benchmark: merging a year of 12345 work orders (space–time single linkage) at scale.

Not a test. Synthetic year of a large district (60 km², 12 categories): background orders
spread over the district, persistent hot spots (markets, hospitals, bar streets: 8 % of
orders within ~100 m of 40 places), and duplicate bursts (25 % of orders are repeats of
another order, 1–6 repeats within an hour and ~10 m). For each size the merge
(:func:`yangpu_gis.analysis.complaints.merge_duplicates` on a GeoDataFrame) and a plain
scikit-learn ``DBSCAN(eps=50, min_samples=1)`` on space only (the same points, no time, no
category) run in fresh processes; we report wall time, peak RSS of the process and the
peak above the RSS after the data were built.

Usage::

    python benchmarks/bench_complaints.py                 # 100k, 300k, 1M
    python benchmarks/bench_complaints.py --sizes 100000 --no-dbscan
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

CATEGORIES = ("道路破损", "占道经营", "噪声", "积水", "违法停车", "垃圾", "井盖缺失", "路灯故障",
              "油烟扰民", "绿化养护", "群租", "掘路施工")
WEIGHTS = np.array([10, 10, 14, 6, 18, 10, 4, 5, 5, 4, 4, 6], dtype=float)
X0, Y0, W, H = 640_000.0, 3_460_000.0, 7_500.0, 8_000.0  # 60 km² in EPSG:4549
YEAR_NS = 365 * 86_400 * 10**9
T0_NS = 1_735_660_800 * 10**9  # 2025-01-01 00:00 +08:00


def synthetic_orders(n: int, seed: int = 0):
    """x, y (m), t (ns), category codes of ``n`` orders with hot spots and bursts."""
    rng = np.random.default_rng(seed)
    n_burst = int(0.25 * n)
    n_base = n - n_burst
    x = rng.uniform(X0, X0 + W, n_base)
    y = rng.uniform(Y0, Y0 + H, n_base)
    cat = rng.choice(len(CATEGORIES), n_base, p=WEIGHTS / WEIGHTS.sum())
    hot = rng.random(n_base) < 0.08
    spots = np.column_stack([rng.uniform(X0, X0 + W, 40), rng.uniform(Y0, Y0 + H, 40)])
    which = rng.integers(0, 40, hot.sum())
    x[hot] = spots[which, 0] + rng.normal(0, 50, hot.sum())
    y[hot] = spots[which, 1] + rng.normal(0, 50, hot.sum())
    # daytime-weighted reception times over a year
    day = rng.integers(0, 365, n_base)
    hour = np.clip(rng.normal(13, 4.5, n_base), 0, 23.999)
    t = T0_NS + day * 86_400 * 10**9 + (hour * 3600 * 10**9).astype(np.int64)
    # bursts: repeats of random base orders within an hour and ~10 m
    src = rng.integers(0, n_base, n_burst)
    bx = x[src] + rng.normal(0, 8, n_burst)
    by = y[src] + rng.normal(0, 8, n_burst)
    bt = t[src] + rng.integers(60, 3600, n_burst) * 10**9
    return (np.concatenate([x, bx]), np.concatenate([y, by]), np.concatenate([t, bt]),
            np.concatenate([cat, cat[src]]))


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_one(method: str, n: int) -> dict:
    """Run one method on ``n`` orders in this process; return timings and memory."""
    x, y, t, cat = synthetic_orders(n)
    if method == "merge":
        import geopandas as gpd
        import pandas as pd
        import shapely

        from yangpu_gis.analysis.complaints import merge_duplicates

        orders = gpd.GeoDataFrame(
            {"complaint_id": np.char.add("GD", np.arange(n).astype(str)),
             "received_at": pd.to_datetime(t, utc=True).tz_convert("Asia/Shanghai"),
             "category": np.array(CATEGORIES, dtype=object)[cat]},
            geometry=shapely.points(x, y), crs="EPSG:4549")
        base = _rss_mb()
        start = time.perf_counter()
        merged = merge_duplicates(orders, distance_m=50, hours=72)
        seconds = time.perf_counter() - start
        clusters = len(merged.cases)
    else:
        from sklearn.cluster import DBSCAN

        xy = np.column_stack([x, y])
        base = _rss_mb()
        start = time.perf_counter()
        labels = DBSCAN(eps=50, min_samples=1, n_jobs=1).fit_predict(xy)
        seconds = time.perf_counter() - start
        clusters = int(labels.max()) + 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"method": method, "n": n, "seconds": round(seconds, 2), "clusters": clusters,
            "peak_rss_mb": round(peak), "peak_above_data_mb": round(peak - base)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--no-dbscan", action="store_true")
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        for method in ("merge",) + (() if args.no_dbscan else ("dbscan",)):
            try:
                proc = subprocess.run([sys.executable, __file__, "--one", method, str(n)],
                                      capture_output=True, text=True, timeout=args.timeout,
                                      check=True)
                row = json.loads(proc.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                row = {"method": method, "n": n, "seconds": f">{args.timeout:g}"}
            except subprocess.CalledProcessError as exc:
                row = {"method": method, "n": n, "error": exc.stderr.strip()[-300:]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| method | orders | time (s) | clusters | peak RSS (MB) | peak above data (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['method']} | {r['n']:,} | {r.get('seconds', '–')} | "
              f"{r.get('clusters', '–'):,} | {r.get('peak_rss_mb', '–')} | "
              f"{r.get('peak_above_data_mb', '–')} |" if "clusters" in r else
              f"| {r['method']} | {r['n']:,} | {r.get('seconds', '–')} | – | – | – |")


if __name__ == "__main__":
    main()

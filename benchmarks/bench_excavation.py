"""Benchmark the excavation conflict search (not a test).

100 000 synthetic permits over five years along the demo dataset's roads (trenches 20–150 m
long, 1.5–4 m wide, offset from the centre line like the demo's pipelines, 5–90 days long).
Times:

* ``conflicts()`` (STRtree) on all of them, and the full ``analyze_excavation()``;
* the same on a 5 000-permit subset, against a brute-force version (every pair tested,
  vectorised one row at a time with shapely, so the ratio is the index's, not Python's);
* the same query in PostGIS (``Registry.permit_conflict_pairs``: ``ST_Intersects`` self-join on the GiST
  index) on both sizes, after loading the permits into a throwaway database.

Run: ``/tmp/venv/bin/python benchmarks/bench_excavation.py [--permits N] [--subset M]
[--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg]``; writes
``benchmarks/README_excavation.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from yangpu_gis.analysis.excavation import analyze_excavation, conflicts

HERE = Path(__file__).resolve().parent
START, YEARS = dt.date(2021, 1, 1), 5
UTILITIES = ("water", "drainage", "sewage", "gas", "power", "telecom", "heat")


def synth_permits(roads: gpd.GeoDataFrame, n: int, seed: int = 4) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    ok = roads["road_class"].isin(["arterial", "secondary", "branch", "alley"]).to_numpy()
    lengths = roads.geometry.length.to_numpy()
    idx = np.flatnonzero(ok & (lengths > 30))
    w = lengths[idx] / lengths[idx].sum()
    r = rng.choice(idx, n, p=w)
    length = rng.uniform(20, 150, n)
    geoms = []
    lines = roads.geometry.to_numpy()
    half = roads["width_m"].fillna(8).to_numpy() / 2
    for k in range(n):
        line, L = lines[r[k]], lengths[r[k]]
        a = rng.uniform(0, max(L - length[k], 0.0))
        sub = substring(line, a, min(a + length[k], L))
        off = rng.uniform(-0.8, 0.8) * half[r[k]]
        moved = shapely.offset_curve(sub, off) if abs(off) > 0.1 else sub
        sub = moved if moved.geom_type == "LineString" and not moved.is_empty else sub
        geoms.append(sub)
    geoms = shapely.buffer(np.asarray(geoms, dtype=object), rng.uniform(0.75, 2.0, n),
                           cap_style="flat", join_style="mitre")
    start = pd.Timestamp(START) + pd.to_timedelta(rng.integers(0, 365 * YEARS, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(5, 91, n), unit="D")
    return gpd.GeoDataFrame({
        "permit_id": [f"B{k:06d}" for k in range(n)],
        "applicant": "bench",
        "utility": rng.choice(UTILITIES, n),
        "planned_start": start.normalize(),
        "planned_end": end.normalize(),
        "road_id": roads["road_id"].to_numpy()[r],
        "status": "已完工",
    }, geometry=shapely.set_precision(geoms, 0.01), crs=roads.crs)


def brute_force(permits: gpd.GeoDataFrame, repeat_days: int = 365) -> set:
    """Every pair tested: row i against rows i+1.. (vectorised per row)."""
    g = np.asarray(permits.geometry.values, dtype=object)
    s = permits["planned_start"].to_numpy().astype("datetime64[D]").astype(np.int64)
    e = permits["planned_end"].to_numpy().astype("datetime64[D]").astype(np.int64)
    ids = permits["permit_id"].to_numpy()
    shapely.prepare(g)
    out = set()
    for i in range(len(g) - 1):
        hit = np.flatnonzero(shapely.intersects(g[i], g[i + 1:])) + i + 1
        gap = np.maximum(s[hit] - e[i], s[i] - e[hit])
        for j, k in zip(hit[gap <= repeat_days], gap[gap <= repeat_days], strict=True):
            a, b = sorted((ids[i], ids[j]))
            out.add((a, b, "concurrent" if k <= 0 else "repeat", int(max(k, 0))))
    return out


def timed(fn, *args, repeat: int = 1, **kw):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return best, result


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def _with_db(url: str, db: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + db))


def postgis_times(admin_url: str, sets: dict[str, gpd.GeoDataFrame]) -> dict[str, tuple]:
    import psycopg

    from yangpu_gis import open_registry

    name = f"yangpu_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    out = {}
    try:
        for label, gdf in sets.items():
            url = _with_db(admin_url, name)
            with open_registry(url) as reg:
                t_load, _ = timed(reg.load, gdf, "excavation_permits", mode="replace")
                reg.conn.execute("ANALYZE excavation_permits")
                t_sql, rows = timed(reg.permit_conflict_pairs, repeat=2)
            out[label] = (t_load, t_sql, rows)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--permits", type=int, default=100_000)
    ap.add_argument("--subset", type=int, default=5_000)
    ap.add_argument("--pg", default=os.environ.get("YANGPU_GIS_TEST_PG",
                                                   "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "README_excavation.md")
    args = ap.parse_args()

    from yangpu_gis.datasets.demo import generate

    t0 = time.perf_counter()
    layers = generate()
    roads, pipes = layers["roads"], layers["pipelines"]
    big = synth_permits(roads, args.permits)
    sub = big.sample(args.subset, random_state=1).sort_values("permit_id").reset_index(drop=True)
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {len(big):,} permits, "
          f"{len(roads):,} roads, {len(pipes):,} pipelines")

    t_big, pairs_big = timed(conflicts, big, repeat=2)
    print(f"conflicts() on {len(big):,}: {t_big:.2f} s, {len(pairs_big):,} pairs")
    t_all, res = timed(analyze_excavation, big, roads, pipes)
    print(f"analyze_excavation() on {len(big):,}: {t_all:.2f} s")
    t_sub, pairs_sub = timed(conflicts, sub, repeat=3)
    t_brute, brute = timed(brute_force, sub)
    same = brute == set(pairs_sub[["permit_a", "permit_b", "kind", "days_apart"]].itertuples(
        index=False, name=None))
    print(f"subset {len(sub):,}: STRtree {t_sub:.3f} s, brute force {t_brute:.1f} s "
          f"(x{t_brute / t_sub:.0f}); identical: {same}")
    pg = {} if args.no_pg else postgis_times(args.pg, {"subset": sub, "full": big})
    for label, (t_load, t_sql, rows) in pg.items():
        ref = pairs_sub if label == "subset" else pairs_big
        ident = rows.drop(columns="distance_m").equals(ref.drop(columns="distance_m"))
        print(f"PostGIS {label}: load {t_load:.1f} s, query {t_sql:.2f} s, identical: {ident}")

    c = res.counts()
    lines = [
        "# Excavation conflict search: benchmark",
        "",
        f"`benchmarks/bench_excavation.py`, run {dt.date.today().isoformat()} on "
        f"{platform.machine()} ({os.cpu_count()} cores), Python {platform.python_version()}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}).",
        "",
        f"Data: {len(big):,} synthetic permits over {YEARS} years (2021–2025) along the demo "
        f"dataset's {len(roads):,} roads (trenches 20–150 m × 1.5–4 m, 5–90 days), "
        f"{len(pipes):,} demo pipelines. Defaults: `distance_m=0`, `repeat_days=365`.",
        "",
        "| what | permits | time (s) | result |",
        "|---|---:|---:|---|",
        f"| `conflicts()` (STRtree) | {len(big):,} | {t_big:.2f} | "
        f"{len(pairs_big):,} pairs |",
        f"| `analyze_excavation()` (all five tables) | {len(big):,} | {t_all:.2f} | "
        f"{c['moratorium_breaches']:,} breaches, {c['pipelines_at_risk']:,} pipes at risk, "
        f"{c['groups']:,} groups |",
        f"| `conflicts()` (STRtree) | {len(sub):,} | {t_sub:.3f} | {len(pairs_sub):,} pairs |",
        f"| brute force, every pair (vectorised per row) | {len(sub):,} | {t_brute:.2f} | "
        f"identical: {same} |",
    ]
    for label, (t_load, t_sql, rows) in pg.items():
        n = len(sub) if label == "subset" else len(big)
        ref = pairs_sub if label == "subset" else pairs_big
        ident = rows.drop(columns="distance_m").equals(ref.drop(columns="distance_m"))
        lines.append(f"| PostGIS self-join, `ST_Intersects` at 0 m (`permit_conflict_pairs`) | {n:,} | "
                     f"{t_sql:.2f} | identical: {ident} (load {t_load:.1f} s) |")
    lines += [
        "",
        "Ratios:",
        "",
        f"* brute force / STRtree on {len(sub):,} permits: **×{t_brute / t_sub:.0f}**; "
        f"brute force grows with n², so on {len(big):,} permits it would take about "
        f"{_duration(t_brute * (len(big) / len(sub)) ** 2)} against {t_big:.1f} s.",
    ]
    for label, (_, t_sql, _) in pg.items():
        ref = t_sub if label == "subset" else t_big
        lines.append(f"* PostGIS SQL / in-memory STRtree on {label} "
                     f"({len(sub) if label == 'subset' else len(big):,}): "
                     f"**×{t_sql / ref:.1f}** (query only; reading the table into memory for "
                     "the in-memory path is not counted).")
    lines += ["", "Times are the best of 2–3 runs (brute force and loads: one run)."]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

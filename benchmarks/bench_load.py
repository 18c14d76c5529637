"""Benchmark: loading 200,000 pipeline segments into PostGIS — yangpu_gis against ogr2ogr
and geopandas ``to_postgis``.

One shapefile (WGS84, UTF-8 ``.cpg``, Chinese owner names) is loaded ``--repeat`` times
(rounds interleave the commands; median and best reported), each time into a fresh empty
database:

* ``cli``       — the whole ``yangpu-gis load SHP --layer pipelines --mode replace`` command in
  a subprocess, process start to exit (Python start-up and imports included);
* ``ours``      — (``--only ours``) the same load in this process, timed by stage:
  ``open_registry(url).load(shp, "pipelines", mode="replace")``: reading,
  encoding and shapefile checks, full validation, reprojection to EPSG:4549, typed table
  (primary key, CHECK constraints, GiST index), batch record, COPY, one transaction;
* ``ogr2ogr``   — the whole ``ogr2ogr`` command in a subprocess, ``-t_srs EPSG:4549
  -lco SPATIAL_INDEX=GIST --config PG_USE_COPY YES -gt unlimited`` (one transaction, GDAL's
  fastest setting);
* ``to_postgis`` — ``geopandas.read_file(shp).to_crs(4549).to_postgis(...)`` with
  SQLAlchemy + GeoAlchemy2 (their defaults).

Then the tables are counted, and 1,000 sampled ids are compared between ours and
ogr2ogr's (Hausdorff distance of the geometries, and the owner text). Our time is broken
down by stage. Run::

    python benchmarks/bench_load.py [--features 200000] [--repeat 5] [--skip-gpd] [--only cli]

The shapefile is generated once (seeded) and cached under ``benchmarks/_work/``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import pyogrio
import shapely

WORK = Path(__file__).resolve().parent / "_work"
PG = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": os.environ.get("PGPORT", "5432"),
      "user": os.environ.get("PGUSER", "postgres")}
UTILITIES = ("water", "drainage", "sewage", "gas", "power", "telecom", "heat")
MATERIALS = ("球墨铸铁", "PE", "钢", "混凝土", "PVC", "铜芯电缆", "光缆")
OWNERS = ("上海城投水务（集团）有限公司", "上海市排水管理事务中心", "杨浦区市政和水务管理所",
          "上海燃气有限公司", "国网上海市电力公司杨浦供电公司", "中国电信股份有限公司上海分公司",
          "上海申能能源服务有限公司")  # one per utility, in UTILITIES order
# DBF field names are at most 10 bytes, so two catalogue names arrive cut, as in real files
MAPPING = {"diameter_m": "diameter_mm", "install_ye": "install_year"}


# --------------------------------------------------------------------------- data
def generate(n: int, path: Path, seed: int = 20240611) -> Path:
    """``n`` random-walk segments (2–5 vertices, 5–40 m steps) over Yangpu, WGS84 lon/lat."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(121.49, 121.57, n), rng.uniform(31.25, 31.34, n)])
    nv = rng.integers(2, 6, n)
    owner = np.repeat(np.arange(n), nv)
    angle = rng.uniform(0, 2 * np.pi, len(owner))
    step_m = rng.uniform(5, 40, len(owner))
    m_per_deg_lat = 110_940.0
    m_per_deg_lon = 111_320.0 * np.cos(np.radians(31.3))
    steps = np.column_stack([step_m * np.cos(angle) / m_per_deg_lon,
                             step_m * np.sin(angle) / m_per_deg_lat])
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first], nv, axis=0)
    xy = walk + np.repeat(start, nv, axis=0)
    utility = rng.integers(0, len(UTILITIES), n)
    gdf = gpd.GeoDataFrame(
        {
            "pipe_id": [f"YP-PL-{i:07d}" for i in range(1, n + 1)],
            "utility": np.array(UTILITIES)[utility],
            "pressure_c": np.where(np.array(UTILITIES)[utility] == "gas",
                                   rng.choice(["低压", "中压", "次高压"], n), None),
            "diameter_m": rng.choice([50, 100, 150, 200, 300, 500, 800, 1200], n).astype(float),
            "material": rng.choice(MATERIALS, n),
            "install_ye": rng.integers(1950, 2025, n).astype("int32"),
            "depth_m": np.round(rng.uniform(0.5, 6.0, n), 2),
            "owner": np.array(OWNERS)[utility],
        },
        geometry=shapely.linestrings(xy, indices=owner),
        crs="EPSG:4326",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + "_tmp.shp")
    pyogrio.write_dataframe(gdf, tmp, encoding="UTF-8")
    for part in tmp.parent.glob(tmp.stem + ".*"):
        part.rename(path.with_suffix(part.suffix))
    return path


# --------------------------------------------------------------------------- databases
def _url(db: str) -> str:
    return f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{db}"


def fresh_db(name: str) -> str:
    drop_db(name)
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_url(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    return _url(name)


def drop_db(name: str) -> None:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- stage timer
class Stages:
    """Wall-clock time spent inside wrapped package functions, by stage name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, stage: str) -> None:
        if not hasattr(owner, attr):
            return
        original = getattr(owner, attr)
        is_static = isinstance(vars(owner).get(attr) if isinstance(owner, type) else None,
                               staticmethod)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - t

        self._undo.append((owner, attr, vars(owner)[attr] if isinstance(owner, type) else original))
        setattr(owner, attr, staticmethod(timed) if is_static else timed)

    def restore(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        self._undo.clear()


@contextlib.contextmanager
def instrumented() -> Iterator[Stages]:
    from yangpu_gis.io import extent, geometry, types, validate
    from yangpu_gis.registry import base
    from yangpu_gis.registry.postgis import copy as pg_copy
    from yangpu_gis.registry.postgis import vectors as pg_vectors

    st = Stages()
    st.wrap(base, "read_source", "read (pyogrio + shapefile/encoding checks)")
    st.wrap(validate, "coerce", "validate: coerce types")
    st.wrap(validate, "is_blank", "validate: blanks")
    st.wrap(validate, "_enum", "validate: enumerations")
    st.wrap(validate, "check_geometries", "validate: geometry checks")
    st.wrap(validate, "to_working", "validate: reproject + extent")
    st.wrap(base, "prepare", "validate (total)")
    st.wrap(pg_vectors, "to_storage", "write: to_storage")
    for name in ("copy_text", "copy_csv"):
        st.wrap(pg_copy, name, "write: COPY data build")
    st.wrap(pg_copy, "copy_rows", "write: COPY (total)")
    st.wrap(base.Registry, "store", "write (total)")
    _ = (extent, geometry, types)
    try:
        yield st
    finally:
        st.restore()


# --------------------------------------------------------------------------- the three runs
def run_ours(shp: Path, url: str) -> tuple[float, dict[str, float]]:
    from yangpu_gis import open_registry

    with instrumented() as st:
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        reg = open_registry(url)
        try:
            reg.load(shp, "pipelines", mode="replace", mapping=MAPPING)
        finally:
            reg.close()
        total = time.perf_counter() - t
        end = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds of this process (all threads; not the server's): steadier than wall clock
    # on a shared machine
    st.seconds["client CPU time (all threads)"] = (end.ru_utime - cpu.ru_utime
                                                   + end.ru_stime - cpu.ru_stime)
    return total, dict(st.seconds)


def _cli() -> list[str]:
    """The ``yangpu-gis`` console script beside this Python, else ``python -m yangpu_gis.cli``."""
    script = Path(sys.executable).with_name("yangpu-gis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "yangpu_gis.cli"]


#: ``--baseline``: a checkout of the package whose ``yangpu-gis load`` is timed as ``before``.
BASELINE: dict[str, str] = {}


def run_cli(shp: Path, url: str, env: dict[str, str] | None = None
            ) -> tuple[float, dict[str, float]]:
    """The whole ``yangpu-gis load`` command as users run it: process start to exit."""
    cmd = [*_cli(), "load", str(shp), "--layer", "pipelines", "--registry", url,
           "--mode", "replace", *[a for k, v in MAPPING.items() for a in ("--map", f"{k}={v}")]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, **env} if env else None)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, {"process CPU time": after.ru_utime - before.ru_utime
                     + after.ru_stime - before.ru_stime}


def run_before(shp: Path, url: str) -> tuple[float, dict[str, float]]:
    """:func:`run_cli` with the package of ``--baseline`` (``PYTHONPATH``)."""
    return run_cli(shp, url, env={"PYTHONPATH": BASELINE["path"]})


def run_ogr(shp: Path, url: str) -> tuple[float, dict[str, float]]:
    dsn = "PG:" + " ".join(f"{k}={v}" for k, v in
                           {**PG, "dbname": url.rsplit("/", 1)[1]}.items())
    cmd = ["ogr2ogr", "-f", "PostgreSQL", dsn, str(shp), "-nln", "pipelines_ogr",
           "-t_srs", "EPSG:4549", "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST",
           "-nlt", "LINESTRING", "--config", "PG_USE_COPY", "YES", "-gt", "unlimited"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, {"process CPU time": after.ru_utime - before.ru_utime
                     + after.ru_stime - before.ru_stime}


def run_gpd(shp: Path, url: str) -> tuple[float, dict[str, float]]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        t = time.perf_counter()
        gpd.read_file(shp).to_crs(4549).to_postgis("pipelines_gpd", engine, if_exists="replace",
                                                   index=False)
        return time.perf_counter() - t, {}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- checks
def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608


def compare(url_ours: str, url_ogr: str, n: int, sample: int = 1000) -> dict[str, float]:
    """Hausdorff distance (m) and owner text of ``sample`` ids, ours against ogr2ogr's."""
    rng = np.random.default_rng(7)
    ids = [f"YP-PL-{i:07d}" for i in sorted(rng.choice(np.arange(1, n + 1), sample, False))]
    q = "SELECT pipe_id, owner, ST_AsBinary(geom), ST_SRID(geom) FROM {} " \
        "WHERE pipe_id = ANY(%s) ORDER BY pipe_id"
    with psycopg.connect(url_ours) as a, psycopg.connect(url_ogr) as b:
        ours = a.execute(q.format("pipelines"), [ids]).fetchall()
        theirs = b.execute(q.format("pipelines_ogr"), [ids]).fetchall()
    assert [r[0] for r in ours] == ids == [r[0] for r in theirs], "sampled ids differ"
    ga = shapely.from_wkb([bytes(r[2]) for r in ours])
    gb = shapely.from_wkb([bytes(r[2]) for r in theirs])
    return {
        "max_hausdorff_m": float(shapely.hausdorff_distance(ga, gb).max()),
        "same_vertex_count": bool((shapely.get_num_coordinates(ga)
                                   == shapely.get_num_coordinates(gb)).all()),
        "owner_equal": all(r[1] == s[1] for r, s in zip(ours, theirs, strict=True)),
        "srids": sorted({r[3] for r in ours} | {r[3] for r in theirs}),
    }


# --------------------------------------------------------------------------- main
def _versions() -> str:
    import pandas as pd
    import pyproj

    ogr = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip()
    with psycopg.connect(_url("postgres")) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    db = fresh_db("yangpu_bench_version")
    try:
        with psycopg.connect(db) as conn:
            postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    finally:
        drop_db("yangpu_bench_version")
    return (f"{ogr}; PostgreSQL {pg}, PostGIS {postgis}; pyogrio {pyogrio.__version__} "
            f"(GDAL {pyogrio.__gdal_version_string__}); psycopg {psycopg.__version__}; "
            f"shapely {shapely.__version__}; pyproj {pyproj.__version__}; pandas {pd.__version__}; "
            f"geopandas {gpd.__version__}; Python {sys.version.split()[0]}; {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=["cli", "before", "ours", "ogr2ogr", "to_postgis"], action="append",
                    help="run only these (repeatable); default: cli, ogr2ogr, to_postgis")
    ap.add_argument("--skip-gpd", action="store_true", help="skip geopandas to_postgis")
    ap.add_argument("--keep", action="store_true", help="keep the last databases")
    ap.add_argument("--baseline", metavar="CHECKOUT",
                    help="also time `yangpu-gis load` of the package in this checkout "
                    "(e.g. a `git worktree` of the previous commit) as `before`")
    args = ap.parse_args(argv)
    if args.baseline:
        BASELINE["path"] = str(Path(args.baseline).resolve())
    if shutil.which("ogr2ogr") is None:
        sys.exit("ogr2ogr not found")

    t = time.perf_counter()
    shp = generate(args.features, WORK / f"pipelines_{args.features}.shp")
    print(f"data: {shp.name} ({sum(p.stat().st_size for p in shp.parent.glob(shp.stem + '.*')) / 1e6:.1f}"
          f" MB, ready in {time.perf_counter() - t:.1f} s)")
    print(_versions())
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    runners: dict[str, Callable[[Path, str], tuple[float, dict[str, float]]]] = {
        "cli": run_cli, "before": run_before, "ours": run_ours, "ogr2ogr": run_ogr,
        "to_postgis": run_gpd}
    chosen = args.only or [k for k in ("cli", "ogr2ogr", "to_postgis")
                           if not (k == "to_postgis" and args.skip_gpd)]
    if args.baseline and "before" not in chosen:
        chosen.insert(0, "before")
    runs: dict[str, list[tuple[float, dict[str, float]]]] = defaultdict(list)
    dbs = {k: f"yangpu_bench_{k}" for k in runners}
    # rounds interleave the commands, so a burst of load from other jobs hits all of them
    for i in range(args.repeat):
        for name in chosen:
            url = fresh_db(dbs[name])
            seconds, stages = runners[name](shp, url)
            cpu = stages.get("process CPU time")
            print(f"  round {i + 1} {name:<11} {seconds:7.2f} s"
                  + (f"  (CPU {cpu:5.2f} s)" if cpu is not None else "")
                  + f"  load {os.getloadavg()[0]:.2f}", flush=True)
            runs[name].append((seconds, stages))

    tables = {"cli": "pipelines", "before": "pipelines", "ours": "pipelines", "ogr2ogr": "pipelines_ogr",
              "to_postgis": "pipelines_gpd"}
    med = {k: float(np.median([s for s, _ in v])) for k, v in runs.items()}
    print(f"\n{args.features:,} features, {args.repeat} rounds (median, best):")
    for name in chosen:
        rows = count(_url(dbs[name]), tables[name])
        seconds = [s for s, _ in runs[name]]
        line = (f"  {name:<11} median {med[name]:6.2f} s  best {min(seconds):6.2f} s  "
                f"{args.features / med[name]:9,.0f} rows/s  rows={rows:,}")
        if name in ("before", "ogr2ogr", "to_postgis") and "cli" in med:
            line += f"  cli/{name} = {med['cli'] / med[name]:.2f} (medians)"
        print(line)
        assert rows == args.features, f"{name} holds {rows} rows"
    if "cli" in runs and "ogr2ogr" in runs:
        ratios = [a[0] / b[0] for a, b in zip(runs["cli"], runs["ogr2ogr"], strict=True)]
        print(f"  cli/ogr2ogr per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {np.median(ratios):.2f}")
        for other in ("before",):
            if other in runs:
                ratios = [a[0] / b[0] for a, b in zip(runs[other], runs["ogr2ogr"], strict=True)]
                print(f"  {other}/ogr2ogr per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
                      f"median {np.median(ratios):.2f}")
        print("  check vs ogr2ogr (1,000 ids):",
              compare(_url(dbs["cli"]), _url(dbs["ogr2ogr"]), args.features))
    if "ours" in runs:
        total, stages = min(runs["ours"], key=lambda r: r[0])
        print("\nour best in-process run by stage (s):")
        for stage, s in sorted(stages.items()):
            print(f"  {stage:<45} {s:6.2f}")
        print(f"  {'total (open_registry + load)':<45} {total:6.2f}")
    print("\nload average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if not args.keep:
        for name in chosen:
            drop_db(dbs[name])


if __name__ == "__main__":
    main()

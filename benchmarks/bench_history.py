"""Benchmark: the cost of feature history (issue #15) — the code before history against the
current tree, on GeoPackage and PostGIS, with ``ogr2ogr -overwrite`` as the standard tool.

Each code version runs in its own subprocess with ``PYTHONPATH`` pointing at its tree
(``--old-tree``: a checkout of the commit before history, e.g. ``git worktree add
../old-tree 9ae16c9``; the new tree is the one holding this script). Old and new runs
alternate within each round to spread machine noise. One run of one version on one backend,
into a fresh GeoPackage file or a fresh database:

* **small** (the demo roads, 2,356 lines, GBK shapefile): (1) first load, ``replace``;
  (3) an identical re-delivery, ``replace``; (2) a re-delivery with 10 renamed, 10 moved by
  2–5 m, 3 removed and 2 added, ``replace``;
* **large** (``--features`` generated pipeline segments, ``bench_load.generate``): first
  load, then (4) a re-delivery with ``--changed`` of them changed (half a new material, half
  moved by 2–5 m), ``replace``.

Timed is ``reg.load(...)`` only (wall clock; the client CPU time of the process too). The
new tree also reports the stored versions (``reg.versions(layer, columns=[])``), the load's
counts, and ``read(layer)`` against ``read(layer, as_of=<first batch>)``. For each case
``ogr2ogr`` loads the first delivery and then ``-overwrite``-s it with the re-delivery,
into the same backend. Best of ``--repeat`` (small) / ``--repeat-large`` runs, and the
median. Run::

    python benchmarks/bench_history.py --old-tree ../old-tree [--repeat 5]
        [--repeat-large 3] [--features 100000] [--only small|large] [--backend gpkg|postgis]

Generated data is seeded and cached under ``benchmarks/_work/``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEW_TREE = HERE.parent
WORK = HERE / "_work"
ROADS = NEW_TREE / "data" / "demo" / "roads.shp"
ROADS_ENCODING = "GBK"
SEED = 20261202


# --------------------------------------------------------------------------- worker
def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _size(target: str) -> int | None:
    """Bytes on disk: the GeoPackage (with ``-wal``) or the database."""
    if target.endswith(".gpkg"):
        return sum(p.stat().st_size for p in (Path(target), Path(target + "-wal")) if p.exists())
    import psycopg

    with psycopg.connect(target) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def worker(spec: dict) -> dict:
    """One run of the code on ``PYTHONPATH``: the steps of ``spec``, timed; a JSON-able dict."""
    from yangpu_gis import open_registry

    layer, target, opts = spec["layer"], spec["target"], spec["options"]
    out: dict = {"history": False}
    reg = open_registry(target, create=True)
    try:
        has_history = hasattr(reg, "versions")
        out["history"] = has_history

        def step(name: str, source: str) -> None:
            profiler = None
            if spec.get("profile") == name:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            cpu, t = _cpu(), time.perf_counter()
            res = reg.load(source, layer, mode="replace", **opts)
            seconds = time.perf_counter() - t
            if profiler is not None:
                profiler.stop()
                out["profile"] = profiler.output_text(show_all=False, color=False)
            out[name] = {"seconds": seconds, "cpu": _cpu() - cpu,
                         "batch_id": res.batch_id, "size": _size(target),
                         "inserted": res.rows_inserted, "updated": res.rows_updated,
                         "deleted": res.rows_deleted,
                         "unchanged": getattr(res, "rows_unchanged", None),
                         "versions": (len(reg.versions(layer, columns=[]))
                                      if has_history else None),
                         "batches": len(reg.batches())}

        step("first", spec["base"])
        if spec["identical"]:
            step("identical", spec["base"])
        step("changed", spec["changed"])
        if has_history:
            first = out["first"]["batch_id"]
            reg.read(layer, columns=[])  # warm up (imports, connection)
            for _ in range(3):  # alternate, keep the best of each
                for name, kw in (("read", {}), ("read_as_of", {"as_of": first})):
                    t = time.perf_counter()
                    n = len(reg.read(layer, **kw))
                    seconds = time.perf_counter() - t
                    if name not in out or seconds < out[name]["seconds"]:
                        out[name] = {"seconds": seconds, "rows": n}
    finally:
        reg.close()
    return out


# --------------------------------------------------------------------------- data
def roads_delivery(path: Path) -> Path:
    """The demo roads with 10 renamed, 10 moved 2–5 m, 3 removed, 2 added (GBK, seeded)."""
    if path.exists():
        return path
    import numpy as np
    import pyogrio
    import shapely

    df = pyogrio.read_dataframe(ROADS, encoding=ROADS_ENCODING)
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(df), 27, replace=False)
    renamed, moved, removed, copied = pick[:10], pick[10:20], pick[20:23], pick[23:25]
    df.iloc[renamed, 1] = df.iloc[renamed, 1] + "（新）"
    geom = df.geometry.to_numpy().copy()
    for i in moved:
        d, a = rng.uniform(2, 5), rng.uniform(0, 2 * np.pi)
        geom[i] = shapely.transform(geom[i], lambda xy, d=d, a=a: xy + [d * np.cos(a), d * np.sin(a)])
    df = df.set_geometry(geom)
    added = df.iloc[copied].copy()
    added.iloc[:, 0] = [f"R9{k:04d}" for k in range(1, len(added) + 1)]
    added = added.set_geometry(shapely.transform(added.geometry.to_numpy(), lambda xy: xy + [40.0, 40.0]))
    df = df.drop(df.index[removed])
    df = type(df)(__import__("pandas").concat([df, added], ignore_index=True), crs=df.crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(df, path, encoding=ROADS_ENCODING)
    return path


def pipelines_delivery(base: Path, path: Path, changed: int) -> Path:
    """``base`` with ``changed`` segments changed: half a new material, half moved 2–5 m."""
    if path.exists():
        return path
    import numpy as np
    import pyogrio
    import shapely
    from bench_load import MATERIALS

    df = pyogrio.read_dataframe(base)
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(df), changed, replace=False)
    half = changed // 2
    col = df.columns.get_loc("material")
    old = df.iloc[pick[:half], col].to_numpy()
    df.iloc[pick[:half], col] = [MATERIALS[(MATERIALS.index(m) + 1) % len(MATERIALS)] for m in old]
    geom = df.geometry.to_numpy().copy()
    deg = np.array([111_320.0 * np.cos(np.radians(31.3)), 110_940.0])
    for i in pick[half:]:
        d, a = rng.uniform(2, 5), rng.uniform(0, 2 * np.pi)
        off = np.array([d * np.cos(a), d * np.sin(a)]) / deg
        geom[i] = shapely.transform(geom[i], lambda xy, off=off: xy + off)
    df = df.set_geometry(geom)
    pyogrio.write_dataframe(df, path, encoding="UTF-8")
    return path


# --------------------------------------------------------------------------- runs
def run_worker(tree: Path, spec: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"worker failed ({tree}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fresh_target(backend: str, name: str) -> str:
    if backend == "gpkg":
        path = WORK / f"{name}.gpkg"
        for p in WORK.glob(f"{name}.gpkg*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        return str(path)
    from bench_load import fresh_db

    return fresh_db(name)


def drop_target(backend: str, name: str) -> None:
    if backend == "gpkg":
        for p in WORK.glob(f"{name}.gpkg*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    else:
        from bench_load import drop_db

        drop_db(name)


def run_ogr(backend: str, name: str, base: Path, changed: Path, layer: str,
            encoding: str | None) -> dict:
    """``ogr2ogr`` the first delivery, then ``-overwrite`` it with the re-delivery; timed."""
    from bench_load import PG

    target = fresh_target(backend, name)
    if backend == "gpkg":
        dest = ["-f", "GPKG", target]
    else:
        dsn = "PG:" + " ".join(f"{k}={v}" for k, v in {**PG, "dbname": name}.items())
        dest = ["-f", "PostgreSQL", dsn, "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST",
                "--config", "PG_USE_COPY", "YES"]
    common = ["-nln", layer, "-t_srs", "EPSG:4549", "-nlt", "LINESTRING", "-gt", "unlimited"]
    if encoding:
        common += ["-oo", f"ENCODING={encoding}"]
    out = {}
    for step, src, extra in (("first", base, []), ("changed", changed, ["-overwrite"])):
        t = time.perf_counter()
        subprocess.run(["ogr2ogr", *dest, str(src), *common, *extra], check=True,
                       capture_output=True)
        out[step] = {"seconds": time.perf_counter() - t}
    drop_target(backend, name)
    return out


def rounds(case: dict, backends: list[str], repeat: int, old_tree: Path,
           results: dict) -> None:
    trees = {"old": old_tree, "new": NEW_TREE}
    for i in range(repeat):
        order = ["old", "new"] if i % 2 == 0 else ["new", "old"]
        for backend in backends:
            for version in order:
                name = f"yangpu_bench_hist_{version}_{os.getpid()}"
                target = fresh_target(backend, name)
                spec = {**case["spec"], "target": target}
                try:
                    res = run_worker(trees[version], spec)
                finally:
                    drop_target(backend, name)
                results.setdefault((case["name"], backend, version), []).append(res)
                steps = " ".join(f"{k} {res[k]['seconds']:.2f}" for k in
                                 ("first", "identical", "changed", "read", "read_as_of")
                                 if k in res)
                print(f"  {case['name']} round {i + 1} {backend:<7} {version}: {steps}",
                      flush=True)
            res = run_ogr(backend, f"yangpu_bench_hist_ogr_{os.getpid()}", Path(case["spec"]["base"]),
                          Path(case["spec"]["changed"]), case["spec"]["layer"], case["encoding"])
            results.setdefault((case["name"], backend, "ogr2ogr"), []).append(res)
            print(f"  {case['name']} round {i + 1} {backend:<7} ogr2ogr: first "
                  f"{res['first']['seconds']:.2f} overwrite {res['changed']['seconds']:.2f}",
                  flush=True)


# --------------------------------------------------------------------------- report
def _stats(runs: list[dict], step: str, key: str = "seconds") -> tuple[float, float] | None:
    values = [r[step][key] for r in runs if step in r]
    return (min(values), statistics.median(values)) if values else None


def report(results: dict, cases: list[dict], backends: list[str]) -> None:
    rows = []
    labels = {"first": "first load", "identical": "identical re-delivery (replace)",
              "changed": "changed re-delivery (replace)"}
    for case in cases:
        for backend in backends:
            new = results.get((case["name"], backend, "new"), [])
            old = results.get((case["name"], backend, "old"), [])
            ogr = results.get((case["name"], backend, "ogr2ogr"), [])
            for step in ("first", "identical", "changed"):
                n, o = _stats(new, step), _stats(old, step)
                if not n or not o:
                    continue
                g = _stats(ogr, "changed" if step == "identical" else step)
                nc, oc = _stats(new, step, "cpu"), _stats(old, step, "cpu")
                rows.append((f"{case['label']}: {labels[step]}", backend, n, o, g, nc, oc))
    head = (f"{'case':<50} {'backend':<7} {'new best/med':>13} {'old best/med':>13} "
            f"{'new/old':>11} {'cpu n/o':>7} {'ogr2ogr':>13} {'new/ogr':>7}")
    print("\n" + head + "\n" + "-" * len(head))
    for label, backend, n, o, g, nc, oc in rows:
        ogr = f"{g[0]:6.2f}/{g[1]:6.2f}" if g else " " * 13
        ratio_ogr = f"{n[0] / g[0]:7.2f}" if g else " " * 7
        print(f"{label:<50} {backend:<7} {n[0]:6.2f}/{n[1]:6.2f} {o[0]:6.2f}/{o[1]:6.2f} "
              f"{n[0] / o[0]:5.2f}/{n[1] / o[1]:5.2f} {nc[1] / oc[1]:7.2f} {ogr} {ratio_ogr}")
    print("(best/median seconds of reg.load; new/old: ratio of bests / of medians; cpu n/o: "
          "ratio of median client CPU; ogr2ogr: first load, or -overwrite for re-deliveries)")

    print("\nstored versions, counts and sizes (new tree, last run):")
    for case in cases:
        for backend in backends:
            for version in ("new", "old"):
                runs = results.get((case["name"], backend, version))
                if not runs:
                    continue
                last = runs[-1]
                for step in ("first", "identical", "changed"):
                    if step not in last:
                        continue
                    s = last[step]
                    print(f"  {case['label']:<22} {backend:<7} {version} {step:<9} "
                          f"versions={s['versions']} inserted={s['inserted']} "
                          f"updated={s['updated']} deleted={s['deleted']} "
                          f"unchanged={s['unchanged']} batches={s['batches']} "
                          f"size={s['size'] / 1e6:.3f} MB")
    print("\nread() against read(as_of=first batch) (new tree, best/median s):")
    for case in cases:
        for backend in backends:
            runs = results.get((case["name"], backend, "new"), [])
            r, a = _stats(runs, "read"), _stats(runs, "read_as_of")
            if r and a:
                rows_r, rows_a = runs[-1]["read"]["rows"], runs[-1]["read_as_of"]["rows"]
                print(f"  {case['label']:<22} {backend:<7} read {r[0]:.3f}/{r[1]:.3f} "
                      f"({rows_r:,} rows)  as_of {a[0]:.3f}/{a[1]:.3f} ({rows_a:,} rows)  "
                      f"ratio {a[0] / r[0]:.2f}/{a[1] / r[1]:.2f}")


def _git(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old-tree", type=Path, help="checkout of the code before history")
    ap.add_argument("--repeat", type=int, default=5, help="rounds of the small cases")
    ap.add_argument("--repeat-large", type=int, default=3, help="rounds of the large case")
    ap.add_argument("--features", type=int, default=100_000)
    ap.add_argument("--changed", type=float, default=0.01, help="share changed (large case)")
    ap.add_argument("--only", choices=["small", "large"], action="append")
    ap.add_argument("--backend", choices=["gpkg", "postgis"], action="append")
    ap.add_argument("--profile", choices=["first", "identical", "changed"],
                    help="instead of timing rounds: one run of the new tree per case and "
                         "backend, this step under pyinstrument (pip install pyinstrument)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if args.old_tree is None or not (args.old_tree / "yangpu_gis").is_dir():
        sys.exit("--old-tree must be a checkout holding yangpu_gis/")
    if shutil.which("ogr2ogr") is None:
        sys.exit("ogr2ogr not found")
    from bench_load import MAPPING, _versions, generate

    backends = args.backend or ["gpkg", "postgis"]
    t = time.perf_counter()
    road2 = roads_delivery(WORK / "roads_delivery2.shp")
    cases = []
    if not args.only or "small" in args.only:
        cases.append({"name": "small", "label": "roads 2,356", "encoding": ROADS_ENCODING,
                      "repeat": args.repeat,
                      "spec": {"layer": "roads", "base": str(ROADS), "changed": str(road2),
                               "options": {"encoding": ROADS_ENCODING}, "identical": True}})
    if not args.only or "large" in args.only:
        n = args.features
        base = generate(n, WORK / f"pipelines_{n}.shp")
        changed = pipelines_delivery(base, WORK / f"pipelines_{n}_changed{args.changed:g}.shp",
                                     round(n * args.changed))
        cases.append({"name": "large", "label": f"pipelines {n:,}", "encoding": None,
                      "repeat": args.repeat_large,
                      "spec": {"layer": "pipelines", "base": str(base), "changed": str(changed),
                               "options": {"mapping": MAPPING}, "identical": False}})
    print(f"data ready in {time.perf_counter() - t:.1f} s; new tree {_git(NEW_TREE)}, "
          f"old tree {_git(args.old_tree)}")
    print(_versions())
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
          flush=True)
    if args.profile:
        for case in cases:
            for backend in backends:
                name = f"yangpu_bench_hist_prof_{os.getpid()}"
                target = fresh_target(backend, name)
                try:
                    res = run_worker(NEW_TREE, {**case["spec"], "target": target,
                                                "profile": args.profile})
                finally:
                    drop_target(backend, name)
                print(f"\n=== {case['label']}, {backend}, {args.profile}: "
                      f"{res[args.profile]['seconds']:.2f} s\n{res.get('profile', '')}")
        return
    results: dict = {}
    for case in cases:
        rounds(case, backends, case["repeat"], args.old_tree, results)
    report(results, cases, backends)
    print("\nload average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()

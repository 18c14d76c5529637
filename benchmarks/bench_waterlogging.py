"""Benchmark: waterlogging on a generated 1 m DEM of the district with the full road network.

Usage::

    python benchmarks/bench_waterlogging.py --cells 30e6      # the issue's memory goal
    python benchmarks/bench_waterlogging.py --cells 4e6       # quick

The 1 m DEM is the 10 m demo DEM (:mod:`yangpu_gis.datasets.demo.raster`) resampled
bilinearly to 1 m over a window centred on the district, with 2 cm of seeded noise (so the
fill has real work: many tiny pits), and the demo road network and compounds. The DEM and
layers are made once and saved to a temporary folder; each measured step then runs in its
own fresh process (so its peak resident memory is its own), one after the other:

* ``pysheds_fill`` — ``pysheds``' ``Grid.fill_depressions`` called plainly (the reference);
* ``fill`` / ``fill_tiled`` — our priority-flood, untiled and tiled;
* ``fill_tiled_local2`` — the tiled fill with its tiles as tasks on a 2-worker
  ``LocalCluster`` (what ``--scheduler local:2`` starts; started before the clock, its
  start-up reported as ``cluster_start_s``; peak RSS is the calling process's only);
* ``analysis`` / ``analysis_tiled`` — the whole ``analyze_waterlogging()`` (fill,
  depressions, catchments, polygons, roads and compounds), untiled and tiled.

Each child reports its wall time (the step only, not loading its inputs) and its peak RSS
(``ru_maxrss``, which includes the loaded DEM and the imports). Times are ratios against
``pysheds_fill`` measured in the same run. Importing pysheds (it compiles with numba,
≈ 10 s) is timed apart, as ``pysheds_import_s``, in the step that uses it (the plain
fill; the analysis no longer imports pysheds), and left out of the step time. The load
average (``os.getloadavg``) is recorded before and after each step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = ("pysheds_fill", "fill", "fill_tiled", "fill_tiled_local2", "analysis", "analysis_tiled")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_dem(cells: float, seed: int = 1):
    from affine import Affine
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    from yangpu_gis.datasets import demo
    from yangpu_gis.datasets.demo import demo_dem

    layers = demo.generate()
    coarse = demo_dem(layers)
    h10, w10 = coarse.values.shape
    aspect = h10 / w10
    w = int(np.sqrt(cells / aspect))
    h = int(cells / w)
    cx = coarse.transform.c + w10 * 10 / 2
    cy = coarse.transform.f - h10 * 10 / 2
    t = Affine(1, 0, np.floor(cx - w / 2), 0, -1, np.floor(cy + h / 2))
    fine = np.empty((h, w), dtype=np.float32)
    reproject(coarse.values, fine, src_transform=coarse.transform, src_crs=coarse.crs,
              dst_transform=t, dst_crs=coarse.crs, resampling=Resampling.bilinear)
    rng = np.random.default_rng(seed)
    fine += rng.normal(0, 0.02, fine.shape).astype(np.float32)
    return fine, t, coarse.crs, layers


def mosaic(dem: np.ndarray, n: int) -> np.ndarray:
    """``n`` copies of ``dem`` in a grid of ``ceil(n / 2)`` columns and 2 rows (one row for
    n < 4), mirrored left-right and top-bottom in turn so that neighbours share their edge."""
    rows = 1 if n < 4 else 2
    cols = -(-n // rows)
    h, w = dem.shape
    out = np.empty((rows * h, cols * w), dtype=dem.dtype)
    for i in range(rows):
        for j in range(cols):
            block = dem[::-1] if i % 2 else dem
            out[i * h:(i + 1) * h, j * w:(j + 1) * w] = block[:, ::-1] if j % 2 else block
    return out


def child(step: str, folder: Path, tile_size: int) -> dict:
    """Run one step on the saved inputs; return its time and peak memory."""
    import geopandas as gpd
    from affine import Affine

    meta = json.loads((folder / "meta.json").read_text())
    t = Affine(*meta["transform"])
    dem = np.load(folder / "dem.npy")
    out: dict = {"step": step}
    if step == "pysheds_fill":  # pysheds compiles with numba on import
        t0 = time.perf_counter()
        import pysheds.grid  # noqa: F401

        out["pysheds_import_s"] = round(time.perf_counter() - t0, 1)
    if step == "pysheds_fill":
        from pysheds.grid import Grid
        from pysheds.sview import Raster, ViewFinder

        if not hasattr(np, "in1d"):
            np.in1d = np.isin  # pysheds 0.5 with NumPy ≥ 2.4
        vf = ViewFinder(affine=t, shape=dem.shape, nodata=np.nan)
        r = Raster(dem.astype(np.float64), viewfinder=vf)
        t0 = time.perf_counter()
        filled = np.asarray(Grid(viewfinder=vf).fill_depressions(r))
        out["s"] = time.perf_counter() - t0
        np.save(folder / "pysheds_filled.npy", filled.astype(np.float32))
    elif step in ("fill", "fill_tiled", "fill_tiled_local2"):
        from yangpu_gis.analysis.fill import priority_flood, tiled_fill

        priority_flood(np.ones((3, 3), np.float32))  # numba: load the compiled code first
        tiled_fill(np.ones((3, 3), np.float32), 2)
        client = None
        if step == "fill_tiled_local2":
            import distributed

            t0 = time.perf_counter()
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                               processes=True, dashboard_address=":0")
            client = distributed.Client(cluster)
            client.run(tiled_fill, np.ones((3, 3), np.float32), 2)  # the workers' numba too
            out["cluster_start_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        filled = (priority_flood(dem) if step == "fill"
                  else tiled_fill(dem, tile_size, client=client))
        out["s"] = time.perf_counter() - t0
        if client is not None:
            client.close()
            cluster.close()
        out["peak_rss_mb_before_check"] = round(_rss_mb())
        ref = folder / "pysheds_filled.npy"
        if ref.exists():
            out["equal_pysheds"] = bool(np.array_equal(filled, np.load(ref), equal_nan=True))
    else:
        from yangpu_gis.analysis import waterlogging as wl
        from yangpu_gis.rasters import RasterData

        roads = gpd.read_parquet(folder / "roads.parquet")
        compounds = gpd.read_parquet(folder / "compounds.parquet")
        pit = np.full((4, 4), 2, np.float32)
        pit[1:3, 1:3] = 1  # numba: load the fill and drainage kernels first
        wl.find_depressions(pit, Affine(1, 0, 0, 0, -1, 4), tile_size=2)
        wl.find_depressions(pit, Affine(1, 0, 0, 0, -1, 4), tile_size=0)
        t0 = time.perf_counter()
        rep = wl.analyze_waterlogging(RasterData(dem, t, meta["crs"]), roads, compounds,
                                      min_area_m2=10,
                                      tile_size=tile_size if step == "analysis_tiled" else 0)
        out["s"] = time.perf_counter() - t0
        out["summary"] = rep.summary()
        for name, table in rep.tables().items():
            table.to_csv(folder / f"{step}_{name}.csv", index=False)
    out["s"] = round(out["s"], 1)
    out["peak_rss_mb"] = round(_rss_mb())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=float, default=30e6)
    ap.add_argument("--tile-size", type=int, default=None)
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--mosaic", type=int, default=1,
                    help="N copies of the --cells DEM side by side, every other one mirrored so "
                    "they meet without a step (a city of N districts: --cells 60e6 --mosaic 10 "
                    "for 600 M cells); the roads and compounds stay those of the first copy")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    from yangpu_gis.analysis.waterlogging import WATERLOGGING_DEFAULTS

    tile = args.tile_size or WATERLOGGING_DEFAULTS.tile_size
    if args.child:
        print(json.dumps(child(args.child, Path(args.folder), tile)))
        return
    out: dict = {"cells_requested": args.cells, "tile_size": tile}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        dem, t, crs, layers = make_dem(args.cells)
        if args.mosaic > 1:
            dem = mosaic(dem, args.mosaic)
        np.save(folder / "dem.npy", dem)
        layers["roads"].to_parquet(folder / "roads.parquet")
        layers["residential_compounds"].to_parquet(folder / "compounds.parquet")
        (folder / "meta.json").write_text(json.dumps({"transform": list(t)[:6],
                                                      "crs": crs.to_string()}))
        out["shape"] = dem.shape
        out["cells"] = int(dem.size)
        out["generate_s"] = round(time.perf_counter() - t0, 1)
        del dem, layers
        for step in args.steps.split(","):
            load = os.getloadavg()[0]
            proc = subprocess.run([sys.executable, __file__, "--child", step, "--folder", tmp,
                                   "--tile-size", str(tile)], capture_output=True, text=True)
            if proc.returncode:
                out[step] = {"error": proc.stderr[-2000:]}
                continue
            out[step] = json.loads(proc.stdout.strip().splitlines()[-1])
            out[step]["load_1min_before_after"] = [round(load, 2), round(os.getloadavg()[0], 2)]
            print(step, out[step], file=sys.stderr, flush=True)
        if "analysis" in out and "analysis_tiled" in out:
            out["analysis_tables_identical"] = all(
                (folder / f"analysis_{n}.csv").read_bytes()
                == (folder / f"analysis_tiled_{n}.csv").read_bytes()
                for n in ("depressions", "roads_at_risk", "compounds_at_risk"))
    ref = out.get("pysheds_fill", {}).get("s")
    if ref:
        out["time_ratio_vs_pysheds_fill"] = {
            s: round(out[s]["s"] / ref, 3) for s in STEPS if s in out and "s" in out[s]}
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()

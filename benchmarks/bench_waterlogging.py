"""Benchmark: waterlogging on a generated 1 m DEM of the district with the full road network.

Usage::

    python benchmarks/bench_waterlogging.py --cells 60e6      # the issue's scale
    python benchmarks/bench_waterlogging.py --cells 15e6      # what fits a small machine

The 1 m DEM is the 10 m demo DEM (:mod:`yangpu_gis.datasets.demo.raster`) resampled bilinearly to
1 m over a window centred on the district, with 2 cm of seeded noise (so the fill has
real work: many tiny pits), and the demo road network and compounds. Each step is timed;
peak memory is the process's maximum resident set size. The fill step is timed twice:
``find_depressions``' fill (our wrapper) and ``pysheds``' ``Grid.fill_depressions`` called
plainly, to show the wrapper's overhead ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=float, default=60e6)
    ap.add_argument("--skip-plain", action="store_true")
    args = ap.parse_args()
    out: dict = {"cells_requested": args.cells}
    t0 = time.perf_counter()
    dem, t, crs, layers = make_dem(args.cells)
    out["shape"] = dem.shape
    out["cells"] = int(dem.size)
    out["generate_s"] = round(time.perf_counter() - t0, 1)

    from yangpu_gis.analysis import waterlogging as wl

    if not args.skip_plain:
        from pysheds.grid import Grid
        from pysheds.sview import Raster, ViewFinder

        wl._numpy_compat()
        vf = ViewFinder(affine=t, shape=dem.shape, nodata=np.nan)
        r = Raster(dem.astype(np.float64), viewfinder=vf)
        t0 = time.perf_counter()
        plain = np.asarray(Grid(viewfinder=vf).fill_depressions(r))
        out["fill_plain_pysheds_s"] = round(time.perf_counter() - t0, 1)
        del r
    t0 = time.perf_counter()
    filled = wl.fill_depressions(dem, t)
    out["fill_wrapper_s"] = round(time.perf_counter() - t0, 1)
    if not args.skip_plain:
        out["fill_ratio_wrapper_vs_plain"] = round(out["fill_wrapper_s"] /
                                                  max(out["fill_plain_pysheds_s"], 1e-9), 3)
        out["fill_equal_plain"] = bool(np.array_equal(filled, plain))
        del plain
    del filled
    from yangpu_gis.rasters import RasterData

    t0 = time.perf_counter()
    rep = wl.analyze_waterlogging(RasterData(dem, t, crs), layers["roads"],
                                  layers["residential_compounds"], min_area_m2=10)
    out["waterlogging_total_s"] = round(time.perf_counter() - t0, 1)
    out["summary"] = rep.summary()
    out["peak_rss_mb"] = round(_rss_mb())
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()

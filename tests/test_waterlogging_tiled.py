"""``analyze waterlogging --tile-size``: every output of the demo DEM is the same tiled
(tile sizes that do not divide the raster) and untiled, and the fill equals pysheds'."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from .cli_run import REPO, run_cli
from .test_fill import pysheds_fill

DEM = REPO / "data" / "demo" / "dem.tif"
TABLES = ("depressions", "roads_at_risk", "compounds_at_risk")


@pytest.fixture(scope="module")
def demo_registry(tmp_path_factory) -> Path:
    from yangpu_gis import open_registry
    from yangpu_gis.datasets import demo

    layers = demo.generate()
    path = tmp_path_factory.mktemp("wl") / "r.gpkg"
    reg = open_registry(str(path))
    reg.load_raster(DEM, "dem")
    for name in ("roads", "residential_compounds", "subdistricts"):
        reg.load(layers[name], name)
    return path


def test_demo_dem_fill_equals_pysheds():
    from yangpu_gis.analysis.waterlogging import fill_depressions

    with rasterio.open(DEM) as d:
        dem = d.read(1, masked=True).filled(np.nan).astype(np.float32)
    ref = pysheds_fill(dem)
    for tile in (0, 100, 333):
        assert np.array_equal(fill_depressions(dem, tile_size=tile), ref, equal_nan=True)


def test_cli_outputs_identical_for_any_tile_size(demo_registry, tmp_path):
    outs = {}
    for tile in (0, 100, 333):
        out = tmp_path / f"t{tile}"
        run = run_cli("analyze", "waterlogging", "-r", demo_registry, "--out", out,
                      "--tile-size", tile, "--json")
        assert run.returncode == 0, run
        outs[tile] = {t: pd.read_csv(out / f"{t}.csv", encoding="utf-8-sig") for t in TABLES}
        params = pd.read_csv(out / "parameters.csv", encoding="utf-8-sig")
        assert float(params.set_index("parameter").loc["tile_size", "value"]) == tile
    base = outs.pop(0)
    assert len(base["depressions"]) > 10 and len(base["roads_at_risk"]) > 0
    assert len(base["compounds_at_risk"]) > 0
    for tile, tables in outs.items():
        for t in TABLES:
            pd.testing.assert_frame_equal(tables[t], base[t], check_exact=True, obj=f"{t} {tile}")


def test_bad_tile_size_is_a_user_error(demo_registry, tmp_path):
    run = run_cli("analyze", "waterlogging", "-r", demo_registry, "--out", tmp_path / "x",
                  "--tile-size", "1")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "tile size" in (run.stdout + run.stderr)

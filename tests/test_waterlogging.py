"""Waterlogging: depressions on hand-made rasters, random rasters vs a brute-force fill,
catchments, roads and compounds at risk."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from scipy import ndimage

from yangpu_gis.analysis.waterlogging import analyze_waterlogging, find_depressions
from yangpu_gis.rasters import RasterData


def brute_force_fill(dem: np.ndarray) -> np.ndarray:
    """Oracle: the lowest surface W ≥ dem from which every cell drains to the edge
    (8-connected): iterate W = max(dem, min over neighbours of W) from W = +inf inside,
    W = dem on the edge, until nothing changes (Planchon & Darboux's definition)."""
    h, w = dem.shape
    water = np.full_like(dem, np.inf)
    edge = np.zeros_like(dem, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    water[edge] = dem[edge]
    while True:
        padded = np.pad(water, 1, constant_values=np.inf)
        low = np.min([padded[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
                      for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc], axis=0)
        new = np.where(edge, dem, np.maximum(dem, low))
        if np.array_equal(new, water):
            return water
        water = new


T1 = Affine(1, 0, 0, 0, -1, 100)
T2 = Affine(2, 0, 0, 0, -2, 100)


def test_bowl_by_hand():
    dem = np.array([[5, 5, 5, 5, 5],
                    [5, 3, 3, 3, 5],
                    [5, 3, 1, 3, 5],
                    [5, 3, 3, 3, 4],
                    [5, 5, 5, 5, 5]], float)
    res = find_depressions(dem, T2)  # 2 m cells: 4 m² each
    row = res.table.iloc[0]
    # spill over the edge cell at 4 m: eight cells 1 m deep, the centre 3 m deep
    assert len(res.table) == 1 and row["spill_elevation_m"] == 4
    assert row["area_m2"] == 9 * 4 and row["max_depth_m"] == 3
    assert row["volume_m3"] == (8 * 1 + 3) * 4
    # the raster's edge cells are its outlets (as in the fill): their water leaves the
    # raster, so the bowl drains its own nine cells (the pysheds D8 catchments before
    # issue 16 let the edge ring flow inward: 25 cells)
    assert row["catchment_m2"] == 9 * 4


def test_trough_catchment_by_hand():
    # a trough between 20 m walls draining west through an outlet at 0.5 m; rows 0 and 4
    # and the first and last columns are the raster's edge (outlets, draining off it)
    middle = [0.5, 4, 3, 2, 1, 2.5, 3, 4, 5]
    dem = np.array([[30] * 9, [20] * 9, middle, [20] * 9, [30] * 9], float)
    res = find_depressions(dem, T1)
    row = res.table.iloc[0]
    # filled to 4 m (the sill at column 1): columns 2..6, depths 1, 2, 3, 1.5, 1
    assert row["area_m2"] == 5 and row["max_depth_m"] == 3 and row["volume_m3"] == 8.5
    # columns 2..7 of the trough (column 7, 4 m, to column 6) and of both walls (each wall
    # cell's lowest neighbour is in the trough; at column 1 that is the 0.5 m outlet)
    # drain into it: 3 × 6 cells (before issue 16, with the edge rows draining inward: 21)
    assert row["catchment_m2"] == 18
    assert res.labels[2].tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0]


def test_min_depth_threshold_and_two_pits():
    dem = np.full((9, 12), 3.0)
    dem[2, 2] = 3.0 - 0.04          # too shallow (≤ 0.05 m)
    dem[2, 8] = 3.0 - 0.06          # just deep enough
    dem[5:8, 3:6] = 2.5             # a 3 × 3 pit, 0.5 m deep
    res = find_depressions(dem, T1)
    t = res.table.sort_values("area_m2")
    assert t["area_m2"].tolist() == [1, 9]
    assert t["max_depth_m"].tolist() == pytest.approx([0.06, 0.5])
    assert t["volume_m3"].tolist() == pytest.approx([0.06, 4.5])
    res2 = find_depressions(dem, T1, min_depth_m=0.1)
    assert len(res2.table) == 1
    res3 = find_depressions(dem, T1, min_area_m2=5)
    assert res3.table["area_m2"].tolist() == [9] and res3.labels.max() == 1


def test_nodata_cells_stay_nodata():
    dem = np.full((6, 6), 3.0)
    dem[2:4, 2:4] = 2.0
    dem[0, 0] = np.nan
    res = find_depressions(dem, T1)
    assert np.isnan(res.filled[0, 0]) and res.table["area_m2"].tolist() == [4]


@pytest.mark.parametrize("seed", range(6))
def test_random_rasters_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(8, 30, size=2))
    dem = rng.normal(3, 1, shape)
    if seed % 2:
        dem = ndimage.gaussian_filter(dem, 1.2)
    if seed == 3:
        dem = np.round(dem, 1)  # ties and flats
    want = brute_force_fill(dem)
    res = find_depressions(dem, T1, min_depth_m=0.05)
    np.testing.assert_allclose(res.filled, want, rtol=0, atol=1e-12)
    depth = want - dem
    labels, n = ndimage.label(depth > 0.05, structure=np.ones((3, 3)))
    assert len(res.table) == n
    assert res.table["area_m2"].sum() == (depth > 0.05).sum()
    assert res.table["volume_m3"].sum() == pytest.approx(depth[depth > 0.05].sum(), abs=1e-3 * max(n, 1))
    if n:
        assert res.table["max_depth_m"].max() == pytest.approx(depth.max(), abs=1e-4)
        # each depression's catchment holds at least the depression itself
        assert (res.table["catchment_m2"] >= res.table["area_m2"]).all()
        assert res.table["catchment_m2"].sum() <= dem.size


def test_roads_and_compounds_at_risk():
    dem = np.full((40, 60), 4.0) + np.linspace(0, 0.5, 60)[None, :]
    dem[10:20, 10:20] = 3.5               # a 10 m × 10 m pit
    dem[14, 14] = 3.2                     # its deepest cell
    t = Affine(1, 0, 1000, 0, -1, 2000)
    r = RasterData(dem.astype("float32"), t, __import__("pyproj").CRS.from_epsg(4549))
    roads = gpd.GeoDataFrame(
        {"road_id": ["R1", "R2"], "name": ["a", "b"], "road_class": ["branch", "branch"]},
        geometry=[shapely.LineString([(1000, 1985.5), (1060, 1985.5)]),   # through row 14
                  shapely.LineString([(1000, 1995), (1060, 1995)])],     # misses the pit
        crs="EPSG:4549")
    compounds = gpd.GeoDataFrame(
        {"compound_id": ["C1"], "name": ["x"], "households": [100]},
        geometry=[shapely.box(1015, 1970, 1040, 1990)], crs="EPSG:4549")
    rep = analyze_waterlogging(r, roads, compounds)
    dep = rep.tables()["depressions"]
    assert len(dep) == 1 and dep.loc[0, "area_m2"] == 100
    assert dep.loc[0, "max_depth_m"] == pytest.approx(4.0 + 0.5 * 9 / 59 - 3.2, abs=1e-3)
    roads_t = rep.tables()["roads_at_risk"]
    assert roads_t["road_id"].tolist() == ["R1"]
    assert roads_t.loc[0, "length_m"] == pytest.approx(10)
    assert roads_t.loc[0, "max_depth_m"] == pytest.approx(dep.loc[0, "max_depth_m"], abs=1e-3)
    comp = rep.tables()["compounds_at_risk"]
    # compound x 1015–1040, y 1970–1990; pit x 1010–1020, y 1980–1990: 5 × 10 m inside
    assert comp.loc[0, "area_m2"] == pytest.approx(50)
    # the pit fills to its lowest rim cell (column 9); the deepest cell (column 14) is
    # outside the compound, whose deepest part is the 3.5 m floor
    spill = 4.0 + 0.5 * 9 / 59
    assert comp.loc[0, "max_depth_m"] == pytest.approx(spill - 3.5, abs=1e-4)
    assert rep.summary()["roads_at_risk"] == 1 and rep.summary()["compounds_at_risk"] == 1


def test_cli_condition_commands(tmp_path):
    """analyze waterlogging / road-condition / water-quality on a tiny registry."""
    import pandas as pd
    import rasterio
    from typer.testing import CliRunner

    from yangpu_gis import open_registry
    from yangpu_gis.cli import app

    x0, y0 = 644_000.0, 3_466_000.0
    dem = np.full((60, 80), 4.0, dtype="float32") + np.linspace(0, 0.3, 80, dtype="float32")
    dem[20:30, 20:30] = 3.4
    tif = tmp_path / "dem.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=80, height=60, count=1, dtype="float32",
                       crs="EPSG:4549", transform=Affine(5, 0, x0, 0, -5, y0), nodata=-9999) as d:
        d.write(dem, 1)
    reg_path = str(tmp_path / "r.gpkg")
    reg = open_registry(reg_path)
    reg.load_raster(tif, "dem")
    sub = shapely.box(x0, y0 - 300, x0 + 400, y0)
    reg.load(gpd.GeoDataFrame({"subdistrict_id": ["310110019"], "name": ["五角场街道"]},
                              geometry=[sub], crs="EPSG:4549"), "subdistricts")
    reg.load(gpd.GeoDataFrame(
        {"road_id": ["R1", "R2"], "name": ["a", "b"], "road_class": ["branch", "arterial"],
         "pci": [90.0, 60.0]},
        geometry=[shapely.LineString([(x0, y0 - 122.5), (x0 + 400, y0 - 122.5)]),
                  shapely.LineString([(x0, y0 - 250), (x0 + 400, y0 - 250)])],
        crs="EPSG:4549"), "roads")
    reg.load(gpd.GeoDataFrame({"compound_id": ["C1"], "name": ["x"], "households": [10]},
                              geometry=[shapely.box(x0 + 90, y0 - 160, x0 + 130, y0 - 90)],
                              crs="EPSG:4549"), "residential_compounds")
    runner = CliRunner()
    out = tmp_path / "wl"
    res = runner.invoke(app, ["analyze", "waterlogging", "-r", reg_path, "--out", str(out),
                              "--json"])
    assert res.exit_code == 0, res.output
    dep = pd.read_csv(out / "depressions.csv", encoding="utf-8-sig")
    assert list(dep.columns) == ["depression_id", "area_m2", "max_depth_m", "volume_m3",
                                 "catchment_m2"]
    assert dep.loc[0, "area_m2"] == 2500
    roads = pd.read_csv(out / "roads_at_risk.csv", encoding="utf-8-sig")
    assert roads["road_id"].tolist() == ["R1"] and roads.loc[0, "length_m"] == 50
    comp = pd.read_csv(out / "compounds_at_risk.csv", encoding="utf-8-sig")
    assert comp.loc[0, "area_m2"] == pytest.approx(30 * 50)
    assert (out / "waterlogging.gpkg").exists() and (out / "waterlogging.html").exists()

    out = tmp_path / "rc"
    res = runner.invoke(app, ["analyze", "road-condition", "-r", reg_path, "--out", str(out)])
    assert res.exit_code == 0, res.output
    rc = pd.read_csv(out / "road_condition.csv", encoding="utf-8-sig", dtype={"subdistrict_id": str})
    total = rc[(rc.subdistrict_id == "district") & (rc.road_class == "all")].iloc[0]
    assert total["good_rate"] == pytest.approx(0.5) and total["length_m"] == pytest.approx(800)

    st = gpd.GeoDataFrame({"station_id": ["S1"], "name": ["x"], "river_id": ["HD1"],
                           "water_body": ["river"]}, geometry=[shapely.Point(x0, y0)],
                          crs="EPSG:4549")
    st.to_file(tmp_path / "st.gpkg")
    pd.DataFrame({"station_id": ["S1"], "sampled_on": ["2025-05-01"], "do": [6.0],
                  "codmn": [3.0], "nh3n": [0.2], "tp": [0.25]}).to_csv(tmp_path / "s.csv",
                                                                       index=False)
    out = tmp_path / "wq"
    res = runner.invoke(app, ["analyze", "water-quality", "-r", reg_path, "--stations",
                              str(tmp_path / "st.gpkg"), "--samples", str(tmp_path / "s.csv"),
                              "--period", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    stations = pd.read_csv(out / "stations.csv", encoding="utf-8-sig")
    assert stations.loc[0, "class"] == "IV" and stations.loc[0, "worst_parameter"] == "tp"
    assert not stations.loc[0, "compliant"]


def _random_pits(seed: int, shape=(40, 50)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dem = np.full(shape, 5.0) + rng.normal(0, 0.01, shape)
    pits = rng.random(shape) < 0.3  # many pits touching at corners only
    pits[[0, -1], :] = pits[:, [0, -1]] = False
    dem[pits] -= rng.uniform(0.2, 1.0, pits.sum())
    return dem


@pytest.mark.parametrize("seed", range(3))
def test_polygons_are_valid_and_cover_exactly_the_depression_cells(seed):
    dem = _random_pits(seed)
    t = Affine(2, 0, 1000, 0, -2, 3000)
    res = find_depressions(dem, t)
    polys = res.polygons()
    assert len(polys) == len(res.table) > 5
    assert polys.is_valid.all()
    assert (polys.geom_type == "MultiPolygon").any()  # diagonal-only contacts exist
    for _, row in polys.iterrows():  # oracle: the union of the depression's cell squares
        rows, cols = np.nonzero(res.labels == row["depression_id"])
        cells = shapely.union_all(shapely.box(1000 + 2 * cols, 3000 - 2 * rows - 2,
                                              1000 + 2 * cols + 2, 3000 - 2 * rows))
        assert shapely.equals(row.geometry, cells)
        assert row.geometry.area == pytest.approx(row["area_m2"])


@pytest.mark.parametrize("transform", [Affine(1, 0, 1000, 0, -1, 2000),
                                       Affine(0.7, 0, 1000.15, 0, -0.7, 2000.3)])
def test_compound_depth_by_windows_equals_whole_grid(transform):
    """The per-depression windows of the depth grid (integer grids) give what exactextract
    gives on the whole grid; other grids use the whole grid."""
    import pyproj

    from yangpu_gis.analysis.waterlogging import _exact_grid, _max_depth
    from yangpu_gis.rasters.zonal import zonal_stats

    res = find_depressions(_random_pits(5, (60, 70)), transform)
    polys = res.polygons()
    x0, y0 = transform.c, transform.f
    step = abs(transform.a)
    boxes = [shapely.box(x0 + step * (3 + 7 * i), y0 - step * (4 + 9 * j),
                         x0 + step * (8.3 + 7 * i), y0 - step * (11.6 + 9 * j))
             for i in range(9) for j in range(6)]
    comp = gpd.GeoDataFrame({"compound_id": [f"C{k}" for k in range(len(boxes))]},
                            geometry=boxes, crs="EPSG:4549")
    parts = gpd.overlay(comp, polys[["depression_id", "geometry"]].set_crs("EPSG:4549"),
                        how="intersection", keep_geom_type=True)
    crs = pyproj.CRS.from_epsg(4549)
    whole = np.where(res.depth > 0, res.depth, np.float32(np.nan))
    want = zonal_stats(RasterData(whole, transform, crs), parts, stats=("max",))["max"]
    got = _max_depth(res, parts, crs)
    assert len(parts) > 20 and _exact_grid(transform) == (transform.a == 1)
    np.testing.assert_array_equal(got, want.to_numpy())

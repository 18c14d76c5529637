"""Rasters in the registry: validation, both backends, batches, read_raster, zonal stats."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

from yangpu_gis import open_registry
from yangpu_gis.errors import CRSError, RegistryError, ValidationError
from yangpu_gis.rasters import (
    prepare_raster,
    zonal_stats,
)
from yangpu_gis.rasters.wkb import decode_tile, encode_tile
from yangpu_gis.registry import base as base_mod

#: A point in 五角场 in EPSG:4549 (x, y), on a 10 m grid.
X0, Y0 = 644_000.0, 3_466_000.0


def _dem(shape=(60, 80), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return (3.0 + 0.01 * xx + 0.5 * np.sin(yy / 7) + rng.normal(0, 0.05, shape)).astype("float32")


def _write(path: Path, values, *, crs="EPSG:4549", transform=None, nodata=-9999.0) -> Path:
    transform = transform or Affine(10, 0, X0, 0, -10, Y0)
    h, w = values.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype=values.dtype,
                       crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def _state(reg) -> tuple:
    """Everything a refused load must leave unchanged."""
    batches = reg.batches()
    files = ()
    if reg.kind == "geopackage":
        p = Path(reg.path)
        files = (hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None,
                 sorted(x.name for x in reg.sidecar_dir.glob("*"))
                 if reg.sidecar_dir.exists() else [])
    meta = reg.raster_meta("dem")
    return len(batches), files, meta and meta["values_sha256"]


# ----------------------------------------------------------------- validation
def test_prepare_keeps_grid_exactly(tmp_path):
    v = _dem()
    p = prepare_raster(_write(tmp_path / "d.tif", v), "dem")
    assert p.transform == Affine(10, 0, X0, 0, -10, Y0)
    np.testing.assert_array_equal(p.values, v)
    assert not p.notes


def test_nodata_sentinel_without_declared_nodata(tmp_path):
    v = _dem()
    v[:5, :5] = -9999
    p = prepare_raster(_write(tmp_path / "d.tif", v, nodata=None), "dem")
    assert np.isnan(p.values[:5, :5]).all() and np.isfinite(p.values[5:, 5:]).all()
    assert "no nodata" in p.notes[0]


def test_declared_nodata_masked(tmp_path):
    v = _dem()
    v[0, 0] = -1234
    p = prepare_raster(_write(tmp_path / "d.tif", v, nodata=-1234), "dem")
    assert np.isnan(p.values[0, 0]) and p.valid_cells == v.size - 1


def test_feet_refused_with_hint_and_units_option(tmp_path):
    v = _dem() / 0.3048  # Yangpu's 3–4 m as 10–13 ft: inside −5…60, but a median of 11
    path = _write(tmp_path / "feet.tif", v.astype("float32"))
    with pytest.raises(ValidationError) as e:
        prepare_raster(path, "dem")
    assert "--units ft" in e.value.render()
    p = prepare_raster(path, "dem", units="ft")
    assert p.values.max() == pytest.approx(v.max() * 0.3048, rel=1e-5)


def test_centimetres_refused(tmp_path):
    with pytest.raises(ValidationError) as e:
        prepare_raster(_write(tmp_path / "cm.tif", _dem() * 100), "dem")
    assert "cm" in e.value.hint


def test_missing_crs_refused_then_accepted_with_crs(tmp_path):
    path = _write(tmp_path / "nocrs.tif", _dem(), crs=None)
    with pytest.raises(CRSError, match="no CRS"):
        prepare_raster(path, "dem")
    assert prepare_raster(path, "dem", crs="EPSG:4549").valid_cells == _dem().size


def test_wrong_crs_refused_with_hint(tmp_path):
    # metres of EPSG:4549 declared as EPSG:32651 (UTM 51N): lands far from Yangpu
    path = _write(tmp_path / "wrong.tif", _dem(), crs="EPSG:32651")
    with pytest.raises(CRSError) as e:
        prepare_raster(path, "dem")
    assert "does not overlap" in e.value.message
    assert "EPSG:4549" in e.value.hint


def test_lonlat_raster_warped_bilinear(tmp_path):
    lon0, lat0 = 121.50, 31.31
    t = Affine(0.0001, 0, lon0, 0, -0.0001, lat0)
    v = np.fromfunction(lambda r, c: 2 + 0.01 * c, (100, 120)).astype("float32")
    p = prepare_raster(_write(tmp_path / "ll.tif", v, crs="EPSG:4326", transform=t), "dem",
                       resolution_m=5)
    assert p.resolution_m == 5 and p.transform.c % 5 == 0
    assert "warped" in p.notes[0]
    ok = np.isfinite(p.values)
    assert 2 <= np.nanmin(p.values[ok]) and np.nanmax(p.values) <= 3.2


def test_unreadable(tmp_path):
    bad = tmp_path / "x.tif"
    bad.write_text("not a raster")
    from yangpu_gis.errors import SourceError

    with pytest.raises(SourceError):
        prepare_raster(bad, "dem")


# ----------------------------------------------------------------- both backends
def test_load_read_and_batches(registry, tmp_path):
    v = _dem()
    v[10, 10] = np.nan
    path = _write(tmp_path / "dem.tif", v, nodata=np.nan)
    res = registry.load_raster(path, "dem")
    assert res.batch_id is not None and res.rows_inserted == v.size - 1
    b = registry.batches()
    assert b.iloc[-1]["layer"] == "dem" and b.iloc[-1]["source_sha256"]
    r = registry.read_raster("dem")
    np.testing.assert_array_equal(r.values, v)
    assert r.transform == Affine(10, 0, X0, 0, -10, Y0)
    assert r.crs.to_epsg() == 4549
    # bbox in the working CRS, grown to whole cells
    part = registry.read_raster("dem", bbox=(X0 + 15, Y0 - 95, X0 + 101, Y0 - 20))
    assert part.values.shape == (8, 10)
    assert part.transform == Affine(10, 0, X0 + 10, 0, -10, Y0 - 20)
    np.testing.assert_array_equal(part.values, v[2:10, 1:11])
    # bbox in lon/lat
    lon, lat = pyproj.Transformer.from_crs(4549, 4326, always_xy=True).transform(
        [X0 + 100, X0 + 300], [Y0 - 300, Y0 - 100])
    ll = registry.read_raster("dem", bbox=(lon[0], lat[0], lon[1], lat[1]), bbox_crs="EPSG:4326")
    assert ll.values.shape[0] >= 20 and np.isnan(ll.values).sum() <= 1
    da = r.to_xarray()
    assert da.rio.crs.to_epsg() == 4549 and float(da.isel(x=3, y=2)) == pytest.approx(v[2, 3])
    # reload replaces: second batch, counts of deleted cells
    res2 = registry.load_raster(path, "dem")
    assert res2.rows_deleted == v.size - 1 and res2.batch_id == res.batch_id + 1
    table = registry.raster_layers()
    assert bool(table.set_index("layer").loc["dem", "loaded"])
    if registry.kind == "geopackage":  # inside the .gpkg (issue 14): no sidecar folder
        assert not registry.sidecar_dir.exists()
        assert registry.raster_meta("dem")["batch_id"] == res2.batch_id


@pytest.mark.parametrize("case", ["feet", "wrong_crs", "failure"])
def test_refused_raster_leaves_registry_unchanged(registry, tmp_path, monkeypatch, case):
    registry.load_raster(_write(tmp_path / "ok.tif", _dem()), "dem")
    registry.load(gpd.GeoDataFrame({"subdistrict_id": ["310110019"], "name": ["五角场街道"]},
                                   geometry=[shapely.box(X0, Y0 - 500, X0 + 500, Y0)],
                                   crs="EPSG:4549"), "subdistricts")
    before = _state(registry)
    if case == "feet":
        with pytest.raises(ValidationError):
            registry.load_raster(_write(tmp_path / "f.tif", _dem() / 0.3048), "dem")
    elif case == "wrong_crs":
        with pytest.raises(CRSError):
            registry.load_raster(_write(tmp_path / "w.tif", _dem(), crs="EPSG:3857"), "dem")
    else:
        def boom(reg, prepared):
            raise RuntimeError("disk full") if reg.kind == "geopackage" else \
                __import__("psycopg").errors.DiskFull("disk full")
        monkeypatch.setattr(base_mod, "before_raster_commit", boom)
        with pytest.raises((RuntimeError, RegistryError)):
            registry.load_raster(_write(tmp_path / "n.tif", _dem(seed=3)), "dem")
    assert _state(registry) == before
    assert len(registry.read("subdistricts")) == 1


def test_raster_first_in_new_geopackage_then_vector(tmp_path):
    reg = open_registry(tmp_path / "new.gpkg")
    reg.load_raster(_write(tmp_path / "d.tif", _dem()), "dem")
    reg.load(gpd.GeoDataFrame({"subdistrict_id": ["1"], "name": ["x"]},
                              geometry=[shapely.box(X0, Y0 - 500, X0 + 500, Y0)],
                              crs="EPSG:4549"), "subdistricts")
    assert list(reg.batches()["layer"]) == ["dem", "subdistricts"]
    assert reg.info()["layers"]["subdistricts"] == 1


def test_checksum_detects_tampering(tmp_path):
    reg = open_registry(tmp_path / "r.gpkg")
    reg.load_raster(_write(tmp_path / "d.tif", _dem()), "dem")
    import sqlite3  # the tiles live inside the .gpkg (issue 14): change one tile's bytes

    with sqlite3.connect(reg.path) as con:
        tid, blob = con.execute("SELECT id, tile_data FROM dem ORDER BY id").fetchone()
        con.execute("UPDATE dem SET tile_data = ? WHERE id = ?", (blob + b"\0", tid))
    with pytest.raises(RegistryError, match="checksum"):
        reg.read_raster("dem")


def test_never_loaded(registry):
    with pytest.raises(RegistryError, match="no raster dem"):
        registry.read_raster("dem")


def test_wkb_roundtrip():
    v = _dem((7, 9))
    v[1, 2] = np.nan
    t = Affine(5, 0, X0, 0, -5, Y0)
    back, t2 = decode_tile(encode_tile(v, t, 4549, -9999.0))
    np.testing.assert_array_equal(back, v)
    assert t2 == t


# ----------------------------------------------------------------- zonal statistics
def test_zonal_stats_exact_fractions():
    from yangpu_gis.rasters import RasterData

    v = np.arange(16, dtype="float32").reshape(4, 4)
    v[3, 3] = np.nan
    r = RasterData(v, Affine(10, 0, 0, 0, -10, 40), pyproj.CRS.from_epsg(4549))
    polys = gpd.GeoDataFrame(
        {"zid": ["a", "b", "c", "out"]},
        geometry=[shapely.box(0, 20, 20, 40),          # cells 0,1,4,5
                  shapely.box(5, 30, 15, 40),          # half of cell 0, half of cell 1
                  shapely.box(20, 0, 40, 20),          # 10, 11, 14, nan
                  shapely.box(100, 100, 110, 110)],
        crs="EPSG:4549", index=[7, 8, 9, 10])
    z = zonal_stats(r, polys, id_column="zid", stats=("mean", "min", "max", "count", "sum"))
    assert list(z.index) == [7, 8, 9, 10] and list(z["zid"]) == ["a", "b", "c", "out"]
    assert z.loc[7, "mean"] == pytest.approx(2.5) and z.loc[7, "count"] == pytest.approx(4)
    assert z.loc[8, "mean"] == pytest.approx(0.5) and z.loc[8, "count"] == pytest.approx(1)
    assert z.loc[9, "max"] == 14 and z.loc[9, "count"] == pytest.approx(3)
    assert z.loc[10, "count"] == 0


# ----------------------------------------------------------------- CLI and demo DEM
def test_cli_load_raster_and_refusal(tmp_path):
    from typer.testing import CliRunner

    from yangpu_gis.cli import app

    reg = str(tmp_path / "r.gpkg")
    ok = _write(tmp_path / "d.tif", _dem())
    res = CliRunner().invoke(app, ["load-raster", str(ok), "--layer", "dem", "-r", reg, "--json"])
    assert res.exit_code == 0, res.output
    bad = _write(tmp_path / "f.tif", _dem() / 0.3048)
    res = CliRunner().invoke(app, ["load-raster", str(bad), "-l", "dem", "-r", reg])
    assert res.exit_code == 2 and "--units ft" in res.output
    assert len(open_registry(reg).batches()) == 1


def test_demo_dem_is_plausible_and_small(tmp_path):
    from yangpu_gis.datasets import demo as demo_data
    from yangpu_gis.datasets.demo import write_demo_dem

    layers = demo_data.generate()
    path = write_demo_dem(tmp_path / "dem.tif", layers=layers)
    assert path.stat().st_size < 3_000_000
    p = prepare_raster(path, "dem")  # passes the registry's own validation
    assert p.resolution_m == 10 and 2 <= np.nanmin(p.values) and np.nanmax(p.values) <= 7.5
    assert 3.3 < np.nanmedian(p.values) < 4.7
    # deterministic
    again = write_demo_dem(tmp_path / "dem2.tif", layers=layers)
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()

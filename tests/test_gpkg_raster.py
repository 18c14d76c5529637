"""The GeoPackage registry is one file (issue 14): rasters inside the ``.gpkg``, old sidecar
registries upgraded, PostGIS rasters registered with raster constraints."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from yangpu_gis import open_registry
from yangpu_gis.errors import RegistryError
from yangpu_gis.io.sources import sha256_file
from yangpu_gis.rasters import (
    NODATA,
    prepare_raster,
)
from yangpu_gis.rasters import data as data_mod
from yangpu_gis.rasters.records import raster_record
from yangpu_gis.registry import base as base_mod
from yangpu_gis.registry.batches import raster_batch
from yangpu_gis.registry.geopackage import rasters as gpkg_rasters_mod
from yangpu_gis.registry.geopackage import upgrade as upgrade_mod
from yangpu_gis.registry.postgis.rasters import PG_TILE

from .cli_run import crashed

REPO = Path(__file__).resolve().parents[1]
#: A point in 五角场 in EPSG:4549 (x, y), on a 10 m grid.
X0, Y0 = 644_000.0, 3_466_000.0
T0 = Affine(10, 0, X0, 0, -10, Y0)


def _dem(shape=(300, 530), seed=1) -> np.ndarray:
    """Elevations with NaN holes, over more than one 256² tile each way."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    v = (3.0 + 0.003 * xx + 0.4 * np.sin(yy / 9) + rng.normal(0, 0.05, shape)).astype("float32")
    v[:4, :7] = np.nan
    v[100:140, 260:300] = np.nan
    return v


def _write(path: Path, values, *, transform=T0) -> Path:
    h, w = values.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1,
                       dtype="float32", crs="EPSG:4549", transform=transform,
                       nodata=-9999.0) as dst:
        dst.write(np.where(np.isfinite(values), values, -9999.0).astype("float32"), 1)
    return path


def _subdistrict() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"subdistrict_id": ["310110019"], "name": ["五角场街道"]},
                            geometry=[shapely.box(X0, Y0 - 500, X0 + 500, Y0)],
                            crs="EPSG:4549")


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


# ----------------------------------------------------------------- one file
def test_gpkg_copied_alone_carries_the_dem(tmp_path):
    v = _dem()
    src = tmp_path / "a"
    src.mkdir()
    reg = open_registry(src / "yangpu.gpkg")
    reg.load(_subdistrict(), "subdistricts")
    reg.load_raster(_write(tmp_path / "dem.tif", v), "dem")
    assert _folder(src) == ["yangpu.gpkg"]  # no sidecar folder (and no lock file left)
    elsewhere = tmp_path / "b"
    elsewhere.mkdir()
    shutil.copyfile(src / "yangpu.gpkg", elsewhere / "copy.gpkg")
    shutil.rmtree(src)  # the original and everything beside it are gone

    copy = open_registry(elsewhere / "copy.gpkg")
    r = copy.read_raster("dem")
    np.testing.assert_array_equal(r.values, v)  # bit for bit, NaN where nodata
    assert r.transform == T0 and r.crs.to_epsg() == 4549
    part = copy.read_raster("dem", bbox=(X0 + 2555, Y0 - 1395, X0 + 2801, Y0 - 1005))
    np.testing.assert_array_equal(part.values, v[100:140, 255:281])
    assert len(copy.read("subdistricts")) == 1
    info = copy.info()["rasters"]["dem"]
    assert (info["width"], info["height"], info["storage"]) == (530, 300, "gpkg")

    # GDAL itself, by the name QGIS and gdalinfo use, from the copy's folder
    with contextlib.chdir(elsewhere), rasterio.open("GPKG:copy.gpkg:dem") as ds:
        assert ds.driver == "GPKG" and ds.crs.to_epsg() == 4549 and ds.transform == T0
        assert ds.nodata == NODATA and ds.dtypes == ("float32",)
        raw = ds.read(1)
    np.testing.assert_array_equal(np.where(raw == ds.nodata, np.nan, raw), v)
    with sqlite3.connect(elsewhere / "copy.gpkg") as con:
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'dem'")
        assert kind.fetchone() == ("2d-gridded-coverage",)
        ext = {r[0] for r in con.execute("SELECT extension_name FROM gpkg_extensions")}
        assert "gpkg_2d_gridded_coverage" in ext
    if shutil.which("gdalinfo"):
        out = subprocess.run(["gdalinfo", "GPKG:copy.gpkg:dem"], cwd=elsewhere,
                             capture_output=True, text=True, check=True).stdout
        assert "Size is 530, 300" in out and "NoData Value=-9999" in out


def test_reload_replaces_the_tile_table(tmp_path):
    reg = open_registry(tmp_path / "r.gpkg")
    reg.load_raster(_write(tmp_path / "a.tif", _dem()), "dem")
    small = _dem((40, 50), seed=7)
    t = Affine(10, 0, X0 + 1000, 0, -10, Y0 - 1000)
    res = reg.load_raster(_write(tmp_path / "b.tif", small, transform=t), "dem")
    r = reg.read_raster("dem")
    np.testing.assert_array_equal(r.values, small)
    assert r.transform == t and res.batch_id == 2
    with sqlite3.connect(reg.path) as con:  # one raster table, its metadata replaced
        assert con.execute("SELECT count(*) FROM gpkg_tile_matrix_set").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM gpkg_2d_gridded_coverage_ancillary"
                           ).fetchone() == (1,)
        n_tiles = con.execute("SELECT count(*) FROM dem").fetchone()[0]
        ancillary = con.execute("SELECT count(*) FROM gpkg_2d_gridded_tile_ancillary"
                                ).fetchone()[0]
    assert n_tiles == ancillary == 1


def _fail_after_write(monkeypatch):
    real = gpkg_rasters_mod.write_gpkg_raster

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise OSError("No space left on device")
    monkeypatch.setattr(gpkg_rasters_mod, "write_gpkg_raster", write_then_fail)


def _fail_read_back(monkeypatch):
    real = gpkg_rasters_mod.read_gpkg_window

    def altered(*args, **kwargs):
        out = real(*args, **kwargs)
        out[5, 5] += np.float32(0.001)  # what a lossy encoding would do
        return out
    monkeypatch.setattr(gpkg_rasters_mod, "read_gpkg_window", altered)


def _fail_before_commit(monkeypatch):
    def boom(reg, prepared):
        raise RuntimeError("killed")
    monkeypatch.setattr(base_mod, "before_raster_commit", boom)


FAILURES = {"disk_full_in_gdal_write": (_fail_after_write, RegistryError),  # said in one line
            "read_back_differs": (_fail_read_back, RegistryError),
            "before_commit": (_fail_before_commit, RuntimeError)}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failed_raster_load_leaves_gpkg_byte_identical(tmp_path, monkeypatch, case):
    reg = open_registry(tmp_path / "r.gpkg")
    reg.load(_subdistrict(), "subdistricts")
    reg.load_raster(_write(tmp_path / "ok.tif", _dem()), "dem")
    new = _write(tmp_path / "new.tif", _dem(seed=9))
    before, files = _digest(tmp_path / "r.gpkg"), _folder(tmp_path)
    inject, error = FAILURES[case]
    inject(monkeypatch)
    with pytest.raises(error):
        reg.load_raster(new, "dem")
    assert _digest(tmp_path / "r.gpkg") == before
    assert _folder(tmp_path) == files  # no working copy left behind
    monkeypatch.undo()
    np.testing.assert_array_equal(reg.read_raster("dem").values, _dem())


def test_demo_creates_no_sidecar_folder(tmp_path):
    res = _cli("demo", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert not [p for p in tmp_path.rglob("*.rasters")]
    reg = open_registry(tmp_path / "yangpu.gpkg")
    expected = prepare_raster(REPO / "data" / "demo" / "dem.tif", "dem")
    got = reg.read_raster("dem")
    np.testing.assert_array_equal(got.values, expected.values)
    assert got.transform == expected.transform
    info = json.loads(_cli("info", "-r", str(tmp_path / "yangpu.gpkg"), "--json").stdout)
    assert info["rasters"]["dem"]["storage"] == "gpkg"
    with rasterio.open(f"GPKG:{tmp_path / 'yangpu.gpkg'}:dem") as ds:
        assert ds.shape == expected.values.shape and ds.crs.to_epsg() == 4549


# ----------------------------------------------------------------- upgrading old registries
def _legacy_registry(folder: Path, values: np.ndarray) -> Path:
    """A registry as versions before issue 14 wrote it: vectors in the ``.gpkg``, the DEM as
    a COG in ``<name>.gpkg.rasters/dem_b<batch>.tif``, its checksum in ``yangpu_rasters``."""
    from yangpu_gis.registry.geopackage.batches import finish_batch, insert_batch

    path = folder / "old.gpkg"
    reg = open_registry(path)
    reg.load(_subdistrict(), "subdistricts")
    prepared = prepare_raster(_write(folder / "src.tif", values), "dem")
    batch_id = insert_batch(path, raster_batch(prepared))
    sidecar = folder / "old.gpkg.rasters"
    sidecar.mkdir()
    cog = sidecar / f"dem_b{batch_id}.tif"
    data_mod._write_geotiff(cog, prepared.values, prepared.transform, prepared.crs, cog=True)
    meta = raster_record(prepared, "cog", f"{sidecar.name}/{cog.name}", sha256_file(cog),
                         batch_id)
    gpkg_rasters_mod.write_meta(path, meta)
    finish_batch(path, batch_id, {"inserted": prepared.valid_cells, "updated": 0,
                                  "deleted": 0})
    return path


def test_legacy_helper_matches_the_old_layout(tmp_path):
    path = _legacy_registry(tmp_path, _dem())
    with rasterio.open(tmp_path / "old.gpkg.rasters" / "dem_b2.tif") as cog:
        assert cog.driver == "GTiff" and cog.profile["blockxsize"] == data_mod.COG_BLOCK
        assert cog.compression.name == "deflate"
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT storage, location FROM yangpu_rasters").fetchone() == (
            "cog", "old.gpkg.rasters/dem_b2.tif")


def test_upgrade_command_moves_the_sidecar_into_the_gpkg(tmp_path):
    v = _dem()
    path = _legacy_registry(tmp_path, v)
    batches_before = open_registry(path).batches()
    res = _cli("upgrade", "-r", str(path), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["rasters"] == ["dem"] and report["removed"] == ["dem_b2.tif"]
    assert _folder(tmp_path) == ["old.gpkg", "src.tif"]
    reg = open_registry(path)
    r = reg.read_raster("dem")
    np.testing.assert_array_equal(r.values, v)
    assert r.transform == T0
    meta = reg.raster_meta("dem")
    assert (meta["storage"], meta["location"], meta["batch_id"]) == ("gpkg", "dem", 2)
    after = reg.batches()  # an upgrade is not a load: the history is unchanged
    assert after.drop(columns="loaded_at").equals(batches_before.drop(columns="loaded_at"))
    assert len(reg.read("subdistricts")) == 1
    with rasterio.open(f"GPKG:{path}:dem") as ds:
        assert ds.nodata == -9999.0 and ds.shape == v.shape
    again = _cli("upgrade", "-r", str(path))
    assert again.returncode == 0 and "up to date" in again.stdout


def test_first_read_upgrades_automatically(tmp_path):
    v = _dem()
    path = _legacy_registry(tmp_path, v)
    r = open_registry(path).read_raster("dem")
    np.testing.assert_array_equal(r.values, v)
    assert not (tmp_path / "old.gpkg.rasters").exists()
    assert open_registry(path).raster_meta("dem")["storage"] == "gpkg"


def test_first_raster_load_upgrades_and_replaces(tmp_path):
    path = _legacy_registry(tmp_path, _dem())
    new = _dem(seed=5)
    res = open_registry(path).load_raster(_write(tmp_path / "new.tif", new), "dem")
    assert res.rows_deleted == int(np.isfinite(_dem()).sum())
    assert not (tmp_path / "old.gpkg.rasters").exists()
    np.testing.assert_array_equal(open_registry(path).read_raster("dem").values, new)


def _tamper(folder: Path) -> None:
    with open(folder / "old.gpkg.rasters" / "dem_b2.tif", "ab") as fh:
        fh.write(b"\0")


def _lose(folder: Path) -> None:
    shutil.rmtree(folder / "old.gpkg.rasters")


@pytest.mark.parametrize("damage, message", [(_tamper, "checksum"), (_lose, "missing")])
def test_upgrade_refuses_a_damaged_sidecar_and_changes_nothing(tmp_path, damage, message):
    path = _legacy_registry(tmp_path, _dem())
    damage(tmp_path)
    before, files = _digest(path), _folder(tmp_path)
    res = _cli("upgrade", "-r", str(path))
    assert res.returncode == 1 and message in res.stderr and not crashed(res.stderr)
    assert _digest(path) == before and _folder(tmp_path) == files
    sidecar = (tmp_path / "old.gpkg.rasters").exists()  # then the read tries to upgrade
    with (pytest.warns(UserWarning, match="yangpu-gis upgrade") if sidecar
          else contextlib.nullcontext()), pytest.raises(RegistryError, match=message):
        open_registry(path).read_raster("dem")
    assert _digest(path) == before


def test_failed_upgrade_keeps_the_sidecar(tmp_path, monkeypatch):
    v = _dem()
    path = _legacy_registry(tmp_path, v)
    before, files = _digest(path), _folder(tmp_path)

    def killed(reg):
        raise RuntimeError("killed")
    monkeypatch.setattr(upgrade_mod, "before_upgrade_commit", killed)
    with pytest.raises(RuntimeError):
        open_registry(path).upgrade()
    assert _digest(path) == before and _folder(tmp_path) == files
    assert _folder(tmp_path / "old.gpkg.rasters") == ["dem_b2.tif"]
    monkeypatch.undo()
    assert open_registry(path).upgrade()["rasters"] == ["dem"]
    np.testing.assert_array_equal(open_registry(path).read_raster("dem").values, v)


def test_upgrade_leaves_files_that_are_not_ours(tmp_path):
    path = _legacy_registry(tmp_path, _dem())
    (tmp_path / "old.gpkg.rasters" / "notes.txt").write_text("mine")
    report = open_registry(path).upgrade()
    assert report["removed"] == ["dem_b2.tif"]
    assert _folder(tmp_path / "old.gpkg.rasters") == ["notes.txt"]
    assert "left in place" in report["notes"][-1]


# ----------------------------------------------------------------- PostGIS raster constraints
def _raster_columns(reg) -> dict:
    row = reg.conn.execute(
        "SELECT srid, scale_x, scale_y, blocksize_x, blocksize_y, same_alignment, num_bands, "
        "pixel_types, nodata_values, out_db, extent IS NOT NULL, ST_AsText(extent) "
        "FROM raster_columns WHERE r_table_schema = current_schema() "
        "AND r_table_name = 'raster_dem' AND r_raster_column = 'rast'").fetchone()
    names = ("srid", "scale_x", "scale_y", "blocksize_x", "blocksize_y", "same_alignment",
             "num_bands", "pixel_types", "nodata_values", "out_db", "has_extent", "extent")
    return dict(zip(names, row, strict=True))


@pytest.mark.postgis
def test_postgis_raster_columns_lists_the_dem(pg_url, tmp_path):
    reg = open_registry(pg_url)
    v = _dem()
    reg.load_raster(_write(tmp_path / "d.tif", v), "dem")
    rc = _raster_columns(reg)
    assert rc["srid"] == 4549
    assert (rc["scale_x"], rc["scale_y"]) == (10.0, -10.0)
    assert (rc["blocksize_x"], rc["blocksize_y"]) == (PG_TILE, PG_TILE)
    assert rc["same_alignment"] is True and rc["num_bands"] == 1
    assert rc["pixel_types"] == ["32BF"] and rc["nodata_values"] == [-9999.0]
    assert rc["out_db"] == [False] and rc["has_extent"]
    ext = shapely.from_wkt(rc["extent"])  # covers the tiles, padded to whole 256² blocks
    assert ext.covers(shapely.box(X0, Y0 - 300 * 10, X0 + 530 * 10, Y0))
    np.testing.assert_array_equal(reg.read_raster("dem").values, v)

    # a reload on another grid: constraints dropped and added again in the same transaction
    t = Affine(5, 0, X0 + 1000, 0, -5, Y0 - 1000)
    small = _dem((40, 50), seed=3)
    reg.load_raster(_write(tmp_path / "s.tif", small, transform=t), "dem")
    rc = _raster_columns(reg)
    assert rc["srid"] == 4549 and (rc["scale_x"], rc["scale_y"]) == (5.0, -5.0)
    assert shapely.from_wkt(rc["extent"]).covers(shapely.box(X0 + 1000, Y0 - 1200,
                                                             X0 + 1250, Y0 - 1000))
    r = reg.read_raster("dem")
    np.testing.assert_array_equal(r.values, small)
    assert r.transform == t


@pytest.mark.postgis
def test_postgis_upgrade_adds_missing_constraints(pg_url, tmp_path):
    reg = open_registry(pg_url)
    reg.load_raster(_write(tmp_path / "d.tif", _dem()), "dem")
    with reg.conn.transaction():  # a table as older versions left it
        reg.conn.execute("SELECT DropRasterConstraints(current_schema(), 'raster_dem'::name, "
                         "'rast'::name)")
    assert not _raster_columns(reg)["srid"]
    res = _cli("upgrade", "-r", pg_url, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rasters"] == ["dem"]
    assert _raster_columns(reg)["srid"] == 4549
    assert json.loads(_cli("upgrade", "-r", pg_url, "--json").stdout)["rasters"] == []

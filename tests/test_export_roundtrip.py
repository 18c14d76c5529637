"""Exports load back into the same layer: every layer × format × CRS, on both backends.

The source registry holds a sample of every demo layer (the first rows plus, for every
column, a row where it is blank and one where it is not), so each round trip carries every
column and every kind of missing value. Oracle: the registry's own frame: columns equal
(dtypes included), geometries within 1 cm (Hausdorff). A representative subset runs through
the real CLI in fresh subprocesses, and so do the refused exports (onto the registry, bad
paths, a full disk), which must leave the registry byte-identical and no file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import shapely

from yangpu_gis import open_registry
from yangpu_gis.catalogue import BATCH_COLUMN, CATALOGUE
from yangpu_gis.rasters import RASTER_CATALOGUE

from .cli_run import crashed
from .conftest import ADMIN_URL, REPO, _with_db

VECTOR_FORMATS = (".gpkg", ".geojson", ".shp", ".csv")
CRSES = (None, "EPSG:4326")  # None: the working CRS EPSG:4549
SAMPLE_HEAD = 40
TOLERANCE_M = 0.01


def _cli(*args: str, cwd: Path | None = None, check: bool = False):
    env = {**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"}
    res = subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], capture_output=True,
                         text=True, cwd=cwd or REPO, env=env, timeout=600)
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory) -> Path:
    """The demo registry (GeoPackage), built once for this module."""
    from yangpu_gis.demo import run_demo

    path = tmp_path_factory.mktemp("demo") / "yangpu.gpkg"
    run_demo(path, map_path=None, analyses_dir=None)
    return path


def _sample(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """First rows, plus for every column one blank and one filled row."""
    spec = CATALOGUE[layer]
    rows = set(range(min(SAMPLE_HEAD, len(frame))))
    for name in spec.column_names:
        blank = np.flatnonzero(frame[name].isna().to_numpy())
        filled = np.flatnonzero(frame[name].notna().to_numpy())
        rows.update(int(a[0]) for a in (blank, filled) if len(a))
    return frame.iloc[sorted(rows)].reset_index(drop=True)


@pytest.fixture(scope="module")
def samples(demo_gpkg, tmp_path_factory) -> dict[str, Path]:
    """One GeoPackage per layer with its sample (what both source registries load)."""
    folder = tmp_path_factory.mktemp("samples")
    out = {}
    with open_registry(demo_gpkg) as reg:
        for layer, spec in CATALOGUE.items():
            frame = reg.read(layer)
            assert len(frame), f"the demo has no {layer}"
            sample = _sample(frame, layer).drop(columns=[BATCH_COLUMN])
            path = folder / f"{layer}.gpkg"
            if spec.has_geometry:
                sample.to_file(path, layer=layer, driver="GPKG")
            else:
                path = folder / f"{layer}.csv"
                sample.to_csv(path, index=False, encoding="utf-8")
            out[layer] = path
    return out


@pytest.fixture(scope="module", params=["geopackage",
                                        pytest.param("postgis", marks=pytest.mark.postgis)])
def source(request, samples, demo_gpkg, tmp_path_factory):
    """A registry of each backend holding every layer's sample and the demo DEM."""
    if request.param == "geopackage":
        target = str(tmp_path_factory.mktemp("src") / "source.gpkg")
        schema = None
    else:
        import psycopg

        base = request.getfixturevalue("pg_database")
        schema = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        target = _with_db(ADMIN_URL, urlsplit(base).path.lstrip("/"), schema)
    dem = tmp_path_factory.mktemp("dem") / "dem.tif"
    with open_registry(demo_gpkg) as demo:
        demo.read_raster("dem").write(dem)
    with open_registry(target) as reg:
        for layer, path in samples.items():
            reg.load(path, layer)
        reg.load_raster(dem, "dem")
    yield target
    if schema:
        import psycopg

        with psycopg.connect(request.getfixturevalue("pg_database"), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def fresh_target(source, tmp_path, request):
    """An empty registry of the source's backend, for loading an export back."""
    if source.startswith("postgresql"):
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "back.gpkg")


def _families(frame) -> set[str]:
    kinds = {"Point": "point", "MultiPoint": "point", "LineString": "line",
             "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}
    return {kinds[t] for t in frame.geometry.geom_type.dropna()}


def _assert_same_layer(ref: pd.DataFrame, back: pd.DataFrame, layer: str) -> None:
    spec = CATALOGUE[layer]
    cols = spec.column_names
    a = ref.sort_values(spec.id_column, kind="stable").reset_index(drop=True)
    b = back.sort_values(spec.id_column, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]), pd.DataFrame(b[cols]), check_dtype=True)
    if spec.has_geometry:
        assert str(b.crs) == str(a.crs)
        ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
        assert np.array_equal(shapely.is_missing(ga), shapely.is_missing(gb))
        ok = ~shapely.is_missing(ga)
        assert (shapely.get_type_id(ga[ok]) == shapely.get_type_id(gb[ok])).all()
        worst = shapely.hausdorff_distance(ga[ok], gb[ok]).max() if ok.any() else 0.0
        assert worst < TOLERANCE_M, f"{layer}: {worst:.4f} m apart"


# --------------------------------------------------------------------------- round trips


CASES = [(layer, fmt, crs) for layer, spec in CATALOGUE.items()
         for fmt in (VECTOR_FORMATS if spec.has_geometry else (".csv",))
         for crs in (CRSES if spec.has_geometry else (None,))]


@pytest.mark.parametrize(("layer", "fmt", "crs"), CASES,
                         ids=[f"{a}{b}-{c or 'EPSG4549'}" for a, b, c in CASES])
def test_every_layer_format_and_crs_loads_back(source, fresh_target, tmp_path, layer, fmt, crs):
    with open_registry(source) as src:
        ref = src.read(layer)
        out = tmp_path / f"{layer}{fmt}"
        if fmt == ".shp" and len(_families(ref)) > 1:  # a shapefile holds one kind
            from yangpu_gis.errors import ValidationError

            with pytest.raises(ValidationError, match="one kind of geometry"):
                src.export(layer, out, crs=crs)
            assert sorted(p.name for p in tmp_path.iterdir()) == []
            return
        assert src.export(layer, out, crs=crs) == out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with open_registry(fresh_target) as dst:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing silently dropped or guessed
            result = dst.load(out, layer)
        assert result.rows_inserted == len(ref)
        back = dst.read(layer)
    _assert_same_layer(ref, back, layer)


def test_csv_export_keeps_sub_centimetre_coordinates_in_degrees(source, tmp_path):
    with open_registry(source) as src:
        src.export("roads", tmp_path / "roads.csv", crs="EPSG:4326")
        ref = src.read("roads", crs="EPSG:4326")
    table = pd.read_csv(tmp_path / "roads.csv", encoding="utf-8-sig", dtype=str)
    first = table["wkt"].iloc[0]
    decimals = max(len(n.split(".")[1]) for n in re.findall(r"\d+\.\d+", first))
    assert decimals >= 9, first  # 1e-9 degree is 0.1 mm
    got = shapely.from_wkt(table["wkt"].to_numpy(object))
    assert shapely.hausdorff_distance(got, ref.geometry.to_numpy()).max() < 1e-8
    assert "GEOGCS" in (tmp_path / "roads.prj").read_text(encoding="utf-8")


def test_dem_exports_as_geotiff_that_loads_back(source, fresh_target, tmp_path):
    import rasterio

    with open_registry(source) as src:
        ref = src.read_raster("dem")
        src.export("dem", tmp_path / "dem.tif")
    with rasterio.open(tmp_path / "dem.tif") as ds:
        assert ds.driver == "GTiff" and ds.crs.to_epsg() == 4549
        assert tuple(ds.transform) == pytest.approx(tuple(ref.transform))
        values = ds.read(1, masked=True).filled(np.nan)
    np.testing.assert_array_equal(np.isnan(values), np.isnan(ref.values))
    np.testing.assert_allclose(values, ref.values, equal_nan=True)
    with open_registry(fresh_target) as dst:
        dst.load_raster(tmp_path / "dem.tif", "dem")
        np.testing.assert_allclose(dst.read_raster("dem").values, ref.values, equal_nan=True)


# --------------------------------------------------------------------------- the real CLI


CLI_CASES = [("roads", ".shp", None), ("complaints", ".csv", "EPSG:4326"),
             ("excavation_permits", ".geojson", "EPSG:4326"), ("pipelines", ".gpkg", None),
             ("parking_facilities", ".shp", "EPSG:4326"), ("water_samples", ".csv", None)]


@pytest.mark.parametrize(("layer", "fmt", "crs"), CLI_CASES,
                         ids=[f"{a}{b}-{c or 'EPSG4549'}" for a, b, c in CLI_CASES])
def test_cli_export_then_load_round_trip(source, fresh_target, tmp_path, layer, fmt, crs):
    out = tmp_path / f"export{fmt}"
    res = _cli("export", layer, "-o", str(out), "-r", source, *(["--crs", crs] if crs else []),
               "--json", check=True)
    with open_registry(source) as src:
        ref = src.read(layer)
    assert json.loads(res.stdout)["features"] == len(ref)
    res = _cli("load", str(out), "--layer", layer, "-r", fresh_target, check=True)
    assert not crashed(res.stderr) and "Warning" not in res.stderr, res.stderr
    with open_registry(fresh_target) as dst:
        _assert_same_layer(ref, dst.read(layer), layer)


def test_cli_exports_dem_as_geotiff(source, tmp_path):
    res = _cli("export", "dem", "-o", str(tmp_path / "dem.tif"), "-r", source, "--json",
               check=True)
    with open_registry(source) as src:
        h, w = src.read_raster("dem").values.shape
    assert json.loads(res.stdout) == {"layer": "dem", "output": str(tmp_path / "dem.tif"),
                                      "width": w, "height": h}


# --------------------------------------------------------------------------- refusals


def _registry_copy(samples, folder: Path) -> Path:
    reg_path = folder / "yangpu.gpkg"
    with open_registry(reg_path) as reg:
        for layer in ("roads", "water_samples"):
            reg.load(samples[layer], layer)
    return reg_path


def _refusal_cases(folder: Path, reg_path: Path) -> list[tuple[str, list[str], str]]:
    """(case id, export arguments, expected words) built around the registry ``reg_path``."""
    (folder / "link.gpkg").symlink_to(reg_path.name)
    os.link(reg_path, folder / "hard.gpkg")
    (folder / "sub").mkdir()
    (folder / "sub" / "up.gpkg").symlink_to(Path("..") / reg_path.name)
    (folder / "a_file").write_text("x")
    rasters = reg_path.with_name(reg_path.name + ".rasters")
    rasters.mkdir(exist_ok=True)
    r = str(reg_path)
    cases = [
        ("same-path", ["roads", "-o", r, "-r", r], "registry"),
        ("relative-path", ["roads", "-o", "./yangpu.gpkg", "-r", r], "registry"),
        ("dotdot-path", ["roads", "-o", str(folder / "sub" / ".." / "yangpu.gpkg"), "-r", r],
         "registry"),
        ("symlink-output", ["roads", "-o", str(folder / "link.gpkg"), "-r", r], "registry"),
        ("symlink-registry", ["roads", "-o", r, "-r", str(folder / "link.gpkg")], "registry"),
        ("symlink-in-subfolder", ["roads", "-o", str(folder / "sub" / "up.gpkg"), "-r", r],
         "registry"),
        ("hard-link", ["roads", "-o", str(folder / "hard.gpkg"), "-r", r], "registry"),
        ("raster-folder", ["roads", "-o", str(rasters / "dem.gpkg"), "-r", r], "registry"),
        ("working-copy", ["roads", "-o", str(folder / ".yangpu.gpkg.abc.tmp.gpkg"), "-r", r],
         "registry"),
        ("folder", ["roads", "-o", str(folder), "-r", r], "folder"),
        ("folder-slash", ["roads", "-o", str(folder / "new") + "/", "-r", r], "extension"),
        ("no-extension", ["roads", "-o", str(folder / "roads"), "-r", r], "extension"),
        ("parent-is-file", ["roads", "-o", str(folder / "a_file" / "r.gpkg"), "-r", r],
         "not a folder"),
        ("raster-as-gpkg", ["dem", "-o", str(folder / "dem.gpkg"), "-r", r], ".tif"),
        ("table-as-shp", ["water_samples", "-o", str(folder / "s.shp"), "-r", r], ".csv"),
        ("unknown-layer", ["nowhere", "-o", str(folder / "x.gpkg"), "-r", r], "unknown layer"),
    ]
    for ext in (".lock", ".xyz", ".kml", ".gpkg-journal", ".tif", ".shp.zip", ".GPKGX"):
        cases.append((f"extension{ext}", ["roads", "-o", str(folder / f"roads{ext}"), "-r", r],
                      "roads"))
    for side in ("-journal", "-wal", "-shm", ".lock"):
        cases.append((f"sidecar{side}", ["roads", "-o", r + side, "-r", r], "roads"))
    return cases


def test_refused_exports_leave_registry_and_folder_untouched(samples, tmp_path):
    reg_path = _registry_copy(samples, tmp_path)
    cases = _refusal_cases(tmp_path, reg_path)
    assert len(cases) >= 25
    before = _sha(reg_path)
    listing = sorted(p.name for p in tmp_path.rglob("*"))
    for name, args, words in cases:
        res = _cli("export", *args, cwd=tmp_path)
        assert res.returncode in (1, 2), (name, res.stdout, res.stderr)
        assert not crashed(res.stderr + res.stdout), (name, res.stderr)
        assert words.lower() in res.stderr.lower(), (name, res.stderr)
        assert res.stderr.strip().startswith("error:"), (name, res.stderr)
        assert _sha(reg_path) == before, name
        assert sorted(p.name for p in tmp_path.rglob("*")) == listing, name
    with sqlite3.connect(reg_path) as con:  # the unique index is still there
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "roads_road_id_key" in names


@pytest.fixture
def small_disk(small_disk_of):
    """A 256 KiB tmpfs (needs root); skipped where mounting is not allowed."""
    return small_disk_of("256k")


@pytest.mark.parametrize("name", ["roads.gpkg", "roads.shp", "roads.csv", "roads.geojson",
                                  "dem.tif"])
def test_export_to_a_full_disk_is_one_line_and_leaves_nothing(samples, demo_gpkg, small_disk,
                                                               tmp_path, name):
    layer = "dem" if name.endswith(".tif") else "roads"
    res = _cli("export", layer, "-o", str(small_disk / name), "-r", str(demo_gpkg))
    assert res.returncode == 1, res.stdout + res.stderr
    assert not crashed(res.stderr)
    assert res.stderr.splitlines()[0].endswith("the disk is full"), res.stderr
    assert list(small_disk.iterdir()) == []


def test_unwritable_folder_is_refused_cleanly(samples, tmp_path):
    reg_path = _registry_copy(samples, tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: use a read-only file system
            target = Path("/proc/yangpu_export.gpkg")
        else:
            target = locked / "roads.gpkg"
        res = _cli("export", "roads", "-o", str(target), "-r", str(reg_path))
    finally:
        locked.chmod(0o755)
    assert res.returncode == 1 and not crashed(res.stderr), res.stderr
    assert "cannot write the export" in res.stderr
    assert not target.exists()


def test_a_second_export_replaces_the_first_completely(samples, tmp_path):
    reg_path = _registry_copy(samples, tmp_path)
    out = tmp_path / "roads.shp"
    for _ in range(2):
        _cli("export", "roads", "-o", str(out), "-r", str(reg_path), check=True)
    parts = sorted(p.name for p in tmp_path.iterdir() if p.stem == "roads")
    assert parts == ["roads.cpg", "roads.dbf", "roads.prj", "roads.shp", "roads.shx"]
    assert (tmp_path / "roads.cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".roads")]


def test_no_registry_layer_in_raster_catalogue_is_a_vector_layer():
    assert not set(RASTER_CATALOGUE) & set(CATALOGUE)


@pytest.mark.parametrize("name", ["R.GPKG", "R.SHP", "R.GeoJSON", "R.CSV", "R.Json"])
def test_upper_case_extensions_export_and_load_back(samples, tmp_path, name):
    reg_path = _registry_copy(samples, tmp_path)
    res = _cli("export", "roads", "-o", str(tmp_path / name), "-r", str(reg_path), "--json",
               check=True)
    written = Path(json.loads(res.stdout)["output"])
    assert written.exists() and written.suffix.lower() == Path(name).suffix.lower()
    with open_registry(reg_path) as reg:
        ref = reg.read("roads")
    with open_registry(tmp_path / "back.gpkg") as back:
        back.load(written, "roads")
        _assert_same_layer(ref, back.read("roads"), "roads")

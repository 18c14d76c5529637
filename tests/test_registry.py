"""Registry behaviour on both backends: values, modes, batches, reads, atomicity, concurrency."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from pyproj import Transformer

from scripts.make_fixtures import FIXTURE_PARKING, FIXTURE_ROADS
from yangpu_gis import open_registry
from yangpu_gis.errors import RegistryError, ValidationError

from .conftest import FIXTURES

TO_4549 = Transformer.from_crs(4326, 4549, always_xy=True)


def random_pipes(n: int, seed: int = 0, prefix: str = "P") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(121.50, 121.56, n)
    y0 = rng.uniform(31.26, 31.33, n)
    dx, dy = rng.normal(0, 0.0005, (2, n))
    return gpd.GeoDataFrame(
        {"pipe_id": [f"{prefix}{i:06d}" for i in range(n)],
         "utility": rng.choice(["water", "gas", "power", "telecom"], n),
         "diameter_mm": rng.integers(50, 800, n).astype(float),
         "install_year": rng.integers(1960, 2025, n)},
        geometry=shapely.linestrings(np.stack([np.column_stack([x0, y0]),
                                               np.column_stack([x0 + dx, y0 + dy])], axis=1)),
        crs="EPSG:4326")


def test_roads_values_match_the_bureau_file(registry):
    result = registry.load(FIXTURES / "roads_gbk" / "roads.shp", "roads")
    assert (result.rows_read, result.rows_inserted, result.batch_id) == (6, 6, 1)
    got = registry.read("roads").set_index("road_id")
    classes = {"主干路": "arterial", "次干路": "secondary", "支路": "branch", "弄堂": "alley"}
    for rid, name, cls, width, built, coords in FIXTURE_ROADS:
        row = got.loc[rid]
        assert row["name"] == name
        assert row["road_class"] == classes[cls]
        assert row["width_m"] == width
        assert row["built_date"] == pd.Timestamp(built)
        expected = shapely.LineString([TO_4549.transform(*c) for c in coords])
        assert row.geometry.equals_exact(expected, 1e-3)
    assert got["batch_id"].tolist() == [1] * 6


def test_gcj02_sheet_lands_on_the_true_wgs84_positions(registry):
    registry.load(FIXTURES / "parking_amap.xlsx", "parking_facilities", crs="gcj02")
    got = registry.read("parking_facilities", crs="EPSG:4326").set_index("facility_id")
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    for fid, name, _kind, cap, shared, lon, lat in FIXTURE_PARKING:
        p = got.geometry[fid]
        assert geod.inv(lon, lat, p.x, p.y)[2] < 0.05
        assert got.loc[fid, "name"] == name
        assert got.loc[fid, "capacity"] == cap
        assert bool(got.loc[fid, "shared_offpeak"]) == (shared == "是")
    assert got.loc["P005", "kind"] == "on_street"


def test_baidu_csv_and_datetimes(registry):
    registry.load(FIXTURES / "complaints_baidu.csv", "complaints", crs="bd09")
    got = registry.read("complaints").set_index("complaint_id")
    assert str(got["received_at"].dt.tz) == "Asia/Shanghai"
    assert got.loc["GD20250001", "received_at"] == pd.Timestamp("2025-03-01 08:15",
                                                                 tz="Asia/Shanghai")
    assert got.loc["GD20250002", "received_at"] == pd.Timestamp("2025-03-01T01:40:00Z")


def test_modes_and_batches(registry):
    src = FIXTURES / "roads_gbk" / "roads.shp"
    registry.load(src, "roads")
    gdf = registry.read("roads")
    changed = gdf.iloc[:2].copy()
    changed["name"] = ["控江路(改)", "政通路(改)"]
    extra = gdf.iloc[:1].copy()
    extra["road_id"] = "R0099"
    upsert = pd.concat([changed, extra]).drop(columns="batch_id")
    r = registry.load(gpd.GeoDataFrame(upsert, crs=gdf.crs), "roads", mode="upsert")
    assert (r.rows_inserted, r.rows_updated, r.batch_id) == (1, 2, 2)
    got = registry.read("roads").set_index("road_id")
    assert len(got) == 7
    assert got.loc["R0001", "name"] == "控江路(改)"
    assert got.loc["R0001", "batch_id"] == 2 and got.loc["R0003", "batch_id"] == 1
    r = registry.load(gpd.GeoDataFrame(extra.drop(columns="batch_id"), crs=gdf.crs), "roads",
                      mode="replace")
    # R0099 is delivered as stored (unchanged, keeps batch 2); the six others are ended
    assert (r.rows_inserted, r.rows_updated, r.rows_deleted, r.rows_unchanged) == (0, 0, 6, 1)
    assert registry.read("roads")["road_id"].tolist() == ["R0099"]
    assert registry.read("roads")["batch_id"].tolist() == [2]
    # nothing is erased: 6 originals, 2 of them with a second version, and R0099
    assert len(registry.versions("roads", columns=[])) == 9

    batches = registry.batches()
    assert batches["batch_id"].tolist() == [1, 2, 3]
    assert batches["mode"].tolist() == ["append", "upsert", "replace"]
    first = batches.iloc[0]
    parts = [src.with_suffix(e) for e in (".shp", ".shx", ".dbf", ".prj")]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    assert first["source_sha256"] == digest
    assert first["rows_read"] == 6 and first["encoding"] == "GBK/GB18030"
    assert first["os_user"]
    assert first["loaded_at"].tzinfo is not None


def test_dry_run_writes_nothing(registry):
    r = registry.load(FIXTURES / "pipelines.gpkg", "pipelines", dry_run=True)
    assert r.dry_run and r.rows_read == 10 and r.batch_id is None
    assert registry.layers().set_index("layer").loc["pipelines", "features"] == 0
    assert len(registry.batches()) == 0


def test_bbox_columns_and_crs_reads(registry):
    pipes = random_pipes(400)
    registry.load(pipes, "pipelines")
    box = (121.52, 31.28, 121.54, 31.30)
    got = registry.read("pipelines", bbox=box, bbox_crs="EPSG:4326", columns=["utility"])
    assert list(got.columns) == ["pipe_id", "utility", "geometry"]
    # brute force: envelope of each line (in the working CRS) against the box's envelope
    stored = registry.read("pipelines")
    ring = shapely.segmentize(shapely.box(*box), 0.0005)
    box_4549 = shapely.transform(ring, lambda xy: np.column_stack(TO_4549.transform(*xy.T)))
    env = shapely.box(*box_4549.bounds)
    expected = stored[shapely.intersects(shapely.envelope(stored.geometry.values), env)]
    assert set(got["pipe_id"]) == set(expected["pipe_id"])
    assert 0 < len(got) < 400
    in_wgs = registry.read("pipelines", crs="EPSG:4326").set_index("pipe_id")
    src = pipes.set_index("pipe_id")
    assert shapely.equals_exact(in_wgs.geometry.values, src.geometry.loc[in_wgs.index].values,
                                tolerance=1e-8).all()


def test_read_unknown_column_and_empty_layer(registry):
    empty = registry.read("pois")
    assert len(empty) == 0 and "poi_id" in empty.columns
    with pytest.raises(RegistryError, match="no column"):
        registry.read("pois", columns=["nonsense"])
    with pytest.raises(ValidationError, match="unknown layer"):
        registry.read("bridges")


@pytest.mark.postgis
def test_backends_give_identical_frames(tmp_path, pg_url):
    gpkg = open_registry(str(tmp_path / "a.gpkg"))
    pg = open_registry(pg_url)
    loads = [(FIXTURES / "roads_gbk.zip", "roads", {}),
             (FIXTURES / "parking_amap.xlsx", "parking_facilities", {"crs": "gcj02"}),
             (FIXTURES / "complaints_baidu.csv", "complaints", {"crs": "bd09"}),
             (FIXTURES / "beautiful_blocks.geojson", "beautiful_blocks", {}),
             (FIXTURES / "pipelines.gpkg", "pipelines", {})]
    for src, layer, opts in loads:
        a = gpkg.load(src, layer, **opts)
        b = pg.load(src, layer, **opts)
        assert a.as_dict() | {"seconds": 0} == b.as_dict() | {"seconds": 0}
        pd.testing.assert_frame_equal(gpkg.read(layer), pg.read(layer))
    pd.testing.assert_frame_equal(gpkg.layers(), pg.layers())
    cols = ["batch_id", "layer", "mode", "source", "source_sha256", "rows_read", "rows_inserted"]
    pd.testing.assert_frame_equal(gpkg.batches()[cols], pg.batches()[cols])
    pg.close()


def test_failure_half_way_leaves_geopackage_byte_identical(tmp_path, monkeypatch):
    path = tmp_path / "reg.gpkg"
    reg = open_registry(str(path))
    reg.load(random_pipes(1000, seed=1), "pipelines")
    before = path.read_bytes()
    import yangpu_gis.registry.geopackage.vectors as gp

    original = gp.write_layer

    def write_then_fail(*args, **kwargs):
        original(*args, **kwargs)  # the new rows are written into the working copy...
        raise OSError("disk full")  # ...and then the disk fills up

    monkeypatch.setattr(gp, "write_layer", write_then_fail)
    with pytest.raises(RegistryError, match="disk is full"):  # one clear error (issue 13)
        reg.load(random_pipes(20000, seed=2, prefix="Q"), "pipelines", mode="replace")
    assert path.read_bytes() == before
    # no working copy, journal or lock file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.gpkg"]
    assert len(reg.read("pipelines")) == 1000


@pytest.mark.postgis
@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_failure_half_way_leaves_postgis_table_unchanged(pg_url, monkeypatch, mode):
    import yangpu_gis.registry.postgis as pgmod
    import yangpu_gis.registry.postgis.copy as pgcopy

    reg = open_registry(pg_url)
    reg.load(random_pipes(1000, seed=1), "pipelines")
    before = reg.read("pipelines")
    batches_before = reg.batches()
    monkeypatch.setattr(pgcopy, "COPY_CHUNK_ROWS", 5000)
    written = []

    def fail_after_two_chunks(self, rows):
        written.append(rows)
        if len(written) == 2:
            raise psycopg.OperationalError("connection lost")

    monkeypatch.setattr(pgmod.PostGISRegistry, "_after_chunk", fail_after_two_chunks)
    big = random_pipes(20000, seed=2, prefix="Q" if mode == "append" else "P")
    with pytest.raises(RegistryError, match="rolled back"):
        reg.load(big, "pipelines", mode=mode)
    assert written == [5000, 10000]  # it really was half-way
    pd.testing.assert_frame_equal(reg.read("pipelines"), before)
    pd.testing.assert_frame_equal(reg.batches(), batches_before)
    reg.close()


def test_concurrent_loads_into_one_layer_do_not_interleave(registry_target):
    a = random_pipes(3000, seed=3, prefix="A")
    b = random_pipes(3000, seed=4, prefix="B")
    start = threading.Barrier(2)

    def load(frame):
        with open_registry(registry_target) as reg:
            start.wait()
            return reg.load(frame, "pipelines", mode="replace").batch_id

    with ThreadPoolExecutor(2) as pool:
        ids = sorted(pool.map(load, [a, b]))
    assert ids == [1, 2]
    with open_registry(registry_target) as reg:
        final = reg.read("pipelines")
        batches = reg.batches()
    # the table is exactly one of the two sources, never a mixture
    prefixes = set(final["pipe_id"].str[0])
    assert len(final) == 3000 and len(prefixes) == 1
    last = batches.iloc[-1]
    assert final["batch_id"].unique().tolist() == [last["batch_id"]]
    assert batches["rows_deleted"].tolist() == [0, 3000]


def test_concurrent_appends_all_land(registry_target):
    frames = [random_pipes(500, seed=s, prefix=p) for s, p in ((5, "C"), (6, "D"), (7, "E"))]

    def load(frame):
        with open_registry(registry_target) as reg:
            return reg.load(frame, "pipelines").rows_inserted

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(load, frames)) == [500, 500, 500]
    with open_registry(registry_target) as reg:
        got = reg.read("pipelines")
    assert len(got) == 1500 and got["pipe_id"].is_unique


@pytest.mark.postgis
def test_postgis_tables_are_typed(pg_url):
    reg = open_registry(pg_url)
    reg.load(FIXTURES / "roads_gbk.zip", "roads")
    conn = reg.conn
    gc = conn.execute("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'roads'"
                      ).fetchone()
    assert gc == ("LINESTRING", 4549)
    pk = conn.execute("""SELECT a.attname FROM pg_index i JOIN pg_attribute a
                         ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                         WHERE i.indrelid = 'roads'::regclass AND i.indisprimary""").fetchall()
    assert pk == [("road_id",)]
    gist = conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'roads' "
                        "AND indexdef ILIKE '%gist%'").fetchall()
    assert len(gist) == 1
    notnull = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'roads' "
        "AND table_schema = current_schema() AND is_nullable = 'NO'").fetchall()}
    assert notnull == {"road_id", "name", "road_class", "batch_id", "geom"}
    # the database itself refuses what the catalogue forbids
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("UPDATE roads SET road_class = 'motorway' WHERE road_id = 'R0001'")
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("UPDATE roads SET name = NULL WHERE road_id = 'R0001'")
    reg.close()


@pytest.mark.postgis
def test_postgis_identifiers_are_quoted_not_formatted(pg_url):
    """Source values reach SQL only as parameters or COPY data: a hostile id is stored as is."""
    reg = open_registry(pg_url)
    hostile = "x'); DROP TABLE pipelines; --"
    frame = random_pipes(2)
    frame.loc[0, "pipe_id"] = hostile
    reg.load(frame, "pipelines")
    reg.load(frame.iloc[:1], "pipelines", mode="upsert")
    assert hostile in reg.read("pipelines")["pipe_id"].tolist()
    assert reg.existing_ids("pipelines", [hostile]) == {hostile}
    reg.close()


def test_open_registry_errors(tmp_path):
    with pytest.raises(RegistryError, match="cannot tell"):
        open_registry(str(tmp_path / "x.sqlite"))
    with pytest.raises(RegistryError, match="cannot connect"):
        open_registry("postgresql://postgres@127.0.0.1:1/nowhere")


def test_geopackage_keeps_file_mode(tmp_path):
    import os
    import stat

    path = tmp_path / "mode.gpkg"
    reg = open_registry(str(path))
    reg.load(random_pipes(5), "pipelines")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o640)
    reg.load(random_pipes(5, seed=9, prefix="Z"), "pipelines")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_read_layers_returns_each_layer(registry):
    registry.load(FIXTURES / "roads_gbk.zip", "roads")
    layers = registry.read_layers("roads", "pois", crs="EPSG:4326")
    assert list(layers) == ["roads", "pois"]
    pd.testing.assert_frame_equal(layers["roads"], registry.read("roads", crs="EPSG:4326"))
    assert len(layers["pois"]) == 0
    assert set(registry.read_layers()) == set(registry.layers()["layer"])


def test_data_date_is_the_latest_load(registry):
    assert registry.data_date() is None
    registry.load(FIXTURES / "roads_gbk.zip", "roads")
    latest = registry.batches()["loaded_at"].max().tz_convert("Asia/Shanghai")
    assert registry.data_date() == latest.date().isoformat()


def test_append_refused_under_the_write_lock(registry):
    """Ids validated as new but loaded by someone else before the write: refused, unchanged."""
    from datetime import datetime

    first, second = random_pipes(1, seed=11, prefix="A"), random_pipes(1, seed=12, prefix="B")
    registry.load(first, "pipelines")
    prepared = registry.validate(second, "pipelines")  # B is new now
    registry.load(second, "pipelines")                 # a concurrent load adds B
    before, batches = registry.read("pipelines"), registry.batches()
    batch = {"layer": "pipelines", "mode": "append", "source": "x", "loaded_at": datetime.now()}
    with pytest.raises(ValidationError, match="already in the registry") as exc:
        registry.store(prepared, "append", batch)
    assert exc.value.problems[0].rows == [1]
    pd.testing.assert_frame_equal(registry.read("pipelines"), before)
    pd.testing.assert_frame_equal(registry.batches(), batches)

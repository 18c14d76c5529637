"""Feature history by example, on both backends: as-of by date, refusals, a feature's
versions, read-only snapshots, all or nothing and concurrency with history, old registries.

Expected states come from the deliveries themselves (``tests.history_oracle``: a snapshot is
a dict ``road_id -> Road`` read back with :func:`roads_of`), never from the registry.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import rasterio
from rasterio.transform import Affine

from yangpu_gis import open_registry
from yangpu_gis.errors import RegistryError

from .conftest import REPO
from .history_oracle import X0, Y0, Road, frame_of, roads_of


def road(i: int, name: str = "国权路", *, width: float | None = 12.0, dx: float = 0.0) -> Road:
    x, y = X0 + 60.0 * (i % 20) + dx, Y0 + 40.0 * (i // 20)
    return Road(name, "branch", width, None, None, None, ((x, y), (x + 20.0, y + 5.0)))


def roads(n: int, **kw) -> dict[str, Road]:
    return {f"R{i:04d}": road(i, **kw) for i in range(n)}


def load(reg, rows: dict[str, Road], mode: str = "append"):
    return reg.load(frame_of(rows), "roads", mode=mode)


def set_loaded_at(target: str, batch_id: int, when: datetime) -> None:
    """Say when batch ``batch_id`` was loaded, in the batches table itself.

    The registry stamps ``loaded_at`` with the clock at load time and offers no way to
    give another (a load is recorded as it happens), so a test of as-of *by date* writes
    the batch rows directly: sqlite3 for a GeoPackage, psycopg for PostGIS.
    """
    if target.startswith("postgresql"):
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("UPDATE yangpu_batches SET loaded_at = %s WHERE batch_id = %s",
                         (when, batch_id))
        return
    with sqlite3.connect(target) as con:
        con.execute("UPDATE yangpu_batches SET loaded_at = ? WHERE batch_id = ?",
                    (when.isoformat(), batch_id))
    con.close()


def state(reg) -> tuple[pd.DataFrame, ...]:
    """Everything a refused or failed write must leave as it was."""
    return reg.batches(), reg.read("roads"), reg.versions("roads")


def assert_same(before, after) -> None:
    for x, y in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(x, y)


SHANGHAI = ZoneInfo("Asia/Shanghai")


# --------------------------------------------------------------------------- as of
def test_as_of_by_date(registry_target):
    reg = open_registry(registry_target, create=True)
    v2024 = roads(6)
    v2025 = {**roads(4, name="国权北路"), "R0009": road(9)}   # renamed, 2 removed, 1 added
    v2025b = {**v2025, "R0000": road(0, name="国权北路", dx=3.0)}  # a re-survey
    load(reg, v2024)
    load(reg, v2025, "replace")
    load(reg, v2025b, "upsert")
    # 2024-05-01 10:00 Shanghai; 2025-01-01 00:30 Shanghai (= 2024-12-31 16:30 UTC);
    # 2025-03-01 09:00 Shanghai
    set_loaded_at(registry_target, 1, datetime(2024, 5, 1, 10, 0, tzinfo=SHANGHAI))
    set_loaded_at(registry_target, 2, datetime(2025, 1, 1, 0, 30, tzinfo=SHANGHAI))
    set_loaded_at(registry_target, 3, datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI))
    cases = {
        "2024-12-31": v2024,                     # the end of the day in Shanghai, not UTC
        date(2024, 12, 31): v2024,
        "2025-01-01": v2025,
        datetime(2025, 1, 1, 0, 29): v2024,      # naive: Shanghai time
        datetime(2025, 1, 1, 0, 30): v2025,      # at the load's own time
        "2025-03-01T08:59": v2025,
        "2025-03-01": v2025b,
        "2030-01-01": v2025b,
        "2020-01-01": {},                        # before any load
    }
    for as_of, want in cases.items():
        assert roads_of(reg.read("roads", as_of=as_of)) == want, as_of
        assert roads_of(reg.at(as_of).read("roads")) == want, as_of
    assert reg.as_of_batch("2024-12-31") == 1 and reg.as_of_batch("2020-01-01") == 0
    # by date, the diff names the batches the dates fall in
    d = reg.diff("roads", "2024-12-31", "2025-06-30")
    assert (d.from_batch, d.to_batch) == (1, 3)
    assert sorted(d.removed["road_id"]) == ["R0004", "R0005"]
    assert d.added["road_id"].tolist() == ["R0009"]
    reg.close()


def test_as_of_before_any_load_is_the_empty_layer(registry_target):
    reg = open_registry(registry_target, create=True)
    load(reg, roads(3))
    now = reg.read("roads")
    for as_of in (0, "0", "1999-12-31"):
        empty = reg.read("roads", as_of=as_of)
        assert len(empty) == 0
        assert list(empty.columns) == list(now.columns)
        assert empty.crs == now.crs
    snap = reg.at(0)
    assert len(snap.read("roads")) == 0 and len(snap.batches()) == 0
    assert snap.data_date() is None
    # diff of a layer delivered once: from the empty layer
    d = reg.diff("roads")
    assert (d.from_batch, d.to_batch) == (0, 1)
    assert d.counts == {"added": 3, "removed": 0, "modified": 0, "unchanged": 0}
    reg.close()


def test_unknown_batch_and_bad_text_are_refused(registry_target):
    reg = open_registry(registry_target, create=True)
    load(reg, roads(3))
    before = state(reg)
    for as_of in (2, 99, "99"):
        with pytest.raises(RegistryError, match=f"no batch {int(as_of)}"):
            reg.read("roads", as_of=as_of)
    with pytest.raises(RegistryError, match="neither a batch id nor a date"):
        reg.read("roads", as_of="last tuesday")
    with pytest.raises(RegistryError, match="no batch 7"):
        reg.diff("roads", 1, 7)
    with pytest.raises(RegistryError, match="no batch 5"):
        reg.at(5)
    with pytest.raises(RegistryError, match="no batch 5"):
        reg.revert(5)
    assert_same(before, state(reg))
    reg.close()


# --------------------------------------------------------------------------- history
def test_history_of_a_feature_modified_removed_and_readded(registry_target):
    reg = open_registry(registry_target, create=True)
    base = roads(4)
    load(reg, base)                                                        # 1: R0001 v1
    load(reg, {"R0001": road(1, name="国权北路")}, "upsert")               # 2: renamed
    load(reg, {i: r for i, r in base.items() if i != "R0001"}, "replace")  # 3: removed
    load(reg, {"R0002": road(2, width=None)}, "upsert")                    # 4: not R0001
    back = road(1, name="国权北路", dx=7.5)
    load(reg, {"R0001": back}, "append")                                   # 5: re-added
    h = reg.history("roads", "R0001")
    batches = reg.batches().set_index("batch_id")
    loaded = pd.to_datetime(batches["loaded_at"], utc=True)
    assert h["batch_id"].astype(int).tolist() == [1, 2, 5]
    assert [None if pd.isna(e) else int(e) for e in h["ended_batch"]] == [2, 3, None]
    assert h["mode"].tolist() == ["upsert" if b == 2 else "append" for b in (1, 2, 5)]
    assert h["name"].tolist() == ["国权路", "国权北路", "国权北路"]
    assert pd.to_datetime(h["valid_from"], utc=True).tolist() == [loaded[b] for b in (1, 2, 5)]
    assert pd.to_datetime(h["valid_to"], utc=True).tolist()[:2] == [loaded[2], loaded[3]]
    assert pd.isna(h["valid_to"].iloc[2])
    assert roads_of(h.iloc[[2]]) == {"R0001": back}
    assert roads_of(h.iloc[[0]]) == {"R0001": base["R0001"]}
    # the live version and the as-of reads agree with the history
    assert "R0001" not in set(reg.read("roads", as_of=4)["road_id"])
    assert roads_of(reg.read("roads", as_of=2))["R0001"].name == "国权北路"
    with pytest.raises(RegistryError, match="never held"):
        reg.history("roads", "R9999")
    reg.close()


# --------------------------------------------------------------------------- revert refusals
def _dem(path: Path) -> Path:
    values = np.linspace(3.0, 5.0, 60 * 80, dtype="float32").reshape(60, 80)
    with rasterio.open(path, "w", driver="GTiff", width=80, height=60, count=1,
                       dtype="float32", crs="EPSG:4549", nodata=-9999.0,
                       transform=Affine(10, 0, 644_000.0, 0, -10, 3_466_000.0)) as dst:
        dst.write(values, 1)
    return path


def test_revert_of_a_raster_batch_is_refused(registry_target, tmp_path):
    reg = open_registry(registry_target, create=True)
    load(reg, roads(3))
    raster = reg.load_raster(_dem(tmp_path / "dem.tif"), "dem")
    before = state(reg)
    with pytest.raises(RegistryError, match="raster"):
        reg.revert(raster.batch_id)
    assert_same(before, state(reg))
    reg.close()


def test_revert_of_a_batch_that_changed_nothing_is_refused(registry_target):
    reg = open_registry(registry_target, create=True)
    load(reg, roads(5))
    again = load(reg, roads(5), "replace")
    assert (again.rows_unchanged, again.rows_inserted, again.rows_updated,
            again.rows_deleted) == (5, 0, 0, 0)
    before = state(reg)
    with pytest.raises(RegistryError, match="nothing to revert"):
        reg.revert(again.batch_id)
    assert_same(before, state(reg))
    reg.close()


def test_revert_of_the_only_delivery_empties_the_layer(registry_target):
    """Found by the oracle: a target state with no feature was refused as 'the file has no
    features'."""
    reg = open_registry(registry_target, create=True)
    load(reg, roads(4))
    result = reg.revert(1)
    assert (result.rows_deleted, result.rows_inserted, result.batch_id) == (4, 0, 2)
    assert len(reg.read("roads")) == 0
    assert roads_of(reg.read("roads", as_of=1)) == roads(4)
    # and reverting the revert brings the layer back
    reg.revert(2)
    assert roads_of(reg.read("roads")) == roads(4)
    reg.close()


# --------------------------------------------------------------------------- snapshots
def test_snapshot_refuses_writes_and_a_later_raster(registry_target, tmp_path):
    reg = open_registry(registry_target, create=True)
    load(reg, roads(3))
    dem = _dem(tmp_path / "dem.tif")
    reg.load_raster(dem, "dem")                               # batch 2
    before = state(reg)
    snap = reg.at(1)
    for call in (lambda: snap.load(frame_of(roads(2)), "roads", mode="replace"),
                 lambda: snap.load_raster(dem, "dem"),
                 lambda: snap.revert(1),
                 lambda: snap.upgrade()):
        with pytest.raises(RegistryError, match="read-only"):
            call()
    with pytest.raises(RegistryError, match="loaded by batch 2, after batch 1"):
        snap.read_raster("dem")
    assert not snap.raster_layers().set_index("layer").loc["dem", "loaded"]
    assert reg.at(2).read_raster("dem").values.shape == (60, 80)
    assert roads_of(snap.read("roads")) == roads(3)
    assert_same(before, state(reg))
    reg.close()


# --------------------------------------------------------------------------- all or nothing
def _fingerprint(reg, target: str):
    files = None
    if reg.kind == "geopackage":
        files = hashlib.sha256(Path(target).read_bytes()).hexdigest()
    return files, *state(reg)


def test_a_load_failing_after_its_rows_leaves_layer_history_and_batches(registry_target,
                                                                        monkeypatch):
    """Every row written (new versions, ended versions into the history table), then the
    batch's counts fail: the whole load is undone, on both backends."""
    reg = open_registry(registry_target, create=True)
    base = roads(30)
    load(reg, base)
    load(reg, {**base, "R0001": road(1, name="改名")}, "replace")   # history table exists
    before = _fingerprint(reg, registry_target)
    tx_class = type(reg).__module__.rsplit(".", 1)[0]
    module = sys.modules[tx_class + ".registry"]
    tx = module.GeoPackageTransaction if reg.kind == "geopackage" else module.PostGISTransaction

    def fail(self, batch_id, counts):
        assert counts["updated"] == 10 and counts["deleted"] == 5  # the rows were written
        raise RuntimeError("injected failure before commit")

    monkeypatch.setattr(tx, "finish_batch", fail)
    delivery = {i: (road(k, name="新名") if k < 10 else r)
                for k, (i, r) in enumerate(base.items()) if k < 25}
    with pytest.raises(RuntimeError, match="injected"):
        load(reg, delivery, "replace")
    monkeypatch.undo()
    after = _fingerprint(reg, registry_target)
    assert before[0] == after[0]  # GeoPackage: byte for byte
    assert_same(before[1:], after[1:])
    reg.close()


def test_geopackage_failing_mid_history_write_leaves_file_identical(tmp_path, monkeypatch):
    """The ended versions reach the history table, then the disk fills while the new ones
    are written."""
    import yangpu_gis.registry.geopackage.vectors as gv

    path = tmp_path / "reg.gpkg"
    reg = open_registry(str(path), create=True)
    base = roads(20)
    load(reg, base)
    before = path.read_bytes(), *state(reg)
    original, calls = gv.write_layer, []

    def write_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        calls.append(kwargs.get("table"))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(gv, "write_layer", write_then_fail)
    with pytest.raises(RegistryError, match="disk is full"):
        load(reg, {**roads(10, name="新名"), "R0100": road(100)}, "replace")
    assert calls == ["yangpu_history_roads", None]  # history written, then the layer
    assert path.read_bytes() == before[0]
    assert_same(before[1:], state(reg))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.gpkg"]


@pytest.mark.postgis
def test_postgis_failing_mid_copy_rolls_back_history(pg_url, monkeypatch):
    import yangpu_gis.registry.postgis as pgmod
    import yangpu_gis.registry.postgis.copy as pgcopy

    reg = open_registry(pg_url)
    base = roads(300)
    load(reg, base)
    load(reg, {**base, "R0001": road(1, name="改名")}, "replace")
    before = state(reg)
    monkeypatch.setattr(pgcopy, "COPY_CHUNK_ROWS", 50)
    written = []

    def fail_after_two_chunks(self, rows):
        written.append(rows)
        if len(written) == 2:
            raise psycopg.OperationalError("connection lost")

    monkeypatch.setattr(pgmod.PostGISRegistry, "_after_chunk", fail_after_two_chunks)
    with pytest.raises(RegistryError, match="rolled back"):
        load(reg, roads(300, name="全部改名"), "replace")
    assert len(written) == 2  # it really was half-way
    monkeypatch.undo()
    assert_same(before, state(reg))
    reg.close()


# --------------------------------------------------------------------------- concurrency
def test_two_processes_replacing_one_layer_keep_a_consistent_history(registry_target,
                                                                    tmp_path):
    reg = open_registry(registry_target, create=True)
    base = roads(1500)
    load(reg, base)
    a = {i: (road(k, name="甲") if k % 3 == 0 else r) for k, (i, r) in enumerate(base.items())
         if k < 1400}
    b = {**{i: (road(k, dx=2.0) if k % 5 == 0 else r) for k, (i, r) in enumerate(base.items())},
         **{f"N{k:04d}": road(1600 + k) for k in range(50)}}
    files = {}
    for name, rows in (("a", a), ("b", b)):
        files[name] = tmp_path / f"{name}.gpkg"
        frame_of(rows).to_file(files[name], driver="GPKG")
    procs = [subprocess.Popen([sys.executable, "-m", "yangpu_gis.cli", "load", str(f), "-l",
                               "roads", "--mode", "replace", "-r", registry_target], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files.values()]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, out + err
    batches = reg.batches()
    assert batches["batch_id"].astype(int).tolist() == [1, 2, 3]
    order = [Path(s).stem for s in batches["source"].iloc[1:]]
    assert sorted(order) == ["a", "b"]
    deliveries = {"a": a, "b": b}
    snaps = [base, deliveries[order[0]], deliveries[order[1]]]
    for k, want in enumerate(snaps, start=1):
        assert roads_of(reg.read("roads", as_of=k)) == want, k
    # each batch's counts follow from the delivery it replaced
    for k in (2, 3):
        old, new = snaps[k - 2], snaps[k - 1]
        row = batches.iloc[k - 1]
        assert int(row["rows_inserted"]) == len(set(new) - set(old))
        assert int(row["rows_deleted"]) == len(set(old) - set(new))
        assert int(row["rows_updated"]) == sum(1 for i in set(old) & set(new)
                                               if old[i] != new[i])
    # every version is ended at most once, by the batch after the one that made it, and
    # each id has at most one live version
    v = reg.versions("roads", columns=[])
    assert not v.duplicated(["road_id", "batch_id"]).any()
    live = v[v["ended_batch"].isna()]
    assert live["road_id"].is_unique and set(live["road_id"]) == set(snaps[2])
    ended = v[v["ended_batch"].notna()]
    assert (ended["ended_batch"].astype(int) > ended["batch_id"].astype(int)).all()
    for rid, chain in v.groupby("road_id"):
        made = chain["batch_id"].astype(int).tolist()
        ends = [None if pd.isna(e) else int(e) for e in chain["ended_batch"]]
        assert all(e is not None for e in ends[:-1]), rid
        assert all(e <= m for e, m in zip(ends[:-1], made[1:], strict=True)), rid
    reg.close()


# --------------------------------------------------------------------------- old registries
def _make_old(reg, target: str) -> None:
    """Turn a new registry into one written before history was kept: the batches table
    without ``rows_unchanged`` and no history tables (the repository keeps no old
    registry file, so one is made by dropping what history added)."""
    if reg.kind == "geopackage":
        with sqlite3.connect(target) as con:
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name LIKE 'yangpu_history_%'")]
            assert not tables  # one append: no version was ended yet
            con.execute("ALTER TABLE yangpu_batches DROP COLUMN rows_unchanged")
        con.close()
        return
    with psycopg.connect(target, autocommit=True) as conn:
        for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_name LIKE 'yangpu\\_history\\_%'").fetchall():
            conn.execute(f'DROP TABLE "{name}"')
        conn.execute("ALTER TABLE yangpu_batches DROP COLUMN rows_unchanged")


def test_an_old_registry_reads_and_accepts_a_replace(registry_target):
    reg = open_registry(registry_target, create=True)
    base = roads(6)
    load(reg, base)
    reg.close()
    _make_old(open_registry(registry_target), registry_target)
    reg = open_registry(registry_target)
    assert roads_of(reg.read("roads")) == base
    assert roads_of(reg.read("roads", as_of=1)) == base
    assert pd.isna(reg.batches()["rows_unchanged"].iloc[0])
    new = {**roads(4, name="国权北路"), "R0010": road(10)}
    result = load(reg, new, "replace")
    assert (result.rows_inserted, result.rows_updated, result.rows_deleted,
            result.rows_unchanged) == (1, 4, 2, 0)
    assert roads_of(reg.read("roads")) == new
    assert roads_of(reg.read("roads", as_of=1)) == base
    assert int(reg.batches()["rows_unchanged"].iloc[1]) == 0
    assert reg.diff("roads").counts == {"added": 1, "removed": 2, "modified": 4,
                                        "unchanged": 0}
    reg.close()


@pytest.mark.postgis
def test_postgis_revert_after_a_rolled_back_load(pg_url, monkeypatch):
    """A rolled-back load still uses up its batch id (a PostgreSQL sequence is not rolled
    back), so batch ids can have gaps: reverting the batch after the gap must restore the
    batch before it, not look for the missing id."""
    import yangpu_gis.registry.postgis as pgmod

    reg = open_registry(pg_url)
    load(reg, roads(3))

    def lost(self, rows):
        raise psycopg.OperationalError("connection lost")

    monkeypatch.setattr(pgmod.PostGISRegistry, "_after_chunk", lost)
    with pytest.raises(RegistryError, match="rolled back"):
        load(reg, roads(3, name="失败"), "replace")
    monkeypatch.undo()
    third = load(reg, roads(3, name="国权北路"), "replace")
    assert reg.batches()["batch_id"].astype(int).tolist() == [1, third.batch_id]
    result = reg.revert(third.batch_id)
    assert result.rows_updated == 3
    assert roads_of(reg.read("roads")) == roads(3)
    reg.close()


def test_a_layer_with_datetimes_keeps_its_history(registry_target):
    """Complaints (two datetime columns): re-delivered unchanged they stay unchanged, an
    edited ``closed_at`` is one modified field, and the first delivery reads back as of 1."""
    from .conftest import FIXTURES

    reg = open_registry(registry_target, create=True)
    src = FIXTURES / "complaints_baidu.csv"
    first = reg.load(src, "complaints", crs="bd09")
    assert first.rows_inserted == 3
    stored = reg.read("complaints")
    assert sorted(stored["complaint_id"]) == ["GD20250001", "GD20250002", "GD20250003"]
    again = reg.load(src, "complaints", crs="bd09", mode="replace")
    assert (again.rows_unchanged, again.rows_updated, again.rows_inserted) == (3, 0, 0)
    assert len(reg.versions("complaints", columns=[])) == 3
    edited = stored.drop(columns="batch_id")
    closed = pd.Timestamp("2025-03-02 17:30", tz="Asia/Shanghai")
    edited.loc[0, "closed_at"] = closed
    third = reg.load(edited, "complaints", mode="replace")
    assert (third.rows_unchanged, third.rows_updated) == (2, 1)
    d = reg.diff("complaints")
    assert d.modified["complaint_id"].tolist() == [stored["complaint_id"].iloc[0]]
    (fields,) = d.modified["fields"]
    assert list(fields) == ["closed_at"]
    assert pd.isna(fields["closed_at"]["old"]) and pd.Timestamp(fields["closed_at"]["new"]) == closed
    pd.testing.assert_frame_equal(reg.read("complaints", as_of=1), stored)
    reg.close()


def test_redelivering_sub_millisecond_times_adds_no_version(registry_target):
    """A GeoPackage stores datetimes to the millisecond (GeoPackage 1.3 Req. 5) and PostGIS
    to the microsecond: re-delivering the same file must be unchanged on both, or storage
    grows with every delivery instead of with changes."""
    from shapely import Point

    frame = gpd.GeoDataFrame(
        {"complaint_id": ["C1", "C2"],
         "received_at": ["2025-03-01 08:15:00.123956", "2025-03-01 08:15:00"],
         "category": "道路", "closed_at": [None, "2025-03-02T10:00:00.0004+08:00"]},
        geometry=[Point(X0, Y0), Point(X0 + 5, Y0)], crs="EPSG:4549")
    reg = open_registry(registry_target, create=True)
    reg.load(frame, "complaints")
    for _ in range(2):
        again = reg.load(frame, "complaints", mode="replace")
        assert (again.rows_unchanged, again.rows_updated) == (2, 0)
    assert len(reg.versions("complaints", columns=[])) == 2
    # a real change (a whole millisecond and more) is still seen
    moved = frame.assign(received_at=["2025-03-01 08:15:00.126", "2025-03-01 08:15:00"])
    assert reg.load(moved, "complaints", mode="replace").rows_updated == 1
    reg.close()


_COLUMNS = {
    "str": lambda r, n: pd.Series(r.choice(["a", "b", "三门路", ""], n), dtype=object),
    "int": lambda r, n: pd.Series(r.integers(0, 3, n), dtype="Int64"),
    "float": lambda r, n: pd.Series(r.choice([0.1, 0.2, 1.0, -0.0, 0.0], n)),
    "bool": lambda r, n: pd.Series(r.choice([True, False], n), dtype="boolean"),
    "date": lambda r, n: pd.Series(pd.to_datetime("2024-01-01")
                                   + pd.to_timedelta(r.integers(0, 3, n), unit="D")),
    "datetime": lambda r, n: pd.Series(pd.to_datetime("2024-01-01 08:00:00.123")
                                       + pd.to_timedelta(r.integers(0, 3, n), unit="ms")),
}


@pytest.mark.parametrize("kind", sorted(_COLUMNS))
def test_column_comparison_equals_comparing_python_values(kind):
    """The vectorised comparison a delivery uses equals the plain oracle: both missing, or
    both present and equal as Python values — on random columns with missing values."""
    from yangpu_gis.registry.history import _values_equal

    r = np.random.default_rng(7)
    for _ in range(20):
        n = int(r.integers(1, 40))
        a, b = _COLUMNS[kind](r, n), _COLUMNS[kind](r, n)
        a[r.random(n) < 0.2] = None
        b[r.random(n) < 0.2] = None
        oracle = [(x is None or x is pd.NA or x != x) and (y is None or y is pd.NA or y != y)
                  or (not pd.isna(x) and not pd.isna(y) and x == y)
                  for x, y in zip(a.astype(object), b.astype(object), strict=True)]
        assert _values_equal(a, b).tolist() == oracle

"""City scale on dask.distributed (``--scheduler``, ``scheduler=``): identical results.

The oracle of every distributed path is the single-process path, which the topic tests
check against brute force: the CLI outputs are compared byte for byte (the GeoPackage and
the HTML map, which carry timestamps and random element ids, layer by layer), the Python
functions frame by frame, and random orders cut into strips so thin that duplicate chains
cross several of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangpu_gis.analysis.complaints.merge import (
    distributed_pairs,
    merge_duplicates,
    space_time_labels,
    space_time_pairs,
)
from yangpu_gis.analysis.coverage.service import _distributed_points_covered, points_covered
from yangpu_gis.analysis.engine import parse_scheduler, strips
from yangpu_gis.analysis.excavation.conflict_search import conflicts
from yangpu_gis.errors import ValidationError

from .cli_run import crashed, run_cli

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes, as ``--scheduler local:2`` starts."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("city_demo")
    run = run_cli("demo", "-r", root / "yangpu.gpkg", "-o", root / "overview.html",
                  "--analyses", root / "analyses", "--json", cwd=root)
    assert run.returncode == 0, run
    return root / "yangpu.gpkg"


def _same_outputs(a: Path, b: Path) -> None:
    """Every file of ``a`` is in ``b`` with the same bytes (GeoPackages: the same layers)."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert any(f.suffix == ".csv" for f in files)
    for f in files:
        if f.suffix == ".html":  # folium's element ids are random
            continue
        if f.suffix == ".gpkg":
            layers = [name for name, _ in pyogrio.list_layers(a / f)]
            assert layers == [name for name, _ in pyogrio.list_layers(b / f)]
            for layer in layers:
                pd.testing.assert_frame_equal(pyogrio.read_dataframe(a / f, layer=layer),
                                              pyogrio.read_dataframe(b / f, layer=layer))
            continue
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


@pytest.mark.parametrize("args", [
    ["analyze", "complaints", "--permutations", "99", "--no-map"],
    ["analyze", "excavation"],
    ["analyze", "coverage", "--preset", "parking-reach", "--distance", "euclidean"],
    ["analyze", "waterlogging", "--tile-size", "150", "--min-area-m2", "100"],
], ids=["complaints", "excavation", "coverage", "waterlogging"])
def test_cli_scheduler_local_writes_the_same_files(demo, tmp_path, args):
    one = run_cli(*args, "-r", demo, "-o", tmp_path / "one", "--json", cwd=tmp_path)
    assert one.returncode == 0, one
    two = run_cli(*args, "-r", demo, "-o", tmp_path / "two", "--json", "--scheduler",
                  "local:2", cwd=tmp_path)
    assert two.returncode == 0, two
    assert not crashed(two.output), two
    _same_outputs(tmp_path / "one", tmp_path / "two")
    strip = {"outputs", "reports"}
    if args[1] == "complaints":  # the demo's orders do merge: the test is not vacuous
        assert json.loads(one.stdout)["merged_orders"] > 1000
    if args[1] == "excavation":
        assert json.loads(one.stdout)["concurrent_pairs"] > 0
    if args[1] == "waterlogging":  # depressions in several of the 150-cell tiles
        assert json.loads(one.stdout)["depressions"] > 10
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert {k: v for k, v in a.items() if k not in strip} == \
        {k: v for k, v in b.items() if k not in strip}


@pytest.mark.parametrize("value", ["bogus", "local:0", "http://x:1"])
def test_cli_refuses_an_unknown_scheduler(demo, tmp_path, value):
    run = run_cli("analyze", "excavation", "-r", demo, "-o", tmp_path / "o", "--scheduler",
                  value, cwd=tmp_path)
    assert run.returncode == 2, run
    assert not crashed(run.output) and "hint:" in run.stderr, run
    assert not (tmp_path / "o").exists()


def test_cli_without_dask_names_the_extra(demo, tmp_path):
    # a distributed package that cannot be imported, ahead of the real one on the path
    fake = tmp_path / "fake"
    (fake / "distributed").mkdir(parents=True)
    (fake / "distributed" / "__init__.py").write_text("raise ImportError('no dask here')\n")
    import os

    path = os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    for cmd in (["analyze", "complaints"], ["analyze", "excavation"], ["analyze", "coverage"],
                ["analyze", "waterlogging"]):
        run = run_cli(*cmd, "-r", demo, "-o", tmp_path / "o", "--scheduler", "local:2",
                      cwd=tmp_path, env={"PYTHONPATH": path})
        assert run.returncode == 2, run
        assert not crashed(run.output), run
        assert "yangpu_gis[city]" in run.stderr, run
    # without --scheduler nothing needs dask
    run = run_cli("analyze", "excavation", "-r", demo, "-o", tmp_path / "o", cwd=tmp_path,
                  env={"PYTHONPATH": path})
    assert run.returncode == 0, run


def test_parse_scheduler():
    assert parse_scheduler("local") == ("local", None)
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("address", None)
    for bad in ("", "local:", "local:-1", "tcp://", "8786"):
        with pytest.raises(ValidationError):
            parse_scheduler(bad)


def _orders(n: int, seed: int, width_m: float = 3000.0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, width_m, n)
    y = rng.uniform(0, 200, n)
    t0 = pd.Timestamp("2024-01-01", tz="Asia/Shanghai")
    received = t0 + pd.to_timedelta(rng.uniform(0, 20 * 24, n), unit="h")
    geoms = shapely.points(x + 500_000, y + 3_460_000)
    geoms[::37] = None  # orders without a location are their own case
    precision = np.where(rng.uniform(size=n) < 0.05, "road", "point")
    return gpd.GeoDataFrame({
        "complaint_id": [f"GD{i:06d}" for i in range(n)],
        "received_at": received,
        "category": rng.choice(["噪声", "积水", "占道经营"], n),
        "address": [f"路{i}号" for i in range(n)],
        "location_precision": precision,
    }, geometry=geoms, crs="EPSG:4549")


def test_merge_with_a_client_equals_the_single_process_path(client):
    orders = _orders(4000, 1)
    one = merge_duplicates(orders)
    assert (one.cases["n_orders"] > 3).sum() > 10  # long chains
    for parts in (2, 9, 60):
        two = merge_duplicates(orders, scheduler=client, partitions=parts)
        pd.testing.assert_frame_equal(one.orders, two.orders)
        pd.testing.assert_frame_equal(pd.DataFrame(one.cases), pd.DataFrame(two.cases))


def test_merge_with_a_local_scheduler_string():
    orders = _orders(1500, 2)
    one = merge_duplicates(orders)
    two = merge_duplicates(orders, scheduler="local:2", partitions=5)
    pd.testing.assert_frame_equal(pd.DataFrame(one.cases), pd.DataFrame(two.cases))
    pd.testing.assert_frame_equal(one.orders, two.orders)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 400), seed=st.integers(0, 10_000), parts=st.integers(1, 40),
       distance_m=st.sampled_from([5.0, 50.0, 120.0]), hours=st.sampled_from([1.0, 72.0]))
def test_property_strips_thinner_than_chains(client, n, seed, parts, distance_m, hours):
    rng = np.random.default_rng(seed)
    # a 600 m stretch: 40 strips are 15 m wide, chains of 50 m links cross many of them
    x = np.round(rng.uniform(0, 600, n), 1)  # rounded: points exactly on strip edges
    y = rng.uniform(0, 30, n)
    t = rng.integers(0, 5 * 24 * 3_600_000_000_000, n)
    group = rng.choice(["a", "b"], n)
    x[rng.uniform(size=n) < 0.05] = np.nan
    want = space_time_pairs(x, y, t, group, distance_m=distance_m, hours=hours)
    want = want[np.lexsort((want[:, 1], want[:, 0]))]
    got = distributed_pairs(x, y, t, group, distance_m=distance_m, hours=hours,
                            client=client, partitions=parts)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        space_time_labels(x, y, t, group, distance_m=distance_m, hours=hours, client=client,
                          partitions=parts),
        space_time_labels(x, y, t, group, distance_m=distance_m, hours=hours))


def test_strips_give_every_row_within_the_halo():
    rng = np.random.default_rng(5)
    lo = rng.uniform(0, 1000, 300)
    hi = lo + rng.exponential(30, 300)
    for parts in (1, 3, 17):
        cut = strips(lo, hi, parts=parts, halo=10.0)
        owned = np.concatenate([s.rows[: s.n_owned] for s in cut])
        assert sorted(owned) == list(range(300))  # each row owned exactly once
        for s in cut:
            own = s.rows[: s.n_owned]
            given_ = set(s.rows.tolist())
            # brute force: every row whose extent is within 10 m of an owned row's extent
            gap = np.maximum(lo[None, :] - hi[own][:, None], lo[own][:, None] - hi[None, :])
            assert set(np.flatnonzero((gap <= 10.0).any(axis=0)).tolist()) <= given_


def _permits(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 100, n)
    w = rng.exponential(40, n)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    return gpd.GeoDataFrame({
        "permit_id": [f"P{i:05d}" for i in range(n)],
        "planned_start": start.strftime("%Y-%m-%d"), "planned_end": end.strftime("%Y-%m-%d"),
    }, geometry=shapely.box(x, y, x + w, y + 4), crs="EPSG:4549")


@pytest.mark.parametrize("distance_m", [0.0, 15.0])
def test_conflicts_with_a_client_equal_the_single_process_table(client, distance_m):
    permits = _permits(1200, 7)
    want = conflicts(permits, distance_m=distance_m)
    assert len(want) > 50
    for parts in (2, 13, 80):
        got = conflicts(permits, distance_m=distance_m, client=client, partitions=parts)
        pd.testing.assert_frame_equal(got, want)


def test_points_covered_with_a_client(client):
    rng = np.random.default_rng(11)
    points = shapely.points(rng.uniform(0, 5000, 3000), rng.uniform(0, 500, 3000))
    pg = shapely.buffer(shapely.points(rng.uniform(0, 5000, 40), rng.uniform(0, 500, 40)),
                        rng.uniform(0, 30, 40))
    s = rng.uniform(20, 300, 40)
    want = points_covered(points, pg, s, float(s.max()))
    assert 0 < want.sum() < len(want)
    np.testing.assert_array_equal(_distributed_points_covered(points, pg, s, client), want)


def test_the_four_commands_offer_scheduler_and_help_names_the_extra():
    import typer.main

    from yangpu_gis.cli import app

    analyze = typer.main.get_command(app).commands["analyze"]
    offering = sorted(name for name, cmd in analyze.commands.items()
                      if any("--scheduler" in p.opts for p in cmd.params))
    assert offering == ["complaints", "coverage", "excavation", "waterlogging"]
    run = run_cli("analyze", "complaints", "--help")
    assert "--scheduler" in run.stdout and "yangpu_gis[city]" in run.stdout, run


# --------------------------------------------------------------------------- waterlogging tiles
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(3, 40), w=st.integers(3, 40), tile=st.integers(2, 17),
       seed=st.integers(0, 2**31 - 1), holes=st.floats(0.0, 0.3))
def test_tiles_as_tasks_fill_exactly_as_untiled(client, h, w, tile, seed, holes):
    """Tiles flooded and spilled on two workers: the untiled priority-flood, value for value
    (the untiled fill is pysheds' surface, tests/test_fill.py)."""
    from yangpu_gis.analysis.fill import priority_flood, tiled_fill

    rng = np.random.default_rng(seed)
    dem = np.round(rng.random((h, w)) * 5, 1).astype(np.float32)  # ties and flats
    dem[rng.random((h, w)) < holes] = np.nan
    np.testing.assert_array_equal(tiled_fill(dem, tile, client=client), priority_flood(dem))


def test_waterlogging_with_a_client_equals_the_single_process_tables(client):
    from affine import Affine

    from yangpu_gis.analysis.waterlogging import find_depressions

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:120, 0:90]
    dem = (np.sin(x / 9.0) * np.cos(y / 7.0) * 2 + rng.random((120, 90)) * 0.3).astype(np.float32)
    t = Affine(2, 0, 500_000, 0, -2, 3_460_000)
    one = find_depressions(dem, t, tile_size=0)
    two = find_depressions(dem, t, tile_size=25, scheduler=client)
    assert len(one.table) > 5  # several depressions, across the 25-cell tiles
    pd.testing.assert_frame_equal(one.table, two.table)
    np.testing.assert_array_equal(one.labels, two.labels)


def test_cli_refuses_untiled_waterlogging_on_a_scheduler(demo, tmp_path):
    run = run_cli("analyze", "waterlogging", "-r", demo, "-o", tmp_path / "o", "--tile-size",
                  "0", "--scheduler", "local:2", cwd=tmp_path)
    assert run.returncode == 2, run
    assert not crashed(run.output) and "--tile-size 0" in run.stderr, run
    assert "hint:" in run.stderr, run
    assert not (tmp_path / "o").exists()

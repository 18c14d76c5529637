"""The same analysis gives the same answer wherever it is called: a notebook, the CLI, the demo.

* ``yangpu_gis.analyze_excavation`` and ``check_permit`` leave out revoked permits themselves,
  so the Python call and ``analyze excavation`` / ``check-permit`` (fresh subprocesses)
  agree, row for row, on the demo registry.
* ``analyze coverage --preset river-monitoring`` measures against the registry's
  ``water_stations`` (oracle: shapely, the river length within the service distance of the
  stations) and refuses, naming the layer, when there are none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely

import yangpu_gis
from yangpu_gis import open_registry
from yangpu_gis.analysis.excavation import EXCLUDED_STATUS

from .cli_run import crashed
from .conftest import REPO


def _cli(*args: str, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, env={**os.environ, "COLUMNS": "200"},
                          timeout=900)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from yangpu_gis.demo import run_demo

    path = tmp_path_factory.mktemp("demo") / "yangpu.gpkg"
    run_demo(path, map_path=None, analyses_dir=None)
    return path


@pytest.fixture(scope="module")
def layers(demo):
    with open_registry(demo) as reg:
        return {n: reg.read(n) for n in ("excavation_permits", "roads", "pipelines", "rivers",
                                         "water_stations")}


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(frame["permit_a"].astype(str), frame["permit_b"].astype(str),
                   frame["kind"].astype(str), strict=True))


@pytest.mark.parametrize("include_revoked", [False, True])
def test_python_call_and_cli_agree_on_excavation(demo, layers, tmp_path, include_revoked):
    permits = layers["excavation_permits"]
    revoked = set(permits.loc[permits["status"].isin(EXCLUDED_STATUS), "permit_id"])
    assert revoked, "the demo has revoked permits"
    kw = {"exclude_status": ()} if include_revoked else {}
    result = yangpu_gis.analyze_excavation(permits, layers["roads"], layers["pipelines"], **kw)
    out = tmp_path / "exc"
    res = _cli("analyze", "excavation", "-r", str(demo), "-o", str(out), "--json",
               *(["--include-revoked"] if include_revoked else []))
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {k: data[k] for k in result.counts()} == result.counts()
    assert data["excluded_permits"] == (0 if include_revoked else len(revoked)) == result.excluded
    cli_pairs = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig", dtype=str)
    assert _pairs(cli_pairs) == _pairs(result.conflicts)
    mor = pd.read_csv(out / "moratorium.csv", encoding="utf-8-sig", dtype=str)
    assert set(zip(mor["permit_id"], mor["road_id"], mor["rule"], strict=True)) == set(zip(
        result.moratorium["permit_id"], result.moratorium["road_id"].astype(str),
        result.moratorium["rule"], strict=True))
    at_risk = pd.read_csv(out / "pipelines_at_risk.csv", encoding="utf-8-sig", dtype=str)
    assert len(at_risk) == len(result.pipelines_at_risk)
    mentioned = set(cli_pairs["permit_a"]) | set(cli_pairs["permit_b"]) | set(mor["permit_id"])
    if include_revoked:
        assert mentioned & revoked  # revoked permits do overlap others in the demo
    else:
        assert not mentioned & revoked


def test_default_leaves_out_exactly_the_revoked_permits(layers):
    """Oracle: the analysis of the permits filtered by hand equals the default call."""
    permits = layers["excavation_permits"]
    by_hand = permits[~permits["status"].isin(EXCLUDED_STATUS)].reset_index(drop=True)
    a = yangpu_gis.analyze_excavation(permits, layers["roads"], layers["pipelines"])
    b = yangpu_gis.analyze_excavation(by_hand, layers["roads"], layers["pipelines"],
                                      exclude_status=())
    assert a.counts() == b.counts() and a.excluded == len(permits) - len(by_hand)
    pd.testing.assert_frame_equal(a.conflicts, b.conflicts)
    pd.testing.assert_frame_equal(a.moratorium, b.moratorium)


@pytest.mark.parametrize("status", ["已撤销", " revoked ", "Revoked", "WITHDRAWN"])
def test_status_match_ignores_case_and_blanks(layers, status):
    permits = layers["excavation_permits"].head(60).copy()
    permits["status"] = "已完工"
    permits.loc[permits.index[:5], "status"] = status
    res = yangpu_gis.analyze_excavation(permits, layers["roads"], layers["pipelines"])
    assert res.excluded == (permits["status"] == status).sum() == 5
    assert not set(res.permits["permit_id"]) & set(permits["permit_id"].iloc[:5])


def test_check_permit_python_and_cli_agree(demo, layers, tmp_path):
    permits = layers["excavation_permits"]
    revoked = permits[permits["status"].isin(EXCLUDED_STATUS)].iloc[[0]]
    app = revoked.assign(permit_id="NEW-1", status="申请中")[
        ["permit_id", "applicant", "utility", "planned_start", "planned_end", "geometry"]]
    app_file = tmp_path / "app.geojson"
    app.to_crs("EPSG:4326").to_file(app_file, driver="GeoJSON")
    kept = yangpu_gis.check_permit(app, permits, layers["roads"], layers["pipelines"])
    every = yangpu_gis.check_permit(app, permits, layers["roads"], layers["pipelines"],
                                    exclude_status=())
    rid = revoked["permit_id"].iloc[0]
    assert rid not in set(kept.conflicts["permit_id"])
    assert rid in set(every.conflicts["permit_id"])  # its own footprint and dates
    for flag, expected in (([], kept), (["--include-revoked"], every)):
        res = _cli("check-permit", str(app_file), "-r", str(demo), "--json", *flag)
        assert res.returncode == 0, res.stderr
        data = json.loads(res.stdout)
        assert data["verdict"] == expected.verdict
        got = {c["permit_id"] for c in data["conflicts"]}
        assert got == set(expected.conflicts["permit_id"])


# --------------------------------------------------------------------------- coverage


def _covered_share_oracle(rivers, stations, service_m: float) -> float:
    lines = rivers.geometry[shapely.get_dimensions(rivers.geometry.to_numpy()) == 1].to_numpy()
    reach = shapely.union_all(shapely.buffer(stations.geometry.to_numpy(), service_m,
                                             quad_segs=256))
    total = shapely.length(lines).sum()
    return float(shapely.length(shapely.intersection(lines, reach)).sum() / total)


@pytest.mark.parametrize("service_m", [None, 600.0])
def test_river_monitoring_uses_the_registry_stations(demo, layers, tmp_path, service_m):
    stations = layers["water_stations"]
    assert len(stations) > 0
    res = _cli("analyze", "coverage", "-r", str(demo), "-o", str(tmp_path / "c"), "--preset",
               "river-monitoring", "--json",
               *(["--service-m", str(service_m)] if service_m else []))
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)["reports"][0]
    assert rep["stations"] == len(stations)
    assert "stations_synthetic" not in rep
    assert not any("SYNTHETIC" in n.upper() for n in rep["notes"])
    expected = _covered_share_oracle(layers["rivers"], stations, service_m or 1000.0)
    assert rep["line_covered_share"] == pytest.approx(expected, abs=2e-3)


def test_river_monitoring_refuses_without_stations(layers, tmp_path):
    reg_path = tmp_path / "rivers_only.gpkg"
    rivers = tmp_path / "rivers.gpkg"
    layers["rivers"].drop(columns="batch_id").to_file(rivers, driver="GPKG")
    with open_registry(reg_path) as reg:
        reg.load(rivers, "rivers")
    before = reg_path.read_bytes()
    out = tmp_path / "c"
    res = _cli("analyze", "coverage", "-r", str(reg_path), "-o", str(out), "--preset",
               "river-monitoring")
    assert res.returncode == 2, res.stdout + res.stderr
    assert not crashed(res.stderr)
    assert "water_stations" in res.stderr and "--layer water_stations" in res.stderr
    assert not out.exists() and reg_path.read_bytes() == before

"""Settings are read when they are used, not frozen when a module is imported.

``settings.gas_clearance_m`` and ``settings.gas_high_pressure_clearance_m`` (and the
district bounds a map opens on) take effect as soon as they change: a notebook that assigns
``yangpu_gis.settings.gas_clearance_m = 3.0`` after importing the analysis gets 3 m, and
``$YANGPU_GIS_GAS_CLEARANCE_M`` reaches ``yangpu-gis check-permit`` (real command, fresh
process). The oracle is the plain distance from each pipe to the dig, computed here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

from yangpu_gis import settings
from yangpu_gis.analysis.excavation import analyze_excavation, check_permit, pipelines_at_risk

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_462_000.0  # inside Yangpu, working CRS
START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 20)
#: Gas pipes at these distances (m) from the dig's edge; a water pipe at 0.5 m.
GAS_OFFSETS = (2.0, 4.0, 5.5, 7.0)
HIGH_OFFSETS = (20.0, 40.0)


def _dig(pid: str = "NEW") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"permit_id": [pid], "applicant": ["单位"], "utility": ["water"],
         "planned_start": [START.isoformat()], "planned_end": [END.isoformat()]},
        geometry=[box(X0, Y0 - 1, X0 + 40, Y0 + 1)], crs=CRS)


def _pipes() -> gpd.GeoDataFrame:
    rows = [("JS1", "water", "低压", 1.0 + 0.5)]
    rows += [(f"RQ{k}", "gas", "中压B", 1.0 + off) for k, off in enumerate(GAS_OFFSETS, 1)]
    rows += [(f"RH{k}", "gas", "高压", 1.0 + off) for k, off in enumerate(HIGH_OFFSETS, 1)]
    return gpd.GeoDataFrame(
        {"pipe_id": [r[0] for r in rows], "utility": [r[1] for r in rows],
         "pressure_class": [r[2] for r in rows]},
        geometry=[LineString([(X0 - 50, Y0 + r[3]), (X0 + 90, Y0 + r[3])]) for r in rows],
        crs=CRS)


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_id": ["R1"], "name": ["政通路"], "road_class": ["branch"], "width_m": [12.0],
         "built_date": ["2000-01-01"], "last_major_repair_date": [None]},
        geometry=[LineString([(X0 - 60, Y0), (X0 + 100, Y0)])], crs=CRS)


def _expected(gas_m: float, high_m: float, other_m: float = 1.0) -> set[str]:
    """Oracle: pipes whose distance to the dig is within the clearance of their class."""
    dig = _dig().geometry.iloc[0]
    out = set()
    for pid, util, pressure, geom in _pipes().itertuples(index=False):
        reach = (high_m if pressure == "高压" else gas_m) if util == "gas" else other_m
        if shapely.distance(dig, geom) <= reach:
            out.add(pid)
    return out


@pytest.fixture
def restore_settings():
    saved = settings.gas_clearance_m, settings.gas_high_pressure_clearance_m
    yield
    settings.gas_clearance_m, settings.gas_high_pressure_clearance_m = saved


def test_defaults_are_unchanged():
    assert (settings.gas_clearance_m, settings.gas_high_pressure_clearance_m) == (6.0, 50.0)
    got = set(pipelines_at_risk(_dig(), _pipes())["pipe_id"])
    assert got == _expected(6.0, 50.0) == {"JS1", "RQ1", "RQ2", "RQ3", "RH1", "RH2"}


@pytest.mark.parametrize(("gas_m", "high_m"), [(3.0, 50.0), (5.0, 30.0), (8.0, 10.0),
                                                (0.5, 0.5), (6.0, 50.0)])
def test_assigning_settings_after_import_changes_pipelines_at_risk(restore_settings, gas_m,
                                                                   high_m):
    settings.gas_clearance_m = gas_m
    settings.gas_high_pressure_clearance_m = high_m
    table = pipelines_at_risk(_dig(), _pipes())
    assert set(table["pipe_id"]) == _expected(gas_m, high_m)
    by_pipe = dict(zip(table["pipe_id"], table["clearance_m"], strict=True))
    for pid, clearance in by_pipe.items():
        assert clearance == (1.0 if pid.startswith("JS") else high_m if pid.startswith("RH")
                             else gas_m)


def test_an_explicit_argument_still_wins_over_settings(restore_settings):
    settings.gas_clearance_m = 0.5
    got = set(pipelines_at_risk(_dig(), _pipes(), gas_clearance_m=6.0)["pipe_id"])
    assert got == _expected(6.0, 50.0)


def test_analyze_excavation_and_check_permit_record_the_setting_in_force(restore_settings):
    settings.gas_clearance_m, settings.gas_high_pressure_clearance_m = 3.0, 25.0
    permits = _dig("P1")
    res = analyze_excavation(permits, _roads(), _pipes())
    assert res.parameters["gas_clearance_m"] == 3.0
    assert res.parameters["gas_high_pressure_clearance_m"] == 25.0
    assert set(res.pipelines_at_risk["pipe_id"]) == _expected(3.0, 25.0)
    empty = permits.iloc[0:0]
    check = check_permit(_dig(), empty, _roads(), _pipes())
    assert check.parameters["gas_clearance_m"] == 3.0
    assert set(check.pipelines["pipe_id"]) == _expected(3.0, 25.0)


def test_map_opens_on_the_district_bounds_in_force(monkeypatch):
    from yangpu_gis.maps.base import new_map

    monkeypatch.setattr(settings, "district_bounds_lonlat", (121.0, 31.0, 122.0, 32.0))
    html = new_map(basemap="none").get_root().render()
    assert "[31.5, 121.5]" in html


def _registry(tmp_path) -> str:
    from yangpu_gis import open_registry

    target = str(tmp_path / "registry.gpkg")
    with open_registry(target) as reg:
        reg.load(_roads(), "roads", mode="replace")
        reg.load(_pipes(), "pipelines", mode="replace")
    _dig().to_crs(4326).to_file(tmp_path / "application.geojson")
    return target


def _cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANGPU_GIS_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("env", "gas_m", "high_m"), [
    ({}, 6.0, 50.0),
    ({"YANGPU_GIS_GAS_CLEARANCE_M": "3.0"}, 3.0, 50.0),
    ({"YANGPU_GIS_GAS_CLEARANCE_M": "5", "YANGPU_GIS_GAS_HIGH_PRESSURE_CLEARANCE_M": "30"},
     5.0, 30.0),
])
def test_env_var_reaches_check_permit_in_a_fresh_process(tmp_path, env, gas_m, high_m):
    target = _registry(tmp_path)
    res = _cli(["check-permit", str(tmp_path / "application.geojson"), "--registry", target,
                "--json"], env)
    assert res.returncode == 0, res.stderr
    verdict = json.loads(res.stdout)
    assert {p["pipe_id"] for p in verdict["pipelines_at_risk"]} == _expected(gas_m, high_m)
    assert verdict["parameters"]["gas_clearance_m"] == gas_m


def test_env_var_reaches_analyze_excavation_parameters(tmp_path):
    from yangpu_gis import open_registry

    target = _registry(tmp_path)
    with open_registry(target) as reg:
        reg.load(_dig("P1"), "excavation_permits", mode="replace")
    out = tmp_path / "out"
    res = _cli(["analyze", "excavation", "--registry", target, "--out", str(out), "--json"],
               {"YANGPU_GIS_GAS_CLEARANCE_M": "3.0"})
    assert res.returncode == 0, res.stderr
    at_risk = pd.read_csv(out / "pipelines_at_risk.csv", encoding="utf-8-sig")
    assert set(at_risk["pipe_id"]) == _expected(3.0, 50.0)

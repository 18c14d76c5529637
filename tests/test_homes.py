"""美丽家园 progress (``analyze homes``) and manifests that bring their layer definitions.

Oracles: a scene counted by hand; a plain-Python recount on random scenes (hypothesis); the
CLI in a subprocess against the Python API; the demo registry built from its manifest.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from yangpu_gis.analysis.homes import HOMES_TARGETS, analyze_homes, load_homes_targets
from yangpu_gis.errors import ValidationError

from .cli_run import crashed, run_cli

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_463_000.0


def _compounds(years, households, area=None):
    n = len(years)
    data = {"compound_id": [f"C{i}" for i in range(n)], "name": [f"小区{i}" for i in range(n)],
            "households": households, "renovated_year": pd.array(years, dtype="Int64")}
    if area is not None:
        data["floor_area_m2"] = area
    return gpd.GeoDataFrame(data, geometry=[box(X0 + 300 * i, Y0, X0 + 300 * i + 100, Y0 + 80)
                                            for i in range(n)], crs=CRS)


def _points(frame: dict, n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=[Point(X0 + 300 * i + 50, Y0 + 40)
                                             for i in range(n)], crs=CRS)


def test_a_scene_counted_by_hand():
    c = _compounds([2019, 2021, 2025, None], [100, 200, 300, 400])
    mis = _points({"misconnection_id": ["M1", "M2", "M3", "M4"],
                   "status": ["fixed", "verified", "fixing", "fixed"],
                   "found_date": [dt.date(2020, 5, 1), dt.date(2021, 3, 1),
                                  dt.date(2024, 1, 1), dt.date(2022, 1, 1)],
                   "fixed_date": [dt.date(2020, 12, 1), dt.date(2021, 9, 1), None, None]}, 4)
    ele = _points({"installation_id": ["E1", "E2", "E3"],
                   "status": ["in_service", "under_construction", "completed"],
                   "elevators": [2, 1, None],
                   "completed_date": [dt.date(2023, 6, 1), None, dt.date(2026, 1, 5)]}, 3)
    res = analyze_homes(c, misconnections=mis, elevators=ele)
    t = res.targets.set_index("item")
    assert t.loc["compounds", "achieved"] == 2                       # 2021 and 2025
    assert t.loc["floor_area_m2", "achieved"] == (200 + 300) * 70   # households × 70 m²
    # M2 in 2021; M4 fixed without a date counts in the period; M1 (2020) does not
    assert t.loc["misconnections_fixed", "achieved"] == 2
    assert t.loc["elevators_completed", "achieved"] == 2            # E1's two; E3 is 2026
    assert t.loc["elevators_under_way", "achieved"] == 1
    assert t.loc["compounds", "left"] == 130 and t.loc["compounds", "target"] == 132
    assert t.loc["misconnections_fixed", "share"] == round(2 / 176, 4)
    assert any("without fixed_date" in n for n in res.notes)
    y = res.by_year.set_index("year")
    assert y.loc[2019, "compounds_renovated"] == 1 and not y.loc[2019, "in_period"]
    assert y.loc[2020, "misconnections_fixed"] == 1 and y.loc[2024, "misconnections_found"] == 1
    assert y.loc[2023, "elevators_completed"] == 2 and y.loc[2026, "elevators_completed"] == 1
    assert res.open_misconnections["misconnection_id"].tolist() == ["M3"]
    # a floor_area_m2 column is used as it is
    res = analyze_homes(_compounds([2021, 2022], [10, 10], area=[5000.0, 7000.0]))
    assert res.targets.set_index("item").loc["floor_area_m2", "achieved"] == 12000


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), first=st.integers(2016, 2024))
def test_counts_equal_a_plain_recount(seed, first):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    years = [None if rng.random() < 0.3 else int(rng.integers(2010, 2027)) for _ in range(n)]
    hh = rng.integers(10, 900, n)
    c = _compounds(years, hh)
    m = int(rng.integers(0, 20))
    statuses = rng.choice(["found", "fixing", "fixed", "verified"], m)
    fixed_dates = [dt.date(int(rng.integers(2015, 2027)), 6, 1) if rng.random() < 0.8 else None
                   for _ in range(m)]
    mis = _points({"misconnection_id": [f"M{i}" for i in range(m)], "status": statuses,
                   "found_date": [dt.date(2015, 1, 1)] * m, "fixed_date": fixed_dates}, m)
    last = first + 4
    res = analyze_homes(c, misconnections=mis, first_year=first, last_year=last)
    t = res.targets.set_index("item")
    want_c = sum(1 for y in years if y is not None and first <= y <= last)
    want_a = sum(70.0 * h for y, h in zip(years, hh, strict=True)
                 if y is not None and first <= y <= last)
    want_m = sum(1 for s, d in zip(statuses, fixed_dates, strict=True)
                 if s in ("fixed", "verified") and (d is None or first <= d.year <= last))
    assert t.loc["compounds", "achieved"] == want_c
    assert t.loc["floor_area_m2", "achieved"] == pytest.approx(want_a)
    assert t.loc["misconnections_fixed", "achieved"] == want_m
    assert res.by_year["compounds_renovated"].sum() == sum(1 for y in years if y is not None)


def test_targets_file_and_refusals(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[targets]\ncompounds = 150\nelevators_completed = 60\n", encoding="utf-8")
    goal = load_homes_targets(path)
    assert goal["compounds"] == 150 and goal["floor_area_m2"] == HOMES_TARGETS[
        "floor_area_m2"][2]
    res = analyze_homes(_compounds([2021], [100]), targets=goal)
    assert res.targets.set_index("item").loc["compounds", "left"] == 149
    for text, message in (("[targets]\nhouses = 3\n", "unknown target 'houses'"),
                          ("[targets]\ncompounds = -1\n", "not a number >= 0"),
                          ("[goals]\ncompounds = 1\n", "no [targets] table"),
                          ("[targets\n", "not valid TOML")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationError) as info:
            load_homes_targets(path)
        assert message in str(info.value)
    with pytest.raises(ValidationError, match="period"):
        analyze_homes(_compounds([2021], [1]), first_year=2025, last_year=2021)


# ------------------------------------------------------------- manifests with definitions
def _manifest(folder, definitions='["sewer_misconnections"]'):
    mis = _points({"misconnection_id": ["M1"], "kind": ["mixed"], "status": ["fixed"],
                   "found_date": [dt.date(2021, 1, 1)], "fixed_date": [dt.date(2021, 6, 1)]},
                  1)
    mis.to_file(folder / "mis.gpkg", driver="GPKG")
    c = _compounds([2021], [100])
    c.to_file(folder / "c.gpkg", driver="GPKG")
    (folder / "manifest.toml").write_text(
        f"definitions = {definitions}\n\n[[load]]\nfile = \"c.gpkg\"\n"
        "layer = \"residential_compounds\"\n\n[[load]]\nfile = \"mis.gpkg\"\n"
        "layer = \"sewer_misconnections\"\n", encoding="utf-8")
    return folder / "manifest.toml"


def test_manifest_definitions_are_stored_only_when_loading(tmp_path):
    from yangpu_gis import open_registry
    from yangpu_gis.manifest import load_manifest

    manifest = _manifest(tmp_path)
    target = str(tmp_path / "reg.gpkg")
    with open_registry(target, create=True) as reg:
        assert load_manifest(reg, manifest, dry_run=True) == ([], [])
    with open_registry(target, create=True) as reg:
        assert "sewer_misconnections" not in reg.definitions.stored()  # dry run: nothing
        results, failures = load_manifest(reg, manifest)
        assert not failures and len(results) == 2
        assert "sewer_misconnections" in reg.definitions.stored()
    # a fresh process reads the layer from the definition the registry now holds
    run = run_cli("analyze", "homes", "-r", target, "-o", tmp_path / "out", "--json",
                  "--no-map")
    assert run.returncode == 0, run
    data = json.loads(run.stdout)
    assert data["targets"]["misconnections_fixed"]["achieved"] == 1
    assert data["targets"]["compounds"]["achieved"] == 1
    assert "no elevator_installations layer: elevators not counted" in data["notes"]


def test_manifest_with_a_bad_definition_is_refused_before_anything(tmp_path):
    from yangpu_gis import open_registry
    from yangpu_gis.manifest import load_manifest

    target = tmp_path / "reg.gpkg"
    for definitions, message in (('["no_such_layer"]', "neither a definition file"),
                                 ('"sewer_misconnections"', "must be a list")):
        manifest = _manifest(tmp_path, definitions=definitions)
        with open_registry(str(target), create=True) as reg:
            with pytest.raises(ValidationError) as info:
                load_manifest(reg, manifest)
        assert message in str(info.value)
        assert not target.exists()  # nothing was written


def test_cli_refusals(tmp_path):
    from yangpu_gis import open_registry
    from yangpu_gis.manifest import load_manifest

    bad = tmp_path / "t.toml"
    bad.write_text("[targets]\ncompounds = 'many'\n", encoding="utf-8")
    target = tmp_path / "reg.gpkg"
    with open_registry(str(target), create=True) as reg:
        load_manifest(reg, _manifest(tmp_path))
    for args, text in ((["--targets", bad], "not a number >= 0"),
                       (["--first-year", "2030"], "the first not after the last")):
        run = run_cli("analyze", "homes", "-r", target, "-o", tmp_path / "x", *args)
        assert run.returncode == 2 and not crashed(run.output) and text in run.output, run

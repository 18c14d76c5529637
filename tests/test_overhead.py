"""架空线入地 (``analyze overhead``): lengths by year, road and subdistrict, what is left.

Oracles: a scene measured by hand (a line crossing a subdistrict border is split there);
a plain-Python recount on random scenes (hypothesis); the CLI in a subprocess.
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
from shapely.geometry import LineString, box

from yangpu_gis.analysis.overhead import analyze_overhead
from yangpu_gis.errors import ValidationError

from .cli_run import crashed, run_cli

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_463_000.0
SUBS = gpd.GeoDataFrame({"subdistrict_id": ["A", "B"], "name": ["甲街道", "乙街道"]},
                        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000),
                                  box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)


def _lines(rows):
    """rows: (line_id, x0, x1, y, status, plan_year, buried_date, road_id)."""
    return gpd.GeoDataFrame({
        "line_id": [r[0] for r in rows], "status": [r[4] for r in rows],
        "plan_year": [r[5] for r in rows], "buried_date": [r[6] for r in rows],
        "road_id": [r[7] for r in rows], "kind": "power"},
        geometry=[LineString([(X0 + r[1], Y0 + r[3]), (X0 + r[2], Y0 + r[3])]) for r in rows],
        crs=CRS)


def test_a_scene_measured_by_hand():
    lines = _lines([
        ("L1", 800, 1300, 100, "buried", 2021, dt.date(2021, 5, 1), "R1"),   # 200 m in A, 300 in B
        ("L2", 100, 200, 200, "removed", 2022, dt.date(2022, 3, 1), "R1"),
        ("L3", 1500, 1900, 300, "overhead", 2023, None, "R2"),               # overdue in 2025
        ("L4", 1500, 1600, 400, "burying", 2026, None, "R2"),                # not overdue
        ("L5", 300, 350, 500, "buried", 2024, None, "R3")])                  # no date
    res = analyze_overhead(lines, as_of_year=2025, subdistricts=SUBS)
    y = res.by_year.set_index("year")
    assert y.loc[2021, "buried_m"] == 500 and y.loc[2022, "removed_m"] == 100
    assert y.loc[2022, "cumulative_done_m"] == 600
    assert y.loc[2022, "cumulative_share"] == round(600 / 1150, 4)
    assert y.loc[2023, "planned_m"] == 400 and y.loc[2023, "planned_done_m"] == 0
    assert y.loc[2024, "planned_done_m"] == 50  # L5, done without a date
    s = res.by_subdistrict.set_index("subdistrict_id")
    assert s.loc["A", "total_m"] == 350 and s.loc["A", "buried_m"] == 250
    assert s.loc["B", "total_m"] == 800 and s.loc["B", "left_m"] == 500
    assert s["total_m"].sum() == pytest.approx(lines.length.sum())
    r = res.by_road.set_index("road_id")
    assert r.loc["R1", "share_done"] == 1.0 and r.loc["R2", "left_m"] == 500
    assert res.left["line_id"].tolist() == ["L3", "L4"] and res.left["overdue"].tolist() == [
        True, False]
    assert any("without buried_date" in n for n in res.notes)
    assert res.summary()["overdue_lines"] == 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_lengths_equal_a_plain_recount(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 25))
    rows = []
    for i in range(n):
        a, b = sorted(rng.uniform(0, 2000, 2))
        status = str(rng.choice(["buried", "removed", "overhead", "burying"]))
        done = status in ("buried", "removed")
        rows.append((f"L{i}", a, b + 1, float(rng.uniform(1, 999)), status,
                     int(rng.integers(2016, 2028)),
                     dt.date(int(rng.integers(2016, 2026)), 6, 1) if done else None,
                     f"R{int(rng.integers(0, 4))}"))
    lines = _lines(rows)
    res = analyze_overhead(lines, as_of_year=2024, subdistricts=SUBS)
    length = {r[0]: r[2] - r[1] for r in rows}
    for year, g in res.by_year.set_index("year").iterrows():
        want = sum(length[r[0]] for r in rows if r[6] is not None and r[6].year == year)
        assert g["done_m"] == pytest.approx(want, abs=0.2)
    for road, g in res.by_road.set_index("road_id").iterrows():
        left = sum(length[r[0]] for r in rows if r[7] == road and r[4] in ("overhead",
                                                                            "burying"))
        assert g["left_m"] == pytest.approx(left, abs=0.2)
    # split at the border: A holds what lies left of x = 1000
    a_total = sum(max(0.0, min(r[2], 1000) - r[1]) for r in rows)
    a = res.by_subdistrict.set_index("subdistrict_id")
    assert (a.loc["A", "total_m"] if "A" in a.index else 0.0) == pytest.approx(a_total, abs=0.2)
    overdue = {r[0] for r in rows if r[4] in ("overhead", "burying") and r[5] < 2024}
    assert set(res.left.loc[res.left["overdue"], "line_id"]) == overdue


def test_unknown_status_is_refused():
    lines = _lines([("L1", 0, 10, 1, "buried", 2021, None, "R1")]).assign(status="gone")
    with pytest.raises(ValidationError, match="unknown status 'gone'"):
        analyze_overhead(lines, as_of_year=2025)


def test_cli(tmp_path):
    from yangpu_gis import open_registry

    target = str(tmp_path / "reg.gpkg")
    plain = run_cli("analyze", "overhead", "-r", target, "-o", tmp_path / "x")
    assert plain.returncode in (1, 2) and not crashed(plain.output)
    lines = _lines([("L1", 800, 1300, 100, "buried", 2021, dt.date(2021, 5, 1), "R1"),
                    ("L3", 1500, 1900, 300, "overhead", 2023, None, "R2")])
    lines["owner"] = "<img src=x onerror=alert(1)>"
    lines.to_file(tmp_path / "lines.gpkg", driver="GPKG")
    SUBS.to_file(tmp_path / "subs.gpkg", driver="GPKG")
    with open_registry(target, create=True) as reg:
        reg.load(tmp_path / "subs.gpkg", "subdistricts")
    run = run_cli("analyze", "overhead", "-r", target, "-o", tmp_path / "x")
    assert run.returncode == 2 and "catalogue add overhead_lines" in run.output, run
    with open_registry(target) as reg:
        reg.add_layer_definition("overhead_lines")
        reg.load(tmp_path / "lines.gpkg", "overhead_lines")
    # the year defaults to the newest buried_date (2021): nothing overdue then
    run = run_cli("analyze", "overhead", "-r", target, "-o", tmp_path / "o1", "--json")
    assert run.returncode == 0 and json.loads(run.stdout)["overdue_lines"] == 0, run
    run = run_cli("analyze", "overhead", "-r", target, "-o", tmp_path / "out", "--json",
                  "--year", "2025")
    assert run.returncode == 0, run
    data = json.loads(run.stdout)
    assert data["total_km"] == 0.9 and data["done_km"] == 0.5 and data["overdue_lines"] == 1
    by_sub = pd.read_csv(tmp_path / "out" / "by_subdistrict.csv", encoding="utf-8-sig")
    assert by_sub["total_m"].sum() == pytest.approx(900)
    html = (tmp_path / "out" / "overhead_map.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html

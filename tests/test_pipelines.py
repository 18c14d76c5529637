"""Pipeline renewal priority (``analyze pipelines``).

Oracles: a plain-Python recomputation of every factor (pairwise shapely distances, date
windows with ``datetime``) on random scenes from hypothesis; a scene computed by hand; the
CLI in a subprocess against the Python API.
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
from shapely.geometry import LineString, Point, box

from yangpu_gis.analysis.pipelines import (
    FACTORS,
    PIPELINES_DEFAULTS,
    RenewalTables,
    analyze_pipelines,
    load_renewal_tables,
)
from yangpu_gis.errors import ValidationError

from .cli_run import crashed, run_cli
from .conftest import load_layers

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_463_000.0
MATERIALS = ["灰口铸铁管", "铸铁管", "钢管", "PE管", "球墨铸铁管", "神秘管", None]
UTILITIES = ["gas", "water", "drainage", "power"]
PRESSURES = ["次高压", "中压A", "低压", "0.3MPa", None]


def _scene(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    xy = rng.uniform(0, 800, (n, 2))
    pipes = gpd.GeoDataFrame({
        "pipe_id": [f"P{i:03d}" for i in range(n)],
        "utility": rng.choice(UTILITIES, n),
        "material": [MATERIALS[i] for i in rng.integers(0, len(MATERIALS), n)],
        "pressure_class": [PRESSURES[i] for i in rng.integers(0, len(PRESSURES), n)],
        "diameter_mm": np.where(rng.random(n) < 0.1, np.nan, rng.choice([100, 300, 800, 1400], n)),
        "install_year": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1960, 2025, n)),
    }, geometry=[LineString([(X0 + x, Y0 + y), (X0 + x + dx, Y0 + y + dy)]) for (x, y), dx, dy
                 in zip(xy, rng.uniform(-100, 100, n), rng.uniform(-100, 100, n), strict=True)],
        crs=CRS)
    k = int(rng.integers(0, 15))
    permits = gpd.GeoDataFrame({
        "permit_id": [f"JL{i}" for i in range(k)],
        "planned_start": [dt.date(2021, 1, 1) + dt.timedelta(days=int(d))
                          for d in rng.integers(0, 1900, k)]},
        geometry=[box(X0 + x, Y0 + y, X0 + x + 20, Y0 + y + 4)
                  for x, y in rng.uniform(0, 800, (k, 2))], crs=CRS)
    m = int(rng.integers(0, 60))
    t0 = pd.Timestamp("2024-06-01", tz="Asia/Shanghai")
    complaints = gpd.GeoDataFrame({
        "complaint_id": [f"GD{i}" for i in range(m)],
        "received_at": [(t0 + pd.Timedelta(hours=int(h))).isoformat()
                        for h in rng.integers(0, 24 * 600, m)],
        "category": rng.choice(["积水", "燃气", "噪声", "停水"], m)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 800, (m, 2))], crs=CRS)
    j = int(rng.integers(0, 8))
    pois = gpd.GeoDataFrame({"poi_id": [f"S{i}" for i in range(j)],
                             "name": [f"学校{i}" for i in range(j)],
                             "kind": rng.choice(["school", "hospital", "office"], j)},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in
                                      rng.uniform(0, 800, (j, 2))], crs=CRS)
    c = int(rng.integers(0, 6))
    compounds = gpd.GeoDataFrame({"compound_id": [f"C{i}" for i in range(c)]},
                                 geometry=[box(X0 + x, Y0 + y, X0 + x + 60, Y0 + y + 40)
                                           for x, y in rng.uniform(0, 800, (c, 2))], crs=CRS)
    return pipes, permits, complaints, pois, compounds


def _oracle(pipes, permits, complaints, pois, compounds, as_of: dt.date, t: RenewalTables):
    """Every factor in plain Python (the oracle): dict pipe_id -> (score, factors)."""
    d = PIPELINES_DEFAULTS
    out = {}
    lo = as_of - dt.timedelta(days=365 * d.damage_years)
    lo_c = as_of - dt.timedelta(days=365 * d.complaint_years)
    for _, p in pipes.iterrows():
        f = {}
        age = None if pd.isna(p["install_year"]) else as_of.year - p["install_year"]
        f["age"] = 0.5 if age is None else min(max(age / t.renewal_age[p["utility"]], 0), 1)
        mat = p["material"]
        f["material"] = t.material.get(mat, t.material["unknown"]) if mat else \
            t.material["unknown"]
        pre = p["pressure_class"]
        f["pressure"] = t.pressure.get(pre, t.pressure["unknown"]) if pre else \
            t.pressure["unknown"]
        f["diameter"] = 0.0 if pd.isna(p["diameter_mm"]) else min(p["diameter_mm"] / 1000, 1)
        n = sum(1 for _, q in permits.iterrows() if lo < q["planned_start"] <= as_of
                and p.geometry.distance(q.geometry) <= d.damage_distance_m)
        f["damage"] = min(n / d.damage_full, 1)
        cats = t.complaint_categories.get(p["utility"], ())
        n = sum(1 for _, q in complaints.iterrows()
                if q["category"] in cats
                and lo_c < pd.Timestamp(q["received_at"]).tz_convert("Asia/Shanghai").date()
                <= as_of and p.geometry.distance(q.geometry) <= d.complaint_distance_m)
        f["complaints"] = min(n / d.complaint_full, 1)
        s = sum(1 for _, q in pois.iterrows() if q["kind"] in ("school", "hospital")
                and p.geometry.distance(q.geometry) <= d.stake_distance_m)
        s += 0.25 * sum(1 for g in compounds.geometry
                        if p.geometry.distance(g) <= d.stake_distance_m)
        f["stakes"] = min(s / d.stakes_full, 1)
        out[p["pipe_id"]] = (100 * sum(t.weights[k] * f[k] for k in FACTORS), f)
    return out


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_scores_equal_a_plain_recomputation(seed):
    pipes, permits, complaints, pois, compounds = _scene(seed)
    as_of = dt.date(2025, 6, 30)
    res = analyze_pipelines(pipes, as_of=as_of, permits=permits, complaints=complaints,
                            pois=pois, compounds=compounds)
    want = _oracle(pipes, permits, complaints, pois, compounds, as_of, RenewalTables())
    r = res.renewal.set_index("pipe_id")
    for pid, (score, f) in want.items():
        assert r.loc[pid, "score"] == pytest.approx(score, abs=0.0051)  # rounded to 0.01
        for k in FACTORS:
            assert r.loc[pid, f"f_{k}"] == pytest.approx(f[k], abs=6e-5)
    # the contributions add up to the score; ranks follow the score
    contrib = r[[f"c_{k}" for k in FACTORS]].sum(axis=1)
    assert np.allclose(contrib, r["score"], atol=0.04)
    ranked = res.renewal.sort_values("rank")
    assert ranked["rank"].tolist() == list(range(1, len(pipes) + 1))
    assert (np.diff(ranked["score"].to_numpy()) <= 1e-9).all()
    # totals per utility add up to the whole
    assert res.by_utility["segments"].sum() == len(pipes)
    assert res.by_utility["length_km"].sum() == pytest.approx(
        pipes.length.sum() / 1000, abs=0.01)


def test_a_scene_by_hand():
    # one old grey cast-iron gas main beside a school, one new PE water main far away
    pipes = gpd.GeoDataFrame({
        "pipe_id": ["G1", "W1"], "utility": ["gas", "water"],
        "material": ["灰口铸铁管", "PE管"], "pressure_class": ["中压A", "0.3MPa"],
        "diameter_mm": [300.0, 1200.0], "install_year": [1985, 2020]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0)]),
                  LineString([(X0, Y0 + 2000), (X0 + 100, Y0 + 2000)])], crs=CRS)
    pois = gpd.GeoDataFrame({"poi_id": ["S1"], "name": ["控江中学"], "kind": ["school"]},
                            geometry=[Point(X0 + 50, Y0 + 40)], crs=CRS)
    # C was revoked: it dug nothing and is not counted
    permits = gpd.GeoDataFrame({"permit_id": ["A", "B", "C"],
                                "planned_start": [dt.date(2024, 5, 1), dt.date(2021, 5, 1),
                                                  dt.date(2025, 1, 1)],
                                "status": ["已完工", "已完工", "已撤销"]},
                               geometry=[box(X0 + 10, Y0 + 2, X0 + 30, Y0 + 6)] * 3, crs=CRS)
    res = analyze_pipelines(pipes, as_of="2025-06-30", pois=pois, permits=permits)
    r = res.renewal.set_index("pipe_id")
    # G1: age 40/20 -> 1; material 1; 中压A 0.8; 300/1000; one recent permit (B is > 3 y
    # old) -> 1/3; no complaints; one school -> 1/2
    g = 100 * (0.25 * 1 + 0.20 * 1 + 0.10 * 0.8 + 0.05 * 0.3 + 0.15 / 3 + 0 + 0.15 * 0.5)
    # W1: age 5/30; PE 0.2; 0.3MPa 0.4; diameter capped at 1; nothing near
    w = 100 * (0.25 * 5 / 30 + 0.20 * 0.2 + 0.10 * 0.4 + 0.05 * 1)
    assert r.loc["G1", "score"] == round(g, 2) and r.loc["W1", "score"] == round(w, 2)
    assert r.loc["G1", "rank"] == 1 and r.loc["G1", "due"] and not r.loc["W1", "due"]
    assert r.loc["G1", "n_permits_near"] == 1
    safety = res.gas_safety
    assert safety[["pipe_id", "nearest_school_or_hospital", "distance_m",
                   "near_sensitive"]].values.tolist() == [["G1", "控江中学", 40.0, True]]


def test_gas_safety_puts_cast_iron_near_schools_first():
    pipes = gpd.GeoDataFrame({
        "pipe_id": ["far_old", "near_new", "steel"], "utility": ["gas"] * 3,
        "material": ["灰口铸铁管", "铸铁管", "钢管"], "install_year": [1960, 2015, 1960]},
        geometry=[LineString([(X0, Y0 + 500), (X0 + 50, Y0 + 500)]),
                  LineString([(X0, Y0), (X0 + 50, Y0)]),
                  LineString([(X0, Y0 + 10), (X0 + 50, Y0 + 10)])], crs=CRS)
    pois = gpd.GeoDataFrame({"poi_id": ["H"], "name": ["新华医院"], "kind": ["hospital"]},
                            geometry=[Point(X0 + 20, Y0 + 60)], crs=CRS)
    res = analyze_pipelines(pipes, as_of="2025-01-01", pois=pois)
    # the older main scores higher, but the one near the hospital comes first; steel is not
    # cast iron and is not in the view
    assert res.renewal.set_index("pipe_id").loc["far_old", "score"] > \
        res.renewal.set_index("pipe_id").loc["near_new", "score"]
    assert res.gas_safety["pipe_id"].tolist() == ["near_new", "far_old"]
    assert res.gas_safety["near_sensitive"].tolist() == [True, False]


def test_tables_override_and_refusals(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[weights]\nage = 0.45\nmaterial = 0.0\n[renewal_age]\nwater = 60\n'
                    '[complaint_categories]\ngas = ["燃气泄漏"]\n', encoding="utf-8")
    t = load_renewal_tables(path)
    assert t.weights["age"] == 0.45 and t.weights["stakes"] == 0.15
    assert t.renewal_age["water"] == 60 and t.renewal_age["gas"] == 20
    assert t.complaint_categories["gas"] == ("燃气泄漏",)
    for text, message in (('[weights]\nage = 0.5\n', "add up to 1.2"),
                          ('[weights]\nluck = 0.0\n', "unknown factor 'luck'"),
                          ('[material]\n"钢管" = 3\n', "not a number between 0 and 1"),
                          ('[renewal_age]\ngas = -1\n', "not a number between"),
                          ('[colours]\na = 1\n', "unknown table [colours]"),
                          ('[complaint_categories]\ngas = "燃气"\n', "must be a list"),
                          ('[weights\n', "not valid TOML")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationError) as info:
            load_renewal_tables(path)
        assert message in str(info.value), (text, str(info.value))


def test_bad_inputs_are_refused():
    pipes, *_ = _scene(1)
    for bad in ("2025-02-30", "2025-06-30garbage", "2025-06-30T25:00"):
        with pytest.raises(ValidationError, match="analysis date"):
            analyze_pipelines(pipes, as_of=bad)
    a = analyze_pipelines(pipes, as_of="2025-06-30T18:00").parameters["as_of"]
    assert a == analyze_pipelines(pipes, as_of=dt.date(2025, 6, 30)).parameters["as_of"]
    with pytest.raises(ValidationError, match="installed after"):
        analyze_pipelines(pipes.assign(install_year=2030), as_of="2025-01-01")
    with pytest.raises(ValidationError, match="damage_distance_m"):
        analyze_pipelines(pipes, as_of="2025-01-01", damage_distance_m=0)
    with pytest.raises(ValidationError, match="missing"):
        analyze_pipelines(pipes.drop(columns="utility"), as_of="2025-01-01")


@pytest.fixture(scope="module")
def pipes_registry(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipes")
    pipes, permits, complaints, pois, compounds = _scene(11)
    pipes = pipes.assign(owner="<script>window.__pwned=1</script>")
    pipes["install_year"] = pipes["install_year"].fillna(1990).astype(int)
    pipes["diameter_mm"] = pipes["diameter_mm"].fillna(200.0)
    pipes["material"] = pipes["material"].fillna("钢管")
    pipes["pressure_class"] = pipes["pressure_class"].fillna("低压")
    target = str(tmp / "reg.gpkg")
    load_layers(target, {"pipelines": pipes, "excavation_permits": permits.assign(
        applicant="a", utility="gas", planned_end=permits["planned_start"]),
        "complaints": complaints}, tmp)
    return target


def test_cli_writes_what_the_python_api_returns(pipes_registry, tmp_path):
    from yangpu_gis import open_registry, run_pipelines

    run = run_cli("analyze", "pipelines", "-r", pipes_registry, "-o", tmp_path / "cli",
                  "--json")
    assert run.returncode == 0, run
    data = json.loads(run.stdout)
    cli = pd.read_csv(tmp_path / "cli" / "renewal.csv", encoding="utf-8-sig")
    with open_registry(pipes_registry) as reg:
        api = run_pipelines(reg, tmp_path / "api", write_map=False).result
    assert data["as_of"] == api.parameters["as_of"]
    assert cli["pipe_id"].tolist() == api.renewal["pipe_id"].tolist()
    assert np.allclose(cli["score"], api.renewal["score"])
    assert list(cli.columns[:3]) == ["pipe_id", "rank", "score"]
    assert {f"c_{k}" for k in FACTORS} <= set(cli.columns)
    for name in ("by_utility", "by_subdistrict", "gas_safety", "parameters"):
        assert (tmp_path / "cli" / f"{name}.csv").exists()
    html = (tmp_path / "cli" / "pipelines_map.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html


def test_cli_refusals(pipes_registry, tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text("[weights]\nage = 2\n", encoding="utf-8")
    for args, text in ((["--date", "2025-13-01"], "analysis date"),
                       (["--tables", bad], "not a number between 0 and 1"),
                       (["--damage-years", "0"], "damage_years must be")):
        run = run_cli("analyze", "pipelines", "-r", pipes_registry, "-o", tmp_path / "x", *args)
        assert run.returncode == 2 and not crashed(run.output) and text in run.output, run

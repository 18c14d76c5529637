"""Root causes of 12345 work orders (``analyze causes``).

Oracles: a brute-force linkage (every order against every cause with plain shapely
distances and Python date arithmetic) on random scenes from hypothesis; hand-computed date
edges in Shanghai time; the causes planted in the demo year (:mod:`yangpu_gis.datasets.
demo.caused`) found again; the CLI in a subprocess against the Python API on one registry.
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

from yangpu_gis.analysis.causes import (
    CAUSES_DEFAULTS,
    DEFAULT_CAUSE_RULES,
    analyze_causes,
    load_cause_rules,
)
from yangpu_gis.analysis.road_condition import GOOD_GRADES, grade_pci
from yangpu_gis.errors import ValidationError

from .cli_run import crashed, run_cli
from .conftest import load_layers

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_463_000.0
CATS = ["掘路施工", "噪声", "积水", "道路破损", "违法停车", "井盖缺失"]


def _orders(xs, ys, times, cats) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"complaint_id": [f"GD{i:05d}" for i in range(len(xs))],
                             "received_at": list(times), "category": list(cats)},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in zip(xs, ys, strict=True)],
                            crs=CRS)


def _scene(seed: int, n: int = 60):
    """Random orders, permits (some revoked), depressions and roads on 1 km²."""
    rng = np.random.default_rng(seed)
    day0 = pd.Timestamp("2025-03-01", tz="Asia/Shanghai")
    times = [day0 + pd.Timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 60, n)]
    orders = _orders(rng.uniform(0, 1000, n), rng.uniform(0, 1000, n), times,
                     rng.choice(CATS, n))
    k = int(rng.integers(1, 12))
    starts = [dt.date(2025, 3, 1) + dt.timedelta(days=int(d)) for d in rng.integers(-10, 55, k)]
    permits = gpd.GeoDataFrame({
        "permit_id": [f"JL{i:03d}" for i in range(k)],
        "applicant": rng.choice(["燃气", "电力", "排水"], k),
        "planned_start": starts,
        "planned_end": [s + dt.timedelta(days=int(d)) for s, d in
                        zip(starts, rng.integers(0, 20, k), strict=True)],
        "status": rng.choice(["已完工", "施工中", "已撤销"], k, p=[0.6, 0.3, 0.1]),
    }, geometry=[box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + 6) for x, y, w in
                 zip(rng.uniform(0, 950, k), rng.uniform(0, 990, k), rng.uniform(5, 80, k),
                     strict=True)], crs=CRS)
    j = int(rng.integers(0, 6))
    deps = gpd.GeoDataFrame({"depression_id": np.arange(1, j + 1)},
                            geometry=[Point(X0 + x, Y0 + y).buffer(r) for x, y, r in
                                      zip(rng.uniform(0, 1000, j), rng.uniform(0, 1000, j),
                                          rng.uniform(5, 60, j), strict=True)], crs=CRS)
    m = int(rng.integers(1, 10))
    roads = gpd.GeoDataFrame({
        "road_id": [f"R{i:03d}" for i in range(m)],
        "road_class": rng.choice(["arterial", "branch"], m),
        "pci": np.round(rng.uniform(50, 95, m), 1),
    }, geometry=[LineString([(X0 + a, Y0 + b), (X0 + c, Y0 + d)]) for a, b, c, d in
                 rng.uniform(0, 1000, (m, 4))], crs=CRS)
    return orders, permits, deps, roads


def _brute_force(orders, permits, deps, roads, rules, p):
    """Every order against every cause, in plain Python (the oracle)."""
    live = permits[permits["status"] != "已撤销"]
    grades = grade_pci(roads["pci"], roads["road_class"])
    bad = roads[[g not in GOOD_GRADES for g in grades]]
    out = {}
    for _, o in orders.iterrows():
        when = pd.Timestamp(o["received_at"]).tz_convert("Asia/Shanghai").date()
        for kind in rules.get(o["category"], ()):
            found = []
            if kind == "permit":
                for _, q in live.iterrows():
                    d = o.geometry.distance(q.geometry)
                    lo = q["planned_start"] - dt.timedelta(days=p["permit_margin_days"])
                    hi = q["planned_end"] + dt.timedelta(days=p["permit_margin_days"])
                    if d <= p["permit_distance_m"] and lo <= when <= hi:
                        days = (when - q["planned_start"]).days
                        found.append((d, abs(days), q["permit_id"], days))
            elif kind == "depression":
                for _, q in deps.iterrows():
                    d = o.geometry.distance(q.geometry)
                    if d <= p["depression_distance_m"]:
                        found.append((d, 0, str(q["depression_id"]), None))
            else:
                for _, q in bad.iterrows():
                    d = o.geometry.distance(q.geometry)
                    if d <= p["road_distance_m"]:
                        found.append((d, 0, q["road_id"], None))
            if found:
                d, _a, cid, days = min(found)
                out[o["complaint_id"]] = (kind, cid, round(d, 2), days)
                break
    return out


PARAMS = {"permit_distance_m": CAUSES_DEFAULTS.permit_distance_m,
          "permit_margin_days": CAUSES_DEFAULTS.permit_margin_days,
          "depression_distance_m": CAUSES_DEFAULTS.depression_distance_m,
          "road_distance_m": CAUSES_DEFAULTS.road_distance_m}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), far=st.booleans())
def test_linkage_equals_brute_force(seed, far):
    orders, permits, deps, roads = _scene(seed)
    p = dict(PARAMS)
    if far:  # larger thresholds: more candidates competing for each order
        p.update(permit_distance_m=200.0, depression_distance_m=150.0, road_distance_m=90.0,
                 permit_margin_days=0)
    res = analyze_causes(orders, permits=permits, depressions=deps, roads=roads,
                         cases=pd.DataFrame({"complaint_id": orders["complaint_id"],
                                             "case_id": orders["complaint_id"]}), **p)
    want = _brute_force(orders, permits, deps, roads, DEFAULT_CAUSE_RULES, p)
    got = {r.complaint_id: (r.cause_kind, r.cause_id, r.distance_m,
                            None if pd.isna(r.days) else int(r.days))
           for r in res.causes.itertuples()}
    assert got == want
    # every order of a category with a rule is in the orders layer, linked or "none"
    ruled = orders["category"].isin(list(DEFAULT_CAUSE_RULES))
    assert len(res.orders) == int(ruled.sum())
    assert (res.orders["cause_kind"] != "none").sum() == len(want)
    # per-permit counts add up to the permit links
    assert res.permit_complaints["n_complaints"].sum() == sum(
        1 for v in want.values() if v[0] == "permit")
    share = res.explained_share[res.explained_share["subdistrict_id"] == "district"]
    assert share["explained"].sum() == len(want)


def _one_permit(times, category="噪声", margin=3):
    orders = _orders([10.0] * len(times), [0.0] * len(times), times, [category] * len(times))
    permits = gpd.GeoDataFrame({"permit_id": ["JL1"], "applicant": ["电力"],
                                "planned_start": [dt.date(2025, 3, 1)],
                                "planned_end": [dt.date(2025, 3, 10)], "status": ["施工中"]},
                               geometry=[box(X0 - 5, Y0 - 5, X0 + 5, Y0 + 5)], crs=CRS)
    res = analyze_causes(orders, permits=permits, permit_margin_days=margin)
    return dict(zip(res.causes["complaint_id"], res.causes["days"], strict=True))


def test_permit_dates_are_shanghai_days_with_the_margin():
    times = ["2025-02-26T00:00:00+08:00",   # 3 days before the start: linked, days -3
             "2025-02-25T23:59:59+08:00",   # 4 days before: not linked
             "2025-03-13T23:59:00+08:00",   # last minute of end + 3 days: linked
             "2025-03-14T00:00:00+08:00",   # a minute later: not linked
             "2025-03-13T16:30:00+00:00",   # = 03-14 00:30 in Shanghai: not linked
             "2025-03-13T15:30:00+00:00",   # = 03-13 23:30 in Shanghai: linked
             "2025-03-05T12:00:00"]         # naive: Shanghai time, linked, days 4
    got = _one_permit(times)
    assert got == {"GD00000": -3, "GD00002": 12, "GD00005": 12, "GD00006": 4}
    # without a margin only the planned period counts
    assert _one_permit(times, margin=0) == {"GD00006": 4}


def test_revoked_permits_and_categories_without_rules_link_nothing():
    orders = _orders([0.0, 0.0], [0.0, 0.0], ["2025-03-05T10:00:00+08:00"] * 2,
                     ["噪声", "违法停车"])
    permits = gpd.GeoDataFrame({"permit_id": ["JL1", "JL2"], "applicant": ["a", "b"],
                                "planned_start": [dt.date(2025, 3, 1)] * 2,
                                "planned_end": [dt.date(2025, 3, 10)] * 2,
                                "status": ["已撤销", "施工中"]},
                               geometry=[box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1),
                                         box(X0 + 30, Y0, X0 + 40, Y0 + 5)], crs=CRS)
    res = analyze_causes(orders, permits=permits)
    # the revoked permit covers the order; the live one 30 m away is the cause
    assert res.causes[["complaint_id", "cause_id", "distance_m"]].values.tolist() == [
        ["GD00000", "JL2", 30.0]]
    assert any("revoked" in n for n in res.notes)
    assert res.orders["complaint_id"].tolist() == ["GD00000"]  # 违法停车 has no rule


def test_rule_order_decides_between_kinds(tmp_path):
    # a 道路破损 order beside a bad road (10 m) and inside a live permit's footprint
    orders = _orders([0.0], [0.0], ["2025-03-05T10:00:00+08:00"], ["道路破损"])
    permits = gpd.GeoDataFrame({"permit_id": ["JL1"], "applicant": ["a"],
                                "planned_start": [dt.date(2025, 3, 1)],
                                "planned_end": [dt.date(2025, 3, 10)]},
                               geometry=[box(X0 - 2, Y0 - 2, X0 + 2, Y0 + 2)], crs=CRS)
    roads = gpd.GeoDataFrame({"road_id": ["R1"], "road_class": ["branch"], "pci": [55.0]},
                             geometry=[LineString([(X0 - 50, Y0 + 10), (X0 + 50, Y0 + 10)])],
                             crs=CRS)
    assert analyze_causes(orders, permits=permits, roads=roads).causes["cause_kind"].tolist() \
        == ["road"]
    toml = tmp_path / "rules.toml"
    toml.write_text('[causes]\n"道路破损" = ["permit", "road"]\n"扬尘" = []\n', encoding="utf-8")
    rules = load_cause_rules(toml)
    assert rules["道路破损"] == ("permit", "road") and rules["积水"] == ("depression",)
    res = analyze_causes(orders, permits=permits, roads=roads, rules=rules)
    assert res.causes[["cause_kind", "cause_id", "distance_m"]].values.tolist() == [
        ["permit", "JL1", 0.0]]
    # a good road (PCI 90: 优) explains nothing
    good = roads.assign(pci=90.0)
    assert analyze_causes(orders, roads=good).causes.empty


@pytest.mark.parametrize("text, message", [
    ('[causes]\n"积水" = ["sewer"]\n', "unknown cause kind 'sewer'"),
    ('[causes]\n"积水" = 3\n', "give a list of cause kinds"),
    ('[causes]\n积水 = ["depression"]\n', "not valid TOML"),
    ('[other]\n"积水" = ["depression"]\n', "no [causes] table"),
    ('[causes]\n"积水" = ["road", "road"]\n', "names a kind twice"),
])
def test_bad_rule_files_are_refused(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=None) as info:
        load_cause_rules(path)
    assert message in str(info.value) or message in (info.value.hint or "")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[causes]\n"积水" = ["depression"]\n'.encode("gb18030"))
    with pytest.raises(ValidationError, match="UTF-8"):
        load_cause_rules(bad)


def test_thresholds_are_checked():
    orders = _orders([0.0], [0.0], ["2025-03-05T10:00:00+08:00"], ["噪声"])
    for kw in ({"permit_distance_m": 0.0}, {"road_distance_m": float("nan")},
               {"permit_margin_days": -1}, {"permit_margin_days": 1.5}):
        with pytest.raises(ValidationError):
            analyze_causes(orders, **kw)


# ------------------------------------------------------------------ the demo's planted causes
@pytest.fixture(scope="module")
def demo_causes():
    from yangpu_gis.analysis.waterlogging import find_depressions
    from yangpu_gis.datasets import demo
    from yangpu_gis.datasets.demo.raster import demo_dem, road_pits

    layers = demo.generate()
    dem = demo_dem(layers)
    deps = find_depressions(dem.values, dem.transform, catchments=False,
                            crs=dem.crs).polygons()
    res = analyze_causes(layers["complaints"], permits=layers["excavation_permits"],
                         depressions=deps, roads=layers["roads"],
                         subdistricts=layers["subdistricts"])
    planted = pd.DataFrame(layers["complaints"].attrs["planted_causes"],
                           columns=["complaint_id", "truth"])
    planted[["kind", "tid"]] = planted["truth"].str.split(":", n=1, expand=True)
    pits = road_pits(layers["districts"], layers["roads"])
    return layers, res, planted, pits, deps


def test_planted_works_are_found(demo_causes):
    layers, res, planted, _pits, _deps = demo_causes
    works = planted[planted["kind"] == "permit"].merge(res.causes, on="complaint_id",
                                                       how="left")
    assert len(works) > 80
    assert (works["cause_kind"] == "permit").all()
    exact = works["cause_id"] == works["tid"]
    assert exact.mean() > 0.9
    # where another permit won, it is at least as near as the planted one and also live
    permits = layers["excavation_permits"].set_index("permit_id")
    orders = layers["complaints"].set_index("complaint_id")
    for r in works[~exact].itertuples():
        d_truth = orders.geometry[r.complaint_id].distance(permits.geometry[r.tid])
        assert r.distance_m <= round(d_truth, 2) + 1e-9


def test_planted_floods_and_bad_roads_are_found(demo_causes):
    _layers, res, planted, pits, deps = demo_causes
    floods = planted[planted["kind"] == "pit"].merge(res.causes, on="complaint_id",
                                                     how="left")
    assert len(floods) > 100 and (floods["cause_kind"] == "depression").all()
    polys = deps.set_index(deps["depression_id"].astype(str)).geometry
    for r in floods.drop_duplicates("tid").itertuples():
        x, y, radius, _depth = pits[int(r.tid)]
        assert polys[r.cause_id].distance(Point(x, y)) <= radius  # the pit's depression
    roads = planted[planted["kind"] == "road"].merge(res.causes, on="complaint_id",
                                                     how="left")
    assert len(roads) > 300 and (roads["cause_kind"] == "road").all()
    assert (roads["cause_id"] == roads["tid"]).mean() > 0.95


def test_no_link_lies_outside_its_permit_dates(demo_causes):
    layers, res, _planted, _pits, _deps = demo_causes
    links = res.causes[res.causes["cause_kind"] == "permit"]
    permits = layers["excavation_permits"].set_index("permit_id")
    start = pd.to_datetime(permits.loc[links["cause_id"], "planned_start"]).dt.date.to_numpy()
    end = pd.to_datetime(permits.loc[links["cause_id"], "planned_end"]).dt.date.to_numpy()
    day = pd.to_datetime(links["received_at"]).dt.tz_convert("Asia/Shanghai").dt.date
    m = dt.timedelta(days=CAUSES_DEFAULTS.permit_margin_days)
    assert ((day.to_numpy() >= start - m) & (day.to_numpy() <= end + m)).all()
    assert ((day.to_numpy() - start) == pd.to_timedelta(links["days"], unit="D")).all()
    assert not permits.loc[links["cause_id"], "status"].eq("已撤销").any()


# ------------------------------------------------------------------------ CLI and map
@pytest.fixture(scope="module")
def causes_registry(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("causes")
    orders, permits, deps, roads = _scene(7, n=200)
    orders["received_at"] = [t.isoformat() for t in orders["received_at"]]
    orders.loc[0, "category"] = "噪声"
    orders.loc[0, "text"] = "<img src=x onerror=alert(1)>[bold]噪声[/]"
    permits.loc[0, "applicant"] = "<script>window.__pwned=1</script>"
    subs = gpd.GeoDataFrame({"subdistrict_id": ["310110001"], "name": ["测试街道"]},
                            geometry=[box(X0 - 50, Y0 - 50, X0 + 1050, Y0 + 1050)], crs=CRS)
    target = str(tmp / "reg.gpkg")
    load_layers(target, {"subdistricts": subs, "roads": roads.assign(
        name="测试路", width_m=10.0), "excavation_permits": permits.assign(utility="gas"), "complaints": orders},
        tmp)
    return target, tmp, deps


def test_cli_writes_what_the_python_api_returns(causes_registry, tmp_path):
    from yangpu_gis import open_registry, run_causes

    target, _tmp, _deps = causes_registry
    run = run_cli("analyze", "causes", "-r", target, "-o", tmp_path / "cli", "--json")
    assert run.returncode == 0, run
    data = json.loads(run.stdout)
    assert "the registry has no raster 'dem': 积水 is not linked" in data["notes"]
    cli = pd.read_csv(tmp_path / "cli" / "causes.csv", encoding="utf-8-sig", dtype=str)
    with open_registry(target) as reg:
        api = run_causes(reg, tmp_path / "api", write_map=False).result.causes
    assert len(cli) == len(api) == data["linked"] > 0
    assert cli["complaint_id"].tolist() == api["complaint_id"].tolist()
    assert cli["cause_id"].tolist() == api["cause_id"].tolist()
    for name in ("permit_complaints", "applicant_complaints", "road_complaints",
                 "depression_complaints", "explained_share", "cause_rules", "parameters"):
        assert (tmp_path / "cli" / f"{name}.csv").exists()
    html = (tmp_path / "cli" / "causes_map.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html and '<script src="http' not in html


def test_cli_refusals_name_the_problem(causes_registry, tmp_path):
    target, tmp, _deps = causes_registry
    rules = tmp_path / "r.toml"
    rules.write_text('[causes]\n"积水" = ["sewer"]\n', encoding="utf-8")
    for args, text in ((["--rules", rules], "unknown cause kind 'sewer'"),
                       (["--rules", tmp_path / "missing.toml"], "no such file"),
                       (["--permit-distance-m", "-5"], "permit_distance_m must be a positive"),
                       (["--as-of", "1999-01-01"], "")):
        run = run_cli("analyze", "causes", "-r", target, "-o", tmp_path / "x", *args)
        assert run.returncode in (1, 2), run
        assert not crashed(run.output) and text in run.output, run


def test_as_of_reads_the_registry_as_it_stood(causes_registry, tmp_path):
    target, _tmp, _deps = causes_registry
    # batch 3 is the permits' load: no complaints yet, which is refused with a clear message
    run = run_cli("analyze", "causes", "-r", target, "-o", tmp_path / "x", "--as-of", "3")
    assert run.returncode == 2 and "the registry has no complaints" in run.output, run
    run = run_cli("analyze", "causes", "-r", target, "-o", tmp_path / "y", "--as-of", "4",
                  "--json", "--no-map")
    assert run.returncode == 0, run
    assert json.loads(run.stdout)["orders_with_rule"] > 0

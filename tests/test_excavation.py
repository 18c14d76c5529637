"""Excavation coordination: every analysis against a brute-force oracle on random inputs,
edge cases by hand, the permit check, the PostGIS path, the CLI on both backends, the map."""

from __future__ import annotations

import datetime as dt
import json
import re
from itertools import combinations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, box
from typer.testing import CliRunner

from yangpu_gis.analysis.excavation import (
    analyze_excavation,
    check_permit,
    conflicts,
    coordination_groups,
    hot_roads,
    moratorium_breaches,
    moratorium_windows,
    permit_status,
    pipelines_at_risk,
    roads_summary,
    trench_along,
)
from yangpu_gis.errors import CRSError, ValidationError

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_462_000.0  # inside Yangpu, working CRS
D0 = dt.date(2023, 1, 1)


# --------------------------------------------------------------------------- builders
def permits_frame(rows, crs=CRS) -> gpd.GeoDataFrame:
    """rows: (id, geometry, start, end[, utility])"""
    return gpd.GeoDataFrame({
        "permit_id": [r[0] for r in rows],
        "applicant": ["单位" + r[0] for r in rows],
        "utility": [r[4] if len(r) > 4 else "water" for r in rows],
        "planned_start": pd.to_datetime([str(r[2]) for r in rows]),
        "planned_end": pd.to_datetime([str(r[3]) for r in rows]),
    }, geometry=[r[1] for r in rows], crs=crs)


def random_permits(seed: int, n: int = 70, size: float = 160.0) -> gpd.GeoDataFrame:
    """Grid-snapped rectangles, lines and two-part MultiPolygons (many exact touches)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        x, y = rng.integers(0, size, 2).astype(float)
        w, h = rng.integers(1, 40), rng.integers(1, 6)
        kind = rng.random()
        if kind < 0.15:
            g = LineString([(X0 + x, Y0 + y), (X0 + x + w, Y0 + y)])
        elif kind < 0.3:
            dx = rng.integers(5, 60)
            g = MultiPolygon([box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h),
                              box(X0 + x + w + dx, Y0 + y, X0 + x + 2 * w + dx, Y0 + y + h)])
        else:
            g = box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
        start = D0 + dt.timedelta(days=int(rng.integers(0, 700)))
        end = start + dt.timedelta(days=int(rng.integers(0, 60)))
        rows.append((f"P{k:03d}", g, start, end, str(rng.choice(["water", "gas", "power"]))))
    return permits_frame(rows)


def random_roads(seed: int, n: int = 12, size: float = 160.0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + 1000)
    geoms, built, repair = [], [], []
    for _ in range(n):
        x, y = rng.integers(0, size, 2).astype(float)
        if rng.random() < 0.5:
            geoms.append(LineString([(X0 + x, Y0), (X0 + x + rng.integers(-50, 50), Y0 + size)]))
        else:
            geoms.append(LineString([(X0, Y0 + y), (X0 + size, Y0 + y + rng.integers(-50, 50))]))
        built.append(D0 - dt.timedelta(days=int(rng.integers(0, 2500))))
        repair.append(D0 - dt.timedelta(days=int(rng.integers(-300, 1500)))
                      if rng.random() < 0.6 else None)
    return gpd.GeoDataFrame({
        "road_id": [f"R{k:02d}" for k in range(n)], "name": [f"路{k}" for k in range(n)],
        "road_class": rng.choice(["branch", "secondary", "alley"], n),
        "width_m": np.where(rng.random(n) < 0.2, np.nan, rng.integers(4, 20, n)),
        "built_date": pd.to_datetime([str(b) for b in built]),
        "last_major_repair_date": pd.to_datetime([str(r) if r else None for r in repair]),
    }, geometry=geoms, crs=CRS)


def random_pipes(seed: int, n: int = 40, size: float = 160.0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + 2000)
    geoms = []
    for _ in range(n):
        x, y = rng.uniform(0, size, 2)
        geoms.append(LineString([(X0 + x, Y0 + y),
                                 (X0 + x + rng.uniform(-80, 80), Y0 + y + rng.uniform(-80, 80))]))
    util = rng.choice(["water", "gas", "power", "telecom"], n)
    pressure = np.where(util == "gas", rng.choice(["中压B", "高压"], n), None)
    return gpd.GeoDataFrame({"pipe_id": [f"G{k:03d}" for k in range(n)], "utility": util,
                             "pressure_class": pressure}, geometry=geoms, crs=CRS)


# --------------------------------------------------------------------------- oracles
def _day(v) -> dt.date:
    return pd.Timestamp(v).date()


def oracle_conflicts(permits, distance_m, repeat_days) -> set:
    out = set()
    recs = list(permits.itertuples())
    for a, b in combinations(recs, 2):
        close = (shapely.intersects(a.geometry, b.geometry) if distance_m == 0
                 else shapely.distance(a.geometry, b.geometry) <= distance_m)
        if not close:
            continue
        sa, ea, sb, eb = map(_day, (a.planned_start, a.planned_end, b.planned_start,
                                    b.planned_end))
        lo, hi = sorted([a.permit_id, b.permit_id])
        if sa <= eb and sb <= ea:
            out.add((lo, hi, "concurrent", 0))
        else:
            gap = (sb - ea).days if sb > ea else (sa - eb).days
            if gap <= repeat_days:
                out.add((lo, hi, "repeat", gap))
    return out


def _surface(road) -> shapely.Geometry:
    w = road.width_m if np.isfinite(road.width_m) else {"branch": 12, "secondary": 20,
                                                         "alley": 5}[road.road_class]
    return road.geometry.buffer(w / 2, cap_style="flat", join_style="mitre")


def _plus_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def oracle_moratorium(permits, roads, new_years=5, repair_years=3) -> set:
    out = set()
    for p in permits.itertuples():
        start = _day(p.planned_start)
        for r in roads.itertuples():
            if not shapely.intersects(p.geometry, _surface(r)):
                continue
            for rule, since, years in (("new_road", r.built_date, new_years),
                                       ("major_repair", r.last_major_repair_date, repair_years)):
                if pd.isna(since):
                    continue
                until = _plus_years(_day(since), years) - dt.timedelta(days=1)
                if _day(since) <= start <= until:
                    out.add((p.permit_id, r.road_id, rule, until))
    return out


# --------------------------------------------------------------------------- random vs oracle
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("distance_m, repeat_days", [(0.0, 365), (4.0, 120)])
def test_conflicts_match_brute_force(seed, distance_m, repeat_days):
    permits = random_permits(seed)
    got = conflicts(permits, distance_m=distance_m, repeat_days=repeat_days)
    assert list(got.columns) == ["permit_a", "permit_b", "kind", "distance_m", "days_apart"]
    assert (got["permit_a"] < got["permit_b"]).all()
    assert set(got[["permit_a", "permit_b", "kind", "days_apart"]].itertuples(
        index=False, name=None)) == oracle_conflicts(permits, distance_m, repeat_days)
    assert len(got) > 5  # the random data do contain pairs
    by_id = permits.set_index("permit_id").geometry
    for r in got.itertuples():
        assert r.distance_m == pytest.approx(by_id[r.permit_a].distance(by_id[r.permit_b]))
        assert r.distance_m <= distance_m + 1e-9


@pytest.mark.parametrize("seed", [4, 5])
def test_moratorium_matches_brute_force(seed):
    permits, roads = random_permits(seed), random_roads(seed)
    got = moratorium_breaches(permits, roads)
    rows = {(r.permit_id, r.road_id, r.rule, _day(r.protected_until))
            for r in got.itertuples()}
    expected = oracle_moratorium(permits, roads)
    assert rows == expected and len(expected) > 0


@pytest.mark.parametrize("seed", [6, 7])
def test_pipelines_at_risk_match_brute_force(seed):
    permits, pipes = random_permits(seed), random_pipes(seed)
    got = pipelines_at_risk(permits, pipes, clearance_m=1.5, gas_clearance_m=6.0,
                            gas_high_pressure_clearance_m=30.0)
    expected = set()
    for p in permits.itertuples():
        for q in pipes.itertuples():
            c = (30.0 if q.pressure_class == "高压" else 6.0) if q.utility == "gas" else 1.5
            if shapely.distance(p.geometry, q.geometry) <= c:
                expected.add((p.permit_id, q.pipe_id))
    assert set(zip(got["permit_id"], got["pipe_id"], strict=True)) == expected
    assert len(expected) > 0


@pytest.mark.parametrize("seed", [8, 9])
def test_roads_summary_matches_brute_force(seed):
    permits, roads = random_permits(seed), random_roads(seed)
    pairs = conflicts(permits)
    got = roads_summary(permits, roads, pairs)
    digs, metres, repeats = {}, {}, {}
    on_road = {}
    for p in permits.itertuples():
        for r in roads.itertuples():
            surf = _surface(r)
            if shapely.intersects(p.geometry, surf):
                key = (r.road_id, pd.Timestamp(p.planned_start).year)
                digs[key] = digs.get(key, 0) + 1
                part = shapely.get_coordinates(shapely.intersection(p.geometry, surf))
                pos = [r.geometry.project(Point(xy)) for xy in part] or [0.0]
                metres[key] = metres.get(key, 0.0) + max(pos) - min(pos)
                on_road.setdefault(p.permit_id, set()).add(r.road_id)
    start = permits.set_index("permit_id")["planned_start"]
    for a, b in pairs[pairs["kind"] == "repeat"][["permit_a", "permit_b"]].itertuples(
            index=False, name=None):
        for road in on_road.get(a, set()) & on_road.get(b, set()):
            key = (road, max(start[a].year, start[b].year))
            repeats[key] = repeats.get(key, 0) + 1
    assert {(r.road_id, r.year): r.digs for r in got.itertuples()} == digs
    assert {(r.road_id, r.year): r.repeats for r in got.itertuples() if r.repeats} == repeats
    for r in got.itertuples():
        assert r.metres_dug == pytest.approx(metres[(r.road_id, r.year)], abs=1e-6)


@pytest.mark.parametrize("seed", [10, 11])
def test_groups_are_connected_components(seed):
    permits = random_permits(seed, n=90)
    pairs = conflicts(permits, distance_m=2.0)
    groups = coordination_groups(permits, pairs)
    # independent union-find
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(pairs["permit_a"], pairs["permit_b"], strict=True):
        parent[find(a)] = find(b)
    comps = {}
    for x in list(parent):
        comps.setdefault(find(x), set()).add(x)
    assert {frozenset(s.split(",")) for s in groups["permit_ids"]} == {
        frozenset(c) for c in comps.values()}
    assert (groups["digs_saved"] == groups["permits"] - 1).all()
    assert groups["digs_saved"].is_monotonic_decreasing
    assert list(groups["group_id"][:2]) == ["G001", "G002"]
    first = groups.iloc[0]
    members = permits[permits["permit_id"].isin(first["permit_ids"].split(","))]
    assert first["start"] == members["planned_start"].min()
    assert first["span_days"] == (members["planned_end"].max() - first["start"]).days + 1


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_check_permit_equals_full_analysis(seed):
    permits, roads, pipes = random_permits(seed), random_roads(seed), random_pipes(seed)
    app = random_permits(seed + 100, n=1).assign(permit_id="NEW")
    res = check_permit(app, permits, roads, pipes)
    both = pd.concat([permits, app], ignore_index=True)
    pairs = conflicts(both)
    mine = pairs[(pairs["permit_a"] == "NEW") | (pairs["permit_b"] == "NEW")]
    other = np.where(mine["permit_a"] == "NEW", mine["permit_b"], mine["permit_a"])
    assert set(zip(other, mine["kind"], mine["days_apart"], strict=True)) == set(
        zip(res.conflicts["permit_id"], res.conflicts["kind"], res.conflicts["days_apart"],
            strict=True))
    graph = nx.Graph(list(zip(pairs["permit_a"], pairs["permit_b"], strict=True)))
    group = nx.node_connected_component(graph, "NEW") - {"NEW"} if "NEW" in graph else set()
    assert set(res.group["permit_id"]) == group
    full_m = moratorium_breaches(both, roads)
    assert len(res.moratorium) == int((full_m["permit_id"] == "NEW").sum())
    expected = ("refuse" if len(res.moratorium) else "coordinate" if len(res.conflicts)
                else "conditions" if len(res.pipelines) else "approve")
    assert res.verdict == expected and res.verdict_line.startswith("VERDICT ")


# --------------------------------------------------------------------------- edge cases
def d(days: int) -> dt.date:
    return D0 + dt.timedelta(days=days)


def test_touching_at_a_point_and_sharing_one_day():
    p = permits_frame([("A", box(X0, Y0, X0 + 10, Y0 + 2), d(0), d(10)),
                       ("B", box(X0 + 10, Y0 + 2, X0 + 20, Y0 + 4), d(10), d(20)),  # corner
                       ("C", box(X0 + 20.5, Y0 + 2, X0 + 30, Y0 + 4), d(21), d(22))])
    got = conflicts(p)
    assert got.to_dict(orient="records") == [
        {"permit_a": "A", "permit_b": "B", "kind": "concurrent", "distance_m": 0.0,
         "days_apart": 0}]
    near = conflicts(p, distance_m=0.5)  # B–C 0.5 m apart, C starts the day after B ends
    assert near[["permit_a", "permit_b", "kind", "days_apart"]].values.tolist() == [
        ["A", "B", "concurrent", 0], ["B", "C", "repeat", 1]]


@pytest.mark.parametrize("gap, found", [(365, True), (366, False), (1, True)])
def test_repeat_days_boundary(gap, found):
    p = permits_frame([("A", box(X0, Y0, X0 + 10, Y0 + 2), d(0), d(10)),
                       ("B", box(X0 + 5, Y0, X0 + 15, Y0 + 2), d(10 + gap), d(20 + gap))])
    got = conflicts(p, repeat_days=365)
    assert (len(got) == 1) is found
    if found:
        assert got.iloc[0][["kind", "days_apart"]].tolist() == ["repeat", gap]


def test_ids_ordered_as_strings():
    p = permits_frame([("P10", box(X0, Y0, X0 + 10, Y0 + 2), d(0), d(5)),
                       ("P9", box(X0, Y0, X0 + 10, Y0 + 2), d(0), d(5))])
    assert conflicts(p)[["permit_a", "permit_b"]].values.tolist() == [["P10", "P9"]]


def two_roads(built=None, repair=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "road_id": ["R1", "R2"], "name": ["政通路", "国权路"], "road_class": ["branch", "branch"],
        "width_m": [10.0, 10.0],
        "built_date": pd.to_datetime(built or ["2010-01-01", "2010-01-01"]),
        "last_major_repair_date": pd.to_datetime(repair or [None, None]),
    }, geometry=[LineString([(X0, Y0), (X0 + 100, Y0)]),
                 LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 100)])], crs=CRS)


def test_permit_across_two_roads():
    roads = two_roads(built=["2020-03-01", "2010-01-01"], repair=[None, "2022-06-01"])
    # an L-shaped trench round the corner: 30 m on R1, 20 m on R2
    trench = shapely.union(box(X0 + 70, Y0 - 1, X0 + 101, Y0 + 1),
                           box(X0 + 99, Y0, X0 + 101, Y0 + 20))
    p = permits_frame([("A", trench, d(0), d(10))])
    summary = roads_summary(p, roads)
    assert summary[["road_id", "digs"]].values.tolist() == [["R1", 1], ["R2", 1]]
    # R1's surface (flat ends at x = X0 + 100) holds 30 m; R2's (from y = Y0) the vertical 20 m
    assert summary["metres_dug"].round(3).tolist() == [30.0, 20.0]
    breaches = moratorium_breaches(p, roads)
    assert breaches[["road_id", "rule"]].values.tolist() == [["R1", "new_road"],
                                                             ["R2", "major_repair"]]
    assert breaches["protected_until"].dt.date.tolist() == [dt.date(2025, 2, 28),
                                                            dt.date(2025, 5, 31)]


@pytest.mark.parametrize("start, breach", [
    ("2025-02-28", True), ("2025-03-01", False), ("2020-03-01", True), ("2020-02-29", False)])
def test_moratorium_boundaries(start, breach):
    roads = two_roads(built=["2020-03-01", "2000-01-01"])
    p = permits_frame([("A", box(X0 + 10, Y0 - 1, X0 + 20, Y0 + 1), start, "2025-12-31")])
    assert (len(moratorium_breaches(p, roads)) == 1) is breach


def test_moratorium_years_configurable_and_leap_day():
    roads = two_roads(built=["2020-02-29", "2000-01-01"])
    p = permits_frame([("A", box(X0 + 10, Y0 - 1, X0 + 20, Y0 + 1), "2026-01-01", "2026-01-02")])
    assert moratorium_breaches(p, roads).empty
    got = moratorium_breaches(p, roads, new_road_years=6)
    assert got["protected_until"].dt.date.tolist() == [dt.date(2026, 2, 27)]
    w = moratorium_windows(roads)
    assert w.loc[w["road_id"] == "R1", "protected_until"].dt.date.tolist() == [
        dt.date(2025, 2, 27)]


def test_multipolygon_footprints():
    multi = MultiPolygon([box(X0, Y0, X0 + 10, Y0 + 2), box(X0 + 50, Y0, X0 + 60, Y0 + 2)])
    p = permits_frame([("M", multi, d(0), d(30)),
                       ("B", box(X0 + 58, Y0, X0 + 70, Y0 + 2), d(5), d(9)),
                       ("C", box(X0 + 20, Y0, X0 + 40, Y0 + 2), d(5), d(9))])
    assert conflicts(p)[["permit_a", "permit_b"]].values.tolist() == [["B", "M"]]


def test_gas_clearance():
    p = permits_frame([("A", box(X0, Y0, X0 + 50, Y0 + 2), d(0), d(10))])
    pipes = gpd.GeoDataFrame({
        "pipe_id": ["W1", "W2", "G1", "G2", "G3"],
        "utility": ["water", "water", "gas", "gas", "gas"],
        "pressure_class": [None, None, "中压A", "中压A", "高压"],
    }, geometry=[LineString([(X0, Y0 + 2.9), (X0 + 50, Y0 + 2.9)]),    # 0.9 m
                 LineString([(X0, Y0 + 5), (X0 + 50, Y0 + 5)]),        # 3 m
                 LineString([(X0, Y0 + 7.5), (X0 + 50, Y0 + 7.5)]),    # 5.5 m
                 LineString([(X0, Y0 + 8.5), (X0 + 50, Y0 + 8.5)]),    # 6.5 m
                 LineString([(X0, Y0 + 42), (X0 + 50, Y0 + 42)])],     # 40 m, high pressure
        crs=CRS)
    got = pipelines_at_risk(p, pipes)
    assert got["pipe_id"].tolist() == ["W1", "G1", "G3"]
    assert got["clearance_m"].tolist() == [1.0, 6.0, 50.0]
    assert pipelines_at_risk(p, pipes, gas_clearance_m=1.0,
                             gas_high_pressure_clearance_m=1.0)["pipe_id"].tolist() == ["W1"]


def test_bad_inputs_are_refused():
    ok = box(X0, Y0, X0 + 1, Y0 + 1)
    with pytest.raises(ValidationError, match="not unique"):
        conflicts(permits_frame([("A", ok, d(0), d(1)), ("A", ok, d(0), d(1))]))
    with pytest.raises(ValidationError, match="before"):
        conflicts(permits_frame([("A", ok, d(5), d(1))]))
    with pytest.raises(ValidationError, match=">= 0"):
        conflicts(permits_frame([("A", ok, d(0), d(1))]), distance_m=-1)
    with pytest.raises(CRSError, match="metric"):
        conflicts(permits_frame([("A", box(121.5, 31.3, 121.6, 31.4), d(0), d(1))],
                                crs="EPSG:4326"))


def test_status_and_bundle():
    roads = two_roads(built=["2022-01-01", "2000-01-01"])
    p = permits_frame([("A", box(X0 + 10, Y0 - 1, X0 + 20, Y0 + 1), d(0), d(10)),
                       ("B", box(X0 + 15, Y0 - 1, X0 + 30, Y0 + 1), d(5), d(12)),
                       ("C", box(X0 + 100, Y0 + 60, X0 + 102, Y0 + 70), "2015-01-01",
                        "2015-01-05"),
                       ("D", box(X0 + 100, Y0 + 60, X0 + 102, Y0 + 70), "2015-06-01",
                        "2015-06-05")])
    res = analyze_excavation(p, roads, random_pipes(1).iloc[:0])
    st = res.permit_status.set_index("permit_id")
    assert st["conflict_status"].to_dict() == {"A": "moratorium", "B": "moratorium",
                                               "C": "repeat", "D": "repeat"}
    assert st.loc["A", "concurrent"] == 1 and st.loc["C", "repeats"] == 1
    assert res.counts()["groups"] == 2 and res.counts()["digs_saved"] == 2
    none = permit_status(p, res.conflicts.iloc[:0])
    assert set(none["conflict_status"]) == {"none"}


# --------------------------------------------------------------------------- CLI, both backends
def small_registry_layers():
    roads = two_roads(built=["2022-01-01", "2000-01-01"])
    p = permits_frame([("A", box(X0 + 10, Y0 - 1, X0 + 20, Y0 + 1), d(0), d(10), "gas"),
                       ("B", box(X0 + 15, Y0 - 1, X0 + 30, Y0 + 1), d(5), d(12), "water"),
                       ("C", box(X0 + 99, Y0 + 60, X0 + 101, Y0 + 70), d(0), d(4), "power"),
                       ("D", box(X0 + 99, Y0 + 65, X0 + 101, Y0 + 80), d(100), d(104), "power"),
                       ("E", box(X0 + 99, Y0 + 65, X0 + 101, Y0 + 80), d(10), d(11), "power")])
    p["status"] = ["已完工", "已完工", "已完工", "已完工", "已撤销"]
    pipes = gpd.GeoDataFrame({"pipe_id": ["RQ1", "JS1"], "utility": ["gas", "water"]},
                             geometry=[LineString([(X0, Y0 + 4), (X0 + 100, Y0 + 4)]),
                                       LineString([(X0 + 98, Y0), (X0 + 98, Y0 + 100)])],
                             crs=CRS)
    return p, roads, pipes


def test_cli_end_to_end(registry_target, tmp_path):
    from yangpu_gis import open_registry
    from yangpu_gis.cli import app

    permits, roads, pipes = small_registry_layers()
    with open_registry(registry_target) as reg:
        reg.load(permits, "excavation_permits", mode="replace")
        reg.load(roads, "roads", mode="replace")
        reg.load(pipes, "pipelines", mode="replace")
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(app, ["analyze", "excavation", "--registry", registry_target,
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["permits"] == 4 and data["excluded_permits"] == 1
    assert (data["concurrent_pairs"], data["repeat_pairs"]) == (1, 1)
    assert data["moratorium_breaches"] == 2 and data["groups"] == 2
    for name in ("conflicts.csv", "roads_summary.csv", "moratorium.csv",
                 "pipelines_at_risk.csv", "groups.csv", "excavation.gpkg",
                 "excavation_map.html"):
        assert (out / name).exists(), name
    c = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig")
    assert c[["permit_a", "permit_b", "kind", "days_apart"]].values.tolist() == [
        ["A", "B", "concurrent", 0], ["C", "D", "repeat", 96]]
    m = pd.read_csv(out / "moratorium.csv", encoding="utf-8-sig")
    assert m[["permit_id", "road_id", "rule", "protected_until"]].values.tolist() == [
        ["A", "R1", "new_road", "2026-12-31"], ["B", "R1", "new_road", "2026-12-31"]]
    import pyogrio

    assert {n for n, _ in pyogrio.list_layers(out / "excavation.gpkg")} == {
        "permits", "conflicts", "moratorium", "pipelines_at_risk", "roads_summary", "groups"}
    text = runner.invoke(app, ["analyze", "excavation", "--registry", registry_target,
                               "--out", str(out)])
    assert text.exit_code == 0 and "concurrent pairs 1" in text.stdout

    app_file = tmp_path / "application.geojson"
    application = permits_frame([("NEW", box(X0 + 25, Y0 - 1, X0 + 40, Y0 + 1), d(12), d(20))])
    application.to_crs(4326).to_file(app_file)
    res = runner.invoke(app, ["check-permit", str(app_file), "--registry", registry_target,
                              "--json"])
    assert res.exit_code == 0, res.output
    verdict = json.loads(res.stdout)
    assert verdict["verdict"] == "refuse"
    assert [c["permit_id"] for c in verdict["conflicts"]] == ["B"]
    assert {p["pipe_id"] for p in verdict["pipelines_at_risk"]} == {"RQ1"}
    # the verdict reports its own time; how fast it is belongs to benchmarks, not to a test
    # that fails when the machine is busy
    assert isinstance(verdict["seconds"], float) and verdict["seconds"] >= 0
    res = runner.invoke(app, ["check-permit", str(app_file), "--registry", registry_target])
    assert "VERDICT 不予许可 REFUSE" in res.stdout


def test_check_permit_reports_missing_file(tmp_path):
    from yangpu_gis.cli import app

    res = CliRunner().invoke(app, ["check-permit", str(tmp_path / "nope.geojson"),
                                   "--registry", str(tmp_path / "r.gpkg")])
    assert res.exit_code == 2 and "no such file" in res.output


# --------------------------------------------------------------------------- map
def test_map_has_status_classes_filter_and_escapes():
    from yangpu_gis.maps.excavation import excavation_map

    permits, roads, pipes = small_registry_layers()
    permits.loc[0, "applicant"] = "<script>alert(1)</script>"
    res = analyze_excavation(permits, roads, pipes)
    html = excavation_map(res.permits, res.permit_status, roads, moratorium_windows(roads), pipes,
                          res.pipelines_at_risk, offline=True).get_root().render()
    for text in ("杨浦区掘路协调图", "违反禁挖期", "同期冲突", "反复开挖", "禁挖期内道路",
                 "受威胁管线", "施工日期筛选", "yp-month"):
        assert text in html, text
    assert "<script>alert(1)" not in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="http', html)  # offline: no fetches


# --------------------------------------------------------------------------- one-call helpers
def test_permit_status_carries_dates_and_year():
    permits = random_permits(12)
    permits["planned_start"] = permits["planned_start"].dt.strftime("%Y-%m-%d")  # ISO text too
    res = analyze_excavation(permits, random_roads(12), random_pipes(12))
    st = res.permit_status
    assert list(st.columns[-3:]) == ["planned_start", "planned_end", "year"]
    assert st.index.equals(permits.index)
    expected = pd.to_datetime(permits["planned_start"])
    assert (st["planned_start"] == expected).all()
    assert (st["planned_end"] == permits["planned_end"]).all()
    assert st["year"].tolist() == [t.year for t in expected]
    # the GeoPackage's permits layer does not repeat the permits' own columns
    layer = res.layers()["permits"]
    assert layer.columns.is_unique and "year" not in layer.columns


@pytest.mark.parametrize("seed", [8, 9])
def test_hot_roads_equal_a_pandas_groupby(seed):
    permits, roads = random_permits(seed), random_roads(seed)
    res = analyze_excavation(permits, roads, random_pipes(seed))
    s = res.roads_summary
    expected = (s.groupby(["road_id", "name", "road_class"], as_index=False)
                .agg(digs=("digs", "sum"), repeats=("repeats", "sum"),
                     concurrent=("concurrent", "sum"), years=("year", "nunique"),
                     metres_dug=("metres_dug", "sum"))
                .sort_values(["repeats", "digs", "road_id"], ascending=[False, False, True]))
    got = hot_roads(res, top=None)
    assert got["road_id"].tolist() == expected["road_id"].tolist()
    for col in ("name", "road_class", "digs", "repeats", "concurrent", "years"):
        assert got[col].tolist() == expected[col].tolist(), col
    np.testing.assert_allclose(got["metres_dug"], expected["metres_dug"])
    assert got["repeats"].sum() > 0
    first = s.groupby("road_id")["year"].min()
    assert (got.set_index("road_id")["first_year"] == first.reindex(got["road_id"])).all()
    util = s.groupby("road_id")["utilities"].agg(
        lambda v: ",".join(sorted(set(",".join(v).split(",")) - {""})))
    assert (got.set_index("road_id")["utilities"] == util.reindex(got["road_id"])).all()
    # a summary table works as well as the result; top keeps the first rows
    pd.testing.assert_frame_equal(hot_roads(s, top=3), got.head(3))
    assert len(hot_roads(res)) == min(10, len(got))
    with pytest.raises(ValidationError, match="top"):
        hot_roads(res, top=-1)


def test_trench_along_equals_shapely_substring_and_buffer():
    from shapely.ops import substring

    from yangpu_gis.catalogue import get_layer

    bent = LineString([(X0, Y0), (X0 + 120, Y0), (X0 + 120, Y0 + 80), (X0 + 200, Y0 + 140)])
    roads = gpd.GeoDataFrame({"road_id": ["R7", "R8"], "name": ["长阳路", "其他路"],
                              "road_class": ["secondary", "branch"]},
                             geometry=[bent, LineString([(X0, Y0 + 500), (X0 + 50, Y0 + 500)])],
                             crs=CRS)
    app = trench_along(roads, "R7", from_m=20, to_m=-20, width_m=1.5,
                       planned_start="2026-03-02", planned_end=dt.date(2026, 3, 22),
                       applicant="自来水公司", utility="water", permit_id="NEW-1")
    expected = substring(bent, 20, bent.length - 20).buffer(0.75, cap_style="flat")
    g = app.geometry.iloc[0]
    assert len(app) == 1 and app.crs == roads.crs
    assert g.symmetric_difference(expected).area == pytest.approx(0, abs=1e-6)
    assert g.area == pytest.approx(expected.area)
    # a trench's area is its length times its width, up to the bends' wedges
    assert g.area == pytest.approx((bent.length - 40) * 1.5, rel=0.01)
    assert list(app.columns) == [*get_layer("excavation_permits").column_names, "geometry"]
    row = app.iloc[0]
    assert (row["permit_id"], row["applicant"], row["utility"], row["road_id"]) == (
        "NEW-1", "自来水公司", "water", "R7")
    assert (row["planned_start"], row["planned_end"]) == (pd.Timestamp("2026-03-02"),
                                                          pd.Timestamp("2026-03-22"))
    # from_m/to_m counted from the start; to_m=None is the end
    whole = trench_along(roads, "R7", width_m=2, planned_start="2026-01-01",
                         planned_end="2026-01-02")
    assert whole.geometry.iloc[0].area == pytest.approx(
        bent.buffer(1, cap_style="flat").area)
    part = trench_along(roads, "R7", from_m=10, to_m=60, width_m=1, planned_start="2026-01-01",
                        planned_end="2026-01-02")
    assert part.geometry.iloc[0].area == pytest.approx(50.0)
    # it is an application check_permit takes
    other = permits_frame([("P1", box(X0 + 30, Y0 - 1, X0 + 50, Y0 + 1), "2026-03-10",
                            "2026-03-30")])
    pipes = gpd.GeoDataFrame({"pipe_id": [], "utility": []}, geometry=[], crs=CRS)
    check = check_permit(app, other, roads, pipes)
    assert check.verdict == "coordinate" and check.conflicts["permit_id"].tolist() == ["P1"]
    assert check.roads["road_id"].tolist() == ["R7"]


def test_trench_along_merges_segments_and_refuses_bad_stretches():
    roads = gpd.GeoDataFrame({"road_id": ["R1", "R1", "R2"]},
                             geometry=[LineString([(X0, Y0), (X0 + 60, Y0)]),
                                       LineString([(X0 + 60, Y0), (X0 + 100, Y0)]),
                                       LineString([(X0, Y0 + 50), (X0 + 10, Y0 + 50)])],
                             crs=CRS)
    kw = {"width_m": 1.0, "planned_start": "2026-01-01", "planned_end": "2026-01-05"}
    app = trench_along(roads, "R1", from_m=-90, to_m=-10, **kw)
    assert app.geometry.iloc[0].area == pytest.approx(80.0)
    assert app.geometry.iloc[0].bounds[0] == pytest.approx(X0 + 10)
    with pytest.raises(ValidationError, match="no road"):
        trench_along(roads, "R9", **kw)
    with pytest.raises(ValidationError, match="not a stretch"):
        trench_along(roads, "R2", from_m=5, to_m=20, **kw)
    with pytest.raises(ValidationError, match="not a stretch"):
        trench_along(roads, "R2", from_m=8, to_m=3, **kw)
    with pytest.raises(ValidationError, match="width_m"):
        trench_along(roads, "R2", **{**kw, "width_m": 0})
    with pytest.raises(ValidationError, match="before"):
        trench_along(roads, "R2", **{**kw, "planned_end": "2025-12-31"})
    with pytest.raises(CRSError):
        trench_along(roads.to_crs(4326), "R2", **kw)


def test_map_of_one_coordination_group():
    from yangpu_gis.maps.excavation import _one_group, excavation_map

    permits, roads, pipes = small_registry_layers()
    permits = permits.iloc[:4].copy()                    # E is revoked
    permits["permit_id"] = ["JL-A", "JL-B", "JL-C", "JL-D"]
    far = gpd.GeoDataFrame({"road_id": ["R3"], "name": ["远方路"], "road_class": ["branch"],
                            "width_m": [10.0], "built_date": pd.to_datetime(["2010-01-01"]),
                            "last_major_repair_date": pd.to_datetime([None])},
                           geometry=[LineString([(X0 + 2000, Y0), (X0 + 2100, Y0)])], crs=CRS)
    roads = pd.concat([far, roads], ignore_index=True)   # windows' rows must be renumbered
    res = analyze_excavation(permits, roads, pipes)
    st = res.permit_status
    windows = moratorium_windows(roads)
    gid = st.loc[st["permit_id"] == "JL-C", "group_id"].iloc[0]
    members = st["group_id"] == gid
    assert sorted(st.loc[members, "permit_id"]) == ["JL-C", "JL-D"]
    # by hand: C and D lie 60–80 m up 国权路 (R2), 60 m from 政通路 (R1)
    p, s, r, w, risk = _one_group(permits, st, roads, windows, res.pipelines_at_risk, gid, 300)
    assert sorted(p["permit_id"]) == ["JL-C", "JL-D"] and s.index.equals(p.index)
    assert sorted(r["road_id"]) == ["R1", "R2"]
    assert set(risk["permit_id"]) <= {"JL-C", "JL-D"}
    # each window still points at its own road after the cut
    before = windows.assign(road=roads["road_id"].to_numpy()[windows["row"]])
    after = w.assign(road=r["road_id"].to_numpy()[w["row"]])
    assert sorted(map(tuple, after[["road", "rule"]].values)) == sorted(
        map(tuple, before.loc[before["road"].isin(["R1", "R2"]), ["road", "rule"]].values))
    _, _, r30, w30, _ = _one_group(permits, st, roads, windows, res.pipelines_at_risk, gid, 30)
    assert r30["road_id"].tolist() == ["R2"] and set(w30["row"]) <= {0}
    html = excavation_map(permits, st, roads, windows, pipes, res.pipelines_at_risk,
                          group_id=gid, clip_m=30, offline=True,
                          data_date="2026-06-30").get_root().render()
    assert "JL-C" in html and "JL-D" in html and "JL-A" not in html and "JL-B" not in html
    assert "国权路" in html and "政通路" not in html and "远方路" not in html
    assert f"掘路协调组 {gid}" in html and "2026-06-30" in html
    with pytest.raises(ValidationError, match="G999"):
        excavation_map(permits, st, roads, windows, pipes, res.pipelines_at_risk,
                       group_id="G999")


# --------------------------------------------------------------------------- defaults, result
def test_defaults_are_one_place_with_units_and_sources():
    from dataclasses import fields

    from yangpu_gis.analysis.excavation import EXCAVATION_DEFAULTS, ExcavationResult

    for f in fields(EXCAVATION_DEFAULTS):
        assert "unit" in f.metadata and f.metadata["source"], f.name
    permits, roads, pipes = small_registry_layers()
    res = analyze_excavation(permits, roads, pipes)
    assert isinstance(res, ExcavationResult) and res.topic == "excavation"
    assert res.parameters["repeat_days"] == EXCAVATION_DEFAULTS.repeat_days
    table = res.parameters_table()
    assert list(table.columns) == ["parameter", "value", "unit", "source"]
    assert (table.set_index("parameter").loc["repeat_days", "unit"]) == "days"
    assert list(res.tables()) == ["conflicts", "roads_summary", "moratorium",
                                  "pipelines_at_risk", "groups"]
    assert res.tables()["moratorium"]["protected_until"].tolist() == ["2026-12-31"] * 2
    assert set(res.layers()) == {"permits", "conflicts", "moratorium", "pipelines_at_risk",
                                 "roads_summary", "groups"}

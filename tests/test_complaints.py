"""12345 complaints: merging, routing, Gi* hot spots, recurrence, density, trends, CLI.

Oracles: a brute-force O(n²) union-find for the space-time merge, esda called directly on
the same weights for Gi*, a shapely ``contains`` loop for routing, scipy's gaussian_kde and
the integral of the density for the KDE.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box
from typer.testing import CliRunner

from yangpu_gis.analysis.complaints import (
    DEFAULT_CATEGORY_TABLE,
    analyze_complaints,
    cell_weights,
    density_total,
    department_for,
    handling_times,
    hex_grid,
    hot_spots,
    kernel_density,
    load_category_table,
    merge_duplicates,
    pseudo_p_value,
    recurring_spots,
    route_cases,
    weekly_trends,
)

from .conftest import load_layers

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_463_000.0
T0 = pd.Timestamp("2025-03-01 08:00", tz="Asia/Shanghai")


def _orders(rows) -> gpd.GeoDataFrame:
    """rows: (complaint_id, x, y, hours after T0, category)."""
    return gpd.GeoDataFrame(
        {"complaint_id": [r[0] for r in rows],
         "received_at": [T0 + pd.Timedelta(hours=r[3]) for r in rows],
         "category": [r[4] for r in rows]},
        geometry=[Point(X0 + r[1], Y0 + r[2]) for r in rows], crs=CRS)


def _brute_force_cases(x, y, t_h, cat, distance_m, hours, linkable=None
                       ) -> list[tuple[int, ...]]:
    """Single linkage by union-find over all pairs (the oracle); orders outside ``linkable``
    (default: none) stay cases of their own."""
    n = len(x)
    parent = list(range(n))
    linkable = np.ones(n, dtype=bool) if linkable is None else linkable

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if (linkable[i] and linkable[j] and cat[i] == cat[j]
                    and np.hypot(x[i] - x[j], y[i] - y[j]) <= distance_m
                    and abs(t_h[i] - t_h[j]) <= hours):
                parent[find(i)] = find(j)
    groups: dict[int, set[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), set()).add(i)
    return sorted(tuple(sorted(g)) for g in groups.values())


def _partition(order_map: pd.DataFrame) -> list[tuple[int, ...]]:
    pos = {cid: i for i, cid in enumerate(order_map["complaint_id"])}
    return sorted(tuple(sorted(pos[c] for c in g["complaint_id"]))
                  for _, g in order_map.groupby("case_id"))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_merge_matches_brute_force_single_linkage(seed):
    rng = np.random.default_rng(seed)
    n = 400
    # bursts: a few centres with many reports, plus background, on a 1.5 km square
    centres = rng.uniform(0, 1500, (12, 2))
    which = rng.integers(0, 12, n)
    burst = rng.random(n) < 0.6
    xy = np.where(burst[:, None], centres[which] + rng.normal(0, 30, (n, 2)),
                  rng.uniform(0, 1500, (n, 2)))
    t_h = np.round(rng.uniform(0, 24 * 60, n), 3)  # two months, millisecond-ish times
    cat = rng.choice(["噪声", "垃圾", "违法停车"], n)
    rows = [(f"GD{i:04d}", xy[i, 0], xy[i, 1], t_h[i], cat[i]) for i in range(n)]
    distance_m, hours = (50.0, 72.0) if seed % 2 == 0 else (80.0, 24.0)
    merged = merge_duplicates(_orders(rows), distance_m=distance_m, hours=hours)
    expected = _brute_force_cases(xy[:, 0], xy[:, 1], t_h, cat, distance_m, hours)
    assert _partition(merged.orders) == expected
    assert len(expected) < n - 20  # the data really has merges
    cases = merged.cases.set_index("case_id")
    sizes = merged.orders["case_id"].value_counts()
    assert (cases.loc[sizes.index, "n_orders"] == sizes).all()


def test_merge_edge_cases():
    rows = [
        ("A1", 0, 0, 0, "道路破损"), ("A2", 30, 40, 0, "道路破损"),       # exactly 50 m: linked
        ("B1", 0, 1000, 0, "道路破损"), ("B2", 50.001, 1000, 0, "道路破损"),  # 50.001 m: not
        ("C1", 0, 2000, 0, "噪声"), ("C2", 0, 2000, 72, "噪声"),         # exactly 72 h: linked
        ("D1", 0, 3000, 0, "噪声"), ("D2", 0, 3000, 72 + 1 / 3600, "噪声"),  # 72 h 1 s: not
        # a chain: E1-E2 40 m, E2-E3 40 m, E1-E3 80 m; times 0, 70, 140 h
        ("E1", 0, 4000, 0, "积水"), ("E2", 40, 4000, 70, "积水"), ("E3", 80, 4000, 140, "积水"),
        # the same spot and time, different categories: two cases
        ("F1", 0, 5000, 1, "垃圾"), ("F2", 0, 5000, 1, "占道经营"),
    ]
    merged = merge_duplicates(_orders(rows))
    case_of = dict(zip(merged.orders["complaint_id"], merged.orders["case_id"], strict=True))
    assert case_of["A1"] == case_of["A2"]
    assert case_of["B1"] != case_of["B2"]
    assert case_of["C1"] == case_of["C2"]
    assert case_of["D1"] != case_of["D2"]
    assert case_of["E1"] == case_of["E2"] == case_of["E3"]
    assert case_of["F1"] != case_of["F2"]
    cases = merged.cases.set_index("case_id")
    e = cases.loc[case_of["E1"]]
    assert e["n_orders"] == 3 and e["category"] == "积水"
    assert e["first_received_at"] == T0 and e["last_received_at"] == T0 + pd.Timedelta(hours=140)
    assert (e["x"], e["y"]) == pytest.approx((X0 + 40, Y0 + 4000))
    assert e["first_complaint_id"] == "E1"
    # case ids follow the first reception; orders keep the input order
    assert list(merged.orders["complaint_id"]) == [r[0] for r in rows]
    firsts = merged.cases["first_received_at"].to_numpy()
    assert (firsts[1:] >= firsts[:-1]).all()
    assert list(merged.cases.columns[:7]) == ["case_id", "category", "first_received_at",
                                              "last_received_at", "n_orders",
                                              "subdistrict_id", "grid_id"]


def test_road_precision_orders_stay_single_and_go_to_manual_dispatch():
    orders = _orders([("P1", 0, 0, 0, "噪声"), ("P2", 0, 0, 1, "噪声"), ("P3", 0, 0, 2, "噪声")])
    orders["location_precision"] = ["point", "road", "road"]
    merged = merge_duplicates(orders)
    assert len(merged.cases) == 3
    routing = route_cases(merged.cases, subdistricts=None, grid_cells=None)
    assert routing.set_index("case_id").loc[merged.orders["case_id"].iloc[1],
                                            "reason"] == "road_precision"
    assert merge_duplicates(orders.iloc[:0]).cases.empty


def _town():
    """Two subdistricts side by side, four grid cells, a gap with no grid cell."""
    subs = gpd.GeoDataFrame({"subdistrict_id": ["S1", "S2"], "name": ["甲街道", "乙街道"]},
                            geometry=[box(X0, Y0, X0 + 500, Y0 + 400),
                                      box(X0 + 500, Y0, X0 + 1000, Y0 + 400)], crs=CRS)
    grid = gpd.GeoDataFrame(
        {"grid_id": ["G1", "G2", "G3", "G4"], "subdistrict_id": ["S1", "S1", "S2", "S2"]},
        geometry=[box(X0, Y0, X0 + 250, Y0 + 400), box(X0 + 250, Y0, X0 + 500, Y0 + 400),
                  box(X0 + 500, Y0, X0 + 750, Y0 + 300), box(X0 + 750, Y0, X0 + 1000, Y0 + 300)],
        crs=CRS)
    return subs, grid


def test_routing_matches_point_in_polygon_by_hand():
    subs, grid = _town()
    rng = np.random.default_rng(5)
    n = 300
    xy = rng.uniform([-60, -60], [1060, 460], (n, 2))
    cats = rng.choice(["噪声", "积水", "违法停车", "外星人"], n)
    orders = _orders([(f"R{i}", xy[i, 0], xy[i, 1], i * 100.0, cats[i]) for i in range(n)])
    merged = merge_duplicates(orders, subdistricts=subs, grid_cells=grid)
    routing = route_cases(merged.cases, subdistricts=subs, grid_cells=grid,
                          boundary_tolerance_m=15)
    assert len(routing) == n  # 100 h apart: nothing merges
    for case, r in zip(merged.cases.itertuples(), routing.itertuples(), strict=True):
        p = case.geometry
        in_sub = [s for s, g in zip(subs["subdistrict_id"], subs.geometry, strict=True)
                  if g.contains(p) or g.boundary.contains(p)]
        in_grid = [s for s, g in zip(grid["grid_id"], grid.geometry, strict=True)
                   if g.contains(p) or g.boundary.contains(p)]
        assert _v(r.subdistrict_id) == (in_sub[0] if in_sub else None)
        assert _v(r.grid_id) == (in_grid[0] if in_grid else None)
        assert _v(case.grid_id) == (in_grid[0] if in_grid else None)
        assert _v(case.subdistrict_id) == (in_sub[0] if in_sub else None)
        border = min(g.boundary.distance(p) for g in subs.geometry)
        expected = []
        if not in_sub:
            expected.append("outside_subdistrict")
        if not in_grid:
            expected.append("outside_grid")
        if border <= 15:
            expected.append("boundary")
        if r.category == "外星人":
            expected.append("unknown_category")
        assert r.reason == ";".join(expected), (p, r)
        assert r.dispatch == ("manual" if expected else "auto")
        assert r.border_distance_m == pytest.approx(border, abs=0.01)
        assert _v(r.department) == DEFAULT_CATEGORY_TABLE.department(r.category)
        assert _v(r.subdistrict_name) == ({"S1": "甲街道", "S2": "乙街道"}[in_sub[0]]
                                          if in_sub else None)
    # a point exactly on the edge shared by G1 and G2 goes to manual dispatch
    edge = merge_duplicates(_orders([("E", 250, 200, 0, "噪声")]), subdistricts=subs,
                            grid_cells=grid)
    r = route_cases(edge.cases, subdistricts=subs, grid_cells=grid).iloc[0]
    assert r.grid_id == "G1" and r.reason == "several_grids"


def _v(value):
    return None if pd.isna(value) else value


def _square_cells(k: int, size: float = 100.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"cell_id": [f"c{i}_{j}" for i in range(k) for j in range(k)]},
        geometry=[box(X0 + j * size, Y0 + i * size, X0 + (j + 1) * size, Y0 + (i + 1) * size)
                  for i in range(k) for j in range(k)], crs=CRS)


def test_gi_star_matches_esda_on_the_same_weights():
    import esda

    cells = _square_cells(9)
    rng = np.random.default_rng(11)
    pts, cats = [], []
    for c in cells.geometry:  # background
        for _ in range(rng.poisson(2)):
            pts.append(Point(rng.uniform(c.bounds[0], c.bounds[2]),
                             rng.uniform(c.bounds[1], c.bounds[3])))
            cats.append("噪声")
    for _ in range(120):  # a planted cluster around cell (6, 6)
        pts.append(Point(X0 + 650 + rng.normal(0, 70), Y0 + 650 + rng.normal(0, 70)))
        cats.append("噪声")
    for _ in range(40):
        pts.append(Point(rng.uniform(X0, X0 + 900), rng.uniform(Y0, Y0 + 900)))
        cats.append("垃圾")
    cases = gpd.GeoDataFrame({"category": cats}, geometry=pts, crs=CRS)
    hs = hot_spots(cases, cells, permutations=999, seed=7, alpha=0.05)
    assert list(hs.columns) == ["cell_id", "category", "n_cases", "gi_z", "p_sim", "class"]
    w = cell_weights(cells)
    for cat in ("噪声", "垃圾"):
        got = hs[hs["category"] == cat].set_index("cell_id").loc[cells["cell_id"]]
        y = np.array([sum(1 for p, c in zip(pts, cats, strict=True)
                          if c == cat and g.contains(p)) for g in cells.geometry], dtype=float)
        assert (got["n_cases"].to_numpy() == y).all()
        ref = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=7,
                           keep_simulations=True)
        np.testing.assert_allclose(got["gi_z"], ref.Zs, rtol=1e-10)
        p = pseudo_p_value(ref.Gs, ref.rGs)
        np.testing.assert_allclose(got["p_sim"], p)
        no_ties = ~np.isclose(ref.rGs, ref.Gs[:, None]).any(axis=1)
        np.testing.assert_allclose(got["p_sim"][no_ties], ref.p_sim[no_ties])
        thr = esda.fdr(p, 0.05)
        expected = np.where(p <= thr, np.where(ref.Zs > 0, "hot", "cold"), "none")
        assert (got["class"].to_numpy() == expected).all()
    hot = hs[(hs["category"] == "噪声") & (hs["class"] == "hot")]["cell_id"]
    assert "c6_6" in set(hot)


def test_pseudo_p_value_counts_ties():
    sim = np.array([[0.0, 0.0, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    p = pseudo_p_value(np.array([0.0, 5.0]), sim)
    assert p == pytest.approx([(3 + 1) / 5, (0 + 1) / 5])


def test_hex_grid_is_contiguous():
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=CRS)
    hexes = hex_grid(area, size_m=200)
    w = cell_weights(hexes)
    assert max(w.cardinalities.values()) == 6 and not w.islands
    assert hexes.geometry.area.to_numpy() == pytest.approx(1.5 * np.sqrt(3) * 200 ** 2, rel=1e-5)
    assert hexes.union_all().contains(area.geometry.iloc[0])


def test_kde_integrates_to_n_and_matches_scipy():
    from scipy.stats import gaussian_kde

    a, h = 120.0, 90.0
    offsets = [(a, a), (a, -a), (-a, a), (-a, -a)]
    cx, cy = X0 + 1000, Y0 + 1000
    cases = gpd.GeoDataFrame({"category": ["积水"] * 4},
                             geometry=[Point(cx + dx, cy + dy) for dx, dy in offsets], crs=CRS)
    dens = kernel_density(cases, bandwidth_m=h, cell_size_m=10)["积水"]
    assert density_total(dens) == pytest.approx(4, rel=2e-3)
    assert dens.crs == CRS and dens.values.dtype == np.float32
    # scipy: sample covariance of the square is (4a²/3)·I, so factor h/s gives h²·I
    s = np.sqrt(4 * a * a / 3)
    kde = gaussian_kde(np.array(offsets).T, bw_method=h / s)
    np.testing.assert_allclose(kde.covariance, np.eye(2) * h * h, rtol=1e-12)
    rows, cols = dens.values.shape
    t = dens.transform
    xs = t.c + (np.arange(cols) + 0.5) * t.a - cx
    ys = t.f + (np.arange(rows) + 0.5) * t.e - cy
    gx, gy = np.meshgrid(xs, ys)
    ref = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(rows, cols) * 4 * 1e6
    np.testing.assert_allclose(dens.values, ref, rtol=1e-4, atol=1e-6 * ref.max())


def test_kde_geotiff(tmp_path):
    import rasterio

    cases = gpd.GeoDataFrame({"category": ["噪声"] * 3},
                             geometry=[Point(X0, Y0), Point(X0 + 100, Y0), Point(X0, Y0 + 80)],
                             crs=CRS)
    raster = kernel_density(cases, bandwidth_m=50, cell_size_m=20,
                            bounds=(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500))["噪声"]
    path = raster.write(tmp_path / "k.tif", cog=False)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4549 and src.res == (20.0, 20.0)
        assert src.bounds.left == X0 - 500 and src.bounds.top == Y0 + 500
        assert src.read(1).sum() * 400 / 1e6 == pytest.approx(3, rel=1e-3)
        assert src.tags()["bandwidth_m"] == "50.0"


def test_recurring_spots_by_hand():
    cells = _square_cells(2, 500)
    months = ["2025-01-15", "2025-03-10", "2025-04-02", "2025-05-20", "2025-06-30"]
    rows = [{"category": "垃圾", "first_received_at": pd.Timestamp(m, tz="Asia/Shanghai"),
             "geometry": Point(X0 + 100, Y0 + 100)} for m in months]
    rows += [{"category": "垃圾", "first_received_at": pd.Timestamp(m, tz="Asia/Shanghai"),
              "geometry": Point(X0 + 600, Y0 + 100)} for m in ("2025-05-01", "2025-06-01")]
    rows += [{"category": "噪声", "first_received_at": pd.Timestamp(m, tz="Asia/Shanghai"),
              "geometry": Point(X0 + 100, Y0 + 100)} for m in ("2025-04-01", "2025-05-01",
                                                               "2025-06-01", "2025-06-02")]
    cases = gpd.GeoDataFrame(rows, crs=CRS)
    rec = recurring_spots(cases, cells, min_months=3, last_months=4)  # Mar–Jun 2025
    assert rec.to_dict("records") == [
        {"cell_id": "c0_0", "category": "垃圾", "months_with_cases": 4, "n_cases": 4,
         "months": "2025-03;2025-04;2025-05;2025-06"},
        {"cell_id": "c0_0", "category": "噪声", "months_with_cases": 3, "n_cases": 4,
         "months": "2025-04;2025-05;2025-06"},
    ]
    assert len(recurring_spots(cases, cells, min_months=5, last_months=6)) == 1  # Jan–Jun
    assert recurring_spots(cases, cells, min_months=6, last_months=6).empty


def test_trends_and_handling_times_by_hand():
    t = pd.Timestamp("2025-06-02 09:00", tz="Asia/Shanghai")  # a Monday
    cases = pd.DataFrame({
        "case_id": ["C1", "C2", "C3"], "category": ["噪声", "噪声", "积水"],
        "first_received_at": [t, t + pd.Timedelta(days=6), t + pd.Timedelta(days=7)],
        "n_orders": [3, 1, 2], "subdistrict_id": ["S1", "S1", None]})
    weekly = weekly_trends(cases)
    assert weekly.to_dict("records") == [
        {"week_start": "2025-06-02", "subdistrict_id": "S1", "category": "噪声", "n_cases": 2,
         "n_orders": 4},
        {"week_start": "2025-06-09", "subdistrict_id": "unknown", "category": "积水",
         "n_cases": 1, "n_orders": 2},
    ]
    orders = pd.DataFrame({
        "complaint_id": ["a", "b", "c", "d"], "category": ["噪声", "噪声", "噪声", "积水"],
        "received_at": [t] * 4,
        "closed_at": [t + pd.Timedelta(hours=10), t + pd.Timedelta(hours=30), pd.NaT,
                      t - pd.Timedelta(hours=1)]})
    order_cases = pd.DataFrame({"complaint_id": list("abcd"), "case_id": ["C1", "C1", "C2", "C3"]})
    ht = handling_times(orders, order_cases, cases).set_index(["subdistrict_id", "category"])
    s1 = ht.loc[("S1", "噪声")]
    assert (s1["n_orders"], s1["n_closed"], s1["median_hours"]) == (3, 2, 20.0)
    assert ht.loc[("unknown", "积水"), "n_closed"] == 0  # closed before received: left out
    assert ht.loc[("all", "噪声"), "mean_hours"] == 20.0


def test_category_table_defaults_and_overrides(tmp_path):
    assert department_for(["道路破损", "占道经营", "噪声", "积水", "违法停车", "垃圾"]) == [
        "建管委/道路养护", "城管执法", "生态环境局", "水务", "公安交警", "绿化市容"]
    csv = tmp_path / "t.csv"
    csv.write_text("category,department\n噪声,公安分局\n共享单车,交通委\n", encoding="utf-8-sig")
    table = load_category_table(csv)
    assert table.department("噪声") == "公安分局" and table.department("共享单车") == "交通委"
    assert table.department("积水") == "水务"
    toml = tmp_path / "t.toml"
    toml.write_text('[categories]\n"积水" = "排水公司"\n"共享单车" = { department = "交通委", '
                    'label = "共享单车乱停" }\n', encoding="utf-8")
    table = load_category_table(toml, base=None)
    assert dict(table.departments) == {"积水": "排水公司", "共享单车": "交通委"}
    assert table.label("共享单车") == "共享单车乱停"
    from yangpu_gis.errors import ValidationError

    bad = tmp_path / "bad.csv"
    bad.write_text("类别,部门\n噪声,x\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_category_table(bad)


def _small_layers():
    subs, grid = _town()
    rng = np.random.default_rng(3)
    rows = []
    k = 0
    for _ in range(40):  # background over half a year
        x, y = rng.uniform(20, 980), rng.uniform(20, 280)
        rows.append((f"GD{k:05d}", x, y, float(rng.uniform(0, 180 * 24)),
                     str(rng.choice(["噪声", "积水", "外星人"]))))
        k += 1
    for burst in range(3):  # bursts of one problem
        x, y, t = 120 + 300 * burst, 150, 500.0 * (burst + 1)
        for j in range(4):
            rows.append((f"GD{k:05d}", x + j * 5, y, t + j * 2, "占道经营"))
            k += 1
    orders = _orders(rows)
    orders["received_at"] = [ts.isoformat() for ts in orders["received_at"]]
    orders["closed_at"] = [(pd.Timestamp(ts) + pd.Timedelta(hours=24)).isoformat()
                           for ts in orders["received_at"]]
    orders["address"] = "控江路1号"
    return subs, grid, orders


@pytest.fixture
def complaints_registry(registry_target, tmp_path):
    subs, grid, orders = _small_layers()
    return load_layers(registry_target,
                       {"subdistricts": subs, "grid_cells": grid, "complaints": orders}, tmp_path)


def test_cli_end_to_end(complaints_registry, tmp_path):
    import pyogrio
    import rasterio

    from yangpu_gis.cli import app

    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["analyze", "complaints", "--registry", complaints_registry,
                                 "--out", str(out), "--permutations", "199", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["orders"] == 52 and data["cases"] == 52 - 9
    assert data["largest_case"] == 4
    assert data["manual_reasons"].get("unknown_category", 0) > 0
    cases = pd.read_csv(out / "cases.csv", encoding="utf-8-sig")
    assert list(cases.columns[:7]) == ["case_id", "category", "first_received_at",
                                       "last_received_at", "n_orders", "subdistrict_id",
                                       "grid_id"]
    assert cases["n_orders"].sum() == 52
    orders = pd.read_csv(out / "orders.csv", encoding="utf-8-sig")
    assert list(orders.columns) == ["complaint_id", "case_id"] and len(orders) == 52
    hs = pd.read_csv(out / "hotspots.csv", encoding="utf-8-sig")
    assert list(hs.columns) == ["cell_id", "category", "n_cases", "gi_z", "p_sim", "class"]
    assert set(hs["class"]) <= {"hot", "cold", "none"} and set(hs["cell_id"]) == {
        "G1", "G2", "G3", "G4"}
    manual = pd.read_csv(out / "manual_dispatch.csv", encoding="utf-8-sig")
    assert (manual["dispatch"] == "manual").all() and len(manual) == data["manual_dispatch"]
    assert {"week_start", "n_cases"} <= set(pd.read_csv(out / "trends_weekly.csv").columns)
    ht = pd.read_csv(out / "handling_time.csv", encoding="utf-8-sig")
    assert (ht["median_hours"] == 24.0).all()
    with rasterio.open(out / "density" / "all.tif") as src:
        assert src.crs.to_epsg() == 4549
        # the raster covers the subdistricts only: part of the mass lies outside
        assert 20 < src.read(1).sum() * src.res[0] ** 2 / 1e6 < 43
    assert {"cases", "hotspot_cells", "manual_dispatch"} <= {
        n for n, _ in pyogrio.list_layers(out / "complaints.gpkg")}
    html = (out / "complaints_map.html").read_text(encoding="utf-8")
    assert "热点分析（Gi*，FDR α=0.05）" in html and "低 → 高（带宽 150 米）" in html
    assert "归并工单数" in html and "data:image/png;base64," in html and "受理日期" in html
    assert '<script src="http' not in html  # offline by default
    bad = CliRunner().invoke(app, ["analyze", "complaints", "--registry", complaints_registry,
                                   "--out", str(tmp_path / "x"), "--cells", "triangles"])
    assert bad.exit_code == 2


def test_analyze_on_hexagons_without_grid_cells():
    subs, _, orders = _small_layers()
    result = analyze_complaints(orders, subdistricts=subs, cells="grid", permutations=99,
                                hex_size_m=100)
    assert result.parameters["cells"] == "hex 100 m"
    assert result.hotspots["cell_id"].str.startswith("H").all()
    assert any("hexagon" in n for n in result.notes)
    assert set(result.density) >= {"all", "占道经营"}


def test_defaults_are_read_from_one_place():
    import inspect
    from dataclasses import fields

    from yangpu_gis.analysis.complaints import COMPLAINTS_DEFAULTS
    from yangpu_gis.cli.analyze.complaints import complaints
    from yangpu_gis.runs.complaints import run_complaints

    cli_names = {"boundary_tolerance_m": "boundary_m"}
    for fn in (analyze_complaints, run_complaints, complaints):
        params = inspect.signature(fn).parameters
        for f in fields(COMPLAINTS_DEFAULTS):
            name = cli_names.get(f.name, f.name) if fn is complaints else f.name
            assert params[name].default == getattr(COMPLAINTS_DEFAULTS, f.name), (fn, name)
    table = COMPLAINTS_DEFAULTS.table()
    assert list(table.columns) == ["parameter", "value", "unit", "source"]
    assert table["source"].str.len().gt(0).all()


def test_lon_lat_orders_are_refused():
    from yangpu_gis.errors import CRSError

    orders = _orders([("A", 0, 0, 0, "噪声"), ("B", 10, 0, 1, "噪声")]).to_crs(4326)
    with pytest.raises(CRSError, match="metric CRS"):
        merge_duplicates(orders)


def test_result_offers_tables_layers_rasters_and_parameters():
    from yangpu_gis.analysis.result import AnalysisResult

    subs, grid, orders = _small_layers()
    result = analyze_complaints(orders, subdistricts=subs, grid_cells=grid, permutations=19)
    assert isinstance(result, AnalysisResult) and result.topic == "complaints"
    assert list(result.tables()) == ["cases", "orders", "routing", "manual_dispatch",
                                     "hotspots", "recurring", "trends_weekly", "handling_time"]
    assert {k for k, v in result.layers().items() if v is not None} == {
        "cases", "manual_dispatch", "hotspot_cells"}
    rasters = result.rasters()
    assert "density/all" in rasters and "density/占道经营" in rasters
    assert rasters["density/all"].tags["n_cases"] == str(len(result.cases))
    params = result.parameters_table()
    assert list(params.columns[:2]) == ["parameter", "value"]
    assert params.set_index("parameter").loc["distance_m", "unit"] == "m"
    assert params.set_index("parameter").loc["fdr_alpha", "value"] == 0.05

"""Parking supply versus demand: hand computations, PySAL ``access`` as the 2SFCA oracle, CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box
from typer.testing import CliRunner

from yangpu_gis.analysis.parking import (
    PARKING_DEFAULTS,
    analyze_parking,
    classify_supply,
    demand_locations,
    parking_accessibility,
    parking_demand,
    rank_candidates,
    two_step_fca,
    what_if_open,
    zone_balance,
)

from .conftest import load_layers

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:access.*",
                                        "ignore:The inplace keyword:Warning")

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_466_000.0


def _gdf(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


@pytest.fixture
def town():
    """Two 100 m grid cells; a compound over both (30 % in A, 70 % in B); an office in B."""
    cells = _gdf([{"grid_id": "A", "subdistrict_id": "S", "name": "甲"},
                  {"grid_id": "B", "subdistrict_id": "S", "name": "乙"}],
                 [box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)])
    compounds = _gdf([{"compound_id": "C1", "name": "老小区", "households": 100,
                       "parking_spaces": 30, "built_year": 1980}],
                     [box(X0 + 70, Y0 + 20, X0 + 170, Y0 + 80)])
    pois = _gdf([{"poi_id": "O1", "name": "办公楼", "kind": "office", "floor_area_m2": 10_000.0},
                 {"poi_id": "M1", "name": "地铁站", "kind": "metro_station"}],
                [Point(X0 + 180, Y0 + 90), Point(X0 + 10, Y0 + 10)])
    facilities = _gdf([
        {"facility_id": "F1", "name": "公共停车场", "kind": "public", "capacity": 40},
        {"facility_id": "F2", "name": "办公楼车库", "kind": "office", "capacity": 50,
         "shared_offpeak": False},
        {"facility_id": "F3", "name": "路边停车", "kind": "on_street", "capacity": 10},
    ], [Point(X0 + 20, Y0 + 50), Point(X0 + 185, Y0 + 92), Point(X0 + 150, Y0 + 95)])
    return cells, compounds, pois, facilities


def test_demand_ratios(town):
    _cells, compounds, pois, _f = town
    d = parking_demand(compounds, pois).set_index("demand_id")
    assert list(d.index) == ["C1", "O1"]  # the metro station demands no parking
    assert d.loc["C1", ["demand_night", "demand_day"]].tolist() == [100.0, 50.0]
    assert d.loc["O1", ["demand_day", "demand_night"]].tolist() == [80.0, 0.0]
    more = replace(PARKING_DEFAULTS, spaces_per_household=1.5, office_per_100m2=1.0)
    d2 = parking_demand(compounds, pois, defaults=more).set_index("demand_id")
    assert d2.loc["C1", "demand_night"] == 150.0 and d2.loc["O1", "demand_day"] == 100.0
    assert set(PARKING_DEFAULTS.table()["parameter"]) >= {"spaces_per_household", "catchment_m"}


def test_lon_lat_refused(town):
    """The one input policy: frames in lon/lat degrees (or without a CRS) are refused."""
    from yangpu_gis.errors import CRSError

    cells, compounds, pois, facilities = town
    with pytest.raises(CRSError, match="metric CRS"):
        parking_demand(compounds.to_crs("EPSG:4326"), pois)
    with pytest.raises(CRSError, match="metric CRS"):
        parking_demand(compounds, pois.to_crs("EPSG:4326"))
    with pytest.raises(CRSError, match="metric CRS"):
        classify_supply(facilities.to_crs("EPSG:4326"), parking_demand(compounds, pois))
    with pytest.raises(CRSError):
        parking_demand(compounds.set_crs(None, allow_override=True), pois)


def test_defaults_module_loads_nothing_heavy():
    """The command line reads PARKING_DEFAULTS without loading geopandas."""
    import subprocess
    import sys

    code = ("import sys; from yangpu_gis.analysis.parking.defaults import PARKING_DEFAULTS; "
            "from yangpu_gis.analysis.parking import PARKING_DEFAULTS as P; "
            "print([m for m in ('pandas', 'geopandas', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_zone_balance_by_hand_with_compound_split(town):
    cells, compounds, pois, facilities = town
    demand = parking_demand(compounds, pois)
    supply = classify_supply(facilities, demand)
    assert supply.set_index("facility_id").loc["F2", "owner_id"] == "O1"
    loc = demand_locations(demand, supply)
    b = zone_balance(loc, supply, cells, zone_id="grid_id", zone_type="grid_cell")
    got = b.set_index(["zone_id", "period"])
    # night: A = 30 % of 100 demand; 30 % of 30 own spaces + public 40
    #        B = 70 demand; 21 own + on-street 10; the office garage (50) is idle at night
    # day:   A = 15 demand; 9 + 40.  B = 35 + office 80; 21 + office's own 50 + 10
    want = {("A", "night"): (49, 30, 0), ("B", "night"): (31, 70, 50),
            ("A", "day"): (49, 15, 0), ("B", "day"): (81, 115, 0)}
    for key, (s, d, idle) in want.items():
        row = got.loc[key]
        assert row["supply"] == pytest.approx(s)
        assert row["demand"] == pytest.approx(d)
        assert row["balance"] == pytest.approx(s - d)
        assert row["ratio"] == pytest.approx(s / d)
        assert row["idle_own"] == pytest.approx(idle)
    sub = zone_balance(loc, supply, cells.dissolve("subdistrict_id").reset_index(),
                       zone_id="subdistrict_id", zone_type="subdistrict", name_column=None)
    night = sub[sub["period"] == "night"].iloc[0]
    assert (night["supply"], night["demand"]) == pytest.approx((80, 100))


def _access_reference(dem, sup, cost, max_cost, weight_fn=None):
    from access import Access

    a = Access(demand_df=dem, demand_index="geoid", demand_value="demand",
               supply_df=sup, supply_index="geoid", supply_value="supply",
               cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    if weight_fn is None:
        a.two_stage_fca(name="fca", max_cost=max_cost, normalize=False)
    else:
        a.enhanced_two_stage_fca(name="fca", max_cost=max_cost, weight_fn=weight_fn,
                                 normalize=False)
    return a.access_df["fca_supply"]


@pytest.mark.parametrize("decay", ["none", "gaussian"])
def test_two_step_fca_matches_pysal_access(decay):
    from access import weights

    rng = np.random.default_rng(42)
    n, m = 60, 15
    dxy = rng.uniform(0, 1500, (n, 2))
    sxy = rng.uniform(0, 1500, (m, 2))
    demand = pd.Series(rng.integers(20, 400, n).astype(float), index=[f"D{i}" for i in range(n)])
    supply = pd.Series(rng.integers(0, 300, m).astype(float), index=[f"S{j}" for j in range(m)])
    supply.iloc[0] = 0.0  # a zero-capacity facility
    dist = np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    cost = pd.DataFrame({"origin": np.repeat(demand.index, m), "dest": np.tile(supply.index, n),
                         "cost": dist.ravel()})
    # every facility needs demand in reach for the reference (else it divides by zero)
    reach = (dist <= 500).any(axis=0)
    supply, cost = supply[reach], cost[cost["dest"].isin(supply.index[reach])]
    ref = _access_reference(
        pd.DataFrame({"geoid": demand.index, "demand": demand.to_numpy()}),
        pd.DataFrame({"geoid": supply.index, "supply": supply.to_numpy()}),
        cost, 500, None if decay == "none" else weights.gaussian(250))
    ours = two_step_fca(demand, supply,
                        cost.rename(columns={"dest": "destination", "cost": "distance_m"}),
                        catchment_m=500, decay=decay)
    ref = ref.reindex(demand.index).fillna(0.0)
    assert (ours > 0).sum() > 20
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-9, atol=0)


def test_two_step_fca_zero_cases():
    dist = pd.DataFrame({"origin": ["a", "b", "c"], "destination": ["p", "q", "r"],
                         "distance_m": [100.0, 100.0, 600.0]})
    got = two_step_fca(pd.Series({"a": 10.0, "b": 0.0, "c": 5.0}),
                       pd.Series({"p": 0.0, "q": 20.0, "r": 50.0}), dist, catchment_m=500)
    # zero capacity gives nothing; zero demand leaves q unused (R = 0, no division by 0);
    # r is out of reach
    assert got.to_dict() == {"a": 0.0, "b": 0.0, "c": 0.0}


def _line_town():
    compounds = _gdf([
        {"compound_id": "C1", "name": "甲小区", "households": 100, "parking_spaces": 30},
        {"compound_id": "C2", "name": "乙小区", "households": 40, "parking_spaces": 0},
        {"compound_id": "C3", "name": "空小区", "households": 0, "parking_spaces": 0},
    ], [box(X0, Y0, X0 + 40, Y0 + 40), box(X0 + 200, Y0, X0 + 240, Y0 + 40),
        box(X0 + 2000, Y0, X0 + 2040, Y0 + 40)])
    pois = _gdf([{"poi_id": "O1", "name": "办公楼", "kind": "office", "floor_area_m2": 5000.0}],
                [Point(X0 + 120, Y0 + 150)])
    facilities = _gdf([
        {"facility_id": "P1", "name": "公共", "kind": "public", "capacity": 35},
        {"facility_id": "G1", "name": "办公车库", "kind": "office", "capacity": 50,
         "shared_offpeak": False},
        {"facility_id": "Z0", "name": "空车场", "kind": "public", "capacity": 0},
    ], [Point(X0 + 120, Y0 + 20), Point(X0 + 125, Y0 + 140), Point(X0 + 2100, Y0)])
    return compounds, pois, facilities


def test_accessibility_shortfall_candidates_and_what_if_by_hand():
    compounds, pois, facilities = _line_town()
    demand = parking_demand(compounds, pois)
    supply = classify_supply(facilities, demand)
    loc = demand_locations(demand, supply)
    from yangpu_gis.analysis.parking import parking_distances

    dist = parking_distances(loc, supply, catchment_m=500)
    acc = parking_accessibility(loc, supply, dist, catchment_m=500)
    night = acc[acc["period"] == "night"].set_index("demand_id")
    # residual night demand 70 (C1) + 40 (C2) share the 35 public spaces: A = 35/110
    a = 35 / 110
    assert night.loc["C1", "public_access"] == pytest.approx(a)
    assert night.loc["C1", "access_ratio"] == pytest.approx((30 + a * 70) / 100)
    assert night.loc["C1", "shortfall"] == pytest.approx(70 * (1 - a))
    assert night.loc["C2", "shortfall"] == pytest.approx(40 * (1 - a))
    # zero demand: no ratio, no shortfall
    assert np.isnan(night.loc["C3", "access_ratio"]) and night.loc["C3", "shortfall"] == 0
    cand = rank_candidates(loc, supply, acc, dist, catchment_m=500)
    assert cand["facility_id"].tolist() == ["G1"]
    total = 110 * (1 - a)
    assert cand.loc[0, "shortfall_in_catchment"] == pytest.approx(total)
    assert cand.loc[0, "covered"] == pytest.approx(min(50, total))
    summary, after = what_if_open(facilities, demand, dist, cand, top_n=1)
    assert summary["shortfall_night"].tolist() == pytest.approx([total, 110 * (1 - 85 / 110)])
    n2 = after[after["period"] == "night"].set_index("demand_id")
    assert n2.loc["C1", "public_access"] == pytest.approx(85 / 110)
    # by day the office garage still serves its own building only
    day = acc[acc["period"] == "day"].set_index("demand_id")
    assert day.loc["O1", "own_spaces"] == 50 and day.loc["O1", "shortfall"] == 0


def test_shared_rules():
    compounds, pois, facilities = _line_town()
    facilities = pd.concat([facilities, _gdf([
        {"facility_id": "R1", "name": "小区车库", "kind": "residential", "capacity": 20,
         "shared_offpeak": True},
        {"facility_id": "S1", "name": "共享办公车库", "kind": "office", "capacity": 10,
         "shared_offpeak": True},
    ], [Point(X0 + 20, Y0 + 20), Point(X0 + 118, Y0 + 152)])], ignore_index=True)
    demand = parking_demand(compounds, pois)
    s = classify_supply(facilities, demand).set_index("facility_id")
    assert tuple(s.loc["R1", ["serves_day", "serves_night", "owner_id"]]) == ("public", "own", "C1")
    assert tuple(s.loc["S1", ["serves_day", "serves_night"]]) == ("own", "public")
    loc = demand_locations(demand, classify_supply(facilities, demand)).set_index("demand_id")
    # C1 lists 30 spaces; its garage (20) is among them and serves everyone by day
    assert loc.loc["C1", ["own_day", "own_night"]].tolist() == [10.0, 30.0]


def test_analyze_without_roads_uses_straight_line():
    compounds, pois, facilities = _line_town()
    res = analyze_parking(compounds, facilities, pois=pois, roads=None)
    assert res.distance_method == "euclidean"
    assert any("straight-line" in n for n in res.notes)
    roads = gpd.GeoDataFrame({"road_id": ["R1"], "road_class": ["branch"]},
                             geometry=[LineString([(X0 - 50, Y0 + 60), (X0 + 300, Y0 + 60)])],
                             crs=CRS)
    net = analyze_parking(compounds, facilities, pois=pois, roads=roads)
    assert net.distance_method == "network"
    d = net.distances.set_index(["origin", "destination"])["distance_m"]
    # C1's representative point to P1 along the road: up to y=60, along, down to y=20
    p = compounds.geometry.iloc[0].representative_point()
    assert d.loc[("C1", "P1")] == pytest.approx(abs(60 - p.y + Y0) + abs(X0 + 120 - p.x) + 40)


@pytest.fixture
def small_registry(registry_target, tmp_path):
    cells = _gdf([{"grid_id": f"G{i}", "subdistrict_id": "310110019", "name": f"网格{i}"}
                  for i in range(2)],
                 [box(X0, Y0, X0 + 150, Y0 + 200), box(X0 + 150, Y0, X0 + 300, Y0 + 200)])
    subs = _gdf([{"subdistrict_id": "310110019", "name": "五角场街道"}],
                [box(X0, Y0, X0 + 300, Y0 + 200)])
    compounds, pois, facilities = _line_town()
    compounds = compounds.iloc[:2]
    roads = _gdf([{"road_id": "R1", "name": "政通路", "road_class": "branch"},
                  {"road_id": "R2", "name": "国定路", "road_class": "branch"}],
                 [LineString([(X0 - 50, Y0 + 60), (X0 + 300, Y0 + 60)]),
                  LineString([(X0 + 130, Y0 - 50), (X0 + 130, Y0 + 190)])])
    return load_layers(registry_target,
                       {"subdistricts": subs, "grid_cells": cells,
                        "residential_compounds": compounds, "pois": pois,
                        "parking_facilities": facilities, "roads": roads}, tmp_path)


def test_cli_end_to_end(small_registry, tmp_path):
    from yangpu_gis.cli import app

    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["analyze", "parking", "--registry", small_registry,
                                 "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["distance"] == "network" and data["demand_locations"] == 3
    acc = pd.read_csv(out / "accessibility.csv", encoding="utf-8-sig")
    assert list(acc.columns[:4]) == ["demand_id", "period", "access_ratio", "shortfall"]
    night = acc[acc["period"] == "night"].set_index("demand_id")
    # 35 public spaces shared by 70 + 40 residual spaces (the road keeps both within 500 m)
    assert night.loc["C2", "shortfall"] == pytest.approx(40 * (1 - 35 / 110))
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_id": str})
    assert set(zones["zone_type"]) == {"subdistrict", "grid_cell"}
    sub = zones[(zones["zone_type"] == "subdistrict") & (zones["period"] == "night")].iloc[0]
    assert (sub["supply"], sub["demand"]) == pytest.approx((30 + 35, 140))
    assert (out / "candidates.csv").exists()
    import pyogrio

    assert {"demand_locations", "candidates", "grid_balance"} <= {
        n for n, _ in pyogrio.list_layers(out / "parking.gpkg")}
    html = (out / "parking_map.html").read_text(encoding="utf-8")
    assert "网格夜间泊位供需差" in html and "错峰共享候选车库" in html and "夜间停车缺口小区" in html
    assert "L.circle(" in html and "radius: 500.0" in html  # catchment circle on click
    assert '<script src="http' not in html  # offline by default
    r = CliRunner().invoke(app, ["analyze", "parking", "--registry", small_registry, "--out",
                                 str(tmp_path / "e"), "--distance", "euclidean", "--decay",
                                 "gaussian", "--catchment-m", "300", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["decay"] == "gaussian"
    bad = CliRunner().invoke(app, ["analyze", "parking", "--registry", small_registry, "--out",
                                   str(tmp_path / "x"), "--decay", "cubic"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("package", ["yangpu_gis.analysis.parking",
                                     "yangpu_gis.analysis.excavation",
                                     "yangpu_gis.analysis.complaints"])
def test_lazy_package_names_resolve(package):
    """Every lazily re-exported name resolves, and none is hidden by a submodule's name."""
    import importlib
    import pkgutil
    import types

    pkg = importlib.import_module(package)
    submodules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    assert not submodules & set(pkg.__all__)
    for name in pkg.__all__:
        assert not isinstance(getattr(pkg, name), types.ModuleType), name

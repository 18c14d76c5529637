"""Coverage gaps: shapely overlays and networkx distances as oracles, presets, CLI, map."""

from __future__ import annotations

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box
from typer.testing import CliRunner

from yangpu_gis.analysis.coverage import (
    beautiful_streets,
    grid_completeness,
    line_stretches,
    parking_reach,
    river_monitoring,
    road_subdistricts,
    service_areas,
    service_coverage,
    synthetic_stations,
    zone_totals,
)

from .conftest import load_layers

CRS = "EPSG:4549"
X0, Y0 = 645_000.0, 3_466_000.0
QS = 16  # quad_segs of the analysis default


def _gdf(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


def _pts(xy, **cols) -> gpd.GeoDataFrame:
    n = len(xy)
    return _gdf(
        [{k: v[i] for k, v in cols.items()} for i in range(n)],
        [Point(X0 + x, Y0 + y) for x, y in xy],
    )


def _line(*xy) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def _box(a, b, c, d):
    return box(X0 + a, Y0 + b, X0 + c, Y0 + d)


# ------------------------------------------------------------------ straight line


def test_line_by_hand_and_uncovered_parts():
    roads = _gdf([{"road_id": "R1"}], [_line((0, 0), (1000, 0))])
    stops = _pts([(200, 0)], stop_id=["S1"])
    r = service_coverage(roads, stops, service_m=300)
    t = r.targets.iloc[0]
    assert t["covered_length_m"] == pytest.approx(500.0)
    assert t["covered_share"] == pytest.approx(0.5)
    assert (t["status"], bool(t["covered"]), bool(t["reached"])) == ("partial", False, True)
    assert t["nearest_provider_id"] == "S1" and t["nearest_distance_m"] == 0
    assert r.uncovered_parts["length_m"].sum() == pytest.approx(500.0)
    assert r.uncovered_parts.geometry.iloc[0].equals_exact(_line((500, 0), (1000, 0)), 1e-6)


def test_euclidean_matches_shapely_on_random_inputs():
    rng = np.random.default_rng(6)
    n_l, n_a, n_p, n_s = 25, 12, 30, 15
    lines = [
        LineString([(X0 + x, Y0 + y) for x, y in rng.uniform(0, 2000, (rng.integers(2, 5), 2))])
        for _ in range(n_l)
    ]
    polys = [
        shapely.buffer(
            Point(X0 + rng.uniform(0, 2000), Y0 + rng.uniform(0, 2000)),
            rng.uniform(20, 150),
            quad_segs=3,
        )
        for _ in range(n_a)
    ]
    points = [Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 2000, (n_p, 2))]
    targets = _gdf([{"tid": f"T{i}"} for i in range(n_l + n_a + n_p)], lines + polys + points)
    prov_geoms = [Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 2000, (n_s - 3, 2))]
    prov_geoms += [
        _box(100, 100, 250, 180),
        _line((1500, 100), (1800, 600)),
        _box(900, 900, 950, 1000),
    ]
    radius = rng.uniform(50, 400, n_s)
    providers = _gdf([{"pid": f"P{i}", "r": radius[i]} for i in range(n_s)], prov_geoms)
    r = service_coverage(targets, providers, service_column="r", target_id="tid", provider_id="pid")

    # the oracle: one union of the same buffers, then plain shapely per target
    union = shapely.union_all(
        [g.buffer(d, quad_segs=QS) for g, d in zip(prov_geoms, radius, strict=True)]
    )
    res = r.targets.set_index("tid")
    for i, g in enumerate(lines):
        want = g.intersection(union).length
        assert res.loc[f"T{i}", "covered_length_m"] == pytest.approx(want, abs=1e-6)
        assert res.loc[f"T{i}", "covered_share"] == pytest.approx(want / g.length, abs=1e-9)
    for k, g in enumerate(polys):
        want = g.intersection(union).area
        assert res.loc[f"T{n_l + k}", "covered_area_m2"] == pytest.approx(want, abs=1e-4)
    for k, g in enumerate(points):
        want = any(g.distance(p) <= d for p, d in zip(prov_geoms, radius, strict=True))
        assert bool(res.loc[f"T{n_l + n_a + k}", "covered"]) == want
    # uncovered parts are the differences, nearest the brute-force nearest
    unc = r.uncovered_parts.groupby("target_id")["length_m"].sum()
    for i, g in enumerate(lines):
        assert unc.get(f"T{i}", 0.0) == pytest.approx(g.difference(union).length, abs=1e-6)
    unc_a = r.uncovered_parts.groupby("target_id")["area_m2"].sum()
    for k, g in enumerate(polys):
        assert unc_a.get(f"T{n_l + k}", 0.0) == pytest.approx(g.difference(union).area, abs=1e-4)
    for i, g in enumerate(lines + polys + points):
        d = [g.distance(p) for p in prov_geoms]
        assert res.loc[f"T{i}", "nearest_distance_m"] == pytest.approx(min(d))
        assert res.loc[f"T{i}", "nearest_provider_id"] == f"P{int(np.argmin(d))}"
    # the service area is the union, in disjoint parts
    assert r.service_area.area.sum() == pytest.approx(union.area, rel=1e-9)


def test_service_areas_and_errors():
    p = _pts([(0, 0), (100, 0)], r=[10.0, None])
    areas = service_areas(p, service_m=20, service_column="r")
    assert areas.area.to_numpy() == pytest.approx([np.pi * 100, np.pi * 400], rel=2e-3)
    from yangpu_gis.errors import ValidationError

    with pytest.raises(ValidationError):
        service_coverage(p, p, service_column="r")  # a provider without a distance
    with pytest.raises(ValidationError):
        service_coverage(p, p, service_m=10, distance="manhattan")
    with pytest.raises(ValidationError):
        service_coverage(p, p, service_m=10, distance="network")  # no lines to walk along


# ------------------------------------------------------------------ network


def _grid_roads(n: int = 4, step: float = 100.0, drop: tuple = ()) -> gpd.GeoDataFrame:
    """A noded n×n street grid, one road per block edge."""
    rows, geoms = [], []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and (i, j, di, dj) not in drop:
                    rows.append(
                        {
                            "road_id": f"R{i}{j}{di}{dj}",
                            "road_class": "branch",
                            "name": f"路{i}{j}{di}{dj}",
                        }
                    )
                    geoms.append(_line((i * step, j * step), ((i + di) * step, (j + dj) * step)))
    return _gdf(rows, geoms)


def _oracle_reach(roads: gpd.GeoDataFrame, providers: list[tuple[Point, float]], step_m=0.25):
    """Covered length per road by sampling, with networkx distances from each provider."""
    g = nx.Graph()
    geoms = roads.geometry.to_list()
    for k, line in enumerate(geoms):
        a, b = line.coords[0], line.coords[-1]
        g.add_edge(a, b, length=line.length, k=k)
    covered = np.zeros(len(geoms))
    dists = []
    for p, s in providers:
        # the provider joins its nearest road where it meets it, by its access distance
        k = int(np.argmin([line.distance(p) for line in geoms]))
        line = geoms[k]
        o = line.project(p)
        access = line.distance(p)
        h = g.copy()
        a, b = line.coords[0], line.coords[-1]
        h.add_edge("p", a, length=access + o)
        h.add_edge("p", b, length=access + line.length - o)
        d = nx.single_source_dijkstra_path_length(h, "p", weight="length")
        dists.append((d, k, o, access, s))
    for k, line in enumerate(geoms):
        a, b = line.coords[0], line.coords[-1]
        x = np.arange(step_m / 2, line.length, step_m)
        best = np.full(len(x), -np.inf)  # largest remaining budget
        for d, pk, o, access, s in dists:
            via = np.minimum(d.get(a, np.inf) + x, d.get(b, np.inf) + line.length - x)
            if pk == k:
                via = np.minimum(via, access + np.abs(x - o))
            best = np.maximum(best, s - via)
        covered[k] = (best >= 0).sum() * step_m
    return covered


def test_network_line_coverage_matches_networkx_sampling():
    rng = np.random.default_rng(11)
    roads = _grid_roads(5, 100.0, drop=((1, 1, 1, 0), (2, 3, 0, 1), (3, 0, 0, 1)))
    xy = rng.uniform(0, 400, (6, 2))
    radius = rng.uniform(60, 260, 6)
    providers = _pts([tuple(v) for v in xy], pid=[f"P{i}" for i in range(6)], r=radius)
    r = service_coverage(
        roads,
        providers,
        service_column="r",
        distance="network",
        target_id="road_id",
        provider_id="pid",
    )
    want = _oracle_reach(roads, list(zip(providers.geometry, radius, strict=True)))
    got = r.targets["covered_length_m"].to_numpy()
    assert got == pytest.approx(want, abs=0.5)  # sampling step 0.25 m at ≤ 2 ends
    assert r.targets["covered_length_m"].sum() > 0
    # covered and uncovered parts add up to every road's length
    parts = pd.concat([r.covered_parts, r.uncovered_parts]).groupby("target_id")["length_m"].sum()
    assert parts.reindex(roads["road_id"]).to_numpy() == pytest.approx(roads.length.to_numpy())


def test_network_point_distances_match_networkx():
    roads = _grid_roads(4, 100.0, drop=((0, 1, 1, 0), (1, 1, 1, 0)))
    g = nx.Graph()
    for line in roads.geometry:
        g.add_edge(line.coords[0], line.coords[-1], length=line.length)
    nodes = list(g.nodes)
    rng = np.random.default_rng(3)
    prov_nodes = [nodes[i] for i in rng.choice(len(nodes), 3, replace=False)]
    radius = np.array([150.0, 220.0, 90.0])
    providers = gpd.GeoDataFrame(
        {"pid": ["A", "B", "C"], "r": radius}, geometry=[Point(p) for p in prov_nodes], crs=CRS
    )
    targets = gpd.GeoDataFrame(
        {"tid": [f"N{i}" for i in range(len(nodes))]}, geometry=[Point(n) for n in nodes], crs=CRS
    )
    r = service_coverage(
        targets,
        providers,
        service_column="r",
        distance="network",
        network_lines=roads,
        target_id="tid",
        provider_id="pid",
    )
    res = r.targets.set_index("tid")
    per = [nx.single_source_dijkstra_path_length(g, p, weight="length") for p in prov_nodes]
    for i, n in enumerate(nodes):
        d = np.array([pp.get(n, np.inf) for pp in per])
        assert bool(res.loc[f"N{i}", "covered"]) == bool((d <= radius + 1e-9).any())
        if np.isfinite(d.min()):
            assert res.loc[f"N{i}", "nearest_distance_m"] == pytest.approx(d.min())
            ties = {"ABC"[k] for k in np.flatnonzero(np.isclose(d, d.min()))}
            assert res.loc[f"N{i}", "nearest_provider_id"] in ties


def test_network_separate_network_lines_and_polygons():
    roads = _gdf(
        [{"road_id": "R1", "road_class": "branch"}, {"road_id": "R2", "road_class": "branch"}],
        [_line((0, 0), (1000, 0)), _line((500, 0), (500, 400))],
    )
    # a cycle lane drawn along R1 (not the network itself), a compound north of R2's end
    lanes = _gdf([{"lane_id": "L1"}], [_line((0, 0.3), (1000, 0.3))])
    compound = _gdf([{"compound_id": "C1"}], [_box(480, 410, 520, 450)])
    stop = _pts([(100, -5)], sid=["S"])
    r = service_coverage(
        lanes,
        stop,
        service_m=400,
        distance="network",
        network_lines=roads,
        target_id="lane_id",
        provider_id="sid",
    )
    # reach along R1 from x=100 with 395 m left: 0 … 495 (lane within 1 m of the road)
    assert r.targets["covered_length_m"].iloc[0] == pytest.approx(495.0, abs=0.5)
    far = service_coverage(compound, stop, service_m=800, distance="network", network_lines=roads)
    near = service_coverage(compound, stop, service_m=900, distance="network", network_lines=roads)
    # 5 + 400 along R1 + R2 to 400 + 30 from the road end to the compound's point
    assert not far.targets["covered"].iloc[0] and near.targets["covered"].iloc[0]
    assert near.targets["nearest_distance_m"].iloc[0] == pytest.approx(5 + 400 + 400 + 30, abs=1)
    assert near.targets["covered_area_m2"].iloc[0] == pytest.approx(1600.0)


def test_network_expressways_excluded():
    roads = _gdf(
        [{"road_id": "R1", "road_class": "branch"}, {"road_id": "E1", "road_class": "expressway"}],
        [_line((0, 0), (400, 0)), _line((400, 0), (800, 0))],
    )
    r = service_coverage(roads, _pts([(350, 0)], pid=["P"]), service_m=200, distance="network")
    res = r.targets.set_index("target_id")
    assert res.loc["R1", "covered_length_m"] == pytest.approx(250.0)  # 150 … 400
    assert res.loc["E1", "covered_length_m"] == 0 and res.loc["E1", "status"] == "uncovered"
    assert any("not on the network" in n for n in r.notes)


# ------------------------------------------------------------------ zones, stretches


def test_zone_totals_split_exactly_at_boundaries():
    rng = np.random.default_rng(5)
    zones = _gdf(
        [{"subdistrict_id": "A", "name": "甲"}, {"subdistrict_id": "B", "name": "乙"}],
        [_box(0, 0, 500, 1000), _box(500, 0, 1000, 1000)],
    )
    lines = [
        LineString([(X0 + x, Y0 + y) for x, y in rng.uniform(0, 1000, (3, 2))]) for _ in range(15)
    ]
    targets = _gdf(
        [{"road_id": f"R{i}", "road_class": "branch" if i % 2 else "arterial"} for i in range(15)],
        lines,
    )
    prov = _pts([(300, 300), (700, 800)], pid=["P1", "P2"])
    r = service_coverage(targets, prov, service_m=250)
    z = zone_totals(r, zones, zone_id="subdistrict_id", by=["road_class"])
    union = shapely.union_all([g.buffer(250, quad_segs=QS) for g in prov.geometry])
    for zid, zg in zip(zones["subdistrict_id"], zones.geometry, strict=True):
        for cls in ("arterial", "branch"):
            sel = [g for g, c in zip(lines, targets["road_class"], strict=True) if c == cls]
            row = z[(z["subdistrict_id"] == zid) & (z["road_class"] == cls)].iloc[0]
            assert row["total"] == pytest.approx(sum(g.intersection(zg).length for g in sel))
            assert row["covered"] == pytest.approx(
                sum(g.intersection(zg).intersection(union).length for g in sel), abs=1e-6
            )
            assert row["measure"] == "length_m" and row["name"] in ("甲", "乙")
    assert z["total"].sum() == pytest.approx(sum(g.length for g in lines))


def test_line_stretches_join_segments_of_one_road():
    roads = _gdf(
        [{"road_id": f"R{i}", "name": "政通路", "road_class": "secondary"} for i in range(3)]
        + [{"road_id": "Q", "name": "国定路", "road_class": "secondary"}],
        [
            _line((0, 0), (100, 0)),
            _line((100, 0), (250, 0)),
            _line((250, 0), (300, 0)),
            _line((300, 0), (300, 90)),
        ],
    )
    r = service_coverage(roads, _pts([(1000, 1000)]), service_m=1)
    s = line_stretches(r.uncovered_parts, r.targets)
    assert list(s["name"]) == ["政通路", "国定路"]
    assert list(s["length_m"]) == pytest.approx([300.0, 90.0])
    assert set(s["target_ids"].iloc[0].split(";")) == {"R0", "R1", "R2"}


# ------------------------------------------------------------------ grid completeness


def test_grid_gaps_overlaps_outside_and_sanbuguan_roads():
    subs = _gdf(
        [{"subdistrict_id": "S1", "name": "甲"}, {"subdistrict_id": "S2", "name": "乙"}],
        [_box(0, 0, 150, 100), _box(150, 0, 300, 100)],
    )
    cells = _gdf(
        [
            {"grid_id": "A", "subdistrict_id": "S1"},
            {"grid_id": "B", "subdistrict_id": "S1"},
            {"grid_id": "C", "subdistrict_id": "S2"},
            {"grid_id": "D", "subdistrict_id": "S2"},
            {"grid_id": "E", "subdistrict_id": "S2"},
        ],
        [
            _box(0, 0, 100, 100),
            _box(90, 0, 150, 100),
            _box(150, 0, 230, 100),
            _box(230, 0, 280, 60),
            _box(300, 0, 350, 100),
        ],
    )
    roads = _gdf(
        [
            {"road_id": r, "name": r, "road_class": "branch"}
            for r in ("in", "across", "outside", "boundary", "tip", "half_out")
        ],
        [
            _line((10, 50), (80, 50)),
            _line((100, 20), (200, 20)),
            _line((400, 10), (500, 10)),
            _line((150, 10), (150, 90)),
            _line((140, 70), (152, 70)),
            _line((250, 30), (350, 30)),
        ],
    )
    r = grid_completeness(cells, subdistricts=subs, roads=roads)
    gaps = r.layers["gaps"]
    # the district minus the cells: 280..300 × 0..100 and 230..280 × 60..100 (one L)
    assert gaps["area_m2"].sum() == pytest.approx(20 * 100 + 50 * 40)
    assert shapely.union_all(gaps.geometry).symmetric_difference(
        shapely.difference(shapely.union_all(subs.geometry), shapely.union_all(cells.geometry))
    ).area == pytest.approx(0, abs=1e-6)
    assert set(gaps["subdistrict_id"]) == {"S2"}
    ov = r.layers["overlaps"]
    assert len(ov) == 1 and (ov["grid_id_a"].iloc[0], ov["grid_id_b"].iloc[0]) == ("A", "B")
    assert ov["area_m2"].iloc[0] == pytest.approx(10 * 100)
    assert r.layers["outside"]["grid_id"].tolist() == ["E"]
    assert r.layers["outside"]["area_m2"].iloc[0] == pytest.approx(50 * 100)
    bad = r.layers["roads"].set_index("road_id")
    assert set(bad.index) == {"across", "outside", "boundary", "half_out"}
    assert bad.loc["across", "issue"] == "straddles"
    assert bad.loc["across", "subdistrict_ids"] == "S1;S2"  # 50 m in each
    assert bad.loc["outside", "issue"] == "no_subdistrict"
    assert bad.loc["boundary", "on_boundary_m"] == pytest.approx(80.0)
    assert bad.loc["half_out", "outside_m"] == pytest.approx(50.0)
    assert bad.loc["half_out", "issue"] == "partly_outside"
    per = r.tables["by_subdistrict"].set_index("subdistrict_id")
    assert per.loc["S2", "gap_m2"] == pytest.approx(4000.0)
    assert per.loc["S1", "overlap_m2"] == pytest.approx(1000.0)
    assert r.summary["gaps"] == 1 and r.summary["overlaps"] == 1  # one L-shaped gap


def test_road_subdistricts_random_lengths_add_up():
    rng = np.random.default_rng(8)
    subs = _gdf(
        [{"subdistrict_id": f"S{i}"} for i in range(4)],
        [
            _box(0, 0, 500, 500),
            _box(500, 0, 1000, 500),
            _box(0, 500, 500, 1000),
            _box(500, 500, 1000, 1000),
        ],
    )
    lines = [
        LineString([(X0 + x, Y0 + y) for x, y in rng.uniform(-100, 1100, (2, 2))])
        for _ in range(30)
    ]
    roads = _gdf([{"road_id": f"R{i}"} for i in range(30)], lines)
    out = road_subdistricts(roads, subs, min_part_m=0.0).set_index("road_id")
    district = shapely.union_all(subs.geometry)
    for i, g in enumerate(lines):
        n = sum(g.intersection(s).length > 0 for s in subs.geometry)
        outside = g.difference(district).length
        if f"R{i}" in out.index:
            assert out.loc[f"R{i}", "n_subdistricts"] == n
            assert out.loc[f"R{i}", "outside_m"] == pytest.approx(outside, abs=1e-6)
        else:
            assert n == 1 and outside == pytest.approx(0, abs=1e-9)


# ------------------------------------------------------------------ presets


@pytest.fixture
def town():
    """Two subdistricts, four grid cells, streets, one beautiful block, compounds, parking, river."""
    subs = _gdf(
        [
            {"subdistrict_id": "310110019", "name": "五角场街道"},
            {"subdistrict_id": "310110020", "name": "新江湾城街道"},
        ],
        [_box(0, 0, 500, 400), _box(500, 0, 1000, 400)],
    )
    cells = _gdf(
        [
            {"grid_id": f"G{i}", "subdistrict_id": "310110019" if i < 2 else "310110020"}
            for i in range(4)
        ],
        [
            _box(0, 0, 250, 400),
            _box(250, 0, 500, 400),
            _box(500, 0, 750, 400),
            _box(750, 0, 1000, 380),
        ],
    )
    roads = _gdf(
        [
            {"road_id": "A1", "name": "政通路", "road_class": "arterial"},
            {"road_id": "A2", "name": "政通路", "road_class": "arterial"},
            {"road_id": "S1", "name": "国定路", "road_class": "secondary"},
            {"road_id": "B1", "name": "支路", "road_class": "branch"},
            {"road_id": "I1", "name": "小区路", "road_class": "internal"},
        ],
        [
            _line((0, 200), (500, 200)),
            _line((500, 200), (1000, 200)),
            _line((300, 0), (300, 400)),
            _line((700, 200), (700, 390)),
            _line((100, 250), (100, 300)),
        ],
    )
    blocks = _gdf(
        [{"block_id": "B1", "name": "大学路街区", "year": 2023}], [_box(100, 210, 400, 300)]
    )
    compounds = _gdf(
        [
            {"compound_id": "C1", "name": "近小区", "households": 300},
            {"compound_id": "C2", "name": "远小区", "households": 500},
            {"compound_id": "C3", "name": "东南小区", "households": 200},
        ],
        [_box(40, 220, 80, 260), _box(860, 220, 900, 260), _box(880, 20, 920, 60)],
    )
    facilities = _gdf(
        [
            {"facility_id": "P1", "name": "公共停车场", "kind": "public", "capacity": 100},
            {
                "facility_id": "P2",
                "name": "办公楼车库",
                "kind": "office",
                "capacity": 80,
                "shared_offpeak": True,
            },
            {"facility_id": "P3", "name": "小区车库", "kind": "residential", "capacity": 50},
        ],
        [Point(X0 + 150, Y0 + 190), Point(X0 + 600, Y0 + 210), Point(X0 + 880, Y0 + 200)],
    )
    rivers = _gdf(
        [{"river_id": "HD1", "name": "虬江"}, {"river_id": "HD2", "name": "湖"}],
        [_line((0, 350), (600, 350), (600, 380)), _box(800, 300, 900, 350)],
    )
    return {
        "subdistricts": subs,
        "grid_cells": cells,
        "roads": roads,
        "beautiful_blocks": blocks,
        "residential_compounds": compounds,
        "parking_facilities": facilities,
        "rivers": rivers,
        "water_stations": _gdf(
            [{"station_id": "WQ1", "name": "虬江断面", "river_id": "HD1", "water_body": "river"}],
            [Point(X0, Y0 + 360)],
        ),
    }


def test_beautiful_streets_by_hand(town):
    r = beautiful_streets(
        town["roads"],
        town["beautiful_blocks"],
        subdistricts=town["subdistricts"],
        grid_cells=town["grid_cells"],
    )
    # block 100..400 × 210..300 reaches 20 m: 政通路 (y=200) from x=80 to 420 (20 m circle ends)
    bs = r.tables["by_subdistrict"].set_index(["subdistrict_id", "road_class"])
    a = bs.loc[("310110019", "arterial")]
    half = np.sqrt(20**2 - 10**2)  # the 20 m buffer corner reaches 17.3 m beyond x=100 / 400
    assert a["total"] == pytest.approx(500.0)
    assert a["covered"] == pytest.approx(300 + 2 * half, abs=0.05)
    s = bs.loc[("310110019", "secondary")]
    assert s["covered"] == pytest.approx(130.0, abs=1e-6)  # y 190..320 at x=300
    assert ("310110020", "arterial") in bs.index and "internal" not in r.tables["by_class"][
        "road_class"
    ].tolist()
    top = r.tables["uncovered_stretches"]
    assert top["name"].iloc[0] == "政通路" and top["length_m"].iloc[0] == pytest.approx(
        1000 - 400 - half, abs=0.05
    )  # A1's east part joins A2
    assert set(top["road_class"]) <= {"arterial", "secondary"}
    assert r.summary["covered_share"] == pytest.approx(
        (300 + 2 * half + 130) / (1000 + 400 + 190), abs=1e-4
    )


def test_parking_reach_network_and_euclidean(town):
    kw = {"subdistricts": town["subdistricts"], "grid_cells": town["grid_cells"]}
    net = parking_reach(
        town["residential_compounds"], town["parking_facilities"], roads=town["roads"], **kw
    )
    eu = parking_reach(
        town["residential_compounds"], town["parking_facilities"], distance="euclidean", **kw
    )
    n = net.tables["compounds"].set_index("target_id")
    e = eu.tables["compounds"].set_index("target_id")
    # C1 walks to P1: 40 m to 政通路 at x=60, 90 m along it, 10 m to P1
    assert bool(n.loc["C1", "covered"]) and n.loc["C1", "nearest_provider_id"] == "P1"
    assert n.loc["C1", "nearest_distance_m"] == pytest.approx(40 + 90 + 10, abs=1)
    # C2: the residential garage P3 is not public; the shared office garage P2 is 280 m away
    # in a straight line but 40 + 280 + 10 = 330 m on foot
    assert bool(e.loc["C2", "covered"]) and not bool(n.loc["C2", "covered"])
    assert n.loc["C2", "nearest_provider_id"] == "P2"
    assert list(net.tables["unreached"]["target_id"]) == ["C2", "C3"]  # by households
    assert list(eu.tables["unreached"]["target_id"]) == ["C3"]
    sub = net.tables["by_subdistrict"].set_index("subdistrict_id")
    assert sub.loc["310110020", "households_unreached"] == 500 + 200
    assert net.summary["households_unreached"] == int(net.tables["unreached"]["households"].sum())


def test_river_monitoring_straight_and_along_river(town):
    stations = _pts([(0, 360)], station_id=["WQ1"])
    eu = river_monitoring(town["rivers"], stations, service_m=400)
    net = river_monitoring(town["rivers"], stations, service_m=400, distance="network")
    re = eu.tables["rivers"].set_index("target_id")
    rn = net.tables["rivers"].set_index("target_id")
    # straight: circle of 400 m around (0, 360) cuts y=350 at x = sqrt(400² − 10²), less the
    # polygonal circle's chord error (400 m × (1 − cos(π/64)) < 0.5 m)
    assert re.loc["HD1", "covered_length_m"] == pytest.approx(np.sqrt(400**2 - 100), abs=0.5)
    # along the river: 10 m access, then 390 m east
    assert rn.loc["HD1", "covered_length_m"] == pytest.approx(390.0, abs=1e-6)
    assert rn.loc["HD2", "covered_share"] == 0 and any("polygon" in x for x in net.notes)
    top = net.tables["uncovered_stretches"]
    assert top["length_m"].iloc[0] == pytest.approx(630 - 390)
    st = synthetic_stations(town["rivers"], spacing_m=200, drop_every=0)
    assert len(st) == 3 + 1 and set(st["source"]) == {"synthetic"}  # 630 m line, 300 m ring


# ------------------------------------------------------------------ CLI and map


@pytest.fixture
def town_registry(town, registry_target, tmp_path):
    return load_layers(registry_target, town, tmp_path)


def _coverage_cli(registry, out, *args):
    """``yangpu-gis analyze coverage --registry REGISTRY --out OUT ARGS…`` through Typer."""
    from yangpu_gis.cli import app

    return CliRunner().invoke(
        app, ["analyze", "coverage", "--registry", registry, "--out", str(out), *args]
    )


def test_cli_all_presets(town_registry, tmp_path):
    out = tmp_path / "out"
    r = _coverage_cli(town_registry, out, "--json")
    assert r.exit_code == 0, r.output
    data = {x["preset"]: x for x in json.loads(r.output)["reports"]}
    assert set(data) == {
        "beautiful-streets",
        "parking-reach",
        "grid-completeness",
        "river-monitoring",
    }
    assert data["parking-reach"]["compounds_unreached"] == 2
    assert data["grid-completeness"]["gaps"] == 1  # 750..1000 × 380..400
    assert data["grid-completeness"]["gap_area_m2"] == pytest.approx(250 * 20)
    # the registry's own water_stations (one, at the west end of 虬江), never invented ones
    assert data["river-monitoring"]["stations"] == 1
    assert "stations_synthetic" not in data["river-monitoring"]
    bs = pd.read_csv(
        out / "beautiful_streets_by_subdistrict.csv",
        encoding="utf-8-sig",
        dtype={"subdistrict_id": str},
    )
    assert {"subdistrict_id", "road_class", "total", "covered", "covered_share"} <= set(bs.columns)
    import pyogrio

    layers = {n for n, _ in pyogrio.list_layers(out / "coverage.gpkg")}
    assert {
        "beautiful_streets_uncovered_streets",
        "parking_reach_compounds_unreached",
        "grid_completeness_gaps",
        "river_monitoring_stations",
    } <= layers
    html = (out / "coverage_parking_reach.html").read_text(encoding="utf-8")
    assert "不可达小区" in html and '<script src="http' not in html
    assert "网格空白区" in (out / "coverage_grid_completeness.html").read_text(encoding="utf-8")


def test_cli_general_form_and_errors(town, tmp_path):
    target = str(tmp_path / "reg.gpkg")
    names = ("roads", "parking_facilities", "subdistricts", "grid_cells", "rivers")
    load_layers(target, {name: town[name] for name in names}, tmp_path)
    out = tmp_path / "g"
    r = _coverage_cli(
        target,
        out,
        "--targets",
        "roads",
        "--providers",
        "parking_facilities",
        "--service-m",
        "150",
        "--distance",
        "network",
        "--json",
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)["reports"][0]
    assert rep["preset"] == "custom" and rep["distance"] == "network"
    t = pd.read_csv(out / "custom_targets.csv", encoding="utf-8-sig")
    assert {"target_id", "covered_share", "nearest_provider_id"} <= set(t.columns)
    assert (out / "coverage_custom.html").exists()
    stations = tmp_path / "st.geojson"
    _pts([(0, 360)], station_id=["WQ1"]).to_file(stations)
    r = _coverage_cli(
        target,
        tmp_path / "r",
        "--preset",
        "river-monitoring",
        "--stations",
        str(stations),
        "--service-m",
        "400",
        "--json",
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)["reports"][0]
    assert rep["stations"] == 1 and "stations_synthetic" not in rep
    for bad in (
        ["--preset", "nowhere"],
        ["--distance", "crow"],
        ["--targets", "roads"],
        ["--preset", "beautiful-streets"],
    ):  # no beautiful_blocks loaded
        res = _coverage_cli(target, tmp_path / "x", *bad)
        assert res.exit_code == 2, (bad, res.output)


def test_coverage_map_renders(town):
    from yangpu_gis.maps.coverage import coverage_map

    r = beautiful_streets(
        town["roads"], town["beautiful_blocks"], subdistricts=town["subdistricts"]
    )
    html = coverage_map(r, offline=True, data_date="2025-06-30").get_root().render()
    for text in (
        "美丽街区沿街覆盖",
        "未覆盖街道",
        "已覆盖街道",
        "最长未覆盖路段",
        "街道覆盖率",
        "1 政通路",
        "2025-06-30",
    ):
        assert text in html, text


# ------------------------------------------------------------------ one-call tables (issue 7)


def test_subdistrict_totals_match_shapely_intersections():
    rng = np.random.default_rng(17)
    subs = _gdf(
        [{"subdistrict_id": f"S{i}", "name": f"街道{i}"} for i in range(5)],
        [
            _box(0, 0, 500, 500),
            _box(500, 0, 1000, 500),
            _box(0, 500, 500, 1000),
            _box(500, 500, 1000, 1000),
            _box(5000, 5000, 5100, 5100),  # no street in it
        ],
    )
    classes = ["arterial", "secondary", "branch", "internal"]
    lines = [
        LineString([(X0 + x, Y0 + y) for x, y in rng.uniform(-50, 1050, (3, 2))]) for _ in range(40)
    ]
    roads = _gdf(
        [{"road_id": f"R{i}", "name": f"路{i}", "road_class": classes[i % 4]} for i in range(40)],
        lines,
    )
    blocks = _gdf(
        [{"block_id": f"B{i}"} for i in range(6)],
        [
            _box(x, y, x + w, y + h)
            for x, y, w, h in zip(
                rng.uniform(0, 900, 6),
                rng.uniform(0, 900, 6),
                rng.uniform(50, 200, 6),
                rng.uniform(50, 200, 6),
                strict=True,
            )
        ],
    )
    r = beautiful_streets(roads, blocks, subdistricts=subs, buffer_m=20)
    got = r.tables["subdistrict_totals"].set_index("subdistrict_id")
    assert list(got.index) == [f"S{i}" for i in range(5)]
    assert list(got.columns) == [
        "name",
        "n_streets",
        "street_m",
        "covered_m",
        "uncovered_m",
        "covered_share",
    ]
    reach = shapely.union_all([g.buffer(20, quad_segs=QS) for g in blocks.geometry])
    streets = [g for g, c in zip(lines, roads["road_class"], strict=True) if c != "internal"]
    for sid, poly in zip(subs["subdistrict_id"], subs.geometry, strict=True):
        parts = [g.intersection(poly) for g in streets]
        total = sum(p.length for p in parts)
        covered = sum(p.intersection(reach).length for p in parts)
        row = got.loc[sid]
        assert row["street_m"] == pytest.approx(total, abs=1e-6)
        assert row["covered_m"] == pytest.approx(covered, abs=0.05)
        assert row["uncovered_m"] == pytest.approx(total - covered, abs=0.05)
        assert row["n_streets"] == sum(p.length > 0 for p in parts)
        if total:
            assert row["covered_share"] == pytest.approx(covered / total, abs=1e-4)
    assert got.loc["S4", "street_m"] == 0 and pd.isna(got.loc["S4", "covered_share"])
    # streets run beyond the subdistricts: only the parts inside count
    inside = shapely.union_all(subs.geometry)
    assert got["street_m"].sum() == pytest.approx(
        sum(g.intersection(inside).length for g in streets), abs=1e-6
    )
    # the map layer shows the same shares
    layer = r.layers["subdistricts"].set_index("subdistrict_id")
    np.testing.assert_allclose(
        layer.loc[["S0", "S1", "S2", "S3"], "covered_share"],
        got.loc[["S0", "S1", "S2", "S3"], "covered_share"],
    )


def test_subdistrict_totals_need_subdistricts(town):
    r = beautiful_streets(town["roads"], town["beautiful_blocks"])
    assert "subdistrict_totals" not in r.tables


def test_sanbuguan_roads_leave_out_internal_roads_by_default():
    subs = _gdf(
        [{"subdistrict_id": "S1"}, {"subdistrict_id": "S2"}],
        [_box(0, 0, 150, 100), _box(150, 0, 300, 100)],
    )
    roads = _gdf(
        [
            {"road_id": "street", "name": "街", "road_class": "branch"},
            {"road_id": "compound", "name": "小区路", "road_class": "internal"},
        ],
        [_line((100, 20), (200, 20)), _line((100, 50), (200, 50))],
    )
    assert road_subdistricts(roads, subs)["road_id"].tolist() == ["street"]
    both = road_subdistricts(roads, subs, include_internal=True).set_index("road_id")
    assert list(both.index) == ["street", "compound"]
    assert both.loc["compound", "subdistrict_ids"] == "S1;S2"
    cells = _gdf([{"grid_id": "A", "subdistrict_id": "S1"}], [_box(0, 0, 300, 100)])
    r = grid_completeness(cells, subdistricts=subs, roads=roads)
    assert r.tables["roads"]["road_id"].tolist() == ["street"]
    assert r.tables["by_subdistrict"]["sanbuguan_roads"].tolist() == [1, 1]
    r = grid_completeness(cells, subdistricts=subs, roads=roads, include_internal=True)
    assert sorted(r.tables["roads"]["road_id"]) == ["compound", "street"]
    # a roads layer without road_class is checked whole
    plain = roads.drop(columns="road_class")
    assert len(road_subdistricts(plain, subs)) == 2


# ------------------------------------------------------------------ one entry point (issue 14)


def test_analyze_coverage_result_tables_layers_parameters(town):
    from yangpu_gis.analysis.coverage import PRESETS, CoverageResult, analyze_coverage
    from yangpu_gis.analysis.result import AnalysisResult

    r = analyze_coverage(layers=town)
    assert isinstance(r, CoverageResult) and isinstance(r, AnalysisResult)
    assert [x.preset for x in r.reports] == list(PRESETS)
    tables = r.tables()
    alone = beautiful_streets(
        town["roads"],
        town["beautiful_blocks"],
        subdistricts=town["subdistricts"],
        grid_cells=town["grid_cells"],
    )
    for name, frame in alone.tables.items():
        pd.testing.assert_frame_equal(tables[f"beautiful_streets_{name}"], frame)
    assert "parking_reach_unreached" in tables and "river_monitoring_rivers" in tables
    assert "grid_completeness_gaps" in r.layers()
    params = r.parameters_table().set_index("parameter")
    assert params.loc["parking_service_m", "unit"] == "m"
    assert "issue 6" in params.loc["parking_service_m", "source"]
    only = analyze_coverage(preset="river-monitoring", layers=town, service_m=400)
    assert only.parameters["river_service_m"] == 400.0
    assert set(only.tables()) == {f"river_monitoring_{n}" for n in only.reports[0].tables}
    from yangpu_gis.errors import ValidationError

    with pytest.raises(ValidationError):
        analyze_coverage(preset="nowhere", layers=town)
    with pytest.raises(ValidationError):
        analyze_coverage(preset="river-monitoring", layers={"rivers": town["rivers"]})
    custom = analyze_coverage(town["roads"], town["parking_facilities"], service_m=150)
    assert custom.reports[0].preset == "custom" and "custom_targets" in custom.tables()


def test_lonlat_input_is_refused():
    from yangpu_gis.errors import CRSError

    roads = _gdf([{"road_id": "R1"}], [_line((0, 0), (1000, 0))]).to_crs("EPSG:4326")
    stops = _pts([(200, 0)], stop_id=["S1"])
    with pytest.raises(CRSError, match="metric CRS"):
        service_coverage(roads, stops, service_m=300)


def test_cli_service_m_help_shows_the_defaults():
    from yangpu_gis.analysis.coverage import COVERAGE_DEFAULTS as D
    from yangpu_gis.cli.analyze.coverage import SERVICE_M

    assert SERVICE_M == {
        "beautiful-streets": D.beautiful_buffer_m,
        "parking-reach": D.parking_service_m,
        "river-monitoring": D.river_service_m,
    }

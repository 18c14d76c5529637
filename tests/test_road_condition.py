"""好路率: PCI grades by class, lengths split exactly at subdistrict borders (shapely oracle)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from yangpu_gis.analysis.road_condition import analyze_road_condition, grade_pci
from yangpu_gis.errors import ValidationError


def _subs():
    # two subdistricts side by side, x < 1000 and 1000 <= x < 2000; nothing beyond 2000
    return gpd.GeoDataFrame({"subdistrict_id": ["A", "B"], "name": ["甲", "乙"]},
                            geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
                            crs="EPSG:4549")


def _roads():
    lines = [
        shapely.LineString([(100, 500), (1600, 500)]),             # crosses A|B: 900 + 600
        shapely.LineString([(900, 100), (1300, 900)]),             # diagonal across the border
        shapely.LineString([(1500, 200), (2300, 200)]),            # 500 in B, 300 outside
        shapely.LineString([(200, 200), (200, 900), (600, 900)]),  # within A
        shapely.LineString([(1200, 700), (1800, 700)]),            # B, no PCI
    ]
    return gpd.GeoDataFrame({"road_id": list("abcde"), "name": list("abcde"),
                             "road_class": ["arterial", "branch", "arterial", "alley", "branch"],
                             "pci": [85.0, 69.9, 74.99, 92.0, None]},
                            geometry=lines, crs="EPSG:4549")


def test_grades_at_thresholds_and_override():
    g = grade_pci(np.array([85, 84.99, 75, 74.99, 65, 64.99]), np.array(["arterial"] * 6))
    assert g.tolist() == ["优", "良", "良", "中", "中", "差"]
    g = grade_pci(np.array([60.0]), np.array(["branch"]), grades={"branch": (95, 90, 50)})
    assert g.tolist() == ["中"]
    with pytest.raises(ValidationError, match="decreasing"):
        grade_pci(np.array([60.0]), np.array(["branch"]), grades={"branch": (50, 90, 95)})
    with pytest.raises(ValidationError, match="no PCI grade"):
        grade_pci(np.array([60.0]), np.array(["tram"]))


def test_lengths_split_exactly_against_shapely():
    roads, subs = _roads(), _subs()
    rep = analyze_road_condition(roads, subs)
    t = rep.table.set_index(["subdistrict_id", "road_class"])
    # oracle: shapely intersection per road and subdistrict, a plain loop
    want: dict = {}
    good_want: dict = {}
    good = {"a": True, "b": False, "c": False, "d": True, "e": False}
    for road in roads.itertuples():
        for sub in subs.itertuples():
            length = shapely.intersection(road.geometry, sub.geometry).length
            if length:
                key = (sub.subdistrict_id, road.road_class)
                want[key] = want.get(key, 0) + length
                good_want[key] = good_want.get(key, 0) + (length if good[road.road_id] else 0)
        out = road.geometry.difference(subs.union_all()).length
        if out:
            want[("outside", road.road_class)] = want.get(("outside", road.road_class), 0) + out
    for key, length in want.items():
        assert t.loc[key, "length_m"] == pytest.approx(length, abs=0.01), key
        assert t.loc[key, "good_length_m"] == pytest.approx(good_want.get(key, 0), abs=0.01)
    assert t.loc[("A", "arterial"), "length_m"] == pytest.approx(900)
    assert t.loc[("B", "arterial"), "length_m"] == pytest.approx(600 + 500)
    assert t.loc[("outside", "arterial"), "length_m"] == pytest.approx(300)
    # pieces add up to the whole network
    assert rep.pieces["length_m"].sum() == pytest.approx(roads.length.sum())
    # district: rated length excludes road e; good = a + d
    d = t.loc[("district", "all")]
    assert d["length_m"] == pytest.approx(roads.length.sum(), abs=0.01)
    rated = roads.length[:4].sum()
    assert d["good_rate"] == pytest.approx((roads.length[0] + roads.length[3]) / rated, abs=1e-5)
    assert rep.summary()["gap_pp"] == pytest.approx((0.95 - d["good_rate"]) * 100, abs=1e-2)
    assert rep.summary()["unrated_length_m"] == pytest.approx(600, abs=0.1)
    # per-subdistrict totals equal the sum of their classes
    for s in ("A", "B"):
        assert t.loc[(s, "all"), "length_m"] == pytest.approx(
            t.loc[s].drop(index="all")["length_m"].sum(), abs=0.02)


def test_worst_ranking():
    rep = analyze_road_condition(_roads(), _subs())
    assert rep.worst["road_id"].tolist() == ["b", "c", "a", "d"]
    assert rep.worst.loc[0, "rank"] == 1 and rep.worst.loc[0, "subdistrict_id"] in ("A", "B")


def test_missing_columns_and_bad_pci():
    with pytest.raises(ValidationError, match="pci"):
        analyze_road_condition(_roads().drop(columns="pci"), _subs())
    bad = _roads()
    bad.loc[2, "pci"] = 120
    with pytest.raises(ValidationError) as e:
        analyze_road_condition(bad, _subs())
    assert "row 3" in e.value.render()


@pytest.mark.parametrize("rate", [0.0, -0.1, 1.5, 95.0, float("nan")])
def test_a_target_rate_outside_0_to_1_is_refused(rate):
    with pytest.raises(ValidationError, match="target good-road rate"):
        analyze_road_condition(_roads(), _subs(), target_rate=rate)

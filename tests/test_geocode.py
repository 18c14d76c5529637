"""Work orders without coordinates are placed on the road their address names."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
import shapely

from yangpu_gis.errors import ValidationError
from yangpu_gis.io.geocode import locate_on_roads, match_road_names

from .conftest import FIXTURES, SHARED_REAL

OSM = SHARED_REAL / "osm_derived" / "yangpu_nw_osm_layers.gpkg"


@pytest.mark.skipif(not OSM.exists(), reason="shared real data not present")
def test_addresses_match_real_osm_road_names():
    names = pyogrio.read_dataframe(OSM, layer="roads", columns=["name"],
                                   read_geometry=False)["name"].dropna()
    addresses = pd.Series(["上海市杨浦区国权路525号", "政通路与国定路交叉口", "淞沪路8号",
                           "杨浦区邯郸路220号复旦大学", "某某小区3号楼", None])
    got = [m.names if m else None for m in match_road_names(addresses, names)]
    assert got == [("国权路",), ("政通路", "国定路"), ("淞沪路",), ("邯郸路",), None, None]
    assert {"国权路", "政通路", "国定路", "淞沪路", "邯郸路"} <= set(names)


def test_longest_name_wins_and_a_second_road_needs_a_junction_word():
    names = ["长阳路", "长阳路1567弄", "控江路", "江浦路"]
    got = [m.names for m in match_road_names(
        pd.Series(["长阳路1567弄12号", "控江路江浦路口", "控江路1500号（近江浦路）"]), names)]
    assert got == [("长阳路1567弄",), ("控江路", "江浦路"), ("控江路",)]


def test_points_lie_on_the_road_or_at_the_crossing():
    roads = pd.DataFrame({"name": ["甲路", "甲路", "乙路"]})
    import geopandas as gpd

    roads = gpd.GeoDataFrame(roads, geometry=[
        shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (300, 0)]),
        shapely.LineString([(50, -50), (50, 50)])], crs="EPSG:4549")
    pts = locate_on_roads(pd.Series(["甲路8号", "甲路与乙路交叉口", "丙路"]), roads)
    merged = shapely.line_merge(shapely.union_all(roads.geometry.values[:2]))
    assert pts.iloc[0].distance(merged) < 1e-9
    assert merged.project(pts.iloc[0], normalized=True) == pytest.approx(0.5)
    assert pts.iloc[1].equals(shapely.intersection(merged, roads.geometry.iloc[2]))
    assert pts.iloc[2] is None


def _orders(tmp_path):
    frame = pd.DataFrame({
        "工单编号": ["A1", "A2", "A3", "A4", "A5"],
        "受理时间": ["2025-05-01 09:00"] * 5,
        "问题类别": ["道路破损"] * 5,
        "地址": ["控江路1500号", "大学路与国权路交叉口", "政通路200号", "大学路3号", "某某小区3号楼"],
        "lon": [121.5250, None, None, 121.5080, None],
        "lat": [31.2775, None, None, 31.3040, None],
    })
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def test_loader_places_orders_by_address(registry, tmp_path):
    registry.load(FIXTURES / "roads_gbk.zip", "roads")
    path = _orders(tmp_path)
    before = registry.layers()
    with pytest.raises(ValidationError) as exc:
        registry.load(path, "complaints", crs="EPSG:4326")
    problem = exc.value.problems[0]
    assert problem.rows == [6] and problem.field == "地址" and "某某小区" in problem.message
    pd.testing.assert_frame_equal(registry.layers(), before)

    result = registry.load(path, "complaints", crs="EPSG:4326", skip_unlocated=True)
    assert result.rows_inserted == 4 and result.details["skipped_rows"] == [6]
    got = registry.read("complaints").set_index("complaint_id")
    roads = registry.read("roads").set_index("name")
    assert got["location_precision"].to_dict() == {"A1": "point", "A2": "road", "A3": "road",
                                                   "A4": "point"}
    assert got.geometry["A3"].distance(roads.geometry["政通路"]) < 1e-6
    crossing = shapely.intersection(roads.geometry["大学路"], roads.geometry["国权路"])
    assert got.geometry["A2"].distance(crossing) < 1e-6


def test_orders_without_coordinates_need_roads_or_addresses(registry, tmp_path):
    path = _orders(tmp_path)
    with pytest.raises(ValidationError, match="no roads to place them on"):
        registry.load(path, "complaints", crs="EPSG:4326")
    frame = pd.read_csv(path).drop(columns=["地址"])
    frame.to_csv(path, index=False)
    with pytest.raises(ValidationError, match="no address column"):
        registry.load(path, "complaints", crs="EPSG:4326")

"""Bad input gets a clear error naming file, rows and field, and the registry loses nothing.

Each broken file is derived in ``tmp_path`` from the good fixtures in ``data/fixtures``
(``scripts/make_fixtures.py``), so the only difference from a file that loads is the defect.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from yangpu_gis.errors import CRSError, SourceError, ValidationError
from yangpu_gis.io import read_source

from .conftest import FIXTURES


def copy_roads(tmp_path: Path) -> Path:
    dst = tmp_path / "roads"
    shutil.copytree(FIXTURES / "roads_gbk", dst)
    return dst / "roads.shp"


def snapshot(reg) -> dict:
    """Everything a load could change: per-layer rows and the batches table."""
    return {
        "layers": reg.layers().to_dict("records"),
        "roads": reg.read("roads").to_wkt().astype(str).to_dict("records"),
        "batches": len(reg.batches()),
    }


@pytest.fixture
def loaded(registry):
    """A registry that already holds the six fixture roads (batch 1)."""
    registry.load(FIXTURES / "roads_gbk" / "roads.shp", "roads")
    return registry


def assert_refused(reg, before, exc_info, *, source: str, rows=None, field=None, text=None):
    err = exc_info.value
    assert source in (err.source or "")
    if rows is not None:
        assert sorted({r for p in err.problems for r in p.rows}) == rows
    if field is not None:
        assert field in {p.field for p in err.problems}
    if text is not None:
        assert text in err.render()
    assert snapshot(reg) == before


# ------------------------------------------------------------------ damaged files
def test_truncated_shp(loaded, tmp_path):
    shp = copy_roads(tmp_path)
    data = shp.read_bytes()
    shp.write_bytes(data[: len(data) - 60])
    before = snapshot(loaded)
    with pytest.raises(SourceError) as exc:
        loaded.load(shp, "roads", mode="replace")
    assert_refused(loaded, before, exc, source="roads.shp", text="truncated .shp")
    assert "copy the" in exc.value.render()


@pytest.mark.parametrize("part", [".dbf", ".shx"])
def test_missing_part(loaded, tmp_path, part):
    shp = copy_roads(tmp_path)
    shp.with_suffix(part).unlink()
    before = snapshot(loaded)
    with pytest.raises(SourceError) as exc:
        loaded.load(shp, "roads", mode="replace")
    assert_refused(loaded, before, exc, source="roads.shp", text=f"roads{part} missing")


def test_empty_file(loaded, tmp_path):
    empty = tmp_path / "blocks.geojson"
    empty.write_bytes(b"")
    before = snapshot(loaded)
    with pytest.raises(SourceError) as exc:
        loaded.load(empty, "beautiful_blocks")
    assert_refused(loaded, before, exc, source="blocks.geojson", text="empty file")


def test_truncated_dbf(tmp_path):
    shp = copy_roads(tmp_path)
    dbf = shp.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-200])
    with pytest.raises(SourceError, match="truncated .dbf"):
        read_source(shp)


def test_parts_from_different_exports(tmp_path):
    shp = copy_roads(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    gdf = pyogrio.read_dataframe(shp, encoding="gbk").iloc[:3]
    pyogrio.write_dataframe(gdf, other / "roads.shp", encoding="GBK")
    shutil.copy(other / "roads.dbf", shp.with_suffix(".dbf"))
    with pytest.raises(SourceError, match="3 records but the .shx indexes 6"):
        read_source(shp)


# ------------------------------------------------------------------ encoding
def test_gbk_without_cpg_is_detected(tmp_path):
    shp = copy_roads(tmp_path)
    assert not shp.with_suffix(".cpg").exists()
    raw = read_source(shp)
    assert raw.encoding.display == "GBK/GB18030"
    assert "no .cpg" in raw.encoding.how
    assert "道路名称" in raw.frame.columns
    assert raw.frame["道路名称"].tolist()[:3] == ["控江路", "政通路", "大学路"]


def test_cpg_that_lies_names_rows_and_field(loaded, tmp_path):
    shp = copy_roads(tmp_path)
    shp.with_suffix(".cpg").write_text("UTF-8")
    before = snapshot(loaded)
    with pytest.raises(SourceError) as exc:
        loaded.load(shp, "roads", mode="replace")
    assert_refused(loaded, before, exc, source="roads.dbf", text="encoding mix-up")
    assert "pass --encoding gb18030" in exc.value.render()
    assert {r for p in exc.value.problems for r in p.rows} == {1, 2, 3, 4, 5, 6}


def test_encoding_override_wins(tmp_path):
    shp = copy_roads(tmp_path)
    shp.with_suffix(".cpg").write_text("UTF-8")
    raw = read_source(shp, encoding="GBK")
    assert raw.frame["道路名称"].iloc[0] == "控江路"


def test_gbk_csv_detected_utf8_bom_csv_detected(tmp_path):
    frame = pd.DataFrame({"工单编号": ["A1"], "受理时间": ["2025-01-02 10:00"], "问题类别": ["噪声"],
                          "lon": [121.52], "lat": [31.29]})
    frame.to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    frame.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig")
    assert read_source(tmp_path / "gbk.csv").encoding.display == "GBK/GB18030"
    raw = read_source(tmp_path / "bom.csv")
    assert raw.encoding.display == "UTF-8"
    assert raw.frame["问题类别"].iloc[0] == "噪声"


# ------------------------------------------------------------------ CRS and extent
def test_no_crs_and_no_crs_option(loaded, tmp_path):
    shp = copy_roads(tmp_path)
    shp.with_suffix(".prj").unlink()
    before = snapshot(loaded)
    with pytest.raises(CRSError) as exc:
        loaded.load(shp, "roads", mode="replace")
    assert_refused(loaded, before, exc, source="roads.shp", text="no coordinate system")
    assert "the numbers fit EPSG:4549" in exc.value.render()
    # and with --crs it loads
    result = loaded.load(shp, "roads", mode="replace", crs="EPSG:4549")
    # the same six roads as stored: read in the given CRS, they equal them (unchanged)
    assert (result.rows_read, result.rows_inserted, result.rows_unchanged) == (6, 0, 6)


def test_swapped_lon_lat_in_csv(registry, tmp_path):
    csv = tmp_path / "complaints.csv"
    pd.DataFrame({"工单编号": ["A1", "A2"], "受理时间": ["2025-01-02 10:00"] * 2,
                  "问题类别": ["噪声"] * 2, "lon": [31.29, 31.30], "lat": [121.52, 121.53]}
                 ).to_csv(csv, index=False)
    before = snapshot(registry)
    with pytest.raises(ValidationError) as exc:
        registry.load(csv, "complaints", crs="EPSG:4326")
    assert_refused(registry, before, exc, source="complaints.csv", rows=[2, 3], field="geometry",
                   text="lon and lat are swapped")


def test_projected_numbers_labelled_as_degrees(tmp_path, registry):
    gdf = gpd.read_file(FIXTURES / "roads_gbk" / "roads.shp", encoding="gbk")
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)  # metres labelled as degrees
    with pytest.raises(ValidationError) as exc:
        registry.load(gdf, "roads", mapping={})
    text = exc.value.render()
    assert "outside Yangpu" in text and "projected metres" in text
    assert "pass --crs EPSG:4549" in text


def test_zone_prefixed_gauss_kruger_recognised(tmp_path, registry):
    gdf = gpd.read_file(FIXTURES / "roads_gbk" / "roads.shp", encoding="gbk").to_crs("EPSG:4528")
    assert gdf.geometry.bounds.minx.min() > 40_000_000
    mislabelled = gdf.set_crs("EPSG:4549", allow_override=True)
    with pytest.raises(ValidationError, match="pass --crs EPSG:4528"):
        registry.load(mislabelled, "roads")
    result = registry.load(gdf, "roads")
    expected = gpd.read_file(FIXTURES / "roads_gbk" / "roads.shp", encoding="gbk")
    got = registry.read("roads")
    assert shapely.equals_exact(got.geometry.values, expected.geometry.values, tolerance=1e-3).all()
    assert result.rows_inserted == 6


# ------------------------------------------------------------------ geometry
def test_self_intersecting_polygon_refused_then_repaired(registry, tmp_path):
    bowtie = shapely.Polygon([(121.510, 31.300), (121.512, 31.302), (121.512, 31.300),
                              (121.510, 31.302)])
    ok = shapely.box(121.513, 31.300, 121.514, 31.301)
    gdf = gpd.GeoDataFrame({"block_id": ["B1", "B2"], "name": ["甲", "乙"], "year": [2020, 2021]},
                           geometry=[ok, bowtie], crs="EPSG:4326")
    path = tmp_path / "blocks.geojson"
    gdf.to_file(path)
    before = snapshot(registry)
    with pytest.raises(ValidationError) as exc:
        registry.load(path, "beautiful_blocks")
    assert_refused(registry, before, exc, source="blocks.geojson", rows=[2], field="geometry",
                   text="Self-intersection")
    result = registry.load(path, "beautiful_blocks", repair=True)
    assert result.details["repairs"][0]["rows"] == [2]
    stored = registry.read("beautiful_blocks", crs="EPSG:4326").set_index("block_id")
    repaired = stored.geometry["B2"]
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    # make_valid keeps the two triangles: same area as shapely computes independently
    assert repaired.area == pytest.approx(shapely.make_valid(bowtie).area, rel=1e-6)


def test_wrong_geometry_type_and_empty(registry):
    gdf = gpd.GeoDataFrame(
        {"road_id": ["A", "B", "C"], "name": ["甲路", "乙路", "丙路"], "road_class": ["branch"] * 3},
        geometry=[shapely.Point(121.52, 31.29), shapely.LineString(),
                  shapely.LineString([(121.52, 31.29), (121.53, 31.29)])],
        crs="EPSG:4326")
    with pytest.raises(ValidationError) as exc:
        registry.load(gdf, "roads")
    msgs = {p.message: p.rows for p in exc.value.problems}
    assert msgs["wrong geometry type (the layer takes LineString)"] == [1]
    assert msgs["empty geometry"] == [2]
    assert registry.layers().set_index("layer").loc["roads", "features"] == 0


def test_z_and_single_part_multi_need_repair(registry):
    z_line = shapely.LineString([(121.52, 31.29, 4.0), (121.53, 31.29, 5.0)])
    multi = shapely.MultiLineString([[(121.52, 31.30), (121.53, 31.30)]])
    gdf = gpd.GeoDataFrame({"pipe_id": ["P1", "P2"], "utility": ["gas", "water"]},
                           geometry=[z_line, multi], crs="EPSG:4326")
    with pytest.raises(ValidationError) as exc:
        registry.load(gdf, "pipelines")
    assert {p.rows[0] for p in exc.value.problems} == {1, 2}
    result = registry.load(gdf, "pipelines", repair=True)
    assert result.rows_inserted == 2
    got = registry.read("pipelines")
    assert not got.has_z.any()
    assert set(got.geom_type) == {"LineString"}


# ------------------------------------------------------------------ attributes
def test_missing_required_column(loaded, tmp_path):
    shp = copy_roads(tmp_path)
    gdf = pyogrio.read_dataframe(shp, encoding="gbk").drop(columns=["道路等级"])
    out = tmp_path / "no_class.gpkg"
    pyogrio.write_dataframe(gdf, out)
    before = snapshot(loaded)
    with pytest.raises(ValidationError) as exc:
        loaded.load(out, "roads", mode="replace")
    assert_refused(loaded, before, exc, source="no_class.gpkg",
                   text="missing required column 'road_class' (道路等级)")
    assert "--map SOURCE=road_class" in exc.value.render()


def test_non_numeric_capacity(registry, tmp_path):
    book = pd.read_excel(FIXTURES / "parking_amap.xlsx")
    book["泊位数"] = book["泊位数"].astype(object)
    book.loc[2, "泊位数"] = "约200个"
    book.loc[4, "泊位数"] = -3
    path = tmp_path / "parking.xlsx"
    book.to_excel(path, index=False)
    before = snapshot(registry)
    with pytest.raises(ValidationError) as exc:
        registry.load(path, "parking_facilities", crs="gcj02")
    # spreadsheet rows: header is row 1, so data rows 3 and 5 are rows 4 and 6
    problems = {p.message.split(" (")[0]: p for p in exc.value.problems}
    assert problems["not a valid int"].rows == [4]
    assert problems["not a valid int"].field == "capacity"
    assert problems["out of range [0, ∞]"].rows == [6]
    assert snapshot(registry) == before


def test_duplicate_ids_in_file(registry, tmp_path):
    book = pd.read_excel(FIXTURES / "parking_amap.xlsx")
    book.loc[3, "编号"] = "P001"
    path = tmp_path / "parking.xlsx"
    book.to_excel(path, index=False)
    with pytest.raises(ValidationError) as exc:
        registry.load(path, "parking_facilities", crs="gcj02")
    assert exc.value.problems[0].rows == [2, 5]
    assert exc.value.problems[0].field == "facility_id"


def test_duplicate_ids_against_registry(loaded):
    before = snapshot(loaded)
    with pytest.raises(ValidationError) as exc:
        loaded.load(FIXTURES / "roads_gbk.zip", "roads", mode="append")
    assert_refused(loaded, before, exc, source="roads_gbk.zip", rows=[1, 2, 3, 4, 5, 6],
                   field="road_id", text="--mode upsert")


def test_enum_values_in_chinese_are_mapped_and_unknown_refused(registry):
    gdf = gpd.GeoDataFrame({"pipe_id": ["P1", "P2", "P3"], "utility": ["燃气", "Water", "蒸汽"]},
                           geometry=[shapely.LineString([(121.52, 31.29 + i / 1000),
                                                         (121.53, 31.29 + i / 1000)])
                                     for i in range(3)], crs="EPSG:4326")
    with pytest.raises(ValidationError) as exc:
        registry.load(gdf, "pipelines")
    assert exc.value.problems[0].rows == [3]
    assert "'蒸汽'" in exc.value.problems[0].message
    registry.load(gdf.iloc[:2], "pipelines")
    assert registry.read("pipelines")["utility"].tolist() == ["gas", "water"]


def test_all_problems_reported_together(registry, tmp_path):
    book = pd.read_excel(FIXTURES / "parking_amap.xlsx")
    book["泊位数"] = book["泊位数"].astype(object)
    book.loc[0, "泊位数"] = "many"
    book.loc[1, "类型"] = "飞机场"
    book.loc[2, "停车场名称"] = None
    path = tmp_path / "parking.xlsx"
    book.to_excel(path, index=False)
    with pytest.raises(ValidationError) as exc:
        registry.load(path, "parking_facilities", crs="gcj02")
    fields = {p.field: p.rows for p in exc.value.problems}
    assert fields == {"capacity": [2], "kind": [3], "name": [4]}


def test_rows_without_coordinates_in_sheet(tmp_path):
    book = pd.read_excel(FIXTURES / "parking_amap.xlsx")
    book.loc[1, "经度"] = None
    path = tmp_path / "parking.xlsx"
    book.to_excel(path, index=False)
    with pytest.raises(SourceError) as exc:
        read_source(path)
    assert exc.value.problems[0].rows == [3]
    assert exc.value.problems[0].field == "经度"


def test_table_without_coordinate_columns_says_so(tmp_path):
    path = tmp_path / "facilities.csv"
    pd.DataFrame({"名称": ["殷行社区卫生服务中心"], "地址": ["开鲁路"]}).to_csv(path, index=False)
    with pytest.raises(SourceError, match="cannot find the x coordinate column"):
        read_source(path)

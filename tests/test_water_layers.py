"""The water-quality layers: ``water_samples`` (an attribute table, no geometry) and
``water_stations`` (points), on both backends, and ``analyze water-quality`` from the registry."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from yangpu_gis import open_registry
from yangpu_gis.analysis import water_quality as wq
from yangpu_gis.catalogue import get_layer
from yangpu_gis.cli import app
from yangpu_gis.errors import RegistryError, ValidationError

SAMPLE_HEADERS = {
    "sample_id": "样品编号", "station_id": "断面编号", "sampled_on": "采样日期", "do": "溶解氧",
    "codmn": "高锰酸盐指数", "nh3n": "氨氮", "tp": "总磷", "cod": "化学需氧量",
    "bod5": "五日生化需氧量",
}


def _samples() -> pd.DataFrame:
    return pd.DataFrame({
        "sample_id": ["S001", "S002", "S003", "S004", "S005"],
        "station_id": ["WS01", "WS01", "WS02", "WS02", "WS03"],
        "sampled_on": ["2025-01-15", "2025-07-14", "2025-02-10", "2025-08-11", "2025-03-03"],
        "do": [6.5, 2.6, 5.0, 3.0, 7.5],
        "codmn": [4.2, 9.8, 6.0, 10.0, 2.0],
        "nh3n": [0.8, 1.75, 1.0, 1.5, 0.15],
        "tp": [0.15, 0.33, 0.2, 0.09, 0.01],
        "cod": [18.0, None, 20.0, 30.0, None],
        "bod5": [None, 7.5, 4.0, None, 3.0],
    })


def _stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"断面编号": ["WS01", "WS02", "WS03"], "断面名称": ["甲断面", "乙断面", "丙断面"],
         "河道编号": ["HD001", "HD003", "HD009"], "水体类型": ["河流", "河道", "湖泊"],
         "水质目标": ["III", "IV", None]},
        geometry=gpd.points_from_xy([121.52, 121.53, 121.4985], [31.27, 31.28, 31.3385]),
        crs="EPSG:4326",
    )


def _write(frame: pd.DataFrame, path, chinese: bool = True):
    table = frame.rename(columns=SAMPLE_HEADERS) if chinese else frame
    if path.suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_csv(path, index=False, encoding="utf-8")
    return path


def _expected(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["sampled_on"] = pd.to_datetime(out["sampled_on"])
    return out


def _attributes(read: pd.DataFrame) -> pd.DataFrame:
    return read.drop(columns="batch_id").reset_index(drop=True)


def test_catalogue_attribute_table():
    samples = get_layer("water_samples")
    assert samples.geometry == () and samples.storage_geometry is None
    assert not samples.has_geometry and samples.id_column == "sample_id"
    assert get_layer("water_stations").storage_geometry == "Point"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_samples_load_without_coordinates_and_read_back(registry, tmp_path, suffix):
    src = _write(_samples(), tmp_path / f"samples{suffix}")
    result = registry.load(src, "water_samples")
    assert result.rows_inserted == 5 and result.details["source_crs"] == ""
    read = registry.read("water_samples")
    assert type(read) is pd.DataFrame  # no geometry: a plain DataFrame
    assert list(read.columns) == [*get_layer("water_samples").column_names, "batch_id"]
    pd.testing.assert_frame_equal(_attributes(read), _expected(_samples()), check_dtype=False)
    assert read["sampled_on"].dtype == "datetime64[ns]" and read["do"].dtype == "float64"
    assert read["sampled_on"].iloc[1].date() == dt.date(2025, 7, 14)
    # upsert and replace work as for vector layers
    # (the same rows again: unchanged, not "updated", issue 13)
    again = registry.load(src, "water_samples", mode="upsert")
    assert (again.rows_updated, again.rows_unchanged) == (0, 5)
    # a replace with the same rows ends nothing and keeps every version (history, issue 15)
    replaced = registry.load(src, "water_samples", mode="replace")
    assert (replaced.rows_inserted, replaced.rows_deleted, replaced.rows_unchanged) == (0, 0, 5)
    assert len(registry.read("water_samples")) == 5
    table = registry.layers().set_index("layer")
    assert table.loc["water_samples", "features"] == 5
    assert table.loc["water_samples", "geometry"] == "None"
    # column selection and CSV export
    assert list(registry.read("water_samples", columns=["tp"]).columns) == ["sample_id", "tp"]
    out = registry.export("water_samples", tmp_path / "out" / "samples.csv")
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert back["sample_id"].tolist() == _samples()["sample_id"].tolist()
    assert "wkt" not in back.columns
    with pytest.raises(ValidationError, match="no geometry"):
        registry.export("water_samples", tmp_path / "out" / "samples.geojson")


def test_samples_from_a_dataframe_and_empty_read(registry):
    empty = registry.read("water_samples")
    assert type(empty) is pd.DataFrame and len(empty) == 0
    assert registry.load(_samples(), "water_samples").rows_inserted == 5
    pd.testing.assert_frame_equal(_attributes(registry.read("water_samples")),
                                  _expected(_samples()), check_dtype=False)


def test_samples_bbox_refused(registry, tmp_path):
    registry.load(_write(_samples(), tmp_path / "s.csv"), "water_samples")
    with pytest.raises(RegistryError, match="no geometry"):
        registry.read("water_samples", bbox=(0, 0, 1, 1))


def test_postgis_table_has_no_geometry_column(pg_url, tmp_path):
    import psycopg

    with open_registry(pg_url) as reg:
        reg.load(_write(_samples(), tmp_path / "s.xlsx"), "water_samples")
    with psycopg.connect(pg_url) as conn:
        cols = {r[0]: r[1] for r in conn.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'water_samples' AND table_schema = current_schema()")}
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'water_samples' "
            "AND schemaname = current_schema()")]
        geom = conn.execute("SELECT count(*) FROM geometry_columns "
                            "WHERE f_table_name = 'water_samples'").fetchone()[0]
    assert "geom" not in cols and geom == 0
    assert set(cols) == {*get_layer("water_samples").column_names, "batch_id"}
    assert cols["sample_id"] == "NO" and cols["tp"] == "NO" and cols["cod"] == "YES"
    assert not any("gist" in d.lower() for d in indexes)
    assert any("PRIMARY KEY" in d.upper() or "pkey" in d for d in indexes)


def _snapshot(registry):
    return (len(registry.batches()), registry.read("water_samples"))


@pytest.mark.parametrize(
    ("edit", "field", "rows"),
    [
        (lambda f: f.assign(sample_id=[None, "S002", "S003", "", "S005"]), "sample_id", [2, 5]),
        (lambda f: f.assign(do=["6.5", "abc", "5.0", "3.0", "7.5"]), "do", [3]),
        (lambda f: f.assign(tp=[0.15, 0.33, -0.2, 0.09, 0.01]), "tp", [4]),
    ],
    ids=["missing-sample_id", "non-numeric-do", "negative-tp"],
)
def test_samples_refused_with_rows_and_registry_unchanged(registry, tmp_path, edit, field, rows):
    registry.load(_samples().iloc[:1], "water_samples")  # something there already
    before = _snapshot(registry)
    src = _write(edit(_samples()), tmp_path / "bad.csv")
    with pytest.raises(ValidationError) as err:
        registry.load(src, "water_samples", mode="upsert")
    problems = [p for p in err.value.problems if p.field == field]
    assert problems, err.value.render()
    assert sorted(r for p in problems for r in p.rows) == rows  # CSV lines, header is line 1
    after = _snapshot(registry)
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])


def test_missing_sample_id_column_refused(registry, tmp_path):
    src = _write(_samples().drop(columns="sample_id"), tmp_path / "s.xlsx")
    with pytest.raises(ValidationError, match="sample_id"):
        registry.load(src, "water_samples")
    assert len(registry.batches()) == 0


def test_stations_load_as_points(registry, tmp_path):
    src = tmp_path / "stations.geojson"
    _stations().to_file(src, driver="GeoJSON")
    assert registry.load(src, "water_stations").rows_inserted == 3
    st = registry.read("water_stations")
    assert isinstance(st, gpd.GeoDataFrame) and set(st.geom_type) == {"Point"}
    assert st.crs.to_epsg() == 4549
    assert st["water_body"].tolist() == ["river", "river", "lake"]
    assert st["target_class"].tolist()[:2] == ["III", "IV"] and pd.isna(st["target_class"].iloc[2])
    assert len(registry.read("water_stations", bbox=tuple(st.total_bounds))) == 3
    # a sample table with coordinates is refused for the points layer
    with pytest.raises(Exception, match="coordinate"):
        registry.load(_write(_samples(), tmp_path / "s.csv"), "water_stations")


def test_analyze_water_quality_from_registry(registry_target, tmp_path):
    stations_src = tmp_path / "stations.geojson"
    _stations().to_file(stations_src, driver="GeoJSON")
    with open_registry(registry_target) as reg:
        reg.load(stations_src, "water_stations")
        reg.load(_write(_samples(), tmp_path / "s.xlsx"), "water_samples")
        st, sm = reg.read("water_stations"), reg.read("water_samples")
    out = tmp_path / "wq"
    result = CliRunner().invoke(app, ["analyze", "water-quality", "--registry", registry_target,
                                      "--out", str(out), "--period", "2025", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["samples"] == 5 and summary["stations"] == 3
    direct = wq.classify_stations(sm, st, period=2025).sort_values("station_id")
    written = pd.read_csv(out / "stations.csv", encoding="utf-8-sig", dtype={"station_id": str})
    written = written.sort_values("station_id")
    assert written["class"].tolist() == direct["class"].tolist()
    assert written["worst_parameter"].tolist() == direct["worst_parameter"].tolist()
    samples = pd.read_csv(out / "samples.csv", encoding="utf-8-sig")
    assert samples["class"].tolist() == wq.classify_samples(sm, st)["class"].tolist()
    # hand-checked: S002 has DO 2.6, NH3-N 1.75, TP 0.33 and BOD5 7.5, all class V
    assert dict(zip(samples["station_id"] + "@" + samples["sampled_on"].astype(str),
                    samples["class"], strict=True))["WS01@2025-07-14"] == "V"
    assert np.isin(direct["class"], wq.CLASSES).all()


def test_analyze_water_quality_empty_registry_says_so(registry_target, tmp_path):
    from .conftest import FIXTURES

    with open_registry(registry_target) as reg:  # a registry (it must exist) without water layers
        reg.load(FIXTURES / "roads_gbk" / "roads.shp", "roads")
    result = CliRunner().invoke(app, ["analyze", "water-quality", "--registry", registry_target,
                                      "--out", str(tmp_path / "wq")])
    assert result.exit_code != 0
    assert "water_stations" in result.output


def test_samples_from_a_geopackage_attributes_table(registry, tmp_path):
    import pyogrio

    src = tmp_path / "samples.gpkg"
    pyogrio.write_dataframe(_samples().rename(columns=SAMPLE_HEADERS), src, layer="监测数据",
                            driver="GPKG")
    assert registry.load(src, "water_samples").rows_inserted == 5
    pd.testing.assert_frame_equal(_attributes(registry.read("water_samples")),
                                  _expected(_samples()), check_dtype=False)

"""Values GDAL hides in GeoJSON and GeoPackage files: JSON booleans in number columns,
impossible dates and an unknown top-level ``crs`` member are refused by feature and field
(or with a CRS error naming what the file declares), never stored as 1, NaT, a rolled-over
date or WGS84.

Cases are generated here from parametrised lists; one of each kind goes through the real
CLI in a fresh subprocess (exit 2, no traceback, registry byte-identical).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from yangpu_gis import open_registry
from yangpu_gis.catalogue import get_layer
from yangpu_gis.errors import CRSError, ValidationError
from yangpu_gis.io import read_source
from yangpu_gis.io.validate import prepare

from .cli_run import crashed, run_cli

#: Every number column of a point or line layer: (layer, column, type).
NUMBER_COLUMNS = [
    (layer, col.name, col.type)
    for layer in ("roads", "parking_facilities", "pipelines")
    for col in get_layer(layer).columns if col.type in ("int", "float")
]
IMPOSSIBLE_DATES = ["2021-02-30", "2021-13-01", "2021-00-10", "2021-04-31", "2023-02-29"]
UNKNOWN_CRS_NAMES = ["urn:ogc:def:crs:EPSG::999999", "EPSG:999999"]
KNOWN_CRS = [("urn:ogc:def:crs:OGC:1.3:CRS84", 4326), ("EPSG:4326", 4326),
             ("urn:ogc:def:crs:EPSG::4326", 4326), ("EPSG:4549", 4549)]


def _good_value(layer: str, column: str, kind: str, i: int):
    col = get_layer(layer).column(column)
    low = col.min if col.min is not None else 0
    value = low + 1 + i
    return int(value) if kind == "int" else float(value) + 0.5


def _base(layer: str, i: int) -> dict:
    if layer == "roads":
        return {"road_id": f"R{i}", "name": f"路{i}", "road_class": "branch"}
    if layer == "pipelines":
        return {"pipe_id": f"W{i}", "utility": "water"}
    return {"facility_id": f"P{i}", "name": f"停车场{i}", "kind": "public", "capacity": 10 + i}


def _geometry(layer: str, i: int) -> dict:
    x = 121.50 + i * 1e-3
    if layer == "parking_facilities":
        return {"type": "Point", "coordinates": [x, 31.30]}
    return {"type": "LineString", "coordinates": [[x, 31.30], [x, 31.305]]}


def _features(layer: str, n: int = 3, **changes) -> list[dict]:
    """``n`` good features; ``changes`` maps a 0-based position to property overrides."""
    out = []
    for i in range(n):
        props = {**_base(layer, i), **changes.get(f"f{i}", {})}
        out.append({"type": "Feature", "properties": props, "geometry": _geometry(layer, i)})
    return out


def _geojson(path: Path, features: list, crs: dict | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = crs
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def _refused(path: Path, layer: str, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        prepare(read_source(path), layer, **kwargs)
    return info.value


def _problem_for(err: ValidationError, field: str):
    found = [p for p in err.problems if p.field == field]
    assert found, (field, str(err))
    return found[0]


# --------------------------------------------------------------- booleans in numbers
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize(("layer", "column", "kind"), NUMBER_COLUMNS,
                         ids=[f"{a}.{b}" for a, b, _ in NUMBER_COLUMNS])
def test_geojson_boolean_in_number_column_is_refused(tmp_path, layer, column, kind, flag):
    feats = _features(layer, f0={column: _good_value(layer, column, kind, 0)},
                      f1={column: flag}, f2={column: _good_value(layer, column, kind, 2)})
    err = _refused(_geojson(tmp_path / "x.geojson", feats), layer)
    problem = _problem_for(err, column)
    assert problem.rows == [2]
    assert "true/false" in problem.message


@pytest.mark.parametrize(("layer", "column", "kind"), NUMBER_COLUMNS,
                         ids=[f"{a}.{b}" for a, b, _ in NUMBER_COLUMNS])
def test_geojson_numbers_next_to_boolean_texts_still_load(tmp_path, layer, column, kind):
    """The oracle: the same file without the boolean loads the numbers as written, and a
    text "true" in another column does not disturb them."""
    values = [_good_value(layer, column, kind, i) for i in range(3)]
    feats = _features(layer, **{f"f{i}": {column: v, "remark": "true"}
                                for i, v in enumerate(values)})
    prepared = prepare(read_source(_geojson(tmp_path / "x.geojson", feats)), layer)
    assert [float(v) for v in prepared.frame[column]] == [float(v) for v in values]


def test_geopackage_boolean_field_in_number_column_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"road_id": ["R1", "R2"], "name": ["甲", "乙"], "road_class": ["branch", "branch"],
         "width_m": [True, False]},
        geometry=[shapely.LineString([(121.5, 31.3), (121.5, 31.305)]),
                  shapely.LineString([(121.51, 31.3), (121.51, 31.305)])], crs="EPSG:4326")
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path, driver="GPKG")
    err = _refused(path, "roads")
    problem = _problem_for(err, "width_m")
    assert problem.rows == [1, 2]
    assert "true/false" in problem.message


# --------------------------------------------------------------- impossible dates
@pytest.mark.parametrize("bad", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("column", ["built_date", "last_major_repair_date"])
def test_geojson_impossible_date_is_refused(tmp_path, bad, column):
    feats = _features("roads", f0={column: "2021-05-01"}, f1={column: bad},
                      f2={column: "2020-02-29"})
    err = _refused(_geojson(tmp_path / "r.geojson", feats), "roads")
    problem = _problem_for(err, column)
    assert problem.rows == [2]
    assert bad in problem.message


def test_geojson_valid_dates_are_stored_as_written(tmp_path):
    written = ["2021-05-01", "2020-02-29", "1999-12-31"]
    feats = _features("roads", **{f"f{i}": {"built_date": d} for i, d in enumerate(written)})
    prepared = prepare(read_source(_geojson(tmp_path / "r.geojson", feats)), "roads")
    got = [d.date() for d in prepared.frame["built_date"]]
    assert got == [dt.date.fromisoformat(d) for d in written]


def _gpkg_with_dates(path: Path, dates: list[str]) -> Path:
    """A roads GeoPackage whose DATE field ``built_date`` stores ``dates`` as text (what a
    foreign program may write; GDAL itself would refuse to write an impossible date)."""
    n = len(dates)
    gdf = gpd.GeoDataFrame(
        {"road_id": [f"R{i}" for i in range(n)], "name": ["路"] * n, "road_class": ["branch"] * n},
        geometry=[shapely.LineString([(121.5 + i * 1e-3, 31.3), (121.5 + i * 1e-3, 31.305)])
                  for i in range(n)], crs="EPSG:4326")
    gdf.to_file(path, driver="GPKG", layer="roads")
    con = sqlite3.connect(path)
    con.execute('ALTER TABLE roads ADD COLUMN built_date DATE')
    # the R-tree triggers call SpatiaLite functions plain SQLite lacks; no geometry changes
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    for i, d in enumerate(dates):
        con.execute("UPDATE roads SET built_date = ? WHERE road_id = ?", (d, f"R{i}"))
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("bad", IMPOSSIBLE_DATES)
def test_geopackage_impossible_date_is_refused(tmp_path, bad):
    path = _gpkg_with_dates(tmp_path / "roads.gpkg", ["2021-05-01", bad, "2020-02-29"])
    err = _refused(path, "roads")
    problem = _problem_for(err, "built_date")
    assert problem.rows == [2]  # GeoPackage fids count from 1
    assert bad in problem.message


def test_geopackage_valid_dates_are_stored_as_written(tmp_path):
    written = ["2021-05-01", "2020-02-29", "1999-12-31"]
    prepared = prepare(read_source(_gpkg_with_dates(tmp_path / "roads.gpkg", written)), "roads")
    assert [d.date() for d in prepared.frame["built_date"]] == [
        dt.date.fromisoformat(d) for d in written]


@pytest.mark.parametrize("bad", IMPOSSIBLE_DATES)
def test_csv_impossible_date_is_refused(tmp_path, bad):
    path = tmp_path / "permits.csv"
    header = ["permit_id", "planned_start", "planned_end", "lon", "lat"]
    spec = get_layer("excavation_permits")
    extra = [c.name for c in spec.columns if c.required and c.name not in header]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header + extra)
        for i, start in enumerate(["2021-05-01", bad, "2021-06-01"]):
            w.writerow([f"E{i}", start, "2021-07-01", 121.5 + i * 1e-3, 31.3]
                       + [_required_text(spec, c) for c in extra])
    err = _refused(path, "excavation_permits", crs="EPSG:4326")
    problem = _problem_for(err, "planned_start")
    assert problem.rows == [3]  # the CSV line, header included


def _required_text(spec, name: str) -> str:
    col = spec.column(name)
    return col.allowed[0] if col.allowed else "x"


@pytest.mark.parametrize("bad", ["2021-02-30T10:00:00", "2021-13-01 08:00", "2021-00-10T00:00+08:00"])
def test_geojson_impossible_datetime_is_refused(tmp_path, bad):
    feats = []
    for i, when in enumerate(["2021-05-01T10:00:00", bad, "2021-05-02 11:00"]):
        feats.append({"type": "Feature", "geometry": {"type": "Point",
                                                      "coordinates": [121.5 + i * 1e-3, 31.3]},
                      "properties": {"complaint_id": f"C{i}", "received_at": when,
                                     "category": "noise"}})
    err = _refused(_geojson(tmp_path / "c.geojson", feats), "complaints")
    problem = _problem_for(err, "received_at")
    assert problem.rows == [2]


# --------------------------------------------------------------- crs member
@pytest.mark.parametrize("name", UNKNOWN_CRS_NAMES)
def test_geojson_unknown_crs_member_is_refused(tmp_path, name):
    path = _geojson(tmp_path / "r.geojson", _features("roads"),
                    {"type": "name", "properties": {"name": name}})
    with pytest.raises(CRSError) as info:
        prepare(read_source(path), "roads")
    text = str(info.value)
    assert "not known" in text and name in text and "--crs" in text
    # --crs says what the coordinates are: then it loads
    prepared = prepare(read_source(path), "roads", crs="EPSG:4326")
    assert len(prepared.frame) == 3


@pytest.mark.parametrize(("name", "epsg"), KNOWN_CRS)
def test_geojson_known_crs_member_loads(tmp_path, name, epsg):
    feats = _features("roads")
    if epsg == 4549:  # the same roads in CGCS2000 GK CM 120E metres
        import pyproj

        tr = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
        for f in feats:
            f["geometry"]["coordinates"] = [list(tr.transform(*xy))
                                            for xy in f["geometry"]["coordinates"]]
    path = _geojson(tmp_path / "r.geojson", feats, {"type": "name", "properties": {"name": name}})
    prepared = prepare(read_source(path), "roads")
    assert len(prepared.frame) == 3
    x0, y0 = prepared.frame.to_crs(4326).geometry.iloc[0].coords[0]
    assert abs(x0 - 121.50) < 1e-6 and abs(y0 - 31.30) < 1e-6  # the same place either way


# --------------------------------------------------------------- through the real CLI
def _seeded(tmp_path: Path) -> Path:
    reg = tmp_path / "reg.gpkg"
    with open_registry(reg, create=True) as r:
        r.load(_geojson(tmp_path / "seed.geojson", _features("roads", 2)), "roads")
    return reg


CLI_CASES = [
    ("width_bool", lambda p: _geojson(p, _features("roads", f1={"width_m": True})),
     ["feature 2", "width_m"]),
    ("date_impossible", lambda p: _geojson(p, _features("roads", f1={"built_date": "2021-02-30"})),
     ["feature 2", "built_date", "2021-02-30"]),
    ("unknown_crs_member", lambda p: _geojson(p, _features("roads"), {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}),
     ["not known", "urn:ogc:def:crs:EPSG::999999", "--crs"]),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_refuses_and_leaves_registry(tmp_path, case):
    _, build, expected = case
    reg = _seeded(tmp_path)
    path = build(tmp_path / "new.geojson")
    # ids of the seed are R0, R1: the new file uses other ids
    doc = json.loads(path.read_text("utf-8"))
    for i, f in enumerate(doc["features"]):
        f["properties"]["road_id"] = f"N{i}"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    before = reg.read_bytes()
    res = run_cli("load", path, "--layer", "roads", "-r", reg)
    assert res.returncode == 2, res
    assert not crashed(res.output), res
    flat = " ".join(res.output.split())
    assert str(path) in flat or path.name in flat, res
    for piece in expected:
        assert piece in flat, (piece, res)
    assert reg.read_bytes() == before

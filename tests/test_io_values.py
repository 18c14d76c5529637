"""Values, encodings and geometry checks: every silent wrong result is a refusal or a correct
answer, every traceback a clean refusal (issue 13, section 2 and 3).

The bad files are generated here, in ``tmp_path``, from parametrised lists of defects; each
goes through the real CLI in a fresh subprocess into both backends, and must exit 2 with a
message naming the file, the row (as QGIS/Excel show it) and the field, without a traceback,
leaving the registry exactly as it was (byte-identical GeoPackage; same rows and batches in
PostGIS). A hypothesis property checks that any text either round-trips or is refused by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import pyogrio.raw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangpu_gis import open_registry
from yangpu_gis.errors import SourceError, ValidationError
from yangpu_gis.io.text import CONTROL_CHARACTERS

from .cli_run import crashed
from .conftest import REPO, SHARED_REAL

PARKING_HEADER = ["facility_id", "name", "kind", "capacity", "lon", "lat"]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})}, timeout=300)


def snapshot(target: str):
    """What a refused load must not change: the file's bytes, or the PostGIS rows."""
    if not target.startswith("postgresql"):
        return Path(target).read_bytes()
    with open_registry(target) as reg:
        return {
            "batches": reg.batches().drop(columns=["loaded_at"]).to_dict("records"),
            **{name: reg.read(name).to_wkt().astype(str).to_dict("records")
               for name in ("parking_facilities", "roads")},
        }


def park_rows(n: int = 3, start: int = 0) -> list[list]:
    return [[f"P{start + i}", f"停车场{start + i}", "public", 10 + i, 121.51 + i * 1e-3, 31.30]
            for i in range(n)]


def write_csv(path: Path, header: list, rows: list, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def road_feature(i: int, coords, **props) -> dict:
    return {"type": "Feature",
            "properties": {"road_id": f"R{i}", "name": f"路{i}", "road_class": "branch", **props},
            "geometry": {"type": "LineString", "coordinates": coords}}


def good_line(i: int) -> list:
    return [[121.50 + i * 1e-3, 31.30], [121.50 + i * 1e-3, 31.305]]


def write_geojson(path: Path, features: list) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def seeded(registry_target, tmp_path):
    """A registry of either backend holding 3 parking lots and 2 roads (2 batches)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    with open_registry(registry_target) as reg:
        reg.load(write_csv(seed / "p.csv", PARKING_HEADER, park_rows(3, 100)),
                 "parking_facilities", crs="EPSG:4326")
        reg.load(write_geojson(seed / "r.geojson", [road_feature(90 + i, good_line(i))
                                                    for i in range(2)]), "roads")
    return registry_target


# --------------------------------------------------------------------------- bad cases
def _put(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _xlsx(path: Path, cells: list) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PARKING_HEADER)
    for row in cells:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        if isinstance(row[3].value, (dt.date, dt.time)):
            row[3].number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def _with(capacity) -> list:
    rows = park_rows(4)
    rows[2][3] = capacity  # spreadsheet row 4 (the header is row 1)
    return rows


def _wkb_line(points: list[tuple[float, float]]) -> bytes:
    return struct.pack("<BII", 1, 2, len(points)) + b"".join(struct.pack("<dd", *p) for p in points)


def _raw_layer(path: Path, driver: str, wkbs: list[bytes], gtype: str = "LineString") -> Path:
    n = len(wkbs)
    fields = [np.array([f"R{i}" for i in range(n)], dtype=object),
              np.array([f"路{i}" for i in range(n)], dtype=object),
              np.array(["branch"] * n, dtype=object)]
    pyogrio.raw.write(path, geometry=np.array(wkbs, dtype=object), field_data=fields,
                      fields=["road_id", "name", "road_class"], geometry_type=gtype,
                      crs="EPSG:4326", driver=driver, encoding="UTF-8")
    return path


_SENTINEL = 31.123456789


def _nan_layer(path: Path, driver: str, value: float) -> Path:
    """A 3-line layer whose 2nd line has a coordinate ``value`` (NaN, inf), written with a
    finite sentinel then patched in the bytes where a driver (shapefile) refuses to write it."""
    if driver == "GeoJSON":  # written by hand: JSON's NaN/Infinity tokens, as GDAL reads them
        return write_geojson(path, [road_feature(i, good_line(i) if i != 1 else
                                                 [[121.5, value], [121.51, 31.3]])
                                    for i in range(3)])
    if driver != "ESRI Shapefile":
        return _raw_layer(path, driver, _lines_with([(121.5, value), (121.51, 31.3)]))
    _raw_layer(path, driver, _lines_with([(121.5, _SENTINEL), (121.51, 31.3)]))
    data = path.read_bytes()
    path.write_bytes(data.replace(struct.pack("<d", _SENTINEL), struct.pack("<d", value)))
    return path


def _lines_with(bad: list[tuple[float, float]]) -> list[bytes]:
    good = [(121.50, 31.30), (121.50, 31.305)]
    return [_wkb_line(good), _wkb_line(bad), _wkb_line(good)]


def _mixed_csv(path: Path, main: str, odd: str, odd_line: int = 3) -> Path:
    lines = [",".join(PARKING_HEADER)] + [",".join(map(str, r)) for r in park_rows(4)]
    data = b""
    for n, line in enumerate(lines, 1):
        data += (line + "\r\n").encode(odd if n == odd_line else main)
    path.write_bytes(data)
    return path


def _ctrl_csv(path: Path, char: str) -> Path:
    rows = park_rows(3)
    rows[1][1] = f"杨浦{char}路"
    return write_csv(path, PARKING_HEADER, rows)


P = ["--layer", "parking_facilities", "--crs", "EPSG:4326"]
R = ["--layer", "roads"]

#: (id, builder(tmp) -> file, extra CLI args, texts the message must contain)
CASES = [
    # 1. wrongly typed spreadsheet cells
    *[(f"xlsx-{kind}", lambda t, v=value: _xlsx(t / "p.xlsx", _with(v)), P, shown)
      for kind, value, shown in [
          ("date", dt.datetime(2021, 5, 1), ["row 4", "'capacity'", "a date (2021-05-01)",
                                              "where a number is expected"]),
          ("datetime", dt.datetime(2021, 5, 1, 8, 30), ["row 4", "'capacity'",
                                                         "a date and time"]),
          ("time", dt.time(8, 30), ["row 4", "'capacity'", "a time (08:30:00)"]),
          ("bool", True, ["row 4", "'capacity'", "a true/false value (TRUE)"]),
      ]],
    ("xlsx-blank-and-date", lambda t: _xlsx(t / "p.xlsx", [*_with(dt.datetime(2021, 5, 1)),
                                                          ["P9", "x", "public", None, 121.5, 31.3]]),
     P, ["row 4", "row 6", "'capacity'", "a date (2021-05-01)"]),
    # 2. non-finite coordinates, with and without --repair, every vector format
    *[(f"nan-{fmt}-{'repair' if repair else 'plain'}",
       lambda t, f=fmt: _nan_layer(t / f"r.{f}", {"gpkg": "GPKG", "shp": "ESRI Shapefile",
                                                  "geojson": "GeoJSON"}[f], float("nan")),
       R + (["--repair"] if repair else []), ["feature 2", "'geometry'", "not finite"])
      for fmt in ("gpkg", "shp", "geojson") for repair in (False, True)],
    ("inf-shapefile", lambda t: _nan_layer(t / "r.shp", "ESRI Shapefile", float("inf")),
     R + ["--repair"], ["feature 2", "'geometry'", "not finite"]),
    ("csv-inf-coordinate", lambda t: write_csv(t / "p.csv", PARKING_HEADER,
                                               [*park_rows(2), ["P7", "x", "public", 1, "inf", 31.3]]),
     P, ["line 4", "'lon'"]),
    # 3. encodings
    ("gb18030-with-utf8-line", lambda t: _mixed_csv(t / "p.csv", "gb18030", "utf-8"), P,
     ["line 3", "'name'", "UTF-8", "GBK/GB18030", "mixed"]),
    ("utf8-with-gbk-line", lambda t: _mixed_csv(t / "p.csv", "utf-8", "gb18030", 4), P,
     ["line 4", "'name'", "GBK/GB18030"]),
    ("bom-with-gbk-line", lambda t: _put(t / "p.csv", b"\xef\xbb\xbf" + _mixed_csv(
        t / "q.csv", "utf-8", "gb18030", 5).read_bytes()), P, ["line 5", "'name'", "decode as GBK/GB18030"]),
    ("given-gbk-with-utf8-line", lambda t: _mixed_csv(t / "p.csv", "gb18030", "utf-8", 2),
     P + ["--encoding", "gbk"], ["line 2", "'name'", "mixed"]),
    ("given-utf8-gbk-file", lambda t: write_csv(t / "p.csv", PARKING_HEADER, park_rows(3),
                                                encoding="gb18030"),
     P + ["--encoding", "utf-8"], ["lines 2–4", "'name'", "--encoding gb18030"]),
    *[(f"unknown-encoding-{name}", lambda t: write_csv(t / "p.csv", PARKING_HEADER, park_rows()),
       P + ["--encoding", name], ["unknown text encoding", "utf-8, gbk, gb18030"])
      for name in ("klingon", "rot13", "base64", "utf-99")],
    ("unknown-encoding-shapefile", lambda t: _raw_layer(t / "r.shp", "ESRI Shapefile",
                                                        _lines_with([(121.5, 31.3), (121.5, 31.31)])),
     R + ["--encoding", "martian"], ["unknown text encoding"]),
    # 4. NUL and other control characters
    ("geojson-nul", lambda t: write_geojson(t / "r.geojson", [
        road_feature(1, good_line(1)), road_feature(2, good_line(2), name="nul\u0000byte")]),
     R, ["feature 2", "'name'", "NUL"]),
    *[(f"csv-control-{ord(c):02x}", lambda t, c=c: _ctrl_csv(t / "p.csv", c), P,
       ["line 3", "'name'", "U+0000" if c == "\x00" else f"U+{ord(c):04X}"])
      for c in ("\x00", "\x07", "\x1b", "\x7f", "\x85")],
    ("geojson-escape", lambda t: write_geojson(t / "r.geojson", [
        road_feature(1, good_line(1), name="a\u001b[31mb"), road_feature(2, good_line(2))]),
     R, ["feature 1", "'name'", "U+001B"]),
    # 5. duplicate and ambiguous columns
    ("csv-duplicate-name", lambda t: write_csv(t / "p.csv", [*PARKING_HEADER, "name"],
                                               [r + ["别名"] for r in park_rows()]),
     P, ["'name'", "2 (B)", "7 (G)"]),
    ("xlsx-duplicate-name", lambda t: _xlsx_dup(t / "p.xlsx"), P, ["'name'", "2 (B)", "7 (G)"]),
    ("csv-name-and-alias", lambda t: write_csv(t / "p.csv", [*PARKING_HEADER, "停车场名称"],
                                               [r + ["别名"] for r in park_rows()]),
     P, ["'name'", "'停车场名称'", "would both give name"]),
    ("csv-two-x-columns", lambda t: write_csv(t / "p.csv", [*PARKING_HEADER, "经度"],
                                              [r + [r[4]] for r in park_rows()]),
     P, ["x coordinate", "'lon'", "'经度'"]),
    # 6. CSV structure
    ("csv-bom-only", lambda t: _put(t / "p.csv", b"\xef\xbb\xbf"), P,
     ["empty"]),
    ("csv-blank-lines-only", lambda t: _put(t / "p.csv", "\n \r\n\n"), P,
     ["empty"]),
    ("csv-header-only-cr", lambda t: _put(t / "p.csv", ",".join(PARKING_HEADER) + "\r"), P,
     ["header but no rows"]),
    ("csv-one-column", lambda t: _put(t / "p.csv", "name\n控江路\n大学路\n"), P,
     ["coordinate column"]),
    ("csv-extra-fields", lambda t: _put(t / "p.csv", ",".join(PARKING_HEADER)
                                        + "\nP1,a,public,3,121.5,31.3\nP2,b,c,public,3,121.5,31.3\n"),
     P, ["line 3", "more than 6 fields"]),
    # 7. shapes GEOS cannot build
    *[(f"one-point-line-{fmt}", lambda t, f=fmt: _raw_layer(
        t / f"r.{f}", {"gpkg": "GPKG", "shp": "ESRI Shapefile", "geojson": "GeoJSON"}[f],
        _lines_with([(121.5, 31.3)])), R, ["feature 2", "'geometry'", "single point"])
      for fmt in ("gpkg", "shp", "geojson")],
    ("ring-of-three", lambda t: write_geojson(t / "b.geojson", [
        {"type": "Feature", "properties": {"block_id": "B1", "name": "x", "year": 2020},
         "geometry": {"type": "Polygon", "coordinates": [[[121.5, 31.3], [121.51, 31.3],
                                                          [121.5, 31.3]]]}}]),
     ["--layer", "beautiful_blocks"], ["feature 1", "'geometry'", "Too few points"]),
    # 8. integers beyond int64
    *[(f"int-overflow-{text}", lambda t, v=text: write_csv(
        t / "p.csv", PARKING_HEADER, [*park_rows(2), ["P7", "x", "public", v, 121.5, 31.3]]),
       P, ["line 4", "'capacity'", "out of range"])
      for text in ("1e30", "99999999999999999999", "-9223372036854775809", "inf")],
    ("xlsx-int-overflow", lambda t: _xlsx(t / "p.xlsx", _with(1e30)), P,
     ["row 4", "'capacity'", "out of range"]),
]


def _xlsx_dup(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([*PARKING_HEADER, "name"])
    for r in park_rows():
        ws.append([*r, "别名"])
    wb.save(path)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_value_is_refused_by_row_and_field(seeded, tmp_path, case):
    _, build, args, expected = case
    path = build(tmp_path)
    before = snapshot(seeded)
    res = run_cli("load", str(path), *args, "-r", seeded)
    text = res.stdout + res.stderr
    assert res.returncode == 2, text
    assert not crashed(text)
    assert str(path) in text
    flat = " ".join(text.split())
    for piece in expected:
        assert piece in flat, (piece, text)
    assert snapshot(seeded) == before


def test_refusals_in_json_name_rows_and_fields(seeded, tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", _with(dt.datetime(2021, 5, 1)))
    res = run_cli("load", str(path), *P, "-r", seeded, "--json")
    assert res.returncode == 2
    err = json.loads(res.stdout)
    assert err["source"].startswith(str(path))
    [problem] = err["problems"]
    assert problem["rows"] == [4] and problem["field"] == "capacity"


# --------------------------------------------------------------------------- correct answers
def test_cr_only_line_endings_load_correctly(registry_target, tmp_path):
    rows = park_rows(3)
    path = tmp_path / "cr.csv"
    path.write_bytes(("\r".join(",".join(map(str, r)) for r in [PARKING_HEADER, *rows])
                      + "\r").encode("gb18030"))
    res = run_cli("load", str(path), *P, "-r", registry_target, "--json")
    assert res.returncode == 0, res.stderr
    got = open_registry(registry_target).read("parking_facilities", crs="EPSG:4326")
    got = got.set_index("facility_id")
    for fid, name, _, cap, lon, lat in rows:
        assert got.loc[fid, "name"] == name and got.loc[fid, "capacity"] == cap
        assert abs(got.loc[fid].geometry.x - lon) < 1e-8 and abs(got.loc[fid].geometry.y - lat) < 1e-8


def test_line_numbers_count_blank_lines_and_multiline_values(registry, tmp_path):
    text = (",".join(PARKING_HEADER) + "\n\nP1,a,public,1,121.5,31.3\n"
            + 'P2,"two\nlines",public,2,121.5,31.3\n\nP3,c,public,x,121.5,31.3\n')
    path = tmp_path / "p.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(ValidationError) as info:
        registry.load(path, "parking_facilities", crs="EPSG:4326")
    [problem] = info.value.problems
    assert problem.rows == [7] and problem.field == "capacity"  # P3 starts on line 7


def test_spreadsheet_rows_count_header_and_blank_rows(registry, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # row 1 empty: the header is row 2
    ws.append(PARKING_HEADER)
    ws.append(park_rows(1)[0])
    ws.append([])
    ws.append(["P5", "e", "public", "many", 121.5, 31.3])  # row 5
    wb.save(tmp_path / "p.xlsx")
    with pytest.raises(ValidationError) as info:
        registry.load(tmp_path / "p.xlsx", "parking_facilities", crs="EPSG:4326")
    [problem] = info.value.problems
    assert problem.rows == [5] and problem.field == "capacity"


@pytest.mark.parametrize("value", ["9007199254740993", "-9223372036854775808",
                                   "9223372036854775807", "1,234", " 42 "])
def test_large_integers_are_exact(value):
    import pandas as pd

    from yangpu_gis.catalogue import get_layer
    from yangpu_gis.io.types import coerce

    col = get_layer("parking_facilities").column("capacity")
    got, bad = coerce(pd.Series([value], dtype=object), col)
    assert not bad.any() and int(got.iloc[0]) == int(value.replace(",", ""))


def test_large_integer_is_stored_exactly(registry, tmp_path):
    rows = park_rows(1)
    rows[0][3] = "9007199254740993"  # 2**53 + 1: a float would make it ...992
    registry.load(write_csv(tmp_path / "p.csv", PARKING_HEADER, rows), "parking_facilities",
                  crs="EPSG:4326")
    assert int(registry.read("parking_facilities")["capacity"].iloc[0]) == 2**53 + 1


# --------------------------------------------------------------------------- GCJ-02 detection
DATAV = SHARED_REAL / "datav_geomapdata_cn" / "310110.json"
OSM_GPKG = SHARED_REAL / "osm_derived" / "yangpu_nw_osm_layers.gpkg"
DEMO = REPO / "data" / "demo"
ROAD_WHERE = ("highway IN ('trunk','primary','secondary','tertiary','residential') "
              "AND name IS NOT NULL")


def _reference_registry(target: str, *, osm_roads: bool) -> str:
    with open_registry(target) as reg:
        reg.load(DEMO / "districts.geojson", "districts")
        reg.load(DEMO / "subdistricts.geojson", "subdistricts")
        reg.load(DEMO / "roads.shp", "roads", encoding="GBK")
        if osm_roads:
            reg.load(OSM_GPKG, "roads", source_layer="roads",
                     mapping_file=REPO / "data" / "mappings" / "osm_roads.toml", where=ROAD_WHERE)
    return target


needs_real = pytest.mark.skipif(not SHARED_REAL.exists(), reason="shared real data not present")


@needs_real
def test_datav_outline_in_gcj02_is_noticed_and_refused_strictly(registry_target):
    target = _reference_registry(registry_target, osm_roads=True)
    args = ["load", str(DATAV), "--layer", "districts", "--map", "adcode=district_id",
            "--mode", "replace", "-r", target]
    before = snapshot(target)
    for strict in (["--strict-crs"], []):
        res = run_cli(*args, *strict, env={"YANGPU_GIS_STRICT_CRS": "1"} if not strict else None)
        assert res.returncode == 2 and not crashed(res.stderr), res.stderr
        assert "--crs gcj02" in " ".join(res.stderr.split())
        assert snapshot(target) == before
    res = run_cli(*args, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["crs_warning"]["crs"] == "gcj02"
    assert out["crs_warning"]["hits_inverse"] >= 2 * out["crs_warning"]["hits_as_read"]
    assert any("--crs gcj02" in n for n in out["notes"])
    # loaded with --crs gcj02 (the right answer) nothing is said; now the registry holds the
    # true outline, and the same file read as WGS84 misses it completely
    res = run_cli(*args, "--crs", "gcj02", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["crs_warning"] is None
    res = run_cli(*args, "--json", "--dry-run")
    found = json.loads(res.stdout)["crs_warning"]
    assert found["reference"].endswith("outlines") and found["hits_as_read"] < 10


OSM_CASES = [
    ("waterways", "rivers", ["--map", "osm_id=river_id", "--where", "name IS NOT NULL"]),
    ("water_areas", "rivers", ["--map", "osm_way_id=river_id", "--where", "name IS NOT NULL"]),
    ("amenity_pois", "pois", ["--map-file", str(REPO / "data/mappings/osm_pois.toml"),
                              "--where", "osm_id IS NOT NULL AND name IS NOT NULL"]),
    ("roads", "roads", ["--map-file", str(REPO / "data/mappings/osm_roads.toml"),
                        "--where", ROAD_WHERE, "--mode", "upsert"]),
]


@needs_real
@pytest.mark.parametrize("osm_roads", [True, False], ids=["osm-roads", "demo-only"])
@pytest.mark.parametrize("case", OSM_CASES, ids=[c[0] for c in OSM_CASES])
def test_real_osm_extracts_raise_no_offset_warning(tmp_path, case, osm_roads):
    target = _reference_registry(str(tmp_path / "ref.gpkg"), osm_roads=osm_roads)
    source_layer, layer, extra = case
    res = run_cli("validate", str(OSM_GPKG), "--source-layer", source_layer, "--layer", layer,
                  "-r", target, "--json", "--strict-crs", *extra)
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["crs_warning"] is None


@needs_real
@pytest.mark.parametrize("offset", ["gcj02", "bd09"])
def test_offset_copies_of_registry_roads_are_named(tmp_path, offset):
    target = _reference_registry(str(tmp_path / "ref.gpkg"), osm_roads=False)
    roads = open_registry(target).read("roads", crs=offset).iloc[::5]
    roads = roads.set_crs("EPSG:4326", allow_override=True)  # what a file without a word says
    roads["road_id"] = "X" + roads["road_id"].astype(str)
    roads.to_file(tmp_path / "shifted.geojson", driver="GeoJSON")
    res = run_cli("validate", str(tmp_path / "shifted.geojson"), "--layer", "roads", "-r",
                  target, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["crs_warning"]["crs"] == offset


# --------------------------------------------------------------------------- property
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=24)


def _expected(text: str) -> tuple[str, str | None]:
    """('stored', value) or ('refused', None), as the catalogue's text rules say."""
    value = text.strip()
    if not value or "\x00" in text or CONTROL_CHARACTERS.search(value):
        return "refused", None
    return "stored", value


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, fmt=st.sampled_from(["csv", "geojson"]))
def test_any_text_round_trips_or_is_refused_by_row(tmp_path_factory, text, fmt):
    tmp = tmp_path_factory.mktemp("prop")
    if fmt == "csv":
        rows = park_rows(3)
        rows[1][1] = text
        path, layer, opts, row = write_csv(tmp / "p.csv", PARKING_HEADER, rows), \
            "parking_facilities", {"crs": "EPSG:4326"}, 3
        ident = "P1"
    else:
        feats = [road_feature(i, good_line(i)) for i in range(3)]
        feats[1]["properties"]["name"] = text
        path, layer, opts, row = write_geojson(tmp / "r.geojson", feats), "roads", {}, 2
        ident = "R1"
    outcome, value = _expected(text)
    with open_registry(str(tmp / "reg.gpkg"), create=True) as reg:
        if outcome == "stored":
            reg.load(path, layer, **opts)
            got = reg.read(layer).set_index(reg_id := ("facility_id" if fmt == "csv"
                                                       else "road_id"))
            assert got.loc[ident, "name"] == value, reg_id
        else:
            with pytest.raises((ValidationError, SourceError)) as info:
                reg.load(path, layer, **opts)
            named = [p for p in info.value.problems if p.field == "name"]
            assert named and named[0].rows == [row], info.value.render()
            assert reg.layers().set_index("layer").loc[layer, "features"] == 0

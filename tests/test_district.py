"""Any district (issue 16 part 3): the district is a setting of the registry.

``yangpu-gis init --district-outline`` records a district's outline in the registry (both
backends); loads then refuse records beyond the outline + 100 m, maps open on it, and
``--district`` selects one district of a city registry. The oracle for "which district is
this point in" is the raw DataV GeoJSON read with ``json`` and converted with the public
GCJ-02 inverse (:func:`yangpu_gis.crs.gcj02_to_wgs84`), independent of the outline reader,
the registry and the view.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, shape

from yangpu_gis import open_registry
from yangpu_gis.crs import gcj02_to_wgs84
from yangpu_gis.errors import ValidationError
from yangpu_gis.io.outline import read_outline

from .cli_run import crashed, run_cli
from .conftest import SHARED_REAL, _with_db

DATAV = SHARED_REAL / "datav_geomapdata_cn" / "310000.json"
#: How the tests name the file on the command line: relative to the repository root.
DATAV_ARG = "../shared/data/real/datav_geomapdata_cn/310000.json"

pytestmark = pytest.mark.skipif(not DATAV.exists(), reason="shared real data not present")

#: Points chosen by hand (WGS84): 鲁迅公园 and its neighbour in 虹口, 五角场 and 复旦 in 杨浦.
HONGKOU_POINTS = [("F1", "鲁迅公园停车场", 121.4817, 31.2745), ("F2", "四川北路停车场", 121.4880, 31.2600)]
YANGPU_POINTS = [("F3", "五角场停车场", 121.5140, 31.2990), ("F4", "复旦停车场", 121.5030, 31.2970)]
TO_WORK = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)


# --------------------------------------------------------------------------- oracle
def _oracle_outlines() -> dict[str, shapely.Geometry]:
    """Name -> WGS84 outline, straight from the GeoJSON and the GCJ-02 inverse."""
    doc = json.loads(DATAV.read_text(encoding="utf-8"))
    out = {}
    for f in doc["features"]:
        g = shape(f["geometry"])
        out[f["properties"]["name"]] = shapely.transform(
            g, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    return out


@pytest.fixture(scope="module")
def oracle():
    return _oracle_outlines()


def _work(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_WORK.transform(xy[:, 0], xy[:, 1])))


def _csv(path: Path, rows) -> Path:
    lines = ["facility_id,name,kind,capacity,lon,lat"]
    lines += [f"{i},{n},公共停车场,100,{x},{y}" for i, n, x, y in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _compounds(path: Path) -> Path:
    """Two 40 m compounds in 虹口 and two in 杨浦 (GeoJSON, WGS84)."""
    d = 0.0004
    feats = []
    for cid, (lon, lat, hh) in {"HK1": (121.4830, 31.2760, 800), "HK2": (121.4900, 31.2650, 500),
                                "YP1": (121.5150, 31.3000, 900),
                                "YP2": (121.5300, 31.2800, 450)}.items():
        ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        feats.append({"type": "Feature", "properties": {"compound_id": cid, "name": cid,
                                                         "households": hh},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_test_points_lie_where_the_oracle_says(oracle):
    for _i, _n, x, y in HONGKOU_POINTS:
        assert oracle["虹口区"].contains(Point(x, y)) and not oracle["杨浦区"].contains(Point(x, y))
    for _i, _n, x, y in YANGPU_POINTS:
        assert oracle["杨浦区"].contains(Point(x, y))
        # far beyond the margin: the refusal is about the district, not about 100 m
        assert _work(oracle["虹口区"]).distance(_work(Point(x, y))) > 500


# --------------------------------------------------------------------------- GeoPackage
@pytest.fixture(scope="module")
def hongkou_gpkg(tmp_path_factory):
    """A 虹口区 GeoPackage registry, recorded through the real CLI, with no rows yet."""
    folder = tmp_path_factory.mktemp("hongkou")
    reg = folder / "hongkou.gpkg"
    run = run_cli("init", "--registry", reg, "--district-outline", DATAV_ARG, "--crs", "gcj02",
                  "--code", "310109", "--name", "虹口区", "--json")
    assert run.returncode == 0, run
    return folder, reg, json.loads(run.stdout)


def test_init_records_the_outline_and_code(hongkou_gpkg, oracle):
    _folder, reg, data = hongkou_gpkg
    assert (data["code"], data["name"], data["parts"], data["recorded"]) == (
        "310109", "虹口区", [], True)
    assert data["margin_m"] == 100
    # area against the oracle polygon in EPSG:4549 (official figure 23.48 km²)
    assert data["area_km2"] == pytest.approx(_work(oracle["虹口区"]).area / 1e6, rel=1e-3)
    assert data["bounds_lonlat"] == pytest.approx(list(oracle["虹口区"].bounds), abs=1e-5)
    info = run_cli("info", "--registry", reg, "--json")
    assert json.loads(info.stdout)["district"] == {"code": "310109", "name": "虹口区", "parts": []}


def test_hongkou_registry_refuses_a_yangpu_facility_and_stays_unchanged(hongkou_gpkg):
    folder, reg, _data = hongkou_gpkg
    before = _sha(reg)
    mixed = _csv(folder / "mixed.csv", [HONGKOU_POINTS[0], YANGPU_POINTS[0]])
    run = run_cli("load", mixed, "-l", "parking_facilities", "--registry", reg,
                  "--x", "lon", "--y", "lat", "--crs", "EPSG:4326")
    assert run.returncode == 2 and not crashed(run.output), run
    text = run.stderr
    assert "mixed.csv" in text and "line 3" in text and "'geometry'" in text
    assert "lies outside 虹口区 (its recorded outline + 100 m)" in text
    assert "lon 121.5140, lat 31.2990" in text and "hint:" in text and "line 2" not in text
    assert _sha(reg) == before  # nothing was loaded
    ok = run_cli("load", _csv(folder / "hk.csv", HONGKOU_POINTS), "-l", "parking_facilities",
                 "--registry", reg, "--x", "lon", "--y", "lat", "--crs", "EPSG:4326", "--json")
    assert ok.returncode == 0, ok
    assert json.loads(ok.stdout)["rows_inserted"] == 2


def test_the_margin_is_100_m_outside_the_outline(hongkou_gpkg, oracle):
    """A point ~50 m outside 虹口 (towards 杨浦 or 宝山) passes, one ~200 m outside does not."""
    _folder, reg_path, _data = hongkou_gpkg
    hk = _work(oracle["虹口区"])
    centre = np.array(hk.centroid.coords[0])
    vertex = np.array(shapely.get_coordinates(hk.exterior if hk.geom_type == "Polygon"
                                              else hk.geoms[0].exterior)[7])
    direction = (vertex - centre) / np.linalg.norm(vertex - centre)

    def at(distance_m):  # step outwards until the oracle distance is what we want
        for s in np.arange(0, 600, 1.0):
            p = Point(*(vertex + direction * s))
            if not hk.contains(p) and hk.distance(p) >= distance_m:
                return p
        raise AssertionError("no such point")

    near, far = at(50), at(200)
    assert 50 <= hk.distance(near) < 60 and 200 <= hk.distance(far) < 210
    frame = gpd.GeoDataFrame({"facility_id": ["N", "X"], "name": ["near", "far"],
                              "kind": ["public", "public"], "capacity": [10, 10]},
                             geometry=[near, far], crs="EPSG:4549")
    with open_registry(reg_path) as reg:
        with pytest.raises(ValidationError) as info:
            reg.load(frame, "parking_facilities", dry_run=True)
        assert [p.rows for p in info.value.problems] == [[2]]  # the far one only
        assert reg.load(frame.iloc[:1], "parking_facilities", dry_run=True).rows_read == 1


def test_init_again_same_is_a_no_op_other_is_refused(hongkou_gpkg):
    _folder, reg, _data = hongkou_gpkg
    again = run_cli("init", "--registry", reg, "--district-outline", DATAV_ARG, "--crs",
                    "gcj02", "--code", "310109", "--name", "虹口区", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["recorded"] is False, again
    before = _sha(reg)
    other = run_cli("init", "--registry", reg, "--district-outline", DATAV_ARG, "--crs",
                    "gcj02", "--code", "310110")
    assert other.returncode == 2 and not crashed(other.output), other
    assert "already serves 虹口区 (310109)" in other.stderr and "new registry" in other.stderr
    assert _sha(reg) == before


def test_recording_is_refused_while_rows_lie_outside(tmp_path):
    reg_path = tmp_path / "yp.gpkg"
    frame = gpd.GeoDataFrame({"facility_id": ["F3"], "name": ["五角场"], "kind": ["public"],
                              "capacity": [300]}, geometry=[Point(121.5140, 31.2990)],
                             crs="EPSG:4326")
    with open_registry(reg_path, create=True) as reg:
        assert reg.district is None  # no district recorded: the Yangpu registry of old
        reg.load(frame, "parking_facilities")
        before = _sha(reg_path)
        hongkou = read_outline(DATAV, crs="gcj02", code="310109")
        with pytest.raises(ValidationError) as info:
            reg.record_district(hongkou, str(DATAV))
        assert info.value.problems[0].field == "parking_facilities"
        assert "'F3'" in info.value.problems[0].message
        assert reg.district is None and _sha(reg_path) == before


def test_a_registry_without_a_district_stays_yangpu(tmp_path):
    """No outline recorded: the fixed extent (+3 km) as before, maps titled 杨浦区."""
    reg_path = tmp_path / "plain.gpkg"
    rows = [*YANGPU_POINTS, HONGKOU_POINTS[0]]  # 虹口's 鲁迅公园 is within Yangpu's extent + 3 km
    with open_registry(reg_path, create=True) as reg:
        reg.load(_csv(tmp_path / "f.csv", rows), "parking_facilities", x="lon", y="lat",
                 crs="EPSG:4326")
        assert reg.district is None and reg.info()["district"] is None
        with pytest.raises(ValidationError, match="records no district outlines"):
            reg.in_district("虹口区")
    out = tmp_path / "m.html"
    drawn = run_cli("map", "parking_facilities", "--registry", reg_path, "-o", out)
    assert drawn.returncode == 0, drawn
    assert "杨浦区停车设施" in out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- hostile outlines
def _hostile(tmp: Path) -> dict[str, tuple[Path, list[str], str]]:
    """name -> (file, extra args, what the refusal must say)."""
    real = DATAV.read_text(encoding="utf-8")
    one = json.loads(real)["features"][5]  # 虹口
    files = {
        "broken_json": (real[: len(real) // 2], [], "not valid JSON (line 1, column"),
        "not_geojson": ('{"type": "Topology", "objects": {}}', [], "not a GeoJSON outline"),
        "empty": ('{"type": "FeatureCollection", "features": []}', [], "has no features"),
        "line": (json.dumps({"type": "Feature", "properties": {"adcode": 1, "name": "x"},
                             "geometry": {"type": "LineString",
                                          "coordinates": [[121.4, 31.2], [121.5, 31.3]]}}),
                 ["--code", "310109", "--name", "虹口区"], "feature 1, field 'geometry': geometry "
                 "type 'LineString' is not a polygon"),
        "huge": (json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1e300, 0],
                                                                 [1e300, 1e300], [0, 0]]]}),
                 ["--code", "310109", "--name", "虹口区"], "out of lon/lat range"),
        "nan": ('{"type": "Polygon", "coordinates": [[[121.4, 31.2], [NaN, 31.3], '
                '[121.5, 31.3], [121.4, 31.2]]]}', ["--code", "310109", "--name", "虹口区"],
                "not finite"),
        "bowtie": (json.dumps({"type": "Polygon", "coordinates": [[[121.45, 31.25], [121.50, 31.30],
                                                                   [121.50, 31.25], [121.45, 31.30],
                                                                   [121.45, 31.25]]]}),
                   ["--code", "310109", "--name", "虹口区"], "invalid polygon (Self-intersection"),
        "datav_without_crs": (json.dumps({"type": "FeatureCollection", "features": [one]}), [],
                              "pass --crs gcj02"),
        "metres_as_lonlat": (json.dumps({"type": "Polygon", "coordinates": [[
            [500000, 3460000], [510000, 3460000], [510000, 3470000], [500000, 3460000]]]}),
            ["--code", "310109", "--name", "虹口区"], "not degrees"),
        "wrong_zone": (json.dumps({"type": "Polygon", "coordinates": [[
            [116.3, 39.9], [116.5, 39.9], [116.5, 40.0], [116.3, 39.9]]]}),
            ["--code", "110105", "--name", "朝阳区"], "far outside the working CRS EPSG:4549"),
    }
    out = {}
    for name, (text, args, said) in files.items():
        p = tmp / f"{name}.json"
        p.write_text(text, encoding="utf-8")
        out[name] = (p, args, said)
    return out


#: The hostile cases run through the real CLI; the others through read_outline (same code
#: path below the command, which only adds the exit code), to keep the file fast.
CLI_CASES = ("broken_json", "line", "wrong_zone")


def test_hostile_outline_files_are_refused_cleanly(tmp_path):
    cases = _hostile(tmp_path)
    for name in CLI_CASES:
        path, args, said = cases[name]
        reg = tmp_path / f"{name}.gpkg"
        run = run_cli("init", "--registry", reg, "--district-outline", path, *args)
        assert run.returncode == 2 and not crashed(run.output), (name, run)
        assert said in run.stderr and f"{name}.json" in run.stderr, (name, run)
        assert "hint:" in run.stderr, (name, run)
        assert not reg.exists(), name  # nothing was created
    from yangpu_gis.errors import YangpuGisError

    for name, (path, args, said) in cases.items():
        if name in CLI_CASES:
            continue
        options = dict(zip(("code", "name"), args[1::2], strict=False))
        with pytest.raises(YangpuGisError) as info:
            read_outline(path, crs=None, **options)
        text = info.value.render()
        assert said in text and f"{name}.json" in text and "hint:" in text, (name, text)


# --------------------------------------------------------------------------- PostGIS
@pytest.fixture(scope="module")
def pg_schemas(pg_database):
    """Two fresh schemas in the run's database (a 虹口 registry, a city registry), module-wide."""
    import psycopg

    names = [f"t_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(pg_database, autocommit=True) as conn:
        for n in names:
            conn.execute(f'CREATE SCHEMA "{n}"')
    db = urlsplit(pg_database).path.lstrip("/")
    from .conftest import ADMIN_URL

    yield [_with_db(ADMIN_URL, db, n) for n in names]
    with psycopg.connect(pg_database, autocommit=True) as conn:
        for n in names:
            conn.execute(f'DROP SCHEMA "{n}" CASCADE')


@pytest.mark.postgis
def test_postgis_hongkou_registry_accepts_hongkou_refuses_yangpu(pg_schemas, tmp_path):
    url = pg_schemas[0]
    init = run_cli("init", "--registry", url, "--district-outline", DATAV_ARG, "--crs", "gcj02",
                   "--code", "310109")
    assert init.returncode == 0 and "now serves 虹口区 (310109)" in init.stdout, init
    bad = run_cli("load", _csv(tmp_path / "yp.csv", [HONGKOU_POINTS[1], YANGPU_POINTS[1]]),
                  "-l", "parking_facilities", "--registry", url, "--x", "lon", "--y", "lat",
                  "--crs", "EPSG:4326")
    assert bad.returncode == 2 and not crashed(bad.output), bad
    assert "yp.csv" in bad.stderr and "line 3, field 'geometry': lies outside 虹口区" in bad.stderr
    with open_registry(url) as reg:
        assert len(reg.batches()) == 0 and len(reg.read("parking_facilities")) == 0
        assert reg.district.describe() == "虹口区 (310109)" and reg.district.parts == ()
    with open_registry(url) as reg:  # stored as a real PostGIS geometry, in lon/lat
        assert reg.load(_csv(tmp_path / "hk.csv", HONGKOU_POINTS), "parking_facilities",
                        x="lon", y="lat", crs="EPSG:4326").rows_inserted == 2
        area = reg.conn.execute("SELECT ST_Area(ST_Transform(outline, 4549)) / 1e6 FROM "
                                "yangpu_district WHERE role = 'district'").fetchone()[0]
    assert area == pytest.approx(23.5, abs=0.05)


@pytest.fixture(scope="module")
def city(pg_schemas, tmp_path_factory):
    """A city registry (the 16 districts of Shanghai as one outline) with a few rows."""
    url = pg_schemas[1]
    folder = tmp_path_factory.mktemp("city")
    init = run_cli("init", "--registry", url, "--district-outline", DATAV_ARG, "--crs", "gcj02",
                   "--code", "310000", "--name", "上海市", "--json")
    assert init.returncode == 0, init
    suzhou = ("S1", "苏州停车场", 120.62, 31.30)  # Jiangsu: outside the city
    with open_registry(url) as reg:  # loads in process (the CLI load path is tested above)
        with pytest.raises(ValidationError) as info:
            reg.load(_csv(folder / "sz.csv", [*HONGKOU_POINTS, suzhou]), "parking_facilities",
                     x="lon", y="lat", crs="EPSG:4326")
        assert "lies outside 上海市" in info.value.render()
        assert [p.rows for p in info.value.problems] == [[4]]
        reg.load(_csv(folder / "f.csv", [*HONGKOU_POINTS, *YANGPU_POINTS]), "parking_facilities",
                 x="lon", y="lat", crs="EPSG:4326")
        reg.load(_compounds(folder / "c.geojson"), "residential_compounds")
    return url, folder, json.loads(init.stdout)


@pytest.mark.postgis
def test_city_registry_holds_sixteen_districts(city, oracle):
    _url, _folder, data = city
    assert [p["name"] for p in data["parts"]] == list(oracle)
    union = shapely.union_all([_work(g) for g in oracle.values()])
    assert data["area_km2"] == pytest.approx(union.area / 1e6, rel=1e-3)


@pytest.mark.postgis
def test_analyze_parking_per_district(city, oracle):
    url, folder, _data = city
    run = run_cli("analyze", "parking", "--registry", url, "--district", "虹口区",
                  "--distance", "euclidean", "-o", folder / "p", "--json")
    assert run.returncode == 0, run
    s = json.loads(run.stdout)
    # oracle: the rows whose points / polygons lie in each district's DataV outline
    points = HONGKOU_POINTS + YANGPU_POINTS
    hk_fac = sum(oracle["虹口区"].contains(Point(x, y)) for *_r, x, y in points)
    assert (s["facilities"], s["demand_locations"]) == (hk_fac, 2) == (2, 2)
    with open_registry(url) as reg:  # the same selection for 杨浦 (by code), and the whole
        yp = reg.in_district("310110").read_layers("parking_facilities", "residential_compounds")
        whole = reg.read_layers("parking_facilities", "residential_compounds")
    assert sorted(yp["parking_facilities"]["facility_id"]) == ["F3", "F4"]
    assert sorted(yp["residential_compounds"]["compound_id"]) == ["YP1", "YP2"]
    assert [len(f) for f in whole.values()] == [4, 4]


@pytest.mark.postgis
def test_map_per_district_opens_on_it_and_names_it(city, oracle):
    url, folder, _data = city
    out = folder / "yp.html"
    run = run_cli("map", "parking_facilities", "--registry", url, "--district", "杨浦",
                  "-o", out, "--json")
    assert run.returncode == 0 and json.loads(run.stdout)["features"] == 2, run
    html = out.read_text(encoding="utf-8")
    assert "杨浦区停车设施" in html and "五角场停车场" in html and "鲁迅公园停车场" not in html
    # the map's bounds cover the district's outline (oracle bounds, lat/lon order)
    minx, miny, maxx, maxy = oracle["杨浦区"].bounds
    assert f"[[{miny:.4f}" in _fit_bounds(html, 4) and f"{maxx:.4f}]]" in _fit_bounds(html, 4)
    unknown = run_cli("map", "parking_facilities", "--registry", url, "--district", "北京市",
                      "-o", folder / "x.html")
    assert unknown.returncode == 2 and not crashed(unknown.output), unknown
    assert "no district '北京市'" in unknown.stderr and "310109 虹口区" in unknown.stderr
    assert not (folder / "x.html").exists()


def _fit_bounds(html: str, digits: int) -> str:
    """The fitBounds call of a folium page, its numbers rounded to ``digits``."""
    import re

    start = html.index("fitBounds(")
    call = html[start:html.index(")", start)]
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.{digits}f}", call).replace(" ", "")


def _dem(path: Path, lon: float, lat: float) -> Path:
    """A 10 x 10 DEM of 4 m, 0.001° cells, WGS84, its corner at (lon, lat)."""
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(0.001, 0, lon, 0, -0.001, lat + 0.01)) as dst:
        dst.write(np.full((1, 10, 10), 4.0, dtype="float32"))
    return path


@pytest.mark.postgis
def test_raster_extent_follows_the_district(city, hongkou_gpkg, tmp_path):
    """A DEM of 松江 (121.22 E, 31.03 N): outside Yangpu's box and 虹口, inside the city."""
    url, _folder, _data = city
    dem = _dem(tmp_path / "songjiang.tif", 121.22, 31.03)
    with open_registry(url) as reg:
        assert reg.load_raster(dem, "dem", dry_run=True).rows_read >= 100  # warped to 4549
    _f, hk_path, _d = hongkou_gpkg
    from yangpu_gis.errors import CRSError

    with open_registry(hk_path) as reg, pytest.raises(CRSError) as info:
        reg.load_raster(dem, "dem", dry_run=True)
    assert "does not overlap 虹口区" in info.value.message
    assert "虹口区 (310109)" in info.value.hint
    with open_registry(tmp_path / "plain.gpkg", create=True) as reg, pytest.raises(CRSError):
        reg.load_raster(dem, "dem", dry_run=True)  # no district: the Yangpu box, as before


def test_a_hostile_district_name_is_escaped_or_refused(tmp_path):
    """The name is data: printed escaped (rich markup), HTML-escaped in maps, too long refused."""
    reg = tmp_path / "x.gpkg"
    name = "[red]X[/]<script>alert(1)</script>区"
    run = run_cli("init", "--registry", reg, "--district-outline", DATAV_ARG, "--crs", "gcj02",
                  "--code", "310109", "--name", name)
    assert run.returncode == 0 and name in run.stdout, run  # shown as typed, not as markup
    out = tmp_path / "m.html"
    drawn = run_cli("map", "parking_facilities", "--registry", reg, "-o", out, "--title",
                    "杨浦区停车")
    assert drawn.returncode == 0, drawn
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    with pytest.raises(ValidationError, match="not a district name"):
        read_outline(DATAV, crs="gcj02", code="310109", name="区" * 41)
    with pytest.raises(ValidationError, match="control characters"):
        read_outline(DATAV, crs="gcj02", code="310109", name="虹口\x1b[2J")

"""Tests for the generated demo dataset (yangpu_gis.datasets.demo) and the bureau files it writes."""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from yangpu_gis.catalogue import BUILTIN_LAYERS, CATALOGUE
from yangpu_gis.crs import gcj02_to_wgs84, transform_geometries
from yangpu_gis.datasets import demo as demo_data
from yangpu_gis.datasets.demo import complaints as demo_complaints

DATAV = (
    Path(__file__).parents[1]
    / ".."
    / "shared"
    / "data"
    / "real"
    / "datav_geomapdata_cn"
    / "310110.json"
)

#: Official codes (Shanghai Civil Affairs Bureau, 2024; DOMAIN.md) and the 2020 census total.
CODES = {
    "310110001", "310110006", "310110008", "310110009", "310110012", "310110013",
    "310110015", "310110016", "310110018", "310110019", "310110020", "310110021",
}  # fmt: skip
CENSUS_TOTAL = 1_242_600

FAMILY = {
    "Point": "Point",
    "LineString": "LineString",
    "Polygon": "Polygon",
    "MultiPolygon": "Polygon",
}


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return demo_data.generate()


@pytest.fixture(scope="module")
def written(layers, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo_data.write_sources(layers, out)
    return out


def _date(v: object) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


# --- catalogue conformity -------------------------------------------------------------------


def test_every_catalogue_layer_with_exact_columns(layers):
    from yangpu_gis.datasets.demo.build import DEFINED_LAYERS
    from yangpu_gis.layer_definitions import resolve_definition

    # built-in layers only: a registry opened earlier in this worker may have registered
    # the shipped definitions in the process-wide catalogue
    builtin = {name: layer for name, layer in CATALOGUE.items() if name in BUILTIN_LAYERS}
    assert list(layers) == [*builtin, *DEFINED_LAYERS]
    for name in DEFINED_LAYERS:  # shipped definitions: their columns, in their order
        columns = resolve_definition(name).layer.column_names
        assert list(layers[name].columns) == [*columns, "geometry"], name
        assert len(layers[name]) > 0, name
    for name, layer in builtin.items():
        gdf = layers[name]
        if not layer.has_geometry:  # an attribute table (water_samples): a plain DataFrame
            assert not isinstance(gdf, gpd.GeoDataFrame), name
            assert list(gdf.columns) == layer.column_names, name
            assert len(gdf) > 0, name
            continue
        assert list(gdf.columns) == [*layer.column_names, "geometry"], name
        assert gdf.crs == pyproj.CRS("EPSG:4549"), name
        assert len(gdf) > 0, name


@pytest.mark.parametrize("name", [n for n in CATALOGUE if n in BUILTIN_LAYERS])
def test_values_conform_to_catalogue(layers, name):
    layer, gdf = CATALOGUE[name], layers[name]
    for col in layer.columns:
        s = gdf[col.name]
        present = s[s.notna()]
        if col.required:
            assert s.notna().all(), f"{name}.{col.name} has nulls"
            if col.type == "str":
                assert (s.astype(str).str.strip() != "").all(), f"{name}.{col.name} blank"
        if col.allowed:
            assert set(present) <= set(col.allowed), (
                f"{name}.{col.name}: {set(present) - set(col.allowed)}"
            )
        if col.type in ("int", "float"):
            values = present.astype("float64")
            if col.type == "int":
                assert (values == np.round(values)).all(), f"{name}.{col.name} not integral"
                assert (values >= 0).all(), f"{name}.{col.name} negative"
            if col.min is not None:
                assert (values >= col.min).all(), f"{name}.{col.name} below {col.min}"
            if col.max is not None:
                assert (values <= col.max).all(), f"{name}.{col.name} above {col.max}"
        if col.type == "date":
            for v in present:
                _date(v)
        if col.type == "datetime":
            for v in present:
                t = dt.datetime.fromisoformat(str(v))
                assert t.utcoffset() == dt.timedelta(hours=8), v
        if col.type == "bool":
            assert set(present) <= {True, False}


@pytest.mark.parametrize("name", [n for n, lyr in CATALOGUE.items() if lyr.has_geometry])
def test_geometries_valid_right_family_inside_outline(layers, name):
    gdf = layers[name]
    geoms = gdf.geometry.to_numpy()
    assert shapely.is_valid(geoms).all(), name
    assert not shapely.is_empty(geoms).any(), name
    families = {FAMILY[t] for t in gdf.geom_type}
    assert families <= set(CATALOGUE[name].geometry), (name, families)
    outline = demo_data.district_outline().buffer(0.5)
    assert shapely.covered_by(geoms, outline).all(), name


@pytest.mark.parametrize("name", [n for n in CATALOGUE if n in BUILTIN_LAYERS])
def test_ids_unique(layers, name):
    ids = layers[name][CATALOGUE[name].id_column]
    assert ids.is_unique, name


def test_mixed_families_present(layers):
    assert set(layers["rivers"].geom_type) == {"LineString", "Polygon"}
    assert set(layers["parking_facilities"].geom_type) == {"Point", "Polygon"}
    assert set(FAMILY[t] for t in layers["excavation_permits"].geom_type) == {
        "LineString",
        "Polygon",
    }


# --- district, subdistricts, grid -----------------------------------------------------------


def test_outline_area_is_about_60_km2():
    assert 57e6 < demo_data.district_outline().area < 64e6


def test_outline_overlaps_datav_boundary():
    if not DATAV.exists():
        pytest.skip(f"shared DataV boundary not available at {DATAV}")
    geom = shape(json.loads(DATAV.read_text("utf-8"))["features"][0]["geometry"])
    lon, lat = gcj02_to_wgs84(*np.asarray(shapely.get_coordinates(geom)).T)
    ref = shapely.set_coordinates(geom, np.column_stack([lon, lat]))
    ref = transform_geometries([ref], pyproj.CRS(4326), pyproj.CRS("EPSG:4549"))[0]
    ours = demo_data.district_outline()
    iou = ours.intersection(ref).area / ours.union(ref).area
    assert iou > 0.75, iou


def test_subdistricts_codes_population_tiling(layers):
    subs = layers["subdistricts"]
    assert set(subs["subdistrict_id"]) == CODES
    assert int(subs["population"].sum()) == CENSUS_TOTAL
    outline = demo_data.district_outline()
    union = shapely.union_all(subs.geometry.to_numpy())
    assert abs(union.area - outline.area) / outline.area < 1e-6
    assert union.symmetric_difference(outline).area / outline.area < 1e-6
    geoms = subs.geometry.to_numpy()
    overlap = sum(
        geoms[i].intersection(geoms[j]).area
        for i in range(len(geoms))
        for j in range(i + 1, len(geoms))
    )
    assert overlap < 1.0  # m²
    assert np.allclose(subs["area_km2"], subs.geometry.area / 1e6, atol=1e-3)


def test_subdistricts_lie_where_they_should(layers):
    subs = layers["subdistricts"].set_index("name")
    c = subs.geometry.centroid
    assert c["定海路街道"].x > c["控江路街道"].x and c["定海路街道"].y < c["殷行街道"].y
    assert c["新江湾城街道"].y == max(c.y)
    assert c["四平路街道"].x < c["长白新村街道"].x
    assert min(c["平凉路街道"].y, c["江浦路街道"].y) < c["五角场街道"].y


def test_grid_cells_cover_each_subdistrict_exactly(layers):
    subs, grid = layers["subdistricts"], layers["grid_cells"]
    assert 300 <= len(grid) <= 500
    assert grid["grid_id"].str.match(r"^3101100\d\d-\d{3}$").all()
    assert (grid["grid_id"].str[:9] == grid["subdistrict_id"]).all()
    for code, sub in zip(subs["subdistrict_id"], subs.geometry, strict=True):
        cells = grid.geometry[grid["subdistrict_id"] == code].to_numpy()
        union = shapely.union_all(cells)
        assert union.symmetric_difference(sub).area / sub.area < 1e-6, code
        assert abs(sum(c.area for c in cells) - sub.area) / sub.area < 1e-6, code


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_same_output(layers):
    again = demo_data.generate()
    for name in CATALOGUE:
        a, b = layers[name], again[name]
        if not CATALOGUE[name].has_geometry:
            pd.testing.assert_frame_equal(a, b)
            continue
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert (
            shapely.to_wkb(a.geometry.to_numpy()) == shapely.to_wkb(b.geometry.to_numpy())
        ).all(), name


def test_other_seed_other_output(layers):
    other = demo_data.generate(seed=7, pipeline_segments=500)
    assert not other["complaints"]["received_at"].equals(layers["complaints"]["received_at"])
    # fewer segments than (road segment, utility) runs asked: one segment per run
    assert 500 <= len(other["pipelines"]) < len(layers["pipelines"])


def test_pipeline_segment_count_is_honoured():
    layers = demo_data.generate(pipeline_segments=100_000)
    pipes = layers["pipelines"]
    assert len(pipes) == 100_000
    assert set(pipes["utility"]) == set(CATALOGUE["pipelines"].column("utility").allowed)


# --- realism --------------------------------------------------------------------------------


def test_counts_in_realistic_ranges(layers):
    n = {k: len(v) for k, v in layers.items()}
    assert 2000 <= n["roads"] <= 6000
    assert 10_000 <= n["pipelines"] <= 60_000
    assert 300 <= n["parking_facilities"] <= 900
    assert 40 <= n["beautiful_blocks"] <= 60
    assert 400 <= n["residential_compounds"] <= 700
    assert 300 <= n["excavation_permits"] <= 1000
    assert 25_000 <= n["complaints"] <= 35_000  # a year of work orders


def test_roads_named_split_and_dated(layers):
    roads = layers["roads"]
    for name in (
        "杨树浦路",
        "平凉路",
        "长阳路",
        "控江路",
        "江浦路",
        "政通路",
        "大学路",
        "赤峰路",
        "淞沪路",
        "军工路",
    ):
        assert (roads["name"] == name).any(), name
    assert (roads.loc[roads["name"] == "中环路", "road_class"] == "expressway").all()
    assert (roads.loc[roads["name"] == "军工路", "road_class"] == "arterial").all()
    main = roads[roads["road_class"].isin(["arterial", "secondary", "branch"])]
    assert (main.geometry.length <= 600.5).all()
    assert (main.geometry.length >= 100).mean() > 0.9
    built = pd.to_datetime(roads["built_date"])
    repair = pd.to_datetime(roads["last_major_repair_date"])
    assert (built > pd.Timestamp(demo_data.AS_OF) - pd.DateOffset(years=5)).sum() >= 20
    assert (repair > pd.Timestamp(demo_data.AS_OF) - pd.DateOffset(years=3)).sum() >= 20
    assert roads["pci"].between(60, 100).all() and (roads["pci"] < 70).sum() >= 20


def test_pipelines_run_beside_roads(layers):
    roads, pipes = layers["roads"], layers["pipelines"].iloc[::50]
    tree = shapely.STRtree(roads.geometry.to_numpy())
    mids = shapely.line_interpolate_point(pipes.geometry.to_numpy(), 0.5, normalized=True)
    _, dist = tree.query_nearest(mids, return_distance=True, all_matches=False)
    assert (dist <= 8.5).all() and np.median(dist) >= 1.0


def test_parking_capacity_by_kind(layers):
    p = layers["parking_facilities"]
    assert set(p["kind"]) == set(CATALOGUE["parking_facilities"].column("kind").allowed)
    assert p.loc[p["kind"] == "on_street", "capacity"].between(10, 60).all()
    assert p.loc[p["kind"] == "public", "capacity"].between(50, 400).all()
    assert p.loc[p["kind"] == "residential", "capacity"].between(30, 600).all()
    shared = p.loc[p["kind"].isin(["office", "commercial"]), "shared_offpeak"]
    assert shared.sum() >= 5 and (~shared.astype(bool)).sum() >= 5


def test_old_compounds_have_few_spaces(layers):
    c = layers["residential_compounds"]
    old = c[c["built_year"] < 1990]
    new = c[c["built_year"] >= 2005]
    assert len(old) > 150 and len(new) > 50
    assert (old["parking_spaces"] / old["households"]).median() < 0.3
    assert (new["parking_spaces"] / new["households"]).median() > 0.8


def test_real_pois_present(layers):
    pois = layers["pois"]
    names = " ".join(pois["name"])
    for hosp in ("新华医院", "长海医院", "市东医院", "杨浦区中心医院", "肺科医院", "岳阳"):
        assert hosp in names, hosp
    stations = set(pois.loc[pois["kind"] == "metro_station", "name"])
    assert {
        "五角场站",
        "江湾体育场站",
        "国权路站",
        "同济大学站",
        "复兴岛站",
        "殷高路站",
    } <= stations
    assert pois.loc[pois["kind"] == "hospital", "beds"].notna().all()
    assert pois.loc[pois["kind"] == "school", "students"].notna().all()


# --- planted excavation problems (brute-force oracles) --------------------------------------


@pytest.fixture(scope="module")
def permit_records(layers):
    p = layers["excavation_permits"]
    return list(
        zip(
            p["road_id"],
            p["planned_start"].map(_date),
            p["planned_end"].map(_date),
            p.geometry,
            strict=True,
        )
    )


def test_concurrent_conflicts_planted(permit_records):
    pairs = 0
    for i, (_, s1, e1, g1) in enumerate(permit_records):
        for _, s2, e2, g2 in permit_records[i + 1 :]:
            if s1 <= e2 and s2 <= e1 and g1.intersects(g2):
                pairs += 1
    assert pairs >= 30


def test_repeated_digs_planted(permit_records):
    repeats = 0
    for r1, _s1, e1, g1 in permit_records:
        for r2, s2, _e2, g2 in permit_records:
            if r1 == r2 and e1 < s2 <= e1 + dt.timedelta(days=365) and g1.intersects(g2):
                repeats += 1
    assert repeats >= 30


def test_moratorium_breaches_planted(layers, permit_records):
    roads = layers["roads"].set_index("road_id")
    breaches = 0
    for road_id, start, _end, _g in permit_records:
        built = _date(roads.at[road_id, "built_date"])
        repair = roads.at[road_id, "last_major_repair_date"]
        if built <= start < built + dt.timedelta(days=5 * 365):
            breaches += 1
        elif isinstance(repair, str) and _date(repair) <= start < _date(repair) + dt.timedelta(
            days=3 * 365
        ):
            breaches += 1
    assert breaches >= 25


def test_permits_sit_on_their_road(layers):
    roads = layers["roads"].set_index("road_id")
    p = layers["excavation_permits"]
    d = shapely.distance(p.geometry.to_numpy(), roads.geometry.loc[p["road_id"]].to_numpy())
    assert (d <= 9).all()


@pytest.fixture(scope="module")
def orders(layers) -> pd.DataFrame:
    c = layers["complaints"]
    return pd.DataFrame(
        {
            "t": pd.to_datetime(c["received_at"].str[:19]),
            "category": c["category"],
            "address": c["address"],
            "precision": c["location_precision"],
            "x": c.geometry.x,
            "y": c.geometry.y,
        }
    )


def test_complaints_are_a_year_with_seasons_and_hours(layers, orders):
    c = layers["complaints"]
    assert c["closed_at"].notna().mean() > 0.7
    assert {"道路破损", "占道经营", "噪声", "积水", "违法停车", "垃圾"} <= set(c["category"])
    assert orders["t"].min() >= pd.Timestamp("2025-01-01")
    assert orders["t"].max() < pd.Timestamp("2026-01-01")
    assert orders["t"].dt.month.nunique() == 12
    # 积水 in the plum-rain and typhoon season (June–September)
    rainy = orders["t"].dt.month.between(6, 9)
    ponding = orders["category"] == "积水"
    assert ponding[rainy].mean() > 3 * ponding[~rainy].mean()
    assert rainy[ponding].mean() > 0.6
    # 噪声 more in summer and at night
    noise = orders[orders["category"] == "噪声"]
    assert noise["t"].dt.month.between(6, 8).mean() > 0.33
    assert noise["t"].dt.hour.isin([20, 21, 22, 23, 0, 1]).mean() > 0.4
    # 违法停车 on weekdays (per day), at rush hours
    parking = orders[orders["category"] == "违法停车"]
    weekend = parking["t"].dt.day_of_week >= 5
    assert (~weekend).sum() / 5 > 1.4 * weekend.sum() / 2
    assert parking["t"].dt.hour.isin([7, 8, 9, 17, 18]).mean() > 0.3


def test_complaint_duplicate_bursts(orders):
    """Brute force: orders with another of the same category within 50 m and one hour."""
    located = orders[orders["precision"] == "point"]
    linked = np.zeros(len(located), dtype=bool)
    t = located["t"].to_numpy().astype("datetime64[s]").astype(np.int64)
    x, y = located["x"].to_numpy(), located["y"].to_numpy()
    cat = located["category"].to_numpy()
    for c in np.unique(cat):
        idx = np.flatnonzero(cat == c)
        idx = idx[np.argsort(t[idx], kind="stable")]
        for k, i in enumerate(idx):
            for j in idx[k + 1 :]:
                if t[j] - t[i] > 3600:
                    break
                if math.hypot(x[j] - x[i], y[j] - y[i]) <= 50:
                    linked[i] = linked[j] = True
    assert linked.sum() >= 1500  # ~1000 bursts of 2–9 orders
    assert linked.mean() < 0.2


def _planted(layers, orders, spot):
    name, where, radius, shares, n, *_ = spot
    anchor = demo_complaints._anchor(where, layers["roads"])
    pts = shapely.points(orders["x"], orders["y"])
    near = (shapely.distance(anchor, pts) <= radius) & orders["category"].isin(list(shares))
    return orders[near & (orders["precision"] == "point").to_numpy()], anchor


def test_planted_hot_spots_span_several_grid_cells(layers, orders):
    grid = layers["grid_cells"]
    for spot in demo_complaints._HOT_SPOTS:
        sel, _ = _planted(layers, orders, spot)
        assert len(sel) >= 0.8 * spot[4], spot[0]
        cells = gpd.sjoin(
            gpd.GeoDataFrame(geometry=gpd.points_from_xy(sel["x"], sel["y"]), crs=grid.crs),
            grid[["grid_id", "geometry"]],
            predicate="within",
        )["grid_id"].value_counts()
        assert (cells >= 0.1 * len(sel)).sum() >= 2, (spot[0], cells.head())
        assert cells.iloc[0] < 0.6 * len(sel), spot[0]  # not all in one cell
        spread = max(np.subtract(*np.percentile(sel[c], [90, 10])) for c in ("x", "y"))
        assert spread > 380, (spot[0], spread)  # 300–600 m across, wider than a grid cell


def test_recurring_spots_planted(orders):
    months = orders.assign(m=orders["t"].dt.month).groupby(["address", "category"])["m"]
    assert (months.nunique() >= 6).sum() >= 30


def test_address_only_orders_name_a_demo_road(layers, written):
    from yangpu_gis.io.geocode import _merged, match_road_names

    table = pd.read_csv(written / "complaints_12345.csv", encoding="utf-8-sig")
    blank = table["lon"].isna()
    assert (blank == table["lat"].isna()).all()
    assert 0.03 <= blank.mean() <= 0.05
    roads = layers["roads"]
    matched = match_road_names(table.loc[blank, "地址"], roads["name"])
    unlocated = matched.isna()
    assert 0 < unlocated.sum() < 0.005 * len(table)
    assert len(layers["complaints"]) == len(table) - unlocated.sum()  # the rest load
    junctions = [m for m in matched.dropna() if m.junction]
    assert len(junctions) >= 100
    lines = _merged(roads)
    for m in junctions:  # only roads that really cross in the demo
        assert lines[m.names[0]].distance(lines[m.names[1]]) < 1, m.names
    c = layers["complaints"]
    assert set(c["location_precision"]) == {"point", "road"}
    road = c[c["location_precision"] == "road"]
    assert blank.sum() - unlocated.sum() == len(road)
    assert match_road_names(road["address"], roads["name"]).notna().all()


def test_manifest_skips_unlocated_complaints(written):
    manifest = tomllib.loads((written / "manifest.toml").read_text("utf-8"))
    entry = next(e for e in manifest["load"] if e["layer"] == "complaints")
    assert entry["skip_unlocated"] is True


# --- the messy bureau files -----------------------------------------------------------------


def test_manifest_lists_every_layer_subdistricts_first(written):
    manifest = tomllib.loads((written / "manifest.toml").read_text("utf-8"))
    loads = manifest["load"]
    assert loads[0]["layer"] == "subdistricts"
    from yangpu_gis.datasets.demo.build import DEFINED_LAYERS
    from yangpu_gis.rasters import RASTER_CATALOGUE

    assert {e["layer"] for e in loads} == set(CATALOGUE) | set(RASTER_CATALOGUE) | set(
        DEFINED_LAYERS)
    # the layers the district defines come with their definitions
    assert manifest["definitions"] == list(DEFINED_LAYERS)
    assert loads[-1]["layer"] == "dem"  # the DEM goes in last, after the vector layers
    for e in loads:
        assert (written / e["file"]).exists(), e["file"]
        assert e["mode"] in ("append", "replace", "upsert")


def test_roads_dbf_is_gbk_without_cpg(written):
    assert (written / "roads.shp").exists() and (written / "roads.prj").exists()
    assert not (written / "roads.cpg").exists()
    data = (written / "roads.dbf").read_bytes()
    assert data[29] == 0  # no code page declared in the header either
    header_len = int.from_bytes(data[8:10], "little")
    names = b"".join(data[o : o + 11].rstrip(b"\x00") for o in range(32, header_len - 1, 32))
    records = data[header_len:].rstrip(b"\x1a")
    assert "道路名称".encode("gbk") in names
    text = records.decode("gbk")
    assert "主干路" in text and "杨树浦路" in text
    with pytest.raises(UnicodeDecodeError):
        records.decode("utf-8")
    prj = pyproj.CRS((written / "roads.prj").read_text())
    assert prj.to_epsg() == 4549


def test_parking_xlsx_is_gcj02(layers, written):
    table = pd.read_excel(written / "parking_facilities.xlsx")
    assert list(table.columns) == [
        "编号",
        "停车场名称",
        "类型",
        "泊位数",
        "错峰共享",
        "开放时间",
        "地址",
        "经度",
        "纬度",
    ]
    assert set(table["错峰共享"]) <= {"是", "否"}
    parking = layers["parking_facilities"].set_index("facility_id").loc[table["编号"]]
    pts = parking.geometry.to_numpy()
    pts = np.where(shapely.get_type_id(pts) == 0, pts, shapely.centroid(pts))
    lon, lat = gcj02_to_wgs84(table["经度"].to_numpy(), table["纬度"].to_numpy())
    tr = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
    x, y = tr.transform(lon, lat)
    err = np.hypot(x - shapely.get_x(pts), y - shapely.get_y(pts))
    assert err.max() < 0.05
    # and they really are offset (GCJ-02 is hundreds of metres from WGS84 here)
    x2, y2 = tr.transform(table["经度"].to_numpy(), table["纬度"].to_numpy())
    assert np.hypot(x2 - shapely.get_x(pts), y2 - shapely.get_y(pts)).min() > 200


def test_complaints_csv_has_bom_and_coordinates(written):
    raw = (written / "complaints_12345.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(written / "complaints_12345.csv", encoding="utf-8-sig")
    assert list(table.columns) == [
        "工单编号",
        "受理时间",
        "问题类别",
        "诉求内容",
        "办理状态",
        "办结时间",
        "地址",
        "lon",
        "lat",
    ]
    assert table["地址"].notna().all() and table["工单编号"].is_unique
    assert table["lon"].notna().mean() > 0.95  # the rest: address only (see below)


def test_vector_files_crs_and_layers(written):
    import pyogrio

    assert [n for n, _ in pyogrio.list_layers(written / "pipelines.gpkg")] == ["pipe_network"]
    assert {n for n, _ in pyogrio.list_layers(written / "assets.gpkg")} == {
        "rivers",
        "residential_compounds",
        "pois",
        "excavation_permits",
    }
    assert pyogrio.read_info(written / "assets.gpkg", layer="pois")["crs"] == "EPSG:4549"
    assert pyogrio.read_info(written / "subdistricts.geojson")["crs"] == "EPSG:4326"


def test_written_files_are_reproducible(layers, written, tmp_path):
    demo_data.write_sources(layers, tmp_path)
    for f in sorted(written.iterdir()):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name

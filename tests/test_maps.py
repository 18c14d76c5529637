"""Tests of yangpu_gis.maps: string-level checks of the HTML, then a few browser checks.

The string tests render maps to HTML and read what would be drawn (folium's own test
style). The browser tests open offline maps in headless Chromium through playwright.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pyproj
import pytest
from matplotlib import font_manager
from shapely import LineString, Point, Polygon, box

from yangpu_gis import crs, maps
from yangpu_gis.errors import CRSError
from yangpu_gis.maps.encode import encode_geometries

XSS = "<img src=x onerror=alert(1)>"
WUJIAOCHANG = (121.5112, 31.3021)
SUBDISTRICTS = ["定海路街道", "平凉路街道", "江浦路街道", "四平路街道", "控江路街道", "长白新村街道",
                "延吉新村街道", "殷行街道", "大桥街道", "五角场街道", "新江湾城街道", "长海路街道"]
ROAD_CLASSES = ["expressway", "arterial", "secondary", "branch", "alley", "internal"]


# ----------------------------------------------------------------------------- fixtures
def _layers() -> dict[str, gpd.GeoDataFrame]:
    """Small synthetic layers over Yangpu, stored like the registry stores them (EPSG:4549)."""
    x0, y0, x1, y1 = 121.49, 31.25, 121.57, 31.34
    cells = [box(x0 + i * (x1 - x0) / 3, y0 + j * (y1 - y0) / 4,
                 x0 + (i + 1) * (x1 - x0) / 3, y0 + (j + 1) * (y1 - y0) / 4)
             for j in range(4) for i in range(3)]
    subdistricts = gpd.GeoDataFrame(
        {"subdistrict_id": [f"310110{i:03d}" for i in range(12)], "name": SUBDISTRICTS,
         "population": [52_000, 55_000, 61_000, 64_000, 88_000, 91_000,
                        105_000, 108_000, 131_000, 135_000, 152_000, 158_000]},
        geometry=cells, crs=4326)
    roads, classes, names = [], [], []
    for i in range(12):
        x, y = x0 + 0.005 + i * 0.0065, y0 + 0.005 + i * 0.0075
        roads += [LineString([(x, y0 + 0.002), (x + 0.002, y1 - 0.002)]),
                  LineString([(x0 + 0.002, y), (x1 - 0.002, y + 0.001)])]
        classes += [ROAD_CLASSES[i % 6], ROAD_CLASSES[(i + 3) % 6]]
        names += [f"南北路{i}", f"东西路{i}"]
    roads = gpd.GeoDataFrame(
        {"road_id": [f"R{i:03d}" for i in range(24)], "name": names, "road_class": classes},
        geometry=roads, crs=4326)
    rivers = gpd.GeoDataFrame(
        {"river_id": ["HPJ", "YSPG"], "name": ["黄浦江", "杨树浦港"]},
        geometry=[LineString([(121.49, 31.25), (121.53, 31.262), (121.57, 31.30)]),
                  Polygon([(121.52, 31.256), (121.522, 31.256), (121.527, 31.30),
                           (121.525, 31.30)])],
        crs=4326)
    pois = gpd.GeoDataFrame(
        {"poi_id": ["X1", "X2", "X3"], "name": [XSS, "复旦大学", "五角场站"],
         "kind": ["other", "school", "metro_station"]},
        geometry=[Point(*WUJIAOCHANG), Point(121.503, 31.297), Point(121.514, 31.301)],
        crs=4326)
    out = {"subdistricts": subdistricts, "roads": roads, "rivers": rivers, "pois": pois}
    return {k: v.to_crs("EPSG:4549") for k, v in out.items()}


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return _layers()


def render(m) -> str:
    maps.base.finalise(m)
    return m.get_root().render()


def payloads(html_text: str) -> list[dict]:
    """The compact layers written into the page, in drawing order."""
    return [json.loads(p) for p in
            re.findall(r"yangpuLayer\([A-Za-z0-9_]+, (\{.*\})\);\s*$", html_text, flags=re.M)]


def decode_path(flat: list[int], origin: list[int], scale: int) -> np.ndarray:
    xy = np.asarray(flat, dtype=np.int64).reshape(-1, 2).cumsum(axis=0) + origin
    return xy / scale


# ------------------------------------------------------------------------- string level
def test_xss_name_is_escaped(layers):
    html_text = render(maps.layer_map(layers["pois"], "pois", offline=True))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_text
    assert XSS not in html_text
    assert "\\u003cimg" not in html_text  # not smuggled unescaped through the JSON either


def test_legend_title_and_chinese_labels(layers):
    html_text = render(maps.layer_map(layers["roads"], "roads", data_date="2025-06-30"))
    assert 'class="yp-legend' in html_text and "图例" in html_text
    for label in ("快速路", "主干路", "次干路", "支路", "弄堂", "内部道路"):
        assert label in html_text
    for label in ("道路编号", "道路名称", "道路等级"):  # popup field names from the catalogue
        assert label in html_text
    assert "杨浦区道路" in html_text and "数据日期：2025-06-30" in html_text
    assert "L.control.layers" in html_text and "L.control.scale" in html_text


def test_encoding_roundtrip():
    ring = [(121.5, 31.3), (121.51, 31.3), (121.51, 31.31), (121.5, 31.3)]
    hole = [(121.502, 31.302), (121.503, 31.302), (121.503, 31.303), (121.502, 31.302)]
    geoms = [LineString([(121.5, 31.3), (121.5000012, 31.3000026), (121.52, 31.29)]),
             Polygon(ring, [hole]), Point(121.55, 31.33), None]
    origin, types, enc = encode_geometries(geoms, precision=6)
    assert types == "LAP-"
    np.testing.assert_allclose(decode_path(enc[0][0], origin, 10**6),
                               np.round(np.asarray(geoms[0].coords), 6), atol=1e-9)
    np.testing.assert_allclose(decode_path(enc[1][0][1], origin, 10**6), np.asarray(hole),
                               atol=1e-9)
    np.testing.assert_allclose(np.add(enc[2], origin) / 1e6, (121.55, 31.33), atol=1e-9)
    assert enc[3] == []


def _first_point(html_text: str) -> np.ndarray:
    p = payloads(html_text)[0]
    return (np.asarray(p["g"][0]) + p["o"]) / p["s"]


def test_amap_basemap_shifts_to_gcj02(layers):
    """Coordinates drawn on Amap tiles equal crs.wgs84_to_gcj02 of the WGS84 position."""
    pois = layers["pois"]
    lon, lat = pyproj.Transformer.from_crs(4549, 4326, always_xy=True).transform(
        pois.geometry.iloc[0].x, pois.geometry.iloc[0].y)
    gcj = np.array(crs.wgs84_to_gcj02(lon, lat))
    on_amap = _first_point(render(maps.layer_map(pois, "pois", basemap="amap")))
    on_osm = _first_point(render(maps.layer_map(pois, "pois", basemap="osm")))
    np.testing.assert_allclose(on_amap, gcj, atol=1.5e-6)
    np.testing.assert_allclose(on_osm, (lon, lat), atol=1.5e-6)
    shift = on_amap - on_osm
    assert shift[0] == pytest.approx(0.0044, abs=3e-4)
    assert shift[1] == pytest.approx(-0.0020, abs=3e-4)


def test_offline_html_has_no_remote_assets(layers):
    html_text = render(maps.overview_map(layers, offline=True, data_date="2025-06-30"))
    srcs = re.findall(r"<(?:script|img|iframe)\b[^>]*\bsrc\s*=\s*['\"]?([^'\" >]+)", html_text, re.I)
    hrefs = re.findall(r"<link\b[^>]*\bhref\s*=\s*['\"]?([^'\" >]+)", html_text, re.I)
    assert not [u for u in srcs + hrefs if re.match(r"(https?:)?//", u)]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html_text)  # no remote CSS images/fonts
    assert "Leaflet 1.9.3" in html_text and "BSD-2-Clause" in html_text
    assert "L.tileLayer" not in html_text


def test_choropleth_legend_states_mapclassify_bins(layers):
    sub = layers["subdistricts"]
    np.random.seed(0)
    m = maps.choropleth_map(sub, "population", scheme="NaturalBreaks", k=5, offline=True)
    html_text = render(m)
    np.random.seed(0)
    expected = mapclassify.NaturalBreaks(sub["population"].to_numpy(), k=5).bins
    bins = json.loads(re.search(r"data-bins='([^']*)'", html_text).group(1))
    np.testing.assert_allclose(bins, expected)
    assert "常住人口" in html_text
    assert f"{expected[0]:,.0f}" in html_text and f"{expected[-1]:,.0f}" in html_text
    fj = maps.choropleth_map(sub, "population", scheme="FisherJenks", k=4)
    bins = json.loads(re.search(r"data-bins='([^']*)'", render(fj)).group(1))
    np.testing.assert_allclose(bins, mapclassify.FisherJenks(sub["population"], k=4).bins)


def test_large_layer_drops_popup_columns():
    n = 20_500
    x = np.linspace(121.49, 121.57, n)
    gdf = gpd.GeoDataFrame(
        {"pipe_id": [f"P{i}" for i in range(n)], "utility": ["gas"] * n, "material": ["PE"] * n},
        geometry=[LineString([(a, 31.3), (a + 1e-4, 31.3001)]) for a in x], crs=4326)
    p = payloads(render(maps.layer_map(gdf, "pipelines", offline=True)))[0]
    assert [c[0] for c in p["cols"]] == ["管线编号"]
    assert len(p["t"]) == n and set(p["k"]) == {list(maps.styles.UTILITY_COLOURS).index("gas")}


def test_missing_crs_is_refused():
    gdf = gpd.GeoDataFrame({"road_id": ["R"], "name": ["a"], "road_class": ["branch"]},
                           geometry=[LineString([(0, 0), (1, 1)])])
    with pytest.raises(CRSError):
        maps.layer_map(gdf, "roads")


def test_static_png_uses_cjk_font(layers, tmp_path):
    from yangpu_gis.maps.static import cjk_font  # loaded on first use, not with maps

    assert cjk_font() == "Noto Sans CJK SC"
    path = font_manager.findfont(font_manager.FontProperties(family="Noto Sans CJK SC"),
                                 fallback_to_default=False)
    assert "NotoSansCJK" in path
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")  # no tofu
        out = maps.static_map(layers, tmp_path / "map.png", title="杨浦区道路与河道",
                              data_date="2025-06-30", dpi=60)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


# ------------------------------------------------------------------------------ browser




def open_page(browser, path: Path):
    """Open ``path``; record requests, console errors and alert() calls."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    rec = {"requests": [], "errors": []}
    page.on("request", lambda r: rec["requests"].append(r.url))
    page.on("console", lambda m: m.type == "error" and rec["errors"].append(m.text))
    page.on("pageerror", lambda e: rec["errors"].append(str(e)))
    page.on("dialog", lambda d: (rec["errors"].append("dialog: " + d.message), d.dismiss()))
    page.add_init_script("window.__alerts = []; window.alert = m => window.__alerts.push(m);")
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=20_000)
    return page, rec


@pytest.mark.browser
def test_offline_overview_in_browser(browser, layers):
    d = Path(tempfile.mkdtemp())
    try:
        path = maps.save(maps.overview_map(layers, offline=True, data_date="2025-06-30"),
                         d / "overview.html")
        page, rec = open_page(browser, path)
        drawn = page.evaluate("yangpuDrawn()")
        assert drawn == {"街道": 12, "道路": 24, "河道": 2, "兴趣点": 3}
        assert page.locator(".yp-legend").is_visible()
        assert "快速路" in page.locator(".yp-legend").inner_text()
        assert "数据日期：2025-06-30" in page.locator(".yp-title").inner_text()
        assert page.locator(".leaflet-control-layers").is_visible()
        # open the XSS feature's popup and tooltip: the name shows as text, nothing runs
        page.evaluate("""() => {
            const g = __yangpu.layers["兴趣点"].group, l = g.getLayers()[0];
            l.fire("mouseover", {latlng: l.getLatLng()}, true);
            l.fire("click", {latlng: l.getLatLng()}, true); }""")
        assert XSS in page.locator(".yp-tip").inner_text()
        popup = page.locator(".leaflet-popup-content")
        assert XSS in popup.inner_text()
        assert popup.locator("img").count() == 0
        page.wait_for_timeout(100)
        assert page.evaluate("window.__alerts") == []
        assert rec["errors"] == []
        assert rec["requests"] and all(u.startswith(("file://", "data:")) for u in rec["requests"])
        assert not [u for u in rec["requests"] if u.endswith("/x")]  # the <img src=x> never loaded
        page.close()
    finally:
        shutil.rmtree(d)


@pytest.mark.browser
def test_offline_choropleth_and_clusters_in_browser(browser, layers):
    rng = np.random.default_rng(3)
    n = 2_500  # above CLUSTER_MIN_POINTS: drawn through the inlined markercluster
    complaints = gpd.GeoDataFrame(
        {"complaint_id": [f"C{i}" for i in range(n)], "received_at": ["2025-06-01T09:00+08:00"] * n,
         "category": ["噪声"] * n},
        geometry=gpd.points_from_xy(rng.uniform(121.49, 121.57, n), rng.uniform(31.25, 31.34, n)),
        crs=4326)
    d = Path(tempfile.mkdtemp())
    try:
        m = maps.choropleth_map(layers["subdistricts"], "population", scheme="FisherJenks",
                                offline=True)
        maps.layer_map(complaints, "complaints", m=m)
        page, rec = open_page(browser, maps.save(m, d / "choropleth.html"))
        drawn = page.evaluate("yangpuDrawn()")
        assert drawn["常住人口（FisherJenks）"] == 12
        assert page.evaluate("__yangpu.layers['12345热线工单'].layers") == n
        assert page.locator(".marker-cluster").count() > 0
        assert page.locator(".yp-legend").inner_text().count("–") >= 5
        assert rec["errors"] == []
        assert all(u.startswith(("file://", "data:")) for u in rec["requests"])
        page.close()
    finally:
        shutil.rmtree(d)

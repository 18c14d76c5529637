"""Packed paths and compact id columns of large layers (the 100,000-segment pipelines map).

Oracles: a plain Python zigzag-varint decoder written here from the format's definition,
and, in Chromium, the coordinates and ids of the source GeoDataFrame.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString

from yangpu_gis import maps
from yangpu_gis.maps.encode import PACK_ALPHABET, encode_geometries, pack_ints
from yangpu_gis.maps.layers import LARGE_LAYER_FEATURES


def unpack(text: str) -> list[int]:
    """Reference decoder: 5 bits a character, lowest first; index ≥ 32 means more follow."""
    out, v, shift = [], 0, 0
    for ch in text:
        k = PACK_ALPHABET.index(ch)
        v |= (k & 31) << shift
        shift += 5
        if k < 32:
            out.append(v // 2 if v % 2 == 0 else -(v + 1) // 2)
            v, shift = 0, 0
    return out


def test_pack_ints_roundtrip_against_reference_decoder():
    rng = np.random.default_rng(9)
    values = np.concatenate([
        [0, 1, -1, 15, 16, -16, -17, 31, 32, 1023, 1024, -(2**40), 2**40, 2**31, -(2**31)],
        rng.integers(-500, 500, 2000), rng.integers(-(10**9), 10**9, 500)])
    counts = np.array([3, 0, 12, len(values) - 15])
    packed = pack_ints(values, counts)
    assert len(packed) == 4 and packed[1] == ""
    assert all(set(p) <= set(PACK_ALPHABET) for p in packed)
    assert [v for p in packed for v in unpack(p)] == values.tolist()
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for p, a, b in zip(packed, bounds[:-1], bounds[1:], strict=True):
        assert unpack(p) == values[a:b].tolist()


def test_packed_encoding_holds_the_same_numbers():
    rng = np.random.default_rng(1)
    lines = [LineString(121.5 + rng.uniform(0, 0.01, (int(k), 2)))
             for k in rng.integers(2, 7, 300)]
    o1, t1, plain = encode_geometries(lines)
    o2, t2, packed = encode_geometries(lines, packed=True)
    assert (o1, t1) == (o2, t2)
    assert [[unpack(p) for p in f] for f in packed] == plain


def _pipes(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(4)
    x0, y0 = rng.uniform(121.49, 121.57, n), rng.uniform(31.25, 31.34, n)
    lines = [LineString([(a, b), (a + 2e-4, b + 1e-4), (a + 3e-4, b - 1e-4)])
             for a, b in zip(x0, y0, strict=True)]
    return gpd.GeoDataFrame(
        {"pipe_id": [f"<b>PL{i:06d}" for i in range(n)], "utility": ["gas"] * n},
        geometry=lines, crs=4326)


# In the page: the bulk layer of the large line layer, and, for feature i, its vertices
# decoded by the runtime and the container pixel of the middle of its first segment after
# centring the map there at zoom 18.
_FOCUS = """(i) => {
    const rec = Object.values(__yangpu.layers).find(r => r.bulk), b = rec.group, map = b._map;
    const parts = b.latLngs(i), a = parts[0][0], c = parts[0][1];
    const mid = L.latLng((a.lat + c.lat) / 2, (a.lng + c.lng) / 2);
    map.setView(mid, 18, {animate: false});
    const cp = map.latLngToContainerPoint(mid), box = map.getContainer().getBoundingClientRect();
    return {ll: parts.map(p => p.map(q => [q.lng, q.lat])), x: box.left + cp.x, y: box.top + cp.y};
}"""


@pytest.mark.browser
def test_large_layer_packed_paths_and_ids_in_chromium(tmp_path, browser):
    n = LARGE_LAYER_FEATURES + 500
    gdf = _pipes(n)
    path = maps.save(maps.layer_map(gdf, "pipelines", offline=True), tmp_path / "pipes.html")
    html = path.read_text(encoding="utf-8")
    payload = json.loads(re.search(r"yangpuLayer\([A-Za-z0-9_]+, (\{.*\})\);\s*$", html,
                                   flags=re.M).group(1))
    assert isinstance(payload["g"][0][0], str)  # packed
    assert payload["bulk"] is True  # lines only, above LARGE_LAYER_FEATURES: one canvas layer
    ids = payload["cols"][0][1]
    assert ids["p"] == "&lt;b&gt;PL" and ids["w"] == 6 and set(ids["d"]) == {0, 1}
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=60_000)
    # every feature lies in the first view, so every one has a line in the canvas
    assert page.evaluate("yangpuDrawn()") == {"管线": n}
    for i in [0, 1, 777, n - 1]:
        rec = page.evaluate(_FOCUS, i)
        ref = np.asarray(gdf.geometry.iloc[i].coords)
        np.testing.assert_allclose(rec["ll"][0], ref, atol=0.6e-6)
        # painted: the canvas pixel under the line is not transparent
        alpha = page.evaluate("""([x, y]) => {
            const cv = document.querySelector("canvas.yp-bulk"), r = cv.getBoundingClientRect();
            const k = cv.width / r.width;
            return cv.getContext("2d").getImageData((x - r.left) * k, (y - r.top) * k, 1, 1).data[3];
        }""", [rec["x"], rec["y"]])
        assert alpha > 0, i
        # hovered and clicked with the mouse, as a user does: the tooltip, then the popup
        page.mouse.move(rec["x"], rec["y"])
        tip = page.wait_for_selector(".yp-tip", timeout=5_000).text_content()
        assert tip == f"<b>PL{i:06d} · 燃气"  # shown literally, not as bold markup
        page.mouse.click(rec["x"], rec["y"])
        text = page.wait_for_selector(".leaflet-popup-content", timeout=5_000).text_content()
        assert f"<b>PL{i:06d}" in text and "燃气" in text
        page.evaluate("() => Object.values(__yangpu.layers)[0].group._map.closePopup()")
    # off every line: no popup
    page.evaluate("() => Object.values(__yangpu.layers)[0].group._map.setView([31.0, 121.0], 18)")
    page.mouse.click(600, 450)
    assert page.query_selector(".leaflet-popup-content") is None
    page.close()
    assert errors == []


@pytest.mark.browser
def test_markers_stay_clickable_over_a_bulk_line_layer(tmp_path, browser):
    """The bulk canvas lies beneath the shared canvas and lets the mouse through: a marker
    drawn over the lines opens its own popup; a click beside it on a line opens the line's."""
    from shapely import Point

    from yangpu_gis.maps.layers import add_layer

    n = LARGE_LAYER_FEATURES + 10
    pipes = _pipes(n)
    first = pipes.geometry.iloc[0]
    a, b = first.coords[0], first.coords[1]
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    pois = gpd.GeoDataFrame({"poi_id": ["Q1"], "name": ["<i>学校</i>"], "kind": ["school"]},
                            geometry=[Point(mid)], crs=4326)
    # the markers first: their canvas exists before the bulk layer is added
    m = maps.layer_map(pois, "pois", offline=True)
    add_layer(m, pipes, "pipelines")
    path = maps.save(m, tmp_path / "both.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=60_000)
    order = page.evaluate("""() => Array.from(
        document.querySelector('.leaflet-overlay-pane').children).map(c => c.className)""")
    assert "yp-bulk" in order[0] and len(order) == 2  # bulk canvas first, i.e. beneath
    rec = page.evaluate(_FOCUS, 0)
    page.mouse.click(rec["x"], rec["y"])  # on the marker, which lies on pipe 0
    text = page.wait_for_selector(".leaflet-popup-content", timeout=5_000).text_content()
    assert "<i>学校</i>" in text and "PL000000" not in text
    page.evaluate("() => __yangpu.map.closePopup()")
    # along the pipe, away from the marker (first vertex end of segment 0)
    x, y = page.evaluate("""() => { const b = Object.values(__yangpu.layers).find(r => r.bulk).group;
        const p = b._map.latLngToContainerPoint(b.latLngs(0)[0][0]);
        const r = b._map.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""")
    page.mouse.click(x, y)
    text = page.wait_for_selector(".leaflet-popup-content", timeout=5_000).text_content()
    assert "<b>PL000000" in text
    page.close()
    assert errors == []


@pytest.mark.browser
def test_bulk_layer_paints_the_first_legend_class_on_top(tmp_path, browser):
    """Two utilities on one line: the pixel there has the colour of the class listed first in
    the legend (给水 before 燃气), whichever comes first in the data."""
    from yangpu_gis.maps.styles import UTILITY_COLOURS

    n = LARGE_LAYER_FEATURES + 10
    gdf = _pipes(n)
    gdf.loc[1, "geometry"] = gdf.geometry.iloc[0]  # feature 1 lies exactly on feature 0
    gdf.loc[1, "utility"] = "water"  # feature 0 stays gas, after it in the data
    path = maps.save(maps.layer_map(gdf, "pipelines", offline=True), tmp_path / "order.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=60_000)
    legend = page.evaluate("() => Array.from(document.querySelectorAll('.yp-legend *'))"
                           ".map(e => e.textContent).join('|')")
    assert legend.index("给水") < legend.index("燃气")
    rec = page.evaluate(_FOCUS, 0)
    rgba = page.evaluate("""([x, y]) => {
        const cv = document.querySelector("canvas.yp-bulk"), r = cv.getBoundingClientRect();
        const k = cv.width / r.width;
        return Array.from(cv.getContext("2d").getImageData((x - r.left) * k, (y - r.top) * k, 1, 1).data);
    }""", [rec["x"], rec["y"]])
    page.close()
    def rgb(hex_colour: str) -> np.ndarray:
        return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], float)

    # two strokes of the same path, each with alpha e (opacity × edge coverage) over a
    # transparent canvas: alpha A = e(2 − e), colour (top + bottom·(1 − e)) / (2 − e)
    water, gas = rgb(UTILITY_COLOURS["water"]), rgb(UTILITY_COLOURS["gas"])
    e = 1 - np.sqrt(1 - rgba[3] / 255)
    water_on_top = (water + gas * (1 - e)) / (2 - e)
    gas_on_top = (gas + water * (1 - e)) / (2 - e)
    got = np.array(rgba[:3], float)
    assert np.abs(got - water_on_top).max() <= 4, (rgba, water_on_top, gas_on_top)
    assert np.abs(got - gas_on_top).max() > 20

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


@pytest.mark.browser
def test_large_layer_packed_paths_and_ids_in_chromium(tmp_path, browser):
    n = LARGE_LAYER_FEATURES + 500
    gdf = _pipes(n)
    path = maps.save(maps.layer_map(gdf, "pipelines", offline=True), tmp_path / "pipes.html")
    html = path.read_text(encoding="utf-8")
    payload = json.loads(re.search(r"yangpuLayer\([A-Za-z0-9_]+, (\{.*\})\);\s*$", html,
                                   flags=re.M).group(1))
    assert isinstance(payload["g"][0][0], str)  # packed
    ids = payload["cols"][0][1]
    assert ids["p"] == "&lt;b&gt;PL" and ids["w"] == 6 and set(ids["d"]) == {0, 1}
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=60_000)
    sample = [0, 1, 777, n - 1]
    seen = page.evaluate("""(sample) => {
        const name = Object.keys(__yangpu.layers)[0], g = __yangpu.layers[name].group;
        const byI = {};
        g.eachLayer(l => { if (l._yi !== undefined) byI[l._yi] = l; });
        return sample.map(i => {
            const l = byI[i];
            l.fire("click", {latlng: l.getLatLngs()[0]}, true);
            const text = document.querySelector(".leaflet-popup-content").textContent;
            l._map.closePopup();
            return {ll: l.getLatLngs().map(p => [p.lng, p.lat]), text};
        });
    }""", sample)
    page.close()
    assert errors == []
    for i, rec in zip(sample, seen, strict=True):
        ref = np.asarray(gdf.geometry.iloc[i].coords)
        np.testing.assert_allclose(rec["ll"], ref, atol=0.6e-6)
        assert f"<b>PL{i:06d}" in rec["text"]  # shown literally, not as bold markup

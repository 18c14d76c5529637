"""Benchmark: a 100,000-segment pipeline map, yangpu_gis.maps against plain folium.GeoJson.

Writes three HTML files of the same data and opens each in headless Chromium:

* ``yangpu``  — :func:`yangpu_gis.maps.layer_map` (compact encoding, canvas renderer);
* ``folium``  — ``folium.GeoJson`` with a per-utility ``style_function`` and a tooltip, the
  way the folium docs draw a styled layer (SVG renderer, folium's default);
* ``folium+canvas`` — the same with ``prefer_canvas=True``, to separate the encoding gain
  from the renderer gain.

All three inline the same Leaflet (no network here), so sizes differ only by the data
and the code that draws it. Reported per file: HTML size, Python build+save time, time
until Chromium has drawn the map (navigation start to two animation frames after ``load``),
and the number of paths drawn. Run::

    python benchmarks/bench_maps.py [--segments 100000] [--out benchmarks/_work]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element

from yangpu_gis import maps
from yangpu_gis.maps import assets
from yangpu_gis.maps.styles import UTILITY_COLOURS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]
DRAWN_FLAG = """<script>window.addEventListener("load", function () {
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    window.__drawn_ms = performance.now(); window.__drawn = true; }); }); });</script>"""
# Paths drawn: SVG <path> elements, or canvas layers that survived clipping.
COUNT_JS = """() => {
  const svg = document.querySelectorAll("svg path.leaflet-interactive").length;
  if (window.yangpuDrawn) { return Object.values(yangpuDrawn()).reduce((a, b) => a + b, 0) + svg; }
  let canvas = 0;
  for (const k in window) {
    const v = window[k];
    if (v && v._layers && v.getRenderer && v._panes) {
      v.eachLayer(l => { if (l._parts && l._parts.length && l._renderer instanceof L.Canvas) canvas++; });
    }
  }
  return svg + canvas;
}"""


def synthetic_pipelines(n: int, seed: int = 42) -> gpd.GeoDataFrame:
    """``n`` random-walk pipe segments (2-6 vertices, 5-40 m steps) over Yangpu, EPSG:4549."""
    rng = np.random.default_rng(seed)
    start = gpd.GeoSeries(
        gpd.points_from_xy(rng.uniform(121.49, 121.57, n), rng.uniform(31.25, 31.34, n)),
        crs="EPSG:4326",
    ).to_crs("EPSG:4549")
    nv = rng.integers(2, 7, n)
    owner = np.repeat(np.arange(n), nv)
    steps = rng.uniform(5, 40, len(owner))[:, None] * np.column_stack(
        [np.cos(a := rng.uniform(0, 2 * np.pi, len(owner))), np.sin(a)]
    )
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first], nv, axis=0)
    xy = walk + np.repeat(np.column_stack([start.x, start.y]), nv, axis=0)
    lines = shapely.linestrings(xy, indices=owner)
    utilities = np.array(list(UTILITY_COLOURS))
    return gpd.GeoDataFrame(
        {
            "pipe_id": [f"PL{i:06d}" for i in range(n)],
            "utility": utilities[rng.integers(0, len(utilities), n)],
            "diameter_mm": rng.choice([100, 150, 200, 300, 500, 800], n).astype(float),
            "material": rng.choice(["球墨铸铁", "PE", "钢", "混凝土"], n),
            "install_year": rng.integers(1960, 2024, n),
        },
        geometry=lines,
        crs="EPSG:4549",
    )


def _inline_leaflet(m: folium.Map) -> None:
    m.default_js, m.default_css = [], []
    header = m.get_root().header
    header.add_child(Element(assets.inline_css("leaflet")), name="leaflet_css_inline")
    header.add_child(Element(assets.inline_js("leaflet")), name="leaflet_js_inline")
    header.add_child(Element(DRAWN_FLAG), name="drawn_flag")


def build_folium(gdf: gpd.GeoDataFrame, path: Path, *, canvas: bool) -> Path:
    """Plain folium: GeoJson with a style_function and a tooltip."""
    wgs = gdf.to_crs("EPSG:4326")
    m = folium.Map(location=[31.295, 121.53], zoom_start=13, tiles=None, prefer_canvas=canvas)
    folium.GeoJson(
        wgs,
        name="管线",
        style_function=lambda f: {"color": UTILITY_COLOURS[f["properties"]["utility"]],
                                  "weight": 2},
        tooltip=folium.GeoJsonTooltip(["pipe_id", "utility"], aliases=["管线编号", "管线类别"]),
    ).add_to(m)
    m.fit_bounds([[31.25, 121.49], [31.34, 121.57]])
    _inline_leaflet(m)
    m.save(str(path))
    return path


def build_yangpu(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """yangpu_gis.maps.layer_map, offline."""
    m = maps.layer_map(gdf, "pipelines", data_date="2025-06-30", offline=True)
    return maps.save(m, path)


def measure(paths: dict[str, Path], timeout_s: float = 600) -> dict[str, dict]:
    """Open each file in a fresh page; time to drawn, paths drawn, console errors."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in paths.items():
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            t0 = time.perf_counter()
            page.goto(path.resolve().as_uri(), timeout=timeout_s * 1000)
            page.wait_for_function("window.__drawn === true", timeout=timeout_s * 1000,
                                   polling=100)
            wall = time.perf_counter() - t0
            out[name] = {
                "drawn_ms": round(page.evaluate("window.__drawn_ms")),
                "wall_s": round(wall, 2),
                "paths_drawn": page.evaluate(COUNT_JS),
                "errors": errors,
            }
            ctx.close()
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "_work")
    ap.add_argument("--demo", action="store_true",
                    help="use yangpu_gis.datasets.demo.generate(pipeline_segments=N) instead")
    ap.add_argument("--skip-svg", action="store_true", help="skip the slow SVG baseline")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    if args.demo:
        from yangpu_gis.datasets.demo import generate

        gdf = generate(pipeline_segments=args.segments)["pipelines"]
    else:
        gdf = synthetic_pipelines(args.segments)
    builders = {
        "yangpu": lambda p: build_yangpu(gdf, p),
        "folium+canvas": lambda p: build_folium(gdf, p, canvas=True),
    }
    if not args.skip_svg:
        builders["folium"] = lambda p: build_folium(gdf, p, canvas=False)
    paths, build_s = {}, {}
    for name, build in builders.items():
        path = args.out / f"bench_{name.replace('+', '_')}.html"
        t0 = time.perf_counter()
        build(path)
        build_s[name] = round(time.perf_counter() - t0, 2)
        paths[name] = path
    with tempfile.TemporaryDirectory():
        results = measure(paths)
    rows = {}
    for name, path in paths.items():
        rows[name] = {"size_mb": round(path.stat().st_size / 1e6, 2),
                      "build_s": build_s[name], **results[name]}
    print(json.dumps({"segments": args.segments, "results": rows}, ensure_ascii=False, indent=2))
    ref = rows["yangpu"]
    for name, r in rows.items():
        if name != "yangpu":
            print(f"{name}: {r['size_mb'] / ref['size_mb']:.1f}x larger, "
                  f"{r['drawn_ms'] / ref['drawn_ms']:.1f}x slower to draw than yangpu")


if __name__ == "__main__":
    main()

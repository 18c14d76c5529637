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

``--complaints [REGISTRY]`` benchmarks the 12345 complaints map of a year instead (the
demo registry by default, built first if missing): :func:`yangpu_gis.maps.complaints_map`
with its default clustered cases and with ``cases="all"``, against plain folium
(a ``CircleMarker`` with an HTML ``Popup`` per case, canvas renderer). ``--extra
NAME=FILE.html`` measures an existing file alongside (e.g. the map of an older version)::

    python benchmarks/bench_maps.py --complaints yangpu.gpkg --extra before=old.html
"""

from __future__ import annotations

import argparse
import json
import re
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
JQUERY = "/usr/share/javascript/jquery/jquery.min.js"
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


# Markers and clusters on the map (complaints pages draw points, not paths).
COUNT_POINTS_JS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let n = 0;
  map.eachLayer(l => { if (l instanceof L.CircleMarker || (L.MarkerCluster && l instanceof L.MarkerCluster)) { n++; } });
  return n;
}"""


def complaints_result(registry: str):
    """The complaints analysis of ``registry`` (the demo registry is built when missing)."""
    from yangpu_gis import open_registry
    from yangpu_gis.runs.complaints import run_complaints

    if not Path(registry).exists():
        from yangpu_gis.demo import run_demo

        run_demo(registry, map_path=None, analyses_dir=None)
    with open_registry(registry) as reg, tempfile.TemporaryDirectory() as tmp:
        run = run_complaints(reg, tmp, write_map=False)
        return run.result, reg.read("subdistricts")


def build_complaints_yangpu(result, subs, path: Path, *, cases: str) -> Path:
    """yangpu_gis.maps.complaints_map, offline."""
    from yangpu_gis.maps.complaints import complaints_map

    return maps.save(complaints_map(result, subdistricts=subs, cases=cases, offline=True), path)


def build_complaints_folium(result, path: Path) -> Path:
    """Plain folium: one CircleMarker with an HTML Popup per case (canvas renderer)."""
    from yangpu_gis.maps.complaints import CATEGORY_COLORS
    from yangpu_gis.maps.safe import escape_html

    cases = result.cases[result.cases.geometry.notna()]
    wgs = cases.to_crs("EPSG:4326")
    routing = result.routing.set_index("case_id")
    m = folium.Map(location=[31.295, 121.53], zoom_start=13, tiles=None, prefer_canvas=True)
    colours = {c: CATEGORY_COLORS[i % len(CATEGORY_COLORS)]
               for i, c in enumerate(sorted(cases["category"].unique()))}
    for cid, cat, n, first, geom in zip(cases["case_id"], cases["category"], cases["n_orders"],
                                        cases["first_received_at"], wgs.geometry, strict=True):
        r = routing.loc[cid]
        rows = [("案件编号", cid), ("问题类别", cat), ("归并工单数", int(n)),
                ("首次受理", first.strftime("%Y-%m-%d %H:%M")), ("街道", r["subdistrict_name"]),
                ("网格", r["grid_id"]), ("责任部门", r["department"])]
        html = "<table>" + "".join(f"<tr><th>{k}</th><td>{escape_html(v)}</td></tr>"
                                   for k, v in rows) + "</table>"
        folium.CircleMarker([geom.y, geom.x], radius=2.5 + 2.2 * float(np.sqrt(n)),
                            color=colours.get(cat, "#333"), fill=True, weight=1,
                            popup=folium.Popup(html, max_width=380)).add_to(m)
    b = wgs.total_bounds
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    _inline_leaflet(m)
    # folium's HTML popups are built with jQuery: inline Debian's copy (libjs-jquery)
    jquery = Path(JQUERY).read_text(encoding="utf-8")
    m.get_root().header.add_child(Element(f"<script>{jquery}</script>"), name="jquery_inline")
    m.save(str(path))
    return path


def build_yangpu(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """yangpu_gis.maps.layer_map, offline."""
    m = maps.layer_map(gdf, "pipelines", data_date="2025-06-30", offline=True)
    return maps.save(m, path)


def measure(paths: dict[str, Path], timeout_s: float = 600, *,
            count_js: str = COUNT_JS) -> dict[str, dict]:
    """Open each file in a fresh page; time to drawn, paths drawn, console errors."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # warm up: the first page a fresh browser opens is slower, whatever it is
        warm = browser.new_page()
        warm.goto(next(iter(paths.values())).resolve().as_uri(), timeout=timeout_s * 1000)
        warm.wait_for_function("window.__drawn === true", timeout=timeout_s * 1000, polling=100)
        warm.close()
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
                "paths_drawn": page.evaluate(count_js),
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
    ap.add_argument("--complaints", nargs="?", const="yangpu.gpkg", default=None,
                    metavar="REGISTRY", help="benchmark the complaints map of REGISTRY instead "
                    "(default yangpu.gpkg, the demo registry, built when missing)")
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=FILE",
                    help="also measure an existing HTML file")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    count_js = COUNT_JS
    if args.complaints:
        result, subs = complaints_result(args.complaints)
        n = int(result.cases.geometry.notna().sum())
        label = f"{n} cases ({len(result.orders)} work orders)"
        count_js = COUNT_POINTS_JS
        builders = {
            "yangpu": lambda p: build_complaints_yangpu(result, subs, p, cases="cluster"),
            "yangpu --cases all": lambda p: build_complaints_yangpu(result, subs, p,
                                                                    cases="all"),
            "folium+canvas": lambda p: build_complaints_folium(result, p),
        }
    else:
        if args.demo:
            from yangpu_gis.datasets.demo import generate

            gdf = generate(pipeline_segments=args.segments)["pipelines"]
        else:
            gdf = synthetic_pipelines(args.segments)
        label = f"{args.segments} segments"
        builders = {
            "yangpu": lambda p: build_yangpu(gdf, p),
            "folium+canvas": lambda p: build_folium(gdf, p, canvas=True),
        }
        if not args.skip_svg:
            builders["folium"] = lambda p: build_folium(gdf, p, canvas=False)
    paths, build_s = {}, {}
    for name, build in builders.items():
        slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
        path = args.out / f"bench_{'complaints_' if args.complaints else ''}{slug}.html"
        t0 = time.perf_counter()
        build(path)
        build_s[name] = round(time.perf_counter() - t0, 2)
        paths[name] = path
    for extra in args.extra:
        name, _, file = extra.partition("=")
        paths[name], build_s[name] = Path(file), None
    with tempfile.TemporaryDirectory():
        results = measure(paths, count_js=count_js)
    rows = {}
    for name, path in paths.items():
        rows[name] = {"size_mb": round(path.stat().st_size / 1e6, 2),
                      "build_s": build_s[name], **results[name]}
    print(json.dumps({"data": label, "results": rows}, ensure_ascii=False, indent=2))
    ref = rows["yangpu"]
    for name, r in rows.items():
        if name != "yangpu":
            print(f"{name}: {r['size_mb'] / ref['size_mb']:.1f}x larger, "
                  f"{r['drawn_ms'] / ref['drawn_ms']:.1f}x slower to draw than yangpu")


if __name__ == "__main__":
    main()

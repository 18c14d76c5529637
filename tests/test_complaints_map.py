"""The complaints map of a year of cases: size bound, counts per cell, popups built as text.

The fixture generates a year of 26,000 merged cases over Yangpu on a 500 m square grid (the
size of the demo year), with density rasters like the analysis writes, and builds the
:class:`~yangpu_gis.analysis.complaints.ComplaintsResult` the map draws without running the
analysis (seconds instead of a minute). The cell of a case is then a matter of integer
division: that is the oracle of the aggregated layer.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from scipy.ndimage import gaussian_filter

from yangpu_gis import maps
from yangpu_gis.analysis.complaints.result import ComplaintsResult
from yangpu_gis.maps.aggregate import (
    cell_of_points,
    compact_ids,
    factorize,
    nice_breaks,
    nice_number,
)
from yangpu_gis.maps.complaints import case_columns, cell_breaks, complaints_map
from yangpu_gis.rasters.data import RasterData

X0, Y0, SIZE, NX, NY = 641_500.0, 3_459_500.0, 500.0, 15, 22
CATEGORIES = ["井盖缺失", "占道经营", "噪声", "垃圾", "掘路施工", "油烟扰民", "积水", "绿化养护",
              "群租", "路灯故障", "违法停车", "道路破损"]
HOSTILE = ["<img src=x onerror=window.__pwned=1>", "{{ 7*7 }}", "</script><b>x</b>"]


def synthetic_year(n: int = 26_000, *, seed: int = 5, hostile: bool = False):
    """A ComplaintsResult of ``n`` cases in 2025 on a NX x NY grid of SIZE m squares."""
    rng = np.random.default_rng(seed)
    # clustered points: a few hundred hot addresses plus background, none on a cell edge
    centres = np.column_stack([rng.uniform(X0, X0 + NX * SIZE, 300),
                               rng.uniform(Y0, Y0 + NY * SIZE, 300)])
    pick = rng.integers(0, 300, n)
    xy = centres[pick] + rng.normal(0, 60, (n, 2))
    xy[:, 0] = np.clip(xy[:, 0], X0 + 0.3, X0 + NX * SIZE - 0.3)
    xy[:, 1] = np.clip(xy[:, 1], Y0 + 0.3, Y0 + NY * SIZE - 0.3)
    xy[np.abs(np.mod(xy, SIZE)) < 0.01] += 0.05
    xy[n - 5:] = [[0, 0]] * 5  # five cases far outside every cell
    cats = np.array(CATEGORIES if not hostile else [*HOSTILE, *CATEGORIES[3:]])
    cat = cats[rng.integers(0, len(cats), n)]
    first = (pd.Timestamp("2025-01-01", tz="Asia/Shanghai")
             + pd.to_timedelta(np.sort(rng.uniform(0, 365 * 86400, n)), unit="s"))
    n_orders = np.minimum(rng.geometric(0.75, n), 9)
    last = first + pd.to_timedelta(np.where(n_orders > 1, rng.uniform(0, 72, n), 0), unit="h")
    ids = [f"C{i + 1:06d}" for i in range(n)]
    crs = CRS.from_epsg(4549)
    cases = gpd.GeoDataFrame({
        "case_id": ids, "category": cat, "first_received_at": first, "last_received_at": last,
        "n_orders": n_orders, "grid_id": [f"310110{i % 12:03d}-{i % 41:03d}" for i in range(n)],
    }, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    subs = [f"街道{k}" for k in range(12)] if not hostile else HOSTILE + ["街道"] * 9
    manual = rng.random(n) < 0.1
    routing = pd.DataFrame({
        "case_id": ids, "category": cat, "department": [f"部门{i % 9}" for i in range(n)],
        "subdistrict_name": [subs[i % 12] for i in range(n)],
        "dispatch": np.where(manual, "manual", "auto"),
        "reason": np.where(manual, "boundary;road_precision", ""),
    })
    boxes = [shapely.box(X0 + i * SIZE, Y0 + j * SIZE, X0 + (i + 1) * SIZE, Y0 + (j + 1) * SIZE)
             for j in range(NY) for i in range(NX)]
    cells = gpd.GeoDataFrame({"cell_id": [f"G{k:03d}" for k in range(len(boxes))]},
                             geometry=boxes, crs=crs)
    hotspots = pd.DataFrame({"cell_id": ["G010", "G200"], "category": [cats[0], cats[1]],
                             "n_cases": [40, 0], "gi_z": [4.1, -3.2], "p_sim": [1e-4, 2e-4],
                             "class": ["hot", "cold"]})
    density = {}
    t = Affine(25.0, 0, X0, 0, -25.0, Y0 + NY * SIZE)
    for key in ["all", *cats]:
        sel = np.ones(n, bool) if key == "all" else cat == key
        h, _, _ = np.histogram2d(Y0 + NY * SIZE - xy[sel, 1], xy[sel, 0] - X0,
                                 bins=(NY * 20, NX * 20),
                                 range=((0, NY * SIZE), (0, NX * SIZE)))
        density[key] = RasterData(gaussian_filter(h, 6).astype(np.float32), t, crs)
    empty = pd.DataFrame()
    return ComplaintsResult(cases=cases, orders=empty, routing=routing, cells=cells,
                            hotspots=hotspots, recurring=empty, density=density, weekly=empty,
                            handling=empty, parameters={"fdr_alpha": 0.05, "distance_m": 50,
                                                        "hours": 72, "kde_bandwidth_m": 150})


def page_data(html: str) -> dict:
    """The data object the page's complaints script draws (``var D = …;``)."""
    line = re.search(r"var D = (.*);\n", html).group(1)
    return json.loads(line)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    result = synthetic_year()
    path = maps.save(complaints_map(result, offline=True),
                     tmp_path_factory.mktemp("year") / "complaints_map.html")
    return result, path


def test_a_year_of_cases_fits_in_3_mb_and_is_self_contained(year):
    _, path = year
    size = path.stat().st_size
    assert size <= 3_000_000, f"{size / 1e6:.2f} MB"
    html = path.read_text(encoding="utf-8")
    assert '<script src="http' not in html and "<link href=\"http" not in html
    assert "Leaflet.markercluster 1.4.1" in html  # inlined, clusters work offline
    # no HTML popup string per case: the case columns carry no markup at all
    cases = page_data(html)["cases"]
    assert "<" not in json.dumps(cases) and "table" not in json.dumps(cases)


def test_counts_per_cell_equal_integer_division_oracle(year):
    result, path = year
    d = page_data(path.read_text(encoding="utf-8"))
    k = d["cases"]
    assert len(k["cell"]) == len(result.cases) == 26_000
    x, y = result.cases.geometry.x.to_numpy(), result.cases.geometry.y.to_numpy()
    i, j = np.floor((x - X0) / SIZE).astype(int), np.floor((y - Y0) / SIZE).astype(int)
    inside = (i >= 0) & (i < NX) & (j >= 0) & (j < NY)
    oracle = np.bincount((j * NX + i)[inside], minlength=NX * NY)
    cell = np.asarray(k["cell"])
    assert (cell == -1).sum() == (~inside).sum() == 5
    np.testing.assert_array_equal(np.bincount(cell[cell >= 0], minlength=NX * NY), oracle)
    # per category too (the breaks of each category come from these counts)
    c0 = np.asarray(k["cat"]) == 0
    cat0 = np.asarray(d["categories"])[0]
    sel = inside & (result.cases["category"].to_numpy() == cat0)
    np.testing.assert_array_equal(np.bincount(cell[(cell >= 0) & c0], minlength=NX * NY),
                                  np.bincount((j * NX + i)[sel], minlength=NX * NY))
    assert d["cell_ids"] == result.cells["cell_id"].tolist()


def test_case_columns_give_back_every_popup_value(year):
    result, _ = year
    d = case_columns(result)
    k = d["cases"]
    assert k["id"]["p"] == "C" and k["id"]["w"] == 6
    rebuilt = [k["id"]["p"] + str(v).zfill(k["id"]["w"]) for v in k["id"]["n"]]
    assert rebuilt == result.cases["case_id"].tolist()
    first = result.cases["first_received_at"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    got = [str(np.datetime64(d["t0"] + t, "m")).replace("T", " ") for t in k["t"]]
    assert got == first
    last = result.cases["last_received_at"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    got = [str(np.datetime64(d["t0"] + t + dt, "m")).replace("T", " ")
           for t, dt in zip(k["t"], k["dt"], strict=True)]
    assert got == last
    lon = (np.asarray(k["xy"][0::2]) + d["o"][0]) / d["s"]
    ref = result.cases.to_crs(4326).geometry.x.to_numpy()
    assert np.abs(lon - ref).max() <= 0.5e-5 + 1e-9
    manual = [d["disp"][c] for c in k["disp"]]
    assert manual.count("人工派单：靠近街道边界、仅定位到道路") == (result.routing["dispatch"]
                                                                == "manual").sum()


def test_breaks_are_round_numbers_from_one():
    assert [nice_number(v) for v in (1, 1.4, 1.6, 3.4, 3.6, 7.4, 7.6, 149, 151)] == \
        [1, 1, 2, 2, 5, 5, 10, 100, 200]
    assert nice_breaks([0, 0, 0]) == [1]
    # quantiles 20/40/60/80 % of 1..100 are 20.8, 40.6, 60.4, 80.2 -> 20, 50, 50, 100
    assert nice_breaks(np.arange(1, 101)) == [1, 20, 50, 100]
    d = case_columns(synthetic_year(600, seed=1))
    for key, classes in cell_breaks(d).items():
        bounds = [b for b, _ in classes]
        assert bounds[0] == 1 and bounds == sorted(set(bounds)), key
        assert all(re.fullmatch(r"[125]0*", str(b)) for b in bounds), key


def test_cell_of_points_matches_brute_force_on_edges():
    rng = np.random.default_rng(2)
    cells = gpd.GeoSeries([shapely.box(i, j, i + 1, j + 1) for j in range(3) for i in range(3)]
                          + [shapely.Polygon([(3, 0), (4, 0), (3, 1)])])
    pts = np.round(rng.uniform(-0.5, 4.5, (400, 2)) * 2) / 2  # many on edges and corners
    points = gpd.GeoSeries(gpd.points_from_xy(pts[:, 0], pts[:, 1]))
    points.iloc[3] = None
    got = cell_of_points(points, cells)
    for p, g in zip(points, got, strict=True):
        hits = [] if p is None else [k for k, c in enumerate(cells) if c.intersects(p)]
        assert g == (hits[0] if hits else -1)


def test_codes_and_ids():
    assert factorize(["乙", "甲", None, "", "乙"]) == (["乙", "甲"], [0, 1, -1, -1, 0])
    assert compact_ids(["X09", "X10", "X99"]) == {"p": "X", "w": 2, "n": [9, 10, 99]}
    assert compact_ids(["X9", "X10"]) == {"s": ["X9", "X10"]}  # widths differ
    assert compact_ids(["<b>1", "<i>2"]) == {"s": ["<b>1", "<i>2"]}


def test_case_modes_and_refusal(tmp_path):
    from yangpu_gis.errors import ValidationError

    result = synthetic_year(300, seed=3)
    sizes = {}
    for mode in ("cluster", "all", "none"):
        html = maps.save(complaints_map(result, cases=mode, offline=True),
                         tmp_path / f"{mode}.html").read_text(encoding="utf-8")
        assert page_data(html)["mode"] == mode
        sizes[mode] = ("Leaflet.markercluster" in html, "聚合：数字为案件数" in html)
    assert sizes == {"cluster": (True, True), "all": (False, False), "none": (False, False)}
    with pytest.raises(ValidationError, match="unknown cases drawing 'dots'"):
        complaints_map(result, cases="dots")


#: Zoom in, open popups of cases and cells, and read counts and texts.
BROWSER_JS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const counts = window.__yangpuComplaints.counts();
  const texts = [];
  map.setZoom(19, {animate: false});
  const cases = [], polys = [];
  map.eachLayer(l => { if (l._ci !== undefined) cases.push(l); if (l._cell !== undefined) polys.push(l); });
  for (const l of cases.slice(0, 40).concat(polys.slice(0, 10))) {
    l.openPopup(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter());
    texts.push(l.getPopup().getElement().querySelector(".leaflet-popup-content").textContent);
    map.closePopup();
  }
  return {counts, texts, n_cases: cases.length, n_polys: polys.length,
          legend: document.querySelector(".yp-cagg").textContent,
          hooks: document.querySelectorAll("[onerror],[onload]").length, pwned: typeof window.__pwned};
}"""


@pytest.mark.browser
def test_page_counts_and_hostile_popups_in_chromium(tmp_path, browser):
    result = synthetic_year(400, seed=4, hostile=True)
    path = maps.save(complaints_map(result, cases="all", offline=True), tmp_path / "h.html")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.__drawn === true", timeout=30_000)
    seen = page.evaluate(BROWSER_JS)
    page.close()
    assert errors == [] and seen["pwned"] == "undefined" and seen["hooks"] == 0
    cell = np.asarray(case_columns(result)["cases"]["cell"])
    assert seen["counts"] == np.bincount(cell[cell >= 0], minlength=NX * NY).tolist()
    assert seen["n_cases"] == 400 and seen["n_polys"] == (np.bincount(cell[cell >= 0]) > 0).sum()
    text = "\n".join(seen["texts"])
    for p in HOSTILE:
        assert p in text  # shown literally, as text
    assert "案件编号C0" in text and "每格案件数" in seen["legend"] and "件" in seen["legend"]


def test_cli_cases_option(tmp_path):
    from .cli_run import crashed, run_cli
    from .conftest import load_layers
    from .test_complaints import _small_layers

    subs, grid, orders = _small_layers()
    reg = load_layers(str(tmp_path / "r.gpkg"),
                      {"subdistricts": subs, "grid_cells": grid, "complaints": orders}, tmp_path)
    r = run_cli("analyze", "complaints", "-r", reg, "-o", tmp_path / "out", "--permutations",
                "99", "--cases", "none")
    assert r.returncode == 0, r
    d = page_data((tmp_path / "out" / "complaints_map.html").read_text(encoding="utf-8"))
    assert d["mode"] == "none" and sum(d["cases"]["n"]) == 52
    bad = run_cli("analyze", "complaints", "-r", reg, "-o", tmp_path / "x", "--cases", "dots")
    assert bad.returncode == 2 and not crashed(bad.output), bad
    assert "unknown --cases 'dots'" in bad.output and "cluster, all or none" in bad.output

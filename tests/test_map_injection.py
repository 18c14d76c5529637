"""Hostile text in every map the package writes: nothing is evaluated, nothing runs.

A small registry is cut from the demo dataset (every layer, the DEM too) and every free-text
value of every layer — names, ids and the ids that refer to them, categories, addresses,
statuses — is replaced by a payload: Jinja template text (``{{ }}``, ``{% %}``, ``{# #}``,
with and without quotes, and calls that would create a marker file through Jinja's globals)
and HTML/JavaScript that would set ``window.__pwned``. Every map is then drawn by the real
CLI in a fresh process (``map LAYER`` for every layer with geometry, ``map all``, a
choropleth of a result file with hostile column names, and every ``analyze`` command that
writes a map), on the GeoPackage backend and, for ``map roads``/``map all``, on PostGIS.

Each page is opened in headless Chromium (one browser for all pages); the popups and
tooltips of sampled features of every layer are opened through Leaflet's own events, and
the test asserts that no marker file exists, that nothing ran (``window.__pwned`` undefined,
no dialog, no element with an ``onerror``/``onload`` attribute), and that the payloads show
literally in the page text (popups, tooltips, legend, filter options, title).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from yangpu_gis import open_registry
from yangpu_gis.catalogue import BATCH_COLUMN, BUILTIN_LAYERS, CATALOGUE

#: The window the small registry is cut to (lon/lat): about 3.3 km x 3.3 km of central
#: Yangpu with roads, rivers, four water stations, permits, compounds and complaints.
BBOX = (121.500, 31.285, 121.535, 31.315)
#: Complaints kept (a sample, so the hot-spot analysis stays quick).
MAX_COMPLAINTS = 800


def _payloads(marker_dir: Path) -> list[str]:
    """Template and HTML/JS payloads; the ``touch`` ones would create files in ``marker_dir``."""
    m1, m2, m3 = (marker_dir / f"PWNED{i}" for i in (1, 2, 3))
    return [
        "{{ 7*7 }}",
        "{% if 1 %}X{% endif %}",
        "{# c #}",
        "{{ \"q\" ~ 'q' }}",
        "{{ cycler.__init__.__globals__.os.system('touch " + str(m1) + "') }}",
        '{{ lipsum.__globals__["os"].popen("touch ' + str(m2) + '").read() }}',
        "{% set x = joiner.__init__.__globals__.os.system('touch " + str(m3) + "') %}",
        "{{ config }}{{ self }}{% raw %}",
        "<img src=x onerror=window.__pwned=1>",
        '"><svg/onload=window.__pwned=1>',
        "'><img src=y onerror=window.__pwned=1>",
        "</script><script>window.__pwned=1</script>",
        "<!--<script>window.__pwned=1</script>-->\u2028\u2029",
        "{{'",
    ]


def _id_columns() -> set[str]:
    """Columns holding the id of some layer: their values are rewritten alike everywhere."""
    return {lyr.id_column for lyr in CATALOGUE.values()} | {"road_id", "subdistrict_id",
                                                            "river_id", "station_id"}


def _free_text_columns(layer: str) -> list[str]:
    return [c.name for c in CATALOGUE[layer].columns if c.type == "str" and not c.allowed]


def hostile_frame(frame: pd.DataFrame, layer: str, payloads: list[str]) -> pd.DataFrame:
    """``frame`` with every free-text column overwritten by payloads.

    Id columns (and the columns referring to ids) keep their original value after the
    payload (``hash``-chosen, so the same id gets the same text in every layer and joins
    still hold). Columns with few distinct values (categories, statuses) map each value to
    one payload; the others get payloads in turn, row by row, followed by the original.
    """
    out = frame.copy()
    ids = _id_columns()
    n = len(payloads)
    for col in _free_text_columns(layer):
        if col not in out.columns:
            continue
        values = out[col]
        present = values.notna()
        if col in ids:
            new = values[present].astype(str).map(
                lambda v: payloads[zlib.crc32(v.encode()) % n] + v)
        elif values[present].nunique() <= 30:
            distinct = sorted(values[present].astype(str).unique())
            mapping = {v: payloads[i % n] + ("" if i < n else str(i))
                       for i, v in enumerate(distinct)}
            new = values[present].astype(str).map(mapping)
        else:
            pos = np.flatnonzero(present.to_numpy())
            new = pd.Series([payloads[i % n] + " " + str(v) for i, v in
                             zip(range(len(pos)), values[present], strict=True)],
                            index=values.index[pos])
        out[col] = values.astype(object)
        out.loc[present, col] = new
    return out


def build_hostile_registry(target: str, work: Path, payloads: list[str], *,
                           raster: bool = True) -> dict[str, int]:
    """Cut the demo dataset to :data:`BBOX`, make its text hostile, load it into ``target``."""
    from yangpu_gis.demo import run_demo

    demo = work / "demo.gpkg"
    if not demo.exists():
        run_demo(str(demo), map_path=None, analyses_dir=None)
    counts = {}
    with open_registry(str(demo)) as src, open_registry(target) as dst:
        for layer, spec in CATALOGUE.items():
            if layer not in BUILTIN_LAYERS:  # the demo's district-defined layers: below
                continue
            if spec.has_geometry:
                keep_all = layer in ("districts", "subdistricts")
                frame = src.read(layer, bbox=None if keep_all else BBOX, bbox_crs="EPSG:4326")
                if layer == "complaints" and len(frame) > MAX_COMPLAINTS:
                    frame = frame.sample(MAX_COMPLAINTS, random_state=7).sort_index()
            else:
                frame = src.read(layer)
            frame = frame.drop(columns=[BATCH_COLUMN], errors="ignore").reset_index(drop=True)
            frame = hostile_frame(frame, layer, payloads)
            if layer == "water_samples":
                stations = set(dst.read("water_stations")["station_id"]) if "water_stations" \
                    in counts else set()
                frame = frame[frame["station_id"].isin(stations)]
            dst.load(frame, layer)
            counts[layer] = len(frame)
        # overhead lines (a layer the district defines) for `analyze overhead`: stored with
        # its definition; the layer maps above cover the built-in layers
        dst.add_layer_definition("overhead_lines")
        lines = src.read("overhead_lines", bbox=BBOX, bbox_crs="EPSG:4326")
        lines = hostile_frame(lines.drop(columns=[BATCH_COLUMN], errors="ignore")
                              .reset_index(drop=True), "overhead_lines", payloads)
        dst.load(lines, "overhead_lines")
        counts["overhead_lines"] = len(lines)
        if raster:
            dem = src.read_raster("dem", bbox=BBOX, bbox_crs="EPSG:4326")
            dst.load_raster(dem.write(work / "dem.tif"), "dem")
    return counts


# ------------------------------------------------------------------------------ browser
#: Features of each layer whose popup and tooltip are opened (all of them up to this many).
SAMPLE = 700

#: Open popups and tooltips of features of every layer of the page, walk the complaints
#: filter, and return the page's text as the reader sees it (DOM textContent).
INSPECT_JS = """(sample) => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const out = {layers: {}, other: [], hooks: 0};
  // the text of each leaf element apart: neighbours' texts must not run together
  const leaves = el => !el ? [] : (el.children.length === 0 ? [el.textContent]
    : Array.from(el.querySelectorAll("*")).filter(e => e.children.length === 0)
        .map(e => e.textContent).concat(Array.from(el.childNodes)
        .filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent)));
  function center(l) { return l.getLatLng ? l.getLatLng() : l.getBounds().getCenter(); }
  function open(owner, l) {
    const ll = center(l), got = [];
    l.fire("mouseover", {latlng: ll}, true);
    const tip = owner.getTooltip && owner.getTooltip();
    if (tip && tip.getElement()) { got.push(...leaves(tip.getElement())); }
    l.fire("mouseout", {latlng: ll}, true);
    if (owner === l && l.getPopup && l.getPopup()) { l.openPopup(ll); } else { l.fire("click", {latlng: ll}, true); }
    const pop = owner.getPopup && owner.getPopup();
    if (pop && pop.getElement()) { got.push(...leaves(pop.getElement().querySelector(".leaflet-popup-content"))); }
    map.closePopup();
    return got;
  }
  const st = window.__yangpu || {layers: {}};
  for (const name of Object.keys(st.layers)) {
    const g = st.layers[name].group;
    if (!map.hasLayer(g)) { map.addLayer(g); }
    const subs = [];
    g.eachLayer(l => { if (l._yi !== undefined) { subs.push(l); } });
    subs.sort((a, b) => a._yi - b._yi);
    const rec = {n: subs.length, sampled: [], texts: []};
    const idx = subs.length <= sample ? subs.map((_, k) => k)
      : Array.from({length: sample}, (_, j) => Math.floor(j * subs.length / sample));
    for (const k of idx) {
      rec.sampled.push(subs[k]._yi);
      rec.texts.push(...open(g, subs[k]));
    }
    out.layers[name] = rec;
  }
  // layers with their own popups (complaints cases and hot-spot cells), per filter choice
  const sel = document.querySelector("select[id$='_cat']");
  const choices = sel ? Array.from(sel.options).map(o => o.value) : [null];
  for (const value of choices) {
    if (sel) { sel.value = value; sel.dispatchEvent(new Event("change")); }
    let n = 0;
    map.eachLayer(l => {
      if (n < 60 && l._yi === undefined && l.getPopup && l.getPopup() && (l.getLatLng || l.getBounds)) {
        n += 1; out.other.push(...open(l, l));
      }
    });
  }
  for (const q of [".yp-legend", ".yp-title", ".leaflet-control-layers", ".yp-label", "option",
                   ".yp-cfilter"]) {
    document.querySelectorAll(q).forEach(el => out.other.push(...leaves(el)));
  }
  out.hooks = document.querySelectorAll("[onerror],[onload],img[src='x'],img[src='y']").length;
  out.pwned = typeof window.__pwned;
  return out;
}"""




def inspect(browser, path: Path) -> dict:
    """Open ``path``, exercise every layer, and return what was seen and what ran."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    events: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (events.append("dialog: " + d.message), d.dismiss()))
    page.on("pageerror", lambda e: events.append("pageerror: " + str(e)))
    page.on("console", lambda m: m.type == "error" and events.append("console: " + m.text))
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script("window.alert = window.confirm = window.prompt = "
                         "function () { window.__pwned = 'dialog'; };")
    try:
        page.goto(path.as_uri())
        page.wait_for_function("window.__drawn === true", timeout=30_000)
        seen = page.evaluate(INSPECT_JS, SAMPLE)
        page.wait_for_timeout(50)
        seen["pwned"] = page.evaluate("typeof window.__pwned")
    finally:
        page.close()
    seen["events"] = events
    seen["requests"] = [u for u in requests if not u.startswith(("file://", "data:"))
                        or u.endswith(("/x", "/y"))]
    return seen


def _fingerprints(payloads: list[str]) -> dict[str, str]:
    """A part of each payload that occurs in no other: a mangled copy would still hold it."""
    out = {}
    for p in payloads:
        core = p.strip("{}%#<>!-' \"\u2028\u2029")
        for size in range(min(10, len(core)), len(core) + 1):
            cands = [core[i:i + size] for i in range(len(core) - size + 1)]
            unique = [c for c in cands if all(c not in q for q in payloads if q != p)]
            if unique:
                out[p] = unique[0]
                break
        else:
            out[p] = p
    return out


def assert_safe(seen: dict, payloads: list[str], marker_dir: Path, *, expect: set[str],
                where: str, min_found: int = 1) -> None:
    """Nothing ran, nothing was evaluated, and the ``expect``-ed payloads show literally."""
    assert not list(marker_dir.glob("PWNED*")), f"{where}: a template payload ran a command"
    assert seen["pwned"] == "undefined", f"{where}: a payload ran in the page"
    assert seen["hooks"] == 0, f"{where}: a payload became an element with an event handler"
    assert seen["events"] == [], f"{where}: {seen['events'][:3]}"
    assert seen["requests"] == [], f"{where}: unexpected requests {seen['requests'][:3]}"
    texts = [t for rec in seen["layers"].values() for t in rec["texts"]] + seen["other"]
    alltext = "\n".join(texts)
    for p, fp in _fingerprints(payloads).items():
        # every trace of a payload is the whole payload, shown as text
        assert alltext.count(fp) == alltext.count(p) * p.count(fp), (where, p)
    missing = [p for p in expect if p not in alltext]
    assert not missing, f"{where}: payloads not shown literally: {missing}"
    found = [p for p in payloads if p in alltext]
    assert len(found) >= min_found, f"{where}: only {len(found)} payloads seen in the page"


# ---------------------------------------------------------------------------- commands
def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``yangpu-gis ARGS`` in a fresh process; asserts success without a traceback."""
    proc = subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert not crashed(proc.stderr + proc.stdout), proc.stderr[-3000:]
    assert proc.returncode == 0, (args, proc.stderr[-3000:])
    return proc


def run_all(jobs: dict[str, list[str]], cwd: Path, workers: int = 3) -> dict[str, object]:
    """Run independent CLI calls a few at a time; ``{key: CompletedProcess or exception}``."""
    from concurrent.futures import ThreadPoolExecutor

    def one(args: list[str]):
        try:
            return run_cli(*args, cwd=cwd)
        except AssertionError as exc:  # reported by the test of that key
            return exc

    with ThreadPoolExecutor(workers) as pool:
        futures = {k: pool.submit(one, a) for k, a in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


GEOMETRY_LAYERS = [n for n, spec in CATALOGUE.items() if spec.has_geometry]
#: The district-defined layer the hostile registry also holds (with its definition).
DEFINED = {"架空线": "overhead_lines"}
LABEL_TO_LAYER = {spec.label: n for n, spec in CATALOGUE.items()} | DEFINED
ANALYSES = {
    "excavation": ["excavation"],
    "parking": ["parking"],
    "complaints": ["complaints", "--permutations", "99"],
    "causes": ["causes"],
    "pipelines": ["pipelines"],
    "homes": ["homes"],
    "overhead": ["overhead"],
    "waterlogging": ["waterlogging"],
    "water-quality": ["water-quality"],
    "road-condition": ["road-condition"],
    "coverage": ["coverage", "--preset", "all"],
}
HOSTILE_COLUMN = "{{ 7*7 }}<b onmouseover=window.__pwned=1>分值"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile GeoPackage registry, its payloads and the folder markers would appear in."""
    work = tmp_path_factory.mktemp("hostile")
    payloads = _payloads(work)
    target = str(work / "hostile.gpkg")
    build_hostile_registry(target, work, payloads)
    return {"target": target, "work": work, "payloads": payloads}


def _expected(frame: pd.DataFrame, layer: str | None, rows: list[int],
              payloads: list[str]) -> set[str]:
    """The payloads that the sampled ``rows`` of ``frame`` carry in text columns."""
    cols = [c for c in frame.columns if c != "geometry" and frame[c].dtype == object]
    values = [str(v) for c in cols for v in frame[c].iloc[rows].tolist() if v is not None]
    return {p for p in payloads if any(p in v for v in values)}


@pytest.fixture(scope="module")
def gpkg_maps(hostile):
    """Every map the CLI draws from the hostile GeoPackage registry, drawn once."""
    work, reg = hostile["work"], hostile["target"]
    out = work / "maps"
    out.mkdir()
    with open_registry(reg) as r:
        grid = r.read("grid_cells")
    result = grid.assign(**{HOSTILE_COLUMN: np.arange(len(grid), dtype=float) % 7,
                            hostile["payloads"][8]: grid["name"]})
    result.to_file(out / "result.gpkg", layer="scores", driver="GPKG")
    subs = grid["subdistrict_id"].drop_duplicates().to_numpy()
    pd.DataFrame({"subdistrict_id": subs, HOSTILE_COLUMN: np.arange(len(subs), dtype=float)}
                 ).to_csv(out / "table.csv", index=False)
    jobs = {layer: ["map", layer, "-r", reg, "-o", str(out / f"{layer}.html"), "--offline"]
            for layer in GEOMETRY_LAYERS}
    jobs["all"] = ["map", "all", "-r", reg, "-o", str(out / "all.html"), "--offline"]
    jobs["title"] = ["map", "roads", "-r", reg, "-o", str(out / "title.html"), "--offline",
                     "--title", hostile["payloads"][4] + hostile["payloads"][9]]
    jobs["choropleth"] = ["map", str(out / "result.gpkg") + ":scores", "--column",
                          HOSTILE_COLUMN, "-r", reg, "-o", str(out / "choropleth.html"),
                          "--offline"]
    jobs["join"] = ["map", str(out / "table.csv"), "--join", "subdistricts", "--column",
                    HOSTILE_COLUMN, "-r", reg, "-o", str(out / "join.html"), "--offline"]
    for name, args in ANALYSES.items():
        jobs["analyze-" + name] = ["analyze", *args, "-r", reg, "-o", str(out / name),
                                   "--offline"]
    return {"out": out, "runs": run_all(jobs, work)}


def _check_run(maps: dict, key: str) -> None:
    run = maps["runs"][key]
    if isinstance(run, BaseException):
        raise run


@pytest.mark.browser
@pytest.mark.parametrize("layer", GEOMETRY_LAYERS)
def test_layer_map_shows_hostile_text_literally(layer, hostile, gpkg_maps, browser):
    _check_run(gpkg_maps, layer)
    seen = inspect(browser, gpkg_maps["out"] / f"{layer}.html")
    with open_registry(hostile["target"]) as reg:
        frame = reg.read(layer)
    (rec,) = seen["layers"].values()
    assert rec["n"] == len(frame)
    expect = _expected(frame, layer, rec["sampled"], hostile["payloads"])
    assert expect, f"{layer}: the sample carries no payload"
    assert_safe(seen, hostile["payloads"], hostile["work"], expect=expect, where=f"map {layer}")


@pytest.mark.browser
def test_map_all_shows_hostile_text_literally(hostile, gpkg_maps, browser):
    _check_run(gpkg_maps, "all")
    seen = inspect(browser, gpkg_maps["out"] / "all.html")
    expect: set[str] = set()
    with open_registry(hostile["target"]) as reg:
        for label, rec in seen["layers"].items():
            frame = reg.read(LABEL_TO_LAYER[label])
            assert rec["n"] == len(frame)
            expect |= _expected(frame, None, rec["sampled"], hostile["payloads"])
    assert len(seen["layers"]) == len(GEOMETRY_LAYERS) + len(DEFINED)
    assert expect == set(hostile["payloads"])
    assert_safe(seen, hostile["payloads"], hostile["work"], expect=expect, where="map all")


@pytest.mark.browser
def test_hostile_title_choropleth_and_column_names(hostile, gpkg_maps, browser):
    payloads = hostile["payloads"]
    for key in ("title", "choropleth", "join"):
        _check_run(gpkg_maps, key)
    seen = inspect(browser, gpkg_maps["out"] / "title.html")
    assert_safe(seen, payloads, hostile["work"], expect={payloads[4], payloads[9]},
                where="map --title")
    seen = inspect(browser, gpkg_maps["out"] / "choropleth.html")
    # the hostile column name is the legend title and a popup label; its values classify
    assert_safe(seen, payloads, hostile["work"], expect={"{{ 7*7 }}", payloads[8]},
                where="map result --column")
    assert any(HOSTILE_COLUMN in t for t in seen["other"])
    (name,) = seen["layers"]
    assert name.startswith(HOSTILE_COLUMN)
    seen = inspect(browser, gpkg_maps["out"] / "join.html")
    assert_safe(seen, payloads, hostile["work"], expect={"{{ 7*7 }}"}, where="map --join")
    assert any(HOSTILE_COLUMN in t for t in seen["other"])


@pytest.mark.browser
@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_analysis_maps_show_hostile_text_literally(analysis, hostile, gpkg_maps, browser):
    _check_run(gpkg_maps, "analyze-" + analysis)
    pages = sorted((gpkg_maps["out"] / analysis).rglob("*.html"))
    assert pages, f"analyze {analysis} wrote no map"
    for page in pages:
        seen = inspect(browser, page)
        assert_safe(seen, hostile["payloads"], hostile["work"], expect=set(),
                    where=f"analyze {analysis}: {page.name}")
    if analysis == "complaints":
        # the filter's options are the hostile categories, as text
        options = set(seen["other"])
        with open_registry(hostile["target"]) as reg:
            categories = set(reg.read("complaints")["category"])
        assert categories <= options


# ------------------------------------------------------------------------------ PostGIS
@pytest.fixture(scope="module")
def pg_maps(pg_database, hostile):
    """``map roads`` and ``map all`` drawn from the same hostile layers stored in PostGIS."""
    import uuid
    from urllib.parse import urlsplit

    import psycopg

    from .conftest import ADMIN_URL, _with_db

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = _with_db(ADMIN_URL, urlsplit(pg_database).path.lstrip("/"), schema)
    work = hostile["work"]
    build_hostile_registry(url, work, hostile["payloads"], raster=False)
    out = work / "pg"
    out.mkdir()
    jobs = {"roads": ["map", "roads", "-r", url, "-o", str(out / "roads.html"), "--offline"],
            "all": ["map", "all", "-r", url, "-o", str(out / "all.html"), "--offline"]}
    yield {"url": url, "out": out, "runs": run_all(jobs, work, workers=2)}
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.browser
@pytest.mark.postgis
def test_postgis_maps_show_hostile_text_literally(hostile, pg_maps, browser):
    payloads = hostile["payloads"]
    for key in ("roads", "all"):
        _check_run(pg_maps, key)
        seen = inspect(browser, pg_maps["out"] / f"{key}.html")
        expect: set[str] = set()
        with open_registry(pg_maps["url"]) as reg:
            for label, rec in seen["layers"].items():
                frame = reg.read(LABEL_TO_LAYER[label])
                assert rec["n"] == len(frame)
                if len(rec["sampled"]) == len(frame):  # all drawn features were opened
                    expect |= _expected(frame, None, list(range(len(frame))), payloads)
        assert expect, key
        if key == "all":
            assert len(seen["layers"]) == len(GEOMETRY_LAYERS) + len(DEFINED)
        assert_safe(seen, payloads, hostile["work"], expect=expect, where=f"PostGIS map {key}")


# --------------------------------------------------------------- the boundary itself
def _package_elements() -> list[type]:
    import importlib
    import inspect as _inspect
    import pkgutil

    from branca.element import MacroElement

    import yangpu_gis.maps as pkg

    found = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        for _, cls in _inspect.getmembers(module, _inspect.isclass):
            if issubclass(cls, MacroElement) and cls.__module__.startswith(pkg.__name__):
                found.append(cls)
    return found


def test_every_map_element_renders_once_and_autoescapes():
    from yangpu_gis.maps.safe import SafeMacroElement

    elements = [c for c in _package_elements() if c is not SafeMacroElement]
    assert len(elements) >= 6  # CompactLayer, TitleBox, Legend, DateFilter, ...
    for cls in elements:
        assert issubclass(cls, SafeMacroElement), cls
        assert cls._template.environment.autoescape is True, cls


def test_folium_elements_on_a_hardened_page_are_not_rendered_twice(tmp_path):
    import folium

    from yangpu_gis import maps

    m = folium.Map()
    folium.Marker([31.3, 121.5], tooltip="{{ 7*7 }}", popup="{% if 1 %}X{% endif %}").add_to(m)
    folium.FeatureGroup(name="{{ 8*8 }}").add_to(m)
    folium.LayerControl().add_to(m)
    page = maps.save(m, tmp_path / "m.html").read_text("utf-8")
    assert "{{ 7*7 }}" in page and "{% if 1 %}X{% endif %}" in page and "{{ 8*8 }}" in page


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .cli_run import crashed  # noqa: E402

_hostile_text = st.text(alphabet=st.sampled_from(
    list("{}%#<>/!-'\"&\\ascript") + ["\u2028", "\u2029", "\x00", "中"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.recursive(_hostile_text | st.integers() | st.none(),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(_hostile_text, kids, max_size=4), max_leaves=12))
def test_js_json_is_inert_in_script_and_for_jinja(obj):
    import json

    from yangpu_gis.maps.safe import escape_html, js_json

    text = str(js_json(obj))
    assert json.loads(text) == obj
    for bad in ("<", ">", "{{", "{%", "{#", "\u2028", "\u2029"):
        assert bad not in text
    if isinstance(obj, str):
        esc = str(escape_html(obj))
        assert not any(c in esc for c in "<>\"'{}")
        import html as _html

        assert _html.unescape(esc) == obj

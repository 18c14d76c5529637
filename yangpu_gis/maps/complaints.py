"""The 12345 complaints map: cases per cell, clustered cases, hot-spot cells, density, filters.

:func:`complaints_map` draws a :class:`~yangpu_gis.analysis.complaints.ComplaintsResult`:

* the subdistrict outlines (if given);
* 每格案件数: merged cases counted per hot-spot cell as a choropleth, with round class
  breaks per category (:func:`cell_breaks`) and a legend in the filter box;
* Gi* hot and cold cells of the selected category (for "全部", cells hot in any category);
* the cases, sized by the number of work orders merged into them and coloured by category:
  in Leaflet.markercluster clusters (default), all at once (``cases="all"``) or not at all;
  their popups (case, orders, dates, subdistrict, grid, department, dispatch) are built in
  the page from compact columns (:func:`case_columns`) with ``textContent``;
* a heat layer (off by default): the kernel density of the selected category, reprojected to
  Web Mercator and drawn as one palette PNG, so it works offline too;
* a filter box: category and a date range (first reception of the case); the counts of
  visible cases and orders, and the cells, update as you filter. A link can open the map
  filtered: ``complaints_map.html#cat=违法停车&from=2025-06-01&to=2025-08-31``.

A demo year (23,446 cases) is a 1.6 MB page (``benchmarks/README_maps.md``).
"""

from __future__ import annotations

import base64
import io

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..crs import wgs84_to_gcj02
from ..errors import ValidationError
from . import base
from .aggregate import cell_of_points, compact_ids, factorize, nice_breaks
from .elements import swatch
from .encode import encode_geometries, to_display_crs
from .layers import add_layer
from .safe import SafeMacroElement, Template, escape_html, js_identifier, js_json

__all__ = ["CASE_MODES", "CATEGORY_COLORS", "case_columns", "cell_breaks", "complaints_map",
           "density_png"]

#: Colours of case points by category (ColorBrewer Paired + Dark2), in category order.
CATEGORY_COLORS = ("#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928",
                   "#a6cee3", "#fb9a99", "#b2df8a", "#fdbf6f", "#cab2d6", "#666666",
                   "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
HOT_STYLE = {"color": "#cb181d", "weight": 2.5, "fill": True, "fillColor": "#ef3b2c",
             "fillOpacity": 0.12, "opacity": 0.95}
COLD_STYLE = {"color": "#6a51a3", "weight": 2.5, "fill": True, "fillColor": "#9e9ac8",
              "fillOpacity": 0.12, "opacity": 0.95, "dashArray": "5 3"}
#: Fill colours of the case-count classes per cell (ColorBrewer YlGnBu, light to dark).
COUNT_RAMP = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
AGG_TITLE = "每格案件数"
#: Legend row for the markercluster bubbles (default markercluster colours).
CLUSTER_ITEM = ('<div class="yp-item"><svg width="28" height="22"><circle cx="14" cy="11" r="10" '
                'fill="#6ecc39" fill-opacity="0.6"/><circle cx="14" cy="11" r="7" '
                'fill="#6ecc39"/><text x="14" y="15" font-size="10" text-anchor="middle">12'
                '</text></svg><span>聚合：数字为案件数，点击放大展开</span></div>')
#: Steps of the density colour ramp (the heat images are palette PNGs).
HEAT_LEVELS = 48
CLASS_CN = {"hot": "热点", "cold": "冷点"}
REASON_CN = {"no_location": "无坐标", "outside_subdistrict": "不在任何街道内",
             "outside_grid": "不在任何网格内", "several_grids": "位于网格分界线上",
             "boundary": "靠近街道边界", "unknown_category": "类别无对应责任部门",
             "road_precision": "仅定位到道路"}


def density_png(raster, *, shift: str | None = None, max_pixels: int = 1_500_000,
                cmap: str = "YlOrRd") -> tuple[str, list[list[float]]]:
    """A density raster as a transparent PNG (data URI) and its lat/lon bounds.

    The raster is reprojected to Web Mercator (EPSG:3857), in which a Leaflet image
    overlay is exact; low densities fade out (alpha grows with the value).

    Parameters
    ----------
    raster : RasterData
    shift : {None, "gcj02"}, keyword-only
        Shift the bounds to GCJ-02 (Amap tiles); the shift is uniform at district scale.
    max_pixels : int, keyword-only
        Upper bound of the image size.
    cmap : str, keyword-only
        Matplotlib colour map.

    Returns
    -------
    (str, list)
        ``data:image/png;base64,…`` and ``[[south, west], [north, east]]``.
    """
    import matplotlib
    from PIL import Image
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src = raster.values.astype(np.float32)
    rows, cols = src.shape
    minx, miny, maxx, maxy = raster.bounds
    dst_t, w, h = calculate_default_transform(raster.crs, "EPSG:3857", cols, rows,
                                              minx, miny, maxx, maxy)
    scale = max(1.0, float(np.sqrt(w * h / max_pixels)))
    if scale > 1:
        dst_t, w, h = calculate_default_transform(raster.crs, "EPSG:3857", cols, rows, minx,
                                                  miny, maxx, maxy, dst_width=int(w / scale),
                                                  dst_height=int(h / scale))
    dst = np.zeros((h, w), dtype=np.float32)
    reproject(src, dst, src_transform=raster.transform, src_crs=raster.crs,
              dst_transform=dst_t, dst_crs="EPSG:3857", resampling=Resampling.bilinear,
              src_nodata=None, dst_nodata=0)
    top = float(np.nanmax(dst)) if dst.size else 0.0
    norm = np.clip(np.nan_to_num(dst / top), 0, 1) if top > 0 else np.zeros_like(dst)
    # a palette image of HEAT_LEVELS steps: one byte a pixel, a fraction of an RGBA PNG
    levels = np.linspace(0, 1, HEAT_LEVELS)
    rgba = matplotlib.colormaps[cmap](levels)
    alpha = np.clip(levels * 1.6, 0, 0.85) * (levels > 0.03)
    img = Image.fromarray(np.rint(norm * (HEAT_LEVELS - 1)).astype(np.uint8), "P")
    img.putpalette((rgba[:, :3] * 255).astype(np.uint8).ravel().tolist())
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True,
             transparency=bytes((alpha * 255).astype(np.uint8).tolist()))
    west, north = dst_t.c, dst_t.f
    east, south = west + w * dst_t.a, north + h * dst_t.e
    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = tr.transform([west, east], [south, north])
    if shift == "gcj02":
        lon0, lat0 = wgs84_to_gcj02(lon0, lat0)
        lon1, lat1 = wgs84_to_gcj02(lon1, lat1)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return uri, [[float(lat0), float(lon0)], [float(lat1), float(lon1)]]


class ComplaintsLayers(SafeMacroElement):
    """The script that draws the case-count cells, clustered cases, hot spots and heat images
    and wires the filter box. Popups are built in the page from the compact columns, with
    ``textContent``: no data value ever becomes HTML."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="yp-cfilter leaflet-control" id="{{ this.get_name() }}_box"
             style="position:absolute;right:10px;bottom:24px;z-index:1000;background:#fff;
                    padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);
                    max-width:260px;font:13px/1.5 'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',sans-serif">
          <b>筛选</b><br>
          <label>类别 <select id="{{ this.get_name() }}_cat">
            <option value="">全部</option>
            {% for c in this.categories %}<option value="{{ loop.index0 }}">{{ c }}</option>{% endfor %}
          </select></label><br>
          <label>受理日期 <input type="date" id="{{ this.get_name() }}_from" value="{{ this.date_min }}"
                 min="{{ this.date_min }}" max="{{ this.date_max }}"></label><br>
          <label>至 <input type="date" id="{{ this.get_name() }}_to" value="{{ this.date_max }}"
                 min="{{ this.date_min }}" max="{{ this.date_max }}"></label><br>
          <span id="{{ this.get_name() }}_count" class="yp-ccount"></span>
          <div id="{{ this.get_name() }}_agg" class="yp-cagg" style="margin-top:4px"></div>
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var D = {{ this.data }};
            var aggGroup = {{ this.agg_group }}, cellsGroup = {{ this.cells_group }},
                casesGroup = {{ this.cases_group }}, heatGroup = {{ this.heat_group }};
            function pane(name, z) {
                if (!map.getPane(name)) { map.createPane(name).style.zIndex = z; }
                return L.canvas({padding: 0.3, pane: name});
            }
            var aggRenderer = pane("ypAgg", 350), spotRenderer = pane("ypSpots", 360),
                caseRenderer = pane("ypCases", 420);
            var box = document.getElementById("{{ this.get_name() }}_box");
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            var sel = document.getElementById("{{ this.get_name() }}_cat");
            var from = document.getElementById("{{ this.get_name() }}_from");
            var to = document.getElementById("{{ this.get_name() }}_to");
            var count = document.getElementById("{{ this.get_name() }}_count");
            var aggLegend = document.getElementById("{{ this.get_name() }}_agg");
            function day(s) { return s ? Math.floor(Date.parse(s + "T00:00:00Z") / 86400000) : null; }
            function ring(r) {
                var out = [], x = r[0], y = r[1];
                out.push([y / 1e6, x / 1e6]);
                for (var i = 2; i < r.length; i += 2) { x += r[i]; y += r[i + 1]; out.push([y / 1e6, x / 1e6]); }
                return out;
            }
            var cellShapes = D.cells.map(function (polys) {
                return polys.map(function (p) { return p.map(ring); });
            });
            var K = D.cases, N = K.cat.length;
            function caseId(i) {
                if (K.id.s) { return K.id.s[i]; }
                var t = String(K.id.n[i]);
                while (t.length < K.id.w) { t = "0" + t; }
                return K.id.p + t;
            }
            function pick(list, code) { return code < 0 ? null : list[code]; }
            function stamp(m) { return new Date((D.t0 + m) * 60000).toISOString().slice(0, 16).replace("T", " "); }
            function table(rows) {
                var div = document.createElement("div"), t = document.createElement("table");
                div.className = "yp-popup"; div.appendChild(t);
                rows.forEach(function (r) {
                    if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
                    var tr = t.insertRow(), th = document.createElement("th");
                    th.textContent = r[0]; tr.appendChild(th);
                    tr.insertCell().textContent = String(r[1]);
                });
                return div;
            }
            function casePopup(i) {
                var n = K.n[i];
                return table([["案件编号", caseId(i)], ["问题类别", D.categories[K.cat[i]]],
                    ["归并工单数", n], ["首次受理", stamp(K.t[i])],
                    ["最近受理", n > 1 ? stamp(K.t[i] + K.dt[i]) : null],
                    ["街道", pick(D.sd, K.sd[i])], ["网格", pick(D.grid, K.grid[i])],
                    ["责任部门", pick(D.dept, K.dept[i])], ["派单", pick(D.disp, K.disp[i])]]);
            }
            var cur = {c: null, d0: null, d1: null};
            function keep(i) {
                if (cur.c !== null && K.cat[i] !== cur.c) { return false; }
                var d = Math.floor((D.t0 + K.t[i]) / 1440);
                return !((cur.d0 !== null && d < cur.d0) || (cur.d1 !== null && d > cur.d1));
            }
            function cellPopup(j) {
                var by = {}, nc = 0, no = 0;
                for (var i = 0; i < N; i++) {
                    if (K.cell[i] !== j || !keep(i)) { continue; }
                    nc += 1; no += K.n[i]; by[K.cat[i]] = (by[K.cat[i]] || 0) + 1;
                }
                var rows = [["网格/单元", D.cell_ids[j]], ["案件数", nc + " 件"], ["工单数", no + " 条"]];
                Object.keys(by).sort(function (a, b) { return by[b] - by[a]; }).forEach(function (k) {
                    rows.push([D.categories[+k], by[k] + " 件"]);
                });
                return table(rows);
            }
            var markers = new Array(N);
            function marker(i) {
                if (!markers[i]) {
                    var n = K.n[i], col = D.colors[K.cat[i]];
                    var mk = L.circleMarker([(K.xy[2 * i + 1] + D.o[1]) / D.s, (K.xy[2 * i] + D.o[0]) / D.s], {
                        renderer: caseRenderer, radius: 2.5 + 2.2 * Math.sqrt(n), weight: n > 1 ? 1.2 : 0.6,
                        color: n > 1 ? "#222" : col, fillColor: col, fillOpacity: 0.75, opacity: 0.9
                    });
                    mk._ci = i;
                    mk.bindPopup(function (l) { return casePopup(l._ci); }, {maxWidth: 380});
                    markers[i] = mk;
                }
                return markers[i];
            }
            var clusters = null;
            if (D.mode === "cluster" && L.markerClusterGroup) {
                clusters = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
                                                 maxClusterRadius: 70, disableClusteringAtZoom: 18});
                casesGroup.addLayer(clusters);
            }
            var cnt = new Int32Array(cellShapes.length);
            function legend(b) {
                aggLegend.textContent = "";
                var t = document.createElement("div");
                t.style.fontWeight = "700"; t.textContent = D.agg_title;
                aggLegend.appendChild(t);
                b.forEach(function (cls, k) {
                    var row = document.createElement("div"), sw = document.createElement("span");
                    sw.style.cssText = "display:inline-block;width:18px;height:11px;margin-right:6px;" +
                        "vertical-align:middle;border:1px solid #666;opacity:.85";
                    sw.style.background = cls[1];
                    var hi = k + 1 < b.length ? b[k + 1][0] - 1 : null;
                    row.appendChild(sw);
                    row.appendChild(document.createTextNode(
                        hi === null ? "≥ " + cls[0] + " 件" : (hi === cls[0] ? cls[0] + " 件" : cls[0] + "–" + hi + " 件")));
                    aggLegend.appendChild(row);
                });
            }
            function draw() {
                cur.c = sel.value === "" ? null : +sel.value;
                cur.d0 = day(from.value); cur.d1 = day(to.value);
                aggGroup.clearLayers(); cellsGroup.clearLayers(); heatGroup.clearLayers();
                var key = cur.c === null ? "all" : String(cur.c);
                var heat = D.heat[key];
                if (heat) { L.imageOverlay(heat.url, heat.bounds, {opacity: 0.8, interactive: false}).addTo(heatGroup); }
                var spots = cur.c === null ? D.spots_any : (D.spots[key] || []);
                spots.forEach(function (s) {
                    var st = s[1] === "hot" ? D.hot_style : D.cold_style;
                    L.polygon(cellShapes[s[0]], L.extend({renderer: spotRenderer}, st))
                        .bindPopup(s[2]).addTo(cellsGroup);
                });
                cnt.fill(0);
                var nc = 0, no = 0, shown = [];
                for (var i = 0; i < N; i++) {
                    if (!keep(i)) { continue; }
                    nc += 1; no += K.n[i];
                    if (K.cell[i] >= 0) { cnt[K.cell[i]] += 1; }
                    if (D.mode !== "none") { shown.push(marker(i)); }
                }
                var b = D.breaks[key] || D.breaks.all;
                for (var j = 0; j < cnt.length; j++) {
                    if (!cnt[j]) { continue; }
                    var k = b.length - 1;
                    while (k > 0 && cnt[j] < b[k][0]) { k -= 1; }
                    var poly = L.polygon(cellShapes[j], {renderer: aggRenderer, color: "#555", weight: 0.5,
                        opacity: 0.6, fillColor: b[k][1], fillOpacity: 0.7});
                    poly._cell = j;
                    poly.bindPopup(function (l) { return cellPopup(l._cell); }, {maxWidth: 380});
                    poly.addTo(aggGroup);
                }
                if (clusters) { clusters.clearLayers(); clusters.addLayers(shown); }
                else { casesGroup.clearLayers(); shown.forEach(function (mk) { mk.addTo(casesGroup); }); }
                legend(b);
                count.textContent = "显示 " + nc + " 个案件，" + no + " 条工单";
            }
            window.__yangpuComplaints = {counts: function () { return Array.from(cnt); }};
            // a link can open the map filtered: …/complaints_map.html#cat=违法停车&from=2025-06-01
            var h = new URLSearchParams(decodeURIComponent(location.hash.slice(1)));
            if (h.get("cat")) {
                for (var j = 0; j < sel.options.length; j++) {
                    if (sel.options[j].text === h.get("cat")) { sel.selectedIndex = j; }
                }
            }
            if (h.get("from")) { from.value = h.get("from"); }
            if (h.get("to")) { to.value = h.get("to"); }
            sel.addEventListener("change", draw);
            from.addEventListener("change", draw);
            to.addEventListener("change", draw);
            draw();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, *, categories: list[str], date_min: str, date_max: str,
                 groups: dict[str, str]) -> None:
        super().__init__()
        self._name = "ComplaintsLayers"
        self.data = js_json(data)
        self.categories = [escape_html(c) for c in categories]
        self.date_min, self.date_max = date_min, date_max
        self.agg_group = js_identifier(groups["agg"])
        self.cells_group = js_identifier(groups["cells"])
        self.cases_group = js_identifier(groups["cases"])
        self.heat_group = js_identifier(groups["heat"])


def _encode_polygons(geoms: gpd.GeoSeries) -> list:
    """Polygons → [[ring, …], …] with rings as [x0, y0, dx, dy, …] in 1e-6 degrees."""
    out = []
    for g in geoms:
        polys = list(getattr(g, "geoms", [g])) if g is not None else []
        enc = []
        for p in polys:
            rings = []
            for r in [p.exterior, *p.interiors]:
                xy = np.round(np.asarray(r.coords)[:, :2] * 1e6).astype(np.int64)
                flat = np.concatenate([xy[:1], np.diff(xy, axis=0)]).ravel()
                rings.append(flat.tolist())
            enc.append(rings)
        out.append(enc)
    return out


def _popup(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th>{escape_html(k)}</th><td>{escape_html(v)}</td></tr>"
                    for k, v in rows if v is not None and str(v) not in ("", "nan", "<NA>"))
    return f'<table class="yp-popup">{cells}</table>'


def _popup(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th>{escape_html(k)}</th><td>{escape_html(v)}</td></tr>"
                    for k, v in rows if v is not None and str(v) not in ("", "nan", "<NA>"))
    return f'<table class="yp-popup">{cells}</table>'


def _minutes(ts) -> np.ndarray:
    """Local (Asia/Shanghai) wall-clock times as whole minutes since 1970-01-01 00:00."""
    local = ts.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return local.to_numpy().astype("datetime64[m]").astype(np.int64)


def case_columns(result, *, shift: str | None = None) -> dict:
    """The located cases of ``result`` as the compact columns the page draws and pops up.

    Parameters
    ----------
    result : ComplaintsResult
    shift : {None, "gcj02"}, keyword-only
        As in :func:`~yangpu_gis.maps.encode.to_display_crs`.

    Returns
    -------
    dict
        ``o``/``s`` (origin and scale of ``cases.xy``: integers at 10⁻⁵°, about 1 m),
        ``t0`` (minutes), lookup lists ``categories``, ``sd``, ``grid``, ``dept``, ``disp``,
        ``cell_ids`` and ``cases``: per case ``xy``, ``cat``, ``n``, ``t`` (first reception,
        minutes after ``t0``), ``dt`` (minutes to the last one), ``id`` (see
        :func:`~yangpu_gis.maps.aggregate.compact_ids`), codes into the lookups and ``cell``
        (position in ``cell_ids`` or -1, :func:`~yangpu_gis.maps.aggregate.cell_of_points`).
    """
    cases = result.cases
    cases = cases[cases.geometry.notna() & ~cases.geometry.is_empty].reset_index(drop=True)
    categories = sorted(result.cases["category"].astype(str).unique().tolist())
    code = {c: i for i, c in enumerate(categories)}
    xy: list[int] = []
    origin = [0, 0]
    if len(cases):
        origin, _, geoms = encode_geometries(to_display_crs(cases, shift=shift).values,
                                             precision=5)
        xy = [v for g in geoms for v in g]
    routing = result.routing.drop_duplicates("case_id").set_index("case_id").reindex(
        cases["case_id"])
    dispatch = [
        None if pd.isna(d) else ("自动派单" if d != "manual" else "人工派单" + (
            "：" + "、".join(REASON_CN.get(x, x) for x in str(r).split(";"))
            if isinstance(r, str) and r else ""))
        for d, r in zip(routing["dispatch"], routing["reason"], strict=True)]
    sd, sd_codes = factorize(routing["subdistrict_name"])
    grid, grid_codes = factorize(cases["grid_id"])
    dept, dept_codes = factorize(routing["department"])
    disp, disp_codes = factorize(dispatch)
    first, last = _minutes(cases["first_received_at"]), _minutes(cases["last_received_at"])
    t0 = int(first.min()) if len(first) else 0
    cells = result.cells
    if len(cells) and len(cases) and cells.crs is not None and not cells.crs.equals(cases.crs):
        cells = cells.to_crs(cases.crs)
    return {
        "o": origin, "s": 10**5, "t0": t0, "categories": categories,
        "sd": sd, "grid": grid, "dept": dept, "disp": disp,
        "cell_ids": result.cells["cell_id"].astype(str).tolist(),
        "cases": {
            "xy": xy,
            "cat": [code[str(c)] for c in cases["category"]],
            "n": cases["n_orders"].astype(int).tolist(),
            "t": (first - t0).tolist(),
            "dt": np.maximum(last - first, 0).tolist(),
            "id": compact_ids(cases["case_id"].astype(str).tolist()),
            "sd": sd_codes, "grid": grid_codes, "dept": dept_codes, "disp": disp_codes,
            "cell": cell_of_points(cases.geometry, cells.geometry).tolist(),
        },
    }


def cell_breaks(columns: dict) -> dict[str, list[list]]:
    """Class breaks (round numbers, :func:`~yangpu_gis.maps.aggregate.nice_breaks`) and
    colours of the case counts per cell, for all cases (``"all"``) and per category code."""
    k = columns["cases"]
    cell, cat = np.asarray(k["cell"], dtype=np.int64), np.asarray(k["cat"], dtype=np.int64)
    n_cells = len(columns["cell_ids"])
    out = {}
    for key in ["all", *map(str, range(len(columns["categories"])))]:
        sel = cell >= 0 if key == "all" else (cell >= 0) & (cat == int(key))
        b = nice_breaks(np.bincount(cell[sel], minlength=n_cells), k=len(COUNT_RAMP))
        ramp = COUNT_RAMP[len(COUNT_RAMP) - len(b):]
        out[key] = [[int(v), c] for v, c in zip(b, ramp, strict=True)]
    return out


#: How cases are drawn: clustered (default), every case, or none (counts per cell only).
CASE_MODES = ("cluster", "all", "none")


def complaints_map(
    result,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    cases: str = "cluster",
    title: str = "杨浦区12345热线工单：归并案件与热点",
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
) -> folium.Map:
    """Map a :class:`~yangpu_gis.analysis.complaints.ComplaintsResult`.

    Parameters
    ----------
    result : ComplaintsResult
        From :func:`yangpu_gis.analysis.complaints.analyze_complaints`.
    subdistricts : GeoDataFrame, optional, keyword-only
        Drawn as outlines.
    cases : {"cluster", "all", "none"}, keyword-only
        ``"cluster"`` (default): cases in Leaflet.markercluster clusters that open as you
        zoom in; ``"all"``: every case drawn at once (the pre-0.x map: heavy to draw for a
        year of cases); ``"none"``: no case points, only the counts per cell. The page size
        hardly changes: the cases travel as the same compact columns.
    title : str, keyword-only
        Title box text.
    data_date : str or date, optional, keyword-only
        Shown under the title.
    offline : bool, keyword-only
        One self-contained HTML file (no tiles, Leaflet inlined).
    basemap : str, optional, keyword-only
        As in :func:`yangpu_gis.maps.layer_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValidationError
        For an unknown ``cases``.
    """
    if cases not in CASE_MODES:
        raise ValidationError(f"unknown cases drawing {cases!r}", hint=" | ".join(CASE_MODES))
    m = base.new_map(basemap=basemap, offline=offline, title=title, data_date=data_date)
    st = base.state_of(m)
    if subdistricts is not None and len(subdistricts):
        add_layer(m, subdistricts, "subdistricts", name="街道边界")
    data = case_columns(result, shift=st.shift)
    categories = data["categories"]
    code = {c: i for i, c in enumerate(categories)}
    colors = [CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(len(categories))]
    data.update(mode=cases, colors=colors, hot_style=HOT_STYLE, cold_style=COLD_STYLE,
                breaks=cell_breaks(data), agg_title=AGG_TITLE)
    # hot-spot cells (positions in data["cell_ids"], the same cells as the counts)
    cell_pos = {cid: i for i, cid in enumerate(data["cell_ids"])}
    data["cells"] = _encode_polygons(to_display_crs(result.cells, shift=st.shift)) \
        if len(result.cells) else []
    hs = result.hotspots[result.hotspots["class"] != "none"]
    spots: dict[str, list] = {}
    anyhot: dict[int, list[str]] = {}
    for row in hs.itertuples(index=False):
        i = cell_pos.get(str(row.cell_id))
        if i is None:
            continue
        pop = _popup([("网格/单元", row.cell_id), ("问题类别", row.category),
                      ("类型", CLASS_CN[row[5]]), ("案件数", int(row.n_cases)),
                      ("Gi* z 值", f"{row.gi_z:.2f}"), ("伪 p 值", f"{row.p_sim:.4f}")])
        spots.setdefault(str(code.get(row.category, -1)), []).append([i, row[5], pop])
        if row[5] == "hot":
            anyhot.setdefault(i, []).append(f"{row.category}（{int(row.n_cases)}件）")
    data["spots"] = spots
    data["spots_any"] = [[i, "hot", _popup([("热点类别", "、".join(v))])]
                         for i, v in sorted(anyhot.items())]
    # heat images
    heat = {}
    for key, raster in result.density.items():
        k = "all" if key == "all" else str(code.get(key, key))
        url, bounds = density_png(raster, shift=st.shift, max_pixels=250_000)
        heat[k] = {"url": url, "bounds": bounds}
    data["heat"] = heat
    groups = {
        "agg": folium.FeatureGroup(name=AGG_TITLE, show=True).add_to(m),
        "heat": folium.FeatureGroup(name="案件密度（核密度）", show=False).add_to(m),
        "cells": folium.FeatureGroup(name="热点/冷点网格（Gi*）", show=True).add_to(m),
    }
    if cases != "none":
        groups["cases"] = folium.FeatureGroup(
            name="案件（聚合，放大展开）" if cases == "cluster" else "案件（按归并工单数大小）",
            show=True).add_to(m)
    else:
        groups["cases"] = folium.FeatureGroup(name="案件", show=False, control=False).add_to(m)
    st.cluster = st.cluster or cases == "cluster"
    located = result.cases[result.cases.geometry.notna()]
    if len(located):
        t = _minutes(located["first_received_at"])
        d0, d1 = (str(np.datetime64(int(v), "m").astype("datetime64[D]")) for v in
                  (t.min(), t.max()))
        b = to_display_crs(located, shift=st.shift).total_bounds
        base.extend_bounds(m, [float(b[0]), float(b[1]), float(b[2]), float(b[3])])
    else:
        d0 = d1 = ""
    m.add_child(ComplaintsLayers(data, categories=categories, date_min=d0, date_max=d1,
                                 groups={k: g.get_name() for k, g in groups.items()}))
    # legend
    params = result.parameters
    st.legend.add_section(
        f"热点分析（Gi*，FDR α={params.get('fdr_alpha', 0.05):g}）",
        [swatch("热点：案件显著集聚", HOT_STYLE, "area"),
         swatch("冷点：案件显著稀少", COLD_STYLE, "area")])
    grey = {"color": "#222", "weight": 1.2, "fill": True, "fillColor": "#bbbbbb",
            "fillOpacity": 0.75}
    items = [swatch(f"{n} 条工单", grey, "point", radius=2.5 + 2.2 * np.sqrt(n))
             for n in (1, 3, 8)]
    if cases == "cluster":
        items.insert(0, CLUSTER_ITEM)
    if cases != "none":
        items += [swatch(c, {"color": col, "weight": 0.6, "fill": True, "fillColor": col,
                             "fillOpacity": 0.75}, "point", radius=4)
                  for c, col in zip(categories, colors, strict=True)]
        st.legend.add_section(
            f"案件（{params.get('distance_m', 50):g} 米、{params.get('hours', 72):g} 小时内"
            "同类工单归并）", items)
    ramp = ('<div class="yp-item"><svg width="120" height="12"><defs><linearGradient id="ypheat">'
            '<stop offset="0" stop-color="#ffffb2" stop-opacity="0.2"/>'
            '<stop offset="0.5" stop-color="#fd8d3c"/><stop offset="1" stop-color="#bd0026"/>'
            '</linearGradient></defs><rect width="120" height="12" fill="url(#ypheat)"/></svg>'
            f'<span>低 → 高（带宽 {params.get("kde_bandwidth_m", 150):g} 米）</span></div>')
    st.legend.add_section("案件密度（图层默认关闭）", [ramp])
    return base.finalise(m)

"""The 12345 complaints map: hot-spot cells, merged cases, a density (heat) layer, filters.

:func:`complaints_map` draws a :class:`~yangpu_gis.analysis.complaints.ComplaintsResult`:

* the subdistrict outlines (if given);
* a heat layer: the kernel density raster of the selected category (or of all cases),
  reprojected to Web Mercator and drawn as one image, so it works offline too;
* Gi* hot and cold cells of the selected category (for "全部", cells hot in any category);
* case points sized by the number of work orders merged into them, coloured by category,
  with a popup (case, orders, dates, subdistrict, grid, department, dispatch);
* a filter box: category and a date range (first reception of the case); the count of
  visible cases and orders updates as you filter. A link can open the map filtered:
  ``complaints_map.html#cat=违法停车&from=2025-06-01&to=2025-08-31``.

Everything is drawn by a small script on a canvas; the data travel as compact JSON.
"""

from __future__ import annotations

import base64
import io

import folium
import geopandas as gpd
import numpy as np

from ..crs import wgs84_to_gcj02
from . import base
from .elements import swatch
from .encode import to_display_crs
from .layers import add_layer
from .safe import SafeMacroElement, Template, escape_html, js_identifier, js_json

__all__ = ["CATEGORY_COLORS", "complaints_map", "density_png"]

#: Colours of case points by category (ColorBrewer Paired + Dark2), in category order.
CATEGORY_COLORS = ("#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928",
                   "#a6cee3", "#fb9a99", "#b2df8a", "#fdbf6f", "#cab2d6", "#666666",
                   "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
HOT_STYLE = {"color": "#99000d", "weight": 1.5, "fill": True, "fillColor": "#ef3b2c",
             "fillOpacity": 0.35, "opacity": 0.9}
COLD_STYLE = {"color": "#08306b", "weight": 1.5, "fill": True, "fillColor": "#4292c6",
              "fillOpacity": 0.3, "opacity": 0.9}
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
    norm = np.clip(dst / top, 0, 1) if top > 0 else dst
    rgba = matplotlib.colormaps[cmap](norm)
    rgba[..., 3] = np.clip(norm * 1.6, 0, 0.85) * (norm > 0.03)
    img = Image.fromarray((rgba * 255).astype(np.uint8), "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
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
    """The script that draws cells, cases and heat images and wires the filter box."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="yp-cfilter leaflet-control" id="{{ this.get_name() }}_box"
             style="position:absolute;right:10px;bottom:24px;z-index:1000;background:#fff;
                    padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);
                    font:13px/1.5 'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',sans-serif">
          <b>筛选</b>
          <label>类别 <select id="{{ this.get_name() }}_cat">
            <option value="">全部</option>
            {% for c in this.categories %}<option value="{{ loop.index0 }}">{{ c }}</option>{% endfor %}
          </select></label>
          <label>受理日期 <input type="date" id="{{ this.get_name() }}_from" value="{{ this.date_min }}"
                 min="{{ this.date_min }}" max="{{ this.date_max }}"></label>
          <label>至 <input type="date" id="{{ this.get_name() }}_to" value="{{ this.date_max }}"
                 min="{{ this.date_min }}" max="{{ this.date_max }}"></label>
          <span id="{{ this.get_name() }}_count" class="yp-ccount"></span>
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var D = {{ this.data }};
            var cellsGroup = {{ this.cells_group }}, casesGroup = {{ this.cases_group }},
                heatGroup = {{ this.heat_group }};
            var renderer = L.canvas({padding: 0.3});
            var box = document.getElementById("{{ this.get_name() }}_box");
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            var sel = document.getElementById("{{ this.get_name() }}_cat");
            var from = document.getElementById("{{ this.get_name() }}_from");
            var to = document.getElementById("{{ this.get_name() }}_to");
            var count = document.getElementById("{{ this.get_name() }}_count");
            var DAY = 86400000;
            function day(s) { return s ? Math.floor(Date.parse(s + "T00:00:00Z") / DAY) : null; }
            function ring(r) {
                var out = [], x = r[0], y = r[1];
                out.push([y / 1e6, x / 1e6]);
                for (var i = 2; i < r.length; i += 2) { x += r[i]; y += r[i + 1]; out.push([y / 1e6, x / 1e6]); }
                return out;
            }
            var cellShapes = D.cells.map(function (polys) {
                return polys.map(function (p) { return p.map(ring); });
            });
            function draw() {
                var c = sel.value === "" ? null : +sel.value;
                var d0 = day(from.value), d1 = day(to.value);
                cellsGroup.clearLayers(); casesGroup.clearLayers(); heatGroup.clearLayers();
                var heat = D.heat[c === null ? "all" : String(c)];
                if (heat) { L.imageOverlay(heat.url, heat.bounds, {opacity: 0.8, interactive: false}).addTo(heatGroup); }
                var spots = c === null ? D.spots_any : (D.spots[String(c)] || []);
                spots.forEach(function (s) {
                    var st = s[1] === "hot" ? D.hot_style : D.cold_style;
                    L.polygon(cellShapes[s[0]], L.extend({renderer: renderer}, st))
                        .bindPopup(s[2]).addTo(cellsGroup);
                });
                var nc = 0, no = 0, K = D.cases;
                for (var i = 0; i < K.lat.length; i++) {
                    if (c !== null && K.cat[i] !== c) { continue; }
                    if (d0 !== null && K.day[i] < d0) { continue; }
                    if (d1 !== null && K.day[i] > d1) { continue; }
                    nc += 1; no += K.n[i];
                    L.circleMarker([K.lat[i], K.lon[i]], {
                        renderer: renderer, radius: 2.5 + 2.2 * Math.sqrt(K.n[i]), weight: K.n[i] > 1 ? 1.2 : 0.6,
                        color: K.n[i] > 1 ? "#222" : D.colors[K.cat[i]], fillColor: D.colors[K.cat[i]],
                        fillOpacity: 0.75, opacity: 0.9
                    }).bindPopup(K.popup[i]).addTo(casesGroup);
                }
                count.textContent = "显示 " + nc + " 个案件，" + no + " 条工单";
            }
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
                 cells_group: str, cases_group: str, heat_group: str) -> None:
        super().__init__()
        self._name = "ComplaintsLayers"
        self.data = js_json(data)
        self.categories = [escape_html(c) for c in categories]
        self.date_min, self.date_max = date_min, date_max
        self.cells_group, self.cases_group, self.heat_group = (
            js_identifier(cells_group), js_identifier(cases_group), js_identifier(heat_group))


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


def complaints_map(
    result,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
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
    """
    m = base.new_map(basemap=basemap, offline=offline, title=title, data_date=data_date)
    st = base.state_of(m)
    if subdistricts is not None and len(subdistricts):
        add_layer(m, subdistricts, "subdistricts", name="街道边界")
    cases = result.cases[result.cases.geometry.notna()]
    categories = sorted(result.cases["category"].astype(str).unique().tolist())
    code = {c: i for i, c in enumerate(categories)}
    colors = [CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(len(categories))]
    # cases
    disp = to_display_crs(cases, shift=st.shift) if len(cases) else cases.geometry
    routing = result.routing.set_index("case_id")
    first = cases["first_received_at"].dt.tz_convert("Asia/Shanghai")
    last = cases["last_received_at"].dt.tz_convert("Asia/Shanghai")
    popups = []
    for cid, cat, n, f, la, grid in zip(cases["case_id"], cases["category"], cases["n_orders"],
                                        first, last, cases["grid_id"], strict=True):
        r = routing.loc[cid] if cid in routing.index else None
        reasons = "" if r is None or not r["reason"] else "、".join(
            REASON_CN.get(x, x) for x in str(r["reason"]).split(";"))
        popups.append(_popup([
            ("案件编号", cid), ("问题类别", cat), ("归并工单数", int(n)),
            ("首次受理", f.strftime("%Y-%m-%d %H:%M")),
            ("最近受理", la.strftime("%Y-%m-%d %H:%M") if n > 1 else None),
            ("街道", None if r is None else r["subdistrict_name"]), ("网格", grid),
            ("责任部门", None if r is None else r["department"]),
            ("派单", None if r is None else ("人工派单：" + reasons if reasons else "自动派单")),
        ]))
    epoch_day = (first.dt.tz_localize(None).dt.normalize().to_numpy().astype("datetime64[D]")
                 .astype(np.int64))
    data: dict = {
        "colors": colors,
        "hot_style": HOT_STYLE,
        "cold_style": COLD_STYLE,
        "cases": {
            "lat": np.round(disp.y.to_numpy(), 6).tolist(),
            "lon": np.round(disp.x.to_numpy(), 6).tolist(),
            "cat": [code[str(c)] for c in cases["category"]],
            "n": cases["n_orders"].astype(int).tolist(),
            "day": epoch_day.tolist(),
            "popup": popups,
        },
    }
    # hot-spot cells
    hs = result.hotspots[result.hotspots["class"] != "none"]
    cell_pos = {cid: i for i, cid in enumerate(result.cells["cell_id"].astype(str))}
    used = sorted({cell_pos[c] for c in hs["cell_id"].astype(str) if c in cell_pos})
    remap = {p: i for i, p in enumerate(used)}
    cells = result.cells.iloc[used]
    data["cells"] = _encode_polygons(to_display_crs(cells, shift=st.shift)) if used else []
    spots: dict[str, list] = {}
    anyhot: dict[int, list[str]] = {}
    for row in hs.itertuples(index=False):
        i = remap.get(cell_pos.get(str(row.cell_id), -1))
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
    heat_group = folium.FeatureGroup(name="案件密度（核密度）", show=True).add_to(m)
    cells_group = folium.FeatureGroup(name="热点/冷点网格（Gi*）", show=True).add_to(m)
    cases_group = folium.FeatureGroup(name="案件（按归并工单数大小）", show=True).add_to(m)
    if len(cases):
        d0 = first.min().strftime("%Y-%m-%d")
        d1 = first.max().strftime("%Y-%m-%d")
        b = disp.total_bounds
        base.extend_bounds(m, [float(b[0]), float(b[1]), float(b[2]), float(b[3])])
    else:
        d0 = d1 = ""
    m.add_child(ComplaintsLayers(data, categories=categories, date_min=d0, date_max=d1,
                                 cells_group=cells_group.get_name(),
                                 cases_group=cases_group.get_name(),
                                 heat_group=heat_group.get_name()))
    # legend
    params = result.parameters
    st.legend.add_section(
        f"热点分析（Gi*，FDR α={params.get('fdr_alpha', 0.05):g}）",
        [swatch("热点：案件显著集聚", HOT_STYLE, "area"),
         swatch("冷点：案件显著稀少", COLD_STYLE, "area")])
    grey = {"color": "#222", "weight": 1.2, "fill": True, "fillColor": "#bbbbbb",
            "fillOpacity": 0.75}
    st.legend.add_section(
        f"案件（{params.get('distance_m', 50):g} 米、{params.get('hours', 72):g} 小时内同类工单归并）",
        [swatch(f"{n} 条工单", grey, "point", radius=2.5 + 2.2 * np.sqrt(n)) for n in (1, 3, 8)]
        + [swatch(c, {"color": col, "weight": 0.6, "fill": True, "fillColor": col,
                      "fillOpacity": 0.75}, "point", radius=4) for c, col in
           zip(categories, colors, strict=True)])
    ramp = ('<div class="yp-item"><svg width="120" height="12"><defs><linearGradient id="ypheat">'
            '<stop offset="0" stop-color="#ffffb2" stop-opacity="0.2"/>'
            '<stop offset="0.5" stop-color="#fd8d3c"/><stop offset="1" stop-color="#bd0026"/>'
            '</linearGradient></defs><rect width="120" height="12" fill="url(#ypheat)"/></svg>'
            f'<span>低 → 高（带宽 {params.get("kde_bandwidth_m", 150):g} 米）</span></div>')
    st.legend.add_section("案件密度", [ramp])
    return base.finalise(m)

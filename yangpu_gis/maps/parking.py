"""The parking map: night balance per grid cell, shortage compounds, candidate garages.

:func:`parking_map` draws a :class:`~yangpu_gis.analysis.parking.ParkingResult`:

* a choropleth of the night balance (supply − demand, spaces) of every grid cell;
* the compounds with a night shortfall (the largest ones outlined in red);
* candidate garages for night sharing (错峰共享), sized and labelled by the spaces they
  would usefully share;
* clicking a candidate or a compound draws its walking catchment as a circle.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .choropleth import choropleth_map
from .elements import swatch
from .layers import add_layer
from .safe import SafeMacroElement, Template, escape_html, js_identifier, js_json
from .styles import ClassStyle, LayerStyle

__all__ = ["CatchmentOnClick", "parking_map"]

_KIND_CN = {"office": "办公", "commercial": "商业", "school": "学校", "hospital": "医院"}

SHORTAGE_STYLE = LayerStyle(
    category="缺口等级",
    classes={
        "严重": ClassStyle("夜间缺口 ≥ 200 泊位", "#67000d", 2.0, fill_color="#cb181d",
                         fill_opacity=0.55),
        "一般": ClassStyle("夜间缺口 < 200 泊位", "#a50f15", 1.2, fill_color="#fc9272",
                         fill_opacity=0.45),
    },
)
CANDIDATE_STYLE = LayerStyle(
    default=ClassStyle("错峰共享候选车库", "#08306b", 1.5, fill_color="#2171b5", fill_opacity=0.9),
    size_column="可共享泊位",
    size_range=(4.0, 18.0),
    size_legend=(100.0, 500.0),
    label_column="标注",
)
CIRCLE_STYLE = {"color": "#08306b", "weight": 2, "opacity": 0.9, "fill": True,
                "fillColor": "#6baed6", "fillOpacity": 0.15, "dashArray": "6 4", "radius": 6}


class CatchmentOnClick(SafeMacroElement):
    """Draw a circle of ``radius_m`` around a clicked feature of the given layers."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var ring = L.layerGroup().addTo(map);
            function show(e) {
                var l = e.layer || e.target;
                var ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
                ring.clearLayers();
                L.circle(ll, L.extend({radius: {{ this.radius_m }}, interactive: false},
                                      {{ this.style }})).addTo(ring);
            }
            {% for name in this.targets %}{{ name }}.on("click", show);
            {% endfor %}
            map.on("keydown", function (ev) {
                if (ev.originalEvent.key === "Escape") { ring.clearLayers(); }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, targets: list[str], radius_m: float, style: dict) -> None:
        super().__init__()
        self._name = "CatchmentOnClick"
        self.targets = [js_identifier(t) for t in targets]
        self.radius_m = js_json(float(radius_m))
        self.style = js_json(style)


def parking_map(
    result,
    *,
    title: str = "杨浦区停车供需分析（夜间）",
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    top_compounds: int = 200,
    label_candidates: int = 10,
) -> folium.Map:
    """Map a :class:`~yangpu_gis.analysis.parking.ParkingResult`.

    Parameters
    ----------
    result : ParkingResult
        From :func:`yangpu_gis.analysis.parking.analyze_parking` (with grid cells).
    title : str, keyword-only
        Title box text.
    data_date : str or date, optional, keyword-only
        Shown under the title.
    offline : bool, keyword-only
        One self-contained HTML file (no tiles, Leaflet inlined).
    basemap : str, optional, keyword-only
        As in :func:`yangpu_gis.maps.layer_map`.
    top_compounds : int, keyword-only
        How many compounds with the largest night shortfall are drawn.
    label_candidates : int, keyword-only
        The best this-many candidates carry a permanent label with their shareable spaces.

    Returns
    -------
    folium.Map
    """
    catchment = float(result.parameters["catchment_m"])
    how = "沿道路步行" if result.distance_method == "network" else "直线距离"
    m = base.new_map(basemap=basemap, offline=offline, title=title, data_date=data_date)
    if result.grid_balance is not None and len(result.grid_balance):
        grid = result.grid_balance.rename(columns={
            "grid_id": "网格编号", "name": "网格名称", "subdistrict_id": "街道代码",
            "supply_night": "夜间可用泊位", "demand_night": "夜间需求泊位",
            "balance_night": "夜间供需差", "ratio_night": "夜间供需比",
            "supply_day": "日间可用泊位", "demand_day": "日间需求泊位",
            "balance_day": "日间供需差", "ratio_day": "日间供需比",
        })
        grid = grid.round(2)
        choropleth_map(grid, "夜间供需差", scheme="Quantiles", k=6, label="网格夜间泊位供需差",
                       cmap="RdYlGn", m=m, offline=offline, basemap=basemap)
    comp = result.compounds.head(top_compounds)
    if len(comp):
        frame = gpd.GeoDataFrame({
            "小区名称": comp["name"].to_numpy(),
            "小区编号": comp["compound_id"].to_numpy(),
            "建成年份": comp["built_year"].astype("Int64").to_numpy(),
            "户数": comp["households"].astype("Int64").to_numpy(),
            "夜间需求(泊位)": comp["demand_night"].round(0).to_numpy(),
            "自有泊位": comp["own_night"].round(0).to_numpy(),
            "步行可达公共泊位/缺口": comp["public_access_night"].round(3).to_numpy(),
            "夜间满足率": comp["access_ratio_night"].round(3).to_numpy(),
            "夜间缺口(泊位)": comp["shortfall_night"].round(0).to_numpy(),
            "挖潜排名": comp["rank"].to_numpy(),
            "缺口等级": ["严重" if v >= 200 else "一般" for v in comp["shortfall_night"]],
        }, geometry=comp.geometry.to_numpy(), crs=comp.crs)
        shortage = add_layer(m, frame, None, name=f"夜间停车缺口小区（前{len(frame)}）",
                             style=SHORTAGE_STYLE)
    else:
        shortage = None
    cand = result.candidates[result.candidates["covered"] > 0]
    if len(cand):
        labels = [f"可共享{int(round(v))}位" if i < label_candidates else None
                  for i, v in enumerate(cand["covered"])]
        frame = gpd.GeoDataFrame({
            "车库名称": cand["name"].to_numpy(),
            "编号": cand["facility_id"].to_numpy(),
            "类型": [_KIND_CN.get(k, k) for k in cand["kind"]],
            "泊位数": cand["capacity"].round(0).to_numpy(),
            "夜间空余泊位": cand["spare_night"].round(0).to_numpy(),
            f"{catchment:g}米内夜间缺口": cand["shortfall_in_catchment"].round(0).to_numpy(),
            "可共享泊位": cand["covered"].round(0).to_numpy(),
            "排名": cand["rank"].to_numpy(),
            "标注": labels,
        }, geometry=cand.geometry.to_numpy(), crs=cand.crs)
        candidates = add_layer(m, frame, None, name="错峰共享候选车库", style=CANDIDATE_STYLE)
    else:
        candidates = None
    targets = [e.get_name() for e in (candidates, shortage) if e is not None]
    if targets:
        m.add_child(CatchmentOnClick(targets, catchment, CIRCLE_STYLE))
        st = base.state_of(m)
        st.legend.add_section(
            "点击车库或小区",
            [swatch(f"{catchment:g} 米步行服务范围（{how}计算，圆为示意）", CIRCLE_STYLE, "area")],
            attrs=f' data-catchment-m="{escape_html(catchment)}"',
        )
    return base.finalise(m)

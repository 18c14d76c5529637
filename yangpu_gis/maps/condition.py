"""Maps of the condition analyses: waterlogging risk, water quality, road condition."""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .choropleth import choropleth_map
from .layers import add_layer, add_subdistricts
from .styles import ClassStyle, LayerStyle

__all__ = ["WATER_CLASS_COLOURS", "road_condition_map", "water_quality_map", "waterlogging_map"]

#: Conventional colours of GB 3838 classes (I blue … 劣V red).
WATER_CLASS_COLOURS = {"I": "#2c7bb6", "II": "#00a6ca", "III": "#1a9641", "IV": "#fdae61",
                       "V": "#f46d43", "劣V": "#d7191c"}
_GRADE_COLOURS = {"优": "#1a9641", "良": "#a6d96a", "中": "#fdae61", "差": "#d7191c"}


def _new(title: str, offline: bool, data_date: object) -> folium.Map:
    return base.new_map(offline=offline, title=title, data_date=data_date)


def waterlogging_map(report, *, subdistricts: gpd.GeoDataFrame | None = None,
                     offline: bool = False, data_date: object = None) -> folium.Map:
    """Depressions (coloured by max depth), roads and compounds at risk."""
    deps = report.depressions
    if len(deps):
        m = choropleth_map(deps, "max_depth_m", scheme="Quantiles", k=min(5, max(len(deps), 1)),
                           label="最大积水深度(m)", cmap="Blues", offline=offline,
                           title="杨浦区积水风险（洼地、受影响道路与小区）", data_date=data_date)
    else:
        m = _new("杨浦区积水风险（未发现洼地）", offline, data_date)
    add_subdistricts(m, subdistricts)
    if len(report.roads):
        add_layer(m, report.roads, None, name="积水风险道路",
                  style=LayerStyle(default=ClassStyle("洼地内路段", "#b2182b", 4.0)))
    if len(report.compounds):
        add_layer(m, report.compounds, None, name="积水风险小区",
                  style=LayerStyle(default=ClassStyle("洼地内小区部分", "#762a83", 1.5,
                                                      fill_color="#c2a5cf", fill_opacity=0.7)))
    return base.finalise(m)


def water_quality_map(rivers: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, *,
                      offline: bool = False, data_date: object = None) -> folium.Map:
    """River stretches coloured by the GB 3838 class of their nearest station
    (:func:`~yangpu_gis.analysis.water_quality.river_classes`), and the stations."""
    m = _new("杨浦区河道水质（GB 3838-2002 类别）", offline, data_date)
    classes = {k: ClassStyle(f"{k}类" if k != "劣V" else "劣V类", c, 4.0, fill_color=c,
                             fill_opacity=0.6) for k, c in WATER_CLASS_COLOURS.items()}
    r = rivers.assign(**{"class": rivers["class"].fillna("无数据")})
    add_layer(m, r, "rivers", name="河道水质", style=LayerStyle(category="class", classes={
        **classes, "无数据": ClassStyle("无监测", "#969696", 2.0, fill_color="#d9d9d9",
                                      fill_opacity=0.5)}))
    if len(stations):
        s = stations.assign(**{"class": stations["class"].fillna("无数据")})
        add_layer(m, s, None, name="监测断面", style=LayerStyle(category="class", classes={
            k: ClassStyle(v.label, "#252525", 1.0, fill_color=v.color, fill_opacity=0.95,
                          radius=7) for k, v in classes.items()}))
    return base.finalise(m)


def road_condition_map(subdistricts: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *,
                       offline: bool = False, data_date: object = None) -> folium.Map:
    """Choropleth of 好路率 by subdistrict (column ``good_rate``) and roads by grade."""
    subs = subdistricts.assign(good_rate_pct=subdistricts["good_rate"] * 100)
    m = choropleth_map(subs, "good_rate_pct", scheme="Quantiles", k=5, label="好路率(%)",
                       cmap="RdYlGn", offline=offline, title="杨浦区好路率（按街道）",
                       data_date=data_date)
    add_layer(m, roads.assign(grade=roads["grade"].fillna("无PCI")), "roads",
              name="道路技术状况等级", style=LayerStyle(category="grade", classes={
                  **{k: ClassStyle(k, c, 2.5) for k, c in _GRADE_COLOURS.items()},
                  "无PCI": ClassStyle("无PCI", "#bdbdbd", 1.5)}))
    return base.finalise(m)

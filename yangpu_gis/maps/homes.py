"""The 美丽家园 map: compounds by renovation, misconnection points, added elevators."""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .layers import add_layer, add_subdistricts
from .styles import ClassStyle, LayerStyle

__all__ = ["homes_map"]

_MIS = {"found": ClassStyle("待整改", "#b2182b", 1.0, fill_color="#ef3b2c", fill_opacity=0.95,
                            radius=5),
        "fixing": ClassStyle("整改中", "#e66101", 1.0, fill_color="#fdb863", fill_opacity=0.95,
                             radius=5),
        "fixed": ClassStyle("已整改", "#1a9641", 1.0, fill_color="#a6d96a", fill_opacity=0.95,
                            radius=4),
        "verified": ClassStyle("已验收", "#006837", 1.0, fill_color="#1a9850",
                               fill_opacity=0.95, radius=4)}
_ELE = {"in_service": ClassStyle("已投用", "#08519c", 1.0, fill_color="#3182bd",
                                 fill_opacity=0.95, radius=6),
        "completed": ClassStyle("已竣工", "#08519c", 1.0, fill_color="#6baed6",
                                fill_opacity=0.95, radius=6),
        "under_construction": ClassStyle("施工中", "#54278f", 1.0, fill_color="#9e9ac8",
                                         fill_opacity=0.95, radius=6),
        "approved": ClassStyle("已立项", "#54278f", 1.0, fill_color="#dadaeb",
                               fill_opacity=0.95, radius=6),
        "proposed": ClassStyle("意向", "#737373", 1.0, fill_color="#f0f0f0",
                               fill_opacity=0.95, radius=6)}


def homes_map(result, *, subdistricts: gpd.GeoDataFrame | None = None,
              offline: bool = False, data_date: object = None,
              title: str = "杨浦区美丽家园建设进展") -> folium.Map:
    """Compounds by renovation period, misconnection points by status, elevators by status.

    Parameters
    ----------
    result : HomesResult
        From :func:`~yangpu_gis.analysis.homes.analyze_homes`.
    subdistricts : GeoDataFrame, optional
    offline, data_date
        As for :func:`yangpu_gis.maps.layer_map`.
    title : str

    Returns
    -------
    folium.Map
    """
    m = base.new_map(offline=offline, title=title, data_date=data_date)
    add_subdistricts(m, subdistricts)
    p = result.parameters
    period = f"{p['first_year']}–{p['last_year']} 改造"
    earlier = f"{p['first_year']} 年前改造"
    c = result.compounds
    cols = [x for x in ("compound_id", "name", "households", "renovated_year", "floor_area_m2")
            if x in c]
    add_layer(m, c[[*cols, "renovation", c.geometry.name]], "residential_compounds",
              name="住宅小区", style=LayerStyle(category="renovation", classes={
                  period: ClassStyle(period, "#1a9641", 1.0, fill_color="#a6d96a",
                                     fill_opacity=0.7),
                  earlier: ClassStyle(earlier, "#4393c3", 1.0, fill_color="#d1e5f0",
                                      fill_opacity=0.7),
                  "未改造": ClassStyle("未改造", "#969696", 1.0, fill_color="#f0f0f0",
                                    fill_opacity=0.6)}),
              category_label="美丽家园改造", popup_columns=cols)
    if len(result.misconnections):
        add_layer(m, result.misconnections, "sewer_misconnections", name="雨污混接点",
                  style=LayerStyle(category="status", classes=_MIS), category_label="整改状态",
                  cluster=False)
    if len(result.elevators):
        add_layer(m, result.elevators, "elevator_installations", name="加装电梯",
                  style=LayerStyle(category="status", classes=_ELE), category_label="进展状态",
                  cluster=False)
    return base.finalise(m)

"""The root-cause map (诉求成因图): :func:`causes_map`.

Work orders coloured by the kind of their cause (works, depression, bad road), a thin line
from each to its cause, and the causes that explain orders: permits, depressions and roads,
with the number of orders each explains in its popup.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .layers import add_layer, add_subdistricts
from .styles import ClassStyle, LayerStyle

__all__ = ["CAUSE_STYLES", "causes_map"]

#: Order colours by cause kind (keys of ``analysis.causes.CAUSE_KINDS``).
CAUSE_STYLES: dict[str, ClassStyle] = {
    "permit": ClassStyle("掘路施工引起", "#e66101", 1.0, fill_color="#fdb863", fill_opacity=0.95,
                         radius=4),
    "depression": ClassStyle("洼地积水", "#2166ac", 1.0, fill_color="#67a9cf", fill_opacity=0.95,
                             radius=4),
    "road": ClassStyle("路况差（PCI 中/差）", "#b2182b", 1.0, fill_color="#ef8a62",
                       fill_opacity=0.95, radius=4),
}
_LINK = LayerStyle(default=ClassStyle("工单—成因连线", "#525252", 1.0, opacity=0.6))
_PERMITS = LayerStyle(default=ClassStyle("引起诉求的掘路许可", "#e66101", 2.0,
                                         fill_color="#fdb863", fill_opacity=0.5))
_DEPRESSIONS = LayerStyle(default=ClassStyle("引起积水诉求的洼地", "#2166ac", 1.0,
                                             fill_color="#92c5de", fill_opacity=0.5))
_ROADS = LayerStyle(default=ClassStyle("引起破损诉求的道路", "#b2182b", 4.0, opacity=0.8))
_ORDER_LABELS = {"complaint_id": "工单编号", "category": "问题类别", "case_id": "案件",
                 "cause_id": "成因编号", "distance_m": "距离(m)", "days": "开工后天数"}


def _explaining(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not len(frame) or "n_complaints" not in frame:
        return frame.iloc[:0]
    out = frame[frame["n_complaints"].fillna(0) > 0]
    return out.rename(columns={"n_complaints": "诉求工单数", "n_cases": "案件数"})


def causes_map(result, *, subdistricts: gpd.GeoDataFrame | None = None,
               offline: bool = False, data_date: object = None,
               title: str = "杨浦区12345诉求成因") -> folium.Map:
    """Orders by cause kind, lines to their causes, and the permits, depressions and roads
    that explain them.

    Parameters
    ----------
    result : CausesResult
        From :func:`~yangpu_gis.analysis.causes.analyze_causes`.
    subdistricts : GeoDataFrame, optional
        Drawn as outlines.
    offline, data_date
        As for :func:`yangpu_gis.maps.layer_map`.
    title : str
        The map's title.

    Returns
    -------
    folium.Map
    """
    m = base.new_map(offline=offline, title=title, data_date=data_date)
    add_subdistricts(m, subdistricts)
    deps = _explaining(result.depressions)
    if len(deps):
        cols = [c for c in ("depression_id", "max_depth_m", "area_m2", "诉求工单数", "案件数")
                if c in deps]
        add_layer(m, deps[[*cols, deps.geometry.name]], None, name="洼地", style=_DEPRESSIONS,
                  popup_columns=cols, tip_column="depression_id")
    roads = _explaining(result.roads)
    if len(roads):
        cols = [c for c in ("road_id", "name", "pci", "grade", "诉求工单数", "案件数")
                if c in roads]
        add_layer(m, roads[[*cols, roads.geometry.name]], None, name="路况差道路",
                  style=_ROADS, popup_columns=cols)
    permits = _explaining(result.permits)
    if len(permits):
        cols = [c for c in ("permit_id", "applicant", "planned_start", "planned_end",
                            "诉求工单数", "案件数") if c in permits]
        add_layer(m, permits[[*cols, permits.geometry.name]], None, name="掘路许可",
                  style=_PERMITS, popup_columns=cols, tip_column="permit_id")
    links = result.links
    if len(links):
        add_layer(m, links[["complaint_id", links.geometry.name]], None, name="成因连线",
                  style=_LINK, popup_columns=["complaint_id"])
        shown = links.copy()
        shown["geometry"] = shown.geometry.interpolate(0.0)
        shown = shown.rename(columns=_ORDER_LABELS)
        add_layer(m, shown, None, name="已找到成因的工单", style=LayerStyle(
            category="cause_kind", classes=CAUSE_STYLES), category_label="成因",
            popup_columns=list(_ORDER_LABELS.values()), cluster=False,
            tip_column="问题类别", legend_title=f"已找到成因的工单（{len(links):,}）")
    return base.finalise(m)

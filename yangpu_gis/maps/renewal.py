"""The pipeline renewal map (管线更新优先级图): :func:`renewal_map`."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from . import base
from .layers import add_layer, add_subdistricts
from .styles import ClassStyle, LayerStyle

__all__ = ["SCORE_CLASSES", "renewal_map"]

#: Score classes (lower bound, label, colour), best first; round numbers for the legend.
SCORE_CLASSES = ((80, "80–100 分 最优先", "#a50026"), (60, "60–80 分", "#e34a33"),
                 (40, "40–60 分", "#fc8d59"), (20, "20–40 分", "#9ecae1"),
                 (0, "0–20 分", "#d0d0d0"))
_LABELS = {"pipe_id": "管线编号", "rank": "更新次序", "score": "优先级得分", "utility": "管线类别",
           "material": "材质", "install_year": "敷设年份", "pressure_class": "压力等级",
           "n_permits_near": "近年周边掘路许可", "n_complaints_near": "周边相关诉求",
           "n_schools_hospitals_near": "周边学校医院"}


def renewal_map(result, *, subdistricts: gpd.GeoDataFrame | None = None,
                offline: bool = False, data_date: object = None,
                title: str = "杨浦区管线更新优先级") -> folium.Map:
    """Segments coloured by renewal score class; gas cast-iron mains near schools and
    hospitals drawn on top.

    Parameters
    ----------
    result : PipelinesResult
        From :func:`~yangpu_gis.analysis.pipelines.analyze_pipelines`.
    subdistricts : GeoDataFrame, optional
        Drawn as outlines.
    offline, data_date
        As for :func:`yangpu_gis.maps.layer_map`.
    title : str

    Returns
    -------
    folium.Map
    """
    m = base.new_map(offline=offline, title=title, data_date=data_date)
    add_subdistricts(m, subdistricts)
    r = result.renewal
    lower = np.array([c[0] for c in SCORE_CLASSES])
    cls = [SCORE_CLASSES[int(np.argmax(s >= lower))][1] for s in r["score"].to_numpy()]
    # lowest scores first, so that the segments to renew first are drawn on top
    shown = r.assign(priority=cls).sort_values(["score", "pipe_id"], ignore_index=True)
    cols = [c for c in _LABELS if c in shown]
    shown = shown[[*cols, "priority", shown.geometry.name]].rename(columns=_LABELS)
    width = {0: 4.0, 1: 3.0, 2: 2.2, 3: 1.4, 4: 1.0}
    add_layer(m, shown, None, name="管线（按更新优先级）", style=LayerStyle(
        category="priority", classes={label: ClassStyle(label, colour, width[i])
                                      for i, (_lo, label, colour) in enumerate(SCORE_CLASSES)}),
        category_label="更新优先级得分", popup_columns=list(_LABELS[c] for c in cols),
        tip_column="管线编号")
    gas = result.gas_safety
    if len(gas) and gas["near_sensitive"].any():
        ids = set(gas.loc[gas["near_sensitive"], "pipe_id"])
        top = r[r["pipe_id"].isin(ids)].merge(
            gas[["pipe_id", "safety_rank", "nearest_school_or_hospital", "distance_m"]],
            on="pipe_id")
        top = top[["pipe_id", "safety_rank", "material", "install_year",
                   "nearest_school_or_hospital", "distance_m", "geometry"]].rename(columns={
                       "pipe_id": "管线编号", "safety_rank": "燃气安全次序", "material": "材质",
                       "install_year": "敷设年份", "nearest_school_or_hospital": "最近学校/医院",
                       "distance_m": "距离(m)"})
        add_layer(m, top, None, name="学校医院旁的铸铁燃气管", style=LayerStyle(
            default=ClassStyle("铸铁燃气管（学校/医院 100 米内）", "#000000", 4.0, dash="6 4")),
            tip_column="管线编号")
    return base.finalise(m)

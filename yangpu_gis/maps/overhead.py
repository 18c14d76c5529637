"""The 架空线入地 map: overhead lines by status, overdue ones marked."""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .layers import add_layer, add_subdistricts
from .styles import ClassStyle, LayerStyle

__all__ = ["overhead_map"]

_STATUS = {"buried": ClassStyle("已入地", "#1a9641", 2.0, opacity=0.8),
           "removed": ClassStyle("已拆除（含无主架空线清理）", "#2c7bb6", 2.0, opacity=0.8),
           "burying": ClassStyle("入地施工中", "#fdae61", 3.0),
           "overhead": ClassStyle("架空（未入地）", "#d7191c", 3.0)}
_LABELS = {"line_id": "架空线编号", "kind": "线路类别", "owner": "权属单位", "road_id": "道路编号",
           "plan_year": "入地计划年度", "buried_date": "入地日期", "length_m": "长度(m)"}


def overhead_map(result, *, subdistricts: gpd.GeoDataFrame | None = None,
                 offline: bool = False, data_date: object = None,
                 title: str = "杨浦区架空线入地进展") -> folium.Map:
    """Overhead lines coloured by status; overdue lines (planned for a past year) drawn on
    top with a dashed black line.

    Parameters
    ----------
    result : OverheadResult
        From :func:`~yangpu_gis.analysis.overhead.analyze_overhead`.
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
    ln = result.lines
    cols = [c for c in _LABELS if c in ln]
    shown = ln[[*cols, "status", ln.geometry.name]].rename(columns=_LABELS)
    add_layer(m, shown, None, name="架空线", style=LayerStyle(category="status",
                                                            classes=_STATUS),
              category_label="状态", popup_columns=[_LABELS[c] for c in cols],
              tip_column="架空线编号")
    late = ln[ln["overdue"]]
    if len(late):
        add_layer(m, late[[*cols, late.geometry.name]].rename(columns=_LABELS), None,
                  name="逾期未入地", style=LayerStyle(default=ClassStyle(
                      "计划年度已过仍未入地", "#000000", 3.5, dash="6 4")),
                  popup_columns=[_LABELS[c] for c in cols], tip_column="架空线编号")
    return base.finalise(m)

"""Coverage-gap maps (全覆盖 / 空白点) of a :class:`~yangpu_gis.analysis.coverage.PresetReport`.

:func:`coverage_map` draws any report: a choropleth of the subdistricts (covered share, or
households out of reach), the covered and uncovered parts (green and red), the ranked
longest uncovered stretches with their rank as a label, the providers, and — for the grid
check — gaps, overlapping cells, cells beyond the district and the 三不管 roads. Layers the
report does not have are skipped; each layer's popup shows its attributes in Chinese.
"""

from __future__ import annotations

import warnings

import folium
import geopandas as gpd
import numpy as np

from . import base
from .choropleth import choropleth_map
from .layers import add_layer
from .safe import escape_html
from .styles import ClassStyle, LayerStyle

__all__ = ["LAYER_STYLES", "coverage_map"]

_COVERED = ClassStyle("已覆盖", "#1a9850", 3.0, fill_color="#66bd63", fill_opacity=0.35)
_UNCOVERED = ClassStyle("未覆盖（空白点）", "#d7301f", 3.0, fill_color="#fc8d59", fill_opacity=0.5)


def _one_style(name: str, style: ClassStyle, shown: bool = True) -> tuple[str, LayerStyle, bool]:
    """A :data:`LAYER_STYLES` entry of a layer drawn in one style."""
    return name, LayerStyle(default=style), shown


#: Report layer -> (legend/layer-switcher name, style, shown when the map opens).
LAYER_STYLES: dict[str, tuple[str, LayerStyle, bool]] = {
    "grid_cells": _one_style("网格", ClassStyle("网格", "#8c8c8c", 0.6, opacity=0.7)),
    "beautiful_blocks": _one_style(
        "美丽街区",
        ClassStyle("美丽街区", "#1a9850", 1.0, fill_color="#a6d96a", fill_opacity=0.45),
    ),
    "service_area": _one_style(
        "服务范围",
        ClassStyle(
            "服务范围", "#6baed6", 1.0, fill_color="#c6dbef", fill_opacity=0.25, dash="4 3"
        ),
        shown=False,
    ),
    "reach": _one_style(
        "步行可达路段", ClassStyle("步行可达路段", "#4292c6", 2.0, opacity=0.7)
    ),
    "covered_streets": _one_style("已覆盖街道", _COVERED),
    "uncovered_streets": _one_style("未覆盖街道", _UNCOVERED),
    "covered": _one_style("已覆盖", _COVERED),
    "uncovered": _one_style("未覆盖", _UNCOVERED),
    "rivers_covered": _one_style(
        "监测覆盖河段",
        ClassStyle("监测覆盖河段", "#2171b5", 3.0, fill_color="#9ecae1", fill_opacity=0.6),
    ),
    "rivers_uncovered": _one_style("监测空白河段", _UNCOVERED),
    "uncovered_stretches": (
        "最长未覆盖路段（排名）",
        LayerStyle(
            default=ClassStyle("未覆盖路段（标注为排名）", "#67000d", 6.0, opacity=0.85),
            label_column="标注",
        ),
        True,
    ),
    "compounds_reached": _one_style(
        "可达小区",
        ClassStyle(
            "300米内有公共/共享停车", "#737373", 0.8, fill_color="#bdbdbd", fill_opacity=0.35
        ),
        shown=False,
    ),
    "compounds_unreached": _one_style(
        "不可达小区",
        ClassStyle(
            "步行范围内无公共/共享停车", "#a50f15", 1.5, fill_color="#fb6a4a", fill_opacity=0.6
        ),
    ),
    "facilities": _one_style(
        "公共/共享停车设施",
        ClassStyle(
            "公共/共享停车设施", "#08306b", 1.0, fill_color="#2171b5", fill_opacity=0.9, radius=5
        ),
    ),
    "providers": _one_style(
        "服务设施",
        ClassStyle("服务设施", "#08306b", 1.0, fill_color="#2171b5", fill_opacity=0.9, radius=5),
    ),
    "stations": _one_style(
        "水质监测点",
        ClassStyle(
            "水质监测点", "#00441b", 1.0, fill_color="#41ab5d", fill_opacity=0.95, radius=6
        ),
    ),
    "gaps": _one_style(
        "网格空白区",
        ClassStyle("不属于任何网格", "#d7301f", 2.0, fill_color="#ef3b2c", fill_opacity=0.6),
    ),
    "overlaps": _one_style(
        "网格重叠区",
        ClassStyle("网格重叠", "#54278f", 2.0, fill_color="#807dba", fill_opacity=0.6),
    ),
    "outside": _one_style(
        "超出区界的网格",
        ClassStyle(
            "网格超出区界", "#e6550d", 1.5, fill_color="#fdae6b", fill_opacity=0.5, dash="5 3"
        ),
    ),
    "roads": (
        "三不管道路",
        LayerStyle(
            category="issue",
            classes={
                "no_subdistrict": ClassStyle("不属于任何街道", "#d7301f", 5.0),
                "partly_outside": ClassStyle("部分在区界外", "#fd8d3c", 4.0),
                "straddles": ClassStyle("跨多个街道", "#7a0177", 4.0),
                "on_boundary": ClassStyle("沿街道边界", "#f768a1", 4.0),
            },
        ),
        True,
    ),
}

#: Chinese popup labels of report columns.
COLUMN_LABELS: dict[str, str] = {
    "target_id": "编号",
    "name": "名称",
    "road_class": "道路等级",
    "length_m": "长度(m)",
    "area_m2": "面积(m²)",
    "covered_share": "覆盖率",
    "rank": "排名",
    "target_ids": "路段编号",
    "provider_id": "编号",
    "service_m": "服务半径(m)",
    "kind": "类型",
    "households": "户数",
    "built_year": "建成年份",
    "nearest_provider_id": "最近设施",
    "nearest_name": "最近设施名称",
    "nearest_kind": "最近设施类型",
    "nearest_distance_m": "最近距离(m)",
    "gap_id": "空白区编号",
    "subdistrict_id": "街道代码",
    "grid_id": "网格编号",
    "grid_id_a": "网格甲",
    "grid_id_b": "网格乙",
    "subdistrict_a": "街道甲",
    "subdistrict_b": "街道乙",
    "road_id": "道路编号",
    "maintainer": "养护单位",
    "n_subdistricts": "涉及街道数",
    "subdistrict_ids": "涉及街道",
    "subdistrict_lengths_m": "各街道内长度(m)",
    "outside_m": "区界外长度(m)",
    "on_boundary_m": "沿边界长度(m)",
    "station_id": "监测点编号",
    "river_id": "河道编号",
    "source": "来源",
    "capacity": "泊位数",
    "facility_id": "编号",
    "block_id": "街区编号",
    "year": "建设年度",
}
_POPUP_SKIP = {
    "target_row",
    "covered",
    "reached",
    "no_subdistrict",
    "partly_outside",
    "straddles",
    "on_boundary",
    "batch_id",
    "geometry",
}

#: Choropleth column of the subdistricts per report and its legend label and colours.
_CHOROPLETH = {
    "covered_share": ("街道覆盖率", "RdYlGn"),
    "households_unreached": ("步行范围外的户数", "Purples"),
}


def _popup_frame(gdf: gpd.GeoDataFrame, keep_category: str | None = None) -> gpd.GeoDataFrame:
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c not in _POPUP_SKIP or c in (keep_category, geom)]
    frame = gdf[cols].copy()
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype.kind == "f":
            frame[c] = frame[c].round(3 if "share" in c else 1)
    frame = frame.rename(
        columns={
            c: COLUMN_LABELS.get(c, c)
            for c in cols
            if c not in (keep_category, frame.geometry.name)
        }
    )
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame.attrs = {}
    return frame


def coverage_map(
    report,
    *,
    title: str | None = None,
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    label_stretches: int = 10,
) -> folium.Map:
    """Map a :class:`~yangpu_gis.analysis.coverage.PresetReport`.

    Parameters
    ----------
    report : PresetReport
        From a preset (:func:`~yangpu_gis.analysis.coverage.beautiful_streets`,
        ``parking_reach``, ``grid_completeness``, ``river_monitoring``) or
        :func:`~yangpu_gis.analysis.coverage.custom_report`.
    title : str, optional, keyword-only
        Title box text; default the report's title.
    data_date : str or date, optional, keyword-only
        Shown under the title.
    offline : bool, keyword-only
        One self-contained HTML file (no tiles, Leaflet inlined).
    basemap : str, optional, keyword-only
        As in :func:`yangpu_gis.maps.layer_map`.
    label_stretches : int, keyword-only
        The longest this-many uncovered stretches carry their rank as a label.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from yangpu_gis.analysis.coverage import grid_completeness  # doctest: +SKIP
    >>> m = coverage_map(grid_completeness(cells, subdistricts=subs), offline=True)  # doctest: +SKIP
    """
    m = base.new_map(
        basemap=basemap,
        offline=offline,
        title=title or f"杨浦区{report.title}",
        data_date=data_date,
    )
    layers = report.layers
    subs = layers.get("subdistricts")
    if subs is not None and len(subs):
        col = next((c for c in _CHOROPLETH if c in subs.columns), None)
        values = subs[col].astype(float).to_numpy() if col else np.empty(0)
        ok = values[~np.isnan(values)] if len(values) else values
        if col and len(np.unique(ok)) >= 2:
            label, cmap = _CHOROPLETH[col]
            frame = _popup_frame(subs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                choropleth_map(
                    frame,
                    COLUMN_LABELS.get(col, col),
                    scheme="FisherJenks",
                    k=min(5, len(np.unique(ok))),
                    label=label,
                    cmap=cmap,
                    m=m,
                    offline=offline,
                    basemap=basemap,
                )
        else:
            add_layer(
                m,
                _popup_frame(subs),
                None,
                name="街道",
                style=LayerStyle(default=ClassStyle("街道", "#4d4d4d", 2.0, dash="7 4")),
            )
    for key, (name, style, show) in LAYER_STYLES.items():
        gdf = layers.get(key)
        if gdf is None or not len(gdf):
            continue
        gdf = gdf[~(gdf.geometry.is_empty | gdf.geometry.isna())]
        if not len(gdf):
            continue
        frame = _popup_frame(gdf, keep_category=style.category)
        if key == "uncovered_stretches":
            ranks = gdf["rank"].to_numpy() if "rank" in gdf else np.arange(1, len(gdf) + 1)
            names = gdf["name"].to_numpy(object) if "name" in gdf else [None] * len(gdf)
            frame["标注"] = [
                f"{r} {n or ''}".strip() if r <= label_stretches else None
                for r, n in zip(ranks, names, strict=True)
            ]
        add_layer(m, frame, None, name=name, style=style, show=show)
    for note in report.notes:
        base.state_of(m).legend.add_section("说明", [f"<div>{escape_html(note)}</div>"])
    return base.finalise(m)

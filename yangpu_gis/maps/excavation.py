"""The excavation coordination map (掘路协调图): :func:`excavation_map`.

Permits coloured by conflict status, roads inside their moratorium, pipelines at risk, all
on the package's compact canvas layers (:func:`yangpu_gis.maps.layers.add_layer`), plus a
date filter: two date fields and a month slider (with play) that show only the permits
whose period ``[planned_start, planned_end]`` meets the chosen range, and only the roads
still inside their protection window on the range's last day.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import ValidationError
from . import base
from .layers import add_layer
from .safe import SafeMacroElement, Template, js_json
from .styles import ClassStyle, LayerStyle, get_style

__all__ = ["STATUS_STYLES", "DateFilter", "excavation_map"]

#: Permit colours by conflict status (keys of ``analysis.excavation.STATUS_LABELS``).
STATUS_STYLES: dict[str, ClassStyle] = {
    "moratorium": ClassStyle("违反禁挖期", "#7b00a8", 4.0, fill_opacity=0.6),
    "concurrent": ClassStyle("同期冲突", "#d7191c", 4.0, fill_opacity=0.6),
    "repeat": ClassStyle("反复开挖", "#f28e00", 4.0, fill_opacity=0.6),
    "none": ClassStyle("无冲突", "#2b8a3e", 3.0, fill_opacity=0.45),
}
_MORATORIUM_STYLES = {
    "new_road": ClassStyle("新建/改建道路（5年禁挖）", "#c51b7d", 7.0, opacity=0.55),
    "major_repair": ClassStyle("大修道路（3年禁挖）", "#4575b4", 7.0, opacity=0.55),
}
_CONTEXT_ROADS = LayerStyle(default=ClassStyle("道路", "#b8b8b8", 1.4, opacity=0.8))

#: Popup labels of the columns the analysis adds to permits.
_PERMIT_LABELS = {"group_id": "协调组", "concurrent": "同期冲突数", "repeats": "反复开挖数",
                  "breaches": "禁挖期违规数"}

_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values: pd.Series) -> list[int]:
    d = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    return (d - _EPOCH).astype(np.int64).tolist()


class DateFilter(SafeMacroElement):
    """A date-range control that filters features of compact layers by their periods.

    Parameters
    ----------
    periods : dict
        Layer name (as in the switcher) -> ``{"s": [...], "e": [...]}``, first and last day
        of each feature (days since 1970-01-01, aligned with the layer's features). A
        feature shows when its period meets the chosen range; with ``"atEnd": true``, only
        when it covers the range's last day (roads still protected then). ``"count": true``
        counts the layer's features in the control.
    first, last : int
        The slider's range (days since 1970).
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="yp-legend leaflet-control" id="{{ this.get_name() }}" style="min-width:260px">
        <h4>施工日期筛选</h4>
        <div>自 <input type="date" class="yp-from"> 至 <input type="date" class="yp-to"></div>
        <div style="display:flex;gap:6px;align-items:center;margin-top:4px">
        <button type="button" class="yp-play" title="按月播放">▶</button>
        <input type="range" class="yp-month" style="flex:1">
        <button type="button" class="yp-all">全部</button></div>
        <div class="yp-count" style="color:#555"></div>
        <div style="color:#555">禁挖期内道路：截至结束日仍在保护期</div></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var P = {{ this.periods_js }}, first = {{ this.first }}, last = {{ this.last }};
            var div = document.getElementById("{{ this.get_name() }}");
            var ctl = L.control({position: "topleft"});
            ctl.onAdd = function () {
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
            var q = function (c) { return div.querySelector(c); };
            var from = q(".yp-from"), to = q(".yp-to"), month = q(".yp-month");
            var iso = function (d) { return new Date(d * 864e5).toISOString().slice(0, 10); };
            var day = function (s) { return Math.floor(Date.parse(s) / 864e5); };
            var d0 = new Date(first * 864e5), d1 = new Date(last * 864e5);
            var months = (d1.getUTCFullYear() - d0.getUTCFullYear()) * 12
                + d1.getUTCMonth() - d0.getUTCMonth();
            month.min = 0; month.max = months; month.value = 0;
            var all = {};
            function layersOf(name) {
                if (!all[name]) {
                    var g = window.__yangpu.layers[name].group, list = [];
                    g.eachLayer(function (l) { if (l._yi !== undefined) { list.push(l); } });
                    all[name] = {group: g, list: list};
                }
                return all[name];
            }
            function apply() {
                var a = day(from.value), b = day(to.value), shown = 0, total = 0;
                Object.keys(P).forEach(function (name) {
                    if (!window.__yangpu.layers[name]) { return; }
                    var x = layersOf(name), s = P[name].s, e = P[name].e;
                    x.list.forEach(function (l) {
                        var lo = P[name].atEnd ? b : a;
                        var on = s[l._yi] <= b && e[l._yi] >= lo, has = x.group.hasLayer(l);
                        if (on && !has) { x.group.addLayer(l); }
                        if (!on && has) { x.group.removeLayer(l); }
                        if (P[name].count) { total++; if (on) { shown++; } }
                    });
                });
                q(".yp-count").textContent = "显示许可 " + shown + " / " + total;
            }
            function setMonth(k) {
                var y = d0.getUTCFullYear(), m = d0.getUTCMonth() + Number(k);
                from.value = iso(Date.UTC(y, m, 1) / 864e5);
                to.value = iso(Date.UTC(y, m + 1, 0) / 864e5);
                apply();
            }
            function reset() { from.value = iso(first); to.value = iso(last); apply(); }
            var timer = null;
            q(".yp-play").onclick = function () {
                if (timer) { clearInterval(timer); timer = null; this.textContent = "▶"; return; }
                this.textContent = "❚❚";
                timer = setInterval(function () {
                    month.value = (Number(month.value) + 1) % (months + 1);
                    setMonth(month.value);
                }, 800);
            };
            month.oninput = function () { setMonth(month.value); };
            from.onchange = apply; to.onchange = apply;
            q(".yp-all").onclick = reset;
            window.__yangpu.dateFilter = {set: function (a, b) {
                from.value = a; to.value = b; apply(); }, reset: reset};
            reset();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, periods: dict, first: int, last: int) -> None:
        super().__init__()
        self._name = "DateFilter"
        self.periods_js = js_json(periods)
        self.first = int(first)
        self.last = int(last)


def _one_group(
    permits: gpd.GeoDataFrame,
    status: pd.DataFrame,
    roads: gpd.GeoDataFrame,
    windows: pd.DataFrame,
    at_risk: pd.DataFrame,
    group_id: str,
    clip_m: float,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """The inputs of :func:`excavation_map` cut to one coordination group and its context."""
    if not np.isfinite(clip_m) or clip_m < 0:
        raise ValidationError(f"clip_m must be a number >= 0, got {clip_m!r}")
    if len(status) != len(permits):
        raise ValidationError("status is not aligned to permits",
                              hint="pass permit_status(permits, ...) of these permits")
    members = (status["group_id"] == group_id).to_numpy(dtype=bool)
    if not members.any():
        known = sorted(status["group_id"].dropna().unique())
        raise ValidationError(
            f"no permit in coordination group {group_id!r}",
            hint="groups: " + (", ".join(known[:10]) + (" …" if len(known) > 10 else "")
                               if known else "none (no conflicts)"))
    permits, status = permits[members], status[members]
    ids = set(permits["permit_id"].astype(str))
    at_risk = at_risk[at_risk["permit_id"].astype(str).isin(ids)]
    geoms = permits.geometry
    if roads.crs is not None and permits.crs is not None and permits.crs != roads.crs:
        geoms = geoms.to_crs(roads.crs)
    footprint = shapely.union_all(np.asarray(geoms.values, dtype=object))
    near = np.flatnonzero(shapely.dwithin(np.asarray(roads.geometry.values, dtype=object),
                                          footprint, float(clip_m)))
    # windows point into roads by position: keep those of the roads kept, renumbered
    new_pos = pd.Series(np.arange(len(near)), index=near)
    windows = windows[windows["row"].isin(near)].copy()
    windows["row"] = new_pos.reindex(windows["row"].to_numpy()).to_numpy()
    return permits, status, roads.iloc[near], windows, at_risk


def excavation_map(
    permits: gpd.GeoDataFrame,
    status: pd.DataFrame,
    roads: gpd.GeoDataFrame,
    windows: pd.DataFrame,
    pipelines: gpd.GeoDataFrame,
    at_risk: pd.DataFrame,
    *,
    group_id: str | None = None,
    clip_m: float = 300.0,
    title: str | None = None,
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
) -> folium.Map:
    """Permits by conflict status, roads under moratorium, pipelines at risk, date filter.

    With ``group_id``, the map of one coordination group: only the group's permits, the
    roads within ``clip_m`` of them (context) and the pipelines at risk from them.

    Parameters
    ----------
    permits : GeoDataFrame
        ``excavation_permits`` (any CRS).
    status : DataFrame
        :func:`yangpu_gis.analysis.excavation.permit_status`, aligned to ``permits``.
    roads : GeoDataFrame
        ``roads``: drawn thin as context; those with a protection window are highlighted.
    windows : DataFrame
        :func:`yangpu_gis.analysis.excavation.moratorium_windows` of ``roads`` (its ``row``
        column points into ``roads``). Only windows meeting the permits' period are drawn.
    pipelines : GeoDataFrame
        ``pipelines``; only those in ``at_risk`` are drawn.
    at_risk : DataFrame
        :func:`yangpu_gis.analysis.excavation.pipelines_at_risk`.
    group_id : str, optional, keyword-only
        A coordination group (``G001`` …, the ``group_id`` column of ``status``): draw only
        its permits, the roads (whole segments) within ``clip_m`` of them, their protection
        windows and the pipelines ``at_risk`` lists for them. The inputs can be the whole
        district's; nothing needs filtering first.
    clip_m : float, keyword-only, default 300
        Context around a group, in metres of the working CRS (``permits`` and ``roads`` in
        one metric CRS, as the registry gives them). Ignored without ``group_id``.
    title : str, optional, keyword-only
        Default ``杨浦区掘路协调图``, or ``掘路协调组 <group_id>`` with ``group_id``.
    data_date, offline, basemap
        As for :func:`yangpu_gis.maps.layer_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValidationError
        An unknown ``group_id``, or a negative ``clip_m``.

    Examples
    --------
    >>> res = analyze_excavation(permits, roads, pipelines)             # doctest: +SKIP
    >>> m = excavation_map(permits, res.permit_status, roads, moratorium_windows(roads),
    ...                    pipelines, res.pipelines_at_risk, group_id="G001")  # doctest: +SKIP
    """
    if group_id is not None:
        permits, status, roads, windows, at_risk = _one_group(
            permits, status, roads, windows, at_risk, group_id, clip_m)
    if title is None:
        title = "杨浦区掘路协调图" if group_id is None else f"掘路协调组 {group_id}"
    m = base.new_map(basemap=basemap, offline=offline, title=title, data_date=data_date)
    add_layer(m, roads[["road_id", "name", "road_class", roads.geometry.name]], "roads",
              name="道路", style=_CONTEXT_ROADS, legend_title="道路")
    periods: dict[str, dict] = {}
    first = int(np.min(_days(permits["planned_start"]))) if len(permits) else 0
    last = int(np.max(_days(permits["planned_end"]))) if len(permits) else 0

    w = windows[(pd.to_datetime(windows["protected_until"]) >= pd.Timestamp(first, unit="D"))
                & (pd.to_datetime(windows["protected_since"]) <= pd.Timestamp(last, unit="D"))]
    if len(w):
        prot = roads.iloc[w["row"].to_numpy()][["road_id", "name", roads.geometry.name]]
        prot = prot.reset_index(drop=True)
        prot["rule"] = w["rule"].to_numpy()
        prot["禁挖期起"] = pd.to_datetime(w["protected_since"]).dt.date.to_numpy()
        prot["禁挖期止"] = pd.to_datetime(w["protected_until"]).dt.date.to_numpy()
        name = "禁挖期内道路"
        add_layer(m, prot, "roads", name=name,
                  style=LayerStyle(category="rule", classes=_MORATORIUM_STYLES),
                  category_label="禁挖规则", popup_columns=["road_id", "name", "禁挖期起",
                                                           "禁挖期止"])
        periods[name] = {"s": _days(w["protected_since"]), "e": _days(w["protected_until"]),
                         "atEnd": True}

    if len(at_risk):
        near = at_risk.groupby("pipe_id")["permit_id"].agg(lambda s: ",".join(sorted(set(s))))
        pipes = pipelines[pipelines["pipe_id"].astype(str).isin(near.index)].copy()
        pipes["相关掘路许可"] = near.reindex(pipes["pipe_id"].astype(str)).to_numpy()
        add_layer(m, pipes, "pipelines", name="受威胁管线", style=get_style("pipelines"))

    shown = permits.copy()
    shown["冲突状态"] = status["conflict_status"].to_numpy()
    for col, label in _PERMIT_LABELS.items():
        shown[label] = status[col].to_numpy()
    keep = [c for c in ("permit_id", "applicant", "utility", "planned_start", "planned_end",
                        "road_id", "status") if c in permits.columns]
    add_layer(m, shown, "excavation_permits", name="掘路许可",
              style=LayerStyle(category="冲突状态", classes=STATUS_STYLES),
              category_label="冲突状态",
              popup_columns=[*[c for c in keep if c != "status"], *_PERMIT_LABELS.values(),
                             *(["status"] if "status" in keep else [])])
    periods["掘路许可"] = {"s": _days(permits["planned_start"]),
                        "e": _days(permits["planned_end"]), "count": True}
    m.add_child(DateFilter(periods, first, last))
    return base.finalise(m)

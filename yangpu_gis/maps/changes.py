"""The change map of a delivery (变更图): :func:`changes_map` of a :class:`LayerDiff`.

What a bureau's new delivery changed, on one page: added features green, removed red
(dashed), modified orange, with the modified features' former geometry as a thin grey
dashed line where it moved. Each feature's popup lists, for a modified one, the changed
fields (Chinese label, ``old → new``) and how far the geometry moved (Hausdorff distance,
length or area change); for an added or removed one, its attributes. With the
subdistricts, a panel counts the changes per subdistrict (街道) and each subdistrict's
popup gives its counts (:func:`changes_by_subdistrict`).

Everything goes through the package's map frame (:mod:`.base`), compact layers
(:func:`.layers.add_layer`), legend and escaping (:mod:`.safe`); offline it needs no
network at all.
"""

from __future__ import annotations

import html
from datetime import datetime, time

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..catalogue import BATCH_COLUMN, CATALOGUE
from ..errors import CRSError, ValidationError
from ..registry.history import LayerDiff
from . import base
from .elements import Legend, swatch
from .encode import format_value
from .layers import LARGE_LAYER_FEATURES, add_layer
from .safe import escape_html
from .styles import STYLES, ClassStyle, LayerStyle

__all__ = ["CHANGE_COLOURS", "CHANGE_LABELS", "OUTSIDE", "changes_by_subdistrict",
           "changes_map"]

#: Change kind -> colour. Green, red and orange as bureaus read them, in shades that stay
#: apart for red-green colour-blind readers (bluish green, red, amber differ in lightness);
#: removed features are also dashed, so the meaning never rests on colour alone.
CHANGE_COLOURS: dict[str, str] = {"added": "#009e73", "removed": "#d7191c",
                                  "modified": "#e69f00"}
#: Change kind -> Chinese legend label.
CHANGE_LABELS: dict[str, str] = {"added": "新增", "removed": "删除", "modified": "修改"}
#: Colour of the former geometry of modified features.
FORMER_COLOUR = "#5a5a5a"
#: Style of the unchanged features drawn as context.
CONTEXT = ClassStyle("未变要素", "#b4b4b4", 1.2, fill_opacity=0.0, opacity=0.8, radius=3.0)
#: Name of the summary row of features in no subdistrict.
OUTSIDE = "其他"

_KINDS = ("added", "removed", "modified")


# ------------------------------------------------------------------ numbers and text
def _metres(value: float, unit: str = "m", *, signed: bool = False) -> str:
    """A distance or area rounded as a planner reads it: one decimal below 10, whole above.

    Examples
    --------
    >>> _metres(3.14159), _metres(1234.56), _metres(-12.4, signed=True), _metres(0.01)
    ('3.1 m', '1,235 m', '-12 m', '< 0.1 m')
    >>> _metres(2e-10, signed=True), _metres(250.0, "m²", signed=True)
    ('0 m', '+250 m²')
    """
    v = float(value)
    if v == 0 or (signed and abs(v) < 0.05):
        return f"0 {unit}"
    if abs(v) < 0.05:
        return f"< 0.1 {unit}"
    text = f"{v:,.1f}" if abs(v) < 10 else f"{v:,.0f}"
    return f"{'+' if signed and v > 0 else ''}{text} {unit}"


def _text(value: object) -> str:
    """A value as plain text for a popup (escaped later, once, by the layer); a date
    stored as midnight shows as the date."""
    if isinstance(value, datetime) and not pd.isna(value) and value.tzinfo is None \
            and value.time() == time(0):
        value = value.date()
    shown = format_value(value)  # the popup's own formatting (dates, floats, 是/否) ...
    return "（空）" if shown is None else html.unescape(shown)  # ... without its escaping


def _value_labels(layer: str) -> dict[str, dict[str, str]]:
    """Column -> {value: Chinese label} of the layer's enumerations (catalogue layers)."""
    spec = CATALOGUE.get(layer)
    if spec is None:
        return {}
    return {c.name: c.value_labels for c in spec.columns if c.allowed}


def _show(column: str, value: object, enums: dict[str, dict[str, str]]) -> str:
    if value is not None and column in enums:
        value = enums[column].get(str(value), value)
    return _text(value)


def _layer_label(layer: str) -> str:
    spec = CATALOGUE.get(layer)
    return spec.label if spec is not None else str(layer)


# --------------------------------------------------------------------- geometry checks
def _geometry_frames(diff: LayerDiff) -> dict[str, gpd.GeoDataFrame]:
    """The drawn frame of each change kind (added: new, removed: old, modified: new)."""
    frames = {"added": diff.added, "removed": diff.removed, "modified": diff.new}
    drawn = [f for f in (*frames.values(), diff.old) if isinstance(f, gpd.GeoDataFrame)
             and f._geometry_column_name in f.columns]
    if not drawn:
        raise ValidationError(
            f"layer {diff.layer} has no geometry: there is no map of a table's changes",
            hint=f"list them instead: yangpu-gis diff {diff.layer} --json, or -o changes.csv")
    if any(f.crs is None for f in drawn):
        raise CRSError("cannot draw a diff whose features have no CRS",
                       hint="diff registry snapshots (Registry.diff), or set_crs('EPSG:4549')")
    return frames


def _points(frame: pd.DataFrame) -> np.ndarray:
    """Representative points (on the feature: ``shapely.point_on_surface``); None if empty."""
    if not isinstance(frame, gpd.GeoDataFrame) or not len(frame):
        return np.empty(0, dtype=object)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.full(len(geoms), None, dtype=object)
    out[ok] = shapely.point_on_surface(geoms[ok])
    return out


# ------------------------------------------------------------------ per subdistrict
def _sub_names(subdistricts: gpd.GeoDataFrame) -> tuple[list, list[str]]:
    ids = (subdistricts["subdistrict_id"].tolist() if "subdistrict_id" in subdistricts
           else [None] * len(subdistricts))
    if "name" in subdistricts:
        names = [_text(v) for v in subdistricts["name"].tolist()]
    else:
        names = [str(i) if i is not None else f"街道{k + 1}" for k, i in enumerate(ids)]
    return ids, names


def changes_by_subdistrict(diff: LayerDiff, subdistricts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Count added, removed and modified features per subdistrict.

    A feature counts where its representative point lies (``shapely.point_on_surface``:
    on the feature itself, for lines and polygons too) — the added and modified features
    where they are now, the removed ones where they were. A point in several subdistricts
    (on a shared boundary) counts in the first of them, in the order of ``subdistricts``;
    a point in none, or a feature without geometry, counts in the row :data:`OUTSIDE`
    (其他), which is there only when it is not empty.

    Parameters
    ----------
    diff : LayerDiff
        From :meth:`Registry.diff <yangpu_gis.registry.base.Registry.diff>` or
        :func:`~yangpu_gis.registry.history.diff_frames`.
    subdistricts : GeoDataFrame
        Polygons with ``subdistrict_id`` and ``name`` (the ``subdistricts`` layer), any CRS.

    Returns
    -------
    pandas.DataFrame
        One row per subdistrict, in the order given, then :data:`OUTSIDE`:
        ``subdistrict_id`` (None for 其他), ``name``, ``added``, ``removed``, ``modified``,
        ``total`` (ints).

    Raises
    ------
    ValidationError
        If the layer has no geometry.
    CRSError
        If the diff's features or the subdistricts have no CRS.

    Examples
    --------
    >>> from yangpu_gis.catalogue import get_layer
    >>> from yangpu_gis.registry.history import diff_frames
    >>> from shapely import Point, box
    >>> spec = get_layer("pois")
    >>> def pois(ids, xs):
    ...     return gpd.GeoDataFrame({"poi_id": ids, "name": "店", "kind": "other"}
    ...         | {c: None for c in spec.column_names[3:]},
    ...         geometry=[Point(x, 5) for x in xs], crs="EPSG:4549")
    >>> d = diff_frames(pois(["A", "B"], [1, 2]), pois(["B", "C"], [12, 30]), spec,
    ...                 from_batch=1, to_batch=2)
    >>> subs = gpd.GeoDataFrame({"subdistrict_id": ["1", "2"], "name": ["西", "东"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs="EPSG:4549")
    >>> changes_by_subdistrict(d, subs)[["name", "added", "removed", "modified"]]
      name  added  removed  modified
    0    西      0        1         0
    1    东      0        0         1
    2   其他      1        0         0
    """
    frames = _geometry_frames(diff)
    if subdistricts.crs is None:
        raise CRSError("the subdistricts have no CRS",
                       hint="read them from the registry, or set_crs('EPSG:4549')")
    ids, names = _sub_names(subdistricts)
    n_sub = len(subdistricts)
    counts = {}
    for kind, frame in frames.items():
        points = _points(frame)
        owner = np.full(len(points), n_sub, dtype=np.int64)  # n_sub: 其他
        present = np.flatnonzero(np.array([p is not None for p in points], dtype=bool))
        if len(present) and n_sub:
            polys = np.asarray(subdistricts.geometry.to_crs(frame.crs).values, dtype=object)
            tree = shapely.STRtree(polys)
            hit_point, hit_sub = tree.query(points[present], predicate="intersects")
            first = np.full(len(present), n_sub, dtype=np.int64)
            np.minimum.at(first, hit_point, hit_sub)
            owner[present] = first
        counts[kind] = np.bincount(owner, minlength=n_sub + 1)
    table = pd.DataFrame({"subdistrict_id": [*ids, None], "name": [*names, OUTSIDE]})
    for kind in _KINDS:
        table[kind] = counts[kind].astype(int)
    table["total"] = table[list(_KINDS)].sum(axis=1).astype(int)
    if table["total"].iloc[-1] == 0:
        table = table.iloc[:-1]
    return table.reset_index(drop=True)


def _summary_table(table: pd.DataFrame, diff: LayerDiff) -> str:
    """The per-subdistrict table as HTML, every data value escaped."""
    head = "".join(f"<th>{escape_html(h)}</th>" for h in
                   ("街道", *(CHANGE_LABELS[k] for k in _KINDS), "合计"))

    def cells(values: list[int]) -> str:
        return "".join(f'<td class="yp-zero">{v:,}</td>' if v == 0 else f"<td>{v:,}</td>"
                       for v in values)

    body = "".join(
        f"<tr><td>{escape_html(r.name)}</td>"
        + cells([int(getattr(r, k)) for k in (*_KINDS, "total")]) + "</tr>"
        for r in table.itertuples(index=False))
    totals = [len(diff.added), len(diff.removed), len(diff.modified)]
    foot = f"<tr><td>合计</td>{cells([*totals, sum(totals)])}</tr>"
    return (f'<table class="yp-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"<tfoot>{foot}</tfoot></table>")


# ------------------------------------------------------------------------ popup frames
def _unique(labels: list[str]) -> list[str]:
    """Labels as column names, made unique (two columns may share a label)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        k = seen.get(label, 0)
        seen[label] = k + 1
        out.append(label if k == 0 else f"{label}（{k + 1}）")
    return out


def _attributes_frame(frame: gpd.GeoDataFrame, diff: LayerDiff, large: bool
                      ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """An added or removed feature's attributes under their Chinese labels (as text)."""
    idc, enums = diff.id_column, _value_labels(diff.layer)
    geom = frame.geometry.name
    columns = [idc, *[c for c in frame.columns if c not in (idc, geom, BATCH_COLUMN)]]
    if large:
        columns = [c for c in columns if c in (idc, "name")]
    labels = _unique([str(diff.labels.get(c, c)) for c in columns])
    data = {label: [None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v))
                    else _show(c, v, enums) for v in frame[c].tolist()]
            for c, label in zip(columns, labels, strict=True)}
    out = gpd.GeoDataFrame(data, geometry=list(frame.geometry.values), crs=frame.crs)
    return out, labels


_GEOMETRY_ROWS = {"geometry": "几何", "hausdorff_m": "位移（豪斯多夫距离）",
                  "length_change_m": "长度变化", "area_change_m2": "面积变化"}


def _modified_frame(diff: LayerDiff) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Modified features (new geometry): id, each changed field ``old → new``, movement."""
    idc, enums, mod = diff.id_column, _value_labels(diff.layer), diff.modified
    changed: list[str] = []
    for fields in mod["fields"]:
        changed += [c for c in fields if c not in changed]
    spec = CATALOGUE.get(diff.layer)
    if spec is not None:  # catalogue order, whatever order the features met them in
        order = {c: i for i, c in enumerate(spec.column_names)}
        changed.sort(key=lambda c: order.get(c, len(order)))
    # the name identifies the feature: its row shows it as it is now, or its change
    named = "name" in diff.new.columns and idc != "name"
    if named:
        changed = ["name", *[c for c in changed if c != "name"]]
    labels = _unique([str(diff.labels.get(c, c)) for c in (idc, *changed)]
                     + list(_GEOMETRY_ROWS.values()))
    data: dict[str, list] = {labels[0]: [_text(v) for v in mod[idc].tolist()]}
    current = diff.new["name"].tolist() if named else [None] * len(mod)
    for c, label in zip(changed, labels[1:], strict=False):
        data[label] = [f"{_show(c, f[c]['old'], enums)} → {_show(c, f[c]['new'], enums)}"
                       if c in f else (_show(c, now, enums) if c == "name" else None)
                       for f, now in zip(mod["fields"], current, strict=True)]
    moved = mod["geometry_changed"].to_numpy(dtype=bool)
    g_labels = labels[1 + len(changed):]
    data[g_labels[0]] = ["已改变" if m else "未变" for m in moved]
    for key, label in zip(list(_GEOMETRY_ROWS)[1:], g_labels[1:], strict=True):
        unit = "m²" if key.startswith("area") else "m"
        data[label] = [_metres(v, unit, signed=key != "hausdorff_m")
                       if m and v is not None and np.isfinite(v) else None
                       for m, v in zip(moved, mod[key].astype(float).tolist(), strict=True)]
    new = diff.new
    out = gpd.GeoDataFrame(data, geometry=list(new.geometry.values), crs=new.crs)
    return out, labels


def _former_frame(diff: LayerDiff) -> gpd.GeoDataFrame:
    """The old geometry of the modified features whose geometry changed."""
    moved = diff.modified["geometry_changed"].to_numpy(dtype=bool)
    old = diff.old
    idl = str(diff.labels.get(diff.id_column, diff.id_column))
    return gpd.GeoDataFrame(
        {idl: [_text(v) for v in diff.modified[diff.id_column][moved].tolist()],
         "位移（豪斯多夫距离）": [_metres(v) for v in
                          diff.modified["hausdorff_m"][moved].astype(float).tolist()]},
        geometry=list(np.asarray(old.geometry.values, dtype=object)[moved]), crs=old.crs)


# ----------------------------------------------------------------------------- styles
def _kind(frames: list[pd.DataFrame]) -> str:
    """``point``, ``line`` or ``area``: the most common geometry dimension drawn."""
    dims = np.concatenate([shapely.get_dimensions(np.asarray(f.geometry.values, dtype=object))
                           for f in frames if isinstance(f, gpd.GeoDataFrame) and len(f)]
                          or [np.array([1])])
    dims = dims[dims >= 0]
    counts = np.bincount(dims, minlength=3) if len(dims) else np.array([0, 1, 0])
    return ("point", "line", "area")[int(np.argmax(counts))]


def _style(change: str, kind: str) -> ClassStyle:
    label = CHANGE_LABELS.get(change, "修改前位置")
    if change == "former":
        return ClassStyle(label, FORMER_COLOUR, 2.0 if kind != "point" else 1.5,
                          fill_opacity=0.0, opacity=0.85, dash="4 4", radius=6.0)
    colour = CHANGE_COLOURS[change]
    dash = "7 5" if change == "removed" else None
    if kind == "line":
        return ClassStyle(label, colour, 4.5, dash=dash, opacity=0.95)
    if kind == "area":
        return ClassStyle(label, colour, 2.5, fill_opacity=0.35, dash=dash)
    return ClassStyle(label, colour, 2.0, fill_opacity=0.25 if change == "removed" else 0.85,
                      dash=dash, radius=6.0)


# ------------------------------------------------------------------------------- map
def changes_map(
    diff: LayerDiff,
    subdistricts: gpd.GeoDataFrame | None = None,
    *,
    title: str | None = None,
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    context: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw what changed in a layer between two batches, for the bureau that delivered it.

    Added features are green, removed ones red and dashed, modified ones orange; where a
    modified feature's geometry moved, its former geometry is a thin grey dashed line
    (its own overlay, 修改前位置). Popups: for a modified feature each changed field as
    ``old → new`` under its Chinese label (``diff.labels``), enumerations in Chinese, and
    the geometry's movement (Hausdorff distance; length change of lines, area change of
    polygons; one decimal below 10, whole numbers above); for an added or removed feature
    its attributes. The legend counts each kind. With ``subdistricts``, their outlines and
    names are the base, each subdistrict's popup counts its changes, and a panel (各街道变更)
    tabulates :func:`changes_by_subdistrict` with a total row.

    Parameters
    ----------
    diff : LayerDiff
        From :meth:`Registry.diff <yangpu_gis.registry.base.Registry.diff>` (or
        :func:`~yangpu_gis.registry.history.diff_frames`) of a layer with geometry
        (points, lines or polygons).
    subdistricts : GeoDataFrame, optional
        The ``subdistricts`` layer (``subdistrict_id``, ``name``), any CRS.
    title : str, optional, keyword-only
        Title box text; default ``杨浦区<layer label>变更（批次 a → b）``.
    data_date : str or date, optional, keyword-only
        Shown under the title.
    offline : bool, keyword-only
        One self-contained HTML file (no tiles, Leaflet inlined).
    basemap : str, optional, keyword-only
        As in :func:`yangpu_gis.maps.layer_map`.
    context : GeoDataFrame, optional, keyword-only
        The layer as it is now (``reg.read(layer, as_of=diff.to_batch)``): its features
        that did not change are drawn thin and light grey under the changes (overlay
        未变要素), so an offline map shows where the changes lie in the network.

    Returns
    -------
    folium.Map
        Save it with :func:`yangpu_gis.maps.save`.

    Raises
    ------
    ValidationError
        For a layer without geometry (``water_samples``): there is no map of a table.
    CRSError
        If the features or the subdistricts have no CRS.

    Examples
    --------
    >>> from yangpu_gis import maps, open_registry          # doctest: +SKIP
    >>> with open_registry("yangpu.gpkg") as reg:           # doctest: +SKIP
    ...     m = changes_map(reg.diff("roads"), reg.read("subdistricts"), offline=True)
    ...     maps.save(m, "roads_changes.html")
    """
    frames = _geometry_frames(diff)
    label = _layer_label(diff.layer)
    m = base.new_map(
        basemap=basemap, offline=offline, data_date=data_date,
        title=title or f"杨浦区{label}变更（批次 {diff.from_batch} → {diff.to_batch}）")
    st = base.state_of(m)
    kind = _kind([*frames.values(), diff.old])
    items: list[str] = []

    if subdistricts is not None and len(subdistricts):
        table = changes_by_subdistrict(diff, subdistricts)
        _, names = _sub_names(subdistricts)
        inside = table.iloc[:len(subdistricts)]
        sub_frame = gpd.GeoDataFrame(
            {"街道": names,
             "街道代码": [_text(v) for v in subdistricts["subdistrict_id"].tolist()]
             if "subdistrict_id" in subdistricts else [None] * len(names),
             **{CHANGE_LABELS[k]: inside[k].to_numpy() for k in _KINDS},
             "合计": inside["total"].to_numpy()},
            geometry=list(subdistricts.geometry.values), crs=subdistricts.crs)
        sub_style = STYLES["subdistricts"].default
        add_layer(m, sub_frame, None, name="街道",
                  style=LayerStyle(default=sub_style, label_column="街道"),
                  legend=False, tip_column="街道")
        items.append(swatch("街道界线（点击查看变更数）", sub_style.leaflet(), "area"))
        panel = Legend("各街道变更", position="topright")
        panel.add_section(f"{label}：按要素所在街道计（个）", [_summary_table(table, diff)])
        m.add_child(panel)

    if context is not None and len(context) and diff.id_column in context.columns:
        changed = set(diff.added[diff.id_column]) | set(diff.modified[diff.id_column])
        still = context[~context[diff.id_column].isin(changed)]
        shown, columns = _attributes_frame(still, diff, large=True)
        add_layer(m, shown, None, name=f"{label}（未变）", style=LayerStyle(default=CONTEXT),
                  popup_columns=columns, legend=False, tip_column=columns[-1])
        items.append(swatch(f"未变要素（{len(still):,}）", CONTEXT.leaflet(), kind))

    former = _former_frame(diff) if len(diff.modified) else None
    large = max(len(diff.added), len(diff.removed), len(diff.modified)) > LARGE_LAYER_FEATURES
    layers = []
    if former is not None and len(former):
        layers.append(("former", former, list(former.columns[:-1]), f"{label}修改前位置"))
    for change in ("removed", "modified", "added"):
        frame = frames[change]
        if not len(frame):
            continue
        if change == "modified":
            shown, columns = _modified_frame(diff)
        else:
            shown, columns = _attributes_frame(frame, diff, large)
        layers.append((change, shown, columns, f"{CHANGE_LABELS[change]}{label}"))
    for change, frame, columns, name in layers:
        style = _style(change, kind)
        add_layer(m, frame, None, name=name, style=LayerStyle(default=style),
                  popup_columns=columns, legend=False, tip_column=columns[0])

    opts = {k: _style(k, kind).leaflet() for k in (*_KINDS, "former")}
    counts = {"added": len(diff.added), "removed": len(diff.removed),
              "modified": len(diff.modified)}
    items = [swatch(f"{CHANGE_LABELS[k]}（{counts[k]:,}）", opts[k], kind) for k in
             ("added", "removed", "modified")] + (
        [swatch("修改前位置（几何已改变）", opts["former"], kind)]
        if former is not None and len(former) else []) + items
    st.legend.add_section(f"{label}变更（批次 {diff.from_batch} → {diff.to_batch}）", items)
    if not any(counts.values()):
        st.legend.add_section("说明", [f"<div>{escape_html('两批次之间没有变更')}"
                                       f"（{diff.unchanged:,} 个要素未变）</div>"])
    elif context is None:
        st.legend.add_section("未变", [f"<div>{diff.unchanged:,} 个要素未变</div>"])
    return base.finalise(m)

"""Draw one layer: catalogue styles, Chinese popups, legend section; :func:`layer_map`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import folium
import geopandas as gpd
import numpy as np
import shapely

from ..catalogue import BATCH_COLUMN, CATALOGUE, Layer
from . import base
from .aggregate import compact_ids
from .elements import CompactLayer, swatch
from .encode import encode_geometries, format_value, to_display_crs
from .safe import escape_html
from .styles import ClassStyle, LayerStyle, get_style

__all__ = [
    "CLUSTER_MIN_POINTS",
    "LARGE_LAYER_FEATURES",
    "add_layer",
    "layer_map",
]

#: Above this many features a layer is "large": popups keep only id, name and class, and
#: lines/polygons are simplified by ``LARGE_LAYER_SIMPLIFY_M`` unless told otherwise.
LARGE_LAYER_FEATURES = 20_000
#: Simplification tolerance (metres) for large layers; well below a pixel at zoom 18.
LARGE_LAYER_SIMPLIFY_M = 0.3
#: Point layers whose style allows clustering are clustered from this many points on.
CLUSTER_MIN_POINTS = 2_000


def infer_layer(gdf: gpd.GeoDataFrame) -> str | None:
    """The catalogue layer whose id column ``gdf`` has (``gdf.attrs['layer']`` first)."""
    name = gdf.attrs.get("layer")
    if name in CATALOGUE:
        return name
    hits = [n for n, lyr in CATALOGUE.items() if lyr.id_column in gdf.columns]
    return hits[0] if len(hits) == 1 else None


def _popup_columns(
    gdf: gpd.GeoDataFrame, cat: Layer | None, style: LayerStyle, large: bool
) -> list[str]:
    present = [c for c in gdf.columns if c not in (gdf.geometry.name, BATCH_COLUMN)]
    if cat is not None:
        ordered = [c for c in cat.column_names if c in present]
        ordered += [c for c in present if c not in ordered]
    else:
        ordered = present
    ordered = [c for c in ordered if c != style.category]
    if large:
        keep = {cat.id_column, "name"} if cat is not None else {"name"}
        ordered = [c for c in ordered if c in keep] or ordered[:1]
    return ordered


def _label(cat: Layer | None, column: str) -> str:
    if cat is not None:
        try:
            return cat.column(column).label
        except KeyError:
            pass
    return column


def _text(value: object) -> str:
    """Data as HTML text for the payload (the runtime inserts it as HTML)."""
    return str(escape_html(value))


def _radius(values: np.ndarray, style: LayerStyle) -> list[float]:
    rmin, rmax = style.size_range
    ref = max(style.size_legend) if style.size_legend else np.nanmax(values)
    v = np.clip(np.nan_to_num(values.astype(float), nan=0.0), 0, None)
    r = rmin + (rmax - rmin) * np.sqrt(v / ref) if ref and ref > 0 else np.full(len(v), rmin)
    return np.round(np.clip(r, rmin, rmax), 1).tolist()


def label_points(geoms: np.ndarray) -> np.ndarray:
    """Where a feature's name label goes: the pole of inaccessibility of a polygon's largest
    part (the point farthest inside; ``shapely.ops.polylabel`` to 1/200 of its size), so
    labels of narrow neighbours do not meet on their shared edge; the representative point
    (``shapely.point_on_surface``) of anything else."""
    from shapely.ops import polylabel

    arr = np.asarray(geoms, dtype=object)
    pts = shapely.point_on_surface(arr)
    for i in np.flatnonzero(np.isin(shapely.get_type_id(arr), (3, 6))):
        parts = shapely.get_parts(arr[i])
        part = parts[int(np.argmax(shapely.area(parts)))]
        x0, y0, x1, y1 = part.bounds
        tolerance = max(x1 - x0, y1 - y0) / 200
        if tolerance > 0 and part.is_valid:
            pts[i] = polylabel(part, tolerance)
    return pts


def _compact_column(values: list[str | None]) -> list | dict:
    """Ids such as ``PL000123`` as ``{"p": prefix, "w": width, "d": number deltas}``
    (:func:`~yangpu_gis.maps.aggregate.compact_ids`; sorted ids cost a character or two
    each); other columns as they are. ``values`` are HTML-escaped already: the prefix is
    all of an escaped text but its trailing digits, so it is escaped text too."""
    if not values or any(v is None for v in values):
        return values
    c = compact_ids(values)
    if "n" not in c:
        return values
    n = np.asarray(c["n"], dtype=np.int64)
    return {"p": c["p"], "w": c["w"], "d": np.diff(n, prepend=0).tolist()}


def _legend_kind(types: str) -> str:
    counts = {k: types.count(k) for k in "PLA"}
    return {"P": "point", "L": "line", "A": "area"}[max(counts, key=counts.get)]


def build_payload(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    title: str,
    cat: Layer | None,
    style: LayerStyle,
    classes: list[ClassStyle],
    class_index: np.ndarray | None,
    category_label: str | None,
    shift: str | None,
    precision: int,
    simplify_m: float,
    popup_columns: Sequence[str],
    cluster: bool,
    tip_column: str | None = None,
) -> tuple[dict, list[float] | None, str]:
    """The compact payload of one layer, its lon/lat bounds and its geometry type string."""
    geoms = to_display_crs(gdf, shift=shift, simplify_m=simplify_m)
    packed = len(gdf) > LARGE_LAYER_FEATURES
    origin, types, encoded = encode_geometries(geoms.values, precision=precision, packed=packed)
    cols = []
    for c in popup_columns:
        values = [format_value(v) for v in gdf[c].tolist()]
        cols.append([_text(_label(cat, c)), _compact_column(values) if packed else values])
    tip_col = tip_column or ("name" if "name" in popup_columns else (cat.id_column if cat else None))
    tip = list(popup_columns).index(tip_col) if tip_col in popup_columns else -1
    payload: dict = {
        "name": name,
        "title": _text(title),
        "o": origin,
        "s": 10**precision,
        "t": types,
        "g": encoded,
        "classes": [c.leaflet() for c in classes],
        "cl": [_text(c.label) for c in classes],
        "k": class_index.tolist() if class_index is not None else None,
        "clabel": _text(category_label) if category_label else None,
        "cols": cols,
        "tip": tip,
        "interactive": True,
        "cluster": cluster,
    }
    if style.size_column and style.size_column in gdf.columns:
        payload["r"] = _radius(gdf[style.size_column].to_numpy(), style)
    if style.label_column and style.label_column in gdf.columns and len(gdf):
        pts = label_points(geoms.values)
        xy = np.rint(shapely.get_coordinates(pts) * 10**precision).astype(np.int64) - origin
        texts = [format_value(v) for v in gdf[style.label_column].tolist()]
        payload["labels"] = [
            [int(x), int(y), t] for (x, y), t in zip(xy.tolist(), texts, strict=True) if t
        ]
    # a large layer of lines only is drawn by one canvas layer (the runtime's BulkLines)
    payload["bulk"] = bool(packed and not payload.get("labels") and "r" not in payload
                           and set(types) <= {"L", "-"})
    valid = geoms[~(geoms.is_empty | geoms.isna())]
    bounds = valid.total_bounds.tolist() if len(valid) else None
    return payload, bounds, types


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    layer: str | None = None,
    *,
    name: str | None = None,
    popup_columns: Sequence[str] | None = None,
    precision: int = 6,
    simplify_m: float | None = None,
    cluster: bool | None = None,
    show: bool = True,
    style: LayerStyle | None = None,
    classes: list[ClassStyle] | None = None,
    class_index: np.ndarray | None = None,
    category_label: str | None = None,
    legend_title: str | None = None,
    legend_items: list[str] | None = None,
    legend_attrs: str = "",
    legend: bool = True,
    tip_column: str | None = None,
) -> CompactLayer:
    """Add one GeoDataFrame to ``m`` as an overlay with a legend section.

    The lower-level twin of :func:`layer_map` (which see for the parameters); the extra
    ones let :func:`~yangpu_gis.maps.choropleth_map` supply its own classes and legend.
    ``legend=False`` adds no legend section (the caller writes one for several layers,
    as :func:`~yangpu_gis.maps.changes.changes_map` does); ``tip_column`` is the popup
    column the tooltip shows (default ``name``, else the catalogue id column).
    """
    layer = layer or infer_layer(gdf)
    cat = CATALOGUE.get(layer) if layer else None
    style = style or get_style(layer)
    st = base.state_of(m)
    n = len(gdf)
    large = n > LARGE_LAYER_FEATURES
    label = name or (cat.label if cat else "图层")

    if classes is None:
        classes, class_index, category_label = classify_values(gdf, style, cat)
    if popup_columns is None:
        popup_columns = _popup_columns(gdf, cat, style, large)
    if simplify_m is None:
        simplify_m = LARGE_LAYER_SIMPLIFY_M if large else 0.0
    geom_types = gdf.geometry.geom_type
    n_points = int(geom_types.isin(["Point", "MultiPoint"]).sum()) if n else 0
    if cluster is None:
        cluster = style.cluster and n_points >= CLUSTER_MIN_POINTS
    cluster = bool(cluster and n_points == n and n > 0)

    payload, bounds, types = build_payload(
        gdf, name=label, title=label, cat=cat, style=style, classes=classes,
        class_index=class_index, category_label=category_label, shift=st.shift,
        precision=precision, simplify_m=simplify_m, popup_columns=popup_columns,
        cluster=cluster, tip_column=tip_column,
    )
    element = CompactLayer(payload, name=label, show=show)
    m.add_child(element)
    st.layer_names.append(label)
    st.cluster = st.cluster or cluster
    if bounds is not None:
        base.extend_bounds(m, bounds)

    if not legend:
        return element
    if legend_items is None:
        kind = _legend_kind(types) if n else "line"
        used = sorted(set(class_index.tolist())) if class_index is not None else [0]
        legend_items = [
            swatch(classes[i].label, classes[i].leaflet(), kind) for i in used if i < len(classes)
        ]
        if style.size_column and style.size_legend and style.size_column in gdf.columns:
            unit = _label(cat, style.size_column)
            neutral = {**style.default.leaflet(), "fillColor": "#bbbbbb", "color": "#777777"}
            radii = _radius(np.asarray(style.size_legend, dtype=float), style)
            for v, r in zip(style.size_legend, radii, strict=True):
                legend_items.append(swatch(f"{unit} {v:g}", neutral, "point", radius=r))
    st.legend.add_section(legend_title or f"{label}（{n:,}）", legend_items, attrs=legend_attrs)
    return element


#: Subdistricts drawn as thin outlines under an analysis's layers.
SUBDISTRICT_OUTLINES = LayerStyle(default=ClassStyle("街道", "#636363", 1.0, fill_opacity=0.0))


def add_subdistricts(m: folium.Map, subdistricts: gpd.GeoDataFrame | None) -> None:
    """Draw ``subdistricts`` as thin outlines (layer 街道), if there are any."""
    if subdistricts is not None and len(subdistricts):
        add_layer(m, subdistricts, "subdistricts", name="街道", style=SUBDISTRICT_OUTLINES)


def classify_values(
    gdf: gpd.GeoDataFrame, style: LayerStyle, cat: Layer | None
) -> tuple[list[ClassStyle], np.ndarray | None, str | None]:
    """The classes of a layer's category column: their styles, each feature's class index
    and the legend's label (the interactive and the static map draw the same classes)."""
    if not style.category or style.category not in gdf.columns:
        return [style.default], None, None
    keys = list(style.classes)
    values = gdf[style.category].astype("string").to_numpy(dtype=object, na_value=None)
    lookup = {k: i for i, k in enumerate(keys)}
    idx = np.array([lookup.get(v, len(keys)) for v in values], dtype=np.int64)
    classes = [style.classes[k] for k in keys]
    if (idx == len(keys)).any():
        classes.append(replace(style.default))
    return classes, idx, _label(cat, style.category)


def layer_map(
    gdf: gpd.GeoDataFrame,
    layer: str | None = None,
    *,
    title: str | None = None,
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    m: folium.Map | None = None,
    name: str | None = None,
    popup_columns: Sequence[str] | None = None,
    precision: int = 6,
    simplify_m: float | None = None,
    cluster: bool | None = None,
    show: bool = True,
) -> folium.Map:
    """Draw one catalogue layer (or any GeoDataFrame) with its default style.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in any CRS (the registry stores EPSG:4549); drawn in WGS84, or shifted to
        GCJ-02 when the basemap is Amap.
    layer : str, optional
        Catalogue layer name, for its style and Chinese labels; inferred from
        ``gdf.attrs["layer"]`` or the id column when omitted.
    title : str, optional
        Title box text; default ``杨浦区<layer label>``.
    data_date : str or date, optional
        The date the data describe, shown under the title.
    offline : bool
        One self-contained HTML file: no tiles, Leaflet inlined from ``XStatic-Leaflet``.
    basemap : str, optional
        ``"osm"``, ``"amap"``, ``"none"`` or a tile URL template (see :func:`base.new_map`).
    m : folium.Map, optional
        Draw onto this map (its basemap, offline mode and legend are kept).
    name : str, optional
        Name in the layer switcher and legend; default the layer's Chinese label.
    popup_columns : sequence of str, optional
        Attributes shown in popups; default every column, in catalogue order (only id and
        name for layers above ``LARGE_LAYER_FEATURES`` features).
    precision : int
        Decimals of a degree kept (6 ≈ 0.1 m).
    simplify_m : float, optional
        Topology-preserving simplification in metres; default 0, or
        ``LARGE_LAYER_SIMPLIFY_M`` for large layers.
    cluster : bool, optional
        Cluster points; default for pois/parking/complaints above ``CLUSTER_MIN_POINTS``.
    show : bool
        Shown when the map opens.

    Returns
    -------
    folium.Map

    Raises
    ------
    yangpu_gis.errors.CRSError
        If ``gdf`` has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> roads = gpd.GeoDataFrame(
    ...     {"road_id": ["R1"], "name": ["政通路"], "road_class": ["secondary"]},
    ...     geometry=[LineString([(121.50, 31.30), (121.52, 31.30)])], crs="EPSG:4326")
    >>> m = layer_map(roads, "roads", data_date="2025-06-30")
    >>> "次干路" in m.get_root().render()
    True
    """
    layer = layer or infer_layer(gdf)
    cat = CATALOGUE.get(layer) if layer else None
    m = base.map_for(m, title=title, default_title=f"杨浦区{cat.label if cat else '专题图'}",
                     data_date=data_date, offline=offline, basemap=basemap)
    add_layer(
        m, gdf, layer, name=name, popup_columns=popup_columns, precision=precision,
        simplify_m=simplify_m, cluster=cluster, show=show,
    )
    return base.finalise(m)

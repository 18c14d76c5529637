"""Default cartographic style of every catalogue layer, and Chinese labels of enumerations.

A style says which column classifies the features (``category``), the colour and weight of
each class, and what else a layer needs (circle size by a column, name labels, drawing
order). Everything here is data; :mod:`yangpu_gis.maps.layers` turns it into map elements.

Utility colours follow the brief of the district bureau: water blue, rain drainage brown,
sewage purple, gas yellow, power red, telecom green, heat orange. (CJJ 61-2017, the
municipal standard for pipeline surveys, colours gas pink; change ``UTILITY_COLOURS`` if the
bureau's drawings follow CJJ 61 instead.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalogue import BUILTIN_LAYERS, CATALOGUE, Layer, get_layer

__all__ = [
    "DENSE_LAYERS",
    "DRAW_ORDER",
    "STYLES",
    "VALUE_LABELS",
    "ClassStyle",
    "LayerStyle",
    "defined_style",
    "get_style",
    "value_label",
]


@dataclass(frozen=True)
class ClassStyle:
    """Leaflet path options of one class of features.

    Parameters
    ----------
    label : str
        Chinese legend label.
    color : str
        Stroke colour (CSS).
    weight : float
        Stroke width in pixels.
    fill_color : str, optional
        Fill colour; the stroke colour when omitted.
    fill_opacity : float
        0 draws no fill.
    opacity : float
        Stroke opacity.
    dash : str, optional
        SVG/canvas dash pattern, e.g. ``"6 4"``.
    radius : float
        Circle radius in pixels for points (unless sized by a column).
    """

    label: str
    color: str
    weight: float = 2.0
    fill_color: str | None = None
    fill_opacity: float = 0.0
    opacity: float = 0.9
    dash: str | None = None
    radius: float = 5.0

    def leaflet(self) -> dict:
        """Leaflet path options (camelCase keys) for this class."""
        opts: dict = {
            "color": self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "fill": self.fill_opacity > 0,
            "fillColor": self.fill_color or self.color,
            "fillOpacity": self.fill_opacity,
            "radius": self.radius,
        }
        if self.dash:
            opts["dashArray"] = self.dash
        return opts


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    Parameters
    ----------
    category : str, optional
        Column that selects the class; ``None`` draws every feature with ``default``.
    classes : dict
        Column value -> :class:`ClassStyle`.
    default : ClassStyle
        Style of features whose value is not in ``classes`` (and of every feature when
        ``category`` is ``None``).
    size_column : str, optional
        Numeric column that sizes point circles (area proportional to the value).
    size_range : tuple of float
        Smallest and largest circle radius in pixels.
    size_legend : tuple of float
        Values shown as sample circles in the legend.
    label_column : str, optional
        Column drawn as a permanent text label at each feature's representative point.
    cluster : bool
        Cluster points when there are many of them (see ``layers.CLUSTER_MIN_POINTS``).
    """

    category: str | None = None
    classes: dict[str, ClassStyle] = field(default_factory=dict)
    default: ClassStyle = ClassStyle("其他", "#7f7f7f")
    size_column: str | None = None
    size_range: tuple[float, float] = (3.0, 16.0)
    size_legend: tuple[float, ...] = ()
    label_column: str | None = None
    cluster: bool = False


#: Chinese labels of enumerated values, per column name, for columns whose values mean the
#: same in every layer. (``kind`` differs between layers: its labels come from the classes.)
VALUE_LABELS: dict[str, dict[str, str]] = {
    "road_class": get_layer("roads").column("road_class").value_labels,
    "utility": get_layer("pipelines").column("utility").value_labels,
}

#: Utility colours (see module docstring).
UTILITY_COLOURS: dict[str, str] = {
    "water": "#1f78d1",
    "drainage": "#8c510a",
    "sewage": "#7b3294",
    "gas": "#e6b800",
    "power": "#e31a1c",
    "telecom": "#2ca02c",
    "heat": "#ff7f00",
}


def value_label(column: str, value: object) -> str:
    """Chinese label of an enumerated value, or the value itself as text.

    Examples
    --------
    >>> value_label("utility", "gas")
    '燃气'
    >>> value_label("name", "政通路")
    '政通路'
    """
    if isinstance(value, bool):
        return "是" if value else "否"
    return VALUE_LABELS.get(column, {}).get(str(value), str(value))


def _utility_classes(weight: float, **kw) -> dict[str, ClassStyle]:
    return {
        u: ClassStyle(VALUE_LABELS["utility"][u], c, weight, **kw)
        for u, c in UTILITY_COLOURS.items()
    }


_ROADS = {
    "expressway": ClassStyle("快速路", "#d7301f", 6.0),
    "arterial": ClassStyle("主干路", "#f16913", 4.5),
    "secondary": ClassStyle("次干路", "#d4a300", 3.5),
    "branch": ClassStyle("支路", "#737373", 2.2),
    "alley": ClassStyle("弄堂", "#969696", 1.5),
    "internal": ClassStyle("内部道路", "#b0b0b0", 1.2, dash="4 3"),
}

_PARKING = {
    "public": ClassStyle("公共停车场", "#1f78b4", 1.0, fill_opacity=0.75),
    "residential": ClassStyle("住宅小区停车", "#33a02c", 1.0, fill_opacity=0.75),
    "commercial": ClassStyle("商业停车", "#e31a1c", 1.0, fill_opacity=0.75),
    "office": ClassStyle("办公停车", "#6a3d9a", 1.0, fill_opacity=0.75),
    "hospital": ClassStyle("医院停车", "#fb6a4a", 1.0, fill_opacity=0.75),
    "school": ClassStyle("学校停车", "#ff7f00", 1.0, fill_opacity=0.75),
    "on_street": ClassStyle("道路停车", "#b15928", 1.0, fill_opacity=0.75),
}

_POIS = {
    "hospital": ClassStyle("医院", "#cb181d", 1.0, fill_opacity=0.9, radius=6),
    "school": ClassStyle("学校", "#ff7f00", 1.0, fill_opacity=0.9, radius=6),
    "office": ClassStyle("办公", "#6a3d9a", 1.0, fill_opacity=0.9, radius=5),
    "commercial": ClassStyle("商业", "#1f78b4", 1.0, fill_opacity=0.9, radius=5),
    "metro_station": ClassStyle("地铁站", "#00838f", 2.0, fill_opacity=0.9, radius=7),
    "other": ClassStyle("其他", "#7f7f7f", 1.0, fill_opacity=0.8, radius=4),
}

#: Default style of every catalogue layer that has geometry (tests/test_styles_complete.py).
STYLES: dict[str, LayerStyle] = {
    "districts": LayerStyle(
        default=ClassStyle("区界", "#222222", 3.0, fill_opacity=0.0),
    ),
    "subdistricts": LayerStyle(
        default=ClassStyle(
            "街道界线", "#4d4d4d", 2.0, fill_color="#f3efe4", fill_opacity=0.45, dash="7 4"
        ),
        label_column="name",
    ),
    "grid_cells": LayerStyle(
        default=ClassStyle("网格", "#8c8c8c", 0.6, opacity=0.7),
    ),
    "roads": LayerStyle(category="road_class", classes=_ROADS),
    "pipelines": LayerStyle(category="utility", classes=_utility_classes(2.0)),
    "rivers": LayerStyle(
        default=ClassStyle("河道", "#3182bd", 3.0, fill_color="#9ecae1", fill_opacity=0.8),
    ),
    "parking_facilities": LayerStyle(
        category="kind",
        classes=_PARKING,
        default=ClassStyle("其他停车", "#7f7f7f", 1.0, fill_opacity=0.75),
        size_column="capacity",
        size_range=(3.0, 16.0),
        size_legend=(50, 300, 1000),
        cluster=True,
    ),
    "beautiful_blocks": LayerStyle(
        default=ClassStyle("美丽街区", "#1a9850", 1.5, fill_color="#66bd63", fill_opacity=0.35),
    ),
    "residential_compounds": LayerStyle(
        default=ClassStyle("住宅小区", "#b2182b", 1.0, fill_color="#f4a582", fill_opacity=0.35),
    ),
    "pois": LayerStyle(category="kind", classes=_POIS, default=_POIS["other"], cluster=True),
    "excavation_permits": LayerStyle(
        category="utility",
        classes=_utility_classes(3.0, fill_opacity=0.35, dash="5 3"),
        default=ClassStyle("其他掘路", "#525252", 3.0, fill_opacity=0.35, dash="5 3"),
    ),
    "complaints": LayerStyle(
        default=ClassStyle("12345工单", "#d62728", 1.0, fill_opacity=0.8, radius=4),
        cluster=True,
    ),
    "water_stations": LayerStyle(
        category="water_body",
        classes={
            "river": ClassStyle("河流断面", "#08519c", 1.5, fill_color="#6baed6",
                                fill_opacity=0.9, radius=6),
            "lake": ClassStyle("湖泊断面", "#08519c", 1.5, fill_color="#c6dbef",
                               fill_opacity=0.9, radius=6),
        },
        default=ClassStyle("水质监测断面", "#08519c", 1.5, fill_opacity=0.9, radius=6),
    ),
}

#: Order in which an overview draws layers, bottom first.
#: Layers too dense to show at district scale on opening (overview maps start them hidden;
#: static overviews leave them out).
DENSE_LAYERS: tuple[str, ...] = ("grid_cells", "pipelines", "complaints")

DRAW_ORDER: tuple[str, ...] = (
    "districts",
    "subdistricts",
    "grid_cells",
    "residential_compounds",
    "beautiful_blocks",
    "rivers",
    "roads",
    "pipelines",
    "excavation_permits",
    "parking_facilities",
    "pois",
    "water_stations",
    "complaints",
)

_GENERIC = LayerStyle(default=ClassStyle("要素", "#3366cc", 2.0, fill_opacity=0.3))


#: How a layer the district defined is drawn when its ``[style]`` leaves a key out, by the
#: family of its first geometry.
DEFINED_DEFAULTS: dict[str, dict[str, float | str]] = {
    "Point": {"color": "#6a3d9a", "weight": 1.0, "fill_opacity": 0.85, "radius": 5.0},
    "LineString": {"color": "#6a3d9a", "weight": 2.5},
    "Polygon": {"color": "#6a3d9a", "weight": 1.5, "fill_opacity": 0.35},
}


def defined_style(layer: Layer) -> LayerStyle:
    """The style of a layer the district defined: its ``[style]`` over the family default,
    one class labelled with the layer's own (Chinese) label.

    Examples
    --------
    >>> from yangpu_gis.catalogue import Column, Layer
    >>> spec = Layer("railways", "铁路", ("LineString",), "railway_id",
    ...              (Column("railway_id", "str", "铁路编号", required=True),),
    ...              style={"color": "#8b4513"})
    >>> s = defined_style(spec).default
    >>> s.label, s.color, s.weight
    ('铁路', '#8b4513', 2.5)
    """
    family = layer.geometry[0] if layer.geometry else "Point"
    options = {**DEFINED_DEFAULTS[family], **(layer.style or {})}
    return LayerStyle(default=ClassStyle(layer.label, **options))


def get_style(layer: str | None) -> LayerStyle:
    """Default style of a catalogue layer (a layer the district defined: its ``[style]``,
    see :func:`defined_style`); a neutral blue style for anything else."""
    if layer is None:
        return _GENERIC
    if layer in STYLES:
        return STYLES[layer]
    spec = CATALOGUE.get(layer)
    if spec is not None and layer not in BUILTIN_LAYERS:
        return defined_style(spec)
    return _GENERIC

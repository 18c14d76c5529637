"""Classified thematic maps of a numeric column: :func:`choropleth_map`."""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ..catalogue import BATCH_COLUMN, CATALOGUE
from ..errors import Problem, ValidationError
from . import base
from .elements import swatch
from .layers import add_layer, infer_layer
from .safe import escape_html
from .styles import ClassStyle, LayerStyle

if TYPE_CHECKING:
    from mapclassify.classifiers import MapClassifier

__all__ = ["choropleth_map", "classify", "format_number"]

NO_DATA = ClassStyle("无数据", "#8c8c8c", 0.8, fill_color="#d9d9d9", fill_opacity=0.6)


#: Most classes a choropleth legend offers (more cannot be told apart by colour).
MAX_CLASSES = 12

def format_number(value: float) -> str:
    """Compact legend number: thousands separators, at most two decimals.

    Examples
    --------
    >>> format_number(1234.5678), format_number(3.0), format_number(0.126)
    ('1,234.57', '3', '0.13')
    """
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def classify(values: np.ndarray, scheme: str, k: int) -> MapClassifier:
    """Classify with the ``mapclassify`` class named ``scheme`` (``k`` classes if it takes k).

    ``mapclassify`` is imported here, not with the module: its import takes seconds (it
    compiles a numba kernel and imports scikit-learn), which every map without a
    choropleth would otherwise pay.

    Raises
    ------
    ValidationError
        If ``scheme`` is not a mapclassify classifier.
    """
    import mapclassify

    cls = getattr(mapclassify, scheme, None)
    if not (inspect.isclass(cls) and issubclass(cls, mapclassify.classifiers.MapClassifier)):
        raise ValidationError(
            f"unknown classification scheme {scheme!r}",
            hint="use a mapclassify classifier name such as NaturalBreaks, Quantiles, "
            "EqualInterval, FisherJenks",
        )
    kwargs = {"k": k} if "k" in inspect.signature(cls.__init__).parameters else {}
    return cls(values, **kwargs)


def _numeric_values(gdf: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """``gdf[column]`` as floats (NaN for blanks); text, dates or infinities are refused."""
    series = gdf[column]
    numbers = None
    if series.dtype.kind in "biuf" or series.dtype == object or str(series.dtype) in (
        "string", "Int64", "Float64", "boolean"
    ):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    if numbers is None:
        bad = np.flatnonzero(series.notna().to_numpy())
    else:
        bad = np.flatnonzero((numbers.isna() & series.notna()).to_numpy()
                             | np.isinf(numbers.to_numpy()))
    if len(bad):
        numeric = [str(c) for c in gdf.columns if c not in (gdf.geometry.name, BATCH_COLUMN)
                   and gdf[c].dtype.kind in "biuf"]
        raise ValidationError(
            f"column {column!r} is not numeric",
            problems=[Problem("not a finite number", rows=(bad + 1).tolist(), field=str(column),
                              row_label="feature")],
            hint="choose a numeric column"
            + (": " + ", ".join(numeric) if numeric else " (this layer has none)"),
        )
    return numbers.to_numpy()


def _colours(cmap: str, n: int) -> list[str]:
    ramp = colormaps[cmap]
    return [to_hex(ramp(x)) for x in np.linspace(0.12, 0.95, n)]


def choropleth_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "NaturalBreaks",
    k: int = 5,
    label: str | None = None,
    layer: str | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    m: folium.Map | None = None,
    precision: int = 6,
) -> folium.Map:
    """Classify a numeric column with ``mapclassify`` and colour the features by class.

    The legend states each class interval (lower bound exclusive, except the first) and
    how many features fall in it; features without a value are grey (``无数据``). The bins
    are also in the legend element's ``data-bins`` attribute, as JSON.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons, lines or points in any CRS.
    column : str
        Numeric column to classify.
    scheme : str
        A ``mapclassify`` classifier: ``NaturalBreaks``, ``Quantiles``, ``EqualInterval``,
        ``FisherJenks`` ... (``NaturalBreaks`` starts from random seeds: seed NumPy for
        repeatable breaks, or use ``FisherJenks``).
    k : int
        Number of classes (for classifiers that take one).
    label : str, optional
        Legend title; default the catalogue label of ``column``.
    layer : str, optional
        Catalogue layer, for popup labels.
    cmap : str
        Matplotlib colour map of the classes (sequential).
    title, data_date, offline, basemap, m, precision
        As in :func:`layer_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValidationError
        If the column is missing, not numeric, or has no values, or ``k`` is not a whole
        number of classes from 1 to :data:`MAX_CLASSES`.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_CLASSES:
        raise ValidationError(f"k = {k!r} classes: give a whole number from 1 to {MAX_CLASSES}",
                              hint="5 classes read well on a map legend")
    if column not in gdf.columns:
        raise ValidationError(f"no column {column!r} to classify", hint=f"columns: {list(gdf.columns)}")
    values = _numeric_values(gdf, column)
    ok = ~np.isnan(values)
    if not ok.any():
        raise ValidationError(f"column {column!r} has no values to classify")
    layer = layer or infer_layer(gdf)
    cat = CATALOGUE.get(layer) if layer else None
    if label is None:
        label = column
        if cat is not None and column in cat.column_names:
            label = cat.column(column).label

    classifier = classify(values[ok], scheme, k)
    bins = np.asarray(classifier.bins, dtype=float)
    nclass = len(bins)
    index = np.full(len(values), nclass, dtype=np.int64)
    index[ok] = classifier.yb
    lower = [float(np.nanmin(values))] + bins[:-1].tolist()
    counts = np.bincount(index, minlength=nclass + 1)
    kind = "area" if gdf.geom_type.str.contains("Polygon").mean() > 0.5 else "line"
    if gdf.geom_type.str.contains("Point").mean() > 0.5:
        kind = "point"
    classes = []
    for i, colour in enumerate(_colours(cmap, nclass)):
        text = f"{format_number(lower[i])} – {format_number(bins[i])}"
        if kind == "area":
            cs = ClassStyle(text, "#6b6b6b", 0.7, fill_color=colour, fill_opacity=0.8)
        elif kind == "point":
            cs = ClassStyle(text, "#444444", 1.0, fill_color=colour, fill_opacity=0.9, radius=6)
        else:
            cs = ClassStyle(text, colour, 4.0)
        classes.append(cs)
    classes.append(NO_DATA)
    items = [
        swatch(f"{c.label}（{counts[i]:,}）", c.leaflet(), kind)
        for i, c in enumerate(classes)
        if i < nclass or counts[i]
    ]
    m = base.map_for(m, title=title, default_title=f"杨浦区{label}分级图", data_date=data_date,
                     offline=offline, basemap=basemap)
    attrs = (
        f' data-scheme="{escape_html(type(classifier).__name__)}"'
        f" data-bins='{escape_html(json.dumps(bins.tolist()))}'"
    )
    add_layer(
        m, gdf, layer, name=f"{label}（{classifier.name if hasattr(classifier, 'name') else scheme}）",
        precision=precision, style=LayerStyle(), classes=classes, class_index=index,
        category_label=f"{label}分级", legend_title=f"{label}（{scheme}, {nclass} 级）",
        legend_items=items, legend_attrs=attrs,
    )
    return base.finalise(m)

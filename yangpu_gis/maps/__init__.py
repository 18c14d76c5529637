"""Maps of the registry layers: interactive folium maps and static PNG exports.

The builders take GeoDataFrames (the caller reads layers from the registry) in any CRS and
return :class:`folium.Map` objects:

* :func:`layer_map` — one layer with its default style, Chinese popups and legend;
* :func:`overview_map` — several layers, each an overlay in the layer switcher;
* :func:`choropleth_map` — a numeric column classified with ``mapclassify``;
* :func:`changes_map` — what a delivery changed (a ``Registry.diff``), per subdistrict;
* :func:`save` — write one HTML file; with ``offline=True`` it needs no network at all;
* :func:`static_map` — a PNG with a CJK font, north arrow and scale bar.
"""

from __future__ import annotations

from .base import AMAP_TILES, save
from .choropleth import choropleth_map
from .layers import layer_map
from .overview import overview_map

__all__ = [
    "AMAP_TILES",
    "changes_map",
    "complaints_map",
    "coverage_map",
    "excavation_map",
    "parking_map",
    "choropleth_map",
    "layer_map",
    "overview_map",
    "save",
    "static_map",
]


def __getattr__(name: str):
    # topic maps import their analysis modules, static maps matplotlib's pyplot: load them
    # on first use (an HTML map of a layer needs neither)
    import importlib

    topics = {"changes_map": "changes", "complaints_map": "complaints", "coverage_map": "coverage",
              "excavation_map": "excavation", "parking_map": "parking", "static_map": "static"}
    if name in topics:
        return getattr(importlib.import_module(f".{topics[name]}", __name__), name)
    raise AttributeError(f"module 'yangpu_gis.maps' has no attribute {name!r}")

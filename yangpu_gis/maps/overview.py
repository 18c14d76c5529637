"""All layers on one map, each its own overlay in the layer switcher: :func:`overview_map`."""

from __future__ import annotations

import folium
import geopandas as gpd

from . import base
from .layers import add_layer
from .styles import DENSE_LAYERS, DRAW_ORDER

__all__ = ["overview_map"]


def overview_map(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    title: str = "杨浦区城市资产总览",
    data_date: object = None,
    offline: bool = False,
    basemap: str | None = None,
    hidden: tuple[str, ...] = DENSE_LAYERS,
) -> folium.Map:
    """Draw several layers on one map, fitted to their joint extent.

    Layers are drawn bottom-up in :data:`~yangpu_gis.maps.styles.DRAW_ORDER` (areas, then
    rivers and roads, then points), whatever the order of ``layers``; unknown names come
    last. Offline, the subdistrict outlines, rivers and roads are the base map.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        Catalogue layer name -> features (any CRS).
    title : str
        Title box text.
    data_date : str or date, optional
        Shown under the title.
    offline : bool
        One self-contained HTML file (see :func:`layer_map`).
    basemap : str, optional
        ``"osm"``, ``"amap"``, ``"none"`` or a tile URL template.
    hidden : tuple of str
        Layers added to the switcher but switched off on opening (dense ones).

    Returns
    -------
    folium.Map
    """
    m = base.new_map(basemap=basemap, offline=offline, title=title, data_date=data_date)
    rank = {name: i for i, name in enumerate(DRAW_ORDER)}
    for name in sorted(layers, key=lambda n: rank.get(n, len(rank))):
        add_layer(m, layers[name], name, show=name not in hidden)
    return base.finalise(m)

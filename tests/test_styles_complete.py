"""Every catalogue layer that has geometry has its own map style (maps/styles.py).

The tests iterate over the catalogue, so a layer added there without a style (or with a
style that names a column the layer lacks, or leaves one of its enumerated values to the
grey "其他" default) fails here instead of showing up as the generic blue "要素" on a map.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
import shapely

from yangpu_gis.catalogue import BUILTIN_LAYERS, CATALOGUE, catalogue_restored, register_layer
from yangpu_gis.layer_definitions import read_definition, shipped_definitions
from yangpu_gis.maps.overview import overview_map
from yangpu_gis.maps.styles import DRAW_ORDER, STYLES, get_style

BUILT_IN = {name: CATALOGUE[name] for name in CATALOGUE if name in BUILTIN_LAYERS}
DRAWN = [name for name, layer in BUILT_IN.items() if layer.has_geometry]
TABLES = [name for name, layer in BUILT_IN.items() if not layer.has_geometry]
CJK = re.compile(r"[\u4e00-\u9fff]")
GENERIC = get_style(None)


def _labels(name: str) -> list[str]:
    style = STYLES[name]
    return [style.default.label, *(c.label for c in style.classes.values())]


def test_the_catalogue_has_layers_to_draw_and_tables_not_to():
    assert "water_stations" in DRAWN and "roads" in DRAWN
    assert TABLES == ["water_samples"]


@pytest.mark.parametrize("name", DRAWN)
def test_every_drawn_layer_has_its_own_style_and_draw_rank(name):
    assert name in STYLES, f"maps/styles.py: STYLES has no entry for catalogue layer {name!r}"
    assert get_style(name) is STYLES[name] and get_style(name) is not GENERIC
    assert name in DRAW_ORDER, f"maps/styles.py: DRAW_ORDER does not place {name!r}"


@pytest.mark.parametrize("name", DRAWN)
def test_legend_labels_are_chinese(name):
    for label in _labels(name):
        assert CJK.search(label), (name, label)


@pytest.mark.parametrize("name", DRAWN)
def test_style_columns_are_columns_of_the_layer(name):
    style, layer = STYLES[name], CATALOGUE[name]
    for column in (style.category, style.size_column, style.label_column):
        if column is not None:
            assert column in layer.column_names, (name, column)
    if style.category is None:
        assert not style.classes, name
        return
    allowed = layer.column(style.category).allowed
    if allowed is not None:  # an enumeration: every value has its class, and nothing else
        assert set(style.classes) == set(allowed), (name, style.category)


def test_styles_and_draw_order_name_only_catalogue_layers_with_geometry():
    assert set(STYLES) == set(DRAWN)
    assert sorted(DRAW_ORDER) == sorted(DRAWN) and len(set(DRAW_ORDER)) == len(DRAW_ORDER)
    assert not set(TABLES) & (set(STYLES) | set(DRAW_ORDER))


@pytest.mark.parametrize("name", DRAWN)
def test_drawn_map_shows_the_layers_own_legend(name):
    """Render one feature per class through the real map builder: the legend shows the
    layer's own labels, never the generic one."""
    layer, style = CATALOGUE[name], STYLES[name]
    values = list(style.classes) or [None]
    geom = {
        "Point": shapely.Point(121.52, 31.29),
        "LineString": shapely.LineString([(121.51, 31.28), (121.53, 31.30)]),
        "Polygon": shapely.box(121.51, 31.28, 121.53, 31.30),
    }[layer.geometry[0]]
    data: dict[str, list] = {c: [f"{c}-{i}" for i in range(len(values))] for c in layer.column_names}
    if style.category is not None:
        data[style.category] = values
    if style.size_column is not None:
        data[style.size_column] = [10 * (i + 1) for i in range(len(values))]
    gdf = gpd.GeoDataFrame(data, geometry=[geom] * len(values), crs="EPSG:4326")
    html = overview_map({name: gdf}, basemap="none", hidden=()).get_root().render()
    expected = [c.label for c in style.classes.values()] or [style.default.label]
    for label in expected:
        assert label in html, (name, label)
    assert GENERIC.default.label not in html, name


# ------------------------------------------------------------------ layers the district defines
@pytest.mark.parametrize("name", sorted(shipped_definitions()))
def test_a_defined_layer_is_drawn_with_its_toml_style_and_chinese_legend(name):
    layer = read_definition(shipped_definitions()[name]).layer
    with catalogue_restored():
        register_layer(layer)
        style = get_style(name)
        assert style is not GENERIC and name not in STYLES
        assert style.default.label == layer.label and CJK.search(style.default.label)
        assert style.default.color == layer.style["color"]
        for key, value in layer.style.items():
            assert getattr(style.default, key) == value
        geom = {"Point": shapely.Point(121.52, 31.29),
                "LineString": shapely.LineString([(121.51, 31.28), (121.53, 31.30)]),
                "Polygon": shapely.box(121.51, 31.28, 121.53, 31.30)}[layer.geometry[0]]
        gdf = gpd.GeoDataFrame({c: [f"{c}-0"] for c in layer.column_names}, geometry=[geom],
                               crs="EPSG:4326")
        html = overview_map({name: gdf}, basemap="none", hidden=()).get_root().render()
    assert layer.label in html and layer.style["color"] in html
    assert GENERIC.default.label not in html


def test_a_defined_layer_without_a_style_gets_the_family_default():
    from yangpu_gis.maps.styles import DEFINED_DEFAULTS

    layer = read_definition(shipped_definitions()["railways"]).layer
    from dataclasses import replace

    bare = replace(layer, style=None)
    with catalogue_restored():
        register_layer(bare)
        style = get_style("railways").default
    assert style.label == "铁路"
    assert (style.color, style.weight) == (DEFINED_DEFAULTS["LineString"]["color"],
                                           DEFINED_DEFAULTS["LineString"]["weight"])
    assert get_style("railways") is GENERIC  # once unregistered: not a layer any more

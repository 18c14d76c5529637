"""TOML layer definitions: the issue's example, the shipped ones, and a corpus of bad ones.

The oracle for the example is the layer written out by hand from the issue's text; for the
bad corpus, the TOML key each mutation breaks; for random mutations, the invariants every
accepted layer must satisfy (a refusal is always a ValidationError with a key and a fix).
"""

from __future__ import annotations

import re
import string

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangpu_gis.catalogue import (
    BUILTIN_LAYERS,
    CATALOGUE,
    COLUMN_TYPES,
    Column,
    Layer,
    catalogue_restored,
    get_layer,
    register_layer,
    unregister_layer,
)
from yangpu_gis.errors import ValidationError
from yangpu_gis.layer_definitions import (
    REGISTRY_PREFIXES,
    RESERVED_COLUMNS,
    parse_definition,
    read_definition,
    resolve_definition,
    shipped_definitions,
)

from .layer_definition_samples import EXAMPLE, good, to_toml

NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = ["<script>alert(1)</script>", "'); DROP TABLE x;--", "[bold]红[/bold]",
           '"quoted" \\ back', "</div><img src=x onerror=alert(1)>"]


def test_the_issues_example_gives_exactly_the_layer_it_describes():
    expected = Layer(
        "railways", "铁路", ("LineString",), "railway_id",
        (Column("railway_id", "str", "铁路编号", required=True, aliases=("osm_id",)),
         Column("kind", "str", "类型", required=True,
                allowed=("rail", "subway", "light_rail", "tram"),
                value_aliases={"铁路": "rail", "地铁": "subway"}, aliases=("railway",))))
    d = parse_definition(EXAMPLE, "railways.toml")
    assert d.layer == expected
    assert d.layer.storage_geometry == "LineString" and d.layer.style is None
    assert d.text == EXAMPLE and len(d.sha256) == 64


@pytest.mark.parametrize("name", sorted(shipped_definitions()))
def test_every_shipped_definition_passes_and_is_chinese(name):
    d = read_definition(shipped_definitions()[name])
    layer = d.layer
    assert layer.name == name and layer.name not in BUILTIN_LAYERS
    assert CJK.search(layer.label)
    assert all(CJK.search(c.label) for c in layer.columns)
    assert layer.columns[0].name == layer.id_column and layer.columns[0].required
    for c in layer.columns:
        if c.allowed:  # every Chinese value alias points into the enumeration
            assert set(c.value_aliases.values()) <= set(c.allowed)
            assert all(CJK.search(k) for k in c.value_aliases)
    assert layer.style is not None and re.fullmatch("#[0-9a-f]{6}", layer.style["color"])


def test_shipped_railways_is_the_example_plus_optional_columns():
    example = parse_definition(EXAMPLE).layer
    shipped = read_definition(shipped_definitions()["railways"]).layer
    assert shipped.columns[:2] == example.columns
    assert all(not c.required for c in shipped.columns[2:])
    assert "name" in shipped.column_names


def test_shipped_layers_have_the_plan_s_fields():
    shipped = {n: read_definition(p).layer for n, p in shipped_definitions().items()}
    assert set(shipped) == {"railways", "bike_parking_zones", "sewer_misconnections",
                            "elevator_installations", "overhead_lines"}
    assert "fixed_date" in shipped["sewer_misconnections"].column_names
    assert "buried_date" in shipped["overhead_lines"].column_names
    lifts = shipped["elevator_installations"]
    assert {"compound_id", "building", "approved_date", "started_date",
            "completed_date"} <= set(lifts.column_names)
    assert lifts.column("compound_id").required
    assert lifts.column("status").value_aliases["在建"] == "under_construction"
    assert set(shipped["bike_parking_zones"].geometry) == {"Polygon", "Point"}


def test_geometry_names_map_to_families_in_order():
    for given_, families in ((["MultiPoint"], ("Point",)),
                             (["MultiPolygon", "Polygon"], ("Polygon",)),
                             (["Point", "MultiLineString", "LineString"], ("Point", "LineString")),
                             ("Polygon", ("Polygon",))):
        data = good()
        data["layer"]["geometry"] = given_
        assert parse_definition(to_toml(data)).layer.geometry == families


def test_the_id_column_is_put_first():
    data = good()
    data["column"].reverse()
    layer = parse_definition(to_toml(data)).layer
    assert layer.column_names == ["railway_id", "length_km", "kind"]


# ------------------------------------------------------------------ the bad corpus
def _set(path: str, value):
    """A mutation: set ``layer.name`` / ``column[2].type`` / ``style.color`` to ``value``
    (``...`` deletes the key)."""

    def mutate(data):
        *parents, last = path.split(".")
        node = data
        for part in parents:
            m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
            node = node[m.group(1)][int(m.group(2)) - 1] if m else node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value
        return data
    return mutate


def _rename(path: str, new: str):
    def mutate(data):
        *parents, last = path.split(".")
        node = data
        for part in parents:
            m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
            node = node[m.group(1)][int(m.group(2)) - 1] if m else node[part]
        node[new] = node.pop(last)
        return data
    return mutate


BAD = [
    ("upper-case layer name", _set("layer.name", "Railways"), "layer.name"),
    ("layer name with a digit first", _set("layer.name", "1rail"), "layer.name"),
    ("layer name with a hyphen", _set("layer.name", "rail-ways"), "layer.name"),
    ("layer name with a newline", _set("layer.name", "railways\n"), "layer.name"),
    ("layer name with a quote", _set("layer.name", 'x"; DROP TABLE roads;--'), "layer.name"),
    ("layer name too long", _set("layer.name", "a" * 42), "layer.name"),
    ("layer name not text", _set("layer.name", 5), "layer.name"),
    ("layer name missing", _set("layer.name", ...), "layer.name"),
    *[(f"built-in layer {n}", _set("layer.name", n), "layer.name") for n in sorted(BUILTIN_LAYERS)],
    *[(f"registry prefix {p}", _set("layer.name", p + "x"), "layer.name")
      for p in REGISTRY_PREFIXES],
    ("typo in a layer key", _rename("layer.label", "lable"), "layer.lable"),
    ("typo in a top-level table", _rename("column", "colum"), "colum"),
    ("unknown top-level key", _set("version", 2), "version"),
    ("label missing", _set("layer.label", ...), "layer.label"),
    ("label empty", _set("layer.label", "  "), "layer.label"),
    ("label with a control character", _set("layer.label", "铁\x07路"), "layer.label"),
    ("label with NUL", _set("layer.label", "铁\x00路"), "layer.label"),
    ("label too long", _set("layer.label", "铁" * 201), "layer.label"),
    ("unknown geometry", _set("layer.geometry", ["Line"]), "layer.geometry"),
    ("no geometry", _set("layer.geometry", []), "layer.geometry"),
    ("geometry not names", _set("layer.geometry", [1]), "layer.geometry"),
    ("geometry missing", _set("layer.geometry", ...), "layer.geometry"),
    ("id names no column", _set("layer.id", "nope"), "layer.id"),
    ("id column not str", _set("column[1].type", "int"), "layer.id"),
    ("id column not required", _set("column[1].required", False), "layer.id"),
    ("id missing", _set("layer.id", ...), "layer.id"),
    *[(f"reserved column {n}", _set("column[3].name", n), "column[3].name")
      for n in sorted(RESERVED_COLUMNS)],
    ("column name upper-case", _set("column[2].name", "Kind"), "column[2].name"),
    ("duplicate column", _set("column[3].name", "kind"), "column[3].name"),
    ("unknown type", _set("column[2].type", "string"), "column[2].type"),
    ("type missing", _set("column[2].type", ...), "column[2].type"),
    ("typo in a column key", _rename("column[2].allowed", "alowed"), "column[2].alowed"),
    ("column label missing", _set("column[2].label", ...), "column[2].label"),
    ("required not a boolean", _set("column[2].required", "yes"), "column[2].required"),
    ("allowed not strings", _set("column[2].allowed", [1, 2]), "column[2].allowed"),
    ("allowed not a list", _set("column[2].allowed", "rail"), "column[2].allowed"),
    ("allowed repeated", _set("column[2].allowed", ["rail", "Rail"]), "column[2].allowed"),
    ("allowed empty", _set("column[2].allowed", []), "column[2].allowed"),
    ("allowed on a number", _set("column[3].allowed", ["1"]), "column[3].allowed"),
    ("value alias outside allowed", _set("column[2].value_aliases", {"单轨": "monorail"}),
     "column[2].value_aliases"),
    ("value alias not text", _set("column[2].value_aliases", {"铁路": 1}),
     "column[2].value_aliases"),
    ("value alias that is an allowed value", _set("column[2].value_aliases", {"rail": "tram"}),
     "column[2].value_aliases"),
    ("value aliases without allowed", _set("column[2].allowed", ...), "column[2].value_aliases"),
    ("min above max", _set("column[3].min", 1000), "column[3].min"),
    ("min as text", _set("column[3].min", "0"), "column[3].min"),
    ("max infinite", _set("column[3].max", float("inf")), "column[3].max"),
    ("max a boolean", _set("column[3].max", True), "column[3].max"),
    ("min on a text column", _set("column[2].min", 0), "column[2].min"),
    ("an alias that another column has", _set("column[2].aliases", ["OSM_ID"]),
     "column[2].aliases"),
    ("an alias that names another column", _set("column[3].aliases", ["kind"]),
     "column[3].aliases"),
    ("aliases not strings", _set("column[2].aliases", [3]), "column[2].aliases"),
    ("colour by name", _set("style.color", "brown"), "style.color"),
    ("colour too short", _set("style.color", "#8B451"), "style.color"),
    ("colour not hex", _set("style.color", "#GGGGGG"), "style.color"),
    ("colour with CSS after it", _set("style.color", "#8B4513;background:url(x)"),
     "style.color"),
    ("typo in a style key", _rename("style.color", "colour"), "style.colour"),
    ("weight too large", _set("style.weight", 100), "style.weight"),
    ("opacity above 1", _set("style.fill_opacity", 2), "style.fill_opacity"),
    ("dash with script", _set("style.dash", "1');alert(1);//"), "style.dash"),
    ("style not a table", _set("style", "red"), "style"),
    ("layer not a table", _set("layer", "railways"), "layer"),
    ("no columns", _set("column", ...), "column"),
]


@pytest.mark.parametrize("what,mutate,key", BAD, ids=[b[0] for b in BAD])
def test_each_bad_definition_is_refused_naming_its_key(what, mutate, key, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(mutate(good())), "utf-8")
    before = dict(CATALOGUE)
    with pytest.raises(ValidationError) as info:
        read_definition(path)
    err = info.value
    assert err.source == str(path)
    fields = [p.field for p in err.problems]
    assert key in fields, (what, err.render())
    assert all(p.field and p.hint for p in err.problems), err.render()
    assert "nothing was registered" in err.message
    assert CATALOGUE == before


def test_the_good_definition_itself_passes():
    assert parse_definition(to_toml(good())).layer.name == "railways"


@pytest.mark.parametrize("text,line", [
    ('[layer]\nname = "railways"\nlabel = 铁路\n', 3),
    ('[layer]\nname = "a"\nname = "b"\n', 3),
    ('[layer\nname = "railways"\n', 1),
])
def test_a_toml_syntax_error_names_its_line(text, line, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ValidationError) as info:
        read_definition(path)
    assert f"on line {line}" in info.value.message and info.value.source == str(path)
    assert info.value.hint


def test_files_that_are_not_definitions_are_refused(tmp_path):
    (tmp_path / "latin1.toml").write_bytes('[layer]\nlabel = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        read_definition(tmp_path / "latin1.toml")
    with pytest.raises(ValidationError, match="cannot read"):
        read_definition(tmp_path / "missing.toml")
    (tmp_path / "huge.toml").write_text("# " + "x" * 300_000, "utf-8")
    with pytest.raises(ValidationError, match="larger than"):
        read_definition(tmp_path / "huge.toml")
    with pytest.raises(ValidationError) as info:
        resolve_definition("no_such_layer")
    assert "railways" in info.value.hint


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_labels_and_values_are_kept_as_plain_text(hostile):
    data = good()
    data["layer"]["label"] = hostile
    data["column"][1]["label"] = hostile
    data["column"][1]["allowed"] = ["rail", hostile]
    data["column"][1]["value_aliases"] = {hostile + "别名": hostile}
    data["column"][1]["aliases"] = [hostile]
    layer = parse_definition(to_toml(data)).layer
    assert layer.label == hostile and layer.column("kind").label == hostile
    assert layer.column("kind").allowed == ("rail", hostile)
    assert layer.column("kind").aliases == (hostile,)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_labels_are_escaped_on_the_map(hostile):
    from yangpu_gis.maps.overview import overview_map

    data = good()
    data["layer"]["label"] = hostile
    data["column"][0]["label"] = hostile
    with catalogue_restored():
        register_layer(parse_definition(to_toml(data)).layer)
        gdf = gpd.GeoDataFrame({"railway_id": [hostile], "kind": ["rail"], "length_km": [1.0]},
                               geometry=[shapely.LineString([(121.51, 31.28), (121.53, 31.3)])],
                               crs="EPSG:4326")
        html = overview_map({"railways": gdf}, basemap="none", hidden=()).get_root().render()
    for raw in ("<script>alert(1)", "<img src=x", "</div><img"):
        if raw in hostile:
            assert raw not in html


# ------------------------------------------------------------------ random mutations
_KEYS = ["name", "label", "type", "required", "allowed", "value_aliases", "min", "max",
         "aliases", "geometry", "id", "color", "weight", "dash", "nme", "colour", "fill_opacity"]
_values = st.one_of(
    st.text(max_size=12), st.sampled_from(["railways", "kind", "str", "int", "date", "#aabbcc",
                                          "LineString", "rail", "", "Point", "batch_id"]),
    st.integers(-5, 300), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.lists(st.sampled_from(["rail", "tram", "x", "Point", "rail"]), max_size=4),
    st.dictionaries(st.sampled_from(["铁路", "rail", "z"]),
                    st.sampled_from(["rail", "subway", "monorail"]), max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["layer", "column1", "column2", "column3", "style"]),
       key=st.sampled_from(_KEYS), value=_values, delete=st.booleans())
def test_random_mutations_are_refused_clearly_or_give_a_sound_layer(where, key, value, delete):
    data = good()
    table = data["column"][int(where[-1]) - 1] if where.startswith("column") else data[where]
    if delete:
        table.pop(key, None)
    else:
        table[key] = value
    try:
        text = to_toml(data)
    except TypeError:
        return
    try:
        layer = parse_definition(text, "random.toml").layer
    except ValidationError as exc:
        assert exc.source == "random.toml" and exc.problems
        assert all(p.field and p.hint for p in exc.problems), exc.render()
        return
    # accepted: everything the registry relies on holds
    assert NAME.fullmatch(layer.name) and layer.name not in BUILTIN_LAYERS
    assert not layer.name.startswith(REGISTRY_PREFIXES)
    names = layer.column_names
    assert len(set(names)) == len(names) and not set(names) & RESERVED_COLUMNS
    assert all(NAME.fullmatch(n) for n in names)
    idc = layer.column(layer.id_column)
    assert idc.type == "str" and idc.required and names[0] == layer.id_column
    for c in layer.columns:
        assert c.type in COLUMN_TYPES and isinstance(c.label, str) and c.label.strip()
        if c.allowed:
            assert c.type == "str" and set(c.value_aliases.values()) <= set(c.allowed)
        if c.min is not None and c.max is not None:
            assert c.min <= c.max
    assert set(layer.geometry) <= {"Point", "LineString", "Polygon"} and layer.geometry
    if layer.style:
        assert set(layer.style) <= {"color", "fill_color", "weight", "fill_opacity", "opacity",
                                    "radius", "dash"}
        for k in ("color", "fill_color"):
            if k in layer.style:
                assert re.fullmatch("#[0-9a-f]{6}", layer.style[k])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable + "铁路[]{}=\"'", max_size=200))
def test_arbitrary_text_is_refused_as_a_validation_error(text):
    try:
        parse_definition(text, "x.toml")
    except ValidationError as exc:
        assert exc.source == "x.toml" and (exc.problems or exc.hint)


# ------------------------------------------------------------------ the catalogue
def _railways() -> Layer:
    return parse_definition(EXAMPLE).layer


def test_register_layer_is_idempotent_and_refuses_a_different_definition():
    with catalogue_restored():
        first = register_layer(_railways())
        assert register_layer(_railways()) is first and get_layer("railways") is first
        other = parse_definition(EXAMPLE.replace('"tram"]', '"tram", "metro"]')).layer
        with pytest.raises(ValidationError, match="different definition"):
            register_layer(other)
        assert get_layer("railways") is first
        unregister_layer("railways")
        assert "railways" not in CATALOGUE
    assert "railways" not in CATALOGUE


def test_register_layer_never_overrides_a_built_in_layer():
    roads = get_layer("roads")
    with pytest.raises(ValidationError, match="built-in"):
        register_layer(Layer("roads", "道路", ("LineString",), "road_id",
                             (Column("road_id", "str", "编号", required=True),)))
    with pytest.raises(ValidationError):
        unregister_layer("roads")
    assert get_layer("roads") is roads


def test_catalogue_restored_undoes_every_registration():
    before = dict(CATALOGUE)
    with catalogue_restored():
        for path in shipped_definitions().values():
            register_layer(read_definition(path).layer)
        assert set(CATALOGUE) == set(before) | set(shipped_definitions())
    assert CATALOGUE == before

"""Layer definitions stored in the registry, on both backends: add, reopen, load, refuse, draw.

Oracles: the stored text and its sha256 computed here; the real OSM railways read with
pyogrio; a built-in layer of the same geometry family given the same rows (a registered
layer must be refused, repaired and stored exactly as a built-in one is).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from yangpu_gis import open_registry
from yangpu_gis.catalogue import CATALOGUE, unregister_layer
from yangpu_gis.errors import ValidationError
from yangpu_gis.layer_definitions import parse_definition, read_definition, shipped_definitions

from .conftest import SHARED_REAL
from .layer_definition_samples import EXAMPLE

OSM_GPKG = SHARED_REAL / "osm_derived" / "yangpu_nw_osm_layers.gpkg"
needs_real = pytest.mark.skipif(not OSM_GPKG.exists(), reason="shared real data not present")


@pytest.fixture
def target(registry_target):
    return registry_target


def _stored_rows(target: str) -> list[tuple]:
    """The definitions table read directly (sqlite3 / psycopg), not through the registry."""
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target) as conn:
            return conn.execute("SELECT name, definition, sha256, os_user, added_at FROM "
                                "yangpu_layer_definitions ORDER BY name").fetchall()
    with sqlite3.connect(target) as con:
        return con.execute("SELECT name, definition, sha256, os_user, added_at FROM "
                           "yangpu_layer_definitions ORDER BY name").fetchall()


def _fingerprint(target: str):
    if target.startswith("postgresql"):
        return _stored_rows(target)
    return hashlib.sha256(Path(target).read_bytes()).hexdigest()


def test_a_definition_is_stored_in_the_registry_and_registered_when_it_is_opened(target):
    with open_registry(target, create=True) as reg:
        layer = reg.add_layer_definition(EXAMPLE)
    assert layer == parse_definition(EXAMPLE).layer and CATALOGUE["railways"] is layer
    rows = _stored_rows(target)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("railways", EXAMPLE, hashlib.sha256(EXAMPLE.encode()).hexdigest())]
    assert rows[0][3] and rows[0][4]
    unregister_layer("railways")  # as a new process would start
    with open_registry(target) as reg:
        assert CATALOGUE["railways"] == layer
        assert "railways" in set(reg.layers()["layer"])
    if not target.startswith("postgresql"):  # registered in gpkg_contents as attributes
        with sqlite3.connect(target) as con:
            kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                               "'yangpu_layer_definitions'").fetchone()
        assert kind == ("attributes",)


def test_adding_again_changes_nothing_and_a_different_definition_is_refused(target, tmp_path):
    with open_registry(target, create=True) as reg:
        reg.add_layer_definition(EXAMPLE)
        before = _fingerprint(target)
        again = tmp_path / "railways.toml"
        again.write_text("# the same layer, said again\n" + EXAMPLE, "utf-8")
        assert reg.add_layer_definition(again) == CATALOGUE["railways"]
        assert _fingerprint(target) == before
        changed = tmp_path / "changed.toml"
        changed.write_text(EXAMPLE.replace('"tram"]', '"tram", "metro"]'), "utf-8")
        with pytest.raises(ValidationError) as info:
            reg.add_layer_definition(changed)
        assert info.value.source == str(changed) and "another name" in info.value.hint
        assert _fingerprint(target) == before
        with pytest.raises(ValidationError) as bad:
            reg.add_layer_definition(EXAMPLE.replace('"railways"', '"roads"', 1))
        assert bad.value.problems[0].field == "layer.name"
        assert _fingerprint(target) == before


def test_every_shipped_definition_can_be_added(target):
    with open_registry(target, create=True) as reg:
        for name in shipped_definitions():
            assert reg.add_layer_definition(name).name == name
        assert {r[0] for r in _stored_rows(target)} == set(shipped_definitions())
        counts = dict(zip(reg.layers()["layer"], reg.layers()["features"], strict=True))
    assert all(counts[n] == 0 for n in shipped_definitions())


@needs_real
def test_the_real_osm_railways_load_into_the_registered_layer(target):
    oracle = pyogrio.read_dataframe(OSM_GPKG, layer="railways")
    with open_registry(target, create=True) as reg:
        reg.add_layer_definition("railways")
        result = reg.load(OSM_GPKG, "railways", source_layer="railways")
        got = reg.read("railways")
        assert result.rows_inserted == len(oracle) == 13
        by_id = oracle.set_index("osm_id")
        assert sorted(got["railway_id"]) == sorted(by_id.index)
        assert dict(zip(got["railway_id"], got["name"], strict=True)) == by_id["name"].to_dict()
        assert dict(zip(got["railway_id"], got["kind"], strict=True)) == \
            by_id["railway"].to_dict()
        assert {"611专用线", "上海地铁10号线", "上海地铁18号线"} == set(got["name"])
        back = got.to_crs(4326).set_index("railway_id").geometry
        moved = [shapely.hausdorff_distance(back[i], by_id.geometry[i]) for i in by_id.index]
        assert max(moved) < 1e-7  # degrees: the same lines, through the working CRS and back
        out = reg.export("railways", Path(str(reg.target)).parent / "railways_out.gpkg"
                         if not target.startswith("postgresql") else _tmp_out())
    exported = pyogrio.read_dataframe(out)
    assert sorted(exported["railway_id"]) == sorted(by_id.index)


def _tmp_out() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp()) / "railways_out.gpkg"


def _railway_frame(kinds: list[str], geoms=None) -> gpd.GeoDataFrame:
    n = len(kinds)
    geoms = geoms or [shapely.LineString([(121.51 + i * 1e-3, 31.28), (121.515 + i * 1e-3, 31.29)])
                      for i in range(n)]
    return gpd.GeoDataFrame({"railway_id": [f"R{i}" for i in range(n)], "kind": kinds,
                             "name": [f"线{i}" for i in range(n)]}, geometry=geoms, crs=4326)


def _as_roads(frame: gpd.GeoDataFrame, road_class: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"road_id": frame["railway_id"], "name": frame["name"],
                             "road_class": road_class}, geometry=frame.geometry, crs=frame.crs)


def _refusal(reg, path: Path, layer: str, **kw):
    with pytest.raises(ValidationError) as info:
        reg.load(path, layer, **kw)
    return [(p.message, sorted(p.rows), p.field) for p in info.value.problems]


def test_a_bad_row_is_refused_as_a_built_in_layer_refuses_it(target, tmp_path):
    frame = _railway_frame(["rail", "subway", "monorail", "地铁"])
    (tmp_path / "rail.gpkg").unlink(missing_ok=True)
    frame.to_file(tmp_path / "rail.gpkg")
    roads = _as_roads(frame, ["arterial", "branch", "monorail", "主干路"])
    roads.to_file(tmp_path / "roads.gpkg")
    with open_registry(target, create=True) as reg:
        reg.add_layer_definition("railways")
        reg.load(_railway_frame(["rail"]).assign(railway_id=["OK1"]), "railways")
        before = (_fingerprint(target), len(reg.batches()), len(reg.read("railways")))
        problems = _refusal(reg, tmp_path / "rail.gpkg", "railways")
        assert [(rows, field) for _, rows, field in problems] == [([3], "kind")]
        assert "monorail" in problems[0][0]
        # the same rows in a built-in layer: the same row, field and kind of message
        builtin = _refusal(reg, tmp_path / "roads.gpkg", "roads")
        assert [(rows, f.replace("road_class", "kind")) for _, rows, f in builtin] == \
            [(rows, field) for _, rows, field in problems]
        assert (_fingerprint(target), len(reg.batches()), len(reg.read("railways"))) == before
        # the Chinese value alias of the definition is accepted like 主干路 for roads
        good = frame[frame["kind"] != "monorail"]
        reg.load(good, "railways")
        assert dict(zip(reg.read("railways")["railway_id"], reg.read("railways")["kind"],
                        strict=True)) == {"OK1": "rail", "R0": "rail", "R1": "subway",
                                          "R3": "subway"}


MULTI = {
    "single-part": shapely.MultiLineString([[(121.51, 31.28), (121.52, 31.29)]]),
    "joinable": shapely.MultiLineString([[(121.51, 31.28), (121.515, 31.285)],
                                        [(121.515, 31.285), (121.52, 31.29)]]),
    "disjoint": shapely.MultiLineString([[(121.51, 31.28), (121.512, 31.282)],
                                        [(121.52, 31.29), (121.522, 31.292)]]),
}


@pytest.mark.parametrize("case", list(MULTI))
@pytest.mark.parametrize("repair", [False, True], ids=["plain", "repair"])
def test_a_multilinestring_delivery_is_treated_as_for_roads(target, tmp_path, case, repair):
    frame = _railway_frame(["rail", "subway"], [shapely.LineString([(121.5, 31.27),
                                                                    (121.505, 31.275)]),
                                                MULTI[case]])
    frame.to_file(tmp_path / "rail.gpkg")
    _as_roads(frame, ["branch", "branch"]).to_file(tmp_path / "roads.gpkg")
    outcomes = []
    with open_registry(target, create=True) as reg:
        reg.add_layer_definition("railways")
        for layer, path, idc in (("railways", "rail.gpkg", "railway_id"),
                                 ("roads", "roads.gpkg", "road_id")):
            try:
                reg.load(tmp_path / path, layer, repair=repair)
            except ValidationError as exc:
                outcomes.append(("refused", [(p.message, sorted(p.rows), p.field)
                                             for p in exc.problems]))
                continue
            stored = reg.read(layer).set_index(idc).geometry
            outcomes.append(("stored", sorted((k, g.geom_type, round(g.length, 3))
                                              for k, g in stored.items())))
    assert outcomes[0] == outcomes[1]
    expected = "stored" if repair and case != "disjoint" else "refused"
    assert outcomes[0][0] == expected, outcomes
    if expected == "refused":  # (a GeoPackage of mixed lines promotes row 1 to multi too)
        assert any(2 in rows and field == "geometry" for _, rows, field in outcomes[0][1])


def test_the_registered_layer_is_drawn_with_its_own_style(target):
    from yangpu_gis.maps.overview import overview_map
    from yangpu_gis.maps.styles import get_style

    with open_registry(target, create=True) as reg:
        reg.add_layer_definition("railways")
        reg.load(_railway_frame(["rail", "subway"]), "railways")
        html = overview_map({"railways": reg.read("railways")}, basemap="none",
                            hidden=()).get_root().render()
    style = get_style("railways").default
    assert style.label == "铁路" and style.color == "#8b4513" and style.dash == "10 4"
    assert "铁路" in html and "#8b4513" in html and "线0" in html


@pytest.mark.postgis
def test_postgis_ddl_of_a_definition_has_its_checks_and_escapes_its_labels(pg_url):
    """The generator of built-in tables, run on a definition with hostile text (psycopg
    directly: independent of the registry class)."""
    import psycopg

    from yangpu_gis.registry.postgis.ddl import BATCHES_DDL, layer_ddl

    hostile = "'); DROP TABLE yangpu_batches;--"
    text = (EXAMPLE.replace('label = "铁路"', 'label = "铁路 \\" <script> [bold]"')
            .replace('"tram"]', f'"tram", "{hostile}"]'))
    spec = parse_definition(text).layer
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(BATCHES_DDL)
        for stmt in layer_ddl(spec, 4549):
            conn.execute(stmt)
        checks = [r[0] for r in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'railways'::regclass AND contype = 'c'")]
        assert len(checks) == 1 and all(f"'{v}'" in checks[0] for v in
                                        ("rail", "subway", "light_rail", "tram"))
        comment = conn.execute("SELECT obj_description('railways'::regclass)").fetchone()[0]
        assert comment == spec.label
        conn.execute("INSERT INTO yangpu_batches (layer, mode, source) VALUES ('railways', "
                     "'append', 'test')")
        insert = ("INSERT INTO railways (railway_id, kind, batch_id, geom) VALUES "
                  "(%s, %s, 1, ST_GeomFromText('LINESTRING(0 0, 1 1)', 4549))")
        conn.execute(insert, ["A", hostile])
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(insert, ["B", "monorail"])
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute(insert, ["C", None])
        assert conn.execute("SELECT to_regclass('yangpu_batches') IS NOT NULL").fetchone()[0]


def test_a_shipped_definition_file_and_its_name_give_the_same_layer():
    for name, path in shipped_definitions().items():
        assert read_definition(path).layer.name == name
    assert np.all([p.suffix == ".toml" for p in shipped_definitions().values()])

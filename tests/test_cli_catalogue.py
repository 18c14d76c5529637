"""``yangpu-gis catalogue add/list/show`` and a registered layer end to end, in subprocesses,
on both backends: add ``railways.toml``, load the real OSM railways by the path the issue
gives (``../shared/data/real/…`` from the repository), refuse a bad row, list, export, map.

The oracle for the railways is a pyogrio read of the same file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from yangpu_gis.layer_definitions import shipped_definitions

from .cli_run import REPO, crashed, run_cli
from .conftest import SHARED_REAL
from .layer_definition_samples import EXAMPLE

OSM_GPKG = SHARED_REAL / "osm_derived" / "yangpu_nw_osm_layers.gpkg"
#: The path of the issue's command, relative to the repository (where the CLI runs).
OSM_RELATIVE = os.path.relpath(OSM_GPKG, REPO)


@pytest.fixture
def target(registry_target):
    return registry_target


def _json(*args, code: int = 0):
    run = run_cli(*args, "--json")
    assert run.returncode == code, run
    assert not crashed(run.output), run
    return json.loads(run.stdout)


@pytest.mark.skipif(not OSM_GPKG.exists(), reason="shared real data not present")
def test_add_then_load_the_real_railways_list_export_and_map(target, tmp_path):
    assert OSM_RELATIVE.startswith("..")  # the issue's relative path works from the repo
    definition = tmp_path / "railways.toml"
    shutil.copyfile(shipped_definitions()["railways"], definition)
    added = _json("catalogue", "add", definition, "-r", target)
    assert added["layer"] == "railways" and added["added"] is True
    assert _json("catalogue", "add", definition, "-r", target)["added"] is False

    loaded = _json("load", OSM_RELATIVE, "--source-layer", "railways", "--layer", "railways",
                   "-r", target)
    oracle = pyogrio.read_dataframe(OSM_GPKG, layer="railways")
    assert loaded["rows_inserted"] == len(oracle) == 13

    layers = {r["layer"]: r["features"] for r in _json("layers", "-r", target)}
    assert layers["railways"] == 13
    out = tmp_path / "railways_out.gpkg"
    assert _json("export", "railways", "-o", out, "-r", target)["features"] == 13
    exported = pyogrio.read_dataframe(out)
    assert sorted(zip(exported["railway_id"], exported["name"], exported["kind"],
                      strict=True)) == sorted(zip(oracle["osm_id"], oracle["name"],
                                                  oracle["railway"], strict=True))
    assert set(exported["name"]) == {"611专用线", "上海地铁10号线", "上海地铁18号线"}

    html = tmp_path / "all.html"
    drawn = _json("map", "all", "-o", html, "--offline", "-r", target)
    assert drawn["features"] == 13
    page = html.read_text("utf-8")
    assert "铁路" in page and "#8b4513" in page and "611专用线" in page

    listed = {r["layer"]: r["origin"] for r in _json("catalogue", "list", "-r", target)}
    assert listed["railways"] == "registered" and listed["roads"] == "built-in"
    assert listed["overhead_lines"] == "shipped, not added"
    shown = _json("catalogue", "show", "railways", "-r", target)
    assert shown["origin"] == "registered"
    kind = next(c for c in shown["columns"] if c["name"] == "kind")
    assert kind["allowed"] == ["rail", "subway", "light_rail", "tram"]
    assert kind["value_aliases"] == {"铁路": "rail", "地铁": "subway"}

    # a bad row: refused naming its row and field; the registry as it was
    bad = oracle.iloc[:3].copy()
    bad.loc[bad.index[2], "railway"] = "monorail"
    bad["osm_id"] = ["N1", "N2", "N3"]
    bad.to_file(tmp_path / "bad.gpkg", layer="railways")
    batches = len(_json("batches", "-r", target))
    refused = _json("load", tmp_path / "bad.gpkg", "--layer", "railways", "-r", target, code=2)
    assert [(p["field"], p["rows"]) for p in refused["problems"]] == [("kind", [3])]
    assert "monorail" in refused["problems"][0]["message"]
    assert len(_json("batches", "-r", target)) == batches
    assert {r["layer"]: r["features"] for r in _json("layers", "-r", target)}["railways"] == 13


def test_the_issues_example_file_as_written(target, tmp_path):
    path = tmp_path / "railways.toml"
    path.write_text(EXAMPLE, "utf-8")
    run = run_cli("catalogue", "add", path, "-r", target)
    assert run.returncode == 0 and "added layer railways (铁路)" in run.stdout, run
    frame = gpd.GeoDataFrame({"osm_id": ["1", "2"], "railway": ["地铁", "rail"]},
                             geometry=[shapely.LineString([(121.51, 31.28), (121.52, 31.29)]),
                                       shapely.LineString([(121.52, 31.28), (121.53, 31.29)])],
                             crs=4326)
    frame.to_file(tmp_path / "lines.geojson")
    loaded = _json("load", tmp_path / "lines.geojson", "-l", "railways", "-r", target)
    assert loaded["rows_inserted"] == 2
    assert loaded["mapping"] == {"osm_id": "railway_id", "railway": "kind"}
    shown = run_cli("catalogue", "show", "railways", "-r", target)
    assert shown.returncode == 0 and "铁路编号" in shown.stdout and "osm_id" in shown.stdout


def test_a_bad_definition_is_refused_with_its_file_key_and_fix(tmp_path):
    reg = tmp_path / "r.gpkg"
    path = tmp_path / "bad.toml"
    path.write_text(EXAMPLE.replace('type = "str"\nlabel = "类型"', 'type = "text"\nlabel = "类型"'),
                    "utf-8")
    data = _json("catalogue", "add", path, "-r", reg, code=2)
    assert data["error"] == "ValidationError" and data["source"] == str(path)
    assert [p["field"] for p in data["problems"]] == ["column[2].type"]
    assert "str" in data["problems"][0]["hint"]
    assert not reg.exists()  # nothing was written, not even a new file
    text = run_cli("catalogue", "add", path, "-r", reg)
    assert text.returncode == 2 and "column[2].type" in text.stderr and not crashed(text.output)
    path.write_text("[layer]\nname = \n", "utf-8")
    syntax = run_cli("catalogue", "add", path, "-r", reg)
    assert syntax.returncode == 2 and "on line 2" in syntax.stderr, syntax
    missing = run_cli("catalogue", "add", "no_such_layer", "-r", reg)
    assert missing.returncode == 2 and "railways" in missing.stderr, missing


def test_hostile_labels_print_as_text(tmp_path):
    reg = tmp_path / "r.gpkg"
    path = tmp_path / "x.toml"
    path.write_text(EXAMPLE.replace('label = "铁路"', 'label = "[bold]红[/bold] <script>"'),
                    "utf-8")
    assert run_cli("catalogue", "add", path, "-r", reg).returncode == 0
    for args in (("catalogue", "show", "railways"), ("catalogue", "list"), ("layers",)):
        run = run_cli(*args, "-r", reg)
        assert run.returncode == 0, run
        assert "[bold]红[/bold] <script>" in run.stdout.replace("\n", ""), run


def test_show_and_list_need_no_definition_added(tmp_path):
    reg = tmp_path / "r.gpkg"
    assert run_cli("catalogue", "add", "sewer_misconnections", "-r", reg).returncode == 0
    shown = _json("catalogue", "show", "elevator_installations", "-r", reg)
    assert shown["origin"] == "shipped, not added" and shown["id"] == "installation_id"
    roads = _json("catalogue", "show", "roads", "-r", reg)
    assert roads["origin"] == "built-in"
    unknown = run_cli("catalogue", "show", "nope", "-r", reg)
    assert unknown.returncode == 2 and "sewer_misconnections" in unknown.stderr
    listed = _json("catalogue", "list", "-r", reg)
    origins = {r["layer"]: r["origin"] for r in listed}
    assert origins["sewer_misconnections"] == "registered"
    assert sum(o == "shipped, not added" for o in origins.values()) == 4


def test_every_catalogue_command_has_plain_help():
    for sub in ("add", "list", "show"):
        run = run_cli("catalogue", sub, "--help")
        assert run.returncode == 0 and "--registry" in run.stdout and "--json" in run.stdout


def test_the_definition_file_argument_reads_relative_to_the_working_folder(tmp_path):
    (tmp_path / "defs").mkdir()
    Path(tmp_path / "defs" / "railways.toml").write_text(EXAMPLE, "utf-8")
    run = run_cli("catalogue", "add", "defs/railways.toml", "-r", "r.gpkg", cwd=tmp_path)
    assert run.returncode == 0, run
    assert (tmp_path / "r.gpkg").exists()

"""Every command and subcommand of ``yangpu-gis`` runs, in a fresh process, on the demo registry.

The list of commands comes from the typer app itself: a command added without a case here
fails :func:`test_every_command_has_a_case` (the class of bug behind ``check-permit``, which
crashed on every call with a circular import that in-process tests never saw).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pyogrio
import pytest

from .cli_run import REPO, cli_commands, crashed, run_cli

DEMO = REPO / "data" / "demo"
#: The 16 districts of Shanghai (Aliyun DataV, GCJ-02), for ``init``: the whole city.
DATAV_CITY = REPO.parent / "shared" / "data" / "real" / "datav_geomapdata_cn" / "310000.json"
COMMANDS = cli_commands()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``yangpu-gis demo`` once for this module: the registry, its overview map, analyses."""
    root = tmp_path_factory.mktemp("demo")
    run = run_cli("demo", "-r", root / "yangpu.gpkg", "-o", root / "overview.html",
                  "--analyses", root / "analyses", "--json", cwd=root)
    assert run.returncode == 0, run
    return root, json.loads(run.stdout)


@pytest.fixture
def demo_copy(demo, tmp_path):
    """A private copy of the demo registry (one file: the DEM is inside) for commands that write."""
    root, _ = demo
    target = tmp_path / "copy.gpkg"
    shutil.copyfile(root / "yangpu.gpkg", target)
    return target


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as con:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608


def _application(demo_registry: Path, folder: Path) -> Path:
    """A permit application: a 6 m square on the first demo road, in WGS84 GeoJSON."""
    roads = pyogrio.read_dataframe(demo_registry, layer="roads").to_crs(4326)
    point = roads.geometry.iloc[0].interpolate(0.5, normalized=True)
    import geopandas as gpd

    app = gpd.GeoDataFrame({"permit_id": ["TEST-1"], "planned_start": ["2026-03-01"],
                            "planned_end": ["2026-03-20"]},
                           geometry=[point.buffer(0.00003, cap_style=3)], crs=4326)
    path = folder / "application.geojson"
    app.to_file(path)
    return path


def _outputs_exist(paths) -> None:
    """Every path named in an analysis's ``outputs`` (nested dicts too) exists and is not empty."""
    if isinstance(paths, dict | list):
        for v in (paths.values() if isinstance(paths, dict) else paths):
            _outputs_exist(v)
        return
    p = Path(paths)
    assert p.exists(), p
    assert p.is_dir() or p.stat().st_size > 0, p


# Each case: arguments (with {reg}, {copy}, {tmp}, {app}), whether it needs a private copy of
# the registry, and a check of its JSON output against the registry or the files it wrote.
def _check_load(data, ctx):
    assert data["rows_read"] == _count(ctx["demo_registry"], "beautiful_blocks")
    # the same file as the demo's: every row is unchanged, none is "updated"
    assert (data["rows_inserted"], data["rows_updated"], data["rows_unchanged"]) == (
        0, 0, data["rows_read"])


def _check_validate(data, ctx):
    assert data["dry_run"] is True and data["batch_id"] is None
    assert data["rows_read"] == _count(ctx["demo_registry"], "beautiful_blocks")


def _check_layers(data, ctx):
    counts = {r["layer"]: r["features"] for r in data}
    assert counts["roads"] == _count(ctx["demo_registry"], "roads")
    assert counts["complaints"] == _count(ctx["demo_registry"], "complaints")
    dem = next(r for r in data if r["layer"] == "dem")
    assert dem["loaded"] is True and dem["geometry"] == "raster" and dem["width"] > 0


def _check_export(data, ctx):
    out = Path(data["output"])
    assert pyogrio.read_info(out)["features"] == _count(ctx["demo_registry"], "roads")
    assert data["features"] == _count(ctx["demo_registry"], "roads")


def _check_info(data, ctx):
    assert data["batches"] == _count(ctx["demo_registry"], "yangpu_batches")
    assert data["layers"]["pipelines"] == _count(ctx["demo_registry"], "pipelines")


def _check_batches(data, ctx):
    with sqlite3.connect(ctx["demo_registry"]) as con:
        ids = [r[0] for r in con.execute("SELECT batch_id FROM yangpu_batches ORDER BY 1")]
    assert [b["batch_id"] for b in data] == ids


def _check_diff(data, ctx):
    # the demo loaded roads once: everything is added against the empty registry (batch 0)
    assert data["layer"] == "roads" and data["from"] == 0
    assert len(data["added"]) == _count(ctx["demo_registry"], "roads")
    assert data["removed"] == [] and data["modified"] == [] and data["unchanged"] == 0


def _check_history(data, ctx):
    with sqlite3.connect(ctx["demo_registry"]) as con:
        batch, name = con.execute(
            "SELECT batch_id, name FROM roads WHERE road_id = 'R00001'").fetchone()
    assert [(v["batch_id"], v["ended_batch"]) for v in data] == [(batch, None)]
    assert data[0]["values"]["name"] == name and data[0]["geometry_wkt"].startswith("LINESTRING")


def _check_revert(data, ctx):
    # batch 1 is the demo's first load (subdistricts), which no later load touched
    assert (data["mode"], data["reverted_batch"]) == ("revert", 1)
    assert data["rows_deleted"] == _count(ctx["demo_registry"], "subdistricts")


def _check_demo(data, ctx):
    counts = {r["layer"]: r["features"] for r in data["layers"]}
    assert counts["roads"] == _count(ctx["demo_registry"], "roads")
    for p in data["maps"]:
        assert Path(p).stat().st_size > 0


def _check_map(data, ctx):
    html = Path(data["output"]).read_text("utf-8")
    assert "leaflet" in html.lower()
    assert data["features"] == _count(ctx["demo_registry"], "roads")


def _check_load_raster(data, ctx):
    assert data["layer"] == "dem" and data["batch_id"] is not None and data["rows_inserted"] > 0


def _check_permit(data, ctx):
    from yangpu_gis.analysis.excavation import VERDICTS

    assert data["verdict"] in VERDICTS


def _check_upgrade(data, ctx):
    # the demo registry is already one file: nothing to move, the file as it was
    assert data["backend"] == "geopackage" and data["rasters"] == []


def _check_analysis(data, ctx):
    if "reports" in data:  # coverage: one entry per preset
        assert data["reports"]
        for r in data["reports"]:
            _outputs_exist(r["outputs"])
        return
    _outputs_exist(data["outputs"] if "outputs" in data else data["files"])


def _check_init(data, ctx):
    # the demo (Yangpu) lies inside the city: recorded, with its 16 districts as parts
    assert (data["code"], data["name"], data["recorded"]) == ("310000", "上海市", True)
    assert len(data["parts"]) == 16 and "杨浦区" in [p["name"] for p in data["parts"]]
    assert _count(data["registry"], "yangpu_district") == 17


def _check_catalogue_add(data, ctx):
    # the copy now holds the shipped definition, stored in the registry itself
    from yangpu_gis.layer_definitions import read_definition, shipped_definitions

    # (railways: the demo's manifest already brings the 美丽家园 and overhead-line layers)
    assert data["layer"] == "railways" and data["added"] is True
    with sqlite3.connect(data["registry"]) as con:
        stored = con.execute("SELECT definition FROM yangpu_layer_definitions WHERE name = ?",
                             ("railways",)).fetchone()[0]
    assert stored == read_definition(shipped_definitions()["railways"]).text


def _check_catalogue_list(data, ctx):
    from yangpu_gis.catalogue import BUILTIN_LAYERS
    from yangpu_gis.layer_definitions import shipped_definitions

    origins = {r["layer"]: r["origin"] for r in data}
    assert {n for n, o in origins.items() if o == "built-in"} == set(BUILTIN_LAYERS)
    assert {n for n, o in origins.items() if o != "built-in"} == set(shipped_definitions())


def _check_catalogue_show(data, ctx):
    from yangpu_gis.catalogue import get_layer

    assert data["origin"] == "built-in" and data["id"] == "road_id"
    assert [c["name"] for c in data["columns"]] == get_layer("roads").column_names


CASES = {
    ("load",): (["load", DEMO / "beautiful_blocks.geojson", "-l", "beautiful_blocks", "-r",
                 "{copy}", "--mode", "upsert"], True, _check_load),
    ("validate",): (["validate", DEMO / "beautiful_blocks.geojson", "-l", "beautiful_blocks",
                     "-r", "{reg}", "--mode", "upsert"], False, _check_validate),
    ("layers",): (["layers", "-r", "{reg}"], False, _check_layers),
    ("init",): (["init", "--district-outline", DATAV_CITY, "--crs", "gcj02", "--code", "310000",
                 "--name", "上海市", "-r", "{copy}"], True, _check_init),
    ("export",): (["export", "roads", "-o", "{tmp}/roads.gpkg", "-r", "{reg}"], False,
                  _check_export),
    ("info",): (["info", "-r", "{reg}"], False, _check_info),
    ("batches",): (["batches", "-r", "{reg}"], False, _check_batches),
    ("demo",): None,  # the module fixture runs it (its JSON is checked by test_demo_command)
    ("map",): (["map", "roads", "-o", "{tmp}/roads.html", "-r", "{reg}"], False, _check_map),
    ("diff",): (["diff", "roads", "-r", "{reg}"], False, _check_diff),
    ("history",): (["history", "roads", "R00001", "-r", "{reg}"], False, _check_history),
    ("revert",): (["revert", "1", "-r", "{copy}"], True, _check_revert),
    ("load-raster",): (["load-raster", DEMO / "dem.tif", "-r", "{copy}"], True,
                       _check_load_raster),
    ("check-permit",): (["check-permit", "{app}", "-r", "{reg}"], False, _check_permit),
    ("upgrade",): (["upgrade", "-r", "{copy}"], True, _check_upgrade),
    ("catalogue", "add"): (["catalogue", "add", "railways", "-r", "{copy}"], True,
                           _check_catalogue_add),
    ("catalogue", "list"): (["catalogue", "list", "-r", "{reg}"], False, _check_catalogue_list),
    ("catalogue", "show"): (["catalogue", "show", "roads", "-r", "{reg}"], False,
                            _check_catalogue_show),
    ("analyze", "excavation"): (["analyze", "excavation", "-o", "{tmp}/out", "-r", "{reg}"],
                                False, _check_analysis),
    ("analyze", "parking"): (["analyze", "parking", "-o", "{tmp}/out", "-r", "{reg}"], False,
                             _check_analysis),
    ("analyze", "complaints"): (["analyze", "complaints", "-o", "{tmp}/out", "-r", "{reg}",
                                 "--permutations", "99"], False, _check_analysis),
    ("analyze", "causes"): (["analyze", "causes", "-o", "{tmp}/out", "-r", "{reg}"], False,
                            _check_analysis),
    ("analyze", "pipelines"): (["analyze", "pipelines", "-o", "{tmp}/out", "-r", "{reg}"],
                               False, _check_analysis),
    ("analyze", "homes"): (["analyze", "homes", "-o", "{tmp}/out", "-r", "{reg}"], False,
                           _check_analysis),
    ("analyze", "overhead"): (["analyze", "overhead", "-o", "{tmp}/out", "-r", "{reg}"], False,
                              _check_analysis),
    ("analyze", "coverage"): (["analyze", "coverage", "-o", "{tmp}/out", "-r", "{reg}"], False,
                              _check_analysis),
    ("analyze", "waterlogging"): (["analyze", "waterlogging", "-o", "{tmp}/out", "-r", "{reg}"],
                                  False, _check_analysis),
    ("analyze", "water-quality"): (["analyze", "water-quality", "-o", "{tmp}/out", "-r",
                                    "{reg}"], False, _check_analysis),
    ("analyze", "road-condition"): (["analyze", "road-condition", "-o", "{tmp}/out", "-r",
                                     "{reg}"], False, _check_analysis),
}


def test_every_command_has_a_case():
    """A new command (or a renamed one) without a case here fails this test."""
    assert COMMANDS, "no commands found in the typer app"
    missing = [" ".join(c) for c in COMMANDS if c not in CASES]
    stale = [" ".join(c) for c in CASES if c not in COMMANDS]
    assert not missing, f"commands without a test in {Path(__file__).name}: {missing}"
    assert not stale, f"cases for commands that no longer exist: {stale}"


def test_help_lists_every_command():
    run = run_cli("--help")
    assert run.returncode == 0, run
    for command in {c[0] for c in COMMANDS}:
        assert command in run.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", [c for c in COMMANDS if CASES.get(c)],
                         ids=lambda c: "-".join(c))
def test_command_runs(command, as_json, demo, tmp_path, request):
    root, _ = demo
    args, needs_copy, check = CASES[command]
    copy = request.getfixturevalue("demo_copy") if needs_copy else None
    app = _application(root / "yangpu.gpkg", tmp_path) if command == ("check-permit",) else None
    values = {"reg": root / "yangpu.gpkg", "copy": copy, "tmp": tmp_path, "app": app}
    argv = [str(a).format(**values) if isinstance(a, str) else str(a) for a in args]
    if as_json:
        argv.append("--json")
    run = run_cli(*argv, cwd=tmp_path)
    assert run.returncode == 0, run
    assert not crashed(run.output), run
    # library warnings are silenced; the package's own are one clean "warning:" line each
    noisy = [line for line in run.stderr.splitlines()
             if "warning" in line.lower() and not line.startswith("warning: ")]
    assert not noisy, run
    if as_json:
        check(json.loads(run.stdout), {"demo_registry": root / "yangpu.gpkg"})
    else:
        assert run.stdout.strip(), run
        if "-o" in argv and command[0] == "analyze":  # the text run wrote its outputs too
            assert any((tmp_path / "out").iterdir()), run


def test_demo_command(demo):
    root, data = demo
    _check_demo(data, {"demo_registry": root / "yangpu.gpkg"})
    assert (root / "overview.html").stat().st_size > 0
    # a text run (the fixture ran it with --json) in another folder, also from scratch
    other = root / "again"
    run = run_cli("demo", "-r", other / "r.gpkg", "-o", other / "o.html", "--analyses",
                  other / "an", cwd=root)
    assert run.returncode == 0, run
    assert "demo registry" in run.stdout and not crashed(run.output)
    assert _count(other / "r.gpkg", "roads") == _count(root / "yangpu.gpkg", "roads")

"""The command line and the manifest batch loader, end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyogrio
import pytest
from typer.testing import CliRunner

from scripts.load_folder import main as load_folder
from yangpu_gis import open_registry
from yangpu_gis.cli import app

from .cli_run import crashed
from .conftest import FIXTURES, REPO

runner = CliRunner()

MANIFEST = """
[[load]]
file = "roads_gbk.zip"
layer = "roads"
mode = "replace"

[[load]]
file = "parking_amap.xlsx"
layer = "parking_facilities"
crs = "gcj02"
mode = "replace"

[[load]]
file = "complaints_baidu.csv"
layer = "complaints"
crs = "bd09"
x = "bd_lon"
y = "bd_lat"
map = { "诉求内容" = "text" }

[[load]]
file = "pipelines.gpkg"
layer = "pipelines"
source_layer = "pipe_network"
values = { utility = { "给水" = "water" } }
"""


@pytest.fixture
def folder(tmp_path):
    dst = tmp_path / "bureau"
    shutil.copytree(FIXTURES, dst)
    (dst / "manifest.toml").write_text(MANIFEST, "utf-8")
    return dst


def test_load_validate_layers_export_info(tmp_path, registry_target):
    r = runner.invoke(app, ["validate", str(FIXTURES / "roads_gbk.zip"), "-l", "roads",
                            "-r", registry_target])
    assert r.exit_code == 0 and "would load 6 rows" in r.output
    r = runner.invoke(app, ["load", str(FIXTURES / "roads_gbk.zip"), "-l", "roads",
                            "-r", registry_target, "--json"])
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["rows_inserted"] == 6 and data["encoding"] == "GBK/GB18030"
    assert data["mapping"]["道路名称"] == "name"
    r = runner.invoke(app, ["layers", "-r", registry_target, "--json"])
    counts = {row["layer"]: row["features"] for row in json.loads(r.output)}
    assert counts["roads"] == 6 and counts["pois"] == 0
    out = tmp_path / "roads_wgs84.geojson"
    r = runner.invoke(app, ["export", "roads", "-o", str(out), "-r", registry_target,
                            "--crs", "EPSG:4326"])
    assert r.exit_code == 0, r.output
    exported = pyogrio.read_dataframe(out)
    assert len(exported) == 6 and exported.crs.to_epsg() == 4326
    assert set(exported["name"]) >= {"控江路", "杨树浦路"}
    shp = tmp_path / "roads_out.shp"
    assert runner.invoke(app, ["export", "roads", "-o", str(shp), "-r", registry_target]).exit_code == 0
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "UTF-8"
    r = runner.invoke(app, ["info", "-r", registry_target, "--json"])
    info = json.loads(r.output)
    assert info["working_crs"] == "EPSG:4549" and info["batches"] == 1
    assert info["recent_batches"][0]["source_sha256"]


def test_refusal_exit_codes_and_json(registry_target):
    r = runner.invoke(app, ["load", str(FIXTURES / "parking_amap.xlsx"), "-l",
                            "parking_facilities", "-r", registry_target])
    assert r.exit_code == 2
    assert "no coordinate system" in r.output and "--crs gcj02" in r.output
    assert not crashed(r.output)
    r = runner.invoke(app, ["load", str(FIXTURES / "parking_amap.xlsx"), "-l", "nonsense",
                            "-r", registry_target, "--json"])
    assert r.exit_code == 2
    assert json.loads(r.output)["error"] == "ValidationError"
    r = runner.invoke(app, ["load", str(FIXTURES / "roads_gbk.zip"), "-l", "roads",
                            "-r", registry_target, "--map", "nonsense"])
    assert r.exit_code == 2 and "SRC=DST" in r.output


def test_debug_shows_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "yangpu_gis.cli", "--debug", "load", str(tmp_path / "none.shp"),
         "-l", "roads", "-r", str(tmp_path / "r.gpkg")], capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "yangpu_gis.cli", "load", str(tmp_path / "none.shp"),
         "-l", "roads", "-r", str(tmp_path / "r.gpkg")], capture_output=True, text=True)
    assert result.returncode == 2 and not crashed(result.stderr)
    assert "file not found" in result.stderr


def test_registry_from_environment(tmp_path, monkeypatch):
    target = tmp_path / "env.gpkg"
    monkeypatch.setattr("yangpu_gis.settings.default_registry", str(target))
    r = runner.invoke(app, ["load", str(FIXTURES / "beautiful_blocks.geojson"), "-l",
                            "beautiful_blocks"])
    assert r.exit_code == 0, r.output
    assert len(open_registry(str(target)).read("beautiful_blocks")) == 3


def test_manifest_folder_loads_everything(folder, registry_target):
    assert load_folder([str(folder), "-r", registry_target, "--json"]) == 0
    reg = open_registry(registry_target)
    counts = reg.layers().set_index("layer")["features"]
    assert counts[["roads", "parking_facilities", "complaints", "pipelines"]].tolist() == [6, 5, 3, 10]
    assert reg.read("complaints")["text"].iloc[0] == "控江路1500号路面塌陷"
    assert set(reg.read("pipelines")["utility"]) == {"water", "gas"}
    reg.close()


def test_manifest_with_one_bad_file_loads_nothing(folder, registry_target, capsys):
    (folder / "pipelines.gpkg").write_bytes(b"not a geopackage")
    assert load_folder([str(folder), "-r", registry_target]) == 2
    err = capsys.readouterr().err
    assert "pipelines.gpkg" in err and "nothing was loaded" in err
    with open_registry(registry_target, create=True) as reg:  # never created: reads as empty
        assert reg.layers()["features"].sum() == 0
        assert len(reg.batches()) == 0
    assert load_folder([str(folder), "-r", registry_target, "--keep-going"]) == 2
    with open_registry(registry_target) as reg:
        assert reg.layers().set_index("layer").loc["roads", "features"] == 6


def test_manifest_errors_name_the_entry(tmp_path):
    bad = tmp_path / "manifest.toml"
    bad.write_text('[[load]]\nfile = "a.shp"\nlayer = "roadz"\n', "utf-8")
    assert load_folder([str(tmp_path), "-r", str(tmp_path / "r.gpkg")]) == 2
    bad.write_text('[[load]]\nfile = "a.shp"\nlayer = "roads"\ncolour = "red"\n', "utf-8")
    from yangpu_gis.errors import ValidationError
    from yangpu_gis.manifest import read_manifest

    with pytest.raises(ValidationError, match=r"\[\[load\]\] #1"):
        read_manifest(bad)


def test_console_script_is_installed():
    from pathlib import Path

    exe = Path(sys.executable).parent / "yangpu-gis"
    assert exe.exists()
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and "load" in out.stdout


def test_public_api_re_exports_resolve():
    import yangpu_gis

    for name in yangpu_gis.__all__:
        assert getattr(yangpu_gis, name) is not None, name
    for name in yangpu_gis.maps.__all__:
        assert getattr(yangpu_gis.maps, name) is not None, name
    assert callable(yangpu_gis.maps.parking_map) and callable(yangpu_gis.analyze_parking)

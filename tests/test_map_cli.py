"""`yangpu-gis map`: layers, all layers, result tables joined to layers, static PNG."""

from __future__ import annotations

import html
import json
import re

import mapclassify
import pandas as pd
import pytest
from typer.testing import CliRunner

from yangpu_gis import open_registry
from yangpu_gis.cli import app

from .conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def small_registry(tmp_path):
    target = str(tmp_path / "r.gpkg")
    reg = open_registry(target)
    reg.load(FIXTURES / "roads_gbk.zip", "roads")
    reg.load(FIXTURES / "parking_amap.xlsx", "parking_facilities", crs="gcj02")
    reg.load(FIXTURES / "beautiful_blocks.geojson", "beautiful_blocks")
    return target


def test_layer_map_offline(small_registry, tmp_path):
    out = tmp_path / "roads.html"
    r = runner.invoke(app, ["map", "roads", "-r", small_registry, "-o", str(out), "--offline",
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["features"] == 6
    text = out.read_text("utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", text)
    assert "道路" in text and "主干路" in text


def test_amap_basemap_uses_amap_tiles(small_registry, tmp_path):
    out = tmp_path / "parking.html"
    r = runner.invoke(app, ["map", "parking_facilities", "-r", small_registry, "-o", str(out),
                            "--basemap", "amap"])
    assert r.exit_code == 0, r.output
    assert "autonavi.com" in out.read_text("utf-8")


def test_result_table_joined_as_choropleth(small_registry, tmp_path):
    reg = open_registry(small_registry)
    blocks = reg.read("beautiful_blocks")
    table = pd.DataFrame({"block_id": blocks["block_id"], "score": [3.5, 10.0, 7.25]})
    csv = tmp_path / "scores.csv"
    table.to_csv(csv, index=False)
    out = tmp_path / "scores.html"
    r = runner.invoke(app, ["map", str(csv), "--join", "beautiful_blocks", "--column", "score",
                            "--k", "2", "-r", small_registry, "-o", str(out)])
    assert r.exit_code == 0, r.output
    bins = json.loads(html.unescape(re.search(r"data-bins='([^']+)'", out.read_text("utf-8"))[1]))
    expected = mapclassify.FisherJenks(table["score"].to_numpy(), k=2).bins
    assert bins == pytest.approx(list(expected))


def test_static_png_and_errors(small_registry, tmp_path):
    out = tmp_path / "all.png"
    r = runner.invoke(app, ["map", "all", "-r", small_registry, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, ["map", "bridges", "-r", small_registry, "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "neither a catalogue layer nor a file" in r.output
    r = runner.invoke(app, ["map", "roads", "--column", "nope", "-r", small_registry,
                            "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "no column 'nope'" in r.output

"""`yangpu-gis demo`: the demo dataset loads through the real loaders into both backends."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from yangpu_gis import open_registry
from yangpu_gis.cli import app
from yangpu_gis.datasets.demo import generate


@pytest.fixture(scope="module")
def generated():
    return generate()


def test_demo_builds_registry_and_self_contained_map(registry_target, tmp_path, generated):
    out = tmp_path / "overview.html"
    result = CliRunner().invoke(app, ["demo", "-r", registry_target, "-o", str(out), "--json",
                                      "--analyses", str(tmp_path / "analyses")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    counts = {row["layer"]: row["features"] for row in data["layers"]}
    assert counts == {name: len(frame) for name, frame in generated.items()}
    with open_registry(registry_target) as reg:
        batches = reg.batches()
        roads = reg.read("roads")
    assert len(batches) == len(generated) + 1  # the vector layers, then the DEM raster
    assert batches["layer"].iloc[-1] == "dem"
    assert batches.set_index("layer").loc["roads", "encoding"] == "GBK/GB18030"
    assert batches.set_index("layer").loc["parking_facilities", "source_crs"] == "gcj02"
    assert {"控江路", "杨树浦路", "政通路"} <= set(roads["name"])
    html = out.read_text("utf-8")
    assert "杨浦区城市资产总览" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)
    # running it again replaces, it does not duplicate
    again = CliRunner().invoke(app, ["demo", "-r", registry_target, "-o", str(out),
                                     "--analyses", str(tmp_path / "analyses")])
    assert again.exit_code == 0
    assert {p.name for p in (tmp_path / "analyses").rglob("*.html")} == {
        "excavation_map.html", "parking_map.html"}
    with open_registry(registry_target) as reg:
        assert reg.layers().set_index("layer")["features"].to_dict() == counts

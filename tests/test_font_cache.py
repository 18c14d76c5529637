"""A CJK font installed after matplotlib built its font cache is still found.

The README's two commands run in this order on a new machine: ``yangpu-gis demo`` builds
matplotlib's font cache, then ``scripts/test.sh`` installs ``fonts-noto-cjk``. The cache then
lacks the font. These tests rebuild that state in a private ``MPLCONFIGDIR``: a real cache,
with every CJK face taken out of it, as it is when the font came after the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IN_CI

pytestmark = pytest.mark.skipif(
    not IN_CI and not any(Path("/usr/share/fonts").rglob("NotoSansCJK*")),
    reason="fonts-noto-cjk is not installed (scripts/test.sh installs it)",
)


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def stale_cache_env(tmp_path_factory) -> dict[str, str]:
    """An environment whose matplotlib font cache predates the CJK fonts."""
    tmp_path = tmp_path_factory.mktemp("fonts")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    built = _run("from matplotlib import font_manager; print(len(font_manager.fontManager.ttflist))",
                 env)
    assert built.returncode == 0, built.stderr
    caches = list((tmp_path / "mpl").glob("fontlist-*.json"))
    assert len(caches) == 1
    data = json.loads(caches[0].read_text())
    before = len(data["ttflist"])
    data["ttflist"] = [f for f in data["ttflist"] if "CJK" not in f["name"]]
    assert len(data["ttflist"]) < before, "the fresh cache should have listed the CJK fonts"
    caches[0].write_text(json.dumps(data))
    check = _run("from matplotlib import font_manager\n"
                 "print(sum('CJK' in f.name for f in font_manager.fontManager.ttflist))", env)
    assert check.stdout.strip() == "0", "matplotlib rebuilt the cache; the test proves nothing"
    return env


def test_cjk_font_found_after_the_cache_was_built(stale_cache_env):
    result = _run("from yangpu_gis.maps.static import cjk_font; print(cjk_font())",
                  stale_cache_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Noto Sans CJK SC"


def test_static_map_draws_chinese_after_the_cache_was_built(stale_cache_env, tmp_path):
    out = tmp_path / "map.png"
    code = (
        "import geopandas as gpd\n"
        "from shapely.geometry import LineString\n"
        "from yangpu_gis import maps\n"
        "roads = gpd.GeoDataFrame({'name': ['国权路'], 'road_class': ['arterial']},\n"
        "    geometry=[LineString([(121.50, 31.29), (121.51, 31.30)])], crs='EPSG:4326')\n"
        f"maps.static_map({{'roads': roads}}, {str(out)!r}, title='杨浦区道路')\n"
    )
    result = _run(code, stale_cache_env)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
    # matplotlib warns "Glyph ... missing from font" / "findfont: Font family ... not found"
    # when it draws Chinese without a CJK font.
    assert "missing from font" not in result.stderr
    assert "findfont" not in result.stderr

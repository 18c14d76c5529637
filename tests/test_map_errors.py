"""`yangpu-gis map` refuses what it cannot draw or write in one clear line, never a traceback.

Generated cases, each through the real CLI in a fresh process: output paths that are
folders, below a file or not writable; result files that are garbage (text, random bytes,
empty, truncated, folders, unknown layers, non-UTF-8 CSV, NaN coordinates); choropleths of
text or date columns; and a disk that fills up while the map is written (a small tmpfs when
the machine allows mounting one, and always a file-size limit), which must leave neither a
partial map nor a temporary file, and an existing map untouched.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point

from yangpu_gis import open_registry

from .cli_run import crashed
from .conftest import FIXTURES


def run(*args: str, cwd: Path, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec)


def assert_refused(proc: subprocess.CompletedProcess, *, code: int | None = None,
                   names: str | None = None, says: str | None = None) -> str:
    text = proc.stdout + proc.stderr
    assert not crashed(text), text[-2000:]
    assert proc.returncode in (1, 2), (proc.returncode, text[-2000:])
    if code is not None:
        assert proc.returncode == code, text
    assert text.strip().startswith("error:"), text
    if names is not None:
        assert names in text, text
    if says is not None:
        assert says in text, text
    return text


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("maperr")
    target = str(work / "r.gpkg")
    with open_registry(target) as reg:
        reg.load(FIXTURES / "roads_gbk.zip", "roads")
        reg.load(FIXTURES / "beautiful_blocks.geojson", "beautiful_blocks")
    return target


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ------------------------------------------------------------------------ output paths
def _bad_outputs(tmp: Path) -> list[tuple[str, Path, int, str]]:
    """(case, -o path, exit code, words of the message); built in ``tmp``."""
    (tmp / "folder").mkdir()
    (tmp / "afile").write_text("x")
    (tmp / "folder.html").mkdir()
    return [
        ("folder", tmp / "folder", 2, "is a folder"),
        ("folder named like a map", tmp / "folder.html", 2, "is a folder"),
        ("below a file", tmp / "afile" / "map.html", 1, "is a file, not a folder"),
        ("deep below a file", tmp / "afile" / "a" / "b" / "map.html", 1, "is a file"),
        ("in /proc", Path("/proc/yangpu_no_such/map.html"), 1, "cannot write the map"),
        ("png in a folder", tmp / "folder", 2, "is a folder"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_bad_output_path(index, registry, tmp_path):
    case, out, code, words = _bad_outputs(tmp_path)[index]
    target = "all" if index % 2 else "roads"
    proc = run("map", target, "-r", registry, "-o", str(out), cwd=tmp_path)
    assert_refused(proc, code=code, names=str(out), says=words)
    assert _leftovers(tmp_path) == []
    assert (tmp_path / "afile").read_text() == "x"


# ------------------------------------------------------------------- garbage results
def _garbage(tmp: Path, registry: str) -> list[tuple[str, list[str], str]]:
    """(case, extra CLI arguments, words the refusal must hold)."""
    cases: list[tuple[str, list[str], str]] = []
    rng = np.random.default_rng(13)
    for ext in (".gpkg", ".geojson", ".csv", ".json", ".fgb"):
        for kind, data in (("text", b"hello, this is not a map\nsecond line\n"),
                           ("random bytes", rng.bytes(3000)),
                           ("empty", b"")):
            name = f"{kind.replace(' ', '_')}{ext}"
            (tmp / name).write_bytes(data)
            cases.append((f"{kind} named {ext}", [str(tmp / name)], name))
    # a real result, truncated
    good = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[Point(121.5, 31.3),
                                                        Point(121.51, 31.31)], crs=4326)
    good.to_file(tmp / "good.gpkg", driver="GPKG")
    (tmp / "truncated.gpkg").write_bytes((tmp / "good.gpkg").read_bytes()[:2048])
    cases.append(("truncated gpkg", [str(tmp / "truncated.gpkg")], "truncated.gpkg"))
    cases.append(("unknown layer", [str(tmp / "good.gpkg") + ":nolayer"], "nolayer"))
    (tmp / "dir.gpkg").mkdir()
    cases.append(("folder named .gpkg", [str(tmp / "dir.gpkg")], "dir.gpkg"))
    (tmp / "gbk.csv").write_bytes("道路,值\n政通路,1\n".encode("gbk"))
    cases.append(("GBK csv", [str(tmp / "gbk.csv"), "--join", "roads"], "UTF-8"))
    (tmp / "plain.csv").write_text("a,b\n1,2\n")
    cases.append(("csv without geometry or join", [str(tmp / "plain.csv")], "no geometry"))
    cases.append(("csv join without id", [str(tmp / "plain.csv"), "--join", "roads"],
                  "road_id"))
    nan = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[Point(121.5, 31.3),
                                                       LineString([(121.5, 31.3),
                                                                   (np.nan, 31.2)])],
                           crs=4326)
    nan.to_file(tmp / "nan.gpkg", driver="GPKG")
    cases.append(("NaN coordinates", [str(tmp / "nan.gpkg")], "feature 2"))
    far = gpd.GeoDataFrame({"v": [1.0]}, geometry=[Point(1e30, 1e30)], crs=4326)
    far.to_file(tmp / "far.gpkg", driver="GPKG")
    cases.append(("off the globe", [str(tmp / "far.gpkg")], "off the globe"))
    cases.append(("neither layer nor file", [str(tmp / "missing.gpkg")], "neither"))
    return cases


N_GARBAGE = 24


def test_garbage_case_count(tmp_path, registry):
    assert len(_garbage(tmp_path, registry)) == N_GARBAGE


@pytest.mark.parametrize("index", range(N_GARBAGE))
def test_garbage_result_file(index, registry, tmp_path):
    case, args, words = _garbage(tmp_path, registry)[index]
    out = tmp_path / "out.html"
    proc = run("map", *args, "-r", registry, "-o", str(out), cwd=tmp_path)
    assert_refused(proc, says=words)
    assert not out.exists() and _leftovers(tmp_path) == []


# ------------------------------------------------------------------ choropleth columns
@pytest.mark.parametrize(("column", "words"), [
    ("name", "field 'name': not a finite number"),
    ("maintainer", "has no values to classify"),  # blank in every feature
    ("built_date", "not numeric"),
    ("road_class", "not numeric"),
    ("nope", "no column 'nope'"),
])
def test_choropleth_of_a_non_numeric_column(column, words, registry, tmp_path):
    out = tmp_path / "c.html"
    proc = run("map", "roads", "--column", column, "-r", registry, "-o", str(out),
               cwd=tmp_path)
    text = assert_refused(proc, code=2, says=words)
    if column not in ("nope", "maintainer"):
        assert "choose a numeric column" in text and "width_m" in text
    assert not out.exists()


# ------------------------------------------------------------------------- disk full
def _fsize_limit(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("target", ["roads", "all"])
@pytest.mark.parametrize("suffix", [".html", ".png"])
def test_full_disk_leaves_no_partial_map(target, suffix, registry, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    old = folder / f"map{suffix}"
    old.write_bytes(b"the previous map")
    proc = run("map", target, "-r", registry, "-o", str(old), "--offline", cwd=tmp_path,
               preexec=_fsize_limit(16 * 1024))
    assert_refused(proc, code=1, names=str(old), says="cannot write the map")
    assert old.read_bytes() == b"the previous map"
    assert _leftovers(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == [old.name]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs mount")
def test_full_tmpfs_leaves_no_partial_map(registry, tmp_path, small_disk_of):
    mount = small_disk_of("96k")
    try:
        out = mount / "roads.html"
        proc = run("map", "roads", "-r", registry, "-o", str(out), "--offline", cwd=tmp_path)
        text = assert_refused(proc, code=1, names=str(out), says="No space left on device")
        assert "disk is full" in text
        assert list(mount.iterdir()) == []
        # and the same command writes the map where there is room
        ok = run("map", "roads", "-r", registry, "-o", str(tmp_path / "roads.html"),
                 "--offline", cwd=tmp_path)
        assert ok.returncode == 0, ok.stderr
        assert (tmp_path / "roads.html").stat().st_size > 96 * 1024
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=20)

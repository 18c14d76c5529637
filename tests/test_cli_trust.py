"""Trust at the command line: hostile paths and values, missing and damaged registries, bad
registry URLs, strict JSON, honest upsert counts, symlinked registries, killed loads, full disks.

Every case runs the real ``yangpu-gis`` in a fresh process (:func:`tests.cli_run.run_cli`) and
checks the exit code, that no traceback is shown, the literal text the user must see, and the
state of the registry (byte-identical GeoPackage; same rows in PostGIS).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from yangpu_gis import open_registry
from yangpu_gis.terminal import clean, markup

from .cli_run import REPO, crashed, run_cli

# --------------------------------------------------------------------------- data made here
#: Text that rich would take for markup, terminal escape sequences, other control characters.
HOSTILE = [
    "[/x]",
    "[/]",
    "[link=http://x]y[/link]",
    "[bold red]loud[/bold red]",
    "\x1b[31mred",
    "\x1b[2J",
    "back\\",
    "C:\\temp\\[/x]",
    "bell\x07\x08\x0c",
    "\x9b31m",
    "\u202etxt.exe",
]


def visible(text: str) -> str:
    """What the terminal must show for ``text``: itself, control characters as escapes."""
    return clean(text)


def roads(n: int = 3, *, names=None, classes=None, prefix: str = "R", shift: float = 0.0,
          seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(121.50, 121.55, n) + shift
    y0 = rng.uniform(31.27, 31.32, n)
    return gpd.GeoDataFrame(
        {"road_id": [f"{prefix}{i:05d}" for i in range(n)],
         "name": names if names is not None else [f"路{i}" for i in range(n)],
         "road_class": classes if classes is not None else ["arterial"] * n,
         "width_m": rng.uniform(5, 30, n).round(2)},
        geometry=shapely.linestrings(np.stack([np.column_stack([x0, y0]),
                                               np.column_stack([x0 + 0.001, y0 + 0.001])],
                                              axis=1)),
        crs="EPSG:4326")


def write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(target: str):
    """The registry's state: the GeoPackage's bytes, or every PostGIS row and the batches."""
    if not target.startswith("postgresql"):
        p = Path(target)
        return sha(p) if p.exists() else None
    with open_registry(target) as reg:
        rows = {name: reg.read(name).to_wkt().to_csv(index=False)
                for name in ("roads", "pipelines")}
        return rows, reg.batches().drop(columns="loaded_at").to_csv(index=False)


def no_traceback(run) -> None:
    assert not crashed(run.output), run
    assert "\x1b" not in run.output, run  # no raw escape sequence reached the terminal


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def target(request, tmp_path):
    """A registry target of each backend, for the CLI (like conftest's registry_target)."""
    if request.param == "geopackage":
        return str(tmp_path / "registry.gpkg")
    return request.getfixturevalue("pg_url")


# --------------------------------------------------------------------------- 1. markup, escapes
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_source_path_load_commits_and_prints_it_literally(text, target, tmp_path):
    src = write(roads(3), tmp_path / "in" / f"d{text}d" / "roads.geojson")
    run = run_cli("load", src, "-l", "roads", "-r", target)
    assert run.returncode == 0, run  # the load committed: it must say so
    no_traceback(run)
    assert visible(str(src)) in run.stdout.replace("\n", ""), run
    with open_registry(target) as reg:
        assert sorted(reg.read("roads")["road_id"]) == ["R00000", "R00001", "R00002"]
        assert reg.batches()["source"].tolist() == [str(src)]
    for command in ("info", "batches"):
        shown = run_cli(command, "-r", target)
        assert shown.returncode == 0, shown
        no_traceback(shown)
        assert visible(str(src)) in shown.stdout.replace("\n", "") or command == "batches"


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_enumeration_value_is_refused_cleanly(text, target, tmp_path):
    run_cli("load", write(roads(2), tmp_path / "first.geojson"), "-l", "roads", "-r", target)
    before = snapshot(target)
    src = write(roads(3, classes=["arterial", text, "branch"], prefix="Q"),
                tmp_path / "bad.geojson")
    run = run_cli("load", src, "-l", "roads", "-r", target)
    assert run.returncode == 2, run
    no_traceback(run)
    assert run.stderr.startswith("error:"), run
    assert "feature 2" in run.stderr and "road_class" in run.stderr, run
    assert visible(repr(text.strip())) in run.stderr, run  # values are read stripped
    assert snapshot(target) == before


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_registry_path(text, tmp_path):
    reg = tmp_path / f"r{text}r" / "yangpu.gpkg"
    reg.parent.mkdir(parents=True, exist_ok=True)
    run = run_cli("load", write(roads(2), tmp_path / "roads.geojson"), "-l", "roads", "-r", reg)
    assert run.returncode == 0, run
    no_traceback(run)
    for command in ("layers", "info"):
        shown = run_cli(command, "-r", reg)
        assert shown.returncode == 0, shown
        no_traceback(shown)
        # the table title may be wrapped; every character of the path is there, in order
        flat = "".join(shown.stdout.split())
        assert "".join(visible(str(reg)).split()) in flat, shown


def test_hostile_names_in_json_stay_exact_and_strict(tmp_path):
    reg = tmp_path / "r.gpkg"
    # printable ones: control characters in stored text are refused (tests/test_io_values.py)
    names = [h for h in HOSTILE if "\\" not in h and h.isprintable()][:5]
    src = write(roads(len(names), names=names), tmp_path / f"x{HOSTILE[2]}" / "r.geojson")
    run = run_cli("load", src, "-l", "roads", "-r", reg, "--json")
    assert run.returncode == 0, run
    assert json.loads(run.stdout)["source"] == str(src)  # JSON carries the exact text
    assert "\x1b" not in run.stdout and "\x9b" not in run.stdout
    with open_registry(reg) as r:
        assert r.read("roads")["name"].tolist() == names


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_markup_fields_always_print_literally(a, b):
    """Property: whatever the data, a template's fields print as their text (the boundary)."""
    from rich.console import Console
    from rich.text import Text

    def console():
        return Console(record=True, width=10_000, color_system=None, force_terminal=False)

    got = console()
    got.print(markup("[bold]{}[/bold][red]{}[/]!", a, b), markup=True, highlight=False,
              soft_wrap=True)
    # the oracle: the same text printed as plain Text, never parsed as markup (rich still
    # expands tabs); control characters are shown as escapes by clean()
    want = console()
    want.print(Text(clean(a) + clean(b) + "!"), highlight=False, soft_wrap=True)
    assert got.export_text() == want.export_text()
    assert "\x1b" not in got.export_text()


# --------------------------------------------------------------------------- 2. missing, damaged
def _damage(kind: str, path: Path, good: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    if kind == "missing":
        return
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "text":
        path.write_text("layer,features\nroads,3\n", "utf-8")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(1).bytes(len(data)))
    elif kind == "header-only":
        path.write_bytes(data[:100])
    elif kind == "sqlite-not-gpkg":
        with contextlib.closing(sqlite3.connect(path)) as con:
            con.execute("CREATE TABLE t (x)")
            con.commit()
    elif kind == "gpkg-not-registry":
        roads(2).to_file(path, driver="GPKG", layer="roads")
    else:
        raise AssertionError(kind)


DAMAGE = ["missing", "directory", "empty", "truncated", "text", "random", "header-only",
          "sqlite-not-gpkg", "gpkg-not-registry"]
#: Commands that read a registry, with the outputs they would write ({out}).
READERS = {
    "layers": ["layers"],
    "info": ["info"],
    "batches": ["batches"],
    "export": ["export", "roads", "-o", "{out}/roads.gpkg"],
    "map": ["map", "roads", "-o", "{out}/roads.html"],
    "map-all": ["map", "all", "-o", "{out}/all.html"],
    "check-permit": ["check-permit", "{app}"],
    "analyze-excavation": ["analyze", "excavation", "-o", "{out}"],
    "analyze-parking": ["analyze", "parking", "-o", "{out}"],
    "analyze-complaints": ["analyze", "complaints", "-o", "{out}"],
    "analyze-coverage": ["analyze", "coverage", "-o", "{out}"],
    "analyze-waterlogging": ["analyze", "waterlogging", "-o", "{out}"],
    "analyze-water-quality": ["analyze", "water-quality", "-o", "{out}"],
    "analyze-road-condition": ["analyze", "road-condition", "-o", "{out}"],
}


@pytest.fixture(scope="module")
def good_registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    reg = folder / "good.gpkg"
    run = run_cli("load", write(roads(5), folder / "roads.geojson"), "-l", "roads", "-r", reg)
    assert run.returncode == 0, run
    app = gpd.GeoDataFrame({"permit_id": ["A"], "planned_start": ["2026-03-01"],
                            "planned_end": ["2026-03-02"]},
                           geometry=[shapely.box(121.52, 31.29, 121.5201, 31.2901)], crs=4326)
    app.to_file(folder / "app.geojson")
    return reg, folder / "app.geojson"


def _reader_cases():
    cases = [(c, k) for c in READERS for k in ("missing", "empty", "truncated", "text",
                                                  "gpkg-not-registry")]
    cases += [(c, k) for c in ("layers", "analyze-excavation") for k in DAMAGE
              if (c, k) not in cases]
    return cases


def _reader_params():
    """Every (command, damage) in text; with --json on two kinds of damage."""
    return [pytest.param(c, k, j, id=f"{c}-{k}-{'json' if j else 'text'}")
            for c, k in _reader_cases() for j in (False, True)
            if not j or k in ("missing", "truncated")]


@pytest.mark.parametrize(("command", "kind", "as_json"), _reader_params())
def test_reading_command_refuses_missing_or_damaged_registry(command, kind, as_json, tmp_path,
                                                             good_registry):
    good, app = good_registry
    reg = tmp_path / "bad" / "yangpu.gpkg"
    _damage(kind, reg, good)
    before = sha(reg) if reg.is_file() else None
    out = tmp_path / "out"
    args = [a.format(out=out, app=app) for a in READERS[command]]
    run = run_cli(*args, "-r", reg, *(["--json"] if as_json else []))
    assert run.returncode == 1, run
    no_traceback(run)
    if as_json:
        data = json.loads(run.stdout)
        assert data["error"] == "RegistryError" and data["source"] == str(reg)
    else:
        lines = run.stderr.splitlines()
        assert lines[0].startswith(f"error: {reg}: "), run
        assert ("does not exist" in lines[0] or "damaged" in lines[0] or "not a" in lines[0]
                or "folder" in lines[0]), run
    assert not out.exists() or not any(out.iterdir()), "outputs written for a bad registry"
    assert (sha(reg) if reg.is_file() else None) == before
    if kind == "missing":
        assert not reg.exists()


@pytest.mark.parametrize("kind", [k for k in DAMAGE if k != "missing"])
def test_load_refuses_a_damaged_registry_and_leaves_it(kind, tmp_path, good_registry):
    good, _ = good_registry
    reg = tmp_path / "bad" / "yangpu.gpkg"
    _damage(kind, reg, good)
    before = sha(reg) if reg.is_file() else None
    run = run_cli("load", write(roads(2, prefix="N"), tmp_path / "n.geojson"), "-l", "roads",
                  "-r", reg)
    assert run.returncode == 1, run
    no_traceback(run)
    assert run.stderr.startswith(f"error: {reg}: "), run
    assert (sha(reg) if reg.is_file() else None) == before
    assert sorted(p.name for p in reg.parent.iterdir()) == ["yangpu.gpkg"]


def test_load_and_demo_create_a_missing_registry(tmp_path):
    reg = tmp_path / "new" / "yangpu.gpkg"
    run = run_cli("load", write(roads(2), tmp_path / "r.geojson"), "-l", "roads", "-r", reg)
    assert run.returncode == 0, run
    assert run_cli("layers", "-r", reg).returncode == 0


def test_open_registry_refuses_missing_and_damaged_in_python(tmp_path, good_registry):
    from yangpu_gis.errors import RegistryError

    good, _ = good_registry
    with pytest.raises(RegistryError, match="does not exist"):
        open_registry(str(tmp_path / "nope.gpkg")).layers()
    assert open_registry(str(tmp_path / "nope.gpkg"), create=True).layers()["features"].sum() == 0
    for kind in DAMAGE[1:]:
        path = tmp_path / kind / "r.gpkg"
        _damage(kind, path, good)
        with pytest.raises(RegistryError):
            open_registry(str(path)).layers()


# --------------------------------------------------------------------------- 3. registry URLs
def _pg_parts(pg_url: str):
    from urllib.parse import urlsplit

    parts = urlsplit(pg_url)
    return parts.hostname, parts.port or 5432, parts.path.lstrip("/")


@pytest.mark.postgis
@pytest.mark.parametrize("case", ["space", "quote", "percent", "unknown-schema",
                                  "unknown-schema-with-public", "unreachable", "refused",
                                  "bad-user", "no-database", "bad-parameter", "bad-ipv6",
                                  "unknown-scheme"])
def test_bad_registry_url_is_one_clear_error(case, pg_url, tmp_path):
    host, port, db = _pg_parts(pg_url)
    secret = "pw-" + uuid.uuid4().hex[:8]
    url = {
        "space": f"postgresql://postgres:{secret}@{host}:{port}/my db",
        "quote": f"postgresql://post'gres:{secret}@{host}:{port}/{db}",
        "percent": f"postgresql://postgres:{secret}@{host}:{port}/{db}%%",
        "unknown-schema": f"postgresql://postgres:{secret}@{host}:{port}/{db}"
                          "?options=-csearch_path%3Dno_such_schema",
        "unknown-schema-with-public": f"postgresql://postgres:{secret}@{host}:{port}/{db}"
                                      "?options=-csearch_path%3Dno_such_schema%2Cpublic",
        "unreachable": f"postgresql://postgres:{secret}@192.0.2.1:5432/{db}?connect_timeout=2",
        "refused": f"postgresql://postgres:{secret}@127.0.0.1:1/{db}",
        "bad-user": f"postgresql://no_such_role_x:{secret}@{host}:{port}/{db}",
        "no-database": f"postgresql://postgres:{secret}@{host}:{port}/no_such_db_{secret[3:]}",
        "bad-parameter": f"postgresql://postgres@{host}:{port}/{db}?password={secret}&bogus=1",
        "bad-ipv6": f"postgresql://postgres:{secret}@[::1/{db}",
        "unknown-scheme": f"mysql://root:{secret}@{host}/{db}",
    }[case]
    for args in (["layers"], ["load", write(roads(2), tmp_path / "r.geojson"), "-l", "roads"]):
        run = run_cli(*args, "-r", url, timeout=60)
        assert run.returncode == 1, run
        no_traceback(run)
        assert secret not in run.output, run  # never echo the password
        lines = run.stderr.splitlines()
        assert lines[0].startswith("error: "), run
        assert len(lines) <= 2, run  # the error and its hint
        assert "***" in lines[0] or case in ("bad-parameter", "unknown-scheme", "bad-ipv6") \
            or secret not in url, run
    with open_registry(pg_url) as reg:  # the good schema saw nothing
        assert reg.layers()["features"].sum() == 0


# --------------------------------------------------------------------------- 4. JSON
def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_every_json_output_is_strict_json(target, tmp_path):
    dem = REPO / "data" / "demo" / "dem.tif"  # the demo dataset's DEM
    src = write(roads(4), tmp_path / "roads.geojson")
    outputs = [
        run_cli("load", src, "-l", "roads", "-r", target, "--json"),
        run_cli("load", dem, "-l", "dem", "-r", target, "--json"),
        run_cli("validate", src, "-l", "roads", "-r", target, "--mode", "upsert", "--json"),
        run_cli("info", "-r", target, "--json"),
        run_cli("batches", "-r", target, "--json"),
        run_cli("layers", "-r", target, "--json"),
    ]
    for run in outputs:
        assert run.returncode == 0, run
        _strict(run.stdout)
    batches = _strict(outputs[4].stdout)
    assert [b["layer"] for b in batches] == ["roads", "dem"]
    assert batches[1]["encoding"] is None  # was NaN
    layers = {r["layer"]: r for r in _strict(outputs[5].stdout)}
    assert layers["dem"]["loaded"] is True and layers["dem"]["geometry"] == "raster"
    assert layers["roads"]["features"] == 4
    info = _strict(outputs[3].stdout)
    assert info["batches"] == 2 and info["recent_batches"][1]["source_crs"] is not None


def test_json_errors_are_json_objects(tmp_path, good_registry):
    good, app = good_registry
    cases = [
        ["check-permit", tmp_path / "no_such_application.geojson", "-r", good],
        ["check-permit", app, "-r", tmp_path / "missing.gpkg"],
        ["load", tmp_path / "nothing.geojson", "-l", "roads", "-r", good],
        ["layers", "-r", tmp_path / "missing.gpkg"],
    ]
    bad_app = tmp_path / "bad_app.geojson"
    gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.Point(121.52, 31.29)], crs=4326).to_file(
        bad_app)
    cases.append(["check-permit", bad_app, "-r", good])
    for args in cases:
        run = run_cli(*args, "--json")
        assert run.returncode in (1, 2), run
        no_traceback(run)
        data = _strict(run.stdout)
        assert data["error"] and data["message"], run


# --------------------------------------------------------------------------- 5. upsert counts
def test_upsert_counts_changed_and_unchanged_rows(target, tmp_path):
    base = roads(12, seed=3)
    run = run_cli("load", write(base, tmp_path / "v1.geojson"), "-l", "roads", "-r", target)
    assert run.returncode == 0, run
    new = base.iloc[:8].copy()
    new.loc[1, "name"] = "改名路"                                      # attribute changed
    new.loc[2, "width_m"] = float(new.loc[2, "width_m"]) + 0.5         # number changed
    new.loc[3, "geometry"] = shapely.affinity.translate(new.loc[3, "geometry"], 1e-5)  # moved
    new.loc[4, "road_class"] = "branch"
    extra = roads(3, prefix="NEW", seed=9)
    new = gpd.GeoDataFrame(pd_concat([new, extra]), crs=base.crs)
    with open_registry(target) as reg:
        before = reg.read("roads").set_index("road_id")
    run = run_cli("load", write(new, tmp_path / "v2.geojson"), "-l", "roads", "-r", target,
                  "--mode", "upsert", "--json")
    assert run.returncode == 0, run
    got = _strict(run.stdout)
    with open_registry(target) as reg:
        after = reg.read("roads").set_index("road_id")
    # brute force: compare every row before and after, column by column
    inserted = updated = unchanged = 0
    for rid in new["road_id"]:
        if rid not in before.index:
            inserted += 1
            continue
        a, b = before.loc[rid], after.loc[rid]
        same = all(
            (str(a[c]) == str(b[c])) for c in ("name", "road_class", "width_m")
        ) and a.geometry.equals_exact(b.geometry, 0)
        if same:
            unchanged += 1
            assert a["batch_id"] == b["batch_id"]  # left as it was, with its batch
        else:
            updated += 1
            assert b["batch_id"] == got["batch_id"]
    assert (inserted, updated, unchanged) == (3, 4, 4)
    assert (got["rows_inserted"], got["rows_updated"], got["rows_unchanged"]) == (
        inserted, updated, unchanged)
    assert len(after) == 12 + 3  # upsert never deletes
    text = run_cli("load", tmp_path / "v2.geojson", "-l", "roads", "-r", target,
                   "--mode", "upsert")
    assert text.returncode == 0, text
    assert "0 added, 0 modified, 0 removed, 11 unchanged" in text.stdout, text
    with open_registry(target) as reg:
        assert reg.batches()["rows_updated"].tolist()[-1] == 0


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- 6. symlinks
def test_concurrent_loads_through_link_and_real_path_lose_nothing(tmp_path):
    real = tmp_path / "real" / "yangpu.gpkg"
    link = tmp_path / "link.gpkg"
    real.parent.mkdir()
    run = run_cli("load", write(roads(10, prefix="BASE"), tmp_path / "b.geojson"), "-l", "roads",
                  "-r", real)
    assert run.returncode == 0, run
    link.symlink_to(real)
    files = [write(roads(5000, prefix=f"C{i}_", seed=i), tmp_path / f"c{i}.gpkg")
             for i in range(4)]
    env = {k: v for k, v in os.environ.items() if k != "YANGPU_GIS_REGISTRY"}
    procs = [subprocess.Popen([sys.executable, "-m", "yangpu_gis.cli", "load", str(f), "-l",
                               "roads", "-r", str(link if i % 2 else real)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, f in enumerate(files)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, out + err
    assert link.is_symlink() and os.readlink(link) == str(real)
    with open_registry(str(real)) as reg:
        ids = reg.read("roads", columns=[])["road_id"]
        assert len(ids) == 10 + 4 * 5000 and ids.is_unique
        assert len(reg.batches()) == 5
    assert sorted(p.name for p in real.parent.iterdir()) == ["yangpu.gpkg"]


# --------------------------------------------------------------------------- 7. killed loads
def _copies(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def test_load_after_kill_9_removes_the_stale_working_copy(tmp_path, monkeypatch):
    reg = tmp_path / "yangpu.gpkg"
    run = run_cli("load", write(roads(3, prefix="K"), tmp_path / "k.geojson"), "-l", "roads",
                  "-r", reg)
    assert run.returncode == 0, run
    before = sha(reg)
    big = write(roads(60000, prefix="BIG", seed=5), tmp_path / "big.gpkg")
    env = {k: v for k, v in os.environ.items() if k != "YANGPU_GIS_REGISTRY"}
    proc = subprocess.Popen([sys.executable, "-m", "yangpu_gis.cli", "load", str(big), "-l",
                             "roads", "-r", str(reg)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not _copies(tmp_path, reg.name) and time.monotonic() < deadline:
        assert proc.poll() is None, "the load ended before it was killed"
        time.sleep(0.01)
    time.sleep(0.3)  # let it write into the working copy
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = _copies(tmp_path, reg.name)
    assert left and any(str(proc.pid) in n for n in left)  # what kill -9 leaves
    assert sha(reg) == before                              # ... and the registry is intact
    run = run_cli("load", write(roads(2, prefix="AFTER"), tmp_path / "a.geojson"), "-l",
                  "roads", "-r", reg)
    assert run.returncode == 0, run
    assert _copies(tmp_path, reg.name) == []
    assert not (tmp_path / "yangpu.gpkg.lock").exists()
    with open_registry(str(reg)) as r:
        assert sorted(r.read("roads")["road_id"]) == ["AFTER00000", "AFTER00001", "K00000",
                                                      "K00001", "K00002"]


def test_a_live_process_working_copy_is_kept(tmp_path):
    from yangpu_gis.registry.geopackage.file import remove_stale_copies

    reg = tmp_path / "r.gpkg"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = tmp_path / f".r.gpkg.{os.getpid()}.abcd1234.tmp.gpkg"
    stale = [tmp_path / f".r.gpkg.{dead.pid}.abcd1234.tmp.gpkg",
             tmp_path / f".r.gpkg.{dead.pid}.abcd1234.tmp.gpkg-journal",
             tmp_path / ".r.gpkg.k2j3h4g5.tmp.gpkg"]            # older name, no pid
    other = [tmp_path / ".other.gpkg.1.abcd.tmp.gpkg", tmp_path / "r.gpkg.bak"]
    for p in [live, *stale, *other]:
        p.write_bytes(b"x")
    removed = remove_stale_copies(reg)
    assert sorted(removed) == sorted(stale)
    assert live.exists() and all(p.exists() for p in other)


# --------------------------------------------------------------------------- 8. full disk
@pytest.fixture
def small_disk(small_disk_of):
    """A 5 MB tmpfs (root only); the test is skipped where it cannot be mounted."""
    return small_disk_of("5m")


@pytest.mark.parametrize("where", ["write", "copy"])
def test_full_disk_is_one_clear_error_and_changes_nothing(where, small_disk, tmp_path):
    reg = small_disk / "yangpu.gpkg"
    seed = roads(3000 if where == "copy" else 3, prefix="S")
    run = run_cli("load", write(seed, tmp_path / "s.gpkg"), "-l", "roads", "-r", reg)
    assert run.returncode == 0, run
    if where == "copy":  # fill the disk so that a copy of the registry cannot fit
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        size = reg.stat().st_size
        filler = small_disk / "filler.bin"
        filler.write_bytes(b"\0" * max(0, free - size // 2))
    before = sha(reg)
    big = write(roads(40000, prefix="B", seed=2), tmp_path / "big.gpkg")
    run = run_cli("load", big, "-l", "roads", "-r", reg, "--mode", "append")
    assert run.returncode == 1, run
    no_traceback(run)
    assert run.stderr.startswith(f"error: {reg}: the disk is full"), run
    assert sha(reg) == before
    assert _copies(small_disk, reg.name) == []
    assert sorted(p.name for p in small_disk.iterdir() if p.name != "filler.bin") == [
        "yangpu.gpkg"]


# --------------------------------------------------------------------------- 9. warnings
def test_package_warnings_are_one_line_and_raw_with_debug(tmp_path):
    reg = tmp_path / "r.gpkg"
    assert run_cli("load", write(roads(3), tmp_path / "r.geojson"), "-l", "roads",
                   "-r", reg).returncode == 0
    args = ["map", "roads", "-r", str(reg), "-o", str(tmp_path / "m.html"), "--offline",
            "--basemap", "osm"]
    run = run_cli(*args)
    assert run.returncode == 0, run
    lines = [x for x in run.stderr.splitlines() if "basemap" in x]
    assert lines == ["warning: offline map: basemap 'osm' ignored (tiles need the network); "
                     "the district's own layers serve as the base"], run
    assert "UserWarning" not in run.stderr and ".py:" not in run.stderr
    raw = run_cli("--debug", *args)
    assert raw.returncode == 0, raw
    assert "UserWarning" in raw.stderr, raw

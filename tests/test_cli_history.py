"""``yangpu-gis diff``, ``history``, ``revert`` and ``--as-of``, run in subprocesses on both
backends, checked against independent oracles: two exported snapshots compared by brute
force with pandas and shapely, the deliveries as the test wrote them, and byte-equal
analysis outputs before and after a later delivery.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from yangpu_gis import open_registry

from .cli_run import REPO, crashed, run_cli

DEMO = REPO / "data" / "demo"
TO_4549 = Transformer.from_crs(4326, 4549, always_xy=True)
#: A hostile road name: HTML, rich markup, a carriage return and a right-to-left override.
HOSTILE = "<script>alert(1)</script>[bold red]X[/]\r\u202eY"
N_ROADS = 40


def _roads(seed: int = 7) -> gpd.GeoDataFrame:
    """The first delivery: straight roads in Yangpu, in the working CRS."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(121.50, 121.56, N_ROADS)
    lat = rng.uniform(31.26, 31.33, N_ROADS)
    x, y = TO_4549.transform(lon, lat)
    dx, dy = rng.normal(0, 150, (2, N_ROADS))
    return gpd.GeoDataFrame(
        {"road_id": [f"R{i:03d}" for i in range(N_ROADS)],
         "name": [f"测试路{i}" for i in range(N_ROADS)],
         "road_class": rng.choice(["arterial", "secondary", "branch"], N_ROADS),
         "width_m": rng.integers(6, 40, N_ROADS).astype(float),
         "pci": rng.uniform(50, 90, N_ROADS).round(1)},
        geometry=shapely.linestrings(np.stack([np.column_stack([x, y]),
                                               np.column_stack([x + dx, y + dy])], axis=1)),
        crs="EPSG:4549")


def _second(first: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Attribute edits (one hostile), geometry moves, 4 deletions, 3 additions."""
    g = first.copy()
    g.loc[g.road_id == "R001", "name"] = HOSTILE
    g.loc[g.road_id.isin(["R002", "R003"]), "name"] = ["国权北路", "政民路"]
    g.loc[g.road_id.isin(["R004", "R005", "R006"]), "pci"] += 7.5
    g.loc[g.road_id == "R007", "width_m"] = 55.0
    moved = g.road_id.isin(["R008", "R009", "R010"])
    g.loc[moved, "geometry"] = g.loc[moved].geometry.translate(2.5, -1.0)
    g.loc[g.road_id == "R011", ["name", "pci"]] = ["双改路", 60.0]
    g.loc[g.road_id == "R011", "geometry"] = g.loc[g.road_id == "R011"].geometry.translate(0, 4)
    g = g[~g.road_id.isin(["R012", "R013", "R014", "R015"])]
    new = first.iloc[[20, 21, 22]].copy()
    new["road_id"] = ["N001", "N002", "N003"]
    new["geometry"] = new.geometry.translate(30, 30)
    return gpd.GeoDataFrame(pd.concat([g, new], ignore_index=True), crs=first.crs)


def _third(second: gpd.GeoDataFrame, first: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Re-adds a deleted id (R012, changed) and changes again a feature the second changed."""
    g = second.copy()
    g.loc[g.road_id == "R002", "name"] = "国权北路三期"
    back = first[first.road_id == "R012"].copy()
    back["pci"] = 88.8
    return gpd.GeoDataFrame(pd.concat([g, back], ignore_index=True), crs=first.crs)


@pytest.fixture
def deliveries(tmp_path):
    first = _roads()
    second = _second(first)
    third = _third(second, first)
    paths = []
    for i, frame in enumerate((first, second, third), start=1):
        path = tmp_path / f"roads_{i}.gpkg"
        frame.to_file(path, driver="GPKG")
        paths.append(path)
    return {"frames": (first, second, third), "paths": paths}


def _load(target: str, path: Path, layer: str = "roads", mode: str = "replace") -> dict:
    run = run_cli("load", path, "-l", layer, "-r", target, "--mode", mode, "--json")
    assert run.returncode == 0, run
    return json.loads(run.stdout)


@pytest.fixture
def history_registry(registry_target, deliveries):
    """subdistricts (batch 1), then the three road deliveries (batches 2, 3, 4)."""
    with open_registry(registry_target, create=True) as reg:
        reg.load(DEMO / "subdistricts.geojson", "subdistricts", mode="replace")
        for path in deliveries["paths"]:
            reg.load(path, "roads", mode="replace")
    return registry_target


def _export(target: str, out: Path, as_of: str | None = None) -> gpd.GeoDataFrame:
    args = ["export", "roads", "-o", out, "-r", target, "--json"]
    run = run_cli(*args, *(["--as-of", as_of] if as_of is not None else []))
    assert run.returncode == 0, run
    return gpd.read_file(out).drop(columns="batch_id").sort_values("road_id").reset_index(
        drop=True)


def _json(*args) -> object:
    run = run_cli(*args, "--json")
    assert run.returncode == 0, run
    assert not crashed(run.output), run
    return json.loads(run.stdout)


def _same_value(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def _brute_force_diff(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> dict:
    """The oracle: every pair of same-id features compared column by column, in Python."""
    o, n = old.set_index("road_id"), new.set_index("road_id")
    columns = [c for c in o.columns if c != "geometry"]
    modified, unchanged = {}, 0
    for rid in sorted(set(o.index) & set(n.index)):
        fields = {}
        for c in columns:
            a, b = o.at[rid, c], n.at[rid, c]
            a = None if pd.isna(a) else (a.item() if hasattr(a, "item") else a)
            b = None if pd.isna(b) else (b.item() if hasattr(b, "item") else b)
            if not _same_value(a, b):
                fields[c] = {"old": a, "new": b}
        moved = not o.at[rid, "geometry"].equals_exact(n.at[rid, "geometry"], 0)
        if fields or moved:
            modified[rid] = {"fields": fields, "moved": moved,
                             "hausdorff": o.at[rid, "geometry"].hausdorff_distance(
                                 n.at[rid, "geometry"])}
        else:
            unchanged += 1
    return {"added": sorted(set(n.index) - set(o.index)),
            "removed": sorted(set(o.index) - set(n.index)),
            "modified": modified, "unchanged": unchanged}


@pytest.mark.parametrize(("old", "new"), [("2", "3"), ("3", "4"), ("2", "4"), ("0", "3")])
def test_diff_json_equals_brute_force_over_exports(history_registry, tmp_path, old, new):
    target = history_registry
    before = _export(target, tmp_path / f"as_of_{old}.gpkg", old) if old != "0" else None
    after = _export(target, tmp_path / f"as_of_{new}.gpkg", new)
    if before is None:
        before = after.iloc[0:0]
    want = _brute_force_diff(before, after)
    got = _json("diff", "roads", "--from", old, "--to", new, "-r", target)
    assert set(got) >= {"layer", "from", "to", "added", "removed", "modified", "unchanged"}
    assert (got["layer"], got["from"], got["to"]) == ("roads", int(old), int(new))
    assert sorted(got["added"]) == want["added"]
    assert sorted(got["removed"]) == want["removed"]
    assert got["unchanged"] == want["unchanged"]
    assert {m["id"] for m in got["modified"]} == set(want["modified"])
    for m in got["modified"]:
        w = want["modified"][m["id"]]
        assert set(m["fields"]) == set(w["fields"]), m
        for c, change in m["fields"].items():
            assert change["old"] == w["fields"][c]["old"]
            assert change["new"] == w["fields"][c]["new"]
        assert m["geometry"]["changed"] is w["moved"]
        assert m["geometry"]["hausdorff_m"] == pytest.approx(w["hausdorff"] if w["moved"]
                                                             else 0.0, abs=1e-6)
    if (old, new) == ("2", "3"):  # the deliveries as written: a hand check of the oracle
        assert want["removed"] == ["R012", "R013", "R014", "R015"]
        assert want["added"] == ["N001", "N002", "N003"]
        assert want["modified"]["R001"]["fields"]["name"]["new"] == HOSTILE
        assert want["modified"]["R009"]["hausdorff"] == pytest.approx(math.hypot(2.5, 1.0))


def test_diff_defaults_to_the_last_two_deliveries(history_registry):
    got = _json("diff", "roads", "-r", history_registry)
    assert (got["from"], got["to"]) == (3, 4)
    assert got["added"] == ["R012"] and got["removed"] == []
    assert [m["id"] for m in got["modified"]] == ["R002"]


def test_diff_by_date_and_output_files(history_registry, tmp_path):
    target = history_registry
    # a date after every load is the last batch; the day before any load is batch 0
    got = _json("diff", "roads", "--from", "2000-01-01", "--to", "2999-12-31", "-r", target)
    assert (got["from"], got["to"]) == (0, 4)
    assert len(got["added"]) == N_ROADS - 4 + 3 + 1
    csv = tmp_path / "changes.csv"
    run = run_cli("diff", "roads", "--from", "2", "--to", "3", "-o", csv, "-r", target)
    assert run.returncode == 0, run
    rows = pd.read_csv(csv, encoding="utf-8-sig")
    d = _json("diff", "roads", "--from", "2", "--to", "3", "-r", target)
    assert sorted(rows.loc[rows.change == "added", "road_id"]) == sorted(d["added"])
    assert sorted(rows.loc[rows.change == "removed", "road_id"]) == sorted(d["removed"])
    assert sorted(rows.loc[rows.change == "modified", "road_id"]) == sorted(
        m["id"] for m in d["modified"])
    assert "wkt" in rows and csv.with_suffix(".prj").exists()
    gpkg = tmp_path / "changes.gpkg"
    run = run_cli("diff", "roads", "--from", "2", "--to", "3", "-o", gpkg, "-r", target)
    assert run.returncode == 0, run
    frame = gpd.read_file(gpkg)
    assert len(frame) == len(rows) and frame.crs.to_epsg() == 4549
    moved = frame.set_index("road_id").loc["R009"]
    assert moved["hausdorff_m"] == pytest.approx(math.hypot(2.5, 1.0))
    bad = run_cli("diff", "roads", "-o", tmp_path / "changes.txt", "-r", target)
    assert bad.returncode == 2 and not crashed(bad.output), bad
    assert not (tmp_path / "changes.txt").exists()


def test_diff_change_map(history_registry, tmp_path):
    pytest.importorskip("yangpu_gis.maps.changes")
    out = tmp_path / "changes.html"
    run = run_cli("diff", "roads", "--from", "2", "--to", "3", "-o", out, "-r",
                  history_registry)
    assert run.returncode == 0, run
    html = out.read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the changed name, escaped
    assert "N001" in html and "R012" in html
    assert "批次 2 → 3" in html and "数据日期：" in html and "各街道变更" in html
    assert 'src="http' not in html  # offline by default: nothing fetched


def test_history_json_lists_the_versions(history_registry, deliveries):
    first, second, third = deliveries["frames"]
    target = history_registry
    r002 = _json("history", "roads", "R002", "-r", target)
    assert [(v["batch_id"], v["ended_batch"]) for v in r002] == [(2, 3), (3, 4), (4, None)]
    names = [v["values"]["name"] for v in r002]
    assert names == [f.loc[f.road_id == "R002", "name"].item() for f in (first, second, third)]
    assert [v["mode"] for v in r002] == ["replace"] * 3
    assert [Path(v["source"]).name for v in r002] == ["roads_1.gpkg", "roads_2.gpkg",
                                                      "roads_3.gpkg"]
    assert r002[0]["valid_to"] == r002[1]["valid_from"] and r002[2]["valid_to"] is None
    assert set(r002[0]["values"]) == {"road_id", "name", "road_class", "width_m", "maintainer",
                                      "built_date", "last_major_repair_date", "pci"}
    # deleted by the second delivery, re-added by the third
    r012 = _json("history", "roads", "R012", "-r", target)
    assert [(v["batch_id"], v["ended_batch"]) for v in r012] == [(2, 3), (4, None)]
    assert r012[1]["values"]["pci"] == 88.8
    # geometry as lon/lat WKT: the delivered line, transformed back independently
    r009 = _json("history", "roads", "R009", "-r", target)
    assert len(r009) == 2
    for version, frame in zip(r009, (first, second), strict=True):
        got = shapely.from_wkt(version["geometry_wkt"])
        want = frame.loc[frame.road_id == "R009"].to_crs(4326).geometry.item()
        assert got.equals_exact(want, 1e-9)
    missing = run_cli("history", "roads", "NOPE", "-r", target)
    assert missing.returncode == 1 and "never held" in missing.stderr, missing


def test_revert_restores_and_refuses_later_changes(history_registry, tmp_path):
    target = history_registry
    before_third = _export(target, tmp_path / "as_of_3.gpkg", "3")
    # batch 3 (the second delivery) was changed again by batch 4: refused, nothing written
    now = _export(target, tmp_path / "now.gpkg")
    refused = run_cli("revert", "3", "-r", target)
    assert refused.returncode == 1 and not crashed(refused.output), refused
    assert "later batch" in refused.stderr and "--force" in refused.stderr
    pd.testing.assert_frame_equal(_export(target, tmp_path / "now_2.gpkg"), now)
    assert len(_json("batches", "-r", target)) == 4
    # the last delivery reverted: the layer as it stood after batch 3, exactly
    result = _json("revert", "4", "-r", target)
    assert (result["mode"], result["batch_id"], result["reverted_batch"]) == ("revert", 5, 4)
    assert (result["rows_deleted"], result["rows_updated"]) == (1, 1)  # R012 out, R002 back
    pd.testing.assert_frame_equal(_export(target, tmp_path / "after.gpkg"), before_third)
    batches = _json("batches", "-r", target)
    assert batches[-1]["mode"] == "revert" and batches[-1]["rows_deleted"] == 1


def test_revert_force_over_later_changes(history_registry, tmp_path):
    target = history_registry
    as_of_2 = _export(target, tmp_path / "as_of_2.gpkg", "2").set_index("road_id")
    now = _export(target, tmp_path / "now.gpkg").set_index("road_id")
    d = _json("diff", "roads", "--from", "2", "--to", "3", "-r", target)
    touched = set(d["added"]) | set(d["removed"]) | {m["id"] for m in d["modified"]}
    result = _json("revert", "3", "--force", "-r", target)
    assert result["forced"] is True
    after = _export(target, tmp_path / "after.gpkg").set_index("road_id")
    # oracle: the touched features as they stood before batch 3, the others as now
    want = pd.concat([now[~now.index.isin(touched)], as_of_2[as_of_2.index.isin(touched)]])
    want = gpd.GeoDataFrame(want, crs=now.crs).sort_index()
    pd.testing.assert_frame_equal(after.sort_index(), want, check_dtype=False)


def test_revert_refusals_exit_1(history_registry):
    target = history_registry
    for batch, words in (("99", "no batch 99"), ("0", "no batch 0")):
        run = run_cli("revert", batch, "-r", target)
        assert run.returncode == 1 and words in run.stderr and not crashed(run.output), run
    as_json = run_cli("revert", "99", "-r", target, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["hint"], as_json


def test_revert_of_a_raster_load_is_refused(tmp_path):
    target = tmp_path / "r.gpkg"
    run = run_cli("load-raster", DEMO / "dem.tif", "-r", target)
    if run.returncode != 0:  # load-raster needs an existing registry
        assert run_cli("load", DEMO / "subdistricts.geojson", "-l", "subdistricts", "-r",
                       target).returncode == 0
        run = run_cli("load-raster", DEMO / "dem.tif", "-r", target)
    assert run.returncode == 0, run
    batch = str(_json("batches", "-r", target)[-1]["batch_id"])
    refused = run_cli("revert", batch, "-r", target)
    assert refused.returncode == 1 and "raster" in refused.stderr, refused


def test_analysis_as_of_gives_the_report_made_before(registry_target, deliveries, tmp_path):
    target = registry_target
    first, second, _ = deliveries["paths"]
    with open_registry(target, create=True) as reg:
        reg.load(DEMO / "subdistricts.geojson", "subdistricts", mode="replace")
        reg.load(first, "roads", mode="replace")
    made_then = tmp_path / "then"
    run = run_cli("analyze", "road-condition", "-o", made_then, "-r", target)
    assert run.returncode == 0, run
    _load(target, second)
    again = tmp_path / "again"
    run = run_cli("analyze", "road-condition", "-o", again, "-r", target, "--as-of", "2")
    assert run.returncode == 0, run
    now = tmp_path / "now"
    assert run_cli("analyze", "road-condition", "-o", now, "-r", target).returncode == 0
    tables = sorted(p.name for p in made_then.glob("*.csv"))
    assert tables
    for name in tables:
        assert (again / name).read_bytes() == (made_then / name).read_bytes(), name
    # the second delivery changed PCIs: without --as-of the report differs
    assert any((now / n).read_bytes() != (made_then / n).read_bytes() for n in tables)
    # map and export answer as of the batch too
    m = _json("map", "roads", "-o", tmp_path / "m.html", "-r", target, "--as-of", "2")
    assert m["features"] == N_ROADS
    e = _json("export", "roads", "-o", tmp_path / "e.csv", "-r", target, "--as-of", "2")
    assert e["features"] == N_ROADS


def test_as_of_refusals(registry_target, deliveries, tmp_path):
    target = registry_target
    _load(target, deliveries["paths"][0])
    run = run_cli("analyze", "excavation", "--sql", "--as-of", "1", "-o", tmp_path / "x",
                  "-r", target)
    assert run.returncode == 1 and not crashed(run.output), run
    assert "--as-of" in run.stderr
    bad = run_cli("export", "roads", "-o", tmp_path / "r.gpkg", "-r", target, "--as-of", "7")
    assert bad.returncode == 1 and "no batch 7" in bad.stderr, bad
    bad = run_cli("map", "roads", "-o", tmp_path / "r.html", "-r", target, "--as-of", "soon")
    assert bad.returncode == 1 and "neither a batch id nor a date" in bad.stderr, bad


def test_hostile_values_print_escaped(history_registry, tmp_path):
    target = history_registry
    for args in (("diff", "roads", "--from", "2", "--to", "3"), ("history", "roads", "R001")):
        run = run_cli(*args, "-r", target)
        assert run.returncode == 0, run
        # markup and HTML printed as written, the CR and the RTL override as visible escapes
        assert "<script>alert(1)</script>[bold red]X[/]\\x0d\\u202eY" in run.stdout, run
        assert "\r" not in run.stdout and "\u202e" not in run.stdout
        assert "\x1b" not in run.stdout
    # an ANSI escape never gets into the registry: the load refuses it, and says so escaped
    evil = _roads().head(2)
    evil.loc[0, "name"] = "red\x1b[31m[bold]"
    path = tmp_path / "evil.gpkg"
    evil.to_file(path, driver="GPKG")
    run = run_cli("load", path, "-l", "roads", "-r", target, "--mode", "upsert")
    assert run.returncode == 2 and "\x1b" not in run.output, run


def test_batches_show_what_each_load_changed(history_registry):
    target = history_registry
    rows = _json("batches", "-r", target)
    got = [(r["rows_inserted"], r["rows_updated"], r["rows_deleted"], r["rows_unchanged"])
           for r in rows]
    # by hand from the deliveries: 12 subdistricts; 40 roads; 3 added, 11 modified
    # (R001-R011), 4 removed, 25 unchanged; R012 back, R002 changed, 38 unchanged
    assert got == [(12, 0, 0, 0), (40, 0, 0, 0), (3, 11, 4, 25), (1, 1, 0, 38)]
    run = run_cli("batches", "-r", target)
    assert run.returncode == 0, run
    for head in ("新增", "added", "修改", "modified", "删除", "removed", "未变", "unchanged"):
        assert head in run.stdout
    load = run_cli("load", DEMO / "subdistricts.geojson", "-l", "subdistricts", "-r", target,
                   "--mode", "replace")
    assert load.returncode == 0, load
    assert "0 added, 0 modified, 0 removed, 12 unchanged" in load.stdout, load

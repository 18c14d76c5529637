"""The change map (maps/changes.py): colours, popups and the per-subdistrict summary of a
diff of two snapshots built by hand, for lines, points and polygons; hostile text.

The oracle is the construction itself: which ids each test adds, removes or edits (and by
how many metres it moves them) is written down before the snapshots are made from it, and
the subdistrict of each change is found by a brute-force point-in-polygon loop.
"""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box
from shapely.affinity import translate

from yangpu_gis import maps
from yangpu_gis.catalogue import get_layer
from yangpu_gis.errors import ValidationError
from yangpu_gis.maps.changes import (
    CHANGE_COLOURS,
    FORMER_COLOUR,
    OUTSIDE,
    changes_by_subdistrict,
    changes_map,
)
from yangpu_gis.registry.history import diff_frames

from .test_map_injection import _payloads, assert_safe, inspect
from .test_maps import payloads

#: Lower-left corner of the test area (EPSG:4549, central Yangpu) and the 2 x 2
#: subdistricts of 2 km each.
X0, Y0 = 531_000.0, 3_461_000.0
SUB_NAMES = ["西南街道", "东南街道", "西北街道", "东北街道"]


def subdistricts(crs: str = "EPSG:4549") -> gpd.GeoDataFrame:
    cells = [box(X0 + i * 2000, Y0 + j * 2000, X0 + (i + 1) * 2000, Y0 + (j + 1) * 2000)
             for j in range(2) for i in range(2)]
    subs = gpd.GeoDataFrame({"subdistrict_id": [f"3101109{k:02d}" for k in range(4)],
                             "name": SUB_NAMES}, geometry=cells, crs="EPSG:4549")
    return subs.to_crs(crs)


def frame(layer: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    """A snapshot of ``layer`` with every catalogue column (missing ones empty)."""
    spec = get_layer(layer)
    data = {c: [r.get(c) for r in rows] for c in spec.column_names}
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4549")


# ------------------------------------------------------------------------- roads (lines)
def road(x: float, y: float, length: float = 200.0) -> LineString:
    return LineString([(X0 + x, Y0 + y), (X0 + x + length, Y0 + y)])


#: id -> (name, class, position) of the first delivery
OLD_ROADS = {
    "R1": ("甲路", "branch", (300, 300)),
    "R2": ("乙路", "branch", (2300, 300)),
    "R3": ("丙路", "branch", (300, 2300)),
    "R4": ("丁路", "branch", (2300, 2300)),
    "R5": ("戊路", "alley", (2500, 500)),
    "R6": ("己路", "alley", (2500, 2600)),
    "R7": ("庚路", "alley", (600, 600)),
    "R8": ("辛路", "alley", (600, 2600)),
}
RENAMED = {"R1": "甲北路"}
MOVED_M = {"R2": 30.0}          # moved north by this many metres
EXTENDED_M = {"R3": 10.0}       # made longer at the east end
RECLASSED = {"R4": "secondary"}
REMOVED = {"R5", "R6"}
#: new id -> position; N3 lies east of every subdistrict (其他)
ADDED = {"N1": (900, 900), "N2": (2900, 2900), "N3": (4600, 1000)}
MODIFIED = set(RENAMED) | set(MOVED_M) | set(EXTENDED_M) | set(RECLASSED)


def road_snapshots() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    old_rows, old_geoms, new_rows, new_geoms = [], [], [], []
    for rid, (name, cls, (x, y)) in OLD_ROADS.items():
        old_rows.append({"road_id": rid, "name": name, "road_class": cls, "width_m": 8.0})
        old_geoms.append(road(x, y))
        if rid in REMOVED:
            continue
        g = road(x, y, 200.0 + EXTENDED_M.get(rid, 0.0))
        g = translate(g, 0, MOVED_M.get(rid, 0.0))
        new_rows.append({"road_id": rid, "name": RENAMED.get(rid, name),
                         "road_class": RECLASSED.get(rid, cls), "width_m": 8.0})
        new_geoms.append(g)
    for rid, (x, y) in ADDED.items():
        new_rows.append({"road_id": rid, "name": f"新路{rid}", "road_class": "branch",
                         "width_m": 7.5, "built_date": pd.Timestamp("2025-03-01")})
        new_geoms.append(road(x, y))
    return frame("roads", old_rows, old_geoms), frame("roads", new_rows, new_geoms)


@pytest.fixture(scope="module")
def road_diff():
    old, new = road_snapshots()
    return diff_frames(old, new, get_layer("roads"), from_batch=1, to_batch=2)


def render(m) -> str:
    return maps.base.finalise(m).get_root().render()


def colour_counts(html_text: str) -> dict[str, int]:
    """Features drawn per stroke colour, over every compact layer of the page."""
    counts: dict[str, int] = {}
    for p in payloads(html_text):
        for i, t in enumerate(p["t"]):
            if t == "-" or not p["g"][i]:
                continue
            colour = p["classes"][p["k"][i] if p["k"] else 0]["color"]
            counts[colour] = counts.get(colour, 0) + 1
    return counts


def popup_rows(html_text: str, layer_name: str) -> dict[str, dict[str, str]]:
    """``{feature id: {label: value}}`` of one compact layer (values as the page holds them)."""
    (p,) = [p for p in payloads(html_text) if p["name"] == layer_name]
    cols = p["cols"]
    out = {}
    for i in range(len(p["t"])):
        row = {label: values[i] for label, values in cols if values[i] is not None}
        out[cols[0][1][i]] = row
    return out


def test_colours_count_the_changes(road_diff):
    html_text = render(changes_map(road_diff, subdistricts(), offline=True))
    counts = colour_counts(html_text)
    assert counts[CHANGE_COLOURS["added"]] == len(ADDED)
    assert counts[CHANGE_COLOURS["removed"]] == len(REMOVED)
    assert counts[CHANGE_COLOURS["modified"]] == len(MODIFIED)
    # the former geometry of the features that moved (moved or extended)
    assert counts[FORMER_COLOUR] == len(MOVED_M) + len(EXTENDED_M)
    # the legend counts them too, in Chinese
    for label, n in (("新增", len(ADDED)), ("删除", len(REMOVED)), ("修改", len(MODIFIED))):
        assert f"{label}（{n}）" in html_text


def test_context_draws_the_unchanged_features_under_the_changes(road_diff):
    from yangpu_gis.maps.changes import CONTEXT

    _, now = road_snapshots()
    html_text = render(changes_map(road_diff, subdistricts(), offline=True, context=now))
    counts = colour_counts(html_text)
    unchanged = len(OLD_ROADS) - len(REMOVED) - len(MODIFIED)
    assert counts[CONTEXT.color] == unchanged
    assert counts[CHANGE_COLOURS["modified"]] == len(MODIFIED)
    assert set(popup_rows(html_text, "道路（未变）")) == set(OLD_ROADS) - REMOVED - MODIFIED
    assert f"未变要素（{unchanged}）" in html_text
    names = [p["name"] for p in payloads(html_text)]
    assert names.index("道路（未变）") < names.index("修改道路")  # drawn underneath


def brute_force_summary(diff, subs: gpd.GeoDataFrame) -> dict[str, dict[str, int]]:
    """Subdistrict name -> counts, by a loop over features and polygons."""
    polys = list(subs.to_crs(diff.new.crs).geometry)
    out = {n: {"added": 0, "removed": 0, "modified": 0} for n in [*subs["name"], OUTSIDE]}
    for kind, frame_ in (("added", diff.added), ("removed", diff.removed),
                         ("modified", diff.new)):
        for g in frame_.geometry:
            pt = shapely.point_on_surface(g)
            owner = next((n for n, poly in zip(subs["name"], polys, strict=True)
                          if poly.covers(pt)), OUTSIDE)
            out[owner][kind] += 1
    return out


@pytest.mark.parametrize("crs", ["EPSG:4549", "EPSG:4326"])
def test_summary_per_subdistrict_equals_brute_force(road_diff, crs):
    subs = subdistricts(crs)
    oracle = brute_force_summary(road_diff, subs)
    table = changes_by_subdistrict(road_diff, subs)
    got = {r.name: {"added": r.added, "removed": r.removed, "modified": r.modified}
           for r in table.itertuples()}
    assert got == oracle
    assert table["name"].tolist() == [*SUB_NAMES, OUTSIDE]
    assert (table["total"] == table[["added", "removed", "modified"]].sum(axis=1)).all()
    # the panel on the map shows the same numbers, with a total row
    html_text = render(changes_map(road_diff, subs, offline=True))
    panel = re.search(r'<table class="yp-table">.*?</table>', html_text, re.S).group(0)
    rows = re.findall(r"<tr><td>([^<]*)</td>((?:<td[^>]*>[^<]*</td>)+)</tr>", panel)
    shown = {name: [int(v.replace(",", "")) for v in re.findall(r">([^<]*)</td>", cells)]
             for name, cells in rows}
    for name, c in oracle.items():
        assert shown[name] == [c["added"], c["removed"], c["modified"], sum(c.values())]
    assert shown["合计"] == [len(ADDED), len(REMOVED), len(MODIFIED),
                           len(ADDED) + len(REMOVED) + len(MODIFIED)]
    assert "各街道变更" in html_text


def test_other_row_only_when_something_lies_outside(road_diff):
    inside = dataclasses.replace(road_diff, added=road_diff.added[
        road_diff.added["road_id"] != "N3"].reset_index(drop=True))
    table = changes_by_subdistrict(inside, subdistricts())
    assert OUTSIDE not in table["name"].tolist() and len(table) == len(SUB_NAMES)


def test_popups_show_old_and_new_values_and_movement(road_diff):
    html_text = render(changes_map(road_diff, subdistricts(), offline=True))
    rows = popup_rows(html_text, "修改道路")
    assert set(rows) == MODIFIED
    spec = get_layer("roads")
    name, cls = spec.column("name").label, spec.column("road_class").label
    classes = spec.column("road_class").value_labels
    old_name = OLD_ROADS["R1"][0]
    assert rows["R1"][name] == f"{old_name} → {RENAMED['R1']}"
    assert rows["R1"]["几何"] == "未变" and "位移（豪斯多夫距离）" not in rows["R1"]
    assert rows["R4"][cls] == f"{classes['branch']} → {classes[RECLASSED['R4']]}"
    # unchanged names still identify the feature; no field is listed that did not change
    assert rows["R2"][name] == OLD_ROADS["R2"][0] and cls not in rows["R2"]
    # a translation by d metres: Hausdorff d, length unchanged
    assert rows["R2"]["几何"] == "已改变"
    assert rows["R2"]["位移（豪斯多夫距离）"] == f"{MOVED_M['R2']:.0f} m"
    assert rows["R2"]["长度变化"] == "0 m"
    # extended at one end by d metres: Hausdorff d, length +d
    assert rows["R3"]["位移（豪斯多夫距离）"] == f"{EXTENDED_M['R3']:.0f} m"
    assert rows["R3"]["长度变化"] == f"+{EXTENDED_M['R3']:.0f} m"
    # added and removed features: their attributes, enumerations and dates in Chinese
    added = popup_rows(html_text, "新增道路")
    assert set(added) == set(ADDED)
    assert added["N1"][name] == "新路N1" and added["N1"][cls] == classes["branch"]
    assert added["N1"][spec.column("built_date").label] == "2025-03-01"
    removed = popup_rows(html_text, "删除道路")
    assert set(removed) == REMOVED
    assert removed["R5"][name] == OLD_ROADS["R5"][0]


def test_subdistrict_popups_count_their_changes(road_diff):
    subs = subdistricts()
    oracle = brute_force_summary(road_diff, subs)
    rows = popup_rows(render(changes_map(road_diff, subs, offline=True)), "街道")
    # the popup's first column is the name (the tooltip's); counts are the brute force's
    for n in SUB_NAMES:
        assert [int(rows[n][k]) for k in ("新增", "删除", "修改")] == [
            oracle[n]["added"], oracle[n]["removed"], oracle[n]["modified"]]


def test_without_subdistricts_and_without_changes(road_diff):
    html_text = render(changes_map(road_diff, offline=True))
    assert "各街道变更" not in html_text
    assert colour_counts(html_text)[CHANGE_COLOURS["modified"]] == len(MODIFIED)
    old, _ = road_snapshots()
    same = diff_frames(old, old.copy(), get_layer("roads"), from_batch=2, to_batch=3)
    html_text = render(changes_map(same, subdistricts(), offline=True))
    assert "两批次之间没有变更" in html_text and f"（{len(OLD_ROADS)} 个要素未变）" in html_text
    assert set(colour_counts(html_text)) <= {"#4d4d4d"}  # only the subdistrict outlines
    assert "杨浦区道路变更（批次 2 → 3）" in html_text


# --------------------------------------------------------------- points and polygons
def test_points_and_polygons():
    pois_old = frame("pois", [{"poi_id": p, "name": p, "kind": "school"} for p in "ABC"],
                     [Point(X0 + 100, Y0 + 100), Point(X0 + 2100, Y0 + 100),
                      Point(X0 + 100, Y0 + 2100)])
    pois_new = frame("pois", [{"poi_id": p, "name": p, "kind": "school"} for p in "BCD"],
                     [Point(X0 + 2100, Y0 + 125), Point(X0 + 100, Y0 + 2100),
                      Point(X0 + 2100, Y0 + 2100)])
    d = diff_frames(pois_old, pois_new, get_layer("pois"), from_batch=1, to_batch=2)
    html_text = render(changes_map(d, subdistricts(), offline=True))
    counts = colour_counts(html_text)
    assert [counts[CHANGE_COLOURS[k]] for k in ("added", "removed", "modified")] == [1, 1, 1]
    assert popup_rows(html_text, "修改兴趣点")["B"]["位移（豪斯多夫距离）"] == "25 m"
    assert set("".join(p["t"] for p in payloads(html_text) if p["name"] != "街道")) == {"P"}
    table = changes_by_subdistrict(d, subdistricts()).set_index("name")
    assert table.loc["东北街道", "added"] == 1 and table.loc["西南街道", "removed"] == 1
    assert table.loc["东南街道", "modified"] == 1

    def compound(cid, w, h, x=300):
        return {"compound_id": cid, "name": cid, "households": 100}, box(
            X0 + x, Y0 + 300, X0 + x + w, Y0 + 300 + h)

    old = [compound("C1", 100, 100), compound("C2", 100, 100, 700)]
    new = [compound("C1", 100, 110), compound("C3", 50, 50, 1200)]
    d = diff_frames(frame("residential_compounds", *map(list, zip(*old, strict=True))),
                    frame("residential_compounds", *map(list, zip(*new, strict=True))),
                    get_layer("residential_compounds"), from_batch=1, to_batch=2)
    html_text = render(changes_map(d, subdistricts(), offline=True))
    row = popup_rows(html_text, "修改住宅小区")["C1"]
    assert row["面积变化"] == "+1,000 m²" and row["位移（豪斯多夫距离）"] == "10 m"
    assert "长度变化" not in row
    counts = colour_counts(html_text)
    assert [counts[CHANGE_COLOURS[k]] for k in ("added", "removed", "modified")] == [1, 1, 1]
    assert set("".join(p["t"] for p in payloads(html_text))) == {"A"}


def test_a_layer_without_geometry_is_refused():
    spec = get_layer("water_samples")
    rows = pd.DataFrame({c: ["x"] for c in spec.column_names})
    d = diff_frames(rows, rows.iloc[0:0], spec, from_batch=1, to_batch=2)
    with pytest.raises(ValidationError, match="no geometry") as err:
        changes_map(d, subdistricts())
    assert "--json" in (err.value.hint or "")


# -------------------------------------------------------------------------- hostile text
EXTRA = ["`${window.__pwned=1}`", "'; DROP TABLE roads; --"]


def hostile_diff(payloads_: list[str]):
    """The roads diff with every id, name, maintainer and label replaced by payloads."""
    old, new = road_snapshots()
    n = len(payloads_)
    order = {rid: k for k, rid in enumerate(sorted(set(old["road_id"]) | set(new["road_id"])))}
    for f in (old, new):  # the same text for the same feature in both: the changes stay
        k = f["road_id"].map(order)
        f["name"] = [payloads_[(i + 5) % n] + v for i, v in zip(k, f["name"], strict=True)]
        f["maintainer"] = [payloads_[(i + 3) % n] for i in k]
        f["road_id"] = [payloads_[i % n] + v for i, v in zip(k, f["road_id"], strict=True)]
    d = diff_frames(old, new, get_layer("roads"), from_batch=1, to_batch=2)
    labels = {c: payloads_[k % len(payloads_)] + label
              for k, (c, label) in enumerate(d.labels.items())}
    return dataclasses.replace(d, labels=labels), new


def test_hostile_values_are_escaped_in_the_saved_page(tmp_path):
    hostile = _payloads(tmp_path) + EXTRA
    d, now = hostile_diff(hostile)
    subs = subdistricts()
    subs["name"] = hostile[8:12]
    m = changes_map(d, subs, title=hostile[9] + hostile[11], offline=True, context=now)
    page = maps.save(m, tmp_path / "changes.html").read_text("utf-8")
    for p in hostile:
        if any(c in p for c in "<>\"'{}"):
            assert p not in page, p
    assert "<img src" not in page and "<svg/onload" not in page
    assert page.count("</script>") == page.count("<script")
    assert "{{ 7*7 }}" not in page and "{%" not in page


@pytest.mark.browser
def test_hostile_change_map_in_browser(tmp_path, browser):
    hostile = _payloads(tmp_path) + EXTRA
    d, now = hostile_diff(hostile)
    subs = subdistricts()
    subs["name"] = hostile[8:12]
    path = maps.save(changes_map(d, subs, title=hostile[9], offline=True, context=now),
                     tmp_path / "changes.html")
    seen = inspect(browser, path)
    n = {name: rec["n"] for name, rec in seen["layers"].items()}
    assert n == {"街道": 4, "道路（未变）": len(OLD_ROADS) - len(REMOVED) - len(MODIFIED),
                 "道路修改前位置": 2, "删除道路": len(REMOVED), "修改道路": len(MODIFIED),
                 "新增道路": len(ADDED)}
    in_data = {str(v) for f in (d.added, d.removed, d.new) for c in ("road_id", "name",
               "maintainer") for v in f[c]} | set(d.labels.values()) | set(subs["name"])
    expect = {p for p in hostile if any(p in v for v in in_data)}
    assert len(expect) >= 12
    assert_safe(seen, hostile, tmp_path, expect=expect, where="changes map",
                min_found=len(expect))


def test_polygon_labels_sit_deep_inside():
    """Name labels go to the pole of inaccessibility: inside, and at least as far from the
    edge as the representative point (so narrow neighbours' labels do not meet there)."""
    from yangpu_gis.maps.layers import label_points

    subs = gpd.read_file("data/demo/subdistricts.geojson").to_crs("EPSG:4326")
    polys = np.asarray(subs.geometry.values, dtype=object)
    pts = label_points(polys)
    assert shapely.contains(polys, pts).all()
    depth = shapely.distance(pts, shapely.boundary(polys))
    rep = shapely.distance(shapely.point_on_surface(polys), shapely.boundary(polys))
    size = np.array([max(b[2] - b[0], b[3] - b[1]) for b in shapely.bounds(polys)])
    assert (depth >= rep - size / 200).all()
    assert (depth > rep).sum() >= len(polys) // 2

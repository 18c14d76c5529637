"""Feature history against an independent replay, on randomised deliveries (both backends).

Hypothesis draws 2–5 deliveries of a small roads layer (10–20 roads): ``append`` of new ids,
``upsert`` and ``replace`` mixing attribute edits (to and from missing values), geometry
moves (a translation, an added vertex), additions, deletions, re-adding a deleted id and
unchanged re-deliveries, then one ``revert`` (with or without ``force``). The oracle
(:mod:`tests.history_oracle`) replays them in plain Python and shapely; the registry must
agree on

(a) ``read(as_of=k)`` for every batch, values and geometries by id;
(b) ``diff(a, b)`` for drawn pairs: added/removed ids, modified ids with exactly the changed
    fields (old and new), geometry changed, Hausdorff distance and length change;
(c) the batch counts (``rows_inserted/updated/deleted/unchanged``);
(d) the stored versions (``versions()``): one per version the replay created, with the
    batch that created and the one that ended it, and its values;
(e) ``revert(k)``: the state before ``k`` for the ids ``k`` touched and the current one
    elsewhere; refused without ``force`` when later batches touched the same ids, or when
    ``k`` changed nothing, and then nothing changes.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from yangpu_gis.errors import RegistryError

from .history_oracle import (
    FIELDS,
    X0,
    Y0,
    Replay,
    Road,
    expected_diff,
    frame_of,
    fresh_registry,
    roads_of,
)

NAMES = ["国权路", "政通路", "黄兴路", "控江路", "'; DROP TABLE roads; --", "<script>x</script>"]
CLASSES = ["arterial", "secondary", "branch", "alley"]
VALUES = {
    "name": st.sampled_from(NAMES),
    "road_class": st.sampled_from(CLASSES),
    "width_m": st.sampled_from([None, 7.5, 12.0, 24.25]),
    "maintainer": st.sampled_from([None, "杨浦区市政", "城投公路"]),
    "built_date": st.sampled_from([None, date(2001, 5, 1), date(2019, 12, 31)]),
    "pci": st.sampled_from([None, 55.0, 88.5, 100.0]),
}
EDITS = ["keep", "keep", "attribute", "move", "vertex", "delete"]


@st.composite
def roads_at(draw, k: int) -> Road:
    """A new road: 2–3 vertices on a half-metre grid, its own cell of the grid."""
    x, y = X0 + 60.0 * (k % 10), Y0 + 40.0 * (k // 10)
    n = draw(st.integers(2, 3))
    coords = tuple((x + 15.0 * j, y + draw(st.integers(-20, 20)) * 0.5) for j in range(n))
    return Road(**{f: draw(s) for f, s in VALUES.items()}, coords=coords)


@st.composite
def edited(draw, road: Road, edit: str) -> Road:
    """``road`` after one edit (which may happen to leave it equal)."""
    if edit == "attribute":
        name = draw(st.sampled_from(FIELDS))
        return Road(**{**road.values(), name: draw(VALUES[name])}, coords=road.coords)
    if edit == "move":
        dx, dy = draw(st.sampled_from([(0.5, 0.0), (-3.0, 2.5), (0.0, 12.0), (25.5, -7.0)]))
        return Road(**road.values(), coords=tuple((x + dx, y + dy) for x, y in road.coords))
    # add a vertex between the first two, off the line
    (x1, y1), (x2, y2) = road.coords[:2]
    mid = ((x1 + x2) / 2, (y1 + y2) / 2 + draw(st.sampled_from([0.0, 1.5, -4.0])))
    return Road(**road.values(), coords=(road.coords[0], mid, *road.coords[1:]))


@st.composite
def plans(draw):
    """Deliveries ``[(mode, {id: Road})]`` (the first an append), and the revert to try."""
    live: dict[str, Road] = {}
    dead: dict[str, Road] = {}
    serial = 0

    def new_roads(count: int) -> dict[str, Road]:
        nonlocal serial
        out = {}
        for _ in range(count):
            out[f"R{serial:03d}"] = draw(roads_at(serial))
            serial += 1
        return out

    def readded(most: int) -> dict[str, Road]:
        ids = draw(st.lists(st.sampled_from(sorted(dead)), max_size=most, unique=True)) \
            if dead else []
        # a re-added id comes back as it was, or edited
        return {i: draw(edited(dead[i], draw(st.sampled_from(["keep", "attribute", "move"]))))
                if draw(st.booleans()) else dead[i] for i in ids}

    deliveries = [("append", new_roads(draw(st.integers(10, 20))))]
    live.update(deliveries[0][1])
    for _ in range(draw(st.integers(1, 4))):
        mode = draw(st.sampled_from(["replace", "upsert", "append"]))
        rows: dict[str, Road] = {}
        if mode in ("replace", "upsert"):
            same = draw(st.integers(0, 4)) == 0  # now and then, the same delivery again
            for i, road in live.items():
                edit = "keep" if same else draw(st.sampled_from(EDITS))
                if edit == "delete" or (mode == "upsert" and edit == "keep"
                                        and draw(st.booleans())):
                    continue  # replace: deleted; upsert: simply not delivered
                rows[i] = road if edit == "keep" else draw(edited(road, edit))
            if not same:
                rows.update(new_roads(draw(st.integers(0, 3))))
                rows.update(readded(2))
        else:
            rows.update(new_roads(draw(st.integers(0, 3))))
            rows.update(readded(2))
        if not rows:
            rows.update(new_roads(1))
        deliveries.append((mode, rows))
        after = dict(rows) if mode == "replace" else {**live, **rows}
        dead.update({i: r for i, r in live.items() if i not in after})
        for i in after:
            dead.pop(i, None)
        live = after
    revert_k = draw(st.integers(1, len(deliveries)))
    return deliveries, revert_k, draw(st.booleans())


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request):
    """The backend name; the PostGIS database is made once per run (``pg_database``)."""
    db = request.getfixturevalue("pg_database") if request.param == "postgis" else None
    return request.param, db


# --------------------------------------------------------------------------- checks
def check_reads(reg, replay: Replay) -> None:
    """(a) every batch's as-of read equals the replayed snapshot; ``read()`` the last."""
    for k in range(len(replay.steps) + 1):
        got = roads_of(reg.read("roads", as_of=k))
        assert got == replay.snapshot(k), f"as_of={k}"
    assert roads_of(reg.read("roads")) == replay.current


def check_diff(reg, replay: Replay, a: int, b: int) -> None:
    """(b) ``diff(a, b)`` equals the brute-force comparison of the two snapshots."""
    want = expected_diff(replay.snapshot(a), replay.snapshot(b))
    d = reg.diff("roads", a, b)
    assert (d.from_batch, d.to_batch) == (a, b)
    assert d.added["road_id"].tolist() == want["added"], (a, b)
    assert d.removed["road_id"].tolist() == want["removed"], (a, b)
    assert d.unchanged == want["unchanged"], (a, b)
    assert sorted(d.modified["road_id"]) == sorted(want["modified"]), (a, b)
    assert roads_of(d.added) == {i: replay.snapshot(b)[i] for i in want["added"]}
    assert roads_of(d.removed) == {i: replay.snapshot(a)[i] for i in want["removed"]}
    for pos, row in enumerate(d.modified.to_dict("records")):
        exp = want["modified"][row["road_id"]]
        fields = {f: {side: _date(v[side], f) for side in ("old", "new")}
                  for f, v in row["fields"].items()}
        assert fields == exp["fields"], row["road_id"]
        assert bool(row["geometry_changed"]) == exp["geometry_changed"], row["road_id"]
        assert row["hausdorff_m"] == pytest.approx(exp["hausdorff_m"], abs=1e-9)
        assert row["length_change_m"] == pytest.approx(exp["length_change_m"], abs=1e-9)
        # the old and new versions are aligned with ``modified``
        assert d.old["road_id"].iloc[pos] == d.new["road_id"].iloc[pos] == row["road_id"]
    assert roads_of(d.old) == {i: replay.snapshot(a)[i] for i in want["modified"]}
    assert roads_of(d.new) == {i: replay.snapshot(b)[i] for i in want["modified"]}
    js = d.as_dict()
    assert (js["added"], js["removed"], js["unchanged"]) == (
        want["added"], want["removed"], want["unchanged"])


def _date(value, name):
    if value is None or name != "built_date":
        return value
    return pd.Timestamp(value).date()


def check_batches(reg, replay: Replay) -> None:
    """(c) each batch's counts are the replay's added/modified/removed/unchanged."""
    b = reg.batches()
    assert b["batch_id"].astype(int).tolist() == [s.batch for s in replay.steps]
    assert b["mode"].tolist() == [s.mode for s in replay.steps]
    got = b[["rows_read", "rows_inserted", "rows_updated", "rows_deleted", "rows_unchanged"]
            ].astype(int).values.tolist()
    assert got == [[s.delivered, len(s.added), len(s.modified), len(s.removed), s.unchanged]
                   for s in replay.steps]


def check_versions(reg, replay: Replay) -> None:
    """(d) one stored version per version created, with its batches and its values."""
    v = reg.versions("roads")
    got = {(r["road_id"], int(r["batch_id"])): (None if pd.isna(r["ended_batch"])
                                                 else int(r["ended_batch"]))
           for r in v[["road_id", "batch_id", "ended_batch"]].to_dict("records")}
    assert len(v) == len(replay.versions) == len(got)
    assert got == {key: ended for key, (_road, ended) in replay.versions.items()}
    for (i, created), (road, _ended) in replay.versions.items():
        one = v[(v["road_id"] == i) & (v["batch_id"] == created)]
        assert roads_of(one) == {i: road}, (i, created)


def state(reg) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return reg.batches(), reg.read("roads"), reg.versions("roads")


def assert_same_state(before, after) -> None:
    for x, y in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(x, y)


# --------------------------------------------------------------------------- the property
@given(plan=plans(), pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)),
                                    min_size=2, max_size=4))
@settings(max_examples=20, deadline=None, database=None,
          # ``backend`` and ``tmp_path_factory`` only name where to make registries: each
          # example makes a fresh one (fresh_registry), so nothing leaks between examples
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
def test_history_equals_the_replay(backend, tmp_path_factory, plan, pairs):
    deliveries, revert_k, force = plan
    name, db = backend
    replay = Replay()
    with fresh_registry(name, tmp_path_factory.getbasetemp(), db) as reg:
        for mode, rows in deliveries:
            result = reg.load(frame_of(rows), "roads", mode=mode)
            step = replay.apply(mode, rows)
            assert result.batch_id == step.batch
        n = len(replay.steps)
        check_reads(reg, replay)
        check_batches(reg, replay)
        check_versions(reg, replay)
        for a, b in pairs:
            check_diff(reg, replay, min(a, n), min(b, n))
        # the default diff: the layer's last two deliveries
        d = reg.diff("roads")
        assert (d.from_batch, d.to_batch) == (n - 1, n)

        # (e) revert
        touched = replay.touched(revert_k)
        later = any(touched & replay.touched(j) for j in range(revert_k + 1, n + 1))
        for s in replay.steps:
            event(f"mode {s.mode}")
            event("re-delivered unchanged" if s.batch > 1 and not replay.touched(s.batch)
                  else "changed")
        event("revert: " + ("no-op, refused" if not touched else "later changes, refused"
                            if later and not force else "forced" if later else "clean"))
        if not touched or (later and not force):
            before = state(reg)
            with pytest.raises(RegistryError, match="nothing to revert" if not touched
                               else "changed again"):
                reg.revert(revert_k, force=force)
            assert_same_state(before, state(reg))
            return
        earlier = replay.snapshot(revert_k - 1)
        target = {i: r for i, r in replay.current.items() if i not in touched}
        target.update({i: earlier[i] for i in touched if i in earlier})
        result = reg.revert(revert_k, force=force)
        step = replay.apply("revert", target)
        assert result.batch_id == step.batch and result.mode == "revert"
        assert (result.rows_inserted, result.rows_updated, result.rows_deleted,
                result.rows_unchanged) == (len(step.added), len(step.modified),
                                           len(step.removed), step.unchanged)
        assert result.details["forced"] == bool(later and force)
        check_reads(reg, replay)
        check_batches(reg, replay)
        check_versions(reg, replay)
        check_diff(reg, replay, revert_k - 1, step.batch)

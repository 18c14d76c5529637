"""The case table and order map of ``merge_duplicates``, column by column, dtype by dtype.

Oracle: a brute-force O(n²) union-find gives the cases; every column is then built the
plain way, one case at a time in Python (ids by first reception, the first order's fields,
``road`` when any order is), and the mean location by pandas' own ``groupby().mean()`` on
the oracle's partition (the peer library, bit for bit). The frames are compared with
``assert_frame_equal`` (dtypes, values, order), so a faster merge cannot change the output.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from yangpu_gis.analysis.complaints.merge import CASE_COLUMNS, merge_duplicates

from .test_complaints import _brute_force_cases

CRS = "EPSG:4549"
T0 = pd.Timestamp("2025-03-01 08:00", tz="Asia/Shanghai")


def _orders(n: int, seed: int, *, categorical: bool, with_optional: bool) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 800, (8, 2))
    burst = rng.random(n) < 0.7
    xy = np.where(burst[:, None], centres[rng.integers(0, 8, n)] + rng.normal(0, 25, (n, 2)),
                  rng.uniform(0, 800, (n, 2)))
    t_h = rng.uniform(0, 24 * 30, n)
    t_h[rng.random(n) < 0.1] = 5.0  # ties in time: the first order by position
    geoms = shapely.points(xy[:, 0] + 645_000, xy[:, 1] + 3_463_000)
    geoms[rng.random(n) < 0.04] = None
    geoms[rng.random(n) < 0.03] = shapely.Point()
    cat = rng.choice(np.array(["噪声", "垃圾", "违法停车"], dtype=object), n)
    cat[rng.random(n) < 0.03] = None  # a missing category is the category ""
    frame = {"complaint_id": [f"GD{i:05d}" for i in range(n)],
             "received_at": T0 + pd.to_timedelta(t_h, unit="h"),
             "category": pd.Categorical(cat) if categorical else cat}
    if with_optional:
        frame["address"] = [None if rng.random() < 0.1 else f"路{i}号" for i in range(n)]
        frame["location_precision"] = rng.choice(
            np.array(["point", "road", None], dtype=object), n, p=[0.88, 0.08, 0.04])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


def _expected(orders: gpd.GeoDataFrame, distance_m: float, hours: float):
    n = len(orders)
    geoms = orders.geometry.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    x = np.array([g.x if ok else np.nan for g, ok in zip(geoms, located, strict=True)])
    y = np.array([g.y if ok else np.nan for g, ok in zip(geoms, located, strict=True)])
    utc = orders["received_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    t = utc.to_numpy().astype("datetime64[ns]").view("i8")
    t_h = (t - t.min()) / 3.6e12
    cat = ["" if pd.isna(c) else str(c) for c in orders["category"]]
    prec = (["point" if pd.isna(p) else p for p in orders["location_precision"]]
            if "location_precision" in orders.columns else ["point"] * n)
    road = np.array([p == "road" for p in prec])
    comps = _brute_force_cases(x, y, t_h, cat, distance_m, hours, located & ~road)
    comps = [sorted(c, key=lambda i: (t[i], i)) for c in comps]
    comps.sort(key=lambda c: (t[c[0]], c[0]))
    label = np.empty(n, dtype=np.int64)
    for k, c in enumerate(comps):
        label[c] = k
    ids = [f"C{k + 1:06d}" for k in range(len(comps))]
    mean = (pd.DataFrame({"label": label, "x": x, "y": y})[np.isfinite(x)]
            .groupby("label")[["x", "y"]].mean().reindex(range(len(comps))))
    first = [c[0] for c in comps]
    stamp = [pd.Timestamp(int(t[c[0]]), tz="UTC").tz_convert("Asia/Shanghai") for c in comps]
    last = [pd.Timestamp(int(max(t[i] for i in c)), tz="UTC").tz_convert("Asia/Shanghai")
            for c in comps]
    cases = pd.DataFrame({
        "case_id": ids,
        "category": [cat[i] for i in first],
        "first_received_at": pd.Series(stamp, dtype="datetime64[ns, Asia/Shanghai]"),
        "last_received_at": pd.Series(last, dtype="datetime64[ns, Asia/Shanghai]"),
        "n_orders": np.array([len(c) for c in comps], dtype=np.int64),
        "subdistrict_id": pd.array([None] * len(comps), dtype="string"),
        "grid_id": pd.array([None] * len(comps), dtype="string"),
        "first_complaint_id": [orders["complaint_id"].iloc[i] for i in first],
        "address": ([orders["address"].iloc[i] for i in first]
                    if "address" in orders.columns
                    else pd.array([None] * len(comps), dtype="string")),
        "location_precision": ["road" if road[c].any() else "point" for c in comps],
        "x": mean["x"].to_numpy(),
        "y": mean["y"].to_numpy(),
    })
    order_map = pd.DataFrame({"complaint_id": list(orders["complaint_id"]),
                              "case_id": [ids[k] for k in label]})
    return cases, order_map, mean


@pytest.mark.parametrize(("seed", "categorical", "with_optional", "distance_m", "hours"), [
    (0, False, False, 50.0, 72.0),
    (1, True, True, 50.0, 72.0),
    (2, False, True, 80.0, 24.0),
    (3, True, False, 30.0, 200.0),
])
def test_case_table_column_by_column(seed, categorical, with_optional, distance_m, hours):
    orders = _orders(500, seed, categorical=categorical, with_optional=with_optional)
    got = merge_duplicates(orders, distance_m=distance_m, hours=hours)
    cases, order_map, mean = _expected(orders, distance_m, hours)
    assert (cases["n_orders"] >= 4).sum() >= 5  # chains: the means are sums of several
    assert list(got.cases.columns) == [*CASE_COLUMNS, "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(got.cases.drop(columns="geometry")), cases,
                                  check_exact=True)
    pd.testing.assert_frame_equal(got.orders, order_map, check_exact=True)
    assert got.cases.crs == CRS
    fin = np.isfinite(mean["x"].to_numpy())
    pts = got.cases.geometry.to_numpy()
    assert shapely.is_missing(pts[~fin]).all()
    np.testing.assert_array_equal(shapely.get_x(pts[fin]), mean["x"].to_numpy()[fin])
    np.testing.assert_array_equal(shapely.get_y(pts[fin]), mean["y"].to_numpy()[fin])


def test_case_ids_widen_past_a_million():
    # 10**6 + 5 cases (nothing merges: orders 100 m apart): ids get a seventh digit
    n = 1_000_005
    orders = gpd.GeoDataFrame(
        {"complaint_id": np.arange(n).astype(str).astype(object),
         "received_at": T0 + pd.to_timedelta(np.arange(n) % 7, unit="s"),
         "category": np.full(n, "噪声", dtype=object)},
        geometry=shapely.points(np.arange(n) * 100.0, np.zeros(n) + 3_463_000), crs=CRS)
    got = merge_duplicates(orders)
    assert len(got.cases) == n
    ids = got.cases["case_id"]
    assert ids.iloc[0] == "C0000001" and ids.iloc[-1] == f"C{n:07d}"
    # numbered by reception time, ties by position: the orders at second 0 come first
    first = np.flatnonzero(np.arange(n) % 7 == 0)
    assert got.cases["first_complaint_id"].iloc[:3].tolist() == [str(i) for i in first[:3]]
    assert ids.iloc[len(first) - 1] == f"C{len(first):07d}"
    assert got.orders["case_id"].iloc[first[-1]] == f"C{len(first):07d}"
    assert got.orders["case_id"].iloc[1] == f"C{len(first) + 1:07d}"


def test_non_text_categories_are_their_text():
    rows = 6
    orders = gpd.GeoDataFrame(
        {"complaint_id": [f"A{i}" for i in range(rows)],
         "received_at": [T0] * rows,
         "category": np.array([1, 1.0, True, "1", None, 2], dtype=object)},
        geometry=shapely.points(np.full(rows, 645_000.0), np.full(rows, 3_463_000.0)), crs=CRS)
    got = merge_duplicates(orders)
    # str(1) == "1" links 1 and "1"; "1.0", "True", "" and "2" are cases of their own
    assert got.cases["category"].tolist() == ["1", "1.0", "True", "", "2"]
    assert got.cases["n_orders"].tolist() == [2, 1, 1, 1, 1]


def test_group_mean_is_pandas_groupby_mean_bit_for_bit():
    from yangpu_gis.analysis.complaints.merge import _group_mean

    rng = np.random.default_rng(9)
    n, k = 20_000, 3_000
    labels = rng.integers(0, k, n)
    labels[:4000] = rng.integers(0, 20, 4000)  # a few long groups
    # magnitudes far apart: compensated and plain sums differ in the last bits
    values = rng.normal(0, 1, n) * 10.0 ** rng.integers(-3, 9, n) + 645_000.0
    values[rng.random(n) < 0.05] = np.nan
    values[17] = np.inf
    got = _group_mean(labels, values, k + 5)  # the last five labels have no values
    want = (pd.DataFrame({"label": labels, "v": values}).groupby("label")["v"].mean()
            .reindex(range(k + 5)).to_numpy())
    np.testing.assert_array_equal(got, want)
    ok = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        plain = (np.bincount(labels[ok], weights=values[ok], minlength=k + 5)
                 / np.bincount(labels[ok], minlength=k + 5))
    assert (plain[: k] != want[: k]).sum() > 10  # not vacuous: the plain sum differs


def _brute_pairs(x, y, t, group, distance_m, hours) -> set[tuple[int, int]]:
    limit = round(hours * 3_600_000_000_000)
    found = set()
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            if (np.isfinite(x[i]) and np.isfinite(x[j]) and group[i] == group[j]
                    and (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2 <= (distance_m + 1e-6) ** 2
                    and abs(int(t[i]) - int(t[j])) <= limit):
                found.add((i, j))
    return found


@pytest.mark.parametrize("seed", range(8))
def test_grid_and_tree_candidates_give_the_brute_force_pairs(seed):
    from yangpu_gis.analysis.complaints.merge import _grid_pairs, _prepare, _tree_pairs

    rng = np.random.default_rng(seed)
    n = 300
    distance_m = [5.0, 50.0, 0.5, 120.0][seed % 4]
    hours = [1.0, 72.0, 0.001, 1000.0][seed % 4]
    # coordinates on a lattice of the threshold: pairs exactly at the distance, on cell edges
    x = rng.integers(0, 12, n) * distance_m / 2 + rng.choice([0.0, 1e-7, -1e-7], n)
    y = rng.integers(0, 4, n) * distance_m / 2
    t = rng.integers(0, 12, n) * round(hours * 3_600_000_000_000) // 2
    t += rng.choice([0, 1, -1], n)  # a nanosecond over or under the threshold
    x[rng.random(n) < 0.05] = np.nan
    group = rng.choice(["a", "b"], n)
    want = _brute_pairs(x, y, t, group, distance_m, hours)
    assert len(want) > 50
    xx, yy, tt, codes, t0 = _prepare(x, y, t, group)
    grid = _grid_pairs(xx, yy, tt, codes, distance_m, hours)
    tree = _tree_pairs(xx, yy, tt, codes, t0, distance_m, hours)
    assert len(grid) == len(want) and set(map(tuple, grid.tolist())) == want  # each once
    assert len(tree) == len(want) and set(map(tuple, tree.tolist())) == want


def test_grid_gives_way_to_the_tree_when_keys_overflow():
    from yangpu_gis.analysis.complaints.merge import _grid_pairs, space_time_pairs

    x = np.array([0.0, 3.0, 0.0, 3.0])
    y = np.zeros(4)
    t = np.array([0, 0, 2**62, 2**62], dtype=np.int64)  # 146 years of nanoseconds: no key
    assert _grid_pairs(x, y, t, np.zeros(4, dtype=np.int64), 5.0, 1.0) is None
    pairs = space_time_pairs(x, y, t, distance_m=5.0, hours=1.0)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (2, 3)]

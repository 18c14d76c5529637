"""Shapefile field names (GDAL's 10-character rule and the loader's inverse) and GeoPackage
datetimes stored as the standard says (UTC, ``YYYY-MM-DDTHH:MM:SS.SSSZ``).

Oracles: GDAL itself (the names it writes to a real DBF), SQLite's raw text, pyogrio reading
without warnings, and the frame that was loaded.
"""

from __future__ import annotations

import re
import sqlite3
import string
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from yangpu_gis import open_registry
from yangpu_gis.catalogue import CATALOGUE, Column, Layer
from yangpu_gis.errors import ValidationError
from yangpu_gis.io.dbf_names import dbf_field_names, truncated_aliases
from yangpu_gis.io.validate import resolve_columns

X0, Y0 = 645_000.0, 3_466_000.0  # inside Yangpu, EPSG:4549


def _gdal_names(names: list[str], folder) -> list[str]:
    """The field names GDAL really writes for ``names`` (the oracle)."""
    frame = gpd.GeoDataFrame({n: [1] for n in names}, geometry=[Point(0, 0)], crs="EPSG:4549")
    path = folder / f"n{len(list(folder.iterdir()))}.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    return [str(f) for f in pyogrio.read_info(path)["fields"]]


def _name_cases() -> list[list[str]]:
    long = "abcdefghij"
    return [
        [f"{long}_{i}" for i in range(14)],                      # _1 … _9, then 10 …
        ["LongNameAAAA", "longnameaaab", "LONGNAMEAAAC"],        # case-insensitive clashes
        [long, f"{long}k", f"{long}l"],                          # a short name first
        ["abcdefgh_1", f"{long}X", f"{long}Y"],                  # a numbered name is taken
        ["last_major_repair_date", "last_major", "name"],
        [*CATALOGUE["complaints"].column_names, "batch_id"],
        [*CATALOGUE["roads"].column_names, "batch_id"],
    ]


@pytest.mark.parametrize("names", _name_cases(), ids=lambda n: n[0][:14])
def test_dbf_field_names_follow_gdal(names, tmp_path):
    assert dbf_field_names(names) == _gdal_names(names, tmp_path)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=string.ascii_letters[:6] + "_", min_size=1, max_size=14)
                .filter(lambda s: s[0] != "_"),
                min_size=1, max_size=12, unique_by=str.upper))
def test_dbf_field_names_follow_gdal_on_random_names(tmp_path_factory, names):
    assert dbf_field_names(names) == _gdal_names(names, tmp_path_factory.mktemp("dbf"))


def _fake_layer(*names: str, aliases: dict | None = None) -> Layer:
    cols = [Column(name="sid", type="str", label="编号", required=True)]
    cols += [Column(name=n, type="str", label=n, aliases=tuple((aliases or {}).get(n, ())))
             for n in names]
    return Layer("fake", "测试", ("Point",), "sid", tuple(cols))


def test_every_catalogue_truncation_maps_back_unambiguously():
    for name, layer in CATALOGUE.items():
        aliases, ambiguous = truncated_aliases(layer)
        assert not ambiguous, name
        long = [c for c in layer.column_names if len(c) > 10]
        written = dict(zip(layer.column_names, dbf_field_names(layer.column_names), strict=True))
        assert {written[c].lower(): c for c in long} == aliases, name
        shp_columns = ["sid", *written.values()]
        mapped = resolve_columns(shp_columns, layer, {}, "x.shp")
        assert set(mapped.values()) == set(layer.column_names) - {"sid"} | (
            {"sid"} if "sid" in layer.column_names else set()), name


def test_shared_truncation_is_refused_unless_every_field_is_there():
    layer = _fake_layer("station_name_a", "station_name_b")
    with pytest.raises(ValidationError, match="--map") as exc:
        resolve_columns(["sid", "station_na"], layer, {}, "x.shp")
    assert "station_name_a or station_name_b" in exc.value.message
    both = resolve_columns(["sid", *dbf_field_names(["station_name_a", "station_name_b"])],
                           layer, {}, "x.shp")
    assert both == {"sid": "sid", "station_na": "station_name_a",
                    "station__1": "station_name_b"}
    chosen = resolve_columns(["sid", "station_na"], layer, {"station_na": "station_name_b"},
                             "x.shp")
    assert chosen["station_na"] == "station_name_b"


def test_truncation_equal_to_another_columns_alias_is_ambiguous():
    layer = _fake_layer("river_chief_name", "other", aliases={"other": ("river_chie",)})
    aliases, ambiguous = truncated_aliases(layer)
    assert "river_chie" in ambiguous and "river_chie" not in aliases
    assert resolve_columns(["sid", "river_chie"], layer, {}, "x.shp")["river_chie"] == "other"


def test_shapefile_round_trip_keeps_the_moratorium_input(tmp_path):
    """``last_major_repair_date`` survives a shapefile export: the moratorium is the same."""
    from yangpu_gis.analysis.excavation import moratorium_breaches
    from yangpu_gis.demo import run_demo

    demo = tmp_path / "demo.gpkg"
    run_demo(demo, map_path=None, analyses_dir=None)
    with open_registry(demo) as reg:
        roads, permits = reg.read("roads"), reg.read("excavation_permits")
        reg.export("roads", tmp_path / "roads.shp")
    assert roads["last_major_repair_date"].notna().any()
    with open_registry(tmp_path / "back.gpkg") as back:
        back.load(tmp_path / "roads.shp", "roads")
        again = back.read("roads")
    pd.testing.assert_series_equal(again["last_major_repair_date"],
                                   roads["last_major_repair_date"])
    a = moratorium_breaches(permits, roads)
    b = moratorium_breaches(permits, again)
    pd.testing.assert_frame_equal(a, b)
    assert (a["rule"] == "major_repair").any()


# --------------------------------------------------------------------------- datetimes

GPKG_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _complaints(n: int, start: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(start)
    base = pd.Timestamp("2025-01-01 00:00", tz="Asia/Shanghai")
    received = base + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s")
    received = received.to_series().reset_index(drop=True)
    received.iloc[0] = pd.Timestamp("2025-03-01 00:09:37.250", tz="Asia/Shanghai")  # ms kept
    received.iloc[1] = pd.Timestamp("2025-03-01 07:59:59", tz="Asia/Shanghai")  # UTC day before
    closed = received + pd.to_timedelta(rng.integers(3600, 7 * 86400, n), unit="s")
    closed[rng.random(n) < 0.3] = pd.NaT
    return gpd.GeoDataFrame({
        "complaint_id": [f"C{start + i:05d}" for i in range(n)],
        "received_at": received.to_numpy(),
        "category": ["道路"] * n,
        "text": ["坑洼"] * n,
        "status": ["已办结"] * n,
        "closed_at": closed.to_numpy(),
        "address": ["政通路"] * n,
        "location_precision": [None] * n,
    }, geometry=[Point(X0 + i, Y0 + i) for i in range(n)], crs="EPSG:4549")


@pytest.mark.parametrize("mode", ["replace", "append", "upsert"])
def test_datetimes_read_back_in_shanghai_on_both_backends(registry, mode):
    first = _complaints(30)
    registry.load(first, "complaints")
    second = _complaints(10, start=25 if mode == "upsert" else 30)
    registry.load(second, "complaints", mode=mode)
    expected = (second if mode == "replace" else
                pd.concat([first[~first["complaint_id"].isin(second["complaint_id"])], second]))
    expected = expected.sort_values("complaint_id").reset_index(drop=True)
    back = registry.read("complaints")
    for col in ("received_at", "closed_at"):
        assert str(back[col].dtype) == "datetime64[ns, Asia/Shanghai]"
        pd.testing.assert_series_equal(back[col], expected[col].astype(back[col].dtype),
                                       check_names=False)
    if registry.kind != "geopackage":
        return
    with sqlite3.connect(registry.path) as con:
        raw = [v for row in con.execute("SELECT received_at, closed_at FROM complaints")
               for v in row if v is not None]
    assert raw and all(GPKG_DATETIME.match(v) for v in raw), raw[:3]
    assert "2025-02-28T16:09:37.250Z" in raw and "2025-02-28T23:59:59.000Z" in raw
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL: "Non-conformant content for record …"
        pyogrio.read_dataframe(registry.path, layer="complaints", use_arrow=True)
        pyogrio.read_dataframe(registry.path, layer="complaints", use_arrow=False)


def test_gpkg_export_stores_utc_datetimes(tmp_path):
    with open_registry(tmp_path / "reg.gpkg") as reg:
        reg.load(_complaints(12), "complaints")
        reg.export("complaints", tmp_path / "out.gpkg")
    with sqlite3.connect(tmp_path / "out.gpkg") as con:
        raw = [r[0] for r in con.execute("SELECT received_at FROM complaints")]
    assert raw and all(GPKG_DATETIME.match(v) for v in raw), raw[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pyogrio.read_dataframe(tmp_path / "out.gpkg", use_arrow=False)

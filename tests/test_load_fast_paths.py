"""The faster load paths (issue #16): same answers as the value-by-value code they replace,
and the all-or-nothing contract of a whole ``yangpu-gis load`` into PostGIS.

* control characters searched once over the joined texts, against the per-value search;
* enumerations mapped once per distinct value, against the per-value mapping;
* a file refused at a late row (15,000 of 20,000) leaves a PostGIS registry exactly as it
  was (every table's contents, the batches, the list of tables), and the refusal names the
  file, the row and the field; a failure while the rows are being COPYed, late in the load,
  too;
* the rows the command stores are the file's rows as geopandas reads and reprojects them
  (the oracle).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli_run import crashed, run_cli
from yangpu_gis import open_registry
from yangpu_gis.catalogue import get_layer
from yangpu_gis.errors import RegistryError
from yangpu_gis.io import text as text_mod
from yangpu_gis.io import validate

UTILITIES = ("water", "drainage", "sewage", "gas", "power", "telecom", "heat")
OWNERS = ("上海城投水务（集团）有限公司", "上海市排水管理事务中心", "杨浦区市政和水务管理所",
          "上海燃气有限公司", "国网上海市电力公司杨浦供电公司", "中国电信股份有限公司上海分公司",
          "上海申能能源服务有限公司")
MAPS = ["--map", "diameter_m=diameter_mm", "--map", "install_ye=install_year"]


# --------------------------------------------------------------------------- oracles
def control_characters_per_value(values: pd.Series) -> tuple[np.ndarray, str]:
    """The per-value search the joined search replaced."""
    objects = values.astype(object).to_numpy()
    mask = np.zeros(len(objects), bool)
    found: set[str] = set()
    for i, v in enumerate(objects):
        if isinstance(v, str) and text_mod.CONTROL_CHARACTERS.search(v):
            mask[i] = True
            found.update(text_mod.CONTROL_CHARACTERS.findall(v))
    return mask, text_mod._describe(found) if found else ""


def enum_per_value(values: pd.Series, col) -> tuple[pd.Series, np.ndarray]:
    """The per-value enumeration mapping the distinct-value mapping replaced."""
    aliases = {k.lower(): v for k, v in col.value_aliases.items()}
    aliases.update({a.lower(): a for a in col.allowed})
    mapped = values.map(lambda v: aliases.get(v.strip().lower(), v) if isinstance(v, str) else v)
    mapped = mapped.astype(object).where(mapped.notna(), None)
    bad = mapped.notna().to_numpy() & ~mapped.isin(col.allowed).to_numpy()
    return mapped, bad


CHARS = st.sampled_from(["a", "中", " ", "\t", "\n", "\r", "\x00", "\x07", "\x1b", "\x1f",
                         "\x7f", "\x85", "\x9f", "\xa0", "\u3000", "é"])
TEXT = st.text(CHARS, max_size=6)
VALUE = st.one_of(TEXT, st.none(), st.just(np.nan), st.integers(-3, 3), st.just(1.5))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUE, max_size=40))
def test_control_characters_match_the_per_value_search(values):
    series = pd.Series(values, dtype=object)
    mask, what = text_mod.control_characters(series)
    want_mask, want_what = control_characters_per_value(series)
    assert mask.tolist() == want_mask.tolist()
    assert what == want_what


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXT, st.none()), max_size=40))
def test_control_characters_searched_in_the_files_arrow_texts_first(texts):
    # what validation passes: the stored texts (stripped, blank -> None) and the file's
    # Arrow column they came from (padding with whitespace controls such as U+001F, U+0085)
    from yangpu_gis.io.types import arrow_strings, coerce

    raw = pd.Series(texts, dtype="string[pyarrow]")
    stored, _ = coerce(raw, get_layer("pipelines").column("owner"))
    mask, what = text_mod.control_characters(stored, arrow_strings(raw))
    want_mask, want_what = control_characters_per_value(stored)
    assert (mask.tolist(), what) == (want_mask.tolist(), want_what)


def test_arrow_search_takes_every_refused_code_point_and_no_other():
    import pyarrow as pa

    texts = [f"a{chr(c)}b" for c in range(0x3000) if not 0xD800 <= c < 0xE000]
    for text in texts:
        one = pd.Series([text], dtype=object)
        got = text_mod.control_characters(one, pa.chunked_array([pa.array([text])]))
        assert got[0].tolist() == control_characters_per_value(one)[0].tolist(), repr(text)


def test_control_characters_of_a_long_column():
    values = [f"YP-{i:06d}" for i in range(50_000)]
    values[41_234] = "bad\x1bvalue"
    values[7] = None
    mask, what = text_mod.control_characters(pd.Series(values, dtype=object))
    assert np.flatnonzero(mask).tolist() == [41_234]
    assert what == "control character U+001B"


ENUM_VALUES = st.one_of(
    st.sampled_from([*UTILITIES, "给水", "燃气", " Water ", "GAS", "gas ", "x", "", " ",
                     "电力\t", "Heat"]),
    st.none(), st.just(np.nan), st.just(pd.NA), st.integers(0, 2), st.just(True))


@settings(max_examples=300, deadline=None)
@given(st.lists(ENUM_VALUES, max_size=40), st.sampled_from(["object", "str", "arrow"]))
def test_enumerations_match_the_per_value_mapping(values, dtype):
    col = get_layer("pipelines").column("utility")
    if dtype == "object":
        series = pd.Series(values, dtype=object, name="utility")
    else:
        texts = [v if isinstance(v, str) else None for v in values]
        series = pd.Series(texts, dtype="string[pyarrow]" if dtype == "arrow" else "str",
                           name="utility")
    series.index = series.index * 3 + 5  # a non-default index is kept
    got, bad = validate._enum(series, col)
    want, want_bad = enum_per_value(series, col)
    pd.testing.assert_series_equal(got, want)
    assert bad.tolist() == want_bad.tolist()


# --------------------------------------------------------------------------- files
def pipes_file(path, n: int, *, seed: int = 5, bad_row: int | None = None, prefix: str = "YP"):
    """A shapefile of ``n`` random pipe segments over Yangpu (WGS84, UTF-8 ``.cpg``); the
    1-based feature ``bad_row`` gets a utility the catalogue does not allow."""
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(121.49, 121.57, n), rng.uniform(31.25, 31.34, n)])
    nv = rng.integers(2, 5, n)
    owner = np.repeat(np.arange(n), nv)
    steps = rng.uniform(-2e-4, 2e-4, (len(owner), 2))
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first], nv, axis=0)
    xy = walk + np.repeat(start, nv, axis=0)
    utility = rng.integers(0, len(UTILITIES), n)
    names = np.array(UTILITIES, dtype=object)[utility]
    if bad_row is not None:
        names[bad_row - 1] = "steam"
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({
        "pipe_id": [f"{prefix}-{i:07d}" for i in range(1, n + 1)],
        "utility": names,
        "pressure_c": np.where(names == "gas", rng.choice(["低压", "中压"], n), None),
        "diameter_m": rng.choice([100, 150, 300, 800], n).astype(float),
        "material": rng.choice(["球墨铸铁", "PE", "钢"], n),
        "install_ye": rng.integers(1950, 2025, n).astype("int32"),
        "depth_m": np.round(rng.uniform(0.5, 6.0, n), 2),
        "owner": np.array(OWNERS, dtype=object)[utility],
    }, geometry=shapely.linestrings(xy, indices=owner), crs="EPSG:4326")
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    return path


def snapshot(url: str) -> dict[str, object]:
    """Every table of the registry's schema with a digest of its whole contents."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind IN ('r', 'i', 'S') ORDER BY relname").fetchall()]
        out: dict[str, object] = {"relations": tables}
        for name in tables:
            kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = %s AND "
                                "relnamespace = current_schema()::regnamespace",
                                [name]).fetchone()[0]
            if kind == "r":
                out[name] = conn.execute(
                    f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY '
                    f't::text), \'\')) FROM "{name}" t').fetchone()  # noqa: S608
        return out


# --------------------------------------------------------------------------- PostGIS
MAPPING = {"diameter_m": "diameter_mm", "install_ye": "install_year"}


@pytest.mark.postgis
def test_late_refusal_leaves_the_postgis_registry_exactly_as_before(pg_url, tmp_path):
    good = pipes_file(tmp_path / "first.shp", 2000, seed=1)
    first = run_cli("load", good, "--layer", "pipelines", "--registry", pg_url, *MAPS)
    assert first.returncode == 0, first
    before = snapshot(pg_url)
    late = pipes_file(tmp_path / "late.shp", 20_000, seed=2, bad_row=15_000)
    for mode in ("replace", "upsert", "append"):
        run = run_cli("load", late, "--layer", "pipelines", "--registry", pg_url,
                      "--mode", mode, *MAPS)
        assert run.returncode == 2, run
        assert not crashed(run.output), run
        message = " ".join(run.stderr.split())
        assert "late.shp" in message and "15000" in message and "utility" in message, run
        assert "steam" in message and "nothing was loaded" in message, run
        assert snapshot(pg_url) == before, mode
    # no batch id was used up by the refused loads
    again = run_cli("load", pipes_file(tmp_path / "ok.shp", 20_000, seed=4), "--layer",
                    "pipelines", "--registry", pg_url, "--mode", "replace", "--json", *MAPS)
    assert again.returncode == 0, again
    assert '"batch_id": 2' in again.stdout, again


@pytest.mark.postgis
def test_failure_in_a_late_copy_chunk_leaves_the_registry_exactly_as_before(
        pg_url, tmp_path, monkeypatch):
    import yangpu_gis.registry.postgis as pgmod
    from yangpu_gis.registry.postgis import copy as pg_copy

    with open_registry(pg_url) as reg:
        reg.load(pipes_file(tmp_path / "first.shp", 1000, seed=1), "pipelines", mapping=MAPPING)
    before = snapshot(pg_url)
    monkeypatch.setattr(pg_copy, "COPY_CHUNK_ROWS", 1000)  # 20 COPY chunks
    written: list[int] = []

    def fail_late(self, rows):
        written.append(rows)
        if rows == 15_000:
            raise psycopg.OperationalError("connection lost")

    monkeypatch.setattr(pgmod.PostGISRegistry, "_after_chunk", fail_late)
    late = pipes_file(tmp_path / "late.shp", 20_000, seed=2)
    new_ids = pipes_file(tmp_path / "new.shp", 20_000, seed=2, prefix="YQ")  # for append
    for mode in ("replace", "upsert", "append"):
        written.clear()
        with open_registry(pg_url) as reg, pytest.raises(RegistryError, match="rolled back"):
            reg.load(new_ids if mode == "append" else late, "pipelines", mode=mode,
                     mapping=MAPPING)
        assert written[-1] == 15_000 and written[0] == 1000  # failed late in the COPY
        assert snapshot(pg_url) == before, mode


@pytest.mark.postgis
def test_cli_load_stores_the_rows_geopandas_reads(pg_url, tmp_path):
    import geopandas as gpd

    shp = pipes_file(tmp_path / "pipes.shp", 20_000, seed=3)
    run = run_cli("load", shp, "--layer", "pipelines", "--registry", pg_url, "--mode",
                  "replace", *MAPS)
    assert run.returncode == 0, run
    oracle = gpd.read_file(shp).to_crs(4549).sort_values("pipe_id").reset_index(drop=True)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT pipe_id, utility, pressure_class, diameter_mm, material, install_year, "
            "depth_m, owner, batch_id, ST_SRID(geom), ST_AsBinary(geom) FROM pipelines "
            "ORDER BY pipe_id").fetchall()
    stored = pd.DataFrame(rows, columns=["pipe_id", "utility", "pressure_class", "diameter_mm",
                                         "material", "install_year", "depth_m", "owner",
                                         "batch_id", "srid", "wkb"])
    assert len(stored) == 20_000
    assert stored["pipe_id"].tolist() == oracle["pipe_id"].tolist()
    for ours, theirs in (("utility", "utility"), ("material", "material"), ("owner", "owner")):
        assert stored[ours].tolist() == oracle[theirs].tolist()
    assert [r[2] for r in rows] == [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        for v in oracle["pressure_c"]]
    np.testing.assert_array_equal(stored["diameter_mm"].astype(float), oracle["diameter_m"])
    np.testing.assert_array_equal(stored["install_year"].astype(int), oracle["install_ye"])
    np.testing.assert_array_equal(stored["depth_m"].astype(float), oracle["depth_m"])
    assert set(stored["batch_id"]) == {1} and set(stored["srid"]) == {4549}
    geoms = shapely.from_wkb([bytes(b) for b in stored["wkb"]])
    assert (shapely.get_num_coordinates(geoms)
            == shapely.get_num_coordinates(oracle.geometry.values)).all()
    np.testing.assert_allclose(shapely.get_coordinates(geoms),
                               shapely.get_coordinates(oracle.geometry.values), rtol=0, atol=1e-6)

"""Shared fixtures: a throwaway PostGIS database per run, a schema per test, both backends.

The PostGIS admin URL comes from one place, ``$YANGPU_GIS_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``). With ``CI=true`` a PostGIS test that
cannot run fails, and a run in which any PostGIS test was skipped fails too: a missing
server can never pass for green (geopandas and geoalchemy2 do the same).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = REPO.parent / "shared" / "data" / "real"
FIXTURES = REPO / "data" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ADMIN_URL = os.environ.get("YANGPU_GIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _with_db(url: str, db: str, schema: str | None = None) -> str:
    parts = urlsplit(url)
    query = parts.query
    if schema:
        opt = f"options=-csearch_path%3D{schema}%2Cpublic"
        query = f"{query}&{opt}" if query else opt
    return urlunsplit(parts._replace(path="/" + db, query=query))


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"PostGIS tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostGIS not available: {reason}")


@pytest.fixture(scope="session")
def pg_database():
    """A throwaway database with PostGIS, created for this test run and dropped after it."""
    import psycopg

    name = f"yangpu_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        _unavailable(f"cannot connect to {ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(ADMIN_URL, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        _drop(name)
        _unavailable(f"CREATE EXTENSION postgis failed: {exc}")
    yield url
    _drop(name)


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database):
    """URL of a fresh schema in the run's database (one per test, dropped afterwards)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = urlsplit(pg_database).path.lstrip("/")
    yield _with_db(ADMIN_URL, db, schema)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(autouse=True)
def _catalogue_as_built():
    """Every test ends with the catalogue as it started: a layer definition a test's
    registry registered (per process) never leaks into the next test's ``CATALOGUE``."""
    from yangpu_gis.catalogue import catalogue_restored

    with catalogue_restored():
        yield


def load_layers(target: str, layers: dict, folder: Path) -> str:
    """Load ``{layer name: GeoDataFrame}`` into the registry ``target`` as GeoPackage files.

    Each frame is written to ``folder/<name>.gpkg`` and loaded under its name, in order, the
    way ``yangpu-gis load`` would; returns ``target``.
    """
    from yangpu_gis import open_registry

    with open_registry(target) as reg:
        for name, gdf in layers.items():
            path = folder / f"{name}.gpkg"
            gdf.to_file(path, driver="GPKG")
            reg.load(path, name)
    return target


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def registry_target(request, tmp_path):
    """A registry target of each backend: a fresh .gpkg path, or a fresh PostGIS schema."""
    if request.param == "geopackage":
        return str(tmp_path / "registry.gpkg")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def registry(registry_target):
    """An open, empty registry of each backend (a GeoPackage not created yet reads as empty)."""
    from yangpu_gis import open_registry

    reg = open_registry(registry_target, create=True)
    yield reg
    reg.close()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()) or "pg_database" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.postgis)


_skipped_postgis: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and "postgis" in report.keywords and "PostGIS not available" in str(
        report.longrepr
    ):
        _skipped_postgis.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and _skipped_postgis:
        session.exitstatus = 1
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"FAILED: {len(_skipped_postgis)} PostGIS tests were skipped with CI=true "
                f"(first: {_skipped_postgis[0]})", red=True)


# ------------------------------------------------------------------ browser and small disks
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through playwright, one for the whole run."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def small_disk_of(tmp_path):
    """``small_disk_of("256k")``: a folder on a tmpfs of that size, unmounted afterwards.

    Mounting needs root (the test command runs as root in CI); where it is not allowed the
    test is skipped, the one kind of skip outside PostGIS that is not a failure.
    """
    import subprocess

    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"small{len(mounted)}"
        where.mkdir()
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, timeout=20)
        if res.returncode != 0:
            pytest.skip("cannot mount a small tmpfs here (needs root): "
                        + res.stderr.decode(errors="replace").strip())
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)

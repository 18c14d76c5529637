"""The registry's backend protocol and the layering around it (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from yangpu_gis import open_registry
from yangpu_gis.registry.backend import Backend, LoadTransaction

PACKAGE = Path(__file__).resolve().parents[1] / "yangpu_gis"


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _imports(folder: Path) -> list[tuple[str, str]]:
    """(file, imported module) for every import in ``folder``, function-level ones too."""
    found = []
    for path in folder.rglob("*.py"):
        depth = len(path.relative_to(PACKAGE).parts) - 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = list(path.relative_to(PACKAGE).parts[:-1])[:depth - node.level + 1]
                    name = ".".join(["yangpu_gis", *parts, *([node.module] if node.module else [])])
                else:
                    name = node.module or ""
                found += [(_rel(path), f"{name}.{a.name}") for a in node.names]
            elif isinstance(node, ast.Import):
                found += [(_rel(path), a.name) for a in node.names]
    return found


def test_rasters_never_import_the_registry():
    bad = [(f, m) for f, m in _imports(PACKAGE / "rasters")
           if m.startswith("yangpu_gis.registry")]
    assert bad == []


def test_psycopg_only_in_the_postgis_backend():
    outside = [f for folder in ("rasters", "analysis", "registry/geopackage")
               for f, m in _imports(PACKAGE / folder) if m.split(".")[0] == "psycopg"]
    base = [f for f, m in _imports(PACKAGE / "registry") if m.split(".")[0] == "psycopg"
            and not f.startswith("registry/postgis/")]
    assert outside == [] and base == []


def test_geopackage_backend_implements_the_protocol(tmp_path):
    reg = open_registry(tmp_path / "r.gpkg", create=True)
    assert isinstance(reg, Backend)
    with reg.transaction("roads") as tx:
        assert isinstance(tx, LoadTransaction)
    assert not (tmp_path / "r.gpkg").exists()  # a transaction that wrote nothing


@pytest.mark.postgis
def test_postgis_backend_implements_the_protocol(pg_url):
    with open_registry(pg_url) as reg:
        assert isinstance(reg, Backend)
        before = reg.batches()
        with reg.transaction("roads") as tx:
            assert isinstance(tx, LoadTransaction)
        assert len(reg.batches()) == len(before)


def test_both_backends_keep_the_district_behind_one_store(registry):
    """Each backend's district table implements the shared DistrictStore (issue 16)."""
    from yangpu_gis.registry.district import DistrictStore

    assert isinstance(registry.district_store, DistrictStore)
    assert registry.district_store.stored() == [] and registry.district is None

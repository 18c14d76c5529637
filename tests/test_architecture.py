"""The house rules of docs/architecture.md, checked on the code itself.

`lint-imports` (run by scripts/test.sh) checks the layers; these tests check what a layers
contract cannot: no import cycle at all (function-level imports counted), nothing imports
the package root, no module takes another's private names, ``analysis/`` stays pure, and
importing the package (or the CLI for ``--help``) stays light.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "yangpu_gis"


def _graph() -> nx.DiGraph:
    g = grimp.build_graph("yangpu_gis")
    graph = nx.DiGraph()
    for module in g.modules:
        graph.add_node(module)
        for imported in g.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def _sources() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def test_no_import_cycles_counting_function_level_imports():
    cycles = sorted(nx.simple_cycles(_graph()), key=len)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles[:10])


def test_no_module_imports_the_package_root():
    graph = _graph()
    importers = sorted(m for m in graph.predecessors("yangpu_gis")) if "yangpu_gis" in graph \
        else []
    assert importers == [], f"modules importing from yangpu_gis/__init__.py: {importers}"


def test_no_module_imports_another_modules_private_names():
    found = []
    for name, path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(name, node, path.name == "__init__.py")
                if not target.startswith("yangpu_gis"):
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{name} imports {target}.{alias.name}")
    assert found == []


#: What ``analysis/`` must not touch: command line, terminal, database, maps, file writers.
_IMPURE_MODULES = ("typer", "rich", "psycopg", "folium", "branca", "sqlite3",
                   "yangpu_gis.registry", "yangpu_gis.maps", "yangpu_gis.cli",
                   "yangpu_gis.runs", "yangpu_gis.output")
_WRITERS = {"to_csv", "to_file", "write_dataframe", "to_parquet", "write_text", "write_bytes",
            "mkdir", "to_excel", "savefig"}


def test_analysis_is_pure():
    found = []
    for name, path, tree in _sources():
        if not name.startswith("yangpu_gis.analysis"):
            continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = [_resolve(name, node, path.name == "__init__.py")]
            for t in targets:
                if any(t == m or t.startswith(m + ".") for m in _IMPURE_MODULES):
                    found.append(f"{name}:{node.lineno} imports {t}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _WRITERS:
                found.append(f"{name}:{node.lineno} writes a file (.{node.func.attr})")
    assert found == []


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_import_is_light_and_fast():
    # what a notebook's first line and `yangpu-gis --help` pay for: no heavy library loaded
    heavy = ("pandas", "geopandas", "numpy", "shapely", "pyproj", "folium", "matplotlib",
             "rasterio", "pyogrio", "scipy", "psycopg", "dask", "distributed")
    code = ("import sys, time; t = time.perf_counter(); import {m}; "
            "print(time.perf_counter() - t); print(','.join(sorted(sys.modules)))")
    for module in ("yangpu_gis", "yangpu_gis.cli"):
        seconds, loaded = _fresh(code.format(m=module)).splitlines()
        loaded_heavy = [h for h in heavy if h in loaded.split(",")]
        assert loaded_heavy == [], f"import {module} loads {loaded_heavy}"
    best = min(float(_fresh(code.format(m="yangpu_gis")).splitlines()[0]) for _ in range(3))
    assert best < 0.5


def test_an_html_layer_map_loads_no_classifier_nor_pyplot(tmp_path):
    # mapclassify compiles a numba kernel and imports scikit-learn on import (seconds, in
    # every process), pyplot is for PNGs: a map of a layer without a choropleth needs neither
    code = ("import sys, geopandas as gpd, shapely; from yangpu_gis import maps; "
            "g = gpd.GeoDataFrame({'road_id': ['R1'], 'name': ['控江路']}, "
            "geometry=[shapely.LineString([(121.5, 31.27), (121.52, 31.28)])], crs=4326); "
            f"maps.save(maps.layer_map(g, 'roads'), {str(tmp_path / 'r.html')!r}); "
            "print(','.join(sorted(sys.modules)))")
    loaded = set(_fresh(code).split(","))
    assert (tmp_path / "r.html").stat().st_size > 0
    assert not {"mapclassify", "sklearn", "matplotlib.pyplot"} & loaded
    # and a choropleth still classifies with mapclassify, loaded on first use
    code = ("import sys, numpy as np; from yangpu_gis.maps.choropleth import classify; "
            "c = classify(np.arange(10.0), 'Quantiles', 5); "
            "print(type(c).__module__, 'mapclassify' in sys.modules, len(c.bins))")
    assert _fresh(code).split() == ["mapclassify.classifiers", "True", "5"]


@pytest.mark.parametrize("name", ["analyze_excavation", "analyze_parking", "analyze_coverage",
                                  "analyze_complaints", "analyze_causes",
                                  "analyze_pipelines", "analyze_homes",
                                  "analyze_overhead",
                                  "analyze_waterlogging",
                                  "analyze_water_quality", "analyze_road_condition"])
def test_every_topic_has_one_entry_point_and_run(name):
    import yangpu_gis
    from yangpu_gis import runs
    from yangpu_gis.analysis.result import AnalysisResult

    analyze = getattr(yangpu_gis, name)
    topic = name.removeprefix("analyze_")
    assert callable(analyze) and callable(getattr(runs, f"run_{topic}"))
    assert callable(getattr(yangpu_gis, f"run_{topic}"))
    result_name = "".join(p.capitalize() for p in topic.split("_")) + "Result"
    result = getattr(yangpu_gis, result_name)
    assert issubclass(result, AnalysisResult) and result.topic


#: Modules that load nothing heavy: importing them inside a function hides nothing worth it.
_CORE = ("errors", "settings", "catalogue", "crs", "output", "terminal", "version", "lazy")


def test_core_modules_are_imported_at_the_top():
    # an import inside a function is for a heavy library (folium, geopandas) that a light
    # entry point must not load; the core modules are light, so they are imported at the top
    found = []
    for name, path, tree in _sources():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.level:
                    target = _resolve(name, node, path.name == "__init__.py")
                    names = {a.name for a in node.names}
                    if target.removeprefix("yangpu_gis.") in _CORE or (
                            target == "yangpu_gis" and names <= set(_CORE)):
                        found.append(f"{name}:{node.lineno} imports {target} {sorted(names)}")
    assert found == []

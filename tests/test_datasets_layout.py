"""Layout of ``yangpu_gis.datasets``: a light ``get_path`` and a demo generator split by layer.

* ``import yangpu_gis`` (and the CLI, and ``get_path`` while the checkout's files exist) loads
  none of the generator modules (``yangpu_gis.datasets.demo``…): checked in fresh processes;
* the generator's modules import one another without a cycle (function-level imports
  counted) and never import another module's ``_private`` names;
* ``demo_dir`` falls back to ``$XDG_CACHE_HOME/yangpu_gis/demo`` (else
  ``~/.cache/yangpu_gis/demo``) and generates there files byte-identical to the
  repository's ``data/demo``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "yangpu_gis"
DATASETS = PACKAGE / "datasets"
GENERATOR = "yangpu_gis.datasets.demo"


def _run(code: str, env_extra: dict[str, str] | None = None,
         drop: tuple[str, ...] = ()) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra or {})
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=REPO, timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


#: Expression: the generator modules loaded so far; LOADED prints them as JSON.
LOADED_EXPR = (f"sorted(m for m in sys.modules "
               f"if m == {GENERATOR!r} or m.startswith({GENERATOR + '.'!r}))")
LOADED = f"print(json.dumps({LOADED_EXPR}))"


@pytest.mark.parametrize("statement", [
    "import yangpu_gis",
    "import yangpu_gis; yangpu_gis.settings; yangpu_gis.CATALOGUE",
    "import yangpu_gis.cli",
    "import yangpu_gis.demo",
    "from yangpu_gis.datasets import get_path; get_path('fixtures/roads_gbk.zip')",
    "from yangpu_gis.datasets import get_path; get_path('demo/manifest.toml')",
    "from yangpu_gis.datasets import demo_dir; demo_dir()",
])
def test_generator_is_not_loaded(statement):
    assert _run(f"import json, sys\n{statement}\n{LOADED}") == []


def test_generator_loads_when_asked_for():
    loaded = _run(f"import json, sys\nfrom yangpu_gis.datasets import demo\n{LOADED}")
    expected = {GENERATOR} | {f"{GENERATOR}.{p.stem}" for p in (DATASETS / "demo").glob("*.py")
                              if p.stem != "__init__"}
    assert set(loaded) == expected


def test_old_modules_are_gone():
    found = _run("import importlib.util, json\n"
                 "print(json.dumps([n for n in ('yangpu_gis.demo_data', 'yangpu_gis.demo_raster')"
                 " if importlib.util.find_spec(n) is not None]))")
    assert found == []
    assert not (PACKAGE / "demo_data.py").exists() and not (PACKAGE / "demo_raster.py").exists()


# --------------------------------------------------------------------------- import graph
def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every import of a module, function-level ones too: (absolute module, names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if node.module is None:  # from . import x: x is a module of the package
                out += [(f"{target}.{n}", []) for n in names]
            else:
                out.append((target, names))
    return out


FILES = sorted(DATASETS.rglob("*.py"))
MODULES = {_module_name(p): p for p in FILES}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        for target, _names in _imports(path):
            if target in MODULES and target != mod:
                graph[mod].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_the_graph_sees_the_generator_modules():
    graph = _graph()
    assert f"{GENERATOR}.raster" in graph[f"{GENERATOR}.build"]
    assert f"{GENERATOR}.common" in graph[f"{GENERATOR}.roads"]
    assert len(MODULES) >= 15


def test_no_import_cycle_in_datasets():
    assert _cycle(_graph()) is None


def test_cycle_finder_finds_a_planted_cycle():
    graph = _graph()
    graph[f"{GENERATOR}.common"].add(f"{GENERATOR}.build")
    assert _cycle(graph) is not None


def test_raster_module_does_not_import_its_importers():
    deps = _graph()[f"{GENERATOR}.raster"]
    assert not {d for d in deps if d.startswith(GENERATOR)}, deps


def test_datasets_package_does_not_import_the_generator_at_module_level():
    tree = ast.parse((DATASETS / "__init__.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all("demo" not in (getattr(n, "module", None) or "") for n in top)
    assert all(a.name != "demo" for n in top for a in n.names)


def test_no_module_imports_another_modules_private_names():
    bad = []
    for mod, path in MODULES.items():
        for target, names in _imports(path):
            if target.startswith("yangpu_gis") and target != mod:
                bad += [(mod, target, n) for n in names if n.startswith("_")
                        and n != "__future__"]
    assert bad == []


@pytest.mark.parametrize("path", sorted((DATASETS / "demo").glob("*.py")), ids=lambda p: p.name)
def test_generator_modules_are_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


# --------------------------------------------------------------------------- demo_dir
def test_public_api_is_kept():
    from yangpu_gis import datasets

    assert sorted(datasets.__all__) == ["demo_dir", "get_path", "repo_data_dir"]
    assert datasets.repo_data_dir() == REPO / "data"
    assert datasets.demo_dir() == REPO / "data" / "demo"
    assert datasets.get_path("demo") == REPO / "data" / "demo"
    assert datasets.get_path("demo/roads.shp") == REPO / "data" / "demo" / "roads.shp"
    assert datasets.get_path("fixtures/roads_gbk.zip") == REPO / "data" / "fixtures" / "roads_gbk.zip"
    for missing in ("demo/nothing.csv", "fixtures/nothing.zip", "other", "", "../README.md"):
        with pytest.raises(FileNotFoundError):
            datasets.get_path(missing)


HIDE_REPO = ("import json, sys\nfrom pathlib import Path\nimport yangpu_gis.datasets as d\n"
             "d.repo_data_dir = lambda: Path({nodata!r})\n")


def test_home_cache_is_used_without_xdg(tmp_path):
    cached = tmp_path / "home" / ".cache" / "yangpu_gis" / "demo"
    cached.mkdir(parents=True)
    (cached / "manifest.toml").write_text("# cached\n", encoding="utf-8")
    code = HIDE_REPO.format(nodata=str(tmp_path / "nodata")) + (
        f"path = str(d.demo_dir())\nprint(json.dumps([path, {LOADED_EXPR}]))")
    path, mods = _run(code, {"HOME": str(tmp_path / "home")}, drop=("XDG_CACHE_HOME",))
    assert Path(path) == cached and mods == []
    assert (cached / "manifest.toml").read_text(encoding="utf-8") == "# cached\n"


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_cache_is_generated_byte_identical_to_the_repository(tmp_path):
    xdg = tmp_path / "xdg"
    code = HIDE_REPO.format(nodata=str(tmp_path / "nodata")) + (
        "path = str(d.demo_dir())\n"
        "print(json.dumps([path, 'yangpu_gis.datasets.demo.build' in sys.modules]))")
    path, loaded = _run(code, {"XDG_CACHE_HOME": str(xdg)})
    cached = xdg / "yangpu_gis" / "demo"
    assert Path(path) == cached and loaded
    got, want = _digests(cached), _digests(REPO / "data" / "demo")
    assert len(want) == 17 and "dem.tif" in want and "manifest.toml" in want
    assert got == want
    # a second process finds the cache and does not regenerate
    stamp = (cached / "manifest.toml").stat().st_mtime_ns
    path, loaded = _run(code, {"XDG_CACHE_HOME": str(xdg)})
    assert Path(path) == cached and not loaded
    assert (cached / "manifest.toml").stat().st_mtime_ns == stamp

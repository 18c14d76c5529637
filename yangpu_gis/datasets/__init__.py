"""Find the project's own data: the demo dataset and test fixtures (momepy's ``datasets``).

The demo source files live in the repository's ``data/demo/`` (made by
``scripts/make_demo_data.py``). An installation without the repository regenerates them,
deterministically, into a cache folder on first use, with the generator of
:mod:`yangpu_gis.datasets.demo` (one module per layer). This module itself is light: neither
``import yangpu_gis`` nor ``get_path`` loads the generator while the repository's files exist.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["demo_dir", "get_path", "repo_data_dir"]


def repo_data_dir() -> Path:
    """``data/`` of the source checkout this package was installed from."""
    return Path(__file__).resolve().parents[2] / "data"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "yangpu_gis"


def demo_dir() -> Path:
    """Folder with the demo source files and their ``manifest.toml``.

    Uses the repository's ``data/demo`` when present, otherwise generates the dataset into
    ``~/.cache/yangpu_gis/demo`` (same seed, same content).
    """
    here = repo_data_dir() / "demo"
    if (here / "manifest.toml").exists():
        return here
    cached = _cache_dir() / "demo"
    if not (cached / "manifest.toml").exists():
        # the generator pulls in geopandas, scipy and rasterio: load it only when needed
        from .demo import generate, write_sources

        write_sources(generate(), cached)
    return cached


def get_path(name: str) -> Path:
    """Path of a named dataset: ``demo`` (the folder), ``demo/<file>`` or ``fixtures/<file>``
    (the small bureau-style test files of ``data/fixtures``).

    Examples
    --------
    >>> get_path("fixtures/roads_gbk.zip").name
    'roads_gbk.zip'

    Raises
    ------
    FileNotFoundError
        If the name is not a file of the dataset.
    """
    if name == "demo":
        return demo_dir()
    if name.startswith("demo/"):
        path = demo_dir() / name.split("/", 1)[1]
        if path.exists():
            return path
    if name.startswith("fixtures/"):
        path = repo_data_dir() / name
        if path.exists():
            return path
    raise FileNotFoundError(f"no dataset file {name!r}")

"""Build the demo registry from the demo dataset and write the first overview map.

This is the project's main job on the embedded default: ``yangpu-gis demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .catalogue import get_layer, layer_names
from .datasets import demo_dir
from .errors import YangpuGisError
from .manifest import ManifestEntry, load_manifest
from .registry import LoadResult, open_registry

__all__ = ["DemoResult", "ensure_demo", "run_demo"]


@dataclass
class DemoResult:
    """What the demo built."""

    registry: str
    layers: pd.DataFrame
    loads: list[LoadResult] = field(default_factory=list)
    maps: list[Path] = field(default_factory=list)


def run_demo(
    registry: str | Path = "yangpu.gpkg",
    *,
    map_path: str | Path | None = "yangpu_overview.html",
    offline: bool = True,
    analyses_dir: str | Path | None = "yangpu_analyses",
    on_file: Callable[[ManifestEntry], None] | None = None,
) -> DemoResult:
    """Load every demo file into ``registry`` (replacing its layers) and draw the overview.

    Parameters
    ----------
    registry : str or Path
        GeoPackage path (default ``yangpu.gpkg``) or PostGIS URL.
    map_path : path, optional
        Where to write the overview HTML map; None for no map.
    offline : bool
        Write a self-contained map that opens without internet (default: a bureau may open
        it on an intranet); False uses CDN scripts and OpenStreetMap tiles.
    analyses_dir : path, optional
        Where the first analyses go (``excavation/``, ``parking/``: CSV, GeoPackage and a
        map each); None to skip them.
    on_file : callable, optional
        Progress callback per file.

    Returns
    -------
    DemoResult

    Raises
    ------
    YangpuGisError
        If a demo file is refused (which would be a bug in the demo data).
    """
    manifest = demo_dir() / "manifest.toml"
    with open_registry(str(registry), create=True) as reg:
        _check_district(reg)
        loads, failures = load_manifest(reg, manifest, on_file=on_file)
        if failures:
            entry, error = failures[0]
            raise YangpuGisError(f"demo file {entry.file.name} was refused:\n{error.render()}")
        result = DemoResult(str(registry), reg.layers(), loads)
        if map_path is not None:
            from . import maps

            layers = {name: reg.read(name) for name in layer_names()
                      if get_layer(name).has_geometry}
            layers = {k: v for k, v in layers.items() if len(v)}
            data_date = reg.data_date()
            m = maps.overview_map(layers, offline=offline, data_date=data_date,
                                  title="杨浦区城市资产总览（演示数据）",
                                  hidden=("districts", *maps.styles.DENSE_LAYERS))
            maps.save(m, map_path)
            result.maps.append(Path(map_path))
        if analyses_dir is not None:
            result.maps.extend(_analyses(reg, Path(analyses_dir), offline=offline))
    return result


def _check_district(reg) -> None:
    """Refuse, before loading anything, a registry whose recorded district does not hold the
    demo's (杨浦区: the demo data is generated inside its hand-drawn outline)."""
    district = reg.district
    if district is None:
        return
    import shapely

    from .datasets.demo import district_outline

    if not shapely.covers(district.grown(), district_outline()):
        raise YangpuGisError(
            f"the demo data is of 杨浦区; this registry serves {district.describe()}, whose "
            "outline does not hold it; nothing was loaded", source=reg.target,
            hint="build the demo into a new registry (yangpu-gis demo -r yangpu_demo.gpkg), or "
            "into one that serves 上海市 (init --code 310000)")


def _analyses(reg, out: Path, *, offline: bool) -> list[Path]:
    """The demo's first analyses: excavation coordination and parking; returns the maps."""
    from .runs.excavation import run_excavation
    from .runs.parking import run_parking

    run_excavation(reg, out / "excavation", offline=offline)
    run_parking(reg, out / "parking", offline=offline)
    return sorted([*(out / "excavation").glob("*.html"), *(out / "parking").glob("*.html")])


def ensure_demo(registry: str | Path = "yangpu_demo.gpkg"):
    """Open ``registry``, building it from the demo dataset first if it holds nothing.

    For notebooks: the first run builds the registry (a few seconds), later runs reuse it.

    Returns
    -------
    yangpu_gis.registry.Registry
    """
    with open_registry(str(registry), create=True) as reg:
        empty = int(reg.layers()["features"].sum()) == 0
    if empty:
        run_demo(registry, map_path=None)
    return open_registry(str(registry))

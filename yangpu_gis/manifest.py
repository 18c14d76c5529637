"""Load a whole folder of bureau files described by a ``manifest.toml``.

Format (one ``[[load]]`` table per file; paths relative to the manifest)::

    definitions = ["sewer_misconnections"]   # optional: layers the district defines that
                                             # the files need (shipped names or .toml files)

    [[load]]
    file = "roads.shp"
    layer = "roads"
    mode = "replace"                # append | replace | upsert (default append)
    crs = "EPSG:4549"               # optional: files without a CRS, or gcj02 / bd09
    encoding = "GBK"                # optional
    source_layer = "pipe_network"   # optional: GeoPackage layer or workbook sheet
    x = "经度"                       # optional: coordinate columns of CSV/XLSX
    y = "纬度"
    map = { "道路名称" = "name" }     # optional: source column -> catalogue column
    map_file = "roads_map.toml"     # optional
    values = { road_class = { "主干" = "arterial" } }   # optional value translations
    where = "name IS NOT NULL"      # optional OGR SQL filter (vector files)
    repair = false                  # optional

Each entry is its own all-or-nothing load. The whole manifest is validated first (nothing is
written if any file is refused), unless ``keep_going`` asks to load what is valid. The layer
definitions of ``definitions`` are checked with the manifest and stored in the registry (as
``yangpu-gis catalogue add`` does) only when the loads begin.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .catalogue import get_layer, register_layer
from .errors import ValidationError, YangpuGisError
from .registry import LOAD_MODES, LoadResult, Registry

__all__ = ["ManifestEntry", "load_manifest", "read_manifest"]

_KEYS = {"file", "layer", "mode", "crs", "encoding", "source_layer", "x", "y", "map", "map_file",
         "values", "repair", "where", "skip_unlocated"}


@dataclass
class ManifestEntry:
    """One file to load."""

    file: Path
    layer: str
    mode: str = "append"
    options: dict[str, Any] = field(default_factory=dict)


def _is_raster(layer: str) -> bool:
    from .rasters import RASTER_CATALOGUE

    return layer in RASTER_CATALOGUE


def _definitions(data: dict[str, Any], p: Path) -> list[str | Path]:
    """The manifest's ``definitions``, checked and registered in this process's catalogue
    (so the entries that need them validate); stored in a registry by :func:`load_manifest`."""
    from .layer_definitions import resolve_definition, shipped_definitions

    names = data.get("definitions", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationError("definitions must be a list of names or .toml files",
                              source=str(p), hint='definitions = ["sewer_misconnections"]')
    out: list[str | Path] = []
    for name in names:
        # a shipped name, or a .toml file next to the manifest (anything else is refused
        # with the list of shipped names)
        src: str | Path = p.parent / name if name.endswith(".toml") \
            and name not in shipped_definitions() else name
        register_layer(resolve_definition(src).layer)
        out.append(src)
    return out


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Parse and check a manifest.

    Raises
    ------
    ValidationError
        For TOML errors, unknown keys, unknown layers or modes, missing files, or layer
        definitions that do not pass.
    """
    return _read(path)[0]


def _read(path: str | Path) -> tuple[list[ManifestEntry], list[str | Path]]:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"cannot read the manifest: {exc}", source=str(p)) from exc
    unknown_top = set(data) - {"load", "definitions"}
    if unknown_top:
        raise ValidationError(f"unknown top-level keys {sorted(unknown_top)}", source=str(p),
                              hint="a manifest has [[load]] tables and optional definitions")
    definitions = _definitions(data, p)
    entries = []
    for i, item in enumerate(data.get("load", []), start=1):
        where = f"{p} [[load]] #{i}"
        unknown = set(item) - _KEYS
        if unknown:
            raise ValidationError(f"unknown keys {sorted(unknown)}", source=where,
                                  hint="keys: " + ", ".join(sorted(_KEYS)))
        if "file" not in item or "layer" not in item:
            raise ValidationError("every [[load]] needs file and layer", source=where)
        if not _is_raster(item["layer"]):
            get_layer(item["layer"])
        mode = item.get("mode", "append")
        if mode not in LOAD_MODES:
            raise ValidationError(f"unknown mode {mode!r}", source=where,
                                  hint="use append, replace or upsert")
        options = {k: v for k, v in item.items() if k not in ("file", "layer", "mode")}
        if "map" in options:
            options["mapping"] = options.pop("map")
        if "map_file" in options:
            options["mapping_file"] = p.parent / options["map_file"]
            options.pop("map_file")
        entries.append(ManifestEntry(p.parent / item["file"], item["layer"], mode, options))
    if not entries:
        raise ValidationError("the manifest has no [[load]] entries", source=str(p))
    return entries, definitions


def load_manifest(
    registry: Registry,
    manifest: str | Path,
    *,
    dry_run: bool = False,
    keep_going: bool = False,
    on_file: Callable[[ManifestEntry], None] | None = None,
) -> tuple[list[LoadResult], list[tuple[ManifestEntry, YangpuGisError]]]:
    """Validate every file of a manifest, then load them in order.

    Parameters
    ----------
    registry : Registry
    manifest : path
    dry_run : bool
        Validate only.
    keep_going : bool
        Load the valid files even if some are refused (default: refuse all).
    on_file : callable, optional
        Called before each file (progress display).

    Returns
    -------
    results : list of LoadResult
    failures : list of (entry, error)
    """
    entries, definitions = _read(manifest)
    failures: list[tuple[ManifestEntry, YangpuGisError]] = []
    roads = None  # roads validated earlier in this manifest, not yet in the registry
    for entry in entries:
        if on_file:
            on_file(entry)
        options = dict(entry.options)
        if (roads is not None and not _is_raster(entry.layer)
                and "location_precision" in get_layer(entry.layer).column_names):
            options["roads"] = roads  # address-only rows are placed on those roads
        try:
            if _is_raster(entry.layer):  # rasters: checked by a dry run of their own loader
                registry.load_raster(entry.file, entry.layer, dry_run=True, **entry.options)
                continue
            # ids are checked against the registry only for appends into layers not
            # replaced earlier in the same manifest
            prepared = registry.validate(entry.file, entry.layer, mode="replace", **options)
        except YangpuGisError as exc:
            failures.append((entry, exc))
            continue
        if entry.layer == "roads":
            new = prepared.frame[["name", prepared.frame.geometry.name]]
            if entry.mode != "replace":
                old = roads if roads is not None else registry.read("roads", columns=["name"])
                new = pd.concat([old, new.to_crs(old.crs)], ignore_index=True)
            roads = new
    if dry_run or (failures and not keep_going):
        return [], failures
    for source in definitions:  # stored only now that the files passed
        registry.add_layer_definition(source)
    failed = {id(e) for e, _ in failures}
    results = []
    for entry in entries:
        if id(entry) in failed:
            continue
        if on_file:
            on_file(entry)
        try:
            if _is_raster(entry.layer):
                results.append(registry.load_raster(entry.file, entry.layer, **entry.options))
                continue
            results.append(registry.load(entry.file, entry.layer, mode=entry.mode, **entry.options))
        except YangpuGisError as exc:
            failures.append((entry, exc))
            if not keep_going:
                break
    return results, failures

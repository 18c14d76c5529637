"""Upgrading a GeoPackage registry written before rasters moved into the file.

Registries written before issue 14 kept each raster as a Cloud-Optimized GeoTIFF in a
sidecar folder ``<name>.gpkg.rasters/``; :func:`upgrade` (``yangpu-gis upgrade``, and
automatically on the first raster read or load) moves it into the ``.gpkg`` all or nothing
(under the registry's lock, in its working copy) and removes the folder only once the file
holds the same values.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from ...errors import RegistryError
from ...io.sources import sha256_file
from ...rasters.records import values_sha256
from . import rasters as gpkg_rasters
from .rasters import STORAGE_COG, STORAGE_GPKG, raster_rows

__all__ = ["auto_upgrade", "before_upgrade_commit", "migrate_into", "read_sidecar",
           "remove_sidecar", "sidecar_dir", "upgrade"]

_SIDECAR_FILE = re.compile(r"^[a-z][a-z0-9_]*_b\d+\.tif(\.part)?$")


def sidecar_dir(path: Path) -> Path:
    """The old sidecar folder of a GeoPackage registry's COGs, ``<name>.gpkg.rasters``.

    Nothing writes it any more: :func:`upgrade` moves what it holds into the file.
    """
    return path.with_name(path.name + ".rasters")


def before_upgrade_commit(reg: Any) -> None:
    """Hook called after an upgrade is written and before the swap (tests inject failures)."""


def legacy(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: m for k, m in rows.items() if m.get("storage") == STORAGE_COG}


def read_cog(path: Path, meta: dict[str, Any], target: str) -> tuple[np.ndarray, Affine, Any]:
    """Values, transform and CRS of a sidecar COG, checked against its registry row."""
    layer = meta["layer"]
    if not path.exists():
        raise RegistryError(f"the file of raster {layer} is missing: {path}", source=target,
                            hint=f"put the folder {path.parent.name}/ back beside the registry "
                            "and run `yangpu-gis upgrade`, or reload the raster")
    if sha256_file(path) != meta["sha256"]:
        raise RegistryError(f"the file of raster {layer} does not match its checksum in the "
                            "registry (changed outside the registry?)", source=str(path),
                            hint="reload the raster")
    with rasterio.open(path) as src:
        values = src.read(1).astype(np.float32)
        if src.nodata is not None:
            values[values == src.nodata] = np.nan
        transform, crs = src.transform, src.crs
    if values_sha256(values) != meta["values_sha256"]:
        raise RegistryError(f"the values of raster {layer} do not match the registry",
                            source=str(path), hint="reload the raster")
    return values, transform, crs


def migrate_into(reg: Any, tmp: Path, *, skip: set[str] = frozenset()) -> list[str]:
    """Move the sidecar COGs named in working copy ``tmp`` into it; the layers moved."""
    moved = []
    base = Path(reg.path).parent
    for layer, meta in legacy(raster_rows(tmp)).items():
        if layer in skip:
            continue
        values, transform, crs = read_cog(base / meta["location"], meta, reg.target)
        sha = gpkg_rasters.put_in_gpkg(tmp, layer, values, transform, crs, meta["values_sha256"])
        gpkg_rasters.write_meta(tmp, {**meta, "storage": STORAGE_GPKG, "location": layer, "sha256": sha})
        moved.append(layer)
    return moved


def upgrade(reg: Any) -> dict[str, Any]:
    """Move sidecar COGs into the ``.gpkg``; then remove the sidecar files (see above)."""
    path = Path(reg.path)
    moved: list[str] = []
    if legacy(raster_rows(path)):
        with reg.locked_copy() as tmp:
            moved = migrate_into(reg, tmp)  # the rows are read again, under the lock
            before_upgrade_commit(reg)
    removed = remove_sidecar(reg)
    notes = [f"raster {m} moved into {path.name}" for m in moved]
    if removed:
        notes.append(f"removed {sidecar_dir(Path(reg.path)).name}/ ({len(removed)} file(s))")
    if sidecar_dir(Path(reg.path)).exists():
        notes.append(f"{sidecar_dir(Path(reg.path)).name}/ holds other files and was left in place")
    return {"rasters": moved, "removed": removed, "notes": notes}


def remove_sidecar(reg: Any) -> list[str]:
    """Delete the sidecar COGs once the registry holds every raster in the file, verified."""
    folder = sidecar_dir(Path(reg.path))
    if not folder.is_dir():
        return []
    path = Path(reg.path)
    rows = raster_rows(path)
    if legacy(rows):
        return []  # still needed
    for layer, meta in rows.items():  # the data is safely in the file: read it back
        if values_sha256(gpkg_rasters.read_gpkg_window(path, layer)) != meta["values_sha256"]:
            raise RegistryError(f"raster {layer} in {path.name} does not match the registry; "
                                f"{folder.name}/ was kept", source=str(path),
                                hint="reload the raster")
    removed = []
    for f in sorted(folder.iterdir()):
        if f.is_file() and _SIDECAR_FILE.match(f.name):
            f.unlink()
            removed.append(f.name)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only if empty: anything else in it is not ours
    return removed


def auto_upgrade(reg: Any) -> None:
    """Move an old registry's sidecar COGs into the file on first use; if that cannot be done
    here (read-only folder, missing file), warn and leave it as it is."""
    try:
        upgrade(reg)
    except (RegistryError, OSError, sqlite3.Error, rasterio.errors.RasterioError) as exc:
        warnings.warn(f"the registry {reg.target} keeps its rasters in the old sidecar folder "
                      f"and could not be upgraded here ({exc}); run `yangpu-gis upgrade`",
                      stacklevel=3)


def read_sidecar(reg: Any, meta: dict[str, Any], window: Window, *,
                  verify: bool) -> np.ndarray:
    """Read an old registry's sidecar COG (when it could not be upgraded)."""
    name = meta["layer"]
    path = Path(reg.path).parent / meta["location"]
    if not path.exists():
        raise RegistryError(f"the file of raster {name} is missing: {path}",
                            source=reg.target,
                            hint=f"put the folder {path.parent.name}/ back beside the registry "
                            "and run `yangpu-gis upgrade`, or reload the raster")
    if verify and sha256_file(path) != meta["sha256"]:
        raise RegistryError(f"the file of raster {name} does not match its checksum in "
                            "the registry (changed outside the registry?)",
                            source=str(path), hint="reload the raster")
    with rasterio.open(path) as src:
        values = src.read(1, window=window).astype(np.float32)
        values[values == src.nodata] = np.nan
    return values



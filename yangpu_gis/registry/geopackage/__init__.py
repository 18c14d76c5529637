"""The embedded default backend: one GeoPackage file holding vectors, rasters and batches.

* :mod:`.registry` — :class:`GeoPackageRegistry` and its load transaction;
* :mod:`.file` — integrity check, lock, copy-on-write working copy, disk errors;
* :mod:`.vectors` — writing vector and attribute layers;
* :mod:`.batches` — the batches table;
* :mod:`.rasters` — raster tile tables inside the ``.gpkg``;
* :mod:`.upgrade` — moving an older registry's sidecar rasters into the file.
"""

from __future__ import annotations

from .file import check_registry_file
from .registry import GeoPackageRegistry, GeoPackageTransaction
from .vectors import gpkg_datetimes_to_standard

__all__ = ["GeoPackageRegistry", "GeoPackageTransaction", "check_registry_file",
           "gpkg_datetimes_to_standard"]

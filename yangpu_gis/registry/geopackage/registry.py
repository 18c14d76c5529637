"""The embedded default backend: one GeoPackage file, no server.

Every write (a vector load, a raster load, an upgrade) is one :meth:`transaction` on a
copy-on-write working copy of the file (:func:`.file.locked_copy`): the copy replaces the
original with one atomic ``os.replace`` only after every write succeeded, so a failure
anywhere leaves the registry byte-for-byte as it was, and loads are serialised by the
registry's lock.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from ...catalogue import get_layer
from ...crs import bbox_in_working
from ...errors import RegistryError
from ...io import Prepared
from ...rasters import RasterData, RasterKind
from ...rasters.records import window_for
from ..base import Registry, never_loaded
from ..storage import (
    empty_frame,
    empty_layers_table,
    from_storage,
    to_storage,
)
from ..tables import BATCHES_TABLE
from . import history as gpkg_history
from . import rasters as gpkg_rasters
from . import upgrade as gpkg_upgrade
from . import vectors
from .batches import finish_batch, insert_batch, read_batches
from .definitions import GeoPackageDefinitions
from .district import GeoPackageDistrict
from .file import check_registry_file, damage, locked_copy, space_needed

__all__ = ["GeoPackageRegistry", "GeoPackageTransaction"]


class GeoPackageTransaction:
    """One load into the working copy ``tmp`` of a GeoPackage registry (see :meth:`transaction`).

    A brand-new registry file is created by the load's first write; its batch is then 1.
    """

    def __init__(self, reg: GeoPackageRegistry, layer: str, tmp: Path) -> None:
        self.reg = reg
        self.layer = layer
        self.tmp = tmp
        self.wrote_raster = False
        self._pending: dict[str, Any] | None = None

    def record_batch(self, batch: dict[str, Any]) -> int:
        """Record the load in the batches table; its ``batch_id`` (counts come later)."""
        if self.tmp.exists():
            return insert_batch(self.tmp, batch)
        self._pending = batch  # the file does not exist yet: the first write creates it
        return 1

    def _flush(self) -> None:
        if self._pending is None:
            return
        batch, self._pending = self._pending, None
        if insert_batch(self.tmp, batch) != 1:
            raise RegistryError("new registry file did not start at batch 1",
                                source=self.reg.target)

    def write_rows(self, prepared: Prepared, mode: str, batch_id: int) -> dict[str, int]:
        """Write the prepared rows of a vector load as ``mode`` says; the counts."""
        tmp, spec, new = self.tmp, prepared.layer, prepared.frame
        counts = {"inserted": len(new), "updated": 0, "unchanged": 0, "deleted": 0}
        if not tmp.exists():  # brand-new file: the layer creates it
            vectors.write_layer(tmp, to_storage(new, spec, batch_id), spec, append=False)
            self._flush()
            return counts
        existing = [str(n) for n in pyogrio.list_layers(tmp)[:, 0]]
        if mode == "append" and spec.name in existing:
            # re-checked under the lock: a concurrent load may have added these ids
            ids = new[spec.id_column].tolist()
            self.reg.refuse_existing_ids(prepared, spec, vectors.stored_ids(tmp, spec, ids))
            vectors.write_layer(tmp, to_storage(new, spec, batch_id), spec, append=True)
        elif spec.name in existing:  # replace, upsert, revert: keep the history
            return gpkg_history.write_versions(tmp, prepared, mode, batch_id, existing)
        else:  # first load of this layer
            vectors.write_layer(tmp, to_storage(new, spec, batch_id), spec, append=False)
        return counts

    def latest_batch(self, layer: str) -> int | None:
        """The last batch of ``layer`` in the working copy."""
        if not self.tmp.exists():
            return None
        own = read_batches(self.tmp)
        own = own.loc[own["layer"] == layer, "batch_id"]
        return int(own.max()) if len(own) else None

    def write_raster(self, prepared: Any, batch_id: int) -> dict[str, int]:
        """Write a :class:`~yangpu_gis.rasters.PreparedRaster` as a tile table; the counts."""
        if not self.tmp.exists():
            gpkg_rasters.init_geopackage(self.tmp)
        self._flush()
        # other rasters of an old registry move into the file in the same swap
        gpkg_upgrade.migrate_into(self.reg, self.tmp, skip={prepared.kind.name})
        self.wrote_raster = True
        return gpkg_rasters.store_raster_in(self.tmp, prepared, batch_id)

    def finish_batch(self, batch_id: int, counts: dict[str, int]) -> None:
        """Write the load's counts into its batch row."""
        self._flush()
        finish_batch(self.tmp, batch_id, counts)


class GeoPackageRegistry(Registry):
    """Registry in a GeoPackage file (created on first load).

    Parameters
    ----------
    path : str or Path
        The ``.gpkg`` file.
    """

    kind = "geopackage"

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.target = str(path)
        # every lock, working copy and replacement is made on the real file: a load through a
        # symbolic link and one through the file itself share one lock, and the link stays
        self.path = Path(os.path.realpath(path))
        self.create = create
        self._writing = False
        if self.path.is_dir():
            raise RegistryError("the registry path is a folder", source=self.target,
                                hint="name a .gpkg file")
        if self.path.exists():
            check_registry_file(self.path, self.target)
        self.definitions = GeoPackageDefinitions(self)  # registers the district's layers
        self.district_store = GeoPackageDistrict(self)

    @contextmanager
    def creating(self) -> Iterator[None]:
        was, self._writing = self._writing, True
        try:
            yield
        finally:
            self._writing = was

    def exists(self) -> bool:
        """Whether the file exists; a reading call on a registry that does not exist (a
        mistyped path) is refused unless the registry was opened with ``create=True`` or a
        load is creating it."""
        if self.path.exists():
            return True
        if self.create or self._writing:
            return False
        raise RegistryError(
            "no registry here: the file does not exist", source=self.target,
            hint="check the path (and --registry / $YANGPU_GIS_REGISTRY); `yangpu-gis load` "
            "or `yangpu-gis demo` creates a registry",
        )

    @property
    def sidecar_dir(self) -> Path:
        """The sidecar folder older versions kept rasters in (see :mod:`.upgrade`)."""
        return gpkg_upgrade.sidecar_dir(self.path)

    # ----------------------------------------------------------------- reading
    def _layer_names(self) -> list[str]:
        if not self.exists():
            return []
        with damage(self.target):
            return [str(n) for n in pyogrio.list_layers(self.path)[:, 0]]

    def layers(self) -> pd.DataFrame:
        names = set(self._layer_names())
        with damage(self.target):
            counts = {
                name: pyogrio.read_info(self.path, layer=name)["features"]
                for name in names
                if name != BATCHES_TABLE
            }
        return empty_layers_table(counts)

    def read(self, layer, *, bbox=None, bbox_crs=None, columns=None, crs=None,
             as_of=None) -> gpd.GeoDataFrame:
        spec, cols = self.read_plan(layer, columns, bbox)
        batch = self.as_of_batch(as_of)
        names = self._layer_names()
        if layer not in names:
            return empty_frame(spec, cols, crs)
        kwargs: dict[str, Any] = {}
        if bbox is not None:
            kwargs["bbox"] = bbox_in_working(bbox, bbox_crs or crs)
        with damage(self.target):
            if batch is None:
                df = pyogrio.read_dataframe(self.path, layer=layer, columns=cols,
                                            use_arrow=True, read_geometry=spec.has_geometry,
                                            **kwargs)
            else:
                df = gpkg_history.read_as_of(self.path, spec, cols, batch, names, **kwargs)
        df = df.sort_values(spec.id_column, kind="stable")
        return from_storage(df, vectors.geoms_of(df, spec), spec, cols, crs)

    def batches(self) -> pd.DataFrame:
        from ..batches import BATCH_FIELDS

        if not self.exists():
            return pd.DataFrame(columns=list(BATCH_FIELDS))
        with damage(self.target):
            return read_batches(self.path)

    def versions(self, layer: str, ids: list[str] | None = None, *,
                 columns: list[str] | None = None) -> pd.DataFrame:
        spec = get_layer(layer)
        with damage(self.target):
            return gpkg_history.read_versions(self.path, spec, ids, columns, self._layer_names())

    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        if layer not in self._layer_names():
            return set()
        with damage(self.target):
            return vectors.stored_ids(self.path, get_layer(layer), ids)

    # ----------------------------------------------------------------- writing
    @contextmanager
    def locked_copy(self, needed: int = 0) -> Iterator[Path]:
        """Exclusive lock, then a working copy that replaces the file only on success
        (:func:`.file.locked_copy`)."""
        with self.creating(), locked_copy(self.path, self.target, needed) as tmp:
            yield tmp

    @contextmanager
    def transaction(self, layer: str, *, prepared: Prepared | None = None
                    ) -> Iterator[GeoPackageTransaction]:
        needed = space_needed(prepared) if isinstance(prepared, Prepared) else 0
        with self.locked_copy(needed=needed) as tmp:
            tx = GeoPackageTransaction(self, layer, tmp)
            yield tx
        if tx.wrote_raster:
            with contextlib.suppress(RegistryError, OSError):
                gpkg_upgrade.remove_sidecar(self)  # an old registry's COG, now superseded

    # ----------------------------------------------------------------- rasters
    def raster_meta(self, layer: str) -> dict[str, Any] | None:
        self.exists()  # a missing registry is refused, not empty
        return gpkg_rasters.raster_rows(self.path).get(layer)

    def read_raster_cells(self, kind: RasterKind, bbox: tuple[float, float, float, float] | None,
                          *, verify: bool = True) -> RasterData:
        self.exists()  # a missing registry is refused, not empty
        name = kind.name
        path = self.path
        if self.sidecar_dir.exists():
            gpkg_upgrade.auto_upgrade(self)  # an older registry: move its COGs into the file
        if not path.exists():
            raise never_loaded(self, name)
        with contextlib.closing(sqlite3.connect(path)) as con:  # one connection: meta + checksum
            meta = gpkg_rasters.rows_of(con).get(name)
            if meta is None:
                raise never_loaded(self, name)
            window, transform = window_for(meta, bbox)
            if meta["storage"] == gpkg_rasters.STORAGE_GPKG and verify and \
                    gpkg_rasters.tiles_sha256(con, meta["location"]) != meta["sha256"]:
                raise RegistryError(f"the tiles of raster {name} do not match their checksum "
                                    "in the registry (changed outside the registry?)",
                                    source=str(path), hint="reload the raster")
        if meta["storage"] == gpkg_rasters.STORAGE_COG:  # not upgraded (read-only, missing COG)
            values = gpkg_upgrade.read_sidecar(self, meta, window, verify=verify)
        else:
            values = gpkg_rasters.read_gpkg_window(path, meta["location"], window)
        return RasterData(values, transform, pyproj.CRS.from_user_input(meta["crs"]), name,
                          kind.units)

    def upgrade(self) -> dict[str, Any]:
        return {"backend": self.kind, "target": self.target, **gpkg_upgrade.upgrade(self)}

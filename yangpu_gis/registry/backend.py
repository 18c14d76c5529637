"""The backend protocol: what a registry's storage provides, for vectors, rasters and batches.

:class:`~yangpu_gis.registry.base.Registry` is the one facade: it validates, builds the batch
record and drives every load through :meth:`Backend.transaction` the same way, whatever the
backend::

    with backend.transaction(layer, prepared=prepared) as tx:
        batch_id = tx.record_batch(batch)
        counts = tx.write_rows(prepared, mode, batch_id)   # or tx.write_raster(prepared, batch_id)
        tx.finish_batch(batch_id, counts)

Everything inside one transaction is all or nothing and serialised per layer. Implemented by
:mod:`yangpu_gis.registry.geopackage` (one file, copy-on-write) and
:mod:`yangpu_gis.registry.postgis` (one database transaction under an advisory lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd

from ..io import Prepared

if TYPE_CHECKING:  # rasterio is imported only by raster loads and reads
    from ..rasters import PreparedRaster, RasterData, RasterKind

__all__ = ["Backend", "LoadTransaction"]


@runtime_checkable
class LoadTransaction(Protocol):
    """What a load may do inside :meth:`Backend.transaction` (nothing is visible before it
    ends; an exception leaves the registry as it was)."""

    def record_batch(self, batch: dict[str, Any]) -> int:
        """Insert the batch record (fields of :data:`~.batches.BATCH_FIELDS`); its id."""

    def latest_batch(self, layer: str) -> int | None:
        """The id of the last batch of ``layer`` as the transaction sees it (under the lock)."""

    def write_rows(self, prepared: Prepared, mode: str, batch_id: int) -> dict[str, int]:
        """Write a vector load's rows, keeping history (:mod:`.history`); counts
        ``inserted`` (new ids), ``updated`` (changed), ``deleted`` (ended), ``unchanged``.

        ``append`` adds (its ids re-checked here); ``upsert`` ends the stored version of
        every delivered feature that differs and stores the new one; ``replace`` and
        ``revert`` do the same and also end the stored features the delivery lacks. An
        ended version moves to the layer's history table with ``ended_batch``; a stored
        version equal to the delivered one stays as it is, with its batch."""

    def write_raster(self, prepared: PreparedRaster, batch_id: int) -> dict[str, int]:
        """Store a prepared raster (replacing the layer) and its rasters-table row; counts."""

    def finish_batch(self, batch_id: int, counts: dict[str, int]) -> None:
        """Write the load's counts into its batch record."""


@runtime_checkable
class Backend(Protocol):
    """Storage of catalogue layers, rasters and the batches table."""

    #: ``geopackage`` or ``postgis``.
    kind: str
    #: Path or URL (password masked).
    target: str

    # ------------------------------------------------------------------ vectors
    def read(self, layer: str, *, bbox: tuple[float, float, float, float] | None = None,
             bbox_crs: str | None = None, columns: list[str] | None = None,
             crs: str | None = None, as_of: Any = None) -> gpd.GeoDataFrame:
        """A layer as a catalogue frame, now or ``as_of`` a batch (see :meth:`Registry.read`)."""

    def versions(self, layer: str, ids: list[str] | None = None, *,
                 columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored version, live and ended (see :meth:`Registry.versions`)."""

    def layers(self) -> pd.DataFrame:
        """One row per catalogue layer: ``layer, label, geometry, features``."""

    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` the layer already holds."""

    # ------------------------------------------------------------------ batches
    def batches(self) -> pd.DataFrame:
        """The batches table, oldest first."""

    def transaction(self, layer: str, *, prepared: Prepared | PreparedRaster | None = None
                    ) -> AbstractContextManager[LoadTransaction]:
        """One all-or-nothing load into ``layer``, serialised with other loads of it.

        ``prepared`` lets the backend size the work (GeoPackage: free space) and name the
        source in its errors.
        """

    # ------------------------------------------------------------------ rasters
    def raster_meta(self, layer: str) -> dict[str, Any] | None:
        """The rasters-table row of ``layer`` (:data:`~yangpu_gis.rasters.records.RECORD_FIELDS`),
        or None if it was never loaded."""

    def read_raster_cells(self, kind: RasterKind, bbox: tuple[float, float, float, float] | None,
                          *, verify: bool = True) -> RasterData:
        """The cells of raster ``kind`` covering ``bbox`` (working CRS; None: all)."""

    def upgrade(self) -> dict[str, Any]:
        """Bring storage written by an older version up to date (see :meth:`Registry.upgrade`)."""

    # ------------------------------------------------------------------ queries
    def permit_conflict_pairs(self, *, distance_m: float, repeat_days: int,
                              exclude_status: Sequence[str] = ()) -> pd.DataFrame:
        """Permit conflict pairs computed by the backend (PostGIS only)."""

    def close(self) -> None:
        """Release connections."""

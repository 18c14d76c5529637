"""A read-only view of a registry as it stood after one batch (:meth:`Registry.at`).

Analyses, maps and exports take it wherever they take a registry: every read answers as of
the batch, so ``yangpu-gis analyze road-condition --as-of 2024-12-31`` makes the 2024 report
again after the 2025 deliveries. Writing through it is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..catalogue import CATALOGUE
from ..errors import RegistryError
from ..io.types import TIMEZONE
from .district import enter_district, exit_district
from .storage import empty_layers_table

if TYPE_CHECKING:  # rasterio is imported only by raster reads
    from ..rasters import RasterData

__all__ = ["RegistrySnapshot"]


class RegistrySnapshot:
    """``registry`` as it stood after batch ``batch_id`` (0: before any load).

    Parameters
    ----------
    registry : Registry
    batch_id : int
    """

    def __init__(self, registry: Any, batch_id: int) -> None:
        self.registry = registry
        self.batch_id = int(batch_id)
        self.kind = registry.kind
        self.target = registry.target
        self.as_of = self.batch_id

    def __repr__(self) -> str:
        return f"<RegistrySnapshot {self.target} as of batch {self.batch_id}>"

    def __enter__(self) -> RegistrySnapshot:
        enter_district(self)
        return self

    def __exit__(self, *exc: object) -> None:
        exit_district(self)
        self.close()

    def in_district(self, key: str | None) -> Any:
        """The snapshot's rows within one district (see :meth:`Registry.in_district`)."""
        from .district_view import in_district

        return in_district(self, key)

    def close(self) -> None:
        self.registry.close()

    # ----------------------------------------------------------------- reading
    def read(self, layer: str, *, bbox=None, bbox_crs=None, columns=None, crs=None,
             as_of=None) -> gpd.GeoDataFrame:
        """:meth:`Registry.read` as of the snapshot's batch (an earlier ``as_of`` is kept)."""
        batch = self.batch_id if as_of is None else min(
            self.batch_id, self.registry.as_of_batch(as_of))
        return self.registry.read(layer, bbox=bbox, bbox_crs=bbox_crs, columns=columns,
                                  crs=crs, as_of=batch)

    def read_layers(self, *names: str, crs: str | None = None, as_of=None
                    ) -> dict[str, gpd.GeoDataFrame]:
        return {name: self.read(name, crs=crs, as_of=as_of)
                for name in (names or tuple(CATALOGUE))}

    def batches(self) -> pd.DataFrame:
        """The batches up to the snapshot's."""
        b = self.registry.batches()
        return b[pd.to_numeric(b["batch_id"]) <= self.batch_id].reset_index(drop=True)

    def layers(self) -> pd.DataFrame:
        counts = {name: len(self.read(name, columns=[])) for name in CATALOGUE}
        return empty_layers_table(counts)

    def data_date(self) -> str | None:
        """Date of the snapshot's batch (``YYYY-MM-DD``, Asia/Shanghai); None before any load."""
        b = self.batches()
        if not len(b):
            return None
        return pd.to_datetime(b["loaded_at"], utc=True).max().tz_convert(TIMEZONE).date(
            ).isoformat()

    def raster_meta(self, layer: str) -> dict[str, Any] | None:
        meta = self.registry.raster_meta(layer)
        if meta is not None and int(meta["batch_id"]) > self.batch_id:
            raise RegistryError(
                f"raster {layer} was loaded by batch {meta['batch_id']}, after batch "
                f"{self.batch_id}: the registry keeps only the current raster, so it cannot "
                "be read as it stood then",
                source=self.target,
                hint="run without --as-of, or load the earlier raster again first")
        return meta

    def read_raster(self, layer: str = "dem", **kwargs: Any) -> RasterData:
        """:meth:`Registry.read_raster`, refused if the raster was loaded after the batch."""
        self.raster_meta(layer)  # refuses a raster loaded after the batch
        return self.registry.read_raster(layer, **kwargs)

    def raster_layers(self) -> pd.DataFrame:
        table = self.registry.raster_layers()
        late = pd.to_numeric(table["batch_id"]).fillna(0) > self.batch_id
        table.loc[late, "loaded"] = False
        return table

    def permit_conflict_pairs(self, **kwargs: Any) -> pd.DataFrame:
        raise RegistryError("the SQL path reads the live permits table: it cannot answer as "
                            "of an earlier batch", source=self.target,
                            hint="leave out --sql (the same pairs are computed from the "
                            "permits as they stood) or leave out --as-of")

    def export(self, layer: str, out: Any, *, crs: str | None = None) -> Any:
        """:meth:`Registry.export` of the layer as of the snapshot's batch."""
        from .export import export_layer

        return export_layer(self, layer, out, crs=crs)

    # ----------------------------------------------------------------- writing
    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            def refused(*_args: Any, **_kwargs: Any) -> Any:
                raise RegistryError(f"a registry read as of batch {self.batch_id} is "
                                    f"read-only: {name} is refused", source=self.target,
                                    hint="leave out --as-of to change the registry")
            return refused
        return getattr(self.registry, name)  # the registry's own reads (path, versions …)


_WRITES = frozenset({"add_layer_definition", "record_district", "load", "load_raster", "store", "revert", "upgrade", "transaction",
                     "creating", "locked_copy"})

"""The server backend: PostgreSQL + PostGIS, typed tables, COPY in one transaction.

A load is one :meth:`PostGISRegistry.transaction`: it takes the layer's advisory lock (two
loads into one layer queue up, they never interleave), records the batch, writes the rows or
the raster tiles and the batch's counts; any error rolls everything back, so the tables are
exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import psycopg
from psycopg import sql

from ...catalogue import get_layer, layer_names
from ...crs import bbox_in_working
from ...errors import RegistryError
from ...io import Prepared
from ..base import Registry, never_loaded
from ..storage import empty_layers_table
from ..tables import SCHEMA_LOCK, layer_lock
from . import queries, vectors
from .batches import finish_batch, insert_batch, latest_batch, read_batches
from .connection import connect, mask, one_line
from .ddl import BATCHES_DDL, batches_upgrade
from .definitions import PostGISDefinitions
from .district import DISTRICT_DDL, PostGISDistrict

if TYPE_CHECKING:
    from ...rasters import RasterData, RasterKind

__all__ = ["PostGISRegistry", "PostGISTransaction"]


def _rasters():
    """The raster storage module (imported on first use: it needs rasterio, vector loads
    do not)."""
    from . import rasters

    return rasters


class PostGISTransaction:
    """One load inside an open database transaction (see :meth:`PostGISRegistry.transaction`)."""

    def __init__(self, reg: PostGISRegistry, layer: str) -> None:
        self.reg = reg
        self.layer = layer
        self.conn = reg.conn

    def record_batch(self, batch: dict[str, Any]) -> int:
        """Record the load in the batches table; its ``batch_id`` (counts come later)."""
        return insert_batch(self.conn, batch)

    def latest_batch(self, layer: str) -> int | None:
        """The last batch of ``layer`` (under the layer's lock: no load can add one)."""
        return latest_batch(self.conn, layer)

    def write_rows(self, prepared: Prepared, mode: str, batch_id: int) -> dict[str, int]:
        """COPY the prepared rows of a vector load as ``mode`` says; the counts."""
        return vectors.write_rows(self.conn, prepared, mode, batch_id,
                                  refuse_existing=self.reg.refuse_existing_ids,
                                  after_chunk=self.reg._after_chunk)

    def write_raster(self, prepared: Any, batch_id: int) -> dict[str, int]:
        """Write a :class:`~yangpu_gis.rasters.PreparedRaster` as in-database tiles."""
        return _rasters().store_raster(self.conn, prepared, batch_id)

    def finish_batch(self, batch_id: int, counts: dict[str, int]) -> None:
        """Write the load's counts into its batch row."""
        finish_batch(self.conn, batch_id, counts)


class PostGISRegistry(Registry):
    """Registry in a PostgreSQL database with PostGIS.

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/dbname``. The PostGIS extension is
        created if missing (needs the privilege to do so).

    Raises
    ------
    RegistryError
        If the server cannot be reached or PostGIS is not installed on it.
    """

    kind = "postgis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.target = mask(url)
        self.conn = connect(url)
        try:
            self.conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            self.conn.close()
            raise RegistryError(
                f"PostGIS is not available in this database: {one_line(exc, url)}",
                source=self.target,
                hint="install it on the server (Debian: apt-get install postgresql-15-postgis-3) "
                "and let a superuser run CREATE EXTENSION postgis",
            ) from exc
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [SCHEMA_LOCK])
            self.conn.execute(BATCHES_DDL)
            batches_upgrade(self.conn)
            self.conn.execute(DISTRICT_DDL)
        self.definitions = PostGISDefinitions(self)  # registers the district's layers
        self.district_store = PostGISDistrict(self)

    def close(self) -> None:
        self.conn.close()

    # ----------------------------------------------------------------- reading
    def _tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def layers(self) -> pd.DataFrame:
        tables = self._tables()
        counts = {}
        for name in (n for n in layer_names() if n in tables):
            counts[name] = self.conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
        return empty_layers_table(counts)

    def read(self, layer, *, bbox=None, bbox_crs=None, columns=None, crs=None,
             as_of=None) -> gpd.GeoDataFrame:
        spec, cols = self.read_plan(layer, columns, bbox)
        batch = self.as_of_batch(as_of)
        working = None if bbox is None else bbox_in_working(bbox, bbox_crs or crs)
        return vectors.read_layer(self.conn, spec, cols, working, crs, self._tables(),
                                  as_of=batch)

    def versions(self, layer: str, ids: list[str] | None = None, *,
                 columns: list[str] | None = None) -> pd.DataFrame:
        return vectors.read_versions(self.conn, get_layer(layer), ids, columns, self._tables())

    def batches(self) -> pd.DataFrame:
        return read_batches(self.conn)

    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        return vectors.existing_ids(self.conn, get_layer(layer), ids)

    # ----------------------------------------------------------------- writing
    @contextmanager
    def transaction(self, layer: str, *, prepared: Any = None
                    ) -> Iterator[PostGISTransaction]:
        raster = prepared is not None and not isinstance(prepared, Prepared)
        source = (prepared.source if raster else prepared.raw.path) if prepared is not None \
            else self.target
        try:
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                  [layer_lock(layer)])
                yield PostGISTransaction(self, layer)
        except psycopg.Error as exc:
            what = "raster load" if raster else "load"
            raise RegistryError(
                f"the {what} into {layer} failed and was rolled back: {exc}".strip(),
                source=source, hint="nothing was changed; fix the cause and load again",
            ) from exc

    def _after_chunk(self, rows_written: int) -> None:
        """Hook called after each COPY chunk (tests inject failures here)."""

    # ----------------------------------------------------------------- rasters
    def raster_meta(self, layer: str) -> dict[str, Any] | None:
        return _rasters().raster_meta(self.conn, layer)

    def read_raster_cells(self, kind: RasterKind, bbox: tuple[float, float, float, float] | None,
                          *, verify: bool = True) -> RasterData:
        import pyproj

        from ...rasters import RasterData
        from ...rasters.records import window_for

        pg_rasters = _rasters()
        meta = pg_rasters.raster_meta(self.conn, kind.name)
        if meta is None:
            raise never_loaded(self, kind.name)
        window, transform = window_for(meta, bbox)
        values = pg_rasters.read_window(self.conn, kind.name, window, transform)
        return RasterData(values, transform, pyproj.CRS.from_user_input(meta["crs"]),
                          kind.name, kind.units)

    def upgrade(self) -> dict[str, Any]:
        return {"backend": self.kind, "target": self.target,
                **_rasters().upgrade(self.conn, self.target)}

    # ----------------------------------------------------------------- queries
    def permit_conflict_pairs(self, *, distance_m: float, repeat_days: int,
                              exclude_status: Sequence[str] = ()) -> pd.DataFrame:
        return queries.permit_conflict_pairs(self.conn, distance_m=distance_m,
                                             repeat_days=repeat_days,
                                             exclude_status=exclude_status)

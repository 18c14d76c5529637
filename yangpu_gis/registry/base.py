"""The registry facade: one interface over a backend, and the load logic written once.

A load is: read the source, validate it against the catalogue (:func:`yangpu_gis.io.prepare`),
check ids against what the registry holds (``append``), then run one backend transaction
(:class:`~yangpu_gis.registry.backend.Backend`) that records the batch, writes the rows (or
a raster's tiles) and the batch's counts, all or nothing, serialised per layer.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..catalogue import CATALOGUE, Layer, get_layer
from ..crs import bbox_in_working
from ..errors import CRSError, Problem, RegistryError, ValidationError
from ..io import Prepared, from_frame, prepare, read_mapping_file, read_source
from ..io.district import District
from ..io.types import TIMEZONE
from ..rasters.kinds import RASTER_CATALOGUE, RasterKind, get_raster_kind
from .backend import LoadTransaction
from .batches import BATCH_FIELDS, raster_batch, revert_batch, vector_batch
from .district import district_of, enter_district, exit_district, record_district
from .district_view import in_district
from .history import AsOf, LayerDiff, diff_frames, resolve_as_of
from .storage import select_columns

if TYPE_CHECKING:  # rasterio is imported only by raster loads and reads
    from ..rasters import PreparedRaster, RasterData

__all__ = ["BATCH_FIELDS", "LOAD_MODES", "LoadResult", "Registry", "before_raster_commit",
           "never_loaded"]

LOAD_MODES = ("append", "replace", "upsert")


@dataclass
class LoadResult:
    """What a load did (or, for a dry run, would do)."""

    layer: str
    mode: str
    source: str
    rows_read: int
    batch_id: int | None = None
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    #: Upsert: rows whose id was stored with the same attributes and geometry (left as
    #: they were, with their batch); ``rows_updated`` counts only rows that changed.
    rows_unchanged: int = 0
    dry_run: bool = False
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "mode": self.mode,
            "source": self.source,
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "rows_inserted": self.rows_inserted,
            "rows_updated": self.rows_updated,
            "rows_unchanged": self.rows_unchanged,
            "rows_deleted": self.rows_deleted,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            **self.details,
        }


class Registry(ABC):
    """A store of catalogue layers in the working CRS, with a batches table.

    Use :func:`yangpu_gis.open_registry` to get one. Each backend
    (:class:`~yangpu_gis.registry.geopackage.GeoPackageRegistry`,
    :class:`~yangpu_gis.registry.postgis.PostGISRegistry`) implements the
    :class:`~yangpu_gis.registry.backend.Backend` protocol (:meth:`read`, :meth:`layers`,
    :meth:`batches`, :meth:`existing_ids`, :meth:`transaction`, :meth:`raster_meta`,
    :meth:`read_raster_cells`, :meth:`upgrade`); loading, validation, raster loads and the
    batch records are written once, here.
    """

    #: ``geopackage`` or ``postgis``.
    kind: str = ""
    #: Path or URL (password masked).
    target: str = ""

    # ----------------------------------------------------------------- interface
    @abstractmethod
    def read(
        self,
        layer: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        bbox_crs: str | None = None,
        columns: list[str] | None = None,
        crs: str | None = None,
        as_of: AsOf | None = None,
    ) -> gpd.GeoDataFrame:
        """Read a layer as a GeoDataFrame (as it stands, or as it stood ``as_of``).

        Parameters
        ----------
        layer : str
            Catalogue layer name.
        bbox : tuple, optional
            (minx, miny, maxx, maxy); rows whose geometry's envelope intersects it.
        bbox_crs : str, optional
            CRS of ``bbox``; defaults to ``crs`` if given, else the working CRS.
        columns : list of str, optional
            Catalogue columns to read (the id column is always included).
        crs : str, optional
            CRS of the result (default the working CRS, EPSG:4549); ``gcj02`` gives
            Amap-offset lon/lat.
        as_of : int, str, date or datetime, optional
            The layer as it stood after this batch, or at this date (the end of the day,
            Asia/Shanghai) or time: see :func:`~.history.resolve_as_of`. Every feature
            version is kept, so ``read("roads", as_of="2024-12-31")`` gives what the 2024
            report saw, whatever was delivered since.

        Returns
        -------
        geopandas.GeoDataFrame
            Catalogue dtypes (see :mod:`yangpu_gis.io.types`), ordered by id. An empty
            frame with the right columns if nothing was loaded yet. A plain
            ``pandas.DataFrame`` for an attribute-table layer (``water_samples``).

        Raises
        ------
        RegistryError
            For unknown columns, ``bbox`` on a layer without geometry, or an ``as_of``
            that names no batch.

        Examples
        --------
        >>> reg.read("roads", as_of="2024-12-31")        # doctest: +SKIP
        """

    @abstractmethod
    def layers(self) -> pd.DataFrame:
        """One row per catalogue layer: ``layer, label, geometry, features``."""

    @abstractmethod
    def batches(self) -> pd.DataFrame:
        """The batches table: one row per load, oldest first (columns ``BATCH_FIELDS``)."""

    @abstractmethod
    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` the layer already holds."""

    @abstractmethod
    def versions(self, layer: str, ids: list[str] | None = None, *,
                 columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored version of the layer's features (or of ``ids``): live and ended.

        Catalogue columns (``columns``: the id and these only), ``batch_id``,
        ``ended_batch`` (``<NA>`` for a live version) and, unless ``columns`` is given, the
        geometry; ordered by id and ``batch_id``.
        """

    @abstractmethod
    def transaction(self, layer: str, *, prepared: Prepared | PreparedRaster | None = None
                    ) -> AbstractContextManager[LoadTransaction]:
        """One all-or-nothing load into ``layer`` (see :class:`~.backend.Backend`)."""

    @abstractmethod
    def raster_meta(self, layer: str) -> dict[str, Any] | None:
        """The rasters-table row of raster ``layer``, or None if it was never loaded."""

    @abstractmethod
    def read_raster_cells(self, kind: RasterKind, bbox: tuple[float, float, float, float] | None,
                          *, verify: bool = True) -> RasterData:
        """The cells of raster ``kind`` covering ``bbox`` (working CRS; None: all)."""

    @abstractmethod
    def upgrade(self) -> dict[str, Any]:
        """Bring a registry written by an older version up to the current layout.

        GeoPackage: rasters kept as COGs in the sidecar folder ``<name>.gpkg.rasters/`` move
        into the ``.gpkg`` (same values, grid, batch and statistics), under the registry's
        lock and all or nothing; the folder is removed only after the new file has been read
        back equal. PostGIS: raster tables get their raster constraints (``raster_columns``
        lists them). Running it again does nothing.

        Returns
        -------
        dict
            ``{"backend", "target", "rasters": [layer, ...] moved or constrained,
            "removed": [files removed], "notes": [...]}``.

        Raises
        ------
        RegistryError
            If a sidecar COG is missing or does not match its checksum; nothing is changed.

        Examples
        --------
        >>> open_registry("yangpu.gpkg").upgrade()    # doctest: +SKIP
        {'backend': 'geopackage', 'target': 'yangpu.gpkg', 'rasters': ['dem'], ...}
        """

    # ----------------------------------------------------------------- queries
    def permit_conflict_pairs(self, *, distance_m: float, repeat_days: int,
                              exclude_status: Sequence[str] = ()) -> pd.DataFrame:
        """Concurrent and repeated digs computed by the backend on the permits table.

        The same rows as :func:`yangpu_gis.analysis.excavation.conflicts` (columns
        ``permit_a, permit_b, kind, distance_m, days_apart``, ordered by the pair); only a
        PostGIS registry computes them.

        Parameters
        ----------
        distance_m : float
            Permits this close (metres) or closer are neighbours (0: touching).
        repeat_days : int
            Neighbours dug within this many days of each other are a repeat.
        exclude_status : sequence of str
            Permits whose ``status`` is one of these are left out (e.g. ``("已撤销",)``).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ValidationError
            For a negative or non-finite ``distance_m`` or negative ``repeat_days``.
        RegistryError
            For a registry that is not PostGIS.
        """
        if not np.isfinite(distance_m) or distance_m < 0 or repeat_days < 0:
            raise ValidationError("distance_m and repeat_days must be >= 0")
        raise RegistryError("the SQL path needs a PostGIS registry",
                            hint="open the registry with a postgresql:// URL, or use "
                            "yangpu_gis.analysis.excavation.conflicts on the frames")

    # ----------------------------------------------------------------- rasters
    def load_raster(
        self,
        source: str | Path,
        layer: str = "dem",
        *,
        crs: str | None = None,
        resolution_m: float | None = None,
        units: str = "m",
        plausible: tuple[float, float] | None = None,
        dry_run: bool = False,
    ) -> LoadResult:
        """Validate a raster file (GeoTIFF or any GDAL raster) and store it as raster
        ``layer`` (replacing it), all or nothing, recorded in batches.

        Parameters
        ----------
        source : path
            Any GDAL raster.
        layer : str
            Raster catalogue layer (:data:`~yangpu_gis.rasters.RASTER_CATALOGUE`).
        crs, resolution_m, units, plausible
            See :func:`~yangpu_gis.rasters.prepare_raster` (reprojected to the working CRS).
        dry_run : bool
            Validate only.

        Returns
        -------
        LoadResult
            ``rows_*`` count cells; ``details`` has the grid, statistics and notes.

        Raises
        ------
        yangpu_gis.YangpuGisError
            Any refusal; the registry is then unchanged.

        Examples
        --------
        >>> reg.load_raster("dem.tif", "dem")            # doctest: +SKIP
        """
        from ..rasters import prepare_raster

        started = time.perf_counter()
        prepared = prepare_raster(source, layer, crs=crs, resolution_m=resolution_m,
                                  units=units, plausible=plausible, district=self.district)
        h, w = prepared.values.shape
        result = LoadResult(layer, "replace", prepared.source, h * w, dry_run=dry_run,
                            details=prepared.summary())
        if not dry_run:
            with self.creating(), self.transaction(layer, prepared=prepared) as tx:
                batch_id = tx.record_batch(raster_batch(prepared))
                counts = tx.write_raster(prepared, batch_id)
                tx.finish_batch(batch_id, counts)
                before_raster_commit(self, prepared)
            result.batch_id = batch_id
            result.rows_inserted = counts["inserted"]
            result.rows_deleted = counts["deleted"]
        result.seconds = time.perf_counter() - started
        return result

    def read_raster(
        self,
        layer: str = "dem",
        *,
        bbox: tuple[float, float, float, float] | None = None,
        bbox_crs: str | None = None,
        verify: bool = True,
    ) -> RasterData:
        """Read a registry raster (or the part of it covering ``bbox``).

        Parameters
        ----------
        layer : str
            Raster layer.
        bbox : tuple, optional
            (minx, miny, maxx, maxy); the cells covering it (grown outward to whole cells).
        bbox_crs : str, optional
            CRS of ``bbox`` (default the working CRS).
        verify : bool
            GeoPackage: check the SHA-256 of the raster's tiles against the registry first.

        Returns
        -------
        RasterData
            Values (NaN for nodata), transform and CRS; ``.to_xarray()`` for an
            ``xarray.DataArray``.

        Raises
        ------
        RegistryError
            If the raster was never loaded or its checksum differs.

        Examples
        --------
        >>> dem = reg.read_raster("dem", bbox=(121.50, 31.29, 121.52, 31.31), bbox_crs="EPSG:4326")  # doctest: +SKIP
        >>> dem.values.shape, dem.transform.a                    # doctest: +SKIP
        """

        kind = get_raster_kind(layer)
        working = None if bbox is None else bbox_in_working(bbox, bbox_crs)
        return self.read_raster_cells(kind, working, verify=verify)

    def raster_layers(self) -> pd.DataFrame:
        """One row per raster catalogue layer: ``layer, label, units, loaded, width, height,
        resolution_m, value_min, value_max, batch_id, storage, location``."""
        rows = []
        for name, kind in RASTER_CATALOGUE.items():
            m = self.raster_meta(name) or {}
            rows.append({"layer": name, "label": kind.label, "units": kind.units,
                         "loaded": bool(m), **{k: m.get(k) for k in (
                             "width", "height", "resolution_m", "value_min", "value_max",
                             "batch_id", "storage", "location")}})
        return pd.DataFrame(rows)

    def data_date(self) -> str | None:
        """Date of the latest load (``YYYY-MM-DD``, Asia/Shanghai), for map titles; None if empty."""
        batches = self.batches()
        if not len(batches):
            return None
        return batches["loaded_at"].max().tz_convert(TIMEZONE).date().isoformat()

    def read_layers(self, *names: str, crs: str | None = None, as_of: AsOf | None = None
                    ) -> dict[str, gpd.GeoDataFrame]:
        """Read several layers at once: ``{name: GeoDataFrame}`` (all layers if none named).

        Examples
        --------
        >>> layers = reg.read_layers("residential_compounds", "parking_facilities")  # doctest: +SKIP
        >>> analyze_parking(layers["residential_compounds"], layers["parking_facilities"])  # doctest: +SKIP
        """
        return {name: self.read(name, crs=crs, as_of=as_of) for name in (names or tuple(CATALOGUE))}

    @staticmethod
    def read_plan(layer: str, columns: list[str] | None,
                  bbox: object = None) -> tuple[Layer, list[str]]:
        """The layer's catalogue entry and the columns to read, or a clear error."""
        spec = get_layer(layer)
        if bbox is not None and not spec.has_geometry:
            raise RegistryError(f"layer {layer} ({spec.label}) has no geometry: it cannot be "
                                "read by bounding box",
                                hint="read it whole and filter by its columns (e.g. join on "
                                "station_id to water_stations)")
        try:
            return spec, select_columns(spec, columns)
        except KeyError as exc:
            raise RegistryError(f"layer {layer} has no column(s) {exc.args[0]}",
                                hint="columns: " + ", ".join(spec.column_names)) from None

    @contextmanager
    def creating(self) -> Iterator[None]:
        """A load may create the registry: reads inside it see a missing one as empty."""
        yield

    def close(self) -> None:  # noqa: B027 - optional hook, GeoPackage has nothing to close
        """Release connections (no-op for GeoPackage)."""

    def __enter__(self) -> Registry:
        try:
            enter_district(self)  # maps drawn inside the block open on its district
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        exit_district(self)
        self.close()

    # ----------------------------------------------------------------- district
    @property
    def district(self) -> District | None:
        """The district the registry serves (``yangpu-gis init --district-outline``), or
        None: a registry that records none serves 杨浦区 within the fixed extent
        ``settings.district_bounds_lonlat``. Read once, then cached."""
        if "_district" not in self.__dict__:
            self._district = district_of(self.district_store.stored())
        return self._district

    def record_district(self, district: District, source: str) -> bool:
        """Record the district the registry serves (once); whether anything was stored
        (False: the same district was already recorded). See :mod:`.district`.

        Raises
        ------
        ValidationError
            If another district is recorded, or stored rows lie outside this one.

        Examples
        --------
        >>> from yangpu_gis.io.outline import read_outline                 # doctest: +SKIP
        >>> reg.record_district(read_outline("310000.json", crs="gcj02", code="310109"),
        ...                     "310000.json")                             # doctest: +SKIP
        True
        """
        with self.creating():
            stored = record_district(self.district_store, self, district, source)
        self.__dict__.pop("_district", None)
        return stored

    def in_district(self, key: str | None) -> Registry:
        """A read-only view of the rows within one district of the registry (``--district``):
        a part of a city registry, or its whole district, by name or code. ``None``
        returns the registry itself. See :class:`~.district_view.RegistryInDistrict`.

        Raises
        ------
        ValidationError
            If the registry records no district, or none of that name or code.

        Examples
        --------
        >>> run_parking(reg.in_district("虹口区"), "parking_hongkou")  # doctest: +SKIP
        """
        return in_district(self, key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.target}>"

    # ----------------------------------------------------------------- history
    def as_of_batch(self, as_of: AsOf | None) -> int | None:
        """The batch id ``as_of`` names (:func:`~.history.resolve_as_of`); None for now."""
        if as_of is None:
            return None
        return resolve_as_of(self.batches(), as_of)

    def at(self, as_of: AsOf | None) -> Registry:
        """A read-only view of the registry as it stood ``as_of`` (a batch id, date or
        datetime): ``read``, ``read_layers``, ``read_raster``, ``layers``, ``batches`` and
        ``data_date`` answer as of then, so any analysis run on it is the one made then.
        ``as_of=None`` returns the registry itself.

        Examples
        --------
        >>> run_road_condition(reg.at("2024-12-31"), "report_2024")    # doctest: +SKIP
        """
        if as_of is None:
            return self
        from .snapshot import RegistrySnapshot

        return RegistrySnapshot(self, self.as_of_batch(as_of))

    def layer_batches(self, layer: str) -> list[int]:
        """Ids of the batches that loaded ``layer``, oldest first."""
        batches = self.batches()
        return sorted(int(b) for b in batches.loc[batches["layer"] == layer, "batch_id"])

    def diff(self, layer: str, from_batch: AsOf | None = None,
             to_batch: AsOf | None = None) -> LayerDiff:
        """What changed in ``layer`` between two batches (or dates).

        Parameters
        ----------
        layer : str
            Catalogue layer.
        from_batch, to_batch : int, str, date or datetime, optional
            The two states (as in :meth:`read`'s ``as_of``). By default the last two
            deliveries of the layer: ``to`` its last batch, ``from`` the one before (0, the
            empty layer, when it was delivered once).

        Returns
        -------
        LayerDiff
            ``added``, ``removed`` and ``modified`` features (for each modified one the
            changed fields, old and new, and how far the geometry moved: Hausdorff
            distance, length and area change), and the number unchanged;
            ``.as_dict()`` is ``yangpu-gis diff --json``, ``.to_frame()`` one row per change.

        Raises
        ------
        RegistryError
            For a layer never loaded (without ``to_batch``) or a batch that does not exist.

        Examples
        --------
        >>> d = reg.diff("roads")                          # doctest: +SKIP
        >>> d.counts                                       # doctest: +SKIP
        {'added': 3, 'removed': 1, 'modified': 20, 'unchanged': 2332}
        """
        spec = get_layer(layer)
        own = self.layer_batches(layer)
        if to_batch is None:
            if not own:
                raise RegistryError(f"layer {layer} ({spec.label}) was never loaded: there is "
                                    "nothing to compare", source=self.target,
                                    hint="yangpu-gis batches lists what was loaded")
            to_id = own[-1]
        else:
            to_id = self.as_of_batch(to_batch)
        if from_batch is None:
            earlier = [b for b in own if b < to_id]
            from_id = earlier[-1] if earlier else 0
        else:
            from_id = self.as_of_batch(from_batch)
        old = self.read(layer, as_of=from_id)
        new = self.read(layer, as_of=to_id)
        return diff_frames(old, new, spec, from_batch=from_id, to_batch=to_id)

    def history(self, layer: str, feature_id: str) -> pd.DataFrame:
        """Every version of one feature, oldest first.

        Returns
        -------
        pandas.DataFrame
            One row per version: ``batch_id`` (the load that created it), ``ended_batch``
            (the load that ended it; ``<NA>`` for the live version), ``valid_from`` and
            ``valid_to`` (when those loads ran), ``mode`` and ``source`` of the creating
            load, then the catalogue columns and the geometry.

        Raises
        ------
        RegistryError
            If the layer never held a feature with this id.

        Examples
        --------
        >>> reg.history("roads", "R0001")[["batch_id", "ended_batch", "name"]]  # doctest: +SKIP
        """
        spec = get_layer(layer)
        found = self.versions(layer, [str(feature_id)])
        if not len(found):
            raise RegistryError(f"layer {layer} ({spec.label}) never held a feature "
                                f"{spec.id_column} = {str(feature_id)!r}", source=self.target,
                                hint=f"yangpu-gis export {layer} -o {layer}.csv lists its ids")
        batches = self.batches().set_index("batch_id")
        loaded = pd.to_datetime(batches["loaded_at"], utc=True).dt.tz_convert(TIMEZONE)
        created = found["batch_id"].astype("int64")
        ended = found["ended_batch"]
        front = pd.DataFrame({
            "batch_id": found["batch_id"],
            "ended_batch": ended,
            "valid_from": created.map(loaded).to_numpy(),
            "valid_to": ended.map(lambda b: loaded.get(int(b)) if pd.notna(b) else pd.NaT),
            "mode": created.map(batches["mode"]).to_numpy(),
            "source": created.map(batches["source"]).to_numpy(),
        })
        rest = found.drop(columns=["batch_id", "ended_batch"]).reset_index(drop=True)
        out = pd.concat([front.reset_index(drop=True), rest], axis=1)
        if isinstance(found, gpd.GeoDataFrame):
            return gpd.GeoDataFrame(out, geometry=found.geometry.name, crs=found.crs)
        return out

    def revert(self, batch_id: int, *, force: bool = False) -> LoadResult:
        """Undo one vector load: a new batch that restores, for every feature the load
        created, changed or ended, the version it had before; all or nothing.

        Parameters
        ----------
        batch_id : int
            The load to undo.
        force : bool
            Also when later loads changed some of the same features: those features then
            go back to their state before ``batch_id`` too, and the later changes to them
            are undone with it (they stay in the history).

        Returns
        -------
        LoadResult
            Mode ``revert``; the counts of the new batch.

        Raises
        ------
        RegistryError
            For a batch that does not exist, a raster load (rasters keep no history), a
            load that changed nothing, or, without ``force``, later loads that changed the
            same features (named, with their batches); the registry is then unchanged.

        Examples
        --------
        >>> reg.revert(12).as_dict()["rows_deleted"]     # doctest: +SKIP
        """
        started = time.perf_counter()
        batches = self.batches()
        row = batches[pd.to_numeric(batches["batch_id"]) == int(batch_id)]
        if not len(row):
            ids = pd.to_numeric(batches["batch_id"])
            raise RegistryError(f"the registry has no batch {batch_id}", source=self.target,
                                hint="yangpu-gis batches lists the batches" + (
                                    f" (1 to {int(ids.max())})" if len(ids) else
                                    " (there are none yet)"))
        layer = str(row["layer"].iloc[0])
        if layer not in CATALOGUE:
            raise RegistryError(f"batch {batch_id} loaded the raster {layer}: rasters keep no "
                                "history, so a raster load cannot be reverted",
                                source=self.target,
                                hint=f"load the previous raster again: yangpu-gis load-raster "
                                f"FILE --layer {layer}")
        spec = get_layer(layer)
        idc = spec.id_column
        versions = self.versions(layer, columns=[])
        ended = versions["ended_batch"]
        touched = versions[(versions["batch_id"] == batch_id) | (ended == batch_id).fillna(False)]
        ids = sorted(set(touched[idc]))
        if not ids:
            raise RegistryError(f"batch {batch_id} changed no feature of {layer}: there is "
                                "nothing to revert", source=self.target,
                                hint="yangpu-gis batches shows what each load changed")
        later = versions[versions[idc].isin(ids) & (
            (versions["batch_id"] > batch_id) | (ended > batch_id).fillna(False))]
        if len(later) and not force:
            by = sorted({int(b) for b in later["batch_id"] if b > batch_id} | {
                int(b) for b in later["ended_batch"].dropna() if b > batch_id})
            clash = sorted(set(later[idc]))
            raise RegistryError(
                f"{len(clash)} feature(s) that batch {batch_id} changed were changed again "
                f"by later batch(es) {', '.join(map(str, by))} (e.g. "
                f"{', '.join(map(repr, clash[:5]))}); nothing was reverted",
                source=self.target,
                hint="revert the later batches first, or give --force to put these features "
                f"back as they were before batch {batch_id} as well")
        seen = self.layer_batches(layer)[-1]
        # the batch before it (PostGIS batch ids have gaps where a load was rolled back)
        ids_before = [int(b) for b in pd.to_numeric(batches["batch_id"]) if b < batch_id]
        before = self.read(layer, as_of=max(ids_before, default=0))
        now = self.read(layer)
        wanted = pd.concat([now[~now[idc].isin(ids)], before[before[idc].isin(ids)]],
                           ignore_index=True).drop(columns="batch_id")
        raw = from_frame(wanted, f"revert of batch {batch_id}", need_geometry=spec.has_geometry)
        if len(wanted):
            prepared = prepare(raw, spec, district=self.district)
        else:  # the batch loaded every feature the layer holds: reverting it empties the layer
            prepared = Prepared(spec, wanted, raw, source_crs=settings.working_crs)
        with self.transaction(layer, prepared=prepared) as tx:
            if tx.latest_batch(layer) != seen:
                raise RegistryError(f"layer {layer} was loaded again while batch {batch_id} "
                                    "was being reverted; nothing was reverted",
                                    source=self.target, hint="run the revert again")
            new_id = tx.record_batch(revert_batch(prepared, layer, batch_id))
            counts = tx.write_rows(prepared, "revert", new_id)
            tx.finish_batch(new_id, counts)
        result = LoadResult(layer, "revert", f"revert of batch {batch_id}", len(wanted),
                            batch_id=new_id, rows_inserted=counts["inserted"],
                            rows_updated=counts["updated"], rows_deleted=counts["deleted"],
                            rows_unchanged=counts["unchanged"],
                            details={"reverted_batch": int(batch_id), "forced": bool(
                                len(later) and force)})
        result.seconds = time.perf_counter() - started
        return result

    # ----------------------------------------------------------------- loading
    def validate(
        self,
        source: str | Path | gpd.GeoDataFrame,
        layer: str,
        *,
        crs: str | None = None,
        encoding: str | None = None,
        mapping: dict[str, str] | None = None,
        mapping_file: str | Path | None = None,
        values: dict[str, dict[str, str]] | None = None,
        repair: bool = False,
        source_layer: str | None = None,
        x: str | None = None,
        y: str | None = None,
        where: str | None = None,
        skip_unlocated: bool = False,
        mode: str = "append",
        roads: gpd.GeoDataFrame | None = None,
        strict_crs: bool | None = None,
    ) -> Prepared:
        """Read and validate without writing (the registry's ids are checked too).

        Parameters
        ----------
        source : path or GeoDataFrame
            (a plain DataFrame for a layer without geometry)
        layer : str
            Catalogue layer.
        crs : str, optional
            CRS of the coordinates for files without one, or ``gcj02`` / ``bd09``.
        encoding : str, optional
            Text encoding, overriding ``.cpg`` and detection.
        mapping : dict, optional
            Source column -> catalogue column (``--map``).
        mapping_file : path, optional
            TOML/JSON/CSV mapping file (see :func:`yangpu_gis.io.read_mapping_file`).
        values : dict of dict, optional
            Catalogue column -> {source value -> catalogue value} (``--value``).
        repair : bool
            Repair geometries and report what changed.
        source_layer : str, optional
            Layer of a GeoPackage / OSM file, or sheet of a workbook.
        x, y : str, optional
            Coordinate columns of CSV/XLSX.
        where : str, optional
            OGR SQL attribute filter for vector files (``ogr2ogr -where``).
        skip_unlocated : bool
            Layers with ``location_precision`` (complaints): rows without coordinates are
            placed on the road their address names; rows that cannot be located refuse the
            load unless this is set, in which case they are left out and listed.
        mode : str
            ``append`` also checks ids against the registry.
        roads : GeoDataFrame, optional
            Roads (``name``, working CRS) to place address-only rows on instead of the
            registry's (a manifest validates its complaints against the roads it loads first).
        strict_crs : bool, optional
            Refuse, instead of noting, lon/lat that match the registry's outlines or roads
            markedly better as GCJ-02/BD-09 (default ``settings.strict_crs``). Never refuses
            when ``crs`` names the WGS84/CGCS2000 lon/lat explicitly.

        Raises
        ------
        yangpu_gis.YangpuGisError
            Any refusal, naming file, rows, field and hint.
        """
        spec, raw, maps, vals = self._read_raw(
            source, layer, mode=mode, encoding=encoding, mapping=mapping,
            mapping_file=mapping_file, values=values, source_layer=source_layer, x=x, y=y,
            where=where)
        return self._validate_raw(raw, spec, maps, vals, crs=crs, repair=repair,
                                  skip_unlocated=skip_unlocated, mode=mode, roads=roads,
                                  strict_crs=strict_crs)

    def _read_raw(self, source, layer: str, *, mode: str, encoding: str | None = None,
                  mapping: dict[str, str] | None = None,
                  mapping_file: str | Path | None = None,
                  values: dict[str, dict[str, str]] | None = None,
                  source_layer: str | None = None, x: str | None = None, y: str | None = None,
                  where: str | None = None, **_ignored: Any
                  ) -> tuple[Layer, Any, dict[str, str], dict[str, dict[str, str]]]:
        """The first half of :meth:`validate`: the layer, the source as read, and the
        column and value mappings (file, then options)."""
        spec = get_layer(layer)
        if mode not in LOAD_MODES:
            raise ValidationError(f"unknown mode {mode!r}", hint="use append, replace or upsert")
        if isinstance(source, pd.DataFrame):
            raw = from_frame(source, need_geometry=spec.has_geometry)
        else:
            raw = read_source(source, source_layer=source_layer, encoding=encoding, x=x, y=y,
                              where=where,
                              allow_missing_xy="location_precision" in spec.column_names,
                              need_xy=spec.has_geometry)
        maps, vals = read_mapping_file(mapping_file) if mapping_file else ({}, {})
        maps.update(mapping or {})
        for col, table in (values or {}).items():
            vals.setdefault(col, {}).update(table)
        return spec, raw, maps, vals

    def _validate_raw(self, raw, spec: Layer, maps: dict[str, str],
                      vals: dict[str, dict[str, str]], *, crs: str | None = None,
                      repair: bool = False, skip_unlocated: bool = False,
                      mode: str = "append", roads: gpd.GeoDataFrame | None = None,
                      strict_crs: bool | None = None) -> Prepared:
        """The second half of :meth:`validate`: addresses placed, rows checked, lon/lat
        offsets looked for and (``append``) ids checked against the registry."""
        if "location_precision" in spec.column_names:
            from ..io.geocode import fill_from_addresses

            if roads is None:
                roads = self.read("roads", columns=["name"])
            raw = fill_from_addresses(raw, spec, roads, crs=crs,
                                      mapping=maps, skip_unlocated=skip_unlocated)
        prepared = prepare(raw, spec, crs=crs, mapping=maps, values=vals, repair=repair,
                           district=self.district)
        self._check_offset(prepared, given=crs, strict=strict_crs)
        if mode == "append":
            self._check_new_ids(prepared, spec)
        return prepared

    def _check_offset(self, prepared: Prepared, *, given: str | None,
                      strict: bool | None) -> None:
        """Note (or refuse, strictly) lon/lat that look like GCJ-02/BD-09 read as WGS84."""
        import pyproj

        from ..io.offset import detect_offset

        if not prepared.layer.has_geometry or not len(prepared.frame):
            return
        try:
            geographic = pyproj.CRS.from_user_input(prepared.source_crs).is_geographic
        except pyproj.exceptions.CRSError:
            geographic = False  # gcj02 / bd09 / an unnamed CRS
        if not geographic:
            return
        geoms = prepared.frame.geometry
        minx, miny, maxx, maxy = geoms.total_bounds
        near = (minx - 2000, miny - 2000, maxx + 2000, maxy + 2000)
        references = {
            "the registry's district and subdistrict outlines": np.concatenate([
                np.asarray(self.read(name, bbox=near).geometry.boundary.values, dtype=object)
                for name in ("districts", "subdistricts")]),
            "the registry's roads": np.asarray(
                self.read("roads", bbox=near, columns=["name"]).geometry.values, dtype=object),
        }
        finding = detect_offset(np.asarray(geoms.values, dtype=object), references)
        if finding is None:
            return
        prepared.crs_warning = finding.as_dict()
        strict = settings.strict_crs if strict is None else strict
        if strict and not given:
            raise CRSError(finding.message(), source=prepared.raw.path,
                           hint=finding.hint() + "; if they really are WGS84, say so with "
                           "--crs EPSG:4326 (refused because of --strict-crs / "
                           "YANGPU_GIS_STRICT_CRS)")
        prepared.raw.notes.append(f"warning: {finding.message()}; {finding.hint()}")

    def _check_new_ids(self, prepared: Prepared, spec: Layer) -> None:
        ids = prepared.frame[spec.id_column].tolist()
        self.refuse_existing_ids(prepared, spec, self.existing_ids(spec.name, ids))

    @staticmethod
    def refuse_existing_ids(prepared: Prepared, spec: Layer, clash: set[str]) -> None:
        """Refuse an append whose ids ``clash`` with stored ones, naming their rows.

        Backends call it again under their write lock with the ids they find there.
        """
        ids = prepared.frame[spec.id_column]
        if clash:
            mask = ids.isin(clash).to_numpy()
            raise ValidationError(
                f"{int(mask.sum())} ids already in the registry's {spec.name}; nothing was loaded",
                source=prepared.raw.path,
                problems=[Problem(
                    f"id already loaded (e.g. {', '.join(map(repr, sorted(clash)[:5]))})",
                    rows=prepared.raw.rows[mask].tolist(), field=spec.id_column,
                    row_label=prepared.raw.row_label)],
                hint="use --mode upsert to update those rows, or --mode replace to reload the layer",
            )

    def load(
        self,
        source: str | Path | gpd.GeoDataFrame,
        layer: str,
        *,
        mode: str = "append",
        dry_run: bool = False,
        on_stage: Callable[[str], None] | None = None,
        **options: Any,
    ) -> LoadResult:
        """Validate a file (or GeoDataFrame) and load it into ``layer``, all or nothing.

        Parameters
        ----------
        source : path or GeoDataFrame
            A Shapefile (.shp/.zip), GeoPackage, GeoJSON, CSV or XLSX, or a GeoDataFrame.
        layer : str
            Catalogue layer.
        mode : {'append', 'replace', 'upsert'}
            ``append`` refuses ids already present; ``replace`` swaps the layer's contents;
            ``upsert`` updates rows by id and inserts new ones.
        dry_run : bool
            Validate only; nothing is written.
        on_stage : callable, optional
            Called with ``"validating"`` and ``"writing"`` (for progress display).
        **options
            ``crs``, ``encoding``, ``mapping``, ``mapping_file``, ``values``, ``repair``,
            ``source_layer``, ``x``, ``y``, ``where``, ``skip_unlocated``, ``strict_crs``:
            see :meth:`validate`.

        Returns
        -------
        LoadResult

        Raises
        ------
        yangpu_gis.YangpuGisError
            Nothing is written when anything is refused.

        Examples
        --------
        >>> reg = open_registry("yangpu.gpkg")                       # doctest: +SKIP
        >>> reg.load("roads.shp", "roads", mode="replace", map={"道路名称": "name"})  # doctest: +SKIP
        """
        with self.creating():
            return self._load(source, layer, mode=mode, dry_run=dry_run, on_stage=on_stage,
                              **options)

    def _load(self, source, layer: str, *, mode: str, dry_run: bool,
              on_stage: Callable[[str], None] | None, **options: Any) -> LoadResult:
        started = time.perf_counter()
        stage = on_stage or (lambda _name: None)
        stage("validating")
        prepared = self.validate(source, layer, mode=mode, **options)
        if dry_run:
            result = LoadResult(layer, mode, prepared.raw.path, len(prepared.frame),
                                dry_run=True, details=prepared.summary())
            result.seconds = time.perf_counter() - started
            return result
        return self._write(prepared, layer, mode, stage, started)

    def _write(self, prepared: Prepared, layer: str, mode: str, stage: Callable[[str], None],
               started: float) -> LoadResult:
        """Store validated rows (:meth:`store`) and say what the load did."""
        batch = vector_batch(prepared, layer, mode)
        stage("writing")
        counts = self.store(prepared, mode, batch)
        return self._result(prepared, layer, mode, counts, started)

    @staticmethod
    def _result(prepared: Prepared, layer: str, mode: str, counts: dict[str, int],
                started: float) -> LoadResult:
        result = LoadResult(layer, mode, prepared.raw.path, len(prepared.frame),
                            details=prepared.summary())
        result.batch_id = counts.get("batch_id")
        result.rows_inserted = counts.get("inserted", 0)
        result.rows_updated = counts.get("updated", 0)
        result.rows_unchanged = counts.get("unchanged", 0)
        result.rows_deleted = counts.get("deleted", 0)
        result.seconds = time.perf_counter() - started
        return result

    def store(self, prepared: Prepared, mode: str, batch: dict[str, Any]) -> dict[str, int]:
        """Write validated rows and their batch record in one backend transaction; the
        counts and ``batch_id``."""
        with self.transaction(prepared.layer.name, prepared=prepared) as tx:
            batch_id = tx.record_batch(batch)
            counts = tx.write_rows(prepared, mode, batch_id)
            tx.finish_batch(batch_id, counts)
        return {**counts, "batch_id": batch_id}

    def info(self) -> dict[str, Any]:
        """Backend, target, working CRS, layer counts, loaded rasters and the number of batches."""

        table = self.layers()
        rasters = self.raster_layers()
        return {
            "backend": self.kind,
            "target": self.target,
            "working_crs": settings.working_crs,
            "layers": {r.layer: int(r.features) for r in table.itertuples()},
            "rasters": {r.layer: {"width": int(r.width), "height": int(r.height),
                                  "resolution_m": float(r.resolution_m), "storage": r.storage,
                                  "location": r.location}
                        for r in rasters.itertuples() if r.loaded},
            "batches": len(self.batches()),
            "district": None if self.district is None else {
                "code": self.district.code, "name": self.district.name,
                "parts": [p.code for p in self.district.parts]},
        }

    def add_layer_definition(self, source: str | Path) -> Layer:
        """Add a layer the district defines (a TOML file, a shipped name or TOML text) to
        this registry, and register it in the catalogue; the layer.

        The definition is stored in the registry itself (``yangpu_layer_definitions``) and
        registered again whenever the registry is opened; from then on the layer is
        validated, stored, read, exported and drawn like a built-in one. Adding the same
        definition again changes nothing. See :mod:`yangpu_gis.layer_definitions`.

        Raises
        ------
        ValidationError
            For a definition that does not pass (every problem with its TOML key path and
            a fix), or a different definition of a layer the registry already has.

        Examples
        --------
        >>> reg.add_layer_definition("railways")             # doctest: +SKIP
        >>> reg.load("railways.gpkg", "railways")             # doctest: +SKIP
        """
        from .definitions import add_definition

        with self.creating():
            return add_definition(self.definitions, self.target, source)

    def export(self, layer: str, out: str | Path, *, crs: str | None = None) -> Path:
        """Write a layer to a file that loads back into the same layer; the format follows
        the extension (.gpkg, .geojson, .shp with a UTF-8 ``.cpg``, .csv with WKT, .tif for a
        raster layer). See :func:`yangpu_gis.registry.export.export_layer`.
        """
        from .export import export_layer

        return export_layer(self, layer, out, crs=crs)




def before_raster_commit(reg: Registry, prepared: PreparedRaster) -> None:
    """Hook called when a raster load is written, before it commits (tests inject failures)."""


def never_loaded(reg: Registry, name: str) -> RegistryError:
    """The refusal to read raster ``name`` that ``reg`` does not hold."""
    return RegistryError(f"the registry has no raster {name}", source=reg.target,
                         hint=f"load one: yangpu-gis load-raster DEM.tif --layer {name}")

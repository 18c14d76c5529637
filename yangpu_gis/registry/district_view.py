"""A read-only view of the rows of a registry within one district (``--district NAME``).

A city registry holds the 16 districts of Shanghai under one outline; ``--district 虹口区``
runs an analysis or draws a map on the rows within 虹口's outline only. A row is *within*
when its geometry intersects the outline (a road crossing the boundary belongs to both
districts; a point on the boundary too). Layers without geometry (``water_samples``) are
read whole: they are joined to the located rows they refer to. Maps drawn inside
``with view:`` open on the district and carry its name.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..catalogue import CATALOGUE, get_layer
from ..crs import bbox_in_working, parse_crs, transform_geometries
from ..errors import RegistryError, ValidationError
from ..io.district import District
from .district import enter_district, exit_district
from .storage import empty_layers_table

__all__ = ["RegistryInDistrict", "in_district"]


def in_district(registry: Any, key: str | None) -> Any:
    """``registry`` restricted to its district (or part) ``key``; itself for None."""
    if key is None:
        return registry
    whole = registry.district
    if whole is None:
        raise ValidationError(
            f"the registry records no district outlines: --district {key!r} cannot be "
            "applied", source=registry.target,
            hint="record them first: yangpu-gis init --district-outline FILE (e.g. the 16 "
            "Shanghai districts of a DataV 310000.json with --crs gcj02 --code 310000 "
            "--name 上海市), or leave out --district")
    return RegistryInDistrict(registry, whole.part(key))


class RegistryInDistrict:
    """``registry``'s rows within ``district``'s outline (see the module notes).

    Parameters
    ----------
    registry : Registry or RegistrySnapshot
    district : District
    """

    def __init__(self, registry: Any, district: District) -> None:
        self.registry = registry
        self.district = district
        self.kind = registry.kind
        self.target = registry.target

    def __repr__(self) -> str:
        return f"<RegistryInDistrict {self.target} within {self.district.describe()}>"

    def __enter__(self) -> RegistryInDistrict:
        enter_district(self)
        return self

    def __exit__(self, *exc: object) -> None:
        exit_district(self)
        self.close()

    def close(self) -> None:
        self.registry.close()

    def read(self, layer: str, *, bbox=None, bbox_crs=None, columns=None, crs=None,
             as_of=None) -> gpd.GeoDataFrame:
        """:meth:`Registry.read`, keeping the rows whose geometry intersects the outline."""
        spec = get_layer(layer)
        if not spec.has_geometry:
            return self.registry.read(layer, columns=columns, crs=crs, as_of=as_of)
        box = tuple(shapely.bounds(self.district.outline()))
        if bbox is not None:  # the caller's box, within the district's
            mine = bbox_in_working(bbox, bbox_crs if bbox_crs is not None else crs)
            box = (max(box[0], mine[0]), max(box[1], mine[1]), min(box[2], mine[2]),
                   min(box[3], mine[3]))
            if box[0] > box[2] or box[1] > box[3]:
                box = (box[0], box[1], box[0], box[1])
        frame = self.registry.read(layer, bbox=box, columns=columns, crs=crs, as_of=as_of)
        if not len(frame):
            return frame
        outline = self.district.outline()
        if crs is not None:
            outline = transform_geometries(np.array([outline]), _working(), parse_crs(crs))[0]
        keep = shapely.intersects(np.asarray(frame.geometry.values, dtype=object), outline)
        return frame[keep].reset_index(drop=True)

    def read_layers(self, *names: str, crs: str | None = None, as_of=None
                    ) -> dict[str, gpd.GeoDataFrame]:
        return {name: self.read(name, crs=crs, as_of=as_of)
                for name in (names or tuple(CATALOGUE))}

    def layers(self) -> pd.DataFrame:
        counts = {name: len(self.read(name, columns=[])) for name in CATALOGUE}
        return empty_layers_table(counts)

    def export(self, layer: str, out: Any, *, crs: str | None = None) -> Any:
        """:meth:`Registry.export` of the layer's rows within the district."""
        from .export import export_layer

        return export_layer(self, layer, out, crs=crs)

    def permit_conflict_pairs(self, **kwargs: Any) -> pd.DataFrame:
        raise RegistryError("the SQL path reads the whole permits table: it cannot be "
                            "restricted to one district", source=self.target,
                            hint="leave out --sql (the same pairs are computed from the "
                            "district's permits) or leave out --district")

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            def refused(*_args: Any, **_kwargs: Any) -> Any:
                raise RegistryError(f"a registry read within {self.district.describe()} is "
                                    f"read-only: {name} is refused", source=self.target,
                                    hint="leave out --district to change the registry")
            return refused
        return getattr(self.registry, name)  # batches, data_date, rasters, versions …


def _working() -> Any:

    return parse_crs(settings.working_crs)


_WRITES = frozenset({"add_layer_definition", "load", "load_raster", "store", "revert",
                     "upgrade", "transaction", "creating", "locked_copy", "record_district"})

"""The package's settings: where the registry is, which CRS it works in, what a load
tolerates, which rules of law apply (osmnx's ``settings`` is the model).

Each value can be overridden by an environment variable, read when this module is imported,
or by assigning to the attribute at run time (``yangpu_gis.settings.working_crs = ...``);
code reads them when it runs, never copying a value at import, so an assignment takes effect
at the next call.

An analysis's own parameters (thresholds, ratios, distances) are not settings: they live
with the analysis, in its frozen ``<Topic>Defaults`` dataclass (e.g.
:class:`yangpu_gis.analysis.parking.ParkingDefaults`) with the unit and source of every
figure, and each run writes them to its ``parameters.csv``. The CLI's option defaults read
those objects, so each default is written down once.
"""

from __future__ import annotations

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


#: Default registry: a GeoPackage path or a ``postgresql://`` URL (``$YANGPU_GIS_REGISTRY``).
default_registry: str = _env("YANGPU_GIS_REGISTRY", "yangpu.gpkg")

#: Working CRS for storage and metric analysis: CGCS2000 / 3-degree Gauss-Kruger CM 120E.
#: Yangpu lies on the zone's eastern edge; scale factor there ~1.00025 (DOMAIN.md).
working_crs: str = _env("YANGPU_GIS_WORKING_CRS", "EPSG:4549")

#: Geographic CRS used for maps and for GCJ-02 / BD-09 conversions.
geographic_crs: str = "EPSG:4326"

#: Yangpu's extent in WGS84 lon/lat (minx, miny, maxx, maxy), DOMAIN.md "The district".
district_bounds_lonlat: tuple[float, float, float, float] = (121.485, 31.245, 121.575, 31.350)

#: How far outside the district extent data may lie before a load is refused, in metres
#: (``$YANGPU_GIS_MARGIN_M``). 3 km keeps neighbouring roads at the border loadable.
district_margin_m: float = float(_env("YANGPU_GIS_MARGIN_M", "3000"))

#: How far outside a *recorded* district outline (``yangpu-gis init --district-outline``) a
#: record may lie before a load is refused, in metres (``$YANGPU_GIS_OUTLINE_MARGIN_M``).
#: 100 m: wider than a boundary road or river with its kerbside facilities and than the
#: generalisation of the DataV outlines (their vertices lie within tens of metres of the
#: detailed boundary), narrower than a block of the neighbouring district. See
#: docs/district.md, "The outline margin".
district_outline_margin_m: float = float(_env("YANGPU_GIS_OUTLINE_MARGIN_M", "100"))

#: Maximum number of GCJ-02 / BD-09 inverse iterations; tolerance in degrees (~1 mm).
gcj_inverse_max_iter: int = 30
gcj_inverse_tol_deg: float = 1e-9

#: Refuse (instead of warn about) a file whose lon/lat match the registry's outlines or roads
#: markedly better after the GCJ-02 / BD-09 inverse (``$YANGPU_GIS_STRICT_CRS=1``; the CLI's
#: ``--strict-crs``). See :mod:`yangpu_gis.io.offset` for the statistic.
strict_crs: bool = _env("YANGPU_GIS_STRICT_CRS", "0").strip().lower() in ("1", "true", "yes", "on")

#: Encodings tried, in order, for DBF and CSV files without a declared encoding.
fallback_encodings: tuple[str, ...] = ("utf-8", "gb18030")

#: Tile URL for online maps; ``amap`` and a custom template are options of the map builders.
default_tiles: str = _env("YANGPU_GIS_TILES", "OpenStreetMap")

#: Clearance (m) around low-, medium- and sub-high-pressure gas mains: the outer edge of
#: their *safety control range* (安全控制范围, 0.7–6 m from the pipe wall) under the
#: 上海市燃气管道设施保护办法 (Shanghai Government Order No. 46, 2005, as amended). Works in
#: that range need the gas company's agreement and a protection plan, so a dig this close
#: must be flagged, not only one within the 1 m of other utilities.
gas_clearance_m: float = float(_env("YANGPU_GIS_GAS_CLEARANCE_M", "6.0"))
#: Clearance (m) around high- and ultra-high-pressure gas mains: the outer edge of their
#: safety control range (6–50 m) under the same order.
gas_high_pressure_clearance_m: float = float(
    _env("YANGPU_GIS_GAS_HIGH_PRESSURE_CLEARANCE_M", "50.0")
)

#: Largest total uncompressed size (MiB) of the members a zip may expand to when it is read
#: (``$YANGPU_GIS_ZIP_MAX_MB``); a larger archive is refused as a possible zip bomb. The
#: district's largest delivered shapefile expands to a few tens of MiB.
zip_max_mb: float = float(_env("YANGPU_GIS_ZIP_MAX_MB", "1024"))
#: Largest compression ratio (uncompressed / compressed) of the members read from a zip
#: (``$YANGPU_GIS_ZIP_MAX_RATIO``). Real shapefiles, GeoPackages and OSM files compress 2-12
#: times; deflate bombs reach ~1000. Applied once the members expand beyond 1 MiB.
zip_max_ratio: float = float(_env("YANGPU_GIS_ZIP_MAX_RATIO", "100"))

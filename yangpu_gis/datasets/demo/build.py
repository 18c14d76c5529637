"""The demo dataset end to end: :func:`generate` the layers, :func:`write_sources` the files.

:func:`generate` draws every layer from one ``numpy.random.Generator`` seeded once, in a fixed
order (the order below is part of the output: moving a step changes every later layer); the
water samples have their own stream. :func:`write_sources` writes the bureau files
(:mod:`.files`), the demo DEM (:mod:`.raster`) and ``manifest.toml`` for the batch loader.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ... import settings
from ...catalogue import CATALOGUE
from .areas import districts_layer, grid_cells_layer, subdistricts_layer
from .base import base_masks
from .blocks import beautiful_blocks_layer
from .complaints import complaints_layer
from .compounds import compounds_layer
from .files import (
    write_complaints_csv,
    write_geojson,
    write_parking_xlsx,
    write_roads_shapefile,
    write_vector,
    write_water_samples_xlsx,
    write_water_stations_geojson,
)
from .homes import elevators_layer, misconnections_layer, overhead_layer
from .parking import parking_layer
from .permits import permits_layer
from .pipelines import pipelines_layer
from .pois import Addresser, pois_layer
from .raster import road_pits, write_demo_dem
from .roads import (
    RoadLine,
    access_roads,
    branch_lines,
    major_lines,
    roads_layer,
    segment_roads,
    split_line,
)
from .water import rivers_layer, water_samples_table, water_stations_layer

#: Default number of pipeline segments (keeps data/demo under ~15 MB).
DEFAULT_PIPELINE_SEGMENTS = 30_000


def _conform(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Order columns as the catalogue does, catalogue order of layers, fresh index."""
    out = {}
    for name, layer in CATALOGUE.items():
        if name not in layers:  # a layer the district defined (registered in this process)
            continue
        gdf = layers[name]
        if not layer.has_geometry:  # an attribute table: a plain DataFrame
            out[name] = pd.DataFrame(gdf[layer.column_names].reset_index(drop=True))
            continue
        out[name] = gpd.GeoDataFrame(
            gdf[layer.column_names].reset_index(drop=True),
            geometry=gdf.geometry.reset_index(drop=True),
            crs=settings.working_crs,
        )
    return out


#: Layers the district defines (shipped definitions) that the demo holds.
DEFINED_LAYERS = ("sewer_misconnections", "elevator_installations", "overhead_lines")


def _conform_defined(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Layers of shipped definitions with the columns in their definition's order."""
    from ...layer_definitions import resolve_definition

    out = {}
    for name, gdf in layers.items():
        cols = resolve_definition(name).layer.column_names
        out[name] = gpd.GeoDataFrame(gdf[list(cols)].reset_index(drop=True),
                                     geometry=gdf.geometry.reset_index(drop=True),
                                     crs=settings.working_crs)
    return out


def generate(
    *, seed: int = 2021, pipeline_segments: int | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Generate the demo dataset of the whole district.

    Parameters
    ----------
    seed : int, default 2021
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.
    pipeline_segments : int, optional
        Number of pipeline segments (default :data:`DEFAULT_PIPELINE_SEGMENTS`). Benchmarks
        use 100 000. Runs shorter than the total allows still get one segment each, so very
        small values give one segment per (road segment, utility).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        One frame per catalogue layer, in catalogue order, in the working CRS
        (``settings.working_crs``, EPSG:4549), with exactly the catalogue's columns. Dates
        are ISO strings, datetimes ISO strings with ``+08:00``. A layer without geometry
        (``water_samples``) is a plain ``pandas.DataFrame``.

    Examples
    --------
    >>> layers = generate(seed=7)                                      # doctest: +SKIP
    >>> sorted(layers) == sorted(yangpu_gis.CATALOGUE)                 # doctest: +SKIP
    True
    """
    rng = np.random.default_rng(seed)
    base = base_masks()
    subs = subdistricts_layer(base)
    grid = grid_cells_layer(subs, rng)
    majors = major_lines(base)
    network = segment_roads(majors + branch_lines(base, majors, rng))
    compounds = compounds_layer(base, subs, network, rng)
    access = access_roads(compounds, network, base, rng)
    segs = network + [
        RoadLine(r.name, r.road_class, r.width, piece, r.ref)
        for r in access
        for piece in split_line(r.geom, np.empty(0), 100.0, 600.0)
    ]
    roads = roads_layer(segs, subs, rng)
    total = DEFAULT_PIPELINE_SEGMENTS if pipeline_segments is None else int(pipeline_segments)
    pipes, runs = pipelines_layer(roads, total, rng)
    address = Addresser(segs)
    pois = pois_layer(base, compounds, address, subs, rng)
    rivers = rivers_layer(base)
    stations = water_stations_layer(rivers)
    layers = {
        "districts": (districts := districts_layer(base)),
        "subdistricts": subs,
        "grid_cells": grid,
        "roads": roads,
        "pipelines": pipes,
        "rivers": rivers,
        "parking_facilities": parking_layer(base, roads, compounds, pois, address, rng),
        "beautiful_blocks": beautiful_blocks_layer(base, roads, rng),
        "residential_compounds": compounds,
        "pois": pois,
        "excavation_permits": (permits := permits_layer(roads, runs, rng)),
        "complaints": complaints_layer(roads, base, address, compounds, rng, permits=permits,
                                       pits=road_pits(districts, roads)),
        "water_stations": stations,
        "water_samples": water_samples_table(stations, seed),
    }
    out = _conform(layers)
    homes = np.random.default_rng([seed, 2])  # their own stream: the other layers stay
    out.update(_conform_defined({
        "sewer_misconnections": misconnections_layer(compounds, homes),
        "elevator_installations": elevators_layer(compounds, homes),
        "overhead_lines": overhead_layer(roads, np.random.default_rng([seed, 3]))}))
    for key in ("unlocated", "planted_causes"):
        out["complaints"].attrs[key] = layers["complaints"].attrs[key]
    return out


#: Manifest entries in load order (subdistricts first): layer, file, extra keys.
_MANIFEST: tuple[tuple[str, str, dict[str, str | bool]], ...] = (
    ("subdistricts", "subdistricts.geojson", {}),
    ("grid_cells", "grid_cells.geojson", {}),
    ("roads", "roads.shp", {"encoding": "GBK"}),
    ("pipelines", "pipelines.gpkg", {"source_layer": "pipe_network"}),
    ("rivers", "assets.gpkg", {"source_layer": "rivers"}),
    ("water_stations", "water_stations.geojson", {}),
    ("water_samples", "water_samples_2025.xlsx", {}),
    ("parking_facilities", "parking_facilities.xlsx", {"crs": "gcj02", "x": "经度", "y": "纬度"}),
    ("beautiful_blocks", "beautiful_blocks.geojson", {}),
    ("residential_compounds", "assets.gpkg", {"source_layer": "residential_compounds"}),
    ("pois", "assets.gpkg", {"source_layer": "pois"}),
    ("excavation_permits", "assets.gpkg", {"source_layer": "excavation_permits"}),
    (
        "complaints",
        "complaints_12345.csv",
        {"crs": "gcj02", "x": "lon", "y": "lat", "skip_unlocated": True},
    ),
    ("sewer_misconnections", "beautiful_homes.gpkg", {"source_layer": "sewer_misconnections"}),
    ("elevator_installations", "beautiful_homes.gpkg",
     {"source_layer": "elevator_installations"}),
    ("overhead_lines", "beautiful_homes.gpkg", {"source_layer": "overhead_lines"}),
)


def _manifest_text(entries: Iterable[tuple[str, str, dict[str, str | bool]]]) -> str:
    # The header names the generator's former module on purpose: the written files stay
    # byte-identical to the data/demo/ of the repository (regenerate both if it changes).
    lines = [
        "# Demo sources for Yangpu (杨浦区), written by yangpu_gis.demo_data.write_sources.",
        "# Load in this order with the registry's batch loader; paths are relative to this file.",
        "",
        "# layers the district defines (shipped definitions), added to the registry first",
        "definitions = [" + ", ".join(f'"{n}"' for n in DEFINED_LAYERS) + "]",
        "",
    ]
    for layer, file, extra in entries:
        lines += ["[[load]]", f'file = "{file}"', f'layer = "{layer}"', 'mode = "replace"']
        lines += [
            f"{k} = {str(v).lower()}" if isinstance(v, bool) else f'{k} = "{v}"'
            for k, v in extra.items()
        ]
        lines.append("")
    return "\n".join(lines)


def write_sources(layers: dict[str, gpd.GeoDataFrame], outdir: str | Path) -> Path:
    """Write the layers as the messy files bureaus send, plus ``manifest.toml``.

    Parameters
    ----------
    layers : dict of str to geopandas.GeoDataFrame
        Output of :func:`generate` (working CRS).
    outdir : str or pathlib.Path
        Directory to write to (created if needed; files of the same names are replaced).

    Returns
    -------
    pathlib.Path
        Path of ``manifest.toml``.

    Notes
    -----
    * ``roads.shp``: EPSG:4549 ``.prj``, DBF in GBK with Chinese field names, **no .cpg** and
      language driver id 0 (the encoding is undeclared, as in many bureau deliveries).
    * ``parking_facilities.xlsx``: GCJ-02 lon/lat in 经度/纬度 (polygon lots by centroid).
    * ``water_stations.geojson`` (WGS84) and ``water_samples_2025.xlsx`` (no coordinates):
      Chinese field names, 河流/湖泊 for the water body.
    * ``complaints_12345.csv``: UTF-8 with BOM, CRLF, GCJ-02 ``lon``/``lat``; orders known
      only by address have blank coordinates (the manifest entry sets ``skip_unlocated``).
    * GeoJSON files in WGS84; GeoPackages in EPSG:4549 (``pipelines.gpkg`` layer
      ``pipe_network``; ``assets.gpkg`` with rivers, compounds, POIs and permits).

    Timestamps inside files (GeoPackage ``last_change``, XLSX properties and zip entries, DBF
    header) are fixed to :data:`~yangpu_gis.datasets.demo.files.FILE_TIMESTAMP` so the output
    is reproducible.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    entries = list(_MANIFEST)
    if "districts" in layers:  # the district outline, if the catalogue has that layer
        entries.insert(1, ("districts", "districts.geojson", {}))
        write_geojson(layers["districts"], out / "districts.geojson")
    for name in ("subdistricts", "grid_cells", "beautiful_blocks"):
        write_geojson(layers[name], out / f"{name}.geojson")
    write_roads_shapefile(layers["roads"], out / "roads.shp")
    (out / "pipelines.gpkg").unlink(missing_ok=True)
    write_vector(layers["pipelines"], out / "pipelines.gpkg", driver="GPKG", layer="pipe_network")
    (out / "assets.gpkg").unlink(missing_ok=True)
    for name in ("rivers", "residential_compounds", "pois", "excavation_permits"):
        write_vector(
            layers[name], out / "assets.gpkg", driver="GPKG", layer=name, append=(name != "rivers")
        )
    write_water_stations_geojson(layers["water_stations"], out / "water_stations.geojson")
    write_water_samples_xlsx(layers["water_samples"], out / "water_samples_2025.xlsx")
    write_parking_xlsx(layers["parking_facilities"], out / "parking_facilities.xlsx")
    write_complaints_csv(layers["complaints"], out / "complaints_12345.csv")
    (out / "beautiful_homes.gpkg").unlink(missing_ok=True)
    for i, name in enumerate(DEFINED_LAYERS):
        write_vector(layers[name], out / "beautiful_homes.gpkg", driver="GPKG", layer=name,
                     append=i > 0)
    write_demo_dem(out / "dem.tif", layers=layers)  # elevation raster, loaded last
    entries.append(("dem", "dem.tif", {}))
    manifest = out / "manifest.toml"
    manifest.write_text(_manifest_text(entries), encoding="utf-8")
    return manifest

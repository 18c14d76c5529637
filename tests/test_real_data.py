"""Every real file in ../shared/data/real goes through the CLI into both backends.

Counts, attributes and geometry are compared with the source as read independently by
pyogrio/geopandas (filters applied in pandas, not by our loader); files that are not loadable
as a layer (tables without coordinates, other districts) must be refused with the reason.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import prcoords
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from yangpu_gis import open_registry
from yangpu_gis.cli import app

from .conftest import REPO, SHARED_REAL

pytestmark = pytest.mark.skipif(not SHARED_REAL.exists(), reason="shared real data not present")

OSM_GPKG = SHARED_REAL / "osm_derived" / "yangpu_nw_osm_layers.gpkg"
ROAD_MAP = REPO / "data" / "mappings" / "osm_roads.toml"
POI_MAP = REPO / "data" / "mappings" / "osm_pois.toml"
CARRIAGEWAYS = ("trunk", "trunk_link", "primary", "primary_link", "secondary", "tertiary",
                "residential", "living_street", "service")
ROAD_WHERE = ("highway IN ({}) AND name IS NOT NULL"
              .format(", ".join(f"'{h}'" for h in CARRIAGEWAYS)))
CLASS = {"trunk": "expressway", "trunk_link": "expressway", "primary": "arterial",
         "primary_link": "arterial", "secondary": "secondary", "tertiary": "branch",
         "residential": "branch", "living_street": "alley", "service": "internal"}

runner = CliRunner()


def cli(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def cli_refused(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2, result.output
    return json.loads(result.output)


def same_geometry(stored: gpd.GeoSeries, source: gpd.GeoSeries, tol_deg: float = 1e-8) -> bool:
    """Coordinates equal to ~1 mm after the round trip through EPSG:4549."""
    a = shapely.normalize(np.asarray(stored.values))
    b = shapely.normalize(np.asarray(source.values))
    return bool(shapely.equals_exact(a, b, tolerance=tol_deg).all())


def load_osm_roads(path, source_layer: str, registry_target: str):
    """Load the named carriageways of ``path`` as ``roads``: the CLI's answer, and the source
    rows it should have taken (filtered in pandas, by ``osm_id``)."""
    out = cli("load", str(path), "--source-layer", source_layer, "--layer", "roads", "-r",
              registry_target, "--map-file", str(ROAD_MAP), "--where", ROAD_WHERE)
    src = pyogrio.read_dataframe(path, layer=source_layer)
    src = src[src["highway"].isin(CARRIAGEWAYS) & src["name"].notna()].set_index("osm_id")
    return out, src


def test_osm_roads_from_geopackage(registry_target):
    out, src = load_osm_roads(OSM_GPKG, "roads", registry_target)
    assert out["rows_inserted"] == len(src) > 300
    got = open_registry(registry_target).read("roads", crs="EPSG:4326").set_index("road_id")
    assert set(got.index) == set(src.index)
    src = src.loc[got.index]
    assert (got["name"] == src["name"]).all()
    assert (got["road_class"] == src["highway"].map(CLASS)).all()
    assert same_geometry(got.geometry, src.geometry)
    named = set(got["name"])
    assert {"淞沪路", "政通路", "大学路", "赤峰路", "国权路"} <= named


@pytest.mark.parametrize("osm", ["osm_fudan_ds_project/Fudan.osm",
                                 "osm_tongji_raster_topology/tongji.osm"])
def test_raw_osm_files(registry_target, osm):
    out, src = load_osm_roads(SHARED_REAL / osm, "lines", registry_target)
    assert out["rows_inserted"] == len(src) > 20
    got = open_registry(registry_target).read("roads", crs="EPSG:4326").set_index("road_id")
    src = src.loc[got.index]
    assert (got["name"] == src["name"]).all()
    assert same_geometry(got.geometry, src.geometry)


def test_osm_waterways_and_water_areas_as_rivers(registry_target):
    cli("load", str(OSM_GPKG), "--source-layer", "waterways", "--layer", "rivers", "-r",
        registry_target, "--map", "osm_id=river_id", "--where", "name IS NOT NULL")
    out = cli("load", str(OSM_GPKG), "--source-layer", "water_areas", "--layer", "rivers", "-r",
              registry_target, "--map", "osm_way_id=river_id", "--where", "name IS NOT NULL")
    assert out["rows_inserted"] == 1
    lines = pyogrio.read_dataframe(OSM_GPKG, layer="waterways").dropna(subset=["name"])
    areas = pyogrio.read_dataframe(OSM_GPKG, layer="water_areas").dropna(subset=["name"])
    got = open_registry(registry_target).read("rivers", crs="EPSG:4326").set_index("river_id")
    assert len(got) == len(lines) + len(areas) == 6
    assert sorted(got["name"]) == sorted([*lines["name"], *areas["name"]])
    src = lines.set_index("osm_id").geometry
    assert same_geometry(got.geometry.loc[src.index], src)
    assert got.geometry.loc[areas["osm_way_id"].iloc[0]].geom_type == "MultiPolygon"


def test_osm_amenities_as_pois(registry_target):
    out = cli("load", str(OSM_GPKG), "--source-layer", "amenity_pois", "--layer", "pois", "-r",
              registry_target, "--map-file", str(POI_MAP),
              "--where", "osm_id IS NOT NULL AND name IS NOT NULL")
    src = pyogrio.read_dataframe(OSM_GPKG, layer="amenity_pois")
    src = src[src["osm_id"].notna() & src["name"].notna()].set_index("osm_id")
    assert out["rows_inserted"] == len(src)
    got = open_registry(registry_target).read("pois", crs="EPSG:4326").set_index("poi_id")
    src = src.loc[got.index]
    assert (got.loc[src["amenity"] == "hospital", "kind"] == "hospital").all()
    assert (got.loc[src["amenity"] == "university", "kind"] == "school").all()
    assert same_geometry(got.geometry, src.geometry)


def test_datav_outline_in_gcj02(registry_target):
    path = SHARED_REAL / "datav_geomapdata_cn" / "310110.json"
    cli("load", str(path), "--layer", "districts", "-r", registry_target, "--crs", "gcj02",
        "--map", "adcode=district_id")
    got = open_registry(registry_target).read("districts", crs="EPSG:4326")
    assert got["district_id"].tolist() == ["310110"] and got["name"].tolist() == ["杨浦区"]
    # independent inverse: the peer library's iterative GCJ-02 -> WGS84, vertex by vertex
    src = json.loads(path.read_text("utf-8"))["features"][0]["geometry"]
    ring = np.array(src["coordinates"][0][0])
    peer = np.array([(c.lon, c.lat) for c in (prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
                                               for lon, lat in ring)])
    ours = shapely.get_coordinates(got.geometry.iloc[0].geoms[0].exterior)
    assert np.abs(ours - peer).max() < 1e-6  # ~0.1 m


def test_all_shanghai_districts_are_refused_as_outside_yangpu(registry_target):
    path = SHARED_REAL / "datav_geomapdata_cn" / "310000.json"
    err = cli_refused("load", str(path), "--layer", "districts", "-r", registry_target,
                      "--crs", "gcj02", "--map", "adcode=district_id")
    src = gpd.read_file(path)
    from yangpu_gis.crs import gcj02_to_wgs84
    from yangpu_gis.io.extent import district_box

    b = src.geometry.bounds
    lon, lat = gcj02_to_wgs84(((b.minx + b.maxx) / 2).to_numpy(), ((b.miny + b.maxy) / 2).to_numpy())
    box = district_box()
    outside = ~((lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3]))
    assert err["problems"][0]["rows"] == (np.flatnonzero(outside) + 1).tolist()
    assert "outside Yangpu" in err["problems"][0]["message"]
    # (a refused first load creates no GeoPackage: read the missing file as empty)
    assert open_registry(registry_target, create=True).layers().set_index("layer").loc[
        "districts", "features"] == 0


def test_reference_tables_without_coordinates_are_refused(tmp_path):
    for csv in sorted((SHARED_REAL / "p06_yangpu_reference").glob("*.csv")):
        err = cli_refused("validate", str(csv), "--layer", "pois", "-r",
                          str(tmp_path / "r.gpkg"))
        assert "coordinate column" in err["message"]
        assert err["source"] == str(csv)


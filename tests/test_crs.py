"""GCJ-02 / BD-09 transforms against a peer library, the published figures and real data."""

from __future__ import annotations

import json
import math

import numpy as np
import prcoords
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from yangpu_gis.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    transform_geometries,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from yangpu_gis.errors import CRSError

from .conftest import SHARED_REAL

GEOD = Geod(ellps="WGS84")
lons = st.floats(121.45, 121.60, allow_nan=False)
lats = st.floats(31.22, 31.37, allow_nan=False)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@given(lons, lats)
@settings(max_examples=300, deadline=None)
def test_forward_gcj02_matches_prcoords(lon, lat):
    ours = wgs84_to_gcj02(lon, lat)
    peer = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    assert metres(ours[0], ours[1], peer.lon, peer.lat) < 1e-6


@given(lons, lats)
@settings(max_examples=300, deadline=None)
def test_forward_bd09_matches_prcoords(lon, lat):
    ours = gcj02_to_bd09(lon, lat)
    peer = prcoords.gcj_bd(prcoords.Coords(lat, lon))
    assert metres(ours[0], ours[1], peer.lon, peer.lat) < 1e-6


@given(lons, lats)
@settings(max_examples=300, deadline=None)
def test_inverses_better_than_5_cm_inside_yangpu(lon, lat):
    # requirement: iterative inverse accurate to better than 0.05 m inside Yangpu
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back) < 0.05
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *back) < 0.05
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert metres(lon, lat, *back) < 0.05


def test_inverse_is_far_better_than_one_naive_step():
    lon, lat = np.random.default_rng(1).uniform([121.49, 31.25], [121.57, 31.34], (2000, 2)).T
    glon, glat = wgs84_to_gcj02(lon, lat)
    naive = (2 * glon - wgs84_to_gcj02(glon, glat)[0], 2 * glat - wgs84_to_gcj02(glon, glat)[1])
    ours = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, *ours).max() < 0.001
    assert metres(lon, lat, *naive).max() > 100 * metres(lon, lat, *ours).max()


def test_offset_at_wujiaochang_matches_domain_figures():
    # DOMAIN.md: about +0.0044 deg lon, -0.0020 deg lat at 五角场
    lon, lat = 121.5112, 31.3021
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon - lon == pytest.approx(0.0044, abs=0.0002)
    assert glat - lat == pytest.approx(-0.0020, abs=0.0002)
    assert 300 < metres(lon, lat, glon, glat) < 700


def test_bd09_uses_x_pi_not_pi():
    # the copied-code bug (pi instead of pi*3000/180) is tens of metres off
    lon, lat = 121.52, 31.28
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * math.pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * math.pi)
    buggy = (z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006)
    ours = gcj02_to_bd09(lon, lat)
    assert metres(*ours, *buggy) > 1.0


def test_vectorised_equals_scalar():
    lon = np.array([121.50, 121.53, 121.56])
    lat = np.array([31.26, 31.30, 31.33])
    vec = wgs84_to_gcj02(lon, lat)
    for i in range(3):
        assert wgs84_to_gcj02(lon[i], lat[i]) == pytest.approx((vec[0][i], vec[1][i]), abs=1e-12)


def test_parse_crs():
    assert parse_crs("gcj02") == "gcj02"
    assert parse_crs("Amap") == "gcj02"
    assert parse_crs("BD09") == "bd09"
    assert parse_crs("4549").to_epsg() == 4549
    assert parse_crs("EPSG:4490").to_epsg() == 4490
    with pytest.raises(CRSError, match="unknown CRS"):
        parse_crs("EPSG:999999")


def test_transform_geometries_to_working_crs_keeps_shape():
    line = shapely.LineString([(121.50, 31.30), (121.51, 31.30)])
    from pyproj import CRS

    out = transform_geometries([line], CRS.from_epsg(4326), CRS.from_epsg(4549))[0]
    geodesic = metres(121.50, 31.30, 121.51, 31.30)
    # Gauss-Kruger scale at 121.5E is ~1.00025 (DOMAIN.md): 25 cm per km
    assert out.length == pytest.approx(geodesic * 1.00028, rel=2e-4)
    assert 600_000 < out.coords[0][0] < 700_000


def _boundary_vertices(path, name: str) -> np.ndarray:
    """Lon/lat of the nodes of the ways of OSM relation ``name`` present in an .osm file."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = {w.get("id"): [nd.get("ref") for nd in w.iter("nd")] for w in root.iter("way")}
    refs = set()
    for rel in root.iter("relation"):
        tags = {t.get("k"): t.get("v") for t in rel.iter("tag")}
        if tags.get("name") == name and tags.get("boundary") == "administrative":
            for m in rel.iter("member"):
                if m.get("type") == "way" and m.get("ref") in ways:
                    refs.update(ways[m.get("ref")])
    return np.array([nodes[r] for r in sorted(refs) if r in nodes]).reshape(-1, 2)


@pytest.mark.skipif(not (SHARED_REAL / "datav_geomapdata_cn" / "310110.json").exists(),
                    reason="shared real data not present")
def test_real_datav_outline_meets_osm_boundary_after_gcj_inverse():
    """DOMAIN.md real check: DataV (GCJ-02) outline vs OSM district boundary vertices."""
    data = json.loads((SHARED_REAL / "datav_geomapdata_cn" / "310110.json").read_text("utf-8"))
    outline = shapely.geometry.shape(data["features"][0]["geometry"])
    import pandas as pd

    pts = np.vstack([
        _boundary_vertices(SHARED_REAL / name, "杨浦区")
        for name in ("osm_fudan_ds_project/Fudan.osm", "osm_tongji_raster_topology/tongji.osm")
    ])
    assert len(pts) > 50  # SOURCES.md: 57 + 16 vertices of the relation are in the extracts

    def median_distance(geom) -> float:
        from pyproj import CRS

        g = transform_geometries([geom.boundary], CRS.from_epsg(4326), CRS.from_epsg(4549))[0]
        p = transform_geometries(shapely.points(pts), CRS.from_epsg(4326), CRS.from_epsg(4549))
        return float(pd.Series(shapely.distance(g, p)).median())

    before = median_distance(outline)
    after_geom = shapely.transform(outline, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    after = median_distance(after_geom)
    assert 300 < before < 600
    assert after < 5

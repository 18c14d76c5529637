"""The COPY geometry column (hex EWKB made without setting each geometry's SRID) is byte for
byte what GEOS writes for the geometries with their SRID set."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from yangpu_gis.registry.postgis import copy as postgis

coord = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)


@st.composite
def geometry(draw, depth: int = 0):
    z = draw(st.booleans())
    dims = 3 if z else 2

    def pts(k):
        return np.array(draw(st.lists(st.tuples(*[coord] * dims), min_size=k, max_size=k)))

    kind = draw(st.sampled_from(["point", "line", "polygon", "multipoint", "multiline",
                                 "multipolygon", "collection", "empty"]))
    if kind == "point":
        g = shapely.points(pts(1))[0]
    elif kind == "line":
        g = shapely.linestrings(pts(draw(st.integers(2, 6))))
    elif kind == "polygon":
        ring = pts(draw(st.integers(3, 6)))
        g = shapely.polygons(np.vstack([ring, ring[:1]]))
    elif kind == "multipoint":
        g = shapely.multipoints(pts(draw(st.integers(1, 4))))
    elif kind == "multiline":
        g = shapely.multilinestrings([shapely.linestrings(pts(2)) for _ in range(draw(st.integers(1, 3)))])
    elif kind == "multipolygon":
        ring = pts(3)
        g = shapely.multipolygons([shapely.polygons(np.vstack([ring, ring[:1]]))])
    elif kind == "collection" and depth < 2:
        g = shapely.geometrycollections(draw(st.lists(geometry(depth + 1), min_size=0, max_size=3)))
    else:
        g = shapely.from_wkt(draw(st.sampled_from(
            ["POINT EMPTY", "LINESTRING EMPTY", "POLYGON EMPTY", "MULTIPOLYGON EMPTY",
             "GEOMETRYCOLLECTION EMPTY"])))
    if draw(st.booleans()):  # an SRID already set is replaced
        g = shapely.set_srid(g, draw(st.sampled_from([4326, 4549, 3857])))
    return g


def split(data: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    raw = data.tobytes()
    return [raw[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


@settings(max_examples=300, deadline=None)
@given(geoms=st.lists(geometry(), max_size=30), srid=st.sampled_from([4549, 4326, 2385, 0]))
def test_ewkb_is_what_geos_writes_with_the_srid(geoms, srid):
    arr = np.array(geoms + [None], dtype=object)[:-1]  # a 1-d object array even when empty
    assert split(*postgis.ewkb(arr, srid)) == postgis.ewkb_slow(arr, srid)
    hexed = postgis.hex_ewkb(arr, srid).to_pylist()
    assert hexed == [w.hex() for w in postgis.ewkb_slow(arr, srid)]


def test_missing_geometry_raises_type_error():
    with pytest.raises(TypeError):
        postgis.hex_ewkb(np.array([shapely.Point(0, 0), None], dtype=object), 4549)


@st.composite
def simple_geometries(draw):
    """Arrays of one kind, as the layers store them: LineStrings or Points (2D, or some Z,
    some empty, some with an SRID set), which :func:`ewkb` writes from the coordinates."""
    kind = draw(st.sampled_from(["line", "point"]))
    out = []
    for _ in range(draw(st.integers(1, 25))):
        z = draw(st.integers(0, 9)) == 0
        dims = 3 if z else 2
        if draw(st.integers(0, 14)) == 0:
            g = shapely.from_wkt("LINESTRING EMPTY" if kind == "line" else "POINT EMPTY")
        else:
            k = draw(st.integers(2, 7)) if kind == "line" else 1
            xy = np.array(draw(st.lists(st.tuples(*[coord] * dims), min_size=k, max_size=k)))
            g = shapely.linestrings(xy) if kind == "line" else shapely.points(xy)[0]
        if draw(st.booleans()):
            g = shapely.set_srid(g, draw(st.sampled_from([4326, 4549])))
        out.append(g)
    return np.array(out + [None], dtype=object)[:-1]


@settings(max_examples=300, deadline=None)
@given(arr=simple_geometries(), srid=st.sampled_from([4549, 4326, 0]))
def test_lines_and_points_written_from_coordinates_are_what_geos_writes(arr, srid):
    assert split(*postgis.ewkb(arr, srid)) == postgis.ewkb_slow(arr, srid)


def test_plain_lines_take_the_coordinate_path():
    rng = np.random.default_rng(5)
    lines = shapely.linestrings(rng.uniform(0, 1e6, (300, 2)), indices=np.repeat(np.arange(100), 3))
    assert postgis._simple_ewkb(lines, 4549) is not None
    assert split(*postgis.ewkb(lines, 4549)) == postgis.ewkb_slow(lines, 4549)

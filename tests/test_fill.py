"""Priority-flood fill, untiled and tiled, against pysheds' ``Grid.fill_depressions``
(the oracle) on random DEMs with nodata holes, flats and ties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from yangpu_gis.analysis.fill import (
    combine_extents,
    edge_extents,
    priority_flood,
    raster_seeds,
    tiled_fill,
)


def pysheds_fill(dem: np.ndarray) -> np.ndarray:
    """pysheds called plainly, float64, NaN nodata (as the waterlogging analysis did)."""
    from pysheds.grid import Grid
    from pysheds.sview import Raster, ViewFinder

    if not hasattr(np, "in1d"):
        np.in1d = np.isin  # pysheds 0.5 with NumPy ≥ 2.4
    vf = ViewFinder(shape=dem.shape, nodata=np.nan)
    return np.asarray(Grid(viewfinder=vf).fill_depressions(
        Raster(dem.astype(np.float64), viewfinder=vf)), dtype=np.float64)


@st.composite
def dems(draw, max_side=14):
    h = draw(st.integers(2, max_side))
    w = draw(st.integers(2, max_side))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    if draw(st.booleans()):  # few levels: flats and ties everywhere
        z = draw(arrays(np.int8, (h, w), elements=st.integers(0, 4))).astype(dtype)
    else:
        z = draw(arrays(dtype, (h, w), elements=st.floats(-5, 5, width=32)))
    holes = draw(arrays(np.bool_, (h, w), elements=st.booleans() if draw(st.booleans())
                        else st.just(False)))
    sparse = draw(st.floats(0, 1))
    mask = holes & (np.arange(h * w).reshape(h, w) % 7 < 7 * sparse)
    z[mask] = np.nan
    return z


@settings(max_examples=300, deadline=None)
@given(dems())
def test_priority_flood_equals_pysheds(dem):
    got = priority_flood(dem)
    assert got.dtype == dem.dtype
    assert np.array_equal(got.astype(np.float64), pysheds_fill(dem), equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(dems(max_side=20), st.integers(2, 21))
def test_tiled_fill_equals_pysheds_for_any_tile_size(dem, tile):
    got = tiled_fill(dem, tile)
    assert got.dtype == dem.dtype
    assert np.array_equal(got.astype(np.float64), pysheds_fill(dem), equal_nan=True)


def test_depression_straddling_tile_corner_and_nodata_ring():
    """A bowl across four tiles spills over its rim; a nodata-ringed plateau (an island
    cut off from every outlet) keeps its pit, as pysheds leaves it."""
    dem = np.full((23, 29), 5.0)
    dem[3:14, 3:14] = 6.0
    dem[4:13, 4:13] = 1.0
    dem[8, 3] = 5.5  # the rim's lowest cell
    dem[15:22, 18:27] = np.nan
    dem[16:21, 19:26] = 3.0
    dem[18, 22] = 0.0
    ref = pysheds_fill(dem)
    assert ref[8, 8] == 5.5 and ref[18, 22] == 0.0
    for tile in (2, 3, 5, 8, 9, 16, 40):
        assert np.array_equal(tiled_fill(dem, tile), ref, equal_nan=True), tile


def test_seeds_from_tile_extents_equal_whole_raster():
    rng = np.random.default_rng(3)
    dem = rng.normal(size=(17, 23))
    dem[rng.random(dem.shape) < 0.5] = np.nan
    valid = ~np.isnan(dem)
    parts = [((r, c), edge_extents(valid[r:r + 5, c:c + 7]))
             for r in range(0, 17, 5) for c in range(0, 23, 7)]
    whole = edge_extents(valid)
    for a, b in zip(combine_extents(dem.shape, parts), whole, strict=True):
        assert np.array_equal(a, b)
    assert raster_seeds(dem).sum() > 0


def test_large_noisy_dem_tiled_equals_untiled_and_pysheds():
    rng = np.random.default_rng(7)
    dem = (np.add.outer(np.linspace(0, 3, 300), np.linspace(0, 2, 410))
           + rng.normal(0, 0.05, (300, 410))).astype(np.float32)
    dem[100:140, 200:260] = np.nan
    ref = pysheds_fill(dem)
    assert np.array_equal(priority_flood(dem), ref, equal_nan=True)
    for tile in (64, 97, 256):
        assert np.array_equal(tiled_fill(dem, tile), ref, equal_nan=True)


def test_tile_size_must_be_at_least_two():
    with pytest.raises(ValueError):
        tiled_fill(np.zeros((3, 3)), 1)

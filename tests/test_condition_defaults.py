"""The condition commands' option defaults are the topics' defaults objects (one place each)."""

from __future__ import annotations

import inspect

from yangpu_gis.analysis.road_condition import ROAD_CONDITION_DEFAULTS, TARGET_GOOD_RATE
from yangpu_gis.analysis.water_quality import WATER_QUALITY_DEFAULTS
from yangpu_gis.analysis.waterlogging import WATERLOGGING_DEFAULTS
from yangpu_gis.cli.analyze import condition
from yangpu_gis.runs.condition import run_road_condition, run_water_quality, run_waterlogging


def test_cli_option_defaults_equal_the_defaults_objects():
    assert condition.MIN_DEPTH_M == WATERLOGGING_DEFAULTS.min_depth_m == 0.05
    assert condition.MIN_AREA_M2 == WATERLOGGING_DEFAULTS.min_area_m2 == 0.0
    assert condition.TILE_ABOVE_CELLS == WATERLOGGING_DEFAULTS.tile_above_cells
    assert condition.TILE_SIZE == WATERLOGGING_DEFAULTS.tile_size
    assert condition.TARGET_CLASS == WATER_QUALITY_DEFAULTS.target_class == "III"
    assert condition.TARGET_RATE == ROAD_CONDITION_DEFAULTS.target_rate == TARGET_GOOD_RATE


def test_run_defaults_equal_the_defaults_objects():
    wl = inspect.signature(run_waterlogging).parameters
    assert wl["min_depth_m"].default == WATERLOGGING_DEFAULTS.min_depth_m
    wq = inspect.signature(run_water_quality).parameters
    assert wq["target_class"].default == WATER_QUALITY_DEFAULTS.target_class
    rc = inspect.signature(run_road_condition).parameters
    assert rc["target"].default == ROAD_CONDITION_DEFAULTS.target_rate


def test_the_entry_points_are_re_exported():
    import yangpu_gis

    for name in ("analyze_waterlogging", "analyze_water_quality", "analyze_road_condition"):
        assert callable(getattr(yangpu_gis, name))

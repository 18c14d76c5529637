"""``yangpu-gis analyze <topic>``: one command module per analysis topic.

Each command parses its options (defaults from the topic's defaults object), calls
``yangpu_gis.runs.run_<topic>`` and prints its summary. :data:`COMMANDS` (under
``analyze``) and :data:`TOP_LEVEL` (beside ``load``) are what :mod:`..app` binds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    causes,
    complaints,
    condition,
    coverage,
    excavation,
    homes,
    overhead,
    parking,
    pipelines,
)

__all__ = ["COMMANDS", "TOP_LEVEL"]

#: ``analyze <name>`` -> command function, in the order ``--help`` lists them.
COMMANDS: dict[str, Callable[..., Any]] = {
    "excavation": excavation.excavation,
    "parking": parking.parking,
    "coverage": coverage.coverage,
    "complaints": complaints.complaints,
    "causes": causes.causes,
    "pipelines": pipelines.pipelines,
    "homes": homes.homes,
    "overhead": overhead.overhead,
    "waterlogging": condition.waterlogging,
    "water-quality": condition.water_quality,
    "road-condition": condition.road_condition,
}
#: Topic commands beside ``load`` and ``map``.
TOP_LEVEL: dict[str, Callable[..., Any]] = {
    "check-permit": excavation.check_permit,
}

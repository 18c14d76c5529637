"""Runs: an analysis on a registry, end to end — read the layers, call the pure
``analyze_<topic>``, write every output through :func:`.writer.write_result`.

``run_<topic>(registry, out_dir, **params)`` is the one run path: the ``analyze`` commands,
``yangpu-gis demo`` and the notebooks all call it, so they cannot give different results.
"""

from __future__ import annotations

import importlib

__all__ = ["RUNS", "Run", "run_complaints", "run_coverage", "run_excavation", "run_parking",
           "run_road_condition", "run_water_quality", "run_waterlogging",
           "water_quality_needs_registry", "write_result"]

#: ``run_<topic>`` (and its helpers) -> module that defines it (imported on first use).
RUNS = {
    "run_complaints": "complaints",
    "run_coverage": "coverage",
    "run_excavation": "excavation",
    "run_parking": "parking",
    "run_road_condition": "condition",
    "run_water_quality": "condition",
    "run_waterlogging": "condition",
    "water_quality_needs_registry": "condition",
}


def __getattr__(name: str):
    if name in RUNS:
        return getattr(importlib.import_module(f".{RUNS[name]}", __name__), name)
    if name in ("Run", "write_result"):
        return getattr(importlib.import_module(".writer", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

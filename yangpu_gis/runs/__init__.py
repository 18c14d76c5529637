"""Runs: an analysis on a registry, end to end — read the layers, call the pure
``analyze_<topic>``, write every output through :func:`.writer.write_result`.

``run_<topic>(registry, out_dir, **params)`` is the one run path: the ``analyze`` commands,
``yangpu-gis demo`` and the notebooks all call it, so they cannot give different results.
"""

from __future__ import annotations

from ..lazy import lazy_exports

__all__ = ["RUNS", "Run", "run_causes", "run_complaints", "run_coverage", "run_excavation",
           "run_homes", "run_overhead", "run_parking", "run_pipelines", "run_road_condition", "run_water_quality",
           "run_waterlogging", "water_quality_needs_registry", "write_result"]

#: ``run_<topic>`` (and its helpers) -> module that defines it (imported on first use).
RUNS = {
    "run_causes": "causes",
    "run_complaints": "complaints",
    "run_coverage": "coverage",
    "run_excavation": "excavation",
    "run_homes": "homes",
    "run_overhead": "overhead",
    "run_parking": "parking",
    "run_pipelines": "pipelines",
    "run_road_condition": "condition",
    "run_water_quality": "condition",
    "run_waterlogging": "condition",
    "water_quality_needs_registry": "condition",
}


__getattr__, __dir__ = lazy_exports(__name__, {**RUNS, "Run": "writer", "write_result": "writer"})

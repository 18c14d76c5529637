"""Pipeline renewal priorities (排查更新老旧燃气管道): which segments to renew first.

:func:`analyze_pipelines` scores every segment of the ``pipelines`` layer from its age,
material, pressure, diameter, third-party damage exposure, complaints pointing at it and
what is at stake nearby (:mod:`.defaults` gives the model and the source of every figure;
:mod:`.tables` the override file), ranks them, totals them per utility and subdistrict,
and gives the plan's gas safety view: cast-iron gas mains within reach of schools and
hospitals first. :func:`yangpu_gis.runs.run_pipelines` reads a registry and writes the
outputs; ``yangpu-gis analyze pipelines`` calls it.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["CAST_IRON", "FACTORS", "PIPELINES_DEFAULTS", "PipelinesDefaults",
           "PipelinesResult", "RenewalTables", "analyze_pipelines", "load_renewal_tables",
           "near_counts"]

_WHERE = {
    "FACTORS": "defaults", "PIPELINES_DEFAULTS": "defaults", "PipelinesDefaults": "defaults",
    "RenewalTables": "tables", "load_renewal_tables": "tables",
    "CAST_IRON": "analyze", "PipelinesResult": "analyze", "analyze_pipelines": "analyze",
    "near_counts": "analyze",
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

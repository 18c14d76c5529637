"""美丽家园 progress: compounds renovated, rain–sewage misconnections fixed, elevators added.

:func:`analyze_homes` counts what the registry shows for a plan period against the target
table (:data:`HOMES_TARGETS`: the 十三五 figures, which the 十四五 must at least match), per
year and per subdistrict, and what is left. Pure function; :func:`yangpu_gis.runs.run_homes`
reads the registry (``residential_compounds``, and the district-defined
``sewer_misconnections`` and ``elevator_installations`` when it has them) and writes the
outputs; ``yangpu-gis analyze homes`` calls it.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["HOMES_DEFAULTS", "HOMES_TARGETS", "HomesDefaults", "HomesResult", "analyze_homes",
           "load_homes_targets"]

_WHERE = {"HOMES_DEFAULTS": "defaults", "HOMES_TARGETS": "defaults",
          "HomesDefaults": "defaults", "load_homes_targets": "defaults",
          "HomesResult": "analyze", "analyze_homes": "analyze"}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

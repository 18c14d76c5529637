"""Root causes of 12345 work orders: which works, depressions and bad roads explain them.

The plan asks to "找到问题根源和症结": not only where calls come from, but why.
:func:`analyze_causes` links each work order of a category with a rule (掘路施工, 噪声,
扬尘, 井盖缺失 → excavation permits; 积水 → DEM depressions; 道路破损 → roads below good
grade, then works) to the nearest cause that fits in space and time, and counts what each
permit, applicant, road and depression explains, and the share of each category explained
per subdistrict. The rules (:mod:`.rules`) and thresholds (:mod:`.defaults`) are documented
defaults, overridable. Pure functions; :func:`yangpu_gis.runs.run_causes` reads a registry
(depressions from its DEM) and writes the outputs; ``yangpu-gis analyze causes`` calls it.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["CAUSES_DEFAULTS", "CAUSE_KINDS", "DEFAULT_CAUSE_RULES",
           "CausesDefaults", "CausesResult", "analyze_causes", "candidates_near",
           "check_rules", "load_cause_rules", "pick_causes"]

_WHERE = {
    "CAUSES_DEFAULTS": "defaults", "CAUSE_KINDS": "defaults", "CausesDefaults": "defaults",
    "DEFAULT_CAUSE_RULES": "rules", "check_rules": "rules", "load_cause_rules": "rules",
    "CausesResult": "analyze", "analyze_causes": "analyze",
    "candidates_near": "link", "pick_causes": "link",
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

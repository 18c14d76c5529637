"""The defaults of the root-cause analysis, each with its unit and source (one place each).

:data:`CAUSES_DEFAULTS` is what :func:`~yangpu_gis.analysis.causes.analyze_causes`,
:func:`~yangpu_gis.runs.run_causes` and ``yangpu-gis analyze causes`` use unless told
otherwise; ``parameters.csv`` lists each value used with the unit and source written here.
The distances and margins are ours (judgements, not a standard): check them against the
district's own case reviews before official reporting.

This module imports nothing heavy: the command line reads its option defaults here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..defaults import TopicDefaults

__all__ = ["CAUSES_DEFAULTS", "CAUSE_KINDS", "CausesDefaults"]

_OURS = "ours, not from a standard"

#: What a work order can be linked to, and the registry data each kind comes from.
CAUSE_KINDS: dict[str, str] = {
    "permit": "excavation_permits (掘路许可): the footprint and planned dates",
    "depression": "depressions of the DEM (the waterlogging analysis's fill)",
    "road": "roads whose PCI grade is below good (中 or 差)",
}


@dataclass(frozen=True)
class CausesDefaults(TopicDefaults):
    """Every threshold of the root-cause linkage, with its unit and source.

    Override with :func:`dataclasses.replace` or the keyword arguments of
    :func:`~yangpu_gis.analysis.causes.analyze_causes`.
    """

    #: A works complaint links to a permit whose footprint is this close ...
    permit_distance_m: float = field(default=50.0, metadata={
        "unit": "m", "source": f"{_OURS}: the hoarding, the lane beside it and the facades "
        "facing the works, from where noise and dust complaints come"})
    #: ... and received between the permit's planned start and end, widened by this margin.
    permit_margin_days: int = field(default=3, metadata={
        "unit": "days", "source": f"{_OURS}: works start a little early or late, and "
        "reinstatement follows the planned end by a few days"})
    #: A 积水 order links to a depression it lies in or this close to.
    depression_distance_m: float = field(default=20.0, metadata={
        "unit": "m", "source": f"{_OURS}: two cells of the 10 m demo DEM; water spreads "
        "past the filled outline onto the kerb"})
    #: A 道路破损 order links to a road below good grade this close.
    road_distance_m: float = field(default=15.0, metadata={
        "unit": "m", "source": f"{_OURS}: half a four-lane road plus the map picker's error"})
    #: Fill depth above which a DEM cell is in a depression (as the waterlogging analysis).
    min_depth_m: float = field(default=0.05, metadata={
        "unit": "m", "source": "the waterlogging analysis's default"})


#: The defaults used unless a function is given others.
CAUSES_DEFAULTS = CausesDefaults()

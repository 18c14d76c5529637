"""The parking model's defaults and rules: ratios, catchment, periods, who serves whom.

This module imports nothing heavy: the command line reads its option defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from ..defaults import TopicDefaults

__all__ = [
    "CANDIDATE_KINDS",
    "OFFPEAK",
    "PARKING_DEFAULTS",
    "PERIODS",
    "SERVICE_RULES",
    "WHAT_IF_TOP_N",
    "Decay",
    "ParkingDefaults",
    "Period",
    "with_defaults",
]

PERIODS: tuple[str, str] = ("day", "night")
Period = Literal["day", "night"]
Decay = Literal["none", "gaussian"]

_STD = "DG/TJ 08-7-2021 (OCR'd copy; verify against the standard)"
_ASSUMED = "modelling assumption, not from the standard; set from a survey"


@dataclass(frozen=True)
class ParkingDefaults(TopicDefaults):
    """Every ratio and parameter of the parking model, with its source.

    Override with :func:`dataclasses.replace`, e.g.
    ``replace(PARKING_DEFAULTS, spaces_per_household=1.2)``; :meth:`table` lists them.
    Figures marked DG/TJ 08-7-2021 come from an OCR'd copy of the standard (see
    ``DOMAIN.md``): verify them against the standard before relying on a result.
    """

    #: Spaces per household (standard: 1.0–1.6 by unit size and zone; the low end fits the
    #: old inner-city housing of Yangpu).
    spaces_per_household: float = field(default=1.0, metadata={
        "unit": "spaces/household", "source": f"{_STD}: housing 1.0–1.6 per household"})
    #: Office spaces per 100 m² floor area (standard 0.7–1.0).
    office_per_100m2: float = field(default=0.8, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: offices 0.7–1.0 per 100 m²"})
    #: Retail/commercial spaces per 100 m² (standard 0.5–1.0).
    commercial_per_100m2: float = field(default=0.6, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: retail 0.5–1.0 per 100 m²"})
    #: Hospital spaces per 100 m² floor area (standard about 1.0–1.5).
    hospital_per_100m2: float = field(default=1.2, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: hospitals about 1.0–1.5 per 100 m²"})
    #: Hospital spaces per bed, used only when ``floor_area_m2`` is missing.
    hospital_per_bed: float = field(default=0.5, metadata={
        "unit": "spaces/bed", "source": _ASSUMED})
    #: School spaces per staff member (standard: at least 50 % of staff).
    school_per_staff: float = field(default=0.5, metadata={
        "unit": "spaces/staff", "source": f"{_STD}: schools ≥ 50 % of staff"})
    #: School pick-up/drop-off bays per 100 students (the standard asks for bays; the OCR'd
    #: copy gives no figure, so none by default).
    school_per_100_students: float = field(default=0.0, metadata={
        "unit": "bays/100 students", "source": f"{_STD}: pick-up bays required, no figure read"})
    #: Share of residents' cars parked at home by day.
    resident_day_share: float = field(default=0.5, metadata={
        "unit": "share", "source": _ASSUMED})
    #: Share of office/commercial/hospital/school demand present at night.
    nonresident_night_share: float = field(default=0.0, metadata={
        "unit": "share", "source": _ASSUMED})
    #: Walking catchment of the 2SFCA.
    catchment_m: float = field(default=500.0, metadata={
        "unit": "m", "source": "issue 5: 500 m walk (about 6–7 minutes)"})
    #: A garage serves its own building/compound when within this distance of it.
    own_match_m: float = field(default=100.0, metadata={"unit": "m", "source": _ASSUMED})
    #: Walking graph: join dead ends to a road this close (centre-line gaps at kerbs).
    connect_dangling_m: float = field(default=50.0, metadata={
        "unit": "m", "source": "data repair for centre-line road data (see network.walking_graph)"})
    #: Walking graph: line ends closer than this are one node.
    snap_tolerance_m: float = field(default=1.0, metadata={"unit": "m", "source": "data repair"})

#: The defaults used unless a function is given others.
PARKING_DEFAULTS = ParkingDefaults()

#: Which facilities serve whom: kind -> period -> ``public`` (everyone) or ``own``.
SERVICE_RULES: dict[str, dict[str, str]] = {
    "public": {"day": "public", "night": "public"},
    "on_street": {"day": "public", "night": "public"},
    "commercial": {"day": "public", "night": "own"},
    "office": {"day": "own", "night": "own"},
    "hospital": {"day": "own", "night": "own"},
    "school": {"day": "own", "night": "own"},
    "residential": {"day": "own", "night": "own"},
}
#: The off-peak period in which a ``shared_offpeak`` facility serves everyone.
OFFPEAK: dict[str, str] = {"residential": "day"}
#: How many of the best candidates the what-if opens at night.
WHAT_IF_TOP_N = 10
#: Kinds whose garages may be opened at night (错峰共享 candidates).
CANDIDATE_KINDS: tuple[str, ...] = ("office", "commercial", "school", "hospital")


def with_defaults(**overrides: float) -> ParkingDefaults:
    """:data:`PARKING_DEFAULTS` with some values replaced (``with_defaults(spaces_per_household=1.2)``)."""
    return replace(PARKING_DEFAULTS, **overrides)

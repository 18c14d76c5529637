"""Defaults of the coverage analyses (one place per default) and the names they use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..defaults import TopicDefaults
from ..parking import PARKING_DEFAULTS

__all__ = [
    "COVERAGE_DEFAULTS",
    "INTERNAL_CLASS",
    "PRESETS",
    "PUBLIC_PARKING_KINDS",
    "RANKED_CLASSES",
    "STREET_CLASSES",
    "CoverageDefaults",
    "Distance",
]

Distance = Literal["euclidean", "network"]

Distance = Literal["euclidean", "network"]
_ASSUMED = "planning assumption; override per report"


@dataclass(frozen=True)
class CoverageDefaults(TopicDefaults):
    """Documented, overridable defaults of the coverage reports (metres, square metres)."""

    #: 美丽街区 along streets: a street is covered inside a block or within this distance.
    beautiful_buffer_m: float = field(
        default=20.0,
        metadata={
            "unit": "m",
            "source": "issue 6: within a beautiful-block polygon or within 20 m of one",
        },
    )
    #: Parking reach: walking distance from a compound to a public or shared facility.
    parking_service_m: float = field(
        default=300.0, metadata={"unit": "m", "source": "issue 6: 300 m walking distance"}
    )
    #: River monitoring: a river stretch farther than this from every station is a gap.
    river_service_m: float = field(default=1000.0, metadata={"unit": "m", "source": _ASSUMED})
    #: Grid completeness: gaps and overlaps smaller than this are digitising noise.
    min_area_m2: float = field(
        default=1.0, metadata={"unit": "m2", "source": "data tolerance (slivers of shared edges)"}
    )
    #: 三不管 roads: a road counts as in a subdistrict when at least this much of it is.
    min_part_m: float = field(
        default=5.0,
        metadata={"unit": "m", "source": "data tolerance (a road end drawn across a boundary)"},
    )
    #: Walking graph: join dead ends to a road this close (the parking analysis's value).
    connect_dangling_m: float = field(
        default=PARKING_DEFAULTS.connect_dangling_m,
        metadata={
            "unit": "m",
            "source": "data repair for centre-line roads (network.walking_graph); "
            "ParkingDefaults.connect_dangling_m",
        },
    )
    #: A line target lies on the network where it is within this distance of an edge.
    on_network_m: float = field(default=1.0, metadata={"unit": "m", "source": "data tolerance"})
    #: Segments per quarter circle of straight-line service areas.
    quad_segs: int = field(
        default=16, metadata={"unit": "count", "source": "accuracy: a 300 m circle within 0.4 m"}
    )
    #: Demo only: spacing of synthetic water-quality stations along rivers.
    station_spacing_m: float = field(
        default=1500.0, metadata={"unit": "m", "source": "demo: synthetic stations, not real data"}
    )

#: The defaults used unless a function is given others.
COVERAGE_DEFAULTS = CoverageDefaults()

#: Street classes of the 美丽街区 report (compound-internal roads are not streets).
STREET_CLASSES: tuple[str, ...] = ("expressway", "arterial", "secondary", "branch", "alley")
#: ``road_class`` of compound-internal roads (小区内部道路): not streets, not 三不管 roads.
INTERNAL_CLASS = "internal"
#: Classes whose uncovered stretches the 美丽街区 report ranks.
RANKED_CLASSES: tuple[str, ...] = ("arterial", "secondary")
#: Parking kinds open to everyone; any facility with ``shared_offpeak`` counts as well.
PUBLIC_PARKING_KINDS: tuple[str, ...] = ("public",)

#: The district reports by name (CLI ``--preset``).
PRESETS: tuple[str, ...] = (
    "beautiful-streets",
    "parking-reach",
    "grid-completeness",
    "river-monitoring",
)

"""The targets and defaults of the 美丽家园 progress (light: the command line reads them).

The 13th five-year plan renovated 132 compounds (4.57 M m²), fixed 176 rain–sewage
misconnection points in compounds and completed 26 added elevators (21 under way); the
14th asks for no less ("推进实施规模不小于'十三五'"): :data:`HOMES_TARGETS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

from ...errors import ValidationError
from ..defaults import TopicDefaults

__all__ = ["HOMES_DEFAULTS", "HOMES_TARGETS", "HomesDefaults", "load_homes_targets"]


#: Target item -> (label, 13th plan achieved, 14th plan target).
HOMES_TARGETS: Mapping[str, tuple[str, float, float]] = {
    "compounds": ("美丽家园改造小区（个）", 132, 132),
    "floor_area_m2": ("改造建筑面积（m²）", 4_570_000, 4_570_000),
    "misconnections_fixed": ("小区雨污混接改造点位（个）", 176, 176),
    "elevators_completed": ("加装电梯竣工（台）", 26, 26),
}

@dataclass(frozen=True)
class HomesDefaults(TopicDefaults):
    """The plan period and the floor-area estimate of the 美丽家园 progress."""

    #: First and last year of the plan period.
    first_year: int = field(default=2021, metadata={"unit": "year",
                                                    "source": "十四五: 2021–2025"})
    last_year: int = field(default=2025, metadata={"unit": "year", "source": "十四五: 2021–2025"})
    #: Floor area per household where a compound has no ``floor_area_m2``.
    floor_area_per_household_m2: float = field(default=70.0, metadata={
        "unit": "m²", "source": "assumption (ours): a flat of an older Shanghai compound"})


HOMES_DEFAULTS = HomesDefaults()


def load_homes_targets(path: str | PathLike[str]) -> dict[str, float]:
    """The 14th-plan targets, with a TOML file's ``[targets]`` replacing some of them::

        [targets]
        compounds = 150
        elevators_completed = 60

    Raises
    ------
    ValidationError
        Broken TOML, no ``[targets]`` table, unknown items, values that are not numbers >= 0.
    """
    from ..inputs import read_toml  # pandas and geopandas: only when a file is read

    data = read_toml(path, "compounds = 150")
    table = data.get("targets")
    if not isinstance(table, dict):
        raise ValidationError("no [targets] table", source=str(path),
                              hint="[targets]\ncompounds = 150")
    out = {k: v[2] for k, v in HOMES_TARGETS.items()}
    for key, value in table.items():
        if key not in HOMES_TARGETS:
            raise ValidationError(f"unknown target {key!r}", source=str(path),
                                  hint="targets: " + ", ".join(HOMES_TARGETS))
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValidationError(f"target {key!r} = {value!r} is not a number >= 0",
                                  source=str(path))
        out[key] = float(value)
    return out



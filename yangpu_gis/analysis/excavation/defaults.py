"""Every default of the excavation analyses, in one place, with its unit and source.

:data:`EXCAVATION_DEFAULTS` is read by the analysis functions, by
:func:`yangpu_gis.runs.excavation.run_excavation` and by the ``analyze excavation`` /
``check-permit`` options, so a default is changed here and nowhere else. The gas clearances
are not fixed here: they live in :mod:`yangpu_gis.settings` (overridable by environment
variables) and are read at each call (:func:`gas_clearances`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ... import settings
from ..defaults import TopicDefaults

__all__ = ["DEFAULT_ROAD_WIDTH_M", "EXCAVATION_DEFAULTS", "EXCLUDED_STATUS",
           "FALLBACK_ROAD_WIDTH_M", "ExcavationDefaults", "gas_clearances"]

#: Road widths (m) assumed for a road whose ``width_m`` is missing, by ``road_class``. They
#: are typical red-line-to-kerb widths of Shanghai streets of each class, an assumption of
#: this package rather than a figure from a standard: load ``width_m`` to override them.
DEFAULT_ROAD_WIDTH_M: dict[str, float] = {
    "expressway": 30.0,
    "arterial": 30.0,
    "secondary": 20.0,
    "branch": 12.0,
    "alley": 5.0,
    "internal": 5.0,
}
#: Width (m) for a road whose class is not in :data:`DEFAULT_ROAD_WIDTH_M` either.
FALLBACK_ROAD_WIDTH_M = 8.0

#: Permit statuses the excavation analyses leave out by default: a revoked, cancelled or
#: withdrawn permit digs nothing (compared without case and surrounding blanks).
EXCLUDED_STATUS: tuple[str, ...] = ("已撤销", "撤销", "作废", "cancelled", "revoked", "withdrawn")

_ART33 = "城市道路管理条例 (Urban Road Management Regulations) Art. 33"
_GAS = "上海市燃气管道设施保护办法: safety control range"


@dataclass(frozen=True)
class ExcavationDefaults(TopicDefaults):
    """The thresholds of the excavation analyses, with their units and sources.

    Override one with :func:`dataclasses.replace` or by passing the keyword to the function;
    :meth:`table` lists them.
    """

    #: Largest gap between two footprints for them to be "the same stretch of road".
    distance_m: float = field(default=0.0, metadata={
        "unit": "m", "source": "issue: the same stretch of road (touching or overlapping)"})
    #: Longest wait from the end of one dig to the start of the next for a repeat (反复掘路).
    repeat_days: int = field(default=365, metadata={
        "unit": "days", "source": "one year: the usual reinstatement guarantee period"})
    #: Moratorium after a new, extended or reconstructed road opens.
    new_road_years: int = field(default=5, metadata={"unit": "years", "source": _ART33})
    #: Moratorium after a major repair.
    major_repair_years: int = field(default=3, metadata={"unit": "years", "source": _ART33})
    #: Clearance of every utility but gas, from the pipe's centre line.
    clearance_m: float = field(default=1.0, metadata={
        "unit": "m", "source": "issue: a trench this close exposes the pipe"})
    #: Clearance of gas mains; None: ``settings.gas_clearance_m`` (6.0) read at call time.
    gas_clearance_m: float | None = field(default=None, metadata={
        "unit": "m", "source": f"{_GAS} of low/medium/sub-high-pressure mains "
        "(settings.gas_clearance_m)"})
    #: Clearance of high-pressure gas mains; None: ``settings.gas_high_pressure_clearance_m``.
    gas_high_pressure_clearance_m: float | None = field(default=None, metadata={
        "unit": "m", "source": f"{_GAS} of high-pressure mains "
        "(settings.gas_high_pressure_clearance_m)"})
    #: Permit statuses left out (they dig nothing).
    exclude_status: tuple[str, ...] = field(default=EXCLUDED_STATUS, metadata={
        "unit": "", "source": "revoked, cancelled or withdrawn permits dig nothing"})

    def values(self) -> dict[str, Any]:
        """Parameter name -> value, the gas clearances read from the settings now."""
        gas, high = gas_clearances(self.gas_clearance_m, self.gas_high_pressure_clearance_m)
        return {**super().values(), "gas_clearance_m": gas, "gas_high_pressure_clearance_m": high}


EXCAVATION_DEFAULTS = ExcavationDefaults()


def gas_clearances(
    gas_clearance_m: float | None = None, gas_high_pressure_clearance_m: float | None = None
) -> tuple[float, float]:
    """The gas clearances (m) to use: those given, else ``settings``' values read now.

    ``settings.gas_clearance_m`` and ``settings.gas_high_pressure_clearance_m`` (defined
    there with their source) are read at each call, not when a module is imported, so a
    changed setting takes effect at once.
    """
    return (
        settings.gas_clearance_m if gas_clearance_m is None else gas_clearance_m,
        settings.gas_high_pressure_clearance_m
        if gas_high_pressure_clearance_m is None
        else gas_high_pressure_clearance_m,
    )

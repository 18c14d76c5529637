"""The defaults of the complaints analysis, each with its unit and source (one place per default).

:data:`COMPLAINTS_DEFAULTS` is what :func:`~yangpu_gis.analysis.complaints.analyze_complaints`,
:func:`~yangpu_gis.runs.run_complaints` and the options of ``yangpu-gis analyze complaints``
use unless told otherwise; ``parameters.csv`` gives each value used with the unit and source
written here. The figures are ours, not from a standard (see each field's ``source``).

This module imports nothing heavy: the command line reads its option defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..defaults import TopicDefaults

__all__ = ["COMPLAINTS_DEFAULTS", "PARAMETER_FIELDS", "ComplaintsDefaults"]

_OURS = "ours, not from a standard"


@dataclass(frozen=True)
class ComplaintsDefaults(TopicDefaults):
    """Every threshold of the complaints pipeline, with its unit and source.

    Override with :func:`dataclasses.replace`, e.g.
    ``replace(COMPLAINTS_DEFAULTS, distance_m=80.0)``, or pass the keyword arguments of
    :func:`~yangpu_gis.analysis.complaints.analyze_complaints`.
    """

    #: Duplicate work orders: same category within this distance of another ...
    distance_m: float = field(default=50.0, metadata={
        "unit": "m", "source": "issue 10: the same pothole or stall reported along one block"})
    #: ... and within this many hours of it.
    hours: float = field(default=72.0, metadata={
        "unit": "h", "source": "issue 10: the same problem reported within three days"})
    #: A case this close to a subdistrict border is dispatched by hand (0 disables).
    boundary_tolerance_m: float = field(default=15.0, metadata={
        "unit": "m", "source": f"{_OURS}: half a two-lane road"})
    #: Hot-spot and recurrence units: ``grid`` (the registry's grid cells) or ``hex``.
    cells: str = field(default="grid", metadata={
        "unit": "", "source": "the registry's grid cells; hexagons when it has none"})
    #: Hexagon size (centre to vertex) of :func:`~yangpu_gis.analysis.complaints.hex_grid`.
    hex_size_m: float = field(default=250.0, metadata={
        "unit": "m", "source": f"{_OURS}: a cell of about 0.16 km², a few blocks"})
    #: Conditional permutations of the Gi* test. Not PySAL's usual 999: the smallest pseudo
    #: p-value is 1/(permutations+1), and the Benjamini–Hochberg cut for the most significant
    #: of n cells is α/n (0.05/416 = 1.2e-4 for the demo's grid cells), which 999
    #: permutations can never reach.
    permutations: int = field(default=9999, metadata={
        "unit": "permutations",
        "source": f"{_OURS}: 999 cannot reach the FDR cut α/n for a few hundred cells"})
    #: Seed of the permutations (reproducible output).
    seed: int = field(default=2021, metadata={
        "unit": "", "source": "fixed, for reproducible output"})
    #: False-discovery rate of the hot-spot test (Benjamini–Hochberg, per category).
    alpha: float = field(default=0.05, metadata={
        "unit": "FDR", "source": "conventional significance level"})
    #: Recurring spot: cases in at least this many calendar months ...
    min_months: int = field(default=3, metadata={
        "unit": "months", "source": f"{_OURS}: 3 of the last 6 months"})
    #: ... of this many last months.
    last_months: int = field(default=6, metadata={
        "unit": "months", "source": f"{_OURS}: half a year"})
    #: Gaussian kernel standard deviation of the density.
    bandwidth_m: float = field(default=150.0, metadata={
        "unit": "m", "source": f"{_OURS}: one or two street blocks"})
    #: Cell size of the density raster.
    cell_size_m: float = field(default=25.0, metadata={
        "unit": "m", "source": f"{_OURS}: a sixth of the bandwidth"})

    def metadata(self, parameter: str) -> dict[str, str]:
        """``unit`` and ``source`` of a ``parameters.csv`` row (empty for e.g. ``crs``)."""
        name = PARAMETER_FIELDS.get(parameter, parameter)
        meta = {f.name: f.metadata for f in fields(self)}.get(name, {})
        return {"unit": meta.get("unit", ""), "source": meta.get("source", "")}

#: ``parameters.csv`` name -> field of :class:`ComplaintsDefaults` where they differ.
PARAMETER_FIELDS = {
    "fdr_alpha": "alpha",
    "recurring_min_months": "min_months",
    "recurring_last_months": "last_months",
    "kde_bandwidth_m": "bandwidth_m",
    "kde_cell_size_m": "cell_size_m",
}

#: The defaults used unless a function is given others.
COMPLAINTS_DEFAULTS = ComplaintsDefaults()

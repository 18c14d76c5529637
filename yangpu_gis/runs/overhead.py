"""Run the 架空线入地 progress on a registry: read, analyse, write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..catalogue import CATALOGUE
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_overhead"]


def run_overhead(registry, out_dir: str | Path | None = None, *, year: int | None = None,
                 write_map: bool = True, offline: bool = True,
                 map_name: str = "overhead_map.html") -> Run:
    """架空线入地 progress of the registry's ``overhead_lines``.

    Parameters
    ----------
    registry : Registry
    out_dir : path, optional
        Output folder [default ``overhead_out``].
    year : int, optional
        The current year (lines planned before it and not done are overdue); default the
        year of the newest ``buried_date``, else this year.
    write_map, offline : bool

    Returns
    -------
    Run

    Raises
    ------
    ValidationError
        A registry without the ``overhead_lines`` layer, or with no lines.
    """
    import pandas as pd

    from ..analysis.overhead.analyze import analyze_overhead

    if "overhead_lines" not in CATALOGUE:
        raise ValidationError("the registry has no overhead_lines layer",
                              hint="add it (yangpu-gis catalogue add overhead_lines) and load "
                              "the lines (yangpu-gis load FILE --layer overhead_lines)")
    lines = registry.read("overhead_lines")
    if lines.empty:
        raise ValidationError("the registry holds no overhead_lines",
                              hint="yangpu-gis load FILE --layer overhead_lines")
    frames = registry.read_layers("roads", "subdistricts")
    newest = pd.to_datetime(lines["buried_date"], errors="coerce").max() \
        if "buried_date" in lines else pd.NaT
    when = year or (int(newest.year) if pd.notna(newest) else dt.date.today().year)
    result = analyze_overhead(lines, as_of_year=when, roads=frames["roads"],
                              subdistricts=frames["subdistricts"])
    subs = frames["subdistricts"]
    data_date = registry.data_date()

    def draw():
        from ..maps.overhead import overhead_map

        return overhead_map(result, subdistricts=subs if len(subs) else None, offline=offline,
                            data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("overhead")
    return Run(result, write_result(result, out, draw=draw if write_map else None,
                                    map_name=map_name))

"""架空线入地: how much of the overhead lines is buried, per year, road and subdistrict.

The plan asks to "实施各类架空线入地整治" and to clear ownerless lines. :func:`analyze_overhead`
measures the ``overhead_lines`` layer (a layer the district defines: ``yangpu-gis catalogue
add overhead_lines``): the length buried or removed each year, the share done per road
and per subdistrict (lengths split exactly at subdistrict borders), and what is left,
overdue lines (planned for a year already past) first. Pure function;
:func:`yangpu_gis.runs.run_overhead` reads the registry and writes the outputs.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["OverheadResult", "analyze_overhead"]

__getattr__, __dir__ = lazy_exports(__name__, {"OverheadResult": "analyze",
                                               "analyze_overhead": "analyze"})

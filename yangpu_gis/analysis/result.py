"""What every ``<Topic>Result`` offers the one writer of outputs (:mod:`yangpu_gis.runs.writer`).

An analysis returns a result object; it does not write files. The writer asks the result
for its :meth:`~AnalysisResult.tables` (one CSV each), its :meth:`~AnalysisResult.layers`
(one GeoPackage), its :meth:`~AnalysisResult.rasters` (GeoTIFFs) and its
:meth:`~AnalysisResult.parameters_table` (``parameters.csv``: every value used, with its unit
and source). A topic's result class derives from :class:`AnalysisResult` and says what its
tables and layers are; the file names are the table and layer names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, ClassVar

import pandas as pd

__all__ = ["AnalysisResult", "parameters_frame"]


def parameters_frame(values: Mapping[str, Any], defaults: Any = None) -> pd.DataFrame:
    """``parameter, value, unit, source`` rows for ``values``.

    Parameters
    ----------
    values : mapping
        Parameter name -> the value used.
    defaults : dataclass instance, optional
        The topic's defaults object; a field's ``metadata`` gives ``unit`` and ``source``.

    Returns
    -------
    pandas.DataFrame
    """
    meta: dict[str, Mapping[str, Any]] = {}
    if defaults is not None and is_dataclass(defaults):
        meta = {f.name: f.metadata for f in fields(defaults)}
    rows = [{"parameter": k, "value": v, "unit": meta.get(k, {}).get("unit", ""),
             "source": meta.get(k, {}).get("source", "")} for k, v in values.items()]
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "source"])


class AnalysisResult:
    """Base of the result classes: what the writer reads. Subclasses are dataclasses.

    Attributes
    ----------
    topic : str
        File stem of the topic's GeoPackage (``<topic>.gpkg``) and default output folder
        (``<topic>_out``).
    float_format : str, optional
        ``float_format`` of the CSV tables (None: full precision).
    """

    topic: ClassVar[str] = ""
    float_format: ClassVar[str | None] = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name -> the frame written as ``<name>.csv`` (UTF-8 with BOM)."""
        return {}

    def layers(self) -> dict[str, Any]:
        """Layer name -> GeoDataFrame written into ``<topic>.gpkg`` (empty ones are left out)."""
        return {}

    def rasters(self) -> dict[str, Any]:
        """Relative file stem (``density/all``) -> :class:`~yangpu_gis.rasters.RasterData`."""
        return {}

    def parameters_table(self) -> pd.DataFrame | None:
        """``parameters.csv``: every parameter used; None for a result without one."""
        values = getattr(self, "parameters", None)
        if not isinstance(values, Mapping):
            return None
        return parameters_frame(values, getattr(self, "defaults", None))

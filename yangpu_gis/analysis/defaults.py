"""What every topic's defaults object offers: ``<Topic>Defaults`` dataclasses derive from
:class:`TopicDefaults`.

A topic keeps its parameters in one frozen dataclass whose fields carry ``metadata`` with
the ``unit`` and ``source`` of each figure (a standard, a law, or "modelling assumption").
This module loads no heavy library, so the command line can read the defaults for its
``--help`` without importing pandas or geopandas.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

__all__ = ["TopicDefaults"]


class TopicDefaults:
    """Mixin of the frozen ``<Topic>Defaults`` dataclasses."""

    def values(self) -> dict[str, Any]:
        """Parameter name -> value, as used (a subclass may resolve settings here)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        """Parameter name -> value (a deep copy of the fields)."""
        return asdict(self)  # type: ignore[call-overload]

    def table(self):
        """The defaults as a table: ``parameter, value, unit, source`` (a pandas DataFrame)."""
        from .result import parameters_frame  # pandas, only when a table is asked for

        return parameters_frame(self.values(), self)

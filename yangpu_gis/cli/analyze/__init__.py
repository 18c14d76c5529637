"""``yangpu-gis analyze <topic>``: one command module per analysis topic.

Each command parses its options (defaults from the topic's defaults object), calls
``yangpu_gis.runs.run_<topic>`` and prints its summary. :data:`COMMANDS` (under
``analyze``) and :data:`TOP_LEVEL` (beside ``load``) are what :mod:`..app` binds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import coverage, parking

__all__ = ["COMMANDS", "TOP_LEVEL"]


class _Collector:
    """Transitional: records the commands an old ``analysis/<topic>_cli.register`` adds."""

    def __init__(self, into: dict[str, Callable[..., Any]]) -> None:
        self.into = into

    def command(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def add(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.into[name] = fn
            return fn

        return add


COMMANDS: dict[str, Callable[..., Any]] = {}
TOP_LEVEL: dict[str, Callable[..., Any]] = {}


def _legacy(module: str) -> None:
    import importlib

    importlib.import_module(f"yangpu_gis.analysis.{module}").register(
        _Collector(TOP_LEVEL), _Collector(COMMANDS))


for _module in ("complaints_cli", "condition_cli", "excavation_cli"):
    _legacy(_module)

COMMANDS["parking"] = parking.parking
COMMANDS["coverage"] = coverage.coverage

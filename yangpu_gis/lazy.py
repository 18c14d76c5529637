"""Packages that hand on their submodules' names on first use (PEP 562).

``import yangpu_gis`` and the command line's ``--help`` must stay light, so a package that
re-exports functions of heavy modules (geopandas, folium) imports each only when the name is
first read. One implementation for every such package::

    __getattr__, __dir__ = lazy_exports(__name__, {"analyze_parking": "analyze", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, str], modules: Iterable[str] = ()
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package re-exporting names lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : mapping
        Public name -> submodule defining it, relative to the package (``"merge"``,
        ``"analysis.excavation"``).
    modules : iterable of str
        Submodules handed on as themselves (``"maps"``: ``yangpu_gis.maps``).

    Returns
    -------
    (callable, callable)
        Module-level ``__getattr__`` and ``__dir__``.
    """

    submodules = frozenset(modules)

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        if name in where:
            return getattr(importlib.import_module(f".{where[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where, *submodules})

    return __getattr__, __dir__

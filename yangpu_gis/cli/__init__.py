"""``yangpu-gis``: the command line. Thin: parses options, calls the library, formats output.

One module per command group: :mod:`.registry` (load, validate, layers, export, info,
upgrade, batches), :mod:`.maps` (map), :mod:`.catalogue` (catalogue add, list, show),
:mod:`.demo` (demo) and :mod:`.analyze` (one ``analyze <topic>`` command per analysis, each calling its ``run_<topic>``); the options they
share are defined once in :mod:`.common`, and :mod:`.app` binds them all.
"""

from __future__ import annotations

from .app import analyze_app, app, main

__all__ = ["analyze_app", "app", "main"]

"""Analyses: pure functions on GeoDataFrames (no database or file access inside).

Each topic has its own module (``excavation``, ``parking``, ``coverage`` …); the registry and
the CLI do the I/O around them. A topic's command-line commands live in ``<topic>_cli.py``,
which defines ``register(app, analyze_app)``; :mod:`yangpu_gis.cli` finds and calls it.
"""

from __future__ import annotations

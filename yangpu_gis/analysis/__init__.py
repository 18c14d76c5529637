"""Analyses: pure functions on GeoDataFrames (no registry, database, file or terminal inside).

One module or subpackage per topic (``excavation``, ``parking``, ``coverage``,
``complaints``, ``causes``, ``waterlogging``, ``water_quality``, ``road_condition``), each with one entry
point ``analyze_<topic>`` returning a ``<Topic>Result`` (:mod:`.result`) and its defaults in
a frozen ``<Topic>Defaults``; :mod:`.inputs` is the one input policy (metric CRS, required
columns); :mod:`.network` the walking graph they share. Reading the registry and writing the
outputs is :mod:`yangpu_gis.runs`; the commands are :mod:`yangpu_gis.cli.analyze`.
"""

from __future__ import annotations

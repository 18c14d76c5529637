"""The server backend: PostgreSQL + PostGIS holding vectors, rasters and batches.

* :mod:`.registry` — :class:`PostGISRegistry` and its load transaction;
* :mod:`.connection` — URL checks, connecting, password masking;
* :mod:`.ddl` — tables generated from the catalogue;
* :mod:`.copy` — rows to the server by ``COPY`` (Arrow CSV, EWKB);
* :mod:`.vectors` — reading layers and writing a load's rows;
* :mod:`.batches` — the batches table;
* :mod:`.rasters` — ``postgis_raster`` tiles with raster constraints;
* :mod:`.queries` — analyses computed by the server (permit conflict pairs).

All SQL is composed with :mod:`psycopg.sql` identifiers and bound parameters.
"""

from __future__ import annotations

from .ddl import layer_ddl
from .registry import PostGISRegistry, PostGISTransaction

__all__ = ["PostGISRegistry", "PostGISTransaction", "layer_ddl"]

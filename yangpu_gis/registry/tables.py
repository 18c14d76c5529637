"""The registry's own table names, in one place (both backends use these).

Catalogue layers are tables named after the layer (:mod:`yangpu_gis.catalogue`); besides
them a registry holds the tables below.
"""

from __future__ import annotations

__all__ = ["BATCHES_TABLE", "DEFINITIONS_LOCK", "DEFINITIONS_TABLE", "DISTRICT_LOCK",
           "DISTRICT_TABLE", "HISTORY_PREFIX",
           "RASTERS_TABLE", "SCHEMA_LOCK", "history_table", "layer_lock", "pg_raster_table"]

#: One row per load (vector or raster): ``yangpu_batches``.
BATCHES_TABLE = "yangpu_batches"
#: One row per stored raster layer (grid, checksums, statistics): ``yangpu_rasters``.
RASTERS_TABLE = "yangpu_rasters"
#: Prefix of the history tables: ``yangpu_history_<layer>`` holds the ended versions.
HISTORY_PREFIX = "yangpu_history_"
#: The layers the district defined (one row per layer: name, TOML text, sha256, added_at,
#: os_user): ``yangpu_layer_definitions``.
DEFINITIONS_TABLE = "yangpu_layer_definitions"
#: Name of the PostGIS advisory lock that serialises adding layer definitions.
DEFINITIONS_LOCK = "yangpu_gis:definitions"
#: The district the registry serves (``yangpu-gis init --district-outline``): one row
#: ``role = 'district'`` and, for a city registry, one ``role = 'part'`` row per district:
#: ``yangpu_district``. Absent: the registry serves 杨浦区 within the fixed extent.
DISTRICT_TABLE = "yangpu_district"
#: Name of the PostGIS advisory lock that serialises recording the district.
DISTRICT_LOCK = "yangpu_gis:district"
#: Name of the PostGIS advisory lock taken while creating the registry's own tables.
SCHEMA_LOCK = "yangpu_gis:schema"


def layer_lock(layer: str) -> str:
    """Name of the advisory lock that serialises loads into ``layer`` (PostGIS)."""
    return f"yangpu_gis:layer:{layer}"


def pg_raster_table(layer: str) -> str:
    """The PostGIS tile table of raster ``layer``: ``raster_<layer>``.

    (A GeoPackage tile table is named after the layer itself.)
    """
    return f"raster_{layer}"


def history_table(layer: str) -> str:
    """The table of ``layer``'s ended feature versions (both backends):
    ``yangpu_history_<layer>``, the layer's columns plus ``ended_batch``."""
    return f"{HISTORY_PREFIX}{layer}"

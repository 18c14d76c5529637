"""yangpu_gis: urban-asset registry and GIS analysis toolkit for Yangpu District, Shanghai."""

from __future__ import annotations

from . import settings
from .catalogue import CATALOGUE, get_layer, layer_names
from .errors import CRSError, RegistryError, SourceError, ValidationError, YangpuGisError

__version__ = "0.1.0"

#: Analysis entry points re-exported for notebooks: name -> module (imported on first use).
_ANALYSES = {
    "analyze_excavation": "analysis.excavation",
    "check_permit": "analysis.excavation",
    "conflicts": "analysis.excavation",
    "moratorium_breaches": "analysis.excavation",
    "pipelines_at_risk": "analysis.excavation",
    "coordination_groups": "analysis.excavation",
    "analyze_parking": "analysis.parking",
    "two_step_fca": "analysis.parking",
    "analyze_coverage": "analysis.coverage",
    "service_coverage": "analysis.coverage",
    "analyze_complaints": "analysis.complaints",
    "merge_duplicates": "analysis.complaints",
    "hot_spots": "analysis.complaints",
    "walking_graph": "analysis.network",
}

__all__ = [
    *_ANALYSES,
    "CATALOGUE",
    "CRSError",
    "RegistryError",
    "SourceError",
    "ValidationError",
    "YangpuGisError",
    "get_layer",
    "layer_names",
    "maps",
    "open_registry",
    "settings",
]


def __getattr__(name: str):
    # folium, matplotlib and the analysis libraries load only when a notebook asks for them
    import importlib

    if name == "maps":
        return importlib.import_module(".maps", __name__)
    if name in _ANALYSES:
        return getattr(importlib.import_module(f".{_ANALYSES[name]}", __name__), name)
    raise AttributeError(f"module 'yangpu_gis' has no attribute {name!r}")


def open_registry(target: str | None = None, *, create: bool = False):
    """Open a registry: a GeoPackage path (default) or a ``postgresql://`` URL.

    Parameters
    ----------
    target : str, optional
        ``*.gpkg`` path or PostgreSQL URL; defaults to ``settings.default_registry``
        (``$YANGPU_GIS_REGISTRY`` or ``./yangpu.gpkg``).
    create : bool
        Whether a GeoPackage that does not exist yet reads as an empty registry (by default
        reading one is refused; a load creates it either way).

    Returns
    -------
    yangpu_gis.registry.Registry

    Examples
    --------
    >>> import yangpu_gis
    >>> reg = yangpu_gis.open_registry("yangpu.gpkg")     # doctest: +SKIP
    >>> roads = reg.read("roads", bbox=(121.50, 31.29, 121.52, 31.31), bbox_crs="EPSG:4326")  # doctest: +SKIP
    """
    from .registry import open_registry as _open

    return _open(target, create=create)

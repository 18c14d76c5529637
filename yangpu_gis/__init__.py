"""yangpu_gis: urban-asset registry and GIS analysis toolkit for Yangpu District, Shanghai."""

from __future__ import annotations

from . import settings
from .catalogue import CATALOGUE, get_layer, layer_names
from .errors import CRSError, RegistryError, SourceError, ValidationError, YangpuGisError
from .lazy import lazy_exports
from .version import __version__

#: The public API for notebooks: name -> module defining it (imported on first use, so
#: ``import yangpu_gis`` loads no heavy library). One entry point per analysis topic,
#: ``analyze_<topic>`` returning ``<Topic>Result``, and its ``run_<topic>(registry, out_dir)``.
_API = {
    "analyze_excavation": "analysis.excavation",
    "ExcavationResult": "analysis.excavation",
    "check_permit": "analysis.excavation",
    "conflicts": "analysis.excavation",
    "moratorium_breaches": "analysis.excavation",
    "pipelines_at_risk": "analysis.excavation",
    "coordination_groups": "analysis.excavation",
    "analyze_parking": "analysis.parking",
    "ParkingResult": "analysis.parking",
    "two_step_fca": "analysis.parking",
    "analyze_coverage": "analysis.coverage",
    "CoverageResult": "analysis.coverage",
    "service_coverage": "analysis.coverage",
    "analyze_complaints": "analysis.complaints",
    "ComplaintsResult": "analysis.complaints",
    "merge_duplicates": "analysis.complaints",
    "hot_spots": "analysis.complaints",
    "analyze_causes": "analysis.causes",
    "CausesResult": "analysis.causes",
    "analyze_homes": "analysis.homes",
    "HomesResult": "analysis.homes",
    "analyze_overhead": "analysis.overhead",
    "OverheadResult": "analysis.overhead",
    "analyze_pipelines": "analysis.pipelines",
    "PipelinesResult": "analysis.pipelines",
    "analyze_waterlogging": "analysis.waterlogging",
    "WaterloggingResult": "analysis.waterlogging",
    "analyze_water_quality": "analysis.water_quality",
    "WaterQualityResult": "analysis.water_quality",
    "analyze_road_condition": "analysis.road_condition",
    "RoadConditionResult": "analysis.road_condition",
    "walking_graph": "analysis.network",
    **{f"run_{topic}": "runs" for topic in (
        "excavation", "parking", "coverage", "complaints", "causes", "pipelines",
        "homes", "overhead", "waterlogging", "water_quality", "road_condition")},
    "ensure_demo": "demo",
}

__all__ = [
    *_API,
    "CATALOGUE",
    "CRSError",
    "RegistryError",
    "SourceError",
    "ValidationError",
    "YangpuGisError",
    "__version__",
    "get_layer",
    "layer_names",
    "maps",
    "open_registry",
    "settings",
]


# folium, matplotlib and the analysis libraries load only when a notebook asks for them
__getattr__, __dir__ = lazy_exports(__name__, _API, modules=("maps",))


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

"""Registry backends behind one interface: GeoPackage (embedded default) and PostGIS."""

from __future__ import annotations

from pathlib import Path

from .. import settings
from ..errors import RegistryError
from .base import LOAD_MODES, LoadResult, Registry

__all__ = ["LOAD_MODES", "LoadResult", "Registry", "open_registry"]


def open_registry(target: str | Path | None = None) -> Registry:
    """Open a registry by path or URL.

    Parameters
    ----------
    target : str or Path, optional
        A ``.gpkg`` path (created on first load) or a ``postgresql://`` URL. Defaults to
        ``settings.default_registry`` (``$YANGPU_GIS_REGISTRY``, else ``./yangpu.gpkg``).

    Returns
    -------
    Registry

    Raises
    ------
    RegistryError
        For an unknown kind of target or an unreachable server.
    """
    text = str(target if target is not None else settings.default_registry)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgis import PostGISRegistry

        return PostGISRegistry(text)
    if text.lower().endswith(".gpkg"):
        from .geopackage import GeoPackageRegistry

        return GeoPackageRegistry(text)
    raise RegistryError(
        f"cannot tell what kind of registry {text!r} is",
        hint="give a .gpkg path or a postgresql://user@host/db URL",
    )

"""Registry backends behind one interface: GeoPackage (embedded default) and PostGIS.

* :mod:`.base` — :class:`Registry`, the facade: validation and loading written once;
* :mod:`.backend` — the protocol every backend implements (one load transaction for rows,
  rasters and batch records);
* :mod:`.geopackage` / :mod:`.postgis` — the two backends, one module per job;
* :mod:`.tables` — the registry's own table names; :mod:`.batches` — the batch record;
  :mod:`.storage` — frames in and out of storage; :mod:`.export` — layers to files.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import settings
from ..errors import RegistryError
from .base import LOAD_MODES, LoadResult, Registry

__all__ = ["LOAD_MODES", "LoadResult", "Registry", "open_registry"]


def open_registry(target: str | Path | None = None, *, create: bool = False) -> Registry:
    """Open a registry by path or URL.

    Parameters
    ----------
    target : str or Path, optional
        A ``.gpkg`` path or a ``postgresql://`` URL. Defaults to
        ``settings.default_registry`` (``$YANGPU_GIS_REGISTRY``, else ``./yangpu.gpkg``).
    create : bool
        GeoPackage: whether a file that does not exist yet is an empty registry. By default
        reading one (``read``, ``layers``, ``batches``, ``info``, ``export`` …) is refused,
        so a mistyped path is not taken for an empty registry; a load (``load``,
        ``load_raster``) creates the file either way.

    Returns
    -------
    Registry

    Raises
    ------
    RegistryError
        For an unknown kind of target, a malformed URL, an unreachable server, refused
        credentials, a missing database, or a damaged file (empty, truncated, not a
        GeoPackage, not a yangpu registry); one sentence, never the password.
    """
    text = str(target if target is not None else settings.default_registry)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgis import PostGISRegistry

        return PostGISRegistry(text)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(//)?", text) and not Path(text).exists():
        raise RegistryError(
            f"unknown kind of registry URL {_scheme(text)!r}",
            hint="give a .gpkg path or a postgresql://user@host/db URL",
        )
    if text.lower().endswith(".gpkg"):
        from .geopackage import GeoPackageRegistry

        return GeoPackageRegistry(text, create=create)
    raise RegistryError(
        f"cannot tell what kind of registry {text!r} is",
        hint="give a .gpkg path or a postgresql://user@host/db URL",
    )


def _scheme(text: str) -> str:
    return text.split(":", 1)[0] + "://"

"""One input policy for every analysis: the CRS an analysis accepts and the columns it needs.

Analyses measure in metres, so they take frames in a metric (projected) CRS: the registry
gives every layer in the working CRS (EPSG:4549). A frame in lon/lat degrees, or without a
CRS, is refused with :class:`~yangpu_gis.errors.CRSError` (never reprojected silently: the
caller decides), and so are frames in different CRSs. A missing column is refused with
:class:`~yangpu_gis.errors.ValidationError` naming what is missing, what is needed and what
is there. Every topic words these refusals the same way because they come from here.
:func:`read_toml` reads a topic's override file (category table, cause rules) the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from .. import settings
from ..errors import CRSError, Problem, ValidationError

__all__ = ["common_metric_crs", "metric", "read_toml", "require_columns"]


def read_toml(path: str | PathLike[str], example: str) -> dict[str, Any]:
    """The contents of a UTF-8 TOML override file, or a refusal naming the file and line.

    Parameters
    ----------
    path : str or path-like
    example : str
        A valid line, shown in the hint of a syntax error.

    Raises
    ------
    ValidationError
        A missing or unreadable file, bytes that are not UTF-8, invalid TOML.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except FileNotFoundError:
        raise ValidationError("no such file", source=str(p),
                              hint="give the path of a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 text (byte {exc.start})", source=str(p),
                              hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(p),
                              hint=f"quote Chinese keys, e.g. {example}") from None
    except OSError as exc:
        raise ValidationError(f"cannot be read: {exc.strerror}", source=str(p)) from None


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Refuse ``frame`` unless it has every one of ``columns``.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : iterable of str
        The columns needed.
    what : str
        What the frame is, in the plural ("permits", "water stations").

    Raises
    ------
    ValidationError
        ``"{what} lack column(s) a, b"``, with the needed and present columns as the hint.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what} lack column(s) {', '.join(missing)}",
            problems=[Problem(f"missing column {c}", field=c) for c in missing],
            hint=f"needed: {', '.join(columns)}; columns present: "
            + (", ".join(map(str, frame.columns)) or "none"),
        )


def _refuse(crs: pyproj.CRS | None, what: str) -> None:
    working = settings.working_crs
    if crs is None:
        raise CRSError(f"{what} have no CRS, and the analysis needs a metric CRS",
                       hint=f"set the CRS the coordinates are in: gdf.set_crs(...), then "
                       f"gdf.to_crs('{working}'); registry layers already are")
    if not crs.is_projected:
        raise CRSError(f"{what} need a metric CRS, got {crs.name} (degrees)",
                       hint=f"reproject first: gdf.to_crs('{working}'); registry layers "
                       "already are")


def metric(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """``gdf`` itself when it is in a metric CRS; refused otherwise.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS or is in lon/lat degrees.
    """
    _refuse(None if gdf.crs is None else pyproj.CRS.from_user_input(gdf.crs), what)
    return gdf


def common_metric_crs(*frames: gpd.GeoDataFrame | None, what: str = "inputs"
                      ) -> pyproj.CRS | None:
    """The one metric CRS of the frames given (None when no frame has a CRS or columns).

    ``None`` frames and frames without columns (an empty layer) are skipped.

    Raises
    ------
    CRSError
        If the first CRS is geographic, or two frames are in different CRSs.
    """
    known = [pyproj.CRS.from_user_input(f.crs) for f in frames
             if f is not None and len(f.columns) and f.crs is not None]
    if not known:
        return None
    first = known[0]
    _refuse(first, what)
    for other in known[1:]:
        if not first.equals(other):
            raise CRSError(f"{what} are in different CRSs ({first.name} and {other.name})",
                           hint=f"reproject every input to the working CRS, "
                           f"{settings.working_crs}")
    return first

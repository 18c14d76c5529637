"""The raster catalogue: each raster layer, its units, plausible range and resampling.

This module is data, like :mod:`yangpu_gis.catalogue` for vector layers. Every figure is a
documented default: override it by passing ``plausible=`` / ``resolution_m=`` to
``Registry.load_raster``, or add a :class:`RasterKind` to
:data:`RASTER_CATALOGUE` at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ValidationError

__all__ = ["RASTER_CATALOGUE", "RasterKind", "UNIT_FACTORS", "get_raster_kind"]


@dataclass(frozen=True)
class RasterKind:
    """One raster layer of the registry.

    Parameters
    ----------
    name : str
        Layer name (``dem``).
    label : str
        Chinese display name.
    units : str
        Units of the stored values (``m``).
    plausible_min, plausible_max : float
        Inclusive range every valid cell must fall in; a load outside it is refused.
    typical : float
        A typical value (median of a real raster), used to tell which units a refused
        raster is probably in.
    median_range : (float, float)
        Range the median of the valid cells must lie in: catches a DEM in feet, whose
        values (10–20 ft for Yangpu's 3–6 m) would otherwise pass the plausible range.
    resampling : str
        ``rasterio.enums.Resampling`` name used when reprojecting (``bilinear`` for
        continuous surfaces such as elevation; ``nearest`` for classes).
    """

    name: str
    label: str
    units: str
    plausible_min: float
    plausible_max: float
    typical: float
    median_range: tuple[float, float] = (float("-inf"), float("inf"))
    resampling: str = "bilinear"


#: Known raster layers. ``dem``: ground elevation in metres above the national height
#: datum. Shanghai's ground lies at about 2–6 m, flood walls and embankments reach
#: 7–9 m, building foundations and excavations a few metres below zero (DOMAIN.md
#: "Shanghai elevations": about −5 to 60 m, the upper bound leaving room for
#: artificial hills such as 共青森林公园's mounds and for DSM-like artefacts). Its median
#: must lie within 0–10 m: most of Yangpu's ground is at 3–5 m.
RASTER_CATALOGUE: dict[str, RasterKind] = {
    "dem": RasterKind("dem", "数字高程模型", "m", -5.0, 60.0, 4.0, (0.0, 10.0), "bilinear"),
}

#: Unit names accepted by ``units=`` and their factor to metres.
UNIT_FACTORS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048,
                                  "us-ft": 1200 / 3937}


def get_raster_kind(name: str) -> RasterKind:
    """The catalogue entry of a raster layer.

    Raises
    ------
    ValidationError
        For a name that is not a raster layer.
    """
    try:
        return RASTER_CATALOGUE[name]
    except KeyError:
        raise ValidationError(f"{name!r} is not a raster layer",
                              hint="raster layers: " + ", ".join(RASTER_CATALOGUE)) from None

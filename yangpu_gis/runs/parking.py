"""Run the parking analysis on a registry: read, analyse, write (CLI, demo and notebooks)."""

from __future__ import annotations

from pathlib import Path

from ..analysis.parking import PARKING_DEFAULTS, WHAT_IF_TOP_N, analyze_parking
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_parking"]

#: Registry layers the parking analysis reads (``roads`` only for network distances).
LAYERS = ("residential_compounds", "parking_facilities", "pois", "subdistricts", "grid_cells")


def run_parking(registry, out_dir: str | Path | None = None, *, distance: str = "network",
                catchment_m: float = PARKING_DEFAULTS.catchment_m, decay: str = "none",
                sigma_m: float | None = None, top_n: int = WHAT_IF_TOP_N, offline: bool = True,
                map_name: str = "parking_map.html") -> Run:
    """Read the registry, analyse parking, write every output into ``out_dir``.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path, optional
        Output folder [default ``parking_out``].
    distance : {"network", "euclidean"}
        Walking distance along the roads, or straight-line.
    catchment_m, decay, sigma_m, top_n
        See :func:`~yangpu_gis.analysis.parking.analyze_parking`.
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.parking.ParkingResult` and the files written.

    Raises
    ------
    ValidationError
        For an unknown ``distance`` or ``decay``, or a registry without demand.
    """
    if distance not in ("network", "euclidean"):
        raise ValidationError(f"unknown --distance {distance!r}", hint="network or euclidean")
    if decay not in ("none", "gaussian"):
        raise ValidationError(f"unknown --decay {decay!r}", hint="none or gaussian")
    frames = registry.read_layers(*LAYERS)
    roads = registry.read("roads") if distance == "network" else None
    if frames["residential_compounds"].empty and frames["pois"].empty:
        raise ValidationError("the registry has no residential_compounds or pois",
                              hint="load them first (yangpu-gis load … -l residential_compounds)")
    result = analyze_parking(
        frames["residential_compounds"], frames["parking_facilities"],
        pois=frames["pois"], roads=roads, subdistricts=frames["subdistricts"],
        grid_cells=frames["grid_cells"], distance=distance, catchment_m=catchment_m,
        decay=decay, sigma_m=sigma_m, what_if_top_n=top_n,
    )
    data_date = registry.data_date()

    def draw():
        from ..maps.parking import parking_map

        return parking_map(result, offline=offline, data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("parking")
    return Run(result, write_result(result, out, draw=draw, map_name=map_name))

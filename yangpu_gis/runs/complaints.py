"""Run the complaints analysis on a registry: read, analyse, write (CLI, demo and notebooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..analysis.complaints.categories import CategoryTable, load_category_table
from ..analysis.complaints.defaults import COMPLAINTS_DEFAULTS as D
from ..analysis.complaints.pipeline import analyze_complaints
from ..analysis.engine import check_scheduler, dask_client
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_complaints"]

#: Registry layers the complaints analysis reads.
LAYERS = ("complaints", "subdistricts", "grid_cells")


def run_complaints(
    registry,
    out_dir: str | Path | None = None,
    *,
    categories: CategoryTable | str | Path | None = None,
    cells: str = D.cells,
    distance_m: float = D.distance_m,
    hours: float = D.hours,
    boundary_tolerance_m: float = D.boundary_tolerance_m,
    hex_size_m: float = D.hex_size_m,
    permutations: int = D.permutations,
    seed: int | None = D.seed,
    alpha: float = D.alpha,
    min_months: int = D.min_months,
    last_months: int = D.last_months,
    bandwidth_m: float = D.bandwidth_m,
    cell_size_m: float = D.cell_size_m,
    write_map: bool = True,
    map_cases: str = "cluster",
    offline: bool = True,
    map_name: str = "complaints_map.html",
    scheduler: Any = None,
) -> Run:
    """Read the registry, analyse its 12345 work orders, write every output into ``out_dir``.

    Parameters
    ----------
    registry : Registry
        An open registry (GeoPackage or PostGIS).
    out_dir : path, optional
        Output folder [default ``complaints_out``].
    categories : CategoryTable or path, optional
        Category → department table, or a CSV/TOML file of one that adds to and overrides
        the defaults (:func:`~yangpu_gis.analysis.complaints.load_category_table`).
    cells : {"grid", "hex"}
        Hot-spot units: the registry's grid cells (hexagons when it has none) or hexagons.
    distance_m, hours, boundary_tolerance_m, hex_size_m, permutations, seed, alpha, \
min_months, last_months, bandwidth_m, cell_size_m
        See :func:`~yangpu_gis.analysis.complaints.analyze_complaints`; defaults
        :data:`~yangpu_gis.analysis.complaints.COMPLAINTS_DEFAULTS`.
    write_map : bool
        Write the HTML map (default) or not.
    map_cases : {"cluster", "all", "none"}
        How the map draws the cases (:func:`~yangpu_gis.maps.complaints.complaints_map`):
        clustered (default), every case at once, or not at all (counts per cell only).
    offline : bool
        Self-contained map (default) or CDN scripts and web tiles.
    scheduler : str or distributed.Client, optional
        Merge duplicates on dask.distributed (``local``, ``local:N``, ``tcp://HOST:PORT`` or
        a Client; :mod:`~yangpu_gis.analysis.engine`); the outputs are identical.

    Returns
    -------
    Run
        The :class:`~yangpu_gis.analysis.complaints.ComplaintsResult` and the files written.

    Raises
    ------
    ValidationError
        For unknown ``cells`` or ``map_cases``, a bad category table, or a registry without
        complaints.
    """
    if cells not in ("grid", "hex"):
        raise ValidationError(f"unknown --cells {cells!r}", hint="grid or hex")
    if map_cases not in ("cluster", "all", "none"):
        raise ValidationError(f"unknown --cases {map_cases!r}", hint="cluster, all or none")
    table = load_category_table(categories) if isinstance(categories, str | Path) \
        else categories
    check_scheduler(scheduler)  # refused before the registry is read
    frames = registry.read_layers(*LAYERS)
    orders, subs = frames["complaints"], frames["subdistricts"]
    if orders.empty:
        raise ValidationError("the registry has no complaints",
                              hint="load them first (yangpu-gis load … -l complaints)")
    with dask_client(scheduler) as client:
        result = analyze_complaints(
                orders, subdistricts=subs, grid_cells=frames["grid_cells"], cells=cells,
            categories=table, distance_m=distance_m, hours=hours,
            boundary_tolerance_m=boundary_tolerance_m, hex_size_m=hex_size_m,
            permutations=permutations, seed=seed, alpha=alpha, min_months=min_months,
            last_months=last_months, bandwidth_m=bandwidth_m, cell_size_m=cell_size_m,
            scheduler=client)
    data_date = registry.data_date()

    def draw():
        from ..maps.complaints import complaints_map

        return complaints_map(result, subdistricts=subs if len(subs) else None,
                              cases=map_cases, offline=offline, data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("complaints")
    return Run(result, write_result(result, out, draw=draw if write_map else None,
                                    map_name=map_name))

"""Run the 美丽家园 progress on a registry: read, analyse, write."""

from __future__ import annotations

from pathlib import Path

from ..analysis.homes.defaults import HOMES_DEFAULTS as D
from ..analysis.homes.defaults import load_homes_targets
from ..catalogue import CATALOGUE
from ..errors import ValidationError
from .writer import Run, default_out, write_result

__all__ = ["run_homes"]

#: Layers the district defines that the progress reads when the registry has them.
DEFINED = ("sewer_misconnections", "elevator_installations")


def run_homes(registry, out_dir: str | Path | None = None, *,
              targets: str | Path | dict | None = None,
              first_year: int = D.first_year, last_year: int = D.last_year,
              floor_area_per_household_m2: float = D.floor_area_per_household_m2,
              write_map: bool = True, offline: bool = True,
              map_name: str = "homes_map.html") -> Run:
    """美丽家园 progress of the registry's compounds, misconnections and elevators.

    Parameters
    ----------
    registry : Registry
    out_dir : path, optional
        Output folder [default ``homes_out``].
    targets : path or mapping, optional
        A TOML file with a ``[targets]`` table (:func:`~yangpu_gis.analysis.homes.
        load_homes_targets`), or item -> target.
    first_year, last_year, floor_area_per_household_m2
        See :func:`~yangpu_gis.analysis.homes.analyze_homes`.
    write_map, offline : bool

    Returns
    -------
    Run
    """
    from ..analysis.homes.analyze import analyze_homes

    goal = load_homes_targets(targets) if isinstance(targets, str | Path) else targets
    frames = registry.read_layers("residential_compounds", "subdistricts")
    if frames["residential_compounds"].empty:
        raise ValidationError("the registry has no residential_compounds",
                              hint="load them first (yangpu-gis load … -l residential_compounds)")
    extra = {name: registry.read(name) if name in CATALOGUE else None for name in DEFINED}
    result = analyze_homes(
        frames["residential_compounds"], misconnections=extra["sewer_misconnections"],
        elevators=extra["elevator_installations"], subdistricts=frames["subdistricts"],
        targets=goal, first_year=first_year, last_year=last_year,
        floor_area_per_household_m2=floor_area_per_household_m2)
    subs = frames["subdistricts"]
    data_date = registry.data_date()

    def draw():
        from ..maps.homes import homes_map

        return homes_map(result, subdistricts=subs if len(subs) else None, offline=offline,
                         data_date=data_date)

    out = Path(out_dir) if out_dir is not None else default_out("homes")
    return Run(result, write_result(result, out, draw=draw if write_map else None,
                                    map_name=map_name))

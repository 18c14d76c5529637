"""The whole parking chain: demand, supply, distances, accessibility, zones, candidates."""

from __future__ import annotations

import warnings
from typing import Literal

import geopandas as gpd
import pandas as pd

from ...errors import ValidationError
from .access import parking_accessibility, parking_distances, parking_walking_graph
from .candidates import rank_candidates, rank_compounds, what_if_open
from .defaults import PARKING_DEFAULTS, WHAT_IF_TOP_N, Decay, ParkingDefaults
from .result import ParkingResult
from .supply import classify_supply, demand_locations, parking_demand
from .zones import wide_balance, zone_balance

__all__ = ["analyze_parking"]


def analyze_parking(
    compounds: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    pois: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    distance: Literal["euclidean", "network"] = "network",
    catchment_m: float | None = None,
    decay: Decay = "none",
    sigma_m: float | None = None,
    what_if_top_n: int = WHAT_IF_TOP_N,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
) -> ParkingResult:
    """Parking supply versus demand: zone balances, accessibility, candidates, what-if.

    Parameters
    ----------
    compounds, facilities : GeoDataFrame
        ``residential_compounds`` and ``parking_facilities``.
    pois : GeoDataFrame, optional, keyword-only
        ``pois`` (hospitals, schools, offices, commerce).
    roads : GeoDataFrame, optional, keyword-only
        ``roads`` for network distances.
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
        Zones for the balances.
    distance : {"network", "euclidean"}, keyword-only
        Walking along the roads (default), or straight line. Straight line is used, with a
        note, when ``roads`` is missing or empty.
    catchment_m : float, optional, keyword-only
        Walking catchment, metres; default ``defaults.catchment_m`` (500 m).
    decay : {"none", "gaussian"}, keyword-only
        2SFCA (``none``) or E2SFCA with Gaussian weights.
    sigma_m : float, optional, keyword-only
        Gaussian width, metres; default half the catchment.
    what_if_top_n : int, keyword-only
        Candidates opened in the what-if.
    defaults : ParkingDefaults, keyword-only
        Ratios and parameters (:data:`PARKING_DEFAULTS`).

    Returns
    -------
    ParkingResult

    Examples
    --------
    >>> from yangpu_gis.datasets import demo
    >>> layers = demo.generate()                           # doctest: +SKIP
    >>> res = analyze_parking(layers["residential_compounds"], layers["parking_facilities"],
    ...                       pois=layers["pois"], roads=layers["roads"],
    ...                       grid_cells=layers["grid_cells"])   # doctest: +SKIP
    >>> res.candidates.head()                                # doctest: +SKIP
    """
    catchment = float(catchment_m if catchment_m is not None else defaults.catchment_m)
    if catchment <= 0:
        raise ValidationError("catchment must be positive")
    if decay not in ("none", "gaussian"):
        raise ValidationError(f"unknown decay {decay!r}", hint="none or gaussian")
    notes: list[str] = []
    demand = parking_demand(compounds, pois, defaults=defaults)
    supply = classify_supply(facilities, demand, defaults=defaults)
    locations = demand_locations(demand, supply)
    unmatched = supply[supply["owner_id"].isna() & ((supply["serves_day"] == "own")
                                                    | (supply["serves_night"] == "own"))]
    if len(unmatched):
        notes.append(f"{len(unmatched)} own-use garages match no compound or building within "
                     f"{defaults.own_match_m:g} m: counted in zone supply, not in accessibility")
    method = distance
    graph = None
    if method == "network" and (roads is None or roads.empty):
        notes.append("no roads in the registry: straight-line distances used")
        method = "euclidean"
    if method == "network":
        graph = parking_walking_graph(roads, demand.crs, defaults=defaults)
        if not len(graph.edges):
            notes.append("no walkable roads: straight-line distances used")
            method, graph = "euclidean", None
    distances = parking_distances(locations, supply, method=method, graph=graph,
                                  catchment_m=catchment)
    access = parking_accessibility(locations, supply, distances, catchment_m=catchment,
                                   decay=decay, sigma_m=sigma_m)
    zones, grid_w, sub_w = [], None, None
    if subdistricts is not None and len(subdistricts):
        b = zone_balance(locations, supply, subdistricts, zone_id="subdistrict_id",
                         zone_type="subdistrict")
        zones.append(b)
        sub_w = wide_balance(subdistricts.to_crs(demand.crs), b, "subdistrict_id")
    if grid_cells is not None and len(grid_cells):
        name = "name" if "name" in grid_cells.columns else None
        b = zone_balance(locations, supply, grid_cells, zone_id="grid_id", zone_type="grid_cell",
                         name_column=name)
        zones.append(b)
        grid_w = wide_balance(grid_cells.to_crs(demand.crs), b, "grid_id")
    zone_table = (pd.concat(zones, ignore_index=True) if zones else pd.DataFrame(
        columns=["zone_type", "zone_id", "name", "period", "supply", "demand", "balance", "ratio",
                 "idle_own"]))
    candidates = rank_candidates(locations, supply, access, distances, catchment_m=catchment)
    ranked = rank_compounds(locations, access)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        what_if, _ = what_if_open(facilities, demand, distances, candidates, top_n=what_if_top_n,
                                  catchment_m=catchment, decay=decay, sigma_m=sigma_m,
                                  defaults=defaults)
    params = {**defaults.as_dict(), "catchment_m": catchment, "decay": decay,
              "sigma_m": (sigma_m if sigma_m is not None else catchment / 2)
              if decay == "gaussian" else None,
              "distance": method}
    return ParkingResult(
        locations=locations, supply=supply, zones=zone_table, grid_balance=grid_w,
        subdistrict_balance=sub_w, accessibility=access, candidates=candidates,
        compounds=ranked, what_if=what_if, distances=distances, distance_method=method,
        parameters=params, notes=notes,
    )


"""Garages that could open at night (错峰共享), compounds for 挖潜, and the what-if."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .access import parking_accessibility
from .defaults import CANDIDATE_KINDS, PARKING_DEFAULTS, WHAT_IF_TOP_N, Decay, ParkingDefaults
from .supply import classify_supply, demand_locations

__all__ = ["rank_candidates", "rank_compounds", "what_if_open"]


def rank_candidates(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    access: pd.DataFrame,
    distances: pd.DataFrame,
    *,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
) -> gpd.GeoDataFrame:
    """Garages that could open at night, ranked by the night shortfall they would cover.

    Candidates are office, commercial, school and hospital facilities not already serving
    everyone at night. A candidate's ``spare_night`` is its capacity less its own building's
    night demand; ``shortfall_in_catchment`` sums the night shortfall of the demand
    locations within ``catchment_m``; ``covered`` = min of the two — the spaces it would
    usefully share. Candidates are ranked independently (their catchments may overlap; the
    what-if, :func:`what_if_open`, accounts for that).

    Returns
    -------
    GeoDataFrame
        ``rank, facility_id, name, kind, capacity, spare_night, shortfall_in_catchment,
        locations_in_catchment, covered`` and the facility point; best first.
    """
    cand = supply[supply["kind"].isin(CANDIDATE_KINDS) & (supply["serves_night"] != "public")]
    night = access[access["period"] == "night"].set_index("demand_id")
    own_need = night["demand"].reindex(cand["owner_id"].fillna("")).fillna(0).to_numpy()
    spare = np.clip(cand["capacity"].to_numpy(float) - own_need, 0, None)
    d = distances[(distances["distance_m"] <= catchment_m)
                  & distances["destination"].isin(cand["facility_id"])]
    sf = night["shortfall"].reindex(d["origin"]).fillna(0).to_numpy()
    pool = pd.Series(sf).groupby(d["destination"].to_numpy()).sum()
    count = pd.Series(sf > 0).groupby(d["destination"].to_numpy()).sum()
    ids = cand["facility_id"].to_numpy()
    out = gpd.GeoDataFrame({
        "facility_id": ids,
        "name": cand["name"].to_numpy(),
        "kind": cand["kind"].to_numpy(),
        "capacity": cand["capacity"].to_numpy(),
        "spare_night": spare,
        "shortfall_in_catchment": pool.reindex(ids).fillna(0).to_numpy(),
        "locations_in_catchment": count.reindex(ids).fillna(0).astype(int).to_numpy(),
    }, geometry=cand.geometry.to_numpy(), crs=supply.crs)
    out["covered"] = np.minimum(out["spare_night"], out["shortfall_in_catchment"])
    out = out.sort_values(["covered", "spare_night", "facility_id"],
                          ascending=[False, False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def rank_compounds(locations: gpd.GeoDataFrame, access: pd.DataFrame) -> gpd.GeoDataFrame:
    """Compounds ranked by night shortfall, for 挖潜 (finding spaces in old compounds).

    Returns
    -------
    GeoDataFrame
        Compounds with a night shortfall: ``rank, compound_id, name, built_year, households,
        demand_night, own_night, standard_gap`` (spaces the standard asks for that the
        compound lacks), ``public_access_night``, ``access_ratio_night``,
        ``shortfall_night``; compound polygons; largest shortfall first.
    """
    night = access[access["period"] == "night"].set_index("demand_id")
    comp = locations[locations["layer"] == "residential_compounds"]
    ids = comp["demand_id"].to_numpy()
    out = gpd.GeoDataFrame({
        "compound_id": ids,
        "name": comp["name"].to_numpy(),
        "built_year": comp["built_year"].to_numpy(),
        "households": comp["households"].to_numpy(),
        "demand_night": comp["demand_night"].to_numpy(),
        "own_night": comp["own_night"].to_numpy(),
        "standard_gap": np.clip(comp["demand_base"].to_numpy() - comp["own_night"].to_numpy(), 0, None),
        "public_access_night": night["public_access"].reindex(ids).to_numpy(),
        "access_ratio_night": night["access_ratio"].reindex(ids).to_numpy(),
        "shortfall_night": night["shortfall"].reindex(ids).to_numpy(),
    }, geometry=comp.geometry.to_numpy(), crs=comp.crs)
    out = out[out["shortfall_night"] > 1e-9]
    out = out.sort_values(["shortfall_night", "compound_id"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _summary(scenario: str, access: pd.DataFrame) -> dict:
    night = access[access["period"] == "night"]
    day = access[access["period"] == "day"]
    return {
        "scenario": scenario,
        "shortfall_night": float(night["shortfall"].sum()),
        "locations_short_night": int((night["shortfall"] > 0.5).sum()),
        "shortfall_day": float(day["shortfall"].sum()),
        "locations_short_day": int((day["shortfall"] > 0.5).sum()),
    }


def what_if_open(
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    top_n: int = WHAT_IF_TOP_N,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
    decay: Decay = "none",
    sigma_m: float | None = None,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open the top ``top_n`` candidates at night and recompute the accessibility.

    Parameters
    ----------
    facilities : GeoDataFrame
        The ``parking_facilities`` layer.
    demand : GeoDataFrame
        From :func:`parking_demand`.
    distances : pandas.DataFrame
        From :func:`parking_distances` (to every facility).
    candidates : pandas.DataFrame
        From :func:`rank_candidates`.
    top_n : int, keyword-only
        How many of the best candidates to open.
    catchment_m, decay, sigma_m, defaults
        As in :func:`analyze_parking`.

    Returns
    -------
    summary : pandas.DataFrame
        ``scenario`` (``current``, ``open_top_<n>``), night and day shortfall totals and
        the number of locations short (> 0.5 space).
    access : pandas.DataFrame
        The accessibility table of the scenario (as :func:`parking_accessibility`).
    """
    base_supply = classify_supply(facilities, demand, defaults=defaults)
    base = parking_accessibility(demand_locations(demand, base_supply), base_supply, distances,
                                 catchment_m=catchment_m, decay=decay, sigma_m=sigma_m)
    chosen = candidates["facility_id"].head(top_n).tolist()
    supply = classify_supply(facilities, demand, defaults=defaults, open_at_night=chosen)
    access = parking_accessibility(demand_locations(demand, supply), supply, distances,
                                   catchment_m=catchment_m, decay=decay, sigma_m=sigma_m)
    summary = pd.DataFrame([_summary("current", base), _summary(f"open_top_{len(chosen)}", access)])
    summary["opened"] = ["", ",".join(chosen)]
    return summary, access


"""Everything the parking chain computes, and the tables and layers written from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import geopandas as gpd
import pandas as pd

from ..result import AnalysisResult, parameters_frame
from .defaults import PARKING_DEFAULTS, PERIODS

__all__ = ["ParkingResult"]


@dataclass
class ParkingResult(AnalysisResult):
    """Everything :func:`analyze_parking` computes.

    Attributes
    ----------
    locations : GeoDataFrame
        Demand locations with demand and own spaces per period.
    supply : GeoDataFrame
        Facilities with whom they serve per period.
    zones : pandas.DataFrame
        Long table of :func:`zone_balance` for subdistricts and grid cells.
    grid_balance, subdistrict_balance : GeoDataFrame or None
        The zones with ``supply_day … ratio_night`` columns.
    accessibility : pandas.DataFrame
        :func:`parking_accessibility`.
    candidates : GeoDataFrame
        :func:`rank_candidates`.
    compounds : GeoDataFrame
        :func:`rank_compounds`.
    what_if : pandas.DataFrame
        :func:`what_if_open` summary.
    distances : pandas.DataFrame
        Demand location → facility distances within the catchment.
    distance_method : str
        ``euclidean`` or ``network`` (as used).
    parameters : dict
        Catchment, decay, sigma and every default used.
    notes : list of str
        What the user should know (fallbacks, unmatched garages).
    """

    locations: gpd.GeoDataFrame
    supply: gpd.GeoDataFrame
    zones: pd.DataFrame
    grid_balance: gpd.GeoDataFrame | None
    subdistrict_balance: gpd.GeoDataFrame | None
    accessibility: pd.DataFrame
    candidates: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    what_if: pd.DataFrame
    distances: pd.DataFrame
    distance_method: str
    parameters: dict
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "parking"

    def accessibility_csv(self) -> pd.DataFrame:
        """The ``accessibility.csv`` columns first: ``demand_id, period, access_ratio, shortfall``."""
        first = ["demand_id", "period", "access_ratio", "shortfall"]
        return self.accessibility[first + [c for c in self.accessibility.columns if c not in first]]

    def tables(self) -> dict[str, pd.DataFrame]:
        """``zones``, ``accessibility``, ``candidates``, ``compounds_wajian``, ``what_if``."""
        return {
            "zones": self.zones,
            "accessibility": self.accessibility_csv(),
            "candidates": self.candidates.drop(columns="geometry"),
            "compounds_wajian": self.compounds.drop(columns="geometry"),
            "what_if": self.what_if,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Demand locations (with access per period), facilities, candidates, compounds and
        the zone balances."""
        loc = self.locations.copy()
        acc = self.accessibility.pivot(index="demand_id", columns="period",
                                       values=["access_ratio", "shortfall", "public_access"])
        acc.columns = [f"{a}_{b}" for a, b in acc.columns]
        for c in acc.columns:
            loc[c] = acc[c].reindex(loc["demand_id"]).to_numpy()
        return {
            "demand_locations": loc,
            "facilities": self.supply,
            "candidates": self.candidates,
            "compounds_wajian": self.compounds,
            "grid_balance": self.grid_balance,
            "subdistrict_balance": self.subdistrict_balance,
        }

    def parameters_table(self) -> pd.DataFrame:
        """Every parameter used, with the unit and source of each default."""
        return parameters_frame(self.parameters, PARKING_DEFAULTS)

    def summary(self) -> dict:
        """Key figures, for ``--json`` and reports."""
        acc = self.accessibility
        out = {
            "distance": self.distance_method,
            "catchment_m": self.parameters["catchment_m"],
            "decay": self.parameters["decay"],
            "demand_locations": int(len(self.locations)),
            "facilities": int(len(self.supply)),
        }
        for p in PERIODS:
            a = acc[acc["period"] == p]
            out[f"demand_{p}"] = round(float(a["demand"].sum()), 1)
            out[f"shortfall_{p}"] = round(float(a["shortfall"].sum()), 1)
            out[f"locations_short_{p}"] = int((a["shortfall"] > 0.5).sum())
        out["candidates"] = int(len(self.candidates))
        out["what_if"] = self.what_if.to_dict(orient="records")
        out["notes"] = list(self.notes)
        return out


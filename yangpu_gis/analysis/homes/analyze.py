"""美丽家园 progress against the plan's targets: :func:`analyze_homes`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..complaints.common import first_container
from ..inputs import common_metric_crs, require_columns
from ..result import AnalysisResult
from .defaults import HOMES_DEFAULTS, HOMES_TARGETS

__all__ = ["HomesResult", "analyze_homes"]

_FIXED = ("fixed", "verified")
_OPEN = ("found", "fixing")
_DONE = ("completed", "in_service")
_UNDER_WAY = ("approved", "under_construction")

@dataclass
class HomesResult(AnalysisResult):
    """All outputs of :func:`analyze_homes`.

    Attributes
    ----------
    targets : DataFrame
        ``item, label, plan_13th, target, achieved, left, share`` for the plan period, and
        ``elevators_under_way`` (achieved = under way now; no target).
    by_year : DataFrame
        Per year: compounds renovated, their floor area and households, misconnections
        found and fixed, elevators completed.
    by_subdistrict : DataFrame
        Per subdistrict: compounds, renovated in the period, floor area, misconnections
        open and fixed, elevators done and under way.
    open_misconnections : DataFrame
        Points not fixed yet (found or being fixed), oldest first.
    compounds, misconnections, elevators : GeoDataFrame
        For the map: compounds with ``renovation`` (period, earlier, none), the points.
    """

    targets: pd.DataFrame
    by_year: pd.DataFrame
    by_subdistrict: pd.DataFrame
    open_misconnections: pd.DataFrame
    compounds: gpd.GeoDataFrame
    misconnections: gpd.GeoDataFrame
    elevators: gpd.GeoDataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "homes"

    @property
    def defaults(self):
        return HOMES_DEFAULTS

    def tables(self) -> dict[str, pd.DataFrame]:
        """``targets, by_year, by_subdistrict, open_misconnections``."""
        return {"targets": self.targets, "by_year": self.by_year,
                "by_subdistrict": self.by_subdistrict,
                "open_misconnections": self.open_misconnections}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``compounds, misconnections, elevators`` (``homes.gpkg``)."""
        return {"compounds": self.compounds, "misconnections": self.misconnections,
                "elevators": self.elevators}

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        return {"period": f"{self.parameters['first_year']}–{self.parameters['last_year']}",
                "targets": {r.item: {"achieved": float(r.achieved),
                                     "target": None if pd.isna(r.target) else float(r.target),
                                     "left": None if pd.isna(r.left) else float(r.left)}
                            for r in self.targets.itertuples()},
                "parameters": self.parameters, "notes": self.notes}


def _year(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, errors="coerce").dt.year.to_numpy(dtype=float)


def _status(frame: gpd.GeoDataFrame | None) -> np.ndarray:
    if frame is None or not len(frame):
        return np.zeros(0, dtype=object)
    return frame["status"].astype(str).to_numpy(dtype=object)


def analyze_homes(
    compounds: gpd.GeoDataFrame,
    *,
    misconnections: gpd.GeoDataFrame | None = None,
    elevators: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    targets: Mapping[str, float] | None = None,
    first_year: int = HOMES_DEFAULTS.first_year,
    last_year: int = HOMES_DEFAULTS.last_year,
    floor_area_per_household_m2: float = HOMES_DEFAULTS.floor_area_per_household_m2,
) -> HomesResult:
    """美丽家园 progress of a plan period against its targets (see the module notes).

    Elevators are counted in units (台, the ``elevators`` column; 1 where it is missing).
    A compound counts as renovated in the year of ``renovated_year``; its floor area is its
    ``floor_area_m2`` when the layer has one, else ``households`` ×
    ``floor_area_per_household_m2`` (noted). A misconnection point counts as fixed in the
    year of its ``fixed_date`` when its status is fixed or verified; an elevator as
    completed in the year of its ``completed_date`` when completed or in service; a fixed
    point or finished elevator without its date is counted in the period and noted.

    Parameters
    ----------
    compounds : GeoDataFrame
        ``residential_compounds`` (``compound_id, households, renovated_year``).
    misconnections, elevators : GeoDataFrame, optional
        ``sewer_misconnections`` and ``elevator_installations``.
    subdistricts : GeoDataFrame, optional
        For the table per subdistrict (a compound's is the one holding its inner point).
    targets : mapping, optional
        Item -> target (:data:`HOMES_TARGETS`; :func:`load_homes_targets`).
    first_year, last_year : int
        The plan period (inclusive).
    floor_area_per_household_m2 : float

    Returns
    -------
    HomesResult

    Raises
    ------
    ValidationError
        Missing columns, a period whose first year is after its last.
    """
    require_columns(compounds, ("compound_id", "households", "renovated_year"),
                    "residential compounds")
    if not (isinstance(first_year, int) and isinstance(last_year, int)
            and 1949 < first_year <= last_year < 2200):
        raise ValidationError(f"the period {first_year!r}–{last_year!r} is not two years, "
                              "the first not after the last", hint="e.g. 2021–2025")
    if not (floor_area_per_household_m2 > 0 and np.isfinite(floor_area_per_household_m2)):
        raise ValidationError("floor_area_per_household_m2 must be a positive number")
    crs = common_metric_crs(compounds, misconnections, elevators, subdistricts,
                            what="compounds and 美丽家园 records")
    notes: list[str] = []
    goal = {k: v[2] for k, v in HOMES_TARGETS.items()} | dict(targets or {})
    c = compounds.reset_index(drop=True)
    year = pd.to_numeric(c["renovated_year"], errors="coerce").to_numpy(float)
    if "floor_area_m2" in c and c["floor_area_m2"].notna().any():
        area = pd.to_numeric(c["floor_area_m2"], errors="coerce").to_numpy(float)
    else:
        area = pd.to_numeric(c["households"], errors="coerce").to_numpy(float) \
            * floor_area_per_household_m2
        notes.append(f"no floor_area_m2: floor area estimated as households × "
                     f"{floor_area_per_household_m2:g} m²")
    in_period = (year >= first_year) & (year <= last_year)
    empty = gpd.GeoDataFrame(geometry=[], crs=crs)
    mis = misconnections.reset_index(drop=True) if misconnections is not None else empty
    ele = elevators.reset_index(drop=True) if elevators is not None else empty
    if misconnections is None:
        notes.append("no sewer_misconnections layer: misconnections not counted")
    else:
        require_columns(mis, ("misconnection_id", "status", "found_date"), "misconnections")
    if elevators is None:
        notes.append("no elevator_installations layer: elevators not counted")
    else:
        require_columns(ele, ("installation_id", "status"), "elevator installations")
    ms, es = _status(mis), _status(ele)
    fixed_year = _year(mis["fixed_date"]) if "fixed_date" in mis else np.full(len(mis), np.nan)
    fixed = np.isin(ms, _FIXED)
    fixed_in = fixed & (np.isnan(fixed_year) | ((fixed_year >= first_year)
                                                & (fixed_year <= last_year)))
    if (fixed & np.isnan(fixed_year)).any():
        notes.append(f"{int((fixed & np.isnan(fixed_year)).sum())} fixed misconnection points "
                     "without fixed_date: counted in the period")
    done_year = _year(ele["completed_date"]) if "completed_date" in ele \
        else np.full(len(ele), np.nan)
    done = np.isin(es, _DONE)
    done_in = done & (np.isnan(done_year) | ((done_year >= first_year)
                                             & (done_year <= last_year)))
    if (done & np.isnan(done_year)).any():
        notes.append(f"{int((done & np.isnan(done_year)).sum())} finished elevators without "
                     "completed_date: counted in the period")
    under_way = np.isin(es, _UNDER_WAY)
    # elevators are counted in 台 (units): a project may add more than one
    units = pd.to_numeric(ele["elevators"], errors="coerce").fillna(1).to_numpy(float) \
        if "elevators" in ele else np.ones(len(ele))

    achieved = {"compounds": float(in_period.sum()),
                "floor_area_m2": float(np.nansum(area[in_period])),
                "misconnections_fixed": float(fixed_in.sum()),
                "elevators_completed": float(units[done_in].sum())}
    rows = []
    for item, (label, plan13, _t) in HOMES_TARGETS.items():
        target = float(goal[item])
        rows.append({"item": item, "label": label, "plan_13th": plan13, "target": target,
                     "achieved": achieved[item], "left": max(target - achieved[item], 0.0),
                     "share": round(achieved[item] / target, 4) if target else np.nan})
    rows.append({"item": "elevators_under_way", "label": "加装电梯在建/已立项（台）",
                 "plan_13th": 21, "target": np.nan, "achieved": float(units[under_way].sum()),
                 "left": np.nan, "share": np.nan})
    target_table = pd.DataFrame(rows)

    found_year = _year(mis["found_date"]) if len(mis) else np.zeros(0)
    years = sorted({int(y) for y in np.concatenate([year, found_year, fixed_year, done_year])
                    if np.isfinite(y)} | set(range(first_year, last_year + 1)))
    by_year = pd.DataFrame({"year": years})
    by_year["compounds_renovated"] = [int((year == y).sum()) for y in years]
    by_year["floor_area_m2"] = [round(float(np.nansum(area[year == y])), 1) for y in years]
    hh = pd.to_numeric(c["households"], errors="coerce").to_numpy(float)
    by_year["households"] = [int(np.nansum(hh[year == y])) for y in years]
    by_year["misconnections_found"] = [int((found_year == y).sum()) for y in years]
    by_year["misconnections_fixed"] = [int((fixed & (fixed_year == y)).sum()) for y in years]
    by_year["elevators_completed"] = [int(units[done & (done_year == y)].sum()) for y in years]
    by_year["in_period"] = (by_year["year"] >= first_year) & (by_year["year"] <= last_year)

    def where(frame):
        if subdistricts is None or not len(subdistricts) or not len(frame):
            return np.full(len(frame), None, dtype=object)
        pts = shapely.point_on_surface(frame.geometry.to_numpy())
        return first_container(pts, subdistricts, "subdistrict_id")[0]

    csub, msub, esub = where(c), where(mis), where(ele)
    subs = sorted({s for s in np.concatenate([csub, msub, esub]) if s is not None}) or [None]
    per = []
    for s in subs:
        ci, mi, ei = csub == s, msub == s, esub == s
        per.append({"subdistrict_id": s, "compounds": int(ci.sum()),
                    "renovated_in_period": int((ci & in_period).sum()),
                    "floor_area_renovated_m2": round(float(np.nansum(area[ci & in_period])), 1),
                    "misconnections": int(mi.sum()),
                    "misconnections_open": int((mi & np.isin(ms, _OPEN)).sum()),
                    "misconnections_fixed": int((mi & fixed).sum()),
                    "elevators_done": int(units[ei & done].sum()),
                    "elevators_under_way": int(units[ei & under_way].sum())})
    by_sub = pd.DataFrame(per)
    if subdistricts is not None and "name" in subdistricts:
        names = subdistricts.set_index("subdistrict_id")["name"]
        by_sub.insert(1, "name", by_sub["subdistrict_id"].map(names))

    open_mis = pd.DataFrame(mis[np.isin(ms, _OPEN)].drop(columns="geometry", errors="ignore"))
    if len(open_mis):
        open_mis = open_mis.sort_values(["found_date", "misconnection_id"], ignore_index=True)
    renovation = np.where(in_period, f"{first_year}–{last_year} 改造",
                          np.where(np.isfinite(year) & (year < first_year),
                                   f"{first_year} 年前改造", "未改造"))
    comp_layer = c.assign(renovation=renovation, floor_area_m2=np.round(area, 1),
                          subdistrict_id=csub)
    params = {"first_year": first_year, "last_year": last_year,
              "floor_area_per_household_m2": floor_area_per_household_m2,
              **{f"target_{k}": float(v) for k, v in goal.items()}}
    return HomesResult(targets=target_table, by_year=by_year, by_subdistrict=by_sub,
                       open_misconnections=open_mis, compounds=comp_layer,
                       misconnections=mis, elevators=ele, parameters=params, notes=notes)

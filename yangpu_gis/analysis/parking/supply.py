"""Parking demand by day and night, and whom each facility serves (and whose it is)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..inputs import metric
from .defaults import (
    CANDIDATE_KINDS,
    OFFPEAK,
    PARKING_DEFAULTS,
    PERIODS,
    SERVICE_RULES,
    ParkingDefaults,
)

__all__ = ["classify_supply", "demand_locations", "parking_demand"]

_OWNER_KIND = {"office": "office", "commercial": "commercial", "hospital": "hospital",
               "school": "school"}


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy()



def parking_demand(
    compounds: gpd.GeoDataFrame,
    pois: gpd.GeoDataFrame | None = None,
    *,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
) -> gpd.GeoDataFrame:
    """Parking demand of each compound and POI, by day and by night.

    Parameters
    ----------
    compounds : GeoDataFrame
        ``residential_compounds``: ``compound_id``, ``households`` (and optionally ``name``,
        ``built_year``, ``parking_spaces``).
    pois : GeoDataFrame, optional
        ``pois``: ``poi_id``, ``kind`` and ``beds``, ``students``, ``staff``,
        ``floor_area_m2``. Kinds without a ratio (metro stations, other) are left out.
    defaults : ParkingDefaults, keyword-only
        Ratios (see :meth:`ParkingDefaults.table`).

    Returns
    -------
    GeoDataFrame
        One row per demand location: ``demand_id``, ``layer`` (source layer), ``kind``
        (``residential`` or the POI kind), ``name``, ``demand_base`` (spaces by the
        standard), ``demand_day``, ``demand_night``, ``listed_spaces`` (a compound's
        ``parking_spaces``), ``built_year``, ``households``; the input geometry.

    Raises
    ------
    ValidationError
        If an id appears twice across the two layers.
    """
    d = defaults
    c = metric(compounds, "residential_compounds")
    hh = np.nan_to_num(_num(c, "households"))
    base_c = hh * d.spaces_per_household
    comp = gpd.GeoDataFrame(
        {
            "demand_id": c["compound_id"].astype(str).to_numpy(),
            "layer": "residential_compounds",
            "kind": "residential",
            "name": c["name"].to_numpy() if "name" in c else None,
            "demand_base": base_c,
            "demand_day": base_c * d.resident_day_share,
            "demand_night": base_c,
            "listed_spaces": np.nan_to_num(_num(c, "parking_spaces")),
            "built_year": _num(c, "built_year"),
            "households": hh,
        },
        geometry=c.geometry.to_numpy(), crs=c.crs,
    )
    frames = [comp]
    if pois is not None and len(pois):
        p = metric(pois, "pois").to_crs(comp.crs)
        kind = p["kind"].astype(str).to_numpy()
        area = _num(p, "floor_area_m2")
        beds, staff, students = _num(p, "beds"), _num(p, "staff"), _num(p, "students")
        base = np.full(len(p), np.nan)
        hosp = kind == "hospital"
        base[hosp] = np.where(np.isnan(area[hosp]),
                              np.nan_to_num(beds[hosp]) * d.hospital_per_bed,
                              area[hosp] / 100 * d.hospital_per_100m2)
        sch = kind == "school"
        base[sch] = (np.nan_to_num(staff[sch]) * d.school_per_staff
                     + np.nan_to_num(students[sch]) / 100 * d.school_per_100_students)
        off = kind == "office"
        base[off] = np.nan_to_num(area[off]) / 100 * d.office_per_100m2
        com = kind == "commercial"
        base[com] = np.nan_to_num(area[com]) / 100 * d.commercial_per_100m2
        keep = ~np.isnan(base)
        frames.append(gpd.GeoDataFrame(
            {
                "demand_id": p["poi_id"].astype(str).to_numpy()[keep],
                "layer": "pois",
                "kind": kind[keep],
                "name": p["name"].to_numpy()[keep] if "name" in p else None,
                "demand_base": base[keep],
                "demand_day": base[keep],
                "demand_night": base[keep] * d.nonresident_night_share,
                "listed_spaces": 0.0,
                "built_year": np.nan,
                "households": np.nan,
            },
            geometry=p.geometry.to_numpy()[keep], crs=p.crs,
        ))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=comp.crs)
    dup = out["demand_id"].duplicated(keep=False)
    if dup.any():
        raise ValidationError("compound and POI ids must be distinct across layers",
                              hint="duplicates: " + ", ".join(out.loc[dup, "demand_id"].unique()[:5]))
    return out


def classify_supply(
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
    open_at_night: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Whom each parking facility serves by day and by night, and whose it is.

    Parameters
    ----------
    facilities : GeoDataFrame
        ``parking_facilities``: ``facility_id``, ``kind``, ``capacity`` and optionally
        ``shared_offpeak``, ``name``.
    demand : GeoDataFrame
        From :func:`parking_demand`.
    defaults : ParkingDefaults, keyword-only
        ``own_match_m``: an ``own`` facility belongs to the compound containing it (or the
        nearest within this distance), or the nearest POI of its kind within it.
    open_at_night : list of str, optional, keyword-only
        Facility ids to treat as shared at night (the what-if).

    Returns
    -------
    GeoDataFrame
        The facilities (representative points) with ``capacity`` (float, missing → 0),
        ``shared`` (bool), ``serves_day``, ``serves_night`` (``public`` or ``own``),
        ``owner_id`` (the demand location an ``own`` facility belongs to, or missing).
    """
    f = metric(facilities, "parking_facilities").to_crs(demand.crs)
    kind = f["kind"].astype(str).to_numpy()
    shared = (f["shared_offpeak"].astype("boolean").fillna(False).to_numpy(dtype=bool)
              if "shared_offpeak" in f else np.zeros(len(f), bool))
    if open_at_night:
        shared = shared | (f["facility_id"].astype(str).isin(open_at_night).to_numpy()
                           & np.isin(kind, CANDIDATE_KINDS))
    out = gpd.GeoDataFrame(
        {
            "facility_id": f["facility_id"].astype(str).to_numpy(),
            "name": f["name"].to_numpy() if "name" in f else None,
            "kind": kind,
            "capacity": np.nan_to_num(_num(f, "capacity")),
            "shared": shared,
        },
        geometry=shapely.point_on_surface(f.geometry.to_numpy()), crs=demand.crs,
    )
    for period in PERIODS:
        rule = np.array([SERVICE_RULES.get(k, {}).get(period, "public") for k in kind], dtype=object)
        off = np.array([OFFPEAK.get(k, "night") == period for k in kind])
        rule[shared & off] = "public"
        out[f"serves_{period}"] = rule
    out["owner_id"] = pd.Series([None] * len(out), dtype=object)
    own_any = ((out["serves_day"] == "own") | (out["serves_night"] == "own")).to_numpy()
    # residential: the compound containing it, else the nearest within own_match_m
    comp = demand[demand["layer"] == "residential_compounds"][["demand_id", "geometry"]]
    res = np.flatnonzero(own_any & (kind == "residential"))
    if len(res) and len(comp):
        pts = out.iloc[res][["geometry"]]
        hit = gpd.sjoin(pts, comp, predicate="within", how="left")
        hit = hit[~hit.index.duplicated()]["demand_id"]
        miss = hit.isna()
        if miss.any():
            near = gpd.sjoin_nearest(pts.loc[miss[miss].index], comp, how="left",
                                     max_distance=defaults.own_match_m)
            near = near[~near.index.duplicated()]["demand_id"]
            hit.loc[near.index] = near
        out.loc[hit.index, "owner_id"] = hit.to_numpy()
    pois = demand[demand["layer"] == "pois"]
    for fkind, pkind in _OWNER_KIND.items():
        rows = np.flatnonzero(own_any & (kind == fkind))
        target = pois[pois["kind"] == pkind][["demand_id", "geometry"]]
        if not len(rows) or not len(target):
            continue
        near = gpd.sjoin_nearest(out.iloc[rows][["geometry"]], target, how="left",
                                 max_distance=defaults.own_match_m)
        near = near[~near.index.duplicated()]["demand_id"]
        out.loc[near.index, "owner_id"] = near.to_numpy()
    return out


def demand_locations(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Demand with each location's own spaces per period (``own_day``, ``own_night``).

    A location's own spaces are the capacity of the ``own`` facilities matched to it in
    that period; for a compound, at least its listed ``parking_spaces`` less any of its
    garages that serve everyone in that period (a compound's listed spaces and its garages
    usually count the same spaces, so they are not added).

    Parameters
    ----------
    demand : GeoDataFrame
        From :func:`parking_demand`.
    supply : GeoDataFrame
        From :func:`classify_supply`.

    Returns
    -------
    GeoDataFrame
        ``demand`` with ``own_day`` and ``own_night`` added.
    """
    out = demand.copy()
    owned = supply[supply["owner_id"].notna()]
    is_comp = (out["layer"] == "residential_compounds").to_numpy()
    for period in PERIODS:
        own = owned[owned[f"serves_{period}"] == "own"].groupby("owner_id")["capacity"].sum()
        opened = owned[owned[f"serves_{period}"] == "public"].groupby("owner_id")["capacity"].sum()
        own_v = own.reindex(out["demand_id"]).fillna(0).to_numpy()
        opened_v = opened.reindex(out["demand_id"]).fillna(0).to_numpy()
        listed = np.clip(out["listed_spaces"].to_numpy() - opened_v, 0, None)
        out[f"own_{period}"] = np.where(is_comp, np.maximum(listed, own_v), own_v)
    return out


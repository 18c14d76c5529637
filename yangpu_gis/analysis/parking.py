"""Parking supply versus demand (停车难): zone balances, 2SFCA accessibility, candidates.

Pure functions on GeoDataFrames (no I/O); :func:`analyze_parking` runs the whole chain.

Model
-----
**Demand** (:func:`parking_demand`) by day and by night, from the provision ratios of
Shanghai's DG/TJ 08-7-2021 (上海市建筑工程交通设计及停车库(场)设置标准), kept as the
overridable defaults of :data:`PARKING_DEFAULTS` (see :meth:`ParkingDefaults.table` for each
figure, its unit and source): residential compounds (households × spaces per household),
hospitals (per 100 m² floor area; per bed when the area is missing), schools (per staff
member, plus optional pick-up bays per 100 students), offices and commerce (per 100 m²).
Residents park at home at night and partly by day; the other uses by day.

**Supply** (:func:`classify_supply`) from ``parking_facilities``. Each kind serves either
everyone (``public``) or only its own compound/building (``own``) in each period:

========== ============ ==============================================================
kind       day          night
========== ============ ==============================================================
public     everyone     everyone
on_street  everyone     everyone
commercial everyone     own building (none modelled at night) — everyone if shared
office     own building own building — everyone if ``shared_offpeak`` (错峰共享)
hospital   own building own building — everyone if shared
school     own building own building — everyone if shared
residential own compound own compound; a shared compound garage serves everyone by day
========== ============ ==============================================================

A compound's own spaces are its ``parking_spaces`` (or the capacity of the residential
facilities matched to it, when larger — the two often list the same spaces).

**Accessibility** (:func:`two_step_fca`, :func:`parking_accessibility`): the demand a place
cannot meet with its own spaces competes for the public spaces within a walking catchment
(default 500 m), by the two-step floating catchment area method (2SFCA, Luo & Wang 2003),
optionally with Gaussian distance decay (E2SFCA, Luo & Qi 2009), by straight-line or
network distance. Per demand location and period: ``access_ratio`` = (own spaces +
accessible public spaces) / demand, and ``shortfall`` in spaces.

**Candidates** (:func:`rank_candidates`): office, commercial, school and hospital garages
not yet shared at night, ranked by the night shortfall they could cover within the
catchment; compounds ranked by night shortfall for 挖潜 (:func:`rank_compounds`); a
what-if opens the top N at night and recomputes (:func:`what_if_open`).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from typing import ClassVar, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import ValidationError
from . import network
from .result import AnalysisResult, parameters_frame

__all__ = [
    "PARKING_DEFAULTS",
    "PERIODS",
    "ParkingDefaults",
    "ParkingResult",
    "access_points",
    "analyze_parking",
    "classify_supply",
    "demand_locations",
    "parking_accessibility",
    "parking_demand",
    "parking_distances",
    "parking_walking_graph",
    "rank_candidates",
    "rank_compounds",
    "two_step_fca",
    "what_if_open",
    "zone_balance",
]

PERIODS: tuple[str, str] = ("day", "night")
Period = Literal["day", "night"]
Decay = Literal["none", "gaussian"]

_STD = "DG/TJ 08-7-2021 (OCR'd copy; verify against the standard)"
_ASSUMED = "modelling assumption, not from the standard; set from a survey"


@dataclass(frozen=True)
class ParkingDefaults:
    """Every ratio and parameter of the parking model, with its source.

    Override with :func:`dataclasses.replace`, e.g.
    ``replace(PARKING_DEFAULTS, spaces_per_household=1.2)``; :meth:`table` lists them.
    Figures marked DG/TJ 08-7-2021 come from an OCR'd copy of the standard (see
    ``DOMAIN.md``): verify them against the standard before relying on a result.
    """

    #: Spaces per household (standard: 1.0–1.6 by unit size and zone; the low end fits the
    #: old inner-city housing of Yangpu).
    spaces_per_household: float = field(default=1.0, metadata={
        "unit": "spaces/household", "source": f"{_STD}: housing 1.0–1.6 per household"})
    #: Office spaces per 100 m² floor area (standard 0.7–1.0).
    office_per_100m2: float = field(default=0.8, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: offices 0.7–1.0 per 100 m²"})
    #: Retail/commercial spaces per 100 m² (standard 0.5–1.0).
    commercial_per_100m2: float = field(default=0.6, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: retail 0.5–1.0 per 100 m²"})
    #: Hospital spaces per 100 m² floor area (standard about 1.0–1.5).
    hospital_per_100m2: float = field(default=1.2, metadata={
        "unit": "spaces/100 m² GFA", "source": f"{_STD}: hospitals about 1.0–1.5 per 100 m²"})
    #: Hospital spaces per bed, used only when ``floor_area_m2`` is missing.
    hospital_per_bed: float = field(default=0.5, metadata={
        "unit": "spaces/bed", "source": _ASSUMED})
    #: School spaces per staff member (standard: at least 50 % of staff).
    school_per_staff: float = field(default=0.5, metadata={
        "unit": "spaces/staff", "source": f"{_STD}: schools ≥ 50 % of staff"})
    #: School pick-up/drop-off bays per 100 students (the standard asks for bays; the OCR'd
    #: copy gives no figure, so none by default).
    school_per_100_students: float = field(default=0.0, metadata={
        "unit": "bays/100 students", "source": f"{_STD}: pick-up bays required, no figure read"})
    #: Share of residents' cars parked at home by day.
    resident_day_share: float = field(default=0.5, metadata={
        "unit": "share", "source": _ASSUMED})
    #: Share of office/commercial/hospital/school demand present at night.
    nonresident_night_share: float = field(default=0.0, metadata={
        "unit": "share", "source": _ASSUMED})
    #: Walking catchment of the 2SFCA.
    catchment_m: float = field(default=500.0, metadata={
        "unit": "m", "source": "issue 5: 500 m walk (about 6–7 minutes)"})
    #: A garage serves its own building/compound when within this distance of it.
    own_match_m: float = field(default=100.0, metadata={"unit": "m", "source": _ASSUMED})
    #: Walking graph: join dead ends to a road this close (centre-line gaps at kerbs).
    connect_dangling_m: float = field(default=50.0, metadata={
        "unit": "m", "source": "data repair for centre-line road data (see network.walking_graph)"})
    #: Walking graph: line ends closer than this are one node.
    snap_tolerance_m: float = field(default=1.0, metadata={"unit": "m", "source": "data repair"})

    def table(self) -> pd.DataFrame:
        """The defaults as a table: ``parameter, value, unit, source``."""
        return pd.DataFrame(
            [{"parameter": f.name, "value": getattr(self, f.name), "unit": f.metadata["unit"],
              "source": f.metadata["source"]} for f in fields(self)]
        )

    def as_dict(self) -> dict[str, float]:
        """Parameter name -> value."""
        return asdict(self)


#: The defaults used unless a function is given others.
PARKING_DEFAULTS = ParkingDefaults()

#: Which facilities serve whom: kind -> period -> ``public`` (everyone) or ``own``.
SERVICE_RULES: dict[str, dict[str, str]] = {
    "public": {"day": "public", "night": "public"},
    "on_street": {"day": "public", "night": "public"},
    "commercial": {"day": "public", "night": "own"},
    "office": {"day": "own", "night": "own"},
    "hospital": {"day": "own", "night": "own"},
    "school": {"day": "own", "night": "own"},
    "residential": {"day": "own", "night": "own"},
}
#: The off-peak period in which a ``shared_offpeak`` facility serves everyone.
OFFPEAK: dict[str, str] = {"residential": "day"}
#: Kinds whose garages may be opened at night (错峰共享 candidates).
CANDIDATE_KINDS: tuple[str, ...] = ("office", "commercial", "school", "hospital")
#: POI kind a facility kind belongs to (for "own building").
_OWNER_KIND = {"office": "office", "commercial": "commercial", "hospital": "hospital",
               "school": "school"}


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy()


def _metric(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValidationError(f"{name} has no CRS", hint="set_crs(settings.working_crs)")
    return gdf.to_crs(settings.working_crs) if gdf.crs.is_geographic else gdf


# --------------------------------------------------------------------------------------------
# Demand and supply
# --------------------------------------------------------------------------------------------


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
    c = _metric(compounds, "residential_compounds")
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
        p = _metric(pois, "pois").to_crs(comp.crs)
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
    f = _metric(facilities, "parking_facilities").to_crs(demand.crs)
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


# --------------------------------------------------------------------------------------------
# Zone balances
# --------------------------------------------------------------------------------------------


def _area_shares(polys: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, zone_id: str) -> pd.DataFrame:
    """(row position, zone id, share of the polygon's area in the zone)."""
    geoms = polys.geometry.to_numpy()
    zg = zones.geometry.to_numpy()
    i, j = shapely.STRtree(zg).query(geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(geoms[i], zg[j]))
    area = shapely.area(geoms[i])
    share = np.divide(inter, area, out=np.zeros_like(inter), where=area > 0)
    frame = pd.DataFrame({"pos": i, "zone": zones[zone_id].to_numpy()[j], "share": share})
    return frame[frame["share"] > 0]


def _point_zone(geoms: np.ndarray, zones: gpd.GeoDataFrame, zone_id: str) -> np.ndarray:
    """Zone id of each point (first zone that intersects it; missing outside all zones)."""
    zg = zones.geometry.to_numpy()
    i, j = shapely.STRtree(zg).query(geoms, predicate="intersects")
    out = np.full(len(geoms), None, dtype=object)
    first = np.unique(i, return_index=True)[1]
    out[i[first]] = zones[zone_id].to_numpy()[j[first]]
    return out


def _own_parts(rows: pd.DataFrame, period: str) -> dict[str, np.ndarray]:
    """Demand, own spaces used by it (supply) and own spaces beyond it (idle) of locations."""
    dem = rows[f"demand_{period}"].to_numpy(float)
    own = rows[f"own_{period}"].to_numpy(float)
    return {"demand": dem, "supply": np.minimum(own, dem), "idle_own": np.clip(own - dem, 0, None)}


def zone_balance(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str,
    zone_type: str,
    name_column: str | None = "name",
) -> pd.DataFrame:
    """Supply, demand, balance and ratio per zone and period.

    A compound that spans several zones is split by area share (its demand and its own
    spaces alike); POIs and facilities count in the zone that contains them. Supply in a
    period is every space that can meet the demand then: the public facilities, plus each
    location's own spaces up to its own demand (a compound's or office's spaces beyond its
    own need cannot be used by others: they are reported as ``idle_own``, together with
    own-use garages that match no modelled location).

    Parameters
    ----------
    locations : GeoDataFrame
        From :func:`demand_locations`.
    supply : GeoDataFrame
        From :func:`classify_supply`.
    zones : GeoDataFrame
        Subdistricts or grid cells.
    zone_id : str, keyword-only
        Id column of ``zones``.
    zone_type : str, keyword-only
        Label written to the ``zone_type`` column (``subdistrict``, ``grid_cell``).
    name_column : str, optional, keyword-only
        Zone name column, copied when present.

    Returns
    -------
    pandas.DataFrame
        ``zone_type, zone_id, name, period, supply, demand, balance, ratio, idle_own`` (one
        row per zone and period; ``balance = supply - demand``, ``ratio = supply / demand``,
        missing when there is no demand).
    """
    zones = zones.to_crs(locations.crs)
    polys = locations.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    parts = []
    if polys.any():
        sh = _area_shares(locations[polys], zones, zone_id)
        rows = locations[polys].iloc[sh["pos"].to_numpy()]
        parts.append(pd.DataFrame({
            "zone": sh["zone"].to_numpy(),
            **{f"{k}_{p}": v * sh["share"].to_numpy()
               for p in PERIODS for k, v in _own_parts(rows, p).items()},
        }))
    pts = locations[~polys]
    if len(pts):
        parts.append(pd.DataFrame({
            "zone": _point_zone(shapely.point_on_surface(pts.geometry.to_numpy()), zones, zone_id),
            **{f"{k}_{p}": v for p in PERIODS for k, v in _own_parts(pts, p).items()},
        }))
    if len(supply):
        fz = _point_zone(supply.geometry.to_numpy(), zones, zone_id)
        unowned = supply["owner_id"].isna().to_numpy()
        parts.append(pd.DataFrame({
            "zone": fz,
            **{f"demand_{p}": 0.0 for p in PERIODS},
            **{f"supply_{p}": np.where(supply[f"serves_{p}"].to_numpy() == "public",
                                       supply["capacity"].to_numpy(), 0.0) for p in PERIODS},
            **{f"idle_own_{p}": np.where(
                (supply[f"serves_{p}"].to_numpy() == "own") & unowned,
                supply["capacity"].to_numpy(), 0.0) for p in PERIODS},
        }))
    cols = [f"{k}_{p}" for k in ("demand", "supply", "idle_own") for p in PERIODS]
    sums = (pd.concat(parts, ignore_index=True).dropna(subset=["zone"]).groupby("zone")[cols].sum()
            if parts else pd.DataFrame(columns=cols))
    base = pd.DataFrame({"zone_id": zones[zone_id].astype(str).to_numpy()})
    base["name"] = (zones[name_column].to_numpy()
                    if name_column and name_column in zones.columns else None)
    sums.index = sums.index.astype(str)
    rows = []
    for p in PERIODS:
        frame = base.copy()
        frame.insert(0, "zone_type", zone_type)
        frame["period"] = p
        frame["supply"] = sums[f"supply_{p}"].reindex(frame["zone_id"]).fillna(0).to_numpy()
        frame["demand"] = sums[f"demand_{p}"].reindex(frame["zone_id"]).fillna(0).to_numpy()
        frame["balance"] = frame["supply"] - frame["demand"]
        frame["idle_own"] = sums[f"idle_own_{p}"].reindex(frame["zone_id"]).fillna(0).to_numpy()
        frame["ratio"] = np.where(frame["demand"] > 0,
                                  frame["supply"] / frame["demand"].where(frame["demand"] > 0),
                                  np.nan)
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    return out[["zone_type", "zone_id", "name", "period", "supply", "demand", "balance", "ratio",
                "idle_own"]]


def _wide(zones: gpd.GeoDataFrame, balance: pd.DataFrame, zone_id: str) -> gpd.GeoDataFrame:
    """Zones with ``supply_day … ratio_night`` columns, for maps and the GeoPackage."""
    values = ["supply", "demand", "balance", "ratio", "idle_own"]
    wide = balance.pivot(index="zone_id", columns="period", values=values)
    keep = list(dict.fromkeys(c for c in (zone_id, "name", "subdistrict_id") if c in zones.columns))
    out = pd.DataFrame(zones[keep]).copy()
    key = out[zone_id].astype(str)
    for p in PERIODS:
        for v in values:
            out[f"{v}_{p}"] = wide[(v, p)].reindex(key).to_numpy()
    return gpd.GeoDataFrame(out, geometry=zones.geometry.to_numpy(), crs=zones.crs)


# --------------------------------------------------------------------------------------------
# Accessibility
# --------------------------------------------------------------------------------------------


def _weights(d: np.ndarray, decay: Decay, sigma_m: float | None, catchment_m: float) -> np.ndarray:
    if decay == "none":
        return np.ones_like(d, dtype=float)
    if decay == "gaussian":
        sigma = sigma_m if sigma_m is not None else catchment_m / 2
        return np.exp(-d * d / (2 * sigma**2))
    raise ValidationError(f"unknown decay {decay!r}", hint="none or gaussian")


def two_step_fca(
    demand: pd.Series,
    supply: pd.Series,
    distances: pd.DataFrame,
    *,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
    decay: Decay = "none",
    sigma_m: float | None = None,
) -> pd.Series:
    """Two-step floating catchment area accessibility (2SFCA / E2SFCA).

    Step 1, per supply site *j*: :math:`R_j = S_j / \\sum_{i: d_{ij} \\le d_0} W(d_{ij}) D_i`.
    Step 2, per demand site *i*: :math:`A_i = \\sum_{j: d_{ij} \\le d_0} W(d_{ij}) R_j`
    (Luo & Wang 2003; with distance-decay weights *W*, Luo & Qi 2009). Without decay
    ``W = 1``. The same formulation as PySAL ``access`` (``two_stage_fca``).

    Parameters
    ----------
    demand : pandas.Series
        Demand :math:`D_i` (spaces) indexed by demand id.
    supply : pandas.Series
        Supply :math:`S_j` (spaces) indexed by supply id.
    distances : pandas.DataFrame
        ``origin`` (demand id), ``destination`` (supply id), ``distance_m``.
    catchment_m : float, keyword-only
        Catchment :math:`d_0`, metres (inclusive). Default 500 m.
    decay : {"none", "gaussian"}, keyword-only
        ``gaussian``: :math:`W(d) = \\exp(-d^2 / 2\\sigma^2)` (as ``access.weights.gaussian``).
    sigma_m : float, optional, keyword-only
        Gaussian width, metres; default ``catchment_m / 2`` (weight 0.135 at the edge).

    Returns
    -------
    pandas.Series
        :math:`A_i`, accessible supply per unit of demand, indexed like ``demand``; 0 where
        no supply is in reach. A supply site with no demand in reach serves nobody
        (:math:`R_j = 0`).

    Examples
    --------
    >>> dist = pd.DataFrame({"origin": ["a", "b"], "destination": ["p", "p"],
    ...                      "distance_m": [100.0, 300.0]})
    >>> two_step_fca(pd.Series({"a": 30.0, "b": 10.0}), pd.Series({"p": 20.0}), dist).tolist()
    [0.5, 0.5]
    """
    d = distances[distances["distance_m"] <= catchment_m]
    d = d[d["origin"].isin(demand.index) & d["destination"].isin(supply.index)]
    w = _weights(d["distance_m"].to_numpy(float), decay, sigma_m, catchment_m)
    dem = demand.reindex(d["origin"]).to_numpy(float)
    pressure = pd.Series(w * dem).groupby(d["destination"].to_numpy()).sum()
    s = supply.reindex(pressure.index).fillna(0).to_numpy(float)
    p = pressure.to_numpy(float)
    ratio = pd.Series(np.divide(s, p, out=np.zeros_like(s), where=p > 0), index=pressure.index)
    contrib = w * ratio.reindex(d["destination"]).fillna(0).to_numpy(float)
    a = pd.Series(contrib).groupby(d["origin"].to_numpy()).sum()
    return a.reindex(demand.index).fillna(0.0).rename("access")


def access_points(locations: gpd.GeoDataFrame) -> np.ndarray:
    """Where a demand location is walked from: its representative point.

    :func:`shapely.point_on_surface` (inside the compound or building, unlike a centroid).
    The parking accessibility here and the coverage report's parking reach
    (:func:`yangpu_gis.analysis.coverage.parking_reach`) both measure from these points.

    Parameters
    ----------
    locations : GeoDataFrame
        Demand locations or compounds.

    Returns
    -------
    numpy.ndarray
        Points, aligned to ``locations``.
    """
    return shapely.point_on_surface(locations.geometry.to_numpy())


def parking_walking_graph(
    roads: gpd.GeoDataFrame,
    crs: object,
    *,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
    connect_dangling_m: float | None = None,
) -> network.WalkingGraph:
    """The walking graph of parking access: the roads in ``crs``, repaired as the defaults say.

    One graph definition for the parking accessibility (:func:`analyze_parking`) and the
    coverage report's parking reach, so both walk the same network.

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    crs : CRS
        The CRS of the demand locations (metric).
    defaults : ParkingDefaults, keyword-only
        ``snap_tolerance_m`` and ``connect_dangling_m``.
    connect_dangling_m : float, optional, keyword-only
        Overrides ``defaults.connect_dangling_m`` (metres).

    Returns
    -------
    WalkingGraph
    """
    return network.walking_graph(
        _metric(roads, "roads").to_crs(crs),
        snap_tolerance_m=defaults.snap_tolerance_m,
        connect_dangling_m=(defaults.connect_dangling_m if connect_dangling_m is None
                            else connect_dangling_m),
    )


def parking_distances(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    method: Literal["euclidean", "network"] = "euclidean",
    graph: network.WalkingGraph | None = None,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
) -> pd.DataFrame:
    """Distances from each demand location (representative point) to each facility.

    Parameters
    ----------
    locations : GeoDataFrame
        Demand locations (``demand_id``).
    supply : GeoDataFrame
        Facilities (``facility_id``).
    method : {"euclidean", "network"}, keyword-only
        Straight line, or walking along ``graph``.
    graph : WalkingGraph, optional, keyword-only
        Required for ``network``.
    catchment_m : float, keyword-only
        Largest distance kept, metres.

    Returns
    -------
    pandas.DataFrame
        ``origin`` (demand id), ``destination`` (facility id), ``distance_m``.
    """
    o = gpd.GeoSeries(access_points(locations), index=locations["demand_id"].to_numpy(),
                      crs=locations.crs)
    d = gpd.GeoSeries(supply.geometry.to_numpy(), index=supply["facility_id"].to_numpy(),
                      crs=supply.crs)
    if method == "network":
        if graph is None:
            raise ValidationError("network distances need a walking graph",
                                  hint="network.walking_graph(roads)")
        return network.network_distances(graph, o, d, cutoff_m=catchment_m)
    if method == "euclidean":
        return network.euclidean_distances(o, d, cutoff_m=catchment_m)
    raise ValidationError(f"unknown distance method {method!r}", hint="euclidean or network")


def parking_accessibility(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    *,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
    decay: Decay = "none",
    sigma_m: float | None = None,
) -> pd.DataFrame:
    """Accessible spaces per demanded space, and the shortfall, per location and period.

    The demand a location's own spaces cannot meet (``residual``) competes for the public
    facilities within the catchment by :func:`two_step_fca`, giving ``public_access``
    (accessible public spaces per residual space). Then ``access_ratio = (own + public_access
    × residual) / demand`` and ``shortfall = residual × max(0, 1 − public_access)``.

    Parameters
    ----------
    locations : GeoDataFrame
        From :func:`demand_locations`.
    supply : GeoDataFrame
        From :func:`classify_supply`.
    distances : pandas.DataFrame
        From :func:`parking_distances`.
    catchment_m, decay, sigma_m
        As in :func:`two_step_fca`.

    Returns
    -------
    pandas.DataFrame
        ``demand_id, period, demand, own_spaces, residual_demand, public_access,
        access_ratio, shortfall``; ``access_ratio`` is missing where demand is 0.
    """
    rows = []
    ids = locations["demand_id"].to_numpy()
    for p in PERIODS:
        dem = locations[f"demand_{p}"].to_numpy(float)
        own = locations[f"own_{p}"].to_numpy(float)
        residual = np.clip(dem - own, 0, None)
        public = supply[supply[f"serves_{p}"] == "public"]
        a = two_step_fca(
            pd.Series(residual, index=ids),
            pd.Series(public["capacity"].to_numpy(float), index=public["facility_id"].to_numpy()),
            distances, catchment_m=catchment_m, decay=decay, sigma_m=sigma_m,
        ).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(dem > 0, (own + a * residual) / np.where(dem > 0, dem, 1), np.nan)
        rows.append(pd.DataFrame({
            "demand_id": ids, "period": p, "demand": dem, "own_spaces": own,
            "residual_demand": residual, "public_access": a, "access_ratio": ratio,
            "shortfall": residual * np.clip(1 - a, 0, None),
        }))
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Candidates, 挖潜, what-if
# --------------------------------------------------------------------------------------------


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
    top_n: int = 10,
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


# --------------------------------------------------------------------------------------------
# The whole chain
# --------------------------------------------------------------------------------------------


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
    what_if_top_n: int = 10,
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
        sub_w = _wide(subdistricts.to_crs(demand.crs), b, "subdistrict_id")
    if grid_cells is not None and len(grid_cells):
        name = "name" if "name" in grid_cells.columns else None
        b = zone_balance(locations, supply, grid_cells, zone_id="grid_id", zone_type="grid_cell",
                         name_column=name)
        zones.append(b)
        grid_w = _wide(grid_cells.to_crs(demand.crs), b, "grid_id")
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


def with_defaults(**overrides: float) -> ParkingDefaults:
    """:data:`PARKING_DEFAULTS` with some values replaced (``with_defaults(spaces_per_household=1.2)``)."""
    return replace(PARKING_DEFAULTS, **overrides)

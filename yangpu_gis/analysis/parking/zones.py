"""Supply, demand and balance per zone (subdistrict, grid cell) and period."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .defaults import PERIODS

__all__ = ["wide_balance", "zone_balance"]


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


def wide_balance(zones: gpd.GeoDataFrame, balance: pd.DataFrame, zone_id: str) -> gpd.GeoDataFrame:
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


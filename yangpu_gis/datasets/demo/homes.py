"""美丽家园 records of the demo: rain–sewage misconnection points, added elevators, and the
overhead lines of 架空线入地.

* ``sewer_misconnections`` (雨污混接点): found in surveys of 2019–2025 at old compounds
  (built before 2000), a point near a compound's edge each; most found before 2023 are
  fixed (and some verified), later ones are being fixed or still open;
* ``elevator_installations`` (加装电梯): projects in six-storey walk-ups of compounds built
  1980–1999, from proposal to service, with their dates.

* ``overhead_lines`` (架空线): lines along branch and secondary roads and alleys, buried by
  plan year 2016–2025, some still overhead or being buried, a few ownerless ones removed.

All use their own random stream (seeded from the demo's seed), so that adding them left
every other layer as it was. Invented, like the rest of the demo.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ... import settings

__all__ = ["elevators_layer", "misconnections_layer", "overhead_layer"]

_UNITS = ("杨浦区水务局", "上海城投水务（集团）有限公司排水分公司", "小区物业")
_KINDS = ("sewage_into_rain", "rain_into_sewage", "mixed")


def _day(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def misconnections_layer(compounds: gpd.GeoDataFrame, rng: np.random.Generator,
                         n: int = 230) -> gpd.GeoDataFrame:
    """Misconnection points at old compounds, with survey and fix dates (see the module)."""
    old = compounds[compounds["built_year"].fillna(2000) < 2000].reset_index(drop=True)
    pick = np.sort(rng.choice(len(old), n, replace=True))
    rows, geoms = [], []
    for k, i in enumerate(pick, start=1):
        c = old.iloc[int(i)]
        edge = c.geometry.exterior
        pt = edge.interpolate(float(rng.random()), normalized=True)
        found = _day(rng, dt.date(2019, 3, 1), dt.date(2025, 10, 31))
        u = rng.random()
        if found.year <= 2022:
            status = "verified" if u < 0.45 else ("fixed" if u < 0.92 else "fixing")
        else:
            status = "fixed" if u < 0.45 else ("fixing" if u < 0.75 else "found")
        fixed = None
        if status in ("fixed", "verified"):
            fixed = min(found + dt.timedelta(days=int(rng.integers(60, 540))),
                        dt.date(2025, 12, 20))
        rows.append({"misconnection_id": f"HJ{found.year}{k:04d}",
                     "kind": _KINDS[int(rng.choice(3, p=[0.55, 0.3, 0.15]))],
                     "compound_id": c["compound_id"], "road_id": None,
                     "address": f"{c['name']}", "found_date": found, "fixed_date": fixed,
                     "status": status, "responsible_unit": _UNITS[int(rng.integers(0, 3))]})
        geoms.append(pt)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.working_crs)


def elevators_layer(compounds: gpd.GeoDataFrame, rng: np.random.Generator,
                    n: int = 70) -> gpd.GeoDataFrame:
    """Elevator projects in walk-ups of 1980–1999 compounds (see the module)."""
    years = compounds["built_year"]
    cand = compounds[(years >= 1980) & (years < 2000)].reset_index(drop=True)
    pick = np.sort(rng.choice(len(cand), n, replace=len(cand) < n))
    rows, geoms = [], []
    for k, i in enumerate(pick, start=1):
        c = cand.iloc[int(i)]
        approved = _day(rng, dt.date(2019, 1, 1), dt.date(2025, 9, 30))
        started = approved + dt.timedelta(days=int(rng.integers(90, 300)))
        done = started + dt.timedelta(days=int(rng.integers(150, 330)))
        end = dt.date(2025, 12, 31)
        status = ("in_service" if done + dt.timedelta(days=30) <= end else "completed") \
            if done <= end else ("under_construction" if started <= end else "approved")
        if rng.random() < 0.08 and approved.year >= 2025:
            status = "proposed"
        pt = c.geometry.representative_point()
        pt = shapely.Point(pt.x + rng.normal(0, 15), pt.y + rng.normal(0, 15))
        if not c.geometry.contains(pt):
            pt = c.geometry.representative_point()
        rows.append({"installation_id": f"DT{approved.year}{k:03d}",
                     "compound_id": c["compound_id"],
                     "building": f"{int(rng.integers(1, 40))}号楼",
                     "status": status, "elevators": int(rng.choice([1, 1, 1, 2])),
                     "households_served": int(rng.choice([12, 18, 24, 30])),
                     "approved_date": approved if status != "proposed" else None,
                     "started_date": started if status not in ("proposed", "approved")
                     else None,
                     "completed_date": done if status in ("completed", "in_service")
                     else None})
        geoms.append(pt)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.working_crs)


_LINE_OWNERS = {"power": "国网上海市电力公司市北供电公司", "telecom": "中国电信股份有限公司上海分公司",
                "cable_tv": "东方有线网络有限公司"}


def overhead_layer(roads: gpd.GeoDataFrame, rng: np.random.Generator,
                   n_roads: int = 160) -> gpd.GeoDataFrame:
    """Overhead lines (架空线) along branch and secondary roads and alleys, one or two per
    road segment, offset 6 m to a side: most buried 2016–2025 by plan year, some still
    overhead or being buried, a few ownerless lines removed (无主架空线清理)."""
    cand = roads[roads["road_class"].isin(["branch", "secondary", "alley"]).to_numpy()]
    pick = np.sort(rng.choice(len(cand), min(n_roads, len(cand)), replace=False))
    rows, geoms = [], []
    k = 0
    for i in pick:
        road = cand.iloc[int(i)]
        for side in range(int(rng.choice([1, 1, 2]))):
            k += 1
            kind = str(rng.choice(list(_LINE_OWNERS), p=[0.45, 0.4, 0.15]))
            line = shapely.offset_curve(road.geometry, 6.0 if side == 0 else -6.0)
            if line.is_empty or line.geom_type != "LineString":
                line = road.geometry
            plan = int(rng.integers(2016, 2028))
            u = rng.random()
            owner = _LINE_OWNERS[kind]
            if u < 0.05:
                status, date, owner = "removed", _day(rng, dt.date(2019, 1, 1),
                                                      dt.date(2025, 6, 30)), None
            elif plan <= 2025 and u < 0.9:
                status = "buried"
                date = min(_day(rng, dt.date(plan, 1, 1), dt.date(plan, 12, 31)),
                           dt.date(2025, 12, 20))
            elif plan <= 2026 and u < 0.95:
                status, date = "burying", None
            else:
                status, date = "overhead", None
            rows.append({"line_id": f"JK{k:05d}", "kind": kind, "owner": owner,
                         "road_id": road["road_id"], "status": status, "plan_year": plan,
                         "buried_date": date})
            geoms.append(line)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.working_crs)

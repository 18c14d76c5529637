"""Parking facilities: on-street stretches, lots of hospitals, schools, offices and shops,
compound car parks and public garages and surface lots.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from ... import settings
from .base import Base
from .common import CN_NUM, rotated_rect
from .pois import Addresser
from .roads import cross_name, endpoint_names


def parking_layer(
    base: Base,
    roads: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    pois: gpd.GeoDataFrame,
    address: Addresser,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """The ``parking_facilities`` layer: on-street, POI, compound and public facilities."""
    rows = _on_street_parking(roads, rng)
    rows += _poi_parking(pois, rng)
    rows += _compound_parking(compounds, rng)
    rows += _public_parking(base, roads, rng)
    frame = pd.DataFrame(rows)
    pts = [g if g.geom_type == "Point" else g.centroid for g in frame["geometry"]]
    missing = frame["address"].isna()
    frame.loc[missing, "address"] = address([p for p, m in zip(pts, missing, strict=True) if m])
    shared = frame["shared_offpeak"].astype("boolean")
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"P{k:04d}" for k in range(1, len(frame) + 1)],
            "name": frame["name"].to_numpy(),
            "kind": frame["kind"].to_numpy(),
            "capacity": frame["capacity"].astype("int64").to_numpy(),
            "shared_offpeak": shared.array,
            "open_hours": frame["open_hours"].to_numpy(),
            "address": frame["address"].to_numpy(),
        },
        geometry=shapely.set_precision(frame["geometry"].to_numpy(), 0.01),
        crs=settings.working_crs,
    )


def _on_street_parking(
    roads: gpd.GeoDataFrame, rng: np.random.Generator, count: int = 170
) -> list[dict]:
    cand = np.flatnonzero(
        roads["road_class"].isin(["secondary", "branch"]).to_numpy()
        & (roads.geometry.length.to_numpy() > 150)
    )
    pick = np.sort(rng.choice(cand, min(count, cand.size), replace=False))
    ends = endpoint_names(roads)
    rows, used = [], set()
    for i in pick:
        geom, name, width = roads.geometry.iloc[i], roads["name"].iloc[i], roads["width_m"].iloc[i]
        a, b = (cross_name(ends, geom.coords[0], name), cross_name(ends, geom.coords[-1], name))
        label = f"{name}（{a}—{b}）道路停车场" if a and b and a != b else f"{name}道路停车场"
        base_label, k = label, 1
        while label in used:
            k += 1
            label = base_label.replace("道路停车场", f"道路停车场（{CN_NUM[min(k, 10) - 1]}段）")
        used.add(label)
        side = shapely.offset_curve(
            geom, width / 2 - 1.5 if rng.random() < 0.5 else 1.5 - width / 2
        )
        pt = (side if side.geom_type == "LineString" else geom).interpolate(0.5, normalized=True)
        cap = int(np.clip(geom.length / 6 * rng.uniform(0.3, 0.8), 10, 60))
        rows.append(
            {
                "name": label,
                "kind": "on_street",
                "capacity": cap,
                "shared_offpeak": None,
                "open_hours": str(rng.choice(["07:00-21:00", "07:00-22:00", "09:00-21:00"])),
                "address": None,
                "geometry": pt,
            }
        )
    return rows


def _poi_parking(pois: gpd.GeoDataFrame, rng: np.random.Generator) -> list[dict]:
    rows = []
    for name, kind, students, area, geom in zip(
        pois["name"],
        pois["kind"],
        pois["students"],
        pois["floor_area_m2"],
        pois.geometry,
        strict=True,
    ):
        pt = Point(geom.x + rng.normal(0, 25), geom.y + rng.normal(0, 25))
        if kind == "hospital":
            cap = int(
                np.clip((area if area == area else 5000) / 100 * rng.uniform(0.15, 0.35), 30, 900)
            )
            rows.append(_lot(f"{name}停车场", "hospital", cap, None, "00:00-24:00", pt))
        elif (
            kind == "school" and (students is not pd.NA and students >= 600) and rng.random() < 0.55
        ):
            cap = int(np.clip(students * rng.uniform(0.02, 0.05), 20, 900))
            rows.append(
                _lot(f"{name}停车场", "school", cap, bool(rng.random() < 0.3), "07:00-19:00", pt)
            )
        elif kind in ("commercial", "office") and area == area and area >= 20000:
            cap = int(np.clip(area / 100 * rng.uniform(0.4, 0.8), 80, 1800))
            shared = bool(rng.random() < (0.55 if kind == "commercial" else 0.45))
            label = f"{name}停车库" if kind == "commercial" else f"{name}地下停车库"
            hours = "08:00-24:00" if kind == "commercial" else "00:00-24:00"
            rows.append(_lot(label, kind, cap, shared, hours, pt))
    return rows


def _lot(
    name: str, kind: str, cap: int, shared: bool | None, hours: str, geom: shapely.Geometry
) -> dict:
    return {
        "name": name,
        "kind": kind,
        "capacity": cap,
        "shared_offpeak": shared,
        "open_hours": hours,
        "address": None,
        "geometry": geom,
    }


def _compound_parking(compounds: gpd.GeoDataFrame, rng: np.random.Generator) -> list[dict]:
    rows = []
    for name, spaces, geom in zip(
        compounds["name"], compounds["parking_spaces"], compounds.geometry, strict=True
    ):
        if spaces < 30 or rng.random() > 0.4:
            continue
        rows.append(
            _lot(
                f"{name}停车场",
                "residential",
                int(min(spaces, 600)),
                bool(rng.random() < 0.1),
                "00:00-24:00",
                geom.representative_point(),
            )
        )
    return rows


_PUBLIC_LOTS = ("黄兴公园", "杨浦滨江", "五角场", "大学路", "江湾体育场", "新江湾城", "复兴岛",
                "殷行", "长白", "定海", "控江", "延吉", "平凉", "四平", "鞍山", "长阳创谷")  # fmt: skip


def _public_parking(
    base: Base, roads: gpd.GeoDataFrame, rng: np.random.Generator, count: int = 64
) -> list[dict]:
    """Public lots: mostly garages (points), about a third surface lots drawn as polygons."""
    land = shapely.difference(
        base.land_minor,
        shapely.union_all(
            [g.buffer(w / 2 + 3) for g, w in zip(roads.geometry, roads["width_m"], strict=True)]
        ),
    )
    minx, miny, maxx, maxy = land.bounds
    rows, n = [], 0
    while len(rows) < count and n < count * 50:
        n += 1
        pt = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if not land.contains(pt):
            continue
        cap = int(rng.integers(50, 401))
        k = len(rows)
        stem = _PUBLIC_LOTS[k % len(_PUBLIC_LOTS)]
        suffix = "" if k < len(_PUBLIC_LOTS) else f"{CN_NUM[min(k // len(_PUBLIC_LOTS), 9)]}号"
        if k % 3 == 0:
            side = math.sqrt(cap * 28.0)
            geom = rotated_rect(pt.x, pt.y, side * 1.4, side / 1.4, math.radians(25))
            if not land.contains(geom):
                continue
            rows.append(
                _lot(
                    f"{stem}公共停车场{suffix}",
                    "public",
                    cap,
                    None,
                    "00:00-24:00",
                    shapely.set_precision(geom, 0.01),
                )
            )
        else:
            rows.append(_lot(f"{stem}公共停车库{suffix}", "public", cap, None, "00:00-24:00", pt))
    return rows

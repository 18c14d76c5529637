"""Points of interest (hospitals, schools, metro stations, offices, shops) and street
addresses ('控江路1500号') from the nearest public road.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.ops import nearest_points

from ... import settings
from .base import Base
from .common import CN_NUM, work_point
from .places import HOSPITALS, LANDMARKS, METRO_STATIONS, SCHOOLS, SUBDISTRICTS
from .roads import RoadLine, house_numbers


def _on_land(base: Base, geom: Point) -> Point:
    """Move a point onto land (off water, inside the outline) if it is not already."""
    land = shapely.difference(base.road_area, base.water.buffer(15))
    if land.contains(geom):
        return geom
    return nearest_points(land.buffer(-5), geom)[0]


@dataclass
class Addresser:
    """Street addresses ('控江路1500号') from the nearest public road."""

    segs: list[RoadLine]

    def __post_init__(self) -> None:
        self.public = [s for s in self.segs if s.road_class in ("arterial", "secondary", "branch")]
        self.tree = shapely.STRtree(np.array([s.geom for s in self.public], dtype=object))

    def __call__(self, points: Sequence[Point]) -> list[str]:
        pts = np.asarray(points, dtype=object)
        if pts.size == 0:
            return []
        near = self.tree.nearest(pts)
        nums = house_numbers([self.public[i].ref for i in near], pts)
        return [f"{self.public[i].name}{n}号" for i, n in zip(near, nums, strict=True)]


def pois_layer(
    base: Base,
    compounds: gpd.GeoDataFrame,
    address: Addresser,
    subs: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """The ``pois`` layer: named and generated POIs, on land, with street addresses."""
    rows: list[dict] = []
    for name, lon, lat, beds, area, addr in HOSPITALS:
        rows.append(
            {
                "name": name,
                "kind": "hospital",
                "beds": beds,
                "floor_area_m2": area,
                "address": addr,
                "geometry": _on_land(base, work_point(lon, lat)),
            }
        )
    for code, sub_name, *_ in SUBDISTRICTS:
        sub = subs.geometry[subs["subdistrict_id"] == code].iloc[0]
        pt = _on_land(base, sub.representative_point())
        short = sub_name.removesuffix("街道").removesuffix("新村").removesuffix("路")
        rows.append(
            {
                "name": f"杨浦区{short}社区卫生服务中心",
                "kind": "hospital",
                "beds": int(rng.integers(20, 90)),
                "floor_area_m2": float(rng.integers(40, 120) * 100),
                "geometry": pt,
            }
        )
    for name, lon, lat, students, staff, _r in SCHOOLS:
        rows.append(
            {
                "name": name,
                "kind": "school",
                "students": students,
                "staff": staff,
                "geometry": _on_land(base, work_point(lon, lat)),
            }
        )
    for name, lon, lat, _lines in METRO_STATIONS:
        rows.append(
            {
                "name": name,
                "kind": "metro_station",
                "geometry": _on_land(base, work_point(lon, lat)),
            }
        )
    for name, kind, lon, lat, area in LANDMARKS:
        rows.append(
            {
                "name": name,
                "kind": kind,
                "floor_area_m2": area or None,
                "geometry": _on_land(base, work_point(lon, lat)),
            }
        )
    rows.extend(_generated_pois(base, compounds, rng))
    frame = pd.DataFrame(rows)
    missing = frame["address"].isna() if "address" in frame else np.ones(len(frame), bool)
    frame.loc[missing, "address"] = address(list(frame.loc[missing, "geometry"]))
    return gpd.GeoDataFrame(
        {
            "poi_id": [f"POI{k:04d}" for k in range(1, len(frame) + 1)],
            "name": frame["name"].to_numpy(),
            "kind": frame["kind"].to_numpy(),
            "beds": pd.array(frame["beds"].astype("Float64").round(), dtype="Int64"),
            "students": pd.array(frame["students"].astype("Float64").round(), dtype="Int64"),
            "staff": pd.array(frame["staff"].astype("Float64").round(), dtype="Int64"),
            "floor_area_m2": frame["floor_area_m2"].astype("float64").to_numpy(),
            "address": frame["address"].to_numpy(),
        },
        geometry=shapely.set_precision(frame["geometry"].to_numpy(), 0.01),
        crs=settings.working_crs,
    )


def _generated_pois(
    base: Base, compounds: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[dict]:
    """Kindergartens and primary schools next to compounds, office towers and shops on streets."""
    rows = []
    geoms = compounds.geometry.to_numpy()
    pick = rng.choice(geoms.size, 60, replace=False)
    for n, i in enumerate(pick):
        pt = _on_land(base, geoms[i].exterior.interpolate(rng.random(), normalized=True))
        stem = str(compounds["name"].iloc[i])[:2]
        if n < 30:
            rows.append(
                {
                    "name": f"上海市杨浦区{stem}幼儿园",
                    "kind": "school",
                    "students": int(rng.integers(150, 450)),
                    "staff": int(rng.integers(25, 60)),
                    "geometry": pt,
                }
            )
        else:
            rows.append(
                {
                    "name": f"{stem}菜市场" if n < 42 else f"{stem}生活超市",
                    "kind": "commercial",
                    "floor_area_m2": float(rng.integers(8, 60) * 100),
                    "geometry": pt,
                }
            )
    hubs = [
        (121.5135, 31.3020),
        (121.5330, 31.2665),
        (121.5100, 31.3320),
        (121.5300, 31.2800),
        (121.5180, 31.2600),
        (121.5450, 31.3150),
    ]
    names = ("科技大厦", "国际大厦", "商务中心", "创新园", "金融大厦", "企业天地", "智慧谷", "广场")
    for n in range(36):
        lon, lat = hubs[n % len(hubs)]
        pt = work_point(lon, lat)
        pt = _on_land(base, Point(pt.x + rng.normal(0, 350), pt.y + rng.normal(0, 350)))
        stem = ("杨浦", "五角场", "长阳", "新江湾", "滨江", "江湾", "复旦", "同济")[n % 8]
        rows.append(
            {
                "name": f"{stem}{names[n % len(names)]}{'' if n < 8 else CN_NUM[n // 8 - 1] + '期'}",
                "kind": "office",
                "floor_area_m2": float(rng.integers(15, 120) * 1000),
                "geometry": pt,
            }
        )
    return rows

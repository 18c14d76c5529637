"""美丽街区 (beautiful blocks): stretches of named streets, 25–40 m either side.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ... import settings
from .base import Base
from .common import largest_polygon

_BLOCK_STREETS = (
    "大学路", "政通路", "国定路", "长阳路", "杨树浦路", "平凉路", "控江路", "黄兴路", "殷行路",
    "国和路", "市光路", "江浦路", "宁国路", "隆昌路", "双阳路", "内江路", "延吉中路", "赤峰路",
    "许昌路", "扬州路", "共青路", "政立路", "中原路", "江湾城路", "四平路", "淞沪路",
    "邯郸路", "翔殷路", "军工路", "周家嘴路", "大连路",
)  # fmt: skip


def beautiful_blocks_layer(
    base: Base, roads: gpd.GeoDataFrame, rng: np.random.Generator, target: int = 52
) -> gpd.GeoDataFrame:
    """美丽街区: stretches of named streets, 25–40 m either side, one or two per street."""
    public = roads[roads["road_class"].isin(["arterial", "secondary", "branch"])]
    names = list(dict.fromkeys([*_BLOCK_STREETS, *sorted(set(public["name"]))]))
    rows, placed = [], []
    for name in names:
        segs = public[public["name"] == name]
        if segs.empty:
            continue
        for part in range(2 if name in _BLOCK_STREETS[:12] else 1):
            start = int(rng.integers(0, len(segs)))
            take = segs.geometry.iloc[start : start + int(rng.integers(1, 4))]
            geom = shapely.intersection(
                shapely.union_all(take.buffer(rng.uniform(25, 40), cap_style="flat")), base.outline
            )
            geom = largest_polygon(geom)
            if geom is None or geom.area < 8000:
                continue
            if placed and shapely.intersects(np.array(placed, dtype=object), geom).any():
                continue
            placed.append(geom)
            year = int(rng.integers(2018, 2026))
            label = f"{name}美丽街区" if part == 0 else f"{name}美丽街区（二期）"
            rows.append(
                (
                    label,
                    year,
                    "市级示范" if rng.random() < 0.3 else "区级",
                    "在建" if year == 2025 else "已建成",
                    shapely.set_precision(geom, 0.01),
                )
            )
        if len(rows) >= target:
            break
    labels, years, levels, status, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "block_id": [f"MLJQ{k:03d}" for k in range(1, len(rows) + 1)],
            "name": labels,
            "year": np.array(years, dtype="int64"),
            "level": levels,
            "status": status,
        },
        geometry=list(geoms),
        crs=settings.working_crs,
    )

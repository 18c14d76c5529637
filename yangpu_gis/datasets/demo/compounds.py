"""Residential compounds (小区): placed in the blocks between streets, with the eras, names,
households and parking spaces of each subdistrict's housing.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon

from ... import settings
from .areas import subdistrict_of
from .base import Base
from .common import CN_NUM, largest_polygon, polygons_of, rotated_rect
from .roads import RoadLine

#: Old-housing name stems per subdistrict (e.g. 控江 → 控江一村 …), and new-housing stems.
_OLD_STEMS: dict[str, tuple[str, ...]] = {
    "310110001": ("定海", "杨树浦", "黎平", "松潘", "复兴", "隆昌"),
    "310110006": ("平凉", "兰州", "齐齐哈尔", "临青", "通北", "眉州"),
    "310110008": ("江浦", "辽源", "许昌", "昆明", "周家嘴", "鞍山"),
    "310110009": ("鞍山", "同济", "抚顺", "阜新", "赤峰", "密云"),
    "310110012": ("控江", "凤城", "本溪", "靖宇", "铁岭", "杭州"),
    "310110013": ("长白", "内江", "双阳", "安图", "图们", "延吉东"),
    "310110015": ("延吉", "包头", "敦化", "佳木斯", "松花", "打虎山"),
    "310110016": ("开鲁", "市光", "民星", "工农", "嫩江", "闸殷"),
    "310110018": ("大桥", "怀德", "长阳", "宁国", "腾越", "贵阳"),
    "310110019": ("国和", "政立", "民京", "国顺", "翔殷", "三门"),
    "310110020": ("新江湾", "殷高", "国晓", "政青", "城达", "伟德"),
    "310110021": ("国权", "政民", "政肃", "国定", "长海", "复旦"),
}
_NEW_PREFIX = (
    "锦", "华", "东", "江湾", "滨江", "百汇", "中远", "金", "瑞", "合生", "保利", "绿地",
    "万科", "仁恒", "建发", "中冶", "首创", "翔殷", "复兴", "时代", "尚景", "橡树",
)  # fmt: skip
_NEW_SUFFIX = ("花园", "苑", "公寓", "名邸", "雅苑", "城市花园", "佳苑", "家园", "府", "湾")


_ERAS = {  # subdistrict -> (probability of an old compound, old range, new range)
    "310110001": (0.8, (1952, 1998), (2000, 2020)),
    "310110006": (0.85, (1952, 1996), (2000, 2018)),
    "310110008": (0.8, (1952, 1996), (1998, 2016)),
    "310110018": (0.8, (1953, 1996), (1998, 2020)),
    "310110012": (0.8, (1954, 1995), (1996, 2012)),
    "310110013": (0.85, (1952, 1992), (1996, 2012)),
    "310110015": (0.8, (1958, 1995), (1996, 2012)),
    "310110009": (0.75, (1954, 1995), (1996, 2015)),
    "310110019": (0.45, (1978, 1998), (1999, 2016)),
    "310110021": (0.45, (1975, 1998), (1999, 2016)),
    "310110016": (0.55, (1985, 1999), (2000, 2012)),
    "310110020": (0.0, (2004, 2008), (2004, 2022)),
}


def _compound_name(rng: np.random.Generator, code: str, built: int, used: dict[str, int]) -> str:
    stem = str(rng.choice(_OLD_STEMS[code]))
    if built < 1998:
        n = used.get(stem, 0)
        used[stem] = n + 1
        if n < len(CN_NUM) and rng.random() < 0.85:
            return f"{stem}{CN_NUM[n]}村"
        return f"{stem}新村{'' if n == 0 else f'第{n + 1}小区'}"
    prefix = "新江湾城" if code == "310110020" else stem
    name = prefix + str(rng.choice(_NEW_PREFIX)) + str(rng.choice(_NEW_SUFFIX))
    n = used.get(name, 0)
    used[name] = n + 1
    return name if n == 0 else f"{name}{CN_NUM[min(n, 9)]}期"


def compounds_layer(
    base: Base,
    subs: gpd.GeoDataFrame,
    roads: list[RoadLine],
    rng: np.random.Generator,
    target: int = 680,
) -> gpd.GeoDataFrame:
    """The ``residential_compounds`` layer: up to ``target`` compounds between the streets."""
    road_buf = shapely.union_all([r.geom.buffer(r.width / 2 + 8) for r in roads])
    space = shapely.difference(base.land_minor, shapely.union(road_buf, base.open_areas))
    blocks = np.array(polygons_of(space, 3000.0), dtype=object)
    weights = np.array([b.area for b in blocks])
    riverside = shapely.intersects(blocks, base.riverside) & ~shapely.within(
        blocks, base.riverside.buffer(-50)
    )
    weights = weights * np.where(shapely.within(blocks, base.riverside), 0.25, 1.0)
    weights = weights * np.where(riverside, 0.6, 1.0)
    weights = weights / weights.sum()
    placed: list[Polygon] = []
    tries = 0
    while len(placed) < target and tries < target * 12:
        tries += 1
        blk = blocks[rng.choice(blocks.size, p=weights)]
        minx, miny, maxx, maxy = blk.bounds
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not blk.contains(Point(cx, cy)):
            continue
        w, h = rng.uniform(90, 260), rng.uniform(70, 190)
        ang = math.radians(25 + rng.normal(0, 4))
        geom = largest_polygon(shapely.intersection(rotated_rect(cx, cy, w, h, ang), blk))
        if geom is None or geom.area < 5000:
            continue
        if placed and shapely.intersects(np.array(placed, dtype=object), geom.buffer(6)).any():
            continue
        placed.append(shapely.normalize(shapely.set_precision(geom, 0.01)))
    codes = subdistrict_of(subs, [p.representative_point() for p in placed])
    rows = []
    used: dict[str, int] = {}
    for k, (geom, code) in enumerate(zip(placed, codes, strict=True), start=1):
        p_old, old, new = _ERAS[code]
        is_old = rng.random() < p_old
        lo, hi = old if is_old else new
        built = int(rng.integers(lo, hi + 1))
        dens = (
            rng.uniform(170, 260)
            if built < 1980
            else rng.uniform(140, 220)
            if built < 2000
            else rng.uniform(95, 170)
        )
        households = int(round(geom.area / 1e4 * dens))
        ratio = (
            rng.uniform(0.05, 0.3)
            if built < 1995
            else rng.uniform(0.3, 0.7)
            if built < 2005
            else rng.uniform(0.85, 1.3)
        )
        renovated = None
        if built < 2000 and rng.random() < 0.5:
            renovated = int(rng.integers(max(built + 15, 2000), 2026))
        rows.append(
            (
                f"XQ{k:04d}",
                _compound_name(rng, code, built, used),
                households,
                built,
                renovated,
                int(households * ratio),
                geom,
            )
        )
    ids, names, hh, built, ren, spaces, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "compound_id": ids,
            "name": names,
            "households": np.array(hh, dtype="int64"),
            "built_year": np.array(built, dtype="int64"),
            "renovated_year": pd.array(ren, dtype="Int64"),
            "parking_spaces": np.array(spaces, dtype="int64"),
        },
        geometry=list(geoms),
        crs=settings.working_crs,
    )

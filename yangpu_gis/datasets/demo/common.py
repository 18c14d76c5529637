"""Shared pieces of the demo generator: the date it describes, coordinate and geometry helpers,
random dates and names (every random draw takes the caller's ``numpy.random.Generator``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon

from ... import settings

#: The date the demo registry describes ("today" for statuses and moratorium checks).
AS_OF = dt.date(2025, 12, 31)

#: Chinese numerals one to ten (一村, 二期, 三段 …).
CN_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
#: Surnames and given-name characters of the invented people (grid managers).
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "建华国平军明伟芳丽静敏强磊洋艳勇杰娟涛超秀英霞刚桂兰玉萍红云燕鹏辉玲斌宇浩凯秀珍志文海波丹丹晨雪梅佳琪嘉怡思远子涵俊杰晓东立新卫东"

#: Telecom operators (pipeline owners and excavation applicants).
TELECOM_OWNERS = (
    "中国电信股份有限公司上海分公司",
    "中国移动通信集团上海有限公司",
    "中国联合网络通信有限公司上海市分公司",
    "东方有线网络有限公司",
)


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def to_work(lonlat: Sequence[tuple[float, float]] | np.ndarray) -> np.ndarray:
    """WGS84 lon/lat pairs to working-CRS x/y (n × 2 array)."""
    arr = np.asarray(lonlat, dtype="float64").reshape(-1, 2)
    x, y = _transformer("EPSG:4326", settings.working_crs).transform(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y])


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Working-CRS x/y to WGS84 lon/lat."""
    return _transformer(settings.working_crs, "EPSG:4326").transform(x, y)


def work_line(lonlat: Sequence[tuple[float, float]]) -> LineString:
    """A WGS84 polyline as a LineString in the working CRS."""
    return LineString(to_work(lonlat))


def work_point(lon: float, lat: float) -> Point:
    """A WGS84 lon/lat as a Point in the working CRS."""
    return Point(to_work([(lon, lat)])[0])


def lines_of(geom: shapely.Geometry, min_length: float = 0.0) -> list[LineString]:
    """The LineString parts of a geometry, longest-first order kept as produced."""
    if geom is None or geom.is_empty:
        return []
    parts = shapely.get_parts(shapely.line_merge(geom) if geom.geom_type != "LineString" else geom)
    return [p for p in parts if p.geom_type == "LineString" and p.length >= min_length]


def polygons_of(geom: shapely.Geometry, min_area: float = 0.0) -> list[Polygon]:
    """The Polygon parts of a geometry of at least ``min_area``."""
    if geom is None or geom.is_empty:
        return []
    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area >= min_area]


def rotated_rect(cx: float, cy: float, w: float, h: float, angle: float) -> Polygon:
    """Rectangle of width ``w`` (along ``angle``, radians) and height ``h`` centred at cx, cy."""
    c, s = math.cos(angle), math.sin(angle)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return Polygon([(cx + u * c - v * s, cy + u * s + v * c) for u, v in corners])


def largest_polygon(geom: shapely.Geometry) -> Polygon | None:
    """The largest Polygon part of a geometry, ``None`` if it has none."""
    polys = polygons_of(geom)
    return max(polys, key=lambda p: p.area) if polys else None


def random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date from ``start`` to ``end`` inclusive."""
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def person_name(rng: np.random.Generator) -> str:
    """An invented Chinese personal name (surname and one or two characters)."""
    given = "".join(_GIVEN[int(i)] for i in rng.integers(0, len(_GIVEN), int(rng.integers(1, 3))))
    return _SURNAMES[int(rng.integers(0, len(_SURNAMES)))] + given

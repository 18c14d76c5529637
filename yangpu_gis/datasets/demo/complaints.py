"""A year (2025) of 12345 hotline work orders.

Built in layers, each of which an analysis should find:

* background orders along the streets (more on alleys; bad pavement draws 道路破损; a share
  of 违法停车 at hospital, school and metro entrances), with the seasons, weekdays and hours
  of each category (积水 on the rain days of the plum-rain and typhoon season, 噪声 on summer
  nights, 违法停车 on weekday rush hours, 占道经营 at market hours);
* hot spots 300–600 m across, over several grid cells, so that Gi* on the ~420 m grid
  cells finds them (:data:`_HOT_SPOTS`);
* recurring spots: one address with cases in many months (a restaurant's fumes, a flat
  let to too many tenants);
* duplicate bursts: the same problem reported again by others within minutes to hours,
  within a few tens of metres (甄别归并);
* orders without coordinates whose address names a road (``控江路1500号``,
  ``政通路与国定路交叉口``), placed by the loader on that road (``location_precision =
  road``), and a handful whose address names no road at all (``控江二村12号楼``): the CSV
  has them, the manifest loads with ``skip_unlocated = true`` and lists them.

The rain days, hot spots and places are invented; no real hotline data is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from ... import settings
from ...io.geocode import locate_on_roads, match_road_names
from .base import Base
from .caused import pit_orders, works_orders
from .common import work_point
from .places import HOSPITALS, METRO_STATIONS, SCHOOLS
from .pois import Addresser
from .roads import cross_name, endpoint_names

_COMPLAINT_TEXT = {
    "道路破损": ("{a}门口人行道地砖松动破损，老人经过容易绊倒，要求尽快修复。",
              "{a}附近机动车道出现多处坑塘，车辆经过颠簸，存在安全隐患。",
              "{a}路段沥青路面开裂沉降，请相关部门尽快处理。"),
    "占道经营": ("{a}附近有流动摊贩占用人行道经营，影响行人通行，要求取缔。",
              "{a}沿街商铺长期跨门营业，货物堆放占道，请城管部门处理。",
              "{a}早晚有菜贩摆摊占道，垃圾遍地。",
              "{a}一带晚上夜宵摊占道经营到凌晨，桌椅摆满人行道。"),
    "噪声": ("{a}附近工地夜间施工噪声扰民，要求核实是否办理夜间施工许可。",
           "{a}附近酒吧深夜喧哗，音乐声音很大，影响周边居民休息。",
           "{a}附近广场舞音响声音过大，要求管理。"),
    "积水": ("{a}路段下雨后积水严重，积水没过脚踝，行人无法通行。",
           "{a}小区门口雨水口堵塞，路面积水长时间不退。",
           "{a}附近下立交积水很深，有车辆涉水熄火，要求尽快排水并封闭。"),
    "违法停车": ("{a}附近车辆长期违法停放在人行道上，影响通行，要求处理。",
             "{a}医院门口车辆乱停，造成交通拥堵，要求加强管理。",
             "{a}消防通道被私家车占用，存在安全隐患。",
             "{a}学校门口接送车辆乱停，高峰时段道路堵死。",
             "{a}地铁站出口非机动车和网约车乱停，影响通行。"),
    "垃圾": ("{a}附近垃圾箱房满溢未及时清运，气味难闻。",
           "{a}小区建筑垃圾堆放多日无人清理。",
           "{a}附近有人乱扔垃圾，垃圾分类不到位。"),
    "井盖缺失": ("{a}附近窨井盖缺失破损，存在安全隐患，请尽快修复。",),
    "路灯故障": ("{a}路段路灯不亮已有多日，夜间通行不安全。",),
    "油烟扰民": ("{a}底层餐饮店油烟直排，影响楼上居民生活。",),
    "绿化养护": ("{a}附近行道树枝叶遮挡窗户和信号灯，要求修剪。",),
    "群租": ("{a}有群租现象，人员进出频繁，存在安全隐患。",),
    "掘路施工": ("{a}道路开挖施工围挡占用车道，施工结束后路面未及时恢复。",
             "{a}路段反复开挖，刚修好的路又被挖开，要求相关部门协调。"),
}  # fmt: skip
#: Texts only used where they fit (hot spots, entrances): category -> template indices.
_SPECIAL_TEXT = {"占道经营": (3,), "积水": (2,), "违法停车": (1, 3, 4)}
_CATEGORY_WEIGHT = {"道路破损": 10, "占道经营": 10, "噪声": 14, "积水": 6, "违法停车": 18, "垃圾": 10,
                    "井盖缺失": 4, "路灯故障": 5, "油烟扰民": 5, "绿化养护": 4, "群租": 4, "掘路施工": 6}  # fmt: skip

#: Orders along the streets, before bursts (hot spots and recurring spots come on top).
_BACKGROUND_ORDERS = 18_500
#: Share of background 违法停车 at hospital, school and metro entrances.
_ENTRANCE_PARKING_SHARE = 0.35
#: Duplicate bursts (each adds 1–8 orders) and their relative frequency by category.
_BURSTS = 1_000
_BURST_WEIGHT = {"积水": 4.0, "噪声": 2.5, "井盖缺失": 2.0, "违法停车": 1.5, "路灯故障": 1.5,
                 "占道经营": 1.2, "油烟扰民": 1.2}  # fmt: skip
#: Share of orders with an address but no coordinates; of those, share given as a junction.
_ADDRESS_ONLY_SHARE = 0.04
_JUNCTION_SHARE = 0.3
#: Orders whose address names no road (the loader cannot place them).
_UNLOCATED_ORDERS = 48

#: Hot spots: name, anchor (lon/lat, a road name, or two crossing roads), radius (m),
#: {category: share}, orders, hour profile, weekend factor, {category: text template}.
_HOT_SPOTS: tuple[tuple, ...] = (
    ("新华医院", (121.5225, 31.2790), 450, {"违法停车": 1.0}, 850, "违法停车", 0.45, {"违法停车": 1}),
    ("长海医院", (121.5255, 31.3110), 450, {"违法停车": 1.0}, 750, "违法停车", 0.45, {"违法停车": 1}),
    ("大学路夜市", "大学路", 300, {"占道经营": 0.6, "噪声": 0.4}, 900, "night", 1.6, {"占道经营": 3, "噪声": 1}),
    ("控江路菜场", (121.5350, 31.2835), 400, {"占道经营": 0.6, "垃圾": 0.4}, 600, "占道经营", 1.0, {}),
    ("鞍山新村", (121.5105, 31.2760), 400, {"垃圾": 0.6, "群租": 0.4}, 500, None, 1.0, {}),
    ("军工路翔殷路下立交", ("军工路", "翔殷路"), 500, {"积水": 1.0}, 450, "积水", 1.0, {"积水": 2}),
    ("大连路周家嘴路下立交", ("大连路", "周家嘴路"), 500, {"积水": 1.0}, 450, "积水", 1.0, {"积水": 2}),
    ("淞沪路翔殷路下立交", ("淞沪路", "翔殷路"), 500, {"积水": 1.0}, 450, "积水", 1.0, {"积水": 2}),
    ("新江湾城工地", (121.5060, 31.3300), 400, {"噪声": 1.0}, 400, "噪声", 1.2, {"噪声": 0}),
)  # fmt: skip
#: Recurring spots: category, number of places (each with cases in 6–12 months).
_RECURRING = (("油烟扰民", 12), ("群租", 8), ("垃圾", 8), ("噪声", 5), ("路灯故障", 4),
              ("井盖缺失", 3))  # fmt: skip

_HOURS = {  # hour profile -> weights (24)
    "噪声": [6, 5, 3, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 6, 8, 10, 10, 8],
    "违法停车": [1, 1, 1, 1, 1, 2, 4, 9, 10, 8, 6, 5, 5, 5, 5, 6, 7, 9, 9, 6, 4, 3, 2, 1],
    "占道经营": [1, 1, 1, 1, 1, 3, 7, 9, 8, 6, 5, 5, 5, 4, 4, 5, 6, 8, 9, 9, 8, 6, 3, 2],
    "积水": [3, 3, 3, 3, 3, 3, 4, 6, 8, 8, 8, 7, 6, 6, 6, 7, 7, 7, 6, 5, 4, 4, 3, 3],
    "油烟扰民": [1, 1, 1, 1, 1, 1, 2, 4, 4, 4, 5, 9, 10, 6, 4, 4, 5, 8, 10, 9, 6, 3, 2, 1],
    "night": [6, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 5, 8, 10, 12, 12, 11, 9],
}
_DEFAULT_HOURS = [1, 1, 1, 1, 1, 1, 2, 5, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 5, 4, 3, 2, 1, 1]
#: Weekend (and holiday) factor of the daily volume, by hour profile.
_WEEKEND = {"噪声": 1.3, "违法停车": 0.7, "占道经营": 1.1, "积水": 1.0, "night": 1.6}
#: Monthly volume of all orders, and seasonal factors by category (Jan..Dec).
_MONTH_VOLUME = (0.92, 0.78, 0.95, 1.0, 1.02, 1.08, 1.18, 1.2, 1.05, 0.95, 0.95, 0.92)
_SEASON = {
    "噪声": (0.7, 0.6, 0.8, 0.9, 1.1, 1.4, 1.7, 1.7, 1.3, 1.0, 0.8, 0.7),
    "道路破损": (1.2, 1.3, 1.4, 1.2, 1.0, 0.9, 0.9, 0.9, 1.0, 0.9, 0.9, 1.1),
    "绿化养护": (0.4, 0.4, 0.7, 1.1, 1.4, 1.5, 1.6, 1.6, 1.4, 0.9, 0.6, 0.4),
    "油烟扰民": (0.7, 0.7, 0.8, 0.9, 1.1, 1.3, 1.5, 1.5, 1.2, 1.0, 0.8, 0.7),
    "路灯故障": (1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.3),
    "垃圾": (1.1, 1.4, 1.0, 0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 1.0, 0.9, 1.0),
    "占道经营": (0.8, 0.7, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8),
}  # fmt: skip
#: Invented rain of 2025 for 积水: the plum-rain season and storm days (relative weight).
_PLUM_RAIN = (dt.date(2025, 6, 16), dt.date(2025, 7, 8))
_STORMS = {
    "2025-04-18": 4, "2025-05-26": 5, "2025-06-21": 10, "2025-06-29": 14, "2025-07-05": 8,
    "2025-07-30": 25, "2025-07-31": 18, "2025-08-15": 12, "2025-08-27": 20, "2025-09-03": 10,
    "2025-09-16": 22, "2025-09-17": 12, "2025-10-10": 4,
}  # fmt: skip
#: Public holidays of 2025 (counted as weekend days).
_HOLIDAYS = (
    (dt.date(2025, 1, 28), dt.date(2025, 2, 4)), (dt.date(2025, 4, 4), dt.date(2025, 4, 6)),
    (dt.date(2025, 5, 1), dt.date(2025, 5, 5)), (dt.date(2025, 5, 31), dt.date(2025, 6, 2)),
    (dt.date(2025, 10, 1), dt.date(2025, 10, 8)),
)  # fmt: skip
#: Median hours from reception to closing, by category.
_HANDLING_HOURS = {"积水": 6, "违法停车": 3, "占道经营": 24, "噪声": 24, "道路破损": 96, "垃圾": 24,
                   "井盖缺失": 12, "路灯故障": 72, "油烟扰民": 120, "绿化养护": 168, "群租": 168,
                   "掘路施工": 72}  # fmt: skip
_YEAR0 = dt.datetime(2025, 1, 1)
_YEAR_DAYS = 365
_YEAR_END_S = _YEAR_DAYS * 86400 - 60  # 2025-12-31 23:59:00


@lru_cache(maxsize=1)
def _calendar() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day of 2025: month (0-11), day off (weekend or holiday), 积水 rain weight."""
    days = [_YEAR0.date() + dt.timedelta(days=i) for i in range(_YEAR_DAYS)]
    month = np.array([d.month - 1 for d in days])
    off = np.array([d.weekday() >= 5 or any(a <= d <= b for a, b in _HOLIDAYS) for d in days])
    rain = np.full(_YEAR_DAYS, 0.15)
    rain += np.array([1.5 if _PLUM_RAIN[0] <= d <= _PLUM_RAIN[1] else 0.0 for d in days])
    for day, w in _STORMS.items():
        rain[(dt.date.fromisoformat(day) - _YEAR0.date()).days] += w
    return month, off, rain


def _times(
    rng: np.random.Generator,
    n: int,
    cat: str,
    profile: str | None = None,
    weekend: float | None = None,
) -> np.ndarray:
    """Seconds since 2025-01-01 00:00 for ``n`` orders of ``cat`` (season, weekday, hour)."""
    profile = profile or cat
    month, off, rain = _calendar()
    if cat == "积水":
        w = rain.copy()
    else:
        w = np.asarray(_MONTH_VOLUME)[month] * np.asarray(_SEASON.get(cat, (1.0,) * 12))[month]
    w *= np.where(off, _WEEKEND.get(profile, 0.8) if weekend is None else weekend, 1.0)
    hw = np.asarray(_HOURS.get(profile, _DEFAULT_HOURS), dtype=float)
    p = (w[:, None] * hw[None, :]).ravel()
    idx = rng.choice(p.size, n, p=p / p.sum())
    return idx * 3600 + rng.integers(0, 3600, n)


@dataclass
class _Orders:
    """Work orders under construction (columns as arrays)."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray  # seconds since 2025-01-01 00:00 (Asia/Shanghai)
    cat: np.ndarray
    text: np.ndarray  # template index, -1 = any general one
    #: Known cause (``road:<id>``, ``permit:<id>``, ``pit:<k>``) or None (:mod:`.caused`).
    cause: np.ndarray | None = None

    def causes(self) -> np.ndarray:
        return self.cause if self.cause is not None else np.full(self.t.size, None, object)

    @classmethod
    def join(cls, parts: Sequence[_Orders]) -> _Orders:
        cols = [np.concatenate([getattr(p, f) for p in parts])
                for f in ("x", "y", "t", "cat", "text")]
        return cls(*cols, np.concatenate([p.causes() for p in parts]))


def _street_lines(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, shapely.STRtree]:
    lines = roads.geometry.to_numpy()[(roads["road_class"] != "expressway").to_numpy()]
    return lines, shapely.STRtree(lines)


def _jitter(
    base: Base, x: np.ndarray, y: np.ndarray, sd: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move points by a few metres (map picker), keeping them on land inside the district."""
    jx, jy = x + rng.normal(0, sd, x.size), y + rng.normal(0, sd, x.size)
    pts = shapely.points(jx, jy)
    ok = shapely.contains_xy(base.outline, jx, jy) & ~shapely.intersects(base.water, pts)
    return np.where(ok, jx, x), np.where(ok, jy, y)


def _points_near(
    anchor: shapely.Geometry,
    radius: float,
    n: int,
    lines: np.ndarray,
    tree: shapely.STRtree,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` points on the streets around ``anchor``: spots spread evenly over the area up to
    0.7 ``radius`` (thinning out to none at ``radius``), each moved to the nearest street."""
    x0, y0, x1, y1 = anchor.buffer(radius).bounds
    m = 8 * n
    cand = shapely.points(rng.uniform(x0, x1, m), rng.uniform(y0, y1, m))
    w = np.clip((radius - shapely.distance(anchor, cand)) / (0.3 * radius), 0.0, 1.0)
    cand = cand[rng.choice(m, n, replace=False, p=w / w.sum())]
    street = lines[tree.nearest(cand)]
    return shapely.line_interpolate_point(street, shapely.line_locate_point(street, cand))


def _anchor(spec: object, roads: gpd.GeoDataFrame) -> shapely.Geometry:
    """A hot spot's anchor: lon/lat, a road (its centre line) or the crossing of two roads."""
    if isinstance(spec, tuple) and isinstance(spec[0], float):
        return work_point(*spec)
    if isinstance(spec, str):
        return shapely.line_merge(shapely.union_all(roads.geometry[roads["name"] == spec].values))
    a, b = spec
    return locate_on_roads(pd.Series([f"{a}与{b}交叉口"]), roads).iloc[0]


def _categories(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    cats = np.array(list(shares), dtype=object)
    w = np.array(list(shares.values()), dtype=float)
    return cats[rng.choice(cats.size, n, p=w / w.sum())]


def _with_times(rng, x, y, cat, profile=None, weekend=None, text=-1) -> _Orders:
    t = np.zeros(cat.size, dtype=np.int64)
    for c in sorted(set(cat)):
        m = cat == c
        t[m] = _times(rng, int(m.sum()), c, profile, weekend)
    return _Orders(x, y, t, cat, np.full(cat.size, text))


def _background_orders(
    roads: gpd.GeoDataFrame, base: Base, rng: np.random.Generator, n: int
) -> _Orders:
    """Orders along the streets (more on alleys); bad pavement draws 道路破损."""
    cls = roads["road_class"].to_numpy()
    w = (
        roads.geometry.length.to_numpy()
        * np.where(cls == "alley", 3.0, 1.0)
        * (cls != "expressway")
    )
    cat = _categories(rng, n, _CATEGORY_WEIGHT)
    road_idx = rng.choice(len(roads), n, p=w / w.sum())
    bad = (roads["pci"].to_numpy()[road_idx] < 70) & (rng.random(n) < 0.6)
    cat[bad] = "道路破损"
    pts = shapely.line_interpolate_point(
        roads.geometry.to_numpy()[road_idx], rng.random(n), normalized=True
    )
    x, y = _jitter(base, shapely.get_x(pts), shapely.get_y(pts), 4.0, rng)
    orders = _with_times(rng, x, y, cat)
    orders.cause = np.where(bad, np.char.add("road:", roads["road_id"].to_numpy(dtype=str)[road_idx]),
                            None).astype(object)
    # illegal parking at hospital, school and metro entrances, on weekdays
    lines, tree = _street_lines(roads)
    places = [(lon, lat, 1) for _n, lon, lat, *_ in HOSPITALS]
    places += [(lon, lat, 3) for _n, lon, lat, *_ in SCHOOLS]
    places += [(lon, lat, 4) for _n, lon, lat, _l in METRO_STATIONS]
    park = np.flatnonzero((cat == "违法停车") & (rng.random(n) < _ENTRANCE_PARKING_SHARE))
    which = rng.choice(len(places), park.size)
    for k in range(len(places)):
        idx = park[which == k]
        if idx.size:
            lon, lat, text = places[k]
            pts = _points_near(work_point(lon, lat), 150, idx.size, lines, tree, rng)
            orders.x[idx], orders.y[idx] = _jitter(
                base, shapely.get_x(pts), shapely.get_y(pts), 4.0, rng
            )
            orders.t[idx] = _times(rng, idx.size, "违法停车", weekend=0.4)
            orders.text[idx] = text
    return orders


def _hot_spot_orders(roads: gpd.GeoDataFrame, base: Base, rng: np.random.Generator) -> _Orders:
    """The planted hot spots, 300–600 m across (several grid cells each)."""
    lines, tree = _street_lines(roads)
    parts = []
    for _name, spec, radius, shares, n, profile, weekend, text in _HOT_SPOTS:
        pts = _points_near(_anchor(spec, roads), radius, n, lines, tree, rng)
        x, y = _jitter(base, shapely.get_x(pts), shapely.get_y(pts), 5.0, rng)
        cat = _categories(rng, n, shares)
        part = _with_times(rng, x, y, cat, profile, weekend)
        part.text[:] = [text.get(c, -1) for c in cat]
        parts.append(part)
    return _Orders.join(parts)


def _recurring_orders(roads: gpd.GeoDataFrame, base: Base, rng: np.random.Generator) -> _Orders:
    """One place, one problem, cases in 6–12 months of the year (1–3 orders a month)."""
    cls = roads["road_class"].to_numpy()
    cand = np.flatnonzero(np.isin(cls, ["branch", "alley", "secondary"]))
    month, _off, _rain = _calendar()
    parts = []
    for cat, places in _RECURRING:
        for road in rng.choice(cand, places, replace=False):
            place = roads.geometry.iloc[int(road)].interpolate(float(rng.random()), normalized=True)
            months = rng.choice(12, int(rng.integers(6, 13)), replace=False)
            per_month = rng.integers(1, 4, months.size)
            hw = np.asarray(_HOURS.get(cat, _DEFAULT_HOURS), dtype=float)
            t = []
            for mo, k in zip(months, per_month, strict=True):
                day = rng.choice(np.flatnonzero(month == mo), k)
                hour = rng.choice(24, k, p=hw / hw.sum())
                t.extend((day * 86400 + hour * 3600 + rng.integers(0, 3600, k)).tolist())
            size = len(t)
            x, y = _jitter(base, np.full(size, place.x), np.full(size, place.y), 6.0, rng)
            parts.append(
                _Orders(
                    x,
                    y,
                    np.array(t, dtype=np.int64),
                    np.full(size, cat, dtype=object),
                    np.full(size, -1),
                )
            )
    return _Orders.join(parts)


def _bursts(
    orders: _Orders, base: Base, rng: np.random.Generator, count: int = _BURSTS
) -> _Orders:
    """The same problem reported again by others within minutes to hours, a few metres away."""
    w = np.array([_BURST_WEIGHT.get(c, 0.8) for c in orders.cat])
    seeds = rng.choice(orders.t.size, count, replace=False, p=w / w.sum())
    k = np.minimum(rng.geometric(0.5, count), 8)
    rep = np.repeat(seeds, k)
    gaps = rng.exponential(15 * 60, rep.size) + 60
    cum = np.cumsum(gaps)
    start = np.repeat(np.cumsum(k) - k, k)
    offset = cum - np.concatenate([[0.0], cum])[start]
    t = np.minimum(orders.t[rep] + offset.astype(np.int64), _YEAR_END_S)
    x, y = _jitter(base, orders.x[rep], orders.y[rep], 10.0, rng)
    return _Orders(x, y, t, orders.cat[rep], orders.text[rep])


def _junction_addresses(
    roads: gpd.GeoDataFrame, pts: np.ndarray, street: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """'X路与Y路交叉口' for the crossing nearest each point, where two named roads meet."""
    public = roads[roads["road_class"].isin(["arterial", "secondary", "branch"]).to_numpy()]
    ends = endpoint_names(public)
    geoms = public.geometry.to_numpy()
    near = shapely.STRtree(geoms).nearest(pts)
    out = np.full(pts.size, None, dtype=object)
    forms = ("{a}与{b}交叉口", "{a}{b}路口", "{a}和{b}交叉口")
    for i, (p, j) in enumerate(zip(pts, near, strict=True)):
        line, own = geoms[j], public["name"].iloc[j]
        first, last = Point(line.coords[0]), Point(line.coords[-1])
        end = first if p.distance(first) <= p.distance(last) else last
        other = cross_name(ends, (end.x, end.y), own)
        if other and other not in own and own not in other:
            out[i] = forms[int(rng.integers(0, len(forms)))].format(a=own, b=other)
    return out


def _unlocated_addresses(
    compounds: gpd.GeoDataFrame, road_names: Sequence[str], n: int, rng: np.random.Generator
) -> list[str]:
    """Addresses that name no road: a building of a compound, a park gate."""
    names = pd.Series(sorted(set(compounds["name"].dropna())))
    names = names[match_road_names(names, road_names).isna().to_numpy()].to_numpy()
    extra = ("黄兴公园东门", "共青森林公园门口", "杨浦滨江步道", "五角场下沉广场", "菜场门口")
    out = []
    for _ in range(n):
        if rng.random() < 0.8:
            out.append(f"{rng.choice(names)}{int(rng.integers(1, 40))}号楼")
        else:
            out.append(str(rng.choice(extra)))
    return out


def complaints_layer(
    roads: gpd.GeoDataFrame,
    base: Base,
    address: Addresser,
    compounds: gpd.GeoDataFrame,
    rng: np.random.Generator,
    *,
    permits: gpd.GeoDataFrame | None = None,
    pits: Sequence[tuple[float, float, float, float]] = (),
) -> gpd.GeoDataFrame:
    """A year of 12345 work orders (see the module notes).

    Returns the orders the registry holds after loading (orders placed on a road by their
    address at the point the loader gives them, ``location_precision = road``); the orders
    that cannot be located are in ``attrs["unlocated"]`` (rows of the CSV only). With
    ``permits`` and ``pits``, orders with a known cause are added (:mod:`.caused`), drawn
    from a child of ``rng`` so that every other order stays as it was;
    ``attrs["planted_causes"]`` lists ``(complaint_id, cause)`` of the orders with a known
    cause (bad roads included) whose point the loader keeps.
    """
    orders = _Orders.join(
        [
            _background_orders(roads, base, rng, _BACKGROUND_ORDERS),
            _hot_spot_orders(roads, base, rng),
            _recurring_orders(roads, base, rng),
        ]
    )
    orders = _Orders.join([orders, _bursts(orders, base, rng)])
    n = orders.t.size
    pts = shapely.points(orders.x, orders.y)
    addrs = np.array(address(list(pts)), dtype=object)
    # orders without coordinates: an address naming a road (or a crossing), or nothing usable
    u = rng.random(n)
    road_only = u < _ADDRESS_ONLY_SHARE
    junction = np.flatnonzero(road_only & (rng.random(n) < _JUNCTION_SHARE))
    cross = _junction_addresses(roads, pts[junction], orders.cat[junction], rng)
    addrs[junction[cross != None]] = cross[cross != None]  # noqa: E711
    unlocated = np.flatnonzero(~road_only & (orders.text < 0))
    unlocated = np.sort(rng.choice(unlocated, _UNLOCATED_ORDERS, replace=False))
    addrs[unlocated] = _unlocated_addresses(compounds, roads["name"], unlocated.size, rng)
    placed = locate_on_roads(pd.Series(addrs[road_only]), roads).to_numpy()
    pts[road_only] = placed
    precision = np.where(road_only, "road", "point").astype(object)
    precision[unlocated] = None
    cause = orders.causes()
    cause[road_only | (precision == None)] = None  # noqa: E711 - moved by the loader
    child = rng.spawn(1)[0]  # planted orders: their own stream (the others stay unchanged)
    planted = _planted(permits, pits, base, child)
    if planted.t.size:
        orders = _Orders.join([orders, planted])
        ppts = shapely.points(planted.x, planted.y)
        pts = np.concatenate([pts, ppts])
        addrs = np.concatenate([addrs, np.array(address(list(ppts)), dtype=object)])
        precision = np.concatenate([precision, np.full(planted.t.size, "point", object)])
        cause = np.concatenate([cause, planted.cause])
    n_all = orders.t.size
    # texts, statuses, ids
    text = np.empty(n_all, dtype=object)
    for i, (cat, k, a) in enumerate(zip(orders.cat, orders.text, addrs, strict=True)):
        templates = _COMPLAINT_TEXT[cat]
        if k < 0:
            general = [j for j in range(len(templates)) if j not in _SPECIAL_TEXT.get(cat, ())]
            k = general[int(rng.integers(0, len(general)))]
        text[i] = templates[k].format(a=a)
    status, closed = _complaint_status(orders.t[:n], orders.cat[:n], rng)
    if n_all > n:
        ps, pc = _complaint_status(orders.t[n:], orders.cat[n:], child)
        status, closed = np.concatenate([status, ps]), np.concatenate([closed, pc])
    order = np.lexsort((orders.x, addrs.astype(str), orders.t))
    t = orders.t[order]
    day = t // 86400
    seq = pd.Series(day).groupby(day).cumcount().to_numpy() + 1
    stamps = pd.Timestamp(_YEAR0) + pd.to_timedelta(t, unit="s")
    ids = [f"GD{s:%Y%m%d}{q:04d}" for s, q in zip(stamps, seq, strict=True)]
    frame = pd.DataFrame(
        {
            "complaint_id": ids,
            "received_at": stamps.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "category": orders.cat[order],
            "text": text[order],
            "status": status[order],
            "closed_at": closed[order],
            "address": addrs[order],
            "location_precision": precision[order],
        }
    )
    geoms = shapely.set_precision(pts[order], 0.01)
    keep = frame["location_precision"].notna().to_numpy()
    out = gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True), geometry=geoms[keep], crs=settings.working_crs
    )
    known = cause[order][keep]
    out.attrs["planted_causes"] = tuple(
        (cid, c) for cid, c in zip(out["complaint_id"], known, strict=True) if c is not None)
    out.attrs["unlocated"] = tuple(
        tuple(r) for r in frame[~keep].drop(columns="location_precision").itertuples(index=False)
    )
    return out


def _planted(permits: gpd.GeoDataFrame | None, pits, base: Base,
             rng: np.random.Generator) -> _Orders:
    """Orders with a known cause (:mod:`.caused`): works' complaints and flooded pits."""
    parts = []
    if permits is not None and len(permits):
        parts.append(works_orders(permits, base.outline, rng))
    if len(pits):
        parts.append(pit_orders(pits, _STORMS, rng))
    if not parts:
        return _Orders(*(np.zeros(0, dtype=d) for d in (float, float, np.int64, object,
                                                         np.int64)), np.zeros(0, object))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _Orders(cols["x"], cols["y"], cols["t"], cols["cat"], cols["text"], cols["cause"])


def _complaint_status(
    t: np.ndarray, cat: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Status (办理中, 已退回, 已办结) and closing time (``None`` unless closed)."""
    u = rng.random(t.size)
    recent = (_YEAR_END_S - t) < 20 * 86400
    status = np.where(
        (recent & (u < 0.5)) | (u < 0.06), "办理中", np.where(u < 0.1, "已退回", "已办结")
    ).astype(object)
    median = np.array([_HANDLING_HOURS[c] for c in cat], dtype=float)
    hours = np.clip(rng.lognormal(np.log(median), 0.8), 0.5, 720)
    closed_s = np.minimum(t + (hours * 3600).astype(np.int64), _YEAR_END_S)
    stamps = (pd.Timestamp(_YEAR0) + pd.to_timedelta(closed_s, unit="s")).strftime(
        "%Y-%m-%dT%H:%M:%S+08:00"
    )
    closed = np.where(status == "已办结", np.asarray(stamps, dtype=object), None)
    return status, closed

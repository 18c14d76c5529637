"""Road excavation permits (掘路许可), with the situations the excavation analysis looks for
planted: concurrent digs on one stretch, repeated digs within a year, digs inside the
moratorium of 城市道路管理条例 Art. 33.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from ... import settings
from .common import AS_OF, TELECOM_OWNERS, random_date

_APPLICANTS = {
    "water": ("上海城投水务（集团）有限公司供水分公司", "上海市自来水市北有限公司"),
    "drainage": ("上海市城市排水有限公司", "杨浦区市政和水务管理事务中心"),
    "sewage": ("上海城投水务（集团）有限公司排水分公司",),
    "gas": ("上海燃气市北销售有限公司", "上海燃气工程设计研究有限公司"),
    "power": ("国网上海市电力公司市北供电公司", "国网上海市电力公司"),
    "telecom": TELECOM_OWNERS,
    "heat": ("上海杨浦滨江能源服务有限公司",),
}
_DURATION = {"water": (10, 45), "drainage": (20, 90), "sewage": (20, 90), "gas": (7, 40),
             "power": (15, 60), "telecom": (5, 25), "heat": (30, 90)}  # fmt: skip
_PERMIT_START, _PERMIT_END = dt.date(2021, 1, 4), dt.date(2025, 11, 30)


@dataclass
class _Permit:
    road: int
    utility: str
    start: dt.date
    end: dt.date
    a: float  # along-road start of the trench (m)
    length: float
    offset: float
    width: float
    as_line: bool = False


def _permit_geometry(line: LineString, p: _Permit) -> shapely.Geometry:
    a = min(p.a, max(line.length - p.length, 0.0))
    sub = substring(line, a, min(a + p.length, line.length))
    if p.offset:
        off = shapely.offset_curve(sub, p.offset)
        sub = off if off.geom_type == "LineString" and not off.is_empty else sub
    if p.as_line:
        return sub
    return sub.buffer(p.width / 2, cap_style="flat", join_style="mitre")


def _new_permit(
    rng, road: int, utility: str, start: dt.date, length_m: float, line_len: float, offset: float
) -> _Permit:
    lo, hi = _DURATION[utility]
    end = start + dt.timedelta(days=int(rng.integers(lo, hi + 1)))
    a = float(rng.uniform(0, max(line_len - length_m, 0.0)))
    return _Permit(road, utility, start, end, a, length_m, offset, float(rng.uniform(1.5, 4.0)))


def permits_layer(
    roads: gpd.GeoDataFrame, runs: pd.DataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The ``excavation_permits`` layer: everyday digs plus the planted situations."""
    eligible = roads["road_class"].isin(["arterial", "secondary", "branch", "alley"]).to_numpy()
    utils = runs.groupby("road")["utility"].apply(list).to_dict()
    offsets = {
        (r, u): o for r, u, o in zip(runs["road"], runs["utility"], runs["offset"], strict=True)
    }
    lengths = roads.geometry.length.to_numpy()
    idx = np.flatnonzero(eligible & (lengths > 60))
    w = lengths[idx] * np.where(roads["road_class"].to_numpy()[idx] == "alley", 0.5, 1.0)
    w = w / w.sum()
    permits: list[_Permit] = []
    for _ in range(520):  # the everyday background
        r = int(rng.choice(idx, p=w))
        u = str(rng.choice(utils[r]))
        start = random_date(rng, _PERMIT_START, _PERMIT_END)
        p = _new_permit(rng, r, u, start, float(rng.uniform(20, 150)), lengths[r], offsets[(r, u)])
        p.as_line = bool(rng.random() < 0.12)
        permits.append(p)
    permits += _planted_conflicts(rng, idx, w, utils, lengths)
    permits += _planted_repeats(rng, idx, w, utils, lengths)
    permits += _planted_breaches(rng, roads, utils, lengths)
    return _permit_frame(roads, permits, rng)


def _planted_conflicts(rng, idx, w, utils, lengths, groups: int = 32) -> list[_Permit]:
    """Two or three utilities digging the same stretch at overlapping times (同步施工 missed)."""
    out = []
    for _ in range(groups):
        r = int(rng.choice(idx, p=w))
        kinds = list(rng.permutation(utils[r]))[: int(rng.integers(2, 4))]
        start = random_date(rng, _PERMIT_START, _PERMIT_END)
        length = float(rng.uniform(40, 150))
        a = float(rng.uniform(0, max(lengths[r] - length, 0.0)))
        for k, u in enumerate(kinds):
            s = start + dt.timedelta(days=int(rng.integers(0, 8)) + 3 * k)
            p = _new_permit(rng, r, str(u), s, length, lengths[r], float(rng.uniform(-1.0, 1.0)))
            p.a, p.width = a + float(rng.uniform(-10, 10)), float(rng.uniform(3.0, 5.0))
            out.append(p)
    return out


def _planted_repeats(rng, idx, w, utils, lengths, pairs: int = 32) -> list[_Permit]:
    """The same stretch dug again within a year of the last dig being closed (反复掘路)."""
    out = []
    for _ in range(pairs):
        r = int(rng.choice(idx, p=w))
        u1, u2 = (str(x) for x in rng.choice(utils[r], 2))
        length = float(rng.uniform(40, 120))
        first = _new_permit(
            rng,
            r,
            u1,
            random_date(rng, _PERMIT_START, dt.date(2024, 10, 31)),
            length,
            lengths[r],
            float(rng.uniform(-1.0, 1.0)),
        )
        first.width = float(rng.uniform(3.0, 5.0))
        gap = dt.timedelta(days=int(rng.integers(45, 300)))
        second = _new_permit(
            rng, r, u2, first.end + gap, length, lengths[r], float(rng.uniform(-1.0, 1.0))
        )
        second.a, second.width = first.a + float(rng.uniform(-15, 15)), float(rng.uniform(3.0, 5.0))
        out += [first, second]
    return out


def _planted_breaches(
    rng, roads: gpd.GeoDataFrame, utils, lengths, count: int = 30
) -> list[_Permit]:
    """Digs on roads opened < 5 years or majorly repaired < 3 years before (Art. 33)."""
    built = [dt.date.fromisoformat(v) for v in roads["built_date"]]
    repair = [
        dt.date.fromisoformat(v) if isinstance(v, str) else None
        for v in roads["last_major_repair_date"]
    ]
    ok_class = roads["road_class"].isin(["arterial", "secondary", "branch"]).to_numpy()
    cand = []
    for i in np.flatnonzero(ok_class & (lengths > 60)):
        if i not in utils:
            continue
        if built[i] >= dt.date(2021, 1, 1):
            cand.append((int(i), built[i], 5 * 365 - 30))
        elif repair[i] is not None and repair[i] >= dt.date(2021, 6, 1):
            cand.append((int(i), repair[i], 3 * 365 - 30))
    out = []
    for k in rng.choice(len(cand), min(count, len(cand)), replace=False):
        r, since, window = cand[int(k)]
        latest = min(since + dt.timedelta(days=window), _PERMIT_END)
        if latest <= since + dt.timedelta(days=30):
            continue
        start = random_date(rng, since + dt.timedelta(days=30), latest)
        u = str(rng.choice(utils[r]))
        out.append(_new_permit(rng, r, u, start, float(rng.uniform(20, 100)), lengths[r], 0.0))
    return out


def _permit_status(p: _Permit, rng: np.random.Generator) -> str:
    if p.start > AS_OF:
        return "已批准"
    if p.end < AS_OF:
        return "已撤销" if rng.random() < 0.03 else "已完工"
    return "施工中"


def _permit_frame(
    roads: gpd.GeoDataFrame, permits: list[_Permit], rng: np.random.Generator
) -> gpd.GeoDataFrame:
    permits = sorted(permits, key=lambda p: (p.start, p.road, p.utility, p.a))
    year_seq: dict[int, int] = {}
    rows = []
    for p in permits:
        n = year_seq[p.start.year] = year_seq.get(p.start.year, 0) + 1
        geom = _permit_geometry(roads.geometry.iloc[p.road], p)
        rows.append(
            (
                f"JL{p.start.year}{n:04d}",
                str(rng.choice(_APPLICANTS[p.utility])),
                p.utility,
                p.start.isoformat(),
                p.end.isoformat(),
                roads["road_id"].iloc[p.road],
                _permit_status(p, rng),
                shapely.set_precision(geom, 0.01),
            )
        )
    cols = [
        "permit_id",
        "applicant",
        "utility",
        "planned_start",
        "planned_end",
        "road_id",
        "status",
    ]
    frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    return gpd.GeoDataFrame(frame, geometry=[r[-1] for r in rows], crs=settings.working_crs)

"""Underground pipelines: one run per road segment and utility at its lateral position
(CJJ/T 8 style ordering), cut into segments with their attributes.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ... import settings
from .common import AS_OF, TELECOM_OWNERS

_PIPE_CODE = {"water": "JS", "drainage": "YS", "sewage": "WS", "gas": "RQ", "power": "DL",
              "telecom": "TX", "heat": "RL"}  # fmt: skip
#: Signed lateral position as a share of the half-width (CJJ/T 8 style ordering).
_PIPE_SIDE = {"water": -0.75, "drainage": 0.1, "sewage": -0.3, "gas": 0.6, "power": 0.9,
              "telecom": -0.95, "heat": 0.35}  # fmt: skip
_CLASS_UTILITIES = {
    "expressway": (),
    "arterial": ("water", "drainage", "sewage", "gas", "power", "telecom"),
    "secondary": ("water", "drainage", "sewage", "gas", "power", "telecom"),
    "branch": ("water", "drainage", "sewage", "gas", "telecom"),
    "alley": ("water", "drainage", "gas"),
    "internal": ("water", "gas"),
}
_HEAT_ROADS = ("杨树浦路", "平凉路", "军工路", "共青路")


def _road_utilities(name: str, road_class: str, rng: np.random.Generator) -> list[str]:
    utils = list(_CLASS_UTILITIES[road_class])
    if road_class == "branch" and rng.random() < 0.5:
        utils.append("power")
    if road_class == "alley" and rng.random() < 0.5:
        utils.append("sewage")
    if name in _HEAT_ROADS:
        utils.append("heat")
    return utils


def _pipe_runs(roads: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One run per (road segment, utility): the line it follows and its lateral offset."""
    rows = []
    for idx, name, cls, width, built in zip(
        range(len(roads)),
        roads["name"],
        roads["road_class"],
        roads["width_m"],
        roads["built_date"],
        strict=True,
    ):
        for util in _road_utilities(name, cls, rng):
            off = float(np.clip(abs(_PIPE_SIDE[util]) * width / 2 + rng.normal(0, 0.4), 1.0, 8.0))
            rows.append((idx, util, math.copysign(off, _PIPE_SIDE[util]), cls, int(built[:4])))
    return pd.DataFrame(rows, columns=["road", "utility", "offset", "road_class", "road_year"])


def _offset_lines(lines: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    out = shapely.offset_curve(lines, offsets, quad_segs=2, join_style="mitre", mitre_limit=3.0)
    bad = shapely.get_type_id(out) != 1
    out[bad] = lines[bad]
    return out


def _allocate(lengths: np.ndarray, total: int) -> np.ndarray:
    """Pieces per run, proportional to length, at least one each, summing to ``total``."""
    if total <= lengths.size:
        return np.ones(lengths.size, dtype=int)
    share = lengths / lengths.sum() * (total - lengths.size)
    n = np.floor(share).astype(int)
    rest = total - lengths.size - n.sum()
    order = np.lexsort((np.arange(lengths.size), -(share - n)))
    n[order[:rest]] += 1
    return n + 1


def _pipe_attributes(
    util: np.ndarray, cls: np.ndarray, road_year: np.ndarray, rng: np.random.Generator
) -> dict:
    n = util.size
    big = np.isin(cls, ["arterial", "secondary"])
    diam = np.empty(n)
    material = np.empty(n, dtype=object)
    depth = np.empty(n)
    pressure = np.full(n, None, dtype=object)
    owner = np.empty(n, dtype=object)
    laid = np.maximum(road_year, 1955)
    span = np.clip(AS_OF.year - laid, 0, 40)
    year = laid + np.floor(rng.random(n) * (span + 1)).astype(int)
    choice = lambda opts, m: np.asarray(opts, dtype=object)[rng.integers(0, len(opts), m)]  # noqa: E731
    for u in _PIPE_CODE:
        m = util == u
        k = int(m.sum())
        if not k:
            continue
        b = big[m]
        if u == "water":
            diam[m] = np.where(
                b, choice([300, 500, 600, 800, 1000], k), choice([100, 150, 200, 300], k)
            )
            material[m] = np.where(
                year[m] < 1990,
                choice(["灰口铸铁管", "钢管"], k),
                choice(["球墨铸铁管", "球墨铸铁管", "PE管", "钢管"], k),
            )
            depth[m] = rng.uniform(0.9, 1.8, k)
            pressure[m] = np.where(b, "0.3MPa", "0.2MPa")
            owner[m] = "上海城投水务（集团）有限公司供水分公司"
        elif u in ("drainage", "sewage"):
            diam[m] = np.where(
                b, choice([800, 1000, 1200, 1500, 2000], k), choice([300, 400, 500, 600], k)
            )
            material[m] = np.where(
                year[m] < 2000,
                "钢筋混凝土管",
                choice(["钢筋混凝土管", "HDPE双壁波纹管", "玻璃钢夹砂管"], k),
            )
            depth[m] = rng.uniform(1.5, 4.0, k) + (u == "sewage") * rng.uniform(0.5, 2.0, k)
            owner[m] = (
                "上海城投水务（集团）有限公司排水分公司"
                if u == "sewage"
                else "上海市城市排水有限公司"
            )
        elif u == "gas":
            diam[m] = np.where(b, choice([200, 300, 400, 500], k), choice([100, 150, 200], k))
            material[m] = np.where(
                year[m] < 1995, choice(["铸铁管", "钢管"], k), choice(["PE管", "钢管"], k)
            )
            depth[m] = rng.uniform(0.8, 1.5, k)
            pressure[m] = np.where(
                b, choice(["中压A", "中压B", "次高压"], k), choice(["低压", "中压B"], k)
            )
            owner[m] = "上海燃气市北销售有限公司"
        elif u == "power":
            diam[m] = choice([150, 175, 200], k) * np.where(b, 2, 1)
            material[m] = choice(["MPP电力管", "电缆排管", "玻璃钢电缆保护管"], k)
            depth[m] = rng.uniform(0.7, 1.5, k)
            pressure[m] = np.where(b, choice(["35kV", "10kV"], k), "10kV")
            owner[m] = "国网上海市电力公司"
        elif u == "telecom":
            diam[m] = choice([100, 110, 150], k) * np.where(b, 2, 1)
            material[m] = choice(["PVC管", "HDPE硅芯管", "梅花管"], k)
            depth[m] = rng.uniform(0.6, 1.2, k)
            owner[m] = choice(TELECOM_OWNERS, k)
        else:  # heat: the old 杨树浦 power-station steam network
            diam[m] = choice([200, 300, 400, 600], k)
            material[m] = "预制直埋保温钢管"
            depth[m] = rng.uniform(1.2, 2.0, k)
            pressure[m] = "蒸汽1.0MPa"
            owner[m] = "上海杨浦滨江能源服务有限公司"
    return {
        "pressure_class": pressure,
        "diameter_mm": diam.astype("float64"),
        "material": material,
        "install_year": year.astype("int64"),
        "depth_m": np.round(depth, 2),
        "owner": owner,
    }


def pipelines_layer(
    roads: gpd.GeoDataFrame, total: int, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The ``pipelines`` layer (``total`` segments) and the runs it was cut from."""
    runs = _pipe_runs(roads, rng)
    base_lines = roads.geometry.to_numpy()[runs["road"].to_numpy()]
    lines = _offset_lines(np.asarray(base_lines, dtype=object), runs["offset"].to_numpy())
    n = _allocate(shapely.length(lines), total)
    run_of = np.repeat(np.arange(len(runs)), n + 1)
    frac = np.concatenate([np.linspace(0.0, 1.0, k + 1) for k in n])
    pts = shapely.get_coordinates(
        shapely.line_interpolate_point(lines[run_of], frac, normalized=True)
    )
    starts = np.cumsum(np.concatenate([[0], n[:-1] + 1]))
    piece_run = np.repeat(np.arange(len(runs)), n)
    first = np.repeat(starts, n) + np.concatenate([np.arange(k) for k in n])
    coords = np.stack([pts[first], pts[first + 1]], axis=1)
    geoms = shapely.linestrings(coords)
    # pieces of runs that bend follow the bend instead of cutting the corner
    bent = np.flatnonzero(shapely.get_num_coordinates(lines)[piece_run] > 2)
    for k in bent:
        a, b = frac[first[k]], frac[first[k] + 1]
        geoms[k] = substring(lines[piece_run[k]], a, b, normalized=True)
    geoms = shapely.set_precision(geoms, 0.01)
    util = runs["utility"].to_numpy()[piece_run]
    attrs = _pipe_attributes(
        util, runs["road_class"].to_numpy()[piece_run], runs["road_year"].to_numpy()[piece_run], rng
    )
    codes = np.vectorize(_PIPE_CODE.get, otypes=[object])(util)
    ids = [f"{c}{k:06d}" for k, c in enumerate(codes, start=1)]
    frame = gpd.GeoDataFrame(
        {"pipe_id": ids, "utility": util, **attrs}, geometry=geoms, crs=settings.working_crs
    )
    return frame, runs

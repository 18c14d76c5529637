"""The road network: major roads, the branch-road grid, alleys (弄) into compounds, internal and
campus roads, cut into segments with their attributes; house numbers and junction names.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from ... import settings
from .areas import subdistrict_of
from .base import Base
from .common import AS_OF, lines_of, random_date, work_line, work_point
from .places import BRANCH_NAMES, MAJOR_ROADS


@dataclass
class RoadLine:
    """A road before it is cut into segments."""

    name: str
    road_class: str
    width: float
    geom: LineString
    ref: LineString  # the whole named road, for house numbers


def major_lines(base: Base) -> list[RoadLine]:
    """The named major roads, clipped to where roads may run."""
    out = []
    for name, cls, width, coords in MAJOR_ROADS:
        full = work_line(coords)
        for part in lines_of(shapely.intersection(full, base.road_area), 60):
            out.append(RoadLine(name, cls, float(width), part, full))
    return out


def _grid_family(
    base: Base, angle_deg: float, spacing: float, rng: np.random.Generator
) -> list[LineString]:
    """Parallel straight lines across the district at ``angle_deg`` (from east, CCW)."""
    a = math.radians(angle_deg)
    u = np.array([math.cos(a), math.sin(a)])
    nrm = np.array([-u[1], u[0]])
    c = np.array(base.outline.centroid.coords[0])
    half = 9000.0
    offsets = np.arange(-half, half, spacing)
    offsets = offsets + rng.uniform(-0.15, 0.15, offsets.size) * spacing
    return [LineString([c + o * nrm - half * u, c + o * nrm + half * u]) for o in offsets]


def branch_lines(
    base: Base, majors: list[RoadLine], rng: np.random.Generator
) -> list[RoadLine]:
    """The branch-road grid: two families of straight streets, thinned and clipped."""
    fam_a = _grid_family(base, 25.0, 250.0, rng)  # parallel to 平凉路, 控江路 …
    fam_b = _grid_family(base, 102.0, 290.0, rng)  # parallel to 江浦路, 黄兴路 …
    major_buf = shapely.union_all([m.geom.buffer(110) for m in majors])
    blocked = shapely.union(major_buf, base.open_areas)
    names = iter(BRANCH_NAMES * 3)
    assigned: dict[tuple[int, int, int], str] = {}
    out: list[RoadLine] = []
    mid_y = float(work_point(121.52, 31.297).y)
    for fam_id, (family, others) in enumerate(((fam_a, fam_b), (fam_b, fam_a))):
        other = shapely.MultiLineString(others)
        for k, line in enumerate(family):
            if not line.intersects(base.outline):
                continue
            ref = _numbering_line(line, base.outline)
            cuts = shapely.get_parts(shapely.intersection(line, other))
            d = np.sort(shapely.line_locate_point(line, cuts))
            if d.size < 2:
                continue
            p0 = shapely.line_interpolate_point(line, d[:-1])
            p1 = shapely.line_interpolate_point(line, d[1:])
            cells = shapely.linestrings(
                np.stack([shapely.get_coordinates(p0), shapely.get_coordinates(p1)], axis=1)
            )
            inside = shapely.length(shapely.intersection(cells, blocked)) / shapely.length(cells)
            keep = (rng.random(cells.size) < 0.85) & (inside < 0.35)
            keep &= shapely.intersects(cells, base.outline)
            for run in _runs(keep):
                seg = LineString([p0[run[0]].coords[0], p1[run[-1]].coords[0]])
                for part in lines_of(shapely.intersection(seg, base.land_minor), 80):
                    half = int(part.centroid.y > mid_y)
                    key = (fam_id, k, half)
                    if key not in assigned:
                        assigned[key] = next(names)
                    out.append(RoadLine(assigned[key], "branch", 0.0, part, ref))
    for r in out:
        r.width = float(rng.choice([9.0, 10.0, 12.0, 14.0, 16.0]))
    return out


def _numbering_line(line: LineString, outline: Polygon) -> LineString:
    """The stretch of a grid line inside the district: house numbers count from its start."""
    inside = shapely.get_coordinates(shapely.intersection(line, outline))
    d = shapely.line_locate_point(line, shapely.points(inside))
    return substring(line, float(d.min()), float(d.max()))


def _runs(mask: np.ndarray) -> list[list[int]]:
    """Indices of consecutive True values, grouped."""
    runs: list[list[int]] = []
    for i, ok in enumerate(mask):
        if not ok:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _cut_distances(lines: list[LineString]) -> list[np.ndarray]:
    """For each line, the distances along it where another line meets it."""
    arr = np.array(lines, dtype=object)
    tree = shapely.STRtree(arr)
    i, j = tree.query(arr, predicate="intersects")
    keep = i != j
    i, j = i[keep], j[keep]
    pts = shapely.extract_unique_points(shapely.intersection(arr[i], arr[j]))
    parts, idx = shapely.get_parts(pts, return_index=True)
    owner = i[idx]
    dist = shapely.line_locate_point(arr[owner], parts)
    return [np.sort(dist[owner == k]) for k in range(arr.size)]


def split_line(
    line: LineString, cuts: np.ndarray, min_len: float, max_len: float
) -> list[LineString]:
    """Cut a line at intersections, merging pieces shorter than ``min_len``, splitting long ones."""
    length = line.length
    kept = [0.0]
    for c in cuts:
        if c - kept[-1] >= min_len and length - c >= min_len:
            kept.append(float(c))
    kept.append(length)
    out = []
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        n = max(1, math.ceil((b - a) / max_len))
        edges = np.linspace(a, b, n + 1)
        out.extend(
            substring(line, float(s), float(e)) for s, e in zip(edges[:-1], edges[1:], strict=True)
        )
    return [p for p in out if p.geom_type == "LineString" and p.length > 1]


def segment_roads(lines: list[RoadLine]) -> list[RoadLine]:
    """Cut every road at its junctions into 100–600 m segments."""
    cuts = _cut_distances([r.geom for r in lines])
    out = []
    for r, c in zip(lines, cuts, strict=True):
        for piece in split_line(r.geom, c, 100.0, 600.0):
            out.append(RoadLine(r.name, r.road_class, r.width, piece, r.ref))
    return out


def house_numbers(refs: Sequence[LineString], points: Sequence[Point]) -> np.ndarray:
    """Shanghai-style house numbers: odd on one side, even on the other, ~9 m per number."""
    refs_a = np.asarray(refs, dtype=object)
    pts = np.asarray(points, dtype=object)
    d = shapely.line_locate_point(refs_a, pts)
    a = shapely.get_coordinates(shapely.line_interpolate_point(refs_a, d))
    b = shapely.get_coordinates(shapely.line_interpolate_point(refs_a, d + 1.0))
    p = shapely.get_coordinates(pts)
    cross = (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
    return (2 * np.floor(d / 9.0) + np.where(cross > 0, 1, 2) + 2).astype(int)


def access_roads(
    compounds: gpd.GeoDataFrame, segments: list[RoadLine], base: Base, rng: np.random.Generator
) -> list[RoadLine]:
    """Alleys (弄) from the street into every compound, internal roads in the larger ones."""
    public = [s for s in segments if s.road_class != "expressway"]
    arr = np.array([s.geom for s in public], dtype=object)
    tree = shapely.STRtree(arr)
    reps = np.array([g.representative_point() for g in compounds.geometry], dtype=object)
    nearest = tree.nearest(reps)
    entries = shapely.line_interpolate_point(
        arr[nearest], shapely.line_locate_point(arr[nearest], reps)
    )
    numbers = house_numbers([public[i].ref for i in nearest], entries)
    out: list[RoadLine] = []
    used: set[str] = set()
    for k, (rep, entry, i, num) in enumerate(zip(reps, entries, nearest, numbers, strict=True)):
        road = public[i]
        alley = LineString([entry.coords[0], rep.coords[0]])
        if alley.length < 25 or alley.length > 450 or not alley.within(base.road_area):
            continue
        num = int(num)
        while f"{road.name}{num}弄" in used:
            num += 2
        name = f"{road.name}{num}弄"
        used.add(name)
        out.append(RoadLine(name, "alley", float(rng.choice([4.0, 5.0, 6.0, 7.0])), alley, alley))
        geom = compounds.geometry.iloc[k]
        out.extend(_internal_roads(compounds["name"].iloc[k], geom, rng))
    for name, campus in base.campuses:
        out.extend(_campus_roads(name, campus, base, rng))
    return out


def _internal_roads(name: str, geom: Polygon, rng: np.random.Generator) -> list[RoadLine]:
    if geom.area < 9000:
        return []
    rect = shapely.oriented_envelope(geom)
    c = np.asarray(rect.exterior.coords)[:4]
    e1, e2 = c[1] - c[0], c[2] - c[1]
    long_e, short_e = (e1, e2) if np.hypot(*e1) >= np.hypot(*e2) else (e2, e1)
    centre = c.mean(axis=0)
    inner = geom.buffer(-8)
    axes = [long_e]
    if geom.area > 22000:
        axes.append(short_e)
    out = []
    for axis in axes:
        line = LineString([centre - axis / 2, centre + axis / 2])
        for part in lines_of(shapely.intersection(line, inner), 40):
            out.append(
                RoadLine(
                    f"{name}内部道路",
                    "internal",
                    float(rng.choice([3.5, 4.0, 5.0, 6.0])),
                    part,
                    part,
                )
            )
    return out


def _campus_roads(
    name: str, campus: Polygon, base: Base, rng: np.random.Generator
) -> list[RoadLine]:
    r = math.sqrt(campus.area / math.pi)
    c = campus.centroid
    out = []
    for ang in (25.0, 102.0):
        a = math.radians(ang)
        u = np.array([math.cos(a), math.sin(a)])
        nrm = np.array([-u[1], u[0]])
        for off in np.arange(-0.6, 0.61, 0.4) * r:
            p = np.array(c.coords[0]) + off * nrm
            line = LineString([p - 1.2 * r * u, p + 1.2 * r * u])
            geom = shapely.intersection(
                line, shapely.intersection(campus.buffer(-15), base.land_minor)
            )
            for part in lines_of(geom, 60):
                out.append(
                    RoadLine(
                        f"{name.split('（')[0]}校内道路",
                        "internal",
                        float(rng.choice([5.0, 6.0, 8.0])),
                        part,
                        part,
                    )
                )
    return out


_PROPERTY_MANAGERS = (
    "上海杨浦物业管理有限公司",
    "上海新江湾城物业管理有限公司",
    "上海科瑞物业管理发展有限公司",
    "上海东湖物业管理有限公司",
    "上海漕河泾物业管理有限公司",
    "长城物业集团股份有限公司上海分公司",
)


_MAINTAINER = {
    "expressway": "上海城投公路投资（集团）有限公司",
    "arterial": "杨浦区市政和水务管理事务中心",
    "secondary": "杨浦区市政和水务管理事务中心",
    "branch": "上海杨浦市政养护有限公司",
}


def _road_attributes(
    segs: list[RoadLine], subs: gpd.GeoDataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(segs)
    codes = subdistrict_of(subs, [s.geom.interpolate(0.5, normalized=True) for s in segs])
    sub_name = dict(zip(subs["subdistrict_id"], subs["name"], strict=True))
    built, repair, pci, maint = [], [], np.empty(n), []
    for k, (s, code) in enumerate(zip(segs, codes, strict=True)):
        if s.road_class == "alley":
            b = random_date(rng, dt.date(1960, 1, 1), dt.date(2012, 12, 31))
            maint.append(f"{sub_name[code]}办事处")
        elif s.road_class == "internal":
            b = random_date(rng, dt.date(1985, 1, 1), dt.date(2020, 12, 31))
            maint.append(str(rng.choice(_PROPERTY_MANAGERS)))
        else:
            new = 0.15 if code == "310110020" else 0.05
            if rng.random() < new and s.road_class != "expressway":
                b = random_date(rng, dt.date(2021, 1, 1), dt.date(2025, 9, 30))
            elif code == "310110020":
                b = random_date(rng, dt.date(2004, 1, 1), dt.date(2019, 12, 31))
            else:
                b = random_date(rng, dt.date(1978, 1, 1), dt.date(2019, 12, 31))
            maint.append(_MAINTAINER[s.road_class])
        r = None
        if b.year < 2018 and rng.random() < 0.7:
            lo = max(b + dt.timedelta(days=900), dt.date(2008, 1, 1))
            r = random_date(rng, lo, dt.date(2025, 10, 31)) if lo < dt.date(2025, 10, 31) else None
        last = max(b, r) if r else b
        age = (AS_OF - last).days / 365.25
        pci[k] = 97 - 1.1 * min(age, 20) + rng.normal(0, 3.5)
        built.append(b.isoformat())
        repair.append(r.isoformat() if r else None)
    bad = rng.random(n) < 0.03
    pci = np.where(bad, rng.uniform(60, 68, n), pci)
    pci = np.round(np.clip(pci, 60, 100), 1)
    return pd.DataFrame(
        {"built_date": built, "last_major_repair_date": repair, "pci": pci, "maintainer": maint}
    )


def roads_layer(
    segs: list[RoadLine], subs: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The ``roads`` layer from the segments, with their attributes."""
    attrs = _road_attributes(segs, subs, rng)
    geoms = shapely.set_precision(np.array([s.geom for s in segs], dtype=object), 0.01)
    return gpd.GeoDataFrame(
        {
            "road_id": [f"R{k:05d}" for k in range(1, len(segs) + 1)],
            "name": [s.name for s in segs],
            "road_class": [s.road_class for s in segs],
            "width_m": np.array([s.width for s in segs], dtype="float64"),
            "maintainer": attrs["maintainer"].to_numpy(),
            "built_date": attrs["built_date"].to_numpy(),
            "last_major_repair_date": attrs["last_major_repair_date"].to_numpy(),
            "pci": attrs["pci"].to_numpy(),
        },
        geometry=list(geoms),
        crs=settings.working_crs,
    )


def endpoint_names(roads: gpd.GeoDataFrame) -> dict[tuple[int, int], list[str]]:
    """Names of the public roads ending at each (rounded) point."""
    names: dict[tuple[int, int], list[str]] = {}
    for name, cls, geom in zip(roads["name"], roads["road_class"], roads.geometry, strict=True):
        if cls not in ("arterial", "secondary", "branch"):
            continue
        for x, y in (geom.coords[0], geom.coords[-1]):
            key = (round(x), round(y))
            if name not in names.setdefault(key, []):
                names[key].append(name)
    return names


def cross_name(
    names: dict[tuple[int, int], list[str]], xy: tuple[float, float], own: str
) -> str | None:
    """Name of another road ending within a metre of ``xy``, if any."""
    x, y = round(xy[0]), round(xy[1])
    for dx in (0, -1, 1):
        for dy in (0, -1, 1):
            for n in names.get((x + dx, y + dy), []):
                if n != own:
                    return n
    return None

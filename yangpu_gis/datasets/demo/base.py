"""The hand-authored district outline and the masks every generator step shares
(the Huangpu, every river, where roads and buildings may lie, parks and campuses).
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import LineString, Polygon

from .common import largest_polygon, lines_of, to_work, work_line, work_point
from .places import OPEN_AREAS, RIVERS, SCHOOLS

#: Hand-authored district outline, WGS84 lon/lat, counter-clockwise from the south-west corner
#: on the Huangpu (秦皇岛路). The south-east edge (first 15 vertices) runs along the middle of
#: the Huangpu River (黄浦江), 复兴岛 included; north edge against Baoshan; west edge against
#: Hongkou. Authored from general geographic knowledge, not copied from a boundary file.
OUTLINE_LONLAT: tuple[tuple[float, float], ...] = (
    (121.5080, 31.2500), (121.5160, 31.2490), (121.5240, 31.2495), (121.5320, 31.2515),
    (121.5400, 31.2545), (121.5480, 31.2600), (121.5560, 31.2665), (121.5620, 31.2720),
    (121.5655, 31.2790), (121.5640, 31.2870), (121.5620, 31.2960), (121.5610, 31.3050),
    (121.5600, 31.3150), (121.5585, 31.3250), (121.5560, 31.3330), (121.5450, 31.3365),
    (121.5320, 31.3400), (121.5200, 31.3440), (121.5080, 31.3470), (121.4950, 31.3480),
    (121.4900, 31.3400), (121.4870, 31.3280), (121.4880, 31.3150), (121.4920, 31.3050),
    (121.4910, 31.2950), (121.4930, 31.2860), (121.4960, 31.2800), (121.5020, 31.2740),
    (121.5060, 31.2680), (121.5080, 31.2600), (121.5075, 31.2540),
)  # fmt: skip
#: Number of leading outline vertices that form the Huangpu edge.
_HUANGPU_EDGE_VERTICES = 15


def district_outline() -> Polygon:
    """The hand-authored district outline in the working CRS (EPSG:4549).

    Returns
    -------
    shapely.Polygon
        About 61 km²; south-east edge along the middle of the Huangpu.
    """
    return Polygon(to_work(OUTLINE_LONLAT))


@dataclass(frozen=True)
class Base:
    """Masks every generator step shares."""

    outline: Polygon
    huangpu: Polygon
    water: shapely.Geometry  # every river polygon (lines buffered to their width)
    road_area: shapely.Geometry  # where major roads may run
    land_minor: shapely.Geometry  # where branch roads, alleys and buildings may be
    open_areas: shapely.Geometry  # parks and campuses: no housing, no public branch roads
    campuses: tuple[tuple[str, Polygon], ...]
    riverside: shapely.Geometry  # the 杨浦滨江 belt


def river_geoms(outline: Polygon) -> list[tuple[str, str, str, shapely.Geometry]]:
    """Every river as (name, grade, chief, geometry), clipped to the outline."""
    edge = LineString(to_work(OUTLINE_LONLAT[:_HUANGPU_EDGE_VERTICES]))
    huangpu = shapely.intersection(outline, edge.buffer(230, cap_style="flat"))
    out = [("黄浦江", "市管河道", "市级河长（市政府分管副市长）", largest_polygon(huangpu))]
    inner = outline.buffer(-40)
    for name, grade, chief, width, coords in RIVERS:
        line = work_line(coords)
        if width > 0:
            band = line.buffer(width / 2, cap_style="flat")
            geom = largest_polygon(shapely.intersection(band, outline))
        else:
            geom = max(lines_of(shapely.intersection(line, inner)), key=lambda g: g.length)
        out.append((name, grade, chief, geom))
    lake = work_point(121.4985, 31.3385).buffer(140, quad_segs=8)
    out.append(("新江湾城公园湖", "镇村级河道", "街道河长（新江湾城街道办事处主任）", lake))
    return out


def base_masks() -> Base:
    """The masks of the whole district, computed once per :func:`~.build.generate`."""
    outline = district_outline()
    rivers = river_geoms(outline)
    huangpu = rivers[0][3]
    water = shapely.union_all(
        [g if g.geom_type == "Polygon" else g.buffer(12, cap_style="flat") for *_, g in rivers]
    )
    road_area = shapely.difference(outline, huangpu).buffer(-30)
    campuses = tuple(
        (name, work_point(lon, lat).buffer(r, quad_segs=6))
        for name, lon, lat, _s, _t, r in SCHOOLS
        if r > 0
    )
    opens = [work_point(lon, lat).buffer(r, quad_segs=6) for _n, lon, lat, r in OPEN_AREAS]
    open_areas = shapely.union_all([*opens, *(c for _, c in campuses)])
    land_minor = shapely.difference(road_area, water.buffer(10))
    edge = LineString(to_work(OUTLINE_LONLAT[:_HUANGPU_EDGE_VERTICES]))
    riverside = shapely.intersection(edge.buffer(650), outline)
    return Base(outline, huangpu, water, road_area, land_minor, open_areas, campuses, riverside)

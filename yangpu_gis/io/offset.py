"""Notice GCJ-02 / BD-09 coordinates loaded as WGS84, by comparison with the registry.

Nothing in a GeoJSON says its lon/lat are Amap's GCJ-02 (the DataV district outlines are),
and the offset (about 480 m in Yangpu; about 1.1 km for Baidu's BD-09) keeps the data inside
the district, so the extent check cannot see it. The registry can: its district and
subdistrict outlines and its roads are where they are. A file whose vertices land on those
features far more often after the GCJ-02 (or BD-09) inverse than as read is offset.

The statistic (:func:`detect_offset`)
-------------------------------------
Up to ``max_vertices`` of the file's vertices (evenly spaced through the file) are put in
the working CRS as read, and after each inverse. A vertex *hits* when a reference feature
(an outline boundary, or a road) lies within ``tolerance_m`` of it. Shifting any data by an
arbitrary 480 m lands some vertices on roads by chance, the more the denser the roads, so
the inverse is compared with controls: the same displacement rotated by 30°, 60°, … 330°
(11 shifts of the same length in other directions). The file is taken for offset when, for
one reference group (outlines, or roads),

* ``hits(inverse) >= min_hits``,
* ``hits(inverse) >= factor x max(hits(as read), median(hits(controls)))``, and
* ``hits(inverse) > max(hits(controls))`` (the inverse beats every other direction).

With the defaults (5 m, factor 2, 10 hits) the real DataV outline of 杨浦 (GCJ-02) is
flagged against a registry holding OpenStreetMap roads (28 hits after the inverse, 5 as
read, controls median 9, max 16) or a correct district outline (149 of 149 against 2), and
none of the real OpenStreetMap extracts (roads, buildings, landuse, waterways, POIs) nor the
demo files are, against the demo or OSM roads. Against only the demo's hand-drawn outline
and synthetic roads there is nothing to match, so nothing is said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from .. import settings
from ..crs import bd09_to_wgs84, gcj02_to_wgs84

__all__ = ["OffsetFinding", "detect_offset"]

_INVERSES = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_NAMES = {"gcj02": "GCJ-02 (Amap/Gaode, Tencent)", "bd09": "BD-09 (Baidu)"}


@dataclass(frozen=True)
class OffsetFinding:
    """Evidence that a file's lon/lat are offset."""

    crs: str  #: ``gcj02`` or ``bd09``
    reference: str  #: what matched (``the registry's roads`` …)
    sampled: int
    hits_inverse: int
    hits_as_read: int
    hits_controls_median: float
    hits_controls_max: int
    tolerance_m: float

    def message(self) -> str:
        """One sentence for the load's notes or a refusal."""
        return (
            f"the coordinates look like {_NAMES[self.crs]} read as WGS84: after the "
            f"{self.crs} inverse, {self.hits_inverse} of {self.sampled} sampled vertices lie "
            f"within {self.tolerance_m:g} m of {self.reference}, against {self.hits_as_read} "
            f"as read (shifted as far in 11 other directions: median "
            f"{self.hits_controls_median:g}, best {self.hits_controls_max})"
        )

    def hint(self) -> str:
        source = {"gcj02": "Amap/Gaode, Tencent or DataV", "bd09": "Baidu"}[self.crs]
        return f"if the file comes from {source} maps, load it with --crs {self.crs}"

    def as_dict(self) -> dict:
        return {"crs": self.crs, "reference": self.reference, "sampled": self.sampled,
                "hits_inverse": self.hits_inverse, "hits_as_read": self.hits_as_read,
                "hits_controls_median": self.hits_controls_median,
                "hits_controls_max": self.hits_controls_max, "tolerance_m": self.tolerance_m}


def _vertices(geoms: np.ndarray, limit: int) -> np.ndarray:
    coords = shapely.get_coordinates(np.asarray(geoms, dtype=object))
    coords = coords[np.isfinite(coords).all(axis=1)]
    if len(coords) > limit:
        coords = coords[np.linspace(0, len(coords) - 1, limit).astype(int)]
    return coords


def detect_offset(
    geoms: np.ndarray,
    references: dict[str, np.ndarray],
    *,
    tolerance_m: float = 5.0,
    factor: float = 2.0,
    min_hits: int = 10,
    max_vertices: int = 4000,
    candidates: tuple[str, ...] = ("gcj02", "bd09"),
) -> OffsetFinding | None:
    """Whether ``geoms`` (read as WGS84, in the working CRS) match ``references`` markedly
    better after a GCJ-02 or BD-09 inverse (see the module docstring for the rule).

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The file's geometries in ``settings.working_crs``, as loaded.
    references : dict
        Description (``the registry's roads``) -> geometries in the working CRS. Groups
        without geometries are skipped.
    tolerance_m : float
        Distance within which a vertex hits a reference feature (5 m: the accuracy of a
        good GCJ-02 inverse of Amap data against OpenStreetMap).
    factor, min_hits : float, int
        How much better than as read and than the typical control shift the inverse must
        be, and the fewest hits that count.
    max_vertices : int
        Vertices sampled from the file.
    candidates : tuple of str
        Offsets tried.

    Returns
    -------
    OffsetFinding or None
        The strongest finding, or None when nothing stands out (or nothing to compare).
    """
    groups = {k: np.asarray([g for g in v if g is not None and not g.is_empty], dtype=object)
              for k, v in references.items()}
    groups = {k: v for k, v in groups.items() if len(v)}
    if not groups:  # nothing to compare with (a new registry): the vertices are not needed
        return None
    xy = _vertices(geoms, max_vertices)
    if len(xy) < min_hits:
        return None
    working = pyproj.CRS.from_user_input(settings.working_crs)
    to_lonlat = pyproj.Transformer.from_crs(working, 4326, always_xy=True)
    to_working = pyproj.Transformer.from_crs(4326, working, always_xy=True)
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    trees = {k: shapely.STRtree(v) for k, v in groups.items()}

    def hits(tree: shapely.STRtree, x: np.ndarray, y: np.ndarray) -> int:
        found = tree.query(shapely.points(x, y), predicate="dwithin", distance=tolerance_m)[0]
        return int(np.unique(found).size)

    best: OffsetFinding | None = None
    for key in candidates:
        with np.errstate(all="ignore"):
            ilon, ilat = _INVERSES[key](lon, lat)
            ix, iy = to_working.transform(ilon, ilat)
        dx, dy = ix - xy[:, 0], iy - xy[:, 1]
        mx, my = float(np.median(dx)), float(np.median(dy))
        controls = []
        for k in range(1, 12):
            a = math.radians(30 * k)
            controls.append((mx * math.cos(a) - my * math.sin(a),
                             mx * math.sin(a) + my * math.cos(a)))
        for name, tree in trees.items():
            after = hits(tree, ix, iy)
            if after < min_hits:
                continue
            as_read = hits(tree, xy[:, 0], xy[:, 1])
            shifted = [hits(tree, xy[:, 0] + sx, xy[:, 1] + sy) for sx, sy in controls]
            median = float(np.median(shifted))
            if after >= factor * max(as_read, median) and after > max(shifted):
                finding = OffsetFinding(key, name, len(xy), after, as_read, median,
                                        max(shifted), tolerance_m)
                if best is None or after > best.hits_inverse:
                    best = finding
    return best

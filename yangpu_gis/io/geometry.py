"""Geometry checks and repairs against a layer's allowed geometry families.

Refused always: coordinates that are not finite numbers (NaN, infinity): no repair can know
where the point should be, and ``make_valid`` would keep them. Refused while reading:
shapes GEOS cannot build (a line of one point, a polygon ring of fewer than four points),
by feature (:func:`construction_error`).

Refused without ``repair``: missing or empty geometries, wrong families, invalid geometries
(with GEOS's reason), Z coordinates, single-part multi geometries in point and line layers.
``repair`` applies ``make_valid`` (keeping the layer's family), drops Z, turns single-part
multis into singles and merges multi-lines that join end to end; every change is reported
by row. Polygons are always stored as MultiPolygon: promoting them changes nothing.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely import GeometryType as GT

from ..catalogue import Layer
from ..errors import Problem, SourceError

__all__ = ["GeometryResult", "check_geometries", "construction_error", "non_finite"]

_FAMILY = {
    GT.POINT: "Point",
    GT.MULTIPOINT: "Point",
    GT.LINESTRING: "LineString",
    GT.LINEARRING: "LineString",
    GT.MULTILINESTRING: "LineString",
    GT.POLYGON: "Polygon",
    GT.MULTIPOLYGON: "Polygon",
}
_MULTI = {GT.MULTIPOINT, GT.MULTILINESTRING}
#: ``_FAMILY`` as an array indexed by ``type_id + 1`` (missing geometries have type id -1).
_FAMILY_BY_ID = np.array([_FAMILY.get(t) for t in range(-1, max(GT) + 1)], dtype=object)


@dataclass
class GeometryResult:
    """Checked geometries, with the problems found and repairs made."""

    geoms: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    repairs: list[Problem] = field(default_factory=list)


def _family_parts(geom: shapely.Geometry, family: str) -> shapely.Geometry | None:
    """The parts of ``geom`` (possibly a collection) that belong to ``family``, or None."""
    parts = [
        g
        for g in shapely.get_parts(np.array([geom], dtype=object))
        if _FAMILY.get(shapely.get_type_id(g)) == family
    ]
    if not parts:
        return None
    if family == "Polygon":
        return shapely.multipolygons(shapely.get_parts(np.array(parts, dtype=object)))
    if family == "LineString":
        merged = shapely.line_merge(shapely.multilinestrings(parts))
        return merged
    return parts[0] if len(parts) == 1 else shapely.multipoints(parts)


def _normalise(geoms: np.ndarray, families: tuple[str, ...]) -> np.ndarray:
    """Polygons to MultiPolygon; other types unchanged."""
    out = geoms.copy()
    poly = shapely.get_type_id(out) == GT.POLYGON
    if "Polygon" in families and poly.any():
        out[poly] = [shapely.multipolygons([g]) for g in out[poly]]
    return out


def check_geometries(
    geoms: np.ndarray, layer: Layer, rows: np.ndarray, *, repair: bool, row_label: str = "row"
) -> GeometryResult:
    """Check (and with ``repair``, fix) geometries for ``layer``.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
    layer : Layer
        Gives the allowed families.
    rows : numpy.ndarray
        User-facing row numbers, aligned with ``geoms``.
    repair : bool
        Fix what can be fixed and report it, instead of refusing.

    Returns
    -------
    GeometryResult
        ``geoms`` normalised for storage; ``problems`` non-empty means refuse.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    families = layer.geometry
    res = GeometryResult(geoms)

    def problem(mask: np.ndarray, message: str, hint: str | None = None) -> None:
        if mask.any():
            res.problems.append(Problem(message, rows=rows[mask].tolist(), field="geometry",
                                        hint=hint, row_label=row_label))

    def repaired(mask: np.ndarray, message: str) -> None:
        if mask.any():
            res.repairs.append(Problem(message, rows=rows[mask].tolist(), field="geometry",
                                       row_label=row_label))

    missing = shapely.is_missing(geoms)
    problem(missing, "no geometry", "draw or geocode these features, or remove them")
    empty = ~missing & shapely.is_empty(geoms)
    problem(empty, "empty geometry", "remove these features or give them a shape")
    bad_numbers = ~missing & ~empty & non_finite(geoms)
    problem(bad_numbers, "coordinates that are not finite numbers (NaN or infinity)",
            "fix these coordinates in the source (--repair cannot know where they belong)")
    geoms[bad_numbers] = None  # refused; kept out of the checks below and of the extent
    present = ~missing & ~empty & ~bad_numbers

    has_z = present & shapely.has_z(geoms)
    if has_z.any():
        if repair:
            geoms[has_z] = shapely.force_2d(geoms[has_z])
            repaired(has_z, "dropped Z coordinates")
        else:
            problem(has_z, "geometry has Z coordinates; the registry stores 2-D geometries",
                    "pass --repair to drop Z (keep heights in an attribute such as depth_m)")

    type_ids = shapely.get_type_id(geoms)
    family = _FAMILY_BY_ID[type_ids + 1]
    collection = present & (type_ids == GT.GEOMETRYCOLLECTION)
    wrong = present & ~collection & ~np.isin(family, families)
    wanted = " or ".join(families)
    problem(wrong, f"wrong geometry type (the layer takes {wanted})",
            "check that the file is the right layer, or convert the geometries")

    invalid = present & ~wrong
    invalid[invalid] = ~shapely.is_valid(geoms[invalid])
    fixable = (invalid | collection) & present
    if fixable.any():
        if repair:
            fixed = shapely.make_valid(geoms[fixable])
            idx = np.flatnonzero(fixable)
            still = []
            for i, g in zip(idx, fixed, strict=True):
                target = family[i] if family[i] in families else families[0]
                part = _family_parts(g, target)
                if part is None or part.is_empty:
                    still.append(i)
                else:
                    geoms[i] = part
            still_mask = np.zeros(len(geoms), bool)
            still_mask[still] = True
            repaired(fixable & ~still_mask, "made valid (shapely.make_valid)")
            problem(still_mask, "invalid geometry that cannot be repaired into a " + wanted,
                    "redraw these features")
        else:
            reasons = {}
            for i in np.flatnonzero(invalid):
                reason = shapely.is_valid_reason(geoms[i]).split("[")[0].strip()
                reasons.setdefault(reason, []).append(i)
            for reason, idx in reasons.items():
                mask = np.zeros(len(geoms), bool)
                mask[idx] = True
                problem(mask, f"invalid geometry: {reason}",
                        "pass --repair to fix it with make_valid, or fix it in QGIS")
            problem(collection, "geometry collection instead of a " + wanted,
                    "pass --repair to keep only the " + wanted + " parts")

    type_ids = shapely.get_type_id(geoms)
    multi = present & np.isin(type_ids, list(_MULTI))
    if multi.any():
        nparts = shapely.get_num_geometries(geoms)
        single = multi & (nparts == 1)
        several = multi & (nparts > 1)
        if repair:
            geoms[single] = shapely.get_geometry(geoms[single], 0)
            repaired(single, "single-part multi geometry made single")
            lines = several & (type_ids == GT.MULTILINESTRING)
            merged = shapely.line_merge(geoms[lines])
            ok = shapely.get_type_id(merged) == GT.LINESTRING
            idx = np.flatnonzero(lines)
            geoms[idx[ok]] = merged[ok]
            joined = np.zeros(len(geoms), bool)
            joined[idx[ok]] = True
            repaired(joined, "multi-line parts joined end to end into one line")
            several &= ~joined
        else:
            problem(single, "single-part multi geometry where the layer takes single ones",
                    "pass --repair to convert them")
        problem(several, "multi-part geometry where the layer takes single ones",
                "split these features into one per part (QGIS: Multipart to singleparts) "
                "with their own ids")
    res.geoms = _normalise(geoms, families)
    return res


def non_finite(geoms: np.ndarray) -> np.ndarray:
    """True where a geometry has an x or y coordinate that is NaN or infinite.

    Examples
    --------
    >>> non_finite(np.array([shapely.Point(1, 2), shapely.Point(np.nan, 2), None])).tolist()
    [False, True, False]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), bool)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    if len(coords):
        out[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return out


#: GEOS's construction messages, and what they mean to a GIS user.
_CONSTRUCTION = (
    (re.compile(r"point array must contain 0 or >1 elements"),
     "a line with a single point (a line needs at least 2)"),
    (re.compile(r"Invalid number of points in LinearRing found (\d+)"),
     "a polygon ring of {0} points (a ring needs at least 4: 3 corners and the first "
     "point again)"),
    (re.compile(r"Points of LinearRing do not form a closed linestring"),
     "a polygon ring that is not closed"),
)


def _construction_message(text: str) -> str:
    for pattern, message in _CONSTRUCTION:
        found = pattern.search(text)
        if found:
            return message.format(*found.groups())
    return "a shape GEOS cannot build: " + text.split(":", 1)[-1].strip()


def construction_error(path: Path, exc: Exception, *, one_based: bool, where: str | None = None,
                       source: str | None = None, **kwargs) -> SourceError:
    """The refusal of a file whose features GEOS cannot build, by feature and reason.

    Called when reading the file as a frame failed in GEOS: the geometries are read again
    as WKB and built one by one, so each feature that fails is named.

    Parameters
    ----------
    path : Path
    exc : Exception
        GEOS's error for the whole file (used when no single feature can be blamed).
    one_based : bool
        Whether the format's feature ids count from 0 (shapefile, GeoJSON): rows are FID + 1.
    where, **kwargs
        As passed to pyogrio (``layer``, ``encoding``).
    source : str, optional
        The name shown in the message (``file.zip!member``); default ``path``.
    """
    import pyogrio.raw

    options = {k: v for k, v in kwargs.items() if k in ("layer", "encoding")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, fids, wkb, _ = pyogrio.raw.read(path, read_geometry=True, return_fids=True,
                                               columns=[], where=where or None, **options)
    except Exception:  # noqa: BLE001 - the first error says enough
        fids, wkb = np.array([], dtype="int64"), np.array([], dtype=object)
    reasons: dict[str, list[int]] = {}
    for fid, blob in zip(fids, wkb, strict=True):
        if blob is None:
            continue
        try:
            shapely.from_wkb(blob)
        except (shapely.errors.ShapelyError, ValueError) as one:
            reasons.setdefault(_construction_message(str(one)), []).append(
                int(fid) + (1 if one_based else 0))
    problems = [Problem(message, rows=rows, field="geometry", row_label="feature",
                        hint="redraw these features, or delete them")
                for message, rows in reasons.items()]
    if not problems:
        problems = [Problem(_construction_message(str(exc)), field="geometry")]
    n = len({r for p in problems for r in p.rows})
    return SourceError(
        f"{n} feature{'s' if n != 1 else ''} with shapes that cannot be built; nothing was loaded"
        if n else "shapes that cannot be built; nothing was loaded",
        source=source or str(path), problems=problems)

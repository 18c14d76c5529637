"""Read a district outline file (GeoJSON) for ``yangpu-gis init --district-outline``.

The file is untrusted input, checked before anything is recorded: it must be JSON of a
GeoJSON FeatureCollection, Feature or (Multi)Polygon, each feature a valid (Multi)Polygon
with finite lon/lat, lying near the working CRS's zone. Aliyun DataV files (the
``adcode``/``acroutes`` properties) are GCJ-02: they are refused without ``--crs``, since
read as WGS84 the outline would sit ~500 m off.

Which district: ``--code``/``--name`` pick one feature of a file of several (``310000.json``
with ``--code 310109`` is 虹口区). A code that no feature has but that every feature's code
starts with (administrative codes are hierarchical, GB/T 2260: 310000 → 3101xx) takes the
whole file as one outline whose parts are its features: the city registry.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape

from .. import settings
from ..crs import crs_label, parse_crs, transform_geometries
from ..errors import CRSError, Problem, SourceError, ValidationError
from .district import District

__all__ = ["MAX_OUTLINE_MB", "read_outline"]

#: Largest outline file read, MiB. Shanghai's 16 DataV districts are 0.09 MiB; a detailed
#: city boundary a few MiB.
MAX_OUTLINE_MB = 64
#: How far (degrees) the outline may reach beyond the working CRS's area of use. 1°: the
#: Gauss-Kruger scale error 2.5° from the central meridian is ~0.07 % (Shanghai's east,
#: 崇明 at 122 E, is 0.5° beyond EPSG:4549's 121.5 E); Beijing (116.4 E) is refused.
_ZONE_SLACK_DEG = 1.0


def _features(doc: Any, src: str) -> list[dict]:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    if kind == "Feature":
        return [doc]
    if kind in ("Polygon", "MultiPolygon"):
        return [{"type": "Feature", "properties": {}, "geometry": doc}]
    raise SourceError(f"not a GeoJSON outline (top-level type {kind!r})", source=src,
                      hint="give a GeoJSON FeatureCollection of (Multi)Polygon features, such "
                      "as an Aliyun DataV district file")


def _props(feature: dict) -> dict:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _code(props: dict) -> str:
    value = props.get("adcode", props.get("code"))
    return str(value).strip() if value is not None else ""


def _shape(feature: Any, row: int, lonlat: bool) -> tuple[shapely.Geometry | None, Problem | None]:
    """The feature's polygon, or the problem with it."""
    geom = feature.get("geometry") if isinstance(feature, dict) else None
    kind = geom.get("type") if isinstance(geom, dict) else None
    hint = "an outline is a Polygon or MultiPolygon feature"
    if kind not in ("Polygon", "MultiPolygon"):
        return None, Problem(f"geometry type {kind!r} is not a polygon", rows=[row],
                             field="geometry", hint=hint, row_label="feature")
    try:
        with warnings.catch_warnings():  # NaN in a ring: refused below, by feature
            warnings.simplefilter("ignore", RuntimeWarning)
            poly = shape(geom)
        xy = shapely.get_coordinates(poly)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            shapely.errors.GEOSException) as exc:
        return None, Problem(f"malformed coordinates ({exc})", rows=[row], field="geometry",
                             hint=hint + " with [lon, lat] pairs in closed rings",
                             row_label="feature")
    if not len(xy) or poly.is_empty:
        return None, Problem("empty geometry", rows=[row], field="geometry", hint=hint,
                             row_label="feature")
    if not np.isfinite(xy).all():
        return None, Problem("coordinates that are not finite numbers", rows=[row],
                             field="geometry", hint="fix or remove the NaN/Infinity values",
                             row_label="feature")
    if lonlat and (np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90):
        x, y = xy[np.argmax(np.abs(xy).max(axis=1))]
        return None, Problem(
            f"coordinates out of lon/lat range (e.g. {x:.6g}, {y:.6g})", rows=[row],
            field="geometry", row_label="feature",
            hint="the numbers are not degrees: pass the file's projected CRS with --crs "
            "(e.g. --crs EPSG:4549), or convert the file to lon/lat")
    if not poly.is_valid:
        return None, Problem(f"invalid polygon ({shapely.is_valid_reason(poly)})", rows=[row],
                             field="geometry", row_label="feature",
                             hint="repair it (QGIS: Vector > Geometry Tools > Fix Geometries)")
    if poly.area <= 0:
        return None, Problem("polygon without area", rows=[row], field="geometry",
                             row_label="feature", hint=hint)
    return poly, None


def _source_crs(doc: dict, given: str | None, features: list[dict], src: str
                ) -> pyproj.CRS | str:
    if given is not None:
        return parse_crs(given)
    named = doc.get("crs", {}).get("properties", {}).get("name") if isinstance(
        doc.get("crs"), dict) else None
    if isinstance(named, str):
        return parse_crs(named)
    if any("acroutes" in _props(f) or "adcode" in _props(f) and "parent" in _props(f)
           for f in features):
        raise CRSError("the file looks like an Aliyun DataV outline (adcode, acroutes), whose "
                       "lon/lat are GCJ-02 (Amap)", source=src,
                       hint="pass --crs gcj02 (or --crs EPSG:4326 if it was converted to WGS84)")
    return pyproj.CRS.from_epsg(4326)


def _select(features: list[dict], polys: list[shapely.Geometry], code: str | None,
            name: str | None, src: str) -> tuple[list[int], bool]:
    """Indexes of the features that make the outline, and whether they are parts of it."""
    codes = [_code(_props(f)) for f in features]
    names = [str(_props(f).get("name", "")).strip() for f in features]
    if len(features) == 1:
        return [0], False
    hits = [i for i in range(len(features)) if (code and codes[i] == code)
            or (not code and name and names[i] == name)]
    if len(hits) == 1:
        return hits, False
    listed = ", ".join(f"{c or '?'} {n or '?'}" for c, n in zip(codes, names, strict=True))
    if code and not hits:
        stem = code.rstrip("0")
        if stem and all(c.startswith(stem) for c in codes):
            return list(range(len(features))), True
    raise ValidationError(
        f"--code/--name: the file has {len(features)} features; "
        + ("none" if not hits else f"{len(hits)}") + " match "
        + (f"--code {code}" if code else f"--name {name}" if name else "no --code/--name"),
        source=src,
        hint=f"give --code of one feature, or the code they share for all of them as one "
        f"outline (e.g. --code {codes[0][:2] + '0000' if codes[0] else '310000'} --name 上海市); "
        f"features: {listed[:600]}")


#: Longest district name accepted (the longest Chinese county-level names have ~10 characters).
MAX_NAME_CHARS = 40


def _check_name(name: str, src: str) -> None:
    """Refuse a name that cannot be a district's: too long, or with control characters."""
    if len(name) > MAX_NAME_CHARS or any(not ch.isprintable() for ch in name):
        raise ValidationError(
            f"--name / the feature's name is not a district name ({len(name)} characters"
            + (", with control characters" if any(not c.isprintable() for c in name) else "")
            + ")", source=src, hint=f"give --name with at most {MAX_NAME_CHARS} printable "
            "characters, e.g. 虹口区")


def read_outline(path: str | Path, *, crs: str | None = None, code: str | None = None,
                 name: str | None = None) -> District:
    """Read and check a district outline file; the :class:`~.district.District`.

    Parameters
    ----------
    path : path
        GeoJSON FeatureCollection / Feature / (Multi)Polygon.
    crs : str, optional
        CRS of the coordinates (``gcj02`` for DataV / Amap); default the file's ``crs``
        member, else WGS84 (RFC 7946).
    code, name : str, optional
        Administrative code and name. Pick one feature of several (by ``adcode``/``code``
        or ``name`` property), or, for a code every feature's code starts with, take them
        all as parts; default the feature's own properties.

    Returns
    -------
    District
        Outline in WGS84 lon/lat; ``parts`` for a whole-file outline.

    Raises
    ------
    SourceError
        Missing, too large, not JSON, not GeoJSON.
    ValidationError
        A feature that is not a valid (Multi)Polygon of finite lon/lat (feature number,
        field ``geometry``), or a selection that matches nothing.
    CRSError
        Unknown ``--crs``, a DataV file without ``--crs``, or an outline far from the
        working CRS's zone.

    Examples
    --------
    >>> d = read_outline("../shared/data/real/datav_geomapdata_cn/310000.json",
    ...                  crs="gcj02", code="310109")                  # doctest: +SKIP
    >>> d.describe()                                                  # doctest: +SKIP
    '虹口区 (310109)'
    """
    p = Path(path)
    src = str(path)
    if not p.is_file():
        raise SourceError("no such file" if not p.exists() else "is not a file", source=src,
                          hint="give the path of a GeoJSON outline")
    if p.stat().st_size > MAX_OUTLINE_MB * 2**20:
        raise SourceError(f"the outline file is larger than {MAX_OUTLINE_MB} MiB", source=src,
                          hint="simplify the outline (a district needs a few thousand "
                          "vertices at most)")
    try:
        doc = json.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start + 1} does not decode)", source=src,
                          hint="save the outline as UTF-8 GeoJSON") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                          source=src, hint="check that the download is complete; GeoJSON is "
                          "JSON") from None
    except RecursionError:
        raise SourceError("not valid JSON (nested too deeply)", source=src) from None
    features = _features(doc, src)
    if not features:
        raise ValidationError("the file has no features", source=src,
                              hint="give a file with the district's polygon")
    src_crs = _source_crs(doc, crs, features, src)
    lonlat = isinstance(src_crs, str) or src_crs.is_geographic
    polys, problems = [], []
    for i, feature in enumerate(features):
        poly, problem = _shape(feature, i + 1, lonlat)
        polys.append(poly)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise ValidationError(f"{len(problems)} feature(s) refused; nothing was recorded",
                              source=src, problems=problems)
    wanted, as_parts = _select(features, polys, code, name, src)
    wgs84 = pyproj.CRS.from_epsg(4326)
    with np.errstate(all="ignore"):
        lonlat_polys = transform_geometries(np.array([polys[i] for i in wanted], dtype=object),
                                            src_crs, wgs84)
    xy = shapely.get_coordinates(lonlat_polys)
    if not np.isfinite(xy).all():
        raise CRSError(f"the coordinates do not transform from {crs_label(src_crs)} to lon/lat",
                       source=src, hint="check --crs")
    area = pyproj.CRS.from_user_input(settings.working_crs).area_of_use
    minx, miny, maxx, maxy = shapely.total_bounds(lonlat_polys)
    if area is not None and (minx < area.west - _ZONE_SLACK_DEG or maxx > area.east +
                             _ZONE_SLACK_DEG or miny < area.south - _ZONE_SLACK_DEG or
                             maxy > area.north + _ZONE_SLACK_DEG):
        raise CRSError(
            f"the outline (read as {crs_label(src_crs)}) lies at lon {minx:.3f}…{maxx:.3f}, "
            f"lat {miny:.3f}…{maxy:.3f}, far outside the working CRS {settings.working_crs} "
            f"({area.name}: lon {area.west:g}…{area.east:g})", source=src,
            hint="check --crs (lon and lat swapped? metres read as degrees?); for a district "
            "in another zone set YANGPU_GIS_WORKING_CRS")
    props = [_props(features[i]) for i in wanted]
    if as_parts:
        parts = tuple(District(_code(pr), str(pr.get("name", _code(pr))).strip(),
                               shapely.to_wkb(g))
                      for pr, g in zip(props, lonlat_polys, strict=True))
        whole = shapely.union_all(lonlat_polys)
        for part in (*parts, District(str(code), name or str(code), b"")):
            _check_name(part.name, src)
        return District(str(code), name or str(code), shapely.to_wkb(whole), parts)
    own_code, own_name = _code(props[0]), str(props[0].get("name", "")).strip()
    final_code = code or own_code
    final_name = name or own_name
    if not final_code or not final_name:
        raise ValidationError("the outline has no " + ("code: give --code" if not final_code
                                                       else "name: give --name"),
                              source=src,
                              hint="give --code (e.g. 310109) and --name (e.g. 虹口区)")
    _check_name(final_name, src)
    if not final_code.isdigit():
        raise ValidationError(f"--code {final_code!r} is not an administrative code",
                              source=src, hint="a code is digits, e.g. 310109")
    return District(final_code, final_name, shapely.to_wkb(lonlat_polys[0]))

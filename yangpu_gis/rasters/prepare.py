"""Read, validate and reproject a raster for the registry (the raster side of ``io.prepare``).

A raster is accepted when

* it has a CRS (from the file, or ``crs=`` / ``--crs`` for files without one);
* its extent overlaps the district (``settings.district_bounds_lonlat`` grown by
  ``settings.district_margin_m``; in a registry with a recorded district, its outline
  grown by ``settings.district_outline_margin_m``) — otherwise the hint names the CRSs under which the
  numbers *would* lie in Yangpu;
* it has valid cells, nodata being the file's nodata value, its mask, NaN, or (for files
  that declare none) the usual sentinels ``-9999``, ``-32768`` and ``-3.4e38`` (with a note);
* every valid cell lies in the layer's plausible range (:mod:`.kinds`) after conversion
  from ``units`` — a DEM in feet, or in centimetres, is refused with a hint saying so.

It is then warped to the working CRS with :func:`rasterio.warp.reproject`, using the layer's
resampling (bilinear for elevation). The output resolution is ``resolution_m`` if given,
else the source's own cell size (``calculate_default_transform``'s estimate in metres,
rounded to the centimetre); the grid is aligned to multiples of the cell size
(``gdalwarp -tap``). A source already in the working CRS on such a grid is copied exactly,
with no resampling.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject, transform_bounds

from .. import settings
from ..crs import crs_label, parse_crs
from ..errors import CRSError, SourceError, ValidationError
from ..io.district import District
from ..io.extent import district_box, guess_crs
from ..io.sources import sha256_file
from .kinds import UNIT_FACTORS, RasterKind, get_raster_kind

__all__ = ["NODATA", "PreparedRaster", "prepare_raster"]

#: Nodata value of stored rasters (float32); read back as NaN.
NODATA = -9999.0
#: Sentinels treated as nodata in files that declare no nodata value.
_SENTINELS = (-9999.0, -32768.0, -3.4028234663852886e38)


@dataclass
class PreparedRaster:
    """A validated raster in the working CRS, ready to store.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float32, NaN where there is no data.
    transform : affine.Affine
        North-up transform in the working CRS.
    crs : pyproj.CRS
        The working CRS.
    kind : RasterKind
    source : str
        Path of the source file.
    source_sha256 : str
    source_crs : str
        Label of the CRS the source was read in.
    notes : list of str
        Things the user should know (sentinel nodata, reprojection, unit conversion).
    """

    values: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    kind: RasterKind
    source: str
    source_sha256: str
    source_crs: str
    notes: list[str] = field(default_factory=list)

    @property
    def resolution_m(self) -> float:
        return float(self.transform.a)

    @property
    def valid_cells(self) -> int:
        return int(np.isfinite(self.values).sum())

    def stats(self) -> dict[str, float]:
        v = self.values[np.isfinite(self.values)]
        return {"min": float(v.min()), "max": float(v.max()), "mean": float(v.mean())}

    def summary(self) -> dict[str, Any]:
        h, w = self.values.shape
        return {"source_crs": self.source_crs, "width": w, "height": h,
                "resolution_m": self.resolution_m, "valid_cells": self.valid_cells,
                **{f"value_{k}": round(v, 3) for k, v in self.stats().items()},
                "notes": list(self.notes)}


def _district_box_working(margin_m: float | None = None) -> tuple[float, float, float, float]:
    box = district_box(margin_m)
    return transform_bounds("EPSG:4326", settings.working_crs, *box, densify_pts=21)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def _in_district(working_bounds: tuple[float, float, float, float],
                 district: District | None) -> bool:
    """Whether the raster's footprint overlaps the district: the recorded outline grown by
    ``settings.district_outline_margin_m``, else the Yangpu extent + margin."""
    if district is not None:
        return bool(shapely.intersects(shapely.box(*working_bounds), district.grown()))
    return _overlaps(working_bounds, _district_box_working())


def _extent_hint(bounds: tuple[float, float, float, float],
                 district: District | None = None) -> str:
    xs = np.array([bounds[0], bounds[2], (bounds[0] + bounds[2]) / 2])
    ys = np.array([bounds[1], bounds[3], (bounds[1] + bounds[3]) / 2])
    x, y = np.meshgrid(xs, ys)
    found = guess_crs(x.ravel(), y.ravel(), share=0.3, district=district)
    place = "Yangpu" if district is None else district.name
    if found:
        return (f"the numbers would lie in {place} read as {', '.join(found)}: "
                f"pass --crs {found[0].split()[0]} (crs=) if the file's CRS is wrong")
    if district is not None:
        minx, miny, maxx, maxy = district.bounds_lonlat()
        return (f"check that the file covers {district.describe()} (lon {minx:.2f}–{maxx:.2f} "
                f"E, lat {miny:.2f}–{maxy:.2f} N, the registry's recorded outline) and that "
                "its CRS is right")
    return ("check that the file covers Yangpu (lon 121.49–121.57 E, lat 31.25–31.34 N) and "
            "that its CRS is right")


def _mask_nodata(data: np.ndarray, src: rasterio.io.DatasetReader, notes: list[str]) -> np.ndarray:
    values = data.astype(np.float64)
    invalid = ~np.isfinite(values)
    if src.nodata is not None and not (isinstance(src.nodata, float) and math.isnan(src.nodata)):
        invalid |= values == src.nodata
    else:
        mask = src.read_masks(1)
        invalid |= mask == 0
        found = [s for s in _SENTINELS if np.any(np.isclose(values, s, rtol=0, atol=0.5))]
        for s in found:
            invalid |= np.isclose(values, s, rtol=0, atol=0.5)
        if found:
            notes.append(f"the file declares no nodata value; cells equal to "
                         f"{', '.join(f'{s:g}' for s in found)} were taken as nodata")
    values[invalid] = np.nan
    return values


def _check_plausible(values: np.ndarray, kind: RasterKind, units: str, source: str,
                     plausible: tuple[float, float] | None) -> None:
    """Refuse values (in ``units``) outside the layer's plausible range (in its units)."""
    lo, hi = plausible or (kind.plausible_min, kind.plausible_max)
    raw = values[np.isfinite(values)]
    to_kind = UNIT_FACTORS[units] / UNIT_FACTORS[kind.units]
    v = raw * to_kind
    vmin, vmax = float(v.min()), float(v.max())
    median = float(np.median(raw))
    mlo, mhi = kind.median_range if plausible is None else (-math.inf, math.inf)
    if vmin >= lo and vmax <= hi and mlo <= median * to_kind <= mhi:
        return
    bad = int(((v < lo) | (v > hi)).sum())
    ranked = []
    for order, (name, factor) in enumerate(UNIT_FACTORS.items()):
        k = factor / UNIT_FACTORS[kind.units]
        if (name != units and lo <= raw.min() * k and raw.max() * k <= hi
                and mlo <= median * k <= mhi):
            score = round(abs(math.log(max(abs(median) * k, 1e-6) / kind.typical)), 2)
            ranked.append((score, order, name))
    hints = [name for _, _, name in sorted(ranked)]
    if hints:
        hint = (f"the values fit the range if they are in {' or '.join(hints)}: pass "
                f"--units {hints[0]} (units=) to convert, or convert the file to {kind.units}")
    else:
        hint = (f"a {kind.name} of Yangpu lies within {lo:g}…{hi:g} {kind.units}; check the "
                "units, the nodata value and that this is the right file")
    if bad:
        what = (f"{bad:,} of {v.size:,} cells lie outside the plausible range {lo:g}…{hi:g} "
                f"{kind.units} of {kind.name}")
    else:
        what = (f"the median {median:.4g} {units} lies outside the typical range "
                f"{mlo:g}…{mhi:g} {kind.units} of {kind.name}")
    raise ValidationError(
        f"{what} (values {raw.min():.6g}…{raw.max():.6g} {units}); nothing was loaded",
        source=source, hint=hint)


def _target_grid(src_crs, working, width, height, bounds, resolution_m):
    if resolution_m is None:
        t, _, _ = calculate_default_transform(src_crs, working, width, height, *bounds)
        resolution_m = max(round(abs(t.a), 2), 0.01)
    if resolution_m <= 0:
        raise ValidationError(f"resolution_m must be positive, not {resolution_m}")
    left, bottom, right, top = transform_bounds(src_crs, working, *bounds, densify_pts=21)
    r = float(resolution_m)
    left, bottom = math.floor(left / r) * r, math.floor(bottom / r) * r
    right, top = math.ceil(right / r) * r, math.ceil(top / r) * r
    w, h = round((right - left) / r), round((top - bottom) / r)
    return Affine(r, 0, left, 0, -r, top), w, h


def prepare_raster(
    source: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    resolution_m: float | None = None,
    units: str = "m",
    plausible: tuple[float, float] | None = None,
    band: int = 1,
    district: District | None = None,
) -> PreparedRaster:
    """Read a GDAL raster, validate it for ``layer`` and warp it to the working CRS.

    Parameters
    ----------
    source : path
        Any raster GDAL reads (GeoTIFF, ASCII grid, IMG, …).
    layer : str
        Raster catalogue layer (``dem``).
    crs : str, optional
        CRS of the file, for files without one or with a wrong one (EPSG code or WKT).
    resolution_m : float, optional
        Cell size of the stored raster in metres; default the source's own.
    units : str
        Units of the source values (``m``, ``cm``, ``mm``, ``ft``, ``us-ft``); converted to
        the layer's units.
    plausible : (float, float), optional
        Override of the layer's plausible range (in the layer's units).
    band : int
        Band to read.
    district : District, optional
        The registry's recorded district: the raster must overlap its outline (+
        ``settings.district_outline_margin_m``); default the Yangpu extent.

    Returns
    -------
    PreparedRaster

    Raises
    ------
    SourceError
        The file cannot be read.
    CRSError
        No CRS, or an extent that does not overlap the district.
    ValidationError
        No valid cells, or values outside the plausible range.
    """
    kind = get_raster_kind(layer)
    path = Path(source)
    if units not in UNIT_FACTORS:
        raise ValidationError(f"unknown units {units!r}", hint=", ".join(UNIT_FACTORS))
    notes: list[str] = []
    try:
        src = rasterio.open(path)
    except (rasterio.errors.RasterioIOError, OSError) as exc:
        raise SourceError(f"cannot read the raster: {exc}", source=str(path),
                          hint="give a GeoTIFF or another raster format GDAL reads") from exc
    with src, warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        if band < 1 or band > src.count:
            raise ValidationError(f"the raster has {src.count} band(s), not band {band}",
                                  source=str(path))
        if crs is not None:
            parsed = parse_crs(crs)
            if isinstance(parsed, str):
                raise CRSError(f"{crs} is not usable for rasters", source=str(path),
                               hint="rasters need a real CRS (EPSG:4326, EPSG:4549 …)")
            src_crs = rasterio.crs.CRS.from_wkt(parsed.to_wkt())
            if src.crs is not None and src.crs != src_crs:
                notes.append(f"the file's CRS {src.crs.to_string()} was overridden by {crs}")
        elif src.crs is None:
            raise CRSError("the raster has no CRS", source=str(path),
                           hint="pass --crs EPSG:xxxx (crs=); Yangpu data is usually EPSG:4549 "
                           "(CGCS2000 GK CM 120E) or EPSG:4326 (WGS84 lon/lat)")
        else:
            src_crs = src.crs
        if src.transform.is_identity:
            raise CRSError("the raster has no georeferencing (identity transform)",
                           source=str(path), hint="give a georeferenced raster (GeoTIFF with "
                           "a geotransform, or a .tfw/.aux.xml beside it)")
        label = crs_label(pyproj.CRS.from_wkt(src_crs.to_wkt()))
        bounds = tuple(src.bounds)
        try:
            working_bounds = transform_bounds(src_crs, settings.working_crs, *bounds,
                                              densify_pts=21)
            ok = all(map(math.isfinite, working_bounds))
        except Exception:  # noqa: BLE001 - any PROJ failure means "not here"
            ok = False
        if not ok or not _in_district(working_bounds, district):
            raise CRSError(
                f"the raster's extent {tuple(round(b, 3) for b in bounds)} in {label} does "
                f"not overlap {'Yangpu' if district is None else district.name}; nothing was "
                "loaded", source=str(path), hint=_extent_hint(bounds, district))
        data = src.read(band)
        values = _mask_nodata(data, src, notes)
        if not np.isfinite(values).any():
            raise ValidationError("the raster has no valid cells (all nodata)", source=str(path),
                                  hint="check the nodata value and the band")
        _check_plausible(values, kind, units, str(path), plausible)
        factor = UNIT_FACTORS[units] / UNIT_FACTORS[kind.units]
        if factor != 1:
            values = values * factor
            notes.append(f"values converted from {units} to {kind.units} (× {factor:g})")
        working = rasterio.crs.CRS.from_user_input(settings.working_crs)
        transform, w, h = _target_grid(src_crs, working, src.width, src.height, bounds,
                                       resolution_m)
        same = (src_crs == working and src.transform == transform
                and (src.width, src.height) == (w, h))
        if same:
            out = values.astype(np.float32)
        else:
            out = np.full((h, w), np.nan, dtype=np.float32)
            reproject(values.astype(np.float32), out, src_transform=src.transform,
                      src_crs=src_crs, src_nodata=np.nan, dst_transform=transform,
                      dst_crs=working, dst_nodata=np.nan,
                      resampling=Resampling[kind.resampling])
            notes.append(f"warped from {label} to {settings.working_crs} at "
                         f"{transform.a:g} m ({kind.resampling})")
    if not np.isfinite(out).any():
        raise ValidationError("no valid cells remain after reprojection", source=str(path))
    return PreparedRaster(out, transform, pyproj.CRS.from_user_input(settings.working_crs), kind,
                          str(path), sha256_file(path), label, notes)

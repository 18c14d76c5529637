"""Write a registry layer to a file that loads back into the same layer.

One function, :func:`export_layer`, behind ``Registry.export`` and ``yangpu-gis export``
(and :func:`export_frame`, the same writer for a frame derived from the registry, such as
``yangpu-gis diff -o changes.gpkg``):

* the format follows the extension: ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (with a
  UTF-8 ``.cpg``), ``.csv`` (geometry as WKT in a ``wkt`` column, the CRS in a ``.prj`` beside
  it), and ``.tif``/``.tiff`` for a raster layer (``dem``);
* coordinates keep their precision: WKT with 10 decimals in degrees and 4 in metres;
* GeoPackage datetimes are written in UTC (the standard's form); shapefile field names are
  truncated by GDAL's rule, which the loader maps back (:mod:`yangpu_gis.io.dbf_names`);
* the output is never the registry or one of its own files (compared by real path and by
  inode), and it appears complete or not at all: every part is written into a temporary
  folder beside the target and moved into place with ``os.replace`` at the end.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..catalogue import CATALOGUE, get_layer
from ..errors import ValidationError, YangpuGisError
from ..output import write_error

__all__ = ["VECTOR_FORMATS", "RASTER_FORMATS", "export_frame", "export_layer"]

#: Extension -> description of the vector formats.
VECTOR_FORMATS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON",
                  ".shp": "Shapefile", ".csv": "CSV (WKT geometry)"}
#: Extension -> description of the raster formats.
RASTER_FORMATS = {".tif": "GeoTIFF", ".tiff": "GeoTIFF"}
#: The files a shapefile export writes, besides the ``.shp``.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Decimals of WKT coordinates in CSV exports: 1e-10 degree (0.01 mm) / 0.1 mm.
WKT_DECIMALS_DEGREES = 10
WKT_DECIMALS_METRES = 4


def export_layer(reg, layer: str, out: str | Path, *, crs: str | None = None) -> Path:
    """Write ``layer`` of ``reg`` to ``out``; the format follows the extension.

    Parameters
    ----------
    reg : Registry
        The registry to read.
    layer : str
        A catalogue layer, or a raster layer (``dem``) for a GeoTIFF.
    out : str or Path
        The output file. For ``.shp`` the ``.shx/.dbf/.prj/.cpg`` beside it are written too;
        for ``.csv`` of a layer with geometry, a ``.prj``.
    crs : str, optional
        Output CRS (default the working CRS; ``gcj02`` for Amap). Not for rasters.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValidationError
        Unknown layer, a folder, no or an unknown extension, a format the layer cannot be
        written in, or an output that is the registry or one of its files.
    YangpuGisError
        The file cannot be written (permission, disk full …); nothing is left behind.

    Examples
    --------
    >>> reg.export("roads", "roads.geojson", crs="EPSG:4326")   # doctest: +SKIP
    PosixPath('roads.geojson')
    """
    from ..rasters import RASTER_CATALOGUE

    out = Path(out)
    raster = layer in RASTER_CATALOGUE
    if not raster:
        spec = get_layer(layer)
    suffix = _check_output(out, layer, raster=raster,
                           has_geometry=raster or spec.has_geometry, crs=crs)
    if suffix == ".shp":  # GDAL names every part in lower case (roads.SHP -> roads.shp …)
        out = out.with_suffix(".shp")
    parts = _output_parts(out, suffix, raster=raster,
                          has_geometry=raster or spec.has_geometry)
    _refuse_registry_files(reg, parts)
    if raster:
        data = reg.read_raster(layer)
        return _atomic(out, parts, lambda tmp: data.write(tmp, cog=True))
    if not spec.has_geometry:
        frame = reg.read(layer)
        return _atomic(out, parts, lambda tmp: _to_csv(frame, tmp))
    gdf = reg.read(layer, crs=crs)
    datetimes = [c.name for c in CATALOGUE[layer].columns if c.type == "datetime"]
    return _atomic(out, parts, lambda tmp: _write_vector(gdf, tmp, layer, suffix, datetimes))


def export_frame(reg, frame, out: str | Path, *, name: str,
                 formats: tuple[str, ...] = (".gpkg", ".csv")) -> Path:
    """Write a frame derived from ``reg`` (e.g. :meth:`.history.LayerDiff.to_frame`) the way
    :func:`export_layer` writes a layer: the same formats, checks and atomic write.

    Parameters
    ----------
    reg : Registry
        The registry it came from (its own files are never overwritten).
    frame : GeoDataFrame or DataFrame
        What to write; a frame without geometry is written as CSV only.
    out : str or Path
        The output file; its extension gives the format.
    name : str
        The GeoPackage layer name, and the name used in refusals.
    formats : tuple of str
        The extensions allowed (a subset of :data:`VECTOR_FORMATS`).

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> export_frame(reg, reg.diff("roads").to_frame(), "changes.gpkg", name="roads_changes")  # doctest: +SKIP
    PosixPath('changes.gpkg')
    """
    import geopandas as gpd

    out = Path(out)
    has_geometry = isinstance(frame, gpd.GeoDataFrame)
    suffix = _check_output(out, name, raster=False, has_geometry=has_geometry, crs=None,
                           formats={k: v for k, v in VECTOR_FORMATS.items() if k in formats})
    parts = _output_parts(out, suffix, raster=False, has_geometry=has_geometry)
    _refuse_registry_files(reg, parts)
    if not has_geometry:
        return _atomic(out, parts, lambda tmp: _to_csv(pd.DataFrame(frame), tmp))
    return _atomic(out, parts, lambda tmp: _write_vector(frame, tmp, name, suffix, []))


def _check_output(out: Path, layer: str, *, raster: bool, has_geometry: bool,
                  crs: str | None, formats: dict[str, str] | None = None) -> str:
    suffix = out.suffix.lower()
    if out.exists() and out.is_dir() or str(out).endswith(os.sep):
        raise ValidationError("the output is a folder", source=str(out),
                              hint="name a file, e.g. " + str(out / f"{layer}.gpkg"))
    formats = formats if formats is not None else VECTOR_FORMATS
    formats = RASTER_FORMATS if raster else (formats if has_geometry else {".csv": "CSV"})
    listed = ", ".join(dict.fromkeys(formats))
    if not suffix:
        raise ValidationError("the output has no extension, so no format", source=str(out),
                              hint=f"add one of: {listed}")
    if suffix not in formats:
        kind = ("a raster layer" if raster else
                "a layer with geometry" if has_geometry else "a table with no geometry")
        raise ValidationError(f"{layer} is {kind} and cannot be written as {suffix!r}",
                              source=str(out), hint=f"use one of: {listed}")
    if raster and crs is not None:
        raise ValidationError("a raster layer is exported in the working CRS only",
                              source=str(out), hint="leave out --crs")
    return suffix


def _output_parts(out: Path, suffix: str, *, raster: bool, has_geometry: bool) -> list[Path]:
    if suffix == ".shp":
        return [out.with_suffix(s) for s in SHAPEFILE_PARTS]
    if suffix == ".csv" and has_geometry and not raster:
        return [out, out.with_suffix(".prj")]
    return [out]


def _registry_files(reg) -> tuple[list[Path], list[Path]]:
    """(files, folders) that belong to a GeoPackage registry; nothing for PostGIS."""
    path = getattr(reg, "path", None)
    if path is None:
        return [], []
    path = Path(path)
    names = [path.name + s for s in ("", ".lock", "-journal", "-wal", "-shm")]
    files = [path.with_name(n) for n in names]
    real = Path(os.path.realpath(path))
    files += [real.with_name(real.name + s) for s in ("", ".lock", "-journal", "-wal", "-shm")]
    folders = [path.with_name(path.name + ".rasters"), real.with_name(real.name + ".rasters")]
    return files, folders


def _same(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_registry_files(reg, parts: list[Path]) -> None:
    files, folders = _registry_files(reg)
    for part in parts:
        real_part = Path(os.path.realpath(part))
        working_copy = re.fullmatch(r"\..+\.tmp\.gpkg(-journal|-wal|-shm)?", part.name)
        clash = any(_same(part, f) for f in files) or any(
            real_part.is_relative_to(os.path.realpath(d)) for d in folders)
        if clash or (working_copy and files and _same(part.parent, files[0].parent)):
            raise ValidationError(
                "the output is the registry or one of its own files; writing it would "
                "overwrite the registry without its lock",
                source=str(part),
                hint="export to another file name (the registry is " + str(files[0]) + ")",
            )


def _atomic(out: Path, parts: list[Path], write) -> Path:
    """Run ``write(tmp_out)`` in a temporary folder beside ``out``; move every part into
    place only when it succeeded; on any failure remove the temporary files."""
    parent = out.parent if str(out.parent) else Path(".")
    blocking = next((p for p in [parent, *parent.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise YangpuGisError(f"cannot write the export: {blocking} is a file, not a folder",
                             source=str(out), hint="choose an output in an existing folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".export", dir=parent))
    except OSError as exc:
        raise _os_error(exc, out) from None
    try:
        try:
            with _quiet_gdal():
                write(tmpdir / out.name)
            written = [p for p in parts if (tmpdir / p.name).exists()]
            if not (tmpdir / out.name).exists():
                raise YangpuGisError("the export wrote no file", source=str(out))
            umask = os.umask(0)
            os.umask(umask)
            for p in written:
                tmp = tmpdir / p.name
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o666 & ~umask)  # mkdtemp folders are private; files are not
            for p in parts:  # a part an earlier export left but this one does not write
                if p not in written and p.exists() and p.is_file():
                    p.unlink()
            for p in written:
                os.replace(tmpdir / p.name, p)
        except OSError as exc:
            raise _os_error(exc, out) from None
        except YangpuGisError:
            raise
        except Exception as exc:  # GDAL/rasterio report a full disk as their own errors
            text = str(exc)
            if "No space left" in text or _nearly_full(parent):
                raise _os_error(OSError(errno.ENOSPC, text), out) from None
            raise YangpuGisError(f"cannot write the export: {text.splitlines()[0] if text else exc!r}",
                                 source=str(out)) from exc
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return out


def _nearly_full(folder: Path) -> bool:
    """True when the file system of ``folder`` has (almost) no room left: GDAL drivers
    report a full disk as "cannot write feature" or a TIFF scanline error."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20


@contextmanager
def _quiet_gdal() -> Iterator[None]:
    """Keep GDAL's own log lines (libtiff's "No space left", rasterio's CPLE messages) off
    the terminal while writing; the failure itself is raised and reported once."""
    loggers = [logging.getLogger(n) for n in ("rasterio", "rasterio._env", "rasterio._err",
                                              "pyogrio", "pyogrio._err")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:  # libtiff writes straight to file descriptor 2
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _os_error(exc: OSError, out: Path) -> YangpuGisError:
    return write_error(exc, out, "the export", system_words=False,
                       hint="choose a writable folder with free space; nothing was written")


def _write_vector(gdf, tmp: Path, layer: str, suffix: str, datetimes: list[str]) -> None:
    import pyogrio

    frame = _exportable(gdf)
    if suffix == ".csv":
        _write_csv(frame, tmp)
        return
    kwargs: dict[str, Any] = {}
    if suffix == ".gpkg":
        kwargs["layer"] = layer
        for name in datetimes:  # GeoPackage DATETIME is UTC (Req. 5)
            frame[name] = pd.to_datetime(frame[name], utc=True)
    elif suffix == ".shp":
        kwargs["encoding"] = "UTF-8"
        _refuse_mixed_geometry(frame, layer, tmp)
    elif suffix in (".geojson", ".json"):
        kwargs["driver"] = "GeoJSON"
    with warnings.catch_warnings():
        # GDAL's notes on what a shapefile cannot hold (10-character names, datetimes as
        # text): expected, and undone by the loader
        warnings.filterwarnings("ignore", r"Normalized/laundered field name", RuntimeWarning)
        warnings.filterwarnings("ignore", r"Field .* created as .* field, though .* requested",
                                RuntimeWarning)
        pyogrio.write_dataframe(frame, tmp, use_arrow=True, **kwargs)
    _check_written(tmp, kwargs.get("layer"), len(frame))
    if suffix == ".gpkg" and datetimes:
        from .geopackage.vectors import gpkg_datetimes_to_standard

        gpkg_datetimes_to_standard(tmp, layer, datetimes)


def _check_written(tmp: Path, layer: str | None, expected: int) -> None:
    """Read back what GDAL wrote: some drivers (GeoJSON) drop a full disk's write errors
    and leave a short file, so a file that does not hold every feature is a failed write."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = pyogrio.read_info(tmp, layer=layer, force_feature_count=True)["features"]
    except Exception:  # noqa: BLE001 - any reading failure means the file is not whole
        found = -1
    if found != expected:
        if _nearly_full(tmp.parent):
            raise OSError(errno.ENOSPC, "No space left on device")
        raise YangpuGisError(f"the written file holds {max(found, 0):,} of {expected:,} features",
                             source=str(tmp), hint="write it again; check the disk")


def _refuse_mixed_geometry(frame, layer: str, out: Path) -> None:
    """A shapefile holds one kind of geometry: refuse a layer whose rows mix kinds."""
    kinds = {"Point": "points", "MultiPoint": "points", "LineString": "lines",
             "MultiLineString": "lines", "Polygon": "polygons", "MultiPolygon": "polygons"}
    types = frame.geometry.geom_type.dropna()
    found = sorted({kinds.get(t, t) for t in types})
    if len(found) > 1:
        raise ValidationError(
            f"{layer} holds {' and '.join(found)}; a shapefile holds one kind of geometry",
            source=str(out.name),
            hint="export it as .gpkg or .geojson, which keep every row",
        )


def _write_csv(gdf, tmp: Path) -> None:
    import shapely

    geographic = gdf.crs is not None and gdf.crs.is_geographic
    decimals = WKT_DECIMALS_DEGREES if geographic else WKT_DECIMALS_METRES
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame["wkt"] = shapely.to_wkt(gdf.geometry.values, rounding_precision=decimals, trim=True)
    _to_csv(frame, tmp)
    if gdf.crs is not None:
        tmp.with_suffix(".prj").write_text(gdf.crs.to_wkt("WKT1_ESRI"), encoding="utf-8")


def _to_csv(frame: pd.DataFrame, tmp: Path) -> None:
    """UTF-8 with BOM (Excel reads the Chinese names), CRLF line ends (RFC 4180): with them
    the csv module quotes a value holding a carriage return, which a ``\\n`` line end leaves
    bare, so a reader split the row there."""
    frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _exportable(gdf):
    out = gdf.copy()
    for name in out.columns:
        if out[name].dtype == "boolean":
            out[name] = out[name].astype(object)
    return out

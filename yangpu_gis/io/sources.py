"""Read a bureau's file into a raw GeoDataFrame, keeping its own column names.

Formats: ESRI Shapefile (also zipped), GeoPackage (choose the layer), GeoJSON, CSV and XLSX
with coordinate columns. Nothing is validated against the catalogue here; the reader only
makes sure the file is whole, decodes its text right and knows which row is which, so that
later messages can point at the row the user sees in QGIS or Excel.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from ..errors import Problem, SourceError
from .encoding import EncodingGuess, detect_bytes_encoding, normalise_codec
from .paths import check_input_file, check_readable
from .shapefile import check_shapefile, dbf_encoding, find_parts
from .types import is_blank

__all__ = ["RawSource", "from_frame", "has_geometry", "read_source", "sha256_file"]

VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".zip", ".osm", ".pbf"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}

#: Column names recognised as coordinates in CSV/XLSX, in order of preference.
X_NAMES = ("lon", "lng", "longitude", "经度", "x", "x坐标", "横坐标", "point_x", "gcj_lon", "bd_lon")
Y_NAMES = ("lat", "latitude", "纬度", "y", "y坐标", "纵坐标", "point_y", "gcj_lat", "bd_lat")


@dataclass
class RawSource:
    """A file as read, before validation.

    Attributes
    ----------
    path : str
        What the user named (shown in messages).
    frame : geopandas.GeoDataFrame or pandas.DataFrame
        Source columns as in the file, plus geometry (CRS as declared, possibly none); a
        plain DataFrame for a table read without coordinates (attribute-table layers).
    rows : numpy.ndarray
        The row number the user sees for each record (1-based feature number, or the
        spreadsheet/CSV line including the header).
    row_label : str
        ``feature``, ``line`` or ``row``: what ``rows`` count.
    crs : pyproj.CRS or None
        The CRS the file declares.
    encoding : EncodingGuess or None
        Text encoding used, and how it was decided.
    sha256 : str
        Checksum of the source file(s), recorded with the batch.
    notes : list of str
        Things the user should know (e.g. the encoding detected).
    skipped : list of int
        Rows left out on request (``skip_unlocated``), reported with the load.
    """

    path: str
    frame: gpd.GeoDataFrame | pd.DataFrame
    rows: np.ndarray
    row_label: str
    crs: pyproj.CRS | None
    encoding: EncodingGuess | None = None
    sha256: str = ""
    notes: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def sha256_file(*paths: Path) -> str:
    """SHA-256 over the bytes of one or more files, in the order given."""
    digest = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def has_geometry(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a GeoDataFrame with an active geometry column."""
    return (isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name is not None
            and frame._geometry_column_name in frame)


def from_frame(gdf: gpd.GeoDataFrame | pd.DataFrame, name: str | None = None, *,
               need_geometry: bool = True) -> RawSource:
    """Wrap an in-memory GeoDataFrame (from a notebook) as a source; rows count from 1.

    With ``need_geometry=False`` (attribute-table layers) a plain DataFrame is accepted.
    """
    frame = gdf.reset_index(drop=True)
    geo = has_geometry(frame)
    name = name or ("<GeoDataFrame>" if geo or need_geometry else "<DataFrame>")
    if need_geometry and not geo:
        raise SourceError("not a GeoDataFrame with a geometry column", source=name)
    attrs = frame.drop(columns=frame.geometry.name) if geo else frame
    digest = hashlib.sha256(pd.util.hash_pandas_object(attrs, index=False).values)
    if geo:
        digest.update(shapely.to_wkb(frame.geometry.values).astype(bytes).tobytes())
    return RawSource(
        path=name,
        frame=frame if geo else pd.DataFrame(frame),
        rows=np.arange(1, len(frame) + 1),
        row_label="row",
        crs=frame.crs if geo else None,
        sha256=digest.hexdigest(),
    )


def read_source(
    path: str | Path,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    where: str | None = None,
    allow_missing_xy: bool = False,
    need_xy: bool = True,
) -> RawSource:
    """Read a vector or tabular file as the user gave it.

    Parameters
    ----------
    path : str or Path
        ``.shp``, ``.zip`` (a zipped shapefile), ``.gpkg``, ``.geojson``/``.json``, ``.csv``,
        ``.xlsx``.
    source_layer : str, optional
        Layer of a GeoPackage, or sheet of a workbook; required when there are several.
    encoding : str, optional
        Overrides the ``.cpg`` / detection (shapefiles, CSV).
    x, y : str, optional
        Coordinate columns of CSV/XLSX; detected from common names when omitted.
    where : str, optional
        Attribute filter in OGR SQL (``ogr2ogr -where``), for vector formats, e.g.
        ``"highway IN ('primary', 'secondary') AND name IS NOT NULL"``. Row numbers in
        messages still count the file's features.
    allow_missing_xy : bool
        CSV/XLSX rows whose coordinates are both blank get no geometry instead of being
        refused (the registry then locates them by address); garbage coordinates are still
        refused.
    need_xy : bool
        False for attribute-table layers (no geometry): CSV/XLSX are read as plain tables,
        without coordinate columns (any there are kept as ordinary columns).

    Raises
    ------
    SourceError
        For missing, empty, damaged or unreadable files, with a hint.
    """
    p = Path(path)
    check_input_file(p)
    suffix = p.suffix.lower()
    if where and suffix in TABLE_SUFFIXES:
        raise SourceError("--where filters vector formats only", source=str(p),
                          hint="filter the sheet in Excel, or save it as GeoPackage")
    if suffix == ".zip":
        return _read_zip(p, source_layer=source_layer, encoding=encoding, where=where)
    if suffix == ".shp":
        return _read_shapefile(p, encoding=encoding, where=where)
    if suffix in (".gpkg", ".geojson", ".json", ".osm", ".pbf"):
        return _read_vector(p, source_layer=source_layer, where=where)
    if suffix in TABLE_SUFFIXES:
        return _read_table(p, sheet=source_layer, encoding=encoding, x=x, y=y,
                           allow_missing_xy=allow_missing_xy, need_xy=need_xy)
    raise SourceError(
        f"unsupported format {suffix!r}",
        source=str(p),
        hint="load a Shapefile (.shp or .zip), GeoPackage, GeoJSON, CSV or XLSX",
    )


def _vector_frame(path: Path, where: str | None = None, **kwargs) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features and their 1-based feature numbers (kept through a ``where`` filter)."""
    try:
        frame = pyogrio.read_dataframe(path, use_arrow=True, where=where or None, fid_as_index=True,
                                       **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(f"GDAL cannot read it: {exc}", source=str(path),
                          hint="check the --where expression" if where else None) from exc
    except pyogrio.errors.FieldError as exc:
        raise SourceError(f"--where refers to an unknown field: {exc}", source=str(path)) from exc
    fids = np.asarray(frame.index, dtype="int64")
    # Shapefile and GeoJSON FIDs count from 0, GeoPackage FIDs from 1, OSM FIDs are OSM ids:
    # rows are the 1-based feature numbers QGIS shows (the OSM id for OSM files)
    if path.suffix.lower() in (".shp", ".geojson", ".json"):
        fids = fids + 1
    return frame.reset_index(drop=True), fids


def _read_shapefile(p: Path, *, encoding: str | None, shown: str | None = None,
                    where: str | None = None) -> RawSource:
    found = find_parts(p)
    for part in (found.shp, found.shx, found.dbf, found.prj, found.cpg):
        if part is not None:
            check_readable(part)
    parts = check_shapefile(p)
    files = [f for f in (parts.shp, parts.shx, parts.dbf, parts.prj, parts.cpg) if f is not None]
    # the files are hashed in a thread (hashlib releases the GIL) while the encoding is checked
    # and GDAL reads; GDAL still reads only once the encoding is confirmed (reading ahead with
    # the declared one would let GDAL print warnings about files then refused)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="yangpu-sha256") as pool:
        digest = pool.submit(sha256_file, *files)
        guess = dbf_encoding(parts, encoding)
        frame, rows = _vector_frame(p, where=where, encoding=guess.codec)
        sha256 = digest.result()
    crs = frame.crs if parts.prj is not None else None
    return RawSource(
        path=shown or str(p),
        frame=frame,
        rows=rows,
        row_label="feature",
        crs=crs,
        encoding=guess,
        sha256=sha256,
        notes=[f"text encoding {guess.display} ({guess.how})"],
    )


def _read_zip(p: Path, *, source_layer: str | None, encoding: str | None,
              where: str | None) -> RawSource:
    try:
        archive = zipfile.ZipFile(p)
    except zipfile.BadZipFile as exc:
        raise SourceError("damaged zip archive", source=str(p), hint="copy it again") from exc
    with archive, tempfile.TemporaryDirectory(prefix="yangpu-zip-") as tmp:
        members = [m for m in archive.namelist() if not m.endswith("/") and "__MACOSX" not in m]
        shps = [m for m in members if m.lower().endswith(".shp")]
        if source_layer:
            shps = [m for m in shps if Path(m).stem == source_layer]
        if len(shps) != 1:
            names = ", ".join(Path(m).stem for m in shps) or "none"
            raise SourceError(
                f"the zip must hold exactly one shapefile to load (found: {names})",
                source=str(p),
                hint="choose one with --source-layer NAME" if len(shps) > 1 else None,
            )
        stem = shps[0][: -len(".shp")]
        for m in members:
            if m.startswith(stem + ".") or m == stem:
                archive.extract(m, tmp)
        raw = _read_shapefile(Path(tmp) / shps[0], encoding=encoding, shown=f"{p}!{shps[0]}",
                              where=where)
    raw.sha256 = sha256_file(p)
    return raw


def _choose_part(
    p: Path, names: list[str], chosen: str | None, *, several: str, hint: str, unknown: str
) -> str:
    """The layer or sheet ``chosen`` of ``p``, or its only one when none is chosen.

    ``several`` (``{n}``, ``{names}``) refuses a file of several parts without a choice, with
    ``hint``; ``unknown`` (``{chosen}``, ``{names}``) refuses a choice the file lacks.
    """
    listed = ", ".join(names)
    if chosen is None:
        if len(names) != 1:
            raise SourceError(several.format(n=len(names), names=listed), source=str(p),
                              hint=hint)
        return names[0]
    if chosen not in names:
        raise SourceError(unknown.format(chosen=chosen, names=listed), source=str(p))
    return chosen


def _read_vector(p: Path, *, source_layer: str | None, where: str | None) -> RawSource:
    try:
        layers = pyogrio.list_layers(p)
    except pyogrio.errors.DataSourceError as exc:
        raise SourceError(
            f"GDAL cannot open it: {exc}", source=str(p), hint="is the file complete and of this format?"
        ) from exc
    names = [str(n) for n in layers[:, 0]]
    source_layer = _choose_part(
        p, names, source_layer,
        several="the file holds {n} layers: {names}", hint="choose one with --source-layer NAME",
        unknown="no layer {chosen!r} in the file (it has: {names})",
    )
    frame, rows = _vector_frame(p, where=where, layer=source_layer)
    return RawSource(
        path=str(p) if len(names) == 1 else f"{p}:{source_layer}",
        frame=frame,
        rows=rows,
        row_label="OSM id" if p.suffix.lower() in (".osm", ".pbf") else "feature",
        crs=frame.crs if has_geometry(frame) else None,  # a GeoPackage attributes table: none
        sha256=sha256_file(p),
    )


def _decode_text_file(p: Path, encoding: str | None) -> tuple[str, EncodingGuess]:
    data = p.read_bytes()
    if encoding:
        codec = normalise_codec(encoding)
        guess = EncodingGuess(codec, "given with --encoding")
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        guess = EncodingGuess("utf-8", "UTF-8 byte-order mark")
    else:
        found = detect_bytes_encoding([data] if re.search(rb"[\x80-\xff]", data) else [])
        if found is None:
            raise SourceError(
                "cannot tell the text encoding (neither UTF-8 nor GBK/GB18030)",
                source=str(p),
                hint="pass --encoding with the encoding the file was written in",
            )
        guess = EncodingGuess(found.codec, f"detected: {found.how.split(': ', 1)[-1]}")
    try:
        return data.decode(guess.codec), guess
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"text is not valid {guess.codec} ({guess.how})",
            source=str(p),
            problems=[Problem("undecodable bytes", rows=[line], row_label="line")],
            hint="pass the right --encoding (UTF-8 or GBK)",
        ) from exc


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], axis: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise KeyError(wanted)
        return wanted
    lower = {str(c).strip().lower(): c for c in columns}
    for name in candidates:
        if name in lower:
            return lower[name]
    raise LookupError(axis)


def _read_table(
    p: Path, *, sheet: str | None, encoding: str | None, x: str | None, y: str | None,
    allow_missing_xy: bool = False, need_xy: bool = True,
) -> RawSource:
    suffix = p.suffix.lower()
    notes: list[str] = []
    guess = None
    if suffix in (".csv", ".txt"):
        import io

        text, guess = _decode_text_file(p, encoding)
        notes.append(f"text encoding {guess.display} ({guess.how})")
        try:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None,
                                engine="python")
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceError(f"cannot parse the CSV: {exc}", source=str(p)) from exc
        label = "line"
    else:
        try:
            book = pd.read_excel(p, sheet_name=None, dtype=object)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise SourceError(f"cannot read the workbook: {exc}", source=str(p)) from exc
        sheet = _choose_part(
            p, list(book), sheet,
            several="the workbook has {n} sheets: {names}",
            hint="choose one with --source-layer SHEET",
            unknown="no sheet {chosen!r} (sheets: {names})",
        )
        table = book[sheet]
        label = "row"
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise SourceError("the table has a header but no rows", source=str(p))
    cols = list(table.columns)
    shown = str(p) if sheet is None or suffix in (".csv", ".txt") else f"{p}:{sheet}"
    if not need_xy:  # an attribute table: no coordinates, no geometry
        return RawSource(path=shown, frame=pd.DataFrame(table), rows=np.arange(2, len(table) + 2),
                         row_label=label, crs=None, encoding=guess, sha256=sha256_file(p),
                         notes=notes)
    try:
        xcol = _pick(cols, x, X_NAMES, "x")
        ycol = _pick(cols, y, Y_NAMES, "y")
    except KeyError as exc:
        raise SourceError(
            f"no column {exc.args[0]!r}", source=str(p), hint="columns are: " + ", ".join(cols)
        ) from None
    except LookupError as exc:
        raise SourceError(
            f"cannot find the {exc.args[0]} coordinate column",
            source=str(p),
            hint="name them with --x COLUMN --y COLUMN (columns are: " + ", ".join(cols) + ")",
        ) from None
    rows = np.arange(2, len(table) + 2)  # line/row 1 is the header
    xs = pd.to_numeric(table[xcol].astype(str).str.strip(), errors="coerce").to_numpy(float)
    ys = pd.to_numeric(table[ycol].astype(str).str.strip(), errors="coerce").to_numpy(float)
    problems = []
    # rows with both coordinates blank may be located later by their address
    blank = is_blank(table[xcol]) & is_blank(table[ycol]) if allow_missing_xy else np.zeros(
        len(table), bool)
    for col, vals in ((xcol, xs), (ycol, ys)):
        bad = ~np.isfinite(vals) & ~blank
        if bad.any():
            problems.append(
                Problem("missing or non-numeric coordinate", rows=rows[bad].tolist(), field=col,
                        row_label=label,
                        hint="fill in the coordinates, or remove these rows from the sheet")
            )
    if problems:
        raise SourceError("rows without usable coordinates", source=str(p), problems=problems)
    notes.append(f"coordinates from columns {xcol!r} (x) and {ycol!r} (y)")
    geoms = shapely.points(xs, ys)
    geoms[blank] = None
    frame = gpd.GeoDataFrame(table.drop(columns=[xcol, ycol]), geometry=geoms, crs=None)
    return RawSource(
        path=shown,
        frame=frame,
        rows=rows,
        row_label=label,
        crs=None,
        encoding=guess,
        sha256=sha256_file(p),
        notes=notes,
    )

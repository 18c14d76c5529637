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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyogrio
import pyproj
import shapely

from ..errors import Problem, SourceError, YangpuGisError
from .archives import extract_shapefile
from .encoding import EncodingGuess, text_codec
from .geometry import construction_error
from .paths import check_input_file, check_readable
from .shapefile import check_shapefile, dbf_encoding, find_parts
from .tables import decode_text, excel_table, parse_csv
from .text import check_geojson_text
from .types import is_blank
from .where import check_where

__all__ = ["RawSource", "from_frame", "has_geometry", "read_source", "sha256_file"]

VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".zip", ".osm", ".pbf"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}

#: Column names recognised as coordinates in CSV/XLSX, in order of preference.
X_NAMES = ("lon", "lng", "longitude", "经度", "x", "x坐标", "横坐标", "point_x", "gcj_lon", "bd_lon")
Y_NAMES = ("lat", "latitude", "纬度", "y", "y坐标", "纵坐标", "point_y", "gcj_lat", "bd_lat")
#: Column names recognised as WKT geometry in CSV/XLSX (``wkt`` is what ``export`` writes).
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


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
    unknown_crs : str or None
        A CRS the file declares that is not known (a GeoJSON ``crs`` member GDAL ignores):
        refused unless ``--crs`` says what the coordinates are.
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
    unknown_crs: str | None = None


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
    if encoding:
        text_codec(encoding, source=str(p))  # an unknown --encoding is refused cleanly
    if where and suffix in TABLE_SUFFIXES:
        raise SourceError("--where filters vector formats only", source=str(p),
                          hint="filter the sheet in Excel, or save it as GeoPackage")
    where = check_where(where, source=str(p))
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


#: What pyogrio raises when GDAL cannot read a file or apply a filter.
_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.CRSError,
                pyogrio.errors.FeatureError)


def _columns(path: Path, **kwargs) -> str:
    """The file's attribute columns, for a message (empty when GDAL cannot list them)."""
    try:
        fields = pyogrio.read_info(path, **kwargs)["fields"]
    except (*_GDAL_ERRORS, ValueError, TypeError, UnicodeError, OSError):
        return ""
    return ", ".join(str(f) for f in fields)


def _vector_frame(path: Path, where: str | None = None, *, shown: str | None = None,
                  **kwargs) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features and their 1-based feature numbers (kept through a ``where`` filter).

    The file is opened read-only; ``shown`` is the name used in messages.
    """
    shown = shown or str(path)
    try:
        frame = pyogrio.read_dataframe(path, use_arrow=True, where=where or None, fid_as_index=True,
                                       **kwargs)
    except shapely.errors.ShapelyError as exc:  # e.g. a line of one point: refused by feature
        raise construction_error(path, exc, where=where, one_based=path.suffix.lower() in (
            ".shp", ".geojson", ".json"), source=shown, **kwargs) from exc
    except (*_GDAL_ERRORS, pyarrow.ArrowException, ValueError, TypeError, UnicodeError,
            OverflowError, MemoryError, OSError) as exc:
        message = re.sub(r"\s+", " ", str(exc)).strip()
        if where:
            cols = _columns(path, **{k: v for k, v in kwargs.items() if k in ("layer", "encoding")})
            raise SourceError(
                f"GDAL refused the --where expression {where!r}: {message}", source=shown,
                hint=("the file's columns are: " + cols) if cols else
                "check the column names and the expression's syntax",
            ) from exc
        if isinstance(exc, pyarrow.ArrowException) and "Wrapping" in message:
            raise SourceError("a text value is not valid UTF-8", source=shown,
                              hint="GeoJSON and GeoPackage text must be UTF-8; re-export the "
                              "file as UTF-8 (or copy it again if it was damaged)") from exc
        raise SourceError(f"GDAL cannot read it: {message}", source=shown,
                          hint="the file is damaged or not of this format; copy or export it "
                          "again") from exc
    _check_utf8(frame, _fids_of(frame, path), shown)
    if where and len(frame) == 0:
        cols = _columns(path, **{k: v for k, v in kwargs.items() if k in ("layer", "encoding")})
        raise SourceError(f"no feature matches the --where expression {where!r}", source=shown,
                          hint="check the values and the column names"
                          + (f" (the file's columns are: {cols})" if cols else ""))
    return frame.reset_index(drop=True), _fids_of(frame, path)


def _fids_of(frame: pd.DataFrame, path: Path) -> np.ndarray:
    """The 1-based feature numbers QGIS shows for the rows of ``frame`` (read with
    ``fid_as_index``); the OSM id for OSM files."""
    fids = np.asarray(frame.index, dtype="int64")
    # Shapefile and GeoJSON FIDs count from 0, GeoPackage FIDs from 1, OSM FIDs are OSM ids
    if path.suffix.lower() in (".shp", ".geojson", ".json"):
        fids = fids + 1
    return fids


def _check_utf8(frame: pd.DataFrame, rows: np.ndarray, shown: str) -> None:
    """Refuse text GDAL handed over as UTF-8 that is not (a damaged GeoJSON or GeoPackage),
    naming rows and fields, before anything reads it."""
    problems = []
    for i, col in enumerate(frame.columns):  # by position: a damaged file may repeat names
        arr = frame.iloc[:, i].array
        if not hasattr(arr, "__arrow_array__"):
            continue
        chunked = arr.__arrow_array__()
        if not (pyarrow.types.is_string(chunked.type) or pyarrow.types.is_large_string(
                chunked.type)):
            continue
        try:
            chunked.validate(full=True)
            continue
        except pyarrow.ArrowInvalid:
            pass
        values = chunked.cast(pyarrow.large_binary()).to_pylist()
        bad = []
        for i, value in enumerate(values):
            try:
                if value is not None:
                    value.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(int(rows[i]))
        problems.append(Problem("text is not valid UTF-8", rows=bad, field=str(col),
                                row_label="feature"))
    if problems:
        raise SourceError("text values that are not valid UTF-8", source=shown,
                          problems=problems,
                          hint="GeoJSON and GeoPackage text must be UTF-8; re-export the file "
                          "as UTF-8, or copy it again if it was damaged")


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
        frame, rows = _vector_frame(p, where=where, shown=shown, encoding=guess.codec)
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
    # the members are read from the archive only, into a private folder removed afterwards
    # (also when anything fails): see yangpu_gis.io.archives
    try:
        tmp_dir = tempfile.TemporaryDirectory(prefix="yangpu-zip-")
    except OSError as exc:
        raise YangpuGisError(f"cannot create a temporary folder: {exc.strerror or exc}",
                             source=str(p), hint="free some space, or point $TMPDIR at a "
                             "writable disk") from exc
    with tmp_dir as tmp:
        shp, member = extract_shapefile(p, Path(tmp), source_layer=source_layer)
        try:
            raw = _read_shapefile(shp, encoding=encoding, shown=f"{p}!{member}", where=where)
        except YangpuGisError as exc:
            # name the archive's member, not the private folder it was copied to
            folder = f"{p}!{member[: len(member) - len(shp.name)]}"
            _rename_source(exc, str(Path(tmp)) + "/", folder)
            raise
    raw.sha256 = sha256_file(p)
    return raw


def _rename_source(exc: YangpuGisError, old: str, new: str) -> None:
    """Replace the path prefix ``old`` by ``new`` in the error's file and texts."""
    exc.source = exc.source.replace(old, new) if exc.source else exc.source
    exc.message = exc.message.replace(old, new)
    exc.hint = exc.hint.replace(old, new) if exc.hint else exc.hint
    for problem in exc.problems:
        problem.message = problem.message.replace(old, new)
    exc.args = (exc.render(),)


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
    except UnicodeDecodeError as exc:
        raise SourceError("a layer name in the file is not valid UTF-8", source=str(p),
                          hint="re-export the file as UTF-8, or copy it again if it was damaged"
                          ) from exc
    except (*_GDAL_ERRORS, ValueError, TypeError, OSError) as exc:
        raise SourceError(
            f"GDAL cannot open it: {exc}", source=str(p), hint="is the file complete and of this format?"
        ) from exc
    names = [str(n) for n in layers[:, 0]]
    source_layer = _choose_part(
        p, names, source_layer,
        several="the file holds {n} layers: {names}", hint="choose one with --source-layer NAME",
        unknown="no layer {chosen!r} in the file (it has: {names})",
    )
    geojson = p.suffix.lower() in (".geojson", ".json")
    scan = check_geojson_text(p) if geojson else None  # GDAL would cut texts at an escaped NUL
    # GeoJSON dates as the file writes them: GDAL would turn 2021-02-30 into 2021-03-02
    frame, rows = _vector_frame(p, where=where, layer=source_layer,
                                **({"DATE_AS_STRING": "YES"} if geojson else {}))
    if scan is not None and scan.booleans:
        _restore_booleans(frame, rows, scan.booleans)
    if p.suffix.lower() == ".gpkg":
        _gpkg_date_texts(p, source_layer, frame, rows)
    return RawSource(
        path=str(p) if len(names) == 1 else f"{p}:{source_layer}",
        frame=frame,
        rows=rows,
        row_label="OSM id" if p.suffix.lower() in (".osm", ".pbf") else "feature",
        crs=frame.crs if has_geometry(frame) else None,  # a GeoPackage attributes table: none
        sha256=sha256_file(p),
        unknown_crs=_unknown_crs_member(scan.crs_member) if scan is not None else None,
    )


def _restore_booleans(frame: pd.DataFrame, rows: np.ndarray,
                      booleans: dict[str, list[int]]) -> None:
    """Put JSON ``true``/``false`` back where GDAL made them 1/0 of a number column, so that
    they are refused as true/false values where a number is expected."""
    for name, positions in booleans.items():
        if name not in frame.columns or not pd.api.types.is_numeric_dtype(frame[name].dtype) \
                or pd.api.types.is_bool_dtype(frame[name].dtype):
            continue
        at = np.flatnonzero(np.isin(rows, np.asarray(positions, dtype="int64") + 1))
        if len(at) == 0:
            continue
        values = frame[name].astype(object).to_numpy(copy=True)
        values[at] = [bool(v) if not pd.isna(v) else v for v in values[at]]
        frame[name] = pd.Series(values, index=frame.index, dtype=object)


def _gpkg_date_texts(p: Path, layer: str, frame: pd.DataFrame, rows: np.ndarray) -> None:
    """Put back the stored text of a GeoPackage's DATE fields, which GDAL rolls over
    (``2021-02-30`` becomes 2021-03-02), so that impossible dates are refused.

    The file is opened read-only with SQLite; nothing happens when it cannot be."""
    import sqlite3

    try:
        info = pyogrio.read_info(p, layer=layer)
    except (*_GDAL_ERRORS, ValueError, TypeError, UnicodeError, OSError):
        return
    dates = [str(f) for f, d in zip(info["fields"], info["dtypes"], strict=True)
             if str(d) == "datetime64[D]" and str(f) in frame.columns]
    fid = '"' + str(info.get("fid_column") or "fid").replace('"', '""') + '"'
    if not dates:
        return
    try:
        con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        for name in dates:
            quoted = '"' + name.replace('"', '""') + '"'
            table = '"' + layer.replace('"', '""') + '"'
            stored = dict(con.execute(f"SELECT {fid}, {quoted} FROM {table} "  # noqa: S608
                                      f"WHERE {quoted} IS NOT NULL").fetchall())
            values = [stored.get(int(r)) for r in rows]
            frame[name] = pd.Series([v if isinstance(v, str) else None for v in values],
                                    index=frame.index, dtype=object)
    except (sqlite3.Error, ValueError, TypeError):
        return
    finally:
        con.close()


def _unknown_crs_member(member: object) -> str | None:
    """What a GeoJSON ``crs`` member declares when pyproj does not know it (else None)."""
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(member, dict) or member.get("type") != "name" or not isinstance(name, str):
        return None  # other forms (old "EPSG"/"link" members) are GDAL's to read
    try:
        pyproj.CRS.from_user_input(name.strip())
    except pyproj.exceptions.CRSError:
        return name if len(name) <= 200 else name[:200] + "…"
    return None


def _decode_text_file(p: Path, encoding: str | None) -> tuple[str, EncodingGuess]:
    return decode_text(p.read_bytes(), encoding, str(p))


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], axis: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise KeyError(wanted)
        return wanted
    lower = {str(c).strip().lower(): c for c in columns}
    found = [lower[name] for name in candidates if name in lower]
    if len(found) > 1:
        raise SourceError(
            f"several columns could be the {axis} coordinate: "
            + ", ".join(map(repr, map(str, found))),
            hint=f"name the one to use with --{axis} COLUMN (e.g. --{axis} {found[0]})")
    if found:
        return found[0]
    raise LookupError(axis)


def _read_table(
    p: Path, *, sheet: str | None, encoding: str | None, x: str | None, y: str | None,
    allow_missing_xy: bool = False, need_xy: bool = True,
) -> RawSource:
    suffix = p.suffix.lower()
    notes: list[str] = []
    guess = None
    if suffix in (".csv", ".txt"):
        text, guess = _decode_text_file(p, encoding)
        notes.append(f"text encoding {guess.display} ({guess.how})")
        table, rows = parse_csv(text, str(p))
        label = "line"
    else:
        book, book_rows = excel_table(p, sheet, str(p))
        sheet = _choose_part(
            p, list(book), sheet,
            several="the workbook has {n} sheets: {names}",
            hint="choose one with --source-layer SHEET",
            unknown="no sheet {chosen!r} (sheets: {names})",
        )
        table, rows = book[sheet], book_rows[sheet]
        label = "row"
    if not len(table.columns):
        raise SourceError("the sheet is empty (no header row)", source=str(p),
                          hint="choose the sheet with the data with --source-layer SHEET")
    if table.empty:
        raise SourceError("the table has a header but no rows", source=str(p))
    cols = list(table.columns)
    shown = str(p) if sheet is None or suffix in (".csv", ".txt") else f"{p}:{sheet}"
    if not need_xy:  # an attribute table: no coordinates, no geometry
        return RawSource(path=shown, frame=pd.DataFrame(table), rows=rows,
                         row_label=label, crs=None, encoding=guess, sha256=sha256_file(p),
                         notes=notes)
    if x is None and y is None:
        lower = {c.lower(): c for c in cols}
        wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
        if wkt is not None:
            return _wkt_table(p, table, wkt, label, guess, notes)
    try:
        xcol = _pick(cols, x, X_NAMES, "x")
        ycol = _pick(cols, y, Y_NAMES, "y")
    except SourceError as exc:
        exc.source = str(p)
        raise SourceError(exc.message, source=str(p), hint=exc.hint) from None
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


def _wkt_table(p: Path, table: pd.DataFrame, column: str, label: str, guess,
               notes: list[str]) -> RawSource:
    """A table whose geometry is WKT text in ``column`` (as ``yangpu-gis export`` writes a
    CSV); the CRS comes from a ``.prj`` beside the file when there is one."""
    rows = np.arange(2, len(table) + 2)
    text = table[column].astype(str).str.strip()
    blank = np.asarray(is_blank(table[column]), dtype=bool)
    geoms = shapely.from_wkt(np.where(blank, None, text.to_numpy(object)), on_invalid="ignore")
    bad = ~blank & shapely.is_missing(geoms)
    if bad.any():
        raise SourceError("rows whose geometry is not WKT", source=str(p), problems=[
            Problem("not a WKT geometry", rows=rows[bad].tolist(), field=column, row_label=label,
                    hint="write it as e.g. POINT (121.5 31.3) or LINESTRING (…)")])
    crs = None
    prj = p.with_suffix(".prj")
    if prj.is_file():
        try:
            crs = pyproj.CRS.from_user_input(prj.read_text(encoding="utf-8", errors="strict"))
        except (pyproj.exceptions.CRSError, UnicodeDecodeError, OSError) as exc:
            raise SourceError(f"cannot read the CRS in {prj.name}: {exc}", source=str(p),
                              hint="repair or remove the .prj, or pass --crs") from None
        notes.append(f"CRS from {prj.name}")
    notes.append(f"geometry from WKT column {column!r}")
    frame = gpd.GeoDataFrame(table.drop(columns=[column]), geometry=geoms, crs=crs)
    return RawSource(path=str(p), frame=frame, rows=rows, row_label=label, crs=crs,
                     encoding=guess, sha256=sha256_file(p), notes=notes)

"""Turn a raw source into a catalogue-conforming GeoDataFrame, or refuse it with every reason.

Steps: map columns (``--map``, a mapping file, the catalogue's Chinese aliases), check the
required columns, convert types, check enumerations, bounds, blanks and duplicate ids,
check and repair geometries, transform to the working CRS and check the extent. Problems are
collected across all steps so the user sees everything at once, each with rows and field.
"""

from __future__ import annotations

import json
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import settings
from ..catalogue import Layer, get_layer
from ..crs import crs_label, parse_crs
from ..errors import CRSError, Problem, ValidationError
from .district import District
from .extent import to_working
from .geometry import GeometryResult, check_geometries
from .sources import RawSource, has_geometry
from .text import control_characters
from .types import INT64_RANGE, arrow_strings, coerce, int_overflow, is_blank, mismatched_cells

__all__ = ["Prepared", "parse_mapping", "parse_value_mapping", "prepare", "read_mapping_file"]


@dataclass
class Prepared:
    """A validated source, ready for a registry backend.

    Attributes
    ----------
    layer : Layer
    frame : geopandas.GeoDataFrame or pandas.DataFrame
        Catalogue columns (canonical dtypes) and geometry, in the working CRS; a plain
        DataFrame (no geometry, no CRS) for an attribute-table layer.
    raw : RawSource
    mapping : dict
        Source column -> catalogue column, as applied.
    ignored : list of str
        Source columns not in the catalogue (not stored).
    repairs : list of Problem
        What ``repair`` changed, by row.
    source_crs : str
        Label of the CRS the coordinates were read in.
    """

    layer: Layer
    frame: gpd.GeoDataFrame | pd.DataFrame
    raw: RawSource
    mapping: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    repairs: list[Problem] = field(default_factory=list)
    source_crs: str = ""
    #: Evidence that the lon/lat are GCJ-02/BD-09 read as WGS84 (see ``io.offset``), if any.
    crs_warning: dict | None = None

    def summary(self) -> dict:
        """JSON-ready description of what was read and decided."""
        return {
            "source": self.raw.path,
            "layer": self.layer.name,
            "rows": len(self.frame),
            "encoding": self.raw.encoding.display if self.raw.encoding else None,
            "source_crs": self.source_crs,
            "mapping": self.mapping,
            "ignored_columns": self.ignored,
            "repairs": [r.as_dict() for r in self.repairs],
            "skipped_rows": self.raw.skipped,
            "notes": self.raw.notes,
            "crs_warning": self.crs_warning,
        }


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """Parse ``SRC=DST`` strings from the command line.

    Raises
    ------
    ValidationError
        For an item without ``=``.
    """
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ValidationError(f"--map {item!r} is not SRC=DST", hint="e.g. --map 道路名称=name")
        src, dst = item.split("=", 1)
        out[src.strip()] = dst.strip()
    return out


def parse_value_mapping(items: list[str] | None) -> dict[str, dict[str, str]]:
    """Parse ``COLUMN:SOURCE=TARGET`` strings (e.g. ``road_class:主干=arterial``).

    Raises
    ------
    ValidationError
        For an item not of that form.
    """
    out: dict[str, dict[str, str]] = {}
    for item in items or []:
        col, sep, rest = item.partition(":")
        if not sep or "=" not in rest:
            raise ValidationError(f"--value {item!r} is not COLUMN:SOURCE=TARGET",
                                  hint="e.g. --value road_class:主干=arterial")
        src, dst = rest.split("=", 1)
        out.setdefault(col.strip(), {})[src.strip()] = dst.strip()
    return out


def read_mapping_file(path: str | Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Read a mapping file: column renames, and value translations per catalogue column.

    TOML (or the same structure in JSON)::

        [map]                       # source column -> catalogue column
        highway = "road_class"
        [values.road_class]         # source value -> catalogue value
        primary = "arterial"

    A two-column CSV (``source,target``) gives column renames only; a TOML/JSON file
    without ``map`` or ``values`` tables is read as column renames.

    Returns
    -------
    columns : dict
    values : dict of dict

    Raises
    ------
    ValidationError
        If the file cannot be read as a mapping.
    """
    p = Path(path)
    try:
        if p.suffix.lower() in (".toml", ".json"):
            text = p.read_text("utf-8")
            data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
            if "map" in data or "values" in data:
                columns, values = data.get("map", {}), data.get("values", {})
            else:
                columns, values = data, {}
        else:
            table = pd.read_csv(p, dtype=str, header=None, comment="#", encoding="utf-8-sig")
            columns = dict(zip(table[0].str.strip(), table[1].str.strip(), strict=True))
            values = {}
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"cannot read the mapping file: {exc}", source=str(p)) from exc
    ok = (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())
          and isinstance(values, dict)
          and all(isinstance(m, dict) and all(isinstance(v, str) for v in m.values())
                  for m in values.values()))
    if not ok:
        raise ValidationError("a mapping file holds [map] source = \"target\" pairs and "
                              "[values.<column>] source = \"target\" tables", source=str(p))
    return ({str(k): v for k, v in columns.items()},
            {str(c): {str(k): v for k, v in m.items()} for c, m in values.items()})


def resolve_columns(
    columns: list, layer: Layer, mapping: dict[str, str], source: str
) -> dict[str, str]:
    """Source column -> catalogue column: ``mapping`` first, then names and Chinese aliases.

    Raises
    ------
    ValidationError
        For mapping targets the layer lacks, or mapping sources the file lacks.
    """
    unknown_dst = [d for d in mapping.values() if d not in layer.column_names]
    if unknown_dst:
        raise ValidationError(
            f"--map targets {', '.join(map(repr, unknown_dst))} are not columns of {layer.name}",
            source=source,
            hint=f"{layer.name} columns: " + ", ".join(layer.column_names),
        )
    missing_src = [s for s in mapping if s not in columns]
    if missing_src:
        raise ValidationError(
            f"--map sources {', '.join(map(repr, missing_src))} are not in the file",
            source=source,
            hint="the file's columns: " + ", ".join(map(str, columns)),
        )
    applied = dict(mapping)
    taken = set(applied.values())
    lower = {str(c).strip().lower(): c for c in columns if c not in applied}
    clashes = []
    for col in layer.columns:  # two source columns that would both fill one catalogue column
        if col.name in taken:
            continue
        names = {a.lower() for a in (col.name, *col.aliases)}
        found = [c for c in columns if c not in applied and str(c).strip().lower() in names]
        if len(found) > 1:
            clashes.append(Problem(
                f"columns {' and '.join(map(repr, map(str, found)))} would both give "
                f"{col.name} ({col.label})", field=col.name))
    if clashes:
        first = clashes[0].field
        raise ValidationError(
            "the file has more than one column for the same catalogue column: it is not clear "
            "which one to load", source=source, problems=clashes,
            hint=f"choose one with --map SOURCE={first} (the others are then not stored), or "
            "delete the extra columns")
    for col in layer.columns:
        if col.name in taken:
            continue
        if col.name in columns and col.name not in applied:
            applied[col.name] = col.name
            taken.add(col.name)
            continue
        for alias in (col.name, *col.aliases):
            src = lower.get(alias.lower())
            if src is not None and src not in applied:
                applied[src] = col.name
                taken.add(col.name)
                break
    _apply_dbf_truncations(columns, layer, applied, taken, lower, source)
    return applied


def _apply_dbf_truncations(columns: list, layer: Layer, applied: dict[str, str],
                           taken: set[str], lower: dict, source: str) -> None:
    """Map the catalogue's own 10-character Shapefile truncations (``last_major`` ->
    ``last_major_repair_date``) to their columns; refuse a truncation that could stand for
    more than one column."""
    from .dbf_names import truncated_aliases

    aliases, ambiguous = truncated_aliases(layer, columns)
    for key, target in aliases.items():
        src = lower.get(key)
        if src is not None and src not in applied and target not in taken:
            applied[src] = target
            taken.add(target)
    unclear = {lower[k]: c for k, c in ambiguous.items()
               if k in lower and lower[k] not in applied and not set(c) <= taken}
    if unclear:
        raise ValidationError(
            "column names truncated to 10 characters (Shapefile) could stand for several "
            "catalogue columns: " + "; ".join(f"{s!r} -> {' or '.join(c)}"
                                             for s, c in unclear.items()),
            source=source,
            hint="say which with --map SOURCE=COLUMN, e.g. --map "
                 + "=".join([str(next(iter(unclear))), next(iter(unclear.values()))[0]]),
        )


def _map_columns(
    frame: pd.DataFrame, layer: Layer, mapping: dict[str, str], source: str
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    geom_name = frame.geometry.name if has_geometry(frame) else None
    columns = [c for c in frame.columns if c != geom_name]
    applied = resolve_columns(columns, layer, mapping, source)
    ignored = [str(c) for c in columns if c not in applied]
    renamed = frame[list(applied)].rename(columns=applied)
    return renamed, {k: v for k, v in applied.items() if k != v}, ignored


def _enum(values: pd.Series, col) -> tuple[pd.Series, np.ndarray]:
    aliases = {k.lower(): v for k, v in col.value_aliases.items()}
    aliases.update({a.lower(): a for a in col.allowed})
    fast = _enum_by_distinct(values, aliases)
    if fast is not None:
        return fast, fast.notna().to_numpy() & ~fast.isin(col.allowed).to_numpy()
    mapped = values.map(lambda v: aliases.get(v.strip().lower(), v) if isinstance(v, str) else v)
    mapped = mapped.astype(object).where(mapped.notna(), None)  # missing stays None, not NaN
    bad = mapped.notna().to_numpy() & ~mapped.isin(col.allowed).to_numpy()
    return mapped, bad


def _enum_by_distinct(values: pd.Series, aliases: dict[str, str]) -> pd.Series | None:
    """:func:`_enum`'s mapping done once per distinct value, when every value is ``str`` or
    missing (None: the caller maps value by value).

    Only text takes this path: distinct values are found by hashing, and only among
    ``str`` values is equal-hashing the same as equal (``1``, ``1.0`` and ``True`` are not).
    """
    objects = values.to_numpy(dtype=object, na_value=None)
    codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    if not all(type(u) is str for u in uniques):
        return None
    mapped = np.empty(len(uniques) + 1, dtype=object)  # the last slot: missing
    mapped[:-1] = [aliases.get(u.strip().lower(), u) for u in uniques]
    mapped[-1] = None
    return pd.Series(mapped[codes], index=values.index, name=values.name, dtype=object)


def prepare(
    raw: RawSource,
    layer: str | Layer,
    *,
    crs: str | pyproj.CRS | None = None,
    mapping: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    repair: bool = False,
    district: District | None = None,
) -> Prepared:
    """Validate ``raw`` against a catalogue layer.

    Parameters
    ----------
    raw : RawSource
        From :func:`yangpu_gis.io.read_source` or :func:`yangpu_gis.io.from_frame`.
    layer : str or Layer
        Target catalogue layer.
    crs : str or pyproj.CRS, optional
        ``--crs``: for files without a CRS, or ``gcj02``/``bd09`` for offset lon/lat
        (accepted over a file that declares WGS84/CGCS2000 lon/lat, as GeoJSON always does).
    mapping : dict, optional
        Source column -> catalogue column.
    values : dict of dict, optional
        Catalogue column -> {source value -> catalogue value}, applied before type and
        enumeration checks (values not listed pass through unchanged).
    repair : bool
        Repair geometries where possible and report the changes.
    district : District, optional
        The registry's recorded district: rows farther than
        ``settings.district_outline_margin_m`` outside its outline are refused (default:
        the fixed Yangpu extent, see :func:`~.extent.to_working`).

    Returns
    -------
    Prepared

    Raises
    ------
    ValidationError
        Listing every problem with rows and field.
    CRSError
        When there is no CRS to read the coordinates in.

    Notes
    -----
    For an attribute-table layer (``geometry=()``) geometry checks, CRS and extent are
    skipped (a geometry the source has is ignored) and the result is a plain DataFrame.
    """
    spec = layer if isinstance(layer, Layer) else get_layer(layer)
    src = raw.path
    label = raw.row_label
    if len(raw.frame) == 0:
        raise ValidationError("the file has no features", source=src,
                              hint="check that you chose the right file or layer")
    frame, applied, ignored = _map_columns(raw.frame, spec, mapping or {}, src)
    unknown = [c for c in (values or {}) if c not in spec.column_names]
    if unknown:
        raise ValidationError(f"value mappings for unknown columns {unknown}", source=src,
                              hint=f"{spec.name} columns: " + ", ".join(spec.column_names))
    for name, table in (values or {}).items():
        if name in frame.columns:
            frame[name] = frame[name].map(
                lambda v, t=table: t.get(str(v), v) if v is not None and not pd.isna(v) else v)
    rows = raw.rows
    problems: list[Problem] = []

    missing = [c for c in spec.required if c.name not in frame.columns]
    if missing:
        names = ", ".join(f"'{c.name}' ({c.label})" for c in missing)
        raise ValidationError(
            f"missing required column{'s' if len(missing) > 1 else ''} {names} for layer "
            f"{spec.name}",
            source=src,
            hint="the file's columns: "
            + ", ".join(map(str, [c for c in raw.frame.columns if not has_geometry(raw.frame)
                                  or c != raw.frame.geometry.name]))
            + f"; map one with --map SOURCE={missing[0].name}",
        )

    if not spec.has_geometry:  # an attribute table: no geometry, CRS or extent to check
        out = _check_attributes(frame, spec, rows, label, problems)
        _refuse(problems, spec, label, src)
        return Prepared(spec, pd.DataFrame(out.reset_index(drop=True)), raw, applied, ignored,
                        [], "")

    def geometry_checks() -> tuple[GeometryResult, pyproj.CRS | str | None, np.ndarray,
                                   list[Problem]]:
        geom = check_geometries(np.asarray(raw.frame.geometry.values, dtype=object), spec, rows,
                                repair=repair, row_label=label)
        src_crs = _source_crs(raw, crs)
        working, extent_problems = to_working(geom.geoms, src_crs, rows, source=src,
                                              declared=raw.crs, row_label=label,
                                              district=district)
        return geom, src_crs, working, extent_problems

    # geometries are checked and transformed in a thread while the attributes are checked
    # here (shapely and pyproj release the GIL); problems are reported in the same order
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="yangpu-geometry") as pool:
        geometry_future = pool.submit(geometry_checks)
        out = _check_attributes(frame, spec, rows, label, problems)
        geom, src_crs, working, extent_problems = geometry_future.result()
    problems.extend(geom.problems)
    problems.extend(extent_problems)
    _refuse(problems, spec, label, src)
    gdf = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=working,
                           crs=pyproj.CRS.from_user_input(settings.working_crs))
    return Prepared(spec, gdf, raw, applied, ignored, geom.repairs, crs_label(src_crs))


def _refuse(problems: list[Problem], spec: Layer, label: str, src: str) -> None:
    """Raise one ValidationError listing ``problems`` in file order (nothing if none)."""
    if problems:
        n = len({r for p in problems for r in p.rows})
        problems.sort(key=lambda p: min(p.rows) if p.rows else 0)  # in file order
        raise ValidationError(
            f"{n} {label}{'s' if n != 1 else ''} refused for layer {spec.name} ({spec.label}); "
            "nothing was loaded",
            source=src,
            problems=problems,
        )


def _check_attributes(frame: pd.DataFrame, spec: Layer, rows: np.ndarray, label: str,
                      problems: list[Problem]) -> pd.DataFrame:
    """Catalogue columns in canonical dtypes; appends type, enumeration, range, blank and
    duplicate-id problems to ``problems``."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        if col.name not in frame.columns:
            out[col.name] = coerce(pd.Series([None] * len(frame), index=frame.index), col)[0]
            continue
        values, bad = coerce(frame[col.name], col)
        reported = np.zeros(len(frame), bool)  # rows given a more precise message below
        for mask, message, hint in mismatched_cells(frame[col.name], col):
            problems.append(Problem(message, rows=rows[mask].tolist(), field=col.name,
                                    row_label=label, hint=hint))
            reported |= mask
        if col.type == "int":
            over = int_overflow(frame[col.name]) & ~reported
            if over.any():
                sample = frame[col.name][over].iloc[0]
                sample = f"{sample:g}" if isinstance(sample, (int, float)) else str(sample).strip()
                problems.append(Problem(
                    f"out of range for a whole number (e.g. {sample[:40]}): the registry "
                    f"stores whole numbers from {INT64_RANGE[0]:,} to {INT64_RANGE[1]:,}",
                    rows=rows[over].tolist(), field=col.name, row_label=label,
                    hint="check the value (a unit or a misplaced decimal point?)"))
                reported |= over
        if col.type == "str":
            # the file's Arrow texts hold every stored text (trimmed) as a substring
            bad_text, what = control_characters(values, arrow_strings(frame[col.name]))
            if bad_text.any():
                problems.append(Problem(
                    f"text holds {what}, which the registry does not store",
                    rows=rows[bad_text].tolist(), field=col.name, row_label=label,
                    hint="remove the control characters (often left by a broken export or "
                    "a copy from another program); tab and line breaks are kept"))
        if (bad & ~reported).any():
            bad = bad & ~reported
            samples = frame[col.name][bad].astype(str).unique()[:3]
            problems.append(Problem(
                f"not a valid {col.type} (e.g. {', '.join(map(repr, samples))})",
                rows=rows[bad].tolist(), field=col.name, row_label=label,
                hint={"int": "write whole numbers without units",
                      "float": "write plain numbers without units",
                      "date": "write dates as YYYY-MM-DD",
                      "datetime": "write times as YYYY-MM-DD HH:MM[:SS][+08:00]",
                      "bool": "write 是/否 or true/false"}.get(col.type),
            ))
        if col.allowed:
            values, bad_enum = _enum(values, col)
            if bad_enum.any():
                samples = values[bad_enum].astype(str).unique()[:5]
                problems.append(Problem(
                    f"value not allowed: {', '.join(map(repr, samples))}",
                    rows=rows[bad_enum].tolist(), field=col.name, row_label=label,
                    hint="allowed: " + ", ".join(col.allowed)
                    + (f" (or in Chinese: {', '.join(col.value_aliases)})" if col.value_aliases else ""),
                ))
        if col.min is not None or col.max is not None:
            num = values.astype("float64")
            with np.errstate(invalid="ignore"):
                low = (num < col.min).to_numpy(bool) if col.min is not None else False
                high = (num > col.max).to_numpy(bool) if col.max is not None else False
            out_of = np.asarray(low | high, dtype=bool) & num.notna().to_numpy()
            if out_of.any():
                problems.append(Problem(
                    f"out of range [{col.min if col.min is not None else '-∞'}, "
                    f"{col.max if col.max is not None else '∞'}] (e.g. {num[out_of].iloc[0]:g})",
                    rows=rows[out_of].tolist(), field=col.name, row_label=label,
                ))
        bad = bad | reported
        if col.required:
            blank = is_blank(frame[col.name]) & ~bad
            if blank.any():
                problems.append(Problem("required value is empty", rows=rows[blank].tolist(),
                                        field=col.name, row_label=label,
                                        hint=f"every {spec.label} needs a {col.label}"))
        out[col.name] = values.astype(object) if col.type == "str" else values

    ids = out[spec.id_column]
    dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if dup.any():
        examples = ", ".join(map(repr, ids[dup].unique()[:5]))
        problems.append(Problem(
            f"duplicate ids ({examples})", rows=rows[dup].tolist(), field=spec.id_column,
            row_label=label, hint="each id must be unique; fix the duplicates or use new ids"))
    return out


def _source_crs(raw: RawSource, given: str | pyproj.CRS | None) -> pyproj.CRS | str | None:
    if given is None or given == "":
        if raw.unknown_crs is not None:

            raise CRSError(
                f"the file declares a CRS that is not known: its crs member names "
                f"{raw.unknown_crs!r}", source=raw.path,
                hint="give the coordinates' CRS with --crs (e.g. --crs EPSG:4326), or fix or "
                "remove the file's \"crs\" member")
        return raw.crs
    parsed = parse_crs(given)
    if raw.crs is not None and not isinstance(parsed, str) and not parsed.equals(raw.crs):
        raw.notes.append(
            f"the file declares {crs_label(raw.crs)}; read as {crs_label(parsed)} as --crs asks"
        )
    if isinstance(parsed, str) and raw.crs is not None and not raw.crs.is_geographic:

        raise CRSError(
            f"--crs {parsed} means offset lon/lat, but the file declares projected "
            f"{crs_label(raw.crs)}",
            source=raw.path,
            hint="GCJ-02/BD-09 apply to lon/lat degrees only; drop --crs",
        )
    return parsed
